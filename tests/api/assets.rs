use std::time::Duration;

use tonic::Code;

use baton_proto::assets::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_testkit::{Target, TestEnv, as_actor, reason, violated_fields};
use baton_tests::{asset, person, project};

#[tokio::test]
async fn an_asset_moves_through_its_whole_workflow() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
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
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
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
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
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
            .list_assets(ListAssetsRequest {
                parent: relaunch.clone(),
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
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
        .list_assets(ListAssetsRequest {
            parent: relaunch,
            page_size: 2,
            page_token: "garbage".into(),
            ..Default::default()
        })
        .await
        .expect_err("bad token");
    assert_eq!(violated_fields(&status), ["page_token"]);
}

/// The events an assets server wrote and has not published (nothing consumes them here, so the
/// relay keeps them): `(event type, subject)` in order.
/// How long a tap waits for events beyond those expected: none may come.
const GRACE: Duration = Duration::from_millis(500);

#[tokio::test]
async fn a_repeated_request_answers_with_its_first_response_even_after_the_asset_moved_on() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let mut tap = env.tap("baton.assets.#").await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;
    let created = asset(&server, &producer, &project, "Poster", &[]).await;
    let mut assets = server.assets();
    let name = created.name.clone();
    assets.start_asset(StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("start");
    let submit = SubmitAssetForReviewRequest {
        name: name.clone(),
        comment: "v1".into(),
        request_id: uuid::Uuid::new_v4().to_string(),
        ..Default::default()
    };
    let first = assets.submit_asset_for_review(submit.clone()).await.expect("submit").into_inner();
    assets
        .request_asset_changes(RequestAssetChangesRequest {
            name: name.clone(),
            comment: "again".into(),
            ..Default::default()
        })
        .await
        .expect("changes");
    // The asset is no longer in progress, so submitting again would be refused; the repeat of
    // the applied request is answered with what it answered then, and changes nothing.
    let again = assets.submit_asset_for_review(submit.clone()).await.expect("replay").into_inner();
    assert_eq!(again, first);
    // Even where the step would be allowed again (back in progress), the repeat is not applied.
    assets.start_asset(StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("restart");
    let again = assets.submit_asset_for_review(submit.clone()).await.expect("replay").into_inner();
    assert_eq!(again, first);
    let current = assets.get_asset(GetAssetRequest { name: name.clone() }).await.expect("get").into_inner();
    assert_eq!(current.asset.expect("asset").status, AssetStatus::InProgress as i32, "the replay changed nothing");

    // The same request id for another call is refused, naming the rule.
    let status = assets
        .approve_asset(ApproveAssetRequest { name: name.clone(), request_id: submit.request_id, ..Default::default() })
        .await
        .expect_err("reused for another method");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::FailedPrecondition, "REQUEST_ID_REUSED"));

    let changes = tap.types(5, GRACE).await;
    assert_eq!(
        changes,
        [
            "baton.assets.v1.AssetCreated",
            "baton.assets.v1.AssetStatusChanged",
            "baton.assets.v1.AssetStatusChanged",
            "baton.assets.v1.AssetStatusChanged",
            "baton.assets.v1.AssetStatusChanged",
        ],
        "one event per applied change: create, start, submit, request changes, restart"
    );
}

#[tokio::test]
async fn concurrent_calls_apply_each_change_once() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let mut tap = env.tap("baton.assets.#").await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;

    // Eight copies of one create at once: one asset, one event, the same answer for all.
    let create = CreateAssetRequest {
        parent: project.clone(),
        asset: Some(Asset { display_name: "Logo".into(), kind: AssetKind::Graphic as i32, ..Default::default() }),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let calls = (0..8).map(|_| {
        let (mut assets, create) = (server.assets(), create.clone());
        async move { assets.create_asset(create).await.map(|r| r.into_inner().asset.expect("asset")) }
    });
    let answers: Vec<Asset> =
        all_at_once(calls).await.into_iter().collect::<Result<_, _>>().expect("every copy answered");
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]), "every copy got the first answer");
    let list = server
        .assets()
        .list_assets(ListAssetsRequest { parent: project.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.assets.len(), 1, "one asset for eight copies of the request");

    // Eight different callers start it at once: exactly one moves it, the others are told why.
    let name = answers[0].name.clone();
    let calls = (0..8).map(|_| {
        let (mut assets, name) = (server.assets(), name.clone());
        async move { assets.start_asset(StartAssetRequest { name, ..Default::default() }).await }
    });
    let results = all_at_once(calls).await;
    let started = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(started, 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            (refused.code(), reason(refused).as_str()),
            (Code::FailedPrecondition, "ILLEGAL_TRANSITION"),
            "{refused:?}"
        );
    }
    let current = server.assets().get_asset(GetAssetRequest { name }).await.expect("get").into_inner();
    assert_eq!(current.asset.expect("asset").etag, "2", "one change, one revision");
    assert_eq!(tap.types(2, GRACE).await.len(), 2, "AssetCreated and one AssetStatusChanged");
}

#[tokio::test]
async fn a_replica_decides_on_the_stored_asset_when_another_moved_it() {
    // Each replica starts a step from the asset it wrote last; these steps are taken where the
    // other replica moved the asset since, so what the first remembers is behind.
    let env = TestEnv::new().await;
    let first = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let second = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let mut tap = env.tap("baton.assets.#").await;
    let producer = person(&first, "Paula", PersonRole::Producer).await;
    let project = project(&first, &producer, "Relaunch").await;
    let name = asset(&first, &producer, &project, "Poster", &[]).await.name;
    let (mut one, mut two) = (first.assets(), second.assets());

    // The first remembers it PLANNED, where starting is allowed; it was started meanwhile.
    two.start_asset(StartAssetRequest { name: name.clone(), ..Default::default() }).await.expect("start");
    let status = one
        .start_asset(StartAssetRequest { name: name.clone(), ..Default::default() })
        .await
        .expect_err("already started");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::FailedPrecondition, "ILLEGAL_TRANSITION"));

    // The first remembers it IN_REVIEW at revision 3; the caller knows revision 4.
    one.submit_asset_for_review(SubmitAssetForReviewRequest { name: name.clone(), ..Default::default() })
        .await
        .expect("submit");
    let changed = two
        .request_asset_changes(RequestAssetChangesRequest {
            name: name.clone(),
            comment: "tighter crop".into(),
            ..Default::default()
        })
        .await
        .expect("changes")
        .into_inner()
        .asset
        .expect("asset");
    let restarted = one
        .start_asset(StartAssetRequest { name: name.clone(), etag: changed.etag.clone(), ..Default::default() })
        .await
        .expect("restart with the etag the caller read")
        .into_inner()
        .asset
        .expect("asset");
    assert_eq!((restarted.status, restarted.etag.as_str()), (AssetStatus::InProgress as i32, "5"));
    assert_eq!(tap.types(5, GRACE).await.len(), 5, "AssetCreated and four changes, none twice");
}

/// Runs the futures at once, each on its own task, and collects their outputs in order.
async fn all_at_once<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(tasks.len());
    for task in tasks {
        outputs.push(task.await.expect("task"));
    }
    outputs
}
