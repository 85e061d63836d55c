//! Baton's one error vocabulary: what kind of failure an error is, the `tonic::Status` each kind
//! becomes (always with a `google.rpc.ErrorInfo` carrying an UPPER_SNAKE reason and the domain
//! `baton.dev`; `BadRequest` field violations for invalid arguments), and the classification of
//! database and upstream failures.
//!
//! A service does not map its errors to gRPC codes itself: its error enum implements
//! [`ServiceError`] (a [`Kind`] and a reason per variant, the client message as `Display`) and the
//! gRPC edge converts with [`to_status`]. Internal failures never show their text to the client.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// The `ErrorInfo.domain` of every Baton error.
pub const ERROR_DOMAIN: &str = "baton.dev";

/// What kind of failure an error is: decides the gRPC code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request is malformed; the message names the field and the rule.
    InvalidArgument,
    /// The resource does not exist (or the caller may not know it does).
    NotFound,
    /// The resource to create exists already.
    AlreadyExists,
    /// The resource is in the wrong state for this call.
    FailedPrecondition,
    /// A concurrent change got there first (etag mismatch, serialization failure): read and retry.
    Aborted,
    /// The caller is known but may not do this.
    PermissionDenied,
    /// The caller used up a limit (streams, rate): retry later.
    ResourceExhausted,
    /// The caller is not known.
    Unauthenticated,
    /// A dependency (database, broker, another service) is down: retry later.
    Unavailable,
    /// A bug or a broken invariant: the message is logged, never sent.
    Internal,
}

impl Kind {
    pub fn code(self) -> Code {
        match self {
            Kind::InvalidArgument => Code::InvalidArgument,
            Kind::NotFound => Code::NotFound,
            Kind::AlreadyExists => Code::AlreadyExists,
            Kind::FailedPrecondition => Code::FailedPrecondition,
            Kind::Aborted => Code::Aborted,
            Kind::PermissionDenied => Code::PermissionDenied,
            Kind::ResourceExhausted => Code::ResourceExhausted,
            Kind::Unauthenticated => Code::Unauthenticated,
            Kind::Unavailable => Code::Unavailable,
            Kind::Internal => Code::Internal,
        }
    }
}

/// A service's error: each variant says what kind of failure it is and its reason; `Display` is
/// the message a client reads (never shown for [`Kind::Internal`]).
pub trait ServiceError: std::error::Error + 'static {
    fn kind(&self) -> Kind;
    /// The `ErrorInfo.reason`, UPPER_SNAKE, stable for clients to match on.
    fn reason(&self) -> &'static str;
}

/// The one mapping of an error to the status a client receives.
pub fn to_status(error: &dyn ServiceError) -> Status {
    let kind = error.kind();
    match kind {
        Kind::Internal => {
            tracing::error!(reason = error.reason(), error = %ErrorChain(error), "internal error");
            status(Code::Internal, error.reason(), "internal error")
        }
        Kind::Unavailable => {
            tracing::warn!(reason = error.reason(), error = %ErrorChain(error), "dependency unavailable");
            status(Code::Unavailable, error.reason(), error.to_string())
        }
        kind => status(kind.code(), error.reason(), error.to_string()),
    }
}

/// The kind and reason of a database failure: unreachable or exhausted is UNAVAILABLE, a
/// serialization conflict ABORTED (retry), anything else INTERNAL.
pub fn database_kind(error: &sqlx::Error) -> (Kind, &'static str) {
    match crate::db::classify(error) {
        crate::db::DbFailure::Unavailable => (Kind::Unavailable, "DATABASE_UNAVAILABLE"),
        crate::db::DbFailure::Conflict => (Kind::Aborted, "CONCURRENT_UPDATE"),
        crate::db::DbFailure::Other => (Kind::Internal, "INTERNAL"),
    }
}

/// The kind and reason of a failed call to another Baton service: the codes a caller can act on
/// are kept as UNAVAILABLE, anything else is INTERNAL.
pub fn upstream_kind(status: &Status) -> (Kind, &'static str) {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown => {
            (Kind::Unavailable, "UPSTREAM_UNAVAILABLE")
        }
        _ => (Kind::Internal, "INTERNAL"),
    }
}

/// What a client reads of a database failure (internal ones are never shown).
pub fn database_message(error: &sqlx::Error) -> &'static str {
    match crate::db::classify(error) {
        crate::db::DbFailure::Unavailable => "the database is unavailable; retry later",
        crate::db::DbFailure::Conflict => "a concurrent change conflicted with this call; retry it",
        crate::db::DbFailure::Other => "internal error",
    }
}

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
