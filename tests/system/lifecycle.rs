//! A project's life as a producer runs it: from conception to delivery, with a milestone met and
//! one missed, an obstacle raised and resolved, and the health moving ON_TRACK → AT_RISK →
//! ON_TRACK for the reasons stated, each move told once.

use std::time::Duration;

use baton_proto::assets::v1 as assets;
use baton_proto::projects::v1::*;
use baton_testkit::{Target, TestEnv, TestServer, eventually, operator};
use baton_tests::{asset, project};

fn day(offset: i64) -> String {
    baton_platform::time::format_date(Some(time::OffsetDateTime::now_utc().date() + time::Duration::days(offset)))
}

async fn approve(server: &TestServer, name: &str) {
    let mut client = server.assets();
    let name = name.to_string();
    client.start_asset(assets::StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("start");
    let submit = assets::SubmitAssetForReviewRequest { name: name.clone(), ..Default::default() };
    client.submit_asset_for_review(submit).await.expect("submit");
    client.approve_asset(assets::ApproveAssetRequest { name, ..Default::default() }).await.expect("approve");
}

async fn advance(server: &TestServer, project: &str, stage: ProjectState) {
    let request = AdvanceProjectRequest { name: project.into(), stage: stage as i32, ..Default::default() };
    let moved =
        server.projects().advance_project(request).await.expect("advance").into_inner().project.expect("project");
    assert_eq!(moved.state, stage as i32);
}

async fn milestone_state(server: &TestServer, name: &str) -> i32 {
    let request = GetMilestoneRequest { name: name.into() };
    server.projects().get_milestone(request).await.expect("milestone").into_inner().milestone.expect("milestone").state
}

#[tokio::test]
async fn a_project_runs_from_conception_to_delivery() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let mut told = env.tap(<ProjectHealthChanged as baton_proto::Event>::TYPE).await;
    let name = project(&server, operator(), "Relaunch").await;
    // The watcher records the new project's state (on track) without telling anyone.
    baton_tests::recorded_health(&env, &name, "HEALTH_STATE_ON_TRACK").await;
    advance(&server, &name, ProjectState::PreProduction).await;
    let logo = asset(&server, operator(), &name, "Logo", &[]).await;
    let video = asset(&server, operator(), &name, "Teaser video", &[]).await;
    advance(&server, &name, ProjectState::Production).await;

    let identity = CreateMilestoneRequest {
        parent: name.clone(),
        milestone: Some(Milestone {
            title: "Identity".into(),
            due_date: day(10),
            components: vec![logo.name.clone()],
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let identity = server
        .projects()
        .create_milestone(identity)
        .await
        .expect("milestone")
        .into_inner()
        .milestone
        .expect("milestone");
    assert_eq!(identity.state, MilestoneState::Upcoming as i32);

    // A high risk: the project is at risk, and the producer is told why.
    let raise = RaiseObstacleRequest {
        parent: name.clone(),
        obstacle: Some(Obstacle {
            title: "Music licence not cleared".into(),
            kind: ObstacleKind::Risk as i32,
            severity: ObstacleSeverity::High as i32,
            component: video.name.clone(),
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let obstacle =
        server.projects().raise_obstacle(raise).await.expect("raise").into_inner().obstacle.expect("obstacle");
    let at_risk: ProjectHealthChanged = told.next().await;
    assert_eq!((at_risk.previous_state, at_risk.state), (HealthState::OnTrack as i32, HealthState::AtRisk as i32));
    assert_eq!(at_risk.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["HIGH_OBSTACLE"]);
    assert!(at_risk.reasons[0].message.contains("Music licence not cleared"));

    // The logo approved well before its date: the milestone is met.
    approve(&server, &logo.name).await;
    eventually("Identity met", Duration::from_secs(20), || async {
        (milestone_state(&server, &identity.name).await == MilestoneState::Met as i32).then_some(())
    })
    .await;

    // The licence bought: back on track.
    let resolve =
        ResolveObstacleRequest { name: obstacle.name, resolution: "Licence bought".into(), ..Default::default() };
    server.projects().resolve_obstacle(resolve).await.expect("resolve");
    let on_track: ProjectHealthChanged = told.next().await;
    assert_eq!((on_track.previous_state, on_track.state), (HealthState::AtRisk as i32, HealthState::OnTrack as i32));

    // The teaser was promised for yesterday: its milestone is missed, on the record, though the
    // work is done now and no longer weighs on the project.
    approve(&server, &video.name).await;
    let teaser = CreateMilestoneRequest {
        parent: name.clone(),
        milestone: Some(Milestone {
            title: "Teaser".into(),
            due_date: day(-1),
            components: vec![video.name.clone()],
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let teaser =
        server.projects().create_milestone(teaser).await.expect("milestone").into_inner().milestone.expect("milestone");
    assert_eq!(teaser.state, MilestoneState::Missed as i32);

    advance(&server, &name, ProjectState::FineTuning).await;
    for component in [&logo.name, &video.name] {
        let deliver = assets::DeliverAssetRequest { name: component.clone(), ..Default::default() };
        server.assets().deliver_asset(deliver).await.expect("deliver");
    }
    advance(&server, &name, ProjectState::Delivered).await;
    let done = eventually("everything delivered", Duration::from_secs(20), || async {
        let request = GetProjectHealthRequest { name: format!("{name}/health") };
        let health = server.projects().get_project_health(request).await.ok()?.into_inner().health?;
        (health.progress == 1.0).then_some(health)
    })
    .await;
    assert_eq!((done.state, done.reasons.len()), (HealthState::OnTrack as i32, 0), "{:?}", done.reasons);
    assert_eq!(milestone_state(&server, &teaser.name).await, MilestoneState::Missed as i32);
    assert_eq!(told.types(0, Duration::from_secs(1)).await, Vec::<String>::new(), "two moves, told once each");
}
