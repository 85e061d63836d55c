//! Reminders from the scheduler kept in Postgres: components overdue and due soon, a milestone due
//! soon, each fired once though two replicas run the scheduler, a due-soon reminder whose date
//! passed passed over, one planned again when its date moves, and one whose time came while every
//! replica was down fired when one comes back.

use std::time::Duration;

use baton_auth::GlobalRole;
use baton_proto::assets::v1::{Asset, UpdateAssetRequest};
use baton_proto::notifications::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::{CreateMilestoneRequest, Milestone, ProjectMemberRole};
use baton_testkit::{Target, TestEnv, TestServer, as_person, eventually};
use baton_tests::{add_member, asset, person, project};
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
