//! `baton milestones` and `baton obstacles`: the plan and what stands in its way, by name.

use baton_testkit::TestEnv;
use serde_json::Value;

use crate::common::{add_person, baton, create_project, development_server, text};

#[tokio::test]
async fn milestones_and_obstacles_by_name() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    add_person(endpoint, "Sam Okafor", "sam@example.com", "audio-engineer").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;
    baton(endpoint, &["-o", "json", "assets", "add", "-p", &project, "--name", "Trailer", "--kind", "audio"])
        .await
        .json();

    let milestone = baton(
        endpoint,
        &[
            "-o",
            "json",
            "milestones",
            "add",
            "Relaunch",
            "--name",
            "Launch",
            "--due",
            "2099-03-31",
            "--component",
            "Trailer",
        ],
    )
    .await
    .json();
    assert_eq!((text(&milestone, "state"), milestone["components"].as_array().map(Vec::len)), ("upcoming", Some(1)));
    let table = baton(endpoint, &["milestones", "list", "Relaunch"]).await;
    assert!(table.ok().contains("Launch") && table.stdout.contains("0 of 1"), "{}", table.stdout);

    let raised = baton(
        endpoint,
        &[
            "-o",
            "json",
            "obstacles",
            "raise",
            "Relaunch",
            "--name",
            "Music not cleared",
            "--severity",
            "high",
            "--component",
            "Trailer",
            "--owner",
            "sam@example.com",
        ],
    )
    .await
    .json();
    assert_eq!((text(&raised, "severity"), text(&raised, "state")), ("high", "open"));
    let name = text(&raised, "name").to_string();
    let open = baton(endpoint, &["obstacles", "list", "Relaunch"]).await;
    assert!(open.ok().contains("Music not cleared") && open.stdout.contains("Sam Okafor"), "{}", open.stdout);
    let resolved =
        baton(endpoint, &["-o", "json", "obstacles", "resolve", &name, "--resolution", "Bought"]).await.json();
    assert_eq!(text(&resolved, "state"), "resolved");
    assert!(baton(endpoint, &["-o", "json", "obstacles", "list", "Relaunch"]).await.json_lines().is_empty());
    assert_eq!(baton(endpoint, &["-o", "json", "obstacles", "list", "Relaunch", "--all"]).await.json_lines().len(), 1);
    let twice = baton(endpoint, &["obstacles", "resolve", &name, "--resolution", "Again"]).await;
    assert!(twice.failed(6).contains("OBSTACLE_STATE_RESOLVED"), "{}", twice.stderr);
    let bad = baton(endpoint, &["milestones", "add", "Relaunch", "--name", "X", "--due", "soon"]).await;
    assert!(bad.failed(4).contains("milestone.due_date"), "{}", bad.stderr);
}

#[tokio::test]
async fn the_brief_is_updated_shown_and_its_revisions_listed() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    create_project(endpoint, &paula, "Relaunch").await;
    let updated = baton(
        endpoint,
        &[
            "-o",
            "json",
            "--as",
            &paula,
            "brief",
            "update",
            "Relaunch",
            "--problem",
            "Orders are flat",
            "--objective",
            "More online orders;orders a week;800;1200;orders",
            "--budget",
            "48000 EUR",
        ],
    )
    .await
    .json();
    assert_eq!((updated["revision"].as_i64(), text(&updated, "budget")), (Some(1), "48000 EUR"));
    baton(endpoint, &["--as", &paula, "brief", "update", "Relaunch", "--strategy", "Mobile first"]).await.ok();
    let shown = baton(endpoint, &["brief", "show", "Relaunch"]).await;
    assert!(shown.ok().contains("More online orders: orders a week 800 → 1200 orders"), "{}", shown.stdout);
    assert!(shown.stdout.contains("Mobile first") && shown.stdout.contains("2 by Paula Reyes"), "{}", shown.stdout);
    let history = baton(endpoint, &["-o", "json", "brief", "history", "Relaunch"]).await.json_lines();
    let changed: Vec<&Value> = history.iter().map(|r| &r["changed_fields"]).collect();
    assert_eq!(changed, [&serde_json::json!(["strategy"]), &serde_json::json!(["problem", "objectives", "budget"])]);
    let bad = baton(endpoint, &["brief", "update", "Relaunch", "--budget", "lots"]).await;
    assert!(bad.failed(2).contains("--budget"), "{}", bad.stderr);
}
