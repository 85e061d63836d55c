//! Building `tonic::Status` values with rich error details (`google.rpc.ErrorInfo`, `BadRequest`),
//! and classifying database failures. Each service maps its own error enum through these helpers.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The `ErrorInfo.domain` of every Baton error.
pub const ERROR_DOMAIN: &str = "baton.dev";

/// A status with an `ErrorInfo` carrying `reason`.
pub fn status(code: Code, reason: &str, message: impl Into<String>) -> Status {
    let details =
        ErrorDetails::with_error_info(reason, ERROR_DOMAIN, std::collections::HashMap::<String, String>::new());
    Status::with_error_details(code, message, details)
}

/// INVALID_ARGUMENT with a `BadRequest` field violation per bad field.
pub fn invalid_argument(violations: Vec<FieldViolation>) -> Status {
    let message = violations.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ");
    let mut details = ErrorDetails::with_bad_request(violations);
    details.set_error_info("INVALID_ARGUMENT", ERROR_DOMAIN, std::collections::HashMap::<String, String>::new());
    Status::with_error_details(Code::InvalidArgument, format!("invalid request: {message}"), details)
}

pub fn not_found(reason: &str, message: impl Into<String>) -> Status {
    status(Code::NotFound, reason, message)
}

pub fn already_exists(reason: &str, message: impl Into<String>) -> Status {
    status(Code::AlreadyExists, reason, message)
}

pub fn failed_precondition(reason: &str, message: impl Into<String>) -> Status {
    status(Code::FailedPrecondition, reason, message)
}

pub fn aborted(reason: &str, message: impl Into<String>) -> Status {
    status(Code::Aborted, reason, message)
}

pub fn unauthenticated(reason: &str, message: impl Into<String>) -> Status {
    status(Code::Unauthenticated, reason, message)
}

pub fn permission_denied(reason: &str, message: impl Into<String>) -> Status {
    status(Code::PermissionDenied, reason, message)
}

pub fn unavailable(reason: &str, message: impl Into<String>) -> Status {
    status(Code::Unavailable, reason, message)
}

/// INTERNAL with a generic message; the cause is logged with its chain, never sent.
pub fn internal(error: &(dyn std::error::Error + 'static)) -> Status {
    tracing::error!(error = %ErrorChain(error), "internal error");
    status(Code::Internal, "INTERNAL", "internal error")
}

/// Maps a database failure: unreachable or exhausted is UNAVAILABLE, a serialization conflict is
/// ABORTED (retry), anything else INTERNAL.
pub fn database(error: &sqlx::Error) -> Status {
    match crate::db::classify(error) {
        crate::db::DbFailure::Unavailable => {
            tracing::warn!(error = %ErrorChain(error), "database unavailable");
            unavailable("DATABASE_UNAVAILABLE", "the database is unavailable; retry later")
        }
        crate::db::DbFailure::Conflict => {
            aborted("CONCURRENT_UPDATE", "a concurrent change conflicted with this call; retry it")
        }
        crate::db::DbFailure::Other => internal(error),
    }
}

/// Maps a failed call to another Baton service, keeping the codes a caller can act on.
pub fn upstream(service: &str, status: &Status) -> Status {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
            tracing::warn!(service, code = ?status.code(), message = status.message(), "upstream call failed");
            unavailable("UPSTREAM_UNAVAILABLE", format!("the {service} service is unavailable; retry later"))
        }
        _ => {
            tracing::error!(service, code = ?status.code(), message = status.message(), "upstream call failed");
            Status::new(Code::Internal, "internal error")
        }
    }
}

/// Displays an error with its whole `source()` chain: `outer: inner: root`.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_lists_every_field() {
        let status = invalid_argument(vec![
            FieldViolation::new("person.email", "must be an email address"),
            FieldViolation::new("person.display_name", "is required"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("person.email: must be an email address"));
        let details = status.get_error_details();
        let bad_request = details.bad_request().expect("bad request details");
        assert_eq!(bad_request.field_violations.len(), 2);
        assert_eq!(details.error_info().expect("error info").reason, "INVALID_ARGUMENT");
    }
}
