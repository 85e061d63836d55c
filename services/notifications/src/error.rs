//! The notifications service's errors and their one mapping to gRPC statuses.

use baton_platform::error as status;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error("notification {0} not found")]
    NotFound(String),
    #[error("{actor} may not act on the notifications of {recipient}")]
    NotRecipient { actor: String, recipient: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<NotificationsError> for tonic::Status {
    fn from(error: NotificationsError) -> Self {
        match &error {
            NotificationsError::NotFound(name) => {
                status::not_found("NOTIFICATION_NOT_FOUND", format!("notification {name} does not exist"))
            }
            NotificationsError::NotRecipient { actor, recipient } => status::permission_denied(
                "NOT_RECIPIENT",
                format!("{actor} may not read or change the notifications of {recipient}"),
            ),
            NotificationsError::Database(e) => status::database(e),
        }
    }
}
