//! The Baton server: runs any subset of the four services behind one gRPC listener, with health,
//! reflection, the acting-person interceptor, and graceful shutdown. The binary and the tests
//! both start it through [`Server::start`].

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::{InterceptorLayer, RoutesBuilder};
use tonic_health::ServingStatus;

use baton_platform::grpc::RpcLayer;
use baton_platform::module::{BuildError, ServiceContext, ServiceModule};
use baton_platform::{Config, actor};

/// Every target, in the order they start.
pub const TARGETS: [&str; 4] = ["people", "projects", "assets", "notifications"];

/// Reads a target list such as `all` or `projects,people`.
pub fn parse_targets(spec: &str) -> Result<Vec<&'static str>, String> {
    let mut targets = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "all" {
            return Ok(TARGETS.to_vec());
        }
        match TARGETS.iter().find(|t| **t == part) {
            Some(target) if !targets.contains(target) => targets.push(*target),
            Some(_) => {}
            None => return Err(format!("unknown target {part:?}; the targets are all, {}", TARGETS.join(", "))),
        }
    }
    if targets.is_empty() {
        return Err("no target given; the targets are all, people, projects, assets, notifications".into());
    }
    targets.sort_by_key(|t| TARGETS.iter().position(|x| x == t));
    Ok(targets)
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<Result<(), BuildError>>,
}

impl Server {
    /// Builds the chosen services (migrating their schemas) and serves them on `listener` until
    /// `shutdown` is cancelled. Returns once every service is built and the listener is serving.
    pub async fn start(
        config: Config,
        targets: &[&'static str],
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<Self, BuildError> {
        let addr = listener.local_addr()?;
        let mut config = config;
        config.listen = addr;
        let ctx = ServiceContext {
            config: config.clone(),
            local_targets: targets.iter().map(|t| t.to_string()).collect(),
            shutdown: shutdown.child_token(),
        };
        let mut modules = Vec::with_capacity(targets.len());
        for target in targets {
            let module = match *target {
                "people" => baton_people::build(&ctx).await?,
                "projects" => baton_projects::build(&ctx).await?,
                "assets" => baton_assets::build(&ctx).await?,
                "notifications" => baton_notifications::build(&ctx).await?,
                other => return Err(format!("unknown target {other}").into()),
            };
            tracing::info!(target = module.target, "service built");
            modules.push(module);
        }
        let metrics_addr = match config.metrics_listen {
            Some(metrics_listen) => {
                let metrics_listener = TcpListener::bind(metrics_listen)
                    .await
                    .map_err(|e| format!("cannot listen for metrics on {metrics_listen}: {e}"))?;
                let metrics_addr = metrics_listener.local_addr()?;
                tokio::spawn(serve_metrics(metrics_listener, shutdown.clone()));
                Some(metrics_addr)
            }
            None => None,
        };
        let handle = tokio::spawn(serve(config, modules, listener, ctx.shutdown.clone(), shutdown.clone()));
        tracing::info!(%addr, metrics = ?metrics_addr, targets = %targets.join(","), "baton server listening");
        Ok(Self { addr, metrics_addr, shutdown, handle })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where `/metrics` answers, when it is on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Starts a graceful shutdown.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the server stopped (after shutdown was requested).
    pub async fn wait(self) -> Result<(), BuildError> {
        self.handle.await.map_err(|e| format!("server task failed: {e}"))?
    }
}

async fn serve(
    config: Config,
    modules: Vec<ServiceModule>,
    listener: TcpListener,
    tasks_shutdown: CancellationToken,
    shutdown: CancellationToken,
) -> Result<(), BuildError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(baton_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(baton_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let mut routes = RoutesBuilder::default();
    routes.add_service(health_service).add_service(reflection_v1).add_service(reflection_v1alpha);
    let mut tasks = JoinSet::new();
    let mut closers = Vec::new();
    let mut services = Vec::new();
    for module in modules {
        (module.routes)(&mut routes);
        for task in module.tasks {
            let name = task.name;
            let future = task.future;
            tasks.spawn(async move {
                future.await;
                name
            });
        }
        closers.push(module.close);
        services.push(module.grpc_service);
    }
    for service in &services {
        health.set_service_status(*service, ServingStatus::Serving).await;
    }
    health.set_service_status("", ServingStatus::Serving).await;

    let drain = config.shutdown_timeout();
    let signal = {
        let shutdown = shutdown.clone();
        let health = health.clone();
        let services = services.clone();
        async move {
            shutdown.cancelled().await;
            tracing::info!("shutting down: not serving, draining calls");
            for service in &services {
                health.set_service_status(*service, ServingStatus::NotServing).await;
            }
            health.set_service_status("", ServingStatus::NotServing).await;
        }
    };
    // Watch streams and background tasks stop with the signal; in-flight calls drain.
    let stop_tasks = {
        let shutdown = shutdown.clone();
        let tasks_shutdown = tasks_shutdown.clone();
        async move {
            shutdown.cancelled().await;
            tasks_shutdown.cancel();
        }
    };
    tokio::spawn(stop_tasks);

    let server = tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .layer(RpcLayer)
        .layer(InterceptorLayer::new(actor::interceptor))
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming(listener), signal);
    let served = tokio::select! {
        served = server => served.map_err(BuildError::from),
        () = async { shutdown.cancelled().await; tokio::time::sleep(drain).await } => {
            tracing::warn!(timeout_ms = drain.as_millis() as u64, "calls still running after the drain timeout, stopping anyway");
            Ok(())
        }
    };

    tasks_shutdown.cancel();
    let deadline = tokio::time::sleep(drain);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(Ok(name)) => tracing::debug!(task = %name, "background task stopped"),
                Some(Err(error)) => tracing::error!(%error, "background task failed"),
                None => break,
            },
            () = &mut deadline => {
                tracing::warn!("background tasks still running after the drain timeout, aborting them");
                tasks.abort_all();
                break;
            }
        }
    }
    for close in closers {
        close.await;
    }
    tracing::info!("baton server stopped");
    served
}

/// Accepted connections with Nagle's algorithm off: the server's own `tcp_nodelay` does not
/// apply to an incoming stream, and small streamed messages would otherwise wait ~40 ms for the
/// peer's delayed acknowledgement.
fn incoming(listener: TcpListener) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|accepted| {
        if let Ok(stream) = &accepted {
            let _ = stream.set_nodelay(true);
        }
        accepted
    })
}

/// Serves `/metrics` in the Prometheus text format until shutdown.
async fn serve_metrics(listener: TcpListener, shutdown: CancellationToken) {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async {
            (
                [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
                baton_platform::telemetry::render_metrics(),
            )
        }),
    );
    let served = axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await;
    if let Err(error) = served {
        tracing::error!(%error, "metrics listener failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(parse_targets("all").expect("all"), TARGETS.to_vec());
        assert_eq!(parse_targets("notifications, people").expect("two"), vec!["people", "notifications"]);
        assert_eq!(parse_targets("people,people").expect("dedup"), vec!["people"]);
        assert!(parse_targets("billing").unwrap_err().contains("unknown target \"billing\""));
        assert!(parse_targets("").is_err());
    }
}
