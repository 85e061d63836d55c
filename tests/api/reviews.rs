//! Versions and staged review rounds: each submission is a numbered version with its files; its
//! round moves stage by stage by each stage's rule, and ends with the component approved or sent
//! back for changes (a retake). Clients see what is shown to them, and nothing else.

use baton_auth::GlobalRole;
use baton_proto::assets::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Target, TestEnv, as_actor, as_person, reason, violated_fields};
use baton_tests::{add_member, asset, person, project, video_file};
use tonic::Code;

fn stage(title: &str, reviewers: &[&str], rule: ReviewRule, client_visible: bool) -> ReviewStage {
    ReviewStage {
        title: title.into(),
        reviewers: reviewers.iter().map(|r| r.to_string()).collect(),
        rule: rule as i32,
        client_visible,
        ..Default::default()
    }
}

fn submit(asset: &str, number: u32, stages: Vec<ReviewStage>, client_visible: bool) -> SubmitVersionRequest {
    SubmitVersionRequest {
        parent: asset.into(),
        version: Some(Version {
            files: vec![video_file(number, -14.0)],
            note: format!("Cut {number}"),
            client_visible,
            ..Default::default()
        }),
        stages,
        request_id: String::new(),
    }
}

fn member<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Member], message)
}

fn contact<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::ClientContact], message)
}

fn producer_of<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Producer], message)
}

fn decide(review: &str, verdict: Verdict, comment: &str) -> DecideReviewRequest {
    DecideReviewRequest {
        name: review.into(),
        verdict: verdict as i32,
        comment: comment.into(),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn a_three_stage_review_sends_a_version_back_then_approves_the_next() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let lead = person(&server, "Lena", PersonRole::VideoEngineer).await;
    let editor = person(&server, "Vera", PersonRole::VideoEngineer).await;
    let client = person(&server, "Chloé", PersonRole::ClientContact).await;
    let project = project(&server, &producer, "Relaunch").await;
    add_member(&server, &producer, &project, &producer, ProjectMemberRole::Producer).await;
    add_member(&server, &producer, &project, &lead, ProjectMemberRole::Lead).await;
    add_member(&server, &producer, &project, &editor, ProjectMemberRole::Contributor).await;
    add_member(&server, &producer, &project, &client, ProjectMemberRole::Client).await;
    let trailer = asset(&server, &producer, &project, "Trailer", &[&editor]).await;
    let mut assets = server.assets();
    let stages = || {
        vec![
            stage("Lead", &[&lead], ReviewRule::All, false),
            stage("Producer", &[&producer], ReviewRule::Any, false),
            stage("Client", &[&client], ReviewRule::All, true),
        ]
    };

    // A version is submitted from work in progress only.
    let early =
        assets.submit_version(member(&editor, submit(&trailer.name, 1, stages(), true))).await.expect_err("planned");
    assert_eq!((early.code(), reason(&early).as_str()), (Code::FailedPrecondition, "ILLEGAL_TRANSITION"));
    assets
        .start_asset(member(&editor, StartAssetRequest { name: trailer.name.clone(), ..Default::default() }))
        .await
        .expect("start");
    let mut tap = env.tap("baton.assets.#").await;
    let submitted =
        assets.submit_version(member(&editor, submit(&trailer.name, 1, stages(), true))).await.expect("submit");
    let submitted = submitted.into_inner();
    let (v1, review) = (submitted.version.expect("version"), submitted.review.expect("round"));
    assert_eq!((v1.number, v1.author.as_str(), v1.review.as_str()), (1, editor.as_str(), review.name.as_str()));
    assert_eq!(submitted.asset.expect("asset").status, AssetStatus::InReview as i32);
    assert_eq!((review.state, review.current_stage), (ReviewState::Open as i32, 0));
    let event: VersionSubmitted = tap.next().await;
    assert_eq!((event.version.as_ref(), event.actor.as_str()), (Some(&v1), editor.as_str()));

    // Out of turn, and around the round: refused, nothing changes.
    let early = assets
        .decide_review(producer_of(&producer, decide(&review.name, Verdict::Approve, "")))
        .await
        .expect_err("stage 1");
    assert_eq!((early.code(), reason(&early).as_str()), (Code::PermissionDenied, "NOT_A_REVIEWER"));
    assert!(early.message().contains("Lead"), "{}", early.message());
    let around = assets.approve_asset(producer_of(
        &producer,
        ApproveAssetRequest { name: trailer.name.clone(), ..Default::default() },
    ));
    let around = around.await.expect_err("the round decides");
    assert_eq!((around.code(), reason(&around).as_str()), (Code::FailedPrecondition, "REVIEW_ROUND_OPEN"));

    // Lead, producer, then the client asks for changes at 00:12.
    let after_lead =
        assets.decide_review(member(&lead, decide(&review.name, Verdict::Approve, "Tight cut."))).await.expect("lead");
    assert_eq!(after_lead.into_inner().review.expect("round").current_stage, 1);
    assets.decide_review(producer_of(&producer, decide(&review.name, Verdict::Approve, ""))).await.expect("producer");
    let asked = assets
        .decide_review(contact(
            &client,
            decide(&review.name, Verdict::RequestChanges, "At 00:12 the logo is too small."),
        ))
        .await
        .expect("client")
        .into_inner();
    let (round, back) = (asked.review.expect("round"), asked.asset.expect("asset"));
    assert_eq!((round.state, round.stages[2].state), (ReviewState::ChangesRequested as i32, StageState::Failed as i32));
    assert_eq!((back.status, back.retakes, back.latest_version), (AssetStatus::ChangesRequested as i32, 1, 1));
    let decided: ReviewDecided = tap.next().await;
    assert_eq!(decided.decision.expect("decision").verdict, Verdict::Approve as i32, "the lead's, first");
    let closed =
        assets.decide_review(contact(&client, decide(&review.name, Verdict::Approve, ""))).await.expect_err("ended");
    assert_eq!((closed.code(), reason(&closed).as_str()), (Code::FailedPrecondition, "REVIEW_CLOSED"));

    // Version 2: everyone approves, the component is approved.
    assets
        .start_asset(member(&editor, StartAssetRequest { name: trailer.name.clone(), ..Default::default() }))
        .await
        .expect("restart");
    let second = assets
        .submit_version(member(&editor, submit(&trailer.name, 2, stages(), false)))
        .await
        .expect("v2")
        .into_inner();
    let review2 = second.review.expect("round").name;
    assert_eq!(second.version.expect("version").number, 2);
    assets.decide_review(member(&lead, decide(&review2, Verdict::Approve, ""))).await.expect("lead");
    assets.decide_review(producer_of(&producer, decide(&review2, Verdict::Approve, ""))).await.expect("producer");
    let approved =
        assets.decide_review(contact(&client, decide(&review2, Verdict::Approve, "Lovely."))).await.expect("client");
    let approved = approved.into_inner();
    assert_eq!(approved.review.expect("round").state, ReviewState::Approved as i32);
    assert_eq!(approved.asset.expect("asset").status, AssetStatus::Approved as i32);

    // Newest first; the client sees version 1 (shown to clients) and not 2, and of v1's round
    // only the client's stage.
    let list = |m| ListVersionsRequest { parent: trailer.name.clone(), page_size: m, page_token: String::new() };
    let all = assets.list_versions(list(0)).await.expect("list").into_inner().versions;
    assert_eq!(all.iter().map(|v| v.number).collect::<Vec<_>>(), [2, 1]);
    let page = assets.list_versions(list(1)).await.expect("page").into_inner();
    assert_eq!((page.versions.len(), page.next_page_token.is_empty()), (1, false));
    let seen = assets.list_versions(contact(&client, list(0))).await.expect("client list").into_inner().versions;
    assert_eq!(seen.iter().map(|v| v.number).collect::<Vec<_>>(), [1]);
    let hidden =
        assets.get_version(contact(&client, GetVersionRequest { name: all[0].name.clone() })).await.expect_err("v2");
    assert_eq!(hidden.code(), Code::NotFound);
    let shown = assets.get_review_round(contact(&client, GetReviewRoundRequest { name: review.name.clone() })).await;
    let shown = shown.expect("client's stage").into_inner().review.expect("round");
    assert_eq!(shown.stages.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), ["Client"]);
}

#[tokio::test]
async fn reviewers_are_on_the_team_and_files_are_checked() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let outsider = person(&server, "Otto", PersonRole::Designer).await;
    let project = project(&server, &producer, "Relaunch").await;
    let poster = asset(&server, &producer, &project, "Poster", &[]).await;
    let mut assets = server.assets();
    assets.start_asset(StartAssetRequest { name: poster.name.clone(), ..Default::default() }).await.expect("start");

    let stranger = vec![stage("Outside", &[&outsider], ReviewRule::All, false)];
    let refused = assets.submit_version(as_actor(&producer, submit(&poster.name, 1, stranger, false))).await;
    let refused = refused.expect_err("not on the team");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "REVIEWER_NOT_ON_TEAM"));
    assert!(refused.message().contains("stages[0].reviewers[0]"), "{}", refused.message());

    let mut bad = submit(&poster.name, 1, vec![], false);
    bad.version.as_mut().expect("version").files[0].uri = "ftp://old/poster.png".into();
    bad.version.as_mut().expect("version").files[0].size_bytes = -5;
    let bad = assets.submit_version(bad).await.expect_err("bad files");
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["version.files[0].size_bytes", "version.files[0].uri"]);

    // Without stages: a one-step review the workflow methods decide.
    let simple =
        assets.submit_version(as_actor(&producer, submit(&poster.name, 1, vec![], false))).await.expect("simple");
    let simple = simple.into_inner();
    assert!(simple.review.is_none() && simple.version.expect("version").review.is_empty());
    let approved = assets.approve_asset(ApproveAssetRequest { name: poster.name.clone(), ..Default::default() }).await;
    assert_eq!(approved.expect("one step").into_inner().asset.expect("asset").status, AssetStatus::Approved as i32);
}

/// Both reviewers of an ALL stage decide at once: both decisions count, the stage passes once.
#[tokio::test]
async fn decisions_at_once_are_all_counted() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;
    let mut reviewers = Vec::new();
    for name in ["Ana", "Ben", "Cid", "Dee"] {
        let reviewer = person(&server, name, PersonRole::Designer).await;
        add_member(&server, &producer, &project, &reviewer, ProjectMemberRole::Reviewer).await;
        reviewers.push(reviewer);
    }
    let poster = asset(&server, &producer, &project, "Poster", &[]).await;
    let mut assets = server.assets();
    assets.start_asset(StartAssetRequest { name: poster.name.clone(), ..Default::default() }).await.expect("start");
    let all: Vec<&str> = reviewers.iter().map(String::as_str).collect();
    let stages = vec![stage("Everyone", &all, ReviewRule::All, false)];
    let review = assets.submit_version(submit(&poster.name, 1, stages, false)).await.expect("submit");
    let review = review.into_inner().review.expect("round").name;
    let mut calls = tokio::task::JoinSet::new();
    for reviewer in &reviewers {
        let (mut client, request) =
            (server.assets(), as_person(reviewer, &[GlobalRole::Member], decide(&review, Verdict::Approve, "")));
        calls.spawn(async move { client.decide_review(request).await });
    }
    while let Some(done) = calls.join_next().await {
        done.expect("joined").expect("each decision is accepted");
    }
    let round = assets.get_review_round(GetReviewRoundRequest { name: review }).await.expect("get");
    let round = round.into_inner().review.expect("round");
    assert_eq!((round.state, round.stages[0].decisions.len()), (ReviewState::Approved as i32, 4));
    let asset =
        assets.get_asset(GetAssetRequest { name: poster.name }).await.expect("get").into_inner().asset.expect("asset");
    assert_eq!(asset.status, AssetStatus::Approved as i32);
}

/// A component sent back as often as the project's retake cap allows raises an obstacle on the
/// project (through the event), once.
#[tokio::test]
async fn reaching_the_retake_cap_raises_an_obstacle_on_the_project() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;
    let jingle = asset(&server, &producer, &project, "Jingle", &[]).await;
    let mut assets = server.assets();
    let settings_name = format!("{project}/componentSettings");

    let defaults = assets.get_component_settings(GetComponentSettingsRequest { name: settings_name.clone() }).await;
    let defaults = defaults.expect("defaults").into_inner().settings.expect("settings");
    assert_eq!((defaults.retake_cap, defaults.etag.as_str()), (0, "0"));
    let set = |cap: i32, etag: &str| UpdateComponentSettingsRequest {
        settings: Some(ComponentSettings {
            name: settings_name.clone(),
            retake_cap: cap,
            etag: etag.into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask { paths: vec!["retake_cap".into()] }),
        request_id: String::new(),
    };
    let too_many = assets.update_component_settings(set(500, "")).await.expect_err("over 100");
    assert_eq!(violated_fields(&too_many), ["settings.retake_cap"]);
    let capped =
        assets.update_component_settings(set(2, "0")).await.expect("cap").into_inner().settings.expect("settings");
    assert_eq!((capped.retake_cap, capped.etag.as_str()), (2, "1"));
    let stale = assets.update_component_settings(set(3, "0")).await.expect_err("stale");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));

    let mut tap = env.tap("baton.assets.v1.RetakeCapReached").await;
    for round in 1..=2 {
        let name = jingle.name.clone();
        assets.start_asset(StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("start");
        assets
            .submit_asset_for_review(SubmitAssetForReviewRequest { name: name.clone(), ..Default::default() })
            .await
            .expect("submit");
        let back = assets
            .request_asset_changes(RequestAssetChangesRequest {
                name,
                comment: format!("Take {round}: too loud."),
                ..Default::default()
            })
            .await
            .expect("changes")
            .into_inner()
            .asset
            .expect("asset");
        assert_eq!(back.retakes, round);
    }
    let reached: RetakeCapReached = tap.next().await;
    assert_eq!((reached.retake_cap, reached.asset.expect("asset").retakes), (2, 2));

    let obstacle = baton_testkit::eventually("the retake obstacle", std::time::Duration::from_secs(10), || async {
        let request = baton_proto::projects::v1::ListObstaclesRequest { parent: project.clone(), ..Default::default() };
        let listed = server.projects().list_obstacles(request).await.ok()?.into_inner().obstacles;
        listed.into_iter().find(|o| o.component == jingle.name)
    })
    .await;
    assert_eq!(obstacle.severity, baton_proto::projects::v1::ObstacleSeverity::High as i32);
    assert!(obstacle.title.contains("Jingle") && obstacle.title.contains("2 times"), "{}", obstacle.title);
    assert_eq!(obstacle.raised_by, "services/assets");
    // A third retake is past the cap: no second obstacle.
    let name = jingle.name.clone();
    assets.start_asset(StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("start");
    assets
        .submit_asset_for_review(SubmitAssetForReviewRequest { name: name.clone(), ..Default::default() })
        .await
        .expect("submit");
    assets
        .request_asset_changes(RequestAssetChangesRequest { name, comment: "Again.".into(), ..Default::default() })
        .await
        .expect("changes");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let request = baton_proto::projects::v1::ListObstaclesRequest { parent: project.clone(), ..Default::default() };
    let listed = server.projects().list_obstacles(request).await.expect("list").into_inner().obstacles;
    assert_eq!(listed.iter().filter(|o| o.component == jingle.name).count(), 1);
}
