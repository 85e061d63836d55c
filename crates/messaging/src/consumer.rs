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

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions};
use lapin::types::FieldTable;
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;

use baton_platform::db::{DbFailure, classify};
use baton_platform::error::ErrorChain;
use baton_platform::metrics::metrics;
use baton_platform::telemetry;
use opentelemetry::KeyValue;
use tracing::Instrument;

use crate::broker::{Backoff, BrokerConfig, Topology};
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
    fn handle(
        &self,
        conn: &mut PgConnection,
        event: &Envelope,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;
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

/// Why a consumer's connection ended.
#[derive(Debug, thiserror::Error)]
enum SessionEnd {
    #[error(transparent)]
    Broker(#[from] lapin::Error),
    #[error("the broker closed the consumer")]
    StreamClosed,
}

enum Outcome {
    Applied,
    Duplicate,
}

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

    /// Consumes until `shutdown` is cancelled, reconnecting with backoff whenever the broker
    /// link is lost. Rebuilds connection, channel, topology and consumer each time.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(self.broker.max_backoff);
        while !shutdown.is_cancelled() {
            match self.session(&shutdown, &mut backoff).await {
                Ok(()) => break,
                Err(error) => {
                    tracing::warn!(consumer = self.name, error = %error, "consumer lost the broker, reconnecting");
                    sleep_or_shutdown(backoff.next_pause(), &shutdown).await;
                }
            }
        }
        tracing::info!(consumer = self.name, "consumer stopped");
    }

    /// One connection's life: returns `Ok` on shutdown, `Err` when the link broke.
    async fn session(&self, shutdown: &CancellationToken, backoff: &mut Backoff) -> Result<(), SessionEnd> {
        let connection = self.broker.connect(&format!("baton.{}-consumer", self.name)).await?;
        let channel = connection.create_channel().await?;
        let queue = Topology::declare_consumer_queue(&channel, &self.broker, self.name, &self.routing_keys).await?;
        channel.basic_qos(self.broker.prefetch, BasicQosOptions::default()).await?;
        let mut deliveries = channel
            .basic_consume(
                queue.as_str().into(),
                format!("baton.{}", self.name).into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!(consumer = self.name, queue = %queue, "consumer connected");
        backoff.reset();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    let _ = channel.close(200, "shutdown".into()).await;
                    let _ = connection.close(200, "shutdown".into()).await;
                    return Ok(());
                }
                next = deliveries.next() => match next {
                    Some(Ok(delivery)) => self.process(delivery, shutdown).await?,
                    Some(Err(error)) => return Err(error.into()),
                    None => return Err(SessionEnd::StreamClosed),
                },
            }
        }
    }

    /// Applies one delivery and settles it: ack after commit, reject poison to the dead-letter
    /// queue, requeue failures (bounded by the queue's delivery limit).
    async fn process(&self, delivery: Delivery, shutdown: &CancellationToken) -> lapin::Result<()> {
        let envelope = match Envelope::from_delivery(&delivery) {
            Ok(envelope) => envelope,
            Err(reason) => {
                metrics().events_consumed.add(
                    1,
                    &[
                        KeyValue::new("consumer", self.name),
                        KeyValue::new("type", delivery.routing_key.as_str().to_string()),
                        KeyValue::new("outcome", "dead_lettered"),
                    ],
                );
                tracing::warn!(consumer = self.name, reason, "malformed message, dead-lettering it");
                delivery.acker.reject(BasicRejectOptions { requeue: false }).await?;
                return Ok(());
            }
        };
        let consumed = |outcome: &'static str| {
            metrics().events_consumed.add(
                1,
                &[
                    KeyValue::new("consumer", self.name),
                    KeyValue::new("type", envelope.event_type.clone()),
                    KeyValue::new("outcome", outcome),
                ],
            );
        };
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
        let mut carried = HashMap::new();
        if let Some(traceparent) = &envelope.traceparent {
            carried.insert("traceparent".to_string(), traceparent.clone());
        }
        if let Some(tracestate) = &envelope.tracestate {
            carried.insert("tracestate".to_string(), tracestate.clone());
        }
        telemetry::adopt(&span, telemetry::extract(&telemetry::MapCarrier(&carried)));
        let mut backoff = Backoff::new(Duration::from_secs(5));
        loop {
            match self.apply(&envelope).instrument(span.clone()).await {
                Ok(Outcome::Applied) => {
                    consumed("applied");
                    tracing::debug!(consumer = self.name, event_id = %envelope.id, event_type = %envelope.event_type, "event applied");
                    delivery.acker.ack(BasicAckOptions::default()).await?;
                    return Ok(());
                }
                Ok(Outcome::Duplicate) => {
                    consumed("duplicate");
                    tracing::debug!(consumer = self.name, event_id = %envelope.id, "duplicate event skipped");
                    delivery.acker.ack(BasicAckOptions::default()).await?;
                    return Ok(());
                }
                Err(HandlerError::Poison(reason)) => {
                    consumed("dead_lettered");
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
                    consumed("requeued");
                    tracing::warn!(consumer = self.name, event_id = %envelope.id, event_type = %envelope.event_type, error = %ErrorChain(&error), "event failed, requeueing it");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    delivery.acker.nack(BasicNackOptions { requeue: true, multiple: false }).await?;
                    return Ok(());
                }
            }
        }
    }

    async fn apply(&self, envelope: &Envelope) -> Result<Outcome, HandlerError> {
        let mut tx = self.pool.begin().await?;
        let first_time = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {} (source, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            self.inbox_table
        )))
        .bind(&envelope.source)
        .bind(envelope.id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !first_time {
            tx.commit().await?;
            return Ok(Outcome::Duplicate);
        }
        self.handler.handle(&mut tx, envelope).await?;
        tx.commit().await?;
        Ok(Outcome::Applied)
    }
}
