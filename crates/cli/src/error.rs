//! What can go wrong, the exit code of each kind of failure, and how a failure reads.
//!
//! The server's rich error details (`google.rpc.BadRequest` field violations, `ErrorInfo`
//! reason) are turned into sentences that name the field, the command-line flag it came from
//! and the rule it broke.

use std::fmt::Write as _;

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The exit codes of `baton`, one per kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Anything else: an internal server error, a local I/O failure.
    Other = 1,
    /// The command line is wrong: an unknown flag, a missing argument, a malformed value.
    Usage = 2,
    /// A person, project, asset or notification does not exist.
    NotFound = 3,
    /// The server refused the input: a field broke a rule.
    Invalid = 4,
    /// The server cannot be reached or is not available right now.
    Unavailable = 5,
    /// The request conflicts with the current state: it already exists, the asset is in the
    /// wrong status, or it changed since it was read.
    Conflict = 6,
    /// The server did not accept the credentials, or they do not allow this.
    Denied = 7,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The text under `baton --help` that documents the exit codes.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other failure (internal server error, local I/O)
  2  usage: unknown flag, missing or malformed argument, ambiguous name
  3  not found: the person, project, asset or notification does not exist
  4  invalid: the server refused a field (the message names the field and the rule)
  5  unavailable: the server cannot be reached, or a service behind it is down
  6  conflict: already exists, wrong status for this step, or changed since read (etag)
  7  denied: the server did not accept the credentials, or they do not allow this";

/// A failure of one `baton` command.
#[derive(Debug)]
pub enum CliError {
    /// The command line cannot be carried out as given.
    Usage(String),
    /// A lookup made by the tool itself (an email, a title) found nothing.
    NotFound(String),
    /// The server could not be reached at all.
    Unreachable { endpoint: String, cause: String },
    /// The server answered with an error.
    Status(Status),
    /// Writing the output failed.
    Io(std::io::Error),
}

impl From<Status> for CliError {
    fn from(status: Status) -> Self {
        Self::Status(status)
    }
}

impl From<std::io::Error> for CliError {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

impl CliError {
    /// The exit code of this failure.
    pub fn exit(&self) -> Exit {
        match self {
            Self::Usage(_) => Exit::Usage,
            Self::NotFound(_) => Exit::NotFound,
            Self::Unreachable { .. } => Exit::Unavailable,
            Self::Io(_) => Exit::Other,
            Self::Status(status) if is_transport_failure(status) => Exit::Unavailable,
            Self::Status(status) => match status.code() {
                Code::NotFound => Exit::NotFound,
                Code::InvalidArgument | Code::OutOfRange => Exit::Invalid,
                Code::Unavailable | Code::DeadlineExceeded => Exit::Unavailable,
                Code::AlreadyExists | Code::FailedPrecondition | Code::Aborted => Exit::Conflict,
                Code::Unauthenticated | Code::PermissionDenied => Exit::Denied,
                _ => Exit::Other,
            },
        }
    }

    /// Whether a closed stdout (`baton ... | head`) caused this; such a failure is silent.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Io(error) if error.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The failure as sentences for stderr, each line starting with `error:` or an indent.
    pub fn render(&self, endpoint: &str) -> String {
        match self {
            Self::Usage(message) | Self::NotFound(message) => format!("error: {message}"),
            Self::Unreachable { endpoint, cause } => unreachable_line(endpoint, cause),
            Self::Io(error) => format!("error: cannot write the output: {error}"),
            Self::Status(status) => render_status(status, endpoint),
        }
    }
}

fn unreachable_line(endpoint: &str, cause: &str) -> String {
    format!("error: cannot reach the Baton server at {endpoint} ({cause}); is it running, and is --endpoint right?")
}

/// The innermost cause of an error, which is the part a person can act on ("connection
/// refused"), lower-cased at the start like the rest of the line.
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    let text = current.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).trim().to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "no answer".into(),
    }
}

/// The command-line flag a request field comes from, so that a message can say which flag to fix.
fn flag_of(field: &str) -> Option<&'static str> {
    let flag = match field {
        "person.display_name" | "project.display_name" | "asset.display_name" => "--name",
        "person.email" => "--email",
        "person.role" | "member.role" => "--role",
        "project.client" => "--client",
        "project.brief" => "--brief",
        "project.due_date" => "--due",
        "asset.description" => "--description",
        "asset.kind" => "--kind",
        "asset.weight" => "--weight",
        "comment" => "--comment",
        "request_id" => "--request-id",
        "etag" => "--etag",
        field if field.starts_with("asset.assignees") => "--assignee",
        _ => return None,
    };
    Some(flag)
}

fn render_status(status: &Status, endpoint: &str) -> String {
    let details = status.get_error_details();
    let reason = details.error_info().map(|info| info.reason.clone()).filter(|r| !r.is_empty());
    if status.code() == Code::InvalidArgument
        && let Some(bad_request) = details.bad_request()
        && !bad_request.field_violations.is_empty()
    {
        let sentences: Vec<String> = bad_request
            .field_violations
            .iter()
            .map(|violation| match flag_of(&violation.field) {
                Some(flag) => format!("{} ({flag}) {}", violation.field, violation.description),
                None => format!("{} {}", violation.field, violation.description),
            })
            .collect();
        if let [only] = sentences.as_slice() {
            return format!("error: the server refused the request: {only}");
        }
        let mut text = String::from("error: the server refused the request:");
        for sentence in sentences {
            let _ = write!(text, "\n  {sentence}");
        }
        return text;
    }
    match status.code() {
        _ if is_transport_failure(status) => {
            let cause = status_cause(status);
            unreachable_line(endpoint, &cause)
        }
        Code::DeadlineExceeded if reason.is_none() => {
            format!("error: the Baton server at {endpoint} did not answer in time")
        }
        Code::Unauthenticated => format!(
            "error: the server at {endpoint} did not accept the credentials: {} ({})\n  \
             pass your token with --token or BATON_TOKEN; without one, the tool signs development \
             tokens, which only a server in development mode accepts",
            status.message().trim_end_matches('.'),
            reason.as_deref().unwrap_or("UNAUTHENTICATED")
        ),
        Code::Unimplemented => format!(
            "error: the server at {endpoint} does not run the service this command needs \
             (start it with --target all, or point --endpoint at one that does)"
        ),
        _ => {
            let message = status.message().trim_end_matches('.');
            let message = if message.is_empty() { "the server refused the request" } else { message };
            match reason {
                Some(reason) => format!("error: {message} ({reason})"),
                None => format!("error: {message}"),
            }
        }
    }
}

/// Whether the transport failed (the connection was refused, cut, or its TLS handshake
/// failed), not the server's logic: such a status carries no ErrorInfo.
fn is_transport_failure(status: &Status) -> bool {
    // A status made on this side from a transport error carries it as its source (an HTTP/2
    // protocol error is INTERNAL); one the server sent never has a source.
    let local = std::error::Error::source(status).is_some();
    (local || matches!(status.code(), Code::Unavailable | Code::Unknown | Code::Cancelled))
        && status.get_error_details().error_info().is_none_or(|info| info.reason.is_empty())
}

/// The cause of a transport failure carried in a status.
fn status_cause(status: &Status) -> String {
    match std::error::Error::source(status) {
        Some(source) => root_cause(source),
        None if !status.message().is_empty() => status.message().to_lowercase(),
        None => "no answer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation};

    #[test]
    fn one_field_violation_reads_as_a_sentence_naming_the_flag() {
        let mut details = ErrorDetails::with_bad_request(vec![FieldViolation::new(
            "person.email",
            "must be an email address such as ana@example.com",
        )]);
        details.set_error_info("INVALID_ARGUMENT", "baton.dev", std::collections::HashMap::<String, String>::new());
        let status = Status::with_error_details(Code::InvalidArgument, "invalid request", details);
        let error = CliError::from(status);
        assert_eq!(error.exit(), Exit::Invalid);
        assert_eq!(
            error.render("http://x"),
            "error: the server refused the request: person.email (--email) must be an email address such as \
             ana@example.com"
        );
    }

    #[test]
    fn reason_follows_the_message() {
        let details = ErrorDetails::with_error_info(
            "ILLEGAL_TRANSITION",
            "baton.dev",
            std::collections::HashMap::<String, String>::new(),
        );
        let status = Status::with_error_details(Code::FailedPrecondition, "ApproveAsset needs IN_REVIEW", details);
        let error = CliError::from(status);
        assert_eq!(error.exit(), Exit::Conflict);
        assert_eq!(error.render("http://x"), "error: ApproveAsset needs IN_REVIEW (ILLEGAL_TRANSITION)");
    }

    #[test]
    fn a_transport_failure_names_the_endpoint() {
        let error = CliError::from(Status::unavailable("tcp connect error"));
        assert_eq!(error.exit(), Exit::Unavailable);
        let text = error.render("http://127.0.0.1:1");
        assert!(text.starts_with("error: cannot reach the Baton server at http://127.0.0.1:1"), "{text}");
        assert_eq!(text.lines().count(), 1);
    }
}
