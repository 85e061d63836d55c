//! The system under test: a `baton-server` the benchmark starts on a fresh database and its own
//! broker names (and removes afterwards), or one already running (`--endpoint`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::process::{Child, Command};
use tonic::transport::Channel;

/// Where the benchmark sends load.
pub struct Target {
    pub endpoint: String,
    /// One channel per HTTP/2 connection; calls spread over them.
    pub channels: Vec<Channel>,
    /// The server's database, for measurements the API does not expose.
    pub db: PgPool,
    /// Server processes to report memory for.
    pub pids: Vec<(String, u32)>,
    owned: Option<Owned>,
}

struct Owned {
    child: Child,
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

fn channels(endpoint: &str, connections: usize) -> anyhow::Result<Vec<Channel>> {
    (0..connections.max(1))
        .map(|_| Ok(Channel::from_shared(endpoint.to_string())?.tcp_nodelay(true).connect_lazy()))
        .collect()
}

impl Target {
    /// Starts `server` (`baton-server --target all`) on a fresh database next to `admin_url`.
    pub async fn start(server: PathBuf, admin_url: &str, amqp_url: &str, connections: usize) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_string();
        let database = format!("baton_bench_{id}");
        let mut admin = PgConnection::connect(admin_url).await.context("connecting to Postgres")?;
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}"))).await?;
        admin.close().await.ok();
        let url = database_url(admin_url, &database);
        let addr = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.local_addr()?
        };
        let exchange = format!("baton.bench.{id}");
        let queue_prefix = format!("bench.{id}.");
        let child = Command::new(&server)
            .args(["--target", "all", "--listen", &addr.to_string()])
            .env("DATABASE_URL", &url)
            .env("AMQP_URL", amqp_url)
            .env("BATON_AMQP__EXCHANGE", &exchange)
            .env("BATON_AMQP__QUEUE_PREFIX", &queue_prefix)
            .env("BATON_METRICS_LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        let pid = child.id().unwrap_or(0);
        let endpoint = format!("http://{addr}");
        let target = Self {
            endpoint: endpoint.clone(),
            channels: channels(&endpoint, connections)?,
            db: PgPoolOptions::new().max_connections(4).connect(&url).await?,
            pids: vec![("baton-server --target all".into(), pid)],
            owned: Some(Owned {
                child,
                admin_url: admin_url.to_string(),
                database,
                amqp_url: amqp_url.to_string(),
                exchange,
                queue_prefix,
            }),
        };
        target.wait_serving(addr).await?;
        Ok(target)
    }

    /// A server that runs already, with its database and, optionally, its process ids.
    pub async fn attach(
        endpoint: &str,
        database_url: &str,
        pids: Vec<(String, u32)>,
        connections: usize,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            endpoint: endpoint.to_string(),
            channels: channels(endpoint, connections)?,
            db: PgPoolOptions::new().max_connections(4).connect(database_url).await?,
            pids,
            owned: None,
        })
    }

    async fn wait_serving(&self, addr: SocketAddr) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::time::Instant::now() < deadline {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                let mut people =
                    baton_proto::people::v1::people_service_client::PeopleServiceClient::new(self.channel(0));
                if people.list_people(baton_proto::people::v1::ListPeopleRequest::default()).await.is_ok() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server at {addr} did not start serving within 60 s")
    }

    pub fn channel(&self, i: u64) -> Channel {
        self.channels[(i as usize) % self.channels.len()].clone()
    }

    /// Stops a server the benchmark started and removes its database and broker names.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.db.close().await;
        let Some(mut owned) = self.owned else { return Ok(()) };
        if let Some(pid) = owned.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(15), owned.child.wait()).await;
        let _ = owned.child.start_kill();
        let mut admin = PgConnection::connect(&owned.admin_url).await?;
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", owned.database))).await?;
        let connection = lapin::Connection::connect(&owned.amqp_url, lapin::ConnectionProperties::default()).await?;
        let channel = connection.create_channel().await?;
        for queue in ["notifications.events", "notifications.events.dlq"] {
            let name = format!("{}{queue}", owned.queue_prefix);
            let _ = channel.queue_delete(name.as_str().into(), QueueDeleteOptions::default()).await;
        }
        for exchange in [owned.exchange.clone(), format!("{}.dlx", owned.exchange)] {
            let _ = channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await;
        }
        let _ = connection.close(200, "done".into()).await;
        Ok(())
    }
}
