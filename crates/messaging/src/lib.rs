//! Baton's event backbone on RabbitMQ: connection and topology, the event envelope, the
//! transactional outbox and its relay, and the idempotent inbox consumer.
//!
//! Events are protobuf messages published to one topic exchange with their full proto name as
//! routing key. A service writes events into its outbox table with the state change, in one
//! statement ([`mutation::Mutation`]); [`outbox::Relay`] publishes them with publisher confirms and deletes them only
//! once the broker has confirmed and routed them. Consumers read their own quorum queue through
//! [`consumer::Consumer`], which records each event in an inbox table in the same transaction as
//! the handler's effects, so a redelivered event has no second effect.

pub mod broker;
pub mod consumer;
pub mod envelope;
pub mod mutation;
pub mod outbox;

pub use broker::{BrokerConfig, Topology};
pub use consumer::{Consumer, Handler, HandlerError};
pub use envelope::Envelope;
pub use mutation::{Begun, Change, Mutation, MutationError, Transaction, Written};
pub use outbox::{Outbox, OutboxTables, Relay};
