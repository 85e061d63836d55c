//! Teams on the wire.

use tonic::Status;
use uuid::Uuid;

use baton_platform::bounds;
use baton_platform::filter::{self, EQUALITY, Field, Op};
use baton_platform::mask;
use baton_platform::names::{PersonName, TeamName};
use baton_platform::paging;
use baton_platform::time::timestamp;
use baton_platform::validate::{self, Idempotent, Violations};
use baton_proto::people::v1 as pb;

use super::{conditions, from_wire, required};
use crate::domain::team::{
    Department, MAX_MEMBERS, NewTeam, Team, TeamCondition, TeamField, TeamKind, TeamMember, TeamRole, TeamUpdate,
};

pub fn team(team: &Team) -> pb::Team {
    pb::Team {
        name: team.name.to_string(),
        display_name: team.display_name.clone(),
        kind: pb::TeamKind::from_str_name(team.kind.as_str()).unwrap_or_default() as i32,
        department: team
            .department
            .map_or(pb::Department::Unspecified, |d| pb::Department::from_str_name(d.as_str()).unwrap_or_default())
            as i32,
        description: team.description.clone(),
        members: team
            .members
            .iter()
            .map(|m| pb::TeamMember {
                person: m.person.to_string(),
                role: pb::TeamRole::from_str_name(m.role.as_str()).unwrap_or_default() as i32,
            })
            .collect(),
        create_time: Some(timestamp(team.create_time)),
        update_time: Some(timestamp(team.update_time)),
        etag: team.etag(),
    }
}

fn kind(value: i32) -> Result<Option<TeamKind>, String> {
    from_wire(value, |v| pb::TeamKind::try_from(v).ok().map(|k| k.as_str_name()), TeamKind::from_name)
}

fn department(value: i32) -> Result<Option<Department>, String> {
    from_wire(value, |v| pb::Department::try_from(v).ok().map(|d| d.as_str_name()), Department::from_name)
}

fn members(v: &mut Violations, sent: &[pb::TeamMember]) -> Option<Vec<TeamMember>> {
    if sent.len() > MAX_MEMBERS {
        v.add("team.members", format!("must have at most {MAX_MEMBERS} members (got {})", sent.len()));
        return None;
    }
    let mut members: Vec<TeamMember> = Vec::with_capacity(sent.len());
    let mut valid = true;
    for (i, member) in sent.iter().enumerate() {
        let person = v.check(&format!("team.members[{i}].person"), PersonName::parse(&member.person));
        let role = v.check(
            &format!("team.members[{i}].role"),
            required(from_wire(
                member.role,
                |v| pb::TeamRole::try_from(v).ok().map(|r| r.as_str_name()),
                TeamRole::from_name,
            )),
        );
        match (person, role) {
            (Some(person), _) if members.iter().any(|m| m.person == person) => {
                v.add(format!("team.members[{i}].person"), format!("names {person} a second time"));
                valid = false;
            }
            (Some(person), Some(role)) => members.push(TeamMember { person, role }),
            _ => valid = false,
        }
    }
    valid.then_some(members)
}

#[allow(clippy::result_large_err)]
pub fn parse_create(request: pb::CreateTeamRequest) -> Result<Idempotent<NewTeam>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let new = match v.required("team", request.team) {
        None => None,
        Some(sent) => {
            let display_name = v.check("team.display_name", validate::required_text(&sent.display_name, bounds::NAME));
            let description = v.check("team.description", validate::optional_text(&sent.description, bounds::TEXT));
            let kind = v.check("team.kind", required(kind(sent.kind)));
            let department = v.check("team.department", department(sent.department));
            let department = match (kind, department) {
                (Some(TeamKind::Department), Some(None)) => {
                    v.add("team.department", "is required for a TEAM_KIND_DEPARTMENT team");
                    None
                }
                (Some(TeamKind::AdHoc), Some(Some(_))) => {
                    v.add("team.department", "must not be set on a TEAM_KIND_AD_HOC team");
                    None
                }
                (_, department) => department,
            };
            let members = members(&mut v, &sent.members);
            match (display_name, description, kind, department, members) {
                (Some(display_name), Some(description), Some(kind), Some(department), Some(members)) => {
                    Some(NewTeam { display_name, kind, department, description, members })
                }
                _ => None,
            }
        }
    };
    v.finish_idempotent(new, request_id)
}

#[allow(clippy::result_large_err)]
pub fn parse_get(request: &pb::GetTeamRequest) -> Result<TeamName, Status> {
    validate::single("name", TeamName::parse(&request.name))
}

const LIST_FIELDS: &[Field] = &[
    Field { name: "kind", ops: EQUALITY },
    Field { name: "department", ops: EQUALITY },
    Field { name: "member", ops: &[Op::Eq] },
];

fn condition(condition: filter::Condition) -> Result<TeamCondition, String> {
    let (op, value) = (condition.op, condition.value.as_str());
    let unknown = |what: &str| condition.not_a(what);
    match condition.field {
        "kind" => TeamKind::from_name(value).map(|k| TeamCondition::Kind(op, k)).ok_or_else(|| unknown("a TEAM_KIND_")),
        "department" => Department::from_name(value)
            .map(|d| TeamCondition::Department(op, d))
            .ok_or_else(|| unknown("a DEPARTMENT_")),
        _ => PersonName::parse(value).map(TeamCondition::Member).map_err(|_| unknown("people/{person}")),
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListTeamsRequest) -> Result<(Vec<TeamCondition>, i64, Option<Uuid>), Status> {
    let mut v = Violations::new();
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let after = v.check("page_token", paging::decode_uuid_token(&request.page_token));
    let conditions = v.check("filter", conditions(&request.filter, LIST_FIELDS, condition));
    let query = match (conditions, limit, after) {
        (Some(conditions), Some(limit), Some(after)) => Some((conditions, limit, after)),
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_update(request: pb::UpdateTeamRequest) -> Result<Idempotent<TeamUpdate>, Status> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", validate::request_id(&request.request_id));
    let update = match v.required("team", request.team) {
        None => None,
        Some(sent) => {
            let name = v.check("team.name", TeamName::parse(&sent.name));
            let fields =
                mask::fields(&mut v, request.update_mask.as_ref(), &TeamField::ALL, TeamField::path, |f| match f {
                    TeamField::DisplayName => !sent.display_name.is_empty(),
                    TeamField::Description => !sent.description.is_empty(),
                    TeamField::Members => !sent.members.is_empty(),
                });
            let display_name = if fields.contains(&TeamField::DisplayName) {
                v.check("team.display_name", validate::required_text(&sent.display_name, bounds::NAME))
            } else {
                Some(String::new())
            };
            let description = v.check("team.description", validate::optional_text(&sent.description, bounds::TEXT));
            let members = members(&mut v, &sent.members);
            let etag = (!sent.etag.is_empty()).then(|| sent.etag.clone());
            match (name, display_name, description, members) {
                (Some(name), Some(display_name), Some(description), Some(members)) => {
                    Some(TeamUpdate { name, fields, display_name, description, members, etag })
                }
                _ => None,
            }
        }
    };
    v.finish_idempotent(update, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(kind: pb::TeamKind, department: pb::Department) -> pb::Team {
        pb::Team {
            display_name: "Motion".into(),
            kind: kind as i32,
            department: department as i32,
            ..Default::default()
        }
    }

    #[test]
    fn a_department_team_names_its_department_and_an_ad_hoc_one_none() {
        let create = |team| parse_create(pb::CreateTeamRequest { team: Some(team), request_id: String::new() });
        assert!(create(draft(pb::TeamKind::Department, pb::Department::Motion)).is_ok());
        assert!(create(draft(pb::TeamKind::AdHoc, pb::Department::Unspecified)).is_ok());
        let missing = create(draft(pb::TeamKind::Department, pb::Department::Unspecified)).expect_err("no department");
        assert!(missing.message().contains("team.department"), "{}", missing.message());
        let extra = create(draft(pb::TeamKind::AdHoc, pb::Department::Web)).expect_err("ad hoc with department");
        assert!(extra.message().contains("team.department"), "{}", extra.message());
    }

    #[test]
    fn members_are_checked_one_by_one() {
        let person = format!("people/{}", Uuid::now_v7());
        let mut team = draft(pb::TeamKind::AdHoc, pb::Department::Unspecified);
        team.members = vec![
            pb::TeamMember { person: person.clone(), role: pb::TeamRole::Lead as i32 },
            pb::TeamMember { person: "people/x".into(), role: pb::TeamRole::Member as i32 },
            pb::TeamMember { person: person.clone(), role: 0 },
        ];
        let status =
            parse_create(pb::CreateTeamRequest { team: Some(team), request_id: String::new() }).expect_err("invalid");
        for field in ["team.members[1].person", "team.members[2].person", "team.members[2].role"] {
            assert!(status.message().contains(field), "{field} missing from {}", status.message());
        }
    }

    #[test]
    fn list_filters_name_their_fields() {
        let parse = |filter: &str| parse_list(&pb::ListTeamsRequest { filter: filter.into(), ..Default::default() });
        let (conditions, _, _) = parse("kind = TEAM_KIND_DEPARTMENT AND department != DEPARTMENT_WEB").expect("valid");
        assert_eq!(conditions.len(), 2);
        let bad = parse("kind = DEPARTMENT").expect_err("not an enum name");
        assert!(bad.message().contains("TEAM_KIND_"), "{}", bad.message());
        let unknown = parse("colour = red").expect_err("unknown field");
        assert!(unknown.message().contains("colour"), "{}", unknown.message());
    }
}
