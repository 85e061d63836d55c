//! The projects service: client projects, their teams, and the `projects` schema.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
mod repo;
pub mod wire;

use baton_messaging::{Outbox, OutboxTables};
use baton_platform::module::{BuildError, ServiceContext, ServiceModule};
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::projects_service_server::ProjectsServiceServer;

/// The migrations of the `projects` schema (the tests run them step by step).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!()
}

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.projects.v1.ProjectsService";

const OUTBOX: OutboxTables = OutboxTables {
    outbox: "projects.outbox",
    idempotency: "projects.idempotency",
    audit: "projects.audit",
    source: "baton.projects",
};

/// Builds the projects service: migrates its schema and wires its gRPC service, its client of
/// the people service, and its outbox relay.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, BuildError> {
    let people =
        PeopleServiceClient::new(ctx.channel(baton_platform::Target::Projects, baton_platform::Target::People)?);
    let database = ctx.open_database("projects", migrator()).await?;
    let pool = database.pool.clone();
    let outbox = Outbox::new(pool.clone(), OUTBOX);
    let app = app::Projects::new(outbox.clone(), pool.clone(), people);
    let server = ProjectsServiceServer::new(grpc::ProjectsApi::new(app))
        .max_decoding_message_size(ctx.config.limits.max_message_bytes);
    Ok(ServiceModule {
        target: baton_platform::Target::Projects,
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks: vec![outbox.relay(ctx)],
        close: Box::pin(database.close()),
    })
}
