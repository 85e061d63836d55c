//! Conversions between the people service's wire types and its domain, used by `grpc` (and by the
//! events the use cases emit) and nothing below it. Requests are parsed here, once: every field
//! is checked and every broken rule becomes one field violation.

use tonic::Status;

use baton_platform::bounds;
use baton_platform::names::PersonName;
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::people::v1 as pb;

use crate::domain::{NewPerson, Person, PersonQuery, PersonRole};

pub fn person(person: &Person) -> pb::Person {
    pb::Person {
        name: person.name.to_string(),
        display_name: person.display_name.clone(),
        email: person.email.clone(),
        role: role(person.role) as i32,
        create_time: Some(timestamp(person.create_time)),
        update_time: Some(timestamp(person.update_time)),
        etag: person.etag(),
        state: pb::PersonState::from_str_name(person.state.as_str()).unwrap_or_default() as i32,
    }
}

pub fn role(role: PersonRole) -> pb::PersonRole {
    pb::PersonRole::from_str_name(role.as_str()).unwrap_or(pb::PersonRole::Unspecified)
}

/// A role sent by a client: unspecified is `None`, an unknown value is refused.
fn parse_optional_role(value: i32) -> Result<Option<PersonRole>, String> {
    match pb::PersonRole::try_from(value) {
        Ok(pb::PersonRole::Unspecified) => Ok(None),
        Ok(wire) => {
            PersonRole::from_name(wire.as_str_name()).map(Some).ok_or_else(|| format!("{value} is not a known value"))
        }
        Err(_) => Err(format!("{value} is not a known value")),
    }
}

/// Validates a CreatePerson request into the person to create and its request id.
#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreatePersonRequest) -> Result<Idempotent<NewPerson>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = match v.required("person", request.person) {
        None => None,
        Some(person) => {
            let display_name =
                v.check("person.display_name", validate::required_text(&person.display_name, bounds::NAME));
            let email = v.check("person.email", validate::email(&person.email));
            let role = v.check(
                "person.role",
                parse_optional_role(person.role).and_then(|role| role.ok_or_else(|| "is required".to_string())),
            );
            match (display_name, email, role) {
                (Some(display_name), Some(email), Some(role)) => Some(NewPerson { display_name, email, role }),
                _ => None,
            }
        }
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetPersonRequest) -> Result<PersonName, Status> {
    validate::single("name", PersonName::parse(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListPeopleRequest) -> Result<PersonQuery, Status> {
    let mut v = Violations::new();
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let role = v.check("role", parse_optional_role(request.role));
    let query = match (limit, after, role) {
        (Some(limit), Some(after), Some(role)) => Some(PersonQuery { role, limit, after }),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_state_change(name: &str, request_id: &str) -> Result<Idempotent<PersonName>, Status> {
    let mut v = Violations::new();
    let person = v.check("name", PersonName::parse(name));
    let request_id = v.check("request_id", validate::request_id(request_id));
    v.finish_idempotent(person, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_reports_every_bad_field() {
        let status = parse_create(pb::CreatePersonRequest {
            person: Some(pb::Person { display_name: " ".into(), email: "nope".into(), role: 0, ..Default::default() }),
            request_id: "x".into(),
        })
        .expect_err("invalid");
        let message = status.message();
        for field in ["person.display_name", "person.email", "person.role", "request_id"] {
            assert!(message.contains(field), "{field} missing from {message}");
        }
    }

    #[test]
    fn create_normalises_valid_input() {
        let create = parse_create(pb::CreatePersonRequest {
            person: Some(pb::Person {
                display_name: " Ana López ".into(),
                email: "Ana@Example.com".into(),
                role: pb::PersonRole::Designer as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect("valid");
        assert_eq!(create.value.display_name, "Ana López");
        assert_eq!(create.value.email, "ana@example.com");
        assert_eq!(create.value.role, PersonRole::Designer);
        assert_eq!(create.request_id, None);
    }

    #[test]
    fn every_role_has_a_wire_value() {
        for value in PersonRole::ALL {
            assert_eq!(parse_optional_role(role(*value) as i32), Ok(Some(*value)));
        }
        assert_eq!(parse_optional_role(0), Ok(None));
        assert!(parse_optional_role(99).is_err());
    }
}
