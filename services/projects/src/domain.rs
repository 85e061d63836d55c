//! Projects and teams as the service understands them, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

pub use baton_proto::projects::v1::{ProjectMemberRole, ProjectState};

/// A project to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    pub display_name: String,
    pub client: String,
    pub brief: String,
    pub due_date: Option<Date>,
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: Uuid,
    pub display_name: String,
    pub client: String,
    pub brief: String,
    pub due_date: Option<Date>,
    /// The proto name of the state, for example `PROJECT_STATE_ACTIVE`.
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Project {
    /// The resource name, `projects/{id}`.
    pub fn name(&self) -> String {
        format!("projects/{}", self.id)
    }

    pub fn state(&self) -> ProjectState {
        ProjectState::from_str_name(&self.state).unwrap_or(ProjectState::Unspecified)
    }
}

/// A person on a project's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub project_id: Uuid,
    pub person_id: Uuid,
    /// The proto name of the role, for example `PROJECT_MEMBER_ROLE_LEAD`.
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    pub seq: i64,
}

impl Member {
    /// The resource name, `projects/{project}/members/{person}`.
    pub fn name(&self) -> String {
        format!("projects/{}/members/{}", self.project_id, self.person_id)
    }

    pub fn person(&self) -> String {
        format!("people/{}", self.person_id)
    }

    pub fn role(&self) -> ProjectMemberRole {
        ProjectMemberRole::from_str_name(&self.role).unwrap_or(ProjectMemberRole::Unspecified)
    }
}

/// A membership to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMember {
    pub project_id: Uuid,
    pub person_id: Uuid,
    pub role: ProjectMemberRole,
}

/// A page of anything, with the token for the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: String,
}
