//! `baton teams` and the capacity commands of `baton people`: skills, allocations, time off,
//! load, finding people, and the team load in `baton status`.

use baton_testkit::TestEnv;

use crate::common::{add_person, baton, create_project, development_server, text};

#[tokio::test]
async fn teams_skills_allocations_and_load_by_name() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    let ana = baton(
        endpoint,
        &[
            "-o",
            "json",
            "people",
            "add",
            "--name",
            "Ana López",
            "--email",
            "ana@example.com",
            "--role",
            "animator",
            "--skill",
            "animation:expert",
            "--skill",
            "motion-graphics:senior",
            "--hours",
            "32",
        ],
    )
    .await
    .json();
    assert_eq!((ana["weekly_hours"].as_f64(), ana["skills"][0]["level"].as_str()), (Some(32.0), Some("expert")));
    add_person(endpoint, "Ben Ode", "ben@example.com", "animator").await;
    let bad_skill = baton(
        endpoint,
        &[
            "people",
            "add",
            "--name",
            "X",
            "--email",
            "x@example.com",
            "--role",
            "animator",
            "--skill",
            "juggling:expert",
        ],
    )
    .await;
    assert!(bad_skill.failed(2).contains("juggling"), "{}", bad_skill.stderr);

    let team = baton(
        endpoint,
        &[
            "-o",
            "json",
            "teams",
            "add",
            "--name",
            "Motion",
            "--department",
            "motion",
            "--member",
            "ana@example.com:lead",
            "--member",
            "Ben Ode",
        ],
    )
    .await
    .json();
    assert_eq!((text(&team, "department"), team["members"][0]["role"].as_str()), ("motion", Some("lead")));
    let list = baton(endpoint, &["teams", "list"]).await;
    assert!(list.ok().contains("Motion") && list.stdout.contains("motion"), "{}", list.stdout);

    let project = create_project(endpoint, &paula, "Relaunch").await;
    baton(endpoint, &["people", "update", "Ben Ode", "--skill", "animation:senior"]).await.ok();
    // This week and the next, so that it shows in this week's status.
    let (from, to) = week_range();
    let allocated = baton(
        endpoint,
        &[
            "people",
            "allocate",
            "ana@example.com",
            "--project",
            "Relaunch",
            "--hours",
            "40",
            "--from",
            &from,
            "--to",
            &to,
        ],
    )
    .await;
    assert!(allocated.ok().contains("over-allocated"), "40 hours of 32: {}", allocated.stdout);
    let over = baton(endpoint, &["-o", "json", "people", "list", "--over-allocated"]).await.json_lines();
    assert_eq!(over.iter().map(|p| text(p, "display_name")).collect::<Vec<_>>(), ["Ana López"]);

    let found =
        baton(endpoint, &["people", "find", "--skill", "animation", "--level", "senior", "--from", &from, "--to", &to])
            .await;
    assert!(found.ok().contains("Ben Ode"), "{}", found.stdout);
    assert!(!found.stdout.contains("Ana López"), "over-allocated, so not free:\n{}", found.stdout);

    let load = baton(endpoint, &["teams", "load", "Motion", "--from", &from, "--to", &to]).await;
    assert!(load.ok().contains("over") && load.stdout.contains("Ana López"), "{}", load.stdout);
    let off =
        baton(endpoint, &["people", "time-off", "Ben Ode", "--from", &from, "--to", &from, "--note", "Moving house"])
            .await;
    assert!(off.ok().contains("recorded"), "{}", off.stdout);
    let shown = baton(endpoint, &["people", "show", "Ben Ode"]).await;
    assert!(
        shown.ok().contains("animation (senior)") && shown.stdout.contains(&format!("{from} to {from}")),
        "{}",
        shown.stdout
    );

    baton(endpoint, &["projects", "members", "add", &project, "ana@example.com", "--role", "contributor"]).await.ok();
    let status = baton(endpoint, &["status", &project]).await;
    assert!(status.ok().contains("Team load this week"), "{}", status.stdout);
    assert!(status.stdout.contains("Ana López") && status.stdout.contains("(40 here)"), "{}", status.stdout);
}

/// This week's Monday and the next week's Sunday.
fn week_range() -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date();
    let monday = today - time::Duration::days(i64::from(today.weekday().number_days_from_monday()));
    (monday.to_string(), (monday + time::Duration::days(13)).to_string())
}
