//! Limits: what one caller may take of a server — message size, undecodable input, streams per
//! person and per connection, writes per second — each answered with its own clear status.

use std::time::Duration;

use baton_platform::limits::LimitsConfig;
use baton_proto::notifications::v1::WatchNotificationsRequest;
use baton_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use baton_proto::people::v1::{CreatePersonRequest, ListPeopleRequest, Person, PersonRole};
use baton_proto::projects::v1::{CreateProjectRequest, Project};
use baton_testkit::{Role, Target, TestEnv, as_person, reason, token};
use baton_tests::raw_call;
use tonic::Code;
use tonic_types::StatusExt;

fn operator_bearer() -> String {
    format!("Bearer {}", token(baton_testkit::operator(), &[Role::Admin]))
}

#[tokio::test]
async fn oversized_and_undecodable_requests_are_refused_clearly() {
    let env = TestEnv::new().await;
    let mut config = env.config.clone();
    config.limits.max_message_bytes = 64 * 1024;
    let server = env.spawn_with(&[Target::People], config).await;

    // A valid message over the limit: RESOURCE_EXHAUSTED, not tonic's OUT_OF_RANGE.
    let person = Person {
        display_name: "x".repeat(100 * 1024),
        email: "big@example.com".into(),
        role: PersonRole::Designer as i32,
        ..Default::default()
    };
    let status = server
        .people()
        .create_person(CreatePersonRequest { person: Some(person), request_id: String::new() })
        .await
        .expect_err("too large");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::ResourceExhausted, "MESSAGE_TOO_LARGE"));
    assert!(status.message().contains("65536 bytes"), "{}", status.message());

    // Bytes that are no CreatePersonRequest: INVALID_ARGUMENT, not INTERNAL.
    let garbage = vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01];
    let status = raw_call(server.channel(), "/baton.people.v1.PeopleService/CreatePerson", &operator_bearer(), garbage)
        .await
        .expect_err("undecodable");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::InvalidArgument, "UNDECODABLE_REQUEST"));
    assert!(status.message().contains("CreatePersonRequest"), "{}", status.message());

    // Neither wrote anything, and the server still answers.
    let listed = server.people().list_people(ListPeopleRequest::default()).await.expect("list").into_inner();
    assert!(listed.people.is_empty());

    // A method that does not exist is UNIMPLEMENTED (after authentication: no token, no answer).
    let path = "/baton.people.v1.PeopleService/DropEveryone";
    let status = raw_call(server.channel(), path, &operator_bearer(), Vec::new()).await.expect_err("no such method");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::Unimplemented, "UNKNOWN_METHOD"));
    let status = raw_call(server.channel(), path, "Bearer nope", Vec::new()).await.expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    server.stop().await;
}

#[tokio::test]
async fn a_persons_writes_are_rate_limited_with_retry_info() {
    let env = TestEnv::new().await;
    let mut config = env.config.clone();
    config.limits = LimitsConfig { writes_per_second: 2.0, write_burst: 3, ..config.limits };
    let server = env.spawn_with(&[Target::People, Target::Projects], config).await;
    let producer = format!("people/{}", uuid::Uuid::new_v4());
    let client = baton_tests::client(&server, "Northwind Coffee").await;
    let create = |n: usize| CreateProjectRequest {
        project: Some(Project { display_name: format!("Pitch {n}"), client: client.clone(), ..Default::default() }),
        request_id: String::new(),
    };
    let mut projects = server.projects();
    for n in 0..3 {
        projects.create_project(as_person(&producer, &[Role::Producer], create(n))).await.expect("within the burst");
    }
    let status =
        projects.create_project(as_person(&producer, &[Role::Producer], create(3))).await.expect_err("over the rate");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::ResourceExhausted, "RATE_LIMITED"));
    let retry = status.get_error_details().retry_info().and_then(|info| info.retry_delay).expect("retry info");
    assert!(retry > Duration::ZERO && retry <= Duration::from_millis(500), "{retry:?}");

    // Reads are not limited; other people have their own allowance.
    for _ in 0..10 {
        server
            .people()
            .list_people(as_person(&producer, &[Role::Producer], ListPeopleRequest::default()))
            .await
            .expect("reads pass");
    }
    let other = format!("people/{}", uuid::Uuid::new_v4());
    projects.create_project(as_person(&other, &[Role::Producer], create(4))).await.expect("another person");

    // After the delay it says, the next write passes.
    tokio::time::sleep(retry).await;
    projects.create_project(as_person(&producer, &[Role::Producer], create(5))).await.expect("after the delay");
    server.stop().await;
}

#[tokio::test]
async fn streams_are_limited_per_person_and_per_connection() {
    let env = TestEnv::new().await;
    let mut config = env.config.clone();
    config.limits = LimitsConfig { max_watch_streams_per_person: 2, max_streams_per_connection: 4, ..config.limits };
    let server = env.spawn_with(&[Target::Notifications], config).await;
    let watch =
        |person: &str| as_person(person, &[Role::Member], WatchNotificationsRequest { recipient: person.to_string() });

    // Per person: the third stream of one person is refused; another person still opens one.
    let ana = format!("people/{}", uuid::Uuid::new_v4());
    let mut client = NotificationsServiceClient::new(server.channel());
    let first = client.watch_notifications(watch(&ana)).await.expect("first");
    let second = client.watch_notifications(watch(&ana)).await.expect("second");
    let status = client.watch_notifications(watch(&ana)).await.expect_err("third");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::ResourceExhausted, "TOO_MANY_STREAMS"));
    drop(first);
    // The server notices the closed stream when its stream is next polled or the hub is swept:
    // a new one opens once it has.
    baton_testkit::eventually("a closed stream frees its place", Duration::from_secs(5), || {
        let mut client = client.clone();
        let request = watch(&ana);
        async move { client.watch_notifications(request).await.ok() }
    })
    .await;
    drop(second);

    // Per connection: with four streams open on one connection a fifth call waits for room.
    let crowd: Vec<String> = (0..4).map(|_| format!("people/{}", uuid::Uuid::new_v4())).collect();
    let mut open = Vec::new();
    let connection =
        tonic::transport::Channel::from_shared(server.endpoint()).expect("url").connect().await.expect("connect");
    let mut one_connection = NotificationsServiceClient::new(connection);
    for person in &crowd {
        open.push(one_connection.watch_notifications(watch(person)).await.expect("within the limit"));
    }
    let someone = format!("people/{}", uuid::Uuid::new_v4());
    let mut waiting = one_connection.clone();
    let fifth = tokio::time::timeout(Duration::from_millis(500), waiting.watch_notifications(watch(&someone))).await;
    assert!(fifth.is_err(), "a fifth stream on the connection must wait");
    open.pop();
    tokio::time::timeout(Duration::from_secs(5), one_connection.watch_notifications(watch(&someone)))
        .await
        .expect("room once a stream closed")
        .expect("opens");
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_until_one_frees() {
    let env = TestEnv::new().await;
    let mut config = env.config.clone();
    config.limits.max_connections = 2;
    let server = env.spawn_with(&[Target::People], config).await;
    let connect = || async {
        let channel =
            tonic::transport::Channel::from_shared(server.endpoint()).expect("url").connect().await.expect("tcp");
        tonic::service::interceptor::InterceptedService::new(channel, baton_testkit::Bearer::default())
    };
    let list = |channel| async move {
        baton_proto::people::v1::people_service_client::PeopleServiceClient::new(channel)
            .list_people(ListPeopleRequest::default())
            .await
    };
    // A people-only server calls no other service: our two connections are all it holds.
    let first = connect().await;
    let second = connect().await;
    list(first.clone()).await.expect("first connection");
    list(second.clone()).await.expect("second connection");
    let third = connect().await;
    let status = list(third).await.expect_err("a third connection is closed");
    assert!(matches!(status.code(), Code::Unavailable | Code::Cancelled | Code::Unknown), "{status:?}");
    // Once one closes, a new connection is served.
    drop(first);
    baton_testkit::eventually("a slot to free", Duration::from_secs(5), || async {
        let channel = connect().await;
        list(channel).await.ok()
    })
    .await;
    list(second).await.expect("the open one is untouched");
    server.stop().await;
}
