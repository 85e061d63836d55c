//! The assets service: the media components of projects, their review workflow, and the
//! `assets` schema.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
mod repo;
pub mod wire;

use baton_messaging::{Outbox, OutboxTables};
use baton_platform::module::{BuildError, ServiceContext, ServiceModule};
use baton_proto::assets::v1::assets_service_server::AssetsServiceServer;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.assets.v1.AssetsService";

const OUTBOX: OutboxTables = OutboxTables {
    outbox: "assets.outbox",
    idempotency: "assets.idempotency",
    audit: "assets.audit",
    source: "baton.assets",
};

/// Builds the assets service: migrates its schema and wires its gRPC service, its clients of the
/// projects and people services, and its outbox relay.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, BuildError> {
    let projects =
        ProjectsServiceClient::new(ctx.channel(baton_platform::Target::Assets, baton_platform::Target::Projects)?);
    let people = PeopleServiceClient::new(ctx.channel(baton_platform::Target::Assets, baton_platform::Target::People)?);
    let database = ctx.open_database("assets", sqlx::migrate!()).await?;
    let pool = database.pool.clone();
    let outbox = Outbox::new(pool.clone(), OUTBOX);
    let app = app::Assets::new(outbox.clone(), pool.clone(), projects, people);
    let server = AssetsServiceServer::new(grpc::AssetsApi::new(app))
        .max_decoding_message_size(ctx.config.limits.max_message_bytes);
    Ok(ServiceModule {
        target: baton_platform::Target::Assets,
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks: vec![outbox.relay(ctx)],
        close: Box::pin(database.close()),
    })
}
