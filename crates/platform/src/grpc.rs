//! gRPC plumbing shared by every service: the server layer that traces and measures each call,
//! and the client interceptor that carries the service's token and the trace context to the next
//! service.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Instant;

use http::{HeaderMap, Request, Response};
use opentelemetry::KeyValue;
use opentelemetry::propagation::{Extractor, Injector};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tracing::Instrument;

use crate::metrics::metrics;
use crate::telemetry;

/// A channel to another Baton service whose calls carry the calling service's token and the
/// caller's trace context.
pub type TracedChannel = InterceptedService<tonic::transport::Channel, Outgoing>;

/// Writes the calling service's bearer token and the current span's W3C trace context into
/// every outgoing call's metadata.
#[derive(Debug, Clone)]
pub struct Outgoing {
    credentials: crate::auth::ServiceCredentials,
}

impl Outgoing {
    pub fn new(credentials: crate::auth::ServiceCredentials) -> Self {
        Self { credentials }
    }
}

impl Interceptor for Outgoing {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        let authorization = self.credentials.authorization()?;
        request.metadata_mut().insert("authorization", authorization);
        telemetry::inject(&tracing::Span::current(), &mut MetadataInjector(request.metadata_mut()));
        Ok(request)
    }
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (MetadataKey::from_bytes(key.as_bytes()), MetadataValue::try_from(value.as_str()))
        {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Traces (OpenTelemetry RPC semantic conventions, continuing the caller's `traceparent`) and
/// measures every call: `baton.rpc.requests` by code and `baton.rpc.duration`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcLayer;

impl<S> tower::Layer<S> for RpcLayer {
    type Service = RpcService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcService { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RpcService<S> {
    inner: S,
}

/// The gRPC code of a response whose status is in its headers (trailers-only responses carry
/// errors that way); a status sent in trailers after a body is taken as OK.
fn response_code(headers: &HeaderMap) -> i32 {
    headers.get("grpc-status").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Codes that mean the server failed, per the semantic conventions for gRPC server spans.
fn is_server_error(code: tonic::Code) -> bool {
    use tonic::Code::*;
    matches!(code, Unknown | DeadlineExceeded | Unimplemented | Internal | Unavailable | DataLoss)
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for RpcService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let full_path = request.uri().path();
        let path = full_path.trim_start_matches('/');
        // Labels name only methods that exist: any caller can send any path, and every label
        // value is a metric series kept for the life of the process.
        let known = crate::policy::rule(full_path).is_some()
            || path.starts_with("grpc.health.")
            || path.starts_with("grpc.reflection.");
        let (service, method) = match path.split_once('/') {
            Some((service, method)) if known => (service.to_string(), method.to_string()),
            _ => ("unknown".to_string(), "unknown".to_string()),
        };
        let traced = !service.starts_with("grpc.");
        let span = if traced {
            let span = tracing::info_span!(
                "rpc",
                otel.name = %format!("{service}/{method}"),
                otel.kind = "server",
                otel.status_code = tracing::field::Empty,
                rpc.system = "grpc",
                rpc.service = %service,
                rpc.method = %method,
                rpc.grpc.status_code = tracing::field::Empty,
                trace_id = tracing::field::Empty,
            );
            telemetry::adopt(&span, telemetry::extract(&HeaderExtractor(request.headers())));
            span
        } else {
            tracing::Span::none()
        };
        let started = Instant::now();
        let future = self.inner.call(request);
        Box::pin(
            async move {
                let result = future.await;
                let code = match &result {
                    Ok(response) => response_code(response.headers()),
                    Err(_) => tonic::Code::Internal as i32,
                };
                let status = tonic::Code::from_i32(code);
                let span = tracing::Span::current();
                span.record("rpc.grpc.status_code", code);
                if is_server_error(status) {
                    span.record("otel.status_code", "ERROR");
                }
                let m = metrics();
                let service = KeyValue::new("service", service);
                let method = KeyValue::new("method", method);
                m.rpc_duration.record(started.elapsed().as_secs_f64(), &[service.clone(), method.clone()]);
                m.rpc_requests.add(1, &[service, method, KeyValue::new("code", format!("{status:?}"))]);
                result
            }
            .instrument(span),
        )
    }
}
