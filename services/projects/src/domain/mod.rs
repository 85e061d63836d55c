//! Projects and teams as the service understands them, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use baton_platform::filter::Op;
use baton_platform::names::{ClientName, MemberName, PersonName, ProjectName};

pub mod client;

baton_platform::named_enum! {
    /// Where a project stands.
    pub enum ProjectState {
        Active = "PROJECT_STATE_ACTIVE",
        Archived = "PROJECT_STATE_ARCHIVED",
    }
}

/// A person's role on a project's team: the policy's project roles.
pub use baton_platform::policy::ProjectRole as MemberRole;

/// A project to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    pub display_name: String,
    pub client: ClientName,
    pub brief: String,
    pub due_date: Option<Date>,
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub name: ProjectName,
    pub display_name: String,
    pub client: ClientName,
    pub brief: String,
    pub due_date: Option<Date>,
    pub state: ProjectState,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Project {
    /// A new project as it will be stored: active, at its first revision, created `now`.
    pub fn create(new: NewProject, name: ProjectName, now: OffsetDateTime) -> Self {
        Project {
            name,
            display_name: new.display_name,
            client: new.client,
            brief: new.brief,
            due_date: new.due_date,
            state: ProjectState::Active,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This project after a change of its team at `now`: its next revision. Team changes move
    /// the project's revision so that they are ordered and their events say which came last.
    pub fn next_revision(&self, now: OffsetDateTime) -> Project {
        Project { revision: self.revision + 1, update_time: now, ..self.clone() }
    }

    /// Whether people may join the team: not once the project is archived.
    pub fn admit(&self) -> Result<(), TeamRefusal> {
        if self.state == ProjectState::Archived { Err(TeamRefusal::Archived) } else { Ok(()) }
    }
}

/// Why a team change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRefusal {
    Archived,
}

/// A person on a project's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub name: MemberName,
    pub role: MemberRole,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
}

/// A membership to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    pub project: ProjectName,
    pub person: PersonName,
    pub role: MemberRole,
}

/// One condition of a ListProjects filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectCondition {
    Client(Op, ClientName),
    State(Op, ProjectState),
}

/// A text field of a client that ListClients filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    DisplayName,
    Industry,
}

/// One condition of a ListClients filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCondition {
    pub field: TextField,
    pub op: Op,
    pub value: String,
}

/// A page of anything, with the token for the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        let new = NewProject {
            display_name: "Relaunch".into(),
            client: ClientName::new(uuid::Uuid::now_v7()),
            brief: String::new(),
            due_date: None,
        };
        Project::create(new, ProjectName::new(uuid::Uuid::now_v7()), OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn an_archived_project_takes_no_one() {
        let mut project = project();
        assert_eq!(project.admit(), Ok(()));
        project.state = ProjectState::Archived;
        assert_eq!(project.admit(), Err(TeamRefusal::Archived));
    }

    #[test]
    fn team_changes_move_the_revision() {
        let project = project();
        let later = OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1);
        let next = project.next_revision(later);
        assert_eq!((next.revision, next.update_time, next.create_time), (2, later, project.create_time));
    }
}
