//! Teams: the agency's departments and the ad-hoc teams put together for a piece of work.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use baton_platform::filter::Op;
use baton_platform::names::{PersonName, TeamName};

use super::Stale;

/// The most members one team has.
pub const MAX_MEMBERS: usize = baton_platform::bounds::MEMBERS_PER_TEAM;

baton_platform::named_enum! {
    /// What kind of team a team is.
    pub enum TeamKind {
        Department = "TEAM_KIND_DEPARTMENT",
        AdHoc = "TEAM_KIND_AD_HOC",
    }
}

pub use baton_platform::org::Department;

baton_platform::named_enum! {
    /// A member's role in a team.
    pub enum TeamRole {
        Lead = "TEAM_ROLE_LEAD",
        Member = "TEAM_ROLE_MEMBER",
    }
}

/// A person's place in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub person: PersonName,
    pub role: TeamRole,
}

/// A team to create, already validated: a department team has its department, an ad-hoc team
/// none.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTeam {
    pub display_name: String,
    pub kind: TeamKind,
    pub department: Option<Department>,
    pub description: String,
    pub members: Vec<TeamMember>,
}

/// A stored team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub name: TeamName,
    pub display_name: String,
    pub kind: TeamKind,
    pub department: Option<Department>,
    pub description: String,
    pub members: Vec<TeamMember>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

/// A field of a team that an update may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamField {
    DisplayName,
    Description,
    Members,
}

impl TeamField {
    pub const ALL: [TeamField; 3] = [TeamField::DisplayName, TeamField::Description, TeamField::Members];

    pub fn path(self) -> &'static str {
        match self {
            TeamField::DisplayName => "display_name",
            TeamField::Description => "description",
            TeamField::Members => "members",
        }
    }
}

/// An update of a team, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamUpdate {
    pub name: TeamName,
    pub fields: Vec<TeamField>,
    pub display_name: String,
    pub description: String,
    pub members: Vec<TeamMember>,
    pub etag: Option<String>,
}

/// One condition of a ListTeams filter.
#[derive(Debug, Clone, PartialEq)]
pub enum TeamCondition {
    Kind(Op, TeamKind),
    Department(Op, Department),
    Member(PersonName),
}

impl Team {
    pub fn create(new: NewTeam, name: TeamName, now: OffsetDateTime) -> Self {
        Team {
            name,
            display_name: new.display_name,
            kind: new.kind,
            department: new.department,
            description: new.description,
            members: new.members,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This team after `update` at `now`, at its next revision.
    pub fn updated(&self, update: &TeamUpdate, now: OffsetDateTime) -> Result<Team, Stale> {
        baton_platform::etag::check(update.etag.as_deref(), self.etag()).map_err(|current| Stale { current })?;
        let mut next = self.clone();
        for field in &update.fields {
            match field {
                TeamField::DisplayName => next.display_name = update.display_name.clone(),
                TeamField::Description => next.description = update.description.clone(),
                TeamField::Members => next.members = update.members.clone(),
            }
        }
        next.revision += 1;
        next.update_time = now;
        Ok(next)
    }

    pub fn has_member(&self, person: PersonName) -> bool {
        self.members.iter().any(|m| m.person == person)
    }

    /// The people of this team that `other` does not have.
    pub fn members_missing_from(&self, other: &Team) -> Vec<PersonName> {
        self.members.iter().map(|m| m.person).filter(|person| !other.has_member(*person)).collect()
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn team(members: Vec<TeamMember>) -> Team {
        Team::create(
            NewTeam {
                display_name: "Motion".into(),
                kind: TeamKind::Department,
                department: Some(Department::Motion),
                description: String::new(),
                members,
            },
            TeamName::new(Uuid::now_v7()),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn an_update_replaces_the_named_fields_and_tells_who_joined_and_left() {
        let (ana, ben, eva) =
            (PersonName::new(Uuid::now_v7()), PersonName::new(Uuid::now_v7()), PersonName::new(Uuid::now_v7()));
        let before = team(vec![
            TeamMember { person: ana, role: TeamRole::Lead },
            TeamMember { person: ben, role: TeamRole::Member },
        ]);
        let update = TeamUpdate {
            name: before.name,
            fields: vec![TeamField::Members],
            display_name: "ignored".into(),
            description: String::new(),
            members: vec![
                TeamMember { person: ana, role: TeamRole::Lead },
                TeamMember { person: eva, role: TeamRole::Member },
            ],
            etag: Some("1".into()),
        };
        let after = before.updated(&update, OffsetDateTime::UNIX_EPOCH).expect("current etag");
        assert_eq!((after.display_name.as_str(), after.revision), ("Motion", 2));
        assert_eq!(after.members_missing_from(&before), vec![eva]);
        assert_eq!(before.members_missing_from(&after), vec![ben]);
        assert_eq!(after.updated(&update, OffsetDateTime::UNIX_EPOCH), Err(Stale { current: "2".into() }));
    }
}
