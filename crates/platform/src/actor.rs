//! The acting person of a call.
//!
//! The authentication layer ([`crate::auth`]) records it in each request's extensions from the
//! caller's token; handlers find it with [`Actor::of`]. A service calling on its own behalf is
//! no person: its calls are anonymous here.

use tonic::Request;
use uuid::Uuid;

use crate::names::PersonName;

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
