//! `baton notifications list|read|watch`.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use tonic::{Code, Status, Streaming};
use tonic_types::StatusExt;

use baton_proto::notifications::v1::{
    ArchiveNotificationRequest, CountUnreadNotificationsRequest, ListNotificationsRequest,
    MarkAllNotificationsReadRequest, MarkNotificationReadRequest, MarkNotificationUnreadRequest, Notification,
    UnarchiveNotificationRequest, WatchNotificationsRequest, WatchNotificationsResponse,
};

use crate::cli::NotificationsCommand;
use crate::client::{Baton, direct_name};
use crate::error::{CliError, root_cause};
use crate::json;
use crate::output::{Cell, Out, Table, note, short_id, short_time};

/// The first pause before reconnecting, doubled after every failed attempt up to the ceiling.
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(10);
/// How many pages of missed notifications a reconnect prints at most.
const CATCH_UP_PAGES: usize = 10;

pub async fn run(baton: &Baton, out: &Out, command: NotificationsCommand) -> Result<(), CliError> {
    match command {
        NotificationsCommand::List { person, unread, project, archived } => {
            let recipient = recipient(baton, person).await?;
            let mut filter = Vec::new();
            if let Some(project) = project {
                filter.push(format!("project = \"{}\"", baton.resolve_project(&project).await?));
            }
            if archived {
                filter.push("archived = true".to_string());
            }
            let notifications = list(baton, &recipient, unread, &filter.join(" AND ")).await?;
            if out.json() {
                for notification in &notifications {
                    out.json_line(&json::notification(notification))?;
                }
                return Ok(());
            }
            let mut table = Table::new(&["ID", "TIME", "", "TITLE", "DETAIL"]);
            for n in &notifications {
                let unread = if n.read_time.is_none() { Cell::styled("•", "1") } else { Cell::from("") };
                table.row(vec![
                    Cell::from(short_id(&n.name)),
                    short_time(n.create_time.as_ref()).into(),
                    unread,
                    Cell::styled(n.title.as_str(), if n.read_time.is_none() { "1" } else { "" }),
                    n.body.as_str().into(),
                ]);
            }
            out.text(&table.render(out.color, 0))
        }
        NotificationsCommand::Read { all: true, project, person, .. } => {
            let recipient = recipient(baton, person).await?;
            let project = match project {
                Some(project) => baton.resolve_project(&project).await?,
                None => String::new(),
            };
            let request = MarkAllNotificationsReadRequest { recipient: recipient.clone(), project };
            let marked =
                baton.notifications().mark_all_notifications_read(baton.request_for(&recipient, request)).await?;
            let marked = marked.into_inner().marked;
            if out.json() {
                return out.json_line(&serde_json::json!({ "marked": marked }));
            }
            out.line(format!("marked {marked} notification(s) read"))
        }
        NotificationsCommand::Read { notifications, .. } => change(baton, out, notifications, Change::Read).await,
        NotificationsCommand::Unread { notifications } => change(baton, out, notifications, Change::Unread).await,
        NotificationsCommand::Archive { notifications } => change(baton, out, notifications, Change::Archive).await,
        NotificationsCommand::Unarchive { notifications } => change(baton, out, notifications, Change::Unarchive).await,
        NotificationsCommand::Counts { person } => {
            let recipient = recipient(baton, person).await?;
            let request = CountUnreadNotificationsRequest { recipient: recipient.clone() };
            let counts =
                baton.notifications().count_unread_notifications(baton.request_for(&recipient, request)).await?;
            let counts = counts.into_inner();
            if out.json() {
                return out.json_line(&serde_json::json!({
                    "total": counts.total,
                    "projects": counts.projects.iter().map(|p| serde_json::json!({
                        "project": p.project, "display_name": p.display_name, "unread": p.unread,
                    })).collect::<Vec<_>>(),
                }));
            }
            out.line(format!("{} unread", counts.total))?;
            let mut table = Table::new(&["PROJECT", "UNREAD"]).align_right(1);
            for project in &counts.projects {
                let title = if project.display_name.is_empty() { &project.project } else { &project.display_name };
                table.row(vec![title.as_str().into(), project.unread.to_string().into()]);
            }
            out.text(&table.render(out.color, 2))
        }
        NotificationsCommand::Watch { person } => {
            let recipient = recipient(baton, person).await?;
            watch(baton, out, &recipient).await
        }
        NotificationsCommand::Rules(command) => super::rules::run(baton, out, command).await,
        NotificationsCommand::Preferences(command) => super::preferences::run(baton, out, command).await,
    }
}

/// A change of notifications' place in their recipient's inbox.
#[derive(Debug, Clone, Copy)]
enum Change {
    Read,
    Unread,
    Archive,
    Unarchive,
}

/// Applies `change` to each notification named, and says so.
async fn change(baton: &Baton, out: &Out, references: Vec<String>, change: Change) -> Result<(), CliError> {
    for reference in references {
        let name = direct_name(reference.trim(), "notifications").unwrap_or(reference);
        let mut client = baton.notifications();
        let (notification, word) = match change {
            Change::Read => {
                let request = baton.request(MarkNotificationReadRequest { name });
                (client.mark_notification_read(request).await?.into_inner().notification, "read")
            }
            Change::Unread => {
                let request = baton.request(MarkNotificationUnreadRequest { name });
                (client.mark_notification_unread(request).await?.into_inner().notification, "unread")
            }
            Change::Archive => {
                let request = baton.request(ArchiveNotificationRequest { name });
                (client.archive_notification(request).await?.into_inner().notification, "archived")
            }
            Change::Unarchive => {
                let request = baton.request(UnarchiveNotificationRequest { name });
                (client.unarchive_notification(request).await?.into_inner().notification, "back in the inbox")
            }
        };
        let notification = notification.unwrap_or_default();
        if out.json() {
            out.json_line(&json::notification(&notification))?;
        } else {
            out.line(format!("{word} {}: {}", short_id(&notification.name), notification.title))?;
        }
    }
    Ok(())
}

/// The person whose notifications to show: `--person`, or else the `--as` person.
pub(crate) async fn recipient(baton: &Baton, person: Option<String>) -> Result<String, CliError> {
    match person {
        Some(person) => baton.resolve_person(&person).await,
        None => baton.actor().map(str::to_string).ok_or_else(|| {
            CliError::Usage("whose notifications? add --person PERSON (or act as them with --as PERSON)".into())
        }),
    }
}

async fn list(baton: &Baton, recipient: &str, unread_only: bool, filter: &str) -> Result<Vec<Notification>, Status> {
    let mut notifications = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = ListNotificationsRequest {
            recipient: recipient.to_string(),
            page_size: 1000,
            page_token,
            unread_only,
            filter: filter.to_string(),
        };
        let page = baton.notifications().list_notifications(baton.request_for(recipient, request)).await?.into_inner();
        notifications.extend(page.notifications);
        if page.next_page_token.is_empty() {
            return Ok(notifications);
        }
        page_token = page.next_page_token;
    }
}

/// One notification as a line for a terminal.
pub fn line(out: &Out, notification: &Notification) -> String {
    let mut text = format!(
        "{}  {}",
        out.paint(&short_time(notification.create_time.as_ref()), "2"),
        out.paint(&notification.title, "1")
    );
    if !notification.body.is_empty() {
        text.push_str(" — ");
        text.push_str(&notification.body);
    }
    text
}

/// Follows `recipient`'s notifications until Ctrl-C.
async fn watch(baton: &Baton, out: &Out, recipient: &str) -> Result<(), CliError> {
    let who = baton.display_names([&recipient.to_string()]).await?.remove(recipient).unwrap_or_default();
    tokio::select! {
        result = follow(baton, out, recipient, &who) => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

/// The names of notifications already printed, the newest few thousand of them.
#[derive(Debug, Default)]
struct Seen {
    names: HashSet<String>,
    order: VecDeque<String>,
    /// The create time of the newest notification printed or skipped, as (seconds, nanos).
    newest: Option<(i64, i32)>,
}

impl Seen {
    const CAPACITY: usize = 5000;

    /// Records a notification; false when it was seen before.
    fn insert(&mut self, notification: &Notification) -> bool {
        if let Some(time) = notification.create_time.as_ref().map(|t| (t.seconds, t.nanos)) {
            self.newest = self.newest.max(Some(time));
        }
        if !self.names.insert(notification.name.clone()) {
            return false;
        }
        self.order.push_back(notification.name.clone());
        if self.order.len() > Self::CAPACITY
            && let Some(oldest) = self.order.pop_front()
        {
            self.names.remove(&oldest);
        }
        true
    }
}

/// Whether a failed call or stream is worth retrying: the transport broke (no Baton error
/// details), or the server said it is unavailable or cut a slow stream.
fn is_transient(status: &Status) -> bool {
    let from_baton = status.get_error_details().error_info().is_some();
    match status.code() {
        Code::Unavailable | Code::Cancelled | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted => true,
        Code::Unknown | Code::Internal => !from_baton,
        _ => false,
    }
}

/// Why a stream or call failed, in a few words.
fn why(status: &Status) -> String {
    match std::error::Error::source(status) {
        Some(source) => root_cause(source),
        None if !status.message().is_empty() => status.message().to_string(),
        None => format!("{:?}", status.code()),
    }
}

async fn open(baton: &Baton, recipient: &str) -> Result<Streaming<WatchNotificationsResponse>, Status> {
    let request = WatchNotificationsRequest { recipient: recipient.to_string() };
    Ok(baton.notifications().watch_notifications(baton.request_for(recipient, request)).await?.into_inner())
}

fn print(out: &Out, seen: &mut Seen, notification: &Notification) -> Result<(), CliError> {
    if !seen.insert(notification) {
        return Ok(());
    }
    if out.json() { out.json_line(&json::notification(notification)) } else { out.line(line(out, notification)) }
}

async fn follow(baton: &Baton, out: &Out, recipient: &str, who: &str) -> Result<(), CliError> {
    let endpoint = &baton.endpoint;
    let mut seen = Seen::default();
    let mut stream = open(baton, recipient).await?;
    // What exists already is history, not news: only a catch-up after a reconnect prints what
    // came while the stream was down.
    let newest = ListNotificationsRequest { recipient: recipient.to_string(), page_size: 1, ..Default::default() };
    let newest = baton.notifications().list_notifications(baton.request_for(recipient, newest)).await?.into_inner();
    for notification in &newest.notifications {
        seen.insert(notification);
    }
    let who = if who.is_empty() { recipient.to_string() } else { format!("{who} ({recipient})") };
    note(format!("watching the notifications of {who} on {endpoint}; press Ctrl-C to stop"));
    loop {
        let lost = loop {
            match stream.message().await {
                Ok(Some(response)) => {
                    if let Some(notification) = response.notification {
                        print(out, &mut seen, &notification)?;
                    }
                }
                Ok(None) => break "the server closed the stream".to_string(),
                Err(status) if is_transient(&status) => break why(&status),
                Err(status) => return Err(status.into()),
            }
        };
        note(format!("lost the stream from {endpoint} ({lost}); reconnecting"));
        let mut pause = FIRST_PAUSE;
        stream = loop {
            tokio::time::sleep(pause).await;
            match open(baton, recipient).await {
                Ok(stream) => break stream,
                Err(status) if is_transient(&status) => {
                    pause = (pause * 2).min(MAX_PAUSE);
                    note(format!(
                        "cannot reach {endpoint} yet ({}); retrying in {:.1}s",
                        why(&status),
                        pause.as_secs_f32()
                    ));
                }
                Err(status) => return Err(status.into()),
            }
        };
        match catch_up(baton, recipient, &seen).await {
            Ok(missed) => {
                note(match missed.len() {
                    0 => format!("reconnected to {endpoint}; nothing was missed"),
                    1 => format!("reconnected to {endpoint}; 1 notification came meanwhile"),
                    n => format!("reconnected to {endpoint}; {n} notifications came meanwhile"),
                });
                for notification in &missed {
                    print(out, &mut seen, notification)?;
                }
            }
            Err(status) => note(format!("reconnected to {endpoint}; cannot catch up ({})", why(&status))),
        }
    }
}

/// The notifications that came while the stream was down, oldest first.
async fn catch_up(baton: &Baton, recipient: &str, seen: &Seen) -> Result<Vec<Notification>, Status> {
    let mut missed = Vec::new();
    let mut page_token = String::new();
    for _ in 0..CATCH_UP_PAGES {
        let request = ListNotificationsRequest {
            recipient: recipient.to_string(),
            page_size: 100,
            page_token,
            unread_only: false,
            filter: String::new(),
        };
        let page = baton.notifications().list_notifications(baton.request_for(recipient, request)).await?.into_inner();
        let mut reached_history = false;
        for notification in page.notifications {
            let time = notification.create_time.as_ref().map(|t| (t.seconds, t.nanos));
            if seen.newest.is_some_and(|newest| time.is_some_and(|time| time < newest)) {
                reached_history = true;
                break;
            }
            if !seen.names.contains(&notification.name) {
                missed.push(notification);
            }
        }
        if reached_history || page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    missed.reverse();
    Ok(missed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(name: &str, seconds: i64) -> Notification {
        Notification {
            name: name.into(),
            create_time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
            ..Default::default()
        }
    }

    #[test]
    fn seen_notifications_are_printed_once_and_move_the_watermark() {
        let mut seen = Seen::default();
        assert!(seen.insert(&notification("notifications/a", 10)));
        assert!(!seen.insert(&notification("notifications/a", 10)));
        assert!(seen.insert(&notification("notifications/b", 5)));
        assert_eq!(seen.newest, Some((10, 0)));
    }

    #[test]
    fn transport_failures_are_retried_and_refusals_are_not() {
        assert!(is_transient(&Status::unavailable("connection refused")));
        assert!(is_transient(&Status::unknown("h2 protocol error")));
        assert!(!is_transient(&Status::not_found("no such person")));
        assert!(!is_transient(&Status::invalid_argument("recipient")));
    }
}
