//! Baton's metrics, as OpenTelemetry instruments. Operators read them from `/metrics` in the
//! Prometheus text format (names gain `_total` and unit suffixes there, for example
//! `baton_rpc_requests_total`), and over OTLP when the exporter is on.
//!
//! Instruments are created on first use from the global meter provider, so
//! [`crate::telemetry::init`] must run before the first call is served.

use std::sync::atomic::{AtomicI64, Ordering};
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
    _gauges: Vec<ObservableGauge<i64>>,
    _age: ObservableGauge<f64>,
}

/// What the gauges read when they are collected.
#[derive(Default)]
struct Observed {
    outboxes: Mutex<Vec<(&'static str, Arc<OutboxGauge>)>>,
    pools: Mutex<Vec<(&'static str, sqlx::PgPool, u32)>>,
    streams: Mutex<Vec<Arc<dyn Fn() -> usize + Send + Sync>>>,
}

static OBSERVED: OnceLock<Observed> = OnceLock::new();
static METRICS: OnceLock<Metrics> = OnceLock::new();

fn observed() -> &'static Observed {
    OBSERVED.get_or_init(Observed::default)
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
                for (outbox, stats) in lock(&observed().outboxes).iter() {
                    gauge.observe(stats.backlog.load(Ordering::Relaxed), &[KeyValue::new("outbox", *outbox)]);
                }
            })
            .build();
        let age = meter
            .f64_observable_gauge("baton.outbox.oldest_age")
            .with_unit("s")
            .with_description("Age of the oldest unpublished event of an outbox.")
            .with_callback(|gauge| {
                for (outbox, stats) in lock(&observed().outboxes).iter() {
                    let age = stats.oldest_age_ms.load(Ordering::Relaxed) as f64 / 1000.0;
                    gauge.observe(age, &[KeyValue::new("outbox", *outbox)]);
                }
            })
            .build();
        let pools = meter
            .i64_observable_gauge("baton.db.pool.connections")
            .with_description("Database connections of a service's pool, by state (idle, in_use, max).")
            .with_callback(|gauge| {
                for (service, pool, max) in lock(&observed().pools).iter() {
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
                let open: usize = lock(&observed().streams).iter().map(|count| count()).sum();
                gauge.observe(i64::try_from(open).unwrap_or(i64::MAX), &[]);
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

/// Reports an outbox's backlog; the relay updates the returned gauge.
pub fn observe_outbox(outbox: &'static str) -> Arc<OutboxGauge> {
    metrics();
    let gauge = Arc::new(OutboxGauge::default());
    lock(&observed().outboxes).push((outbox, gauge.clone()));
    gauge
}

/// Reports a service's pool saturation.
pub fn observe_pool(service: &'static str, pool: sqlx::PgPool, max: u32) {
    metrics();
    lock(&observed().pools).push((service, pool, max));
}

/// Reports open watch streams through `count`.
pub fn observe_streams(count: Arc<dyn Fn() -> usize + Send + Sync>) {
    metrics();
    lock(&observed().streams).push(count);
}
