//! The acting person of a call.
//!
//! Until authentication lands, callers name themselves in the `x-baton-actor: people/{id}`
//! metadata entry. [`interceptor`] reads it once per call into the request's extensions, where
//! handlers find it with [`Actor::of`]; a token's subject can replace the source later without
//! touching the handlers.

use tonic::{Request, Status};
use uuid::Uuid;

use crate::error::unauthenticated;
use crate::names::PersonName;

/// The metadata key naming the acting person.
pub const ACTOR_METADATA_KEY: &str = "x-baton-actor";

/// The person on whose behalf a call is made, if the caller said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Actor(Option<Uuid>);

impl Actor {
    /// A known person.
    pub fn of_person(id: Uuid) -> Self {
        Self(Some(id))
    }

    /// Nobody the server knows of.
    pub fn anonymous() -> Self {
        Self(None)
    }

    /// The acting person of a request, as the interceptor recorded it.
    pub fn of<T>(request: &Request<T>) -> Self {
        request.extensions().get::<Actor>().copied().unwrap_or_default()
    }

    pub fn id(self) -> Option<Uuid> {
        self.0
    }

    /// The acting person, if known.
    pub fn person(self) -> Option<PersonName> {
        self.0.map(PersonName::new)
    }

    /// The person's resource name, `people/{id}`, or an empty string when unknown (as events
    /// and notifications carry it).
    pub fn resource_name(self) -> String {
        self.person().map(|person| person.to_string()).unwrap_or_default()
    }
}

/// Reads `x-baton-actor` into the request's extensions. A malformed value is UNAUTHENTICATED.
#[allow(clippy::result_large_err)]
pub fn interceptor(mut request: Request<()>) -> Result<Request<()>, Status> {
    let actor = match request.metadata().get(ACTOR_METADATA_KEY) {
        None => Actor::anonymous(),
        Some(value) => {
            let parsed = value
                .to_str()
                .ok()
                .and_then(|text| text.trim().strip_prefix("people/"))
                .and_then(|id| Uuid::parse_str(id).ok());
            match parsed {
                Some(id) => Actor::of_person(id),
                None => {
                    return Err(unauthenticated(
                        "INVALID_ACTOR",
                        "the x-baton-actor metadata must be a person's resource name, people/{uuid}",
                    ));
                }
            }
        }
    };
    request.extensions_mut().insert(actor);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_valid_actor() {
        let id = Uuid::now_v7();
        let mut request = Request::new(());
        request.metadata_mut().insert(ACTOR_METADATA_KEY, format!("people/{id}").parse().expect("ascii"));
        let request = interceptor(request).expect("accepted");
        assert_eq!(Actor::of(&request), Actor::of_person(id));
        assert_eq!(Actor::of(&request).resource_name(), format!("people/{id}"));
    }

    #[test]
    fn missing_actor_is_anonymous() {
        let request = interceptor(Request::new(())).expect("accepted");
        assert_eq!(Actor::of(&request), Actor::anonymous());
        assert_eq!(Actor::of(&request).resource_name(), "");
    }

    #[test]
    fn malformed_actor_is_unauthenticated() {
        let mut request = Request::new(());
        request.metadata_mut().insert(ACTOR_METADATA_KEY, "bob".parse().expect("ascii"));
        let status = interceptor(request).expect_err("rejected");
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }
}
