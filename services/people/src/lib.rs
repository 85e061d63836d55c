//! The people service: people, their roles, and the `people` schema.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
mod repo;
pub mod wire;

use baton_messaging::{Outbox, OutboxTables};
use baton_platform::Target;
use baton_platform::module::{ServiceContext, ServiceModule};
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.people.v1.PeopleService";

const OUTBOX: OutboxTables = OutboxTables {
    outbox: "people.outbox",
    idempotency: "people.idempotency",
    audit: "people.audit",
    source: "baton.people",
};

/// Builds the people service: migrates its schema and wires its gRPC service and outbox relay.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, baton_platform::module::BuildError> {
    // The projects service checks the project of an allocation; without an endpoint for it
    // (`endpoints.projects`, or the projects target in this process), allocations are refused.
    let projects = match ctx.endpoint(Target::Projects) {
        Ok(_) => Some(ProjectsServiceClient::new(ctx.channel(Target::People, Target::Projects)?)),
        Err(why) => {
            tracing::warn!(%why, "CreateAllocation is refused until the projects service can be reached");
            None
        }
    };
    let database = ctx.open_database("people", sqlx::migrate!()).await?;
    let pool = database.pool.clone();
    let outbox = Outbox::new(pool.clone(), OUTBOX);
    let app = app::People::new(outbox.clone(), pool.clone(), projects);
    let server = baton_proto::people::v1::people_service_server::PeopleServiceServer::new(grpc::PeopleApi::new(app))
        .max_decoding_message_size(ctx.config.limits.max_message_bytes);
    Ok(ServiceModule {
        target: Target::People,
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks: vec![outbox.relay(ctx)],
        close: Box::pin(database.close()),
    })
}
