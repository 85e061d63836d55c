//! The people service's errors: each says its kind and reason; `baton_platform::error` maps them.

use baton_messaging::MutationError;
use baton_platform::error::{Kind, ServiceError, database_kind, database_message, upstream_kind};
use baton_platform::names::{AllocationName, PersonName, ProjectName, TeamName, TimeOffName};
use baton_platform::policy::Denial;

use crate::domain::team::Department;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("person {0} does not exist")]
    NotFound(PersonName),
    #[error("person.email: {0} already belongs to another person")]
    EmailTaken(String),
    #[error("person {person} is {state} already")]
    AlreadyInState { person: PersonName, state: &'static str },
    #[error("person {person} changed since it was read: its etag is now \"{current}\"")]
    StalePerson { person: PersonName, current: String },
    #[error("person {0} is deactivated: they take no new team place or allocation")]
    Deactivated(PersonName),
    #[error("{0} is changing under many writers at once; retry")]
    Contended(String),
    #[error("team {0} does not exist")]
    TeamNotFound(TeamName),
    #[error("team.display_name: a team named \"{0}\" exists already")]
    TeamNameTaken(String),
    #[error("team.department: the {0} department has its team already")]
    DepartmentTaken(Department),
    #[error("team {team} changed since it was read: its etag is now \"{current}\"")]
    StaleTeam { team: TeamName, current: String },
    #[error("team.members: person {0} does not exist")]
    MemberNotFound(PersonName),
    #[error("time off {0} does not exist")]
    TimeOffNotFound(TimeOffName),
    #[error("allocation {0} does not exist")]
    AllocationNotFound(AllocationName),
    #[error("allocation {allocation} changed since it was read: its etag is now \"{current}\"")]
    StaleAllocation { allocation: AllocationName, current: String },
    #[error("allocation.{0}")]
    AllocationRange(String),
    #[error("person {person} has {open} allocations that have not ended; the most is {max}")]
    TooManyAllocations { person: PersonName, open: usize, max: usize },
    #[error("allocation.project: project {0} does not exist")]
    ProjectNotFound(ProjectName),
    #[error("allocation.project: project {project} is {state}: it takes no new allocations")]
    ProjectClosed { project: ProjectName, state: &'static str },
    #[error("allocations need the projects service, which this server cannot reach (endpoints.projects is not set)")]
    ProjectsUnreachable,
    #[error("the projects service is unavailable; retry later")]
    Upstream(#[source] tonic::Status),
    #[error(transparent)]
    Denied(#[from] Denial),
    #[error(transparent)]
    Mutation(#[from] MutationError),
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
}

impl ServiceError for PeopleError {
    fn kind(&self) -> Kind {
        match self {
            PeopleError::NotFound(_)
            | PeopleError::TeamNotFound(_)
            | PeopleError::MemberNotFound(_)
            | PeopleError::TimeOffNotFound(_)
            | PeopleError::AllocationNotFound(_) => Kind::NotFound,
            PeopleError::EmailTaken(_) | PeopleError::TeamNameTaken(_) | PeopleError::DepartmentTaken(_) => {
                Kind::AlreadyExists
            }
            PeopleError::AlreadyInState { .. }
            | PeopleError::Deactivated(_)
            | PeopleError::TooManyAllocations { .. } => Kind::FailedPrecondition,
            PeopleError::AllocationRange(_) => Kind::InvalidArgument,
            PeopleError::ProjectNotFound(_) => Kind::NotFound,
            PeopleError::ProjectClosed { .. } => Kind::FailedPrecondition,
            PeopleError::ProjectsUnreachable => Kind::Unavailable,
            PeopleError::Upstream(status) => upstream_kind(status).0,
            PeopleError::StalePerson { .. }
            | PeopleError::StaleTeam { .. }
            | PeopleError::StaleAllocation { .. }
            | PeopleError::Contended(_) => Kind::Aborted,
            PeopleError::Denied(_) => Kind::PermissionDenied,
            PeopleError::Mutation(error) => error.kind(),
            PeopleError::Database(error) => database_kind(error).0,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            PeopleError::NotFound(_) | PeopleError::MemberNotFound(_) => "PERSON_NOT_FOUND",
            PeopleError::EmailTaken(_) => "EMAIL_TAKEN",
            PeopleError::AlreadyInState { .. } => "ILLEGAL_STATE_CHANGE",
            PeopleError::StalePerson { .. } | PeopleError::StaleTeam { .. } | PeopleError::StaleAllocation { .. } => {
                "ETAG_MISMATCH"
            }
            PeopleError::Deactivated(_) => "PERSON_DEACTIVATED",
            PeopleError::Contended(_) => "CONCURRENT_UPDATE",
            PeopleError::TeamNotFound(_) => "TEAM_NOT_FOUND",
            PeopleError::TeamNameTaken(_) => "TEAM_NAME_TAKEN",
            PeopleError::DepartmentTaken(_) => "DEPARTMENT_TAKEN",
            PeopleError::TimeOffNotFound(_) => "TIME_OFF_NOT_FOUND",
            PeopleError::AllocationNotFound(_) => "ALLOCATION_NOT_FOUND",
            PeopleError::AllocationRange(_) => "INVALID_ARGUMENT",
            PeopleError::TooManyAllocations { .. } => "TOO_MANY_ALLOCATIONS",
            PeopleError::ProjectNotFound(_) => "PROJECT_NOT_FOUND",
            PeopleError::ProjectClosed { .. } => "PROJECT_CLOSED",
            PeopleError::ProjectsUnreachable => "PROJECTS_UNREACHABLE",
            PeopleError::Upstream(status) => upstream_kind(status).1,
            PeopleError::Denied(denial) => denial.reason,
            PeopleError::Mutation(error) => error.reason(),
            PeopleError::Database(error) => database_kind(error).1,
        }
    }
}

impl From<PeopleError> for tonic::Status {
    fn from(error: PeopleError) -> Self {
        baton_platform::error::to_status(&error)
    }
}
