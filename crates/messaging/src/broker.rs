//! Connecting to RabbitMQ and declaring the topology.

use std::time::Duration;

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::tcp::OwnedTLSConfig;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};

use baton_platform::config::AmqpConfig;

/// The largest AMQP frame asked for; a longer message is sent in several frames.
pub const FRAME_MAX: u32 = 16 * 1024;

/// How long opening a connection (TCP and the AMQP handshake, milliseconds when the broker is
/// there), or setting up a channel on it, may take. An attempt begun while the path was dead is
/// given up this soon, so that a healed link carries events again within 10 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long closing a connection politely may take before it is simply dropped.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs `step` against the broker, giving up after `limit`: a reply that a dying connection
/// never delivers must not hold its caller forever.
pub async fn bounded<T>(
    limit: Duration,
    step: impl std::future::Future<Output = lapin::Result<T>>,
) -> lapin::Result<T> {
    match tokio::time::timeout(limit, step).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer from the broker within {limit:?}"),
        )
        .into()),
    }
}

/// Where the broker is and how the topology is named.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub url: String,
    pub exchange: String,
    pub queue_prefix: String,
    pub prefetch: u16,
    /// Workers applying deliveries; events about one project share a worker.
    pub consumer_lanes: usize,
    /// How long a consumer lane or a relay under load waits for more events to take together.
    pub batch_linger: Duration,
    pub delivery_limit: u32,
    pub heartbeat_secs: u16,
    pub max_backoff: Duration,
    /// The CA bundle (PEM) that verifies the broker on `amqps://`, besides the system's roots.
    pub tls_ca_file: Option<std::path::PathBuf>,
}

impl BrokerConfig {
    pub fn new(url: &str, amqp: &AmqpConfig) -> Self {
        Self {
            url: url.to_string(),
            exchange: amqp.exchange.clone(),
            queue_prefix: amqp.queue_prefix.clone(),
            prefetch: amqp.prefetch,
            consumer_lanes: match amqp.consumer_lanes {
                0 => std::thread::available_parallelism().map_or(2, |cores| cores.get()),
                lanes => usize::from(lanes),
            },
            batch_linger: Duration::from_millis(amqp.batch_linger_ms),
            delivery_limit: amqp.delivery_limit,
            heartbeat_secs: amqp.heartbeat_secs,
            max_backoff: Duration::from_millis(amqp.reconnect_max_backoff_ms),
            tls_ca_file: amqp.tls_ca_file.clone(),
        }
    }

    /// The dead-letter exchange next to the events exchange.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.exchange)
    }

    /// The queue a consuming service reads, for example `notifications.events`.
    pub fn queue(&self, consumer: &str) -> String {
        format!("{}{consumer}.events", self.queue_prefix)
    }

    /// The dead-letter queue of a consuming service.
    pub fn dead_letter_queue(&self, consumer: &str) -> String {
        format!("{}.dlq", self.queue(consumer))
    }

    /// The URL to connect with: a heartbeat, so a dead link is noticed within two heartbeats,
    /// and a frame size of [`FRAME_MAX`] (lapin keeps 32 frames of read and of write buffer per
    /// connection: 8 MiB at RabbitMQ's default 128 KiB, 1 MiB at 16 KiB; events are far
    /// smaller). Either is left alone when the URL sets it.
    fn connection_url(&self) -> String {
        let mut url = self.url.clone();
        let mut add = |key: &str, value: String| {
            if !url.contains(&format!("{key}=")) {
                let separator = if url.contains('?') { '&' } else { '?' };
                url = format!("{url}{separator}{key}={value}");
            }
        };
        if self.heartbeat_secs > 0 {
            add("heartbeat", self.heartbeat_secs.to_string());
        }
        add("frame_max", FRAME_MAX.to_string());
        url
    }

    /// Opens a connection named after its role, for the broker's management view. Gives up
    /// after [`CONNECT_TIMEOUT`]: on a dead network path the AMQP handshake would otherwise wait
    /// forever, since heartbeats only start once it is done.
    pub async fn connect(&self, name: &str) -> lapin::Result<Connection> {
        let properties = ConnectionProperties::default().with_connection_name(LongString::from(name));
        let tls = OwnedTLSConfig { identity: None, cert_chain: self.tls_ca()? };
        let runtime = lapin::runtime::default_runtime()?;
        bounded(CONNECT_TIMEOUT, Connection::connect_with_config(&self.connection_url(), properties, tls, runtime))
            .await
    }

    /// The CA bundle of `amqps://` connections, read on each connection so that a renewed one
    /// takes effect at the next reconnection.
    fn tls_ca(&self) -> lapin::Result<Option<String>> {
        let Some(path) = &self.tls_ca_file else { return Ok(None) };
        let pem = std::fs::read_to_string(path).map_err(|e| {
            std::io::Error::new(e.kind(), format!("amqp.tls_ca_file: cannot read {}: {e}", path.display()))
        })?;
        Ok(Some(pem))
    }
}

/// Declares the topology: the durable topic exchange events go to and its dead-letter exchange.
pub struct Topology;

impl Topology {
    /// The exchanges every publisher and consumer needs. Idempotent.
    pub async fn declare_exchanges(channel: &Channel, config: &BrokerConfig) -> lapin::Result<()> {
        let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
        channel
            .exchange_declare(config.exchange.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default())
            .await?;
        channel
            .exchange_declare(
                config.dead_letter_exchange().as_str().into(),
                ExchangeKind::Direct,
                durable,
                FieldTable::default(),
            )
            .await
    }

    /// A consumer's durable quorum queue bound to `routing_keys`, with its dead-letter queue and
    /// delivery limit. Idempotent.
    pub async fn declare_consumer_queue(
        channel: &Channel,
        config: &BrokerConfig,
        consumer: &str,
        routing_keys: &[&str],
    ) -> lapin::Result<String> {
        Self::declare_exchanges(channel, config).await?;
        let queue = config.queue(consumer);
        let dead_letter_queue = config.dead_letter_queue(consumer);
        let durable = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };

        let mut dlq_args = FieldTable::default();
        dlq_args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        channel.queue_declare(dead_letter_queue.as_str().into(), durable, dlq_args).await?;
        channel
            .queue_bind(
                dead_letter_queue.as_str().into(),
                config.dead_letter_exchange().as_str().into(),
                dead_letter_queue.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;

        let mut args = FieldTable::default();
        args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
        args.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(config.dead_letter_exchange().into()));
        args.insert("x-dead-letter-routing-key".into(), AMQPValue::LongString(dead_letter_queue.as_str().into()));
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongInt(i32::try_from(config.delivery_limit).unwrap_or(i32::MAX)),
        );
        channel.queue_declare(queue.as_str().into(), durable, args).await?;
        for key in routing_keys {
            channel
                .queue_bind(
                    queue.as_str().into(),
                    config.exchange.as_str().into(),
                    ShortString::from(*key),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(queue)
    }
}

/// Exponential backoff with a ceiling, for reconnect loops.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Self {
        Self { next: Duration::from_millis(100), max }
    }

    /// The pause before the next attempt; each call doubles it up to the ceiling.
    pub fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(self.max);
        pause
    }

    pub fn reset(&mut self) {
        self.next = Duration::from_millis(100);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, heartbeat_secs: u16) -> BrokerConfig {
        let mut config = BrokerConfig::new(url, &AmqpConfig::default());
        config.heartbeat_secs = heartbeat_secs;
        config
    }

    #[test]
    fn the_connection_url_asks_for_a_heartbeat_and_small_frames_unless_the_url_says_otherwise() {
        assert_eq!(config("amqp://h:5672/%2f", 10).connection_url(), "amqp://h:5672/%2f?heartbeat=10&frame_max=16384");
        assert_eq!(
            config("amqp://h:5672/%2f?heartbeat=3&frame_max=131072", 10).connection_url(),
            "amqp://h:5672/%2f?heartbeat=3&frame_max=131072"
        );
        assert_eq!(
            config("amqp://h:5672/%2f?channel_max=9", 0).connection_url(),
            "amqp://h:5672/%2f?channel_max=9&frame_max=16384"
        );
    }
}
