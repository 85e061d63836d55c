//! The gRPC edge of the people service: each call parsed by `wire`, run by `app`, answered in
//! wire types; errors become statuses through `baton_platform::error`.

use tonic::{Request, Response, Status};

use baton_platform::idempotency::Fingerprint;
use baton_platform::policy::Access;

use baton_platform::Actor;
use baton_proto::people::v1 as pb;
use baton_proto::people::v1::people_service_server::PeopleService;

use crate::app::People;
use crate::wire;

pub struct PeopleApi {
    app: People,
}

impl PeopleApi {
    pub fn new(app: People) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl PeopleService for PeopleApi {
    async fn create_person(
        &self,
        request: Request<pb::CreatePersonRequest>,
    ) -> Result<Response<pb::CreatePersonResponse>, Status> {
        let (actor, fingerprint) = (Actor::of(&request), Fingerprint::of(&request));
        let create = wire::parse_create(request.into_inner())?;
        let person = self.app.create(actor, create.value, fingerprint.key(create.request_id)).await?;
        Ok(Response::new(pb::CreatePersonResponse { person: Some(wire::person(&person)) }))
    }

    async fn get_person(
        &self,
        request: Request<pb::GetPersonRequest>,
    ) -> Result<Response<pb::GetPersonResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::parse_get(request.get_ref())?;
        let person = self.app.get(&access, name).await?;
        Ok(Response::new(pb::GetPersonResponse { person: Some(wire::person(&person)) }))
    }

    async fn list_people(
        &self,
        request: Request<pb::ListPeopleRequest>,
    ) -> Result<Response<pb::ListPeopleResponse>, Status> {
        let query = wire::parse_list(request.get_ref())?;
        let page = self.app.list(query).await?;
        Ok(Response::new(pb::ListPeopleResponse {
            people: page.people.iter().map(wire::person).collect(),
            next_page_token: page.next_page_token,
        }))
    }
}
