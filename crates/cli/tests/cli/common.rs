//! Running the real `baton` binary from tests, against a server the test started in-process.

use std::process::{Command, Stdio};

use serde_json::Value;

/// The outcome of one `baton` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "baton failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        &self.stdout
    }

    /// Asserts success and parses stdout as one JSON object per line.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.ok()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
            .collect()
    }

    /// Asserts success and parses stdout as exactly one JSON object.
    #[track_caller]
    pub fn json(&self) -> Value {
        let mut lines = self.json_lines();
        assert_eq!(lines.len(), 1, "one object expected:\n{}", self.stdout);
        lines.remove(0)
    }

    /// Asserts the exit code of a failure and returns stderr.
    #[track_caller]
    pub fn failed(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        assert!(self.stderr.starts_with("error: "), "stderr: {}", self.stderr);
        &self.stderr
    }
}

/// A `baton` command talking to `endpoint`, with none of the caller's BATON_ settings.
pub fn command(endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command
        .args(args)
        .env("BATON_ENDPOINT", endpoint)
        .env_remove("BATON_AS")
        .env_remove("BATON_TOKEN")
        .env_remove("BATON_DEV_SECRET")
        .env_remove("BATON_PROJECT")
        .env_remove("BATON_CA_FILE")
        .env_remove("BATON_CERT_FILE")
        .env_remove("BATON_KEY_FILE")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null());
    command
}

/// A server running every service in development mode, which accepts the development tokens
/// the tool signs for `--as`.
pub async fn development_server(env: &baton_testkit::TestEnv) -> baton_testkit::TestServer {
    let mut config = env.config.clone();
    config.auth.development = true;
    env.spawn_with(&baton_testkit::Target::ALL, config).await
}

/// Runs `baton` to completion off the async runtime, so the in-process server keeps serving.
pub async fn baton(endpoint: &str, args: &[&str]) -> Run {
    let mut command = command(endpoint, args);
    let output =
        tokio::task::spawn_blocking(move || command.output()).await.expect("join").expect("run the baton binary");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// Adds a person through the CLI and returns their resource name.
pub async fn add_person(endpoint: &str, name: &str, email: &str, role: &str) -> String {
    let person = baton(endpoint, &["-o", "json", "people", "add", "--name", name, "--email", email, "--role", role])
        .await
        .json();
    person["name"].as_str().expect("name").to_string()
}

/// The client Northwind Coffee, added through the CLI unless it is there already.
pub async fn ensure_client(endpoint: &str) {
    let added =
        baton(endpoint, &["clients", "add", "--name", "Northwind Coffee", "--industry", "Food and drink"]).await;
    if added.code != 0 {
        assert!(added.failed(6).contains("exists already"), "{}", added.stderr);
    }
}

/// Creates a project of Northwind Coffee through the CLI, acting as `actor`, and returns its
/// resource name.
pub async fn create_project(endpoint: &str, actor: &str, title: &str) -> String {
    ensure_client(endpoint).await;
    let project = baton(
        endpoint,
        &["-o", "json", "--as", actor, "projects", "create", "--name", title, "--client", "Northwind Coffee"],
    )
    .await
    .json();
    project["name"].as_str().expect("name").to_string()
}

/// A string field of a JSON object.
#[track_caller]
pub fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("{field} missing from {value}"))
}
