//! Logging and tracing: `tracing` with an OpenTelemetry layer always installed, text or JSON logs.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Keeps the tracer provider alive; flushes spans when dropped.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            eprintln!("telemetry shutdown failed: {error}");
        }
    }
}

/// Installs the global subscriber. `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) -> Telemetry {
    let provider = SdkTracerProvider::builder().build();
    let tracer = provider.tracer("baton");
    opentelemetry::global::set_tracer_provider(provider.clone());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = match format {
        LogFormat::Text => registry.with(tracing_subscriber::fmt::layer()).try_init(),
        LogFormat::Json => registry
            .with(tracing_subscriber::fmt::layer().json().flatten_event(true).with_current_span(true))
            .try_init(),
    };
    if let Err(error) = result {
        eprintln!("a global subscriber was already installed: {error}");
    }
    Telemetry { provider }
}
