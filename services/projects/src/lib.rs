//! The projects service: client projects, their teams, and the `projects` schema.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
mod repo;

use baton_messaging::outbox::Outbox;
use baton_platform::module::{BuildError, ServiceContext, ServiceModule};
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::projects_service_server::ProjectsServiceServer;

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.projects.v1.ProjectsService";

pub(crate) const OUTBOX: Outbox = Outbox { table: "projects.outbox", source: "baton.projects" };
pub(crate) const IDEMPOTENCY_TABLE: &str = "projects.idempotency";

/// Builds the projects service: migrates its schema and wires its gRPC service, its client of
/// the people service, and its outbox relay.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, BuildError> {
    let people = PeopleServiceClient::new(ctx.channel("people")?);
    let pool = ctx.open_database("projects", sqlx::migrate!()).await?;
    let app = app::Projects::new(pool.clone(), people);
    let server = ProjectsServiceServer::new(grpc::ProjectsApi::new(app));
    Ok(ServiceModule {
        target: "projects",
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks: vec![baton_messaging::relay_task(ctx, pool.clone(), OUTBOX)],
        close: Box::pin(async move { pool.close().await }),
    })
}
