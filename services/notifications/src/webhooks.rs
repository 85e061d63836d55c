//! Webhooks: endpoints told of a project's events or of a person's notifications, independent of
//! the wire and the database — their names, what an endpoint may be (no loopback, private or
//! link-local address outside development: a webhook must not reach into the agency's network),
//! and how each attempt is signed.
//!
//! Baton keeps no signing secret. A webhook's secret is derived from the server's key
//! (`webhooks.secret_key`) and a random salt stored with the webhook; it is shown to its owner
//! when made and when rotated, and computed again for every attempt. A copy of the database alone
//! signs nothing.

use std::fmt;
use std::net::IpAddr;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

use baton_platform::names::{PersonName, PersonalWebhookName, ProjectName, ProjectWebhookName};

use crate::domain::NotificationKind;

/// The most webhooks one project or person keeps.
pub const MAX_PER_OWNER: i64 = 20;
/// The longest URL.
pub const MAX_URL: usize = 2048;
/// The key of development mode: signs, and guards nothing.
pub const DEVELOPMENT_KEY: &str = "baton development webhook key: guards nothing";

baton_platform::named_enum! {
    /// What a delivery's body looks like.
    pub enum Format {
        Json = "WEBHOOK_FORMAT_JSON",
        Slack = "WEBHOOK_FORMAT_SLACK",
    }
}

baton_platform::named_enum! {
    /// Whether a webhook is told.
    pub enum State {
        Enabled = "WEBHOOK_STATE_ENABLED",
        Disabled = "WEBHOOK_STATE_DISABLED",
    }
}

/// Whose a webhook is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Project(ProjectName),
    Person(PersonName),
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Project(project) => project.fmt(f),
            Owner::Person(person) => person.fmt(f),
        }
    }
}

/// A webhook's name: `projects/{project}/webhooks/{id}` or `people/{person}/webhooks/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WebhookName {
    pub owner: Owner,
    pub id: Uuid,
}

impl WebhookName {
    pub fn project(name: ProjectWebhookName) -> Self {
        Self { owner: Owner::Project(name.project()), id: name.id }
    }

    pub fn person(name: PersonalWebhookName) -> Self {
        Self { owner: Owner::Person(name.person()), id: name.id }
    }
}

impl fmt::Display for WebhookName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/webhooks/{}", self.owner, self.id)
    }
}

/// A webhook as its owner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub name: WebhookName,
    pub display_name: String,
    pub url: String,
    pub format: Format,
    /// The kinds it is told of; empty for all.
    pub kinds: Vec<NotificationKind>,
    pub state: State,
    pub disabled_reason: String,
    pub secret_hint: String,
    pub consecutive_failures: i32,
    pub create_time: OffsetDateTime,
    pub update_time: OffsetDateTime,
    pub creator: Option<PersonName>,
    pub revision: i64,
}

impl Webhook {
    pub fn etag(&self) -> String {
        self.revision.to_string()
    }
}

/// Where a delivery stands, as its owner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

/// One delivery and its attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub kind: NotificationKind,
    pub event_id: Uuid,
    pub recipient: Option<PersonName>,
    pub state: DeliveryState,
    pub attempts: Vec<Attempt>,
    pub create_time: OffsetDateTime,
    pub next_attempt_time: Option<OffsetDateTime>,
    /// The listing's order: newest first.
    pub seq: i64,
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Attempt {
    pub attempt: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub start_time: OffsetDateTime,
    pub latency_ms: i32,
    pub response_code: i32,
    pub delivered: bool,
    pub detail: String,
}

/// Reads an endpoint's URL, or says what is wrong with it. `private` allows plain `http://` and
/// addresses on loopback, private and link-local networks; host names are checked again, on
/// what they resolve to, before every attempt.
pub fn endpoint(value: &str, private: bool) -> Result<String, String> {
    if value.is_empty() {
        return Err("is required".into());
    }
    if value.len() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let url = url::Url::parse(value).map_err(|e| format!("is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if private => {}
        "http" => return Err("must be https:// (plain http:// is for development and private endpoints)".into()),
        other => return Err(format!("must be https://, not {other}://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password (put a token in the path or query)".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    match url.host() {
        None => return Err("must name a host".into()),
        Some(_) if private => {}
        Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => return Err(private_refused(&ip.to_string())),
        Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => return Err(private_refused(&ip.to_string())),
        Some(url::Host::Domain(host)) => {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            if host == "localhost" || host.ends_with(".localhost") || !host.contains('.') {
                return Err(private_refused(&host));
            }
        }
        Some(_) => {}
    }
    Ok(url.to_string())
}

fn private_refused(host: &str) -> String {
    format!("names {host}, on a loopback, private or link-local network: refused outside development")
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, broadcast, multicast or documentation space — an IPv6
/// address that carries an IPv4 one is judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || first == 0x0064 && v6.segments()[1] == 0xff9b)
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

/// Derives webhooks' secrets from the server's key and signs attempts.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub fn new(key: &str) -> Self {
        Self { key: key.as_bytes().to_vec() }
    }

    /// The secret of webhook `id` salted `salt`: `whsec_` and 64 hexadecimal digits.
    pub fn secret(&self, id: Uuid, salt: &[u8]) -> String {
        format!("whsec_{}", mac_hex(&self.key, &[b"baton webhook secret\0", id.as_bytes(), salt]))
    }

    /// A new salt, and the hint of the secret it gives `id` (its last four characters).
    pub fn new_salt(&self, id: Uuid) -> (Vec<u8>, String) {
        let salt = Uuid::new_v4().as_bytes().to_vec();
        let secret = self.secret(id, &salt);
        let hint = secret[secret.len() - 4..].to_string();
        (salt, hint)
    }
}

/// The `Baton-Signature` header of an attempt at `timestamp` (Unix seconds) posting `body`,
/// signed with `secret`: `t={timestamp},v1={hex HMAC-SHA256(secret, "{timestamp}.{body}")}`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let signed = mac_hex(secret.as_bytes(), &[timestamp.to_string().as_bytes(), b".", body]);
    format!("t={timestamp},v1={signed}")
}

/// The hex HMAC-SHA256 under `key` of `parts` one after the other.
fn mac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    hex(&mac.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_on_private_networks_are_refused_outside_development() {
        for url in [
            "http://hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://172.20.0.1/x",
            "https://192.168.1.10/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[::1]/x",
            "https://[fe80::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:127.0.0.1]/x",
            "https://localhost/x",
            "https://api.localhost/x",
            "https://intranet/x",
            "https://user:pw@hooks.example.com/x",
            "ftp://hooks.example.com/x",
            "not a url",
            "",
        ] {
            assert!(endpoint(url, false).is_err(), "{url} passed");
        }
        assert_eq!(
            endpoint("https://hooks.slack.com/services/T0/B0/x", false).unwrap(),
            "https://hooks.slack.com/services/T0/B0/x"
        );
        assert!(endpoint("https://93.184.216.34:8443/hook?token=1", false).is_ok());
        assert!(endpoint("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(endpoint("https://[2606:4700::1111]/x", false).is_ok());
    }

    #[test]
    fn secrets_derive_from_the_key_and_the_salt_and_sign_timestamp_and_body() {
        let signer = Signer::new("k".repeat(32).as_str());
        let id = Uuid::from_u128(7);
        let one = signer.secret(id, b"salt");
        assert_eq!(one, signer.secret(id, b"salt"));
        assert_ne!(one, signer.secret(id, b"pepper"));
        assert_ne!(one, Signer::new("j".repeat(32).as_str()).secret(id, b"salt"));
        assert_eq!(one.len(), "whsec_".len() + 64);
        // RFC 4231, test case 2.
        assert_eq!(
            mac_hex(b"Jefe", &[b"what do ya ", b"want for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let header = signature("Jefe", 1, b"{}");
        assert_eq!(header, format!("t=1,v1={}", mac_hex(b"Jefe", &[b"1.{}"])));
        assert_eq!(
            signature("key", 1_764_892_800, b"{}"),
            signature("key", 1_764_892_800, b"{}"),
            "the same attempt signs the same"
        );
        assert_ne!(signature("key", 1_764_892_801, b"{}"), signature("key", 1_764_892_800, b"{}"));
    }
}
