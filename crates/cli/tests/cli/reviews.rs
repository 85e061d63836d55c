//! `baton versions` and `baton reviews`: a version submitted with two stages, decided by name.

use baton_testkit::TestEnv;

use crate::common::{add_person, baton, create_project, development_server, text};

#[tokio::test]
async fn a_version_is_submitted_and_reviewed_stage_by_stage() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    let vera = add_person(endpoint, "Vera Novak", "vera@example.com", "video-engineer").await;
    add_person(endpoint, "Chloé Martin", "chloe@example.com", "client-contact").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;
    for (who, role) in
        [("paula@example.com", "producer"), ("vera@example.com", "contributor"), ("chloe@example.com", "client")]
    {
        baton(endpoint, &["--as", &paula, "projects", "members", "add", &project, who, "--role", role]).await.ok();
    }
    baton(
        endpoint,
        &["assets", "add", "-p", "Relaunch", "--name", "Trailer", "--kind", "video", "--assignee", "vera@example.com"],
    )
    .await
    .ok();
    baton(endpoint, &["--as", "vera@example.com", "assets", "start", "Trailer", "-p", "Relaunch"]).await.ok();
    let sha = "ab".repeat(32);
    let submitted = baton(
        endpoint,
        &[
            "-o",
            "json",
            "--as",
            "vera@example.com",
            "versions",
            "submit",
            "Trailer",
            "-p",
            "Relaunch",
            "--file",
            "s3://studio/trailer-v1.mp4",
            "--sha256",
            &sha,
            "--size",
            "52428800",
            "--type",
            "video/mp4",
            "--duration",
            "42",
            "--lufs",
            "-14",
            "--note",
            "First cut",
            "--client-visible",
            "--stage",
            "Producer=all:paula@example.com",
            "--stage",
            "Client+client=any:chloe@example.com",
        ],
    )
    .await
    .json();
    assert_eq!((submitted["number"].as_i64(), text(&submitted["review"], "state")), (Some(1), "open"));

    let early =
        baton(endpoint, &["--as", "chloe@example.com", "reviews", "decide", "Trailer", "-p", "Relaunch", "--approve"])
            .await;
    assert!(early.failed(7).contains("current stage"), "out of turn: {}", early.stderr);
    assert!(!early.stderr.contains("Producer"), "a client is not told of a stage not shown to them: {}", early.stderr);
    baton(endpoint, &["--as", "paula@example.com", "reviews", "decide", "Trailer", "-p", "Relaunch", "--approve"])
        .await
        .ok();
    let asked = baton(
        endpoint,
        &[
            "--as",
            "chloe@example.com",
            "reviews",
            "decide",
            "Trailer",
            "-p",
            "Relaunch",
            "--request-changes",
            "--comment",
            "Logo bigger at 00:12",
        ],
    )
    .await;
    assert!(
        asked.ok().contains("changes requested") && asked.stdout.contains("Logo bigger at 00:12"),
        "{}",
        asked.stdout
    );
    let list = baton(endpoint, &["versions", "list", "Trailer", "-p", "Relaunch"]).await;
    assert!(list.ok().contains("First cut") && list.stdout.contains("staged"), "{}", list.stdout);
    let shown = baton(endpoint, &["-o", "json", "assets", "show", "Trailer", "-p", "Relaunch"]).await.json();
    assert_eq!(text(&shown, "status"), "changes-requested");

    // A time-coded comment on version 1 mentioning Vera (a client contact may not look people up
    // by email, so by name), and Vera's answer mentioning the producer by email.
    let noted = baton(
        endpoint,
        &[
            "-o",
            "json",
            "--as",
            "chloe@example.com",
            "comments",
            "add",
            "Trailer",
            "-p",
            "Relaunch",
            "--on-version",
            "1",
            "--at",
            "12",
            "--to",
            "14",
            "--body",
            &format!("@{vera} the logo is too small here."),
        ],
    )
    .await
    .json();
    assert_eq!(
        (noted["client_visible"].as_bool(), noted["mentioned_people"].as_array().map(Vec::len)),
        (Some(true), Some(1))
    );
    let id = text(&noted, "name").rsplit('/').next().expect("id").to_string();
    baton(
        endpoint,
        &[
            "--as",
            "vera@example.com",
            "comments",
            "add",
            "Trailer",
            "-p",
            "Relaunch",
            "--reply-to",
            &id,
            "--body",
            "Bigger in v2, @paula@example.com.",
        ],
    )
    .await
    .ok();
    let thread = baton(endpoint, &["comments", "list", "Trailer", "-p", "Relaunch"]).await;
    assert!(thread.ok().contains("Chloé Martin") && thread.stdout.contains("at 00:12–00:14"), "{}", thread.stdout);
    assert!(
        thread.stdout.contains("↳ Vera Novak") && thread.stdout.contains(&format!("Bigger in v2, @{paula}.")),
        "{}",
        thread.stdout
    );
    let past = baton(
        endpoint,
        &["comments", "add", "Trailer", "-p", "Relaunch", "--on-version", "1", "--at", "99", "--body", "x"],
    )
    .await;
    assert!(past.failed(4).contains("comment.anchor.start_seconds"), "{}", past.stderr);
}
