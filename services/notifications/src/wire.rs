//! Conversions between the notifications service's wire types and its domain, used by `grpc` and
//! the watch streams, and nothing below them. Requests are parsed here, once.

use tonic::Status;

use baton_platform::filter::{self, EQUALITY, Field, Op};
use baton_platform::names::{NotificationName, PersonName, ProjectName, TeamName};
use baton_platform::paging;
use baton_platform::time::{optional_timestamp, timestamp};
use baton_platform::validate::{self, Violations};
use baton_proto::notifications::v1 as pb;

use crate::app::{PreferencesUpdate, RuleUpdate};
use crate::domain::{Notification, NotificationCondition, NotificationKind};
use crate::preferences::{
    Cadence, Channel, Choice, MAX_CHOICES, Preferences, QuietHours, format_time_of_day, time_of_day, time_zone,
};
use crate::rules::{Audience, Department, MAX_AUDIENCES, ProjectRole, Relation, Rule, RuleName};

pub mod webhooks;

pub fn notification(n: &Notification) -> pb::Notification {
    pb::Notification {
        name: n.name().to_string(),
        recipient: n.recipient.to_string(),
        kind: kind(n.kind) as i32,
        title: n.title.clone(),
        body: n.body.clone(),
        subject: n.subject.clone(),
        project: n.project.clone(),
        actor: n.actor.clone(),
        create_time: Some(timestamp(n.create_time)),
        read_time: optional_timestamp(n.read_time),
        reason: pb::NotificationReason::from_str_name(n.reason.as_str()).unwrap_or_default() as i32,
        archive_time: optional_timestamp(n.archive_time),
        event_count: n.event_count,
        update_time: Some(timestamp(n.update_time)),
    }
}

pub fn kind(kind: NotificationKind) -> pb::NotificationKind {
    pb::NotificationKind::from_str_name(kind.as_str()).unwrap_or(pb::NotificationKind::Unspecified)
}

/// What to list: whose notifications, which, and the page.
#[derive(Debug)]
pub struct ListQuery {
    pub recipient: PersonName,
    pub unread_only: bool,
    pub conditions: Vec<NotificationCondition>,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// The fields ListNotifications filters on.
const LIST_FIELDS: &[Field] = &[
    Field { name: "project", ops: &[Op::Eq] },
    Field { name: "read", ops: EQUALITY },
    Field { name: "archived", ops: EQUALITY },
];

fn condition(condition: filter::Condition) -> Result<NotificationCondition, String> {
    match condition.field {
        "project" => ProjectName::parse(&condition.value)
            .map(|project| NotificationCondition::Project(project.to_string()))
            .map_err(|_| condition.not_a("projects/{project}")),
        "read" => condition.wanted_flag().map(NotificationCondition::Read),
        _ => condition.wanted_flag().map(NotificationCondition::Archived),
    }
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListNotificationsRequest) -> Result<ListQuery, Status> {
    let mut v = Violations::new();
    let recipient = v.check("recipient", PersonName::parse(&request.recipient));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let before_seq = v.check("page_token", paging::decode_seq_token(&request.page_token));
    let conditions = v.check(
        "filter",
        filter::parse(&request.filter, LIST_FIELDS).and_then(|cs| cs.into_iter().map(condition).collect()),
    );
    let query = match (recipient, limit, before_seq, conditions) {
        (Some(recipient), Some(limit), Some(before_seq), Some(conditions)) => {
            Some(ListQuery { recipient, unread_only: request.unread_only, conditions, before_seq, limit })
        }
        _ => None,
    };
    v.finish_with(query)
}

/// The notification a Mark…/Archive/Unarchive call names.
#[allow(clippy::result_large_err)]
pub fn parse_name(name: &str) -> Result<NotificationName, Status> {
    validate::single("name", NotificationName::parse(name))
}

/// MarkAllNotificationsRead's person and project.
#[allow(clippy::result_large_err)]
pub fn parse_mark_all(request: &pb::MarkAllNotificationsReadRequest) -> Result<(PersonName, Option<String>), Status> {
    let mut v = Violations::new();
    let recipient = v.check("recipient", PersonName::parse(&request.recipient));
    let project = if request.project.is_empty() {
        Some(None)
    } else {
        v.check("project", ProjectName::parse(&request.project)).map(|p| Some(p.to_string()))
    };
    let parsed = match (recipient, project) {
        (Some(recipient), Some(project)) => Some((recipient, project)),
        _ => None,
    };
    v.finish_with(parsed)
}

#[allow(clippy::result_large_err)]
pub fn parse_recipient(recipient: &str) -> Result<PersonName, Status> {
    validate::single("recipient", PersonName::parse(recipient))
}

pub fn rule(rule: &Rule) -> pb::NotificationRule {
    pb::NotificationRule {
        name: rule.name.to_string(),
        kind: kind(rule.name.kind) as i32,
        event_type: rule.name.kind.spec().event_type.unwrap_or_default().to_string(),
        audiences: rule.audiences.iter().map(|a| audience(*a)).collect(),
        mandatory: rule.mandatory,
        overridden: rule.overridden,
        update_time: optional_timestamp(rule.update_time),
        updater: rule.updater.map(|p| p.to_string()).unwrap_or_default(),
        etag: rule.etag(),
    }
}

fn audience(audience: Audience) -> pb::Audience {
    use baton_proto::{people::v1 as people, projects::v1 as projects};
    let value = match audience {
        Audience::Relation(r) => {
            pb::audience::Audience::Relation(pb::AudienceRelation::from_str_name(r.as_str()).unwrap_or_default() as i32)
        }
        Audience::ProjectRole(r) => pb::audience::Audience::ProjectRole(
            projects::ProjectMemberRole::from_str_name(r.as_str()).unwrap_or_default() as i32,
        ),
        Audience::Team(team) => pb::audience::Audience::Team(team.to_string()),
        Audience::Department(d) => {
            pb::audience::Audience::Department(people::Department::from_str_name(d.as_str()).unwrap_or_default() as i32)
        }
    };
    pb::Audience { audience: Some(value) }
}

/// A known, set enum value of the wire read as a domain value of the same name.
fn named<T>(value: i32, name: impl Fn(i32) -> Option<&'static str>, from: fn(&str) -> Option<T>) -> Result<T, String> {
    validate::from_wire(value, name, from)?.ok_or_else(|| "is required".to_string())
}

/// A rule's audiences: each set and known, no repeats, at most [`MAX_AUDIENCES`].
fn parse_audiences(v: &mut Violations, field: &str, audiences: &[pb::Audience]) -> Option<Vec<Audience>> {
    use baton_proto::{people::v1 as people, projects::v1 as projects};
    if audiences.len() > MAX_AUDIENCES {
        v.add(field, format!("names {} audiences; at most {MAX_AUDIENCES}", audiences.len()));
        return None;
    }
    let mut parsed = Vec::with_capacity(audiences.len());
    for (i, a) in audiences.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let value = match &a.audience {
            None => Err("sets none of relation, project_role, team, department".to_string()),
            Some(pb::audience::Audience::Relation(r)) => {
                named(*r, |v| pb::AudienceRelation::try_from(v).ok().map(|r| r.as_str_name()), Relation::from_name)
                    .map(Audience::Relation)
                    .map_err(|e| format!("relation {e}"))
            }
            Some(pb::audience::Audience::ProjectRole(r)) => named(
                *r,
                |v| projects::ProjectMemberRole::try_from(v).ok().map(|r| r.as_str_name()),
                ProjectRole::from_name,
            )
            .map(Audience::ProjectRole)
            .map_err(|e| format!("project_role {e}")),
            Some(pb::audience::Audience::Team(team)) => {
                TeamName::parse(team).map(Audience::Team).map_err(|e| format!("team {e}"))
            }
            Some(pb::audience::Audience::Department(d)) => {
                named(*d, |v| people::Department::try_from(v).ok().map(|d| d.as_str_name()), Department::from_name)
                    .map(Audience::Department)
                    .map_err(|e| format!("department {e}"))
            }
        };
        match value {
            Ok(audience) if parsed.contains(&audience) => v.add(at, "repeats an earlier audience"),
            Ok(audience) => parsed.push(audience),
            Err(e) => v.add(at, e),
        }
    }
    Some(parsed)
}

/// A rule's name: the agency's (`project` false) or a project's.
#[allow(clippy::result_large_err)]
pub fn parse_rule_name(name: &str, project: bool) -> Result<RuleName, Status> {
    validate::single("name", RuleName::parse(name, project))
}

/// ListProjectNotificationRules' project.
#[allow(clippy::result_large_err)]
pub fn parse_parent(parent: &str) -> Result<ProjectName, Status> {
    validate::single("parent", ProjectName::parse(parent))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum RuleField {
    Audiences,
    Mandatory,
}

fn rule_path(field: RuleField) -> &'static str {
    match field {
        RuleField::Audiences => "audiences",
        RuleField::Mandatory => "mandatory",
    }
}

/// UpdateNotificationRule (`project` false: audiences and mandatory) or
/// UpdateProjectNotificationRule (`project` true: audiences).
#[allow(clippy::result_large_err)]
pub fn parse_rule_update(
    rule: Option<&pb::NotificationRule>,
    mask: Option<&prost_types::FieldMask>,
    project: bool,
) -> Result<RuleUpdate, Status> {
    let mut v = Violations::new();
    let Some(rule) = rule else {
        v.add("rule", "is required");
        return v.finish_with(None);
    };
    let name = v.check("rule.name", RuleName::parse(&rule.name, project));
    let all: &[RuleField] =
        if project { &[RuleField::Audiences] } else { &[RuleField::Audiences, RuleField::Mandatory] };
    // Nothing marks an empty list or a false flag as set: without a mask, every field is.
    let fields = baton_platform::mask::fields(&mut v, mask, all, rule_path, |_| true);
    let audiences = if fields.contains(&RuleField::Audiences) {
        parse_audiences(&mut v, "rule.audiences", &rule.audiences).map(Some)
    } else {
        Some(None)
    };
    let mandatory = fields.contains(&RuleField::Mandatory).then_some(rule.mandatory);
    let etag = (!rule.etag.is_empty()).then(|| rule.etag.clone());
    let update = match (name, audiences) {
        (Some(name), Some(audiences)) => Some(RuleUpdate { name, audiences, mandatory, etag }),
        _ => None,
    };
    v.finish_with(update)
}

/// The collection of a person's preferences: `people/{person}/notificationPreferences`.
const PREFERENCES: &str = "/notificationPreferences";

/// A person's preferences by name.
pub fn parse_preferences_name(name: &str) -> Result<PersonName, String> {
    name.strip_suffix(PREFERENCES)
        .and_then(|person| PersonName::parse(person).ok())
        .ok_or_else(|| "must be people/{person}/notificationPreferences".to_string())
}

pub fn preferences(p: &Preferences) -> pb::NotificationPreferences {
    pb::NotificationPreferences {
        name: format!("{}{PREFERENCES}", p.person),
        time_zone: p.time_zone.clone().unwrap_or_default(),
        quiet_hours: p
            .quiet_hours
            .map(|q| pb::QuietHours { start: format_time_of_day(q.start), end: format_time_of_day(q.end) }),
        daily_digest_time: format_time_of_day(p.digest_time),
        preferences: p
            .choices
            .iter()
            .map(|c| pb::ChannelPreference {
                channel: pb::NotificationChannel::from_str_name(c.channel.as_str()).unwrap_or_default() as i32,
                kind: c.kind.map_or(pb::NotificationKind::Unspecified, kind) as i32,
                project: c.project.map(|p| ProjectName::new(p).to_string()).unwrap_or_default(),
                cadence: pb::Cadence::from_str_name(c.cadence.as_str()).unwrap_or_default() as i32,
            })
            .collect(),
        update_time: optional_timestamp(p.update_time),
        etag: p.etag(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum PreferencesField {
    TimeZone,
    QuietHours,
    DailyDigestTime,
    Choices,
}

fn preferences_path(field: PreferencesField) -> &'static str {
    match field {
        PreferencesField::TimeZone => "time_zone",
        PreferencesField::QuietHours => "quiet_hours",
        PreferencesField::DailyDigestTime => "daily_digest_time",
        PreferencesField::Choices => "preferences",
    }
}

fn parse_choices(v: &mut Violations, choices: &[pb::ChannelPreference]) -> Option<Vec<Choice>> {
    if choices.len() > MAX_CHOICES {
        v.add("preferences.preferences", format!("holds {} choices; at most {MAX_CHOICES}", choices.len()));
        return None;
    }
    let mut parsed: Vec<Choice> = Vec::with_capacity(choices.len());
    for (i, c) in choices.iter().enumerate() {
        let at = |field: &str| format!("preferences.preferences[{i}].{field}");
        let channel = v.check(
            &at("channel"),
            named(
                c.channel,
                |x| pb::NotificationChannel::try_from(x).ok().map(|c| c.as_str_name()),
                Channel::from_name,
            ),
        );
        let cadence = v.check(
            &at("cadence"),
            named(c.cadence, |x| pb::Cadence::try_from(x).ok().map(|c| c.as_str_name()), Cadence::from_name),
        );
        let kind = v.check(
            &at("kind"),
            validate::from_wire(
                c.kind,
                |x| pb::NotificationKind::try_from(x).ok().map(|k| k.as_str_name()),
                NotificationKind::from_name,
            ),
        );
        let project = if c.project.is_empty() {
            Some(None)
        } else {
            v.check(&at("project"), ProjectName::parse(&c.project)).map(|p| Some(p.id))
        };
        let (Some(channel), Some(cadence), Some(kind), Some(project)) = (channel, cadence, kind, project) else {
            continue;
        };
        if !channel.offers(cadence) {
            v.add(at("cadence"), "the inbox is INSTANT or MUTED: digests are email's");
            continue;
        }
        let choice = Choice { channel, kind, project, cadence };
        if parsed.iter().any(|p| (p.channel, p.kind, p.project) == (channel, kind, project)) {
            v.add(
                format!("preferences.preferences[{i}]"),
                "repeats the channel, kind and project of an earlier choice",
            );
            continue;
        }
        parsed.push(choice);
    }
    Some(parsed)
}

/// UpdateNotificationPreferences: the person and each field the mask (or, without one, the
/// request) names, checked.
#[allow(clippy::result_large_err)]
pub fn parse_preferences_update(
    request: &pb::UpdateNotificationPreferencesRequest,
) -> Result<PreferencesUpdate, Status> {
    let mut v = Violations::new();
    let Some(p) = request.preferences.as_ref() else {
        v.add("preferences", "is required");
        return v.finish_with(None);
    };
    let person = v.check("preferences.name", parse_preferences_name(&p.name));
    let all = [
        PreferencesField::TimeZone,
        PreferencesField::QuietHours,
        PreferencesField::DailyDigestTime,
        PreferencesField::Choices,
    ];
    let fields =
        baton_platform::mask::fields(&mut v, request.update_mask.as_ref(), &all, preferences_path, |f| match f {
            PreferencesField::TimeZone => !p.time_zone.is_empty(),
            PreferencesField::QuietHours => p.quiet_hours.is_some(),
            PreferencesField::DailyDigestTime => !p.daily_digest_time.is_empty(),
            PreferencesField::Choices => !p.preferences.is_empty(),
        });
    let named_field = |f| fields.contains(&f);
    let time_zone = if !named_field(PreferencesField::TimeZone) {
        Some(None)
    } else if p.time_zone.is_empty() {
        Some(Some(None))
    } else {
        v.check("preferences.time_zone", time_zone(&p.time_zone)).map(|tz| Some(Some(tz)))
    };
    let quiet_hours = match (&p.quiet_hours, named_field(PreferencesField::QuietHours)) {
        (_, false) => Some(None),
        (None, true) => Some(Some(None)),
        (Some(q), true) => {
            let start = v.check("preferences.quiet_hours.start", time_of_day(&q.start));
            let end = v.check("preferences.quiet_hours.end", time_of_day(&q.end));
            match (start, end) {
                (Some(start), Some(end)) if start == end => {
                    v.add("preferences.quiet_hours.end", "must differ from start");
                    None
                }
                (Some(start), Some(end)) => Some(Some(Some(QuietHours { start, end }))),
                _ => None,
            }
        }
    };
    let digest_time = if !named_field(PreferencesField::DailyDigestTime) {
        Some(None)
    } else if p.daily_digest_time.is_empty() {
        Some(Some(crate::preferences::DEFAULT_DIGEST_TIME))
    } else {
        v.check("preferences.daily_digest_time", time_of_day(&p.daily_digest_time)).map(Some)
    };
    let choices = if named_field(PreferencesField::Choices) {
        parse_choices(&mut v, &p.preferences).map(Some)
    } else {
        Some(None)
    };
    let etag = (!p.etag.is_empty()).then(|| p.etag.clone());
    let update = match (person, time_zone, quiet_hours, digest_time, choices) {
        (Some(person), Some(time_zone), Some(quiet_hours), Some(digest_time), Some(choices)) => {
            Some(PreferencesUpdate { person, time_zone, quiet_hours, digest_time, choices, etag })
        }
        _ => None,
    };
    v.finish_with(update)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_names_a_project_read_or_archived() {
        let recipient = format!("people/{}", uuid::Uuid::now_v7());
        let list = |filter: &str| {
            parse_list(&pb::ListNotificationsRequest {
                recipient: recipient.clone(),
                filter: filter.into(),
                ..Default::default()
            })
        };
        let project = format!("projects/{}", uuid::Uuid::now_v7());
        let query = list(&format!("project = \"{project}\" AND read != true AND archived = true")).expect("valid");
        assert_eq!(
            query.conditions,
            [
                NotificationCondition::Project(project),
                NotificationCondition::Read(false),
                NotificationCondition::Archived(true)
            ]
        );
        for bad in ["colour = red", "read = maybe", "project = \"people/x\"", "project != \"projects/x\""] {
            assert!(list(bad).expect_err(bad).message().contains("filter"), "{bad}");
        }
    }

    #[test]
    fn every_kind_has_a_wire_value() {
        for value in NotificationKind::ALL {
            assert_ne!(kind(*value), pb::NotificationKind::Unspecified, "{value}");
        }
    }
}
