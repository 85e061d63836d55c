//! `baton-bench`: load generator and benchmark of Baton, loopback only, bounded in count and
//! time. Each scenario prints a table (and `--json FILE` writes it): achieved rate, latency
//! percentiles, errors by gRPC code, the generator's own CPU and each server's peak memory.
//!
//! ```text
//! cargo build --release -p baton-server -p baton-bench
//! target/release/baton-bench all --json bench.json
//! ```

mod chaos;
mod load;
mod scenarios;
mod stats;
mod target;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use scenarios::Settings;
use stats::{Report, Row};
use target::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// GetProject, CreateAsset and ListAssets: maximum rate and latency at a fixed rate.
    Rpc,
    /// Status changes through outbox, broker and consumer to the inbox and a watch stream.
    Pipeline,
    /// One change to teams of N members.
    Fanout,
    /// GetProjectHealth of a project of many components.
    Health,
    /// ListComments on a component with many comments; review decisions.
    Components,
    /// The raw limits of Postgres and RabbitMQ on this machine.
    Baseline,
    /// Every scenario, baseline first, with ratios to the raw limits.
    All,
    /// Fault injection under load (needs --split; restarts this machine's RabbitMQ and Postgres).
    Chaos,
    /// 1 000 instant emails, from one change, to an SMTP server the benchmark runs on loopback.
    Email,
    /// 5 000 webhook deliveries, from five changes to a team of 1 000 with a webhook each, to an
    /// HTTP endpoint the benchmark runs on loopback.
    Webhooks,
}

#[derive(Debug, Parser)]
#[command(name = "baton-bench", version, about = "Benchmarks of Baton on this machine (loopback only).")]
struct Args {
    #[arg(value_enum)]
    scenario: Scenario,
    /// Benchmark a running server instead of starting one (needs --database-url of its database).
    #[arg(long)]
    endpoint: Option<String>,
    /// The database of the server given by --endpoint.
    #[arg(long)]
    database_url: Option<String>,
    /// Group bursts of one person's notifications of a kind that come less than this apart
    /// (the server's default is 10 000); 0, the default here, keeps one notification per event
    /// and person, which the scenarios count.
    #[arg(long, default_value_t = 0)]
    group_window_ms: u64,
    /// Process ids of the servers given by --endpoint, as NAME=PID, for their peak memory.
    #[arg(long = "server-pid", value_name = "NAME=PID")]
    server_pids: Vec<String>,
    /// The baton-server binary to start (default: next to this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// The Postgres server to create the benchmark database on. Without an `sslmode` in it, the
    /// benchmark and the server it starts connect over plain TCP (`sslmode=disable`).
    #[arg(long, env = "DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    admin_database_url: String,
    #[arg(long, env = "AMQP_URL", default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    amqp_url: String,
    /// Seconds each measured run lasts.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Start one server process per target (each told where the others are) instead of one
    /// running them all; memory is then reported per service.
    #[arg(long)]
    split: bool,
    /// Workers of closed-loop runs (the same for the baseline).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// HTTP/2 connections the load is spread over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// The fixed rate of the GetProject latency run.
    #[arg(long, default_value_t = 2000.0)]
    get_rate: f64,
    /// The fixed rate of the pipeline latency run, in status changes per second.
    #[arg(long, default_value_t = 500.0)]
    pipeline_rate: f64,
    /// Projects the pipeline's changes spread over (the same team on each).
    #[arg(long, default_value_t = 16)]
    pipeline_projects: usize,
    /// Components of the health scenario's project.
    #[arg(long, default_value_t = 500)]
    health_components: usize,
    /// The fixed rate of the GetProjectHealth latency run.
    #[arg(long, default_value_t = 200.0)]
    health_rate: f64,
    /// Comments on the component of the components scenario.
    #[arg(long, default_value_t = 10_000)]
    comments: usize,
    /// The fixed rate of the components scenario's latency runs.
    #[arg(long, default_value_t = 200.0)]
    components_rate: f64,
    /// Team sizes of the fan-out scenario.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000,10000")]
    fanout_sizes: Vec<usize>,
    /// Chaos: SIGKILLs of each service.
    #[arg(long, default_value_t = 3)]
    kills: usize,
    /// Chaos: RabbitMQ restarts.
    #[arg(long, default_value_t = 2)]
    broker_restarts: usize,
    /// Chaos: fast Postgres restarts.
    #[arg(long, default_value_t = 2)]
    database_fast_restarts: usize,
    /// Chaos: immediate Postgres restarts.
    #[arg(long, default_value_t = 1)]
    database_immediate_restarts: usize,
    /// Chaos: times the broker link is blackholed (services reach RabbitMQ through a proxy).
    #[arg(long, default_value_t = 1)]
    blackholes: usize,
    /// Chaos: seconds between two faults.
    #[arg(long, default_value_t = 5)]
    fault_gap: u64,
    /// Write the report as JSON to this file too.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings {
        duration: Duration::from_secs(args.duration.clamp(1, 600)),
        concurrency: args.concurrency.clamp(1, 1024),
        fixed_rate_get: args.get_rate,
        pipeline_rate: args.pipeline_rate,
        pipeline_projects: args.pipeline_projects,
        fanout_sizes: args.fanout_sizes.clone(),
        health_components: args.health_components.clamp(1, 10_000),
        health_rate: args.health_rate,
        comments: args.comments.clamp(1, 100_000),
        components_rate: args.components_rate,
    };
    // In a chaos run the services reach RabbitMQ through a proxy the harness controls, so that it
    // can blackhole the link (no firewall rule is touched), with a short heartbeat to notice.
    let proxy = if args.scenario == Scenario::Chaos && args.blackholes > 0 {
        Some(baton_testkit::proxy::FaultProxy::start(baton_testkit::url_addr(&args.amqp_url).await).await)
    } else {
        None
    };
    let mut overrides: Vec<(String, String)> = match &proxy {
        Some(proxy) => vec![
            ("AMQP_URL".into(), baton_testkit::url_via(&args.amqp_url, proxy.addr())),
            ("BATON_AMQP__HEARTBEAT_SECS".into(), "2".into()),
        ],
        None => Vec::new(),
    };
    if args.group_window_ms > 0 {
        overrides.push(("BATON_NOTIFICATIONS__GROUP_WINDOW_MS".into(), args.group_window_ms.to_string()));
    }
    // Only the email scenario mails: the others keep the figures they always had.
    let sink = if args.scenario == Scenario::Email {
        let sink = baton_testkit::smtp::SmtpSink::start().await;
        overrides.extend([
            ("BATON_SMTP__HOST".to_string(), "127.0.0.1".to_string()),
            ("BATON_SMTP__PORT".to_string(), sink.port().to_string()),
            ("BATON_SMTP__SECURITY".to_string(), "none".to_string()),
            ("BATON_SMTP__POLL_INTERVAL_MS".to_string(), "50".to_string()),
        ]);
        Some(sink)
    } else {
        None
    };
    // Only the webhooks scenario posts.
    let receiver = if args.scenario == Scenario::Webhooks {
        let receiver = baton_testkit::hooks::HookReceiver::start().await;
        overrides.extend([
            ("BATON_WEBHOOKS__SECRET_KEY".to_string(), baton_testkit::WEBHOOK_KEY.to_string()),
            ("BATON_WEBHOOKS__ALLOW_PRIVATE_ENDPOINTS".to_string(), "true".to_string()),
            ("BATON_WEBHOOKS__POLL_INTERVAL_MS".to_string(), "50".to_string()),
        ]);
        Some(receiver)
    } else {
        None
    };
    let target = match &args.endpoint {
        Some(endpoint) => {
            let url = args.database_url.as_deref().ok_or_else(|| anyhow::anyhow!("--endpoint needs --database-url"))?;
            let pids = args
                .server_pids
                .iter()
                .filter_map(|s| s.split_once('=').and_then(|(n, p)| Some((n.to_string(), p.parse().ok()?))))
                .collect();
            Target::attach(endpoint, url, pids, args.connections).await?
        }
        None => {
            let server = match &args.server_bin {
                Some(path) => path.clone(),
                None => std::env::current_exe()?.with_file_name("baton-server"),
            };
            let admin = plain_unless_asked(&args.admin_database_url);
            Target::start(server, &admin, &args.amqp_url, args.connections, args.split, &overrides).await?
        }
    };
    eprintln!("benchmarking {} for {:?} per run", target.endpoints.describe(), settings.duration);

    if args.scenario == Scenario::Chaos {
        let plan = chaos::Plan {
            kills_per_service: args.kills,
            broker_restarts: args.broker_restarts,
            database_fast_restarts: args.database_fast_restarts,
            database_immediate_restarts: args.database_immediate_restarts,
            blackholes: if proxy.is_some() { args.blackholes } else { 0 },
            proxy,
            gap: Duration::from_secs(args.fault_gap),
        };
        let result = chaos::chaos(&target, &settings, &plan).await;
        target.stop().await?;
        return result;
    }
    let cpu_start = stats::cpu_seconds();
    let wall_start = std::time::Instant::now();
    let result = scenarios(&args, &target, &settings, sink.as_ref(), receiver.as_ref()).await;
    let mut report = Report {
        rows: Vec::new(),
        generator_cpu_cores: (stats::cpu_seconds() - cpu_start) / wall_start.elapsed().as_secs_f64(),
        generator_peak_rss_mib: stats::peak_rss_mib(std::process::id()).unwrap_or(0.0),
        server_peak_rss_mib: target
            .pids
            .iter()
            .filter_map(|(name, pid)| Some((name.clone(), stats::peak_rss_mib(*pid)?)))
            .collect(),
    };
    target.stop().await?;
    report.rows = result?;
    add_ratios(&mut report.rows);
    report.print();
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

async fn scenarios(
    args: &Args,
    target: &Target,
    settings: &Settings,
    sink: Option<&baton_testkit::smtp::SmtpSink>,
    receiver: Option<&baton_testkit::hooks::HookReceiver>,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    if let Some(sink) = sink {
        rows.extend(scenarios::email(target, settings, sink).await?);
    }
    if let Some(receiver) = receiver {
        rows.extend(scenarios::webhooks(target, settings, receiver).await?);
    }
    let wants = |s: Scenario| args.scenario == s || args.scenario == Scenario::All;
    if wants(Scenario::Baseline) {
        rows.extend(scenarios::baseline(target, &args.amqp_url, settings).await?);
    }
    if wants(Scenario::Rpc) {
        rows.extend(scenarios::rpc(target, settings).await?);
    }
    if wants(Scenario::Pipeline) {
        rows.extend(scenarios::pipeline(target, settings).await?);
    }
    if wants(Scenario::Fanout) {
        rows.extend(scenarios::fanout(target, settings).await?);
    }
    if wants(Scenario::Health) {
        rows.extend(scenarios::health(target, settings).await?);
    }
    if wants(Scenario::Components) {
        rows.extend(scenarios::components(target, settings).await?);
    }
    Ok(rows)
}

/// Each figure as a share of the raw limit it stands on, when the baseline ran too.
fn add_ratios(rows: &mut [Row]) {
    let raw = |rows: &[Row], prefix: &str| rows.iter().find(|r| r.figure.starts_with(prefix)).map(|r| r.achieved_rate);
    let insert = raw(rows, "Postgres two-row insert");
    let select = raw(rows, "Postgres single-row indexed select");
    let broker = raw(rows, "RabbitMQ persistent");
    for row in rows.iter_mut() {
        let base = match (row.scenario.as_str(), row.figure.as_str()) {
            ("rpc", f) if f.starts_with("GetProject") || f.starts_with("ListAssets") => select,
            ("rpc", f) if f.starts_with("CreateAsset") => insert,
            ("pipeline", f) if f.contains("maximum") || f.contains("sustained") => broker,
            // Fan-out notifications are rows: compare with raw rows inserted per second.
            ("fanout", f) if f.contains("committed") => insert.map(|r| r * 2.0),
            _ => None,
        };
        row.ratio_to_raw = base.filter(|b| *b > 0.0).map(|b| row.achieved_rate / b);
    }
}

/// `url` with `sslmode=disable` unless it names a mode. The benchmark measures Postgres as
/// docker-compose runs it, over plain TCP; a server with `ssl = on` (Debian's clusters) would
/// otherwise negotiate TLS on every connection (libpq's and sqlx's `prefer`), the raw figures'
/// included, which on loopback costs both sides CPU for no protection.
fn plain_unless_asked(url: &str) -> String {
    if url.contains("sslmode=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

#[cfg(test)]
mod tests {
    use super::plain_unless_asked;

    #[test]
    fn postgres_is_plain_unless_the_url_asks_for_a_mode() {
        let local = "postgres://postgres@127.0.0.1:5432/postgres";
        assert_eq!(plain_unless_asked(local), format!("{local}?sslmode=disable"));
        assert_eq!(plain_unless_asked(&format!("{local}?user=x")), format!("{local}?user=x&sslmode=disable"));
        let asked = format!("{local}?sslmode=require");
        assert_eq!(plain_unless_asked(&asked), asked);
    }
}
