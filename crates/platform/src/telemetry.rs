//! Logs, traces and metrics.
//!
//! - `tracing` everywhere, with the OpenTelemetry layer always installed, so every span has a
//!   trace context that crosses gRPC (metadata) and AMQP (headers) as W3C `traceparent`.
//! - The OTLP exporter (gRPC) is on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, for traces and
//!   metrics; spans are flushed when [`Telemetry`] is dropped.
//! - Metrics are OpenTelemetry instruments ([`crate::metrics`]), read by operators in the
//!   Prometheus text format ([`render_metrics`]).
//! - Logs are text, or JSON lines with `BATON_LOG_FORMAT=json`; lines inside a request or an
//!   event carry its `trace_id`.

use std::collections::HashMap;
use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

static REGISTRY: OnceLock<prometheus::Registry> = OnceLock::new();

/// Keeps the providers alive; flushes and shuts them down when dropped.
pub struct Telemetry {
    tracer: SdkTracerProvider,
    meter: SdkMeterProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.tracer.shutdown() {
            eprintln!("trace export shutdown failed: {error}");
        }
        if let Err(error) = self.meter.shutdown() {
            eprintln!("metrics shutdown failed: {error}");
        }
    }
}

/// Whether the OTLP exporter is configured.
pub fn otlp_enabled() -> bool {
    std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.trim().is_empty())
}

fn resource(service: &str) -> Resource {
    Resource::builder()
        .with_service_name(service.to_string())
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Installs the meter provider (Prometheus registry, plus OTLP when configured). Must run
/// inside a Tokio runtime, before the first instrument is used. Idempotent per process only in
/// the sense that later calls replace the global provider.
pub fn init_metrics(service: &str) -> Result<SdkMeterProvider, Box<dyn std::error::Error + Send + Sync>> {
    let registry = REGISTRY.get_or_init(prometheus::Registry::new).clone();
    let prometheus = opentelemetry_prometheus::exporter().with_registry(registry).without_target_info().build()?;
    let mut builder = SdkMeterProvider::builder().with_resource(resource(service)).with_reader(prometheus);
    // Prometheus scrapes /metrics; OTEL_METRICS_EXPORTER=none keeps metrics off OTLP.
    let push_metrics = std::env::var("OTEL_METRICS_EXPORTER").map_or(true, |v| v.trim() != "none");
    if otlp_enabled() && push_metrics {
        let exporter = opentelemetry_otlp::MetricExporter::builder().with_tonic().build()?;
        builder = builder.with_periodic_exporter(exporter);
    }
    let provider = builder.build();
    opentelemetry::global::set_meter_provider(provider.clone());
    Ok(provider)
}

/// Builds a tracer provider exporting to OTLP when configured, or keeping spans in-process.
pub fn tracer_provider(service: &str) -> Result<SdkTracerProvider, Box<dyn std::error::Error + Send + Sync>> {
    let mut builder = SdkTracerProvider::builder().with_resource(resource(service));
    if otlp_enabled() {
        let exporter = opentelemetry_otlp::SpanExporter::builder().with_tonic().build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

/// Installs the global subscriber, propagator, tracer and meter providers, naming the process
/// `service` (`OTEL_SERVICE_NAME` wins when set). `RUST_LOG` filters (default `info`). Must run
/// inside a Tokio runtime.
pub fn init(format: LogFormat, service: &str) -> Result<Telemetry, Box<dyn std::error::Error + Send + Sync>> {
    let service =
        std::env::var("OTEL_SERVICE_NAME").ok().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| service.to_string());
    let tracer = tracer_provider(&service)?;
    let meter = init_metrics(&service)?;
    install_subscriber(format, tracer.clone());
    Ok(Telemetry { tracer, meter })
}

/// Installs the W3C propagator and the global `tracing` subscriber with an OpenTelemetry layer
/// feeding `provider`.
pub fn install_subscriber(format: LogFormat, provider: SdkTracerProvider) {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let tracer = provider.tracer("baton");
    opentelemetry::global::set_tracer_provider(provider);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = match format {
        LogFormat::Text => registry.with(tracing_subscriber::fmt::layer()).try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
    };
    if let Err(error) = result {
        eprintln!("a global subscriber was already installed: {error}");
    }
}

/// The metrics of this process in the Prometheus text format.
pub fn render_metrics() -> String {
    use prometheus::Encoder;
    let Some(registry) = REGISTRY.get() else { return String::new() };
    let mut out = Vec::new();
    if let Err(error) = prometheus::TextEncoder::new().encode(&registry.gather(), &mut out) {
        tracing::warn!(%error, "cannot encode metrics");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The W3C trace context of the current span, for a carrier such as an outbox row.
pub fn current_context_headers() -> HashMap<String, String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), &mut carrier);
    carrier
}

/// Writes the context of `span` into `carrier`.
pub fn inject(span: &tracing::Span, carrier: &mut dyn Injector) {
    TraceContextPropagator::new().inject_context(&span.context(), carrier);
}

/// Reads a W3C trace context from `carrier`.
pub fn extract(carrier: &dyn Extractor) -> Context {
    TraceContextPropagator::new().extract(carrier)
}

/// The remote context carried by stored or received W3C `traceparent`/`tracestate` values.
pub fn context_of(traceparent: Option<&str>, tracestate: Option<&str>) -> Context {
    let mut carrier = HashMap::new();
    if let Some(traceparent) = traceparent {
        carrier.insert("traceparent".to_string(), traceparent.to_string());
    }
    if let Some(tracestate) = tracestate {
        carrier.insert("tracestate".to_string(), tracestate.to_string());
    }
    extract(&MapCarrier(&carrier))
}

/// Makes `span` a child of `parent` when `parent` carries a valid remote context, and records
/// the trace id as the span's `trace_id` field (declare it `tracing::field::Empty`) so that
/// log lines inside the span carry it.
pub fn adopt(span: &tracing::Span, parent: Context) {
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
}

/// A carrier over a map of headers, for the propagator.
pub struct MapCarrier<'a>(pub &'a HashMap<String, String>);

impl Extractor for MapCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}
