use tokio_stream::StreamExt;
use tonic::Code;

use baton_proto::people::v1::{ListPeopleRequest, PersonRole};
use baton_testkit::{TestEnv, reason};
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
    let server = env.spawn(&["all"]).await;
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
    let server = env.spawn(&["people"]).await;
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
async fn malformed_actor_is_unauthenticated_and_missing_actor_is_anonymous() {
    let env = TestEnv::new().await;
    let server = env.spawn(&["people"]).await;
    let mut request = tonic::Request::new(ListPeopleRequest::default());
    request.metadata_mut().insert("x-baton-actor", "bob".parse().expect("ascii"));
    let status = server.people().list_people(request).await.expect_err("malformed actor");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "INVALID_ACTOR");
    baton_tests::person(&server, "Anonymous Anna", PersonRole::Other).await;
}

#[tokio::test]
async fn graceful_shutdown_stops_everything() {
    let env = TestEnv::new().await;
    let server = env.spawn(&["all"]).await;
    baton_tests::person(&server, "Before Stop", PersonRole::Other).await;
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), server.stop()).await;
    assert!(stopped.is_ok(), "the server stops within its drain timeout");
}
