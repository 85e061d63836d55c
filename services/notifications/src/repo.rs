//! SQL of the `notifications` schema.

use std::collections::HashMap;

use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder};
use time::{OffsetDateTime, Time};
use uuid::Uuid;

use baton_platform::names::PersonName;

use crate::consumers::Needs;
use crate::domain::{InboxChange, Notification, NotificationCondition, NotificationKind, ProjectUnread, Reason};
use crate::preferences::{Cadence, Choice, Preferences, QuietHours, Schedule, time_of_day};
use crate::rules::{Audience, Audiences, Component, Department, Names, ProjectRole, RuleChange, RulesInForce};
use crate::wire::ListQuery;

pub mod reminders;
pub mod webhooks;

const COLUMNS: &str = "seq, id, recipient, kind, title, body, subject, project, actor, event_id, create_time, \
                       read_time, traceparent, reason, archive_time, group_count, last_time";

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
    group_count: i32,
    last_time: Option<OffsetDateTime>,
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
            event_count: row.group_count,
            update_time: row.last_time.unwrap_or(row.create_time),
        }
    }
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

/// A recipient's notifications that match every condition, newest first, before `before_seq`;
/// one more than `limit`. Archived ones only when a condition names `archived`.
pub async fn list(conn: &mut PgConnection, query: &ListQuery) -> Result<Vec<Notification>, sqlx::Error> {
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "SELECT {COLUMNS} FROM notifications.notification WHERE in_inbox AND recipient = "
    ));
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
         WHERE recipient = $1 AND in_inbox AND read_time IS NULL AND archive_time IS NULL \
           AND ($2::text IS NULL OR project = $2)",
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
         WHERE n.recipient = $1 AND n.in_inbox AND n.read_time IS NULL AND n.archive_time IS NULL \
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
                             WHERE event_id = e.id AND recipient = ANY($2) AND in_inbox ORDER BY seq) n \
         ORDER BY e.ord, n.seq"
    )))
    .bind(event_ids)
    .bind(recipients)
    .fetch(conn);
    tokio_stream::StreamExt::map(rows, |row| row.map(Notification::from))
}

/// Keeps the newest state of a team and its members.
pub async fn upsert_team(
    conn: &mut PgConnection,
    id: Uuid,
    display_name: &str,
    department: Option<&str>,
    members: &[Uuid],
    update_time: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    let applied = sqlx::query(
        "INSERT INTO notifications.team (id, display_name, department, update_time) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, department = excluded.department, \
             update_time = excluded.update_time \
         WHERE notifications.team.update_time <= excluded.update_time",
    )
    .bind(id)
    .bind(display_name)
    .bind(department)
    .bind(update_time)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if applied == 0 {
        return Ok(());
    }
    sqlx::query(
        "WITH gone AS (DELETE FROM notifications.team_member WHERE team_id = $1 AND person_id <> ALL($2)) \
         INSERT INTO notifications.team_member (team_id, person_id) SELECT $1, unnest($2::uuid[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(members)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    project_id: Option<Uuid>,
    /// None on the row that says the project has a webhook.
    kind: Option<String>,
    audiences: Json<Vec<Audience>>,
    mandatory: bool,
    update_time: OffsetDateTime,
    updater: Option<Uuid>,
}

impl RuleRow {
    fn change(self) -> RuleChange {
        RuleChange {
            audiences: self.audiences.0,
            mandatory: self.mandatory,
            update_time: self.update_time,
            updater: self.updater.map(PersonName::new),
        }
    }
}

/// The agency's changes to the rules of `kinds`, and those of `projects`' overrides — after
/// keeping the newest revision of each of `components` and planning the reminders of those that
/// changed (due soon `reminder_days` before their due date, overdue the morning after, both at
/// 08:00 UTC; the unfired ones of another date, or of a component done, dropped), a one-step
/// review's as its component enters review (a round's stages plan their own, before it) and a
/// review's dropped as its component leaves review — in one statement: a run's reads start
/// with it. The reminders of the run's components are read once (`mine`, by
/// `reminder_component_idx`), so a run costs what its own components have, not what every
/// reminder of the agency adds up to — and, under a plan cached while the table was nearly
/// empty (a sequential scan), one scan per run rather than one per component. The stale ones
/// go by the row versions read (`ctid`), a lookup whatever the plan; one fired meanwhile is
/// a new version, and stays.
pub async fn rules_in_force(
    conn: &mut PgConnection,
    components: &[Component],
    projects: &[Uuid],
    kinds: &[NotificationKind],
    reminder_days: i32,
) -> Result<RulesInForce, sqlx::Error> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    // Arrays of arrays must be rectangular: each component's people go as one text of ids.
    let people = |f: fn(&Component) -> &Vec<Uuid>| {
        components.iter().map(|c| f(c).iter().map(Uuid::to_string).collect::<Vec<_>>().join(",")).collect::<Vec<_>>()
    };
    let rows: Vec<RuleRow> = sqlx::query_as(
        "WITH before AS (SELECT id, in_review FROM notifications.component WHERE id = ANY($3)), \
         kept AS ( \
             INSERT INTO notifications.component \
                 (id, project_id, display_name, client_visible, assignees, watchers, revision, due_date, done, \
                  in_review, update_time) \
             SELECT id, project_id, display_name, client_visible, string_to_array(assignees, ',')::uuid[], \
                    string_to_array(watchers, ',')::uuid[], revision, due_date, done, in_review, \
                    coalesce(update_time, now()) \
             FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::bool[], $7::text[], $8::text[], $9::int8[], \
                         $10::date[], $11::bool[], $13::bool[], $14::timestamptz[]) \
                  AS c(id, project_id, display_name, client_visible, assignees, watchers, revision, due_date, done, \
                       in_review, update_time) \
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, \
                 client_visible = excluded.client_visible, assignees = excluded.assignees, \
                 watchers = excluded.watchers, revision = excluded.revision, due_date = excluded.due_date, \
                 done = excluded.done, in_review = excluded.in_review, update_time = excluded.update_time \
             WHERE notifications.component.revision < excluded.revision \
             RETURNING id, project_id, display_name, due_date, done, in_review, update_time), \
         mine AS MATERIALIZED ( \
             SELECT ctid, component_id, kind, due_date, opened_time, fired_time FROM notifications.reminder \
             WHERE component_id = ANY($3)), \
         dropped AS ( \
             DELETE FROM notifications.reminder WHERE ctid = ANY(ARRAY( \
                 SELECT r.ctid FROM kept k JOIN mine r ON r.component_id = k.id \
                 WHERE r.fired_time IS NULL \
                   AND (k.done OR CASE WHEN r.kind = $15 THEN NOT k.in_review \
                                       ELSE k.due_date IS DISTINCT FROM r.due_date END)))), \
         planned AS ( \
             INSERT INTO notifications.reminder \
                 (id, kind, subject, project_id, component_id, title, due_date, fire_time) \
             SELECT gen_random_uuid(), p.kind, 'projects/' || k.project_id || '/assets/' || k.id, k.project_id, \
                    k.id, k.display_name, k.due_date, p.fire_time \
             FROM kept k CROSS JOIN LATERAL (VALUES \
                 ('NOTIFICATION_KIND_COMPONENT_DUE_SOON', ((k.due_date - $12::int) + time '08:00') AT TIME ZONE 'UTC'), \
                 ('NOTIFICATION_KIND_COMPONENT_OVERDUE', ((k.due_date + 1) + time '08:00') AT TIME ZONE 'UTC')) \
                 AS p(kind, fire_time) \
             WHERE NOT k.done AND k.due_date IS NOT NULL \
             ON CONFLICT (kind, subject, due_date, stage) DO UPDATE SET title = excluded.title \
             WHERE notifications.reminder.fired_time IS NULL), \
         waiting AS ( \
             INSERT INTO notifications.reminder (id, kind, subject, project_id, component_id, title, due_date, \
                 fire_time, stage, opened_time, reviewers) \
             SELECT gen_random_uuid(), $15, 'projects/' || k.project_id || '/assets/' || k.id, k.project_id, \
                    k.id, '', (k.update_time AT TIME ZONE 'UTC')::date, \
                    notifications.review_fire_time(k.update_time, t.hours), 0, k.update_time, '{}' \
             FROM kept k LEFT JOIN before b ON b.id = k.id \
             CROSS JOIN LATERAL (SELECT coalesce((SELECT hours FROM notifications.review_threshold \
                                                  WHERE project_id = k.project_id), $16) AS hours) t \
             WHERE k.in_review AND NOT coalesce(b.in_review, false) \
               AND NOT EXISTS (SELECT 1 FROM mine r WHERE r.component_id = k.id AND r.kind = $15 \
                                                     AND r.opened_time >= k.update_time) \
             ON CONFLICT (kind, subject, due_date, stage) DO UPDATE SET id = excluded.id, fired_time = NULL, \
                 fire_time = excluded.fire_time, opened_time = excluded.opened_time) \
         SELECT NULL::uuid AS project_id, kind, audiences, mandatory, update_time, updater \
         FROM notifications.agency_rule WHERE kind = ANY($2) \
         UNION ALL SELECT project_id, kind, audiences, false, update_time, updater \
         FROM notifications.project_rule WHERE project_id = ANY($1) AND kind = ANY($2) \
         UNION ALL SELECT DISTINCT project_id, NULL, '[]'::jsonb, false, now(), NULL::uuid \
         FROM notifications.webhook WHERE project_id = ANY($1) AND state = 'WEBHOOK_STATE_ENABLED'",
    )
    .bind(projects)
    .bind(&kinds)
    .bind(components.iter().map(|c| c.id).collect::<Vec<_>>())
    .bind(components.iter().map(|c| c.project).collect::<Vec<_>>())
    .bind(components.iter().map(|c| c.display_name.as_str()).collect::<Vec<_>>())
    .bind(components.iter().map(|c| c.client_visible).collect::<Vec<_>>())
    .bind(people(|c| &c.assignees))
    .bind(people(|c| &c.watchers))
    .bind(components.iter().map(|c| c.revision).collect::<Vec<_>>())
    .bind(components.iter().map(|c| c.due_date).collect::<Vec<_>>())
    .bind(components.iter().map(|c| c.done).collect::<Vec<_>>())
    .bind(reminder_days)
    .bind(components.iter().map(|c| c.in_review).collect::<Vec<_>>())
    .bind(components.iter().map(|c| c.update_time).collect::<Vec<_>>())
    .bind(reminders::REVIEW_WAITING)
    .bind(baton_proto::assets::v1::DEFAULT_REVIEW_REMINDER_HOURS)
    .fetch_all(conn)
    .await?;
    let mut rules = RulesInForce::default();
    for row in rows {
        let kind = row.kind.as_deref().map(NotificationKind::from_name);
        match (row.project_id, kind) {
            (Some(project), None) => rules.hooked.push(project),
            (Some(project), Some(Some(kind))) => {
                rules.projects.insert((project, kind), row.change());
            }
            (None, Some(Some(kind))) => {
                rules.agency.insert(kind, row.change());
            }
            // A kind this build does not know (a newer replica's): no rule of it applies here.
            _ => {}
        }
    }
    Ok(rules)
}

/// The agency's change of one kind's rule, and `project`'s override of it.
pub async fn rule_changes(
    conn: &mut PgConnection,
    project: Option<Uuid>,
    kind: Option<NotificationKind>,
) -> Result<RulesInForce, sqlx::Error> {
    let kinds: Vec<NotificationKind> = kind.map_or_else(|| NotificationKind::ALL.to_vec(), |k| vec![k]);
    rules_in_force(conn, &[], project.as_slice(), &kinds, 0).await
}

/// Locks the agency's rule of `kind` (an update reads and writes it in one transaction).
pub async fn lock_rule(conn: &mut PgConnection, kind: NotificationKind) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('notifications.rule:' || $1, 0))")
        .bind(kind.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_agency_rule(
    conn: &mut PgConnection,
    kind: NotificationKind,
    change: &RuleChange,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications.agency_rule (kind, audiences, mandatory, update_time, updater) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind) DO UPDATE SET audiences = excluded.audiences, \
         mandatory = excluded.mandatory, update_time = excluded.update_time, updater = excluded.updater",
    )
    .bind(kind.as_str())
    .bind(Json(&change.audiences))
    .bind(change.mandatory)
    .bind(change.update_time)
    .bind(change.updater.map(|p| p.id))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_project_rule(
    conn: &mut PgConnection,
    project: Uuid,
    kind: NotificationKind,
    change: &RuleChange,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications.project_rule (project_id, kind, audiences, update_time, updater) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, kind) DO UPDATE SET audiences = excluded.audiences, \
         update_time = excluded.update_time, updater = excluded.updater",
    )
    .bind(project)
    .bind(kind.as_str())
    .bind(Json(&change.audiences))
    .bind(change.update_time)
    .bind(change.updater.map(|p| p.id))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_project_rule(
    conn: &mut PgConnection,
    project: Uuid,
    kind: NotificationKind,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM notifications.project_rule WHERE project_id = $1 AND kind = $2")
        .bind(project)
        .bind(kind.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// A person's role on a project's team, as projected; `None` when they are not on it.
pub async fn membership(
    conn: &mut PgConnection,
    project: Uuid,
    person: Uuid,
) -> Result<Option<ProjectRole>, sqlx::Error> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT role FROM notifications.project_member WHERE project_id = $1 AND person_id = $2 AND active",
    )
    .bind(project)
    .bind(person)
    .fetch_optional(conn)
    .await?;
    Ok(role.and_then(|r| ProjectRole::from_name(&r)))
}

/// Whether a project is known here (its creation was projected).
pub async fn project_exists(conn: &mut PgConnection, project: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM notifications.project WHERE id = $1)")
        .bind(project)
        .fetch_one(conn)
        .await
}

/// Whether a team is known here.
pub async fn team_exists(conn: &mut PgConnection, team: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM notifications.team WHERE id = $1)")
        .bind(team)
        .fetch_one(conn)
        .await
}

/// What a run's resolution and wording read.
#[derive(Debug, Default)]
pub struct World {
    pub audiences: Audiences,
    pub names: Names,
    pub components: HashMap<Uuid, Component>,
    /// The preferences of the people who may be told and set any.
    pub reach: HashMap<Uuid, Reach>,
}

/// What decides how one person is reached: their choices and their schedule.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    pub choices: Vec<Choice>,
    pub schedule: Schedule,
}

impl Reach {
    /// Reads the world query's JSON of one person's preferences. A choice this build cannot read
    /// (a kind or channel it does not know) is left out rather than failing the event.
    fn read(text: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let choices = value["choices"]
            .as_array()
            .map(|choices| choices.iter().filter_map(|c| serde_json::from_value(c.clone()).ok()).collect());
        let time = |v: &serde_json::Value| v.as_str().and_then(|t| time_of_day(t).ok());
        let quiet_hours = match (time(&value["quiet_hours"]["start"]), time(&value["quiet_hours"]["end"])) {
            (Some(start), Some(end)) => Some(QuietHours { start, end }),
            _ => None,
        };
        let schedule = Schedule {
            time_zone: value["time_zone"].as_str().map(str::to_string),
            quiet_hours,
            digest_time: time(&value["digest_time"]),
        };
        Some(Reach { choices: choices.unwrap_or_default(), schedule })
    }
}

/// One row of the world query: a member, a component, a team's member, or a name.
#[derive(sqlx::FromRow)]
struct WorldRow {
    /// `m`ember, `c`omponent, `t`eam member, `p`erson's name, pro`j`ect's title, pre`f`erences.
    tag: String,
    id: Uuid,
    other: Option<Uuid>,
    text: Option<String>,
    assignees: Option<Vec<Uuid>>,
    watchers: Option<Vec<Uuid>>,
    flag: Option<bool>,
    revision: Option<i64>,
}

/// Lets the rest of the transaction run its prepared statements on their generic plans. Left
/// to choose, PostgreSQL plans the world query afresh at every batch, since its plan for the
/// batch's few ids looks cheaper than one for arrays of any size: 0.6–0.9 ms of planning for
/// under 0.1 ms of work, most of a lone event's cost. The consumer's other statements were on
/// their generic plans already.
pub async fn prefer_generic_plans(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan").execute(conn).await?;
    Ok(())
}

/// Reads what `needs` names in one statement: the projects' teams, the components, the teams
/// and departments, the display names of the people and projects, and the choices of everyone
/// who may be told.
pub async fn world(conn: &mut PgConnection, needs: &Needs) -> Result<World, sqlx::Error> {
    let rows: Vec<WorldRow> = sqlx::query_as(
        "SELECT 'm' AS tag, project_id AS id, person_id AS other, role AS text, NULL::uuid[] AS assignees, \
                NULL::uuid[] AS watchers, NULL::bool AS flag, NULL::int8 AS revision \
         FROM notifications.project_member WHERE project_id = ANY($1) AND active \
         UNION ALL SELECT 'c', id, project_id, display_name, assignees, watchers, client_visible, revision \
         FROM notifications.component WHERE id = ANY($2) \
         UNION ALL SELECT 't', t.id, m.person_id, t.department, NULL, NULL, NULL, NULL \
         FROM notifications.team t LEFT JOIN notifications.team_member m ON m.team_id = t.id \
         WHERE t.id = ANY($3) OR t.department = ANY($4) \
         UNION ALL SELECT 'p', id, NULL, display_name, NULL, NULL, NULL, NULL \
         FROM notifications.person WHERE id = ANY($5) \
         UNION ALL SELECT 'j', id, NULL, display_name, NULL, NULL, NULL, NULL \
         FROM notifications.project WHERE id = ANY($1) \
         UNION ALL SELECT 'f', person_id, NULL, jsonb_build_object('choices', choices, 'time_zone', time_zone, \
                    'quiet_hours', CASE WHEN quiet_start IS NULL THEN NULL ELSE jsonb_build_object( \
                        'start', to_char(quiet_start, 'HH24:MI'), 'end', to_char(quiet_end, 'HH24:MI')) END, \
                    'digest_time', to_char(digest_time, 'HH24:MI'))::text, NULL, NULL, NULL, NULL \
         FROM notifications.preferences WHERE person_id IN ( \
             SELECT person_id FROM notifications.project_member WHERE project_id = ANY($1) AND active \
             UNION SELECT unnest($6::uuid[]) \
             UNION SELECT unnest(assignees || watchers) FROM notifications.component WHERE id = ANY($2) \
             UNION SELECT m.person_id FROM notifications.team_member m JOIN notifications.team t ON t.id = m.team_id \
                   WHERE t.id = ANY($3) OR t.department = ANY($4))",
    )
    .bind(&needs.projects)
    .bind(&needs.components)
    .bind(&needs.teams)
    .bind(&needs.departments)
    .bind(&needs.people)
    .bind(&needs.candidates)
    .fetch_all(conn)
    .await?;
    let mut world = World::default();
    for row in rows {
        match row.tag.as_str() {
            "m" => {
                if let (Some(person), Some(role)) = (row.other, row.text.as_deref().and_then(ProjectRole::from_name)) {
                    world.audiences.members.entry(row.id).or_default().insert(person, role);
                }
            }
            "c" => {
                let component = Component {
                    id: row.id,
                    project: row.other.unwrap_or_default(),
                    display_name: row.text.unwrap_or_default(),
                    client_visible: row.flag.unwrap_or(false),
                    assignees: row.assignees.unwrap_or_default(),
                    watchers: row.watchers.unwrap_or_default(),
                    revision: row.revision.unwrap_or_default(),
                    due_date: None,
                    done: false,
                    in_review: false,
                    update_time: None,
                };
                world.components.insert(component.id, component);
            }
            "t" => {
                if let Some(department) = row.text.as_deref().and_then(Department::from_name) {
                    world.audiences.departments.insert(department, row.id);
                }
                world.audiences.teams.entry(row.id).or_default().extend(row.other);
            }
            "p" => {
                world.names.people.insert(row.id, row.text.unwrap_or_default());
            }
            "f" => {
                if let Some(reach) = row.text.as_deref().and_then(Reach::read) {
                    world.reach.insert(row.id, reach);
                }
            }
            _ => {
                world.names.projects.insert(row.id, row.text.unwrap_or_default());
            }
        }
    }
    Ok(world)
}

/// One notification to create.
#[derive(Debug, Clone)]
pub struct Row {
    /// Whether it shows in the recipient's inbox (and streams).
    pub in_inbox: bool,
    /// When and how it goes out by email, if it does.
    pub email: Option<(Cadence, OffsetDateTime)>,
    pub event_id: Uuid,
    pub recipient: Uuid,
    pub kind: NotificationKind,
    pub reason: Reason,
    pub title: String,
    pub body: String,
    pub subject: String,
    pub project: String,
    pub actor: String,
    pub traceparent: Option<String>,
    /// The burst it may join, if its kind groups.
    pub burst: Option<std::sync::Arc<Burst>>,
}

/// A burst a notification may join: of one kind, by one person, in one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// Kind, actor and project.
    pub key: String,
    /// The title of the burst is `{before}{count}{after}`: "Paula updated " 50 " components in
    /// Relaunch".
    pub before: String,
    pub after: String,
}

/// An event of a project, told to the project's webhooks whoever else is told.
#[derive(Debug, Clone)]
pub struct ProjectPost {
    pub event_id: Uuid,
    pub project: Uuid,
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub subject: String,
    pub actor: String,
}

/// What [`insert`] announces on commit, by `NOTIFY`.
#[derive(Debug, Clone, Copy)]
pub struct Channels<'a> {
    /// Names the events that put any notification in an inbox.
    pub created: &'a str,
    /// Tells the webhook senders that deliveries were queued.
    pub deliveries: &'a str,
}

/// The end of [`insert`]'s statement, after the notifications (`created`, and those that `$told`
/// names): the deliveries to the webhooks of `raw`'s recipients and of the posts, and the
/// announcements — each a column of the result, so that none is skipped when nothing was
/// created.
macro_rules! queue_and_announce {
    ($told:literal) => {
        concat!(
            "hooked AS ( \
                 SELECT gen_random_uuid() AS id, w.id AS webhook_id, w.format, x.event_id, x.recipient, x.kind, \
                        x.title, x.body, x.subject, x.project, x.actor, x.reason, now() AS create_time \
                 FROM raw x JOIN notifications.webhook w ON w.person_id = x.recipient \
                 WHERE w.state = 'WEBHOOK_STATE_ENABLED' AND (w.kinds = '{}' OR x.kind = ANY(w.kinds)) \
                 UNION ALL \
                 SELECT gen_random_uuid(), w.id, w.format, p.event_id, NULL, p.kind, p.title, p.body, p.subject, \
                        'projects/' || p.project_id, p.actor, NULL, now() \
                 FROM unnest($16::uuid[], $17::uuid[], $18::text[], $19::text[], $20::text[], $21::text[], \
                             $22::text[]) AS p(event_id, project_id, kind, title, body, subject, actor) \
                 JOIN notifications.webhook w ON w.project_id = p.project_id \
                 WHERE w.state = 'WEBHOOK_STATE_ENABLED' AND (w.kinds = '{}' OR p.kind = ANY(w.kinds))), \
             queued AS ( \
                 INSERT INTO notifications.webhook_delivery (id, webhook_id, event_id, recipient, kind, payload) \
                 SELECT id, webhook_id, event_id, recipient, kind, \
                        CASE WHEN format = 'WEBHOOK_FORMAT_SLACK' THEN json_build_object('text', \
                            '*' || replace(replace(replace(title, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') \
                            || E'*\\n' \
                            || replace(replace(replace(body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'))::text \
                        ELSE json_strip_nulls(json_build_object('id', id, \
                            'kind', lower(replace(substr(kind, 19), '_', '-')), 'event', event_id, \
                            'time', create_time, 'project', project, 'subject', subject, 'actor', actor, \
                            'title', title, 'body', body, 'recipient', 'people/' || recipient, \
                            'reason', lower(replace(substr(reason, 21), '_', '-'))))::text END \
                 FROM hooked \
                 ON CONFLICT (webhook_id, event_id, recipient) DO NOTHING \
                 RETURNING 1), \
             announced AS ( \
                 SELECT pg_notify($11, string_agg(DISTINCT event_id::text, ',')) \
                 FROM (",
            $told,
            ") a WHERE in_inbox HAVING count(*) > 0), \
             woken AS (SELECT pg_notify($15, '') FROM queued HAVING count(*) > 0) \
             SELECT (SELECT count(*) FROM created), (SELECT count(*) FROM announced), \
                    (SELECT count(*) FROM woken)"
        )
    };
}

/// [`insert`]'s statement for rows of no burst and no email: each row one notification.
const INSERT_PLAIN: &str = concat!(
    "WITH raw AS ( \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], \
                              $7::text[], $8::text[], $9::text[], $10::text[], $12::bool[]) \
         WITH ORDINALITY AS r(event_id, recipient, kind, reason, title, body, subject, project, actor, \
                              traceparent, in_inbox, ord)), \
     created AS ( \
         INSERT INTO notifications.notification \
             (id, recipient, kind, title, body, subject, project, actor, event_id, traceparent, reason, in_inbox, \
              group_count, items, last_time) \
         SELECT gen_random_uuid(), r.recipient, r.kind, r.title, r.body, r.subject, r.project, r.actor, \
                r.event_id, r.traceparent, r.reason, r.in_inbox, 1, '{}', now() \
         FROM raw r ORDER BY r.ord \
         ON CONFLICT (event_id, recipient) DO NOTHING \
         RETURNING event_id, in_inbox), ",
    queue_and_announce!("SELECT event_id, in_inbox FROM created")
);

/// [`insert`]'s statement for rows of which some join bursts or go out by email.
const INSERT_FULL: &str = concat!(
    "WITH raw AS ( \
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], \
                                  $7::text[], $8::text[], $9::text[], $10::text[], $12::bool[], $13::text[], \
                                  $14::timestamptz[], $23::text[], $24::text[], $25::text[]) \
             WITH ORDINALITY AS r(event_id, recipient, kind, reason, title, body, subject, project, actor, \
                                  traceparent, in_inbox, email_cadence, email_due, group_key, group_before, \
                                  group_after, ord)), \
         batched AS ( \
             SELECT raw.*, count(*) OVER whole AS n, array_agg(raw.title) OVER whole AS batch_items, \
                    row_number() OVER (PARTITION BY raw.recipient, coalesce(raw.group_key, raw.ord::text), \
                                       raw.in_inbox ORDER BY raw.ord DESC) AS nth \
             FROM raw \
             WINDOW whole AS (PARTITION BY raw.recipient, coalesce(raw.group_key, raw.ord::text), raw.in_inbox \
                              ORDER BY raw.ord ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)), \
         r AS (SELECT * FROM batched WHERE nth = 1), \
         found AS ( \
             SELECT r.*, gen_random_uuid() AS new_id, o.id AS open_id, \
                    coalesce(o.group_count, 0) + r.n AS count, \
                    CASE WHEN r.group_key IS NULL THEN '{}'::text[] \
                         ELSE coalesce(o.items, '{}') || r.batch_items END AS all_items, \
                    r.email_cadence IS NOT NULL AND EXISTS ( \
                        SELECT 1 FROM notifications.person p WHERE p.id = r.recipient AND p.email <> '') AS mailed \
             FROM r LEFT JOIN LATERAL ( \
                 SELECT n.id, n.group_count, n.items FROM notifications.notification n \
                 WHERE n.recipient = r.recipient AND n.group_key = r.group_key AND n.in_inbox = r.in_inbox \
                   AND n.read_time IS NULL AND n.archive_time IS NULL AND n.group_count < 100 \
                   AND n.last_time > now() - make_interval(secs => $26) \
                 ORDER BY n.seq DESC LIMIT 1) o ON r.group_key IS NOT NULL), \
         told AS ( \
             SELECT f.*, f.all_items[greatest(1, cardinality(f.all_items) - 99):] AS items, \
                    CASE WHEN f.count > 1 THEN f.group_before || f.count || f.group_after ELSE f.title END \
                        AS told_title, \
                    CASE WHEN f.count > 1 THEN \
                        CASE WHEN f.count > 20 THEN '… and ' || (f.count - 20) || E' before these\\n' ELSE '' END \
                        || '• ' || array_to_string(f.all_items[greatest(1, cardinality(f.all_items) - 19):], E'\\n• ') \
                    ELSE f.body END AS told_body, \
                    CASE WHEN f.mailed AND f.email_cadence <> 'CADENCE_INSTANT' THEN f.email_cadence END \
                        AS digest_cadence, \
                    CASE WHEN f.mailed AND f.email_cadence <> 'CADENCE_INSTANT' THEN f.email_due END AS digest_time \
             FROM found f), \
         folded AS ( \
             UPDATE notifications.notification n SET group_count = t.count, items = t.items, title = t.told_title, \
                 body = t.told_body, event_id = t.event_id, subject = t.subject, traceparent = t.traceparent, \
                 seq = nextval('notifications.notification_seq_seq'), last_time = now() \
             FROM told t WHERE n.id = t.open_id \
             RETURNING n.id, n.event_id, n.in_inbox), \
         created AS ( \
             INSERT INTO notifications.notification \
                 (id, recipient, kind, title, body, subject, project, actor, event_id, traceparent, reason, in_inbox, \
                  digest_cadence, digest_time, group_key, group_count, items, last_time) \
             SELECT t.new_id, t.recipient, t.kind, t.told_title, t.told_body, t.subject, t.project, t.actor, \
                    t.event_id, t.traceparent, t.reason, t.in_inbox, t.digest_cadence, t.digest_time, \
                    t.group_key, t.count, t.items, now() \
             FROM told t WHERE t.open_id IS NULL ORDER BY t.ord \
             ON CONFLICT (event_id, recipient) DO NOTHING \
             RETURNING id, event_id, recipient, in_inbox, digest_cadence, digest_time), \
         held AS ( \
             UPDATE notifications.email e \
             SET due_time = greatest(e.due_time, least(now() + make_interval(secs => $26), \
                                                       e.create_time + make_interval(secs => 6 * $26))) \
             FROM folded f \
             WHERE e.notification_ids[1] = f.id AND e.state = 'PENDING' AND e.cadence = 'CADENCE_INSTANT'), \
         instant AS ( \
             INSERT INTO notifications.email (id, recipient, cadence, notification_ids, due_time) \
             SELECT gen_random_uuid(), t.recipient, t.email_cadence, ARRAY[coalesce(t.open_id, t.new_id)], t.email_due \
             FROM told t \
             WHERE t.mailed AND t.email_cadence = 'CADENCE_INSTANT' \
               AND CASE WHEN t.open_id IS NULL THEN t.new_id IN (SELECT id FROM created) \
                        ELSE NOT EXISTS (SELECT 1 FROM notifications.email e \
                                         WHERE e.notification_ids[1] = t.open_id AND e.state = 'PENDING' \
                                           AND e.cadence = 'CADENCE_INSTANT') END), \
         digests AS ( \
             INSERT INTO notifications.email (id, recipient, cadence, notification_ids, due_time) \
             SELECT DISTINCT ON (recipient, digest_cadence, digest_time) \
                    gen_random_uuid(), recipient, digest_cadence, '{}'::uuid[], digest_time \
             FROM created WHERE digest_cadence IS NOT NULL \
             ON CONFLICT (recipient, cadence, due_time) WHERE state = 'PENDING' AND cadence <> 'CADENCE_INSTANT' \
             DO NOTHING), \
         ",
    queue_and_announce!("SELECT event_id, in_inbox FROM created UNION ALL SELECT event_id, in_inbox FROM folded")
);

/// Creates the notifications (each person once per event, whatever happens upstream) — or, for
/// a notification of a burst, adds it to the recipient's open notification of that burst (unread,
/// its last event less than `group_window` ago; the rows of one burst in `rows` count as one) —
/// queues the email of those that go out by email (an instant one each, held while its burst
/// goes on; digests joined by person, cadence and time; nothing for someone without an address),
/// queues a delivery to each enabled webhook of the recipients (each event of theirs) and of the
/// projects (of `posts`), each with its body, and announces them on `channels` (delivered on
/// commit; every announcement is a column of the result, so that none is skipped when nothing
/// was created) — in one statement, a plainer one when no row joins a burst or goes out by email
/// (a quarter cheaper for 200 rows: no windows over the batch, no lookups of open bursts); how
/// many notifications it created.
pub async fn insert(
    conn: &mut PgConnection,
    rows: &[Row],
    posts: &[ProjectPost],
    channels: Channels<'_>,
    group_window: std::time::Duration,
) -> Result<u64, sqlx::Error> {
    if rows.is_empty() && posts.is_empty() {
        return Ok(0);
    }
    let text = |f: fn(&Row) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let burst = |f: fn(&Burst) -> &str| rows.iter().map(|r| r.burst.as_deref().map(f)).collect::<Vec<_>>();
    let post_text = |f: fn(&ProjectPost) -> &str| posts.iter().map(f).collect::<Vec<&str>>();
    let plain = rows.iter().all(|r| r.burst.is_none() && r.email.is_none());
    let created: i64 = sqlx::query_scalar(if plain { INSERT_PLAIN } else { INSERT_FULL })
        .bind(rows.iter().map(|r| r.event_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.recipient).collect::<Vec<_>>())
        .bind(text(|r| r.kind.as_str()))
        .bind(text(|r| r.reason.as_str()))
        .bind(text(|r| &r.title))
        .bind(text(|r| &r.body))
        .bind(text(|r| &r.subject))
        .bind(text(|r| &r.project))
        .bind(text(|r| &r.actor))
        .bind(rows.iter().map(|r| r.traceparent.as_deref()).collect::<Vec<_>>())
        .bind(channels.created)
        .bind(rows.iter().map(|r| r.in_inbox).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.email.map(|(c, _)| c.as_str())).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.email.map(|(_, due)| due)).collect::<Vec<_>>())
        .bind(channels.deliveries)
        .bind(posts.iter().map(|p| p.event_id).collect::<Vec<_>>())
        .bind(posts.iter().map(|p| p.project).collect::<Vec<_>>())
        .bind(post_text(|p| p.kind.as_str()))
        .bind(post_text(|p| &p.title))
        .bind(post_text(|p| &p.body))
        .bind(post_text(|p| &p.subject))
        .bind(post_text(|p| &p.actor))
        .bind(burst(|b| &b.key))
        .bind(burst(|b| &b.before))
        .bind(burst(|b| &b.after))
        .bind(group_window.as_secs_f64())
        .fetch_one(conn)
        .await?;
    Ok(created as u64)
}

#[derive(sqlx::FromRow)]
struct PreferencesRow {
    person_id: Uuid,
    time_zone: Option<String>,
    quiet_start: Option<Time>,
    quiet_end: Option<Time>,
    digest_time: Time,
    choices: Json<Vec<Choice>>,
    update_time: OffsetDateTime,
    revision: i64,
}

impl From<PreferencesRow> for Preferences {
    fn from(row: PreferencesRow) -> Self {
        Preferences {
            person: PersonName::new(row.person_id),
            time_zone: row.time_zone,
            quiet_hours: row.quiet_start.zip(row.quiet_end).map(|(start, end)| QuietHours { start, end }),
            digest_time: row.digest_time,
            choices: row.choices.0,
            update_time: Some(row.update_time),
            revision: row.revision,
        }
    }
}

const PREFERENCES: &str = "person_id, time_zone, quiet_start, quiet_end, digest_time, choices, update_time, revision";

/// A person's preferences, locked for an update when `lock`; `None` while they are the
/// defaults.
pub async fn preferences(
    conn: &mut PgConnection,
    person: Uuid,
    lock: bool,
) -> Result<Option<Preferences>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<PreferencesRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {PREFERENCES} FROM notifications.preferences WHERE person_id = $1{lock}"
    )))
    .bind(person)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Preferences::from))
}

/// Locks a person's preferences before their first change (there is no row to lock yet).
pub async fn lock_preferences(conn: &mut PgConnection, person: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('notifications.preferences:' || $1::text, 0))")
        .bind(person)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn put_preferences(conn: &mut PgConnection, p: &Preferences) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications.preferences \
             (person_id, time_zone, quiet_start, quiet_end, digest_time, choices, update_time, revision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (person_id) DO UPDATE SET time_zone = excluded.time_zone, quiet_start = excluded.quiet_start, \
             quiet_end = excluded.quiet_end, digest_time = excluded.digest_time, choices = excluded.choices, \
             update_time = excluded.update_time, revision = excluded.revision",
    )
    .bind(p.person.id)
    .bind(p.time_zone.as_deref())
    .bind(p.quiet_hours.map(|q| q.start))
    .bind(p.quiet_hours.map(|q| q.end))
    .bind(p.digest_time)
    .bind(Json(&p.choices))
    .bind(p.update_time)
    .bind(p.revision)
    .execute(conn)
    .await?;
    Ok(())
}

/// A message a sender took.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedEmail {
    pub id: Uuid,
    pub recipient: Uuid,
    #[sqlx(try_from = "String")]
    pub cadence: Cadence,
    pub notification_ids: Vec<Uuid>,
    pub due_time: OffsetDateTime,
    pub attempts: i32,
    pub create_time: OffsetDateTime,
}

/// Takes up to `limit` messages that are due (or whose sender's hold ran out) for `lease`:
/// across replicas each is taken by one sender at a time.
pub async fn claim_emails(
    pool: &sqlx::PgPool,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<ClaimedEmail>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE notifications.email SET state = 'SENDING', attempts = attempts + 1, \
             lease_until = now() + make_interval(secs => $2) \
         WHERE id IN (SELECT id FROM notifications.email \
                      WHERE (state = 'PENDING' AND due_time <= now()) \
                         OR (state = 'SENDING' AND lease_until <= now()) \
                      ORDER BY due_time LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, recipient, cadence, notification_ids, due_time, attempts, create_time",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
}

/// What a message says: to whom, and its notifications with their projects' titles.
#[derive(Debug, Clone)]
pub struct EmailContent {
    pub address: String,
    pub display_name: String,
    pub items: Vec<crate::email::Item>,
}

/// What `email` says: its one notification, or the notifications its digest gathered.
pub async fn email_content(pool: &sqlx::PgPool, email: &ClaimedEmail) -> Result<Option<EmailContent>, sqlx::Error> {
    let recipient = email.recipient;
    let person: Option<(String, String)> =
        sqlx::query_as("SELECT email, display_name FROM notifications.person WHERE id = $1")
            .bind(recipient)
            .fetch_optional(pool)
            .await?;
    let Some((address, display_name)) = person else { return Ok(None) };
    let items: Vec<(String, String, Option<String>, OffsetDateTime)> = sqlx::query_as(
        "SELECT n.title, n.body, p.display_name, n.create_time FROM notifications.notification n \
         LEFT JOIN notifications.project p ON n.project = 'projects/' || p.id::text \
         WHERE (n.id = ANY($1) AND $2 = 'CADENCE_INSTANT') \
            OR (n.recipient = $3 AND n.digest_time = $4 AND n.digest_cadence = $2) \
         ORDER BY n.seq",
    )
    .bind(&email.notification_ids)
    .bind(email.cadence.as_str())
    .bind(recipient)
    .bind(email.due_time)
    .fetch_all(pool)
    .await?;
    let items =
        items.into_iter().map(|(title, body, project, at)| crate::email::Item { title, body, project, at }).collect();
    Ok(Some(EmailContent { address, display_name, items }))
}

/// Records one attempt and where it leaves the message: SENT, FAILED, or SENDING until
/// `retry_at`.
pub async fn record_email_attempt(
    pool: &sqlx::PgPool,
    email: &ClaimedEmail,
    start: OffsetDateTime,
    latency_ms: i32,
    outcome: &str,
    detail: &str,
    retry_at: Option<OffsetDateTime>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH attempt AS ( \
             INSERT INTO notifications.email_attempt (email_id, attempt, start_time, latency_ms, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING) \
         UPDATE notifications.email SET \
             state = CASE $5 WHEN 'SENT' THEN 'SENT' WHEN 'FAILED' THEN 'FAILED' ELSE 'SENDING' END, \
             sent_time = CASE $5 WHEN 'SENT' THEN now() END, \
             lease_until = $7, last_error = CASE $5 WHEN 'SENT' THEN NULL ELSE $6 END \
         WHERE id = $1",
    )
    .bind(email.id)
    .bind(email.attempts)
    .bind(start)
    .bind(latency_ms)
    .bind(outcome)
    .bind(detail)
    .bind(retry_at)
    .execute(pool)
    .await?;
    Ok(())
}
