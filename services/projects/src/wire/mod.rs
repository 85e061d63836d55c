//! Conversions between the projects service's wire types and its domain, used by `grpc` (and by
//! the events the use cases emit) and nothing below it. Requests are parsed here, once: every
//! field is checked and every broken rule becomes one field violation.

use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::filter::{self, EQUALITY, Field, Op};
use baton_platform::names::{ClientName, MemberName, PersonName, ProjectName};
use baton_platform::paging;
use baton_platform::time::{format_date, parse_date, timestamp};
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::projects::v1 as pb;

use crate::domain::{
    LifecycleMove, Member, MemberRole, NewMember, NewProject, Project, ProjectCondition, ProjectMove, ProjectState,
};

pub mod briefs;
pub mod clients;
pub mod health;
pub mod milestones;
pub mod obstacles;

pub fn project(project: &Project) -> pb::Project {
    pb::Project {
        name: project.name.to_string(),
        display_name: project.display_name.clone(),
        client: project.client.to_string(),
        brief: project.brief.clone(),
        due_date: format_date(project.due_date),
        state: state(project.state) as i32,
        create_time: Some(timestamp(project.create_time)),
        update_time: Some(timestamp(project.update_time)),
        etag: project.etag(),
        held_state: project.held_state.map_or(pb::ProjectState::Unspecified, state) as i32,
    }
}

pub fn member(member: &Member) -> pb::ProjectMember {
    pb::ProjectMember {
        name: member.name.to_string(),
        person: member.name.person().to_string(),
        role: role(member.role) as i32,
        create_time: Some(timestamp(member.create_time)),
    }
}

pub fn state(state: ProjectState) -> pb::ProjectState {
    pb::ProjectState::from_str_name(state.as_str()).unwrap_or(pb::ProjectState::Unspecified)
}

pub fn role(role: MemberRole) -> pb::ProjectMemberRole {
    pb::ProjectMemberRole::from_str_name(role.as_str()).unwrap_or(pb::ProjectMemberRole::Unspecified)
}

/// A role sent by a client: set and known.
fn parse_role(value: i32) -> Result<MemberRole, String> {
    let wire = validate::known_enum::<pb::ProjectMemberRole>(value, pb::ProjectMemberRole::Unspecified as i32)?;
    MemberRole::from_name(wire.as_str_name()).ok_or_else(|| format!("{value} is not a known value"))
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateProjectRequest) -> Result<Idempotent<NewProject>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = match v.required("project", request.project) {
        None => None,
        Some(project) => {
            let display_name =
                v.check("project.display_name", validate::required_text(&project.display_name, bounds::NAME));
            let client = v.check("project.client", ClientName::parse(&project.client));
            let brief = v.check("project.brief", validate::optional_text(&project.brief, bounds::TEXT));
            let due_date = v.check("project.due_date", parse_date(&project.due_date));
            match (display_name, client, brief, due_date) {
                (Some(display_name), Some(client), Some(brief), Some(due_date)) => {
                    Some(NewProject { display_name, client, brief, due_date })
                }
                _ => None,
            }
        }
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetProjectRequest) -> Result<ProjectName, Status> {
    validate::single("name", ProjectName::parse(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_get_member(request: &pb::GetProjectMemberRequest) -> Result<MemberName, Status> {
    validate::single("name", MemberName::parse(&request.name))
}

/// A page to list: its size and where it starts.
#[derive(Debug)]
pub struct PageQuery<K> {
    pub limit: i64,
    pub after: Option<K>,
}

const LIST_FIELDS: &[Field] = &[Field { name: "client", ops: EQUALITY }, Field { name: "state", ops: EQUALITY }];

/// One comparison of a ListProjects filter, its value checked.
fn project_condition(condition: filter::Condition) -> Result<ProjectCondition, String> {
    let op: Op = condition.op;
    match condition.field {
        "client" => ClientName::parse(&condition.value)
            .map(|client| ProjectCondition::Client(op, client))
            .map_err(|e| format!("compares client with \"{}\", which {e}", condition.value)),
        _ => {
            ProjectState::from_name(&condition.value).map(|state| ProjectCondition::State(op, state)).ok_or_else(|| {
                let states: Vec<&str> = ProjectState::ALL.iter().map(|s| s.as_str()).collect();
                format!("compares state with \"{}\", which is none of {}", condition.value, states.join(", "))
            })
        }
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListProjectsRequest) -> Result<(Vec<ProjectCondition>, PageQuery<Uuid>), Status> {
    let mut v = Violations::new();
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let conditions = v.check(
        "filter",
        filter::parse(&request.filter, LIST_FIELDS)
            .and_then(|conditions| conditions.into_iter().map(project_condition).collect::<Result<Vec<_>, _>>()),
    );
    let query = match (conditions, limit, after) {
        (Some(conditions), Some(limit), Some(after)) => Some((conditions, PageQuery { limit, after })),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_add_member(request: pb::AddProjectMemberRequest) -> Result<Idempotent<NewMember>, Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let (person, role) = match v.required("member", request.member) {
        None => (None, None),
        Some(member) => (
            v.check("member.person", PersonName::parse(&member.person)),
            v.check("member.role", parse_role(member.role)),
        ),
    };
    let new = match (project, person, role) {
        (Some(project), Some(person), Some(role)) => Some(NewMember { project, person, role }),
        _ => None,
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_remove_member(request: &pb::RemoveProjectMemberRequest) -> Result<Idempotent<MemberName>, Status> {
    let mut v = Violations::new();
    let name = v.check("name", MemberName::parse(&request.name));
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    v.finish_idempotent(name, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_list_members(request: &pb::ListProjectMembersRequest) -> Result<(ProjectName, PageQuery<i64>), Status> {
    let mut v = Violations::new();
    let project = v.check("parent", ProjectName::parse(&request.parent));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_seq_token(&request.page_token));
    let query = match (project, limit, after) {
        (Some(project), Some(limit), Some(after)) => Some((project, PageQuery { limit, after })),
        _ => None,
    };
    v.finish_with(query)
}

/// The fields every lifecycle request has.
pub struct MoveFields<'a> {
    pub name: &'a str,
    pub etag: &'a str,
    pub request_id: &'a str,
    pub reason: &'a str,
}

/// A lifecycle request: `action` with the request's fields checked.
#[allow(clippy::result_large_err)]
pub fn parse_move(
    action: Result<LifecycleMove, String>,
    fields: MoveFields<'_>,
) -> Result<Idempotent<ProjectMove>, Status> {
    let mut v = Violations::new();
    let project = v.check("name", ProjectName::parse(fields.name));
    let request_id = v.check("request_id", validate::request_id(fields.request_id));
    let reason = v.check("reason", validate::optional_text(fields.reason, bounds::COMMENT));
    let action = v.check("stage", action);
    let etag = (!fields.etag.is_empty()).then(|| fields.etag.to_string());
    let step = match (project, reason, action) {
        (Some(project), Some(reason), Some(action)) => Some(ProjectMove { project, action, etag, reason }),
        _ => None,
    };
    v.finish_idempotent(step, request_id)
}

/// The stage an AdvanceProject names: one of the stages after CONCEPTION.
pub fn parse_stage(value: i32) -> Result<LifecycleMove, String> {
    let wire = validate::known_enum::<pb::ProjectState>(value, pb::ProjectState::Unspecified as i32)?;
    match ProjectState::from_name(wire.as_str_name()) {
        Some(stage) if ProjectState::STAGES[1..].contains(&stage) => Ok(LifecycleMove::Advance(stage)),
        _ => {
            let stages: Vec<&str> = ProjectState::STAGES[1..].iter().map(|s| s.as_str()).collect();
            Err(format!("must be a stage to advance to: {}", stages.join(", ")))
        }
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

    #[test]
    fn advancing_names_a_stage_after_conception() {
        assert_eq!(
            parse_stage(pb::ProjectState::Production as i32),
            Ok(LifecycleMove::Advance(ProjectState::Production))
        );
        for refused in [pb::ProjectState::Conception, pb::ProjectState::OnHold, pb::ProjectState::Unspecified] {
            assert!(parse_stage(refused as i32).is_err(), "{refused:?}");
        }
        #[allow(deprecated)]
        let active = pb::ProjectState::Active as i32;
        assert!(parse_stage(active).is_err());
        assert!(parse_stage(42).is_err());
    }

    #[test]
    fn every_state_and_role_has_a_wire_value() {
        for value in ProjectState::ALL {
            assert_ne!(state(*value), pb::ProjectState::Unspecified, "{value}");
        }
        for value in MemberRole::ALL {
            assert_eq!(parse_role(role(*value) as i32), Ok(*value));
        }
    }
}
