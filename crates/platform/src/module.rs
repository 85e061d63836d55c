//! What a service hands to the server that runs it: its gRPC routes and its background tasks.

use std::future::Future;
use std::pin::Pin;

use tonic::service::RoutesBuilder;

use crate::Target;

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
    /// The target the service is run as.
    pub target: Target,
    /// The full gRPC service name, for health: `baton.assets.v1.AssetsService`.
    pub grpc_service: &'static str,
    /// Adds the service's gRPC routes to the server.
    pub routes: Box<dyn FnOnce(&mut RoutesBuilder) + Send>,
    /// Tasks to spawn next to the server.
    pub tasks: Vec<BackgroundTask>,
    /// Closes the service's resources (pools) after the server and tasks stopped.
    pub close: Pin<Box<dyn Future<Output = ()> + Send + 'static>>,
}

/// A service's pool, reported by the pool gauge until [`Database::close`] (or until it is
/// dropped, when the service could not be built). Its `close` goes in [`ServiceModule::close`].
#[derive(Debug)]
pub struct Database {
    pub pool: sqlx::PgPool,
    _metrics: crate::metrics::Registration,
}

impl Database {
    /// Closes the pool, then stops reporting it.
    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// A service that could not be built.
pub type BuildError = Box<dyn std::error::Error + Send + Sync>;

/// What a service's `build()` receives: the configuration, the targets this process runs, and
/// the shutdown token its background tasks stop on.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    pub config: crate::Config,
    pub local_targets: Vec<Target>,
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl ServiceContext {
    /// Opens the service's pool and migrates its schema, waiting up to 30 s for the database.
    /// The pool is reported by the pool gauge until the returned [`Database`] is closed.
    ///
    /// Migrations the binary does not know (a newer version applied them) are tolerated, so that
    /// an older replica keeps running during a rolling update or after a rollback; migrations
    /// are written expand-then-contract to make that safe.
    pub async fn open_database(
        &self,
        service: &'static str,
        mut migrator: sqlx::migrate::Migrator,
    ) -> Result<Database, BuildError> {
        migrator.set_ignore_missing(true);
        let size = self.config.database.pool_size(self.local_targets.len());
        let pool = crate::db::pool(&self.config, service, size)?;
        crate::db::migrate(&pool, &migrator, service, std::time::Duration::from_secs(30))
            .await
            .map_err(|e| format!("cannot migrate the {service} schema: {e}"))?;
        let metrics = crate::metrics::observe_pool(service, pool.clone(), size);
        Ok(Database { pool, _metrics: metrics })
    }

    /// Where another service answers: its configured endpoint, or this process when it runs
    /// that target.
    pub fn endpoint(&self, target: Target) -> Result<String, BuildError> {
        let endpoints = &self.config.endpoints;
        let configured = match target {
            Target::People => &endpoints.people,
            Target::Projects => &endpoints.projects,
            Target::Assets => &endpoints.assets,
            Target::Notifications => &endpoints.notifications,
        };
        match configured {
            Some(endpoint) => Ok(endpoint.clone()),
            None if self.local_targets.contains(&target) => Ok(self.config.self_endpoint()),
            None => Err(format!(
                "endpoints.{target} (BATON_ENDPOINTS__{}) must be set: this process does not run the {target} target",
                target.as_str().to_ascii_uppercase()
            )
            .into()),
        }
    }

    /// A lazily connecting gRPC channel from service `from` to service `to`: its calls carry
    /// `from`'s service token and the trace context; over `https://`, this process's certificate
    /// goes with them (mutual TLS).
    pub fn channel(&self, from: Target, to: Target) -> Result<crate::grpc::TracedChannel, BuildError> {
        let credentials = crate::auth::ServiceCredentials::new(&self.config.auth, from)?.ok_or_else(|| {
            format!(
                "auth.signing_key_file (BATON_AUTH__SIGNING_KEY_FILE) must be set: the {from} service calls {to} \
                 with a token it signs"
            )
        })?;
        let url = self.endpoint(to)?;
        let mut endpoint = tonic::transport::Endpoint::from_shared(url.clone())?
            .connect_timeout(std::time::Duration::from_secs(2))
            .timeout(std::time::Duration::from_secs(10))
            .tcp_nodelay(true);
        if url.starts_with("https://") {
            // This process by its address: its certificate names it `tls.server_name`.
            let tls = &self.config.tls;
            let domain = (url == self.config.self_endpoint()).then_some(tls.server_name.as_str());
            endpoint = endpoint.tls_config(tls.client(domain)?)?;
        }
        Ok(tonic::service::interceptor::InterceptedService::new(
            endpoint.connect_lazy(),
            crate::grpc::Outgoing::new(credentials),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_configured_or_this_process() {
        let mut config = crate::Config::default();
        config.endpoints.projects = Some("http://projects:50051".into());
        let ctx = ServiceContext {
            config: config.clone(),
            local_targets: vec![Target::People, Target::Assets],
            shutdown: tokio_util::sync::CancellationToken::new(),
        };
        assert_eq!(ctx.endpoint(Target::People).expect("local"), config.self_endpoint());
        assert_eq!(ctx.endpoint(Target::Projects).expect("configured"), "http://projects:50051");
        let missing = ctx.endpoint(Target::Notifications).expect_err("neither").to_string();
        assert!(missing.contains("BATON_ENDPOINTS__NOTIFICATIONS"), "{missing}");
        assert!(missing.contains("does not run the notifications target"), "{missing}");
    }
}
