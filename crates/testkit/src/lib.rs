//! Test helpers for Baton: every test gets its own database and its own exchange and queue names
//! on the real Postgres and RabbitMQ, so tests run in parallel and leave nothing behind.
//!
//! ```text
//! let env = TestEnv::new().await;
//! let server = env.spawn(&Target::ALL).await;
//! let person = server.people().create_person(...).await?;
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod hooks;
pub mod proxy;
pub mod smtp;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Once;
use std::time::{Duration, Instant};

use lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use sqlx::{Connection, Executor, PgConnection};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use uuid::Uuid;

use baton_auth::{GlobalRole, Minter, Subject};
use baton_messaging::BrokerConfig;
use baton_platform::Config;

pub use baton_auth::GlobalRole as Role;
use baton_platform::auth::AuthConfig;
use baton_platform::config::{AmqpConfig, DatabaseConfig, NotificationsConfig, WebhooksConfig};
use baton_platform::limits::LimitsConfig;
use baton_proto::assets::v1::assets_service_client::AssetsServiceClient;
use baton_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;
use baton_server::Server;

pub use baton_platform::Target;

/// The Postgres server tests use (`DATABASE_URL`), whose database `postgres` may create others.
pub fn admin_database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The RabbitMQ broker tests use (`AMQP_URL`).
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    });
}

/// The key test servers derive webhook secrets from. Made for the tests only; it guards nothing.
pub const WEBHOOK_KEY: &str = "baton test webhook key: guards nothing at all";

/// The test key pairs: `jwks.json` publishes the public halves of `issuer.pem` (the identity
/// provider of the tests, kid `test-issuer-1`) and `service.pem` (the services, kid
/// `test-services-1`). Made for the tests only; they guard nothing.
pub const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys");

/// How test servers authenticate: the production path (ES256 against the test JWKS), not
/// development mode.
pub fn auth_config() -> AuthConfig {
    AuthConfig {
        jwks_file: Some(format!("{KEYS}/jwks.json").into()),
        signing_key_file: Some(format!("{KEYS}/service.pem").into()),
        signing_key_id: "test-services-1".into(),
        ..AuthConfig::default()
    }
}

/// The same settings as environment variables, for a `baton-server` child process.
pub fn auth_env() -> Vec<(String, String)> {
    vec![
        ("BATON_AUTH__JWKS_FILE".into(), format!("{KEYS}/jwks.json")),
        ("BATON_AUTH__SIGNING_KEY_FILE".into(), format!("{KEYS}/service.pem")),
        ("BATON_AUTH__SIGNING_KEY_ID".into(), "test-services-1".into()),
    ]
}

/// The environment of a server process a test or a benchmark starts: the test keys
/// ([`auth_env`]), no per-person write rate, since one test client writes as fast as it can,
/// and no grouping of bursts, since they count notifications.
pub fn server_env() -> Vec<(String, String)> {
    let mut env = auth_env();
    env.push(("BATON_LIMITS__WRITES_PER_SECOND".into(), "0".into()));
    // One notification per event and person, which the benchmarks and the chaos run count.
    env.push(("BATON_NOTIFICATIONS__GROUP_WINDOW_MS".into(), "0".into()));
    env
}

/// The test identity provider, signing as `test-issuer-1`.
pub fn issuer() -> &'static Minter {
    static ISSUER: std::sync::OnceLock<Minter> = std::sync::OnceLock::new();
    ISSUER.get_or_init(|| {
        let defaults = AuthConfig::default();
        Minter::es256_file(
            std::path::Path::new(&format!("{KEYS}/issuer.pem")),
            "test-issuer-1",
            &defaults.issuer,
            &defaults.audience,
        )
        .expect("the test issuer key")
    })
}

/// A token of the test identity provider for `subject` (`people/{uuid}`) with `roles`, valid
/// for an hour.
pub fn token(subject: &str, roles: &[GlobalRole]) -> String {
    let subject = Subject::parse(subject).expect("a canonical subject");
    issuer().mint(&subject, roles, Duration::from_secs(3600)).expect("mint a test token")
}

/// The person test clients act as unless a request says otherwise: an administrator.
pub fn operator() -> &'static str {
    static OPERATOR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OPERATOR.get_or_init(|| format!("people/{}", Uuid::new_v4()))
}

/// Adds the operator's token to every call that carries none.
#[derive(Debug, Clone)]
pub struct Bearer(tonic::metadata::AsciiMetadataValue);

impl Default for Bearer {
    fn default() -> Self {
        static OPERATOR: std::sync::OnceLock<tonic::metadata::AsciiMetadataValue> = std::sync::OnceLock::new();
        let value = OPERATOR.get_or_init(|| {
            format!("Bearer {}", token(operator(), &[GlobalRole::Admin])).parse().expect("ascii token")
        });
        Self(value.clone())
    }
}

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if !request.metadata().contains_key("authorization") {
            request.metadata_mut().insert("authorization", self.0.clone());
        }
        Ok(request)
    }
}

/// A channel whose calls carry the operator's token unless they carry their own.
pub type AuthChannel = tonic::service::interceptor::InterceptedService<Channel, Bearer>;

/// One test's share of the machine: a fresh database and unique AMQP names. Dropping it drops
/// the database and deletes the exchanges and queues.
pub struct TestEnv {
    pub id: String,
    pub database: String,
    pub config: Config,
}

impl TestEnv {
    pub async fn new() -> Self {
        init_logging();
        let id = Uuid::new_v4().simple().to_string()[..12].to_string();
        let database = format!("baton_test_{id}");
        let admin = admin_database_url();
        let mut conn = PgConnection::connect(&admin).await.expect("connect to Postgres (DATABASE_URL)");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).await.expect("create test database");
        conn.close().await.ok();

        let defaults = Config::default();
        let config = Config {
            database_url: replace_database(&admin, &database),
            amqp_url: amqp_url(),
            amqp: AmqpConfig {
                exchange: format!("baton.test.{id}"),
                queue_prefix: format!("test.{id}."),
                reconnect_max_backoff_ms: 500,
                delivery_limit: 3,
                ..defaults.amqp.clone()
            },
            database: DatabaseConfig { max_connections: 5, ..defaults.database.clone() },
            shutdown_timeout_ms: 5_000,
            metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            auth: auth_config(),
            // One test client writes as fast as it can; the limits test turns the rate on.
            limits: LimitsConfig { writes_per_second: 0.0, ..defaults.limits.clone() },
            // Webhooks on, as in production: endpoints on loopback are refused unless a test
            // allows private endpoints.
            webhooks: WebhooksConfig { secret_key: WEBHOOK_KEY.into(), ..defaults.webhooks.clone() },
            // One notification per event and person, which most tests count; the grouping tests
            // turn bursts on.
            notifications: NotificationsConfig { group_window_ms: 0, ..defaults.notifications.clone() },
            ..defaults
        };
        Self { id, database, config }
    }

    /// Starts a server running `targets` (`&Target::ALL`, `&[Target::People]`, …) on
    /// 127.0.0.1:0 with this environment's configuration.
    pub async fn spawn(&self, targets: &[Target]) -> TestServer {
        self.spawn_with(targets, self.config.clone()).await
    }

    /// Like [`spawn`](Self::spawn) with an adjusted configuration (for example endpoints).
    pub async fn spawn_with(&self, targets: &[Target], config: Config) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let shutdown = CancellationToken::new();
        let server = Server::start(config, targets, listener, shutdown.clone()).await.expect("server starts");
        let addr = server.local_addr();
        let channel = Channel::from_shared(format!("http://{addr}")).expect("url").connect_lazy();
        TestServer { server: Some(server), shutdown, addr, channel, tls: false }
    }

    /// A connection to this test's database, for assertions on stored state.
    pub async fn db(&self) -> PgConnection {
        PgConnection::connect(&self.config.database_url).await.expect("connect to the test database")
    }

    /// The broker names of this environment.
    pub fn broker(&self) -> BrokerConfig {
        BrokerConfig::new(&self.config.amqp_url, &self.config.amqp)
    }

    /// How many connections the services hold on this test's database (their pools name them
    /// `baton-<service>`), as Postgres counts them.
    pub async fn service_connections(&self) -> i64 {
        let mut admin = PgConnection::connect(&admin_database_url()).await.expect("connect to Postgres (DATABASE_URL)");
        let count = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'baton-%'",
        )
        .bind(&self.database)
        .fetch_one(&mut admin)
        .await
        .expect("count the connections in pg_stat_activity");
        admin.close().await.ok();
        count
    }

    /// The services' transactions on this test's database that have been waiting for their next
    /// statement longer than `longer_than`, as (application name, last statement).
    pub async fn idle_transactions(&self, longer_than: Duration) -> Vec<(String, String)> {
        let mut admin = PgConnection::connect(&admin_database_url()).await.expect("connect to Postgres (DATABASE_URL)");
        let idle = sqlx::query_as(
            "SELECT application_name, query FROM pg_stat_activity \
             WHERE datname = $1 AND application_name LIKE 'baton-%' AND state LIKE 'idle in transaction%' \
               AND clock_timestamp() - state_change > make_interval(secs => $2)",
        )
        .bind(&self.database)
        .bind(longer_than.as_secs_f64())
        .fetch_all(&mut admin)
        .await
        .expect("read pg_stat_activity");
        admin.close().await.ok();
        idle
    }

    /// How many consumers the broker counts on the queue of `consumer` (for example
    /// `notifications`), which must exist.
    pub async fn queue_consumers(&self, consumer: &str) -> u32 {
        let mut broker = self.broker();
        // The real broker: the configured URL may lead through a proxy a test has cut.
        broker.url = amqp_url();
        let connection = broker.connect("baton-testkit-inspect").await.expect("connect to RabbitMQ (AMQP_URL)");
        let channel = connection.create_channel().await.expect("open a channel");
        let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let queue = channel
            .queue_declare(broker.queue(consumer).as_str().into(), passive, FieldTable::default())
            .await
            .expect("the consumer's queue exists");
        let _ = connection.close(200, "done".into()).await;
        queue.consumer_count()
    }

    /// A queue of this test's own bound to the events exchange with `binding` (an event type,
    /// or `baton.projects.#`), keeping every event routed to it from now on: the connection, a
    /// channel on it and the queue's name, for a test that reads (or republishes) deliveries
    /// itself. One per test; it is deleted with the environment.
    pub async fn tap_queue(&self, binding: &str) -> (lapin::Connection, lapin::Channel, String) {
        use lapin::options::QueueBindOptions;
        let broker = self.broker();
        let connection = broker.connect("baton-test-tap").await.expect("connect to RabbitMQ (AMQP_URL)");
        let channel = connection.create_channel().await.expect("open a channel");
        baton_messaging::Topology::declare_exchanges(&channel, &broker).await.expect("declare the exchanges");
        let queue = broker.queue("test");
        let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
        channel.queue_declare(queue.as_str().into(), durable, FieldTable::default()).await.expect("declare the tap");
        channel
            .queue_bind(
                queue.as_str().into(),
                broker.exchange.as_str().into(),
                binding.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind the tap");
        (connection, channel, queue)
    }

    /// [`tap_queue`](Self::tap_queue), consumed: the events as they arrive.
    pub async fn tap(&self, binding: &str) -> Tap {
        use lapin::options::BasicConsumeOptions;
        let (connection, channel, queue) = self.tap_queue(binding).await;
        let no_ack = BasicConsumeOptions { no_ack: true, ..BasicConsumeOptions::default() };
        let consumer = channel
            .basic_consume(queue.as_str().into(), "tap".into(), no_ack, FieldTable::default())
            .await
            .expect("consume");
        Tap { _connection: connection, _channel: channel, consumer }
    }

    async fn cleanup(database: String, broker: BrokerConfig) {
        if let Ok(mut conn) = PgConnection::connect(&admin_database_url()).await {
            let drop = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            if let Err(error) = conn.execute(sqlx::AssertSqlSafe(drop)).await {
                eprintln!("cannot drop test database {database}: {error}");
            }
        }
        if let Ok(connection) = broker.connect("baton-testkit-cleanup").await {
            if let Ok(channel) = connection.create_channel().await {
                for consumer in ["notifications", "projects", "test"] {
                    for queue in [broker.queue(consumer), broker.dead_letter_queue(consumer)] {
                        let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
                    }
                }
                for exchange in [broker.exchange.clone(), broker.dead_letter_exchange()] {
                    let _ = channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await;
                }
            }
            let _ = connection.close(200, "done".into()).await;
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let database = self.database.clone();
        // The real broker, not the configured URL: a test may have routed that through a proxy
        // whose tasks run on the (now blocked) test runtime.
        let mut broker = self.broker();
        broker.url = amqp_url();
        // Drop runs inside the test's runtime: clean up on a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let cleanup =
                async { tokio::time::timeout(Duration::from_secs(15), Self::cleanup(database, broker)).await };
            if runtime.block_on(cleanup).is_err() {
                eprintln!("test cleanup timed out");
            }
        });
        if cleanup.join().is_err() {
            eprintln!("test cleanup of {} failed", self.database);
        }
    }
}

/// Events as the broker routed them to a test ([`TestEnv::tap`]).
pub struct Tap {
    _connection: lapin::Connection,
    _channel: lapin::Channel,
    consumer: lapin::Consumer,
}

impl Tap {
    /// The types of the next `n` events (within 20 s), then of any that arrive within `grace`
    /// after them: for asserting how many events a change published, and no more.
    pub async fn types(&mut self, n: usize, grace: Duration) -> Vec<String> {
        use futures_util::StreamExt;
        let mut types = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let wait = if types.len() < n { deadline.saturating_duration_since(Instant::now()) } else { grace };
            match tokio::time::timeout(wait, self.consumer.next()).await {
                Ok(Some(Ok(delivery))) => types.push(delivery.routing_key.as_str().to_string()),
                Ok(_) => panic!("the tap closed"),
                Err(_) if types.len() < n => panic!("{} of {n} events within 20 s: {types:?}", types.len()),
                Err(_) => return types,
            }
        }
    }

    /// The next event of type `E` (others are skipped), within 20 s.
    pub async fn next<E: baton_proto::Event>(&mut self) -> E {
        use futures_util::StreamExt;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let delivery = tokio::time::timeout(left, self.consumer.next())
                .await
                .unwrap_or_else(|_| panic!("no {} within 20 s", E::TYPE))
                .expect("the tap is open")
                .expect("a delivery");
            if delivery.routing_key.as_str() == E::TYPE {
                return E::decode(delivery.data.as_slice()).expect("a well-formed event");
            }
        }
    }
}

/// The `host:port` part of a URL such as `amqp://user:pass@host:port/vhost`.
fn authority(url: &str) -> (usize, usize) {
    let start = url.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &url[start..];
    let end = rest.find(['/', '?']).map(|i| start + i).unwrap_or(url.len());
    let host_start = url[start..end].rfind('@').map(|i| start + i + 1).unwrap_or(start);
    (host_start, end)
}

/// The address a URL points at.
pub async fn url_addr(url: &str) -> SocketAddr {
    let (start, end) = authority(url);
    tokio::net::lookup_host(&url[start..end]).await.expect("resolve").next().expect("an address")
}

/// The URL with its `host:port` replaced by `addr`.
pub fn url_via(url: &str, addr: SocketAddr) -> String {
    let (start, end) = authority(url);
    format!("{}{addr}{}", &url[..start], &url[end..])
}

fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(slash) if base[..slash].contains("://") && slash > base.find("://").unwrap() + 2 => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// A server started by a test, with typed clients.
pub struct TestServer {
    server: Option<Server>,
    shutdown: CancellationToken,
    pub addr: SocketAddr,
    channel: Channel,
    tls: bool,
}

impl TestServer {
    /// Clients of a server this test did not start in-process, such as a `baton-server` child
    /// process listening on `addr`.
    pub fn remote(addr: SocketAddr) -> Self {
        let channel = Channel::from_shared(format!("http://{addr}")).expect("url").connect_lazy();
        Self { server: None, shutdown: CancellationToken::new(), addr, channel, tls: false }
    }

    /// Where this server's `/metrics` answers.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().and_then(Server::metrics_addr)
    }

    pub fn endpoint(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Makes this server's clients speak TLS to it with `tls` (for a server with `tls.*` set).
    pub fn use_tls(&mut self, tls: tonic::transport::ClientTlsConfig) {
        self.tls = true;
        self.channel = Channel::from_shared(self.endpoint())
            .expect("url")
            .tls_config(tls)
            .expect("a TLS configuration")
            .connect_lazy();
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    pub fn people(&self) -> PeopleServiceClient<AuthChannel> {
        PeopleServiceClient::with_interceptor(self.channel(), Bearer::default())
    }

    pub fn projects(&self) -> ProjectsServiceClient<AuthChannel> {
        ProjectsServiceClient::with_interceptor(self.channel(), Bearer::default())
    }

    pub fn assets(&self) -> AssetsServiceClient<AuthChannel> {
        AssetsServiceClient::with_interceptor(self.channel(), Bearer::default())
    }

    pub fn notifications(&self) -> NotificationsServiceClient<AuthChannel> {
        NotificationsServiceClient::with_interceptor(self.channel(), Bearer::default())
    }

    /// Shuts the server down gracefully and waits until it stopped.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.wait().await.expect("server stops cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A request made by `actor` (`people/{id}`), a producer of the agency (who may act on every
/// project without being on its team), with its own token.
pub fn as_actor<T>(actor: &str, message: T) -> tonic::Request<T> {
    as_person(actor, &[GlobalRole::Producer], message)
}

/// A request made by `person` (`people/{id}`) with a token asserting `roles`.
pub fn as_person<T>(person: &str, roles: &[GlobalRole], message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let bearer = format!("Bearer {}", token(person, roles));
    request.metadata_mut().insert("authorization", bearer.parse().expect("ascii token"));
    request
}

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// The field names of a status's `BadRequest` violations.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|br| br.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The `ErrorInfo.reason` of a status.
pub fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status.get_error_details().error_info().map(|info| info.reason.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reroutes_a_url() {
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(url_via("amqp://guest:guest@127.0.0.1:5672/%2f", addr), "amqp://guest:guest@127.0.0.1:9/%2f");
        assert_eq!(
            url_via("postgres://postgres@localhost:5432/db?x=1", addr),
            "postgres://postgres@127.0.0.1:9/db?x=1"
        );
    }

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(replace_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
        assert_eq!(replace_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
    }
}
