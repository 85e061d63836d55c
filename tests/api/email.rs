//! The email channel against a real SMTP server on loopback: an instant message for someone who
//! chose it, a retry while the server is down that never holds up the inbox, a digest that
//! gathers a person's notifications, quiet hours, and nobody mailed without an address.

use std::time::Duration;

use baton_auth::GlobalRole;
use baton_platform::config::SmtpSecurity;
use baton_proto::assets::v1::{StartAssetRequest, SubmitAssetForReviewRequest};
use baton_proto::notifications::v1::*;
use baton_testkit::smtp::SmtpSink;
use baton_testkit::{Target, TestEnv, TestServer, as_person, eventually};
use baton_tests::{Relaunch, relaunch};

fn own<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Member], message)
}

async fn server_mailing_to(env: &TestEnv, sink: &SmtpSink) -> TestServer {
    let mut config = env.config.clone();
    config.smtp.host = "127.0.0.1".into();
    config.smtp.port = sink.port();
    config.smtp.security = SmtpSecurity::None;
    config.smtp.from = "Baton <baton@studio.example>".into();
    config.smtp.retry_initial_ms = 200;
    config.smtp.poll_interval_ms = 50;
    env.spawn_with(&Target::ALL, config).await
}

async fn choose_email(server: &TestServer, person: &str, cadence: Cadence, quiet: Option<QuietHours>) {
    let change = NotificationPreferences {
        name: format!("{person}/notificationPreferences"),
        quiet_hours: quiet,
        preferences: vec![ChannelPreference {
            channel: NotificationChannel::Email as i32,
            kind: NotificationKind::AssetStatusChanged as i32,
            project: String::new(),
            cadence: cadence as i32,
        }],
        ..Default::default()
    };
    let request = UpdateNotificationPreferencesRequest {
        preferences: Some(change),
        update_mask: Some(prost_types::FieldMask { paths: vec!["preferences".into(), "quiet_hours".into()] }),
    };
    server.notifications().update_notification_preferences(own(person, request)).await.expect("preferences");
}

async fn email_of(server: &TestServer, person: &str) -> String {
    let request = baton_proto::people::v1::GetPersonRequest { name: person.into() };
    server.people().get_person(request).await.expect("person").into_inner().person.expect("person").email
}

async fn inbox_titles(server: &TestServer, person: &str) -> Vec<String> {
    let request = ListNotificationsRequest { recipient: person.into(), page_size: 1000, ..Default::default() };
    let page = server.notifications().list_notifications(own(person, request)).await.expect("list").into_inner();
    page.notifications.into_iter().map(|n| n.title).collect()
}

#[tokio::test]
async fn an_instant_email_goes_out_and_is_retried_while_the_server_is_down() {
    let env = TestEnv::new().await;
    let sink = SmtpSink::start().await;
    let server = server_mailing_to(&env, &sink).await;
    let Relaunch { paula, mo, lena, hero, .. } = relaunch(&server).await;
    choose_email(&server, &lena, Cadence::Instant, None).await;

    let start = StartAssetRequest { name: hero.clone(), ..Default::default() };
    server.assets().start_asset(own(&mo, start)).await.expect("start");
    let mail = sink.wait_for(1, Duration::from_secs(20)).await;
    let lena_address = email_of(&server, &lena).await;
    assert_eq!(mail[0].to, std::slice::from_ref(&lena_address));
    assert_eq!(mail[0].from, "baton@studio.example");
    assert_eq!(mail[0].header("Subject").as_deref(), Some("Work started on Hero"));
    let message_id = mail[0].header("Message-ID").expect("a Message-ID");
    assert!(message_id.ends_with("@baton>"), "{message_id}");
    assert!(mail[0].data.contains("text/plain") && mail[0].data.contains("text/html"), "{}", mail[0].data);

    // Paula chose nothing: her email waits for tomorrow's 08:00 UTC digest.
    let mut db = env.db().await;
    let paula_id: uuid::Uuid = paula.trim_start_matches("people/").parse().expect("uuid");
    let (cadence, due): (String, time::OffsetDateTime) =
        sqlx::query_as("SELECT cadence, due_time FROM notifications.email WHERE recipient = $1 AND state = 'PENDING'")
            .bind(paula_id)
            .fetch_one(&mut db)
            .await
            .expect("Paula's digest");
    assert_eq!(cadence, "CADENCE_DAILY_DIGEST");
    assert_eq!((due.hour(), due.minute()), (8, 0));
    assert!(due > time::OffsetDateTime::now_utc());

    // The mail server goes down: the inbox does not wait for it, the email is retried.
    sink.set_down(true);
    let submit = SubmitAssetForReviewRequest { name: hero.clone(), ..Default::default() };
    server.assets().submit_asset_for_review(own(&mo, submit)).await.expect("submit");
    eventually("Lena's inbox", Duration::from_secs(20), || async {
        inbox_titles(&server, &lena).await.contains(&"Hero is ready for review".to_string()).then_some(())
    })
    .await;
    let retried = eventually("a failed attempt", Duration::from_secs(20), || async {
        let mut db = env.db().await;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications.email_attempt WHERE outcome = 'RETRY'")
            .fetch_one(&mut db)
            .await
            .ok()?;
        (n > 0).then_some(n)
    })
    .await;
    assert!(retried >= 1);
    assert_eq!(sink.mail().len(), 1, "nothing got through while down");
    sink.set_down(false);
    let mail = sink.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(mail[1].header("Subject").as_deref(), Some("Hero is ready for review"));
    assert_eq!(mail[1].to, [lena_address]);
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT a.outcome FROM notifications.email_attempt a JOIN notifications.email e ON e.id = a.email_id \
         WHERE e.notification_ids[1] IN (SELECT id FROM notifications.notification WHERE title = 'Hero is ready for review') \
           AND e.cadence = 'CADENCE_INSTANT' ORDER BY a.attempt",
    )
    .fetch_all(&mut db)
    .await
    .expect("attempts");
    assert_eq!(outcomes.last().map(String::as_str), Some("SENT"));
    assert!(outcomes[..outcomes.len() - 1].iter().all(|o| o == "RETRY") && outcomes.len() >= 2, "{outcomes:?}");
}

#[tokio::test]
async fn a_digest_gathers_notifications_quiet_hours_wait_and_no_address_means_no_email() {
    let env = TestEnv::new().await;
    let sink = SmtpSink::start().await;
    let server = server_mailing_to(&env, &sink).await;
    let Relaunch { paula, mo, lena, hero, .. } = relaunch(&server).await;
    choose_email(&server, &lena, Cadence::HourlyDigest, None).await;
    // Paula is quiet from an hour ago to two hours from now (UTC, her zone).
    let now = time::OffsetDateTime::now_utc();
    let hhmm = |t: time::OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
    let quiet = QuietHours { start: hhmm(now - time::Duration::hours(1)), end: hhmm(now + time::Duration::hours(2)) };
    choose_email(&server, &paula, Cadence::Instant, Some(quiet)).await;
    // Mo has no address as the notifications service knows him.
    let mut db = env.db().await;
    let id = |name: &str| -> uuid::Uuid { name.trim_start_matches("people/").parse().expect("uuid") };
    sqlx::query("UPDATE notifications.person SET email = '' WHERE id = $1")
        .bind(id(&mo))
        .execute(&mut db)
        .await
        .expect("blank");
    choose_email(&server, &mo, Cadence::Instant, None).await;

    let mut assets = server.assets();
    assets
        .start_asset(own(&lena, StartAssetRequest { name: hero.clone(), ..Default::default() }))
        .await
        .expect("start");
    let submit = SubmitAssetForReviewRequest { name: hero.clone(), ..Default::default() };
    assets.submit_asset_for_review(own(&lena, submit)).await.expect("submit");
    // Lena acted; Mo and Paula hear of both changes in their inboxes.
    eventually("Mo's inbox", Duration::from_secs(20), || async {
        let titles = inbox_titles(&server, &mo).await;
        titles.contains(&"Hero is ready for review".to_string()).then_some(())
    })
    .await;
    let rows: Vec<(uuid::Uuid, String, time::OffsetDateTime)> =
        sqlx::query_as("SELECT recipient, cadence, due_time FROM notifications.email ORDER BY recipient")
            .fetch_all(&mut db)
            .await
            .expect("emails");
    // Mo's welcome and his assignment were queued for his digest before his address went; the
    // two changes since are not queued for him at all.
    assert!(rows.iter().filter(|(who, ..)| *who == id(&mo)).all(|(_, c, ..)| c == "CADENCE_DAILY_DIGEST"), "{rows:?}");
    let paula_rows: Vec<_> = rows.iter().filter(|(who, ..)| *who == id(&paula)).collect();
    assert_eq!(paula_rows.len(), 2, "an instant email per change: {rows:?}");
    assert!(paula_rows.iter().all(|(_, c, due)| c == "CADENCE_INSTANT" && *due > now + time::Duration::minutes(59)));
    assert!(sink.mail().is_empty(), "Paula's wait for her quiet hours to end");

    // Lena acted on both: make Paula the actor of a third so that Lena's digest gathers.
    let changes = baton_proto::assets::v1::RequestAssetChangesRequest {
        name: hero.clone(),
        comment: "Slower".into(),
        ..Default::default()
    };
    assets.request_asset_changes(as_person(&paula, &[GlobalRole::Producer], changes)).await.expect("changes");
    assets
        .start_asset(own(&mo, StartAssetRequest { name: hero.clone(), ..Default::default() }))
        .await
        .expect("restart");
    let digest = eventually("Lena's digest gathers two", Duration::from_secs(20), || async {
        let mut db = env.db().await;
        let row: Option<(uuid::Uuid, i64)> = sqlx::query_as(
            "SELECT e.id, (SELECT count(*) FROM notifications.notification n \
                           WHERE n.recipient = e.recipient AND n.digest_time = e.due_time \
                             AND n.digest_cadence = e.cadence) \
             FROM notifications.email e \
             WHERE e.recipient = $1 AND e.cadence = 'CADENCE_HOURLY_DIGEST' AND e.state = 'PENDING'",
        )
        .bind(id(&lena))
        .fetch_optional(&mut db)
        .await
        .ok()?;
        row.filter(|(_, n)| *n == 2).map(|(id, _)| id)
    })
    .await;
    // The hour is up: the digest and what it gathered fall due now.
    sqlx::query(
        "WITH digest AS (UPDATE notifications.email SET due_time = now() WHERE id = $1 \
                         RETURNING recipient, cadence, due_time) \
         UPDATE notifications.notification n SET digest_time = d.due_time FROM digest d, notifications.email e \
         WHERE e.id = $1 AND n.recipient = d.recipient AND n.digest_cadence = d.cadence \
           AND n.digest_time = e.due_time",
    )
    .bind(digest)
    .execute(&mut db)
    .await
    .expect("due now");
    let mail = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].header("Subject").as_deref(), Some("Baton: 2 notifications this hour"));
    assert!(mail[0].data.contains("Changes requested on Hero") && mail[0].data.contains("Work resumed on Hero"));
    assert_eq!(mail[0].to, [email_of(&server, &lena).await]);
}
