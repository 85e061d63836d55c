//! The assets service: the media components of projects, their review workflow, and the
//! `assets` schema.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
mod repo;

use baton_messaging::outbox::Outbox;
use baton_platform::module::{BuildError, ServiceContext, ServiceModule};
use baton_proto::assets::v1::assets_service_server::AssetsServiceServer;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.assets.v1.AssetsService";

pub(crate) const OUTBOX: Outbox = Outbox { table: "assets.outbox", source: "baton.assets" };
pub(crate) const IDEMPOTENCY_TABLE: &str = "assets.idempotency";

/// Builds the assets service: migrates its schema and wires its gRPC service, its clients of the
/// projects and people services, and its outbox relay.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, BuildError> {
    let projects = ProjectsServiceClient::new(ctx.channel("projects")?);
    let people = PeopleServiceClient::new(ctx.channel("people")?);
    let pool = ctx.open_database("assets", sqlx::migrate!()).await?;
    let app = app::Assets::new(pool.clone(), projects, people);
    let server = AssetsServiceServer::new(grpc::AssetsApi::new(app));
    Ok(ServiceModule {
        target: "assets",
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks: vec![baton_messaging::relay_task(ctx, pool.clone(), OUTBOX)],
        close: Box::pin(async move { pool.close().await }),
    })
}
