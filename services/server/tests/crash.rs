//! The real `baton-server` binary, killed with SIGKILL in the middle of a workload and started
//! again: no accepted write is lost and no notification is created twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tonic::Code;

use baton_proto::assets::v1::*;
use baton_proto::notifications::v1::{ListNotificationsRequest, NotificationKind};
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{TestEnv, TestServer, as_actor, eventually};
use baton_tests::{add_member, asset, person, project};

const ASSETS: usize = 8;

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

fn start(env: &TestEnv, addr: SocketAddr) -> Child {
    Command::new(env!("CARGO_BIN_EXE_baton-server"))
        .args(["--target", "all", "--listen", &addr.to_string()])
        .env("DATABASE_URL", &env.config.database_url)
        .env("AMQP_URL", &env.config.amqp_url)
        .env("BATON_AMQP__EXCHANGE", &env.config.amqp.exchange)
        .env("BATON_AMQP__QUEUE_PREFIX", &env.config.amqp.queue_prefix)
        .env("BATON_AMQP__RECONNECT_MAX_BACKOFF_MS", "500")
        .env("BATON_METRICS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .envs(baton_testkit::server_env())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn baton-server")
}

async fn wait_serving(server: &TestServer) {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;
    eventually("the server to serve", Duration::from_secs(30), || async {
        let response = HealthClient::new(server.channel()).check(HealthCheckRequest::default()).await.ok()?;
        (response.into_inner().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
            .then_some(())
    })
    .await;
}

/// Retries one workflow step with the same request id until the server accepts it; a step whose
/// first attempt committed before the crash is answered from the idempotency record.
async fn step(server: &TestServer, actor: &str, transition: &str, name: &str, request_id: &str, acked: &AtomicUsize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut assets = server.assets();
        let (owned_name, request_id) = (name.to_string(), request_id.to_string());
        let name = owned_name;
        let result = match transition {
            "start" => assets
                .start_asset(as_actor(actor, StartAssetRequest { name, request_id, ..Default::default() }))
                .await
                .map(drop),
            "submit" => assets
                .submit_asset_for_review(as_actor(
                    actor,
                    SubmitAssetForReviewRequest { name, request_id, ..Default::default() },
                ))
                .await
                .map(drop),
            "changes" => assets
                .request_asset_changes(as_actor(
                    actor,
                    RequestAssetChangesRequest {
                        name,
                        request_id,
                        comment: "More contrast".into(),
                        ..Default::default()
                    },
                ))
                .await
                .map(drop),
            "approve" => assets
                .approve_asset(as_actor(actor, ApproveAssetRequest { name, request_id, ..Default::default() }))
                .await
                .map(drop),
            "deliver" => assets
                .deliver_asset(as_actor(actor, DeliverAssetRequest { name, request_id, ..Default::default() }))
                .await
                .map(drop),
            other => panic!("unknown step {other}"),
        };
        match result {
            Ok(()) => {
                acked.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Err(status)
                if matches!(status.code(), Code::Unavailable | Code::Unknown | Code::Cancelled | Code::Internal) =>
            {
                assert!(Instant::now() < deadline, "step {transition} never succeeded: {status:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("step {transition} failed: {status:?}"),
        }
    }
}

#[tokio::test]
async fn sigkill_mid_workload_loses_nothing_and_duplicates_nothing() {
    let env = TestEnv::new().await;
    let addr = free_port();
    let mut child = start(&env, addr);
    let server = Arc::new(TestServer::remote(addr));
    wait_serving(&server).await;

    let producer = person(&server, "Paula Producer", PersonRole::Producer).await;
    let animator = person(&server, "Ari Animator", PersonRole::Animator).await;
    let designer = person(&server, "Dan Designer", PersonRole::Designer).await;
    let project = project(&server, &producer, "Relaunch").await;
    for (member, role) in [
        (&producer, ProjectMemberRole::Producer),
        (&animator, ProjectMemberRole::Contributor),
        (&designer, ProjectMemberRole::Contributor),
    ] {
        add_member(&server, &producer, &project, member, role).await;
    }
    let mut names = Vec::new();
    for i in 0..ASSETS {
        names.push(asset(&server, &producer, &project, &format!("Banner {i}"), &[&animator]).await.name);
    }
    // Make sure the team projection is in place before the workload starts.
    eventually("the designer to be told they joined", Duration::from_secs(30), || {
        let server = server.clone();
        let designer = designer.clone();
        async move {
            let list = server
                .notifications()
                .list_notifications(as_actor(
                    &designer.clone(),
                    ListNotificationsRequest { recipient: designer, ..Default::default() },
                ))
                .await
                .ok()?
                .into_inner();
            (!list.notifications.is_empty()).then_some(())
        }
    })
    .await;

    let steps = [
        ("start", &animator),
        ("submit", &animator),
        ("changes", &producer),
        ("start", &animator),
        ("submit", &animator),
        ("approve", &producer),
        ("deliver", &producer),
    ];
    let acked = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for name in names.clone() {
        let server = server.clone();
        let acked = acked.clone();
        let steps: Vec<(&'static str, String)> = steps.iter().map(|(s, who)| (*s, (*who).clone())).collect();
        workers.push(tokio::spawn(async move {
            for (transition, actor) in steps {
                let request_id = uuid::Uuid::new_v4().to_string();
                step(&server, &actor, transition, &name, &request_id, &acked).await;
            }
        }));
    }

    // Kill the server once a third of the workload is acknowledged, then start it again. The
    // count is watched closely: the whole workload takes well under a second.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while acked.load(Ordering::SeqCst) < ASSETS * steps.len() / 3 {
        assert!(tokio::time::Instant::now() < deadline, "a third of the steps within 30 s");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("killed");
    let acked_at_kill = acked.load(Ordering::SeqCst);
    assert!(acked_at_kill < ASSETS * steps.len(), "the kill landed in the middle of the workload");
    eprintln!("killed after {acked_at_kill} of {} acknowledged steps", ASSETS * steps.len());
    let mut child = start(&env, addr);
    for worker in workers {
        worker.await.expect("worker");
    }

    // Nothing lost: every asset reached DELIVERED.
    for name in &names {
        let asset = server.assets().get_asset(GetAssetRequest { name: name.clone() }).await.expect("get").into_inner();
        assert_eq!(asset.asset.expect("asset").status, AssetStatus::Delivered as i32, "{name}");
    }
    // Nothing duplicated: the designer (who never acts) hears of every change exactly once, and
    // the others of each change they did not make.
    let changes = ASSETS * steps.len();
    let expected: HashMap<&String, usize> =
        [(&designer, changes), (&animator, ASSETS * 3), (&producer, ASSETS * 4)].into_iter().collect();
    eventually("every change to be notified", Duration::from_secs(60), || {
        let server = server.clone();
        let expected = expected.clone();
        async move {
            for (person, want) in expected {
                let list = server
                    .notifications()
                    .list_notifications(as_actor(
                        person,
                        ListNotificationsRequest { recipient: person.clone(), page_size: 1000, ..Default::default() },
                    ))
                    .await
                    .ok()?
                    .into_inner();
                let got =
                    list.notifications.iter().filter(|n| n.kind == NotificationKind::AssetStatusChanged as i32).count();
                assert!(got <= want, "{person} got {got} notifications, more than the {want} expected");
                if got != want {
                    return None;
                }
            }
            Some(())
        }
    })
    .await;

    child.start_kill().expect("stop");
    child.wait().await.expect("stopped");
}
