//! TLS: the gRPC listener speaks only TLS when it has a certificate, services present client
//! certificates with their tokens (mutual TLS), and the services reach Postgres and RabbitMQ over
//! TLS when their URLs ask for it.

use std::error::Error as _;
use std::time::Duration;

use sqlx::Connection;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use baton_platform::tls::TlsConfig;
use baton_proto::people::v1::people_service_client::PeopleServiceClient;
use baton_proto::people::v1::{ListPeopleRequest, PersonRole};
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::tls::{Issued, Pki, tls_proxy};
use baton_testkit::{Role, Target, TestEnv, amqp_url, as_person, eventually, operator, reason, token, url_addr};
use baton_tests::{add_member, asset, person, project};

/// The listener's TLS settings: `server` is its certificate, client certificates are checked
/// against `pki`.
fn listener_tls(pki: &Pki, server: &Issued) -> TlsConfig {
    TlsConfig {
        cert_file: Some(server.cert_file.clone()),
        key_file: Some(server.key_file.clone()),
        client_ca_file: Some(pki.ca_file()),
        ca_file: Some(pki.ca_file()),
        ..TlsConfig::default()
    }
}

/// A client trusting `pki`, checking the server's certificate for `localhost`.
fn trusting(pki: &Pki) -> ClientTlsConfig {
    ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pki.ca_pem())).domain_name("localhost")
}

/// One ListPeople with `bearer`'s token over `channel`.
async fn list_people(channel: Channel, bearer: &str) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(ListPeopleRequest::default());
    request.metadata_mut().insert("authorization", format!("Bearer {bearer}").parse().expect("ascii"));
    PeopleServiceClient::new(channel).list_people(request).await.map(drop)
}

/// Whether a call failed in the transport (the connection refused or cut), not in the service.
fn no_answer(result: Result<(), tonic::Status>) -> bool {
    result.is_err_and(|status| matches!(status.code(), Code::Unavailable | Code::Unknown) && status.source().is_some())
}

async fn channel(server: &baton_testkit::TestServer, tls: ClientTlsConfig) -> Result<Channel, tonic::transport::Error> {
    let url = format!("https://{}", server.addr);
    Channel::from_shared(url).expect("url").tls_config(tls)?.connect().await
}

#[tokio::test]
async fn the_listener_speaks_only_tls_and_services_present_certificates() {
    let env = TestEnv::new().await;
    let pki = Pki::new("Baton test CA");
    let server_cert = pki.issue("server", &["localhost", "127.0.0.1"]);
    let mut config = env.config.clone();
    config.tls = listener_tls(&pki, &server_cert);
    let server = env.spawn_with(&[Target::People], config).await;
    let person = token(operator(), &[Role::Admin]);
    let service = token("services/assets", &[]);

    // Plain text gets no answer from a TLS listener.
    let plain = Channel::from_shared(format!("http://{}", server.addr)).expect("url").connect_lazy();
    assert!(no_answer(list_people(plain, &person).await), "plain text is refused");

    // A client that does not trust the listener's authority gives up in the handshake.
    let stranger_ca = Pki::new("Someone else's CA");
    let untrusted = channel(&server, trusting(&stranger_ca)).await;
    assert!(untrusted.is_err(), "a certificate from an unknown authority is not accepted");

    // People authenticate with tokens alone: a client certificate is optional for them.
    let tls = channel(&server, trusting(&pki)).await.expect("TLS handshake");
    list_people(tls.clone(), &person).await.expect("a person's token over TLS");

    // A service's token without the service's certificate is refused...
    let uncertified = list_people(tls, &service).await.expect_err("a service token alone is refused");
    assert_eq!(
        (uncertified.code(), reason(&uncertified).as_str()),
        (Code::Unauthenticated, "CLIENT_CERTIFICATE_REQUIRED"),
        "{uncertified:?}"
    );
    // ...and accepted with it.
    let assets_cert = pki.issue("assets", &["assets.baton.internal"]);
    let identity = Identity::from_pem(&assets_cert.cert_pem, &assets_cert.key_pem);
    let mutual = channel(&server, trusting(&pki).identity(identity)).await.expect("mutual TLS handshake");
    list_people(mutual, &service).await.expect("a service's token with its certificate");

    // A client certificate from another authority is refused in the handshake.
    let forged = stranger_ca.issue("assets", &["assets.baton.internal"]);
    let forged = trusting(&pki).identity(Identity::from_pem(&forged.cert_pem, &forged.key_pem));
    let refused = match channel(&server, forged).await {
        Err(_) => true,
        Ok(channel) => no_answer(list_people(channel, &service).await),
    };
    assert!(refused, "a certificate of an unknown authority must not get through");
    server.stop().await;
}

#[tokio::test]
async fn every_client_must_present_a_certificate_when_required() {
    let env = TestEnv::new().await;
    let pki = Pki::new("Baton test CA");
    let server_cert = pki.issue("server", &["localhost"]);
    let mut config = env.config.clone();
    config.tls = TlsConfig { client_auth_required: true, ..listener_tls(&pki, &server_cert) };
    let server = env.spawn_with(&[Target::People], config).await;
    let person = token(operator(), &[Role::Admin]);

    let without = match channel(&server, trusting(&pki)).await {
        Err(_) => true,
        Ok(channel) => no_answer(list_people(channel, &person).await),
    };
    assert!(without, "a client without a certificate gets no answer");

    let tool = pki.issue("producer-tool", &["tool.baton.internal"]);
    let with = channel(&server, trusting(&pki).identity(Identity::from_pem(&tool.cert_pem, &tool.key_pem)))
        .await
        .expect("mutual TLS handshake");
    list_people(with, &person).await.expect("a client with a certificate");
    server.stop().await;
}

/// How many of the services' connections to this test's database use TLS, and how many there are.
async fn encrypted_connections(env: &TestEnv) -> (i64, i64) {
    let mut admin = sqlx::PgConnection::connect(&baton_testkit::admin_database_url()).await.expect("connect");
    let counts = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
         WHERE a.datname = $1 AND a.application_name LIKE 'baton-%'",
    )
    .bind(&env.database)
    .fetch_one(&mut admin)
    .await
    .expect("read pg_stat_ssl");
    admin.close().await.ok();
    counts
}

#[tokio::test]
async fn the_whole_system_runs_over_tls_to_callers_services_database_and_broker() {
    let env = TestEnv::new().await;
    let pki = Pki::new("Baton test CA");
    let server_cert = pki.issue("server", &["localhost", "127.0.0.1"]);
    let stop_proxy = tokio_util::sync::CancellationToken::new();
    // The broker behind a TLS endpoint of the test's authority: the only way to it.
    let broker_cert = pki.issue("broker", &["127.0.0.1"]);
    let broker = tls_proxy(url_addr(&amqp_url()).await, &broker_cert, stop_proxy.clone()).await;

    let mut config = env.config.clone();
    config.tls = listener_tls(&pki, &server_cert);
    config.amqp_url = format!("amqps://guest:guest@127.0.0.1:{}/%2f", broker.port());
    config.amqp.tls_ca_file = Some(pki.ca_file());
    config.database_url = format!("{}?sslmode=require", env.config.database_url);
    let mut server = env.spawn_with(&Target::ALL, config).await;
    server.use_tls(trusting(&pki));

    // Assets asks projects whether the designer is on the team: a call between services over
    // mutual TLS. The events travel through the broker's TLS endpoint to the notifications.
    let designer = person(&server, "Dana", PersonRole::Designer).await;
    let project = project(&server, operator(), "Relaunch").await;
    add_member(&server, operator(), &project, &designer, ProjectMemberRole::Lead).await;
    let created = server
        .assets()
        .create_asset(as_person(
            &designer,
            &[Role::Member],
            baton_proto::assets::v1::CreateAssetRequest {
                parent: project.clone(),
                asset: Some(baton_proto::assets::v1::Asset {
                    display_name: "Hero video".into(),
                    kind: baton_proto::assets::v1::AssetKind::Video as i32,
                    weight: 3,
                    ..Default::default()
                }),
                request_id: String::new(),
            },
        ))
        .await;
    created.expect("a team member creates an asset: assets checked the membership with projects");
    let _ = asset(&server, operator(), &project, "Product shots", &[designer.as_str()]).await;
    eventually("a notification through amqps", Duration::from_secs(20), || {
        let mut notifications = server.notifications();
        let request = baton_proto::notifications::v1::ListNotificationsRequest {
            recipient: designer.clone(),
            ..Default::default()
        };
        let request = as_person(&designer, &[Role::Member], request);
        async move {
            (!notifications.list_notifications(request).await.ok()?.into_inner().notifications.is_empty()).then_some(())
        }
    })
    .await;

    let (encrypted, all) = encrypted_connections(&env).await;
    assert!(all > 0, "the services hold connections");
    assert_eq!(encrypted, all, "every service connection to Postgres uses TLS");
    server.stop().await;
    stop_proxy.cancel();
}
