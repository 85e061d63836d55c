//! The system under test: a `baton-server` the benchmark starts on a fresh database and its own
//! broker names (and removes afterwards), or one already running (`--endpoint`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::process::{Child, Command};

/// A channel whose calls carry the test operator's token unless they carry their own.
pub type Channel = baton_testkit::AuthChannel;

/// Where the benchmark sends load.
pub struct Target {
    /// Where each service answers (the same URL four times for `--target all`).
    pub endpoints: Endpoints,
    /// Per service, one channel per HTTP/2 connection; calls spread over them.
    pools: [Vec<tonic::transport::Channel>; 4],
    /// The server's database, for measurements the API does not expose.
    pub db: PgPool,
    /// Server processes to report memory for.
    pub pids: Vec<(String, u32)>,
    owned: Option<Owned>,
}

/// A service of Baton: a target of `baton-server`. Its position in [`Service::ALL`] indexes
/// the per-service arrays here.
pub use baton_platform::Target as Service;

fn slot(service: Service) -> usize {
    Service::ALL.iter().position(|s| *s == service).unwrap_or_default()
}

/// The URL of each service.
#[derive(Debug, Clone)]
pub struct Endpoints([String; 4]);

impl Endpoints {
    pub fn of(&self, service: Service) -> &str {
        &self.0[slot(service)]
    }

    /// Whether one process answers for every service (`--target all`).
    fn shared(&self) -> bool {
        self.0.iter().all(|e| *e == self.0[0])
    }

    /// How the run is described in the report.
    pub fn describe(&self) -> String {
        if self.shared() {
            self.0[0].clone()
        } else {
            Service::ALL.iter().map(|s| format!("{s} {}", self.of(*s))).collect::<Vec<_>>().join(", ")
        }
    }
}

/// The services that consume events, each from its queue `{prefix}{name}.events`.
const CONSUMERS: [&str; 2] = ["notifications", "projects"];

/// How one server process is started: its arguments and its environment.
type ProcessSpec = (Vec<String>, Vec<(String, String)>);

struct Owned {
    server: PathBuf,
    /// Per process: its arguments and environment, to start it again after a kill.
    specs: Vec<ProcessSpec>,
    children: tokio::sync::Mutex<Vec<Child>>,
    admin_url: String,
    database: String,
    amqp_url: String,
    exchange: String,
    queue_prefix: String,
}

fn database_url(admin: &str, database: &str) -> String {
    let (base, query) = admin.split_once('?').map_or((admin, None), |(b, q)| (b, Some(q)));
    let base = &base[..base.rfind('/').filter(|i| *i > base.find("://").map_or(0, |s| s + 2)).unwrap_or(base.len())];
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

fn channels(endpoint: &str, connections: usize) -> anyhow::Result<Vec<tonic::transport::Channel>> {
    (0..connections.max(1))
        .map(|_| Ok(tonic::transport::Channel::from_shared(endpoint.to_string())?.tcp_nodelay(true).connect_lazy()))
        .collect()
}

/// `channel` with the operator's token on every call that carries none.
pub fn authorized(channel: tonic::transport::Channel) -> Channel {
    Channel::new(channel, baton_testkit::Bearer::default())
}

fn pools(endpoints: &Endpoints, connections: usize) -> anyhow::Result<[Vec<tonic::transport::Channel>; 4]> {
    let shared = if endpoints.shared() { Some(channels(&endpoints.0[0], connections)?) } else { None };
    let pool = |i: usize| match &shared {
        Some(shared) => Ok(shared.clone()),
        None => channels(&endpoints.0[i], connections),
    };
    Ok([pool(0)?, pool(1)?, pool(2)?, pool(3)?])
}

fn spawn(server: &PathBuf, args: &[String], envs: &[(String, String)]) -> anyhow::Result<Child> {
    Command::new(server)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", server.display()))
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

impl Target {
    /// Waits until the system is quiet — the earlier scenarios' events all through (every
    /// outbox and the consumers' queues empty, their inboxes no longer growing) — then vacuums
    /// the database and brings its planner statistics up to date, as autovacuum does
    /// within a minute on a running system (pgbench vacuums and analyzes before each run for the
    /// same reasons). A scenario measures seconds after its set-up wrote thousands of rows into
    /// tables that were empty, and the services' prepared statements would otherwise keep,
    /// through the whole run, the plans made for those empty tables (a keyed lookup planned as a
    /// scan of the whole table); and the rows earlier scenarios updated or deleted would still
    /// be read past, on a server whose autovacuum is off (this machine kind's is). It leaves
    /// emptied pages where they are: giving them back needs each table's exclusive lock, and a
    /// relay polling its outbox makes each attempt wait its full five seconds.
    ///
    /// Without the wait, a run was measured while the consumers still worked through the one
    /// before: `rpc`'s CreateAsset run leaves some 9 000 `AssetCreated` to apply, two seconds of
    /// work into ListAssets'.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let broker = match &self.owned {
            Some(owned) => {
                Some(lapin::Connection::connect(&owned.amqp_url, lapin::ConnectionProperties::default()).await?)
            }
            None => None,
        };
        let channel = match &broker {
            Some(connection) => Some(connection.create_channel().await?),
            None => None,
        };
        let started = tokio::time::Instant::now();
        let (_, first) = self.backlog(channel.as_ref()).await?;
        let mut applied = first;
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let (pending, now_applied) = self.backlog(channel.as_ref()).await?;
            if pending == 0 && now_applied == applied {
                if applied != first {
                    let waited = started.elapsed().as_secs_f64();
                    eprintln!("settled: {} events applied in the {waited:.1} s it waited", applied - first);
                }
                break;
            }
            if started.elapsed() >= Duration::from_secs(120) {
                eprintln!("warning: {pending} events still on their way after 120 s; measuring anyway");
                break;
            }
            applied = now_applied;
        }
        if let Some(connection) = broker {
            let _ = connection.close(200, "settled".into()).await;
        }
        sqlx::query("VACUUM (ANALYZE, TRUNCATE false)").execute(&self.db).await?;
        Ok(())
    }

    /// Events not yet applied by every consumer (in outboxes, and ready in the consumers'
    /// queues when `channel` reaches the broker of a server the benchmark started), and how many
    /// events the consumers have applied: a change of the second means some were in flight.
    async fn backlog(&self, channel: Option<&lapin::Channel>) -> anyhow::Result<(i64, i64)> {
        let count = |table: &str| format!("coalesce((SELECT count(*) FROM {table}), 0)");
        let (outboxed, applied): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} + {} + {}, {} + {}",
            count("assets.outbox"),
            count("projects.outbox"),
            count("people.outbox"),
            count("projects.inbox"),
            count("notifications.inbox"),
        )))
        .fetch_one(&self.db)
        .await?;
        let mut queued = 0;
        if let (Some(owned), Some(channel)) = (&self.owned, channel) {
            for consumer in CONSUMERS {
                let name = format!("{}{consumer}.events", owned.queue_prefix);
                let passive = QueueDeclareOptions { passive: true, ..Default::default() };
                if let Ok(queue) = channel.queue_declare(name.as_str().into(), passive, Default::default()).await {
                    queued += i64::from(queue.message_count());
                }
            }
        }
        Ok((outboxed + queued, applied))
    }

    /// Starts `server` on a fresh database next to `admin_url`: one process running every
    /// target, or with `split` one process per target, each told where the others are.
    pub async fn start(
        server: PathBuf,
        admin_url: &str,
        amqp_url: &str,
        connections: usize,
        split: bool,
        overrides: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
        let database = format!("baton_bench_{id}");
        let mut admin = PgConnection::connect(admin_url).await.context("connecting to Postgres")?;
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).await?;
        admin.close().await.ok();
        let url = database_url(admin_url, &database);
        let exchange = format!("baton.bench.{id}");
        let queue_prefix = format!("bench.{id}.");
        // One process per service, or one (`None`) running all of them.
        let (targets, addrs): (Vec<Option<Service>>, Vec<SocketAddr>) = if split {
            let addrs = Service::ALL.iter().map(|_| free_addr()).collect::<anyhow::Result<Vec<_>>>()?;
            (Service::ALL.map(Some).to_vec(), addrs)
        } else {
            (vec![None], vec![free_addr()?])
        };
        let url_of = |addr: &SocketAddr| format!("http://{addr}");
        let endpoints = if split {
            Endpoints([url_of(&addrs[0]), url_of(&addrs[1]), url_of(&addrs[2]), url_of(&addrs[3])])
        } else {
            Endpoints([url_of(&addrs[0]), url_of(&addrs[0]), url_of(&addrs[0]), url_of(&addrs[0])])
        };
        let mut children = Vec::new();
        let mut pids = Vec::new();
        let mut specs = Vec::new();
        for (target, addr) in targets.iter().zip(&addrs) {
            let target = target.map_or("all", Service::as_str);
            let args = vec!["--target".to_string(), target.to_string(), "--listen".to_string(), addr.to_string()];
            let mut envs = vec![
                ("DATABASE_URL".to_string(), url.clone()),
                ("AMQP_URL".to_string(), amqp_url.to_string()),
                ("BATON_AMQP__EXCHANGE".to_string(), exchange.clone()),
                ("BATON_AMQP__QUEUE_PREFIX".to_string(), queue_prefix.clone()),
                ("BATON_AMQP__RECONNECT_MAX_BACKOFF_MS".to_string(), "1000".to_string()),
                ("BATON_METRICS_LISTEN".to_string(), "127.0.0.1:0".to_string()),
                ("RUST_LOG".to_string(), std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into())),
                // Development mode besides the test JWKS: calls carry ES256 tokens of the test
                // issuer, and `rpc` compares GetProject with a development `x-baton-actor`
                // (no token to check) in the same run.
                ("BATON_AUTH__DEVELOPMENT".to_string(), "true".to_string()),
            ];
            envs.extend(baton_testkit::server_env());
            if split {
                for service in Service::ALL {
                    let variable = format!("BATON_ENDPOINTS__{}", service.as_str().to_uppercase());
                    envs.push((variable, endpoints.of(service).to_string()));
                }
            }
            // Later entries win: the caller's overrides come last.
            envs.extend(overrides.iter().cloned());
            let child = spawn(&server, &args, &envs)?;
            pids.push((format!("baton-server --target {target}"), child.id().unwrap_or(0)));
            children.push(child);
            specs.push((args, envs));
        }
        let target = Self {
            pools: pools(&endpoints, connections)?,
            endpoints,
            db: PgPoolOptions::new().max_connections(4).connect(&url).await?,
            pids,
            owned: Some(Owned {
                server: server.clone(),
                specs,
                children: tokio::sync::Mutex::new(children),
                admin_url: admin_url.to_string(),
                database,
                amqp_url: amqp_url.to_string(),
                exchange,
                queue_prefix,
            }),
        };
        target.wait_serving().await?;
        Ok(target)
    }

    /// A server that runs already, with its database and, optionally, its process ids.
    pub async fn attach(
        endpoint: &str,
        database_url: &str,
        pids: Vec<(String, u32)>,
        connections: usize,
    ) -> anyhow::Result<Self> {
        let endpoints =
            Endpoints([endpoint.to_string(), endpoint.to_string(), endpoint.to_string(), endpoint.to_string()]);
        Ok(Self {
            pools: pools(&endpoints, connections)?,
            endpoints,
            db: PgPoolOptions::new().max_connections(4).connect(database_url).await?,
            pids,
            owned: None,
        })
    }

    /// Waits until every service answers a read.
    async fn wait_serving(&self) -> anyhow::Result<()> {
        use baton_proto::assets::v1::ListAssetsRequest;
        use baton_proto::assets::v1::assets_service_client::AssetsServiceClient;
        use baton_proto::notifications::v1::ListNotificationsRequest;
        use baton_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
        use baton_proto::people::v1::ListPeopleRequest;
        use baton_proto::people::v1::people_service_client::PeopleServiceClient;
        use baton_proto::projects::v1::ListProjectsRequest;
        use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;
        let nobody = format!("people/{}", uuid::Uuid::nil());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::time::Instant::now() < deadline {
            let people = PeopleServiceClient::new(self.channel(Service::People, 0))
                .list_people(ListPeopleRequest::default())
                .await;
            let projects = ProjectsServiceClient::new(self.channel(Service::Projects, 0))
                .list_projects(ListProjectsRequest::default())
                .await;
            let assets = AssetsServiceClient::new(self.channel(Service::Assets, 0))
                .list_assets(ListAssetsRequest {
                    parent: format!("projects/{}", uuid::Uuid::nil()),
                    ..Default::default()
                })
                .await;
            let notifications = NotificationsServiceClient::new(self.channel(Service::Notifications, 0))
                .list_notifications(crate::scenarios::as_actor(
                    &nobody,
                    ListNotificationsRequest { recipient: nobody.clone(), ..Default::default() },
                ))
                .await;
            if people.is_ok() && projects.is_ok() && assets.is_ok() && notifications.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server ({}) did not start serving within 60 s", self.endpoints.describe())
    }

    /// A channel to `service`, the `i`-th of its connections (round robin).
    pub fn channel(&self, service: Service, i: u64) -> Channel {
        let pool = &self.pools[slot(service)];
        authorized(pool[(i as usize) % pool.len()].clone())
    }

    /// All the channels to `service`, for closures that pick one per call.
    pub fn pool(&self, service: Service) -> Vec<Channel> {
        self.pools[slot(service)].iter().cloned().map(authorized).collect()
    }

    /// The channels to `service` without a token, for calls that bring their own credentials.
    pub fn bare_pool(&self, service: Service) -> Vec<tonic::transport::Channel> {
        self.pools[slot(service)].clone()
    }

    /// The number of server processes the benchmark started.
    pub fn processes(&self) -> usize {
        self.owned.as_ref().map_or(0, |o| o.specs.len())
    }

    /// The target name of process `index`.
    pub fn process_name(&self, index: usize) -> String {
        self.owned.as_ref().and_then(|o| o.specs.get(index)).map(|(args, _)| args[1].clone()).unwrap_or_default()
    }

    /// Stops (`STOP`) or continues (`CONT`) the processes that serve `services`, when the
    /// benchmark started one per target; whether any was signalled (none under `--target all`,
    /// where every service shares one process).
    pub async fn signal(&self, services: &[Service], signal: &str) -> anyhow::Result<bool> {
        let Some(owned) = &self.owned else { return Ok(false) };
        let children = owned.children.lock().await;
        let mut signalled = false;
        for ((args, _), child) in owned.specs.iter().zip(children.iter()) {
            if !services.iter().any(|s| s.as_str() == args[1]) {
                continue;
            }
            let pid = child.id().ok_or_else(|| anyhow::anyhow!("{} has exited", args[1]))?;
            let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().await?;
            anyhow::ensure!(status.success(), "kill -{signal} {pid} ({}) failed: {status}", args[1]);
            signalled = true;
        }
        Ok(signalled)
    }

    /// Kills process `index` with SIGKILL and starts it again after `down`.
    pub async fn kill_and_restart(&self, index: usize, down: Duration) -> anyhow::Result<()> {
        let owned = self.owned.as_ref().ok_or_else(|| anyhow::anyhow!("the benchmark did not start this server"))?;
        let mut children = owned.children.lock().await;
        children[index].start_kill()?;
        children[index].wait().await?;
        tokio::time::sleep(down).await;
        let (args, envs) = &owned.specs[index];
        children[index] = spawn(&owned.server, args, envs)?;
        Ok(())
    }

    /// Stops a server the benchmark started and removes its database and broker names.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.db.close().await;
        let Some(owned) = self.owned else { return Ok(()) };
        let mut children = owned.children.into_inner();
        for child in &mut children {
            if let Some(pid) = child.id() {
                let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
            }
        }
        for child in &mut children {
            let _ = tokio::time::timeout(Duration::from_secs(15), child.wait()).await;
            let _ = child.start_kill();
        }
        let mut admin = PgConnection::connect(&owned.admin_url).await?;
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", owned.database))).await?;
        let connection = lapin::Connection::connect(&owned.amqp_url, lapin::ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        for consumer in CONSUMERS {
            for queue in [format!("{consumer}.events"), format!("{consumer}.events.dlq")] {
                let name = format!("{}{queue}", owned.queue_prefix);
                let _ = channel.queue_delete(name.as_str().into(), QueueDeleteOptions::default()).await;
            }
        }
        for exchange in [owned.exchange.clone(), format!("{}.dlx", owned.exchange)] {
            let _ = channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await;
        }
        let _ = connection.close(200, "done".into()).await;
        Ok(())
    }
}
