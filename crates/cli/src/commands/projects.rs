//! `baton projects create|list|show` and `baton projects members add|remove|list`.

use baton_proto::projects::v1::{
    AddProjectMemberRequest, AdvanceProjectRequest, ArchiveProjectRequest, CancelProjectRequest, CreateProjectRequest,
    GetProjectRequest, HoldProjectRequest, Project, ProjectMember, RemoveProjectMemberRequest, ResumeProjectRequest,
};

use crate::cli::{MemberRoleArg, MembersCommand, ProjectsCommand};
use crate::client::Baton;
use crate::error::CliError;
use crate::json;
use crate::output::{Cell, Out, Table, listing, short_id, short_time, time};

pub async fn run(baton: &Baton, out: &Out, command: ProjectsCommand) -> Result<(), CliError> {
    match command {
        ProjectsCommand::Create { name, client, brief, due, idempotency } => {
            let client = baton.resolve_client(&client).await?;
            let request = CreateProjectRequest {
                project: Some(Project {
                    display_name: name,
                    client,
                    brief: brief.unwrap_or_default(),
                    due_date: due.unwrap_or_default(),
                    ..Default::default()
                }),
                request_id: idempotency.value(),
            };
            let project = baton.projects().create_project(baton.request(request)).await?.into_inner().project;
            show(baton, out, &project.unwrap_or_default()).await
        }
        ProjectsCommand::List => {
            let projects = baton.all_projects().await?;
            if out.json() {
                for project in &projects {
                    out.json_line(&json::project(project))?;
                }
                return Ok(());
            }
            let clients = baton.client_names(projects.iter().map(|p| &p.client)).await?;
            let mut table = Table::new(&["ID", "TITLE", "CLIENT", "DUE", "STATE"]);
            for project in &projects {
                table.row(vec![
                    Cell::from(short_id(&project.name)),
                    project.display_name.as_str().into(),
                    clients.get(&project.client).cloned().unwrap_or_default().into(),
                    project.due_date.as_str().into(),
                    json::project_state(project.state).into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        ProjectsCommand::Show { project } => {
            let name = baton.resolve_project(&project).await?;
            let project = baton.projects().get_project(baton.request(GetProjectRequest { name })).await?.into_inner();
            show(baton, out, &project.project.unwrap_or_default()).await
        }
        ProjectsCommand::Advance { project, to, lifecycle } => {
            let name = baton.resolve_project(&project).await?;
            let request = AdvanceProjectRequest {
                name,
                etag: lifecycle.etag.unwrap_or_default(),
                request_id: lifecycle.idempotency.value(),
                stage: to.to_proto() as i32,
            };
            let project = baton.projects().advance_project(baton.request(request)).await?.into_inner().project;
            show(baton, out, &project.unwrap_or_default()).await
        }
        ProjectsCommand::Hold { project, reason, lifecycle } => {
            let name = baton.resolve_project(&project).await?;
            let request = HoldProjectRequest {
                name,
                etag: lifecycle.etag.unwrap_or_default(),
                request_id: lifecycle.idempotency.value(),
                reason: reason.unwrap_or_default(),
            };
            let project = baton.projects().hold_project(baton.request(request)).await?.into_inner().project;
            show(baton, out, &project.unwrap_or_default()).await
        }
        ProjectsCommand::Resume { project, lifecycle } => {
            let name = baton.resolve_project(&project).await?;
            let request = ResumeProjectRequest {
                name,
                etag: lifecycle.etag.unwrap_or_default(),
                request_id: lifecycle.idempotency.value(),
            };
            let project = baton.projects().resume_project(baton.request(request)).await?.into_inner().project;
            show(baton, out, &project.unwrap_or_default()).await
        }
        ProjectsCommand::Cancel { project, reason, lifecycle } => {
            let name = baton.resolve_project(&project).await?;
            let request = CancelProjectRequest {
                name,
                etag: lifecycle.etag.unwrap_or_default(),
                request_id: lifecycle.idempotency.value(),
                reason: reason.unwrap_or_default(),
            };
            let project = baton.projects().cancel_project(baton.request(request)).await?.into_inner().project;
            show(baton, out, &project.unwrap_or_default()).await
        }
        ProjectsCommand::Archive { project, lifecycle } => {
            let name = baton.resolve_project(&project).await?;
            let request = ArchiveProjectRequest {
                name,
                etag: lifecycle.etag.unwrap_or_default(),
                request_id: lifecycle.idempotency.value(),
            };
            let project = baton.projects().archive_project(baton.request(request)).await?.into_inner().project;
            show(baton, out, &project.unwrap_or_default()).await
        }
        ProjectsCommand::Members(command) => members(baton, out, command).await,
    }
}

async fn members(baton: &Baton, out: &Out, command: MembersCommand) -> Result<(), CliError> {
    match command {
        MembersCommand::Add { project, person, role, idempotency } => {
            let parent = baton.resolve_project(&project).await?;
            let person = baton.resolve_person(&person).await?;
            let request = AddProjectMemberRequest {
                parent,
                member: Some(ProjectMember { person, role: role.to_proto() as i32, ..Default::default() }),
                request_id: idempotency.value(),
            };
            let member = baton.projects().add_project_member(baton.request(request)).await?.into_inner().member;
            show_member(baton, out, &member.unwrap_or_default()).await
        }
        MembersCommand::Remove { project, person, idempotency } => {
            let project = baton.resolve_project(&project).await?;
            let person = baton.resolve_person(&person).await?;
            let request = RemoveProjectMemberRequest {
                name: format!("{project}/members/{}", short_id(&person)),
                request_id: idempotency.value(),
            };
            let member = baton.projects().remove_project_member(baton.request(request)).await?.into_inner().member;
            show_member(baton, out, &member.unwrap_or_default()).await
        }
        MembersCommand::List { project } => {
            let project = baton.resolve_project(&project).await?;
            let members = baton.all_members(&project).await?;
            if out.json() {
                for member in &members {
                    out.json_line(&json::member(member))?;
                }
                return Ok(());
            }
            let names = baton.display_names(members.iter().map(|m| &m.person)).await?;
            let mut table = Table::new(&["PERSON", "NAME", "ROLE", "JOINED"]);
            for member in &members {
                table.row(vec![
                    Cell::from(short_id(&member.person)),
                    names.get(&member.person).cloned().unwrap_or_default().into(),
                    MemberRoleArg::text(member.role).into(),
                    short_time(member.create_time.as_ref()).into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
    }
}

async fn show(baton: &Baton, out: &Out, project: &Project) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&json::project(project));
    }
    let clients = baton.client_names([&project.client]).await?;
    out.text(&listing(
        out.color,
        &[
            ("name", project.name.clone()),
            ("title", project.display_name.clone()),
            ("client", clients.get(&project.client).cloned().unwrap_or_default()),
            ("brief", project.brief.clone()),
            ("due", project.due_date.clone()),
            ("state", state_text(project)),
            ("created", time(project.create_time.as_ref())),
            ("etag", project.etag.clone()),
        ],
    ))
}

/// The state, and for a project on hold the stage it returns to.
fn state_text(project: &Project) -> String {
    let state = json::project_state(project.state);
    match json::project_state(project.held_state) {
        "unspecified" => state.to_string(),
        held => format!("{state} (resumes in {held})"),
    }
}

async fn show_member(baton: &Baton, out: &Out, member: &ProjectMember) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&json::member(member));
    }
    let names = baton.display_names([&member.person]).await?;
    out.text(&listing(
        out.color,
        &[
            ("name", member.name.clone()),
            ("person", format!("{} ({})", names.get(&member.person).cloned().unwrap_or_default(), member.person)),
            ("role", MemberRoleArg::text(member.role)),
            ("joined", time(member.create_time.as_ref())),
        ],
    ))
}
