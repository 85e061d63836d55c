//! Project health: computed by the projects service from its own projection of the components
//! (built from the assets service's events), its obstacles and its dates; the projection stays
//! the same when events come twice or out of order.

use std::time::Duration;

use baton_messaging::Envelope;
use baton_proto::assets::v1::{self as assets, AssetStatus};
use baton_proto::projects::v1::*;
use baton_testkit::{Target, TestEnv, eventually, operator};
use baton_tests::{asset, project};
use lapin::options::{BasicConsumeOptions, BasicPublishOptions};
use lapin::types::FieldTable;
use tokio_stream::StreamExt;

async fn health(server: &baton_testkit::TestServer, project: &str) -> ProjectHealth {
    let request = GetProjectHealthRequest { name: format!("{project}/health") };
    server.projects().get_project_health(request).await.expect("health").into_inner().health.expect("health")
}

fn count(health: &ProjectHealth, status: AssetStatus) -> u32 {
    health.components_by_status.iter().find(|s| s.status == status.as_str_name()).map_or(0, |s| s.count)
}

/// Moves an asset through `steps` as the operator.
async fn walk(server: &baton_testkit::TestServer, name: &str, steps: &[AssetStatus]) {
    let mut client = server.assets();
    for step in steps {
        let name = name.to_string();
        match step {
            AssetStatus::InProgress => {
                client.start_asset(assets::StartAssetRequest { name, ..Default::default() }).await.map(drop)
            }
            AssetStatus::InReview => client
                .submit_asset_for_review(assets::SubmitAssetForReviewRequest { name, ..Default::default() })
                .await
                .map(drop),
            AssetStatus::ChangesRequested => client
                .request_asset_changes(assets::RequestAssetChangesRequest {
                    name,
                    comment: "Warmer.".into(),
                    ..Default::default()
                })
                .await
                .map(drop),
            AssetStatus::Approved => {
                client.approve_asset(assets::ApproveAssetRequest { name, ..Default::default() }).await.map(drop)
            }
            _ => client.deliver_asset(assets::DeliverAssetRequest { name, ..Default::default() }).await.map(drop),
        }
        .expect("step");
    }
}

#[tokio::test]
async fn health_follows_the_components_and_the_obstacles() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let name = project(&server, operator(), "Relaunch").await;
    use AssetStatus::*;
    let logo = asset(&server, operator(), &name, "Logo", &[]).await;
    let video = asset(&server, operator(), &name, "Video", &[]).await;
    let pages = asset(&server, operator(), &name, "Pages", &[]).await;
    walk(&server, &logo.name, &[InProgress, InReview, Approved, Delivered]).await;
    walk(&server, &video.name, &[InProgress, InReview, ChangesRequested, InProgress, InReview, Approved]).await;
    walk(&server, &pages.name, &[InProgress, InReview]).await;

    // The projection catches up with the events: weights 5 each, progress (1 + 1 + 0.75) / 3.
    // (The figures are read by concurrent queries, not one snapshot: wait for all of them.)
    let seen = eventually("the projection", Duration::from_secs(20), || async {
        let h = health(&server, &name).await;
        let approvals = h.reviews.as_ref().map(|r| r.approved_first_time + r.approved_after_changes);
        let statuses = count(&h, InReview) == 1 && count(&h, Approved) == 1 && count(&h, Delivered) == 1;
        (statuses && approvals == Some(2)).then_some(h)
    })
    .await;
    assert!((seen.progress - 2.75 / 3.0).abs() < 1e-9, "{}", seen.progress);
    assert_eq!((seen.total_weight, seen.work_in_progress), (15, 1));
    let reviews = seen.reviews.clone().expect("reviews");
    assert_eq!((reviews.approved_first_time, reviews.approved_after_changes), (1, 1));
    assert_eq!(reviews.open_reviews.iter().map(|r| r.display_name.as_str()).collect::<Vec<_>>(), ["Pages"]);
    assert_eq!(seen.finished_per_week.iter().map(|w| w.count).sum::<u32>(), 2);
    assert_eq!((seen.state, seen.reasons.len()), (HealthState::OnTrack as i32, 0));

    // A high obstacle puts it at risk, saying which; resolving it puts it back on track. Each
    // move of the state is told, once.
    let mut told = env.tap(<ProjectHealthChanged as baton_proto::Event>::TYPE).await;
    baton_tests::recorded_health(&env, &name, "HEALTH_STATE_ON_TRACK").await;
    let raise = RaiseObstacleRequest {
        parent: name.clone(),
        obstacle: Some(Obstacle {
            title: "Music licence not cleared".into(),
            kind: ObstacleKind::Risk as i32,
            severity: ObstacleSeverity::High as i32,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let obstacle =
        server.projects().raise_obstacle(raise).await.expect("raise").into_inner().obstacle.expect("obstacle");
    let at_risk = health(&server, &name).await;
    assert_eq!(at_risk.state, HealthState::AtRisk as i32);
    assert_eq!(at_risk.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["HIGH_OBSTACLE"]);
    assert!(at_risk.reasons[0].message.contains("Music licence not cleared"), "{:?}", at_risk.reasons);
    let high = at_risk.open_obstacles.iter().find(|o| o.severity == ObstacleSeverity::High as i32).expect("high");
    assert_eq!(high.count, 1);
    let event: ProjectHealthChanged = told.next().await;
    assert_eq!(
        (event.project.as_str(), event.previous_state, event.state),
        (name.as_str(), HealthState::OnTrack as i32, HealthState::AtRisk as i32)
    );
    assert_eq!(event.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["HIGH_OBSTACLE"]);
    let resolve = ResolveObstacleRequest { name: obstacle.name, resolution: "Bought".into(), ..Default::default() };
    server.projects().resolve_obstacle(resolve).await.expect("resolve");
    assert_eq!(health(&server, &name).await.state, HealthState::OnTrack as i32);
    let event: ProjectHealthChanged = told.next().await;
    assert_eq!((event.previous_state, event.state), (HealthState::AtRisk as i32, HealthState::OnTrack as i32));
    assert!(event.reasons.is_empty());
    assert_eq!(told.types(0, std::time::Duration::from_secs(1)).await, Vec::<String>::new(), "told once each");
}

#[tokio::test]
async fn the_projection_is_idempotent_under_redelivery_and_out_of_order_events() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let name = project(&server, operator(), "Relaunch").await;
    let broker = env.broker();
    // A tap keeps a copy of every asset event as the broker routed it.
    let (connection, channel, tap) = env.tap_queue("baton.assets.#").await;

    use AssetStatus::*;
    let video = asset(&server, operator(), &name, "Video", &[]).await;
    walk(&server, &video.name, &[InProgress, InReview, ChangesRequested, InProgress, InReview, Approved]).await;
    let settled = eventually("the projection", Duration::from_secs(20), || async {
        let h = health(&server, &name).await;
        (count(&h, Approved) == 1).then_some(h)
    })
    .await;

    // Every event again, newest first: nothing may change.
    let mut copies = channel
        .basic_consume(
            tap.as_str().into(),
            "replay".into(),
            BasicConsumeOptions { no_ack: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .expect("consume");
    let mut events = Vec::new();
    while events.len() < 7 {
        let delivery = tokio::time::timeout(Duration::from_secs(20), copies.next())
            .await
            .expect("tapped")
            .expect("open")
            .expect("ok");
        events.push(delivery);
    }
    for delivery in events.iter().rev() {
        let envelope = Envelope::from_delivery(delivery).expect("an envelope");
        assert!(envelope.event_type.starts_with("baton.assets.v1."));
        // Published anew, with a fresh message id: the inbox does not know it.
        let mut fresh = envelope.clone();
        fresh.id = uuid::Uuid::now_v7();
        channel
            .basic_publish(
                broker.exchange.as_str().into(),
                delivery.routing_key.clone(),
                BasicPublishOptions::default(),
                &fresh.payload,
                fresh.properties(),
            )
            .await
            .expect("publish")
            .await
            .expect("confirm");
    }
    // One more real step: the queue is in order per project, so once it shows, the replays
    // before it were applied.
    let before = settled.components_by_status.iter().map(|s| s.count).sum::<u32>();
    walk(&server, &video.name, &[Delivered]).await;
    let after = eventually("the delivery", Duration::from_secs(20), || async {
        let h = health(&server, &name).await;
        (count(&h, Delivered) == 1).then_some(h)
    })
    .await;
    assert_eq!(after.components_by_status.iter().map(|s| s.count).sum::<u32>(), before, "one component still");
    assert_eq!((after.total_weight, after.progress), (settled.total_weight, 1.0));
    assert_eq!(after.reviews.as_ref().map(|r| (r.approved_first_time, r.approved_after_changes)), Some((0, 1)));
    assert_eq!(after.finished_per_week.iter().map(|w| w.count).sum::<u32>(), 1, "approved once");
    let _ = connection.close(200, "done".into()).await;
}
