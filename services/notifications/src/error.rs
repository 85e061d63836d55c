//! The notifications service's errors: each says its kind and reason; `baton_platform::error`
//! maps them.

use baton_platform::error::{Kind, ServiceError, database_kind, database_message};
use baton_platform::names::{NotificationName, PersonName};
use baton_platform::policy::Denial;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error("notification {0} does not exist")]
    NotFound(NotificationName),
    #[error("{recipient} has {limit} notification streams open already; close one first")]
    TooManyStreams { recipient: PersonName, limit: usize },
    #[error(transparent)]
    Denied(#[from] Denial),
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
}

impl ServiceError for NotificationsError {
    fn kind(&self) -> Kind {
        match self {
            NotificationsError::NotFound(_) => Kind::NotFound,
            NotificationsError::Denied(_) => Kind::PermissionDenied,
            NotificationsError::TooManyStreams { .. } => Kind::ResourceExhausted,
            NotificationsError::Database(error) => database_kind(error).0,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            NotificationsError::NotFound(_) => "NOTIFICATION_NOT_FOUND",
            NotificationsError::Denied(denial) => denial.reason,
            NotificationsError::TooManyStreams { .. } => "TOO_MANY_STREAMS",
            NotificationsError::Database(error) => database_kind(error).1,
        }
    }
}

impl From<NotificationsError> for tonic::Status {
    fn from(error: NotificationsError) -> Self {
        baton_platform::error::to_status(&error)
    }
}
