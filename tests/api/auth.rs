//! Authentication: every call but health and reflection needs a bearer token the server trusts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use baton_auth::{DEVELOPMENT_SECRET, GlobalRole, Minter, Subject};
use baton_proto::assets::v1::ListAssetsRequest;
use baton_proto::assets::v1::assets_service_client::AssetsServiceClient;
use baton_proto::notifications::v1::notifications_service_client::NotificationsServiceClient;
use baton_proto::notifications::v1::{ListNotificationsRequest, WatchNotificationsRequest};
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::people::v1::{ListPeopleRequest, PersonRole};
use baton_proto::projects::v1::ListProjectsRequest;
use baton_proto::projects::v1::projects_service_client::ProjectsServiceClient;
use baton_testkit::{KEYS, Target, TestEnv, TestServer, reason, token};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use uuid::Uuid;

fn with_authorization<T>(value: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", value.parse().expect("ascii"));
    request
}

fn with_actor<T>(person: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("x-baton-actor", person.parse().expect("ascii"));
    request
}

fn with_metadata<T>(metadata: &tonic::metadata::MetadataMap, message: T) -> Request<T> {
    let mut request = Request::new(message);
    *request.metadata_mut() = metadata.clone();
    request
}

/// One call to each service (and a notification stream) with `metadata`, and what each answered.
async fn call_each_service(server: &TestServer, metadata: tonic::metadata::MetadataMap) -> Vec<Result<(), Status>> {
    let channel = server.channel();
    let person = format!("people/{}", Uuid::new_v4());
    let project = format!("projects/{}", Uuid::new_v4());
    vec![
        PeopleServiceClient::new(channel.clone())
            .list_people(with_metadata(&metadata, ListPeopleRequest::default()))
            .await
            .map(drop),
        ProjectsServiceClient::new(channel.clone())
            .list_projects(with_metadata(&metadata, ListProjectsRequest::default()))
            .await
            .map(drop),
        AssetsServiceClient::new(channel.clone())
            .list_assets(with_metadata(&metadata, ListAssetsRequest { parent: project, ..Default::default() }))
            .await
            .map(drop),
        NotificationsServiceClient::new(channel.clone())
            .list_notifications(with_metadata(
                &metadata,
                ListNotificationsRequest { recipient: person.clone(), ..Default::default() },
            ))
            .await
            .map(drop),
        NotificationsServiceClient::new(channel)
            .watch_notifications(with_metadata(&metadata, WatchNotificationsRequest { recipient: person }))
            .await
            .map(drop),
    ]
}

#[track_caller]
fn assert_unauthenticated(results: &[Result<(), Status>], expected_reason: &str) {
    assert_eq!(results.len(), 5);
    for result in results {
        let status = result.as_ref().expect_err("refused without a valid token");
        assert_eq!((status.code(), reason(status).as_str()), (Code::Unauthenticated, expected_reason), "{status:?}");
    }
}

#[tokio::test]
async fn without_a_token_only_health_and_reflection_answer() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;

    let nothing = call_each_service(&server, tonic::metadata::MetadataMap::new()).await;
    assert_unauthenticated(&nothing, "MISSING_TOKEN");

    // The development header names anyone, so a production server ignores it.
    let actor = format!("people/{}", Uuid::new_v4());
    let mut header_only = tonic::metadata::MetadataMap::new();
    header_only.insert("x-baton-actor", actor.parse().expect("ascii"));
    let header_only = call_each_service(&server, header_only).await;
    assert_unauthenticated(&header_only, "MISSING_TOKEN");

    HealthClient::new(server.channel()).check(HealthCheckRequest::default()).await.expect("health needs no token");

    // With a token of the trusted issuer, every service answers.
    let bearer = format!("Bearer {}", token(&actor, &[GlobalRole::Member]));
    let mut with_token = tonic::metadata::MetadataMap::new();
    with_token.insert("authorization", bearer.parse().expect("ascii"));
    let with_token = call_each_service(&server, with_token).await;
    for result in with_token {
        if let Err(status) = result {
            assert_ne!(status.code(), Code::Unauthenticated, "{status:?}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_refused_with_their_reason() {
    let env = TestEnv::new().await;
    let server = env.spawn(&[Target::People]).await;
    let person = Subject::Person(Uuid::new_v4());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs();
    let issuer = baton_testkit::issuer();
    let pem = std::fs::read(format!("{KEYS}/issuer.pem")).expect("test key");
    let stranger = Minter::es256(&pem, "test-issuer-1", "someone-else", "baton").expect("key");
    let other_audience = Minter::es256(&pem, "test-issuer-1", "baton", "billing").expect("key");
    let development = Minter::development(DEVELOPMENT_SECRET, "baton", "baton").expect("secret");
    let valid = issuer.mint(&person, &[GlobalRole::Member], Duration::from_secs(60)).expect("mint");
    let tampered = {
        let admin = issuer.mint(&person, &[GlobalRole::Admin], Duration::from_secs(60)).expect("mint");
        let mut parts: Vec<&str> = valid.split('.').collect();
        parts[1] = admin.split('.').nth(1).expect("payload");
        parts.join(".")
    };
    let cases = [
        ("Bearer not-a-jwt".to_string(), "MALFORMED_TOKEN"),
        (format!("Basic {valid}"), "MALFORMED_AUTHORIZATION"),
        (format!("Bearer {}", issuer.mint_at(&person, &[], now - 600, now - 60).expect("mint")), "TOKEN_EXPIRED"),
        (
            format!("Bearer {}", issuer.mint_at(&person, &[], now + 600, now + 900).expect("mint")),
            "TOKEN_NOT_YET_VALID",
        ),
        (
            format!("Bearer {}", stranger.mint(&person, &[], Duration::from_secs(60)).expect("mint")),
            "WRONG_TOKEN_ISSUER",
        ),
        (
            format!("Bearer {}", other_audience.mint(&person, &[], Duration::from_secs(60)).expect("mint")),
            "WRONG_TOKEN_AUDIENCE",
        ),
        // HS256 with the public development secret: only a development server takes it.
        (
            format!("Bearer {}", development.mint(&person, &[], Duration::from_secs(60)).expect("mint")),
            "UNSUPPORTED_TOKEN_ALGORITHM",
        ),
        (format!("Bearer {tampered}"), "BAD_TOKEN_SIGNATURE"),
    ];
    for (authorization, expected) in cases {
        let status = server
            .people()
            .list_people(with_authorization(&authorization, ListPeopleRequest::default()))
            .await
            .expect_err(expected);
        assert_eq!((status.code(), reason(&status).as_str()), (Code::Unauthenticated, expected), "{status:?}");
        assert!(!status.message().is_empty());
    }
    server
        .people()
        .list_people(with_authorization(&format!("Bearer {valid}"), ListPeopleRequest::default()))
        .await
        .expect("the valid token passes");
    server.stop().await;
}

#[tokio::test]
async fn development_mode_takes_the_actor_header_and_development_tokens() {
    let env = TestEnv::new().await;
    let mut config = env.config.clone();
    config.auth.development = true;
    let server = env.spawn_with(&Target::ALL, config).await;
    let actor = format!("people/{}", Uuid::new_v4());
    // Without the test clients' own token.
    let mut people = PeopleServiceClient::new(server.channel());
    people.list_people(with_actor(&actor, ListPeopleRequest::default())).await.expect("the header names the actor");
    let status = people.list_people(with_actor("bob", ListPeopleRequest::default())).await.expect_err("malformed");
    assert_eq!((status.code(), reason(&status).as_str()), (Code::Unauthenticated, "INVALID_ACTOR"));
    let development = Minter::development(DEVELOPMENT_SECRET, "baton", "baton").expect("secret");
    let token = development
        .mint(&Subject::parse(&actor).expect("subject"), &[GlobalRole::Member], Duration::from_secs(60))
        .expect("mint");
    server
        .people()
        .list_people(with_authorization(&format!("Bearer {token}"), ListPeopleRequest::default()))
        .await
        .expect("development tokens pass");
    // Tokens of the configured issuer still pass too, and services still call each other.
    let producer = baton_tests::person(&server, "Dev Producer", PersonRole::Producer).await;
    let project = baton_tests::project(&server, &producer, "Relaunch").await;
    baton_tests::asset(&server, &producer, &project, "Poster", &[]).await;
    server.stop().await;
}
