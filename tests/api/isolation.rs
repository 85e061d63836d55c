//! Data-layer isolation: each service logs in to Postgres with its own role, which owns its
//! schema and nothing else. The whole system works that way, and no service can read or write
//! another's schema (42501, insufficient privilege).

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use baton_proto::people::v1::PersonRole;
use baton_proto::projects::v1::ProjectMemberRole;
use baton_testkit::{Target, TestEnv, eventually, operator};
use baton_tests::{add_member, asset, person, project};

const SERVICES: [&str; 4] = ["people", "projects", "assets", "notifications"];

/// The test database's URL for `role`.
fn url_as(env: &TestEnv, role: &str) -> String {
    let url = &env.config.database_url;
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let host = rest.split_once('@').map_or(rest, |(_user, host)| host);
    format!("{scheme}://{role}@{host}")
}

/// Waits until `person` has a notification: the events went from a service through the broker
/// to the notifications service.
async fn a_notice_reaches(server: &baton_testkit::TestServer, person: &str) {
    eventually("a notification", Duration::from_secs(20), || {
        let mut notifications = server.notifications();
        let request = baton_proto::notifications::v1::ListNotificationsRequest {
            recipient: person.to_string(),
            ..Default::default()
        };
        let request = baton_testkit::as_person(person, &[baton_testkit::Role::Member], request);
        async move {
            (!notifications.list_notifications(request).await.ok()?.into_inner().notifications.is_empty()).then_some(())
        }
    })
    .await;
}

#[tokio::test]
async fn each_service_reads_and_writes_only_its_own_schema() {
    let env = TestEnv::new().await;
    // What a deployment runs once, as a superuser: the roles, then the schemas they own.
    let mut admin = env.db().await;
    sqlx::raw_sql(include_str!("../../deploy/postgres/roles.sql")).execute(&mut admin).await.expect("roles.sql");
    sqlx::raw_sql(include_str!("../../deploy/postgres/schemas.sql")).execute(&mut admin).await.expect("schemas.sql");
    admin.close().await.ok();

    let mut config = env.config.clone();
    config.database.urls.people = Some(url_as(&env, "baton_people"));
    config.database.urls.projects = Some(url_as(&env, "baton_projects"));
    config.database.urls.assets = Some(url_as(&env, "baton_assets"));
    config.database.urls.notifications = Some(url_as(&env, "baton_notifications"));
    let server = env.spawn_with(&Target::ALL, config).await;

    // The whole flow works, each service on its own login.
    let producer = person(&server, "Paula", PersonRole::Producer).await;
    let designer = person(&server, "Dan", PersonRole::Designer).await;
    let project = project(&server, operator(), "Relaunch").await;
    add_member(&server, operator(), &project, &designer, ProjectMemberRole::Contributor).await;
    asset(&server, &producer, &project, "Poster", &[&designer]).await;
    a_notice_reaches(&server, &designer).await;

    // Each role's tables are its own: a read or a write of another schema is refused.
    let tables = [
        ("people", "people.person"),
        ("projects", "projects.project"),
        ("assets", "assets.asset"),
        ("notifications", "notifications.inbox"),
    ];
    for service in SERVICES {
        let mut conn = PgConnection::connect(&url_as(&env, &format!("baton_{service}"))).await.expect("login");
        for (owner, table) in tables {
            let read =
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}"))).execute(&mut conn).await;
            let write = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut conn).await;
            if owner == service {
                read.expect("its own table");
                continue;
            }
            for (what, result) in [("read", read.map(drop)), ("write", write.map(drop))] {
                let error = result.expect_err(&format!("baton_{service} may not {what} {table}"));
                let code = error.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
                assert_eq!(code.as_deref(), Some("42501"), "baton_{service} {what} {table}: {error}");
            }
        }
        // Nor can it make room for itself elsewhere.
        let created = sqlx::raw_sql("CREATE SCHEMA elsewhere").execute(&mut conn).await.expect_err("no new schema");
        assert_eq!(created.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"));
        let created =
            sqlx::raw_sql("CREATE TABLE public.stash (x int)").execute(&mut conn).await.expect_err("no stash");
        assert_eq!(created.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"));
        conn.close().await.ok();
    }
    server.stop().await;
}

/// The broker users of one test, removed when it ends however it ends.
struct BrokerUsers {
    prefix: String,
}

const USERS_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/rabbitmq/users.sh");

impl BrokerUsers {
    fn create(env: &TestEnv) -> Self {
        let prefix = format!("test-{}-", env.id);
        let mut command = std::process::Command::new(USERS_SCRIPT);
        command
            .args(["--exchange", &env.config.amqp.exchange])
            .args(["--queue-prefix", &env.config.amqp.queue_prefix])
            .args(["--user-prefix", &prefix]);
        for service in SERVICES {
            command.arg(format!("{service}={}", password(&prefix, service)));
        }
        let status = command.status().expect("run deploy/rabbitmq/users.sh");
        assert!(status.success(), "users.sh failed: {status}");
        Self { prefix }
    }

    /// `amqp_url` with `service`'s own user.
    fn url(&self, env: &TestEnv, service: &str) -> String {
        let (scheme, rest) = env.config.amqp_url.split_once("://").expect("a URL");
        let host = rest.split_once('@').map_or(rest, |(_user, host)| host);
        format!("{scheme}://{}{service}:{}@{host}", self.prefix, password(&self.prefix, service))
    }
}

fn password(prefix: &str, service: &str) -> String {
    format!("{prefix}{service}-secret")
}

impl Drop for BrokerUsers {
    fn drop(&mut self) {
        let _ = std::process::Command::new(USERS_SCRIPT)
            .args(["--delete", "--user-prefix", &self.prefix])
            .args(SERVICES)
            .status();
    }
}

/// Publishes a message to `exchange` under `routing_key` and waits for the broker's answer.
async fn publish(connection: &lapin::Connection, exchange: &str, routing_key: &str) -> Result<(), lapin::Error> {
    use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
    let channel = connection.create_channel().await?;
    channel.confirm_select(ConfirmSelectOptions::default()).await?;
    channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            b"forged",
            lapin::BasicProperties::default(),
        )
        .await?
        .await
        .map(drop)
}

/// Whether a broker step was refused for want of permission.
fn refused<T: std::fmt::Debug>(result: Result<T, lapin::Error>) -> bool {
    matches!(&result, Err(error) if format!("{error:?} {error}").contains("ACCESS_REFUSED"))
}

#[tokio::test]
async fn each_service_publishes_only_its_own_events_and_reads_only_its_own_queue() {
    use lapin::options::BasicConsumeOptions;
    use lapin::types::FieldTable;
    use lapin::{Connection, ConnectionProperties};

    let env = TestEnv::new().await;
    let users = BrokerUsers::create(&env);
    let mut config = env.config.clone();
    config.amqp.urls.people = Some(users.url(&env, "people"));
    config.amqp.urls.projects = Some(users.url(&env, "projects"));
    config.amqp.urls.assets = Some(users.url(&env, "assets"));
    config.amqp.urls.notifications = Some(users.url(&env, "notifications"));
    let server = env.spawn_with(&Target::ALL, config).await;

    // The whole flow works, each service on its own broker user.
    let designer = person(&server, "Dan", PersonRole::Designer).await;
    let project = project(&server, operator(), "Relaunch").await;
    add_member(&server, operator(), &project, &designer, ProjectMemberRole::Contributor).await;
    a_notice_reaches(&server, &designer).await;

    let connect = |service: &'static str| {
        let url = users.url(&env, service);
        async move { Connection::connect(&url, ConnectionProperties::default()).await.expect("log in") }
    };
    let exchange = env.config.amqp.exchange.clone();
    // The assets service cannot publish a team change, nor read the notifications queue.
    let assets = connect("assets").await;
    assert!(
        refused(publish(&assets, &exchange, "baton.projects.v1.ProjectMemberAdded").await),
        "assets forged a team change"
    );
    let queue = env.broker().queue("notifications");
    let consume = async {
        let channel = assets.create_channel().await?;
        channel
            .basic_consume(queue.as_str().into(), "thief".into(), BasicConsumeOptions::default(), FieldTable::default())
            .await
    };
    assert!(refused(consume.await), "assets read the notifications queue");
    // The notifications service publishes nothing at all.
    let notifications = connect("notifications").await;
    assert!(
        refused(publish(&notifications, &exchange, "baton.notifications.v1.Anything").await),
        "notifications published"
    );
    let _ = assets.close(200, "done".into()).await;
    let _ = notifications.close(200, "done".into()).await;
    server.stop().await;
}
