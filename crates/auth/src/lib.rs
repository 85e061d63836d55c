//! Bearer tokens of Baton.
//!
//! A caller proves who it is with a JSON Web Token in `authorization: Bearer …`. The token's
//! subject is a person (`people/{uuid}`) or a Baton service (`services/{target}`), and it may
//! carry the person's global roles (`roles`, asserted by the identity provider). Tokens are
//! signed with ES256 or RS256 by keys published in a JWKS; HS256 with a shared secret is
//! accepted only by a server in development mode.
//!
//! [`Verifier`] checks a token (signature, `exp`, `nbf`, `iss`, `aud`, leeway ≤ 30 s) and says
//! why it refuses one; [`Minter`] signs tokens, for services calling each other, for tests and
//! for development.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The HS256 secret of development servers and tools when none is configured. It is public, so a
/// server accepts it only in development mode.
pub const DEVELOPMENT_SECRET: &str = "baton-development-only: never accept tokens signed with this in production";

/// The most clock skew a verifier tolerates on `exp` and `nbf`.
pub const MAX_LEEWAY: Duration = Duration::from_secs(30);

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A person of Baton, `people/{uuid}`.
    Person(Uuid),
    /// A Baton service calling another, `services/{target}`.
    Service(String),
}

impl Subject {
    /// Parses the canonical form only: `people/` and a lowercase hyphenated UUID, or
    /// `services/` and a lowercase service name.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(id) = text.strip_prefix("people/") {
            let uuid = Uuid::try_parse(id).ok()?;
            return (uuid.hyphenated().to_string() == id).then_some(Subject::Person(uuid));
        }
        let service = text.strip_prefix("services/")?;
        let valid = !service.is_empty() && service.len() <= 32 && service.bytes().all(|b| b.is_ascii_lowercase());
        valid.then(|| Subject::Service(service.to_string()))
    }

    /// The person, when the subject is one.
    pub fn person(&self) -> Option<Uuid> {
        match self {
            Subject::Person(id) => Some(*id),
            Subject::Service(_) => None,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Person(id) => write!(f, "people/{id}"),
            Subject::Service(name) => write!(f, "services/{name}"),
        }
    }
}

/// What a person may do across Baton, whatever their part in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GlobalRole {
    /// Runs the installation: everything, everywhere.
    Admin,
    /// Runs client projects: creates them and manages their teams.
    Producer,
    /// Works in the agency: acts on the projects they are on.
    Member,
    /// Works for a client: sees only what is shown to that client.
    ClientContact,
}

impl GlobalRole {
    pub const ALL: [GlobalRole; 4] =
        [GlobalRole::Admin, GlobalRole::Producer, GlobalRole::Member, GlobalRole::ClientContact];

    /// The role's name in tokens: `admin`, `producer`, `member`, `client_contact`.
    pub fn as_str(self) -> &'static str {
        match self {
            GlobalRole::Admin => "admin",
            GlobalRole::Producer => "producer",
            GlobalRole::Member => "member",
            GlobalRole::ClientContact => "client_contact",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl fmt::Display for GlobalRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub subject: Subject,
    /// The global roles the token asserts that Baton knows (others are ignored).
    pub roles: Vec<GlobalRole>,
    /// The token's `jti`, for the audit trail.
    pub token_id: Option<String>,
    /// `exp`, in seconds since the Unix epoch.
    pub expires_at: u64,
}

/// Why a token was refused. [`Rejection::reason`] is the `ErrorInfo` reason a caller sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the token is not a JWT: {0}")]
    Malformed(String),
    #[error("the token's algorithm {0} is not accepted here")]
    Algorithm(String),
    #[error("the token names no signing key this server knows (kid {0:?})")]
    UnknownKey(Option<String>),
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token was issued by someone this server does not trust (iss)")]
    Issuer,
    #[error("the token is meant for another audience (aud)")]
    Audience,
    #[error("the token lacks the {0} claim")]
    MissingClaim(String),
    #[error("the token's subject must be people/{{uuid}} or services/{{name}}")]
    Subject,
}

impl Rejection {
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "MALFORMED_TOKEN",
            Rejection::Algorithm(_) => "UNSUPPORTED_TOKEN_ALGORITHM",
            Rejection::UnknownKey(_) => "UNKNOWN_TOKEN_KEY",
            Rejection::Signature => "BAD_TOKEN_SIGNATURE",
            Rejection::Expired => "TOKEN_EXPIRED",
            Rejection::NotYetValid => "TOKEN_NOT_YET_VALID",
            Rejection::Issuer => "WRONG_TOKEN_ISSUER",
            Rejection::Audience => "WRONG_TOKEN_AUDIENCE",
            Rejection::MissingClaim(_) => "MISSING_TOKEN_CLAIM",
            Rejection::Subject => "BAD_TOKEN_SUBJECT",
        }
    }
}

/// A key set or key that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(String);

/// Reads a JWKS (`{"keys": [...]}`) from a file.
pub fn read_jwks(path: &Path) -> Result<JwkSet, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| KeyError(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| KeyError(format!("{} is not a JWKS: {e}", path.display())))
}

/// Whom a verifier trusts and how strictly.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The expected `iss`.
    pub issuer: String,
    /// The expected `aud` (the token may name others besides).
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, at most [`MAX_LEEWAY`].
    pub leeway: Duration,
    /// ES256 and RS256 public keys, found by the token's `kid`.
    pub keys: JwkSet,
    /// The HS256 secret accepted in development mode; `None` refuses HS256 altogether.
    pub development_secret: Option<String>,
}

/// Checks bearer tokens.
pub struct Verifier {
    keys: HashMap<String, (DecodingKey, Validation)>,
    /// The only key, used for tokens without a `kid`.
    single: Option<String>,
    development: Option<(DecodingKey, Validation)>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .field("development", &self.development.is_some())
            .finish()
    }
}

impl Verifier {
    pub fn new(trust: &Trust) -> Result<Self, KeyError> {
        if trust.leeway > MAX_LEEWAY {
            return Err(KeyError(format!("the leeway may be at most {} s", MAX_LEEWAY.as_secs())));
        }
        let validation = |algorithm: Algorithm| {
            let mut validation = Validation::new(algorithm);
            validation.leeway = trust.leeway.as_secs();
            validation.validate_nbf = true;
            validation.set_issuer(&[&trust.issuer]);
            validation.set_audience(&[&trust.audience]);
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            validation
        };
        let mut keys = HashMap::new();
        for jwk in &trust.keys.keys {
            let kid = jwk.common.key_id.clone().ok_or_else(|| KeyError("every key of the JWKS needs a kid".into()))?;
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => Algorithm::ES256,
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                _ => return Err(KeyError(format!("key {kid}: only P-256 (ES256) and RSA (RS256) keys are accepted"))),
            };
            if let Some(declared) = jwk.common.key_algorithm
                && Algorithm::try_from(declared).ok() != Some(algorithm)
            {
                return Err(KeyError(format!("key {kid}: alg {declared:?} does not fit the key; use ES256 or RS256")));
            }
            let key = DecodingKey::from_jwk(jwk).map_err(|e| KeyError(format!("key {kid}: {e}")))?;
            keys.insert(kid, (key, validation(algorithm)));
        }
        let single = if keys.len() == 1 { keys.keys().next().cloned() } else { None };
        let development = match &trust.development_secret {
            Some(secret) => {
                let key = DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|e| KeyError(format!("the development secret: {e}")))?;
                Some((key, validation(Algorithm::HS256)))
            }
            None => None,
        };
        if keys.is_empty() && development.is_none() {
            return Err(KeyError("no key to verify tokens with: give a JWKS or turn development mode on".into()));
        }
        Ok(Self { keys, single, development })
    }

    /// Checks `token` (without the `Bearer ` prefix).
    pub fn verify(&self, token: &str) -> Result<Verified, Rejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| Rejection::Malformed(e.to_string()))?;
        let (key, validation) = match header.alg {
            Algorithm::HS256 => {
                self.development.as_ref().ok_or_else(|| Rejection::Algorithm(format!("{:?}", header.alg)))?
            }
            Algorithm::ES256 | Algorithm::RS256 => {
                let kid = header.kid.as_deref().or(self.single.as_deref());
                kid.and_then(|kid| self.keys.get(kid)).ok_or_else(|| Rejection::UnknownKey(header.kid.clone()))?
            }
            other => return Err(Rejection::Algorithm(format!("{other:?}"))),
        };
        if !validation.algorithms.contains(&header.alg) {
            return Err(Rejection::Algorithm(format!("{:?}", header.alg)));
        }
        let data = jsonwebtoken::decode::<TokenClaims>(token, key, validation).map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => Rejection::Signature,
            ErrorKind::ExpiredSignature => Rejection::Expired,
            ErrorKind::ImmatureSignature => Rejection::NotYetValid,
            ErrorKind::InvalidIssuer => Rejection::Issuer,
            ErrorKind::InvalidAudience => Rejection::Audience,
            ErrorKind::MissingRequiredClaim(claim) => Rejection::MissingClaim(claim.clone()),
            ErrorKind::InvalidAlgorithm => Rejection::Algorithm(format!("{:?}", header.alg)),
            _ => Rejection::Malformed(e.to_string()),
        })?;
        let claims = data.claims;
        let subject = Subject::parse(&claims.sub).ok_or(Rejection::Subject)?;
        let mut roles: Vec<GlobalRole> = claims.roles.iter().filter_map(|role| GlobalRole::parse(role)).collect();
        roles.sort_unstable();
        roles.dedup();
        Ok(Verified { subject, roles, token_id: claims.jti, expires_at: claims.exp })
    }
}

/// The claims Baton reads; the library checks `exp`, `nbf`, `iss` and `aud` itself.
#[derive(Debug, Deserialize)]
struct TokenClaims {
    sub: String,
    exp: u64,
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

/// The claims Baton writes.
#[derive(Debug, Serialize)]
struct MintedClaims<'a> {
    sub: String,
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<&'static str>,
}

/// Signs tokens: ES256 with a private key (services, tests), or HS256 with the development secret.
pub struct Minter {
    key: EncodingKey,
    header: Header,
    issuer: String,
    audience: String,
}

impl fmt::Debug for Minter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minter").field("alg", &self.header.alg).field("kid", &self.header.kid).finish()
    }
}

impl Minter {
    /// HS256 with a shared secret: development servers only.
    pub fn development(secret: &str, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        let key = EncodingKey::from_secret(secret.as_bytes()).map_err(|e| KeyError(e.to_string()))?;
        Ok(Self { key, header: Header::new(Algorithm::HS256), issuer: issuer.into(), audience: audience.into() })
    }

    /// ES256 with a P-256 private key in PEM (PKCS#8 or SEC1), published in the JWKS as `kid`.
    pub fn es256(pem: &[u8], kid: &str, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        let key =
            EncodingKey::from_ec_pem(pem).map_err(|e| KeyError(format!("not a P-256 private key in PEM: {e}")))?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        Ok(Self { key, header, issuer: issuer.into(), audience: audience.into() })
    }

    /// Reads an ES256 key from a PEM file.
    pub fn es256_file(path: &Path, kid: &str, issuer: &str, audience: &str) -> Result<Self, KeyError> {
        let pem = std::fs::read(path).map_err(|e| KeyError(format!("cannot read {}: {e}", path.display())))?;
        Self::es256(&pem, kid, issuer, audience).map_err(|KeyError(e)| KeyError(format!("{}: {e}", path.display())))
    }

    /// A token for `subject` with `roles`, valid from now for `ttl`.
    pub fn mint(&self, subject: &Subject, roles: &[GlobalRole], ttl: Duration) -> Result<String, KeyError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        self.mint_at(subject, roles, now, now + ttl.as_secs())
    }

    /// A token valid from `not_before` until `expires_at` (seconds since the Unix epoch).
    pub fn mint_at(
        &self,
        subject: &Subject,
        roles: &[GlobalRole],
        not_before: u64,
        expires_at: u64,
    ) -> Result<String, KeyError> {
        let claims = MintedClaims {
            sub: subject.to_string(),
            iss: &self.issuer,
            aud: &self.audience,
            iat: not_before,
            nbf: not_before,
            exp: expires_at,
            jti: Uuid::new_v4().to_string(),
            roles: roles.iter().map(|role| role.as_str()).collect(),
        };
        jsonwebtoken::encode(&self.header, &claims, &self.key).map_err(|e| KeyError(format!("cannot sign: {e}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // A throwaway P-256 key pair made for these tests only.
    const PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNOFkjxjUflTJq8Cb
25MSeE92aPG/ZFdXG1wJW2T1+MuhRANCAART3RIXyawmQB5sd9ELI7Izn/XsCXCF
58SqTuoWv2jJ4WPqLGFJ8nAJ+I8K9q+CW08v/vfN9HuGxh4se71xFCh8
-----END PRIVATE KEY-----
";
    const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k1",
        "x":"U90SF8msJkAebHfRCyOyM5_17AlwhefEqk7qFr9oyeE","y":"Y-osYUnycAn4jwr2r4JbTy_-9830e4bGHix7vXEUKHw"}]}"#;

    fn trust(development: bool) -> Trust {
        Trust {
            issuer: "baton".into(),
            audience: "baton".into(),
            leeway: Duration::from_secs(5),
            keys: serde_json::from_str(JWKS).unwrap(),
            development_secret: development.then(|| DEVELOPMENT_SECRET.to_string()),
        }
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    fn person() -> Subject {
        Subject::Person(Uuid::new_v4())
    }

    #[test]
    fn accepts_a_good_es256_token_with_its_roles() {
        let verifier = Verifier::new(&trust(false)).unwrap();
        let minter = Minter::es256(PEM.as_bytes(), "k1", "baton", "baton").unwrap();
        let subject = person();
        let token = minter
            .mint(&subject, &[GlobalRole::Producer, GlobalRole::Admin, GlobalRole::Producer], Duration::from_secs(60))
            .unwrap();
        let verified = verifier.verify(&token).unwrap();
        assert_eq!(verified.subject, subject);
        assert_eq!(verified.roles, [GlobalRole::Admin, GlobalRole::Producer]);
        assert!(verified.token_id.is_some());
    }

    #[test]
    fn refuses_each_broken_claim_with_its_reason() {
        let verifier = Verifier::new(&trust(false)).unwrap();
        let minter = Minter::es256(PEM.as_bytes(), "k1", "baton", "baton").unwrap();
        let t = now();
        let reason = |token: String| verifier.verify(&token).unwrap_err().reason();
        assert_eq!(reason(minter.mint_at(&person(), &[], t - 120, t - 60).unwrap()), "TOKEN_EXPIRED");
        assert_eq!(reason(minter.mint_at(&person(), &[], t + 60, t + 120).unwrap()), "TOKEN_NOT_YET_VALID");
        // Within the leeway, both still pass.
        verifier.verify(&minter.mint_at(&person(), &[], t + 3, t + 60).unwrap()).unwrap();
        verifier.verify(&minter.mint_at(&person(), &[], t - 60, t - 3).unwrap()).unwrap();
        let other_issuer = Minter::es256(PEM.as_bytes(), "k1", "someone-else", "baton").unwrap();
        assert_eq!(reason(other_issuer.mint(&person(), &[], Duration::from_secs(60)).unwrap()), "WRONG_TOKEN_ISSUER");
        let other_audience = Minter::es256(PEM.as_bytes(), "k1", "baton", "billing").unwrap();
        assert_eq!(
            reason(other_audience.mint(&person(), &[], Duration::from_secs(60)).unwrap()),
            "WRONG_TOKEN_AUDIENCE"
        );
        let unknown_kid = Minter::es256(PEM.as_bytes(), "k2", "baton", "baton").unwrap();
        assert_eq!(reason(unknown_kid.mint(&person(), &[], Duration::from_secs(60)).unwrap()), "UNKNOWN_TOKEN_KEY");
        let bad_subject = Subject::Service("Not Canonical".into());
        assert_eq!(reason(minter.mint(&bad_subject, &[], Duration::from_secs(60)).unwrap()), "BAD_TOKEN_SUBJECT");
        assert_eq!(reason("not.a.jwt".into()), "MALFORMED_TOKEN");
    }

    #[test]
    fn a_changed_payload_breaks_the_signature() {
        let verifier = Verifier::new(&trust(false)).unwrap();
        let minter = Minter::es256(PEM.as_bytes(), "k1", "baton", "baton").unwrap();
        let token = minter.mint(&person(), &[GlobalRole::Member], Duration::from_secs(60)).unwrap();
        let forged = minter.mint(&person(), &[GlobalRole::Admin], Duration::from_secs(60)).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = forged.split('.').nth(1).unwrap();
        assert_eq!(verifier.verify(&parts.join(".")).unwrap_err().reason(), "BAD_TOKEN_SIGNATURE");
    }

    #[test]
    fn hs256_and_none_only_where_allowed() {
        let development = Minter::development(DEVELOPMENT_SECRET, "baton", "baton").unwrap();
        let token = development.mint(&person(), &[], Duration::from_secs(60)).unwrap();
        let strict = Verifier::new(&trust(false)).unwrap();
        assert_eq!(strict.verify(&token).unwrap_err().reason(), "UNSUPPORTED_TOKEN_ALGORITHM");
        Verifier::new(&trust(true)).unwrap().verify(&token).unwrap();
        // alg "none", signature stripped.
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(strict.verify(&none).unwrap_err().reason(), "MALFORMED_TOKEN");
        // An HS256 token "signed" with the published public key (key confusion) is refused too.
        let confused = Minter::development(JWKS, "baton", "baton").unwrap();
        let token = confused.mint(&person(), &[], Duration::from_secs(60)).unwrap();
        assert_eq!(strict.verify(&token).unwrap_err().reason(), "UNSUPPORTED_TOKEN_ALGORITHM");
    }

    #[test]
    fn subjects_have_one_canonical_form() {
        let id = Uuid::new_v4();
        assert_eq!(Subject::parse(&format!("people/{id}")), Some(Subject::Person(id)));
        assert_eq!(Subject::parse(&format!("people/{}", id.simple())), None);
        assert_eq!(Subject::parse(&format!("people/{}", id.to_string().to_uppercase())), None);
        assert_eq!(Subject::parse(&format!("people/{}", id.urn())), None);
        assert_eq!(Subject::parse("services/assets"), Some(Subject::Service("assets".into())));
        assert_eq!(Subject::parse("services/"), None);
        assert_eq!(Subject::parse("robots/1"), None);
    }

    #[test]
    fn leeway_is_bounded() {
        let mut loose = trust(false);
        loose.leeway = Duration::from_secs(31);
        assert!(Verifier::new(&loose).is_err());
    }
}
