//! What a service hands to the server that runs it: its gRPC routes and its background tasks.

use std::future::Future;
use std::pin::Pin;

use tonic::service::RoutesBuilder;

/// A running part of a service besides its RPCs, such as an outbox relay or an event consumer.
/// It must return soon after the shutdown token it was built with is cancelled.
pub struct BackgroundTask {
    pub name: String,
    pub future: Pin<Box<dyn Future<Output = ()> + Send + 'static>>,
}

impl BackgroundTask {
    pub fn new(name: impl Into<String>, future: impl Future<Output = ()> + Send + 'static) -> Self {
        Self { name: name.into(), future: Box::pin(future) }
    }
}

/// One service, ready to be served: built by the service's `build()`, run by `baton-server`
/// and by the tests alike.
pub struct ServiceModule {
    /// The target name, for example `assets`.
    pub target: &'static str,
    /// The full gRPC service name, for health: `baton.assets.v1.AssetsService`.
    pub grpc_service: &'static str,
    /// Adds the service's gRPC routes to the server.
    pub routes: Box<dyn FnOnce(&mut RoutesBuilder) + Send>,
    /// Tasks to spawn next to the server.
    pub tasks: Vec<BackgroundTask>,
    /// Closes the service's resources (pools) after the server and tasks stopped.
    pub close: Pin<Box<dyn Future<Output = ()> + Send + 'static>>,
}

/// A service that could not be built.
pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// What a service's `build()` receives: the configuration, the targets this process runs, and
/// the shutdown token its background tasks stop on.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    pub config: crate::Config,
    pub local_targets: Vec<String>,
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl ServiceContext {
    /// Opens the service's pool and migrates its schema, waiting up to 30 s for the database.
    ///
    /// Migrations the binary does not know (a newer version applied them) are tolerated, so that
    /// an older replica keeps running during a rolling update or after a rollback; migrations
    /// are written expand-then-contract to make that safe.
    pub async fn open_database(
        &self,
        service: &'static str,
        mut migrator: sqlx::migrate::Migrator,
    ) -> Result<sqlx::PgPool, BuildError> {
        migrator.set_ignore_missing(true);
        let pool = crate::db::pool(&self.config, service)?;
        crate::db::migrate(&pool, &migrator, service, std::time::Duration::from_secs(30))
            .await
            .map_err(|e| format!("cannot migrate the {service} schema: {e}"))?;
        crate::metrics::observe_pool(service, pool.clone(), self.config.database.max_connections);
        Ok(pool)
    }

    /// Where another service answers: its configured endpoint, or this process when it runs
    /// that target.
    pub fn endpoint(&self, target: &str) -> Result<String, BuildError> {
        let endpoints = &self.config.endpoints;
        let configured = match target {
            "people" => &endpoints.people,
            "projects" => &endpoints.projects,
            "assets" => &endpoints.assets,
            "notifications" => &endpoints.notifications,
            other => return Err(format!("unknown target {other}").into()),
        };
        match configured {
            Some(endpoint) => Ok(endpoint.clone()),
            None if self.local_targets.iter().any(|t| t == target) => Ok(self.config.self_endpoint()),
            None => Err(format!(
                "endpoints.{target} (BATON_ENDPOINTS__{}) must be set: this process does not run the {target} target",
                target.to_ascii_uppercase()
            )
            .into()),
        }
    }

    /// A lazily connecting gRPC channel to another service, carrying the trace context.
    pub fn channel(&self, target: &str) -> Result<crate::grpc::TracedChannel, BuildError> {
        let endpoint = tonic::transport::Endpoint::from_shared(self.endpoint(target)?)?
            .connect_timeout(std::time::Duration::from_secs(2))
            .timeout(std::time::Duration::from_secs(10))
            .tcp_nodelay(true);
        Ok(tonic::service::interceptor::InterceptedService::new(endpoint.connect_lazy(), crate::grpc::TraceInjector))
    }
}
