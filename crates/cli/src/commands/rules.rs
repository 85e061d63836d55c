//! `baton notifications rules list|show|set|reset`: who is told of what.

use clap::ValueEnum;
use prost_types::FieldMask;

use baton_proto::notifications::v1::{
    Audience, AudienceRelation, GetNotificationRuleRequest, GetProjectNotificationRuleRequest,
    ListNotificationRulesRequest, ListProjectNotificationRulesRequest, NotificationRule,
    ResetProjectNotificationRuleRequest, UpdateNotificationRuleRequest, UpdateProjectNotificationRuleRequest, audience,
};

use crate::cli::{DepartmentArg, MemberRoleArg, RulesCommand};
use crate::client::Baton;
use crate::error::CliError;
use crate::json::{enum_word, notification_kind};
use crate::output::{Cell, Out, Table};

pub async fn run(baton: &Baton, out: &Out, command: RulesCommand) -> Result<(), CliError> {
    let mut client = baton.notifications();
    match command {
        RulesCommand::List { project } => {
            let rules = match project {
                Some(project) => {
                    let parent = baton.resolve_project(&project).await?;
                    let request = ListProjectNotificationRulesRequest { parent };
                    client.list_project_notification_rules(baton.request(request)).await?.into_inner().rules
                }
                None => {
                    let request = ListNotificationRulesRequest {};
                    client.list_notification_rules(baton.request(request)).await?.into_inner().rules
                }
            };
            if out.json() {
                for rule in &rules {
                    out.json_line(&rule_json(rule))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["KIND", "WHO IS TOLD", ""]);
            for rule in &rules {
                table.row(vec![
                    Cell::from(notification_kind(rule.kind)),
                    Cell::from(audiences_text(&rule.audiences)),
                    Cell::from(flags(rule)),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        RulesCommand::Show { kind, project } => {
            let name = rule_name(baton, &kind, project.as_deref()).await?;
            let rule = if project.is_some() {
                let request = GetProjectNotificationRuleRequest { name };
                client.get_project_notification_rule(baton.request(request)).await?.into_inner().rule
            } else {
                let request = GetNotificationRuleRequest { name };
                client.get_notification_rule(baton.request(request)).await?.into_inner().rule
            };
            print(out, &rule.unwrap_or_default())
        }
        RulesCommand::Set { kind, audiences, project, mandatory } => {
            let name = rule_name(baton, &kind, project.as_deref()).await?;
            let mut parsed = Vec::with_capacity(audiences.len());
            for word in audiences.iter().filter(|w| !w.trim().is_empty()) {
                parsed.push(parse_audience(baton, word).await?);
            }
            let mut paths = vec!["audiences".to_string()];
            if mandatory.is_some() {
                paths.push("mandatory".into());
            }
            let rule = NotificationRule {
                name,
                audiences: parsed,
                mandatory: mandatory.unwrap_or_default(),
                ..Default::default()
            };
            let update_mask = Some(FieldMask { paths });
            let rule = if project.is_some() {
                let request = UpdateProjectNotificationRuleRequest { rule: Some(rule), update_mask };
                client.update_project_notification_rule(baton.request(request)).await?.into_inner().rule
            } else {
                let request = UpdateNotificationRuleRequest { rule: Some(rule), update_mask };
                client.update_notification_rule(baton.request(request)).await?.into_inner().rule
            };
            print(out, &rule.unwrap_or_default())
        }
        RulesCommand::Reset { kind, project } => {
            let name = rule_name(baton, &kind, Some(&project)).await?;
            let request = ResetProjectNotificationRuleRequest { name, etag: String::new() };
            let rule = client.reset_project_notification_rule(baton.request(request)).await?.into_inner().rule;
            print(out, &rule.unwrap_or_default())
        }
    }
}

async fn rule_name(baton: &Baton, kind: &str, project: Option<&str>) -> Result<String, CliError> {
    let kind = kind.trim().to_ascii_lowercase().replace('_', "-");
    Ok(match project {
        Some(project) => format!("{}/notificationRules/{kind}", baton.resolve_project(project).await?),
        None => format!("notificationRules/{kind}"),
    })
}

/// An audience from its word: `assignees`, `role:producer`, `team:Motion`, `department:web`, ….
async fn parse_audience(baton: &Baton, word: &str) -> Result<Audience, CliError> {
    let word = word.trim();
    let value = match word.split_once(':') {
        Some(("role", role)) => {
            let role = MemberRoleArg::from_str(role, true).map_err(|_| usage(word))?;
            audience::Audience::ProjectRole(role.to_proto() as i32)
        }
        Some(("department", department)) => {
            let department = DepartmentArg::from_str(department, true).map_err(|_| usage(word))?;
            audience::Audience::Department(department.to_proto() as i32)
        }
        Some(("team", team)) => audience::Audience::Team(baton.resolve_team(team).await?),
        Some(_) => return Err(usage(word)),
        None => {
            let name = format!("AUDIENCE_RELATION_{}", word.to_ascii_uppercase().replace('-', "_"));
            let relation = AudienceRelation::from_str_name(&name)
                .filter(|r| *r != AudienceRelation::Unspecified)
                .ok_or_else(|| usage(word))?;
            audience::Audience::Relation(relation as i32)
        }
    };
    Ok(Audience { audience: Some(value) })
}

fn usage(word: &str) -> CliError {
    CliError::Usage(format!(
        "“{word}” is no audience: use assignees, watchers, mentioned, reviewers, subject, project-team, \
         role:ROLE, team:TEAM or department:DEPARTMENT"
    ))
}

/// An audience as the CLI writes it (the word `set --to` reads).
fn audience_word(audience: &Audience) -> String {
    match &audience.audience {
        Some(audience::Audience::Relation(r)) => {
            enum_word(AudienceRelation::try_from(*r).unwrap_or_default().as_str_name(), "AUDIENCE_RELATION_")
        }
        Some(audience::Audience::ProjectRole(r)) => format!("role:{}", MemberRoleArg::word(*r)),
        Some(audience::Audience::Team(team)) => format!("team:{team}"),
        Some(audience::Audience::Department(d)) => format!("department:{}", DepartmentArg::word(*d)),
        None => "unspecified".into(),
    }
}

fn audiences_text(audiences: &[Audience]) -> String {
    if audiences.is_empty() {
        return "nobody".into();
    }
    audiences.iter().map(audience_word).collect::<Vec<_>>().join(", ")
}

fn flags(rule: &NotificationRule) -> String {
    let mut flags = Vec::new();
    if rule.mandatory {
        flags.push("mandatory");
    }
    if rule.overridden {
        flags.push(if rule.name.starts_with("projects/") { "this project's" } else { "changed" });
    }
    flags.join(", ")
}

fn rule_json(rule: &NotificationRule) -> serde_json::Value {
    serde_json::json!({
        "name": rule.name,
        "kind": notification_kind(rule.kind),
        "event_type": rule.event_type,
        "audiences": rule.audiences.iter().map(audience_word).collect::<Vec<_>>(),
        "mandatory": rule.mandatory,
        "overridden": rule.overridden,
        "updater": rule.updater,
        "etag": rule.etag,
    })
}

fn print(out: &Out, rule: &NotificationRule) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&rule_json(rule));
    }
    let flags = flags(rule);
    let flags = if flags.is_empty() { String::new() } else { format!(" ({flags})") };
    out.line(format!("{}: {}{flags}", notification_kind(rule.kind), audiences_text(&rule.audiences)))
}
