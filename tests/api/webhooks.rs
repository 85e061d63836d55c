//! Webhooks against a real HTTP endpoint on loopback that checks every signature: a project's
//! events and a person's notifications posted signed, once each, in JSON or Slack's format; an
//! endpoint failing then recovering; a dead one disabled and enabled again; a slow one that
//! never holds up the inbox; a delivery cut off by a crash posted again with the same id; TLS to
//! an internal authority; and what is refused — private addresses outside development, bad
//! fields, too many webhooks, webhooks without a key.

use std::time::{Duration, Instant};

use baton_auth::GlobalRole;
use baton_proto::assets::v1::{StartAssetRequest, SubmitAssetForReviewRequest};
use baton_proto::notifications::v1::*;
use baton_testkit::hooks::{HookReceiver, Reply};
use baton_testkit::{Target, TestEnv, TestServer, as_person, eventually, violated_fields};
use baton_tests::{Relaunch, relaunch};
use tonic::Code;

fn own<T>(person: &str, message: T) -> tonic::Request<T> {
    as_person(person, &[GlobalRole::Member], message)
}

/// A server that may post to loopback, retrying fast.
async fn server(env: &TestEnv, configure: impl FnOnce(&mut baton_platform::config::WebhooksConfig)) -> TestServer {
    let mut config = env.config.clone();
    config.webhooks.allow_private_endpoints = true;
    config.webhooks.retry_initial_ms = 100;
    config.webhooks.poll_interval_ms = 50;
    configure(&mut config.webhooks);
    env.spawn_with(&Target::ALL, config).await
}

fn hook(url: &str, format: WebhookFormat, kinds: &[NotificationKind]) -> Webhook {
    Webhook {
        display_name: "Team channel".into(),
        url: url.into(),
        format: format as i32,
        kinds: kinds.iter().map(|k| *k as i32).collect(),
        ..Default::default()
    }
}

/// Paula adds a webhook to the project (once the notifications service knows the project).
async fn project_hook(server: &TestServer, team: &Relaunch, webhook: Webhook) -> CreateProjectWebhookResponse {
    eventually("the project's webhook", Duration::from_secs(10), || async {
        let request = CreateProjectWebhookRequest {
            parent: team.project.clone(),
            webhook: Some(webhook.clone()),
            ..Default::default()
        };
        server.notifications().create_project_webhook(own(&team.paula, request)).await.ok().map(|r| r.into_inner())
    })
    .await
}

async fn start_hero(server: &TestServer, team: &Relaunch) {
    let start = StartAssetRequest { name: team.hero.clone(), ..Default::default() };
    server.assets().start_asset(own(&team.mo, start)).await.expect("start");
}

async fn deliveries(server: &TestServer, who: &str, webhook: &str) -> Vec<WebhookDelivery> {
    let request = ListProjectWebhookDeliveriesRequest { parent: webhook.into(), ..Default::default() };
    server
        .notifications()
        .list_project_webhook_deliveries(own(who, request))
        .await
        .expect("deliveries")
        .into_inner()
        .deliveries
}

async fn get_hook(server: &TestServer, who: &str, name: &str) -> Webhook {
    let request = GetProjectWebhookRequest { name: name.into() };
    server
        .notifications()
        .get_project_webhook(own(who, request))
        .await
        .expect("get")
        .into_inner()
        .webhook
        .expect("webhook")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).expect("a JSON body")
}

#[tokio::test]
async fn a_project_webhook_is_told_of_each_event_signed_once_in_json_or_slack_format() {
    let env = TestEnv::new().await;
    let receiver = HookReceiver::start().await;
    let slack = HookReceiver::start().await;
    let server = server(&env, |_| {}).await;
    let team = relaunch(&server).await;
    let made = project_hook(
        &server,
        &team,
        hook(&receiver.url("/baton"), WebhookFormat::Json, &[NotificationKind::AssetStatusChanged]),
    )
    .await;
    let webhook = made.webhook.expect("webhook");
    assert!(made.secret.starts_with("whsec_") && made.secret.len() == 70, "{}", made.secret);
    assert_eq!(webhook.secret_hint, made.secret[made.secret.len() - 4..]);
    assert_eq!(webhook.state, WebhookState::Enabled as i32);
    assert_eq!(webhook.creator, team.paula);
    receiver.set_secret(&made.secret);
    let slack_made = project_hook(&server, &team, hook(&slack.url("/slack"), WebhookFormat::Slack, &[])).await;
    slack.set_secret(&slack_made.secret);

    // Mo starts his component: he is its only assignee, so his rule tells Paula and Lena; the
    // project's webhooks hear of it all the same, once.
    start_hero(&server, &team).await;
    let posts = receiver.wait_for(1, Duration::from_secs(20)).await;
    let post = &posts[0];
    assert!(post.verified, "the signature checks out: {}", post.signature);
    assert_eq!((post.kind.as_str(), post.content_type.as_str()), ("asset-status-changed", "application/json"));
    let body = json(&post.body);
    assert_eq!(body["id"], post.delivery.as_str());
    assert_eq!(body["kind"], "asset-status-changed");
    assert_eq!(body["project"], team.project.as_str());
    assert_eq!(body["subject"], team.hero.as_str());
    assert_eq!(body["actor"], team.mo.as_str());
    assert_eq!(body["title"], "Work started on Hero");
    assert!(body["event"].as_str().is_some_and(|e| uuid::Uuid::parse_str(e).is_ok()), "{body}");
    assert!(body.get("recipient").is_none(), "a project's delivery is nobody's: {body}");

    let slack_post = eventually("the Slack post", Duration::from_secs(20), || async {
        slack.posts().into_iter().find(|p| p.kind == "asset-status-changed")
    })
    .await;
    assert!(slack_post.verified);
    let text = json(&slack_post.body);
    assert_eq!(text.as_object().map(|o| o.len()), Some(1), "{text}");
    assert!(text["text"].as_str().is_some_and(|t| t.starts_with("*Work started on Hero*\n")), "{text}");

    // The delivery log: one delivered attempt, and nothing posted twice.
    let log = eventually("the delivered record", Duration::from_secs(10), || async {
        let log = deliveries(&server, &team.paula, &webhook.name).await;
        (log.len() == 1 && log[0].state == WebhookDeliveryState::Delivered as i32).then_some(log)
    })
    .await;
    assert_eq!(log[0].name, format!("{}/deliveries/{}", webhook.name, post.delivery));
    assert_eq!((log[0].attempts.len(), log[0].attempts[0].response_code), (1, 200));
    assert!(log[0].attempts[0].delivered);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.posts().len(), 1, "the kinds filter keeps everything else out");

    // The secret is stored nowhere: not in any answer, not in any column.
    let listed = ListProjectWebhooksRequest { parent: team.project.clone() };
    let listed = server.notifications().list_project_webhooks(own(&team.paula, listed)).await.expect("list");
    assert_eq!(listed.get_ref().webhooks.len(), 2);
    assert!(!format!("{:?}", listed.get_ref()).contains(&made.secret[6..]));
    let mut db = env.db().await;
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT w::text FROM notifications.webhook w").fetch_all(&mut db).await.expect("rows");
    assert!(rows.iter().all(|row| !row.contains(&made.secret[6..])), "{rows:?}");

    // A new secret signs from now on; the old one no longer checks out.
    let rotated = RotateProjectWebhookSecretRequest { name: webhook.name.clone() };
    let rotated =
        server.notifications().rotate_project_webhook_secret(own(&team.paula, rotated)).await.expect("rotate");
    let rotated = rotated.into_inner();
    assert_ne!(rotated.secret, made.secret);
    assert_eq!(rotated.webhook.expect("webhook").secret_hint, rotated.secret[rotated.secret.len() - 4..]);
    let submit = SubmitAssetForReviewRequest { name: team.hero.clone(), ..Default::default() };
    server.assets().submit_asset_for_review(own(&team.mo, submit)).await.expect("submit");
    let posts = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert!(!posts[1].verified, "signed with the new secret, not the old one");
    assert!(baton_testkit::hooks::verify(&rotated.secret, &posts[1].signature, posts[1].body.as_bytes()));
    server.stop().await;
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_and_a_dead_one_disabled_until_its_owner_enables_it() {
    let env = TestEnv::new().await;
    let receiver = HookReceiver::start().await;
    let server = server(&env, |w| {
        w.disable_after_failures = 3;
        w.disable_after_secs = 0;
    })
    .await;
    let team = relaunch(&server).await;
    let kinds = [NotificationKind::AssetStatusChanged];
    let made = project_hook(&server, &team, hook(&receiver.url("/hook"), WebhookFormat::Json, &kinds)).await;
    receiver.set_secret(&made.secret);
    let name = made.webhook.expect("webhook").name;

    // 500, then 200: the same delivery twice, and a log of both attempts.
    receiver.script(&[Reply::Status(500, Duration::ZERO)]);
    start_hero(&server, &team).await;
    let posts = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(posts[0].delivery, posts[1].delivery, "one delivery, one id");
    assert_eq!((posts[0].answered, posts[1].answered), (500, 200));
    let log = eventually("the delivered record", Duration::from_secs(10), || async {
        let log = deliveries(&server, &team.paula, &name).await;
        (log.first()?.state == WebhookDeliveryState::Delivered as i32).then_some(log)
    })
    .await;
    let codes: Vec<(i32, i32, bool)> =
        log[0].attempts.iter().map(|a| (a.attempt, a.response_code, a.delivered)).collect();
    assert_eq!(codes, [(1, 500, false), (2, 200, true)]);
    assert_eq!(log[0].attempts[0].detail, "answered 500");

    // Three failures in a row disable it; what is waiting stays waiting, nothing new is queued.
    receiver.script(&[Reply::Status(503, Duration::ZERO); 3]);
    let submit = SubmitAssetForReviewRequest { name: team.hero.clone(), ..Default::default() };
    server.assets().submit_asset_for_review(own(&team.mo, submit)).await.expect("submit");
    let disabled = eventually("disabled", Duration::from_secs(20), || async {
        let webhook = get_hook(&server, &team.paula, &name).await;
        (webhook.state == WebhookState::Disabled as i32).then_some(webhook)
    })
    .await;
    assert!(disabled.disabled_reason.contains("in a row failed"), "{}", disabled.disabled_reason);
    assert_eq!(disabled.consecutive_failures, 3);
    let posted = receiver.posts().len();
    assert_eq!(posted, 5);
    let hero = baton_proto::assets::v1::RequestAssetChangesRequest {
        name: team.hero.clone(),
        comment: "Warmer colours".into(),
        ..Default::default()
    };
    server.assets().request_asset_changes(own(&team.paula, hero)).await.expect("changes");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.posts().len(), posted, "a disabled webhook is not posted to");
    let log = deliveries(&server, &team.paula, &name).await;
    assert_eq!(log.len(), 2, "nothing queued while disabled");
    assert_eq!(log[0].state, WebhookDeliveryState::Pending as i32);

    // Paula enables it again: the waiting delivery goes out.
    let enable = Webhook { name: name.clone(), state: WebhookState::Enabled as i32, ..Default::default() };
    let request = UpdateProjectWebhookRequest {
        webhook: Some(enable),
        update_mask: Some(prost_types::FieldMask { paths: vec!["state".into()] }),
    };
    let enabled = server.notifications().update_project_webhook(own(&team.paula, request)).await.expect("enable");
    let enabled = enabled.into_inner().webhook.expect("webhook");
    assert_eq!((enabled.state, enabled.consecutive_failures), (WebhookState::Enabled as i32, 0));
    assert!(enabled.disabled_reason.is_empty());
    let posts = receiver.wait_for(posted + 1, Duration::from_secs(20)).await;
    assert_eq!(posts[posted].answered, 200);
    assert_eq!(posts[posted].delivery, posts[2].delivery, "the delivery that waited");
    server.stop().await;
}

#[tokio::test]
async fn a_slow_endpoint_does_not_delay_the_inbox() {
    let env = TestEnv::new().await;
    let receiver = HookReceiver::start().await;
    let server = server(&env, |w| w.timeout_ms = 30_000).await;
    let team = relaunch(&server).await;
    let made = project_hook(&server, &team, hook(&receiver.url("/slow"), WebhookFormat::Json, &[])).await;
    receiver.set_secret(&made.secret);
    receiver.script(&[Reply::Status(200, Duration::from_secs(20)); 4]);

    let started = Instant::now();
    start_hero(&server, &team).await;
    eventually("Lena's inbox", Duration::from_secs(10), || async {
        let request = ListNotificationsRequest { recipient: team.lena.clone(), ..Default::default() };
        let page = server.notifications().list_notifications(own(&team.lena, request)).await.expect("list");
        page.into_inner().notifications.iter().any(|n| n.title == "Work started on Hero").then_some(())
    })
    .await;
    let inbox = started.elapsed();
    assert!(inbox < Duration::from_secs(3), "the inbox took {inbox:?}");
    // The post of the change is out (and unanswered). An event of the set-up that reached the
    // service after the webhook was made may be posted first, beside it.
    eventually("the change posted", Duration::from_secs(10), || async {
        receiver.posts().iter().any(|p| p.kind == "asset-status-changed").then_some(())
    })
    .await;
    let log = deliveries(&server, &team.paula, &made.webhook.expect("webhook").name).await;
    assert!(log.iter().all(|d| d.state == WebhookDeliveryState::Pending as i32), "still being answered");
    server.stop().await;
}

#[tokio::test]
async fn a_delivery_cut_off_by_a_crash_is_posted_again_with_the_same_id() {
    let env = TestEnv::new().await;
    let receiver = HookReceiver::start().await;
    // An attempt may take 3 s, so a courier holds a delivery 6 s.
    let first = server(&env, |w| w.timeout_ms = 3_000).await;
    let team = relaunch(&first).await;
    let kinds = [NotificationKind::AssetStatusChanged];
    let made = project_hook(&first, &team, hook(&receiver.url("/crash"), WebhookFormat::Json, &kinds)).await;
    receiver.set_secret(&made.secret);
    receiver.script(&[Reply::Hang]);
    start_hero(&first, &team).await;
    let posts = receiver.wait_for(1, Duration::from_secs(20)).await;
    // The process goes away while the endpoint holds the post: nothing recorded it.
    first.stop().await;
    let second = server(&env, |w| w.timeout_ms = 3_000).await;
    let posts_again = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(posts_again[1].delivery, posts[0].delivery, "the same delivery id");
    assert_eq!(posts_again[1].answered, 200);
    let name = made.webhook.expect("webhook").name;
    let log = eventually("the delivered record", Duration::from_secs(10), || async {
        let log = deliveries(&second, &team.paula, &name).await;
        (log.first()?.state == WebhookDeliveryState::Delivered as i32).then_some(log)
    })
    .await;
    assert_eq!(log.len(), 1);
    let attempts: Vec<(i32, bool)> = log[0].attempts.iter().map(|a| (a.attempt, a.delivered)).collect();
    assert_eq!(attempts, [(2, true)], "the cut-off attempt left no record, the second delivered");
    second.stop().await;
}

#[tokio::test]
async fn a_person_webhook_is_told_of_their_notifications_over_tls() {
    let env = TestEnv::new().await;
    let receiver = HookReceiver::start().await;
    let pki = baton_testkit::tls::Pki::new("Agency CA");
    let identity = pki.issue("hooks", &["127.0.0.1"]);
    let stop = tokio_util::sync::CancellationToken::new();
    let tls = baton_testkit::tls::tls_proxy(receiver.addr(), &identity, stop.clone()).await;
    let server = server(&env, |w| w.tls_ca_file = Some(pki.ca_file())).await;
    let team = relaunch(&server).await;
    let request = CreatePersonalWebhookRequest {
        parent: team.lena.clone(),
        webhook: Some(hook(&format!("https://{tls}/me"), WebhookFormat::Json, &[])),
        ..Default::default()
    };
    let made = server.notifications().create_personal_webhook(own(&team.lena, request)).await.expect("create");
    let made = made.into_inner();
    receiver.set_secret(&made.secret);

    start_hero(&server, &team).await;
    let post = eventually("Lena's post", Duration::from_secs(20), || async {
        receiver.posts().into_iter().find(|p| p.kind == "asset-status-changed")
    })
    .await;
    assert!(post.verified);
    let body = json(&post.body);
    assert_eq!(body["recipient"], team.lena.as_str());
    assert_eq!(body["reason"], "team-member");
    assert_eq!(body["title"], "Work started on Hero");
    // Mo acted: his own action is not his notification, so not his webhook's either.
    let name = made.webhook.expect("webhook").name;
    let request = ListPersonalWebhookDeliveriesRequest { parent: name.clone(), ..Default::default() };
    let log = server.notifications().list_personal_webhook_deliveries(own(&team.lena, request)).await;
    let log = log.expect("her log").into_inner().deliveries;
    assert!(log.iter().all(|d| d.recipient == team.lena));
    // Someone else's is not theirs to read.
    let request = GetPersonalWebhookRequest { name };
    let status = server.notifications().get_personal_webhook(own(&team.mo, request)).await.expect_err("not his");
    assert_eq!(status.code(), Code::PermissionDenied);
    stop.cancel();
    server.stop().await;
}

#[tokio::test]
async fn private_endpoints_bad_fields_and_too_many_webhooks_are_refused() {
    let env = TestEnv::new().await;
    // The production setting: no private endpoints.
    let server = env.spawn(&Target::ALL).await;
    let team = relaunch(&server).await;
    let create = |url: &str| CreateProjectWebhookRequest {
        parent: team.project.clone(),
        webhook: Some(hook(url, WebhookFormat::Json, &[])),
        ..Default::default()
    };
    // Wait until the service knows the project.
    project_hook(&server, &team, hook("https://hooks.example.com/first", WebhookFormat::Json, &[])).await;
    for url in [
        "http://hooks.example.com/plain",
        "https://127.0.0.1:9000/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://localhost/hook",
        "https://user:secret@hooks.example.com/",
        "ftp://hooks.example.com/",
    ] {
        let status = server.notifications().create_project_webhook(own(&team.paula, create(url))).await.expect_err(url);
        assert_eq!(status.code(), Code::InvalidArgument, "{url}");
        assert_eq!(violated_fields(&status), ["webhook.url"], "{url}: {}", status.message());
    }
    // Every wrong field in one answer.
    let mut bad = hook("https://hooks.example.com/x", WebhookFormat::Json, &[]);
    bad.display_name = "x".repeat(201);
    bad.format = 99;
    bad.kinds = vec![NotificationKind::CommentCreated as i32, NotificationKind::CommentCreated as i32];
    let request = CreateProjectWebhookRequest {
        parent: "projects/nope".into(),
        webhook: Some(bad),
        webhook_id: "not-a-uuid".into(),
    };
    let status = server.notifications().create_project_webhook(own(&team.paula, request)).await.expect_err("bad");
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(fields, ["parent", "webhook.display_name", "webhook.format", "webhook.kinds", "webhook_id"]);

    // A create retried with its id makes no second webhook.
    let id = uuid::Uuid::new_v4().to_string();
    let again = || CreateProjectWebhookRequest { webhook_id: id.clone(), ..create("https://hooks.example.com/once") };
    server.notifications().create_project_webhook(own(&team.paula, again())).await.expect("first");
    let status = server.notifications().create_project_webhook(own(&team.paula, again())).await.expect_err("again");
    assert_eq!((status.code(), baton_testkit::reason(&status).as_str()), (Code::AlreadyExists, "WEBHOOK_EXISTS"));

    // Twenty per project.
    for i in 2..20 {
        let url = format!("https://hooks.example.com/{i}");
        server.notifications().create_project_webhook(own(&team.paula, create(&url))).await.expect("within the limit");
    }
    let status = server
        .notifications()
        .create_project_webhook(own(&team.paula, create("https://hooks.example.com/21")))
        .await
        .expect_err("one too many");
    assert_eq!(
        (status.code(), baton_testkit::reason(&status).as_str()),
        (Code::FailedPrecondition, "TOO_MANY_WEBHOOKS")
    );

    // A stale etag, then a delete.
    let listed = ListProjectWebhooksRequest { parent: team.project.clone() };
    let first = server.notifications().list_project_webhooks(own(&team.paula, listed)).await.expect("list");
    let first = first.into_inner().webhooks.remove(0);
    let request = DeleteProjectWebhookRequest { name: first.name.clone(), etag: "0".into() };
    let status = server.notifications().delete_project_webhook(own(&team.paula, request)).await.expect_err("stale");
    assert_eq!(status.code(), Code::Aborted);
    let request = DeleteProjectWebhookRequest { name: first.name.clone(), etag: first.etag.clone() };
    server.notifications().delete_project_webhook(own(&team.paula, request)).await.expect("delete");
    let request = GetProjectWebhookRequest { name: first.name };
    let status = server.notifications().get_project_webhook(own(&team.paula, request)).await.expect_err("gone");
    assert_eq!((status.code(), baton_testkit::reason(&status).as_str()), (Code::NotFound, "WEBHOOK_NOT_FOUND"));
    server.stop().await;

    // Without a key, webhooks are off and say so.
    let mut config = env.config.clone();
    config.webhooks.secret_key.clear();
    let off = env.spawn_with(&Target::ALL, config).await;
    let status =
        off.notifications().create_project_webhook(own(&team.paula, create("https://hooks.example.com/off"))).await;
    let status = status.expect_err("off");
    assert_eq!((status.code(), baton_testkit::reason(&status).as_str()), (Code::FailedPrecondition, "WEBHOOKS_OFF"));
    off.stop().await;
}
