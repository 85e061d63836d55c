//! Components a producer answers for: updated by field mask (a reassignment says who came and
//! went), watched, due, and waiting for each other (finish-to-start, never in a cycle).

use std::time::Duration;

use baton_proto::assets::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::GetProjectHealthRequest;
use baton_testkit::{Target, TestEnv, as_actor, as_person, eventually, reason, violated_fields};
use baton_tests::{asset, asset_of_kind, person, project, video_file};
use prost_types::FieldMask;
use tonic::Code;

fn update(asset: Asset, paths: &[&str]) -> UpdateAssetRequest {
    UpdateAssetRequest {
        asset: Some(asset),
        update_mask: Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn a_component_is_updated_reassigned_watched_and_due() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let (ari, bo) =
        (person(&server, "Ari", PersonRole::Animator).await, person(&server, "Bo", PersonRole::Animator).await);
    let project = project(&server, &producer, "Relaunch").await;
    let created = asset(&server, &producer, &project, "Hero animation", &[&ari]).await;
    let mut assets = server.assets();
    let mut tap = env.tap("baton.assets.#").await;

    let change = Asset {
        name: created.name.clone(),
        etag: created.etag.clone(),
        assignees: vec![bo.clone()],
        weight: 40,
        due_date: "2027-02-15".into(),
        display_name: "Ignored: not in the mask".into(),
        ..Default::default()
    };
    let updated = assets
        .update_asset(as_actor(&producer, update(change.clone(), &["assignees", "weight", "due_date"])))
        .await
        .expect("update")
        .into_inner()
        .asset
        .expect("asset");
    assert_eq!(
        (updated.assignees.clone(), updated.weight, updated.due_date.as_str()),
        (vec![bo.clone()], 40, "2027-02-15")
    );
    assert_eq!(updated.display_name, "Hero animation");
    let event: AssetUpdated = tap.next().await;
    assert_eq!((event.added_assignees, event.removed_assignees), (vec![bo.clone()], vec![ari.clone()]));
    assert_eq!((event.before.as_ref(), event.after.as_ref()), (Some(&created), Some(&updated)));
    assert_eq!(
        (event.changed_fields, event.actor),
        (vec!["assignees".to_string(), "weight".into(), "due_date".into()], producer.clone())
    );

    let stale = assets.update_asset(update(change, &["weight"])).await.expect_err("stale etag");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    let bad = Asset { name: created.name.clone(), weight: 5000, due_date: "soon".into(), ..Default::default() };
    let bad = assets.update_asset(update(bad, &["weight", "due_date"])).await.expect_err("invalid");
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(fields, ["asset.due_date", "asset.weight"]);
    let unknown = format!("people/{}", uuid::Uuid::now_v7());
    let nobody = Asset { name: created.name.clone(), assignees: vec![unknown], ..Default::default() };
    let nobody = assets.update_asset(update(nobody, &["assignees"])).await.expect_err("unknown person");
    assert_eq!((nobody.code(), reason(&nobody).as_str()), (Code::NotFound, "PERSON_NOT_FOUND"));

    // The projects service's projection takes the new weight.
    eventually("the projection takes the new weight", Duration::from_secs(10), || async {
        let request = GetProjectHealthRequest { name: format!("{project}/health") };
        let health = server.projects().get_project_health(request).await.ok()?.into_inner().health?;
        (health.total_weight == 40).then_some(())
    })
    .await;

    // Ari watches it, twice (nothing changes the second time), then stops.
    baton_tests::add_member(&server, &producer, &project, &ari, baton_proto::projects::v1::ProjectMemberRole::Observer)
        .await;
    let watch = || WatchAssetRequest { name: created.name.clone() };
    let watched = assets.watch_asset(as_person(&ari, &[baton_auth::GlobalRole::Member], watch())).await.expect("watch");
    let watched = watched.into_inner().asset.expect("asset");
    assert_eq!(watched.watchers, [ari.as_str()]);
    let again = assets.watch_asset(as_person(&ari, &[baton_auth::GlobalRole::Member], watch())).await.expect("again");
    assert_eq!(again.into_inner().asset.expect("asset").etag, watched.etag, "watching twice changes nothing");
    let unwatch = UnwatchAssetRequest { name: created.name.clone() };
    let unwatched =
        assets.unwatch_asset(as_person(&ari, &[baton_auth::GlobalRole::Member], unwatch)).await.expect("unwatch");
    assert!(unwatched.into_inner().asset.expect("asset").watchers.is_empty());
    let types = tap.types(2, Duration::from_millis(300)).await;
    assert_eq!(types.iter().filter(|t| t.as_str() == "baton.assets.v1.AssetUpdated").count(), 2, "{types:?}");
}

#[tokio::test]
async fn a_blocked_component_cannot_start_and_dependencies_never_cycle() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;
    let other = baton_tests::project(&server, &producer, "Elsewhere").await;
    let design = asset(&server, &producer, &project, "Visual identity", &[]).await;
    let pages = asset(&server, &producer, &project, "Web pages", &[]).await;
    let locator = asset(&server, &producer, &project, "Store locator", &[]).await;
    let foreign = asset(&server, &producer, &other, "Poster", &[]).await;
    let mut assets = server.assets();
    let blocked_by = |asset: &Asset, blockers: &[&Asset]| {
        update(
            Asset {
                name: asset.name.clone(),
                blocked_by: blockers.iter().map(|b| b.name.clone()).collect(),
                ..Default::default()
            },
            &["blocked_by"],
        )
    };

    // Pages wait for the identity; the locator for the pages.
    assets.update_asset(blocked_by(&pages, &[&design])).await.expect("pages wait for the identity");
    assets.update_asset(blocked_by(&locator, &[&pages])).await.expect("the locator waits for the pages");
    let start = |asset: &Asset| StartAssetRequest { name: asset.name.clone(), ..Default::default() };
    let blocked = assets.start_asset(start(&pages)).await.expect_err("blocked");
    assert_eq!((blocked.code(), reason(&blocked).as_str()), (Code::FailedPrecondition, "ASSET_BLOCKED"));
    assert!(
        blocked.message().contains("Visual identity") && blocked.message().contains(&design.name),
        "{}",
        blocked.message()
    );

    // A cycle, directly or through others, and waiting for oneself are refused.
    let cycle = assets.update_asset(blocked_by(&design, &[&locator])).await.expect_err("cycle");
    assert_eq!((cycle.code(), reason(&cycle).as_str()), (Code::FailedPrecondition, "DEPENDENCY_CYCLE"));
    for name in [&design.name, &locator.name, &pages.name] {
        assert!(cycle.message().contains(name.as_str()), "{name} missing from {}", cycle.message());
    }
    let own = assets.update_asset(blocked_by(&design, &[&design])).await.expect_err("itself");
    assert_eq!(reason(&own), "DEPENDENCY_CYCLE");
    let foreign_blocker = assets.update_asset(blocked_by(&design, &[&foreign])).await.expect_err("other project");
    assert_eq!(violated_fields(&foreign_blocker), ["asset.blocked_by[0]"]);
    let missing = Asset { name: format!("{project}/assets/{}", uuid::Uuid::now_v7()), ..Default::default() };
    let unknown = assets.update_asset(blocked_by(&design, &[&missing])).await.expect_err("unknown");
    assert_eq!((unknown.code(), reason(&unknown).as_str()), (Code::NotFound, "ASSET_NOT_FOUND"));

    // Once the identity is approved, the pages start.
    assets.start_asset(start(&design)).await.expect("start");
    assets
        .submit_asset_for_review(SubmitAssetForReviewRequest { name: design.name.clone(), ..Default::default() })
        .await
        .expect("submit");
    let still = assets.start_asset(start(&pages)).await.expect_err("in review is not done");
    assert_eq!(reason(&still), "ASSET_BLOCKED");
    assets
        .approve_asset(ApproveAssetRequest { name: design.name.clone(), ..Default::default() })
        .await
        .expect("approve");
    let started = assets.start_asset(start(&pages)).await.expect("unblocked").into_inner().asset.expect("asset");
    assert_eq!(started.status, AssetStatus::InProgress as i32);
}

/// Two updates that would close a cycle between them, sent at once: one of them is refused.
#[tokio::test]
async fn concurrent_dependencies_never_close_a_cycle() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;
    for round in 0..5 {
        let a = asset(&server, &producer, &project, &format!("A{round}"), &[]).await;
        let b = asset(&server, &producer, &project, &format!("B{round}"), &[]).await;
        let wait = |waiting: &Asset, on: &Asset| {
            let mut client = server.assets();
            let request = update(
                Asset { name: waiting.name.clone(), blocked_by: vec![on.name.clone()], ..Default::default() },
                &["blocked_by"],
            );
            async move { client.update_asset(request).await }
        };
        let (first, second) = tokio::join!(wait(&a, &b), wait(&b, &a));
        let refused: Vec<_> = [first, second].into_iter().filter_map(Result::err).collect();
        assert_eq!(refused.len(), 1, "round {round}: exactly one of the two is refused");
        assert_eq!(reason(&refused[0]), "DEPENDENCY_CYCLE");
    }
}

/// A component the producer does not show to the client stays out of a client contact's sight,
/// whatever its status; shown again, it is seen once it is in front of them.
#[tokio::test]
async fn a_client_sees_only_the_components_shown_to_them() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let client = person(&server, "Chloé", PersonRole::ClientContact).await;
    let project = project(&server, &producer, "Relaunch").await;
    baton_tests::add_member(
        &server,
        &producer,
        &project,
        &client,
        baton_proto::projects::v1::ProjectMemberRole::Client,
    )
    .await;
    let internal = asset(&server, &producer, &project, "Internal tooling", &[]).await;
    let mut assets = server.assets();
    let hide = Asset { name: internal.name.clone(), client_visible: Some(false), ..Default::default() };
    let hidden = assets.update_asset(update(hide, &["client_visible"])).await.expect("hide").into_inner().asset;
    assert_eq!(hidden.expect("asset").client_visible, Some(false));
    for step in ["start", "submit"] {
        let name = internal.name.clone();
        if step == "start" {
            assets.start_asset(StartAssetRequest { name, ..Default::default() }).await.expect("start");
        } else {
            assets
                .submit_asset_for_review(SubmitAssetForReviewRequest { name, ..Default::default() })
                .await
                .expect("submit");
        }
    }
    let as_client = |name: &str| {
        as_person(&client, &[baton_auth::GlobalRole::ClientContact], GetAssetRequest { name: name.into() })
    };
    let refused = assets.get_asset(as_client(&internal.name)).await.expect_err("not shown to the client");
    assert_eq!(refused.code(), Code::NotFound);
    let list = || ListAssetsRequest { parent: project.clone(), ..Default::default() };
    let seen = assets.list_assets(as_person(&client, &[baton_auth::GlobalRole::ClientContact], list())).await;
    assert!(seen.expect("list").into_inner().assets.is_empty());

    let show = Asset { name: internal.name.clone(), client_visible: Some(true), ..Default::default() };
    assets.update_asset(update(show, &["client_visible"])).await.expect("show");
    assets.get_asset(as_client(&internal.name)).await.expect("in review and shown: seen");
}

#[tokio::test]
async fn a_producer_lists_the_components_that_match_a_filter() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let (ari, bo) =
        (person(&server, "Ari", PersonRole::Animator).await, person(&server, "Bo", PersonRole::Animator).await);
    let project = project(&server, &producer, "Relaunch").await;
    let mut assets = server.assets();
    let hero = asset(&server, &producer, &project, "Hero animation", &[&ari]).await;
    let film = asset_of_kind(&server, &producer, &project, "Product film", AssetKind::Video, &[&bo]).await;
    asset_of_kind(&server, &producer, &project, "Poster", AssetKind::Graphic, &[&ari, &bo]).await;
    for (asset, due) in [(&hero, "2027-01-15"), (&film, "2027-03-31")] {
        let change = Asset {
            name: asset.name.clone(),
            due_date: due.into(),
            watchers: vec![producer.clone()],
            ..Default::default()
        };
        assets.update_asset(update(change, &["due_date", "watchers"])).await.expect("due");
    }
    assets.start_asset(StartAssetRequest { name: film.name.clone(), ..Default::default() }).await.expect("start");
    let loud = SubmitVersionRequest {
        parent: film.name.clone(),
        version: Some(Version { files: vec![video_file(1, -9.0)], ..Default::default() }),
        stages: vec![],
        request_id: String::new(),
    };
    assets.submit_version(loud).await.expect("submit");

    let titles = |filter: &str| {
        let request = ListAssetsRequest { parent: project.clone(), filter: filter.into(), ..Default::default() };
        let mut assets = server.assets();
        async move {
            let listed = assets.list_assets(request).await.expect("list").into_inner().assets;
            listed.into_iter().map(|a| a.display_name).collect::<Vec<_>>()
        }
    };
    assert_eq!(titles("").await, ["Hero animation", "Product film", "Poster"]);
    assert_eq!(titles(&format!("assignee = \"{ari}\"")).await, ["Hero animation", "Poster"]);
    assert_eq!(titles(&format!("assignee = \"{bo}\" AND kind != ASSET_KIND_VIDEO")).await, ["Poster"]);
    assert_eq!(titles("status = ASSET_STATUS_IN_REVIEW").await, ["Product film"]);
    assert_eq!(titles("due_date < 2027-02-01").await, ["Hero animation"]);
    assert_eq!(titles(&format!("watcher = \"{producer}\" AND due_date >= 2027-01-15")).await.len(), 2);
    assert_eq!(titles("quality_failing = true").await, ["Product film"], "too loud");
    assert_eq!(titles("quality_failing = false").await, ["Hero animation", "Poster"]);

    for (filter, field) in [("colour = red", "filter"), ("status = DONE", "filter"), ("due_date > soon", "filter")] {
        let request = ListAssetsRequest { parent: project.clone(), filter: filter.into(), ..Default::default() };
        let refused = assets.list_assets(request).await.expect_err(filter);
        assert_eq!(violated_fields(&refused), [field], "{filter}");
    }
}
