//! The Baton server: runs any subset of the four services behind one gRPC listener, with health,
//! reflection, authentication of every other call, and graceful shutdown. The binary and the tests
//! both start it through [`Server::start`].

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;

use baton_platform::Config;
use baton_platform::auth::{AuthLayer, Authenticator};
use baton_platform::grpc::RpcLayer;
use baton_platform::limits::LimitsLayer;
use baton_platform::module::{BuildError, ServiceContext, ServiceModule};

pub use baton_platform::Target;

/// One value of `--target`: a target, or `all` of them. Values are separated by commas
/// (`--target projects,people`); [`chosen_targets`] resolves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetArg {
    All,
    One(Target),
}

impl TargetArg {
    /// `all`, then every target in start order.
    const VARIANTS: [TargetArg; Target::ALL.len() + 1] = {
        let mut variants = [TargetArg::All; Target::ALL.len() + 1];
        let mut i = 0;
        while i < Target::ALL.len() {
            variants[i + 1] = TargetArg::One(Target::ALL[i]);
            i += 1;
        }
        variants
    };
}

impl clap::ValueEnum for TargetArg {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::VARIANTS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self {
            TargetArg::All => Some(clap::builder::PossibleValue::new("all").help("every target")),
            TargetArg::One(target) => target.to_possible_value(),
        }
    }
}

/// Parses one `--target` value, ignoring spaces around it (`--target "projects, people"`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetParser;

impl clap::builder::TypedValueParser for TargetParser {
    type Value = TargetArg;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<TargetArg, clap::Error> {
        let value = value.to_str().map_or(value, |v| std::ffi::OsStr::new(v.trim()));
        clap::builder::EnumValueParser::<TargetArg>::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(TargetArg::VARIANTS.iter().filter_map(clap::ValueEnum::to_possible_value)))
    }
}

/// The targets `args` choose, each once, in start order.
pub fn chosen_targets(args: &[TargetArg]) -> Vec<Target> {
    Target::in_start_order(args.iter().flat_map(|arg| match arg {
        TargetArg::All => Target::ALL.to_vec(),
        TargetArg::One(target) => vec![*target],
    }))
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
    /// The targets start in [`Target::ALL`] order, whatever the order of `targets`.
    pub async fn start(
        config: Config,
        targets: &[Target],
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<Self, BuildError> {
        let targets = Target::in_start_order(targets.iter().copied());
        if targets.is_empty() {
            return Err("no target to run".into());
        }
        let authenticator = std::sync::Arc::new(
            Authenticator::new(&config.auth)?.requiring_service_certificates(config.tls.verifies_clients()),
        );
        if config.auth.development {
            tracing::warn!(
                "development mode is on: HS256 tokens signed with the development secret and x-baton-actor are accepted; never run it in production"
            );
        }
        let addr = listener.local_addr()?;
        let mut config = config;
        config.listen = addr;
        let ctx =
            ServiceContext { config: config.clone(), local_targets: targets.clone(), shutdown: shutdown.child_token() };
        let mut modules = Vec::with_capacity(targets.len());
        for target in &targets {
            let module = match target {
                Target::People => baton_people::build(&ctx).await?,
                Target::Projects => baton_projects::build(&ctx).await?,
                Target::Assets => baton_assets::build(&ctx).await?,
                Target::Notifications => baton_notifications::build(&ctx).await?,
            };
            tracing::info!(target = %module.target, "service built");
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
        let tls = match &config.tls {
            tls if !tls.enabled() => "off",
            tls if tls.client_auth_required => "on, every client presents a certificate",
            tls if tls.verifies_clients() => "on, services present certificates",
            _ => "on",
        };
        let handle =
            tokio::spawn(serve(config, authenticator, modules, listener, ctx.shutdown.clone(), shutdown.clone()));
        let names: Vec<&str> = targets.iter().map(|t| t.as_str()).collect();
        tracing::info!(%addr, metrics = ?metrics_addr, targets = %names.join(","), tls, "baton server listening");
        match metrics_addr {
            Some(metrics) if metrics.ip().is_loopback() => {
                tracing::info!(%metrics, "/metrics answers on loopback only (metrics_listen); set 0.0.0.0:9464 for a scraper elsewhere")
            }
            Some(metrics) => tracing::info!(%metrics, "/metrics answers beyond this host (metrics_listen)"),
            None => tracing::info!("/metrics is off (metrics_listen unset)"),
        }
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
    authenticator: std::sync::Arc<Authenticator>,
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

    let limits = &config.limits;
    let max_connections = limits.max_connections;
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = config.tls.server()? {
        builder = builder.tls_config(tls)?;
    }
    let server = builder
        .tcp_nodelay(true)
        .http2_keepalive_interval(Some(limits.keepalive_interval()))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout()))
        .max_concurrent_streams(limits.max_streams_per_connection)
        .http2_max_pending_accept_reset_streams(Some(limits.max_pending_reset_streams))
        .timeout(limits.request_timeout())
        .layer(RpcLayer)
        .layer(AuthLayer::new(authenticator))
        .layer(LimitsLayer::new(limits))
        .add_routes(routes.routes())
        .serve_with_incoming_shutdown(incoming(listener, max_connections), signal);
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
/// The accepted connections, at most `max_connections` open at once: one over it is closed as
/// soon as it is accepted (its client sees the connection refused and may retry elsewhere), so
/// a flood of idle connections cannot take the process's file descriptors and memory.
fn incoming(
    listener: TcpListener,
    max_connections: usize,
) -> impl tokio_stream::Stream<Item = std::io::Result<Admitted>> {
    use tokio_stream::StreamExt;
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(max_connections));
    TcpListenerStream::new(listener).filter_map(move |accepted| match accepted {
        Ok(stream) => match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let _ = stream.set_nodelay(true);
                Some(Ok(Admitted { stream, _slot: slot }))
            }
            Err(_) => {
                tracing::warn!(
                    peer = ?stream.peer_addr().ok(),
                    max_connections,
                    "connection refused: limits.max_connections are open"
                );
                None
            }
        },
        Err(error) => Some(Err(error)),
    })
}

/// An accepted connection holding its slot until it closes.
struct Admitted {
    stream: tokio::net::TcpStream,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl tonic::transport::server::Connected for Admitted {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl tokio::io::AsyncRead for Admitted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Admitted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
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

    use clap::ValueEnum;
    use clap::builder::TypedValueParser;

    fn parse(value: &str) -> Result<TargetArg, clap::Error> {
        let cmd = clap::Command::new("baton-server");
        TargetParser.parse_ref(&cmd, None, std::ffi::OsStr::new(value))
    }

    #[test]
    fn target_values_are_all_and_each_target() {
        let names: Vec<String> = TargetArg::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().into())
            .collect();
        assert_eq!(names, ["all", "people", "projects", "assets", "notifications"]);
        assert_eq!(parse("all").expect("all"), TargetArg::All);
        assert_eq!(parse(" projects ").expect("spaces are ignored"), TargetArg::One(Target::Projects));
        for target in Target::ALL {
            assert_eq!(parse(target.as_str()).expect("a target"), TargetArg::One(target));
        }
        let unknown = parse("billing").expect_err("unknown").to_string();
        assert!(unknown.contains("billing") && unknown.contains("notifications"), "{unknown}");
        assert!(parse("").is_err());
        assert!(parse("People").is_err(), "names are lowercase");
    }

    #[test]
    fn chosen_targets_start_in_order_once_each() {
        use Target::*;
        use TargetArg::{All, One};
        assert_eq!(chosen_targets(&[All]), Target::ALL);
        assert_eq!(chosen_targets(&[One(Notifications), One(People)]), [People, Notifications]);
        assert_eq!(chosen_targets(&[One(People), One(People)]), [People]);
        assert_eq!(chosen_targets(&[One(Assets), All]), Target::ALL);
        assert_eq!(chosen_targets(&[]), []);
    }
}
