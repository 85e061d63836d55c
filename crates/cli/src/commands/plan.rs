//! `baton milestones add|list` and `baton obstacles raise|list|resolve|reopen`: the producer's
//! plan and what stands in its way.

use baton_proto::projects::v1::{
    CreateMilestoneRequest, ListMilestonesRequest, ListObstaclesRequest, Milestone, MilestoneState, Obstacle,
    ObstacleKind, ObstacleSeverity, ObstacleState, RaiseObstacleRequest, ReopenObstacleRequest, ResolveObstacleRequest,
};
use serde_json::json;

use crate::cli::{MilestonesCommand, ObstacleKindArg, ObstaclesCommand, SeverityArg};
use crate::client::Baton;
use crate::error::CliError;
use crate::output::{Cell, Out, Table};
use crate::status::severity_word;

fn milestone_state(state: i32) -> &'static str {
    match MilestoneState::try_from(state) {
        Ok(MilestoneState::Upcoming) => "upcoming",
        Ok(MilestoneState::Due) => "due",
        Ok(MilestoneState::Met) => "met",
        Ok(MilestoneState::Missed) => "missed",
        _ => "unknown",
    }
}

fn milestone_json(m: &Milestone) -> serde_json::Value {
    json!({
        "name": m.name,
        "title": m.title,
        "due_date": m.due_date,
        "components": m.components,
        "state": milestone_state(m.state),
        "done_components": m.done_components,
        "etag": m.etag,
    })
}

pub async fn milestones(baton: &Baton, out: &Out, command: MilestonesCommand) -> Result<(), CliError> {
    match command {
        MilestonesCommand::Add { project, name, due, components, idempotency } => {
            let parent = baton.resolve_project(&project).await?;
            let mut names = Vec::with_capacity(components.len());
            for component in &components {
                names.push(baton.resolve_asset(component, Some(&parent)).await?);
            }
            let milestone = Milestone { title: name, due_date: due, components: names, ..Default::default() };
            let request =
                CreateMilestoneRequest { parent, milestone: Some(milestone), request_id: idempotency.value() };
            let created = baton.projects().create_milestone(baton.request(request)).await?.into_inner().milestone;
            print_milestones(out, &[created.unwrap_or_default()])
        }
        MilestonesCommand::List { project } => {
            let parent = baton.resolve_project(&project).await?;
            let mut all = Vec::new();
            let mut page_token = String::new();
            loop {
                let request = ListMilestonesRequest { parent: parent.clone(), page_size: 1000, page_token };
                let page = baton.projects().list_milestones(baton.request(request)).await?.into_inner();
                all.extend(page.milestones);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            print_milestones(out, &all)
        }
    }
}

fn print_milestones(out: &Out, milestones: &[Milestone]) -> Result<(), CliError> {
    if out.json() {
        for m in milestones {
            out.json_line(&milestone_json(m))?;
        }
        return Ok(());
    }
    let mut table = Table::new(&["MILESTONE", "DUE", "STATE", "DONE"]);
    for m in milestones {
        table.row(vec![
            Cell::from(m.title.as_str()),
            m.due_date.as_str().into(),
            milestone_state(m.state).into(),
            format!("{} of {}", m.done_components, m.components.len()).into(),
        ]);
    }
    out.text(&table.render(out.color, 0))
}

fn severity(arg: SeverityArg) -> ObstacleSeverity {
    match arg {
        SeverityArg::Low => ObstacleSeverity::Low,
        SeverityArg::Medium => ObstacleSeverity::Medium,
        SeverityArg::High => ObstacleSeverity::High,
        SeverityArg::Critical => ObstacleSeverity::Critical,
    }
}

fn obstacle_json(o: &Obstacle) -> serde_json::Value {
    json!({
        "name": o.name,
        "title": o.title,
        "kind": if o.kind == ObstacleKind::Blocker as i32 { "blocker" } else { "risk" },
        "severity": severity_word(o.severity),
        "component": o.component,
        "owner": o.owner,
        "state": if o.state == ObstacleState::Resolved as i32 { "resolved" } else { "open" },
        "resolution": o.resolution,
        "etag": o.etag,
    })
}

async fn print_obstacles(baton: &Baton, out: &Out, obstacles: &[Obstacle]) -> Result<(), CliError> {
    if out.json() {
        for o in obstacles {
            out.json_line(&obstacle_json(o))?;
        }
        return Ok(());
    }
    let names = baton.display_names(obstacles.iter().map(|o| &o.owner).filter(|o| !o.is_empty())).await?;
    let mut table = Table::new(&["OBSTACLE", "KIND", "SEVERITY", "OWNER", "STATE", "NAME"]);
    for o in obstacles {
        let kind = if o.kind == ObstacleKind::Blocker as i32 { "blocker" } else { "risk" };
        let state = if o.state == ObstacleState::Resolved as i32 { "resolved" } else { "open" };
        table.row(vec![
            Cell::from(o.title.as_str()),
            kind.into(),
            severity_word(o.severity).into(),
            names.get(&o.owner).cloned().unwrap_or_else(|| "—".into()).into(),
            state.into(),
            o.name.as_str().into(),
        ]);
    }
    out.text(&table.render(out.color, 0))
}

pub async fn obstacles(baton: &Baton, out: &Out, command: ObstaclesCommand) -> Result<(), CliError> {
    match command {
        ObstaclesCommand::Raise { project, name, kind, severity: level, component, owner, idempotency } => {
            let parent = baton.resolve_project(&project).await?;
            let component = match component {
                Some(c) => baton.resolve_asset(&c, Some(&parent)).await?,
                None => String::new(),
            };
            let owner = match owner {
                Some(o) => baton.resolve_person(&o).await?,
                None => String::new(),
            };
            let kind = if kind == ObstacleKindArg::Blocker { ObstacleKind::Blocker } else { ObstacleKind::Risk };
            let obstacle = Obstacle {
                title: name,
                kind: kind as i32,
                severity: severity(level) as i32,
                component,
                owner,
                ..Default::default()
            };
            let request = RaiseObstacleRequest { parent, obstacle: Some(obstacle), request_id: idempotency.value() };
            let raised = baton.projects().raise_obstacle(baton.request(request)).await?.into_inner().obstacle;
            print_obstacles(baton, out, &[raised.unwrap_or_default()]).await
        }
        ObstaclesCommand::List { project, all } => {
            let parent = baton.resolve_project(&project).await?;
            let filter = if all { String::new() } else { "state = OBSTACLE_STATE_OPEN".to_string() };
            let mut obstacles = Vec::new();
            let mut page_token = String::new();
            loop {
                let request = ListObstaclesRequest {
                    parent: parent.clone(),
                    page_size: 1000,
                    page_token,
                    filter: filter.clone(),
                };
                let page = baton.projects().list_obstacles(baton.request(request)).await?.into_inner();
                obstacles.extend(page.obstacles);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            print_obstacles(baton, out, &obstacles).await
        }
        ObstaclesCommand::Resolve { obstacle, resolution, idempotency } => {
            let request = ResolveObstacleRequest {
                name: obstacle,
                resolution,
                etag: String::new(),
                request_id: idempotency.value(),
            };
            let resolved = baton.projects().resolve_obstacle(baton.request(request)).await?.into_inner().obstacle;
            print_obstacles(baton, out, &[resolved.unwrap_or_default()]).await
        }
        ObstaclesCommand::Reopen { obstacle, idempotency } => {
            let request =
                ReopenObstacleRequest { name: obstacle, etag: String::new(), request_id: idempotency.value() };
            let reopened = baton.projects().reopen_obstacle(baton.request(request)).await?.into_inner().obstacle;
            print_obstacles(baton, out, &[reopened.unwrap_or_default()]).await
        }
    }
}
