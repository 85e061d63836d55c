//! The reminders' rows: planned from the projections, fired once by one scheduler.

use sqlx::PgConnection;
use time::Date;
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
         ON CONFLICT (kind, subject, due_date) DO UPDATE SET title = excluded.title \
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
}

/// Takes up to `limit` reminders whose time came, oldest first, locked for this transaction:
/// another replica's scheduler passes over them.
pub async fn due(conn: &mut PgConnection, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, subject, project_id, component_id, title, due_date \
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
