//! Telemetry: one trace from a caller's gRPC call through the outbox, the broker and the
//! consumer to the delivery of the notifications; and `/metrics` figures that move. These tests
//! install the process-wide tracer and meter providers, so they live in their own test binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::TraceId;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;

use baton_platform::config::LogFormat;
use baton_proto::notifications::v1::WatchNotificationsRequest;
use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::{AddProjectMemberRequest, ProjectMember, ProjectMemberRole};
use baton_testkit::{Target, TestEnv, as_actor, eventually};
use baton_tests::{add_member, person, project};

/// The spans of this test binary, kept in memory.
fn spans() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder().with_simple_exporter(exporter.clone()).build();
        baton_platform::telemetry::install_subscriber(LogFormat::Text, provider);
        baton_platform::telemetry::init_metrics("baton-test").expect("metrics");
        exporter
    })
}

#[tokio::test]
async fn one_trace_from_the_call_to_the_consumer_and_the_watch_stream() {
    let exporter = spans();
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

    // The caller starts a trace of its own and sends it as W3C traceparent metadata.
    let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex");
    let mut request = as_actor(
        &producer,
        AddProjectMemberRequest {
            parent: project.clone(),
            member: Some(ProjectMember {
                person: designer.clone(),
                role: ProjectMemberRole::Contributor as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        },
    );
    request
        .metadata_mut()
        .insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().expect("ascii"));
    server.projects().add_project_member(request).await.expect("add member");
    tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("delivered").expect("open").expect("ok");

    let names = eventually("the consumer and delivery spans", Duration::from_secs(20), || async {
        let finished = exporter.get_finished_spans().expect("spans");
        let in_trace: Vec<String> =
            finished.iter().filter(|s| s.span_context.trace_id() == trace_id).map(|s| s.name.to_string()).collect();
        let wanted = [
            "baton.projects.v1.ProjectsService/AddProjectMember",
            "baton.people.v1.PeopleService/GetPerson",
            "publish baton.projects.v1.ProjectMemberAdded",
            "process baton.projects.v1.ProjectMemberAdded",
            "deliver notifications",
        ];
        wanted.iter().all(|w| in_trace.iter().any(|n| n == w)).then_some(in_trace)
    })
    .await;
    assert!(names.len() >= 5, "{names:?}");

    // The consumer's span is a consumer span with the messaging attributes.
    let finished = exporter.get_finished_spans().expect("spans");
    let process = finished
        .iter()
        .find(|s| s.span_context.trace_id() == trace_id && s.name == "process baton.projects.v1.ProjectMemberAdded")
        .expect("process span");
    assert_eq!(process.span_kind, opentelemetry::trace::SpanKind::Consumer);
    let attribute = |key: &str| {
        process.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string()).unwrap_or_default()
    };
    assert_eq!(attribute("messaging.system"), "rabbitmq");
    assert_eq!(attribute("messaging.operation.type"), "process");
}

/// GET /metrics over plain HTTP/1.1.
async fn scrape(addr: SocketAddr) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect to /metrics");
    stream
        .write_all(format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

/// The sum of the samples of `metric` whose labels contain every one of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(&format!("{metric}{{")) || line.starts_with(&format!("{metric} ")))
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_move_with_the_work() {
    spans();
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let addr = server.metrics_addr().expect("metrics on");
    let before = scrape(addr).await;
    let created_before = sample(&before, "baton_rpc_requests_total", &["method=\"CreatePerson\"", "code=\"Ok\""]);

    let producer = person(&server, "Paula Producer", PersonRole::Producer).await;
    let designer = person(&server, "Dan Designer", PersonRole::Designer).await;
    let project = project(&server, &producer, "Relaunch").await;
    add_member(&server, &producer, &project, &designer, ProjectMemberRole::Lead).await;
    let invalid = server.people().create_person(baton_proto::people::v1::CreatePersonRequest::default()).await;
    assert!(invalid.is_err());
    // Paths that are no method are counted, under `unknown`: a caller cannot mint label values.
    let bearer = format!("Bearer {}", baton_testkit::token(baton_testkit::operator(), &[baton_testkit::Role::Admin]));
    for path in ["/baton.people.v1.PeopleService/DropEveryone", "/no.such.Service/Anything"] {
        let unknown = baton_tests::raw_call(server.channel(), path, &bearer, Vec::new()).await;
        assert_eq!(unknown.expect_err("no such method").code(), tonic::Code::Unimplemented);
    }

    let after = eventually("the event figures to move", Duration::from_secs(20), || async {
        let text = scrape(addr).await;
        let moved = sample(&text, "baton_events_published_total", &["type=\"baton.projects.v1.ProjectMemberAdded\""])
            >= 1.0
            && sample(&text, "baton_events_consumed_total", &["outcome=\"applied\""]) >= 1.0
            && sample(&text, "baton_notifications_created_total", &["channel=\"inbox\""]) >= 1.0;
        moved.then_some(text)
    })
    .await;
    assert!(
        sample(&after, "baton_rpc_requests_total", &["method=\"CreatePerson\"", "code=\"Ok\""]) >= created_before + 2.0
    );
    assert!(
        sample(&after, "baton_rpc_requests_total", &["method=\"CreatePerson\"", "code=\"InvalidArgument\""]) >= 1.0
    );
    assert!(sample(&after, "baton_rpc_duration_seconds_count", &["method=\"AddProjectMember\""]) >= 1.0);
    assert!(
        sample(&after, "baton_rpc_requests_total", &["service=\"unknown\"", "method=\"unknown\""]) >= 2.0,
        "unknown paths under `unknown`"
    );
    assert!(!after.contains("DropEveryone") && !after.contains("no.such.Service"), "a path became a label");
    for gauge in [
        "baton_outbox_backlog",
        "baton_outbox_oldest_age_seconds",
        "baton_db_pool_connections",
        "baton_watch_streams_open",
    ] {
        assert!(after.lines().any(|l| l.starts_with(gauge)), "{gauge} missing from /metrics:\n{after}");
    }
    assert!(sample(&after, "baton_db_pool_connections", &["service=\"people\"", "state=\"max\""]) >= 5.0);
}
