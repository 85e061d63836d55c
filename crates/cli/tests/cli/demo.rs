//! `baton demo` seeds and plays a production, repeatably; `baton status` reports on it.

use std::collections::HashSet;
use std::time::Duration;

use baton_testkit::{TestEnv, eventually};
use serde_json::Value;

use crate::common::{add_person, baton, create_project, development_server, text};

/// Runs `baton args` until its JSON lines satisfy `done`, and returns them.
pub async fn eventually_lines(endpoint: &str, args: &[&str], done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    eventually(&format!("baton {}", args.join(" ")), Duration::from_secs(30), || async {
        let lines = baton(endpoint, args).await.json_lines();
        done(&lines).then_some(lines)
    })
    .await
}

#[tokio::test]
async fn demo_runs_twice_without_errors_or_duplicates() {
    let mut env = TestEnv::new().await;
    // With email: the client's news goes into her daily digest.
    let sink = baton_testkit::smtp::SmtpSink::start().await;
    env.config.smtp.host = "127.0.0.1".into();
    env.config.smtp.port = sink.port();
    env.config.smtp.security = baton_platform::config::SmtpSecurity::None;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();

    // First run, for scripts: every notification the team's feeds received, then the status.
    let first = baton(endpoint, &["-o", "json", "demo"]).await;
    let lines = first.json_lines();
    assert!(first.stderr.contains("[9/9]") && first.stderr.contains("[19/19]"), "progress: {}", first.stderr);
    // The producer's plan: a brief with objectives, milestones, an obstacle that puts the project
    // at risk until it is resolved.
    for said in [
        "Brief More online orders (800 → 1200 orders)",
        "due 2027-01-15  0 of 2 components done",
        "Obstacle Trailer music not cleared for streaming",
        "Health at risk: 1 high obstacle(s) open: “Trailer music not cleared for streaming”",
        "Resolved Trailer music not cleared for streaming",
        "Health on track",
        // A dependency holds the store locator back; the film goes through three stages twice:
        // the client asks for changes at a moment of cut 1, whose loudness check failed too.
        "Dario Costa tries to start the Store locator: refused (ASSET_BLOCKED): it waits for the Web pages",
        "quality: 4 of 5 checks passed; Integrated loudness failed (-9 LUFS, target -15 to -13 LUFS)",
        "Chloé Martin comments on cut 1 at 00:12–00:14: “The logo is too small here.”",
        "— cut 1 changes requested",
        "quality: 5 of 5 checks passed",
        "Chloé Martin (Client) approves — cut 2 approved",
    ] {
        assert!(first.stderr.contains(said), "{said} missing from {}", first.stderr);
    }
    let (status, notifications) = lines.split_last().expect("output");
    let joined = notifications.iter().filter(|n| n["kind"] == "project-member-added").count();
    let changed = notifications.iter().filter(|n| n["kind"] == "asset-status-changed").count();
    // Nine people joined (seven told live: the producer added herself, the client's inbox is
    // muted); nineteen steps and five status changes of the film's review, each heard live by the
    // seven staff members who did not act (24 × 7, and the four the client made heard by all
    // eight: 168 + 4).
    assert_eq!((joined, changed), (7, 172), "notifications received live");

    let names: HashSet<&str> = notifications.iter().map(|n| text(n, "name")).collect();
    assert_eq!(names.len(), notifications.len(), "each notification once");
    assert_demo_status(status);

    let people = baton(endpoint, &["-o", "json", "people", "list"]).await.json_lines();
    let producer = people.iter().find(|p| p["role"] == "producer").map(|p| text(p, "name").to_string()).unwrap();
    let client = people.iter().find(|p| p["role"] == "client-contact").map(|p| text(p, "name")).unwrap();
    assert!(notifications.iter().all(|n| text(n, "recipient") != client), "the client hears nothing live");
    // Her news waits for tomorrow's 08:00 digest: of the 24 changes, not the eight that start or
    // resume work (not shown to clients), nor the four she made herself.
    let mut db = env.db().await;
    let client_id = uuid::Uuid::parse_str(client.trim_start_matches("people/")).unwrap();
    let (digested, in_inbox): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE digest_cadence = 'CADENCE_DAILY_DIGEST'), count(*) FILTER (WHERE in_inbox) \
         FROM notifications.notification WHERE recipient = $1 AND kind = 'NOTIFICATION_KIND_ASSET_STATUS_CHANGED'",
    )
    .bind(client_id)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!((digested, in_inbox), (12, 0));
    let digests: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications.email WHERE recipient = $1 AND cadence = 'CADENCE_DAILY_DIGEST' \
         AND state = 'PENDING' AND due_time > now()",
    )
    .bind(client_id)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(digests, 1, "one digest queued");
    let inbox = ["-o", "json", "notifications", "list", "--person", &producer];
    // The health watcher tells of the project's last move after the steps, on its own time: the
    // producer's inbox is complete once its newest health notification names the state the
    // project is in now.
    let before = eventually("the producer's inbox complete", Duration::from_secs(30), || async {
        let status = baton(endpoint, &["-o", "json", "status", "Website relaunch"]).await.json();
        let now = format!("is {}", status["health"]["state"].as_str().unwrap_or_default());
        let lines = baton(endpoint, &inbox).await.json_lines();
        let newest = lines.iter().find(|n| text(n, "kind") == "project-health-changed")?;
        text(newest, "title").ends_with(&now).then_some(lines)
    })
    .await;

    // Second run, for people: nothing new, no errors, the same status.
    let second = baton(endpoint, &["demo"]).await;
    let stdout = second.ok();
    assert!(second.stderr.is_empty(), "{}", second.stderr);
    assert!(stdout.contains("Nothing new: this production was already played out"), "{stdout}");
    assert!(!stdout.contains(" added\n") && !stdout.contains("created"), "{stdout}");
    assert!(!stdout.lines().any(|l| l.trim_start().starts_with('→')), "no notifications on a replay: {stdout}");
    assert!(stdout.contains("59% approved or delivered (570 of 960 by weight)"), "{stdout}");
    assert!(stdout.contains("Quality             100% of checks passed over 1 assessed component(s)"), "{stdout}");

    let people = baton(endpoint, &["-o", "json", "people", "list"]).await.json_lines();
    let emails: HashSet<&str> = people.iter().map(|p| text(p, "email")).collect();
    assert_eq!((people.len(), emails.len()), (9, 9), "no duplicate people");
    let projects = baton(endpoint, &["-o", "json", "projects", "list"]).await.json_lines();
    assert_eq!(projects.len(), 1, "no duplicate project");
    assert!(stdout.contains("(revision 1)"), "the brief was written once: {stdout}");
    let project = text(&projects[0], "name");
    let assets = baton(endpoint, &["-o", "json", "assets", "list", "-p", project]).await.json_lines();
    let titles: HashSet<&str> = assets.iter().map(|a| text(a, "display_name")).collect();
    assert_eq!((assets.len(), titles.len()), (7, 7), "no duplicate assets");
    let members = baton(endpoint, &["-o", "json", "projects", "members", "list", project]).await.json_lines();
    assert_eq!(members.len(), 9);
    let after = baton(endpoint, &inbox).await.json_lines();
    assert_eq!(after, before, "a replay notifies nobody");

    let status = baton(endpoint, &["-o", "json", "status", "Website relaunch"]).await.json();
    assert_demo_status(&status);
}

fn assert_demo_status(status: &Value) {
    assert_eq!(text(&status["project"], "display_name"), "Website relaunch");
    assert!(text(&status["project"], "client").starts_with("clients/"), "{status}");
    assert_eq!(text(status, "client_name"), "Northwind Coffee");
    assert_eq!((&status["done_weight"], &status["total_weight"]), (&Value::from(570), &Value::from(960)));
    let statuses: Vec<(&str, &str)> =
        status["assets"].as_array().unwrap().iter().map(|a| (text(a, "display_name"), text(a, "status"))).collect();
    assert_eq!(
        statuses,
        [
            ("Visual identity", "delivered"),
            ("Hero animation", "approved"),
            ("Streaming product video", "approved"),
            ("Podcast trailer", "changes-requested"),
            ("Web pages", "in-progress"),
            ("Product database", "delivered"),
            ("Store locator", "planned"),
        ]
    );
    assert_eq!(status["assets"][2]["assignees"][0]["display_name"], "Vera Novak");
    assert_eq!(status["waiting_for_review"].as_array().map(Vec::len), Some(0));
    assert_eq!(status["health"]["quality"]["score"], 1.0);
    let holders: Vec<&str> = status["holders"].as_array().unwrap().iter().map(|h| text(h, "display_name")).collect();
    assert_eq!(holders, ["Sam Okafor", "Wen Li", "Kenji Watanabe", "Dario Costa"]);
    assert_eq!(status["team"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn status_shows_weights_reviews_and_who_holds_what() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    let ana = add_person(endpoint, "Ana López", "ana@example.com", "designer").await;
    let wen = add_person(endpoint, "Wen Li", "wen@example.com", "web-developer").await;
    let project = create_project(endpoint, &paula, "Campaign").await;

    let empty = baton(endpoint, &["status", &project]).await;
    assert!(empty.ok().contains("No components yet"), "{}", empty.stdout);

    let add = |name: &'static str, kind: &'static str, weight: &'static str, who: &'static str| {
        let project = project.clone();
        async move {
            baton(
                endpoint,
                &[
                    "assets",
                    "add",
                    "-p",
                    &project,
                    "--name",
                    name,
                    "--kind",
                    kind,
                    "--weight",
                    weight,
                    "--assignee",
                    who,
                ],
            )
            .await
            .ok();
        }
    };
    add("Poster", "graphic", "300", "ana@example.com").await;
    add("Landing page", "web-page", "100", "wen@example.com").await;
    add("Banner", "graphic", "100", "Ana López").await;
    for step in ["start", "submit", "approve"] {
        baton(endpoint, &["--as", &paula, "assets", step, "Poster", "-p", &project]).await.ok();
    }
    // Members act only on the projects they are on.
    for (who, role) in [(&ana, "contributor"), (&wen, "contributor")] {
        baton(endpoint, &["--as", &paula, "projects", "members", "add", &project, who, "--role", role]).await.ok();
    }
    for step in ["start", "submit"] {
        baton(endpoint, &["--as", &wen, "assets", step, "Landing page", "-p", &project]).await.ok();
    }
    baton(endpoint, &["--as", &ana, "assets", "start", "Banner", "-p", &project]).await.ok();

    let status = baton(endpoint, &["-o", "json", "status", "Campaign"]).await.json();
    assert_eq!((&status["done_weight"], &status["total_weight"]), (&Value::from(300), &Value::from(500)));
    assert_eq!(status["done_share"], 0.6);
    assert_eq!(status["waiting_for_review"][0]["display_name"], "Landing page");
    assert_eq!(status["holders"].as_array().unwrap().len(), 1);
    assert_eq!(status["holders"][0]["display_name"], "Ana López");
    assert_eq!(status["holders"][0]["assets"][0]["display_name"], "Banner");
    assert_eq!(status["holders"][0]["assets"][0]["status"], "in-progress");
    assert_eq!(status["assets"][0]["assignees"][0]["name"], Value::from(ana));

    let table = baton(endpoint, &["status", "Campaign"]).await;
    let text = table.ok();
    assert!(!text.contains('\x1b'), "plain when stdout is not a terminal: {text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("Campaign — Northwind Coffee"), "{text}");
    let poster = lines.iter().find(|l| l.starts_with("Poster")).expect("a row per component");
    let words: Vec<&str> = poster.split_whitespace().collect();
    assert_eq!(words, ["Poster", "graphic", "approved", "300", "Ana", "López"]);
    assert!(text.contains("60% approved or delivered (300 of 500 by weight)"), "{text}");
    assert!(text.contains("Waiting for review  Landing page (from Wen Li)"), "{text}");
    assert!(text.lines().any(|l| l.trim() == "Ana López  Banner (in progress)"), "{text}");
}
