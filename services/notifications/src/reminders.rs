//! Reminders: a component or a milestone due soon, a component overdue, a review waiting longer
//! than its project's threshold. They are planned as rows from the projections (see
//! `repo::rules_in_force` and `repo::reminders::{plan_milestone, plan_review}`) and
//! fired by the scheduler of each replica: in one transaction it takes the reminders whose time
//! came (`FOR UPDATE SKIP LOCKED`: another replica passes over them), tells their people as an
//! event's are told (rules, preferences, channels; the reminder's id is the event id, so each
//! person is told once), and marks them fired. A crash before the commit leaves them to fire
//! again; after it, they are done. Being rows, they survive restarts, and a scheduler that was
//! down catches up on every reminder whose time came meanwhile — but a due-soon reminder whose
//! due date passed is passed over: the overdue one tells of it.

use std::time::Duration;

use sqlx::PgPool;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::consumers::EventHandler;
use crate::domain::{Message, NotificationKind};
use crate::repo::reminders::{self as repo, Due};
use crate::rules::{ClientSees, Happening, Wording};

/// Reminders one scheduler fires in one transaction.
const BATCH: i64 = 200;

/// Fires reminders whose time came.
pub struct Scheduler {
    pool: PgPool,
    handler: EventHandler,
    poll: Duration,
}

impl Scheduler {
    pub fn new(pool: PgPool, handler: EventHandler, poll: Duration) -> Self {
        Self { pool, handler, poll }
    }

    /// Fires due reminders until `shutdown`, looking again every poll interval.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let wait = match self.fire_due().await {
                Ok(fired) if fired as i64 == BATCH => Duration::ZERO,
                Ok(_) => self.poll,
                Err(error) => {
                    tracing::warn!(%error, "reminders: the database refused; trying again");
                    self.poll
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Fires what is due, in one transaction; how many it took.
    pub async fn fire_due(&self) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        let mut tx = self.pool.begin().await?;
        let due = repo::due(&mut tx, BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let now = OffsetDateTime::now_utc();
        let happenings: Vec<Happening> =
            due.iter().filter(|r| !stale(r, now.date())).map(|r| happening(r, now)).collect();
        let ids: Vec<uuid::Uuid> = due.iter().map(|r| r.id).collect();
        let told = happenings.len();
        self.handler.tell(&mut tx, happenings).await?;
        repo::fired(&mut tx, &ids).await?;
        tx.commit().await?;
        tracing::info!(fired = told, passed_over = ids.len() - told, "reminders fired");
        Ok(ids.len())
    }
}

/// A due-soon reminder after the due date: the overdue one (or the milestone's own change) tells
/// of it.
fn stale(reminder: &Due, today: time::Date) -> bool {
    matches!(reminder.kind, NotificationKind::ComponentDueSoon | NotificationKind::MilestoneDueSoon)
        && reminder.due_date < today
}

/// What a reminder tells, at `now`, to whom its kind's rule says.
fn happening(reminder: &Due, now: OffsetDateTime) -> Happening {
    let due = reminder.due_date;
    let title = reminder.title.clone();
    let kind = reminder.kind;
    let waited = reminder.opened_time.map(|opened| how_long(now - opened)).unwrap_or_default();
    let mut h = Happening::new(
        reminder.id,
        kind,
        "",
        Box::new(move |s| {
            let message = match kind {
                NotificationKind::ComponentOverdue => Message::new(
                    format!("{} is overdue", s.component),
                    s.sentence(&format!("It was due on {due} and is not approved yet")),
                ),
                NotificationKind::MilestoneDueSoon => {
                    Message::new(format!("Milestone {title} is due on {due}"), s.sentence("It is not met yet"))
                }
                NotificationKind::ReviewWaiting => Message::new(
                    format!("{} is waiting for review", s.component),
                    s.sentence(&if title.is_empty() {
                        format!("It has waited {waited} for a decision")
                    } else {
                        format!("The {title} stage has waited {waited} for a decision")
                    }),
                ),
                _ => Message::new(format!("{} is due on {due}", s.component), s.sentence("It is not approved yet")),
            };
            Wording { general: message, personal: Vec::new() }
        }),
    );
    h.project = Some(reminder.project_id);
    h.component = reminder.component_id;
    h.subject = reminder.subject.clone();
    h.reviewers = reminder.reviewers.clone().unwrap_or_default();
    h.client = ClientSees::Never;
    h
}

/// A wait as people say it: in hours up to two days, then in days.
fn how_long(wait: time::Duration) -> String {
    match wait.whole_hours().max(0) {
        1 => "1 hour".into(),
        hours if hours < 48 => format!("{hours} hours"),
        hours => format!("{} days", hours / 24),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn reminder(kind: NotificationKind, due: time::Date) -> Due {
        Due {
            id: uuid::Uuid::now_v7(),
            kind,
            subject: "projects/p/assets/a".into(),
            project_id: uuid::Uuid::now_v7(),
            component_id: None,
            title: "Launch".into(),
            due_date: due,
            opened_time: None,
            reviewers: None,
        }
    }

    #[test]
    fn a_wait_is_said_in_hours_then_days() {
        let said: Vec<String> = [0, 1, 5, 47, 48, 73].map(|h| how_long(time::Duration::hours(h))).into();
        assert_eq!(said, ["0 hours", "1 hour", "5 hours", "47 hours", "2 days", "3 days"]);
    }

    #[test]
    fn a_due_soon_reminder_after_its_date_is_passed_over() {
        let today = time::macros::date!(2027 - 02 - 15);
        assert!(!stale(&reminder(NotificationKind::ComponentDueSoon, today), today));
        assert!(stale(&reminder(NotificationKind::ComponentDueSoon, today.previous_day().unwrap()), today));
        assert!(stale(&reminder(NotificationKind::MilestoneDueSoon, today.previous_day().unwrap()), today));
        assert!(!stale(&reminder(NotificationKind::ComponentOverdue, today.previous_day().unwrap()), today));
    }
}
