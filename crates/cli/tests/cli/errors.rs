//! Failures read like sentences and exit with the code of their kind.

use baton_testkit::{Target, TestEnv};

use crate::common::{add_person, baton, create_project, development_server};

#[tokio::test]
async fn bad_arguments_are_usage_errors() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();

    let unknown = baton(endpoint, &["people", "hire"]).await;
    assert!(unknown.failed(2).contains("unrecognized subcommand 'hire'"), "{}", unknown.stderr);
    let missing = baton(endpoint, &["people", "add", "--name", "Ana"]).await;
    assert!(missing.failed(2).contains("--email"), "{}", missing.stderr);
    let role =
        baton(endpoint, &["people", "add", "--name", "Ana", "--email", "a@example.com", "--role", "wizard"]).await;
    assert!(role.failed(2).contains("invalid value 'wizard' for '--role"), "{}", role.stderr);
    let weight =
        baton(endpoint, &["assets", "add", "-p", "x", "--name", "A", "--kind", "video", "--weight", "lots"]).await;
    weight.failed(2);
    // A bare asset id means nothing without its project.
    let bare = baton(endpoint, &["assets", "show", "0190f3c2-3b5e-7d41-9a0e-2f9d1c6b8e11"]).await;
    assert!(bare.failed(2).contains("--project"), "{}", bare.stderr);
    let endpoint_url = baton(endpoint, &["--endpoint", "not a url", "people", "list"]).await;
    assert!(endpoint_url.failed(2).contains("--endpoint"), "{}", endpoint_url.stderr);
    let nobody = baton(endpoint, &["notifications", "list"]).await;
    assert!(nobody.failed(2).contains("--person"), "{}", nobody.stderr);
}

#[tokio::test]
async fn unknown_things_are_not_found() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();

    let missing = "projects/0190f3c2-3b5e-7d41-9a0e-2f9d1c6b8e11";
    let status = baton(endpoint, &["status", missing]).await;
    let stderr = status.failed(3);
    assert!(stderr.contains(missing) && stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("PROJECT_NOT_FOUND"), "{stderr}");
    let by_id = baton(endpoint, &["projects", "show", "0190f3c2-3b5e-7d41-9a0e-2f9d1c6b8e11"]).await;
    by_id.failed(3);
    let by_title = baton(endpoint, &["status", "No such project"]).await;
    assert!(by_title.failed(3).contains("“No such project”"), "{}", by_title.stderr);
    let by_email = baton(endpoint, &["people", "show", "nobody@example.com"]).await;
    assert!(by_email.failed(3).contains("nobody@example.com"), "{}", by_email.stderr);
    assert!(baton(endpoint, &["-o", "json", "status", missing]).await.stdout.is_empty());
}

#[tokio::test]
async fn invalid_input_names_the_field_and_the_rule() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();

    let email =
        baton(endpoint, &["people", "add", "--name", "Ana", "--email", "not-an-email", "--role", "designer"]).await;
    assert_eq!(
        email.failed(4).trim_end(),
        "error: the server refused the request: person.email (--email) must be an email address such as \
         ana@example.com"
    );
    let several =
        baton(endpoint, &["people", "add", "--name", " ", "--email", "x", "--role", "designer", "--request-id", "12"])
            .await;
    let stderr = several.failed(4);
    assert!(stderr.contains("person.display_name (--name) is required"), "{stderr}");
    assert!(stderr.contains("request_id (--request-id) must be a UUID"), "{stderr}");

    let paula = add_person(endpoint, "Paula", "paula@example.com", "producer").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;
    let weight =
        baton(endpoint, &["assets", "add", "-p", &project, "--name", "Film", "--kind", "video", "--weight", "5000"])
            .await;
    assert!(
        weight.failed(4).contains("asset.weight (--weight) must be between 1 and 1000 (got 5000)"),
        "{}",
        weight.stderr
    );
    crate::common::ensure_client(endpoint).await;
    let due =
        baton(endpoint, &["projects", "create", "--name", "X", "--client", "Northwind Coffee", "--due", "next week"])
            .await;
    assert!(due.failed(4).contains("project.due_date (--due) must be a calendar date YYYY-MM-DD"), "{}", due.stderr);
}

#[tokio::test]
async fn conflicts_and_wrong_states_exit_6() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula", "paula@example.com", "producer").await;
    let project = create_project(endpoint, &paula, "Relaunch").await;

    let taken =
        baton(endpoint, &["people", "add", "--name", "Paula Two", "--email", "paula@example.com", "--role", "other"])
            .await;
    assert!(taken.failed(6).contains("paula@example.com"), "{}", taken.stderr);
    baton(endpoint, &["assets", "add", "-p", &project, "--name", "Logo", "--kind", "graphic"]).await.ok();
    let early = baton(endpoint, &["--as", &paula, "assets", "approve", "Logo", "--project", "Relaunch"]).await;
    let stderr = early.failed(6);
    assert!(stderr.contains("ILLEGAL_TRANSITION") && stderr.contains("ASSET_STATUS_IN_REVIEW"), "{stderr}");
    let stale = baton(endpoint, &["assets", "start", "Logo", "-p", &project, "--etag", "999"]).await;
    assert!(stale.failed(6).contains("ETAG_MISMATCH"), "{}", stale.stderr);
}

#[tokio::test]
async fn an_unreachable_server_is_one_line_naming_the_endpoint() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{port}");
    for args in
        [&["people", "list"][..], &["status", "Relaunch"], &["demo"], &["notifications", "watch", "--person", "x"]]
    {
        let run = baton(&endpoint, args).await;
        let stderr = run.failed(5);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&format!("cannot reach the Baton server at {endpoint}")), "{stderr}");
        assert!(stderr.contains("connection refused"), "{stderr}");
        assert!(run.stdout.is_empty());
    }
}

#[tokio::test]
async fn a_production_server_wants_a_real_token() {
    let env = TestEnv::new().await;
    let server = env.spawn(&Target::ALL).await;
    let endpoint = server.endpoint();

    // The tool's own development tokens are HS256, which a production server refuses.
    let refused = baton(&endpoint, &["people", "list"]).await;
    let stderr = refused.failed(7);
    assert!(stderr.contains("UNSUPPORTED_TOKEN_ALGORITHM"), "{stderr}");
    assert!(stderr.contains("--token or BATON_TOKEN"), "{stderr}");

    let token = baton_testkit::token(baton_testkit::operator(), &[baton_auth::GlobalRole::Admin]);
    let listed = baton(&endpoint, &["-o", "json", "--token", &token, "people", "list"]).await;
    listed.ok();
    let expired = baton(&endpoint, &["--token", "not-a-token", "people", "list"]).await;
    assert!(expired.failed(7).contains("MALFORMED_TOKEN"), "{}", expired.stderr);
    server.stop().await;
}
