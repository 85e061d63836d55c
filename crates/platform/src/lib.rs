//! The shared platform of Baton's services: configuration, telemetry, the database pool and
//! migrations, gRPC helpers (errors, validation, paging, the acting person), and
//! shutdown.

pub mod actor;
pub mod audit;
pub mod auth;
pub mod bounds;
pub mod config;
pub mod db;
pub mod error;
pub mod etag;
pub mod filter;
pub mod grpc;
pub mod idempotency;
pub mod known;
pub mod limits;
pub mod mask;
pub mod metrics;
pub mod module;
mod named_enum;
pub mod names;
pub mod org;
pub mod paging;
pub mod policy;
pub mod shutdown;
pub mod target;
pub mod telemetry;
pub mod time;
pub mod tls;
pub mod validate;

pub use actor::Actor;
pub use config::Config;
pub use module::{BackgroundTask, BuildError, Database, ServiceContext, ServiceModule};
pub use target::Target;
