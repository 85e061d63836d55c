//! Assets and their review workflow, independent of the wire and the database.

pub mod comment;
pub mod quality;
pub mod version;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use baton_platform::filter::Op;
use baton_platform::names::{AssetName, PersonName, ProjectName};

baton_platform::named_enum! {
    /// What kind of media component an asset is.
    pub enum AssetKind {
        Graphic = "ASSET_KIND_GRAPHIC",
        Animation = "ASSET_KIND_ANIMATION",
        Audio = "ASSET_KIND_AUDIO",
        Video = "ASSET_KIND_VIDEO",
        WebPage = "ASSET_KIND_WEB_PAGE",
        DatabaseFeature = "ASSET_KIND_DATABASE_FEATURE",
        Copy = "ASSET_KIND_COPY",
        Other = "ASSET_KIND_OTHER",
    }
}

baton_platform::named_enum! {
    /// Where an asset stands in its review workflow.
    pub enum AssetStatus {
        Planned = "ASSET_STATUS_PLANNED",
        InProgress = "ASSET_STATUS_IN_PROGRESS",
        InReview = "ASSET_STATUS_IN_REVIEW",
        ChangesRequested = "ASSET_STATUS_CHANGES_REQUESTED",
        Approved = "ASSET_STATUS_APPROVED",
        Delivered = "ASSET_STATUS_DELIVERED",
    }
}

impl AssetStatus {
    /// The statuses a client sees: work put in front of them, never work in progress.
    pub const CLIENT_VISIBLE: &'static [AssetStatus] =
        &[AssetStatus::InReview, AssetStatus::ChangesRequested, AssetStatus::Approved, AssetStatus::Delivered];

    pub fn client_visible(self) -> bool {
        Self::CLIENT_VISIBLE.contains(&self)
    }
}

/// An asset to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAsset {
    pub project: ProjectName,
    pub display_name: String,
    pub description: String,
    pub kind: AssetKind,
    pub assignees: Vec<PersonName>,
    pub weight: i32,
    pub due_date: Option<Date>,
    pub watchers: Vec<PersonName>,
    pub blocked_by: Vec<AssetName>,
    pub client_visible: bool,
}

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    pub name: AssetName,
    pub display_name: String,
    pub description: String,
    pub kind: AssetKind,
    pub status: AssetStatus,
    pub assignees: Vec<PersonName>,
    pub weight: i32,
    pub due_date: Option<Date>,
    pub watchers: Vec<PersonName>,
    pub blocked_by: Vec<AssetName>,
    /// How many times reviewers sent it back for changes.
    pub retakes: i32,
    /// The number of its newest version; 0 before the first.
    pub latest_version: i32,
    /// Whether a staged review round of its newest version is open: the one-step workflow
    /// methods do not decide it then.
    pub review_open: bool,
    /// Whether the client follows it.
    pub client_visible: bool,
    /// How its newest version measures up; `None` before its first version.
    pub quality: Option<quality::ComponentQuality>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Asset {
    /// A new asset as it will be stored: planned, at its first revision, created `now`.
    pub fn create(new: NewAsset, id: uuid::Uuid, now: OffsetDateTime) -> Self {
        Asset {
            name: AssetName::new(new.project, id),
            display_name: new.display_name,
            description: new.description,
            kind: new.kind,
            status: AssetStatus::Planned,
            assignees: new.assignees,
            weight: new.weight,
            due_date: new.due_date,
            watchers: new.watchers,
            blocked_by: new.blocked_by,
            retakes: 0,
            latest_version: 0,
            review_open: false,
            client_visible: new.client_visible,
            quality: None,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// Whether a client contact sees it: shown to the client, and put in front of them.
    pub fn shown_to_client(&self) -> bool {
        self.client_visible && self.status.client_visible()
    }

    /// This asset after `step`, taken at `now`: its next revision in the step's status. Refused
    /// when the caller's etag is not this revision or the step is not allowed from here.
    pub fn take(&self, step: &TransitionRequest, now: OffsetDateTime) -> Result<Asset, Refusal> {
        if step.etag.as_ref().is_some_and(|etag| *etag != self.etag()) {
            return Err(Refusal::EtagMismatch { current: self.etag() });
        }
        let status = step.transition.target(self.status).ok_or(Refusal::IllegalTransition { from: self.status })?;
        if self.review_open && matches!(step.transition, Transition::Approve | Transition::RequestChanges) {
            return Err(Refusal::ReviewRoundOpen);
        }
        let retakes = self.retakes + i32::from(status == AssetStatus::ChangesRequested);
        Ok(Asset { status, retakes, update_time: now, revision: self.revision + 1, ..self.clone() })
    }

    /// This asset at the end of a staged review round: approved, or back for changes (one more
    /// retake), at its next revision.
    pub fn reviewed(&self, approved: bool, now: OffsetDateTime) -> Asset {
        let (status, retakes) = if approved {
            (AssetStatus::Approved, self.retakes)
        } else {
            (AssetStatus::ChangesRequested, self.retakes + 1)
        };
        Asset { status, retakes, review_open: false, update_time: now, revision: self.revision + 1, ..self.clone() }
    }
}

/// The most retakes a project's cap may allow.
pub const MAX_RETAKE_CAP: i32 = 100;

/// The longest a project may let a review wait before its reviewers are reminded: 30 days.
pub const MAX_REVIEW_REMINDER_HOURS: i32 = 720;

/// A project's component settings; revision 0 until they are first changed (the defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentSettings {
    pub project: ProjectName,
    /// Retakes of one component that raise an obstacle on the project; 0 is no cap.
    pub retake_cap: i32,
    /// Hours a review may wait before its reviewers are reminded; 0 is never.
    pub review_reminder_hours: i32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub update_time: Option<OffsetDateTime>,
    pub revision: i64,
}

impl ComponentSettings {
    pub fn defaults(project: ProjectName) -> Self {
        ComponentSettings {
            project,
            retake_cap: 0,
            review_reminder_hours: baton_proto::assets::v1::DEFAULT_REVIEW_REMINDER_HOURS,
            update_time: None,
            revision: 0,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// These settings with `changes` made, at `now`, at the next revision; refused (with the
    /// current etag) when the caller's is not this revision.
    pub fn changed(
        &self,
        changes: &[(SettingsField, i32)],
        etag: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Self, String> {
        baton_platform::etag::check(etag, self.etag())?;
        let mut next = ComponentSettings { update_time: Some(now), revision: self.revision + 1, ..self.clone() };
        for &(field, value) in changes {
            match field {
                SettingsField::RetakeCap => next.retake_cap = value,
                SettingsField::ReviewReminderHours => next.review_reminder_hours = value,
            }
        }
        Ok(next)
    }

    /// Whether `asset`, just sent back for changes, reached the cap with this retake.
    pub fn reached_by(&self, asset: &Asset) -> bool {
        self.retake_cap > 0 && asset.status == AssetStatus::ChangesRequested && asset.retakes == self.retake_cap
    }
}

/// A field of a project's component settings that an update may change: each a count from 0
/// (off) to its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsField {
    RetakeCap,
    ReviewReminderHours,
}

impl SettingsField {
    pub const ALL: [SettingsField; 2] = [SettingsField::RetakeCap, SettingsField::ReviewReminderHours];

    pub fn path(self) -> &'static str {
        match self {
            SettingsField::RetakeCap => "retake_cap",
            SettingsField::ReviewReminderHours => "review_reminder_hours",
        }
    }

    /// The largest value, and what 0 means.
    pub fn bounds(self) -> (i32, &'static str) {
        match self {
            SettingsField::RetakeCap => (MAX_RETAKE_CAP, "no cap"),
            SettingsField::ReviewReminderHours => (MAX_REVIEW_REMINDER_HOURS, "no reminder"),
        }
    }
}

/// A field of an asset that an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetField {
    DisplayName,
    Description,
    Weight,
    Assignees,
    Watchers,
    DueDate,
    BlockedBy,
    ClientVisible,
}

impl AssetField {
    pub const ALL: [AssetField; 8] = [
        AssetField::DisplayName,
        AssetField::Description,
        AssetField::Weight,
        AssetField::Assignees,
        AssetField::Watchers,
        AssetField::DueDate,
        AssetField::BlockedBy,
        AssetField::ClientVisible,
    ];

    pub fn path(self) -> &'static str {
        match self {
            AssetField::DisplayName => "display_name",
            AssetField::Description => "description",
            AssetField::Weight => "weight",
            AssetField::Assignees => "assignees",
            AssetField::Watchers => "watchers",
            AssetField::DueDate => "due_date",
            AssetField::BlockedBy => "blocked_by",
            AssetField::ClientVisible => "client_visible",
        }
    }
}

/// An update of an asset, already validated field by field: the new values of the named
/// fields (the others are ignored).
#[derive(Debug, Clone, PartialEq)]
pub struct AssetUpdate {
    pub name: AssetName,
    pub fields: Vec<AssetField>,
    pub display_name: String,
    pub description: String,
    pub weight: i32,
    pub assignees: Vec<PersonName>,
    pub watchers: Vec<PersonName>,
    pub due_date: Option<Date>,
    pub blocked_by: Vec<AssetName>,
    pub client_visible: bool,
    pub etag: Option<String>,
}

impl Asset {
    /// This asset after `update` at `now`, at its next revision; refused (with the current etag)
    /// when the caller's etag is not this revision.
    pub fn updated(&self, update: &AssetUpdate, now: OffsetDateTime) -> Result<Asset, String> {
        baton_platform::etag::check(update.etag.as_deref(), self.etag())?;
        let mut next = self.clone();
        for field in &update.fields {
            match field {
                AssetField::DisplayName => next.display_name = update.display_name.clone(),
                AssetField::Description => next.description = update.description.clone(),
                AssetField::Weight => next.weight = update.weight,
                AssetField::Assignees => next.assignees = update.assignees.clone(),
                AssetField::Watchers => next.watchers = update.watchers.clone(),
                AssetField::DueDate => next.due_date = update.due_date,
                AssetField::BlockedBy => next.blocked_by = update.blocked_by.clone(),
                AssetField::ClientVisible => next.client_visible = update.client_visible,
            }
        }
        next.revision += 1;
        next.update_time = now;
        Ok(next)
    }

    /// This asset with `person` among its watchers (`watch`) or not, at its next revision;
    /// `None` when that is so already.
    pub fn watched_by(&self, person: PersonName, watch: bool, now: OffsetDateTime) -> Option<Asset> {
        if self.watchers.contains(&person) == watch {
            return None;
        }
        let mut next = self.clone();
        if watch {
            next.watchers.push(person);
        } else {
            next.watchers.retain(|p| *p != person);
        }
        next.revision += 1;
        next.update_time = now;
        Some(next)
    }

    /// The people among the assignees that `other` does not have.
    pub fn assignees_missing_from(&self, other: &Asset) -> Vec<PersonName> {
        self.assignees.iter().copied().filter(|p| !other.assignees.contains(p)).collect()
    }
}

/// The assets `from` waits for through `edges` (asset → its blockers), transitively: a path
/// back to `from` is a cycle. Returns the cycle's path, `from` first, if there is one.
pub fn cycle_through(
    from: AssetName,
    blockers: &[AssetName],
    edges: &std::collections::HashMap<AssetName, Vec<AssetName>>,
) -> Option<Vec<AssetName>> {
    // Depth-first from each new blocker, remembering the path; bounded by the project's assets.
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(AssetName, Vec<AssetName>)> = blockers.iter().map(|b| (*b, vec![from, *b])).collect();
    while let Some((at, path)) = stack.pop() {
        if at == from {
            return Some(path);
        }
        if !seen.insert(at) {
            continue;
        }
        for next in edges.get(&at).map(Vec::as_slice).unwrap_or_default() {
            let mut longer = path.clone();
            longer.push(*next);
            stack.push((*next, longer));
        }
    }
    None
}

/// Why an asset refuses a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    EtagMismatch {
        current: String,
    },
    IllegalTransition {
        from: AssetStatus,
    },
    /// A staged review round decides this asset: DecideReview, not the one-step methods.
    ReviewRoundOpen,
}

/// A step of the review workflow, one per custom method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Start,
    SubmitForReview,
    RequestChanges,
    Approve,
    Deliver,
}

impl Transition {
    pub const ALL: [Transition; 5] = [
        Transition::Start,
        Transition::SubmitForReview,
        Transition::RequestChanges,
        Transition::Approve,
        Transition::Deliver,
    ];

    /// The status an asset in `from` moves to, or `None` when this step is not allowed there.
    ///
    /// PLANNED → IN_PROGRESS → IN_REVIEW → CHANGES_REQUESTED → IN_PROGRESS → … → APPROVED → DELIVERED
    pub fn target(self, from: AssetStatus) -> Option<AssetStatus> {
        self.allowed_from().contains(&from).then(|| self.to())
    }

    /// The status this step leads to, from any status it is allowed in.
    pub fn to(self) -> AssetStatus {
        use AssetStatus as S;
        match self {
            Transition::Start => S::InProgress,
            Transition::SubmitForReview => S::InReview,
            Transition::RequestChanges => S::ChangesRequested,
            Transition::Approve => S::Approved,
            Transition::Deliver => S::Delivered,
        }
    }

    /// The statuses this step may start from.
    pub fn allowed_from(self) -> &'static [AssetStatus] {
        use AssetStatus as S;
        match self {
            Transition::Start => &[S::Planned, S::ChangesRequested],
            Transition::SubmitForReview => &[S::InProgress],
            Transition::RequestChanges | Transition::Approve => &[S::InReview],
            Transition::Deliver => &[S::Approved],
        }
    }

    /// The custom method's name, also the idempotency scope.
    pub fn method(self) -> &'static str {
        match self {
            Transition::Start => "StartAsset",
            Transition::SubmitForReview => "SubmitAssetForReview",
            Transition::RequestChanges => "RequestAssetChanges",
            Transition::Approve => "ApproveAsset",
            Transition::Deliver => "DeliverAsset",
        }
    }
}

/// A workflow step asked of one asset, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionRequest {
    pub asset: AssetName,
    pub transition: Transition,
    pub etag: Option<String>,
    pub comment: String,
}

/// One condition of ListAssets' filter.
#[derive(Debug, Clone, PartialEq)]
pub enum AssetCondition {
    Status(Op, AssetStatus),
    Kind(Op, AssetKind),
    Assignee(PersonName),
    Watcher(PersonName),
    DueDate(Op, Date),
    /// Whether its newest version fails a quality check (`Op::Eq`), or not.
    QualityFailing(bool),
}

/// A page of assets.
#[derive(Debug, Clone)]
pub struct AssetPage {
    pub assets: Vec<Asset>,
    pub next_page_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus as S;
    use Transition as T;

    /// The workflow written out as a table, independently of `allowed_from`: for each status,
    /// the status each step leads to (`None`: refused).
    const TABLE: [(AssetStatus, [Option<AssetStatus>; 5]); 6] = [
        //                     Start               Submit            RequestChanges           Approve            Deliver
        (S::Planned, [Some(S::InProgress), None, None, None, None]),
        (S::InProgress, [None, Some(S::InReview), None, None, None]),
        (S::InReview, [None, None, Some(S::ChangesRequested), Some(S::Approved), None]),
        (S::ChangesRequested, [Some(S::InProgress), None, None, None, None]),
        (S::Approved, [None, None, None, None, Some(S::Delivered)]),
        (S::Delivered, [None, None, None, None, None]),
    ];

    #[test]
    fn every_pair_follows_the_table() {
        assert_eq!(TABLE.len(), S::ALL.len(), "the table covers every status");
        for (from, targets) in TABLE {
            for (step, expected) in T::ALL.into_iter().zip(targets) {
                assert_eq!(step.target(from), expected, "{step:?} from {from:?}");
            }
        }
    }

    #[test]
    fn the_happy_path_and_a_review_round() {
        let steps = [
            (T::Start, S::InProgress),
            (T::SubmitForReview, S::InReview),
            (T::RequestChanges, S::ChangesRequested),
            (T::Start, S::InProgress),
            (T::SubmitForReview, S::InReview),
            (T::Approve, S::Approved),
            (T::Deliver, S::Delivered),
        ];
        let mut status = S::Planned;
        for (step, expected) in steps {
            status = step.target(status).unwrap_or_else(|| panic!("{step:?} from {status:?} refused"));
            assert_eq!(status, expected);
        }
    }

    fn asset() -> Asset {
        let new = NewAsset {
            project: ProjectName::new(uuid::Uuid::now_v7()),
            display_name: "Poster".into(),
            description: String::new(),
            kind: AssetKind::Graphic,
            assignees: vec![],
            weight: 1,
            due_date: None,
            watchers: vec![],
            blocked_by: vec![],
            client_visible: true,
        };
        Asset::create(new, uuid::Uuid::now_v7(), OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn a_cycle_is_found_through_other_assets_and_named_in_order() {
        let project = ProjectName::new(uuid::Uuid::now_v7());
        let [a, b, c, d] = [0; 4].map(|_| AssetName::new(project, uuid::Uuid::now_v7()));
        // b waits for c, c for d.
        let edges = std::collections::HashMap::from([(b, vec![c]), (c, vec![d])]);
        assert_eq!(cycle_through(d, &[b], &edges), Some(vec![d, b, c, d]), "d waiting for b closes b → c → d");
        assert_eq!(cycle_through(a, &[b], &edges), None, "a waiting for b makes no cycle");
        assert_eq!(cycle_through(a, &[a], &edges), Some(vec![a, a]), "waiting for oneself");
    }

    #[test]
    fn watching_twice_changes_nothing_and_an_update_moves_the_revision() {
        let asset = asset();
        let person = PersonName::new(uuid::Uuid::now_v7());
        let watched = asset.watched_by(person, true, OffsetDateTime::UNIX_EPOCH).expect("a change");
        assert_eq!((watched.watchers.as_slice(), watched.revision), (&[person][..], 2));
        assert!(watched.watched_by(person, true, OffsetDateTime::UNIX_EPOCH).is_none());
        assert!(watched.watched_by(person, false, OffsetDateTime::UNIX_EPOCH).is_some_and(|a| a.watchers.is_empty()));
        let update = AssetUpdate {
            name: asset.name,
            fields: vec![AssetField::Weight],
            display_name: "ignored".into(),
            description: String::new(),
            weight: 40,
            assignees: vec![],
            watchers: vec![],
            due_date: None,
            blocked_by: vec![],
            client_visible: true,
            etag: Some("1".into()),
        };
        let next = asset.updated(&update, OffsetDateTime::UNIX_EPOCH).expect("current etag");
        assert_eq!((next.weight, next.display_name.as_str(), next.revision), (40, "Poster", 2));
        assert_eq!(next.updated(&update, OffsetDateTime::UNIX_EPOCH), Err("2".into()));
    }

    fn step(asset: &Asset, transition: Transition, etag: Option<&str>) -> TransitionRequest {
        TransitionRequest { asset: asset.name, transition, etag: etag.map(str::to_string), comment: String::new() }
    }

    #[test]
    fn taking_a_step_moves_to_the_next_revision() {
        let planned = asset();
        let later = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(5);
        let started = planned.take(&step(&planned, T::Start, Some("1")), later).expect("allowed");
        assert_eq!((started.status, started.revision, started.update_time), (S::InProgress, 2, later));
        assert_eq!(started.create_time, planned.create_time);
        assert_eq!(
            started.take(&step(&started, T::Approve, None), later),
            Err(Refusal::IllegalTransition { from: S::InProgress })
        );
        assert_eq!(
            started.take(&step(&started, T::SubmitForReview, Some("1")), later),
            Err(Refusal::EtagMismatch { current: "2".into() })
        );
    }
}
