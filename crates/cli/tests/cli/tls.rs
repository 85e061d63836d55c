//! The tool reaches a server that speaks TLS at an `https://` endpoint, trusting `--ca-file` and
//! presenting `--cert-file` where every client needs a certificate.

use baton_platform::tls::TlsConfig;
use baton_testkit::tls::Pki;
use baton_testkit::{Target, TestEnv};

use crate::common::baton;

#[tokio::test]
async fn the_tool_speaks_tls_with_a_ca_and_a_client_certificate() {
    let env = TestEnv::new().await;
    let pki = Pki::new("Baton test CA");
    let server_cert = pki.issue("server", &["localhost", "127.0.0.1"]);
    let mut config = env.config.clone();
    config.auth.development = true;
    config.tls = TlsConfig {
        cert_file: Some(server_cert.cert_file.clone()),
        key_file: Some(server_cert.key_file.clone()),
        client_ca_file: Some(pki.ca_file()),
        client_auth_required: true,
        ca_file: Some(pki.ca_file()),
        ..TlsConfig::default()
    };
    let server = env.spawn_with(&[Target::People], config).await;
    let https = format!("https://127.0.0.1:{}", server.addr.port());
    let plain = format!("http://127.0.0.1:{}", server.addr.port());
    let ca = pki.ca_file().display().to_string();
    let tool = pki.issue("producer-tool", &["tool.baton.internal"]);
    let (cert, key) = (tool.cert_file.display().to_string(), tool.key_file.display().to_string());

    let listed = baton(&https, &["--ca-file", &ca, "--cert-file", &cert, "--key-file", &key, "people", "list"]).await;
    listed.ok();

    // Without the server's CA the handshake fails; without a certificate the server refuses.
    let untrusted = baton(&https, &["--cert-file", &cert, "--key-file", &key, "people", "list"]).await;
    untrusted.failed(5);
    let anonymous = baton(&https, &["--ca-file", &ca, "people", "list"]).await;
    anonymous.failed(5);
    let in_clear = baton(&plain, &["people", "list"]).await;
    in_clear.failed(5);
    let half = baton(&https, &["--ca-file", &ca, "--cert-file", &cert, "people", "list"]).await;
    assert!(half.failed(2).contains("--key-file"), "{}", half.stderr);
    let missing = baton(&https, &["--ca-file", "/nonexistent/ca.pem", "people", "list"]).await;
    assert!(missing.failed(2).contains("--ca-file: cannot read /nonexistent/ca.pem"), "{}", missing.stderr);
}
