//! The projects service's errors: each says its kind and reason; `baton_platform::error` maps them.

use baton_messaging::MutationError;
use baton_platform::error::{Kind, ServiceError, database_kind, database_message, upstream_kind};
use baton_platform::names::{ClientName, MemberName, MilestoneName, ObstacleName, PersonName, ProjectName};
use baton_platform::policy::Denial;

use crate::domain::ProjectState;
use crate::domain::obstacle::ObstacleState;

#[derive(Debug, thiserror::Error)]
pub enum ProjectsError {
    #[error("project {0} does not exist")]
    ProjectNotFound(ProjectName),
    #[error("member.person: person {0} does not exist")]
    PersonNotFound(PersonName),
    #[error("person {0} is deactivated: they take no new work")]
    PersonDeactivated(PersonName),
    #[error("membership {0} does not exist")]
    MemberNotFound(MemberName),
    #[error("member.person: {person} is already on the team of {project}")]
    AlreadyMember { project: ProjectName, person: PersonName },
    #[error("project {project} is {state}: it takes no one new")]
    Closed { project: ProjectName, state: ProjectState },
    #[error("project {project} is {current}: {needs}")]
    IllegalMove { project: ProjectName, current: ProjectState, needs: String },
    #[error("etag: project {project} changed since it was read (its etag is now {current}); read it again")]
    StaleProject { project: ProjectName, current: String },
    #[error("project {0} is changing under many writers at once; retry")]
    ProjectContended(ProjectName),
    #[error(
        "brief.etag: the brief of {project} changed since it was read (its etag is now {current}); read it again and reapply the change"
    )]
    StaleBrief { project: ProjectName, current: String },
    #[error("obstacle {0} does not exist")]
    ObstacleNotFound(ObstacleName),
    #[error("milestone {0} does not exist")]
    MilestoneNotFound(MilestoneName),
    #[error("etag: milestone {milestone} changed since it was read (its etag is now {current}); read it again")]
    StaleMilestone { milestone: MilestoneName, current: String },
    #[error("obstacle.owner: person {0} does not exist")]
    OwnerNotFound(PersonName),
    #[error("obstacle {obstacle} is {state}")]
    ObstacleState { obstacle: ObstacleName, state: ObstacleState },
    #[error("etag: obstacle {obstacle} changed since it was read (its etag is now {current}); read it again")]
    StaleObstacle { obstacle: ObstacleName, current: String },
    #[error("client {0} does not exist")]
    ClientNotFound(ClientName),
    #[error("project.client: client {0} does not exist")]
    ProjectClientNotFound(ClientName),
    #[error("client.display_name: a client named \"{0}\" exists already (names are compared ignoring case)")]
    ClientNameTaken(String),
    #[error("client.contacts: person {0} does not exist")]
    ContactNotFound(PersonName),
    #[error(
        "client.etag: client {client} changed since it was read (its etag is now {current}); read it again and reapply the change"
    )]
    StaleClient { client: ClientName, current: String },
    #[error("client {0} is changing under many writers at once; retry")]
    ClientContended(ClientName),
    #[error(transparent)]
    Denied(#[from] Denial),
    #[error("the people service is unavailable; retry later")]
    People(#[source] tonic::Status),
    #[error(transparent)]
    Mutation(#[from] MutationError),
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
}

impl ServiceError for ProjectsError {
    fn kind(&self) -> Kind {
        match self {
            ProjectsError::ProjectNotFound(_)
            | ProjectsError::PersonNotFound(_)
            | ProjectsError::MemberNotFound(_)
            | ProjectsError::ClientNotFound(_)
            | ProjectsError::ProjectClientNotFound(_)
            | ProjectsError::ContactNotFound(_)
            | ProjectsError::ObstacleNotFound(_)
            | ProjectsError::MilestoneNotFound(_)
            | ProjectsError::OwnerNotFound(_) => Kind::NotFound,
            ProjectsError::StaleMilestone { .. } => Kind::Aborted,
            ProjectsError::ObstacleState { .. } | ProjectsError::PersonDeactivated(_) => Kind::FailedPrecondition,
            ProjectsError::StaleObstacle { .. } => Kind::Aborted,
            ProjectsError::AlreadyMember { .. } | ProjectsError::ClientNameTaken(_) => Kind::AlreadyExists,
            ProjectsError::StaleClient { .. } | ProjectsError::ClientContended(_) => Kind::Aborted,
            ProjectsError::Closed { .. } | ProjectsError::IllegalMove { .. } => Kind::FailedPrecondition,
            ProjectsError::StaleProject { .. }
            | ProjectsError::ProjectContended(_)
            | ProjectsError::StaleBrief { .. } => Kind::Aborted,
            ProjectsError::Denied(_) => Kind::PermissionDenied,
            ProjectsError::People(status) => upstream_kind(status).0,
            ProjectsError::Mutation(error) => error.kind(),
            ProjectsError::Database(error) => database_kind(error).0,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            ProjectsError::ProjectNotFound(_) => "PROJECT_NOT_FOUND",
            ProjectsError::PersonNotFound(_) => "PERSON_NOT_FOUND",
            ProjectsError::MemberNotFound(_) => "MEMBER_NOT_FOUND",
            ProjectsError::AlreadyMember { .. } => "ALREADY_MEMBER",
            ProjectsError::Closed { .. } => "PROJECT_CLOSED",
            ProjectsError::IllegalMove { .. } => "ILLEGAL_STATE_CHANGE",
            ProjectsError::StaleProject { .. }
            | ProjectsError::StaleBrief { .. }
            | ProjectsError::StaleObstacle { .. } => "ETAG_MISMATCH",
            ProjectsError::ObstacleNotFound(_) => "OBSTACLE_NOT_FOUND",
            ProjectsError::PersonDeactivated(_) => "PERSON_DEACTIVATED",
            ProjectsError::MilestoneNotFound(_) => "MILESTONE_NOT_FOUND",
            ProjectsError::StaleMilestone { .. } => "ETAG_MISMATCH",
            ProjectsError::OwnerNotFound(_) => "PERSON_NOT_FOUND",
            ProjectsError::ObstacleState { .. } => "ILLEGAL_STATE_CHANGE",
            ProjectsError::ProjectContended(_) => "CONCURRENT_UPDATE",
            ProjectsError::ClientNotFound(_) | ProjectsError::ProjectClientNotFound(_) => "CLIENT_NOT_FOUND",
            ProjectsError::ClientNameTaken(_) => "CLIENT_NAME_TAKEN",
            ProjectsError::ContactNotFound(_) => "PERSON_NOT_FOUND",
            ProjectsError::StaleClient { .. } => "ETAG_MISMATCH",
            ProjectsError::ClientContended(_) => "CONCURRENT_UPDATE",
            ProjectsError::Denied(denial) => denial.reason,
            ProjectsError::People(status) => upstream_kind(status).1,
            ProjectsError::Mutation(error) => error.reason(),
            ProjectsError::Database(error) => database_kind(error).1,
        }
    }
}

impl From<ProjectsError> for tonic::Status {
    fn from(error: ProjectsError) -> Self {
        baton_platform::error::to_status(&error)
    }
}
