//! `baton status PROJECT`: the producer's view of a project at a glance.

use std::collections::HashMap;

use serde_json::{Value, json};

use baton_proto::assets::v1::{Asset, AssetStatus};
use baton_proto::people::v1::GetUtilisationRequest;
use baton_proto::projects::v1::{
    GetProjectHealthRequest, GetProjectRequest, HealthState, ObstacleSeverity, Project, ProjectHealth, ProjectMember,
    ProjectMemberRole,
};

use crate::cli::{AssetKindArg, AssetStatusWord, MemberRoleArg};
use crate::client::Baton;
use crate::error::CliError;
use crate::json;
use crate::output::{Cell, Out, Table, paint};

/// The ANSI style of a workflow status.
pub fn status_style(status: i32) -> &'static str {
    match AssetStatus::try_from(status) {
        Ok(AssetStatus::Planned) => "2",
        Ok(AssetStatus::InProgress) => "34",
        Ok(AssetStatus::InReview) => "33",
        Ok(AssetStatus::ChangesRequested) => "31",
        Ok(AssetStatus::Approved) => "36",
        Ok(AssetStatus::Delivered) => "32",
        _ => "",
    }
}

/// A health state as words.
pub(crate) fn health_word(state: i32) -> &'static str {
    match HealthState::try_from(state) {
        Ok(HealthState::OnTrack) => "on track",
        Ok(HealthState::AtRisk) => "at risk",
        Ok(HealthState::OffTrack) => "off track",
        _ => "unknown",
    }
}

/// An obstacle severity as a word.
pub(crate) fn severity_word(severity: i32) -> &'static str {
    match ObstacleSeverity::try_from(severity) {
        Ok(ObstacleSeverity::Critical) => "critical",
        Ok(ObstacleSeverity::High) => "high",
        Ok(ObstacleSeverity::Medium) => "medium",
        Ok(ObstacleSeverity::Low) => "low",
        _ => "unrated",
    }
}

/// Whether an asset counts as done: approved or delivered.
fn is_done(asset: &Asset) -> bool {
    matches!(AssetStatus::try_from(asset.status), Ok(AssetStatus::Approved | AssetStatus::Delivered))
}

/// Whether the next move on an asset is its assignees': planned, in progress, or changes
/// requested.
fn is_held(asset: &Asset) -> bool {
    matches!(
        AssetStatus::try_from(asset.status),
        Ok(AssetStatus::Planned | AssetStatus::InProgress | AssetStatus::ChangesRequested)
    )
}

fn is_in_review(asset: &Asset) -> bool {
    AssetStatus::try_from(asset.status) == Ok(AssetStatus::InReview)
}

/// Everything the status view shows, read from the server.
#[derive(Debug)]
pub struct Report {
    pub project: Project,
    /// The client's display name (its resource name when it cannot be read).
    pub client_name: String,
    pub team: Vec<ProjectMember>,
    pub assets: Vec<Asset>,
    /// Display names by person resource name, from PeopleService.GetPerson.
    pub names: HashMap<String, String>,
    /// The server's figures (GetProjectHealth); none for a caller who may not read them.
    pub health: Option<ProjectHealth>,
    /// The agency members' load this week; empty for a caller who may not read it.
    pub load: Vec<MemberLoad>,
}

/// One team member's week: the hours they have, those allocated (to every project), and those
/// allocated to this one.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberLoad {
    pub person: String,
    pub available_hours: f64,
    pub allocated_hours: f64,
    pub here_hours: f64,
    pub over_allocated: bool,
}

/// The load this week of the team's agency members (the client's people have none here).
async fn team_load(baton: &Baton, project: &str, team: &[ProjectMember]) -> Result<Vec<MemberLoad>, CliError> {
    let week = crate::cli::RangeArgs { from: None, to: None };
    let (from, to) = crate::commands::people::range_of(&week, 6)?;
    let here = match crate::commands::people::project_allocations(baton, project, from, to).await {
        Ok(allocations) => allocations,
        Err(CliError::Status(status)) if status.code() == tonic::Code::PermissionDenied => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut load = Vec::new();
    for member in team.iter().filter(|m| m.role != ProjectMemberRole::Client as i32) {
        let request = GetUtilisationRequest {
            subject: member.person.clone(),
            start_date: from.to_string(),
            end_date: to.to_string(),
        };
        let report = baton.people().get_utilisation(baton.request(request)).await?.into_inner();
        let Some(person) = report.people.into_iter().next() else { continue };
        let prefix = format!("{}/", member.person);
        let here_hours = here.iter().filter(|a| a.name.starts_with(&prefix)).map(|a| a.hours_per_week).sum();
        load.push(MemberLoad {
            person: member.person.clone(),
            available_hours: person.available_hours,
            allocated_hours: person.allocated_hours,
            here_hours,
            over_allocated: person.over_allocated,
        });
    }
    Ok(load)
}

impl Report {
    pub async fn load(baton: &Baton, project: &str) -> Result<Self, CliError> {
        let request = GetProjectRequest { name: project.to_string() };
        let project = baton.projects().get_project(baton.request(request)).await?.into_inner().project;
        let project = project.unwrap_or_default();
        let assets = baton.all_assets(&project.name).await?;
        let team = baton.all_members(&project.name).await?;
        let people = team.iter().map(|m| &m.person).chain(assets.iter().flat_map(|a| &a.assignees));
        let names = baton.display_names(people).await?;
        let client_name = baton.client_names([&project.client]).await?.remove(&project.client).unwrap_or_default();
        let request = GetProjectHealthRequest { name: format!("{}/health", project.name) };
        let health = match baton.projects().get_project_health(baton.request(request)).await {
            Ok(response) => response.into_inner().health,
            Err(status) if matches!(status.code(), tonic::Code::PermissionDenied | tonic::Code::NotFound) => None,
            Err(status) => return Err(status.into()),
        };
        let load = team_load(baton, &project.name, &team).await?;
        Ok(Self { project, client_name, team, assets, names, health, load })
    }

    fn name_of<'a>(&'a self, person: &'a str) -> &'a str {
        self.names.get(person).map(String::as_str).unwrap_or(person)
    }

    /// The weight of approved or delivered assets, and of all.
    pub fn weights(&self) -> (u64, u64) {
        let total = self.assets.iter().map(|a| u64::from(a.weight)).sum();
        let done = self.assets.iter().filter(|a| is_done(a)).map(|a| u64::from(a.weight)).sum();
        (done, total)
    }

    /// Whole percent done, rounded down so that 100 means everything.
    pub fn percent(&self) -> u64 {
        let (done, total) = self.weights();
        (done * 100).checked_div(total).unwrap_or(0)
    }

    /// The open work of each assignee, in the order people first appear among the assets.
    fn holders(&self) -> Vec<(&str, Vec<&Asset>)> {
        let mut holders: Vec<(&str, Vec<&Asset>)> = Vec::new();
        for asset in self.assets.iter().filter(|a| is_held(a)) {
            for person in &asset.assignees {
                match holders.iter_mut().find(|(p, _)| p == person) {
                    Some((_, assets)) => assets.push(asset),
                    None => holders.push((person, vec![asset])),
                }
            }
        }
        holders
    }

    fn person_json(&self, person: &str) -> Value {
        json!({ "name": person, "display_name": self.name_of(person) })
    }

    pub fn to_json(&self) -> Value {
        let (done, total) = self.weights();
        let share = if total == 0 { 0.0 } else { done as f64 / total as f64 };
        let assets: Vec<Value> = self
            .assets
            .iter()
            .map(|asset| {
                let mut value = json::asset(asset);
                value["assignees"] = asset.assignees.iter().map(|p| self.person_json(p)).collect();
                value
            })
            .collect();
        let waiting: Vec<Value> = self
            .assets
            .iter()
            .filter(|a| is_in_review(a))
            .map(|a| json!({ "name": a.name, "display_name": a.display_name }))
            .collect();
        let holders: Vec<Value> = self
            .holders()
            .into_iter()
            .map(|(person, assets)| {
                let assets: Vec<Value> = assets
                    .iter()
                    .map(|a| {
                        json!({
                            "name": a.name,
                            "display_name": a.display_name,
                            "status": AssetStatusWord::word(a.status),
                        })
                    })
                    .collect();
                json!({ "person": person, "display_name": self.name_of(person), "assets": assets })
            })
            .collect();
        let team: Vec<Value> = self
            .team
            .iter()
            .map(|m| {
                json!({
                    "person": m.person,
                    "display_name": self.name_of(&m.person),
                    "role": MemberRoleArg::word(m.role),
                })
            })
            .collect();
        let health = self.health.as_ref().map(|h| {
            json!({
                "state": health_word(h.state),
                "progress": h.progress,
                "reasons": h.reasons.iter().map(|r| json!({"code": r.code, "message": r.message})).collect::<Vec<_>>(),
                "milestones_at_risk": h.milestones_at_risk.iter().map(|m| json!({"title": m.title, "due_date": m.due_date})).collect::<Vec<_>>(),
                "quality": h.quality.as_ref().map(|q| json!({
                    "score": q.score,
                    "assessed": q.assessed,
                    "failing": q.failing.iter().map(|f| json!({"component": f.component, "title": f.display_name, "failed_checks": f.failed_checks})).collect::<Vec<_>>(),
                })),
                "open_obstacles": h.open_obstacles.iter().map(|o| o.count).sum::<u32>(),
            })
        });
        let load: Vec<Value> = self
            .load
            .iter()
            .map(|l| {
                json!({
                    "person": l.person,
                    "display_name": self.name_of(&l.person),
                    "available_hours": l.available_hours,
                    "allocated_hours": l.allocated_hours,
                    "here_hours": l.here_hours,
                    "over_allocated": l.over_allocated,
                })
            })
            .collect();
        json!({
            "project": json::project(&self.project),
            "client_name": self.client_name,
            "health": health,
            "team": team,
            "load_this_week": load,
            "assets": assets,
            "total_weight": total,
            "done_weight": done,
            "done_share": share,
            "waiting_for_review": waiting,
            "holders": holders,
        })
    }

    /// The team's load this week, one line a member; nothing when it could not be read.
    fn render_load(&self, color: bool) -> String {
        let mut text = String::new();
        if !self.load.is_empty() {
            text.push_str(&paint(color, "Team load this week", "1"));
            text.push('\n');
            let width = self.load.iter().map(|l| self.name_of(&l.person).chars().count()).max().unwrap_or(0);
            for load in &self.load {
                let name = self.name_of(&load.person);
                let fill = " ".repeat(width - name.chars().count());
                let hours = crate::commands::people::hours;
                let mut line = format!(
                    "{} of {} h ({} here)",
                    hours(load.allocated_hours),
                    hours(load.available_hours),
                    hours(load.here_hours)
                );
                if load.over_allocated {
                    line.push_str(&paint(color, "  over-allocated", "31"));
                }
                text.push_str(&format!("  {name}{fill}  {line}\n"));
            }
        }
        text
    }

    /// The view for a terminal; `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        let project = &self.project;
        let mut text = String::new();
        let mut title = format!("{} — {}", project.display_name, self.client_name);
        if !project.due_date.is_empty() {
            title.push_str(&format!(", due {}", project.due_date));
        }
        text.push_str(&paint(color, &title, "1"));
        text.push('\n');
        let components = match self.assets.len() {
            1 => "1 component".to_string(),
            n => format!("{n} components"),
        };
        text.push_str(&paint(
            color,
            &format!("{}  ·  team of {}  ·  {components}", project.name, self.team.len()),
            "2",
        ));
        text.push_str("\n\n");

        if self.assets.is_empty() {
            text.push_str(&format!(
                "No components yet: add one with `baton assets add --project {} --name ... --kind ...`.\n",
                project.name
            ));
            text.push_str(&self.render_load(color));
            return text;
        }

        let mut table = Table::new(&["COMPONENT", "KIND", "STATUS", "WEIGHT", "ASSIGNEES"]).align_right(3);
        for asset in &self.assets {
            let assignees: Vec<&str> = asset.assignees.iter().map(|p| self.name_of(p)).collect();
            table.row(vec![
                Cell::from(asset.display_name.as_str()),
                AssetKindArg::text(asset.kind).into(),
                Cell::styled(AssetStatusWord::text(asset.status), status_style(asset.status)),
                asset.weight.to_string().into(),
                if assignees.is_empty() { "—".into() } else { assignees.join(", ").into() },
            ]);
        }
        text.push_str(&table.render(color, 0));
        text.push('\n');

        let (done, total) = self.weights();
        let percent = self.percent();
        let filled = usize::try_from((done * 20).checked_div(total).unwrap_or(0)).unwrap_or(0).min(20);
        let bar = format!("{}{}", paint(color, &"█".repeat(filled), "32"), paint(color, &"░".repeat(20 - filled), "2"));
        let label = |s: &str| paint(color, &format!("{s:<20}"), "1");
        let (bar, progress) = match &self.health {
            // The server's figure: every component by its weight and how far its status is.
            Some(health) => {
                let filled = ((health.progress * 20.0).floor() as usize).min(20);
                let bar = format!(
                    "{}{}",
                    paint(color, &"█".repeat(filled), "32"),
                    paint(color, &"░".repeat(20 - filled), "2")
                );
                (bar, format!("{}% done by weight and status; ", (health.progress * 100.0).floor()))
            }
            None => (bar, String::new()),
        };
        text.push_str(&format!(
            "{}{bar}  {progress}{percent}% approved or delivered ({done} of {total} by weight)\n",
            label("Progress")
        ));
        let mut counts: Vec<String> = Vec::new();
        for status in [
            AssetStatus::Delivered,
            AssetStatus::Approved,
            AssetStatus::InReview,
            AssetStatus::ChangesRequested,
            AssetStatus::InProgress,
            AssetStatus::Planned,
        ] {
            let n = self.assets.iter().filter(|a| a.status == status as i32).count();
            if n > 0 {
                let word = AssetStatusWord::text(status as i32);
                counts.push(paint(color, &format!("{n} {word}"), status_style(status as i32)));
            }
        }
        text.push_str(&format!("{:20}{}\n", "", counts.join(", ")));

        let waiting: Vec<String> = self
            .assets
            .iter()
            .filter(|a| is_in_review(a))
            .map(|a| {
                let by: Vec<&str> = a.assignees.iter().map(|p| self.name_of(p)).collect();
                if by.is_empty() {
                    a.display_name.clone()
                } else {
                    format!("{} (from {})", a.display_name, by.join(", "))
                }
            })
            .collect();
        let waiting = if waiting.is_empty() { "nothing".to_string() } else { waiting.join("; ") };
        text.push_str(&format!("{}{waiting}\n", label("Waiting for review")));
        if let Some(health) = &self.health {
            let state = health_word(health.state);
            let style = match state {
                "on track" => "32",
                "at risk" => "33",
                _ => "31",
            };
            text.push_str(&format!("{}{}", label("Health"), paint(color, state, style)));
            for (i, reason) in health.reasons.iter().enumerate() {
                let lead = if i == 0 { ": ".to_string() } else { format!("{:20}", "") };
                text.push_str(&format!("{lead}{}\n", reason.message));
            }
            if health.reasons.is_empty() {
                text.push('\n');
            }
            if !health.milestones_at_risk.is_empty() {
                let milestones: Vec<String> = health
                    .milestones_at_risk
                    .iter()
                    .map(|m| {
                        format!(
                            "{} (due {}, {} of {} done)",
                            m.title,
                            m.due_date,
                            m.done_components,
                            m.components.len()
                        )
                    })
                    .collect();
                text.push_str(&format!("{}{}\n", label("Milestones at risk"), milestones.join("; ")));
            }
            let open: Vec<String> = health
                .open_obstacles
                .iter()
                .rev()
                .filter(|o| o.count > 0)
                .map(|o| format!("{} {}", o.count, severity_word(o.severity)))
                .collect();
            if !open.is_empty() {
                text.push_str(&format!("{}{} open\n", label("Obstacles"), open.join(", ")));
            }
            if let Some(quality) = health.quality.as_ref().filter(|q| q.score.is_some()) {
                let score = quality.score.unwrap_or_default();
                let mut line =
                    format!("{:.0}% of checks passed over {} assessed component(s)", score * 100.0, quality.assessed);
                let failing: Vec<String> = quality
                    .failing
                    .iter()
                    .map(|f| format!("{} ({})", f.display_name, f.failed_checks.join(", ")))
                    .collect();
                if !failing.is_empty() {
                    line.push_str(&format!("; failing: {}", failing.join("; ")));
                }
                text.push_str(&format!("{}{line}\n", label("Quality")));
            }
        }

        text.push_str(&self.render_load(color));

        let holders = self.holders();
        if holders.is_empty() {
            text.push_str(&format!("{}nobody: everything is in review or done\n", label("Who holds what")));
            return text;
        }
        text.push_str(&paint(color, "Who holds what", "1"));
        text.push('\n');
        let width = holders.iter().map(|(p, _)| self.name_of(p).chars().count()).max().unwrap_or(0);
        for (person, assets) in holders {
            let work: Vec<String> = assets
                .iter()
                .map(|a| {
                    let status = paint(color, &AssetStatusWord::text(a.status), status_style(a.status));
                    format!("{} ({status})", a.display_name)
                })
                .collect();
            let name = self.name_of(person);
            let fill = " ".repeat(width - name.chars().count());
            text.push_str(&format!("  {name}{fill}  {}\n", work.join(", ")));
        }
        text
    }
}

/// `baton status PROJECT`.
pub async fn run(baton: &Baton, out: &Out, project: &str) -> Result<(), CliError> {
    let project = baton.resolve_project(project).await?;
    let report = Report::load(baton, &project).await?;
    print(out, &report)
}

pub fn print(out: &Out, report: &Report) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&report.to_json());
    }
    out.text(&report.render(out.color))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str, status: AssetStatus, weight: u32, assignees: &[&str]) -> Asset {
        Asset {
            name: format!("projects/p/assets/{name}"),
            display_name: name.into(),
            status: status as i32,
            weight,
            assignees: assignees.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        }
    }

    fn report() -> Report {
        Report {
            project: Project {
                name: "projects/p".into(),
                display_name: "Relaunch".into(),
                client: "clients/c".into(),
                ..Default::default()
            },
            client_name: "Northwind".into(),
            health: None,
            load: Vec::new(),
            team: Vec::new(),
            assets: vec![
                asset("Logo", AssetStatus::Delivered, 30, &["people/a"]),
                asset("Video", AssetStatus::InReview, 50, &["people/b"]),
                asset("Pages", AssetStatus::InProgress, 15, &["people/a", "people/b"]),
                asset("Trailer", AssetStatus::Approved, 5, &[]),
            ],
            names: HashMap::from([("people/a".into(), "Ana".into()), ("people/b".into(), "Bo".into())]),
        }
    }

    #[test]
    fn weights_count_approved_and_delivered() {
        let report = report();
        assert_eq!(report.weights(), (35, 100));
        assert_eq!(report.percent(), 35);
        let value = report.to_json();
        assert_eq!(value["done_weight"], 35);
        assert_eq!(value["waiting_for_review"][0]["display_name"], "Video");
        assert_eq!(value["holders"][0]["display_name"], "Ana");
        assert_eq!(value["holders"][1]["assets"][0]["status"], "in-progress");
    }

    #[test]
    fn the_servers_health_is_shown_with_its_reasons() {
        let mut report = report();
        report.health = Some(ProjectHealth {
            progress: 0.594,
            state: HealthState::AtRisk as i32,
            reasons: vec![
                baton_proto::projects::v1::HealthReason {
                    code: "HIGH_OBSTACLE".into(),
                    state: HealthState::AtRisk as i32,
                    message: "1 high obstacle(s) open: “Licence”".into(),
                },
                baton_proto::projects::v1::HealthReason {
                    code: "MILESTONE_AT_RISK".into(),
                    state: HealthState::AtRisk as i32,
                    message: "1 milestone(s) due within 7 days with work left: “Beta”".into(),
                },
            ],
            milestones_at_risk: vec![baton_proto::projects::v1::Milestone {
                title: "Beta".into(),
                due_date: "2027-03-01".into(),
                components: vec!["projects/p/assets/a".into(), "projects/p/assets/b".into()],
                done_components: 1,
                ..Default::default()
            }],
            open_obstacles: vec![baton_proto::projects::v1::SeverityCount {
                severity: ObstacleSeverity::High as i32,
                count: 1,
            }],
            ..Default::default()
        });
        let text = report.render(false);
        assert!(text.contains("59% done by weight and status; 35% approved or delivered"), "{text}");
        assert!(text.contains("Health              at risk: 1 high obstacle(s) open: “Licence”\n"), "{text}");
        assert!(text.contains("\n                    1 milestone(s) due within 7 days"), "{text}");
        assert!(text.contains("Milestones at risk  Beta (due 2027-03-01, 1 of 2 done)"), "{text}");
        assert!(text.contains("Obstacles           1 high open"), "{text}");
        assert_eq!(report.to_json()["health"]["state"], "at risk");
    }

    #[test]
    fn the_team_load_shows_hours_and_who_is_over_allocated() {
        let mut report = report();
        report.load = vec![
            MemberLoad {
                person: "people/a".into(),
                available_hours: 40.0,
                allocated_hours: 46.0,
                here_hours: 30.0,
                over_allocated: true,
            },
            MemberLoad {
                person: "people/b".into(),
                available_hours: 32.0,
                allocated_hours: 12.5,
                here_hours: 12.5,
                over_allocated: false,
            },
        ];
        let text = report.render(false);
        assert!(text.contains("Team load this week"), "{text}");
        assert!(text.contains("  Ana  46 of 40 h (30 here)  over-allocated\n"), "{text}");
        assert!(text.contains("  Bo   12.5 of 32 h (12.5 here)\n"), "{text}");
        assert_eq!(report.to_json()["load_this_week"][0]["over_allocated"], true);
    }

    #[test]
    fn plain_rendering_has_no_escape_codes() {
        let text = report().render(false);
        assert!(!text.contains('\x1b'));
        assert!(text.contains("35% approved or delivered (35 of 100 by weight)"), "{text}");
        assert!(text.contains("Waiting for review"), "{text}");
        assert!(text.contains("Video (from Bo)"), "{text}");
        assert!(report().render(true).contains('\x1b'));
    }
}
