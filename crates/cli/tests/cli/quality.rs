//! `baton quality`: a project's checklists, a check changed, measurements recorded, a version's
//! report and the project's score.

use baton_testkit::TestEnv;

use crate::common::{add_person, baton, create_project, development_server, text};

#[tokio::test]
async fn a_loud_cut_fails_its_check_and_the_next_one_passes() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    add_person(endpoint, "Vera Novak", "vera@example.com", "video-engineer").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;
    for (who, role) in [("paula@example.com", "producer"), ("vera@example.com", "contributor")] {
        baton(endpoint, &["--as", &paula, "projects", "members", "add", &project, who, "--role", role]).await.ok();
    }
    let defaults = baton(endpoint, &["quality", "checklist", "Relaunch", "video"]).await;
    assert!(
        defaults.ok().contains("video (the defaults)") && defaults.stdout.contains("-15 to -13 LUFS"),
        "{}",
        defaults.stdout
    );
    // Captions are the client's own job on this project: the check goes; a bitrate floor comes.
    baton(endpoint, &["--as", &paula, "quality", "remove-check", "Relaunch", "video", "captions"]).await.ok();
    let set = baton(
        endpoint,
        &[
            "--as",
            &paula,
            "quality",
            "set-check",
            "Relaunch",
            "video",
            "bitrate_kbps",
            "--title",
            "Bitrate",
            "--unit",
            "kbps",
            "--min",
            "6000",
            "--from-file",
            "kbps",
        ],
    )
    .await;
    assert!(set.ok().contains("this project's, etag 2") && set.stdout.contains("at least 6000 kbps"), "{}", set.stdout);
    let no_target = baton(endpoint, &["quality", "set-check", "Relaunch", "video", "grain", "--title", "Grain"]).await;
    assert!(no_target.failed(2).contains("--min"), "{}", no_target.stderr);

    baton(
        endpoint,
        &["assets", "add", "-p", "Relaunch", "--name", "Film", "--kind", "video", "--assignee", "vera@example.com"],
    )
    .await
    .ok();
    let sha = "cd".repeat(32);
    let submit = |number: &'static str, lufs: &'static str| {
        let sha = sha.clone();
        async move {
            baton(endpoint, &["--as", "vera@example.com", "assets", "start", "Film", "-p", "Relaunch"]).await.ok();
            baton(
                endpoint,
                &[
                    "--as",
                    "vera@example.com",
                    "versions",
                    "submit",
                    "Film",
                    "-p",
                    "Relaunch",
                    "--file",
                    &format!("s3://studio/film-v{number}.mp4"),
                    "--sha256",
                    &sha,
                    "--size",
                    "1000",
                    "--type",
                    "video/mp4",
                    "--width",
                    "1920",
                    "--height",
                    "1080",
                    "--fps",
                    "25",
                    "--kbps",
                    "8000",
                    "--lufs",
                    lufs,
                ],
            )
            .await
        }
    };
    let first = submit("1", "-9").await;
    assert!(first.ok().contains("Quality: 4 of 5 checks passed; failed: Integrated loudness"), "{}", first.stdout);
    let shown = baton(endpoint, &["quality", "show", "Film", "-p", "Relaunch"]).await;
    assert!(shown.ok().contains("80 %") && shown.stdout.contains("-9 LUFS (file)"), "{}", shown.stdout);
    assert!(shown.stdout.contains("FAILED"), "{}", shown.stdout);
    let failing = baton(endpoint, &["assets", "list", "-p", "Relaunch", "--filter", "quality_failing = true"]).await;
    assert!(failing.ok().contains("Film"), "{}", failing.stdout);
    let none = baton(endpoint, &["assets", "list", "-p", "Relaunch", "--filter", "kind = ASSET_KIND_AUDIO"]).await;
    assert!(!none.ok().contains("Film"), "{}", none.stdout);

    baton(endpoint, &["assets", "request-changes", "Film", "-p", "Relaunch", "--comment", "Too loud"]).await.ok();
    submit("2", "-14").await.ok();
    // A measurement recorded later overrides the file's.
    let measured = baton(
        endpoint,
        &[
            "-o",
            "json",
            "--as",
            "vera@example.com",
            "quality",
            "measure",
            "Film",
            "-p",
            "Relaunch",
            "bitrate_kbps=7000",
        ],
    )
    .await
    .json();
    assert_eq!((measured["number"].as_i64(), measured["score"].as_f64()), (Some(2), Some(1.0)));
    let wrong = baton(endpoint, &["quality", "measure", "Film", "-p", "Relaunch", "bitrate_kbps=fast"]).await;
    assert!(wrong.failed(2).contains("bitrate_kbps takes a number"), "{}", wrong.stderr);

    // The projects service rolls the score up from the events.
    let rolled = baton_testkit::eventually("the project's score", std::time::Duration::from_secs(10), || async {
        let run = baton(endpoint, &["-o", "json", "quality", "project", "Relaunch"]).await;
        let value = run.json();
        (value["score"].as_f64() == Some(1.0)).then_some(value)
    })
    .await;
    assert_eq!((rolled["assessed"].as_u64(), rolled["failing"].as_array().map(Vec::len)), (Some(1), Some(0)));
    let failing = baton(endpoint, &["-o", "json", "quality", "show", "Film", "-p", "Relaunch", "--number", "1"]).await;
    assert_eq!(text(&failing.json()["results"][3], "outcome"), "failed");
}
