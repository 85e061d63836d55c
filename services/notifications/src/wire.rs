//! Conversions between the notifications service's wire types and its domain, used by `grpc` and
//! the watch streams, and nothing below them. Requests are parsed here, once.

use tonic::Status;

use baton_platform::filter::{self, EQUALITY, Field, Op};
use baton_platform::names::{NotificationName, PersonName, ProjectName};
use baton_platform::paging;
use baton_platform::time::{optional_timestamp, timestamp};
use baton_platform::validate::{self, Violations};
use baton_proto::notifications::v1 as pb;

use crate::domain::{Notification, NotificationCondition, NotificationKind};

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
