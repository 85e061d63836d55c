//! Reminders from the scheduler kept in Postgres: components overdue and due soon, a milestone due
//! soon, each fired once though two replicas run the scheduler, a due-soon reminder whose date
//! passed passed over, one planned again when its date moves, and one whose time came while every
//! replica was down fired when one comes back; reviews waiting longer than their project's
//! threshold, each stage once, to the reviewers who have not decided yet.

use std::time::Duration;

use baton_auth::GlobalRole;
use baton_proto::assets::v1::{
    Asset, ComponentSettings, DecideReviewRequest, RequestAssetChangesRequest, ReviewRule, ReviewStage,
    StartAssetRequest, SubmitAssetForReviewRequest, SubmitVersionRequest, UpdateAssetRequest,
    UpdateComponentSettingsRequest, Verdict, Version,
};
use baton_proto::notifications::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::{CreateMilestoneRequest, Milestone, ProjectMemberRole};
use baton_testkit::{Target, TestEnv, TestServer, as_person, eventually, violated_fields};
use baton_tests::{add_member, asset, person, project, video_file};
use prost_types::FieldMask;

fn own<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Member], message)
}

fn day(offset: i64) -> String {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    baton_platform::time::format_date(Some(date))
}

async fn due_on(server: &TestServer, actor: &str, component: &str, date: &str) {
    let change = Asset { name: component.into(), due_date: date.into(), ..Default::default() };
    let request = UpdateAssetRequest {
        asset: Some(change),
        update_mask: Some(FieldMask { paths: vec!["due_date".into()] }),
        request_id: String::new(),
    };
    server.assets().update_asset(own(actor, request)).await.expect("due date");
}

async fn reminders_of(server: &TestServer, person: &str) -> Vec<(String, i32)> {
    let request = ListNotificationsRequest { recipient: person.into(), page_size: 1000, ..Default::default() };
    let page = server.notifications().list_notifications(own(person, request)).await.expect("list").into_inner();
    let reminders = [
        NotificationKind::ComponentDueSoon as i32,
        NotificationKind::ComponentOverdue as i32,
        NotificationKind::MilestoneDueSoon as i32,
    ];
    let mut found: Vec<(String, i32)> =
        page.notifications.into_iter().filter(|n| reminders.contains(&n.kind)).map(|n| (n.title, n.kind)).collect();
    found.sort();
    found
}

#[tokio::test]
async fn reminders_fire_once_across_replicas_and_catch_up_after_downtime() {
    let mut env = TestEnv::new().await;
    env.config.notifications.reminder_poll_interval_ms = 100;
    let first = env.spawn(&Target::ALL).await;
    // A second replica of the notifications service: its scheduler races the first one's.
    let second = env.spawn(&[Target::Notifications]).await;

    let paula = person(&first, "Paula", PersonRole::Producer).await;
    let mo = person(&first, "Mo", PersonRole::Animator).await;
    let lena = person(&first, "Lena", PersonRole::Designer).await;
    let project = project(&first, &paula, "Relaunch").await;
    add_member(&first, &paula, &project, &paula, ProjectMemberRole::Producer).await;
    add_member(&first, &paula, &project, &mo, ProjectMemberRole::Contributor).await;
    add_member(&first, &paula, &project, &lena, ProjectMemberRole::Lead).await;
    // Ten shots were due five days ago; the trailer is due tomorrow.
    let mut shots = Vec::new();
    for i in 0..10 {
        let shot = asset(&first, &paula, &project, &format!("Shot {i}"), &[&mo]).await.name;
        due_on(&first, &paula, &shot, &day(-5)).await;
        shots.push(shot);
    }
    let trailer = asset(&first, &paula, &project, "Trailer", &[&mo]).await.name;
    due_on(&first, &paula, &trailer, &day(1)).await;
    let milestone = CreateMilestoneRequest {
        parent: project.clone(),
        milestone: Some(Milestone { title: "Launch".into(), due_date: day(1), ..Default::default() }),
        request_id: String::new(),
    };
    first.projects().create_milestone(milestone).await.expect("milestone");

    // Mo hears of each overdue shot and of the trailer due tomorrow — once each.
    let mut expected: Vec<(String, i32)> =
        (0..10).map(|i| (format!("Shot {i} is overdue"), NotificationKind::ComponentOverdue as i32)).collect();
    expected.push((format!("Trailer is due on {}", day(1)), NotificationKind::ComponentDueSoon as i32));
    expected.sort();
    eventually("Mo's reminders", Duration::from_secs(30), || async {
        (reminders_of(&first, &mo).await == expected).then_some(())
    })
    .await;
    // Paula, the producer, of the overdue ones and of the milestone; Lena, a lead, of the milestone.
    let milestone_due = (format!("Milestone Launch is due on {}", day(1)), NotificationKind::MilestoneDueSoon as i32);
    eventually("Paula's and Lena's reminders", Duration::from_secs(30), || async {
        let paula_heard = reminders_of(&first, &paula).await;
        let overdue = paula_heard.iter().filter(|(_, k)| *k == NotificationKind::ComponentOverdue as i32).count();
        let lena_heard = reminders_of(&first, &lena).await;
        (overdue == 10 && paula_heard.contains(&milestone_due) && lena_heard == [milestone_due.clone()]).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(reminders_of(&first, &mo).await, expected, "nothing fired twice");

    let mut db = env.db().await;
    let states: Vec<(String, bool, i64)> = sqlx::query_as(
        "SELECT kind, fired_time IS NOT NULL, count(*) FROM notifications.reminder GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(&mut db)
    .await
    .expect("reminders");
    assert_eq!(
        states,
        [
            ("NOTIFICATION_KIND_COMPONENT_DUE_SOON".to_string(), true, 11),
            ("NOTIFICATION_KIND_COMPONENT_OVERDUE".to_string(), false, 1),
            ("NOTIFICATION_KIND_COMPONENT_OVERDUE".to_string(), true, 10),
            ("NOTIFICATION_KIND_MILESTONE_DUE_SOON".to_string(), true, 1),
        ],
        "the shots' due-soon reminders were passed over (their date passed), the trailer's overdue one waits"
    );

    // A shot moved to next month is planned again.
    due_on(&first, &paula, &shots[0], &day(30)).await;
    let planned = eventually("the shot planned again", Duration::from_secs(20), || async {
        let mut db = env.db().await;
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notifications.reminder WHERE fired_time IS NULL AND due_date = $1::date",
        )
        .bind(day(30))
        .fetch_one(&mut db)
        .await
        .expect("count");
        (n == 2).then_some(n)
    })
    .await;
    assert_eq!(planned, 2, "due soon and overdue for the new date");

    // Every replica goes down; the trailer's overdue time comes meanwhile; one comes back.
    first.stop().await;
    second.stop().await;
    sqlx::query(
        "UPDATE notifications.reminder SET fire_time = now() - interval '1 hour' \
         WHERE kind = 'NOTIFICATION_KIND_COMPONENT_OVERDUE' AND fired_time IS NULL AND due_date = $1::date",
    )
    .bind(day(1))
    .execute(&mut db)
    .await
    .expect("time passes");
    let back = env.spawn(&Target::ALL).await;
    eventually("the trailer overdue", Duration::from_secs(30), || async {
        reminders_of(&back, &mo)
            .await
            .contains(&("Trailer is overdue".to_string(), NotificationKind::ComponentOverdue as i32))
            .then_some(())
    })
    .await;
    back.stop().await;
}

fn producer_of<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Producer], message)
}

/// The review reminders `person` was told of: title and body.
async fn reviews_waiting(server: &TestServer, person: &str) -> Vec<(String, String)> {
    let request = ListNotificationsRequest { recipient: person.into(), page_size: 1000, ..Default::default() };
    let page = server.notifications().list_notifications(own(person, request)).await.expect("list").into_inner();
    let mut found: Vec<(String, String)> = page
        .notifications
        .into_iter()
        .filter(|n| n.kind == NotificationKind::ReviewWaiting as i32)
        .map(|n| (n.title, n.body))
        .collect();
    found.sort();
    found
}

/// The unfired review reminder of `subject`: its stage, reviewers and hours from opening to firing
/// (none when reminders are off).
async fn planned_review(env: &TestEnv, subject: &str) -> Option<(i32, Vec<uuid::Uuid>, Option<f64>)> {
    let mut db = env.db().await;
    sqlx::query_as(
        "SELECT stage, reviewers, CASE WHEN fire_time = 'infinity' THEN NULL \
                ELSE extract(epoch FROM fire_time - opened_time)::float8 / 3600 END \
         FROM notifications.reminder \
         WHERE kind = 'NOTIFICATION_KIND_REVIEW_WAITING' AND subject = $1 AND fired_time IS NULL",
    )
    .bind(subject)
    .fetch_optional(&mut db)
    .await
    .expect("planned review")
}

/// Makes a review's stage open `hours` earlier than it did, as if that time had passed.
async fn backdate_review(env: &TestEnv, subject: &str, hours: i32) {
    let mut db = env.db().await;
    sqlx::query(
        "UPDATE notifications.reminder SET opened_time = opened_time - make_interval(hours => $2), \
                fire_time = fire_time - make_interval(hours => $2) \
         WHERE kind = 'NOTIFICATION_KIND_REVIEW_WAITING' AND subject = $1 AND fired_time IS NULL",
    )
    .bind(subject)
    .bind(hours)
    .execute(&mut db)
    .await
    .expect("time passes");
}

fn id_of(name: &str) -> uuid::Uuid {
    name.rsplit('/').next().and_then(|id| id.parse().ok()).expect("an id")
}

#[tokio::test]
async fn reviews_waiting_past_the_threshold_remind_the_undecided_reviewers_once() {
    let mut env = TestEnv::new().await;
    env.config.notifications.reminder_poll_interval_ms = 100;
    let first = env.spawn(&Target::ALL).await;
    let _second = env.spawn(&[Target::Notifications]).await;
    let paula = person(&first, "Paula", PersonRole::Producer).await;
    let lena = person(&first, "Lena", PersonRole::VideoEngineer).await;
    let mo = person(&first, "Mo", PersonRole::Animator).await;
    let vera = person(&first, "Vera", PersonRole::VideoEngineer).await;
    let project = project(&first, &paula, "Relaunch").await;
    add_member(&first, &paula, &project, &paula, ProjectMemberRole::Producer).await;
    add_member(&first, &paula, &project, &lena, ProjectMemberRole::Lead).await;
    add_member(&first, &paula, &project, &mo, ProjectMemberRole::Contributor).await;
    add_member(&first, &paula, &project, &vera, ProjectMemberRole::Contributor).await;
    let mut assets = first.assets();
    let settings_name = format!("{project}/componentSettings");
    let threshold = |hours: i32| UpdateComponentSettingsRequest {
        settings: Some(ComponentSettings {
            name: settings_name.clone(),
            review_reminder_hours: hours,
            ..Default::default()
        }),
        update_mask: Some(FieldMask { paths: vec!["review_reminder_hours".into()] }),
        request_id: String::new(),
    };
    let refused = assets.update_component_settings(producer_of(&paula, threshold(721))).await.expect_err("too long");
    assert_eq!(violated_fields(&refused), ["settings.review_reminder_hours"]);
    assert!(refused.message().contains("from 0 (no reminder) to 720"), "{}", refused.message());

    // The trailer goes to a two-stage round: Lena and Mo (both), then Paula.
    let trailer = asset(&first, &paula, &project, "Trailer", &[&vera]).await.name;
    let start = |name: &str| StartAssetRequest { name: name.into(), ..Default::default() };
    assets.start_asset(own(&vera, start(&trailer))).await.expect("start");
    let stage = |title: &str, reviewers: &[&str]| ReviewStage {
        title: title.into(),
        reviewers: reviewers.iter().map(|r| r.to_string()).collect(),
        rule: ReviewRule::All as i32,
        ..Default::default()
    };
    let submit = SubmitVersionRequest {
        parent: trailer.clone(),
        version: Some(Version { files: vec![video_file(1, -14.0)], note: "Cut 1".into(), ..Default::default() }),
        stages: vec![stage("Lead", &[&lena, &mo]), stage("Producer", &[&paula])],
        request_id: String::new(),
    };
    let review = assets.submit_version(own(&vera, submit)).await.expect("submit").into_inner().review.expect("round");
    let round = review.name.clone();
    let planned = eventually("the first stage planned", Duration::from_secs(20), || planned_review(&env, &round)).await;
    assert_eq!(planned, (0, vec![id_of(&lena), id_of(&mo)], Some(48.0)), "the default: 48 hours");

    // Mo approves: the stage waits for Lena only.
    let decide = |verdict: Verdict| DecideReviewRequest {
        name: round.clone(),
        verdict: verdict as i32,
        comment: String::new(),
        request_id: String::new(),
    };
    assets.decide_review(own(&mo, decide(Verdict::Approve))).await.expect("Mo approves");
    eventually("the stage narrowed to Lena", Duration::from_secs(20), || async {
        (planned_review(&env, &round).await == Some((0, vec![id_of(&lena)], Some(48.0)))).then_some(())
    })
    .await;

    // Three hours pass; Paula sets the threshold to two hours: the wait is past it.
    backdate_review(&env, &round, 3).await;
    assets.update_component_settings(producer_of(&paula, threshold(2))).await.expect("two hours");
    let told = (
        "Trailer is waiting for review".to_string(),
        "The Lead stage has waited 3 hours for a decision (Relaunch).".to_string(),
    );
    eventually("Lena and Paula reminded", Duration::from_secs(30), || async {
        let lena_heard = reviews_waiting(&first, &lena).await;
        let paula_heard = reviews_waiting(&first, &paula).await;
        (lena_heard == [told.clone()] && paula_heard == [told.clone()]).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(reviews_waiting(&first, &lena).await, std::slice::from_ref(&told), "once, though two schedulers run");
    assert!(reviews_waiting(&first, &mo).await.is_empty(), "Mo decided already");
    assert!(reviews_waiting(&first, &vera).await.is_empty(), "Vera, the assignee, is not a reviewer");

    // Lena approves: the producer's stage opens, under the project's two hours.
    assets.decide_review(own(&lena, decide(Verdict::Approve))).await.expect("Lena approves");
    let planned = eventually("the second stage planned", Duration::from_secs(20), || async {
        planned_review(&env, &round).await.filter(|(stage, _, _)| *stage == 1)
    })
    .await;
    assert_eq!(planned, (1, vec![id_of(&paula)], Some(2.0)));
    // Paula approves: the round ends, nothing waits.
    assets.decide_review(producer_of(&paula, decide(Verdict::Approve))).await.expect("Paula approves");
    eventually("the round's reminder dropped", Duration::from_secs(20), || async {
        planned_review(&env, &round).await.is_none().then_some(())
    })
    .await;

    // A one-step review waits as its component does, for the producer.
    let jingle = asset(&first, &paula, &project, "Jingle", &[&vera]).await.name;
    assets.start_asset(own(&vera, start(&jingle))).await.expect("start");
    let to_review = || SubmitAssetForReviewRequest { name: jingle.clone(), ..Default::default() };
    assets.submit_asset_for_review(own(&vera, to_review())).await.expect("review");
    let planned = eventually("the jingle planned", Duration::from_secs(20), || planned_review(&env, &jingle)).await;
    assert_eq!(planned, (0, vec![], Some(2.0)));
    // Reminders off, then on again: the waiting review is planned under each.
    assets.update_component_settings(producer_of(&paula, threshold(0))).await.expect("off");
    eventually("no time to fire", Duration::from_secs(20), || async {
        (planned_review(&env, &jingle).await == Some((0, vec![], None))).then_some(())
    })
    .await;
    assets.update_component_settings(producer_of(&paula, threshold(1))).await.expect("an hour");
    eventually("an hour", Duration::from_secs(20), || async {
        (planned_review(&env, &jingle).await == Some((0, vec![], Some(1.0)))).then_some(())
    })
    .await;
    // Sent back for changes: it no longer waits; submitted again, it waits anew.
    let changes = RequestAssetChangesRequest { name: jingle.clone(), comment: "Louder.".into(), ..Default::default() };
    assets.request_asset_changes(producer_of(&paula, changes)).await.expect("changes");
    eventually("the jingle's reminder dropped", Duration::from_secs(20), || async {
        planned_review(&env, &jingle).await.is_none().then_some(())
    })
    .await;
    assets.start_asset(own(&vera, start(&jingle))).await.expect("start again");
    assets.submit_asset_for_review(own(&vera, to_review())).await.expect("review again");
    eventually("the jingle planned again", Duration::from_secs(20), || planned_review(&env, &jingle)).await;
    backdate_review(&env, &jingle, 2).await;
    let jingle_told =
        ("Jingle is waiting for review".to_string(), "It has waited 2 hours for a decision (Relaunch).".to_string());
    eventually("Paula reminded of the jingle", Duration::from_secs(30), || async {
        reviews_waiting(&first, &paula).await.contains(&jingle_told).then_some(())
    })
    .await;
    assert_eq!(reviews_waiting(&first, &lena).await, [told], "a one-step review has no named reviewers");
}
