//! The webhooks' rows: the webhooks themselves, their deliveries, and each attempt.

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{PersonName, ProjectName};

use crate::domain::NotificationKind;
use crate::webhooks::{Attempt, Delivery, DeliveryState, Format, Owner, State, Webhook, WebhookName};

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Uuid,
    project_id: Option<Uuid>,
    person_id: Option<Uuid>,
    display_name: String,
    url: String,
    #[sqlx(try_from = "String")]
    format: Format,
    kinds: Vec<String>,
    #[sqlx(try_from = "String")]
    state: State,
    disabled_reason: String,
    secret_hint: String,
    consecutive_failures: i32,
    create_time: OffsetDateTime,
    update_time: OffsetDateTime,
    creator: Option<Uuid>,
    revision: i64,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        let owner = match (row.project_id, row.person_id) {
            (Some(project), _) => Owner::Project(ProjectName::new(project)),
            (None, person) => Owner::Person(PersonName::new(person.unwrap_or_default())),
        };
        Webhook {
            name: WebhookName { owner, id: row.id },
            display_name: row.display_name,
            url: row.url,
            format: row.format,
            kinds: row.kinds.iter().filter_map(|k| NotificationKind::from_name(k)).collect(),
            state: row.state,
            disabled_reason: row.disabled_reason,
            secret_hint: row.secret_hint,
            consecutive_failures: row.consecutive_failures,
            create_time: row.create_time,
            update_time: row.update_time,
            creator: row.creator.map(PersonName::new),
            revision: row.revision,
        }
    }
}

const WEBHOOK: &str = "id, project_id, person_id, display_name, url, format, kinds, state, disabled_reason, \
                       secret_hint, consecutive_failures, create_time, update_time, creator, revision";

fn owner_ids(owner: Owner) -> (Option<Uuid>, Option<Uuid>) {
    match owner {
        Owner::Project(project) => (Some(project.id), None),
        Owner::Person(person) => (None, Some(person.id)),
    }
}

fn kinds(webhook: &Webhook) -> Vec<&'static str> {
    webhook.kinds.iter().map(|k| k.as_str()).collect()
}

/// Serializes changes to one owner's webhooks (the count of a create, say).
pub async fn lock_owner(conn: &mut PgConnection, owner: Owner) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('notifications.webhook:' || $1, 0))")
        .bind(owner.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// `owner`'s webhooks, oldest first.
pub async fn list(conn: &mut PgConnection, owner: Owner) -> Result<Vec<Webhook>, sqlx::Error> {
    let (project, person) = owner_ids(owner);
    let rows: Vec<WebhookRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WEBHOOK} FROM notifications.webhook \
         WHERE project_id IS NOT DISTINCT FROM $1 AND person_id IS NOT DISTINCT FROM $2 \
           AND (project_id IS NOT NULL OR person_id IS NOT NULL) \
         ORDER BY create_time, id"
    )))
    .bind(project)
    .bind(person)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

/// The webhook `name` names (of its owner), locked for a change when `lock`.
pub async fn get(conn: &mut PgConnection, name: WebhookName, lock: bool) -> Result<Option<Webhook>, sqlx::Error> {
    let (project, person) = owner_ids(name.owner);
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<WebhookRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {WEBHOOK} FROM notifications.webhook \
         WHERE id = $1 AND project_id IS NOT DISTINCT FROM $2 AND person_id IS NOT DISTINCT FROM $3{lock}"
    )))
    .bind(name.id)
    .bind(project)
    .bind(person)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Webhook::from))
}

/// Adds a webhook; false when one with its id exists already.
pub async fn insert(conn: &mut PgConnection, webhook: &Webhook, salt: &[u8]) -> Result<bool, sqlx::Error> {
    let (project, person) = owner_ids(webhook.name.owner);
    let inserted = sqlx::query(
        "INSERT INTO notifications.webhook (id, project_id, person_id, display_name, url, format, kinds, state, \
             secret_salt, secret_hint, create_time, update_time, creator, revision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
    )
    .bind(webhook.name.id)
    .bind(project)
    .bind(person)
    .bind(&webhook.display_name)
    .bind(&webhook.url)
    .bind(webhook.format.as_str())
    .bind(kinds(webhook))
    .bind(webhook.state.as_str())
    .bind(salt)
    .bind(&webhook.secret_hint)
    .bind(webhook.create_time)
    .bind(webhook.creator.map(|c| c.id))
    .bind(webhook.revision)
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Writes a changed webhook (and its new salt, when its secret was rotated). Enabling it clears
/// its run of failures.
pub async fn update(conn: &mut PgConnection, webhook: &Webhook, salt: Option<&[u8]>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications.webhook SET display_name = $2, url = $3, format = $4, kinds = $5, state = $6, \
             disabled_reason = $7, secret_hint = $8, secret_salt = coalesce($9, secret_salt), \
             consecutive_failures = $10, \
             failing_since = CASE WHEN $10 = 0 THEN NULL ELSE failing_since END, \
             update_time = $11, revision = $12 \
         WHERE id = $1",
    )
    .bind(webhook.name.id)
    .bind(&webhook.display_name)
    .bind(&webhook.url)
    .bind(webhook.format.as_str())
    .bind(kinds(webhook))
    .bind(webhook.state.as_str())
    .bind(&webhook.disabled_reason)
    .bind(&webhook.secret_hint)
    .bind(salt)
    .bind(webhook.consecutive_failures)
    .bind(webhook.update_time)
    .bind(webhook.revision)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a webhook with its deliveries and their attempts.
pub async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM notifications.webhook WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    seq: i64,
    #[sqlx(try_from = "String")]
    kind: NotificationKind,
    event_id: Uuid,
    recipient: Option<Uuid>,
    state: String,
    due_time: OffsetDateTime,
    lease_until: Option<OffsetDateTime>,
    create_time: OffsetDateTime,
    attempts: Json<Vec<Attempt>>,
}

/// A webhook's deliveries with their attempts, newest first, before `before_seq` when given;
/// one more than `limit` when there are more.
pub async fn deliveries(
    conn: &mut PgConnection,
    webhook: Uuid,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT d.id, d.seq, d.kind, d.event_id, d.recipient, d.state, d.due_time, d.lease_until, d.create_time, \
                coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, \
                              'start_time', a.start_time, 'latency_ms', a.latency_ms, \
                              'response_code', a.response_code, 'delivered', a.delivered, 'detail', a.detail) \
                              ORDER BY a.attempt) \
                          FROM notifications.webhook_attempt a WHERE a.delivery_id = d.id), '[]') AS attempts \
         FROM notifications.webhook_delivery d \
         WHERE d.webhook_id = $1 AND ($2::int8 IS NULL OR d.seq < $2) \
         ORDER BY d.seq DESC LIMIT $3",
    )
    .bind(webhook)
    .bind(before_seq)
    .bind(limit + 1)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (state, next) = match row.state.as_str() {
                "DELIVERED" => (DeliveryState::Delivered, None),
                "FAILED" => (DeliveryState::Failed, None),
                "SENDING" => (DeliveryState::Pending, row.lease_until),
                _ => (DeliveryState::Pending, Some(row.due_time)),
            };
            Delivery {
                id: row.id,
                kind: row.kind,
                event_id: row.event_id,
                recipient: row.recipient.map(PersonName::new),
                state,
                attempts: row.attempts.0,
                create_time: row.create_time,
                next_attempt_time: next,
                seq: row.seq,
            }
        })
        .collect())
}

/// A delivery a sender took, with what it needs to post it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    #[sqlx(try_from = "String")]
    pub kind: NotificationKind,
    pub payload: String,
    pub attempts: i32,
    pub create_time: OffsetDateTime,
    pub url: String,
    pub secret_salt: Vec<u8>,
}

/// Takes up to `limit` deliveries that are due to enabled webhooks for `lease`, oldest first,
/// at most `per_webhook` of one webhook held at a time (by any courier): one slow endpoint does
/// not take every courier, and each webhook is looked at on its own index range, so a webhook
/// with a long queue does not hide the others. Deliveries whose courier's hold ran out are put
/// back in the queue for the next round. Across replicas each delivery is taken by one courier
/// at a time.
pub async fn claim(
    pool: &PgPool,
    limit: i64,
    per_webhook: i64,
    lease: std::time::Duration,
) -> Result<Vec<ClaimedDelivery>, sqlx::Error> {
    sqlx::query_as(
        "WITH expired AS ( \
             UPDATE notifications.webhook_delivery SET state = 'PENDING', due_time = now(), lease_until = NULL \
             WHERE state = 'SENDING' AND lease_until <= now()), \
         picked AS ( \
             SELECT x.id, x.due_time FROM notifications.webhook w \
             CROSS JOIN LATERAL ( \
                 SELECT d.id, d.due_time FROM notifications.webhook_delivery d \
                 WHERE d.webhook_id = w.id AND d.state = 'PENDING' AND d.due_time <= now() \
                 ORDER BY d.due_time \
                 LIMIT greatest(0, $2 - (SELECT count(*) FROM notifications.webhook_delivery h \
                                         WHERE h.webhook_id = w.id AND h.state = 'SENDING' \
                                           AND h.lease_until > now()))) x \
             WHERE w.state = 'WEBHOOK_STATE_ENABLED' \
             ORDER BY x.due_time LIMIT $1), \
         taken AS ( \
             SELECT d.id FROM notifications.webhook_delivery d \
             WHERE d.id IN (SELECT id FROM picked) AND d.state = 'PENDING' \
             FOR UPDATE SKIP LOCKED), \
         claimed AS ( \
             UPDATE notifications.webhook_delivery d SET state = 'SENDING', attempts = d.attempts + 1, \
                 lease_until = now() + make_interval(secs => $3) \
             FROM taken WHERE d.id = taken.id \
             RETURNING d.id, d.webhook_id, d.kind, d.payload, d.attempts, d.create_time) \
         SELECT c.*, w.url, w.secret_salt FROM claimed c JOIN notifications.webhook w ON w.id = c.webhook_id",
    )
    .bind(limit)
    .bind(per_webhook)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub start: OffsetDateTime,
    pub latency_ms: i32,
    pub response_code: i32,
    pub detail: String,
    pub outcome: Outcome,
}

/// Where an attempt leaves its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Failed; tried again then.
    Retry(OffsetDateTime),
    /// Failed for the last time.
    GivenUp,
}

/// Whether a webhook is disabled by a failure: once `failures` attempts in a row failed over at
/// least `over`.
#[derive(Debug, Clone, Copy)]
pub struct DisableAfter {
    pub failures: i32,
    pub over: std::time::Duration,
}

/// Records one attempt, where it leaves the delivery, and the webhook's run of failures — which
/// disables the webhook once it is long enough (a delivered attempt to a webhook without
/// failures leaves its row alone: the deliveries of one webhook do not queue on its lock).
/// Whether this attempt disabled it.
pub async fn record(
    pool: &PgPool,
    delivery: &ClaimedDelivery,
    attempt: &AttemptRecord,
    disable: DisableAfter,
) -> Result<bool, sqlx::Error> {
    let (state, due) = match attempt.outcome {
        Outcome::Delivered => ("DELIVERED", None),
        Outcome::Retry(at) => ("PENDING", Some(at)),
        Outcome::GivenUp => ("FAILED", None),
    };
    let delivered = attempt.outcome == Outcome::Delivered;
    let disabled: Option<bool> = sqlx::query_scalar(
        "WITH attempt AS ( \
             INSERT INTO notifications.webhook_attempt \
                 (delivery_id, attempt, start_time, latency_ms, response_code, delivered, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING), \
         delivery AS ( \
             UPDATE notifications.webhook_delivery SET state = $8, due_time = coalesce($9, due_time), \
                 lease_until = NULL, deliver_time = CASE WHEN $6 THEN now() END \
             WHERE id = $1 AND state = 'SENDING' AND attempts = $2) \
         UPDATE notifications.webhook w SET \
             consecutive_failures = CASE WHEN $6 THEN 0 ELSE w.consecutive_failures + 1 END, \
             failing_since = CASE WHEN $6 THEN NULL ELSE coalesce(w.failing_since, $3) END, \
             state = CASE WHEN NOT $6 AND w.state = 'WEBHOOK_STATE_ENABLED' \
                               AND w.consecutive_failures + 1 >= $11 \
                               AND coalesce(w.failing_since, $3) <= now() - make_interval(secs => $12) \
                          THEN 'WEBHOOK_STATE_DISABLED' ELSE w.state END, \
             disabled_reason = CASE WHEN NOT $6 AND w.state = 'WEBHOOK_STATE_ENABLED' \
                                         AND w.consecutive_failures + 1 >= $11 \
                                         AND coalesce(w.failing_since, $3) <= now() - make_interval(secs => $12) \
                                    THEN $10 ELSE w.disabled_reason END \
         FROM (SELECT state AS before FROM notifications.webhook WHERE id = $13) b \
         WHERE w.id = $13 AND (NOT $6 OR w.consecutive_failures <> 0 OR w.failing_since IS NOT NULL) \
         RETURNING b.before = 'WEBHOOK_STATE_ENABLED' AND w.state = 'WEBHOOK_STATE_DISABLED'",
    )
    .bind(delivery.id)
    .bind(delivery.attempts)
    .bind(attempt.start)
    .bind(attempt.latency_ms)
    .bind(attempt.response_code)
    .bind(delivered)
    .bind(&attempt.detail)
    .bind(state)
    .bind(due)
    .bind(format!(
        "{} attempts in a row failed, the last: {}",
        disable.failures,
        attempt.detail.chars().take(200).collect::<String>()
    ))
    .bind(disable.failures)
    .bind(disable.over.as_secs_f64())
    .bind(delivery.webhook_id)
    .fetch_optional(pool)
    .await?;
    Ok(disabled.unwrap_or(false))
}
