//! Resources as JSON for scripts: the proto field names, enum values as the same kebab-case words
//! the command line takes (`audio-engineer`, `in-review`), timestamps in RFC 3339.

use serde_json::{Value, json};

use baton_proto::assets::v1::Asset;
use baton_proto::notifications::v1::{Notification, NotificationKind, NotificationReason};
use baton_proto::people::v1::Person;
use baton_proto::projects::v1::{Client, Project, ProjectMember, ProjectState};

use crate::cli::{AssetKindArg, AssetStatusWord, DisciplineArg, MemberRoleArg, PersonRoleArg, SkillLevelArg};
use crate::output::time;

fn optional_time(timestamp: Option<&prost_types::Timestamp>) -> Value {
    match timestamp {
        Some(timestamp) => Value::String(time(Some(timestamp))),
        None => Value::Null,
    }
}

pub fn person(person: &Person) -> Value {
    json!({
        "name": person.name,
        "display_name": person.display_name,
        "email": person.email,
        "role": PersonRoleArg::word(person.role),
        "skills": person.skills.iter().map(|s| json!({
            "discipline": DisciplineArg::word(s.discipline),
            "level": SkillLevelArg::word(s.level),
        })).collect::<Vec<_>>(),
        "weekly_hours": person.weekly_hours,
        "over_allocated": person.over_allocated,
        "create_time": optional_time(person.create_time.as_ref()),
        "update_time": optional_time(person.update_time.as_ref()),
        "etag": person.etag,
    })
}

/// A project state as one word of the command line (`pre-production`).
pub fn project_state(state: i32) -> &'static str {
    match ProjectState::try_from(state) {
        Ok(ProjectState::Conception) => "conception",
        Ok(ProjectState::PreProduction) => "pre-production",
        Ok(ProjectState::Production) => "production",
        Ok(ProjectState::FineTuning) => "fine-tuning",
        Ok(ProjectState::Delivered) => "delivered",
        Ok(ProjectState::Archived) => "archived",
        Ok(ProjectState::OnHold) => "on-hold",
        Ok(ProjectState::Cancelled) => "cancelled",
        _ => "unspecified",
    }
}

pub fn project(project: &Project) -> Value {
    json!({
        "name": project.name,
        "display_name": project.display_name,
        "client": project.client,
        "brief": project.brief,
        "due_date": project.due_date,
        "state": project_state(project.state),
        "held_state": project_state(project.held_state),
        "create_time": optional_time(project.create_time.as_ref()),
        "update_time": optional_time(project.update_time.as_ref()),
        "etag": project.etag,
    })
}

pub fn client(client: &Client) -> Value {
    json!({
        "name": client.name,
        "display_name": client.display_name,
        "industry": client.industry,
        "notes": client.notes,
        "contacts": client.contacts.iter().map(|c| json!({"person": c.person, "title": c.title})).collect::<Vec<_>>(),
        "create_time": optional_time(client.create_time.as_ref()),
        "update_time": optional_time(client.update_time.as_ref()),
        "etag": client.etag,
    })
}

pub fn member(member: &ProjectMember) -> Value {
    json!({
        "name": member.name,
        "person": member.person,
        "role": MemberRoleArg::word(member.role),
        "create_time": optional_time(member.create_time.as_ref()),
    })
}

pub fn asset(asset: &Asset) -> Value {
    json!({
        "name": asset.name,
        "display_name": asset.display_name,
        "description": asset.description,
        "kind": AssetKindArg::word(asset.kind),
        "status": AssetStatusWord::word(asset.status),
        "assignees": asset.assignees,
        "weight": asset.weight,
        "due_date": if asset.due_date.is_empty() { Value::Null } else { Value::from(asset.due_date.clone()) },
        "watchers": asset.watchers,
        "blocked_by": asset.blocked_by,
        "create_time": optional_time(asset.create_time.as_ref()),
        "update_time": optional_time(asset.update_time.as_ref()),
        "etag": asset.etag,
    })
}

/// A wire enum value's name as a word of the CLI: `NOTIFICATION_KIND_ASSET_CREATED` less its
/// prefix is `asset-created`.
pub fn enum_word(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_ascii_lowercase().replace('_', "-")
}

/// A notification kind as the CLI writes it, `asset-status-changed`; "unspecified" when unknown.
pub fn notification_kind(kind: i32) -> String {
    let name = NotificationKind::try_from(kind).unwrap_or_default().as_str_name();
    enum_word(name, "NOTIFICATION_KIND_")
}

/// A notification kind from its word, `asset-status-changed`; `None` for a word that is none.
pub fn kind_of_word(word: &str) -> Option<NotificationKind> {
    let name = format!("NOTIFICATION_KIND_{}", word.trim().to_ascii_uppercase().replace('-', "_"));
    NotificationKind::from_str_name(&name).filter(|k| *k != NotificationKind::Unspecified)
}

/// Why a notification was sent, as the CLI writes it, `team-member`.
pub fn notification_reason(reason: i32) -> String {
    let name = NotificationReason::try_from(reason).unwrap_or_default().as_str_name();
    enum_word(name, "NOTIFICATION_REASON_")
}

pub fn notification(notification: &Notification) -> Value {
    json!({
        "name": notification.name,
        "recipient": notification.recipient,
        "kind": notification_kind(notification.kind),
        "title": notification.title,
        "body": notification.body,
        "subject": notification.subject,
        "project": notification.project,
        "actor": notification.actor,
        "create_time": optional_time(notification.create_time.as_ref()),
        "read_time": optional_time(notification.read_time.as_ref()),
        "reason": notification_reason(notification.reason),
        "archive_time": optional_time(notification.archive_time.as_ref()),
    })
}
