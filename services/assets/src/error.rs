//! The assets service's errors and their one mapping to gRPC statuses.

use baton_platform::error as status;
use baton_platform::idempotency::IdempotencyError;

use crate::domain::{AssetStatus, Transition};

#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    #[error("asset {0} not found")]
    AssetNotFound(String),
    #[error("project {0} not found")]
    ProjectNotFound(String),
    #[error("{field}: person {name} not found")]
    PersonNotFound { field: String, name: String },
    #[error("{method} is not allowed when {asset} is {from:?}")]
    IllegalTransition { asset: String, method: &'static str, from: AssetStatus, transition: Transition },
    #[error("etag mismatch on {asset}")]
    EtagMismatch { asset: String, current: String },
    #[error("{service} service: {status}")]
    Upstream { service: &'static str, status: tonic::Status },
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<AssetsError> for tonic::Status {
    fn from(error: AssetsError) -> Self {
        match &error {
            AssetsError::AssetNotFound(name) => {
                status::not_found("ASSET_NOT_FOUND", format!("asset {name} does not exist"))
            }
            AssetsError::ProjectNotFound(name) => {
                status::not_found("PROJECT_NOT_FOUND", format!("parent: project {name} does not exist"))
            }
            AssetsError::PersonNotFound { field, name } => {
                status::not_found("PERSON_NOT_FOUND", format!("{field}: person {name} does not exist"))
            }
            AssetsError::IllegalTransition { asset, method, from, transition } => {
                let allowed =
                    transition.allowed_from().iter().map(|s| s.as_str_name()).collect::<Vec<_>>().join(" or ");
                status::failed_precondition(
                    "ILLEGAL_TRANSITION",
                    format!("{method} needs the asset in {allowed}, but {asset} is {}", from.as_str_name()),
                )
            }
            AssetsError::EtagMismatch { asset, current } => status::aborted(
                "ETAG_MISMATCH",
                format!("etag: {asset} has changed (its etag is now {current}); read it again and retry"),
            ),
            AssetsError::Upstream { service, status: upstream } => status::upstream(service, upstream),
            AssetsError::Idempotency(e) => baton_platform::idempotency::status(e),
            AssetsError::Database(e) => status::database(e),
        }
    }
}
