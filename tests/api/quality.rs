//! Quality: each kind's checklist in a project (defaults until changed), measurements of
//! versions, each check passing or failing against its target, the component's score, and the
//! project's — rolled up by the projects service from the QualityAssessed events.

use std::time::Duration;

use baton_proto::assets::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::{GetProjectHealthRequest, ProjectHealth, ProjectMemberRole};
use baton_testkit::{Target, TestEnv, TestServer, as_actor, eventually, reason, violated_fields};
use baton_tests::{add_member, asset_of_kind, person, project, video_file};
use tonic::Code;

fn flag(check: &str, value: bool) -> Measurement {
    Measurement { check: check.into(), value: Some(measurement::Value::Flag(value)) }
}

fn submit(asset: &str, number: u32, loudness: f64, measurements: Vec<Measurement>) -> SubmitVersionRequest {
    SubmitVersionRequest {
        parent: asset.into(),
        version: Some(Version { files: vec![video_file(number, loudness)], measurements, ..Default::default() }),
        stages: vec![],
        request_id: String::new(),
    }
}

fn outcomes(version: &Version) -> Vec<(String, i32)> {
    let report = version.quality.as_ref().expect("a report");
    report.results.iter().map(|r| (r.check.as_ref().expect("check").id.clone(), r.outcome)).collect()
}

async fn health_where(
    server: &TestServer,
    project: &str,
    what: &str,
    until: impl Fn(&ProjectHealth) -> bool,
) -> ProjectHealth {
    eventually(what, Duration::from_secs(10), || async {
        let request = GetProjectHealthRequest { name: format!("{project}/health") };
        let health = server.projects().get_project_health(request).await.ok()?.into_inner().health?;
        until(&health).then_some(health)
    })
    .await
}

#[tokio::test]
async fn a_failed_loudness_check_is_fixed_in_the_next_version_and_the_project_knows() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let editor = person(&server, "Vera", PersonRole::VideoEngineer).await;
    let project = project(&server, &producer, "Relaunch").await;
    add_member(&server, &producer, &project, &editor, ProjectMemberRole::Contributor).await;
    let mut assets = server.assets();
    let film = asset_of_kind(&server, &producer, &project, "Product film", AssetKind::Video, &[&editor]).await;
    assert_eq!(film.quality, None, "no version yet");

    // Every kind has a checklist from the start; video's has loudness and captions.
    let lists = assets.list_quality_checklists(ListQualityChecklistsRequest { parent: project.clone() }).await;
    let lists = lists.expect("list").into_inner().checklists;
    assert_eq!(lists.len(), 8);
    let video = lists.iter().find(|l| l.kind == AssetKind::Video as i32).expect("video");
    assert_eq!(video.name, format!("{project}/qualityChecklists/video"));
    let ids: Vec<&str> = video.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["width", "height", "frame_rate", "loudness_lufs", "captions"]);
    assert_eq!((video.customized, video.etag.as_str()), (false, "0"));

    assets
        .start_asset(as_actor(&editor, StartAssetRequest { name: film.name.clone(), ..Default::default() }))
        .await
        .expect("start");
    // A value of another type than its check's is refused, and nothing is written.
    let wrong = Measurement { check: "captions".into(), value: Some(measurement::Value::Number(1.0)) };
    let refused = assets.submit_version(as_actor(&editor, submit(&film.name, 1, -9.0, vec![wrong]))).await;
    let refused = refused.expect_err("captions is yes or no");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::InvalidArgument, "INVALID_ARGUMENT"));
    assert!(refused.message().contains("version.measurements[0]"), "{}", refused.message());
    let unchanged = assets.get_asset(GetAssetRequest { name: film.name.clone() }).await.expect("get").into_inner();
    assert_eq!(unchanged.asset.expect("asset").latest_version, 0);

    // Version 1 is too loud: the file's -9 LUFS misses -15 to -13.
    // One tap per test: every assets event; `next` skips to the type it waits for.
    let mut tap = env.tap("baton.assets.v1.#").await;
    let v1 = assets
        .submit_version(as_actor(&editor, submit(&film.name, 1, -9.0, vec![flag("captions", true)])))
        .await
        .expect("v1")
        .into_inner();
    let (version1, asset) = (v1.version.expect("version"), v1.asset.expect("asset"));
    let (passed, failed) = (CheckOutcome::Passed as i32, CheckOutcome::Failed as i32);
    assert_eq!(
        outcomes(&version1),
        [
            ("width".to_string(), passed),
            ("height".to_string(), passed),
            ("frame_rate".to_string(), passed),
            ("loudness_lufs".to_string(), failed),
            ("captions".to_string(), passed),
        ]
    );
    let loudness = &version1.quality.as_ref().expect("report").results[3];
    assert!(loudness.from_files, "measured from the file");
    assert_eq!(loudness.measured.as_ref().and_then(|m| m.value.clone()), Some(measurement::Value::Number(-9.0)));
    let quality = asset.quality.expect("assessed");
    assert_eq!((quality.version, quality.score), (1, Some(0.8)));
    assert_eq!(quality.failed_checks, ["loudness_lufs"]);
    let assessed: QualityAssessed = tap.next().await;
    assert_eq!(assessed.before, None);
    assert_eq!((assessed.version.as_str(), assessed.actor.as_str()), (version1.name.as_str(), editor.as_str()));

    // The project's health rolls it up.
    let health =
        health_where(&server, &project, "the film's score", |h| h.quality.as_ref().is_some_and(|q| q.assessed == 1))
            .await;
    let rolled = health.quality.expect("quality");
    assert!(rolled.score.is_some_and(|score| (score - 0.8).abs() < 1e-9), "{:?}", rolled.score);
    assert_eq!((rolled.failing.len(), rolled.failing[0].component.as_str()), (1, film.name.as_str()));
    assert_eq!(rolled.failing[0].failed_checks, ["loudness_lufs"]);

    // Sent back; version 2 at -14 LUFS passes everything.
    assets
        .request_asset_changes(as_actor(
            &producer,
            RequestAssetChangesRequest { name: film.name.clone(), comment: "Too loud.".into(), ..Default::default() },
        ))
        .await
        .expect("changes");
    assets
        .start_asset(as_actor(&editor, StartAssetRequest { name: film.name.clone(), ..Default::default() }))
        .await
        .expect("restart");
    let v2 = assets
        .submit_version(as_actor(&editor, submit(&film.name, 2, -14.0, vec![flag("captions", true)])))
        .await
        .expect("v2")
        .into_inner();
    let version2 = v2.version.expect("version");
    let quality = v2.asset.expect("asset").quality.expect("assessed");
    assert_eq!((quality.version, quality.score, quality.failed), (2, Some(1.0), 0));
    let assessed: QualityAssessed = tap.next().await;
    assert_eq!(assessed.before.map(|b| b.version), Some(1));
    let health =
        health_where(&server, &project, "the fixed film", |h| h.quality.as_ref().is_some_and(|q| q.score == Some(1.0)))
            .await;
    assert!(health.quality.expect("quality").failing.is_empty());

    // Measurements recorded later: captions missing after all. The newest version's result is
    // the component's; recording on version 1 changes nothing of the component.
    let record = |version: &str, m: Vec<Measurement>| RecordMeasurementsRequest {
        name: version.into(),
        measurements: m,
        request_id: String::new(),
    };
    let after = assets
        .record_measurements(as_actor(&editor, record(&version2.name, vec![flag("captions", false)])))
        .await
        .expect("record")
        .into_inner();
    let quality = after.asset.expect("asset").quality.expect("assessed");
    assert_eq!((quality.score, quality.failed_checks), (Some(0.8), vec!["captions".to_string()]));
    assert_eq!(after.version.expect("version").measurements, [flag("captions", false)]);
    let event: MeasurementsRecorded = tap.next().await;
    assert_eq!(event.before.expect("before").measurements, [flag("captions", true)]);
    let old = assets
        .record_measurements(as_actor(&editor, record(&version1.name, vec![flag("captions", false)])))
        .await
        .expect("record on v1")
        .into_inner();
    assert_eq!(old.asset.expect("asset").quality.expect("assessed").version, 2);
    let mistyped = Measurement { check: "loudness_lufs".into(), value: Some(measurement::Value::Text("loud".into())) };
    let refused = assets.record_measurements(as_actor(&editor, record(&version2.name, vec![mistyped]))).await;
    let refused = refused.expect_err("a number check");
    let why = "measurements[0]: check \"loudness_lufs\" takes a number";
    assert!(refused.message().contains(why), "{}", refused.message());
    let empty = assets.record_measurements(record(&version2.name, vec![])).await.expect_err("nothing to record");
    assert_eq!(violated_fields(&empty), ["measurements"]);
}

#[tokio::test]
async fn a_project_edits_a_checklist_and_its_components_are_assessed_again() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People, Target::Projects, Target::Assets]).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let project = project(&server, &producer, "Relaunch").await;
    add_member(&server, &producer, &project, &producer, ProjectMemberRole::Producer).await;
    let mut assets = server.assets();
    let mut tap = env.tap("baton.assets.v1.#").await;
    let mut films = Vec::new();
    for (title, loudness) in [("Teaser", -14.0), ("Trailer", -20.0)] {
        let created = asset_of_kind(&server, &producer, &project, title, AssetKind::Video, &[]).await;
        assets
            .start_asset(StartAssetRequest { name: created.name.clone(), ..Default::default() })
            .await
            .expect("start");
        assets.submit_version(submit(&created.name, 1, loudness, vec![])).await.expect("submit");
        films.push(created.name);
    }
    let name = format!("{project}/qualityChecklists/video");
    let update = |checks: Vec<QualityCheck>, etag: &str| UpdateQualityChecklistRequest {
        checklist: Some(QualityChecklist { name: name.clone(), checks, etag: etag.into(), ..Default::default() }),
        update_mask: Some(prost_types::FieldMask { paths: vec!["checks".into()] }),
        request_id: String::new(),
    };
    // Broadcast loudness instead of streaming, and no captions check.
    let broadcast = QualityCheck {
        id: "loudness_lufs".into(),
        title: "Integrated loudness (EBU R128)".into(),
        unit: "LUFS".into(),
        target: Some(quality_check::Target::Number(NumberTarget { min: Some(-24.0), max: Some(-22.0) })),
        from_media: MediaMeasure::LoudnessLufs as i32,
    };
    let bad = QualityCheck { id: "Loudness".into(), ..broadcast.clone() };
    let refused = assets.update_quality_checklist(update(vec![bad], "")).await.expect_err("bad id");
    assert_eq!(violated_fields(&refused), ["checklist.checks[0].id"]);

    // Created, started, submitted (with its status change and its assessment): five each.
    assert_eq!(tap.types(10, Duration::from_millis(200)).await.len(), 10);
    let changed = assets
        .update_quality_checklist(as_actor(&producer, update(vec![broadcast.clone()], "0")))
        .await
        .expect("update")
        .into_inner()
        .checklist
        .expect("checklist");
    assert_eq!((changed.customized, changed.etag.as_str(), changed.checks.len()), (true, "1", 1));
    // One event for the checklist and one per component whose quality changed: both films.
    let mut types = tap.types(3, Duration::from_millis(500)).await;
    types.sort();
    assert_eq!(
        types,
        [
            "baton.assets.v1.QualityAssessed",
            "baton.assets.v1.QualityAssessed",
            "baton.assets.v1.QualityChecklistUpdated"
        ]
    );
    let scores: Vec<Option<f64>> = {
        let mut scores = Vec::new();
        for film in &films {
            let asset = assets.get_asset(GetAssetRequest { name: film.clone() }).await.expect("get").into_inner();
            scores.push(asset.asset.expect("asset").quality.expect("quality").score);
        }
        scores
    };
    assert_eq!(scores, [Some(0.0), Some(0.0)], "both at streaming loudness: neither is -24 to -22");
    let health = health_where(&server, &project, "both films failing", |h| {
        h.quality.as_ref().is_some_and(|q| q.score == Some(0.0) && q.assessed == 2)
    })
    .await;
    assert!(health.reasons.iter().any(|r| r.code == "QUALITY_LOW"), "{:?}", health.reasons);
    let reread = assets.get_quality_checklist(GetQualityChecklistRequest { name: name.clone() }).await;
    assert_eq!(reread.expect("get").into_inner().checklist.expect("checklist"), changed);

    // Stale etag; a repeat of the same change assesses nothing again.
    let stale = assets.update_quality_checklist(update(vec![], "0")).await.expect_err("stale");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    assets.update_quality_checklist(update(vec![broadcast], "1")).await.expect("same checks");
    assert_eq!(tap.types(1, Duration::from_millis(500)).await, ["baton.assets.v1.QualityChecklistUpdated"]);

    // No checks: no score.
    assets.update_quality_checklist(update(vec![], "")).await.expect("none");
    let asset = assets.get_asset(GetAssetRequest { name: films[0].clone() }).await.expect("get").into_inner();
    assert_eq!(asset.asset.expect("asset").quality.expect("quality").score, None);
    let unknown = assets
        .get_quality_checklist(GetQualityChecklistRequest { name: format!("{project}/qualityChecklists/hologram") })
        .await
        .expect_err("no such kind");
    assert_eq!(violated_fields(&unknown), ["name"]);
}
