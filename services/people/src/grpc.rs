//! The gRPC edge of the people service: validation, conversion, and error mapping.

use tonic::{Request, Response, Status};

use baton_platform::Actor;
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Violations};
use baton_proto::people::v1 as pb;
use baton_proto::people::v1::people_service_server::PeopleService;

use crate::app::People;
use crate::domain::{NewPerson, Person, PersonQuery, PersonRole};

pub struct PeopleApi {
    app: People,
}

impl PeopleApi {
    pub fn new(app: People) -> Self {
        Self { app }
    }
}

impl From<&Person> for pb::Person {
    fn from(person: &Person) -> Self {
        pb::Person {
            name: person.name(),
            display_name: person.display_name.clone(),
            email: person.email.clone(),
            role: person.role() as i32,
            create_time: Some(timestamp(person.create_time)),
            update_time: Some(timestamp(person.update_time)),
            etag: person.revision.to_string(),
        }
    }
}

/// Validates a CreatePerson request into the person to create and its request id.
#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreatePersonRequest) -> Result<(NewPerson, Option<uuid::Uuid>), Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = match request.person {
        None => {
            v.add("person", "is required");
            None
        }
        Some(person) => {
            let display_name = v.check("person.display_name", validate::required_text(&person.display_name, 200));
            let email = v.check("person.email", validate::email(&person.email));
            let role =
                v.check("person.role", validate::known_enum::<PersonRole>(person.role, PersonRole::Unspecified as i32));
            match (display_name, email, role) {
                (Some(display_name), Some(email), Some(role)) => Some(NewPerson { display_name, email, role }),
                _ => None,
            }
        }
    };
    let new = v.finish_with(new)?;
    Ok((new, request_id.flatten()))
}

#[tonic::async_trait]
impl PeopleService for PeopleApi {
    async fn create_person(
        &self,
        request: Request<pb::CreatePersonRequest>,
    ) -> Result<Response<pb::CreatePersonResponse>, Status> {
        let actor = Actor::of(&request);
        let (new, request_id) = parse_create(request.into_inner())?;
        let person = self.app.create(actor, new, request_id).await?;
        Ok(Response::new(pb::CreatePersonResponse { person: Some((&person).into()) }))
    }

    async fn get_person(
        &self,
        request: Request<pb::GetPersonRequest>,
    ) -> Result<Response<pb::GetPersonResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::new();
        let id = v.check("name", validate::resource_id(&request.name, "people"));
        let id = v.finish_with(id)?;
        let person = self.app.get(id).await?;
        Ok(Response::new(pb::GetPersonResponse { person: Some((&person).into()) }))
    }

    async fn list_people(
        &self,
        request: Request<pb::ListPeopleRequest>,
    ) -> Result<Response<pb::ListPeopleResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check("page_size", paging::page_size(request.page_size));
        let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
        let role = match PersonRole::try_from(request.role) {
            Ok(PersonRole::Unspecified) => None,
            Ok(role) => Some(role),
            Err(_) => {
                v.add("role", format!("{} is not a known value", request.role));
                None
            }
        };
        let query = v.finish_with(limit.zip(after).map(|(limit, after)| PersonQuery { role, limit, after }))?;
        let page = self.app.list(query).await?;
        Ok(Response::new(pb::ListPeopleResponse {
            people: page.people.iter().map(pb::Person::from).collect(),
            next_page_token: page.next_page_token,
        }))
    }
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
        let (new, request_id) = parse_create(pb::CreatePersonRequest {
            person: Some(pb::Person {
                display_name: " Ana López ".into(),
                email: "Ana@Example.com".into(),
                role: PersonRole::Designer as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect("valid");
        assert_eq!(new.display_name, "Ana López");
        assert_eq!(new.email, "ana@example.com");
        assert_eq!(request_id, None);
    }
}
