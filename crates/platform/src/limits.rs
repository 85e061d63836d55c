//! What one caller may take of a server: message size, streams, time, and writes per second.
//! [`LimitsConfig`] is the one table of them (config key `limits`); the listener applies the
//! transport limits (`baton-server`), each service its message size, the notifications service
//! its streams per person, and [`LimitsLayer`] the rest:
//!
//! - a request larger than `max_message_bytes` is RESOURCE_EXHAUSTED (`MESSAGE_TOO_LARGE`) —
//!   tonic says OUT_OF_RANGE, which Baton never answers otherwise;
//! - a person's writes beyond `writes_per_second` (with `write_burst` of slack) are
//!   RESOURCE_EXHAUSTED (`RATE_LIMITED`) with a `RetryInfo` saying when the next one passes.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use http::{Request, Response};
use serde::{Deserialize, Serialize};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use uuid::Uuid;

use crate::error::{ERROR_DOMAIN, status};
use crate::policy::Access;

/// Every limit a server applies to its callers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// The largest request message a service decodes, in bytes.
    pub max_message_bytes: usize,
    /// Open connections of the gRPC listener; one over it is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Concurrent calls (HTTP/2 streams) on one connection.
    pub max_streams_per_connection: u32,
    /// Open WatchNotifications streams of one person.
    pub max_watch_streams_per_person: usize,
    /// The longest a call may take to answer (a stream: to open) before DEADLINE_EXCEEDED.
    pub request_timeout_ms: u64,
    /// How often an idle connection is pinged, and how long the peer has to answer before the
    /// connection is closed: dead and silent peers do not hold connections.
    pub keepalive_interval_secs: u64,
    pub keepalive_timeout_secs: u64,
    /// Streams a client may open and reset at once before the connection is closed (the HTTP/2
    /// rapid-reset flood).
    pub max_pending_reset_streams: usize,
    /// Sustained writes per second of one person; 0 turns the limit off.
    pub writes_per_second: f64,
    /// Writes a person may make at once above the sustained rate.
    pub write_burst: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: 1024 * 1024,
            max_connections: 4096,
            max_streams_per_connection: 256,
            max_watch_streams_per_person: 8,
            request_timeout_ms: 30_000,
            keepalive_interval_secs: 30,
            keepalive_timeout_secs: 10,
            max_pending_reset_streams: 20,
            writes_per_second: 50.0,
            write_burst: 100,
        }
    }
}

impl LimitsConfig {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub fn keepalive_interval(&self) -> Duration {
        Duration::from_secs(self.keepalive_interval_secs)
    }

    pub fn keepalive_timeout(&self) -> Duration {
        Duration::from_secs(self.keepalive_timeout_secs)
    }

    /// The first limit that makes no sense, if one does.
    pub fn problem(&self) -> Option<&'static str> {
        if self.max_message_bytes < 1024 {
            return Some("limits.max_message_bytes must be at least 1024");
        }
        if self.max_connections == 0 || self.max_streams_per_connection == 0 || self.max_watch_streams_per_person == 0 {
            return Some(
                "limits.max_connections, limits.max_streams_per_connection and \
                 limits.max_watch_streams_per_person must be at least 1",
            );
        }
        if self.request_timeout_ms == 0 || self.keepalive_interval_secs == 0 || self.keepalive_timeout_secs == 0 {
            return Some("limits.request_timeout_ms and the keep-alive times must be at least 1");
        }
        if !(self.writes_per_second >= 0.0 && self.writes_per_second.is_finite()) {
            return Some("limits.writes_per_second must be 0 (off) or more");
        }
        None
    }
}

/// Each person's write allowance: a token bucket refilled at `rate` per second up to `burst`.
#[derive(Debug)]
pub struct WriteLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<Uuid, (f64, Instant)>>,
}

/// How many people's buckets are kept before full ones are forgotten.
const BUCKETS: usize = 100_000;

impl WriteLimiter {
    pub fn new(config: &LimitsConfig) -> Self {
        Self { rate: config.writes_per_second, burst: f64::from(config.write_burst.max(1)), buckets: Mutex::default() }
    }

    /// Takes one write of `person`'s allowance, or says how long until there is one.
    pub fn take(&self, person: Uuid) -> Result<(), Duration> {
        if self.rate == 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= BUCKETS {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(person).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.rate))
        }
    }
}

/// RESOURCE_EXHAUSTED for a person over their write rate, with when to retry.
fn rate_limited(retry_after: Duration) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info("RATE_LIMITED", ERROR_DOMAIN, HashMap::<String, String>::new());
    details.set_retry_info(Some(retry_after));
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("too many writes: retry in {} ms", retry_after.as_millis().max(1)),
        details,
    )
}

/// Applies the per-person write rate (after authentication: it needs the caller) and answers a
/// request tonic found too large as RESOURCE_EXHAUSTED.
#[derive(Debug, Clone)]
pub struct LimitsLayer {
    writes: Arc<WriteLimiter>,
    max_message_bytes: usize,
}

impl LimitsLayer {
    pub fn new(config: &LimitsConfig) -> Self {
        Self { writes: Arc::new(WriteLimiter::new(config)), max_message_bytes: config.max_message_bytes }
    }
}

impl<S> tower::Layer<S> for LimitsLayer {
    type Service = LimitsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LimitsService { inner, layer: self.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct LimitsService<S> {
    inner: S,
    layer: LimitsLayer,
}

impl<S, ReqBody> tower::Service<Request<ReqBody>> for LimitsService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<tonic::body::Body>> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let writer = request
            .extensions()
            .get::<Access>()
            .filter(|access| access.rule().is_write())
            .and_then(|access| access.caller().subject.person());
        if let Some(person) = writer
            && let Err(retry_after) = self.layer.writes.take(person)
        {
            return Box::pin(std::future::ready(Ok(rate_limited(retry_after).into_http())));
        }
        let limit = self.layer.max_message_bytes;
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            // Baton never answers OUT_OF_RANGE itself: this is tonic's message-size check.
            if response.headers().get("grpc-status").is_some_and(|code| code == "11") {
                let message = format!("the request is larger than this server's limit of {limit} bytes");
                return Ok(status(Code::ResourceExhausted, "MESSAGE_TOO_LARGE", message).into_http());
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_gets_the_burst_then_the_rate() {
        let limiter =
            WriteLimiter::new(&LimitsConfig { writes_per_second: 10.0, write_burst: 3, ..Default::default() });
        let (ana, ben) = (Uuid::new_v4(), Uuid::new_v4());
        for _ in 0..3 {
            limiter.take(ana).unwrap();
        }
        let wait = limiter.take(ana).unwrap_err();
        assert!(wait > Duration::from_millis(50) && wait <= Duration::from_millis(100), "{wait:?}");
        limiter.take(ben).unwrap();
        std::thread::sleep(wait);
        limiter.take(ana).unwrap();
    }

    #[test]
    fn zero_turns_the_rate_off() {
        let limiter = WriteLimiter::new(&LimitsConfig { writes_per_second: 0.0, write_burst: 1, ..Default::default() });
        let ana = Uuid::new_v4();
        for _ in 0..1000 {
            limiter.take(ana).unwrap();
        }
    }
}
