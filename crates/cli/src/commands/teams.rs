//! `baton teams add|list|show|update|load`.

use baton_proto::people::v1::{
    CreateTeamRequest, GetTeamRequest, Team, TeamKind, TeamMember, TeamRole, UpdateTeamRequest,
};
use prost_types::FieldMask;
use serde_json::{Value, json};

use crate::cli::{DepartmentArg, TeamsCommand};
use crate::client::Baton;
use crate::error::CliError;
use crate::output::{Cell, Out, Table, listing, short_id};

pub async fn run(baton: &Baton, out: &Out, command: TeamsCommand) -> Result<(), CliError> {
    match command {
        TeamsCommand::Add { name, department, description, members, idempotency } => {
            let kind = if department.is_some() { TeamKind::Department } else { TeamKind::AdHoc };
            let team = Team {
                display_name: name,
                kind: kind as i32,
                department: department.map(|d| d.to_proto() as i32).unwrap_or_default(),
                description: description.unwrap_or_default(),
                members: resolve_members(baton, &members).await?,
                ..Default::default()
            };
            let request = CreateTeamRequest { team: Some(team), request_id: idempotency.value() };
            let team = baton.people().create_team(baton.request(request)).await?.into_inner().team;
            show(baton, out, &team.unwrap_or_default()).await
        }
        TeamsCommand::List => {
            let teams = baton.all_teams().await?;
            if out.json() {
                for team in &teams {
                    out.json_line(&team_json(team))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["ID", "NAME", "DEPARTMENT", "MEMBERS"]).align_right(3);
            for team in &teams {
                table.row(vec![
                    Cell::from(short_id(&team.name)),
                    team.display_name.as_str().into(),
                    department(team).into(),
                    team.members.len().to_string().into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        TeamsCommand::Show { team } => {
            let name = baton.resolve_team(&team).await?;
            let team = baton.people().get_team(baton.request(GetTeamRequest { name })).await?.into_inner().team;
            show(baton, out, &team.unwrap_or_default()).await
        }
        TeamsCommand::Update { team, name, description, members, etag, idempotency } => {
            let target = baton.resolve_team(&team).await?;
            let mut paths = Vec::new();
            let mut changed = Team { name: target, etag: etag.unwrap_or_default(), ..Default::default() };
            if let Some(name) = name {
                changed.display_name = name;
                paths.push("display_name");
            }
            if let Some(description) = description {
                changed.description = description;
                paths.push("description");
            }
            if !members.is_empty() {
                changed.members = resolve_members(baton, &members).await?;
                paths.push("members");
            }
            if paths.is_empty() {
                return Err(CliError::Usage("nothing to change: give --name, --description or --member".into()));
            }
            let request = UpdateTeamRequest {
                team: Some(changed),
                update_mask: Some(FieldMask { paths: paths.into_iter().map(String::from).collect() }),
                request_id: idempotency.value(),
            };
            let team = baton.people().update_team(baton.request(request)).await?.into_inner().team;
            show(baton, out, &team.unwrap_or_default()).await
        }
        TeamsCommand::Load { team, range } => {
            let subject = baton.resolve_team(&team).await?;
            super::people::load(baton, out, subject, &range).await
        }
    }
}

/// `PERSON[:lead]` references as members.
async fn resolve_members(baton: &Baton, references: &[String]) -> Result<Vec<TeamMember>, CliError> {
    let mut members = Vec::with_capacity(references.len());
    for reference in references {
        let (person, role) = match reference.rsplit_once(':') {
            Some((person, role)) if role.trim().eq_ignore_ascii_case("lead") => (person, TeamRole::Lead),
            Some((person, role)) if role.trim().eq_ignore_ascii_case("member") => (person, TeamRole::Member),
            _ => (reference.as_str(), TeamRole::Member),
        };
        members.push(TeamMember { person: baton.resolve_person(person).await?, role: role as i32 });
    }
    Ok(members)
}

fn department(team: &Team) -> String {
    if team.kind == TeamKind::Department as i32 { DepartmentArg::text(team.department) } else { "ad hoc".into() }
}

fn role_word(role: i32) -> &'static str {
    if role == TeamRole::Lead as i32 { "lead" } else { "member" }
}

fn team_json(team: &Team) -> Value {
    json!({
        "name": team.name,
        "display_name": team.display_name,
        "department": if team.kind == TeamKind::Department as i32 { Value::from(DepartmentArg::word(team.department)) } else { Value::Null },
        "description": team.description,
        "members": team.members.iter().map(|m| json!({ "person": m.person, "role": role_word(m.role) })).collect::<Vec<_>>(),
        "etag": team.etag,
    })
}

async fn show(baton: &Baton, out: &Out, team: &Team) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&team_json(team));
    }
    let names = baton.display_names(team.members.iter().map(|m| &m.person)).await?;
    let members: Vec<String> = team
        .members
        .iter()
        .map(|m| {
            let name = names.get(&m.person).cloned().unwrap_or_else(|| m.person.clone());
            if m.role == TeamRole::Lead as i32 { format!("{name} (lead)") } else { name }
        })
        .collect();
    out.text(&listing(
        out.color,
        &[
            ("name", team.name.clone()),
            ("display name", team.display_name.clone()),
            ("department", department(team)),
            ("description", team.description.clone()),
            ("members", if members.is_empty() { "—".into() } else { members.join(", ") }),
            ("etag", team.etag.clone()),
        ],
    ))
}
