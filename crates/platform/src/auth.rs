//! Who is calling: the server layer that authenticates every call but health and reflection, and
//! the credentials a service presents when it calls another.
//!
//! A call carries a bearer JWT in `authorization` ([`baton_auth`] checks it). The layer records
//! the [`Caller`] (and the [`Actor`] events name) in the request's extensions, where handlers find
//! them. In development mode (off by default; the server warns when it is on) HS256 tokens signed
//! with the development secret pass too, and a call without a token may name its person in
//! `x-baton-actor`.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use baton_auth::{Minter, Subject, Trust, Verified, Verifier};
use http::{HeaderMap, Request, Response};
use serde::{Deserialize, Serialize};
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::{Code, Status};

use crate::Target;
use crate::actor::Actor;
use crate::error::{status, unauthenticated};
use crate::known::Bounded;
use crate::policy::{self, Access};

pub use baton_auth::{DEVELOPMENT_SECRET, GlobalRole as Role};

/// The metadata key a development caller may name its person in, `people/{uuid}`.
pub const ACTOR_METADATA_KEY: &str = "x-baton-actor";

/// How callers prove who they are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// The `iss` every token must carry.
    pub issuer: String,
    /// The `aud` every token must name.
    pub audience: String,
    /// A JWKS file holding the public keys (ES256 or RS256, each with a `kid`) of the identity
    /// provider and of the services. Required unless `development` is on.
    pub jwks_file: Option<PathBuf>,
    /// Clock skew tolerated on `exp` and `nbf`, at most 30 s.
    pub leeway_secs: u64,
    /// Development mode: HS256 tokens signed with `development_secret` pass, and a call without
    /// a token may name its person in `x-baton-actor`. Never on in production.
    pub development: bool,
    /// The HS256 secret of development mode.
    pub development_secret: String,
    /// The P-256 private key (PEM) this process signs its service tokens with, published in the
    /// JWKS as `signing_key_id`. Needed by a service that calls another (assets, projects)
    /// unless `development` is on.
    pub signing_key_file: Option<PathBuf>,
    /// The `kid` of `signing_key_file` in the JWKS.
    pub signing_key_id: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "baton".into(),
            audience: "baton".into(),
            jwks_file: None,
            leeway_secs: 30,
            development: false,
            development_secret: DEVELOPMENT_SECRET.into(),
            signing_key_file: None,
            signing_key_id: "baton-services".into(),
        }
    }
}

/// Who made a call, as its token (or, in development, `x-baton-actor`) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: Subject,
    /// The global roles the token asserts.
    pub roles: Vec<Role>,
    /// The token's `jti`, for the audit trail; none for a development `x-baton-actor`.
    pub token_id: Option<String>,
}

impl Caller {
    /// The caller of a request, as the layer recorded it (in the request's [`Access`]).
    pub fn of<T>(request: &tonic::Request<T>) -> Option<&Caller> {
        request.extensions().get::<Access>().map(Access::caller)
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    fn actor(&self) -> Actor {
        self.subject.person().map_or_else(Actor::anonymous, Actor::of_person)
    }
}

/// Verifies tokens, remembering the ones it verified until they expire: a caller presents the
/// same token on many calls, and a signature check costs far more than the lookup.
pub struct Authenticator {
    verifier: Verifier,
    development: bool,
    leeway: u64,
    verified: Bounded<String, Verified>,
    /// Service tokens count only over a connection that presented a verified client certificate
    /// (mutual TLS, `tls.client_ca_file`).
    service_certificates: bool,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("verifier", &self.verifier)
            .field("development", &self.development)
            .finish()
    }
}

/// How many verified tokens an authenticator remembers.
const VERIFIED_TOKENS: usize = 10_000;

impl Authenticator {
    pub fn new(config: &AuthConfig) -> Result<Self, crate::BuildError> {
        let keys = match &config.jwks_file {
            Some(path) => baton_auth::read_jwks(path)?,
            None if config.development => Default::default(),
            None => {
                return Err("auth.jwks_file (BATON_AUTH__JWKS_FILE) must name the JWKS that verifies tokens, \
                            unless auth.development is on"
                    .into());
            }
        };
        let trust = Trust {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway: Duration::from_secs(config.leeway_secs),
            keys,
            development_secret: config.development.then(|| config.development_secret.clone()),
        };
        let verifier = Verifier::new(&trust).map_err(|e| format!("auth: {e}"))?;
        Ok(Self {
            verifier,
            development: config.development,
            leeway: config.leeway_secs,
            verified: Bounded::with_capacity(VERIFIED_TOKENS),
            service_certificates: false,
        })
    }

    /// Accepts a service's token only with a verified client certificate on the connection.
    pub fn requiring_service_certificates(self, required: bool) -> Self {
        Self { service_certificates: required, ..self }
    }

    /// Refuses a service's token that came without a client certificate, when one is required.
    fn check_certificate(&self, caller: &Caller, certified: bool) -> Result<(), Status> {
        if self.service_certificates && matches!(caller.subject, Subject::Service(_)) && !certified {
            return Err(unauthenticated(
                "CLIENT_CERTIFICATE_REQUIRED",
                "a service's token is accepted only over mutual TLS: present the service's client certificate",
            ));
        }
        Ok(())
    }

    /// The caller of a call with these headers, or UNAUTHENTICATED saying why not.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, Status> {
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            return self.development_actor(headers);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| {
                unauthenticated("MALFORMED_AUTHORIZATION", "the authorization metadata must be `Bearer <token>`")
            })?;
        let verified = self.verify(token)?;
        Ok(Caller { subject: verified.subject, roles: verified.roles, token_id: verified.token_id })
    }

    fn verify(&self, token: &str) -> Result<Verified, Status> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        if let Some(verified) = self.verified.get(token)
            && now <= verified.expires_at.saturating_add(self.leeway)
        {
            return Ok(verified);
        }
        let verified = self
            .verifier
            .verify(token)
            .map_err(|rejection| unauthenticated(rejection.reason(), rejection.to_string()))?;
        self.verified.remember(token.to_string(), verified.clone());
        Ok(verified)
    }

    /// Without a token: in development, the person `x-baton-actor` names; otherwise nobody.
    fn development_actor(&self, headers: &HeaderMap) -> Result<Caller, Status> {
        let missing =
            || unauthenticated("MISSING_TOKEN", "this call needs a bearer token in the authorization metadata");
        if !self.development {
            return Err(missing());
        }
        let value = headers.get(ACTOR_METADATA_KEY).ok_or_else(missing)?;
        let subject = value.to_str().ok().and_then(Subject::parse).filter(|subject| subject.person().is_some());
        let subject = subject.ok_or_else(|| {
            unauthenticated(
                "INVALID_ACTOR",
                "the x-baton-actor metadata must be a person's resource name, people/{uuid}",
            )
        })?;
        Ok(Caller { subject, roles: vec![Role::Member], token_id: None })
    }
}

/// Calls that answer without a token: health and reflection.
fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

/// Authenticates every call but health and reflection and applies the call's [`policy`] rule as
/// far as the caller alone decides it: a call that fails is answered UNAUTHENTICATED (or
/// PERMISSION_DENIED) without reaching the service; one that passes carries its [`Access`].
#[derive(Debug, Clone)]
pub struct AuthLayer {
    authenticator: Arc<Authenticator>,
}

impl AuthLayer {
    pub fn new(authenticator: Arc<Authenticator>) -> Self {
        Self { authenticator }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { inner, authenticator: self.authenticator.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct AuthService<S> {
    inner: S,
    authenticator: Arc<Authenticator>,
}

impl<S, ReqBody> tower::Service<Request<ReqBody>> for AuthService<S>
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

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let path = request.uri().path();
        if !is_open(path) {
            let certified = request
                .extensions()
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(TlsConnectInfo::peer_certs)
                .is_some_and(|certs| !certs.is_empty());
            let authenticator = &self.authenticator;
            let admitted = authenticator.authenticate(request.headers()).and_then(|caller| {
                authenticator.check_certificate(&caller, certified)?;
                // A method without a rule is no method of Baton's: every RPC has one (tested).
                let rule = policy::rule(path).ok_or_else(|| {
                    status(Code::Unimplemented, "UNKNOWN_METHOD", format!("{path} is not a method of this server"))
                })?;
                rule.admit(&caller)?;
                Ok(Access::new(caller, rule))
            });
            match admitted {
                Ok(access) => {
                    request.extensions_mut().insert(access.caller().actor());
                    request.extensions_mut().insert(access);
                }
                Err(status) => return Box::pin(std::future::ready(Ok(status.into_http()))),
            }
        }
        Box::pin(self.inner.call(request))
    }
}

/// The bearer token a service presents when it calls another: `services/{target}`, signed with
/// the process's signing key (or the development secret), renewed before it expires.
#[derive(Debug, Clone)]
pub struct ServiceCredentials {
    minter: Arc<Minter>,
    subject: Subject,
    current: Arc<Mutex<Option<(AsciiMetadataValue, Instant)>>>,
}

/// How long a service token lives, and how long before its end it is renewed.
const SERVICE_TOKEN_TTL: Duration = Duration::from_secs(300);
const SERVICE_TOKEN_RENEWAL: Duration = Duration::from_secs(60);

impl ServiceCredentials {
    /// The credentials of `target`, or `None` when this process has no way to sign them.
    pub fn new(config: &AuthConfig, target: Target) -> Result<Option<Self>, crate::BuildError> {
        let minter = match &config.signing_key_file {
            Some(path) => Minter::es256_file(path, &config.signing_key_id, &config.issuer, &config.audience)?,
            None if config.development => {
                Minter::development(&config.development_secret, &config.issuer, &config.audience)?
            }
            None => return Ok(None),
        };
        let subject = Subject::Service(target.as_str().to_string());
        Ok(Some(Self { minter: Arc::new(minter), subject, current: Arc::default() }))
    }

    /// `Bearer <token>`, minting a new token when the current one is close to its end.
    pub fn authorization(&self) -> Result<AsciiMetadataValue, Status> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((value, renew_at)) = current.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(value.clone());
        }
        let token = self.minter.mint(&self.subject, &[], SERVICE_TOKEN_TTL).map_err(|e| {
            tracing::error!(error = %e, "cannot sign a service token");
            status(Code::Internal, "INTERNAL", "internal error")
        })?;
        let value: AsciiMetadataValue = MetadataValue::try_from(format!("Bearer {token}"))
            .map_err(|_| status(Code::Internal, "INTERNAL", "internal error"))?;
        *current = Some((value.clone(), Instant::now() + SERVICE_TOKEN_TTL - SERVICE_TOKEN_RENEWAL));
        Ok(value)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn development() -> Authenticator {
        Authenticator::new(&AuthConfig { development: true, ..AuthConfig::default() }).unwrap()
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (key, value) in pairs {
            headers.insert(*key, value.parse().unwrap());
        }
        headers
    }

    fn reason(status: &Status) -> String {
        use tonic_types::StatusExt;
        status.get_error_details().error_info().map(|info| info.reason.clone()).unwrap_or_default()
    }

    #[test]
    fn production_needs_a_jwks() {
        let error = Authenticator::new(&AuthConfig::default()).unwrap_err().to_string();
        assert!(error.contains("auth.jwks_file"), "{error}");
    }

    #[test]
    fn the_actor_header_counts_only_in_development() {
        let id = uuid::Uuid::new_v4();
        let named = headers(&[(ACTOR_METADATA_KEY, format!("people/{id}"))]);
        let caller = development().authenticate(&named).unwrap();
        assert_eq!(caller.subject, Subject::Person(id));
        assert_eq!(caller.actor(), Actor::of_person(id));

        let jwks = concat!(env!("CARGO_MANIFEST_DIR"), "/../testkit/keys/jwks.json");
        let strict = Authenticator::new(&AuthConfig { jwks_file: Some(jwks.into()), ..AuthConfig::default() }).unwrap();
        let status = strict.authenticate(&named).unwrap_err();
        assert_eq!((status.code(), reason(&status).as_str()), (Code::Unauthenticated, "MISSING_TOKEN"));

        let malformed = headers(&[(ACTOR_METADATA_KEY, "bob".into())]);
        assert_eq!(reason(&development().authenticate(&malformed).unwrap_err()), "INVALID_ACTOR");
        assert_eq!(reason(&development().authenticate(&HeaderMap::new()).unwrap_err()), "MISSING_TOKEN");
    }

    #[test]
    fn a_token_beats_the_header_and_is_remembered() {
        let authenticator = development();
        let credentials =
            ServiceCredentials::new(&AuthConfig { development: true, ..AuthConfig::default() }, Target::Assets)
                .unwrap()
                .expect("development credentials");
        let bearer = credentials.authorization().unwrap();
        assert_eq!(credentials.authorization().unwrap(), bearer, "the token is reused until renewal");
        let with_both = headers(&[
            ("authorization", bearer.to_str().unwrap().to_string()),
            (ACTOR_METADATA_KEY, format!("people/{}", uuid::Uuid::new_v4())),
        ]);
        let caller = authenticator.authenticate(&with_both).unwrap();
        assert_eq!(caller.subject, Subject::Service("assets".into()));
        assert_eq!(caller.actor(), Actor::anonymous());
        assert!(authenticator.verified.contains(&bearer.to_str().unwrap()["Bearer ".len()..].to_string()));
        assert_eq!(authenticator.authenticate(&with_both).unwrap(), caller);

        let garbled = headers(&[("authorization", "Basic dXNlcjpwYXNz".into())]);
        assert_eq!(reason(&authenticator.authenticate(&garbled).unwrap_err()), "MALFORMED_AUTHORIZATION");
    }
}
