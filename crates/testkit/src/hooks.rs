//! A real HTTP endpoint on loopback for webhook tests and benchmarks: it checks each post's
//! `Baton-Signature` as a receiver should (HMAC-SHA256 of `{t}.{body}` under the secret, in
//! constant time, `t` within five minutes), keeps every post, and answers as a test scripts it —
//! a status, a delay, or no answer at all.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One post as the endpoint received it.
#[derive(Debug, Clone)]
pub struct Post {
    /// `Baton-Delivery`.
    pub delivery: String,
    /// `Baton-Kind`.
    pub kind: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
    /// Whether the signature checked out under the secret set when it arrived.
    pub verified: bool,
    /// The status it was answered with; 0 when it was not answered.
    pub answered: u16,
    pub at: Instant,
}

/// How the endpoint answers one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// This status, after this long.
    Status(u16, Duration),
    /// Never: the connection stays open until the poster gives up.
    Hang,
}

#[derive(Debug, Default)]
struct State {
    secret: Option<String>,
    posts: Vec<Post>,
    /// Answers for the next posts, in order; then 200 at once.
    script: VecDeque<Reply>,
}

/// An HTTP/1.1 endpoint listening on 127.0.0.1 until dropped.
#[derive(Debug)]
pub struct HookReceiver {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl HookReceiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the hook receiver");
        let addr = listener.local_addr().expect("its address");
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| receive(state.clone(), request));
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { addr, state, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint's URL, `http://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The secret posts are checked with from now on.
    pub fn set_secret(&self, secret: &str) {
        self.lock().secret = Some(secret.to_string());
    }

    /// Answers the next posts so, in order (after them, 200 at once).
    pub fn script(&self, replies: &[Reply]) {
        self.lock().script.extend(replies.iter().copied());
    }

    /// Every post so far.
    pub fn posts(&self) -> Vec<Post> {
        self.lock().posts.clone()
    }

    /// Waits until at least `count` posts arrived; all of them.
    pub async fn wait_for(&self, count: usize, patience: Duration) -> Vec<Post> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let posts = self.posts();
            if posts.len() >= count {
                return posts;
            }
            assert!(tokio::time::Instant::now() < deadline, "{} of {count} posts after {patience:?}", posts.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("receiver state")
    }
}

impl Drop for HookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(
    state: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let header =
        |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string).unwrap_or_default();
    let (delivery, kind, signature, content_type) =
        (header("baton-delivery"), header("baton-kind"), header("baton-signature"), header("content-type"));
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let reply = {
        let mut state = state.lock().expect("receiver state");
        let verified = state.secret.as_deref().is_some_and(|secret| verify(secret, &signature, &body));
        let scripted = state.script.pop_front().unwrap_or(Reply::Status(200, Duration::ZERO));
        // A post that does not check out is refused, whatever the script says.
        let reply = match scripted {
            Reply::Status(..) if state.secret.is_some() && !verified => Reply::Status(401, Duration::ZERO),
            other => other,
        };
        let answered = match reply {
            Reply::Status(status, _) => status,
            Reply::Hang => 0,
        };
        let body = String::from_utf8_lossy(&body).into_owned();
        let at = Instant::now();
        state.posts.push(Post { delivery, kind, signature, content_type, body, verified, answered, at });
        reply
    };
    match reply {
        Reply::Hang => std::future::pending().await,
        Reply::Status(status, delay) => {
            tokio::time::sleep(delay).await;
            let mut response = Response::new(Full::new(Bytes::from(format!("answered {status}"))));
            *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
            Ok(response)
        }
    }
}

/// Checks `Baton-Signature: t={t},v1={hex}` over `{t}.{body}`, as a receiver would.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    if (now - t).abs() > 300 {
        return false;
    }
    let Some(expected) = (0..v1.len())
        .step_by(2)
        .map(|i| v1.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}
