//! The whole slice: people, a project with a team, an asset moving through its workflow, and
//! exactly the right notifications, once each — in one process and across four, and when the
//! broker delivers events twice.

use std::collections::HashMap;
use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicPublishOptions};
use lapin::types::FieldTable;
use tokio_stream::StreamExt;

use baton_proto::Event;
use baton_proto::assets::v1::*;
use baton_proto::notifications::v1::*;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Target, TestEnv, TestServer, as_actor};
use baton_tests::{add_member, asset, person, project};

const PATIENCE: Duration = Duration::from_secs(30);

/// Where each service answers: the same server four times, or four servers.
pub struct Cluster<'a> {
    pub people: &'a TestServer,
    pub projects: &'a TestServer,
    pub assets: &'a TestServer,
    pub notifications: &'a TestServer,
}

pub struct Team {
    pub producer: String,
    pub designer: String,
    pub animator: String,
    pub client: String,
    pub outsider: String,
    pub project: String,
}

/// Notifications of `kind` per recipient.
async fn count_kind(server: &TestServer, person: &str, kind: NotificationKind) -> usize {
    let mut client = server.notifications();
    let mut count = 0;
    let mut token = String::new();
    loop {
        let page = client
            .list_notifications(as_actor(
                person,
                ListNotificationsRequest {
                    recipient: person.into(),
                    page_size: 1000,
                    page_token: token,
                    ..Default::default()
                },
            ))
            .await
            .expect("list notifications")
            .into_inner();
        count += page.notifications.iter().filter(|n| n.kind == kind as i32).count();
        if page.next_page_token.is_empty() {
            return count;
        }
        token = page.next_page_token;
    }
}

pub async fn wait_for_counts(server: &TestServer, kind: NotificationKind, expected: &HashMap<String, usize>) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let mut actual = HashMap::new();
        for person in expected.keys() {
            actual.insert(person.clone(), count_kind(server, person, kind).await);
        }
        if &actual == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{kind:?} counts after {PATIENCE:?}: {actual:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// People and a project whose team (all but the outsider, and the producer who added herself)
/// has been told they joined, so the notifications service's projection of the team is complete.
pub async fn assemble_team(c: &Cluster<'_>) -> Team {
    let producer = person(c.people, "Paula Producer", PersonRole::Producer).await;
    let designer = person(c.people, "Dan Designer", PersonRole::Designer).await;
    let animator = person(c.people, "Ari Animator", PersonRole::Animator).await;
    let client = person(c.people, "Chloé Client", PersonRole::ClientContact).await;
    let outsider = person(c.people, "Otto Outsider", PersonRole::Engineer).await;
    let project = project(c.projects, &producer, "Website relaunch").await;
    for (member, role) in [
        (&producer, ProjectMemberRole::Producer),
        (&designer, ProjectMemberRole::Contributor),
        (&animator, ProjectMemberRole::Contributor),
        (&client, ProjectMemberRole::Client),
    ] {
        add_member(c.projects, &producer, &project, member, role).await;
    }
    // The producer added herself: nobody is told of their own action.
    let joined: HashMap<String, usize> = [&designer, &animator, &client]
        .into_iter()
        .map(|p| (p.clone(), 1))
        .chain([(producer.clone(), 0), (outsider.clone(), 0)])
        .collect();
    wait_for_counts(c.notifications, NotificationKind::ProjectMemberAdded, &joined).await;
    Team { producer, designer, animator, client, outsider, project }
}

/// Moves a new asset through review, changes, approval and delivery; returns the number of
/// changes each person made.
pub async fn play_workflow(c: &Cluster<'_>, team: &Team, title: &str) -> HashMap<String, usize> {
    let hero = asset(c.assets, &team.producer, &team.project, title, &[&team.animator]).await;
    let name = hero.name.clone();
    let mut assets = c.assets.assets();
    let mut acted: HashMap<String, usize> = HashMap::new();
    let mut record = |who: &str| *acted.entry(who.to_string()).or_default() += 1;

    let (animator, client, producer) = (&team.animator, &team.client, &team.producer);
    assets
        .start_asset(as_actor(animator, StartAssetRequest { name: name.clone(), ..Default::default() }))
        .await
        .expect("start");
    record(animator);
    let submit = SubmitAssetForReviewRequest { name: name.clone(), comment: "First cut".into(), ..Default::default() };
    assets.submit_asset_for_review(as_actor(animator, submit.clone())).await.expect("submit");
    record(animator);
    let changes =
        RequestAssetChangesRequest { name: name.clone(), comment: "Slower intro".into(), ..Default::default() };
    assets.request_asset_changes(as_actor(client, changes)).await.expect("changes");
    record(client);
    assets
        .start_asset(as_actor(animator, StartAssetRequest { name: name.clone(), ..Default::default() }))
        .await
        .expect("restart");
    record(animator);
    assets.submit_asset_for_review(as_actor(animator, submit)).await.expect("resubmit");
    record(animator);
    let approve = ApproveAssetRequest { name: name.clone(), ..Default::default() };
    assets.approve_asset(as_actor(producer, approve)).await.expect("approve");
    record(producer);
    let deliver = DeliverAssetRequest { name: name.clone(), ..Default::default() };
    assets.deliver_asset(as_actor(producer, deliver)).await.expect("deliver");
    record(producer);
    acted
}

/// How many of `play_workflow`'s seven changes leave the asset in front of the client (the two
/// submissions, the approval, the delivery; the request for changes is the client's own).
pub const SHOWN_TO_CLIENT: usize = 4;

/// Every member of the agency hears of every change they did not make; the client contact of
/// those shown to them only; the outsider hears of nothing.
pub fn expected_counts(team: &Team, acted: &HashMap<String, usize>, changes: usize) -> HashMap<String, usize> {
    let mut expected: HashMap<String, usize> = [&team.producer, &team.designer, &team.animator]
        .into_iter()
        .map(|p| (p.clone(), changes - acted.get(p).copied().unwrap_or(0)))
        .collect();
    expected.insert(team.client.clone(), SHOWN_TO_CLIENT);
    expected.insert(team.outsider.clone(), 0);
    expected
}

async fn run_slice(c: Cluster<'_>) {
    let team = assemble_team(&c).await;
    let mut stream = c
        .notifications
        .notifications()
        .watch_notifications(as_actor(&team.designer, WatchNotificationsRequest { recipient: team.designer.clone() }))
        .await
        .expect("watch")
        .into_inner();

    let acted = play_workflow(&c, &team, "Hero animation").await;
    let expected = expected_counts(&team, &acted, 7);
    assert_eq!(expected[&team.producer], 5);
    assert_eq!(expected[&team.designer], 7);
    assert_eq!(expected[&team.animator], 3);
    assert_eq!(expected[&team.client], 4, "not told of work in progress");
    wait_for_counts(c.notifications, NotificationKind::AssetStatusChanged, &expected).await;

    // The designer's stream carried the same seven notifications as the inbox, in order.
    let mut streamed = Vec::new();
    while streamed.len() < 7 {
        let next =
            tokio::time::timeout(PATIENCE, stream.next()).await.expect("streamed in time").expect("open").expect("ok");
        streamed.push(next.notification.expect("notification"));
    }
    let titles: Vec<&str> = streamed.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Work started on Hero animation",
            "Hero animation is ready for review",
            "Changes requested on Hero animation",
            "Work resumed on Hero animation",
            "Hero animation is ready for review",
            "Hero animation was approved",
            "Hero animation was delivered",
        ]
    );
    // The actor's name comes from the people projection, which may trail the asset's events.
    assert!(streamed[2].body.ends_with("asked for changes (Website relaunch). “Slower intro”"), "{}", streamed[2].body);
    assert_eq!(streamed[2].actor, team.client);
    let inbox = c
        .notifications
        .notifications()
        .list_notifications(as_actor(
            &team.designer,
            ListNotificationsRequest { recipient: team.designer.clone(), ..Default::default() },
        ))
        .await
        .expect("inbox")
        .into_inner();
    let mut inbox_names: Vec<_> = inbox
        .notifications
        .iter()
        .filter(|n| n.kind == NotificationKind::AssetStatusChanged as i32)
        .map(|n| n.name.clone())
        .collect();
    inbox_names.reverse();
    assert_eq!(inbox_names, streamed.iter().map(|n| n.name.clone()).collect::<Vec<_>>());
}

#[tokio::test]
async fn whole_slice_in_one_process() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    run_slice(Cluster { people: &server, projects: &server, assets: &server, notifications: &server }).await;
}

/// One process per service — people, projects, assets, notifications — each told where the
/// services it calls are.
pub async fn four_processes(env: &TestEnv) -> [TestServer; 4] {
    let people = env.spawn(&[Target::People]).await;
    let mut config = env.config.clone();
    config.endpoints.people = Some(people.endpoint());
    let projects = env.spawn_with(&[Target::Projects], config.clone()).await;
    config.endpoints.projects = Some(projects.endpoint());
    let assets = env.spawn_with(&[Target::Assets], config.clone()).await;
    let notifications = env.spawn_with(&[Target::Notifications], config).await;
    [people, projects, assets, notifications]
}

#[tokio::test]
async fn whole_slice_across_four_processes() {
    let env = TestEnv::new().await;
    let [people, projects, assets, notifications] = four_processes(&env).await;
    run_slice(Cluster { people: &people, projects: &projects, assets: &assets, notifications: &notifications }).await;
}

#[tokio::test]
async fn events_delivered_twice_notify_once() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let cluster = Cluster { people: &server, projects: &server, assets: &server, notifications: &server };

    // A tap on the exchange keeps a copy of every status change as the broker delivered it.
    let broker = env.broker();
    let (connection, channel, tap) = env.tap_queue(AssetStatusChanged::TYPE).await;

    let team = assemble_team(&cluster).await;
    let acted = play_workflow(&cluster, &team, "Hero animation").await;
    let expected = expected_counts(&team, &acted, 7);
    wait_for_counts(&server, NotificationKind::AssetStatusChanged, &expected).await;

    // Deliver every status change a second time, exactly as it was published.
    let mut copies = channel
        .basic_consume(tap.as_str().into(), "tap".into(), BasicConsumeOptions::default(), FieldTable::default())
        .await
        .expect("consume tap");
    let mut republished = 0;
    while republished < 7 {
        let delivery = tokio::time::timeout(PATIENCE, copies.next()).await.expect("tapped").expect("open").expect("ok");
        channel
            .basic_publish(
                broker.exchange.as_str().into(),
                delivery.routing_key.clone(),
                BasicPublishOptions { mandatory: true, immediate: false },
                &delivery.data,
                delivery.properties.clone(),
            )
            .await
            .expect("publish")
            .await
            .expect("confirm");
        delivery.acker.ack(BasicAckOptions::default()).await.expect("ack");
        republished += 1;
    }

    // A fresh change after the copies: once it is notified, the copies before it were consumed.
    let acted_again = play_workflow(&cluster, &team, "Product video").await;
    let mut expected_after = expected_counts(&team, &acted_again, 7);
    for (person, count) in &expected {
        *expected_after.get_mut(person).expect("same people") += count;
    }
    wait_for_counts(&server, NotificationKind::AssetStatusChanged, &expected_after).await;

    let mut db = env.db().await;
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications.inbox WHERE source = 'baton.assets'")
        .fetch_one(&mut db)
        .await
        .expect("inbox");
    // Every event has a rule now (AssetCreated tells the assignees): two creations and fourteen
    // status changes, each applied once however often it was delivered.
    assert_eq!(inbox, 16, "two creations and fourteen status changes, each applied once");
    let _ = connection.close(200, "done".into()).await;
}
