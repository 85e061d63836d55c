//! The people service's errors and their one mapping to gRPC statuses.

use baton_platform::error as status;
use baton_platform::idempotency::IdempotencyError;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("person {0} not found")]
    NotFound(String),
    #[error("a person with email {0} already exists")]
    EmailTaken(String),
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<PeopleError> for tonic::Status {
    fn from(error: PeopleError) -> Self {
        match &error {
            PeopleError::NotFound(name) => {
                status::not_found("PERSON_NOT_FOUND", format!("person {name} does not exist"))
            }
            PeopleError::EmailTaken(email) => status::already_exists(
                "EMAIL_TAKEN",
                format!("person.email: {email} already belongs to another person"),
            ),
            PeopleError::Idempotency(e) => baton_platform::idempotency::status(e),
            PeopleError::Database(e) => status::database(e),
        }
    }
}
