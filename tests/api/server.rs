use std::time::Duration;

use tokio_stream::StreamExt;
use tonic::Code;

use baton_proto::notifications::v1::WatchNotificationsRequest;
use baton_proto::people::v1::PersonRole;
use baton_testkit::{Target, TestEnv, as_actor, eventually};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

#[tokio::test]
async fn health_reports_each_service_and_reflection_lists_them() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let mut health = HealthClient::new(server.channel());
    for service in [
        "",
        "baton.people.v1.PeopleService",
        "baton.projects.v1.ProjectsService",
        "baton.assets.v1.AssetsService",
        "baton.notifications.v1.NotificationsService",
    ] {
        let status = health.check(HealthCheckRequest { service: service.into() }).await.expect("check").into_inner();
        assert_eq!(status.status, ServingStatus::Serving as i32, "{service:?}");
    }

    let mut reflection = ServerReflectionClient::new(server.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses =
        reflection.server_reflection_info(tokio_stream::iter([request])).await.expect("reflection").into_inner();
    let response = responses.next().await.expect("one response").expect("ok");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response {response:?}");
    };
    let services: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "baton.people.v1.PeopleService",
        "baton.projects.v1.ProjectsService",
        "baton.assets.v1.AssetsService",
        "baton.notifications.v1.NotificationsService",
        "grpc.health.v1.Health",
    ] {
        assert!(services.iter().any(|s| s == expected), "{expected} missing from {services:?}");
    }
}

#[tokio::test]
async fn a_single_target_serves_only_its_service() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let mut health = HealthClient::new(server.channel());
    let status = health
        .check(HealthCheckRequest { service: "baton.assets.v1.AssetsService".into() })
        .await
        .expect_err("assets is not served here");
    assert_eq!(status.code(), Code::NotFound);
    let status = server
        .assets()
        .list_assets(baton_proto::assets::v1::ListAssetsRequest::default())
        .await
        .expect_err("not served");
    assert_eq!(status.code(), Code::Unimplemented);
}

#[tokio::test]
async fn graceful_shutdown_stops_everything() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let person = baton_tests::person(&server, "Before Stop", PersonRole::Other).await;

    // Running: the consumer is subscribed and the services hold database connections (the
    // relays and the dispatcher listen on theirs).
    eventually("the notifications consumer to subscribe", Duration::from_secs(20), || async {
        (env.queue_consumers("notifications").await > 0).then_some(())
    })
    .await;
    eventually("the services to hold database connections", Duration::from_secs(20), || async {
        (env.service_connections().await > 0).then_some(())
    })
    .await;

    let addr = server.addr;
    let mut health = HealthClient::new(server.channel())
        .watch(HealthCheckRequest { service: String::new() })
        .await
        .expect("watch health")
        .into_inner();
    let first = health.next().await.expect("a status").expect("ok");
    assert_eq!(first.status, ServingStatus::Serving as i32);
    let mut watch = server
        .notifications()
        .watch_notifications(as_actor(&person, WatchNotificationsRequest { recipient: person.clone() }))
        .await
        .expect("watch notifications")
        .into_inner();

    let stopping = tokio::spawn(tokio::time::timeout(Duration::from_secs(10), server.stop()));

    // An open call hears the server stop serving, then lets it go.
    let status = tokio::time::timeout(Duration::from_secs(5), health.next())
        .await
        .expect("health changes on shutdown")
        .expect("the health stream is still open")
        .expect("ok");
    assert_eq!(status.status, ServingStatus::NotServing as i32);
    drop(health);
    // Watch streams end cleanly with the shutdown instead of holding it up.
    let ended = tokio::time::timeout(Duration::from_secs(5), watch.next()).await.expect("the watch stream ends");
    assert!(ended.is_none(), "the watch stream ended with {ended:?} instead of a clean end");

    assert!(stopping.await.expect("stop task").is_ok(), "the server stops within 10 s");

    // The listener is closed: new connections are refused.
    let refused = tokio::net::TcpStream::connect(addr).await;
    assert!(refused.is_err(), "{addr} still accepts connections after the server stopped");
    // The consumer left the queue, and every pool is closed.
    eventually("the notifications consumer to be gone", Duration::from_secs(5), || async {
        (env.queue_consumers("notifications").await == 0).then_some(())
    })
    .await;
    eventually("the services' database connections to be closed", Duration::from_secs(5), || async {
        (env.service_connections().await == 0).then_some(())
    })
    .await;
}
