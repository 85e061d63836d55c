//! The projects service's errors and their one mapping to gRPC statuses.

use baton_platform::error as status;
use baton_platform::idempotency::IdempotencyError;

#[derive(Debug, thiserror::Error)]
pub enum ProjectsError {
    #[error("project {0} not found")]
    ProjectNotFound(String),
    #[error("person {0} not found")]
    PersonNotFound(String),
    #[error("member {0} not found")]
    MemberNotFound(String),
    #[error("{person} is already on project {project}")]
    AlreadyMember { project: String, person: String },
    #[error("project {0} is archived")]
    Archived(String),
    #[error("people service: {0}")]
    People(tonic::Status),
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<ProjectsError> for tonic::Status {
    fn from(error: ProjectsError) -> Self {
        match &error {
            ProjectsError::ProjectNotFound(name) => {
                status::not_found("PROJECT_NOT_FOUND", format!("project {name} does not exist"))
            }
            ProjectsError::PersonNotFound(name) => {
                status::not_found("PERSON_NOT_FOUND", format!("member.person: person {name} does not exist"))
            }
            ProjectsError::MemberNotFound(name) => {
                status::not_found("MEMBER_NOT_FOUND", format!("membership {name} does not exist"))
            }
            ProjectsError::AlreadyMember { project, person } => status::already_exists(
                "ALREADY_MEMBER",
                format!("member.person: {person} is already on the team of {project}"),
            ),
            ProjectsError::Archived(name) => {
                status::failed_precondition("PROJECT_ARCHIVED", format!("project {name} is archived"))
            }
            ProjectsError::People(e) => status::upstream("people", e),
            ProjectsError::Idempotency(e) => baton_platform::idempotency::status(e),
            ProjectsError::Database(e) => status::database(e),
        }
    }
}
