//! `baton notifications watch` follows the live stream and survives the server going away.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use baton_testkit::TestEnv;
use baton_testkit::proxy::{FaultProxy, Mode};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::common::{add_person, baton, command, create_project, development_server, text};

/// A `baton` process whose output lines arrive on channels as it prints them.
struct Watcher {
    child: Child,
    stdout: mpsc::UnboundedReceiver<String>,
    stderr: mpsc::UnboundedReceiver<String>,
}

impl Watcher {
    fn spawn(endpoint: &str, args: &[&str]) -> Self {
        let mut child =
            command(endpoint, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start baton");
        let stdout = lines(child.stdout.take().expect("stdout"));
        let stderr = lines(child.stderr.take().expect("stderr"));
        Self { child, stdout, stderr }
    }

    /// The next stdout line, as JSON.
    async fn next_json(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.stdout.recv())
            .await
            .expect("a line on stdout in time")
            .expect("baton still running");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Waits for a stderr line containing `needle` and returns it.
    async fn stderr_with(&mut self, needle: &str) -> String {
        let wait = async {
            loop {
                let line = self.stderr.recv().await.expect("baton still running");
                if line.contains(needle) {
                    return line;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait).await.unwrap_or_else(|_| panic!("no “{needle}” on stderr"))
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(reader: impl std::io::Read + Send + 'static) -> mpsc::UnboundedReceiver<String> {
    let (sender, receiver) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { return };
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

#[tokio::test]
async fn watch_prints_live_notifications_and_catches_up_after_a_reconnect() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let direct = &server.endpoint();
    // The watcher reaches the server through a proxy the test can cut, as a restart would.
    let proxy = FaultProxy::start(server.addr).await;
    let via_proxy = format!("http://{}", proxy.addr());

    let paula = add_person(direct, "Paula Reyes", "paula@example.com", "producer").await;
    let ana = add_person(direct, "Ana López", "ana@example.com", "designer").await;
    let join = |title: &'static str| {
        let paula = paula.clone();
        async move {
            let project = create_project(direct, &paula, title).await;
            baton(
                direct,
                &["--as", &paula, "projects", "members", "add", &project, "ana@example.com", "--role", "lead"],
            )
            .await
            .ok();
            project
        }
    };

    let mut watcher =
        Watcher::spawn(&via_proxy, &["-o", "json", "notifications", "watch", "--person", "ana@example.com"]);
    let started = watcher.stderr_with("watching the notifications of Ana López").await;
    assert!(started.contains(&ana) && started.contains(&via_proxy), "{started}");

    let first = join("Relaunch").await;
    let live = watcher.next_json().await;
    assert_eq!((text(&live, "title"), text(&live, "project")), ("You joined Relaunch", first.as_str()));
    assert_eq!(text(&live, "recipient"), ana);
    assert_eq!(text(&live, "kind"), "project-member-added");

    // The server goes away: connections drop and new ones are refused.
    proxy.set_mode(Mode::Refuse);
    proxy.cut();
    let lost = watcher.stderr_with("lost the stream").await;
    assert!(lost.contains(&via_proxy) && lost.contains("reconnecting"), "{lost}");
    watcher.stderr_with("retrying in").await;
    // Meanwhile something happens that the watcher cannot see live.
    let missed = join("Campaign").await;
    let inbox = ["-o", "json", "notifications", "list", "--person", &ana];
    crate::demo::eventually_lines(direct, &inbox, |lines| lines.len() == 2).await;

    proxy.set_mode(Mode::Pass);
    let back = watcher.stderr_with("reconnected").await;
    assert!(back.contains("1 notification came meanwhile"), "{back}");
    let caught_up = watcher.next_json().await;
    assert_eq!((text(&caught_up, "title"), text(&caught_up, "project")), ("You joined Campaign", missed.as_str()));

    // And the live stream works again.
    let third = join("App").await;
    let live = watcher.next_json().await;
    assert_eq!((text(&live, "title"), text(&live, "project")), ("You joined App", third.as_str()));
    assert!(watcher.stdout.try_recv().is_err(), "each notification once");
}

#[tokio::test]
async fn watch_refuses_an_unknown_person_and_another_persons_inbox() {
    let env = TestEnv::new().await;
    let server = development_server(&env).await;
    let endpoint = &server.endpoint();
    let paula = add_person(endpoint, "Paula Reyes", "paula@example.com", "producer").await;
    add_person(endpoint, "Ana López", "ana@example.com", "designer").await;

    let unknown = baton(endpoint, &["notifications", "watch", "--person", "nobody@example.com"]).await;
    unknown.failed(3);
    let theirs = baton(endpoint, &["--as", &paula, "notifications", "watch", "--person", "ana@example.com"]).await;
    assert!(theirs.failed(7).contains("NOT_OWNER"), "{}", theirs.stderr);
}
