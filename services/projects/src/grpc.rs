//! The gRPC edge of the projects service: each call parsed by `wire`, run by `app`, answered in
//! wire types; errors become statuses through `baton_platform::error`.

use tonic::{Request, Response, Status};

use baton_platform::Actor;
use baton_platform::idempotency::Origin;
use baton_platform::policy::Access;
use baton_proto::projects::v1 as pb;
use baton_proto::projects::v1::projects_service_server::ProjectsService;

use baton_platform::validate::Idempotent;

use crate::app::Projects;
use crate::domain::{LifecycleMove, ProjectMove};
use crate::wire::{self, MoveFields};

pub struct ProjectsApi {
    app: Projects,
}

impl ProjectsApi {
    pub fn new(app: Projects) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl ProjectsService for ProjectsApi {
    async fn create_project(
        &self,
        request: Request<pb::CreateProjectRequest>,
    ) -> Result<Response<pb::CreateProjectResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let create = wire::parse_create(request.into_inner())?;
        let project = self.app.create(actor, create.value, origin.with_request_id(create.request_id)).await?;
        Ok(Response::new(pb::CreateProjectResponse { project: Some(wire::project(&project)) }))
    }

    async fn get_project(
        &self,
        request: Request<pb::GetProjectRequest>,
    ) -> Result<Response<pb::GetProjectResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::parse_get(request.get_ref())?;
        let project = self.app.get(&access, name).await?;
        Ok(Response::new(pb::GetProjectResponse { project: Some(wire::project(&project)) }))
    }

    async fn list_projects(
        &self,
        request: Request<pb::ListProjectsRequest>,
    ) -> Result<Response<pb::ListProjectsResponse>, Status> {
        let access = Access::of(&request)?;
        let (conditions, query) = wire::parse_list(request.get_ref())?;
        let page = self.app.list(&access, &conditions, query.after, query.limit).await?;
        Ok(Response::new(pb::ListProjectsResponse {
            projects: page.items.iter().map(wire::project).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn add_project_member(
        &self,
        request: Request<pb::AddProjectMemberRequest>,
    ) -> Result<Response<pb::AddProjectMemberResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let add = wire::parse_add_member(request.into_inner())?;
        let member = self.app.add_member(&access, actor, add.value, origin.with_request_id(add.request_id)).await?;
        Ok(Response::new(pb::AddProjectMemberResponse { member: Some(wire::member(&member)) }))
    }

    async fn remove_project_member(
        &self,
        request: Request<pb::RemoveProjectMemberRequest>,
    ) -> Result<Response<pb::RemoveProjectMemberResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let remove = wire::parse_remove_member(request.get_ref())?;
        let member =
            self.app.remove_member(&access, actor, remove.value, origin.with_request_id(remove.request_id)).await?;
        Ok(Response::new(pb::RemoveProjectMemberResponse { member: Some(wire::member(&member)) }))
    }

    async fn list_project_members(
        &self,
        request: Request<pb::ListProjectMembersRequest>,
    ) -> Result<Response<pb::ListProjectMembersResponse>, Status> {
        let access = Access::of(&request)?;
        let (project, page) = wire::parse_list_members(request.get_ref())?;
        let page = self.app.list_members(&access, project, page.after, page.limit).await?;
        Ok(Response::new(pb::ListProjectMembersResponse {
            members: page.items.iter().map(wire::member).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn get_project_member(
        &self,
        request: Request<pb::GetProjectMemberRequest>,
    ) -> Result<Response<pb::GetProjectMemberResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::parse_get_member(request.get_ref())?;
        let member = self.app.get_member(&access, name).await?;
        Ok(Response::new(pb::GetProjectMemberResponse { member: Some(wire::member(&member)) }))
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

    async fn create_client(
        &self,
        request: Request<pb::CreateClientRequest>,
    ) -> Result<Response<pb::CreateClientResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let create = wire::clients::parse_create(request.into_inner())?;
        let client = self.app.create_client(actor, create.value, origin.with_request_id(create.request_id)).await?;
        Ok(Response::new(pb::CreateClientResponse { client: Some(wire::clients::client(&client)) }))
    }

    async fn get_client(
        &self,
        request: Request<pb::GetClientRequest>,
    ) -> Result<Response<pb::GetClientResponse>, Status> {
        let name = wire::clients::parse_get(request.get_ref())?;
        let client = self.app.get_client(name).await?;
        Ok(Response::new(pb::GetClientResponse { client: Some(wire::clients::client(&client)) }))
    }

    async fn list_clients(
        &self,
        request: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        let (conditions, query) = wire::clients::parse_list(request.get_ref())?;
        let page = self.app.list_clients(&conditions, query.after, query.limit).await?;
        Ok(Response::new(pb::ListClientsResponse {
            clients: page.items.iter().map(wire::clients::client).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_client(
        &self,
        request: Request<pb::UpdateClientRequest>,
    ) -> Result<Response<pb::UpdateClientResponse>, Status> {
        let (actor, origin) = (Actor::of(&request), Origin::of(&request));
        let update = wire::clients::parse_update(request.into_inner())?;
        let client = self.app.update_client(actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateClientResponse { client: Some(wire::clients::client(&client)) }))
    }

    async fn advance_project(
        &self,
        request: Request<pb::AdvanceProjectRequest>,
    ) -> Result<Response<pb::AdvanceProjectResponse>, Status> {
        let r = request.get_ref();
        let fields = MoveFields { name: &r.name, etag: &r.etag, request_id: &r.request_id, reason: "" };
        let step = wire::parse_move(wire::parse_stage(r.stage), fields)?;
        let project = self.lifecycle(&request, step).await?;
        Ok(Response::new(pb::AdvanceProjectResponse { project: Some(project) }))
    }

    async fn hold_project(
        &self,
        request: Request<pb::HoldProjectRequest>,
    ) -> Result<Response<pb::HoldProjectResponse>, Status> {
        let r = request.get_ref();
        let fields = MoveFields { name: &r.name, etag: &r.etag, request_id: &r.request_id, reason: &r.reason };
        let step = wire::parse_move(Ok(LifecycleMove::Hold), fields)?;
        let project = self.lifecycle(&request, step).await?;
        Ok(Response::new(pb::HoldProjectResponse { project: Some(project) }))
    }

    async fn resume_project(
        &self,
        request: Request<pb::ResumeProjectRequest>,
    ) -> Result<Response<pb::ResumeProjectResponse>, Status> {
        let r = request.get_ref();
        let fields = MoveFields { name: &r.name, etag: &r.etag, request_id: &r.request_id, reason: "" };
        let step = wire::parse_move(Ok(LifecycleMove::Resume), fields)?;
        let project = self.lifecycle(&request, step).await?;
        Ok(Response::new(pb::ResumeProjectResponse { project: Some(project) }))
    }

    async fn cancel_project(
        &self,
        request: Request<pb::CancelProjectRequest>,
    ) -> Result<Response<pb::CancelProjectResponse>, Status> {
        let r = request.get_ref();
        let fields = MoveFields { name: &r.name, etag: &r.etag, request_id: &r.request_id, reason: &r.reason };
        let step = wire::parse_move(Ok(LifecycleMove::Cancel), fields)?;
        let project = self.lifecycle(&request, step).await?;
        Ok(Response::new(pb::CancelProjectResponse { project: Some(project) }))
    }

    async fn archive_project(
        &self,
        request: Request<pb::ArchiveProjectRequest>,
    ) -> Result<Response<pb::ArchiveProjectResponse>, Status> {
        let r = request.get_ref();
        let fields = MoveFields { name: &r.name, etag: &r.etag, request_id: &r.request_id, reason: "" };
        let step = wire::parse_move(Ok(LifecycleMove::Archive), fields)?;
        let project = self.lifecycle(&request, step).await?;
        Ok(Response::new(pb::ArchiveProjectResponse { project: Some(project) }))
    }

    async fn get_brief(&self, request: Request<pb::GetBriefRequest>) -> Result<Response<pb::GetBriefResponse>, Status> {
        let access = Access::of(&request)?;
        let project = wire::briefs::parse_get(request.get_ref())?;
        let brief = self.app.get_brief(&access, project).await?;
        Ok(Response::new(pb::GetBriefResponse { brief: Some(wire::briefs::brief(&brief)) }))
    }

    async fn update_brief(
        &self,
        request: Request<pb::UpdateBriefRequest>,
    ) -> Result<Response<pb::UpdateBriefResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let update = wire::briefs::parse_update(request.into_inner())?;
        let brief =
            self.app.update_brief(&access, actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateBriefResponse { brief: Some(wire::briefs::brief(&brief)) }))
    }

    async fn list_brief_revisions(
        &self,
        request: Request<pb::ListBriefRevisionsRequest>,
    ) -> Result<Response<pb::ListBriefRevisionsResponse>, Status> {
        let access = Access::of(&request)?;
        let (project, page) = wire::briefs::parse_list_revisions(request.get_ref())?;
        let page = self.app.brief_revisions(&access, project, page.after, page.limit).await?;
        Ok(Response::new(pb::ListBriefRevisionsResponse {
            revisions: page
                .items
                .iter()
                .map(|(brief, changed)| pb::BriefRevision {
                    brief: Some(wire::briefs::brief(brief)),
                    changed_fields: changed.clone(),
                })
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn raise_obstacle(
        &self,
        request: Request<pb::RaiseObstacleRequest>,
    ) -> Result<Response<pb::RaiseObstacleResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let raise = wire::obstacles::parse_raise(request.into_inner())?;
        let (project, fields) = raise.value;
        let origin = origin.with_request_id(raise.request_id);
        let obstacle = self.app.raise_obstacle(&access, actor, project, fields, origin).await?;
        Ok(Response::new(pb::RaiseObstacleResponse { obstacle: Some(wire::obstacles::obstacle(&obstacle)) }))
    }

    async fn get_obstacle(
        &self,
        request: Request<pb::GetObstacleRequest>,
    ) -> Result<Response<pb::GetObstacleResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::obstacles::parse_get(request.get_ref())?;
        let obstacle = self.app.get_obstacle(&access, name).await?;
        Ok(Response::new(pb::GetObstacleResponse { obstacle: Some(wire::obstacles::obstacle(&obstacle)) }))
    }

    async fn list_obstacles(
        &self,
        request: Request<pb::ListObstaclesRequest>,
    ) -> Result<Response<pb::ListObstaclesResponse>, Status> {
        let access = Access::of(&request)?;
        let (project, conditions, page) = wire::obstacles::parse_list(request.get_ref())?;
        let page = self.app.list_obstacles(&access, project, &conditions, page.after, page.limit).await?;
        Ok(Response::new(pb::ListObstaclesResponse {
            obstacles: page.items.iter().map(wire::obstacles::obstacle).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_obstacle(
        &self,
        request: Request<pb::UpdateObstacleRequest>,
    ) -> Result<Response<pb::UpdateObstacleResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let change = wire::obstacles::parse_update(request.into_inner())?;
        let obstacle =
            self.app.change_obstacle(&access, actor, change.value, origin.with_request_id(change.request_id)).await?;
        Ok(Response::new(pb::UpdateObstacleResponse { obstacle: Some(wire::obstacles::obstacle(&obstacle)) }))
    }

    async fn resolve_obstacle(
        &self,
        request: Request<pb::ResolveObstacleRequest>,
    ) -> Result<Response<pb::ResolveObstacleResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let change = wire::obstacles::parse_resolve(request.get_ref())?;
        let obstacle =
            self.app.change_obstacle(&access, actor, change.value, origin.with_request_id(change.request_id)).await?;
        Ok(Response::new(pb::ResolveObstacleResponse { obstacle: Some(wire::obstacles::obstacle(&obstacle)) }))
    }

    async fn reopen_obstacle(
        &self,
        request: Request<pb::ReopenObstacleRequest>,
    ) -> Result<Response<pb::ReopenObstacleResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let change = wire::obstacles::parse_reopen(request.get_ref())?;
        let obstacle =
            self.app.change_obstacle(&access, actor, change.value, origin.with_request_id(change.request_id)).await?;
        Ok(Response::new(pb::ReopenObstacleResponse { obstacle: Some(wire::obstacles::obstacle(&obstacle)) }))
    }

    async fn get_project_health(
        &self,
        request: Request<pb::GetProjectHealthRequest>,
    ) -> Result<Response<pb::GetProjectHealthResponse>, Status> {
        let access = Access::of(&request)?;
        let project = wire::health::parse_get(request.get_ref())?;
        let (health, computed) = self.app.health(&access, project).await?;
        Ok(Response::new(pb::GetProjectHealthResponse {
            health: Some(wire::health::health(project, &health, computed)),
        }))
    }

    async fn create_milestone(
        &self,
        request: Request<pb::CreateMilestoneRequest>,
    ) -> Result<Response<pb::CreateMilestoneResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let create = wire::milestones::parse_create(request.into_inner())?;
        let (project, fields) = create.value;
        let origin = origin.with_request_id(create.request_id);
        let view = self.app.create_milestone(&access, actor, project, fields, origin).await?;
        Ok(Response::new(pb::CreateMilestoneResponse { milestone: Some(wire::milestones::milestone(&view)) }))
    }

    async fn get_milestone(
        &self,
        request: Request<pb::GetMilestoneRequest>,
    ) -> Result<Response<pb::GetMilestoneResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::milestones::parse_get(request.get_ref())?;
        let view = self.app.get_milestone(&access, name).await?;
        Ok(Response::new(pb::GetMilestoneResponse { milestone: Some(wire::milestones::milestone(&view)) }))
    }

    async fn list_milestones(
        &self,
        request: Request<pb::ListMilestonesRequest>,
    ) -> Result<Response<pb::ListMilestonesResponse>, Status> {
        let access = Access::of(&request)?;
        let (project, limit, after) = wire::milestones::parse_list(request.get_ref())?;
        let page = self.app.list_milestones(&access, project, after, limit).await?;
        Ok(Response::new(pb::ListMilestonesResponse {
            milestones: page.items.iter().map(wire::milestones::milestone).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_milestone(
        &self,
        request: Request<pb::UpdateMilestoneRequest>,
    ) -> Result<Response<pb::UpdateMilestoneResponse>, Status> {
        let (access, actor, origin) = (Access::of(&request)?, Actor::of(&request), Origin::of(&request));
        let update = wire::milestones::parse_update(request.into_inner())?;
        let view =
            self.app.update_milestone(&access, actor, update.value, origin.with_request_id(update.request_id)).await?;
        Ok(Response::new(pb::UpdateMilestoneResponse { milestone: Some(wire::milestones::milestone(&view)) }))
    }
}

impl ProjectsApi {
    /// Runs a parsed lifecycle move for the caller of `request`: the project as moved.
    async fn lifecycle<T: prost::Message>(
        &self,
        request: &Request<T>,
        step: Idempotent<ProjectMove>,
    ) -> Result<pb::Project, Status> {
        let (access, actor, origin) = (Access::of(request)?, Actor::of(request), Origin::of(request));
        let project =
            self.app.move_project(&access, actor, step.value, origin.with_request_id(step.request_id)).await?;
        Ok(wire::project(&project))
    }
}
