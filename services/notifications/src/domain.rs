//! Notifications and the rules that word them, independent of the wire and the database.

use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{NotificationName, PersonName};
// The statuses and roles events carry, as the consumer decodes them.
pub use baton_proto::assets::v1::AssetStatus;
pub use baton_proto::projects::v1::ProjectMemberRole;

baton_platform::named_enum! {
    /// What a notification tells of: one kind per event type.
    pub enum NotificationKind {
        AssetStatusChanged = "NOTIFICATION_KIND_ASSET_STATUS_CHANGED",
        ProjectMemberAdded = "NOTIFICATION_KIND_PROJECT_MEMBER_ADDED",
        AssetCreated = "NOTIFICATION_KIND_ASSET_CREATED",
        AssetUpdated = "NOTIFICATION_KIND_ASSET_UPDATED",
        VersionSubmitted = "NOTIFICATION_KIND_VERSION_SUBMITTED",
        ReviewDecided = "NOTIFICATION_KIND_REVIEW_DECIDED",
        CommentCreated = "NOTIFICATION_KIND_COMMENT_CREATED",
        CommentEdited = "NOTIFICATION_KIND_COMMENT_EDITED",
        RetakeCapReached = "NOTIFICATION_KIND_RETAKE_CAP_REACHED",
        QualityAssessed = "NOTIFICATION_KIND_QUALITY_ASSESSED",
        QualityChecklistUpdated = "NOTIFICATION_KIND_QUALITY_CHECKLIST_UPDATED",
        MeasurementsRecorded = "NOTIFICATION_KIND_MEASUREMENTS_RECORDED",
        ComponentSettingsUpdated = "NOTIFICATION_KIND_COMPONENT_SETTINGS_UPDATED",
        ProjectMemberRemoved = "NOTIFICATION_KIND_PROJECT_MEMBER_REMOVED",
        ProjectCreated = "NOTIFICATION_KIND_PROJECT_CREATED",
        ProjectStateChanged = "NOTIFICATION_KIND_PROJECT_STATE_CHANGED",
        BriefUpdated = "NOTIFICATION_KIND_BRIEF_UPDATED",
        ObstacleRaised = "NOTIFICATION_KIND_OBSTACLE_RAISED",
        ObstacleChanged = "NOTIFICATION_KIND_OBSTACLE_CHANGED",
        MilestoneChanged = "NOTIFICATION_KIND_MILESTONE_CHANGED",
        ProjectHealthChanged = "NOTIFICATION_KIND_PROJECT_HEALTH_CHANGED",
        ClientCreated = "NOTIFICATION_KIND_CLIENT_CREATED",
        ClientUpdated = "NOTIFICATION_KIND_CLIENT_UPDATED",
        PersonCreated = "NOTIFICATION_KIND_PERSON_CREATED",
        PersonStateChanged = "NOTIFICATION_KIND_PERSON_STATE_CHANGED",
        PersonUpdated = "NOTIFICATION_KIND_PERSON_UPDATED",
        TeamCreated = "NOTIFICATION_KIND_TEAM_CREATED",
        TeamUpdated = "NOTIFICATION_KIND_TEAM_UPDATED",
        TimeOffChanged = "NOTIFICATION_KIND_TIME_OFF_CHANGED",
        AllocationChanged = "NOTIFICATION_KIND_ALLOCATION_CHANGED",
        ComponentDueSoon = "NOTIFICATION_KIND_COMPONENT_DUE_SOON",
        ComponentOverdue = "NOTIFICATION_KIND_COMPONENT_OVERDUE",
        MilestoneDueSoon = "NOTIFICATION_KIND_MILESTONE_DUE_SOON",
        ReviewWaiting = "NOTIFICATION_KIND_REVIEW_WAITING",
    }
}

baton_platform::named_enum! {
    /// Why a person got a notification.
    pub enum Reason {
        TeamMember = "NOTIFICATION_REASON_TEAM_MEMBER",
        AboutYou = "NOTIFICATION_REASON_ABOUT_YOU",
        Assignee = "NOTIFICATION_REASON_ASSIGNEE",
        Watcher = "NOTIFICATION_REASON_WATCHER",
        Mentioned = "NOTIFICATION_REASON_MENTIONED",
        Reviewer = "NOTIFICATION_REASON_REVIEWER",
        ProjectRole = "NOTIFICATION_REASON_PROJECT_ROLE",
        Team = "NOTIFICATION_REASON_TEAM",
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
    /// How many events it tells of (more than one for a burst).
    pub event_count: i32,
    /// When its last event came.
    pub update_time: OffsetDateTime,
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

impl Message {
    pub fn new(title: String, body: String) -> Self {
        Self { title, body }
    }
}

/// An enum value's wire name as words: `PROJECT_STATE_FINE_TUNING` less `PROJECT_STATE_` is
/// "fine tuning".
pub fn humanize(name: &str, prefix: &str) -> String {
    name.trim_start_matches(prefix).to_ascii_lowercase().replace('_', " ")
}

/// How a burst of one person's notifications of `kind` is told, around its count of events (not
/// of things: two changes of one component are two): "Paula *made* 50 *changes to components*". `None` for the kinds that are never grouped (one of them is news
/// on its own: a project's state, its health, a person joining the agency).
pub fn burst_words(kind: NotificationKind) -> Option<(&'static str, &'static str)> {
    use NotificationKind as K;
    Some(match kind {
        K::AssetStatusChanged => ("made ", " status changes"),
        K::AssetCreated => ("created ", " components"),
        K::AssetUpdated => ("made ", " changes to components"),
        K::VersionSubmitted => ("submitted ", " versions"),
        K::ReviewDecided => ("made ", " review decisions"),
        K::CommentCreated => ("wrote ", " comments"),
        K::CommentEdited => ("made ", " comment edits"),
        K::MeasurementsRecorded => ("recorded ", " sets of measurements"),
        K::ProjectMemberAdded => ("added ", " people to the team"),
        K::ProjectMemberRemoved => ("took ", " people off the team"),
        K::ObstacleRaised => ("raised ", " obstacles"),
        K::ObstacleChanged => ("made ", " changes to obstacles"),
        K::MilestoneChanged => ("made ", " changes to milestones"),
        K::AllocationChanged => ("made ", " changes to allocations"),
        K::TimeOffChanged => ("made ", " changes to time off"),
        _ => return None,
    })
}

/// A project role as a word.
pub fn role_word(role: ProjectMemberRole) -> &'static str {
    match role {
        ProjectMemberRole::Producer => "producer",
        ProjectMemberRole::Lead => "lead",
        ProjectMemberRole::Contributor => "contributor",
        ProjectMemberRole::Reviewer => "reviewer",
        ProjectMemberRole::Client => "client",
        ProjectMemberRole::Observer => "observer",
        ProjectMemberRole::Unspecified => "member",
    }
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
pub fn member_added_message(project: &str, role: &str, actor: Option<&str>) -> Message {
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
        let m = member_added_message("Website relaunch", role_word(ProjectMemberRole::Client), Some("Paula"));
        assert_eq!(m.title, "You joined Website relaunch");
        assert_eq!(m.body, "Paula added you to the team as client.");
    }
}
