//! People as the service understands them, independent of the wire and the database.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::PersonName;

baton_platform::named_enum! {
    /// What a person does at the agency (or for a client).
    pub enum PersonRole {
        Producer = "PERSON_ROLE_PRODUCER",
        Designer = "PERSON_ROLE_DESIGNER",
        Animator = "PERSON_ROLE_ANIMATOR",
        AudioEngineer = "PERSON_ROLE_AUDIO_ENGINEER",
        VideoEngineer = "PERSON_ROLE_VIDEO_ENGINEER",
        WebDeveloper = "PERSON_ROLE_WEB_DEVELOPER",
        DatabaseDeveloper = "PERSON_ROLE_DATABASE_DEVELOPER",
        Engineer = "PERSON_ROLE_ENGINEER",
        Copywriter = "PERSON_ROLE_COPYWRITER",
        ClientContact = "PERSON_ROLE_CLIENT_CONTACT",
        Other = "PERSON_ROLE_OTHER",
    }
}

baton_platform::named_enum! {
    /// Whether a person can take new work.
    pub enum PersonState {
        Active = "PERSON_STATE_ACTIVE",
        Deactivated = "PERSON_STATE_DEACTIVATED",
    }
}

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
    pub name: PersonName,
    pub display_name: String,
    pub email: String,
    pub role: PersonRole,
    pub state: PersonState,
    #[serde(with = "time::serde::rfc3339")]
    pub create_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub update_time: OffsetDateTime,
    pub revision: i64,
}

impl Person {
    /// A new person as they will be stored: at their first revision, created `now`.
    pub fn create(new: NewPerson, name: PersonName, now: OffsetDateTime) -> Self {
        Person {
            name,
            display_name: new.display_name,
            email: new.email,
            role: new.role,
            state: PersonState::Active,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }

    pub fn etag(&self) -> String {
        self.revision.to_string()
    }

    /// This person in `state` at `now`, at their next revision; `Err` when they are in it already.
    pub fn in_state(&self, state: PersonState, now: OffsetDateTime) -> Result<Person, PersonState> {
        if self.state == state {
            return Err(self.state);
        }
        Ok(Person { state, revision: self.revision + 1, update_time: now, ..self.clone() })
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
