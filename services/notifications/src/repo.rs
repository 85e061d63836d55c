//! SQL of the `notifications` schema.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::PersonName;

use crate::domain::{
    InboxChange, Message, Notification, NotificationCondition, NotificationKind, ProjectUnread, Reason,
};
use crate::wire::ListQuery;

const COLUMNS: &str = "seq, id, recipient, kind, title, body, subject, project, actor, event_id, create_time, \
                       read_time, traceparent, reason, archive_time";

#[derive(sqlx::FromRow)]
struct NotificationRow {
    seq: i64,
    id: Uuid,
    recipient: Uuid,
    #[sqlx(try_from = "String")]
    kind: NotificationKind,
    title: String,
    body: String,
    subject: String,
    project: String,
    actor: String,
    event_id: Uuid,
    create_time: OffsetDateTime,
    read_time: Option<OffsetDateTime>,
    traceparent: Option<String>,
    #[sqlx(try_from = "String")]
    reason: Reason,
    archive_time: Option<OffsetDateTime>,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        Notification {
            seq: row.seq,
            id: row.id,
            recipient: PersonName::new(row.recipient),
            kind: row.kind,
            title: row.title,
            body: row.body,
            subject: row.subject,
            project: row.project,
            actor: row.actor,
            event_id: row.event_id,
            create_time: row.create_time,
            read_time: row.read_time,
            reason: row.reason,
            archive_time: row.archive_time,
            traceparent: row.traceparent,
        }
    }
}

/// What a notification is about, shared by every recipient of one event.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub event_id: Uuid,
    pub kind: NotificationKind,
    pub reason: Reason,
    pub message: Message,
    pub subject: &'a str,
    pub project: &'a str,
    pub actor: &'a str,
    /// The W3C trace context of the consumer that created it.
    pub traceparent: Option<&'a str>,
}

pub async fn upsert_person(
    conn: &mut PgConnection,
    id: Uuid,
    display_name: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications.person (id, display_name, email) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, email = excluded.email",
    )
    .bind(id)
    .bind(display_name)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps the newest known title of a project.
pub async fn upsert_project(
    conn: &mut PgConnection,
    id: Uuid,
    display_name: &str,
    revision: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications.project (id, display_name, revision) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, revision = excluded.revision \
         WHERE notifications.project.revision < excluded.revision",
    )
    .bind(id)
    .bind(display_name)
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest revision of a project this service has seen, if any.
pub async fn project_revision(conn: &mut PgConnection, id: Uuid) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT revision FROM notifications.project WHERE id = $1").bind(id).fetch_optional(conn).await
}

/// Applies a membership change unless a newer one was applied already; returns whether it was.
pub async fn apply_membership(
    conn: &mut PgConnection,
    project_id: Uuid,
    person_id: Uuid,
    role: &str,
    active: bool,
    revision: i64,
) -> Result<bool, sqlx::Error> {
    let applied = sqlx::query(
        "INSERT INTO notifications.project_member (project_id, person_id, role, active, revision) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (project_id, person_id) DO UPDATE \
         SET role = excluded.role, active = excluded.active, revision = excluded.revision \
         WHERE notifications.project_member.revision < excluded.revision",
    )
    .bind(project_id)
    .bind(person_id)
    .bind(role)
    .bind(active)
    .bind(revision)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(applied == 1)
}

pub async fn person_name(conn: &mut PgConnection, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT display_name FROM notifications.person WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// One notification for one person.
pub async fn notify_person(conn: &mut PgConnection, recipient: Uuid, draft: &Draft<'_>) -> Result<u64, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO notifications.notification \
             (id, recipient, kind, title, body, subject, project, actor, event_id, traceparent, reason) \
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (event_id, recipient) DO NOTHING",
    )
    .bind(recipient)
    .bind(draft.kind.as_str())
    .bind(&draft.message.title)
    .bind(&draft.message.body)
    .bind(draft.subject)
    .bind(draft.project)
    .bind(draft.actor)
    .bind(draft.event_id)
    .bind(draft.traceparent)
    .bind(draft.reason.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted)
}

/// Announces, on commit, that notifications of `event_ids` exist (a comma-separated payload;
/// one `NOTIFY` per transaction keeps its commit lock short).
pub async fn announce(conn: &mut PgConnection, channel: &str, event_ids: &[Uuid]) -> Result<(), sqlx::Error> {
    if event_ids.is_empty() {
        return Ok(());
    }
    let payload = event_ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(",");
    sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(conn).await?;
    Ok(())
}

/// A recipient's notifications that match every condition, newest first, before `before_seq`;
/// one more than `limit`. Archived ones only when a condition names `archived`.
pub async fn list(conn: &mut PgConnection, query: &ListQuery) -> Result<Vec<Notification>, sqlx::Error> {
    let mut sql =
        QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM notifications.notification WHERE recipient = "));
    sql.push_bind(query.recipient.id);
    if let Some(before) = query.before_seq {
        sql.push(" AND seq < ").push_bind(before);
    }
    if query.unread_only {
        sql.push(" AND read_time IS NULL");
    }
    let mut archived_named = false;
    for condition in &query.conditions {
        match condition {
            NotificationCondition::Project(project) => {
                sql.push(" AND project = ").push_bind(project.clone());
            }
            NotificationCondition::Read(read) => {
                sql.push(if *read { " AND read_time IS NOT NULL" } else { " AND read_time IS NULL" });
            }
            NotificationCondition::Archived(archived) => {
                archived_named = true;
                sql.push(if *archived { " AND archive_time IS NOT NULL" } else { " AND archive_time IS NULL" });
            }
        }
    }
    if !archived_named {
        sql.push(" AND archive_time IS NULL");
    }
    sql.push(" ORDER BY seq DESC LIMIT ").push_bind(query.limit + 1);
    let rows: Vec<NotificationRow> = sql.build_query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(Notification::from).collect())
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Notification>, sqlx::Error> {
    let row: Option<NotificationRow> =
        sqlx::query_as(AssertSqlSafe(format!("SELECT {COLUMNS} FROM notifications.notification WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(Notification::from))
}

/// Moves a notification in its recipient's inbox; doing it again keeps the first time.
pub async fn change(
    conn: &mut PgConnection,
    id: Uuid,
    change: InboxChange,
) -> Result<Option<Notification>, sqlx::Error> {
    let set = match change {
        InboxChange::Read => "read_time = coalesce(read_time, now())",
        InboxChange::Unread => "read_time = NULL",
        InboxChange::Archive => "archive_time = coalesce(archive_time, now())",
        InboxChange::Unarchive => "archive_time = NULL",
    };
    let row: Option<NotificationRow> = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE notifications.notification SET {set} WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Notification::from))
}

/// Marks read every unread notification in `recipient`'s inbox (of `project` only, when
/// given; archived ones stay as they are); how many.
pub async fn mark_all_read(
    conn: &mut PgConnection,
    recipient: Uuid,
    project: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let marked = sqlx::query(
        "UPDATE notifications.notification SET read_time = now() \
         WHERE recipient = $1 AND read_time IS NULL AND archive_time IS NULL AND ($2::text IS NULL OR project = $2)",
    )
    .bind(recipient)
    .bind(project)
    .execute(conn)
    .await?;
    Ok(marked.rows_affected())
}

/// `recipient`'s unread notifications in their inbox, per project (most first, with its title
/// as projected), and in all.
pub async fn count_unread(conn: &mut PgConnection, recipient: Uuid) -> Result<(i64, Vec<ProjectUnread>), sqlx::Error> {
    let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT n.project, p.display_name, count(*) FROM notifications.notification n \
         LEFT JOIN notifications.project p ON n.project = 'projects/' || p.id::text \
         WHERE n.recipient = $1 AND n.read_time IS NULL AND n.archive_time IS NULL \
         GROUP BY n.project, p.display_name ORDER BY count(*) DESC, n.project",
    )
    .bind(recipient)
    .fetch_all(conn)
    .await?;
    let total = rows.iter().map(|(_, _, n)| n).sum();
    let projects = rows
        .into_iter()
        .filter(|(project, _, _)| !project.is_empty())
        .map(|(project, name, unread)| ProjectUnread { project, display_name: name.unwrap_or_default(), unread })
        .collect();
    Ok((total, projects))
}

/// The notifications of `event_ids` addressed to any of `recipients`, event by event in the
/// order given and in creation order within each, as a stream of rows. The lateral join looks
/// each event up on its (event_id, recipient) key; a plain join over all events let the planner
/// walk the recipients' whole histories instead.
pub fn of_events_for<'c>(
    conn: &'c mut PgConnection,
    event_ids: &'c [Uuid],
    recipients: &'c [Uuid],
) -> impl tokio_stream::Stream<Item = Result<Notification, sqlx::Error>> + 'c {
    let rows = sqlx::query_as::<_, NotificationRow>(AssertSqlSafe(format!(
        "SELECT n.* FROM unnest($1::uuid[]) WITH ORDINALITY AS e(id, ord) \
         CROSS JOIN LATERAL (SELECT {COLUMNS} FROM notifications.notification \
                             WHERE event_id = e.id AND recipient = ANY($2) ORDER BY seq) n \
         ORDER BY e.ord, n.seq"
    )))
    .bind(event_ids)
    .bind(recipients)
    .fetch(conn);
    tokio_stream::StreamExt::map(rows, |row| row.map(Notification::from))
}

/// One asset status change to fan out, already worded.
#[derive(Debug, Clone)]
pub struct TeamDraft {
    pub event_id: Uuid,
    pub project_id: Uuid,
    /// The person who acted, who is not notified.
    pub exclude: Option<Uuid>,
    /// Whether the team's client contacts are told.
    pub shown_to_client: bool,
    pub title: String,
    pub body: String,
    pub subject: String,
    pub project: String,
    pub actor: String,
    pub traceparent: Option<String>,
}

/// Fans out many status changes at once: one notification per active member of each change's
/// project but the person who acted (and but its client contacts, unless the change is shown to
/// them), and one `NOTIFY` on `channel` naming the events that
/// created any (delivered on commit), in one statement. Returns how many notifications it made.
pub async fn fan_out_many(
    conn: &mut PgConnection,
    kind: NotificationKind,
    reason: Reason,
    drafts: &[TeamDraft],
    channel: &str,
) -> Result<u64, sqlx::Error> {
    let column = |f: fn(&TeamDraft) -> &str| drafts.iter().map(f).collect::<Vec<&str>>();
    let created: i64 = sqlx::query_scalar(
        "WITH created AS ( \
             INSERT INTO notifications.notification \
                 (id, recipient, kind, title, body, subject, project, actor, event_id, traceparent, reason) \
             SELECT gen_random_uuid(), m.person_id, $1, e.title, e.body, e.subject, e.project, e.actor, e.event_id, e.traceparent, $12 \
             FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $13::bool[]) \
                  WITH ORDINALITY AS e(event_id, project_id, exclude, title, body, subject, project, actor, traceparent, shown, ord) \
             JOIN notifications.project_member m ON m.project_id = e.project_id AND m.active \
                  AND m.person_id IS DISTINCT FROM e.exclude \
                  AND (e.shown OR m.role <> 'PROJECT_MEMBER_ROLE_CLIENT') \
             ORDER BY e.ord, m.person_id \
             ON CONFLICT (event_id, recipient) DO NOTHING \
             RETURNING event_id), \
         announced AS ( \
             SELECT pg_notify($11, string_agg(DISTINCT event_id::text, ',')) FROM created HAVING count(*) > 0) \
         SELECT count(*) FROM created, (SELECT count(*) FROM announced) AS a",
    )
    .bind(kind.as_str())
    .bind(drafts.iter().map(|d| d.event_id).collect::<Vec<_>>())
    .bind(drafts.iter().map(|d| d.project_id).collect::<Vec<_>>())
    .bind(drafts.iter().map(|d| d.exclude).collect::<Vec<_>>())
    .bind(column(|d| &d.title))
    .bind(column(|d| &d.body))
    .bind(column(|d| &d.subject))
    .bind(column(|d| &d.project))
    .bind(column(|d| &d.actor))
    .bind(drafts.iter().map(|d| d.traceparent.as_deref()).collect::<Vec<_>>())
    .bind(channel)
    .bind(reason.as_str())
    .bind(drafts.iter().map(|d| d.shown_to_client).collect::<Vec<_>>())
    .fetch_one(conn)
    .await?;
    Ok(created as u64)
}

/// The projected display names a batch of messages uses, in one query: of the people who acted
/// (`notifications.person`) and of the projects (`notifications.project`), by id.
pub async fn display_names(
    conn: &mut PgConnection,
    people: &[Uuid],
    projects: &[Uuid],
) -> Result<(HashMap<Uuid, String>, HashMap<Uuid, String>), sqlx::Error> {
    let rows: Vec<(bool, Uuid, String)> = sqlx::query_as(
        "SELECT true, id, display_name FROM notifications.person WHERE id = ANY($1) \
         UNION ALL SELECT false, id, display_name FROM notifications.project WHERE id = ANY($2)",
    )
    .bind(people)
    .bind(projects)
    .fetch_all(conn)
    .await?;
    let (mut names, mut titles) = (HashMap::new(), HashMap::new());
    for (person, id, name) in rows {
        if person {
            names.insert(id, name)
        } else {
            titles.insert(id, name)
        };
    }
    Ok((names, titles))
}
