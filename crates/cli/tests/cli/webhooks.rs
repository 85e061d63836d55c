//! `baton webhooks`: a project's webhook added (its secret printed once), told of an event and
//! signed with that secret, changed, disabled and enabled, its secret rotated, its deliveries
//! listed, and removed; a person's listed apart.

use std::time::Duration;

use baton_testkit::TestEnv;
use baton_testkit::hooks::HookReceiver;

use crate::common::{add_person, baton, create_project, development_server, text};

#[tokio::test]
async fn a_webhook_is_added_told_changed_rotated_listed_and_removed() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let receiver = HookReceiver::start().await;
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;
    add_person(endpoint, "Ana López", "ana@example.com", "designer").await;

    // Added as JSON: the secret comes back once.
    let url = receiver.url("/hooks/baton");
    let add = ["-o", "json", "--as", &paula, "webhooks", "add", &url, "-p", "Relaunch", "--name", "Team channel"];
    let added = baton(endpoint, &add).await.json();
    let name = text(&added, "name").to_string();
    let secret = text(&added, "secret").to_string();
    assert!(name.starts_with(&format!("{project}/webhooks/")), "{name}");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(text(&added, "secret_hint"), &secret[secret.len() - 4..]);
    receiver.set_secret(&secret);

    // An event of the project reaches it, signed with that secret.
    baton(
        endpoint,
        &["--as", &paula, "projects", "members", "add", &project, "ana@example.com", "--role", "contributor"],
    )
    .await
    .ok();
    let posts = receiver.wait_for(1, Duration::from_secs(20)).await;
    assert!(posts[0].verified && posts[0].kind == "project-member-added", "{:?}", posts[0]);

    let listed = baton(endpoint, &["--as", &paula, "webhooks", "list", "-p", "Relaunch"]).await;
    assert!(listed.ok().contains("Team channel") && listed.stdout.contains("every kind"), "{}", listed.stdout);
    let shown = baton(endpoint, &["--as", &paula, "webhooks", "show", &name]).await;
    assert!(shown.ok().contains(&format!("secret …{}", &secret[secret.len() - 4..])), "{}", shown.stdout);
    assert!(!shown.stdout.contains(&secret), "the secret is shown once");

    let changed = baton(
        endpoint,
        &["--as", &paula, "webhooks", "update", &name, "--format", "slack", "--kinds", "asset-status-changed"],
    )
    .await;
    assert!(
        changed.ok().contains("posts slack") && changed.stdout.contains("of asset-status-changed"),
        "{}",
        changed.stdout
    );
    let disabled = baton(endpoint, &["--as", &paula, "webhooks", "disable", &name]).await;
    assert!(disabled.ok().contains(&format!("disabled: disabled by {paula}")), "{}", disabled.stdout);
    let enabled = baton(endpoint, &["--as", &paula, "webhooks", "enable", &name]).await;
    assert!(enabled.ok().contains("enabled; secret"), "{}", enabled.stdout);

    let rotated = baton(endpoint, &["--as", &paula, "webhooks", "rotate-secret", &name]).await;
    let line = rotated.ok().lines().find(|l| l.starts_with("signing secret (shown this once): ")).expect("the secret");
    assert!(!line.ends_with(&secret), "a new secret");

    let deliveries = baton(endpoint, &["--as", &paula, "webhooks", "deliveries", &name]).await;
    assert!(
        deliveries.ok().contains("project-member-added") && deliveries.stdout.contains("delivered"),
        "{}",
        deliveries.stdout
    );
    assert!(deliveries.stdout.contains("#1 200"), "{}", deliveries.stdout);

    // Ana's own webhooks are hers; she has none.
    let ana_list = baton(endpoint, &["-o", "json", "webhooks", "list", "--person", "ana@example.com"]).await;
    assert!(ana_list.ok().is_empty(), "{}", ana_list.stdout);

    let removed = baton(endpoint, &["--as", &paula, "webhooks", "remove", &name]).await;
    assert_eq!(removed.ok(), format!("removed {name}\n"));
    let gone = baton(endpoint, &["--as", &paula, "webhooks", "show", &name]).await;
    assert!(gone.failed(3).contains("does not exist"), "{}", gone.stderr);
    let bad = baton(endpoint, &["--as", &paula, "webhooks", "add", "ftp://example.com/x", "-p", "Relaunch"]).await;
    assert!(bad.failed(4).contains("webhook.url"), "{}", bad.stderr);
    server.stop().await;
}
