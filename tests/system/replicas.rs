//! Two replicas of every service on one database and one broker: the relays publish each event
//! once, the competing consumers apply each once, and the team projection ends right whatever
//! order membership events are applied in.

use std::collections::HashMap;
use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use lapin::types::FieldTable;
use tokio_stream::StreamExt;

use baton_proto::notifications::v1::NotificationKind;
use baton_proto::projects::v1::{ProjectMemberRole, RemoveProjectMemberRequest};
use baton_testkit::{Target, TestEnv, as_actor, eventually};
use baton_tests::add_member;

use crate::slice::{Cluster, assemble_team, expected_counts, play_workflow, wait_for_counts};

#[tokio::test]
async fn two_replicas_publish_and_notify_once() {
    let env = TestEnv::new().await;
    let first = env.spawn(&Target::ALL).await;
    let second = env.spawn(&Target::ALL).await;

    // A tap sees every event as the broker routed it, to count publishes per event id.
    let (connection, channel, tap) = env.tap_queue("#").await;

    // Calls alternate between the replicas.
    let cluster = Cluster { people: &first, projects: &second, assets: &first, notifications: &second };
    let team = assemble_team(&cluster).await;

    // The outsider joins and leaves twice, through both replicas; they end outside the team.
    for (joining, server) in [(true, &first), (false, &second), (true, &second), (false, &first)] {
        if joining {
            add_member(server, &team.producer, &team.project, &team.outsider, ProjectMemberRole::Observer).await;
        } else {
            let name = format!("{}/members/{}", team.project, team.outsider.trim_start_matches("people/"));
            server
                .projects()
                .remove_project_member(as_actor(
                    &team.producer,
                    RemoveProjectMemberRequest { name, request_id: String::new() },
                ))
                .await
                .expect("remove");
        }
    }

    // Events of different services are not ordered with each other: let the team projection
    // take in the last removal before the asset changes, as a producer would see the team page.
    let project_id = uuid::Uuid::parse_str(team.project.trim_start_matches("projects/")).expect("uuid");
    let outsider_id = uuid::Uuid::parse_str(team.outsider.trim_start_matches("people/")).expect("uuid");
    eventually("the projection to see the outsider leave", Duration::from_secs(30), || async {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(&env.config.database_url).await.ok()?;
        let latest: i64 = sqlx::query_scalar("SELECT revision FROM projects.project WHERE id = $1")
            .bind(project_id)
            .fetch_one(&mut db)
            .await
            .ok()?;
        let (active, revision): (bool, i64) = sqlx::query_as(
            "SELECT active, revision FROM notifications.project_member WHERE project_id = $1 AND person_id = $2",
        )
        .bind(project_id)
        .bind(outsider_id)
        .fetch_one(&mut db)
        .await
        .ok()?;
        (!active && revision == latest).then_some(())
    })
    .await;

    let acted = play_workflow(&Cluster { assets: &second, ..cluster }, &team, "Hero animation").await;
    let expected = expected_counts(&team, &acted, 7);
    assert_eq!(expected[&team.outsider], 0);
    wait_for_counts(&first, NotificationKind::AssetStatusChanged, &expected).await;
    wait_for_counts(&second, NotificationKind::AssetStatusChanged, &expected).await;

    // 5 people + 1 project + 4 members + 4 outsider changes + 1 asset + 7 status changes.
    let total = 5 + 1 + 4 + 4 + 1 + 7;
    let mut deliveries = channel
        .basic_consume(tap.as_str().into(), "tap".into(), BasicConsumeOptions::default(), FieldTable::default())
        .await
        .expect("consume tap");
    let mut seen: HashMap<String, usize> = HashMap::new();
    while seen.values().sum::<usize>() < total {
        let delivery = tokio::time::timeout(Duration::from_secs(30), deliveries.next())
            .await
            .expect("tapped")
            .expect("open")
            .expect("ok");
        let id = delivery.properties.message_id().as_ref().expect("message id").to_string();
        *seen.entry(id).or_default() += 1;
        delivery.acker.ack(BasicAckOptions::default()).await.expect("ack");
    }
    assert_eq!(seen.len(), total, "every event was published");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "published more than once: {twice:?}");
    let _ = connection.close(200, "done".into()).await;
}

#[tokio::test]
async fn a_quiet_system_holds_no_transaction_open() {
    // Each relay looks at its outbox every second, finding it empty. A transaction left open on
    // its held connection until the next look would keep the outbox's lock from the other
    // replica's relay and hold back the cleanup of every row deleted meanwhile.
    let env = TestEnv::new().await;
    let first = env.spawn(&Target::ALL).await;
    let second = env.spawn(&Target::ALL).await;
    let person = baton_tests::person(&first, "Quiet Producer", baton_proto::people::v1::PersonRole::Producer).await;
    assert!(person.starts_with("people/"));
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    for _ in 0..12 {
        let lingering = env.idle_transactions(Duration::from_millis(250)).await;
        assert!(lingering.is_empty(), "transactions left open: {lingering:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    first.stop().await;
    second.stop().await;
}
