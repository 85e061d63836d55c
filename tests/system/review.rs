//! A component's whole review across four processes: three stages (lead → producer → client),
//! the client asking for changes at a moment of the first cut, whose loudness check failed too,
//! and the second cut approved. Every event along the way is published once, and the projects
//! service's health ends with the component approved after changes and its quality passed.

use std::collections::HashMap;
use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use lapin::types::FieldTable;
use tokio_stream::StreamExt;

use baton_proto::assets::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::{GetProjectHealthRequest, ProjectMemberRole};
use baton_testkit::{Role, TestEnv, as_actor, as_person, eventually};

use crate::slice::four_processes;
use baton_tests::{add_member, asset_of_kind, person, project, video_file};

fn cut(number: u32, loudness: f64) -> Version {
    Version {
        files: vec![video_file(number, loudness)],
        note: format!("Cut {number}"),
        client_visible: true,
        measurements: vec![Measurement { check: "captions".into(), value: Some(measurement::Value::Flag(true)) }],
        ..Default::default()
    }
}

fn member<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[Role::Member], message)
}

fn contact<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[Role::ClientContact], message)
}

#[tokio::test]
async fn a_three_stage_review_with_the_client_is_approved_after_one_round_of_changes() {
    let env = TestEnv::new().await;
    let [people, projects, assets, _notifications] = four_processes(&env).await;
    // Every assets event as the broker routed it, to count publishes per event id.
    let (connection, channel, tap) = env.tap_queue("baton.assets.#").await;

    let producer = person(&people, "Paula", PersonRole::Producer).await;
    let lead = person(&people, "Ana", PersonRole::Designer).await;
    let editor = person(&people, "Vera", PersonRole::VideoEngineer).await;
    let client = person(&people, "Chloé", PersonRole::ClientContact).await;
    let project = project(&projects, &producer, "Relaunch").await;
    for (who, role) in [
        (&producer, ProjectMemberRole::Producer),
        (&lead, ProjectMemberRole::Lead),
        (&editor, ProjectMemberRole::Contributor),
        (&client, ProjectMemberRole::Client),
    ] {
        add_member(&projects, &producer, &project, who, role).await;
    }
    let mut api = assets.assets();
    let film = asset_of_kind(&assets, &producer, &project, "Product film", AssetKind::Video, &[&editor]).await.name;
    let stages = vec![
        ReviewStage {
            title: "Lead".into(),
            reviewers: vec![lead.clone()],
            rule: ReviewRule::All as i32,
            ..Default::default()
        },
        ReviewStage {
            title: "Producer".into(),
            reviewers: vec![producer.clone()],
            rule: ReviewRule::All as i32,
            ..Default::default()
        },
        ReviewStage {
            title: "Client".into(),
            reviewers: vec![client.clone()],
            rule: ReviewRule::All as i32,
            client_visible: true,
            ..Default::default()
        },
    ];
    let decide = |review: &str, verdict: Verdict, comment: &str| DecideReviewRequest {
        name: review.into(),
        verdict: verdict as i32,
        comment: comment.into(),
        request_id: String::new(),
    };

    for (number, loudness) in [(1, -9.0), (2, -14.0)] {
        let start = StartAssetRequest { name: film.clone(), ..Default::default() };
        api.start_asset(member(&editor, start)).await.expect("start");
        let submit = SubmitVersionRequest {
            parent: film.clone(),
            version: Some(cut(number, loudness)),
            stages: stages.clone(),
            request_id: String::new(),
        };
        let submitted = api.submit_version(member(&editor, submit)).await.expect("submit").into_inner();
        let version = submitted.version.expect("version");
        let report = version.quality.clone().expect("report");
        assert_eq!(report.failed, if number == 1 { 1 } else { 0 }, "cut {number}: loudness {loudness} LUFS");
        let review = submitted.review.expect("round").name;
        api.decide_review(member(&lead, decide(&review, Verdict::Approve, ""))).await.expect("lead");
        api.decide_review(as_actor(&producer, decide(&review, Verdict::Approve, ""))).await.expect("producer");
        let verdict = if number == 1 {
            let comment = CreateCommentRequest {
                parent: film.clone(),
                comment: Some(Comment {
                    body: "The logo is too small here.".into(),
                    version: version.name.clone(),
                    anchor: Some(Anchor { start_seconds: Some(12.0), end_seconds: Some(14.0), region: None }),
                    ..Default::default()
                }),
                request_id: String::new(),
            };
            api.create_comment(contact(&client, comment)).await.expect("comment");
            decide(&review, Verdict::RequestChanges, "Bigger logo at 00:12, and it plays too loud.")
        } else {
            decide(&review, Verdict::Approve, "Lovely.")
        };
        let decided = api.decide_review(contact(&client, verdict)).await.expect("client").into_inner();
        let asset = decided.asset.expect("asset");
        let expected = if number == 1 { AssetStatus::ChangesRequested } else { AssetStatus::Approved };
        assert_eq!((asset.status, asset.retakes), (expected as i32, 1));
    }

    // Created; started twice, submitted twice, sent back once, approved once; two versions, each
    // assessed; six decisions; one comment.
    let expected: HashMap<&str, usize> = HashMap::from([
        ("baton.assets.v1.AssetCreated", 1),
        ("baton.assets.v1.AssetStatusChanged", 6),
        ("baton.assets.v1.VersionSubmitted", 2),
        ("baton.assets.v1.QualityAssessed", 2),
        ("baton.assets.v1.ReviewDecided", 6),
        ("baton.assets.v1.CommentCreated", 1),
    ]);
    let total: usize = expected.values().sum();
    let mut deliveries = channel
        .basic_consume(tap.as_str().into(), "tap".into(), BasicConsumeOptions::default(), FieldTable::default())
        .await
        .expect("consume tap");
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut types: HashMap<String, usize> = HashMap::new();
    loop {
        // Wait long for the events expected, then a little for any extra.
        let patience = if ids.len() < total { Duration::from_secs(30) } else { Duration::from_secs(1) };
        let Ok(next) = tokio::time::timeout(patience, deliveries.next()).await else { break };
        let delivery = next.expect("open").expect("ok");
        let id = delivery.properties.message_id().as_ref().expect("message id").to_string();
        *ids.entry(id).or_default() += 1;
        *types.entry(delivery.routing_key.to_string()).or_default() += 1;
        delivery.acker.ack(BasicAckOptions::default()).await.expect("ack");
    }
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "published more than once: {twice:?}");
    let types: HashMap<&str, usize> = types.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    assert_eq!(types, expected, "each event once, none missing");

    // The projects service took it all in: approved after changes, every check passed.
    let health = eventually("the project's health", Duration::from_secs(30), || async {
        let request = GetProjectHealthRequest { name: format!("{project}/health") };
        let health = projects.projects().get_project_health(request).await.ok()?.into_inner().health?;
        let reviews = health.reviews.clone()?;
        (reviews.approved_after_changes == 1 && health.quality.as_ref()?.score == Some(1.0)).then_some(health)
    })
    .await;
    assert_eq!(health.reviews.expect("reviews").approved_first_time, 0);
    let _ = connection.close(200, "done".into()).await;
}
