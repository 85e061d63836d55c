//! Faults: the broker link cut mid-workload, Postgres unreachable, poison messages, and
//! unroutable events. Links are broken through a proxy each test owns, so the real servers and
//! the other tests running in parallel are untouched.

use std::time::{Duration, Instant};

use lapin::BasicProperties;
use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use prost::Message;
use tonic::Code;

use baton_proto::Event;
use baton_proto::assets::v1::{Asset, AssetStatus, AssetStatusChanged};
use baton_proto::notifications::v1::NotificationKind;
use baton_proto::people::v1::{CreatePersonRequest, Person, PersonRole};
use baton_proto::projects::v1::{Project, ProjectMember, ProjectMemberAdded, ProjectMemberRole};
use baton_testkit::proxy::{FaultProxy, Mode};
use baton_testkit::{Target, TestEnv, eventually, url_addr, url_via};

use crate::slice::{Cluster, assemble_team, expected_counts, play_workflow, wait_for_counts};

#[tokio::test]
async fn broker_link_lost_mid_workload_loses_and_duplicates_nothing() {
    let mut env = TestEnv::new().await;
    let proxy = FaultProxy::start(url_addr(&env.config.amqp_url).await).await;
    env.config.amqp_url = url_via(&env.config.amqp_url, proxy.addr());
    env.config.amqp.heartbeat_secs = 1;
    let server = env.spawn(&Target::ALL).await;
    let cluster = Cluster { people: &server, projects: &server, assets: &server, notifications: &server };
    let team = assemble_team(&cluster).await;

    // The broker "restarts" while the workflow runs: every connection drops and new ones are
    // refused for a moment; writes keep being accepted into the outboxes meanwhile.
    let chaos = {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            proxy.cut();
            proxy.set_mode(Mode::Refuse);
            tokio::time::sleep(Duration::from_millis(800)).await;
            proxy.set_mode(Mode::Blackhole);
            tokio::time::sleep(Duration::from_millis(3500)).await;
            proxy.cut();
            proxy.set_mode(Mode::Pass);
        })
    };
    let acted = play_workflow(&cluster, &team, "Hero animation").await;
    chaos.await.expect("chaos");
    let expected = expected_counts(&team, &acted, 7);
    wait_for_counts(&server, NotificationKind::AssetStatusChanged, &expected).await;
    let mut db = env.db().await;
    let waiting: i64 =
        sqlx::query_scalar("SELECT count(*) FROM assets.outbox").fetch_one(&mut db).await.expect("outbox");
    assert_eq!(waiting, 0, "every event was published");
}

#[tokio::test]
async fn database_outage_fails_fast_with_unavailable_then_recovers() {
    let mut env = TestEnv::new().await;
    let proxy = FaultProxy::start(url_addr(&env.config.database_url).await).await;
    env.config.database_url = url_via(&env.config.database_url, proxy.addr());
    let server = env.spawn(&[Target::People]).await;
    let request = |email: &str| CreatePersonRequest {
        person: Some(Person {
            display_name: "Ana".into(),
            email: email.into(),
            role: PersonRole::Designer as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    server.people().create_person(request("before@example.com")).await.expect("database up");

    proxy.set_mode(Mode::Refuse);
    proxy.cut();
    let started = Instant::now();
    let status = server.people().create_person(request("during@example.com")).await.expect_err("database down");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "failed fast: {:?}", started.elapsed());

    proxy.set_mode(Mode::Pass);
    eventually("the database to be back", Duration::from_secs(20), || {
        let mut people = server.people();
        async move { people.create_person(request("after@example.com")).await.ok() }
    })
    .await;
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_while_others_flow() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let cluster = Cluster { people: &server, projects: &server, assets: &server, notifications: &server };
    let team = assemble_team(&cluster).await;

    let broker = env.broker();
    let connection = broker.connect("baton-test-poison").await.expect("broker");
    let channel = connection.create_channel().await.expect("channel");
    let publish = |routing_key: String, payload: Vec<u8>, properties: BasicProperties| {
        let channel = channel.clone();
        let exchange = broker.exchange.clone();
        async move {
            channel
                .basic_publish(
                    exchange.as_str().into(),
                    routing_key.as_str().into(),
                    BasicPublishOptions::default(),
                    &payload,
                    properties,
                )
                .await
                .expect("publish")
                .await
                .expect("confirm");
        }
    };
    let from = |source: &str, id: uuid::Uuid| {
        let mut headers = FieldTable::default();
        headers.insert("cloudEvents_source".into(), lapin::types::AMQPValue::LongString(source.into()));
        BasicProperties::default().with_message_id(id.to_string().into()).with_headers(headers)
    };
    let with_headers = |id: uuid::Uuid| from("baton.test", id);
    // 1. Garbage bytes under a known type.
    publish(AssetStatusChanged::TYPE.into(), b"\xff\xfe garbage".to_vec(), with_headers(uuid::Uuid::now_v7())).await;
    // 2. No message id at all.
    publish(AssetStatusChanged::TYPE.into(), Vec::new(), BasicProperties::default()).await;
    // 3. A well-formed event the handler always fails on (text Postgres cannot store).
    let poisoned = AssetStatusChanged {
        asset: Some(Asset {
            name: format!("{}/assets/{}", team.project, uuid::Uuid::now_v7()),
            display_name: "nul \u{0} byte".into(),
            ..Default::default()
        }),
        previous_status: AssetStatus::InProgress as i32,
        status: AssetStatus::InReview as i32,
        ..Default::default()
    };
    publish(AssetStatusChanged::TYPE.into(), poisoned.encode_to_vec(), from("baton.assets", uuid::Uuid::now_v7()))
        .await;
    // 5, 6. Forged team changes putting the outsider on the team: from a service that does not
    // own the type, and from the right source but with a revision no real change could have.
    let forged = |project_revision: i64| ProjectMemberAdded {
        project: Some(Project { name: team.project.clone(), display_name: "Forged".into(), ..Default::default() }),
        member: Some(ProjectMember {
            name: format!("{}/members/{}", team.project, team.outsider.trim_start_matches("people/")),
            person: team.outsider.clone(),
            role: ProjectMemberRole::Contributor as i32,
            ..Default::default()
        }),
        actor: String::new(),
        project_revision,
    };
    let id = uuid::Uuid::now_v7();
    publish(ProjectMemberAdded::TYPE.into(), forged(100).encode_to_vec(), from("baton.assets", id)).await;
    let id = uuid::Uuid::now_v7();
    publish(ProjectMemberAdded::TYPE.into(), forged(i64::MAX).encode_to_vec(), from("baton.projects", id)).await;
    // 4. An unknown type, straight into the queue.
    channel
        .basic_publish(
            "".into(),
            broker.queue("notifications").as_str().into(),
            BasicPublishOptions::default(),
            b"{}",
            with_headers(uuid::Uuid::now_v7()),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");

    // Real work keeps flowing past them.
    let acted = play_workflow(&cluster, &team, "Hero animation").await;
    wait_for_counts(&server, NotificationKind::AssetStatusChanged, &expected_counts(&team, &acted, 7)).await;

    let dead_letters = broker.dead_letter_queue("notifications");
    eventually("six dead letters", Duration::from_secs(30), || {
        let channel = channel.clone();
        let dead_letters = dead_letters.clone();
        async move {
            let queue = channel
                .queue_declare(
                    dead_letters.as_str().into(),
                    QueueDeclareOptions { passive: true, ..Default::default() },
                    FieldTable::default(),
                )
                .await
                .ok()?;
            (queue.message_count() == 6).then_some(())
        }
    })
    .await;
    let _ = connection.close(200, "done".into()).await;
}

#[tokio::test]
async fn unroutable_events_stay_in_the_outbox_until_a_consumer_exists() {
    let env = TestEnv::new().await;
    let people = env.spawn(&[Target::People]).await;
    baton_tests::person(&people, "Early Bird", PersonRole::Producer).await;

    // No consumer queue is bound yet: the broker returns the event and the relay keeps it.
    let (attempts, error): (i32, Option<String>) =
        eventually("a failed publish attempt", Duration::from_secs(20), || {
            let url = env.config.database_url.clone();
            async move {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
                let row: (i32, Option<String>) = sqlx::query_as("SELECT attempts, last_error FROM people.outbox")
                    .fetch_optional(&mut conn)
                    .await
                    .ok()??;
                (row.0 > 0).then_some(row)
            }
        })
        .await;
    assert!(attempts > 0);
    assert!(error.unwrap_or_default().contains("NO_ROUTE"), "the broker said why");

    // Once the notifications service has declared its queue, the event goes out.
    let _notifications = env.spawn(&[Target::Notifications]).await;
    eventually("the outbox to drain", Duration::from_secs(30), || {
        let url = env.config.database_url.clone();
        async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
            let left: i64 = sqlx::query_scalar("SELECT count(*) FROM people.outbox").fetch_one(&mut conn).await.ok()?;
            (left == 0).then_some(())
        }
    })
    .await;
}
