//! Bursts: a producer reassigning thirty components in a row tells the new assignee once — one
//! notification that grows as the burst goes on (and says so on the live stream), one instant
//! email once it is over — while a person's webhook still hears of each change; what comes after
//! the notification was read, after a pause, or from someone else starts a new one.

use std::time::Duration;

use baton_auth::GlobalRole;
use baton_platform::config::SmtpSecurity;
use baton_proto::assets::v1::{Asset, UpdateAssetRequest};
use baton_proto::notifications::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::hooks::HookReceiver;
use baton_testkit::smtp::SmtpSink;
use baton_testkit::{Target, TestEnv, TestServer, as_person, eventually};
use baton_tests::{add_member, asset, person, project};
use prost_types::FieldMask;
use tokio_stream::StreamExt;

fn own<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Member], message)
}

async fn assign(server: &TestServer, actor: &str, component: &str, to: &[&str]) {
    let change =
        Asset { name: component.into(), assignees: to.iter().map(|p| p.to_string()).collect(), ..Default::default() };
    let request = UpdateAssetRequest {
        asset: Some(change),
        update_mask: Some(FieldMask { paths: vec!["assignees".into()] }),
        request_id: String::new(),
    };
    server.assets().update_asset(own(actor, request)).await.expect("reassign");
}

async fn inbox(server: &TestServer, person: &str) -> Vec<Notification> {
    let request = ListNotificationsRequest { recipient: person.into(), page_size: 1000, ..Default::default() };
    server.notifications().list_notifications(own(person, request)).await.expect("list").into_inner().notifications
}

fn assignments(notifications: &[Notification]) -> Vec<&Notification> {
    notifications.iter().filter(|n| n.kind == NotificationKind::AssetUpdated as i32).collect()
}

#[tokio::test]
async fn a_bulk_reassignment_is_one_notification_one_email_and_every_webhook_post() {
    let env = TestEnv::new().await;
    let sink = SmtpSink::start().await;
    let receiver = HookReceiver::start().await;
    let mut config = env.config.clone();
    config.notifications.group_window_ms = 3_000;
    config.smtp.host = "127.0.0.1".into();
    config.smtp.port = sink.port();
    config.smtp.security = SmtpSecurity::None;
    config.smtp.poll_interval_ms = 50;
    config.webhooks.allow_private_endpoints = true;
    config.webhooks.poll_interval_ms = 50;
    let server = env.spawn_with(&Target::ALL, config).await;

    let paula = person(&server, "Paula", PersonRole::Producer).await;
    let lena = person(&server, "Lena", PersonRole::Animator).await;
    let mo = person(&server, "Mo", PersonRole::Animator).await;
    let project = project(&server, &paula, "Relaunch").await;
    for (who, role) in
        [(&paula, ProjectMemberRole::Producer), (&lena, ProjectMemberRole::Contributor), (&mo, ProjectMemberRole::Lead)]
    {
        add_member(&server, &paula, &project, who, role).await;
    }
    let mut components = Vec::new();
    for i in 0..31 {
        components.push(asset(&server, &paula, &project, &format!("Shot {i:02}"), &[]).await.name);
    }
    // Lena wants assignments by email at once, and by webhook.
    let choice = NotificationPreferences {
        name: format!("{lena}/notificationPreferences"),
        preferences: vec![ChannelPreference {
            channel: NotificationChannel::Email as i32,
            kind: NotificationKind::AssetUpdated as i32,
            project: String::new(),
            cadence: Cadence::Instant as i32,
        }],
        ..Default::default()
    };
    let request = UpdateNotificationPreferencesRequest { preferences: Some(choice), update_mask: None };
    server.notifications().update_notification_preferences(own(&lena, request)).await.expect("preferences");
    let hook = Webhook {
        url: receiver.url("/lena"),
        kinds: vec![NotificationKind::AssetUpdated as i32],
        ..Default::default()
    };
    let request = CreatePersonalWebhookRequest { parent: lena.clone(), webhook: Some(hook), webhook_id: String::new() };
    server.notifications().create_personal_webhook(own(&lena, request)).await.expect("webhook");
    let stream = WatchNotificationsRequest { recipient: lena.clone() };
    let mut stream = server.notifications().watch_notifications(own(&lena, stream)).await.expect("watch").into_inner();

    // Paula hands Lena thirty shots in a row.
    for component in &components[..30] {
        assign(&server, &paula, component, &[&lena]).await;
    }
    let grouped = eventually("one notification of thirty", Duration::from_secs(20), || async {
        let notifications = inbox(&server, &lena).await;
        let found = assignments(&notifications);
        (found.len() == 1 && found[0].event_count == 30).then(|| found[0].clone())
    })
    .await;
    assert_eq!(grouped.title, "Paula made 30 changes to components in Relaunch");
    let lines: Vec<&str> = grouped.body.lines().collect();
    assert_eq!(lines[0], "… and 10 before these");
    assert_eq!(lines[1..].len(), 20);
    assert_eq!(lines[20], "• You were assigned Shot 29");
    let seconds = |t: &Option<prost_types::Timestamp>| t.as_ref().map(|t| (t.seconds, t.nanos));
    assert!(seconds(&grouped.update_time) > seconds(&grouped.create_time));

    // The live stream told of each step, as the one notification grew.
    let mut seen = Vec::new();
    while seen.last().map(|n: &Notification| n.event_count) != Some(30) {
        let counts: Vec<(i32, i32)> = seen.iter().map(|n: &Notification| (n.kind, n.event_count)).collect();
        let next = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
        let next = next.unwrap_or_else(|_| panic!("streamed after {counts:?}"));
        seen.push(next.expect("open").expect("ok").notification.expect("notification"));
    }
    let updates: Vec<&Notification> = seen.iter().filter(|n| n.kind == NotificationKind::AssetUpdated as i32).collect();
    assert!(updates.iter().all(|n| n.name == grouped.name), "one notification, updated");
    assert!(updates.windows(2).all(|w| w[0].event_count <= w[1].event_count));

    // One email, once the burst was over; every change posted to her webhook.
    let mail = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mail[0].header("Subject").as_deref(), Some("Paula made 30 changes to components in Relaunch"));
    receiver.wait_for(30, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(sink.mail().len(), 1, "one email for the burst");
    assert_eq!(receiver.posts().len(), 30, "a post per change");

    // Read, the burst is closed: the next assignment is a notification of its own; so is one by
    // someone else.
    let request = MarkNotificationReadRequest { name: grouped.name.clone() };
    server.notifications().mark_notification_read(own(&lena, request)).await.expect("read");
    assign(&server, &paula, &components[30], &[&lena]).await;
    assign(&server, &mo, &components[0], &[&mo]).await;
    let notifications = eventually("two more", Duration::from_secs(20), || async {
        let notifications = inbox(&server, &lena).await;
        (assignments(&notifications).len() == 3).then_some(notifications)
    })
    .await;
    let found = assignments(&notifications);
    assert_eq!(found.iter().map(|n| n.event_count).collect::<Vec<_>>(), [1, 1, 30]);
    let titles: Vec<&str> = found.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles[..2], ["You were taken off Shot 00", "You were assigned Shot 30"]);
    server.stop().await;
}
