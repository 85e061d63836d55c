//! The webhook channel's sender. The consumer queues a delivery per webhook and notification
//! (with its body) in the statement that creates the notifications; the courier of each replica
//! takes what is due with `FOR UPDATE SKIP LOCKED` (each delivery by one courier at a time, a
//! few per webhook so that one slow endpoint does not hold them all), posts it signed, and
//! records every attempt. Failures are retried with exponential backoff and jitter for a bounded
//! time, then given up; a webhook failing long enough is disabled. Deliveries are at least once:
//! a crash (or a shutdown) between the endpoint's answer and the record posts the delivery again
//! once its hold runs out, with the same `Baton-Delivery` id, and never skips one. Being its own
//! task on its own rows, a slow or failing endpoint never delays the inbox, the live streams or
//! email.
//!
//! Every connection goes to an address checked when it is made: outside development (and
//! unless private endpoints are allowed) a host name that resolves to a loopback, private or
//! link-local address is refused, so a webhook cannot be pointed into the agency's network by
//! a name, nor by a redirect (redirects are not followed).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_util::sync::CancellationToken;

use baton_platform::config::WebhooksConfig;

use crate::DELIVERIES_CHANNEL;
use crate::repo::webhooks::{self as repo, AttemptRecord, ClaimedDelivery, DisableAfter, Outcome};
use crate::webhooks::{Signer, is_public};

/// Deliveries one courier has in flight at most.
const MAX_IN_FLIGHT: usize = 256;
/// How much room a busy courier waits for before it takes more: a claim looks at every webhook.
const REFILL: usize = 64;
/// Deliveries of one webhook in flight at most, over every courier.
const PER_WEBHOOK: i64 = 16;
/// How much of an answer's body an attempt keeps.
const DETAIL_CHARS: usize = 200;

/// Posts what is due.
pub struct Courier {
    pool: PgPool,
    signer: Signer,
    http: Http,
    config: WebhooksConfig,
}

impl Courier {
    /// `private`: whether endpoints on private networks (and plain http) may be reached.
    pub fn new(pool: PgPool, signer: Signer, config: &WebhooksConfig, private: bool) -> Result<Self, String> {
        let timeout = Duration::from_millis(config.timeout_ms);
        let http = Http { tls: tls_connector(config.tls_ca_file.as_deref())?, timeout, private };
        Ok(Self { pool, signer, http, config: config.clone() })
    }

    /// How long a courier holds a delivery it took: twice an attempt's longest time.
    fn lease(&self) -> Duration {
        self.http.timeout * 2
    }

    /// Posts due deliveries until `shutdown`, woken by new ones or every poll interval. At
    /// shutdown the deliveries in flight are dropped: each is posted again after its hold.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(private_endpoints = self.http.private, "webhook courier started");
        let this = Arc::new(self);
        let woken = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(this.pool.clone(), woken.clone(), shutdown.clone()));
        let poll = Duration::from_millis(this.config.poll_interval_ms);
        let mut in_flight = JoinSet::new();
        loop {
            while in_flight.try_join_next().is_some() {}
            let room = MAX_IN_FLIGHT - in_flight.len();
            let mut busy = room < REFILL;
            if room >= REFILL || in_flight.is_empty() {
                match repo::claim(&this.pool, room as i64, PER_WEBHOOK, this.lease()).await {
                    Ok(claimed) => {
                        busy = claimed.len() == room;
                        for delivery in claimed {
                            in_flight.spawn(this.clone().deliver(delivery));
                        }
                    }
                    Err(error) => tracing::warn!(%error, "webhook courier: the database refused; trying again"),
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = woken.notified() => {}
                () = tokio::time::sleep(poll) => {}
                Some(_) = in_flight.join_next(), if busy => {}
            }
        }
        in_flight.abort_all();
        listener.abort();
    }

    async fn deliver(self: Arc<Self>, mut delivery: ClaimedDelivery) {
        let start = OffsetDateTime::now_utc();
        let began = Instant::now();
        let body = Bytes::from(std::mem::take(&mut delivery.payload));
        let answer = self.post(&delivery, body).await;
        let latency_ms = i32::try_from(began.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (response_code, detail, delivered) = match answer {
            Ok((code, body)) => (i32::from(code), body, (200..300).contains(&code)),
            Err(problem) => (0, problem, false),
        };
        let outcome = if delivered {
            Outcome::Delivered
        } else {
            let age = OffsetDateTime::now_utc() - delivery.create_time;
            if age > time::Duration::seconds(self.config.retry_for_secs as i64) {
                Outcome::GivenUp
            } else {
                let wait =
                    crate::email::retry_wait(Duration::from_millis(self.config.retry_initial_ms), delivery.attempts);
                Outcome::Retry(OffsetDateTime::now_utc() + wait)
            }
        };
        crate::count_delivery(
            "webhook",
            match outcome {
                Outcome::Delivered => "sent",
                Outcome::Retry(_) => "retried",
                Outcome::GivenUp => "failed",
            },
        );
        let record = AttemptRecord { start, latency_ms, response_code, detail, outcome };
        let disable = DisableAfter {
            failures: i32::try_from(self.config.disable_after_failures).unwrap_or(i32::MAX),
            over: Duration::from_secs(self.config.disable_after_secs),
        };
        match repo::record(&self.pool, &delivery, &record, disable).await {
            Ok(true) => tracing::warn!(webhook = %delivery.webhook_id, "webhook disabled after failing repeatedly"),
            Ok(false) => {}
            Err(error) => tracing::warn!(
                delivery = %delivery.id, %error,
                "webhook courier: an attempt could not be recorded; the delivery is posted again after its hold"
            ),
        }
        if outcome == Outcome::GivenUp {
            tracing::warn!(delivery = %delivery.id, webhook = %delivery.webhook_id, "webhook delivery given up");
        }
    }

    /// Posts one delivery's `body`, signed now: the answer's status and the start of its body.
    async fn post(&self, delivery: &ClaimedDelivery, body: Bytes) -> Result<(u16, String), String> {
        let url = url::Url::parse(&delivery.url).map_err(|e| format!("the URL: {e}"))?;
        let secret = self.signer.secret(delivery.webhook_id, &delivery.secret_salt);
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let headers = [
            ("content-type", "application/json".to_string()),
            ("user-agent", "Baton-Webhooks/1".to_string()),
            ("baton-delivery", delivery.id.to_string()),
            ("baton-kind", delivery.kind.id()),
            ("baton-signature", crate::webhooks::signature(&secret, timestamp, &body)),
        ];
        self.http.post(&url, &headers, body).await
    }
}

/// Wakes the courier whenever deliveries are queued (`NOTIFY`), reconnecting as needed.
async fn listen(pool: PgPool, woken: Arc<Notify>, shutdown: CancellationToken) {
    loop {
        let result: Result<(), sqlx::Error> = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.listen(DELIVERIES_CHANNEL).await?;
            loop {
                listener.recv().await?;
                woken.notify_one();
            }
        }
        .await;
        if let Err(error) = result {
            tracing::debug!(%error, "webhook courier: listening again");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// TLS to endpoints: the system's roots and the configured authorities.
fn tls_connector(ca_file: Option<&std::path::Path>) -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let _ = roots.add_parsable_certificates(native.certs);
    if let Some(file) = ca_file {
        let certs = CertificateDer::pem_file_iter(file)
            .map_err(|e| format!("webhooks.tls_ca_file {}: {e}", file.display()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("webhooks.tls_ca_file {}: {e}", file.display()))?;
        for cert in certs {
            roots.add(cert).map_err(|e| format!("webhooks.tls_ca_file {}: {e}", file.display()))?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("webhook TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// One HTTP/1.1 post per connection, to an address checked first.
struct Http {
    tls: TlsConnector,
    timeout: Duration,
    /// Whether private addresses may be reached.
    private: bool,
}

impl Http {
    async fn post(
        &self,
        url: &url::Url,
        headers: &[(&'static str, String)],
        body: Bytes,
    ) -> Result<(u16, String), String> {
        let attempt = async {
            let addresses = self.addresses(url).await?;
            let stream = connect(&addresses).await?;
            let authority = &url[url::Position::BeforeHost..url::Position::AfterPort];
            let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
            let mut request = http::Request::post(if target.is_empty() { "/" } else { target })
                .header(http::header::HOST, authority)
                .body(Full::new(body))
                .map_err(|e| format!("the request: {e}"))?;
            for (name, value) in headers {
                let value = http::HeaderValue::from_str(value).map_err(|e| format!("the header {name}: {e}"))?;
                request.headers_mut().insert(*name, value);
            }
            if url.scheme() == "https" {
                let name = match url.host() {
                    Some(url::Host::Domain(domain)) => {
                        ServerName::try_from(domain.to_string()).map_err(|e| format!("the host name: {e}"))?
                    }
                    Some(url::Host::Ipv4(ip)) => ServerName::IpAddress(IpAddr::V4(ip).into()),
                    Some(url::Host::Ipv6(ip)) => ServerName::IpAddress(IpAddr::V6(ip).into()),
                    None => return Err("no host".to_string()),
                };
                let tls = self.tls.connect(name, stream).await.map_err(|e| format!("TLS: {e}"))?;
                exchange(tls, request).await
            } else {
                exchange(stream, request).await
            }
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
        }
    }

    /// The addresses of the URL's host that may be reached.
    async fn addresses(&self, url: &url::Url) -> Result<Vec<SocketAddr>, String> {
        let port = url.port_or_known_default().ok_or("no port")?;
        let resolved: Vec<SocketAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
            Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
            Some(url::Host::Domain(domain)) => tokio::net::lookup_host((domain, port))
                .await
                .map_err(|e| format!("cannot resolve {domain}: {e}"))?
                .collect(),
            None => return Err("no host".into()),
        };
        let allowed: Vec<SocketAddr> = resolved.iter().copied().filter(|a| self.private || is_public(a.ip())).collect();
        if allowed.is_empty() {
            return Err(format!(
                "{} resolves only to loopback, private or link-local addresses: refused",
                url.host_str().unwrap_or_default()
            ));
        }
        Ok(allowed)
    }
}

async fn connect(addresses: &[SocketAddr]) -> Result<TcpStream, String> {
    let mut last = String::from("no address");
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(error) => last = format!("cannot connect to {address}: {error}"),
        }
    }
    Err(last)
}

/// Sends the request over `io` and reads the status and the start of the body.
async fn exchange<S>(io: S, request: http::Request<Full<Bytes>>) -> Result<(u16, String), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(|e| format!("HTTP: {e}"))?;
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.map_err(|e| format!("HTTP: {e}"));
    let result = match response {
        Ok(response) => {
            let status = response.status().as_u16();
            let mut body = response.into_body();
            let mut start = Vec::new();
            while start.len() < DETAIL_CHARS * 4 {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            start.extend_from_slice(data);
                        }
                    }
                    _ => break,
                }
            }
            let text: String = String::from_utf8_lossy(&start).chars().take(DETAIL_CHARS).collect();
            Ok((status, text))
        }
        Err(error) => Err(error),
    };
    driver.abort();
    result
}
