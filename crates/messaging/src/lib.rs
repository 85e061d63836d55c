//! Baton's event backbone on RabbitMQ: connection and topology, the event envelope, the
//! transactional outbox and its relay, and the idempotent inbox consumer.
//!
//! Events are protobuf messages published to one topic exchange with their full proto name as
//! routing key. A service writes events into its outbox table in the same transaction as the
//! state change; [`outbox::Relay`] publishes them with publisher confirms and deletes them only
//! once the broker has confirmed and routed them. Consumers read their own quorum queue through
//! [`consumer::Consumer`], which records each event in an inbox table in the same transaction as
//! the handler's effects, so a redelivered event has no second effect.

pub mod broker;
pub mod consumer;
pub mod envelope;
pub mod outbox;

pub use broker::{BrokerConfig, Topology};
pub use consumer::{Consumer, Handler, HandlerError};
pub use envelope::Envelope;
pub use outbox::{Outbox, Relay};

use baton_platform::module::{BackgroundTask, ServiceContext};

/// The outbox relay of a service as a background task that stops with the process.
pub fn relay_task(ctx: &ServiceContext, pool: sqlx::PgPool, outbox: Outbox) -> BackgroundTask {
    let config = &ctx.config;
    let relay = Relay::new(
        pool,
        outbox,
        BrokerConfig::new(&config.amqp_url, &config.amqp),
        config.outbox.batch_size,
        std::time::Duration::from_millis(config.outbox.poll_interval_ms),
    );
    BackgroundTask::new(format!("{}-relay", outbox.source), relay.run(ctx.shutdown.clone()))
}
