//! `baton notifications rules`: the agency's rules listed and changed, a project's override set
//! and reset, and audiences the tool does not know refused before any call.

use baton_testkit::TestEnv;

use crate::common::{add_person, baton, create_project, development_server, text};
use crate::demo::eventually_lines;

#[tokio::test]
async fn rules_are_listed_overridden_per_project_and_reset() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    let vera = add_person(endpoint, "Vera Novak", "vera@example.com", "video-engineer").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;
    for (who, role) in [("paula@example.com", "producer"), ("vera@example.com", "contributor")] {
        baton(endpoint, &["--as", &paula, "projects", "members", "add", &project, who, "--role", role]).await.ok();
    }
    // Vera told she joined: the notifications service knows the project and its team.
    eventually_lines(endpoint, &["-o", "json", "notifications", "list", "--person", &vera], |lines| !lines.is_empty())
        .await;

    let agency = baton(endpoint, &["notifications", "rules", "list"]).await;
    let listed = agency.ok();
    assert_eq!(listed.lines().count(), 35, "a header, thirty kinds of events and four of reminders: {listed}");
    assert!(listed.contains("component-overdue") && listed.contains("assignees, role:producer"), "{listed}");
    assert!(listed.contains("comment-created") && listed.contains("mentioned, assignees, watchers"), "{listed}");

    let mandatory = baton(
        endpoint,
        &[
            "notifications",
            "rules",
            "set",
            "milestone-changed",
            "--to",
            "role:producer,role:lead",
            "--mandatory",
            "true",
        ],
    )
    .await;
    assert_eq!(mandatory.ok().trim(), "milestone-changed: role:producer, role:lead (mandatory, changed)");

    let own = baton(
        endpoint,
        &[
            "--as",
            &paula,
            "notifications",
            "rules",
            "set",
            "comment-created",
            "-p",
            "Relaunch",
            "--to",
            "role:producer",
        ],
    )
    .await;
    assert_eq!(own.ok().trim(), "comment-created: role:producer (this project's)");
    let shown =
        baton(endpoint, &["-o", "json", "notifications", "rules", "show", "comment-created", "-p", "Relaunch"]).await;
    let shown = shown.json();
    assert_eq!(shown["audiences"], serde_json::json!(["role:producer"]));
    assert_eq!(text(&shown, "updater"), paula);
    let in_project = baton(endpoint, &["notifications", "rules", "list", "-p", "Relaunch"]).await;
    assert!(in_project.ok().contains("this project's"), "{}", in_project.stdout);

    let reset = ["--as", &paula, "notifications", "rules", "reset", "comment-created", "-p", "Relaunch"];
    assert_eq!(baton(endpoint, &reset).await.ok().trim(), "comment-created: mentioned, assignees, watchers");

    // An audience the tool does not know: a usage error before any call; a kind the server does
    // not know: invalid, naming the rule.
    let bad = baton(endpoint, &["notifications", "rules", "set", "comment-created", "--to", "everyone"]).await;
    assert!(bad.failed(2).contains("“everyone” is no audience"), "{}", bad.stderr);
    let unknown = baton(endpoint, &["notifications", "rules", "show", "cake-baked"]).await;
    assert!(unknown.failed(4).contains("cake-baked"), "{}", unknown.stderr);
    let denied =
        baton(endpoint, &["--as", &vera, "notifications", "rules", "set", "comment-created", "-p", "Relaunch", "--to"])
            .await;
    assert!(denied.code != 0 && denied.stderr.contains("PROJECT_ROLE_REQUIRED"), "{}", denied.stderr);
}
