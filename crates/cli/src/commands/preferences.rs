//! `baton notifications preferences show|set|choose|forget`: how a person wants to be told.

use prost_types::FieldMask;

use baton_proto::notifications::v1::{
    ChannelPreference, GetNotificationPreferencesRequest, NotificationKind, NotificationPreferences, QuietHours,
    UpdateNotificationPreferencesRequest,
};

use crate::cli::{CadenceArg, ChannelArg, PreferencesCommand};
use crate::client::Baton;
use crate::error::CliError;
use crate::json::{kind_of_word, notification_kind};
use crate::output::{Cell, Out, Table};

pub async fn run(baton: &Baton, out: &Out, command: PreferencesCommand) -> Result<(), CliError> {
    match command {
        PreferencesCommand::Show { person } => {
            let person = super::notifications::recipient(baton, person).await?;
            print(out, &read(baton, &person).await?)
        }
        PreferencesCommand::Set { person, time_zone, quiet, digest_at } => {
            let person = super::notifications::recipient(baton, person).await?;
            let mut change = NotificationPreferences::default();
            let mut paths = Vec::new();
            if let Some(zone) = time_zone {
                change.time_zone = if zone.eq_ignore_ascii_case("utc") { String::new() } else { zone };
                paths.push("time_zone");
            }
            if let Some(quiet) = quiet {
                change.quiet_hours = match quiet.trim() {
                    "none" => None,
                    span => {
                        let (start, end) = span.split_once('-').ok_or_else(|| {
                            CliError::Usage(format!("--quiet {span}: give the hours as START-END, such as 22:00-07:00"))
                        })?;
                        Some(QuietHours { start: start.trim().into(), end: end.trim().into() })
                    }
                };
                paths.push("quiet_hours");
            }
            if let Some(at) = digest_at {
                change.daily_digest_time = at;
                paths.push("daily_digest_time");
            }
            if paths.is_empty() {
                return Err(CliError::Usage("nothing to set: give --time-zone, --quiet or --digest-at".into()));
            }
            let saved = write(baton, &person, change, &paths).await?;
            print(out, &saved)
        }
        PreferencesCommand::Choose { person, channel, cadence, kind, project } => {
            let person = super::notifications::recipient(baton, person).await?;
            let wanted = choice_of(baton, channel, Some(cadence), kind.as_deref(), project.as_deref()).await?;
            let current = read(baton, &person).await?;
            let mut choices: Vec<ChannelPreference> =
                current.preferences.into_iter().filter(|c| !same_target(c, &wanted)).collect();
            choices.push(wanted);
            let change = NotificationPreferences { preferences: choices, etag: current.etag, ..Default::default() };
            print(out, &write(baton, &person, change, &["preferences"]).await?)
        }
        PreferencesCommand::Forget { person, channel, kind, project } => {
            let person = super::notifications::recipient(baton, person).await?;
            let target = choice_of(baton, channel, None, kind.as_deref(), project.as_deref()).await?;
            let current = read(baton, &person).await?;
            let before = current.preferences.len();
            let choices: Vec<ChannelPreference> =
                current.preferences.into_iter().filter(|c| !same_target(c, &target)).collect();
            if choices.len() == before {
                return Err(CliError::NotFound("no such choice: see `baton notifications preferences show`".into()));
            }
            let change = NotificationPreferences { preferences: choices, etag: current.etag, ..Default::default() };
            print(out, &write(baton, &person, change, &["preferences"]).await?)
        }
    }
}

fn name_of(person: &str) -> String {
    format!("{person}/notificationPreferences")
}

async fn read(baton: &Baton, person: &str) -> Result<NotificationPreferences, CliError> {
    let request = GetNotificationPreferencesRequest { name: name_of(person) };
    let response = baton.notifications().get_notification_preferences(baton.request_for(person, request)).await?;
    Ok(response.into_inner().preferences.unwrap_or_default())
}

async fn write(
    baton: &Baton,
    person: &str,
    change: NotificationPreferences,
    paths: &[&str],
) -> Result<NotificationPreferences, CliError> {
    let request = UpdateNotificationPreferencesRequest {
        preferences: Some(NotificationPreferences { name: name_of(person), ..change }),
        update_mask: Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
    };
    let response = baton.notifications().update_notification_preferences(baton.request_for(person, request)).await?;
    Ok(response.into_inner().preferences.unwrap_or_default())
}

async fn choice_of(
    baton: &Baton,
    channel: ChannelArg,
    cadence: Option<CadenceArg>,
    kind: Option<&str>,
    project: Option<&str>,
) -> Result<ChannelPreference, CliError> {
    let kind = match kind {
        None => NotificationKind::Unspecified,
        Some(word) => kind_of_word(word).ok_or_else(|| {
            CliError::Usage(format!("--kind {word}: see `baton notifications rules list` for the kinds"))
        })?,
    };
    let project = match project {
        Some(project) => baton.resolve_project(project).await?,
        None => String::new(),
    };
    Ok(ChannelPreference {
        channel: channel.to_proto() as i32,
        kind: kind as i32,
        project,
        cadence: cadence.map_or(0, |c| c.to_proto() as i32),
    })
}

fn same_target(a: &ChannelPreference, b: &ChannelPreference) -> bool {
    (a.channel, a.kind, a.project.as_str()) == (b.channel, b.kind, b.project.as_str())
}

fn print(out: &Out, p: &NotificationPreferences) -> Result<(), CliError> {
    if out.json() {
        return out.json_line(&serde_json::json!({
            "name": p.name,
            "time_zone": if p.time_zone.is_empty() { "UTC" } else { p.time_zone.as_str() },
            "quiet_hours": p.quiet_hours.as_ref().map(|q| format!("{}-{}", q.start, q.end)),
            "daily_digest_time": p.daily_digest_time,
            "preferences": p.preferences.iter().map(|c| serde_json::json!({
                "channel": ChannelArg::word(c.channel),
                "kind": if c.kind == 0 { "every kind".to_string() } else { notification_kind(c.kind) },
                "project": c.project,
                "cadence": CadenceArg::word(c.cadence),
            })).collect::<Vec<_>>(),
            "etag": p.etag,
        }));
    }
    let zone = if p.time_zone.is_empty() { "UTC" } else { &p.time_zone };
    let quiet = p.quiet_hours.as_ref().map_or("none".to_string(), |q| format!("{} to {}", q.start, q.end));
    out.line(format!("time zone {zone}; quiet hours {quiet}; daily digest at {}", p.daily_digest_time))?;
    if p.preferences.is_empty() {
        return out.line("inbox: instant; email: daily digest (the defaults)");
    }
    let mut table = Table::new(&["CHANNEL", "KIND", "PROJECT", "CADENCE"]);
    for c in &p.preferences {
        table.row(vec![
            Cell::from(ChannelArg::word(c.channel)),
            Cell::from(if c.kind == 0 { "every kind".to_string() } else { notification_kind(c.kind) }),
            Cell::from(if c.project.is_empty() { "every project" } else { c.project.as_str() }),
            Cell::from(CadenceArg::text(c.cadence)),
        ]);
    }
    out.text(&table.render(out.color, 0))
}
