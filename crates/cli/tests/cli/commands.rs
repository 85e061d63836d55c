//! The resource commands: people, projects, members, assets and their workflow, notifications.

use baton_testkit::TestEnv;
use serde_json::Value;

use crate::common::{add_person, baton, create_project, development_server, text};

#[tokio::test]
async fn people_projects_and_members_by_name_email_or_id() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();

    let added = baton(
        endpoint,
        &["-o", "json", "people", "add", "--name", "Ana López", "--email", "ana@example.com", "--role", "designer"],
    )
    .await
    .json();
    assert_eq!(text(&added, "display_name"), "Ana López");
    assert_eq!(text(&added, "role"), "designer");
    let ana = text(&added, "name").to_string();
    assert!(ana.starts_with("people/"), "{ana}");
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;

    // A person by email, bare id, full name or display name.
    let id = ana.trim_start_matches("people/");
    for reference in ["ana@example.com", id, ana.as_str(), "ana lópez"] {
        let shown = baton(endpoint, &["-o", "json", "people", "show", reference]).await.json();
        assert_eq!(text(&shown, "name"), ana, "{reference}");
    }
    let people = baton(endpoint, &["-o", "json", "people", "list"]).await.json_lines();
    assert_eq!(people.iter().map(|p| text(p, "email")).collect::<Vec<_>>(), ["ana@example.com", "paula@example.com"]);
    let producers = baton(endpoint, &["-o", "json", "people", "list", "--role", "producer"]).await.json_lines();
    assert_eq!(producers.len(), 1);
    assert_eq!(text(&producers[0], "name"), paula);
    let table = baton(endpoint, &["people", "list"]).await;
    let lines: Vec<&str> = table.ok().lines().collect();
    assert_eq!(lines.len(), 3, "{}", table.stdout);
    assert!(lines[0].starts_with("ID") && lines[0].contains("EMAIL"), "{}", lines[0]);
    assert!(lines[1].contains("Ana López") && lines[1].contains("designer"), "{}", lines[1]);

    // A client first: projects belong to one. It is found by name, in any case.
    let client = baton(
        endpoint,
        &[
            "-o",
            "json",
            "clients",
            "add",
            "--name",
            "Northwind Coffee",
            "--industry",
            "Food and drink",
            "--contact",
            "ana@example.com:Brand lead",
        ],
    )
    .await
    .json();
    assert_eq!(client["contacts"][0]["title"], "Brand lead");
    let shown = baton(endpoint, &["clients", "show", "northwind coffee"]).await;
    assert!(shown.ok().contains("Ana López (Brand lead)"), "{}", shown.stdout);
    let updated = baton(endpoint, &["-o", "json", "clients", "update", "Northwind Coffee", "--notes", "Loves green."])
        .await
        .json();
    assert_eq!((text(&updated, "notes"), text(&updated, "industry")), ("Loves green.", "Food and drink"));
    let stale = baton(endpoint, &["clients", "update", "Northwind Coffee", "--notes", "x", "--etag", "1"]).await;
    assert!(stale.failed(6).contains("changed since it was read"), "{}", stale.stderr);
    let unknown = baton(endpoint, &["projects", "create", "--name", "X", "--client", "Contoso"]).await;
    assert!(unknown.failed(3).contains("baton clients add"), "{}", unknown.stderr);

    let created = baton(
        endpoint,
        &[
            "-o",
            "json",
            "--as",
            "paula@example.com",
            "projects",
            "create",
            "--name",
            "Website relaunch",
            "--client",
            "Northwind Coffee",
            "--due",
            "2027-03-31",
            "--brief",
            "A warmer site.",
        ],
    )
    .await
    .json();
    let project = text(&created, "name").to_string();
    assert_eq!(text(&created, "due_date"), "2027-03-31");
    assert_eq!(text(&created, "state"), "conception");
    // Its lifecycle: one stage at a time, a hold that remembers the stage.
    let paula_as = ["--as", "paula@example.com"];
    let advanced = baton(
        endpoint,
        &[&["-o", "json"][..], &paula_as, &["projects", "advance", &project, "--to", "pre-production"]].concat(),
    )
    .await
    .json();
    assert_eq!(text(&advanced, "state"), "pre-production");
    let skipped =
        baton(endpoint, &[&paula_as[..], &["projects", "advance", &project, "--to", "delivered"]].concat()).await;
    assert!(skipped.failed(6).contains("is PROJECT_STATE_PRE_PRODUCTION"), "{}", skipped.stderr);
    let held =
        baton(endpoint, &[&paula_as[..], &["projects", "hold", &project, "--reason", "Budget review"]].concat()).await;
    assert!(held.ok().contains("on-hold (resumes in pre-production)"), "{}", held.stdout);
    let resumed =
        baton(endpoint, &[&["-o", "json"][..], &paula_as, &["projects", "resume", &project]].concat()).await.json();
    assert_eq!(text(&resumed, "state"), "pre-production");

    let by_title = baton(endpoint, &["-o", "json", "projects", "show", "website relaunch"]).await.json();
    assert_eq!(text(&by_title, "name"), project);
    let listed = baton(endpoint, &["-o", "json", "projects", "list"]).await.json_lines();
    assert_eq!(listed.len(), 1);
    assert_eq!(text(&listed[0], "client"), text(&client, "name"));
    let table = baton(endpoint, &["projects", "list"]).await;
    assert!(table.ok().contains("Northwind Coffee"), "{}", table.stdout);

    let member = baton(
        endpoint,
        &["-o", "json", "--as", &paula, "projects", "members", "add", &project, "Ana López", "--role", "lead"],
    )
    .await
    .json();
    assert_eq!(text(&member, "person"), ana);
    assert_eq!(text(&member, "role"), "lead");
    baton(endpoint, &["--as", &paula, "projects", "members", "add", "Website relaunch", &paula, "--role", "producer"])
        .await
        .ok();
    let members = baton(endpoint, &["-o", "json", "projects", "members", "list", &project]).await.json_lines();
    assert_eq!(members.iter().map(|m| text(m, "person")).collect::<Vec<_>>(), [ana.as_str(), paula.as_str()]);
    let removed =
        baton(endpoint, &["-o", "json", "projects", "members", "remove", &project, "ana@example.com"]).await.json();
    assert_eq!(text(&removed, "person"), ana);
    let members = baton(endpoint, &["-o", "json", "projects", "members", "list", &project]).await.json_lines();
    assert_eq!(members.len(), 1);
}

#[tokio::test]
async fn assets_move_through_the_workflow_and_notify_the_team() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    let marco = add_person(endpoint, "Marco Rossi", "marco@example.com", "animator").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;
    for (person, role) in [(&paula, "producer"), (&marco, "contributor")] {
        baton(endpoint, &["--as", &paula, "projects", "members", "add", &project, person, "--role", role]).await.ok();
    }

    let asset = baton(
        endpoint,
        &[
            "-o",
            "json",
            "--as",
            &paula,
            "assets",
            "add",
            "--project",
            "Relaunch",
            "--name",
            "Hero animation",
            "--kind",
            "animation",
            "--assignee",
            "marco@example.com",
            "--weight",
            "120",
            "--description",
            "A six-second loop.",
        ],
    )
    .await
    .json();
    let name = text(&asset, "name").to_string();
    assert_eq!(text(&asset, "status"), "planned");
    assert_eq!(asset["weight"], 120);
    assert_eq!(asset["assignees"], Value::from(vec![marco.clone()]));
    let id = name.rsplit('/').next().unwrap().to_string();

    // The asset by full name, by id with --project, and by title with --project.
    let started = baton(endpoint, &["-o", "json", "--as", &marco, "assets", "start", &name]).await.json();
    assert_eq!(text(&started, "status"), "in-progress");
    let submitted = baton(
        endpoint,
        &["-o", "json", "--as", &marco, "assets", "submit", &id, "--project", &project, "--comment", "Loop ready."],
    )
    .await
    .json();
    assert_eq!(text(&submitted, "status"), "in-review");
    let changes = baton(
        endpoint,
        &[
            "-o",
            "json",
            "--as",
            &paula,
            "assets",
            "request-changes",
            "hero animation",
            "-p",
            "Relaunch",
            "--comment",
            "Slower intro, please.",
        ],
    )
    .await
    .json();
    assert_eq!(text(&changes, "status"), "changes-requested");
    for (actor, step, status) in
        [(&marco, "start", "in-progress"), (&marco, "submit", "in-review"), (&paula, "approve", "approved")]
    {
        let moved = baton(endpoint, &["-o", "json", "--as", actor, "assets", step, &name]).await.json();
        assert_eq!(text(&moved, "status"), status, "{step}");
    }
    // A repeat with the same request id answers the first call again.
    let request_id = "5f0c7a7e-2b1d-4c8e-9f3a-1d2e3f4a5b6c";
    let delivered =
        baton(endpoint, &["-o", "json", "--as", &paula, "assets", "deliver", &name, "--request-id", request_id])
            .await
            .json();
    let again =
        baton(endpoint, &["-o", "json", "--as", &paula, "assets", "deliver", &name, "--request-id", request_id])
            .await
            .json();
    assert_eq!(delivered, again);
    assert_eq!(text(&delivered, "status"), "delivered");

    let listed = baton(endpoint, &["-o", "json", "assets", "list", "--project", &project]).await.json_lines();
    assert_eq!(listed.len(), 1);
    assert_eq!(text(&listed[0], "status"), "delivered");
    let table = baton(endpoint, &["assets", "list", "--project", &project]).await;
    assert!(table.ok().contains("Marco Rossi"), "assignees by display name: {}", table.stdout);
    assert!(!table.stdout.contains('\x1b'), "no colour when stdout is not a terminal");

    // Paula hears of Marco's steps (four of them) but not of her own (nor of adding herself).
    let notifications = crate::demo::eventually_lines(
        endpoint,
        &["-o", "json", "--as", &paula, "notifications", "list", "--person", &paula],
        |lines| lines.iter().filter(|n| n["kind"] == "asset-status-changed").count() == 4,
    )
    .await;
    let kinds: Vec<&str> = notifications.iter().map(|n| text(n, "kind")).collect();
    assert!(!kinds.contains(&"project-member-added"), "{kinds:?}");
    let newest = notifications.first().expect("a notification");
    assert_eq!(text(newest, "title"), "Hero animation is ready for review");
    assert_eq!(text(newest, "actor"), marco);
    assert_eq!(newest["read_time"], Value::Null);
    let read =
        baton(endpoint, &["-o", "json", "--as", &paula, "notifications", "read", text(newest, "name")]).await.json();
    assert!(read["read_time"].is_string());
    let unread =
        baton(endpoint, &["-o", "json", "--as", &paula, "notifications", "list", "--unread"]).await.json_lines();
    assert_eq!(unread.len(), notifications.len() - 1);

    // The inbox: archived out of it, counted per project, all read at once.
    let name = text(newest, "name");
    baton(endpoint, &["--as", &paula, "notifications", "unread", name]).await.ok();
    let archived = baton(endpoint, &["--as", &paula, "notifications", "archive", name]).await;
    assert!(archived.ok().starts_with("archived"), "{}", archived.stdout);
    let shelf = baton(endpoint, &["-o", "json", "--as", &paula, "notifications", "list", "--archived"]).await;
    assert_eq!(shelf.json_lines().len(), 1);
    let counts = baton(endpoint, &["--as", &paula, "notifications", "counts"]).await;
    let expected = format!("{} unread", notifications.len() - 1);
    assert!(counts.ok().contains(&expected) && counts.stdout.contains("Relaunch"), "{}", counts.stdout);
    let all = baton(endpoint, &["--as", &paula, "notifications", "read", "--all", "--project", &project]).await;
    assert!(all.ok().contains(&format!("marked {} notification(s) read", notifications.len() - 1)), "{}", all.stdout);
    let none = baton(endpoint, &["-o", "json", "--as", &paula, "notifications", "counts"]).await.json();
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn completions_and_help_need_no_server() {
    let nowhere = "http://127.0.0.1:9";
    let bash = baton(nowhere, &["completions", "bash"]).await;
    assert!(bash.ok().contains("_baton"), "{}", bash.stdout);
    assert!(bash.stdout.contains("request-changes"));
    let zsh = baton(nowhere, &["completions", "zsh"]).await;
    assert!(zsh.ok().starts_with("#compdef baton"));
    let fish = baton(nowhere, &["completions", "fish"]).await;
    assert!(fish.ok().contains("complete -c baton"));

    let help = baton(nowhere, &["--help"]).await;
    let help = help.ok();
    for line in ["Exit codes:", "2  usage", "3  not found", "4  invalid", "5  unavailable", "6  conflict"] {
        assert!(help.contains(line), "{line} missing from --help:\n{help}");
    }
}
