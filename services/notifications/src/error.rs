//! The notifications service's errors: each says its kind and reason; `baton_platform::error`
//! maps them.

use baton_platform::error::{Kind, ServiceError, database_kind, database_message};
use baton_platform::names::{NotificationName, PersonName, ProjectName, TeamName};
use baton_platform::policy::Denial;

use crate::rules::Audience;
use crate::webhooks::WebhookName;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error("notification {0} does not exist")]
    NotFound(NotificationName),
    #[error("{recipient} has {limit} notification streams open already; close one first")]
    TooManyStreams { recipient: PersonName, limit: usize },
    #[error("project {0} does not exist")]
    ProjectNotFound(ProjectName),
    #[error("team {0} does not exist")]
    TeamNotFound(TeamName),
    #[error("{name} changed since it was read: its etag is now {current}")]
    EtagMismatch { name: String, current: String },
    #[error("{name} is mandatory: a project's rule keeps every audience of the agency's, and this one drops {}", dropped_list(.dropped))]
    MandatoryAudience { name: String, dropped: Vec<Audience> },
    #[error("webhook {0} does not exist")]
    WebhookNotFound(WebhookName),
    #[error("webhook {0} exists already")]
    WebhookExists(WebhookName),
    #[error("{owner} has {limit} webhooks already: delete one first")]
    TooManyWebhooks { owner: String, limit: i64 },
    #[error("webhooks are off on this server: its operator sets webhooks.secret_key (BATON_WEBHOOKS__SECRET_KEY)")]
    WebhooksOff,
    #[error("an agency's rule has no override to reset")]
    NotAProjectRule,
    #[error(transparent)]
    Denied(#[from] Denial),
    #[error("{}", database_message(.0))]
    Database(#[from] sqlx::Error),
}

impl ServiceError for NotificationsError {
    fn kind(&self) -> Kind {
        match self {
            NotificationsError::NotFound(_)
            | NotificationsError::ProjectNotFound(_)
            | NotificationsError::WebhookNotFound(_) => Kind::NotFound,
            NotificationsError::WebhookExists(_) => Kind::AlreadyExists,
            NotificationsError::TooManyWebhooks { .. } | NotificationsError::WebhooksOff => Kind::FailedPrecondition,
            NotificationsError::TeamNotFound(_) | NotificationsError::MandatoryAudience { .. } => {
                Kind::FailedPrecondition
            }
            NotificationsError::EtagMismatch { .. } => Kind::Aborted,
            NotificationsError::NotAProjectRule => Kind::Internal,
            NotificationsError::Denied(_) => Kind::PermissionDenied,
            NotificationsError::TooManyStreams { .. } => Kind::ResourceExhausted,
            NotificationsError::Database(error) => database_kind(error).0,
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            NotificationsError::NotFound(_) => "NOTIFICATION_NOT_FOUND",
            NotificationsError::ProjectNotFound(_) => "PROJECT_NOT_FOUND",
            NotificationsError::TeamNotFound(_) => "TEAM_NOT_FOUND",
            NotificationsError::EtagMismatch { .. } => "ETAG_MISMATCH",
            NotificationsError::MandatoryAudience { .. } => "RULE_MANDATORY",
            NotificationsError::NotAProjectRule => "INTERNAL",
            NotificationsError::WebhookNotFound(_) => "WEBHOOK_NOT_FOUND",
            NotificationsError::WebhookExists(_) => "WEBHOOK_EXISTS",
            NotificationsError::TooManyWebhooks { .. } => "TOO_MANY_WEBHOOKS",
            NotificationsError::WebhooksOff => "WEBHOOKS_OFF",
            NotificationsError::Denied(denial) => denial.reason,
            NotificationsError::TooManyStreams { .. } => "TOO_MANY_STREAMS",
            NotificationsError::Database(error) => database_kind(error).1,
        }
    }
}

fn dropped_list(dropped: &[Audience]) -> String {
    dropped.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl From<NotificationsError> for tonic::Status {
    fn from(error: NotificationsError) -> Self {
        baton_platform::error::to_status(&error)
    }
}
