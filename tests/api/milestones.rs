//! Milestones: their state derived from the components' progress (the projects service's
//! projection) and the date, and what they do to the project's health.

use std::time::Duration;

use baton_proto::assets::v1 as assets;
use baton_proto::projects::v1::*;
use baton_testkit::{Target, TestEnv, eventually, operator, violated_fields};
use baton_tests::{asset, project};
use prost_types::FieldMask;
use tonic::Code;

fn day(offset: i64) -> String {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    baton_platform::time::format_date(Some(date))
}

async fn approve(server: &baton_testkit::TestServer, name: &str) {
    let mut client = server.assets();
    let name = name.to_string();
    client.start_asset(assets::StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("start");
    client
        .submit_asset_for_review(assets::SubmitAssetForReviewRequest { name: name.clone(), ..Default::default() })
        .await
        .expect("submit");
    client.approve_asset(assets::ApproveAssetRequest { name, ..Default::default() }).await.expect("approve");
}

#[tokio::test]
async fn milestones_are_met_or_missed_by_their_components_and_move_the_health() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let mut projects = server.projects();
    let name = project(&server, operator(), "Relaunch").await;
    let logo = asset(&server, operator(), &name, "Logo", &[]).await;
    let video = asset(&server, operator(), &name, "Video", &[]).await;

    let create = |title: &str, due: String, components: Vec<String>| CreateMilestoneRequest {
        parent: name.clone(),
        milestone: Some(Milestone { title: title.into(), due_date: due, components, ..Default::default() }),
        request_id: String::new(),
    };
    let identity =
        projects.create_milestone(create("Identity", day(30), vec![logo.name.clone()])).await.expect("create");
    let identity = identity.into_inner().milestone.expect("milestone");
    assert_eq!((identity.state, identity.done_components), (MilestoneState::Upcoming as i32, 0));
    let teaser = projects.create_milestone(create("Teaser", day(3), vec![video.name.clone()])).await.expect("create");
    let teaser = teaser.into_inner().milestone.expect("milestone");
    assert_eq!(teaser.state, MilestoneState::Due as i32);

    // Due within a week with work left: the project is at risk, saying which milestone.
    let health = || {
        let mut projects = server.projects();
        let request = GetProjectHealthRequest { name: format!("{name}/health") };
        async move { projects.get_project_health(request).await.expect("health").into_inner().health.expect("health") }
    };
    let at_risk = health().await;
    assert_eq!(at_risk.state, HealthState::AtRisk as i32);
    assert_eq!(at_risk.reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), ["MILESTONE_AT_RISK"]);
    assert_eq!(at_risk.milestones_at_risk.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(), ["Teaser"]);

    // The logo approved: its milestone is met, early.
    approve(&server, &logo.name).await;
    let met = eventually("the identity milestone met", Duration::from_secs(20), || {
        let mut projects = server.projects();
        let request = GetMilestoneRequest { name: identity.name.clone() };
        async move {
            let m = projects.get_milestone(request).await.ok()?.into_inner().milestone?;
            (m.state == MilestoneState::Met as i32).then_some(m)
        }
    })
    .await;
    assert_eq!(met.done_components, 1);

    // Moving the teaser to yesterday makes it missed: the project is off track.
    let update = UpdateMilestoneRequest {
        milestone: Some(Milestone {
            name: teaser.name.clone(),
            due_date: day(-1),
            etag: teaser.etag.clone(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask { paths: vec!["due_date".into()] }),
        request_id: String::new(),
    };
    let missed =
        projects.update_milestone(update.clone()).await.expect("update").into_inner().milestone.expect("milestone");
    assert_eq!((missed.state, missed.title.as_str()), (MilestoneState::Missed as i32, "Teaser"));
    let stale = projects.update_milestone(update).await.expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    let off = health().await;
    assert_eq!(off.state, HealthState::OffTrack as i32);
    assert!(
        off.reasons.iter().any(|r| r.code == "MILESTONE_MISSED" && r.message.contains("Teaser")),
        "{:?}",
        off.reasons
    );

    // Listed by due date.
    let listed = projects
        .list_milestones(ListMilestonesRequest { parent: name.clone(), page_size: 1, ..Default::default() })
        .await;
    let listed = listed.expect("list").into_inner();
    assert_eq!(listed.milestones.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(), ["Teaser"]);
    let rest = ListMilestonesRequest { parent: name.clone(), page_size: 1, page_token: listed.next_page_token };
    let rest = projects.list_milestones(rest).await.expect("page 2").into_inner();
    assert_eq!(rest.milestones.iter().map(|m| m.title.as_str()).collect::<Vec<_>>(), ["Identity"]);

    // Bad input names the field.
    let other = project(&server, operator(), "Other").await;
    let elsewhere = asset(&server, operator(), &other, "Poster", &[]).await;
    let bad =
        projects.create_milestone(create(" ", "next week".into(), vec![elsewhere.name])).await.expect_err("invalid");
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["milestone.components[0]", "milestone.due_date", "milestone.title"]);
}
