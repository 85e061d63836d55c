//! `baton notifications preferences`: shown as the defaults, set, a choice made and forgotten.

use baton_testkit::TestEnv;

use crate::common::{add_person, baton, create_project, development_server, text};

#[tokio::test]
async fn preferences_are_shown_set_chosen_and_forgotten() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    create_project(endpoint, &paula, "Relaunch").await;
    let me = ["--as", paula.as_str(), "notifications", "preferences"];
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = me.to_vec();
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<String>>()
    };
    let call = |args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        baton(endpoint, &args).await
    };

    let shown = call(run(&["show"])).await;
    assert_eq!(
        shown.ok(),
        "time zone UTC; quiet hours none; daily digest at 08:00\ninbox: instant; email: daily digest (the defaults)\n"
    );
    let set =
        call(run(&["set", "--time-zone", "Europe/Paris", "--quiet", "22:00-07:00", "--digest-at", "18:30"])).await;
    assert!(
        set.ok().starts_with("time zone Europe/Paris; quiet hours 22:00 to 07:00; daily digest at 18:30"),
        "{}",
        set.stdout
    );
    let chosen = call(run(&[
        "choose",
        "--channel",
        "inbox",
        "--cadence",
        "muted",
        "--kind",
        "asset-status-changed",
        "-p",
        "Relaunch",
    ]))
    .await;
    assert!(chosen.ok().contains("asset-status-changed") && chosen.stdout.contains("muted"), "{}", chosen.stdout);
    let again = call(run(&[
        "choose",
        "--channel",
        "inbox",
        "--cadence",
        "instant",
        "--kind",
        "asset-status-changed",
        "-p",
        "Relaunch",
    ]))
    .await;
    assert!(
        again.ok().contains("instant") && !again.stdout.contains("muted"),
        "one choice per target: {}",
        again.stdout
    );
    let json = call(["-o".to_string(), "json".to_string()].into_iter().chain(run(&["show"])).collect()).await.json();
    assert_eq!((text(&json, "time_zone"), json["preferences"].as_array().map(Vec::len)), ("Europe/Paris", Some(1)));

    let digest = call(run(&["choose", "--channel", "inbox", "--cadence", "daily-digest"])).await;
    assert!(digest.failed(4).contains("digests are email's"), "{}", digest.stderr);
    let zone = call(run(&["set", "--time-zone", "Mars/Olympus_Mons"])).await;
    assert!(zone.failed(4).contains("IANA"), "{}", zone.stderr);
    let forgot = call(run(&["forget", "--channel", "inbox", "--kind", "asset-status-changed", "-p", "Relaunch"])).await;
    assert!(forgot.ok().contains("(the defaults)"), "{}", forgot.stdout);
    let nothing = call(run(&["forget", "--channel", "email"])).await;
    assert!(nothing.failed(3).contains("no such choice"), "{}", nothing.stderr);
}
