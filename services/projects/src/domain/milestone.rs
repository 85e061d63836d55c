//! Milestones: points a project must reach by a date, with the components they need. Their
//! state is derived from the components' progress (the projection) and the date.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use baton_platform::names::{AssetName, MilestoneName};

/// The most components one milestone needs.
pub const MAX_COMPONENTS: usize = 100;

/// How close its date is before a milestone is DUE.
pub const DUE_WITHIN: Duration = Duration::days(7);

baton_platform::named_enum! {
    /// Where a milestone stands.
    pub enum MilestoneState {
        Upcoming = "MILESTONE_STATE_UPCOMING",
        Due = "MILESTONE_STATE_DUE",
        Met = "MILESTONE_STATE_MET",
        Missed = "MILESTONE_STATE_MISSED",
    }
}

/// What a milestone's creator sets and an update changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MilestoneFields {
    pub title: String,
    pub due_date: Date,
    pub components: Vec<AssetName>,
}

/// A stored milestone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    pub name: MilestoneName,
    pub fields: MilestoneFields,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

/// A field an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneField {
    Title,
    DueDate,
    Components,
}

impl MilestoneField {
    pub const ALL: [MilestoneField; 3] = [MilestoneField::Title, MilestoneField::DueDate, MilestoneField::Components];

    pub fn path(self) -> &'static str {
        match self {
            MilestoneField::Title => "title",
            MilestoneField::DueDate => "due_date",
            MilestoneField::Components => "components",
        }
    }
}

/// An update of a milestone, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneUpdate {
    pub name: MilestoneName,
    pub fields: Vec<MilestoneField>,
    pub values: MilestoneFields,
    pub etag: Option<String>,
}

/// A milestone with its state as of a moment.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneView {
    pub milestone: Milestone,
    pub state: MilestoneState,
    pub done_components: u32,
}

impl Milestone {
    pub fn create(name: MilestoneName, fields: MilestoneFields, now: OffsetDateTime) -> Self {
        Milestone { name, fields, create_time: now, update_time: now, revision: 1 }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This milestone after `update` at `now`, and the fields that changed; `Err` is the current
    /// etag when the caller's is stale.
    pub fn updated(
        &self,
        update: &MilestoneUpdate,
        now: OffsetDateTime,
    ) -> Result<(Milestone, Vec<&'static str>), String> {
        baton_platform::etag::check(update.etag.as_deref(), self.etag())?;
        let mut next = self.clone();
        let mut changed = Vec::new();
        for field in &update.fields {
            let values = &update.values;
            let differs = match field {
                MilestoneField::Title => {
                    std::mem::replace(&mut next.fields.title, values.title.clone()) != values.title
                }
                MilestoneField::DueDate => {
                    std::mem::replace(&mut next.fields.due_date, values.due_date) != values.due_date
                }
                MilestoneField::Components => {
                    std::mem::replace(&mut next.fields.components, values.components.clone()) != values.components
                }
            };
            if differs {
                changed.push(field.path());
            }
        }
        next.revision += 1;
        next.update_time = now;
        Ok((next, changed))
    }

    /// Its state at `now`, given when each component was first done (approved or delivered).
    /// A milestone without components is met once its date has passed.
    pub fn view(&self, done: &HashMap<Uuid, OffsetDateTime>, now: OffsetDateTime) -> MilestoneView {
        let due = self.fields.due_date;
        let end_of_due = due.midnight().assume_utc() + Duration::days(1);
        let times: Vec<Option<OffsetDateTime>> =
            self.fields.components.iter().map(|c| done.get(&c.id).copied()).collect();
        let done_components = u32::try_from(times.iter().filter(|t| t.is_some()).count()).unwrap_or(u32::MAX);
        let met_by = if times.iter().all(Option::is_some) { times.iter().flatten().max().copied() } else { None };
        let state = match met_by {
            Some(last) if last < end_of_due && !times.is_empty() => MilestoneState::Met,
            None if times.is_empty() && now >= end_of_due => MilestoneState::Met,
            _ if now >= end_of_due => MilestoneState::Missed,
            _ if due - now.date() <= DUE_WITHIN => MilestoneState::Due,
            _ => MilestoneState::Upcoming,
        };
        MilestoneView { milestone: self.clone(), state, done_components }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_platform::names::ProjectName;

    fn day(n: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(n)
    }

    fn milestone(due_day: i64, components: usize) -> Milestone {
        let project = ProjectName::new(Uuid::now_v7());
        let components = (0..components).map(|_| AssetName::new(project, Uuid::now_v7())).collect();
        let fields = MilestoneFields { title: "Beta".into(), due_date: day(due_day).date(), components };
        Milestone::create(MilestoneName::new(project, Uuid::now_v7()), fields, day(0))
    }

    #[test]
    fn the_state_follows_the_components_and_the_date() {
        let m = milestone(20, 2);
        let (a, b) = (m.fields.components[0].id, m.fields.components[1].id);
        let mut done = HashMap::new();
        let at = |m: &Milestone, done: &HashMap<Uuid, OffsetDateTime>, now| m.view(done, now).state;
        assert_eq!(at(&m, &done, day(1)), MilestoneState::Upcoming);
        assert_eq!(at(&m, &done, day(13)), MilestoneState::Due);
        done.insert(a, day(14));
        assert_eq!(m.view(&done, day(15)).done_components, 1);
        assert_eq!(at(&m, &done, day(21)), MilestoneState::Missed);
        done.insert(b, day(20) + Duration::hours(23));
        assert_eq!(at(&m, &done, day(21)), MilestoneState::Met, "done on its day counts");
        done.insert(b, day(21) + Duration::hours(1));
        assert_eq!(at(&m, &done, day(22)), MilestoneState::Missed, "done a day late");
        assert_eq!(at(&m, &done, day(10)), MilestoneState::Upcoming, "before the date, late work is not known yet");
        let empty = milestone(20, 0);
        assert_eq!(at(&empty, &done, day(19)), MilestoneState::Due);
        assert_eq!(at(&empty, &done, day(21)), MilestoneState::Met);
    }
}
