//! The gRPC edge of the projects service: validation, conversion, and error mapping.

use tonic::{Request, Response, Status};
use uuid::Uuid;

use baton_platform::Actor;
use baton_platform::paging;
use baton_platform::time::{format_date, parse_date, timestamp};
use baton_platform::validate::{self, Violations};
use baton_proto::projects::v1 as pb;
use baton_proto::projects::v1::projects_service_server::ProjectsService;

use crate::app::Projects;
use crate::domain::{Member, NewMember, NewProject, Project, ProjectMemberRole};

pub struct ProjectsApi {
    app: Projects,
}

impl ProjectsApi {
    pub fn new(app: Projects) -> Self {
        Self { app }
    }
}

impl From<&Project> for pb::Project {
    fn from(project: &Project) -> Self {
        pb::Project {
            name: project.name(),
            display_name: project.display_name.clone(),
            client: project.client.clone(),
            brief: project.brief.clone(),
            due_date: format_date(project.due_date),
            state: project.state() as i32,
            create_time: Some(timestamp(project.create_time)),
            update_time: Some(timestamp(project.update_time)),
            etag: project.revision.to_string(),
        }
    }
}

impl From<&Member> for pb::ProjectMember {
    fn from(member: &Member) -> Self {
        pb::ProjectMember {
            name: member.name(),
            person: member.person(),
            role: member.role() as i32,
            create_time: Some(timestamp(member.create_time)),
        }
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateProjectRequest) -> Result<(NewProject, Option<Uuid>), Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = match request.project {
        None => {
            v.add("project", "is required");
            None
        }
        Some(project) => {
            let display_name = v.check("project.display_name", validate::required_text(&project.display_name, 200));
            let client = v.check("project.client", validate::required_text(&project.client, 200));
            let brief = v.check("project.brief", validate::optional_text(&project.brief, 10_000));
            let due_date = v.check("project.due_date", parse_date(&project.due_date));
            match (display_name, client, brief, due_date) {
                (Some(display_name), Some(client), Some(brief), Some(due_date)) => {
                    Some(NewProject { display_name, client, brief, due_date })
                }
                _ => None,
            }
        }
    };
    let new = v.finish_with(new)?;
    Ok((new, request_id.flatten()))
}

#[allow(clippy::result_large_err)]
pub fn parse_add_member(request: pb::AddProjectMemberRequest) -> Result<(NewMember, Option<Uuid>), Status> {
    let mut v = Violations::new();
    let project_id = v.check("parent", validate::resource_id(&request.parent, "projects"));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let (person_id, role) = match request.member {
        None => {
            v.add("member", "is required");
            (None, None)
        }
        Some(member) => (
            v.check("member.person", validate::resource_id(&member.person, "people")),
            v.check(
                "member.role",
                validate::known_enum::<ProjectMemberRole>(member.role, ProjectMemberRole::Unspecified as i32),
            ),
        ),
    };
    let new = match (project_id, person_id, role) {
        (Some(project_id), Some(person_id), Some(role)) => Some(NewMember { project_id, person_id, role }),
        _ => None,
    };
    let new = v.finish_with(new)?;
    Ok((new, request_id.flatten()))
}

#[tonic::async_trait]
impl ProjectsService for ProjectsApi {
    async fn create_project(
        &self,
        request: Request<pb::CreateProjectRequest>,
    ) -> Result<Response<pb::CreateProjectResponse>, Status> {
        let actor = Actor::of(&request);
        let (new, request_id) = parse_create(request.into_inner())?;
        let project = self.app.create(actor, new, request_id).await?;
        Ok(Response::new(pb::CreateProjectResponse { project: Some((&project).into()) }))
    }

    async fn get_project(
        &self,
        request: Request<pb::GetProjectRequest>,
    ) -> Result<Response<pb::GetProjectResponse>, Status> {
        let mut v = Violations::new();
        let id = v.check("name", validate::resource_id(&request.get_ref().name, "projects"));
        let id = v.finish_with(id)?;
        let project = self.app.get(id).await?;
        Ok(Response::new(pb::GetProjectResponse { project: Some((&project).into()) }))
    }

    async fn list_projects(
        &self,
        request: Request<pb::ListProjectsRequest>,
    ) -> Result<Response<pb::ListProjectsResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check("page_size", paging::page_size(request.page_size));
        let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
        let (limit, after) = v.finish_with(limit.zip(after))?;
        let page = self.app.list(after, limit).await?;
        Ok(Response::new(pb::ListProjectsResponse {
            projects: page.items.iter().map(pb::Project::from).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn add_project_member(
        &self,
        request: Request<pb::AddProjectMemberRequest>,
    ) -> Result<Response<pb::AddProjectMemberResponse>, Status> {
        let actor = Actor::of(&request);
        let (new, request_id) = parse_add_member(request.into_inner())?;
        let member = self.app.add_member(actor, new, request_id).await?;
        Ok(Response::new(pb::AddProjectMemberResponse { member: Some((&member).into()) }))
    }

    async fn remove_project_member(
        &self,
        request: Request<pb::RemoveProjectMemberRequest>,
    ) -> Result<Response<pb::RemoveProjectMemberResponse>, Status> {
        let actor = Actor::of(&request);
        let request = request.into_inner();
        let mut v = Violations::new();
        let ids = v.check("name", validate::resource_name(&request.name, &["projects", "members"]));
        let request_id = v.check("request_id", validate::request_id(&request.request_id));
        let ids = v.finish_with(ids)?;
        let member = self.app.remove_member(actor, ids[0], ids[1], request_id.flatten()).await?;
        Ok(Response::new(pb::RemoveProjectMemberResponse { member: Some((&member).into()) }))
    }

    async fn list_project_members(
        &self,
        request: Request<pb::ListProjectMembersRequest>,
    ) -> Result<Response<pb::ListProjectMembersResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::new();
        let project_id = v.check("parent", validate::resource_id(&request.parent, "projects"));
        let limit = v.check("page_size", paging::page_size(request.page_size));
        let after = v.check("page_token", paging::decode_seq_token(&request.page_token));
        let ((project_id, limit), after) = v.finish_with(project_id.zip(limit).zip(after))?;
        let page = self.app.list_members(project_id, after, limit).await?;
        Ok(Response::new(pb::ListProjectMembersResponse {
            members: page.items.iter().map(pb::ProjectMember::from).collect(),
            next_page_token: page.next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_reports_every_bad_field() {
        let status = parse_create(pb::CreateProjectRequest {
            project: Some(pb::Project {
                display_name: String::new(),
                client: String::new(),
                due_date: "soon".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .expect_err("invalid");
        for field in ["project.display_name", "project.client", "project.due_date"] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }

    #[test]
    fn add_member_needs_person_and_role() {
        let status = parse_add_member(pb::AddProjectMemberRequest {
            parent: "projects/nope".into(),
            member: Some(pb::ProjectMember { person: "people/1".into(), role: 99, ..Default::default() }),
            request_id: String::new(),
        })
        .expect_err("invalid");
        for field in ["parent", "member.person", "member.role"] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }
}
