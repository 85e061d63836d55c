//! The gRPC edge of the people service: each call parsed by `wire`, run by `app`, answered in
//! wire types; errors become statuses through `baton_platform::error`.

use tonic::{Request, Response, Status};

use baton_platform::idempotency::Origin;
use baton_platform::policy::Access;

use baton_platform::Actor;
use baton_proto::people::v1 as pb;
use baton_proto::people::v1::people_service_server::PeopleService;

use crate::app::People;
use crate::domain::PersonState;
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
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let create = wire::parse_create(request.into_inner())?;
        let person = self.app.create(actor, create.value, origin.with_request_id(create.request_id)).await?;
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

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        let r = request.get_ref();
        let query = baton_platform::audit::parse_query(&r.project, &r.actor, r.page_size, &r.page_token)?;
        let (records, next_page_token) = self.app.audit(&query).await?;
        Ok(Response::new(pb::ListAuditRecordsResponse { records, next_page_token }))
    }

    async fn deactivate_person(
        &self,
        request: Request<pb::DeactivatePersonRequest>,
    ) -> Result<Response<pb::DeactivatePersonResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let r = request.get_ref();
        let change = wire::parse_state_change(&r.name, &r.request_id)?;
        let origin = origin.with_request_id(change.request_id);
        let person = self.app.set_state(actor, change.value, PersonState::Deactivated, origin).await?;
        Ok(Response::new(pb::DeactivatePersonResponse { person: Some(wire::person(&person)) }))
    }

    async fn reactivate_person(
        &self,
        request: Request<pb::ReactivatePersonRequest>,
    ) -> Result<Response<pb::ReactivatePersonResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let r = request.get_ref();
        let change = wire::parse_state_change(&r.name, &r.request_id)?;
        let origin = origin.with_request_id(change.request_id);
        let person = self.app.set_state(actor, change.value, PersonState::Active, origin).await?;
        Ok(Response::new(pb::ReactivatePersonResponse { person: Some(wire::person(&person)) }))
    }
}
