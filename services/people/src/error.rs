//! The people service's errors: each says its kind and reason; `baton_platform::error` maps them.

use baton_messaging::MutationError;
use baton_platform::error::{Kind, ServiceError, database_kind, database_message};
use baton_platform::names::PersonName;
use baton_platform::policy::Denial;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("person {0} does not exist")]
    NotFound(PersonName),
    #[error("person.email: {0} already belongs to another person")]
    EmailTaken(String),
    #[error("person {person} is {state} already")]
    AlreadyInState { person: PersonName, state: &'static str },
    #[error("person {0} is changing under many writers at once; retry")]
    Contended(PersonName),
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
            PeopleError::NotFound(_) => Kind::NotFound,
            PeopleError::EmailTaken(_) => Kind::AlreadyExists,
            PeopleError::AlreadyInState { .. } => Kind::FailedPrecondition,
            PeopleError::Contended(_) => Kind::Aborted,
            PeopleError::Denied(_) => Kind::PermissionDenied,
            PeopleError::Mutation(error) => error.kind(),
            PeopleError::Database(error) => database_kind(error).0,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            PeopleError::NotFound(_) => "PERSON_NOT_FOUND",
            PeopleError::EmailTaken(_) => "EMAIL_TAKEN",
            PeopleError::AlreadyInState { .. } => "ILLEGAL_STATE_CHANGE",
            PeopleError::Contended(_) => "CONCURRENT_UPDATE",
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
