//! The projects service: client projects, their teams, and the `projects` schema.

pub mod app;
pub mod consumers;
pub mod domain;
pub mod error;
pub mod grpc;
mod repo;
mod watch;
pub mod wire;

use baton_messaging::{BrokerConfig, Consumer, Outbox, OutboxTables};
use baton_platform::module::{BackgroundTask, BuildError, ServiceContext, ServiceModule};
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::projects_service_server::ProjectsServiceServer;

/// The migrations of the `projects` schema (the tests run them step by step).
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!()
}

/// The consuming service's name: its queue is `projects.events`.
pub const CONSUMER: &str = "projects";

/// The gRPC service name, for health and reflection.
pub const GRPC_SERVICE: &str = "baton.projects.v1.ProjectsService";

const OUTBOX: OutboxTables = OutboxTables {
    outbox: "projects.outbox",
    idempotency: "projects.idempotency",
    audit: "projects.audit",
    source: "baton.projects",
};

/// Builds the projects service: migrates its schema and wires its gRPC service, its client of
/// the people service, its outbox relay, and the consumer of the assets service's events that
/// keeps its projection of each project's components.
pub async fn build(ctx: &ServiceContext) -> Result<ServiceModule, BuildError> {
    let people =
        PeopleServiceClient::new(ctx.channel(baton_platform::Target::Projects, baton_platform::Target::People)?);
    let database = ctx.open_database("projects", migrator()).await?;
    let pool = database.pool.clone();
    let outbox = Outbox::new(pool.clone(), OUTBOX);
    let app = app::Projects::new(outbox.clone(), pool.clone(), people);
    let watch = watch::HealthWatch::new(app.clone(), pool.clone(), outbox.clone());
    let server = ProjectsServiceServer::new(grpc::ProjectsApi::new(app))
        .max_decoding_message_size(ctx.config.limits.max_message_bytes);
    let consumer = Consumer::new(
        pool.clone(),
        BrokerConfig::new(ctx.config.amqp_url_of("projects"), &ctx.config.amqp),
        CONSUMER,
        consumers::ROUTING_KEYS.to_vec(),
        "projects.inbox",
        consumers::ComponentProjection { outbox: outbox.clone() },
    );
    consumer.declare_now(std::time::Duration::from_secs(5)).await;
    Ok(ServiceModule {
        target: baton_platform::Target::Projects,
        grpc_service: GRPC_SERVICE,
        routes: Box::new(move |routes| {
            routes.add_service(server);
        }),
        tasks: vec![
            outbox.relay(ctx),
            BackgroundTask::new("projects-consumer", consumer.run(ctx.shutdown.clone())),
            BackgroundTask::new("projects-health-watch", watch.run(ctx.shutdown.clone())),
        ],
        close: Box::pin(database.close()),
    })
}
