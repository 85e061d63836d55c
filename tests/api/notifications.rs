use std::time::Duration;

use tokio_stream::StreamExt;
use tonic::Code;

use baton_proto::notifications::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Target, TestEnv, as_actor, eventually, reason, violated_fields};
use baton_tests::{add_member, person, project};

#[tokio::test]
async fn joining_a_team_is_notified_listed_watched_and_marked_read() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let producer = person(&server, "Paula Producer", PersonRole::Producer).await;
    let designer = person(&server, "Dan Designer", PersonRole::Designer).await;
    let project = project(&server, &producer, "Relaunch").await;

    let mut stream = server
        .notifications()
        .watch_notifications(as_actor(&designer, WatchNotificationsRequest { recipient: designer.clone() }))
        .await
        .expect("watch")
        .into_inner();
    add_member(&server, &producer, &project, &designer, ProjectMemberRole::Contributor).await;

    let streamed = tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("a notification arrives on the stream")
        .expect("stream open")
        .expect("ok")
        .notification
        .expect("notification");
    assert_eq!(streamed.kind, NotificationKind::ProjectMemberAdded as i32);
    assert_eq!(streamed.recipient, designer);
    assert_eq!(streamed.title, "You joined Relaunch");
    // The actor's name comes from the people projection, which may still trail this event.
    assert!(
        ["Paula Producer added you to the team as contributor.", "You were added to the team as contributor."]
            .contains(&streamed.body.as_str()),
        "{}",
        streamed.body
    );
    assert_eq!(streamed.actor, producer);
    assert_eq!(streamed.project, project);

    let mut notifications = server.notifications();
    let listed = notifications
        .list_notifications(as_actor(
            &designer,
            ListNotificationsRequest { recipient: designer.clone(), ..Default::default() },
        ))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.notifications, vec![streamed.clone()]);

    // Only the recipient may mark it: to anyone else it is not found, as if it did not exist.
    let status = notifications
        .mark_notification_read(as_actor(&producer, MarkNotificationReadRequest { name: streamed.name.clone() }))
        .await
        .expect_err("not theirs");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::NotFound, "NOTIFICATION_NOT_FOUND"));
    let read = notifications
        .mark_notification_read(as_actor(&designer, MarkNotificationReadRequest { name: streamed.name.clone() }))
        .await
        .expect("mark")
        .into_inner()
        .notification
        .expect("notification");
    assert!(read.read_time.is_some());
    let unread = notifications
        .list_notifications(as_actor(
            &designer,
            ListNotificationsRequest { recipient: designer.clone(), unread_only: true, ..Default::default() },
        ))
        .await
        .expect("list unread")
        .into_inner();
    assert!(unread.notifications.is_empty());
}

#[tokio::test]
async fn inbox_lists_newest_first_in_pages() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let designer = person(&server, "Dan", PersonRole::Designer).await;
    let mut projects = Vec::new();
    for i in 0..3 {
        let project = project(&server, &producer, &format!("Project {i}")).await;
        add_member(&server, &producer, &project, &designer, ProjectMemberRole::Lead).await;
        projects.push(project);
    }
    let mut notifications = server.notifications();
    let first = eventually("three notifications", Duration::from_secs(20), || {
        let mut notifications = notifications.clone();
        let designer = designer.clone();
        async move {
            let page = notifications
                .list_notifications(as_actor(
                    &designer.clone(),
                    ListNotificationsRequest { recipient: designer, page_size: 2, ..Default::default() },
                ))
                .await
                .ok()?
                .into_inner();
            (!page.next_page_token.is_empty()).then_some(page)
        }
    })
    .await;
    let second = notifications
        .list_notifications(as_actor(
            &designer,
            ListNotificationsRequest {
                recipient: designer.clone(),
                page_size: 2,
                page_token: first.next_page_token.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("page 2")
        .into_inner();
    assert_eq!(second.notifications.len(), 1);
    assert!(second.next_page_token.is_empty());
    let mut all: Vec<_> = first.notifications.into_iter().chain(second.notifications).collect();
    let times: Vec<_> = all.iter().map(|n| n.create_time.expect("time").seconds).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    all.sort_by(|a, b| a.project.cmp(&b.project));
    let mut expected = projects.clone();
    expected.sort();
    assert_eq!(all.iter().map(|n| n.project.clone()).collect::<Vec<_>>(), expected);
}

#[tokio::test]
async fn requests_are_validated() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::Notifications]).await;
    let mut notifications = server.notifications();
    let status = notifications
        .list_notifications(ListNotificationsRequest { recipient: "bob".into(), page_size: -5, ..Default::default() })
        .await
        .expect_err("invalid");
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(fields, ["page_size", "recipient"]);
    let status = notifications
        .mark_notification_read(MarkNotificationReadRequest { name: format!("notifications/{}", uuid::Uuid::new_v4()) })
        .await
        .expect_err("missing");
    assert_eq!(status.code(), Code::NotFound);
    let status = notifications
        .watch_notifications(WatchNotificationsRequest { recipient: String::new() })
        .await
        .expect_err("recipient required");
    assert_eq!(violated_fields(&status), ["recipient"]);
}
