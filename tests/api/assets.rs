use tonic::Code;

use baton_proto::assets::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_testkit::{TestEnv, as_actor, reason, violated_fields};
use baton_tests::{asset, person, project};

#[tokio::test]
async fn an_asset_moves_through_its_whole_workflow() {
    let env = TestEnv::new().await;
    let server = env.spawn(&["people", "projects", "assets"]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let animator = person(&server, "Ari", PersonRole::Animator).await;
    let project = project(&server, &producer, "Relaunch").await;
    let created = asset(&server, &producer, &project, "Hero animation", &[&animator]).await;
    assert_eq!(created.status, AssetStatus::Planned as i32);
    assert_eq!(created.assignees, vec![animator.clone()]);
    assert!(created.name.starts_with(&format!("{project}/assets/")));
    let mut assets = server.assets();
    let name = created.name.clone();

    let status_of = |asset: Option<Asset>| AssetStatus::try_from(asset.expect("asset").status).expect("known");
    let s = assets
        .start_asset(as_actor(&animator, StartAssetRequest { name: name.clone(), ..Default::default() }))
        .await
        .expect("start");
    assert_eq!(status_of(s.into_inner().asset), AssetStatus::InProgress);
    let s = assets
        .submit_asset_for_review(SubmitAssetForReviewRequest {
            name: name.clone(),
            comment: "v1".into(),
            ..Default::default()
        })
        .await
        .expect("submit");
    assert_eq!(status_of(s.into_inner().asset), AssetStatus::InReview);
    let s = assets
        .request_asset_changes(RequestAssetChangesRequest {
            name: name.clone(),
            comment: "slower".into(),
            ..Default::default()
        })
        .await
        .expect("changes");
    assert_eq!(status_of(s.into_inner().asset), AssetStatus::ChangesRequested);
    let s = assets.start_asset(StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("restart");
    assert_eq!(status_of(s.into_inner().asset), AssetStatus::InProgress);
    let s = assets
        .submit_asset_for_review(SubmitAssetForReviewRequest { name: name.clone(), ..Default::default() })
        .await
        .expect("submit 2");
    let in_review = s.into_inner().asset.expect("asset");
    let s = assets
        .approve_asset(ApproveAssetRequest { name: name.clone(), etag: in_review.etag.clone(), ..Default::default() })
        .await
        .expect("approve");
    assert_eq!(status_of(s.into_inner().asset), AssetStatus::Approved);

    // A stale etag is ABORTED; an illegal step is FAILED_PRECONDITION; neither changes anything.
    let status = assets
        .deliver_asset(DeliverAssetRequest { name: name.clone(), etag: in_review.etag, ..Default::default() })
        .await
        .expect_err("stale etag");
    assert_eq!(status.code(), Code::Aborted);
    assert_eq!(reason(&status), "ETAG_MISMATCH");
    let status =
        assets.start_asset(StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect_err("illegal");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "ILLEGAL_TRANSITION");
    let status = assets
        .deliver_asset(DeliverAssetRequest { name: name.clone(), etag: "not-a-revision".into(), ..Default::default() })
        .await
        .expect_err("foreign etag");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    let missing = format!("{project}/assets/{}", uuid::Uuid::new_v4());
    let status =
        assets.start_asset(StartAssetRequest { name: missing, ..Default::default() }).await.expect_err("missing");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::NotFound, "ASSET_NOT_FOUND"));

    let request_id = uuid::Uuid::new_v4().to_string();
    let deliver = DeliverAssetRequest { name: name.clone(), request_id, ..Default::default() };
    let delivered = assets.deliver_asset(deliver.clone()).await.expect("deliver").into_inner().asset.expect("asset");
    assert_eq!(delivered.status, AssetStatus::Delivered as i32);
    let replay = assets.deliver_asset(deliver).await.expect("replay of a finished step").into_inner();
    assert_eq!(replay.asset.expect("asset"), delivered, "a repeated request_id returns the first response");

    // One AssetStatusChanged per accepted change: 7 steps, none for the rejected or replayed ones.
    let mut db = env.db().await;
    let revision: i64 =
        sqlx::query_scalar("SELECT revision FROM assets.asset").fetch_one(&mut db).await.expect("revision");
    assert_eq!(revision, 8);
}

#[tokio::test]
async fn create_checks_the_project_and_the_people() {
    let env = TestEnv::new().await;
    let server = env.spawn(&["people", "projects", "assets"]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;
    let mut assets = server.assets();
    let request = |parent: &str, assignees: Vec<String>| CreateAssetRequest {
        parent: parent.into(),
        asset: Some(Asset {
            display_name: "Product video".into(),
            kind: AssetKind::Video as i32,
            assignees,
            ..Default::default()
        }),
        request_id: String::new(),
    };
    let missing_project = format!("projects/{}", uuid::Uuid::now_v7());
    let status = assets.create_asset(request(&missing_project, vec![])).await.expect_err("no project");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::NotFound, "PROJECT_NOT_FOUND"));
    let stranger = format!("people/{}", uuid::Uuid::now_v7());
    let status = assets.create_asset(request(&project, vec![producer.clone(), stranger])).await.expect_err("no person");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::NotFound, "PERSON_NOT_FOUND"));
    assert!(status.message().contains("asset.assignees[1]"), "{}", status.message());

    let status = assets
        .create_asset(CreateAssetRequest { parent: "projects/x".into(), asset: None, request_id: String::new() })
        .await
        .expect_err("invalid");
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(fields, ["asset", "parent"]);

    let created = assets.create_asset(request(&project, vec![producer])).await.expect("valid").into_inner();
    assert_eq!(created.asset.expect("asset").weight, 1, "weight defaults to 1");
}

#[tokio::test]
async fn assets_list_by_project_in_pages() {
    let env = TestEnv::new().await;
    let server = env.spawn(&["people", "projects", "assets"]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let relaunch = project(&server, &producer, "Relaunch").await;
    let other = project(&server, &producer, "Campaign").await;
    let mut names = Vec::new();
    for i in 0..5 {
        names.push(asset(&server, &producer, &relaunch, &format!("Page {i}"), &[]).await.name);
    }
    asset(&server, &producer, &other, "Elsewhere", &[]).await;

    let mut assets = server.assets();
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = assets
            .list_assets(ListAssetsRequest { parent: relaunch.clone(), page_size: 2, page_token: token })
            .await
            .expect("list")
            .into_inner();
        seen.extend(page.assets.into_iter().map(|a| a.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, names);
    let status = assets
        .list_assets(ListAssetsRequest { parent: relaunch, page_size: 2, page_token: "garbage".into() })
        .await
        .expect_err("bad token");
    assert_eq!(violated_fields(&status), ["page_token"]);
}
