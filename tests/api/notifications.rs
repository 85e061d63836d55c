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

#[tokio::test]
async fn an_inbox_is_read_and_unread_archived_and_counted_per_project() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let producer = person(&server, "Paula Producer", PersonRole::Producer).await;
    let designer = person(&server, "Dan Designer", PersonRole::Designer).await;
    let relaunch = project(&server, &producer, "Relaunch").await;
    let campaign = project(&server, &producer, "Campaign").await;
    for project in [&relaunch, &campaign] {
        add_member(&server, &producer, project, &designer, ProjectMemberRole::Contributor).await;
    }
    // Two components started on the relaunch, one on the campaign: with the two welcomes, five.
    for (project, title) in [(&relaunch, "Hero"), (&relaunch, "Logo"), (&campaign, "Poster")] {
        let asset = baton_tests::asset(&server, &producer, project, title, &[]).await;
        let start = baton_proto::assets::v1::StartAssetRequest { name: asset.name, ..Default::default() };
        server.assets().start_asset(as_actor(&producer, start)).await.expect("start");
    }
    let mut inbox = server.notifications();
    let counts = eventually("five unread", Duration::from_secs(20), || {
        let mut inbox = server.notifications();
        let request = as_actor(&designer, CountUnreadNotificationsRequest { recipient: designer.clone() });
        async move {
            let counts = inbox.count_unread_notifications(request).await.ok()?.into_inner();
            (counts.total == 5).then_some(counts)
        }
    })
    .await;
    let per_project: Vec<(&str, &str, i64)> =
        counts.projects.iter().map(|p| (p.project.as_str(), p.display_name.as_str(), p.unread)).collect();
    assert_eq!(per_project, [(relaunch.as_str(), "Relaunch", 3), (campaign.as_str(), "Campaign", 2)]);

    let list = |filter: &str| ListNotificationsRequest {
        recipient: designer.clone(),
        filter: filter.into(),
        ..Default::default()
    };
    let all = inbox.list_notifications(as_actor(&designer, list(""))).await.expect("list").into_inner().notifications;
    let reasons: Vec<i32> = all.iter().map(|n| n.reason).collect();
    assert_eq!(reasons.iter().filter(|r| **r == NotificationReason::AboutYou as i32).count(), 2, "the welcomes");
    assert_eq!(reasons.iter().filter(|r| **r == NotificationReason::TeamMember as i32).count(), 3);
    let newest = all[0].clone();

    // Read, unread again, archived: gone from the inbox and the counts, listed when asked for.
    let read = inbox
        .mark_notification_read(as_actor(&designer, MarkNotificationReadRequest { name: newest.name.clone() }))
        .await;
    assert!(read.expect("read").into_inner().notification.expect("n").read_time.is_some());
    let unread = inbox
        .mark_notification_unread(as_actor(&designer, MarkNotificationUnreadRequest { name: newest.name.clone() }));
    assert_eq!(unread.await.expect("unread").into_inner().notification.expect("n").read_time, None);
    let archived =
        inbox.archive_notification(as_actor(&designer, ArchiveNotificationRequest { name: newest.name.clone() })).await;
    assert!(archived.expect("archive").into_inner().notification.expect("n").archive_time.is_some());
    let listed =
        inbox.list_notifications(as_actor(&designer, list(""))).await.expect("list").into_inner().notifications;
    assert_eq!(listed.len(), 4, "archived ones are left out");
    let shelf =
        inbox.list_notifications(as_actor(&designer, list("archived = true"))).await.expect("list").into_inner();
    assert_eq!(shelf.notifications.iter().map(|n| &n.name).collect::<Vec<_>>(), [&newest.name]);
    let count = || {
        let request = as_actor(&designer, CountUnreadNotificationsRequest { recipient: designer.clone() });
        let mut inbox = server.notifications();
        async move { inbox.count_unread_notifications(request).await.expect("count").into_inner().total }
    };
    assert_eq!(count().await, 4);
    inbox
        .unarchive_notification(as_actor(&designer, UnarchiveNotificationRequest { name: newest.name.clone() }))
        .await
        .expect("back");

    // All read, of one project, then of the rest.
    let of_campaign = MarkAllNotificationsReadRequest { recipient: designer.clone(), project: campaign.clone() };
    assert_eq!(
        inbox.mark_all_notifications_read(as_actor(&designer, of_campaign)).await.expect("all").into_inner().marked,
        2
    );
    let left = inbox
        .list_notifications(as_actor(&designer, list("read = false")))
        .await
        .expect("list")
        .into_inner()
        .notifications;
    assert!(left.iter().all(|n| n.project == relaunch), "{left:?}");
    let everything = MarkAllNotificationsReadRequest { recipient: designer.clone(), project: String::new() };
    assert_eq!(
        inbox.mark_all_notifications_read(as_actor(&designer, everything)).await.expect("all").into_inner().marked,
        3
    );
    assert_eq!(count().await, 0);

    // Another person's inbox is theirs alone.
    let theirs = as_actor(&producer, ArchiveNotificationRequest { name: newest.name.clone() });
    assert_eq!(inbox.archive_notification(theirs).await.expect_err("not theirs").code(), Code::NotFound);
    let others =
        as_actor(&producer, MarkAllNotificationsReadRequest { recipient: designer.clone(), project: String::new() });
    assert_eq!(inbox.mark_all_notifications_read(others).await.expect_err("not theirs").code(), Code::PermissionDenied);
    let bad = inbox.list_notifications(as_actor(&designer, list("read = soon"))).await.expect_err("bad filter");
    assert_eq!(violated_fields(&bad), ["filter"]);
}
