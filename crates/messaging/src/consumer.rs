//! The idempotent inbox consumer.
//!
//! Each consuming service reads its own durable quorum queue. For every delivery the consumer
//! opens a transaction, records `(source, event id)` in the service's inbox table, runs the
//! handler in that transaction, commits, and only then acknowledges. A redelivered event finds
//! its inbox row and is acknowledged without a second effect. Each consuming service has, in its
//! own schema:
//! ```sql
//! CREATE TABLE <schema>.inbox (
//!     source       text NOT NULL,
//!     event_id     uuid NOT NULL,
//!     receive_time timestamptz NOT NULL DEFAULT now(),
//!     PRIMARY KEY (source, event_id)
//! );
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions};
use lapin::types::FieldTable;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection, PgPool};
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

use baton_platform::db::{DbFailure, Held, classify};
use baton_platform::error::ErrorChain;
use baton_platform::metrics::metrics;
use baton_platform::telemetry;
use opentelemetry::KeyValue;
use tracing::Instrument;

use crate::broker::{Backoff, BrokerConfig, CLOSE_TIMEOUT, CONNECT_TIMEOUT, Topology, bounded};
use crate::envelope::Envelope;
use crate::outbox::sleep_or_shutdown;

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event can never be applied (undecodable, unknown type): dead-letter it now.
    #[error("poison event: {0}")]
    Poison(String),
    /// The handler failed; the broker redelivers it up to the delivery limit.
    #[error("handler failed: {0}")]
    Failed(String),
    /// A database failure: unavailable or conflicting ones are retried in place without
    /// spending a delivery, others count like [`HandlerError::Failed`].
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Applies events to a service's state inside the consumer's transaction.
pub trait Handler: Send + Sync + 'static {
    /// Applies one event.
    fn handle(
        &self,
        conn: &mut PgConnection,
        event: &Envelope,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Whether this handler acts on events of `event_type`. Events of types bound only to be
    /// routable are acknowledged without a transaction or an inbox row: they have no effect to
    /// protect from repeats.
    fn acts_on(&self, event_type: &str) -> bool {
        let _ = event_type;
        true
    }

    /// Applies several events, in order, in the caller's transaction; any error rolls all of
    /// them back (the consumer then applies them one by one). The default calls
    /// [`handle`](Self::handle) for each; a handler can do better with set-based statements.
    fn handle_batch(
        &self,
        conn: &mut PgConnection,
        events: &[&Envelope],
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        async move {
            for event in events {
                self.handle(conn, event).await?;
            }
            Ok(())
        }
    }
}

/// A consuming service's queue reader. See the module documentation.
pub struct Consumer<H> {
    pool: PgPool,
    broker: BrokerConfig,
    /// The consuming service, for example `notifications`.
    name: &'static str,
    routing_keys: Vec<&'static str>,
    /// The schema-qualified inbox table, a constant of the service.
    inbox_table: &'static str,
    handler: Arc<H>,
}

/// The lane of a delivery: by the project (or person) its subject names, so that events about
/// one project are applied in order.
fn lane_of(delivery: &Delivery, lanes: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let subject = delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get("cloudEvents_subject"))
        .and_then(|value| match value {
            lapin::types::AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
            _ => None,
        })
        .unwrap_or_default();
    // `projects/{id}/assets/{id}` and `projects/{id}/members/{id}` share `projects/{id}`.
    let key: String = subject.split('/').take(2).collect::<Vec<_>>().join("/");
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    (hasher.finish() % lanes.max(1) as u64) as usize
}

/// The batch a lane applies next: `first` and every delivery already waiting, up to [`BATCH`].
/// Under load (more than one was waiting) it waits up to `linger` for more, since one
/// transaction for them costs the same round trips and commit as one for a few; a lone delivery
/// goes at once.
async fn gather(
    receiver: &mut tokio::sync::mpsc::Receiver<Delivery>,
    first: Delivery,
    linger: Duration,
) -> Vec<Delivery> {
    let mut batch = vec![first];
    while batch.len() < BATCH {
        match receiver.try_recv() {
            Ok(delivery) => batch.push(delivery),
            Err(_) => break,
        }
    }
    if batch.len() > 1 && !linger.is_zero() {
        let until = tokio::time::Instant::now() + linger;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(until, receiver.recv()).await {
                Ok(Some(delivery)) => batch.push(delivery),
                Ok(None) | Err(_) => break,
            }
        }
    }
    batch
}

/// Why a consumer's connection ended.
#[derive(Debug, thiserror::Error)]
enum SessionEnd {
    #[error(transparent)]
    Broker(#[from] lapin::Error),
    #[error("the broker closed the consumer")]
    StreamClosed,
    #[error("the broker connection is gone")]
    LinkLost,
}

enum Outcome {
    Applied,
    Duplicate,
    Ignored,
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::Ignored => "ignored",
        }
    }
}

/// A delivery with its envelope and the span it is processed in.
struct Prepared {
    delivery: Delivery,
    envelope: Envelope,
    span: tracing::Span,
}

/// The most deliveries applied in one transaction.
const BATCH: usize = 128;

/// How often a session checks that its connection is still up: a delivery stream whose
/// connection died without a word must not wait forever.
const LINK_CHECK: Duration = Duration::from_secs(1);

/// How long the lanes of an ended session may take to finish what they are applying. A lane
/// still waiting after that (an acknowledgement on a dead channel never resolves) is dropped: its
/// deliveries were not acknowledged, so the broker hands them out again, and the inbox makes
/// applying them twice harmless.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

impl<H: Handler> Consumer<H> {
    pub fn new(
        pool: PgPool,
        broker: BrokerConfig,
        name: &'static str,
        routing_keys: Vec<&'static str>,
        inbox_table: &'static str,
        handler: H,
    ) -> Self {
        Self { pool, broker, name, routing_keys, inbox_table, handler: Arc::new(handler) }
    }

    /// Declares the consumer's queue and bindings now, so that events published before the
    /// consumer connects are routed rather than returned. Best effort: the consumer declares
    /// them again whenever it connects.
    pub async fn declare_now(&self, patience: Duration) {
        let declare = async {
            let connection = self.broker.connect(&format!("baton.{}-declare", self.name)).await?;
            let channel = connection.create_channel().await?;
            Topology::declare_consumer_queue(&channel, &self.broker, self.name, &self.routing_keys).await?;
            connection.close(200, "declared".into()).await
        };
        match tokio::time::timeout(patience, declare).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(consumer = self.name, %error, "cannot declare the queue yet"),
            Err(_) => tracing::warn!(consumer = self.name, "the broker did not answer in time to declare the queue"),
        }
    }

    /// Consumes until `shutdown` is cancelled, reconnecting with backoff whenever the broker
    /// link is lost. Rebuilds connection, channel, topology and consumer each time.
    pub async fn run(self, shutdown: CancellationToken) {
        let this = Arc::new(self);
        let mut backoff = Backoff::new(this.broker.max_backoff);
        while !shutdown.is_cancelled() {
            match this.session(&shutdown, &mut backoff).await {
                Ok(()) => break,
                Err(error) => {
                    tracing::warn!(consumer = this.name, error = %error, "consumer lost the broker, reconnecting");
                    sleep_or_shutdown(backoff.next_pause(), &shutdown).await;
                }
            }
        }
        tracing::info!(consumer = this.name, "consumer stopped");
    }

    /// One connection's life: returns `Ok` on shutdown, `Err` when the link broke.
    ///
    /// Deliveries are spread over `lanes` workers by the project (or person) they are about:
    /// events of one project are applied one at a time, in the order the broker delivers them,
    /// while different projects are applied concurrently.
    async fn session(self: &Arc<Self>, shutdown: &CancellationToken, backoff: &mut Backoff) -> Result<(), SessionEnd> {
        let connection = self.broker.connect(&format!("baton.{}-consumer", self.name)).await?;
        // Every step waits for the broker's answer, which a connection that dies meanwhile may
        // never deliver: the whole set-up is bounded.
        let setup = async {
            let channel = connection.create_channel().await?;
            let queue = Topology::declare_consumer_queue(&channel, &self.broker, self.name, &self.routing_keys).await?;
            channel.basic_qos(self.broker.prefetch, BasicQosOptions::default()).await?;
            let deliveries = channel
                .basic_consume(
                    queue.as_str().into(),
                    format!("baton.{}", self.name).into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            Ok::<_, lapin::Error>((queue, deliveries))
        };
        let (queue, mut deliveries) = bounded(CONNECT_TIMEOUT, setup).await?;
        tracing::info!(consumer = self.name, queue = %queue, lanes = self.broker.consumer_lanes, "consumer connected");
        backoff.reset();

        // A lane that cannot settle a delivery (the link broke) ends the session.
        let broken = CancellationToken::new();
        let mut lanes = Vec::with_capacity(self.broker.consumer_lanes);
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..self.broker.consumer_lanes.max(1) {
            let (sender, mut receiver) = tokio::sync::mpsc::channel::<Delivery>(usize::from(self.broker.prefetch));
            lanes.push(sender);
            let (this, shutdown, broken) = (self.clone(), shutdown.clone(), broken.clone());
            let linger = self.broker.batch_linger;
            workers.spawn(async move {
                let mut db = Held::new(this.pool.clone());
                while let Some(first) = receiver.recv().await {
                    if shutdown.is_cancelled() || broken.is_cancelled() {
                        // Left unacknowledged: the broker requeues it when the channel closes.
                        continue;
                    }
                    let batch = gather(&mut receiver, first, linger).await;
                    if let Err(error) = this.process(&mut db, batch, &shutdown).await {
                        tracing::warn!(consumer = this.name, error = %error, "cannot settle a delivery");
                        broken.cancel();
                    }
                }
            });
        }
        let mut link_check = tokio::time::interval(LINK_CHECK);
        let ended = loop {
            tokio::select! {
                () = shutdown.cancelled() => break Ok(()),
                () = broken.cancelled() => break Err(SessionEnd::StreamClosed),
                _ = link_check.tick() => if !connection.status().connected() {
                    break Err(SessionEnd::LinkLost);
                },
                next = deliveries.next() => match next {
                    Some(Ok(delivery)) => {
                        let lane = lane_of(&delivery, lanes.len());
                        if lanes[lane].send(delivery).await.is_err() {
                            break Err(SessionEnd::StreamClosed);
                        }
                    }
                    Some(Err(error)) => break Err(error.into()),
                    None => break Err(SessionEnd::StreamClosed),
                },
            }
        };
        // Let the lanes finish what they are applying, then close.
        drop(lanes);
        let drained = tokio::time::timeout(DRAIN_TIMEOUT, async { while workers.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                consumer = self.name,
                "lanes still busy after {DRAIN_TIMEOUT:?}, dropping them; the broker redelivers their events"
            );
            workers.abort_all();
        }
        let _ = bounded(CLOSE_TIMEOUT, connection.close(200, "closing".into())).await;
        ended
    }

    /// Reads a delivery's envelope and opens its span; a malformed message is dead-lettered at
    /// once and yields `None`.
    async fn prepare(&self, delivery: Delivery) -> lapin::Result<Option<Prepared>> {
        let envelope = match Envelope::from_delivery(&delivery) {
            Ok(envelope) => envelope,
            Err(reason) => {
                self.count(delivery.routing_key.as_str(), "dead_lettered");
                tracing::warn!(consumer = self.name, reason, "malformed message, dead-lettering it");
                delivery.acker.reject(BasicRejectOptions { requeue: false }).await?;
                return Ok(None);
            }
        };
        if !envelope.from_its_owner() {
            self.count(delivery.routing_key.as_str(), "dead_lettered");
            tracing::warn!(
                consumer = self.name,
                event_type = %envelope.event_type,
                source = %envelope.source,
                "event from a source that does not own its type, dead-lettering it"
            );
            delivery.acker.reject(BasicRejectOptions { requeue: false }).await?;
            return Ok(None);
        }
        if delivery.redelivered {
            metrics().consumer_redeliveries.add(1, &[KeyValue::new("consumer", self.name)]);
        }
        // Continue the trace the publisher carried in the message headers.
        let span = tracing::info_span!(
            "process",
            otel.name = %format!("process {}", envelope.event_type),
            otel.kind = "consumer",
            messaging.system = "rabbitmq",
            messaging.operation.type = "process",
            messaging.consumer.group.name = self.name,
            messaging.destination.name = %delivery.routing_key.as_str(),
            messaging.message.id = %envelope.id,
            trace_id = tracing::field::Empty,
        );
        telemetry::adopt(&span, telemetry::context_of(envelope.traceparent.as_deref(), envelope.tracestate.as_deref()));
        Ok(Some(Prepared { delivery, envelope, span }))
    }

    fn count(&self, event_type: &str, outcome: &'static str) {
        metrics().events_consumed.add(
            1,
            &[
                KeyValue::new("consumer", self.name),
                KeyValue::new("type", event_type.to_string()),
                KeyValue::new("outcome", outcome),
            ],
        );
    }

    /// Applies deliveries of one lane. Several are applied in one transaction (one commit for
    /// all, then an ack each); if any of them fails, the transaction is rolled back and each is
    /// applied and settled on its own.
    async fn process(
        &self,
        db: &mut Held,
        deliveries: Vec<Delivery>,
        shutdown: &CancellationToken,
    ) -> lapin::Result<()> {
        let mut prepared = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let Some(p) = self.prepare(delivery).await? else { continue };
            if self.handler.acts_on(&p.envelope.event_type) {
                prepared.push(p);
            } else {
                self.count(&p.envelope.event_type, Outcome::Ignored.label());
                p.delivery.acker.ack(BasicAckOptions::default()).await?;
            }
        }
        if prepared.len() > 1
            && let Some(outcomes) = self.apply_together(db, &prepared).await
        {
            for (p, outcome) in prepared.iter().zip(outcomes) {
                self.count(&p.envelope.event_type, outcome.label());
            }
            // All acknowledgements at once: each one is a hand-off to the connection's I/O
            // thread, and waiting for them one by one held the lane for as many hand-offs.
            let acks = prepared.iter().map(|p| p.delivery.acker.ack(BasicAckOptions::default()));
            for acked in futures_util::future::join_all(acks).await {
                acked?;
            }
            return Ok(());
        }
        for p in prepared {
            self.settle(db, p, shutdown).await?;
        }
        Ok(())
    }

    /// All of `prepared` in one transaction, or `None` when any of them failed.
    async fn apply_together(&self, db: &mut Held, prepared: &[Prepared]) -> Option<Vec<Outcome>> {
        let result = async {
            let mut tx = db.get().await?.begin().await?;
            // One inbox statement for the whole batch: the events it has not seen before.
            let sources: Vec<&str> = prepared.iter().map(|p| p.envelope.source.as_str()).collect();
            let ids: Vec<uuid::Uuid> = prepared.iter().map(|p| p.envelope.id).collect();
            let fresh: Vec<(String, uuid::Uuid)> = sqlx::query_as(AssertSqlSafe(format!(
                "INSERT INTO {} (source, event_id) SELECT * FROM unnest($1::text[], $2::uuid[]) \
                 ON CONFLICT DO NOTHING RETURNING source, event_id",
                self.inbox_table
            )))
            .bind(&sources)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
            let mut fresh: std::collections::HashSet<(String, uuid::Uuid)> = fresh.into_iter().collect();
            let mut outcomes = Vec::with_capacity(prepared.len());
            let mut events = Vec::with_capacity(prepared.len());
            for p in prepared {
                // `remove`: a second copy of an event within the batch is a duplicate too.
                if fresh.remove(&(p.envelope.source.clone(), p.envelope.id)) {
                    outcomes.push(Outcome::Applied);
                    events.push(&p.envelope);
                } else {
                    outcomes.push(Outcome::Duplicate);
                }
            }
            self.handler.handle_batch(&mut tx, &events).await?;
            tx.commit().await?;
            Ok::<_, HandlerError>(outcomes)
        };
        match result.await {
            Ok(outcomes) => Some(outcomes),
            Err(error) => {
                tracing::debug!(consumer = self.name, events = prepared.len(), error = %error, "batch failed, applying one by one");
                db.discard();
                None
            }
        }
    }

    /// Applies one delivery in its own transaction and settles it: ack after commit, reject
    /// poison to the dead-letter queue, requeue failures (bounded by the queue's delivery
    /// limit), and retry in place while the database is unavailable.
    async fn settle(&self, db: &mut Held, prepared: Prepared, shutdown: &CancellationToken) -> lapin::Result<()> {
        let Prepared { delivery, envelope, span } = prepared;
        let mut backoff = Backoff::new(Duration::from_secs(5));
        loop {
            let applied = async {
                let mut tx = db.get().await?.begin().await?;
                let outcome = self.apply_in(&mut tx, &envelope).await?;
                tx.commit().await?;
                Ok::<_, HandlerError>(outcome)
            };
            let applied = applied.instrument(span.clone()).await;
            if applied.is_err() {
                db.discard();
            }
            match applied {
                Ok(outcome) => {
                    self.count(&envelope.event_type, outcome.label());
                    tracing::debug!(consumer = self.name, event_id = %envelope.id, event_type = %envelope.event_type, outcome = outcome.label(), "event settled");
                    delivery.acker.ack(BasicAckOptions::default()).await?;
                    return Ok(());
                }
                Err(HandlerError::Poison(reason)) => {
                    self.count(&envelope.event_type, "dead_lettered");
                    tracing::warn!(consumer = self.name, event_id = %envelope.id, event_type = %envelope.event_type, reason, "poison event, dead-lettering it");
                    delivery.acker.reject(BasicRejectOptions { requeue: false }).await?;
                    return Ok(());
                }
                Err(HandlerError::Database(error))
                    if classify(&error) != DbFailure::Other && !shutdown.is_cancelled() =>
                {
                    tracing::warn!(consumer = self.name, event_id = %envelope.id, error = %error, "database unavailable, retrying event");
                    sleep_or_shutdown(backoff.next_pause(), shutdown).await;
                }
                Err(error) => {
                    self.count(&envelope.event_type, "requeued");
                    tracing::warn!(consumer = self.name, event_id = %envelope.id, event_type = %envelope.event_type, error = %ErrorChain(&error), "event failed, requeueing it");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    delivery.acker.nack(BasicNackOptions { requeue: true, multiple: false }).await?;
                    return Ok(());
                }
            }
        }
    }

    /// Records the event in the inbox and, the first time, runs the handler, inside `conn`'s
    /// transaction.
    async fn apply_in(&self, conn: &mut PgConnection, envelope: &Envelope) -> Result<Outcome, HandlerError> {
        let first_time = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {} (source, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            self.inbox_table
        )))
        .bind(&envelope.source)
        .bind(envelope.id)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if !first_time {
            return Ok(Outcome::Duplicate);
        }
        self.handler.handle(conn, envelope).await?;
        Ok(Outcome::Applied)
    }
}
