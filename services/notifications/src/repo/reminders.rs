//! The reminders' rows: planned from the projections, fired once by one scheduler.

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::NotificationKind;

/// Plans a milestone's due-soon reminder (`days` before `due_date`, at 08:00 UTC), dropping an
/// unfired one of another date; with no date (it was met or missed), drops the unfired one.
pub async fn plan_milestone(
    conn: &mut PgConnection,
    project: Uuid,
    name: &str,
    title: &str,
    due_date: Option<Date>,
    days: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH dropped AS ( \
             DELETE FROM notifications.reminder WHERE subject = $2 AND fired_time IS NULL \
               AND due_date IS DISTINCT FROM $4) \
         INSERT INTO notifications.reminder (id, kind, subject, project_id, title, due_date, fire_time) \
         SELECT gen_random_uuid(), 'NOTIFICATION_KIND_MILESTONE_DUE_SOON', $2, $1, $3, $4, \
                (($4::date - $5::int) + time '08:00') AT TIME ZONE 'UTC' \
         WHERE $4::date IS NOT NULL \
         ON CONFLICT (kind, subject, due_date, stage) DO UPDATE SET title = excluded.title \
         WHERE notifications.reminder.fired_time IS NULL",
    )
    .bind(project)
    .bind(name)
    .bind(title)
    .bind(due_date)
    .bind(days)
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a review round stands, as its reminder needs it (a one-step review's is planned with
/// its component's projection: see `repo::rules_in_force`). The subject is the round.
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewWait {
    /// A stage opened at `opened`: its reviewers are reminded once the project's threshold
    /// passed, and an earlier stage's unfired reminder goes.
    Opened {
        project: Uuid,
        component: Uuid,
        subject: String,
        stage: i32,
        /// The stage's title; empty for a one-step review.
        title: String,
        reviewers: Vec<Uuid>,
        opened: OffsetDateTime,
    },
    /// Someone decided and the stage still waits, for `reviewers`.
    Waiting { subject: String, stage: i32, reviewers: Vec<Uuid> },
    /// The review ended.
    Ended { subject: String },
}

/// The kind of a review's reminder, as stored.
pub const REVIEW_WAITING: &str = "NOTIFICATION_KIND_REVIEW_WAITING";

/// Plans, narrows or drops a review's reminder. A stage's reminder fires `hours` after it opened
/// (the project's threshold, else the contract's default); with reminders off its time is
/// 'infinity', so that turning them on again plans it.
pub async fn plan_review(conn: &mut PgConnection, wait: &ReviewWait) -> Result<(), sqlx::Error> {
    match wait {
        ReviewWait::Opened { project, component, subject, stage, title, reviewers, opened } => {
            sqlx::query(
                "WITH dropped AS ( \
                     DELETE FROM notifications.reminder WHERE kind = $1 AND subject = $4 \
                       AND fired_time IS NULL AND stage <> $5), \
                 threshold AS ( \
                     SELECT coalesce((SELECT hours FROM notifications.review_threshold WHERE project_id = $2), \
                                     $9) AS hours) \
                 INSERT INTO notifications.reminder (id, kind, subject, project_id, component_id, title, \
                     due_date, fire_time, stage, opened_time, reviewers) \
                 SELECT gen_random_uuid(), $1, $4, $2, $3, $6, ($8 AT TIME ZONE 'UTC')::date, \
                        notifications.review_fire_time($8, t.hours), \
                        $5, $8, $7 \
                 FROM threshold t \
                 ON CONFLICT (kind, subject, due_date, stage) DO UPDATE SET reviewers = excluded.reviewers \
                 WHERE notifications.reminder.fired_time IS NULL",
            )
            .bind(REVIEW_WAITING)
            .bind(project)
            .bind(component)
            .bind(subject)
            .bind(stage)
            .bind(title)
            .bind(reviewers)
            .bind(opened)
            .bind(baton_proto::assets::v1::DEFAULT_REVIEW_REMINDER_HOURS)
            .execute(conn)
            .await?;
        }
        ReviewWait::Waiting { subject, stage, reviewers } => {
            sqlx::query(
                "UPDATE notifications.reminder SET reviewers = $4 \
                 WHERE kind = $1 AND subject = $2 AND stage = $3 AND fired_time IS NULL",
            )
            .bind(REVIEW_WAITING)
            .bind(subject)
            .bind(stage)
            .bind(reviewers)
            .execute(conn)
            .await?;
        }
        ReviewWait::Ended { subject } => {
            sqlx::query("DELETE FROM notifications.reminder WHERE kind = $1 AND subject = $2 AND fired_time IS NULL")
                .bind(REVIEW_WAITING)
                .bind(subject)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// Keeps a project's review threshold, unless a newer one is kept already, and moves the
/// unfired review reminders of the project to it.
pub async fn set_review_threshold(
    conn: &mut PgConnection,
    project: Uuid,
    hours: i32,
    update_time: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH kept AS ( \
             INSERT INTO notifications.review_threshold (project_id, hours, update_time) VALUES ($2, $3, $4) \
             ON CONFLICT (project_id) DO UPDATE SET hours = excluded.hours, update_time = excluded.update_time \
             WHERE notifications.review_threshold.update_time < excluded.update_time \
             RETURNING hours) \
         UPDATE notifications.reminder r \
         SET fire_time = notifications.review_fire_time(r.opened_time, k.hours) \
         FROM kept k \
         WHERE r.project_id = $2 AND r.kind = $1 AND r.fired_time IS NULL",
    )
    .bind(REVIEW_WAITING)
    .bind(project)
    .bind(hours)
    .bind(update_time)
    .execute(conn)
    .await?;
    Ok(())
}

/// A reminder whose time came.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: NotificationKind,
    pub subject: String,
    pub project_id: Uuid,
    pub component_id: Option<Uuid>,
    pub title: String,
    pub due_date: Date,
    /// A review's: when its stage opened, and who has not decided yet.
    pub opened_time: Option<OffsetDateTime>,
    pub reviewers: Option<Vec<Uuid>>,
}

/// Takes up to `limit` reminders whose time came, oldest first, locked for this transaction:
/// another replica's scheduler passes over them.
pub async fn due(conn: &mut PgConnection, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, subject, project_id, component_id, title, due_date, opened_time, reviewers \
         FROM notifications.reminder WHERE fired_time IS NULL AND fire_time <= now() \
         ORDER BY fire_time LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks reminders fired (or passed over).
pub async fn fired(conn: &mut PgConnection, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications.reminder SET fired_time = now() WHERE id = ANY($1)")
        .bind(ids)
        .execute(conn)
        .await?;
    Ok(())
}
