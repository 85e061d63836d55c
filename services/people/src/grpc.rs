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
use crate::wire::capacity as capacity_wire;
use crate::wire::teams as teams_wire;

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

    async fn update_person(
        &self,
        request: Request<pb::UpdatePersonRequest>,
    ) -> Result<Response<pb::UpdatePersonResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let update = wire::parse_update(request.into_inner())?;
        let person = self.app.update(&access, actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdatePersonResponse { person: Some(wire::person(&person)) }))
    }

    async fn find_people(
        &self,
        request: Request<pb::FindPeopleRequest>,
    ) -> Result<Response<pb::FindPeopleResponse>, Status> {
        let search = wire::parse_find(request.get_ref())?;
        let found = self
            .app
            .find(search.discipline, search.min_level, search.range, search.min_free_hours, search.limit)
            .await?;
        Ok(Response::new(pb::FindPeopleResponse {
            candidates: found
                .iter()
                .map(|c| pb::Candidate {
                    person: Some(wire::person(&c.person)),
                    level: pb::SkillLevel::from_str_name(c.level.as_str()).unwrap_or_default() as i32,
                    utilisation: Some(capacity_wire::person_utilisation(&c.person, &c.load)),
                    free_hours: c.load.free_hours(),
                })
                .collect(),
        }))
    }

    async fn create_team(
        &self,
        request: Request<pb::CreateTeamRequest>,
    ) -> Result<Response<pb::CreateTeamResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let create = teams_wire::parse_create(request.into_inner())?;
        let team = self.app.create_team(actor, create.value, origin.with_request_id(create.request_id)).await?;
        Ok(Response::new(pb::CreateTeamResponse { team: Some(teams_wire::team(&team)) }))
    }

    async fn get_team(&self, request: Request<pb::GetTeamRequest>) -> Result<Response<pb::GetTeamResponse>, Status> {
        let name = teams_wire::parse_get(request.get_ref())?;
        let team = self.app.get_team(name).await?;
        Ok(Response::new(pb::GetTeamResponse { team: Some(teams_wire::team(&team)) }))
    }

    async fn list_teams(
        &self,
        request: Request<pb::ListTeamsRequest>,
    ) -> Result<Response<pb::ListTeamsResponse>, Status> {
        let (conditions, limit, after) = teams_wire::parse_list(request.get_ref())?;
        let page = self.app.list_teams(&conditions, after, limit).await?;
        Ok(Response::new(pb::ListTeamsResponse {
            teams: page.items.iter().map(teams_wire::team).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_team(
        &self,
        request: Request<pb::UpdateTeamRequest>,
    ) -> Result<Response<pb::UpdateTeamResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let update = teams_wire::parse_update(request.into_inner())?;
        let team = self.app.update_team(actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateTeamResponse { team: Some(teams_wire::team(&team)) }))
    }

    async fn create_time_off(
        &self,
        request: Request<pb::CreateTimeOffRequest>,
    ) -> Result<Response<pb::CreateTimeOffResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let create = capacity_wire::parse_create_time_off(request.into_inner())?;
        access.own(create.value.person).map_err(crate::error::PeopleError::from)?;
        let time_off = self.app.create_time_off(actor, create.value, origin.with_request_id(create.request_id)).await?;
        Ok(Response::new(pb::CreateTimeOffResponse { time_off: Some(capacity_wire::time_off(&time_off)) }))
    }

    async fn list_time_off(
        &self,
        request: Request<pb::ListTimeOffRequest>,
    ) -> Result<Response<pb::ListTimeOffResponse>, Status> {
        let access = Access::of(&request)?;
        let (person, limit, after) = capacity_wire::parse_list_time_off(request.get_ref())?;
        access.own(person).map_err(crate::error::PeopleError::from)?;
        let page = self.app.list_time_off(person, after, limit).await?;
        Ok(Response::new(pb::ListTimeOffResponse {
            time_off: page.items.iter().map(capacity_wire::time_off).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn delete_time_off(
        &self,
        request: Request<pb::DeleteTimeOffRequest>,
    ) -> Result<Response<pb::DeleteTimeOffResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let delete = capacity_wire::parse_delete_time_off(request.get_ref())?;
        access.own(delete.value.person()).map_err(crate::error::PeopleError::from)?;
        let deleted = self.app.delete_time_off(actor, delete.value, origin.with_request_id(delete.request_id)).await?;
        Ok(Response::new(pb::DeleteTimeOffResponse { time_off: Some(capacity_wire::time_off(&deleted)) }))
    }

    async fn create_allocation(
        &self,
        request: Request<pb::CreateAllocationRequest>,
    ) -> Result<Response<pb::CreateAllocationResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let create = capacity_wire::parse_create_allocation(request.into_inner())?;
        let (allocation, person) =
            self.app.create_allocation(actor, create.value, origin.with_request_id(create.request_id)).await?;
        Ok(Response::new(pb::CreateAllocationResponse {
            allocation: Some(capacity_wire::allocation(&allocation)),
            person: Some(wire::person(&person)),
        }))
    }

    async fn get_allocation(
        &self,
        request: Request<pb::GetAllocationRequest>,
    ) -> Result<Response<pb::GetAllocationResponse>, Status> {
        let name = capacity_wire::parse_get_allocation(request.get_ref())?;
        let allocation = self.app.get_allocation(name).await?;
        Ok(Response::new(pb::GetAllocationResponse { allocation: Some(capacity_wire::allocation(&allocation)) }))
    }

    async fn list_allocations(
        &self,
        request: Request<pb::ListAllocationsRequest>,
    ) -> Result<Response<pb::ListAllocationsResponse>, Status> {
        let query = capacity_wire::parse_list_allocations(request.get_ref())?;
        let page = self.app.list_allocations(query.person, &query.conditions, query.after, query.limit).await?;
        Ok(Response::new(pb::ListAllocationsResponse {
            allocations: page.items.iter().map(capacity_wire::allocation).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_allocation(
        &self,
        request: Request<pb::UpdateAllocationRequest>,
    ) -> Result<Response<pb::UpdateAllocationResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let update = capacity_wire::parse_update_allocation(request.into_inner())?;
        let (allocation, person) =
            self.app.update_allocation(actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateAllocationResponse {
            allocation: Some(capacity_wire::allocation(&allocation)),
            person: Some(wire::person(&person)),
        }))
    }

    async fn delete_allocation(
        &self,
        request: Request<pb::DeleteAllocationRequest>,
    ) -> Result<Response<pb::DeleteAllocationResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let delete = capacity_wire::parse_delete_allocation(request.get_ref())?;
        let (allocation, person) =
            self.app.delete_allocation(actor, delete.value, origin.with_request_id(delete.request_id)).await?;
        Ok(Response::new(pb::DeleteAllocationResponse {
            allocation: Some(capacity_wire::allocation(&allocation)),
            person: Some(wire::person(&person)),
        }))
    }

    async fn get_utilisation(
        &self,
        request: Request<pb::GetUtilisationRequest>,
    ) -> Result<Response<pb::GetUtilisationResponse>, Status> {
        let (subject, range) = capacity_wire::parse_utilisation(request.get_ref())?;
        let utilisation = self.app.utilisation(subject, range).await?;
        Ok(Response::new(capacity_wire::utilisation(&utilisation)))
    }
}
