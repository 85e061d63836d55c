//! Input validation at the gRPC edge: rules that return a description of what is wrong, and a
//! collector that turns every broken rule into one `BadRequest` field violation.

use tonic::Status;
use tonic_types::FieldViolation;
use uuid::Uuid;

use crate::bounds;

/// Collects the field violations of one request.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation of `field`.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Keeps the value of a rule that held, or records the violation and returns `None`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(description) => {
                self.add(field, description);
                None
            }
        }
    }

    /// Keeps a message field that is present, or records that `field` is required.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "is required");
        }
        value
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// INVALID_ARGUMENT listing every violation, or `Ok` when there were none.
    #[allow(clippy::result_large_err)]
    pub fn finish(self) -> Result<(), Status> {
        if self.0.is_empty() { Ok(()) } else { Err(crate::error::invalid_argument(self.0)) }
    }

    /// Like [`finish_with`](Self::finish_with), for a mutation: the value with its request id
    /// (checked with [`request_id`]).
    #[allow(clippy::result_large_err)]
    pub fn finish_idempotent<T>(
        self,
        value: Option<T>,
        request_id: Option<Option<Uuid>>,
    ) -> Result<Idempotent<T>, Status> {
        let value = self.finish_with(value)?;
        Ok(Idempotent { value, request_id: request_id.flatten() })
    }

    /// Like [`finish`](Self::finish), and hands back the value built from the checked fields.
    /// `value` is only `None` when a violation was recorded.
    #[allow(clippy::result_large_err)]
    pub fn finish_with<T>(self, value: Option<T>) -> Result<T, Status> {
        match (self.finish(), value) {
            (Ok(()), Some(value)) => Ok(value),
            (Err(status), _) => Err(status),
            (Ok(()), None) => {
                Err(crate::error::invalid_argument(vec![FieldViolation::new("request", "is incomplete")]))
            }
        }
    }
}

/// A request of one field: its value, or INVALID_ARGUMENT naming the field and the rule.
#[allow(clippy::result_large_err)]
pub fn single<T>(field: &str, result: Result<T, String>) -> Result<T, Status> {
    let mut v = Violations::new();
    let value = v.check(field, result);
    v.finish_with(value)
}

/// Required text: trimmed, not empty, at most `max` characters.
pub fn required_text(value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("is required".into());
    }
    optional_text(value, max)
}

/// Optional text: trimmed, at most `max` characters, no control characters but newlines and tabs.
pub fn optional_text(value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    let length = value.chars().count();
    if length > max {
        return Err(format!("must be at most {max} characters (got {length})"));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err("must not contain control characters".into());
    }
    Ok(value.to_string())
}

/// An email address: one `@` with text on both sides, a dot in the domain, at most
/// [`bounds::EMAIL`] bytes, no spaces. Stored lower-cased.
pub fn email(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("is required".into());
    }
    if value.len() > bounds::EMAIL {
        return Err(format!("must be at most {} characters", bounds::EMAIL));
    }
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid { Ok(value.to_ascii_lowercase()) } else { Err("must be an email address such as ana@example.com".into()) }
}

/// A resource name made of `collection/{uuid}` segments, for example `["projects", "assets"]`
/// for `projects/{uuid}/assets/{uuid}`. Returns the ids in order. One form only: each id is a
/// lowercase hyphenated UUID, as Baton writes them (not `urn:uuid:…`, braces, 32 bare hex
/// digits or capitals), so that one resource has one name.
pub fn resource_name(value: &str, collections: &[&str]) -> Result<Vec<Uuid>, String> {
    let pattern = collections.iter().map(|c| format!("{c}/{{id}}")).collect::<Vec<_>>().join("/");
    let expected = || {
        if value.is_empty() {
            "is required".to_string()
        } else {
            format!("must be a resource name of the form {pattern}, each id a lowercase hyphenated UUID")
        }
    };
    let parts: Vec<&str> = value.split('/').collect();
    if parts.len() != collections.len() * 2 {
        return Err(expected());
    }
    let mut ids = Vec::with_capacity(collections.len());
    for (pair, collection) in parts.chunks(2).zip(collections) {
        if pair[0] != *collection {
            return Err(expected());
        }
        let id = Uuid::try_parse(pair[1]).map_err(|_| expected())?;
        if id.hyphenated().encode_lower(&mut Uuid::encode_buffer()) != pair[1] {
            return Err(expected());
        }
        ids.push(id);
    }
    Ok(ids)
}

/// A single-segment resource name such as `people/{uuid}`.
pub fn resource_id(value: &str, collection: &str) -> Result<Uuid, String> {
    resource_name(value, &[collection]).map(|ids| ids[0])
}

/// A parsed mutation request and its optional `request_id` (AIP-155).
#[derive(Debug, Clone, PartialEq)]
pub struct Idempotent<T> {
    pub value: T,
    pub request_id: Option<Uuid>,
}

/// An optional `request_id`: empty, or a UUID.
pub fn request_id(value: &str) -> Result<Option<Uuid>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(value)
        .map(Some)
        .map_err(|_| "must be a UUID, for example 0190f3c2-3b5e-7d41-9a0e-2f9d1c6b8e11".into())
}

/// An enum value that must be set and known.
pub fn known_enum<E: TryFrom<i32>>(value: i32, unspecified: i32) -> Result<E, String> {
    if value == unspecified {
        return Err("is required".into());
    }
    E::try_from(value).map_err(|_| format!("{value} is not a known value"))
}

/// A domain enum from its wire value, through the value's name: the `…_UNSPECIFIED` value is
/// `None`, a value the contract does not have is refused.
pub fn from_wire<D>(
    value: i32,
    wire_name: impl Fn(i32) -> Option<&'static str>,
    from_name: fn(&str) -> Option<D>,
) -> Result<Option<D>, String> {
    match wire_name(value) {
        Some(name) if name.ends_with("_UNSPECIFIED") => Ok(None),
        Some(name) => from_name(name).map(Some).ok_or_else(|| format!("{value} is not a known value")),
        None => Err(format!("{value} is not a known value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(required_text("  Ana  ", 10), Ok("Ana".into()));
        assert_eq!(required_text("   ", 10), Err("is required".into()));
        assert!(required_text("abcdefghijk", 10).unwrap_err().contains("at most 10"));
        assert!(optional_text("a\u{7}b", 10).is_err());
        assert_eq!(optional_text("", 10), Ok(String::new()));
    }

    #[test]
    fn email_rules() {
        assert_eq!(email("Ana@Example.com"), Ok("ana@example.com".into()));
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@b@c.com"] {
            assert!(email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn resource_names() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        assert_eq!(resource_id(&format!("people/{a}"), "people"), Ok(a));
        assert_eq!(resource_name(&format!("projects/{a}/assets/{b}"), &["projects", "assets"]), Ok(vec![a, b]));
        assert_eq!(resource_id("", "people"), Err("is required".into()));
        let simple = a.simple().to_string();
        let upper = a.to_string().to_uppercase();
        for bad in [
            format!("persons/{a}"),
            "people/42".into(),
            format!("people/{a}/x"),
            format!("people/{simple}"),
            format!("people/urn:uuid:{a}"),
            format!("people/{{{a}}}"),
            format!("people/{upper}"),
        ] {
            let err = resource_id(&bad, "people").unwrap_err();
            assert!(err.contains("people/{id}"), "{err}");
        }
    }

    #[test]
    fn request_ids() {
        assert_eq!(request_id(""), Ok(None));
        let id = Uuid::new_v4();
        assert_eq!(request_id(&id.to_string()), Ok(Some(id)));
        assert!(request_id("nope").is_err());
    }
}
