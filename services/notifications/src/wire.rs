//! Conversions between the notifications service's wire types and its domain, used by `grpc` and
//! the watch streams, and nothing below them. Requests are parsed here, once.

use tonic::Status;

use baton_platform::names::{NotificationName, PersonName};
use baton_platform::paging;
use baton_platform::time::{optional_timestamp, timestamp};
use baton_platform::validate::{self, Violations};
use baton_proto::notifications::v1 as pb;

use crate::domain::{Notification, NotificationKind};

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
    }
}

pub fn kind(kind: NotificationKind) -> pb::NotificationKind {
    pb::NotificationKind::from_str_name(kind.as_str()).unwrap_or(pb::NotificationKind::Unspecified)
}

/// What to list: whose notifications, which, and the page.
pub struct ListQuery {
    pub recipient: PersonName,
    pub unread_only: bool,
    pub before_seq: Option<i64>,
    pub limit: i64,
}

#[allow(clippy::result_large_err)]
pub fn parse_list(request: &pb::ListNotificationsRequest) -> Result<ListQuery, Status> {
    let mut v = Violations::new();
    let recipient = v.check("recipient", PersonName::parse(&request.recipient));
    let limit = v.check("page_size", paging::page_size(request.page_size));
    let before_seq = v.check("page_token", paging::decode_seq_token(&request.page_token));
    let query = match (recipient, limit, before_seq) {
        (Some(recipient), Some(limit), Some(before_seq)) => {
            Some(ListQuery { recipient, unread_only: request.unread_only, before_seq, limit })
        }
        _ => None,
    };
    v.finish_with(query)
}

#[allow(clippy::result_large_err)]
pub fn parse_mark_read(request: &pb::MarkNotificationReadRequest) -> Result<NotificationName, Status> {
    validate::single("name", NotificationName::parse(&request.name))
}

#[allow(clippy::result_large_err)]
pub fn parse_watch(request: &pb::WatchNotificationsRequest) -> Result<PersonName, Status> {
    validate::single("recipient", PersonName::parse(&request.recipient))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_wire_value() {
        for value in NotificationKind::ALL {
            assert_ne!(kind(*value), pb::NotificationKind::Unspecified, "{value}");
        }
    }
}
