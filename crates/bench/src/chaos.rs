//! `chaos`: the four services as separate processes under a steady load of status changes whose
//! notifications are known, while the harness kills services with SIGKILL, restarts RabbitMQ and
//! restarts Postgres (fast and immediate). Then it checks, Jepsen-style, that no acknowledged
//! write and no notification was lost, none was duplicated, and nothing unexpected appeared.
//!
//! It restarts this machine's RabbitMQ and Postgres: run it alone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tonic::Code;

use baton_testkit::proxy::{FaultProxy, Mode};

use baton_proto::assets::v1::assets_service_client::AssetsServiceClient;
use baton_proto::assets::v1::*;

use crate::scenarios::{Settings, as_actor, asset, team};
use crate::target::Service::Assets;
use crate::target::Target;

/// How many faults of each kind.
#[derive(Debug, Clone)]
pub struct Plan {
    pub kills_per_service: usize,
    pub broker_restarts: usize,
    pub database_fast_restarts: usize,
    pub database_immediate_restarts: usize,
    /// Blackholes of the broker link, through `proxy`.
    pub blackholes: usize,
    pub proxy: Option<Arc<FaultProxy>>,
    /// Pause between two faults.
    pub gap: Duration,
}

/// What the run saw.
#[derive(Debug, Default)]
struct Tally {
    attempted: u64,
    acknowledged: u64,
    errors: BTreeMap<String, u64>,
    slowest_failure: Duration,
    per_asset_acked: Vec<u64>,
}

const TEAM: usize = 4;
const ASSETS: usize = 24;
const WORKERS: usize = 8;

pub async fn chaos(target: &Target, settings: &Settings, plan: &Plan) -> anyhow::Result<()> {
    anyhow::ensure!(target.processes() == 4, "chaos needs --split (one process per service)");
    let team = team(target, TEAM, settings.concurrency).await?;
    let mut names = Vec::new();
    for i in 0..ASSETS {
        names.push(asset(target.channel(Assets, i as u64), team.actor.clone(), team.project.clone(), i).await?);
    }
    let names = Arc::new(names);
    let tally = Arc::new(Mutex::new(Tally { per_asset_acked: vec![0; ASSETS], ..Tally::default() }));
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));

    // Steady load: each worker moves its own assets round the review cycle, one call at a time,
    // retrying a failed call with the same request id until it is acknowledged.
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (names, tally, stop, acked, actor) =
            (names.clone(), tally.clone(), stop.clone(), acked.clone(), team.actor.clone());
        let channels = target.pool(Assets);
        workers.push(tokio::spawn(async move {
            let mut steps = [0u64; ASSETS];
            let mut round = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let index = w + WORKERS * (round % (ASSETS / WORKERS));
                round += 1;
                let request_id = uuid::Uuid::new_v4().to_string();
                let give_up = Instant::now() + Duration::from_secs(90);
                loop {
                    let mut client = AssetsServiceClient::new(channels[index % channels.len()].clone());
                    let started = Instant::now();
                    let result = step(&mut client, &actor, &names[index], steps[index], &request_id).await;
                    let took = started.elapsed();
                    let done = {
                        let mut t = tally.lock().expect("lock");
                        t.attempted += 1;
                        match result {
                            Ok(()) => {
                                t.acknowledged += 1;
                                t.per_asset_acked[index] += 1;
                                acked.fetch_add(1, Ordering::Relaxed);
                                steps[index] += 1;
                                true
                            }
                            Err(status) => {
                                *t.errors.entry(format!("{:?}", status.code())).or_default() += 1;
                                t.slowest_failure = t.slowest_failure.max(took);
                                // Once the run is over, give up on a change the server refused
                                // outright; keep retrying one that may have been applied.
                                stop.load(Ordering::Relaxed)
                                    && !matches!(
                                        status.code(),
                                        Code::Unavailable | Code::Unknown | Code::Cancelled | Code::DeadlineExceeded
                                    )
                            }
                        }
                    };
                    if done || Instant::now() >= give_up {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }

    // The faults, one after the other, each followed by the time until writes are acknowledged again.
    let mut recoveries: Vec<(String, Duration)> = Vec::new();
    tokio::time::sleep(plan.gap).await;
    let mut faults: Vec<String> = Vec::new();
    for round in 0..plan.kills_per_service.max(plan.broker_restarts).max(plan.database_fast_restarts) {
        if round < plan.kills_per_service {
            for index in 0..target.processes() {
                faults.push(format!("kill:{index}"));
            }
        }
        if round < plan.broker_restarts {
            faults.push("broker".into());
        }
        if round < plan.database_fast_restarts {
            faults.push("database:fast".into());
        }
    }
    for _ in 0..plan.database_immediate_restarts {
        faults.push("database:immediate".into());
    }
    for _ in 0..plan.blackholes {
        faults.push("blackhole".into());
    }
    for fault in faults {
        let label = match fault.split_once(':') {
            Some(("kill", index)) => {
                let index: usize = index.parse()?;
                target.kill_and_restart(index, Duration::from_millis(500)).await?;
                format!("kill -9 {}", target.process_name(index))
            }
            Some(("database", mode)) => {
                restart_postgres(mode).await?;
                format!("Postgres restart ({mode})")
            }
            None if fault == "blackhole" => {
                // Bytes vanish both ways for four heartbeats: only missed heartbeats tell.
                let proxy = plan.proxy.as_ref().ok_or_else(|| anyhow::anyhow!("no proxy to blackhole"))?;
                proxy.set_mode(Mode::Blackhole);
                tokio::time::sleep(Duration::from_secs(8)).await;
                proxy.set_mode(Mode::Pass);
                "broker link blackholed for 8 s".to_string()
            }
            _ => {
                restart_rabbitmq().await?;
                "RabbitMQ restart".to_string()
            }
        };
        // Recovered: writes are acknowledged again, a notification newer than the fault exists
        // (events flow through the broker and the consumer), and the outbox holds nothing older
        // than a second (publishing resumed).
        let before = acked.load(Ordering::Relaxed);
        let since = Instant::now();
        let fault_end: Option<time::OffsetDateTime> =
            sqlx::query_scalar("SELECT now()").fetch_one(&target.db).await.ok();
        let mut recovered = false;
        while since.elapsed() < Duration::from_secs(60) {
            let writes = acked.load(Ordering::Relaxed) > before;
            let notified: bool = match fault_end {
                Some(at) => sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM notifications.notification WHERE create_time > $1)",
                )
                .bind(at)
                .fetch_one(&target.db)
                .await
                .unwrap_or(false),
                None => true,
            };
            let published: bool = sqlx::query_scalar(
                "SELECT coalesce(extract(epoch FROM now() - min(create_time)), 0) < 1 FROM assets.outbox",
            )
            .fetch_one(&target.db)
            .await
            .unwrap_or(false);
            if writes && notified && published {
                recovered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let took = since.elapsed();
        eprintln!(
            "{label}: recovered after {:.1} s{}",
            took.as_secs_f64(),
            if recovered { "" } else { " (not within 60 s)" }
        );
        recoveries.push((label, took));
        tokio::time::sleep(plan.gap).await;
    }
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.await;
    }

    // Quiescence: every applied change notified to the whole team, or the deadline.
    let db = &target.db;
    let applied_of = |name: &str| {
        let name = name.to_string();
        async move {
            let mut client = AssetsServiceClient::new(target.channel(Assets, 0));
            let asset = client.get_asset(GetAssetRequest { name }).await.ok()?.into_inner().asset?;
            asset.etag.parse::<u64>().ok().map(|revision| revision - 1)
        }
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut applied, mut notified) = (vec![0u64; ASSETS], vec![0u64; ASSETS]);
    loop {
        for (i, name) in names.iter().enumerate() {
            applied[i] = applied_of(name).await.unwrap_or(applied[i]);
            notified[i] = sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM notifications.notification \
                 WHERE subject = $1 AND kind = 'NOTIFICATION_KIND_ASSET_STATUS_CHANGED'",
            )
            .bind(name)
            .fetch_one(db)
            .await
            .map(|n| n as u64)
            .unwrap_or(notified[i]);
        }
        let settled = (0..ASSETS).all(|i| notified[i] >= applied[i] * TEAM as u64);
        if settled || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let duplicated: i64 =
        sqlx::query_scalar("SELECT count(*) - count(DISTINCT (event_id, recipient)) FROM notifications.notification")
            .fetch_one(db)
            .await?;

    let t = tally.lock().expect("lock");
    let lost_writes: u64 = (0..ASSETS).map(|i| t.per_asset_acked[i].saturating_sub(applied[i])).sum();
    let expected: u64 = applied.iter().map(|a| a * TEAM as u64).sum();
    let got: u64 = notified.iter().sum();
    let lost_notifications: u64 = (0..ASSETS).map(|i| (applied[i] * TEAM as u64).saturating_sub(notified[i])).sum();
    let unexpected: u64 = (0..ASSETS).map(|i| notified[i].saturating_sub(applied[i] * TEAM as u64)).sum();
    println!(
        "chaos: {} calls attempted, {} acknowledged; {} changes applied, {} notifications expected, {} present",
        t.attempted,
        t.acknowledged,
        applied.iter().sum::<u64>(),
        expected,
        got
    );
    println!("lost writes (acknowledged, not applied): {lost_writes}");
    println!("lost notifications: {lost_notifications}");
    println!("duplicated notifications: {duplicated}");
    println!("unexpected notifications: {unexpected}");
    println!("failed calls by code: {:?}; slowest failed call {:.2} s", t.errors, t.slowest_failure.as_secs_f64());
    for (label, took) in &recoveries {
        println!("recovery after {label}: {:.1} s", took.as_secs_f64());
    }
    let slowest_recovery = recoveries.iter().map(|(_, took)| *took).max().unwrap_or_default();
    let internal = t.errors.get("Internal").copied().unwrap_or(0);
    anyhow::ensure!(
        lost_writes == 0 && lost_notifications == 0 && duplicated == 0 && unexpected == 0,
        "chaos found lost or duplicated effects"
    );
    anyhow::ensure!(internal == 0, "{internal} calls failed with INTERNAL");
    anyhow::ensure!(t.slowest_failure <= Duration::from_secs(5), "a failed call took {:?}", t.slowest_failure);
    anyhow::ensure!(slowest_recovery <= Duration::from_secs(10), "a fault took {slowest_recovery:?} to recover from");
    println!("chaos: OK");
    Ok(())
}

async fn step(
    client: &mut AssetsServiceClient<crate::target::Channel>,
    actor: &str,
    name: &str,
    step: u64,
    request_id: &str,
) -> Result<(), tonic::Status> {
    let (name, request_id) = (name.to_string(), request_id.to_string());
    match step % 3 {
        0 => client
            .start_asset(timed(as_actor(actor, StartAssetRequest { name, request_id, ..Default::default() })))
            .await
            .map(drop),
        1 => client
            .submit_asset_for_review(timed(as_actor(
                actor,
                SubmitAssetForReviewRequest { name, request_id, ..Default::default() },
            )))
            .await
            .map(drop),
        _ => client
            .request_asset_changes(timed(as_actor(
                actor,
                RequestAssetChangesRequest { name, request_id, comment: "again".into(), ..Default::default() },
            )))
            .await
            .map(drop),
    }
}

/// Bounds a call, so that no call waits more than 10 s whatever fails.
fn timed<T>(mut request: tonic::Request<T>) -> tonic::Request<T> {
    request.set_timeout(Duration::from_secs(10));
    request
}

async fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = tokio::process::Command::new(program).args(args).status().await?;
    anyhow::ensure!(status.success(), "{program} {args:?} failed: {status}");
    Ok(())
}

async fn restart_rabbitmq() -> anyhow::Result<()> {
    run("rabbitmqctl", &["-q", "stop_app"]).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    run("rabbitmqctl", &["-q", "start_app"]).await
}

async fn restart_postgres(mode: &str) -> anyhow::Result<()> {
    let version = std::fs::read_dir("/etc/postgresql")?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .next()
        .ok_or_else(|| anyhow::anyhow!("no Postgres cluster under /etc/postgresql"))?;
    run("pg_ctlcluster", &["--skip-systemctl-redirect", &version, "main", "restart", "-m", mode]).await
}
