//! The shared platform of Baton's services: configuration, telemetry, the database pool and
//! migrations, gRPC helpers (errors, validation, paging, the acting person), idempotency, and
//! shutdown.

pub mod actor;
pub mod config;
pub mod db;
pub mod error;
pub mod grpc;
pub mod idempotency;
pub mod known;
pub mod metrics;
pub mod module;
pub mod paging;
pub mod shutdown;
pub mod telemetry;
pub mod time;
pub mod validate;

pub use actor::Actor;
pub use config::Config;
pub use module::{BackgroundTask, BuildError, ServiceContext, ServiceModule};
