//! People as the service understands them, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use baton_proto::people::v1::PersonRole;

/// A person to create, already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPerson {
    pub display_name: String,
    pub email: String,
    pub role: PersonRole,
}

/// A stored person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    /// The proto name of the role, for example `PERSON_ROLE_DESIGNER`.
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Person {
    /// The resource name, `people/{id}`.
    pub fn name(&self) -> String {
        format!("people/{}", self.id)
    }

    pub fn role(&self) -> PersonRole {
        PersonRole::from_str_name(&self.role).unwrap_or(PersonRole::Unspecified)
    }
}

/// One page of people.
#[derive(Debug, Clone)]
pub struct PersonPage {
    pub people: Vec<Person>,
    pub next_page_token: String,
}

/// What to list.
#[derive(Debug, Clone)]
pub struct PersonQuery {
    pub role: Option<PersonRole>,
    pub limit: i64,
    pub after: Option<Uuid>,
}
