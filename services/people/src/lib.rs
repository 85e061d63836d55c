//! The people service: people, their roles, and the `people` schema.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
mod repo;

use baton_messaging::outbox::Outbox;
use baton_platform::module::{ServiceContext, ServiceModule};

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.people.v1.PeopleService";

pub(crate) const OUTBOX: Outbox = Outbox { table: "people.outbox", source: "baton.people" };
pub(crate) const IDEMPOTENCY_TABLE: &str = "people.idempotency";

/// Builds the people service: migrates its schema and wires its gRPC service and outbox relay.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, baton_platform::module::BuildError> {
    let pool = ctx.open_database("people", sqlx::migrate!()).await?;
    let app = app::People::new(pool.clone());
    let server = baton_proto::people::v1::people_service_server::PeopleServiceServer::new(grpc::PeopleApi::new(app));
    Ok(ServiceModule {
        target: "people",
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks: vec![baton_messaging::relay_task(ctx, pool.clone(), OUTBOX)],
        close: Box::pin(async move { pool.close().await }),
    })
}
