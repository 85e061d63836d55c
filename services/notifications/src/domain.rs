//! Notifications and the rules that word them, independent of the wire and the database.

use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{NotificationName, PersonName};
// The statuses and roles events carry, as the consumer decodes them.
pub use baton_proto::assets::v1::AssetStatus;
pub use baton_proto::projects::v1::ProjectMemberRole;

baton_platform::named_enum! {
    /// What a notification tells of.
    pub enum NotificationKind {
        AssetStatusChanged = "NOTIFICATION_KIND_ASSET_STATUS_CHANGED",
        ProjectMemberAdded = "NOTIFICATION_KIND_PROJECT_MEMBER_ADDED",
    }
}

baton_platform::named_enum! {
    /// Why a person got a notification.
    pub enum Reason {
        TeamMember = "NOTIFICATION_REASON_TEAM_MEMBER",
        AboutYou = "NOTIFICATION_REASON_ABOUT_YOU",
    }
}

/// A change of one notification's place in its recipient's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxChange {
    Read,
    Unread,
    Archive,
    Unarchive,
}

/// One condition of ListNotifications' filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationCondition {
    Project(String),
    Read(bool),
    Archived(bool),
}

/// Unread notifications of one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectUnread {
    pub project: String,
    pub display_name: String,
    pub unread: i64,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub seq: i64,
    pub id: Uuid,
    pub recipient: PersonName,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub subject: String,
    pub project: String,
    pub actor: String,
    pub event_id: Uuid,
    pub create_time: OffsetDateTime,
    pub read_time: Option<OffsetDateTime>,
    pub reason: Reason,
    pub archive_time: Option<OffsetDateTime>,
    /// The W3C trace context it was created in, for its delivery's span.
    pub traceparent: Option<String>,
}

impl Notification {
    pub fn name(&self) -> NotificationName {
        NotificationName::new(self.id)
    }
}

/// Whether a client contact is told of a change that left an asset in `status`: only when the
/// asset is shown to the client (`client_visible`, unset meaning shown) and the status is one a
/// client sees — in review, changes requested, approved, delivered — never work in progress.
pub fn shown_to_client(client_visible: Option<bool>, status: AssetStatus) -> bool {
    client_visible.unwrap_or(true)
        && matches!(
            status,
            AssetStatus::InReview | AssetStatus::ChangesRequested | AssetStatus::Approved | AssetStatus::Delivered
        )
}

/// The words of a notification, before it is addressed to anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub body: String,
}

/// The title and body for an asset's status change. `actor` and `project` are display names
/// when known.
pub fn asset_status_message(
    asset: &str,
    from: AssetStatus,
    to: AssetStatus,
    actor: Option<&str>,
    project: Option<&str>,
    comment: &str,
) -> Message {
    let title = match (from, to) {
        (AssetStatus::ChangesRequested, AssetStatus::InProgress) => format!("Work resumed on {asset}"),
        (_, AssetStatus::InProgress) => format!("Work started on {asset}"),
        (_, AssetStatus::InReview) => format!("{asset} is ready for review"),
        (_, AssetStatus::ChangesRequested) => format!("Changes requested on {asset}"),
        (_, AssetStatus::Approved) => format!("{asset} was approved"),
        (_, AssetStatus::Delivered) => format!("{asset} was delivered"),
        _ => format!("{asset} changed status"),
    };
    let who = actor.unwrap_or("Someone");
    let verb = match to {
        AssetStatus::InProgress => "started work",
        AssetStatus::InReview => "submitted it for review",
        AssetStatus::ChangesRequested => "asked for changes",
        AssetStatus::Approved => "approved it",
        AssetStatus::Delivered => "delivered it",
        _ => "changed it",
    };
    let mut body = match project {
        Some(project) => format!("{who} {verb} ({project})."),
        None => format!("{who} {verb}."),
    };
    if !comment.is_empty() {
        body.push_str(" “");
        body.push_str(comment);
        body.push('”');
    }
    Message { title, body }
}

/// The title and body for a person who joined a project's team.
pub fn member_added_message(project: &str, role: ProjectMemberRole, actor: Option<&str>) -> Message {
    let role = match role {
        ProjectMemberRole::Producer => "producer",
        ProjectMemberRole::Lead => "lead",
        ProjectMemberRole::Contributor => "contributor",
        ProjectMemberRole::Reviewer => "reviewer",
        ProjectMemberRole::Client => "client",
        ProjectMemberRole::Observer => "observer",
        ProjectMemberRole::Unspecified => "member",
    };
    let body = match actor {
        Some(actor) => format!("{actor} added you to the team as {role}."),
        None => format!("You were added to the team as {role}."),
    };
    Message { title: format!("You joined {project}"), body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_hears_only_of_what_is_put_in_front_of_them() {
        let told: Vec<AssetStatus> = [
            AssetStatus::Planned,
            AssetStatus::InProgress,
            AssetStatus::InReview,
            AssetStatus::ChangesRequested,
            AssetStatus::Approved,
            AssetStatus::Delivered,
        ]
        .into_iter()
        .filter(|status| shown_to_client(None, *status))
        .collect();
        assert_eq!(
            told,
            [AssetStatus::InReview, AssetStatus::ChangesRequested, AssetStatus::Approved, AssetStatus::Delivered]
        );
        assert!(!shown_to_client(Some(false), AssetStatus::Approved), "a component kept from the client");
    }

    #[test]
    fn status_messages_read_well() {
        let m = asset_status_message(
            "Hero animation",
            AssetStatus::InReview,
            AssetStatus::ChangesRequested,
            Some("Chloé"),
            Some("Website relaunch"),
            "Slower intro, please",
        );
        assert_eq!(m.title, "Changes requested on Hero animation");
        assert_eq!(m.body, "Chloé asked for changes (Website relaunch). “Slower intro, please”");
        let m = asset_status_message("Logo", AssetStatus::ChangesRequested, AssetStatus::InProgress, None, None, "");
        assert_eq!(m.title, "Work resumed on Logo");
        assert_eq!(m.body, "Someone started work.");
    }

    #[test]
    fn member_messages_read_well() {
        let m = member_added_message("Website relaunch", ProjectMemberRole::Client, Some("Paula"));
        assert_eq!(m.title, "You joined Website relaunch");
        assert_eq!(m.body, "Paula added you to the team as client.");
    }
}
