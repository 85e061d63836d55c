//! Notification preferences: the defaults of someone who set nothing, a change with its field
//! errors and its etag, and a muted inbox that a mandatory rule still reaches.

use std::time::Duration;

use tonic::Code;

use baton_auth::GlobalRole;
use baton_proto::assets::v1::StartAssetRequest;
use baton_proto::notifications::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Target, TestEnv, TestServer, as_person, eventually, reason, violated_fields};
use baton_tests::{add_member, asset, person, project};

fn own<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Member], message)
}

fn choice(channel: NotificationChannel, kind: NotificationKind, project: &str, cadence: Cadence) -> ChannelPreference {
    ChannelPreference { channel: channel as i32, kind: kind as i32, project: project.into(), cadence: cadence as i32 }
}

fn update(name: &str, change: NotificationPreferences, paths: &[&str]) -> UpdateNotificationPreferencesRequest {
    UpdateNotificationPreferencesRequest {
        preferences: Some(NotificationPreferences { name: name.into(), ..change }),
        update_mask: (!paths.is_empty())
            .then(|| prost_types::FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
    }
}

async fn status_titles(server: &TestServer, person: &str) -> Vec<String> {
    let request = ListNotificationsRequest { recipient: person.into(), page_size: 1000, ..Default::default() };
    let page = server.notifications().list_notifications(own(person, request)).await.expect("list").into_inner();
    page.notifications
        .into_iter()
        .filter(|n| n.kind == NotificationKind::AssetStatusChanged as i32)
        .map(|n| n.title)
        .collect()
}

#[tokio::test]
async fn preferences_start_as_defaults_and_change_field_by_field() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::Notifications]).await;
    let ana = format!("people/{}", uuid::Uuid::now_v7());
    let name = format!("{ana}/notificationPreferences");
    let mut client = server.notifications();
    let get = |who: &str| own(who, GetNotificationPreferencesRequest { name: name.clone() });

    let defaults = client.get_notification_preferences(get(&ana)).await.expect("defaults").into_inner();
    let defaults = defaults.preferences.expect("preferences");
    assert_eq!(
        (
            defaults.time_zone.as_str(),
            defaults.daily_digest_time.as_str(),
            defaults.quiet_hours,
            defaults.etag.as_str()
        ),
        ("", "08:00", None, "0")
    );
    assert!(defaults.preferences.is_empty() && defaults.update_time.is_none());

    let project = format!("projects/{}", uuid::Uuid::now_v7());
    let choices = vec![
        choice(NotificationChannel::Inbox, NotificationKind::AssetStatusChanged, &project, Cadence::Muted),
        choice(NotificationChannel::Email, NotificationKind::CommentCreated, "", Cadence::Instant),
        choice(NotificationChannel::Email, NotificationKind::Unspecified, "", Cadence::HourlyDigest),
    ];
    let change = NotificationPreferences {
        time_zone: "Europe/Paris".into(),
        quiet_hours: Some(QuietHours { start: "22:00".into(), end: "07:00".into() }),
        daily_digest_time: "18:30".into(),
        preferences: choices.clone(),
        etag: "0".into(),
        ..Default::default()
    };
    let changed = client.update_notification_preferences(own(&ana, update(&name, change.clone(), &[]))).await;
    let changed = changed.expect("changed").into_inner().preferences.expect("preferences");
    assert_eq!(
        (changed.time_zone.as_str(), changed.daily_digest_time.as_str(), changed.etag.as_str()),
        ("Europe/Paris", "18:30", "1")
    );
    assert_eq!(changed.preferences, choices);
    let read = client.get_notification_preferences(get(&ana)).await.expect("read").into_inner().preferences;
    assert_eq!(read.as_ref(), Some(&changed));

    // A stale etag; a mask that clears one field and keeps the others.
    let stale = client.update_notification_preferences(own(&ana, update(&name, change, &[]))).await.expect_err("stale");
    assert_eq!((stale.code(), reason(&stale).as_str()), (Code::Aborted, "ETAG_MISMATCH"));
    let cleared = client
        .update_notification_preferences(own(
            &ana,
            update(&name, NotificationPreferences::default(), &["quiet_hours", "time_zone"]),
        ))
        .await
        .expect("cleared")
        .into_inner()
        .preferences
        .expect("preferences");
    assert_eq!(
        (cleared.time_zone.as_str(), cleared.quiet_hours, cleared.daily_digest_time.as_str()),
        ("", None, "18:30")
    );
    assert_eq!(cleared.preferences.len(), 3);

    // Every bad field named; nothing changed.
    let bad = NotificationPreferences {
        time_zone: "Mars/Olympus_Mons".into(),
        quiet_hours: Some(QuietHours { start: "25:00".into(), end: "07:00".into() }),
        daily_digest_time: "8h".into(),
        preferences: vec![
            choice(NotificationChannel::Inbox, NotificationKind::Unspecified, "", Cadence::DailyDigest),
            choice(NotificationChannel::Unspecified, NotificationKind::Unspecified, "", Cadence::Instant),
            choice(NotificationChannel::Email, NotificationKind::Unspecified, "teams/x", Cadence::Instant),
            choice(NotificationChannel::Email, NotificationKind::CommentCreated, "", Cadence::Muted),
            choice(NotificationChannel::Email, NotificationKind::CommentCreated, "", Cadence::Instant),
        ],
        ..Default::default()
    };
    let refused = client.update_notification_preferences(own(&ana, update(&name, bad, &[]))).await.expect_err("bad");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        [
            "preferences.time_zone",
            "preferences.quiet_hours.start",
            "preferences.daily_digest_time",
            "preferences.preferences[0].cadence",
            "preferences.preferences[1].channel",
            "preferences.preferences[2].project",
            "preferences.preferences[4]",
        ]
    );
    assert!(refused.message().contains("IANA"), "{}", refused.message());
    let after = client.get_notification_preferences(get(&ana)).await.expect("read").into_inner().preferences;
    assert_eq!(after.expect("preferences").etag, "2");

    // Someone else's preferences: neither read nor changed.
    let ben = format!("people/{}", uuid::Uuid::now_v7());
    let theirs = client.get_notification_preferences(get(&ben)).await.expect_err("not theirs");
    assert_eq!((theirs.code(), reason(&theirs).as_str()), (Code::PermissionDenied, "NOT_OWNER"));
}

#[tokio::test]
async fn a_muted_inbox_hears_nothing_of_its_project_unless_the_rule_is_mandatory() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let paula = person(&server, "Paula", PersonRole::Producer).await;
    let mo = person(&server, "Mo", PersonRole::Animator).await;
    let lena = person(&server, "Lena", PersonRole::Animator).await;
    let project = project(&server, &paula, "Relaunch").await;
    for (who, role) in [
        (&paula, ProjectMemberRole::Producer),
        (&mo, ProjectMemberRole::Contributor),
        (&lena, ProjectMemberRole::Contributor),
    ] {
        add_member(&server, &paula, &project, who, role).await;
    }
    let hero = asset(&server, &paula, &project, "Hero", &[&mo]).await;
    let name = format!("{lena}/notificationPreferences");
    let mute = NotificationPreferences {
        preferences: vec![choice(
            NotificationChannel::Inbox,
            NotificationKind::AssetStatusChanged,
            &project,
            Cadence::Muted,
        )],
        ..Default::default()
    };
    server.notifications().update_notification_preferences(own(&lena, update(&name, mute, &[]))).await.expect("mute");

    let start = StartAssetRequest { name: hero.name.clone(), ..Default::default() };
    server.assets().start_asset(own(&mo, start)).await.expect("start");
    eventually("Paula told", Duration::from_secs(20), || async {
        (!status_titles(&server, &paula).await.is_empty()).then_some(())
    })
    .await;
    assert!(status_titles(&server, &lena).await.is_empty(), "Lena muted the project's status changes");

    // The agency makes status changes mandatory: Lena's mute no longer holds.
    let mandatory = UpdateNotificationRuleRequest {
        rule: Some(NotificationRule {
            name: "notificationRules/asset-status-changed".into(),
            mandatory: true,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask { paths: vec!["mandatory".into()] }),
    };
    server.notifications().update_notification_rule(mandatory).await.expect("an admin");
    let submit = baton_proto::assets::v1::SubmitAssetForReviewRequest { name: hero.name.clone(), ..Default::default() };
    server.assets().submit_asset_for_review(own(&mo, submit)).await.expect("submit");
    let heard = eventually("Lena told", Duration::from_secs(20), || async {
        let titles = status_titles(&server, &lena).await;
        (!titles.is_empty()).then_some(titles)
    })
    .await;
    assert_eq!(heard, ["Hero is ready for review"]);
}
