//! Layered configuration: defaults, then an optional TOML file, then `BATON_...` environment
//! variables (`__` separates nesting levels), then the standard `DATABASE_URL` and `AMQP_URL`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The top-level keys, the only `BATON_*` variables the configuration reads.
const CONFIG_KEYS: &[&str] = &[
    "listen",
    "metrics_listen",
    "database_url",
    "amqp_url",
    "log_format",
    "shutdown_timeout_ms",
    "database",
    "amqp",
    "outbox",
    "endpoints",
    "auth",
    "limits",
    "tls",
    "smtp",
    "webhooks",
    "notifications",
];

/// The whole configuration of a Baton server process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The address the gRPC listener binds to.
    pub listen: SocketAddr,
    /// The address of the HTTP listener that serves `/metrics` (Prometheus text format); unset
    /// turns it off.
    pub metrics_listen: Option<SocketAddr>,
    /// The Postgres database all services keep their schemas in.
    pub database_url: String,
    /// The RabbitMQ broker events travel through.
    pub amqp_url: String,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    /// How long a graceful shutdown may take to drain calls and consumers.
    pub shutdown_timeout_ms: u64,
    pub database: DatabaseConfig,
    pub amqp: AmqpConfig,
    pub outbox: OutboxConfig,
    pub endpoints: Endpoints,
    pub auth: crate::auth::AuthConfig,
    pub limits: crate::limits::LimitsConfig,
    pub tls: crate::tls::TlsConfig,
    pub smtp: SmtpConfig,
    pub webhooks: WebhooksConfig,
    pub notifications: NotificationsConfig,
}

/// How the notifications service sends email.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// The SMTP server; empty turns email off (nothing is queued for it).
    pub host: String,
    pub port: u16,
    /// `starttls` (upgrade a plain connection, the default), `tls` (TLS from the start, port
    /// 465) or `none` (plain text: a local relay or a test server only).
    pub security: SmtpSecurity,
    /// The login, if the server wants one.
    pub username: String,
    /// Its password; never logged.
    pub password: String,
    /// The sender, `Baton <baton@studio.example>`.
    pub from: String,
    /// How long one send may take.
    pub timeout_ms: u64,
    /// The first wait after a temporary failure, doubled (with jitter) after each further one.
    pub retry_initial_ms: u64,
    /// How long a message is retried before it is given up.
    pub retry_for_secs: u64,
    /// How often due messages are looked for when none woke the sender.
    pub poll_interval_ms: u64,
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    #[default]
    Starttls,
    Tls,
    None,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: String::new(),
            password: String::new(),
            from: "Baton <baton@localhost>".into(),
            timeout_ms: 10_000,
            retry_initial_ms: 5_000,
            retry_for_secs: 24 * 3600,
            poll_interval_ms: 1_000,
        }
    }
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &if self.password.is_empty() { "" } else { "(set)" })
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// How the notifications service tells people.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Bursts: a notification of one person's action takes in the next of the same kind, by the
    /// same person in the same project, to the same recipient, while they come less than this
    /// apart (and it is unread) — one notification listing them instead of one each. Instant
    /// email of such a notification waits this long for the burst to end. 0 turns grouping off.
    pub group_window_ms: u64,
    /// Components and milestones are due soon this many days before their due date (their
    /// reminders fire at 08:00 UTC that day; an overdue component's, the morning after its date).
    pub reminder_days_before: u32,
    /// How often each replica's scheduler looks for reminders whose time came.
    pub reminder_poll_interval_ms: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self { group_window_ms: 10_000, reminder_days_before: 2, reminder_poll_interval_ms: 5_000 }
    }
}

/// How the notifications service posts to webhooks.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// The key every webhook's signing secret is derived from, at least 32 characters; never
    /// logged. Baton stores no secret, only what derives it from this key: changing the key
    /// changes every webhook's secret. Empty turns webhooks off, except in development mode
    /// (`auth.development`), where a fixed development key is used.
    pub secret_key: String,
    /// Whether endpoints may be on loopback, private or link-local networks (or resolve to
    /// them) and use plain `http://`: for receivers inside the agency's network. Always allowed
    /// in development mode.
    pub allow_private_endpoints: bool,
    /// A PEM file of certificate authorities trusted besides the system's (an internal CA).
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// How long one attempt may take, connection included. A sender holds a delivery 30 s
    /// longer than this; after that, another replica may try it.
    pub timeout_ms: u64,
    /// The first wait after a failed attempt, doubled (with jitter) after each further one.
    pub retry_initial_ms: u64,
    /// How long a delivery is retried before it is given up.
    pub retry_for_secs: u64,
    /// A webhook is disabled once this many attempts in a row failed …
    pub disable_after_failures: u32,
    /// … over at least this long.
    pub disable_after_secs: u64,
    /// How often due deliveries are looked for when none woke the sender.
    pub poll_interval_ms: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            secret_key: String::new(),
            allow_private_endpoints: false,
            tls_ca_file: None,
            timeout_ms: 10_000,
            retry_initial_ms: 10_000,
            retry_for_secs: 24 * 3600,
            disable_after_failures: 20,
            disable_after_secs: 24 * 3600,
            poll_interval_ms: 1_000,
        }
    }
}

impl std::fmt::Debug for WebhooksConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhooksConfig")
            .field("secret_key", &if self.secret_key.is_empty() { "" } else { "(set)" })
            .field("allow_private_endpoints", &self.allow_private_endpoints)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

/// How logs are written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The connection pool each service keeps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Connections per service; 0 (the default) sizes each service's pool automatically, see
    /// [`DatabaseConfig::pool_size`].
    pub max_connections: u32,
    /// How long a call waits for a connection before it fails with UNAVAILABLE.
    pub acquire_timeout_ms: u64,
    /// Each service's own login (`postgres://baton_people:…@host/db`), owning only its schema
    /// (deploy/postgres); unset, a service uses `database_url`, the single-login default.
    pub urls: ServiceUrls,
}

/// One URL per service, for its own login; see [`DatabaseConfig::urls`] and [`AmqpConfig::urls`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceUrls {
    pub people: Option<String>,
    pub projects: Option<String>,
    pub assets: Option<String>,
    pub notifications: Option<String>,
}

impl ServiceUrls {
    /// The URL of `service` (`people`, …), if it has its own.
    pub fn of(&self, service: &str) -> Option<&str> {
        let own = match service {
            "people" => &self.people,
            "projects" => &self.projects,
            "assets" => &self.assets,
            "notifications" => &self.notifications,
            _ => &None,
        };
        own.as_deref()
    }
}

/// The event backbone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AmqpConfig {
    /// The topic exchange every event is published to.
    pub exchange: String,
    /// A prefix for queue names, so that isolated runs share a broker.
    pub queue_prefix: String,
    /// Unacknowledged deliveries a consumer holds at once.
    pub prefetch: u16,
    /// Workers applying a consumer's events, each committing what it has queued together;
    /// events about one project are applied in order. 0: one per core.
    pub consumer_lanes: u16,
    /// Under load (a consumer lane finds more than one delivery waiting, an outbox relay's batch
    /// took more than one event), how long it waits for more before its next transaction; a lone
    /// event goes at once. 0: never.
    pub batch_linger_ms: u64,
    /// Deliveries of one message before the broker dead-letters it.
    pub delivery_limit: u32,
    /// The AMQP heartbeat, which detects a dead broker link.
    pub heartbeat_secs: u16,
    /// The longest pause between two reconnection attempts.
    pub reconnect_max_backoff_ms: u64,
    /// Each service's own broker user (`amqp://baton-people:…@host/%2f`), allowed to publish only
    /// its own event types and read only its own queues (deploy/rabbitmq); unset, a service uses
    /// `amqp_url`, the single-login default.
    pub urls: ServiceUrls,
    /// The CA bundle (PEM) that verifies the broker's certificate on `amqps://` URLs, besides
    /// the system's roots.
    pub tls_ca_file: Option<std::path::PathBuf>,
}

/// The transactional outbox relay.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Events published per round.
    pub batch_size: u32,
    /// How often the relay looks for events when no notification woke it.
    pub poll_interval_ms: u64,
}

/// Where the other services answer. Unset means this process, which must then run that target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Endpoints {
    pub people: Option<String>,
    pub projects: Option<String>,
    pub assets: Option<String>,
    pub notifications: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            database_url: "postgres://postgres@127.0.0.1:5432/postgres".into(),
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            log_format: LogFormat::Text,
            shutdown_timeout_ms: 10_000,
            database: DatabaseConfig::default(),
            amqp: AmqpConfig::default(),
            outbox: OutboxConfig::default(),
            endpoints: Endpoints::default(),
            auth: crate::auth::AuthConfig::default(),
            limits: crate::limits::LimitsConfig::default(),
            tls: crate::tls::TlsConfig::default(),
            smtp: SmtpConfig::default(),
            webhooks: WebhooksConfig::default(),
            notifications: NotificationsConfig::default(),
        }
    }
}

impl DatabaseConfig {
    /// The most connections one process opens by default, all its services together: below
    /// Postgres' default `max_connections` (100), with room for operators and other clients.
    pub const PROCESS_BUDGET: u32 = 88;
    /// The most connections one service opens by default: a writing service under load uses
    /// them all (its commits wait for the WAL flush, and more of them share one flush).
    pub const SERVICE_DEFAULT: u32 = 32;

    /// The pool size of each service of a process running `services` services: the configured
    /// `max_connections`, or by default an even share of [`Self::PROCESS_BUDGET`], at most
    /// [`Self::SERVICE_DEFAULT`] (32 for one service alone, 22 each for all four).
    pub fn pool_size(&self, services: usize) -> u32 {
        if self.max_connections > 0 {
            return self.max_connections;
        }
        let services = u32::try_from(services.max(1)).unwrap_or(u32::MAX);
        (Self::PROCESS_BUDGET / services).clamp(1, Self::SERVICE_DEFAULT)
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { max_connections: 0, acquire_timeout_ms: 2_000, urls: ServiceUrls::default() }
    }
}

impl Default for AmqpConfig {
    fn default() -> Self {
        Self {
            exchange: "baton.events".into(),
            queue_prefix: String::new(),
            prefetch: 256,
            consumer_lanes: 0,
            batch_linger_ms: 0,
            delivery_limit: 10,
            heartbeat_secs: 10,
            reconnect_max_backoff_ms: 2_000,
            urls: ServiceUrls::default(),
            tls_ca_file: None,
        }
    }
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self { batch_size: 256, poll_interval_ms: 1_000 }
    }
}

/// A configuration that could not be read or does not make sense.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration: {0}")]
    Read(#[from] Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Reads the configuration: defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid(format!("configuration file {} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file(file));
        }
        let config: Config = figment
            .merge(Env::prefixed("BATON_").split("__").filter(|key| {
                // Only the server's own keys: other tools read BATON_* variables too.
                let top = key.as_str().split('.').next().unwrap_or_default();
                CONFIG_KEYS.iter().any(|known| top.eq_ignore_ascii_case(known))
            }))
            .merge(Env::raw().only(&["DATABASE_URL", "AMQP_URL"]).map(|key| key.as_str().to_ascii_lowercase().into()))
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values that serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |msg: &str| Err(ConfigError::Invalid(msg.into()));
        if self.database.acquire_timeout_ms == 0 {
            return invalid("database.acquire_timeout_ms must be at least 1");
        }
        if self.amqp.exchange.is_empty() {
            return invalid("amqp.exchange must not be empty");
        }
        if self.amqp.prefetch == 0 {
            return invalid("amqp.prefetch must be at least 1");
        }
        if self.amqp.delivery_limit == 0 {
            return invalid("amqp.delivery_limit must be at least 1");
        }
        if self.outbox.batch_size == 0 {
            return invalid("outbox.batch_size must be at least 1");
        }
        if self.auth.leeway_secs > baton_auth::MAX_LEEWAY.as_secs() {
            return invalid("auth.leeway_secs may be at most 30");
        }
        if self.outbox.poll_interval_ms == 0 {
            return invalid("outbox.poll_interval_ms must be at least 1");
        }
        if let Some(problem) = self.limits.problem() {
            return invalid(problem);
        }
        if let Some(problem) = self.tls.problem() {
            return invalid(problem);
        }
        if !self.smtp.host.is_empty() && (self.smtp.timeout_ms == 0 || self.smtp.poll_interval_ms == 0) {
            return invalid("smtp.timeout_ms and smtp.poll_interval_ms must be at least 1");
        }
        if self.notifications.reminder_poll_interval_ms == 0 || self.notifications.reminder_days_before > 365 {
            return invalid(
                "notifications.reminder_poll_interval_ms must be at least 1, reminder_days_before at most 365",
            );
        }
        let webhooks = &self.webhooks;
        if !webhooks.secret_key.is_empty() && webhooks.secret_key.len() < 32 {
            return invalid("webhooks.secret_key must be at least 32 characters");
        }
        if webhooks.timeout_ms == 0 || webhooks.poll_interval_ms == 0 || webhooks.retry_initial_ms == 0 {
            return invalid("webhooks.timeout_ms, retry_initial_ms and poll_interval_ms must be at least 1");
        }
        Ok(())
    }

    /// The database URL `service` (`people`, …) logs in with: its own, or the shared one.
    pub fn database_url_of(&self, service: &str) -> &str {
        self.database.urls.of(service).unwrap_or(&self.database_url)
    }

    /// The broker URL `service` (`people`, …) logs in with: its own, or the shared one.
    pub fn amqp_url_of(&self, service: &str) -> &str {
        self.amqp.urls.of(service).unwrap_or(&self.amqp_url)
    }

    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.database.acquire_timeout_ms)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_millis(self.shutdown_timeout_ms)
    }

    /// The endpoint of this process, as other local services call it (`https://` when the
    /// listener speaks TLS; the certificate is then checked for `tls.server_name`).
    pub fn self_endpoint(&self) -> String {
        let addr = self.listen;
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if addr.is_ipv6() {
            format!("[{}]", addr.ip())
        } else {
            addr.ip().to_string()
        };
        let scheme = if self.tls.enabled() { "https" } else { "http" };
        format!("{scheme}://{host}:{}", addr.port())
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {

    /// Every top-level key can be set from the environment: one missing from `CONFIG_KEYS`
    /// would be ignored without a word.
    #[test]
    fn every_key_is_read_from_the_environment() {
        let value = serde_json::to_value(Config::default()).expect("serializes");
        for key in value.as_object().expect("an object").keys() {
            assert!(CONFIG_KEYS.contains(&key.as_str()), "{key} is missing from CONFIG_KEYS");
        }
    }

    #[test]
    fn pools_share_a_process_budget_unless_sized() {
        let mut database = DatabaseConfig::default();
        assert_eq!(database.pool_size(1), 32);
        assert_eq!(database.pool_size(4), 22);
        assert!(4 * database.pool_size(4) <= DatabaseConfig::PROCESS_BUDGET);
        database.max_connections = 10;
        assert_eq!(database.pool_size(4), 10);
    }

    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().expect("defaults validate");
    }

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file(
                "baton.toml",
                "listen = \"127.0.0.1:6000\"\n[amqp]\nprefetch = 8\n[endpoints]\npeople = \"http://people:1\"\n",
            )?;
            jail.set_env("BATON_AMQP__PREFETCH", "16");
            jail.set_env("DATABASE_URL", "postgres://elsewhere/db");
            jail.set_env("BATON_ENDPOINT", "http://for-the-cli:1");
            let config = Config::load(Some(Path::new("baton.toml"))).expect("loads");
            assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 6000)));
            assert_eq!(config.amqp.prefetch, 16);
            assert_eq!(config.database_url, "postgres://elsewhere/db");
            assert_eq!(config.endpoints.people.as_deref(), Some("http://people:1"));
            assert_eq!(config.self_endpoint(), "http://127.0.0.1:6000");
            Ok(())
        });
    }

    #[test]
    fn the_example_file_lists_the_defaults() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/baton.example.toml");
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let config = Config::load(Some(Path::new(example))).expect("the example loads");
            assert_eq!(config, Config::default());
            Ok(())
        });
    }

    #[test]
    fn rejects_nonsense() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("BATON_AMQP__PREFETCH", "0");
            let err = Config::load(None).expect_err("prefetch 0 is invalid");
            assert!(err.to_string().contains("amqp.prefetch"), "{err}");
            Ok(())
        });
    }
}
