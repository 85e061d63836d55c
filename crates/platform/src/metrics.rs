//! Baton's metrics, as OpenTelemetry instruments. Operators read them from `/metrics` in the
//! Prometheus text format (names gain `_total` and unit suffixes there, for example
//! `baton_rpc_requests_total`), and over OTLP when the exporter is on.
//!
//! Instruments are created on first use from the global meter provider, so
//! [`crate::telemetry::init`] must run before the first call is served. They are process-wide;
//! what the gauges read is not: each `observe_*` call returns a [`Registration`], and its entry
//! is reported only while that registration lives, so servers that come and go in one process
//! (the tests run many) neither leak their pools and outboxes nor report each other's.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, ObservableGauge};

/// Latency buckets for calls, in seconds.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's instruments.
pub struct Metrics {
    /// Calls served, by service, method and gRPC code.
    pub rpc_requests: Counter<u64>,
    /// Call latency, by service and method.
    pub rpc_duration: Histogram<f64>,
    /// Events published (confirmed and routed), by source and type.
    pub events_published: Counter<u64>,
    /// Deliveries settled by consumers, by consumer, type and outcome.
    pub events_consumed: Counter<u64>,
    /// Deliveries the broker flagged as redelivered, by consumer.
    pub consumer_redeliveries: Counter<u64>,
    /// Notifications created, by channel.
    pub notifications_created: Counter<u64>,
    /// Outbound deliveries (email, webhooks), by channel and outcome (sent, retried, failed).
    pub deliveries: Counter<u64>,
    _gauges: Vec<ObservableGauge<i64>>,
    _age: ObservableGauge<f64>,
}

/// One thing the gauges read when they are collected.
enum Observed {
    Outbox(&'static str, Arc<OutboxGauge>),
    Pool(&'static str, sqlx::PgPool, u32),
    Streams(Arc<dyn Fn() -> usize + Send + Sync>),
}

/// The live entries, by the id of the [`Registration`] that owns each.
static OBSERVED: Mutex<BTreeMap<u64, Observed>> = Mutex::new(BTreeMap::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static METRICS: OnceLock<Metrics> = OnceLock::new();

fn observed() -> std::sync::MutexGuard<'static, BTreeMap<u64, Observed>> {
    lock(&OBSERVED)
}

/// Keeps an entry reported by the gauges; dropping it removes the entry. Holds what the caller
/// updates, if anything (the [`OutboxGauge`] of an outbox), and derefs to it.
#[must_use = "the entry is removed as soon as its registration is dropped"]
pub struct Registration<T = ()> {
    id: u64,
    value: T,
}

impl<T> Registration<T> {
    fn new(entry: Observed, value: T) -> Self {
        metrics();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        observed().insert(id, entry);
        Self { id, value }
    }
}

impl<T> std::ops::Deref for Registration<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Drop for Registration<T> {
    fn drop(&mut self) {
        // Dropped outside the lock: a pool or a closure may hold anything.
        let removed = observed().remove(&self.id);
        drop(removed);
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration").field("id", &self.id).field("value", &self.value).finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The instruments, created on first use.
pub fn metrics() -> &'static Metrics {
    METRICS.get_or_init(|| {
        let meter = opentelemetry::global::meter("baton");
        let backlog = meter
            .i64_observable_gauge("baton.outbox.backlog")
            .with_description("Events written to an outbox and not yet published.")
            .with_callback(|gauge| {
                for entry in observed().values() {
                    if let Observed::Outbox(outbox, stats) = entry {
                        gauge.observe(stats.backlog.load(Ordering::Relaxed), &[KeyValue::new("outbox", *outbox)]);
                    }
                }
            })
            .build();
        let age = meter
            .f64_observable_gauge("baton.outbox.oldest_age")
            .with_unit("s")
            .with_description("Age of the oldest unpublished event of an outbox.")
            .with_callback(|gauge| {
                for entry in observed().values() {
                    if let Observed::Outbox(outbox, stats) = entry {
                        let age = stats.oldest_age_ms.load(Ordering::Relaxed) as f64 / 1000.0;
                        gauge.observe(age, &[KeyValue::new("outbox", *outbox)]);
                    }
                }
            })
            .build();
        let pools = meter
            .i64_observable_gauge("baton.db.pool.connections")
            .with_description("Database connections of a service's pool, by state (idle, in_use, max).")
            .with_callback(|gauge| {
                for entry in observed().values() {
                    let Observed::Pool(service, pool, max) = entry else { continue };
                    let size = i64::from(pool.size());
                    let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
                    let service = KeyValue::new("service", *service);
                    gauge.observe(idle, &[service.clone(), KeyValue::new("state", "idle")]);
                    gauge.observe(size - idle, &[service.clone(), KeyValue::new("state", "in_use")]);
                    gauge.observe(i64::from(*max), &[service, KeyValue::new("state", "max")]);
                }
            })
            .build();
        let streams = meter
            .i64_observable_gauge("baton.watch.streams.open")
            .with_description("Open WatchNotifications streams.")
            .with_callback(|gauge| {
                // Read the counts outside the lock: a count may take locks of its own.
                let counts: Vec<_> = observed()
                    .values()
                    .filter_map(|entry| match entry {
                        Observed::Streams(count) => Some(count.clone()),
                        _ => None,
                    })
                    .collect();
                if !counts.is_empty() {
                    let open: usize = counts.iter().map(|count| count()).sum();
                    gauge.observe(i64::try_from(open).unwrap_or(i64::MAX), &[]);
                }
            })
            .build();
        Metrics {
            rpc_requests: meter.u64_counter("baton.rpc.requests").with_description("gRPC calls served.").build(),
            rpc_duration: meter
                .f64_histogram("baton.rpc.duration")
                .with_unit("s")
                .with_description("gRPC call latency.")
                .with_boundaries(LATENCY_BUCKETS.to_vec())
                .build(),
            events_published: meter
                .u64_counter("baton.events.published")
                .with_description("Events the broker confirmed and routed.")
                .build(),
            events_consumed: meter
                .u64_counter("baton.events.consumed")
                .with_description("Deliveries settled by a consumer, by outcome.")
                .build(),
            consumer_redeliveries: meter
                .u64_counter("baton.consumer.redeliveries")
                .with_description("Deliveries that were redelivered by the broker.")
                .build(),
            notifications_created: meter
                .u64_counter("baton.notifications.created")
                .with_description("Notifications created, by channel.")
                .build(),
            deliveries: meter
                .u64_counter("baton.notifications.deliveries")
                .with_description("Outbound delivery attempts, by channel and outcome.")
                .build(),
            _gauges: vec![backlog, pools, streams],
            _age: age,
        }
    })
}

/// The backlog of one outbox, kept up to date by its relay.
#[derive(Debug, Default)]
pub struct OutboxGauge {
    backlog: AtomicI64,
    oldest_age_ms: AtomicI64,
}

impl OutboxGauge {
    pub fn set(&self, backlog: i64, oldest_age_ms: i64) {
        self.backlog.store(backlog, Ordering::Relaxed);
        self.oldest_age_ms.store(oldest_age_ms, Ordering::Relaxed);
    }
}

/// Reports an outbox's backlog while the registration lives; the relay updates the gauge it
/// holds.
pub fn observe_outbox(outbox: &'static str) -> Registration<Arc<OutboxGauge>> {
    let gauge = Arc::new(OutboxGauge::default());
    Registration::new(Observed::Outbox(outbox, gauge.clone()), gauge)
}

/// Reports a service's pool saturation while the registration lives.
pub fn observe_pool(service: &'static str, pool: sqlx::PgPool, max: u32) -> Registration {
    Registration::new(Observed::Pool(service, pool, max), ())
}

/// Reports open watch streams through `count` while the registration lives.
pub fn observe_streams(count: Arc<dyn Fn() -> usize + Send + Sync>) -> Registration {
    Registration::new(Observed::Streams(count), ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outboxes(name: &str) -> usize {
        observed().values().filter(|entry| matches!(entry, Observed::Outbox(outbox, _) if *outbox == name)).count()
    }

    fn streams() -> usize {
        observed().values().filter(|entry| matches!(entry, Observed::Streams(_))).count()
    }

    #[test]
    fn an_entry_is_reported_while_its_registration_lives() {
        let first = observe_outbox("metrics_test.outbox");
        let second = observe_outbox("metrics_test.outbox");
        first.set(3, 1500);
        assert_eq!(outboxes("metrics_test.outbox"), 2);
        drop(first);
        assert_eq!(outboxes("metrics_test.outbox"), 1);
        assert!(observed().contains_key(&second.id));
        drop(second);
        assert_eq!(outboxes("metrics_test.outbox"), 0);

        let before = streams();
        let watched = observe_streams(Arc::new(|| 2));
        assert_eq!(streams(), before + 1);
        assert!(observed().contains_key(&watched.id));
        let id = watched.id;
        drop(watched);
        assert!(!observed().contains_key(&id));
    }
}
