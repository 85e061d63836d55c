//! The transactional outbox: events are written by the same statement as the state change they
//! describe ([`crate::mutation`]), and a relay publishes them to RabbitMQ afterwards.
//!
//! Each publishing service has, in its own schema (with the idempotency table of its request
//! ids, `<schema>.idempotency (request_id uuid PRIMARY KEY, method text NOT NULL, response jsonb,
//! create_time timestamptz NOT NULL DEFAULT now())`):
//! ```sql
//! CREATE TABLE <schema>.outbox (
//!     seq         bigserial PRIMARY KEY,
//!     id          uuid NOT NULL,   -- a UUIDv7; consumers drop repeats by it
//!     event_type  text NOT NULL,
//!     subject     text NOT NULL,
//!     payload     bytea NOT NULL,
//!     traceparent text,
//!     tracestate  text,
//!     create_time timestamptz NOT NULL DEFAULT now(),
//!     attempts    integer NOT NULL DEFAULT 0,
//!     last_error  text
//! );
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{Channel, Confirmation, Connection};
use sqlx::Connection as _;
use sqlx::{AssertSqlSafe, PgPool};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use baton_platform::db::Held;
use baton_platform::error::ErrorChain;
use baton_platform::idempotency::Origin;
use baton_platform::metrics::{OutboxGauge, Registration, metrics, observe_outbox};
use baton_platform::telemetry;
use opentelemetry::KeyValue;
use tracing::Instrument;

use baton_platform::module::{BackgroundTask, ServiceContext};

use crate::broker::{Backoff, BrokerConfig, CLOSE_TIMEOUT, CONNECT_TIMEOUT, Topology, bounded};
use crate::envelope::Envelope;
use crate::mutation::Mutation;

/// A service's outbox: where its events wait for the relay, the record of its request ids, and
/// the wake-up its relay waits on. Built once by the service; cheap to clone (clones share it).
/// Writes go through [`Outbox::mutation`], the relay is built with [`Outbox::relay`].
#[derive(Debug, Clone)]
pub struct Outbox {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pool: PgPool,
    table: &'static str,
    idempotency_table: &'static str,
    audit_table: &'static str,
    source: &'static str,
    /// Wakes this outbox's relay; it belongs to this outbox, so two services (or two test
    /// servers) in one process never wake each other's relays.
    wake: tokio::sync::Notify,
}

/// A service's outbox tables: constants of the service, never input.
#[derive(Debug, Clone, Copy)]
pub struct OutboxTables {
    /// The schema-qualified outbox table, for example `assets.outbox`.
    pub outbox: &'static str,
    /// The schema-qualified idempotency table, for example `assets.idempotency`.
    pub idempotency: &'static str,
    /// The schema-qualified audit table, for example `assets.audit`.
    pub audit: &'static str,
    /// The CloudEvents source of the service's events, for example `baton.assets`.
    pub source: &'static str,
}

impl Outbox {
    pub fn new(pool: PgPool, tables: OutboxTables) -> Self {
        Self {
            inner: Arc::new(Shared {
                pool,
                table: tables.outbox,
                idempotency_table: tables.idempotency,
                audit_table: tables.audit,
                source: tables.source,
                wake: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Starts a write use case named `method` (the idempotency scope, for example
    /// `CreateAsset`) for the request of `origin`: answering once per request key (its
    /// `request_id` bound to its caller and body), and leaving an audit record of who wrote.
    /// See [`crate::mutation`].
    pub fn mutation<'a>(&'a self, method: &'static str, origin: &'a Origin) -> Mutation<'a> {
        Mutation::new(self, method, origin)
    }

    /// The relay that publishes this outbox, as a background task stopping with the process.
    pub fn relay(&self, ctx: &ServiceContext) -> BackgroundTask {
        let config = &ctx.config;
        let relay = Relay::new(
            self.clone(),
            BrokerConfig::new(config.amqp_url_of(self.service()), &config.amqp),
            config.outbox.batch_size,
            Duration::from_millis(config.outbox.poll_interval_ms),
        );
        BackgroundTask::new(format!("{}-relay", self.inner.source), relay.run(ctx.shutdown.clone()))
    }

    /// The service whose outbox this is: its source without `baton.`.
    fn service(&self) -> &'static str {
        self.inner.source.strip_prefix("baton.").unwrap_or(self.inner.source)
    }

    pub fn source(&self) -> &'static str {
        self.inner.source
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    pub(crate) fn table(&self) -> &'static str {
        self.inner.table
    }

    pub(crate) fn idempotency_table(&self) -> &'static str {
        self.inner.idempotency_table
    }

    pub(crate) fn audit_table(&self) -> &'static str {
        self.inner.audit_table
    }

    /// Wakes the relay (in-process, not with Postgres `NOTIFY`: a notifying commit takes a
    /// database-wide lock that serializes every such commit, fsync included, which halved the
    /// write rate). A relay of another replica finds the events on its next poll.
    pub(crate) fn wake(&self) {
        self.inner.wake.notify_one();
    }
}

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("another replica holds the outbox")]
    Busy,
    #[error("{count} event(s) not accepted by the broker, first: {first}")]
    Rejected { count: usize, first: String },
    #[error("no publisher confirms within {0:?}")]
    TimedOut(Duration),
}

/// How long one batch may wait for the broker's confirms. A connection that dies mid-batch may
/// never resolve them; the batch is then rolled back (its events stay in the outbox) and
/// published again on a new connection.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(sqlx::FromRow)]
struct OutboxRow {
    seq: i64,
    id: Uuid,
    event_type: String,
    subject: String,
    payload: Vec<u8>,
    traceparent: Option<String>,
    tracestate: Option<String>,
    create_time: OffsetDateTime,
}

/// Publishes a service's outbox to RabbitMQ: wakes when its process commits events (and polls as
/// a fallback, for events other replicas wrote), takes
/// a batch in order, publishes it on a confirm-mode channel, and deletes only the events the
/// broker confirmed and routed. One relay per schema publishes at a time (an advisory lock), so
/// replicas keep the order of events and never publish one event twice between them.
pub struct Relay {
    outbox: Outbox,
    broker: BrokerConfig,
    batch_size: i64,
    poll_interval: Duration,
    lock_key: i64,
    gauge: Registration<Arc<OutboxGauge>>,
}

struct Link {
    connection: Connection,
    channel: Channel,
}

impl Relay {
    pub fn new(outbox: Outbox, broker: BrokerConfig, batch_size: u32, poll_interval: Duration) -> Self {
        let table = outbox.table();
        Self {
            outbox,
            broker,
            batch_size: i64::from(batch_size),
            poll_interval,
            lock_key: advisory_key(table),
            gauge: observe_outbox(table),
        }
    }

    /// Runs until `shutdown` is cancelled, then closes its broker connection. The backlog gauge
    /// is measured every second beside the publishing, never before a batch a write woke it for.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(outbox = self.outbox.table(), "outbox relay started");
        tokio::join!(self.publish_until(&shutdown), self.measure_until(&shutdown));
        tracing::info!(outbox = self.outbox.table(), "outbox relay stopped");
    }

    async fn measure_until(&self, shutdown: &CancellationToken) {
        while !shutdown.is_cancelled() {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.measure_backlog() => {}
            }
            sleep_or_shutdown(Duration::from_secs(1), shutdown).await;
        }
    }

    async fn publish_until(&self, shutdown: &CancellationToken) {
        let mut link: Option<Link> = None;
        let mut db = Held::new(self.outbox.pool().clone());
        let mut backoff = Backoff::new(self.broker.max_backoff);
        while !shutdown.is_cancelled() {
            let channel_ok = link.as_ref().is_some_and(|l| l.channel.status().connected());
            if !channel_ok {
                link = None;
                match self.open_link().await {
                    Ok(new_link) => link = Some(new_link),
                    Err(error) => {
                        tracing::warn!(outbox = self.outbox.table(), error = %error, "cannot reach the broker");
                        sleep_or_shutdown(backoff.next_pause(), shutdown).await;
                        continue;
                    }
                }
            }
            let Some(active) = link.as_ref() else { continue };
            let published = tokio::time::timeout(PUBLISH_TIMEOUT, self.publish_batch(&mut db, &active.channel))
                .await
                .unwrap_or(Err(RelayError::TimedOut(PUBLISH_TIMEOUT)));
            match published {
                Ok(published) => {
                    backoff.reset();
                    if published as i64 == self.batch_size {
                        continue;
                    }
                    // Under load more are being written: a moment's wait lets one batch take
                    // them rather than several, each with its own reads, delete and commit.
                    if published > 1 && !self.broker.batch_linger.is_zero() {
                        sleep_or_shutdown(self.broker.batch_linger, shutdown).await;
                        continue;
                    }
                }
                Err(RelayError::Busy) => {
                    sleep_or_shutdown(Duration::from_millis(20), shutdown).await;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(outbox = self.outbox.table(), error = %ErrorChain(&error), "outbox publish failed, will retry");
                    if !matches!(error, RelayError::Rejected { .. }) {
                        // The connection may be broken, or left inside the abandoned batch.
                        db.discard();
                    }
                    if matches!(error, RelayError::Broker(_) | RelayError::TimedOut(_)) {
                        link = None;
                    }
                    sleep_or_shutdown(backoff.next_pause(), shutdown).await;
                    continue;
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = self.outbox.inner.wake.notified() => {}
                () = tokio::time::sleep(self.poll_interval) => {}
            }
        }
        if let Some(link) = link {
            let _ = bounded(CLOSE_TIMEOUT, link.connection.close(200, "shutdown".into())).await;
        }
    }

    /// Updates the backlog gauge: unpublished events and the age of the oldest.
    async fn measure_backlog(&self) {
        let measured: Result<(i64, i64), sqlx::Error> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT count(*), coalesce((extract(epoch FROM now() - min(create_time)) * 1000)::bigint, 0) FROM {}",
            self.outbox.table()
        )))
        .fetch_one(self.outbox.pool())
        .await;
        match measured {
            Ok((backlog, oldest_age_ms)) => self.gauge.set(backlog, oldest_age_ms),
            Err(error) => tracing::debug!(error = %error, "cannot measure the outbox backlog"),
        }
    }

    async fn open_link(&self) -> lapin::Result<Link> {
        let connection = self.broker.connect(&format!("{}-relay", self.outbox.source())).await?;
        let setup = async {
            let channel = connection.create_channel().await?;
            channel.confirm_select(ConfirmSelectOptions::default()).await?;
            Topology::declare_exchanges(&channel, &self.broker).await?;
            Ok(channel)
        };
        let channel = bounded(CONNECT_TIMEOUT, setup).await?;
        tracing::info!(outbox = self.outbox.table(), "outbox relay connected to the broker");
        Ok(Link { connection, channel })
    }

    /// Publishes one batch; returns how many events were taken.
    async fn publish_batch(&self, db: &mut Held, channel: &Channel) -> Result<usize, RelayError> {
        let mut tx = db.get().await?.begin().await?;
        // The advisory lock makes this relay the only one reading and deleting the outbox until
        // it commits, so rows need no locks of their own. The commit that deletes what was
        // published need not wait for its WAL flush: if a crash loses it, those events are
        // published again and consumers drop the repeats (their inboxes).
        let locked: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_xact_lock($1) AND set_config('synchronous_commit', 'off', true) = 'off'",
        )
        .bind(self.lock_key)
        .fetch_one(&mut *tx)
        .await?;
        if !locked {
            // Another replica is publishing; look again soon for what this one was woken for.
            tx.commit().await?;
            return Err(RelayError::Busy);
        }
        // Planned at each call, not once per connection: the outbox is nearly empty most of the
        // time, and a plan cached then (a scan and a sort of the whole table) would stay while a
        // backlog of thousands builds up behind a slow broker.
        let rows: Vec<OutboxRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT seq, id, event_type, subject, payload, traceparent, tracestate, create_time \
             FROM {} ORDER BY seq LIMIT $1",
            self.outbox.table()
        )))
        .persistent(false)
        .bind(self.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            // Ended now: dropped, the transaction would stay open on the held connection until
            // its next use (sqlx rolls back lazily), holding the lock against other replicas and
            // a snapshot that keeps every row deleted since from being cleaned up.
            tx.commit().await?;
            return Ok(0);
        }

        let mut confirms = Vec::with_capacity(rows.len());
        for row in &rows {
            // The publish continues the trace of the request that wrote the event, and the
            // message carries the publish span's context on to the consumer.
            let span = tracing::info_span!(
                "publish",
                otel.name = %format!("publish {}", row.event_type),
                otel.kind = "producer",
                messaging.system = "rabbitmq",
                messaging.operation.type = "send",
                messaging.destination.name = %self.broker.exchange,
                messaging.rabbitmq.destination.routing_key = %row.event_type,
                messaging.message.id = %row.id,
                trace_id = tracing::field::Empty,
            );
            telemetry::adopt(&span, telemetry::context_of(row.traceparent.as_deref(), row.tracestate.as_deref()));
            let mut carried = HashMap::new();
            telemetry::inject(&span, &mut carried);
            let envelope = Envelope {
                id: row.id,
                event_type: row.event_type.clone(),
                source: self.outbox.source().to_string(),
                subject: row.subject.clone(),
                time: row.create_time,
                traceparent: carried.remove("traceparent"),
                tracestate: carried.remove("tracestate"),
                payload: Vec::new(),
            };
            let confirm = channel
                .basic_publish(
                    self.broker.exchange.as_str().into(),
                    row.event_type.as_str().into(),
                    BasicPublishOptions { mandatory: true, immediate: false },
                    &row.payload,
                    envelope.properties(),
                )
                .instrument(span)
                .await?;
            confirms.push(confirm);
        }

        let mut published = Vec::with_capacity(rows.len());
        let mut failed = Vec::new();
        let mut first_failure = None;
        for (row, confirm) in rows.iter().zip(confirms) {
            let failure = match confirm.await {
                Ok(Confirmation::Ack(None)) => None,
                Ok(Confirmation::Ack(Some(returned))) => {
                    Some(format!("{} unroutable: {}", row.event_type, returned.reply_text.as_str()))
                }
                Ok(Confirmation::Nack(_)) => Some(format!("{} nacked by the broker", row.event_type)),
                Ok(Confirmation::NotRequested) => Some("publisher confirms are off".to_string()),
                Err(error) => return Err(error.into()),
            };
            match failure {
                None => {
                    published.push(row.seq);
                    metrics().events_published.add(
                        1,
                        &[KeyValue::new("source", self.outbox.source()), KeyValue::new("type", row.event_type.clone())],
                    );
                }
                Some(reason) => {
                    failed.push(row.seq);
                    first_failure.get_or_insert(reason);
                }
            }
        }

        // Planned at each call too, for the same reason as the read.
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {} WHERE seq = ANY($1)", self.outbox.table())))
            .persistent(false)
            .bind(&published)
            .execute(&mut *tx)
            .await?;
        if let Some(first) = &first_failure {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {} SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1)",
                self.outbox.table()
            )))
            .bind(&failed)
            .bind(first)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        tracing::debug!(
            outbox = self.outbox.table(),
            published = published.len(),
            failed = failed.len(),
            "outbox batch"
        );
        match first_failure {
            Some(first) => Err(RelayError::Rejected { count: failed.len(), first }),
            None => Ok(rows.len()),
        }
    }
}

/// A stable advisory-lock key for a table name (FNV-1a).
fn advisory_key(table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in table.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

pub(crate) async fn sleep_or_shutdown(pause: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        () = shutdown.cancelled() => {}
        () = tokio::time::sleep(pause) => {}
    }
}
