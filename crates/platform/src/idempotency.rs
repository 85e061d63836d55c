//! Idempotency keys (AIP-155) bound to their request: a `request_id` replays the first response
//! only to the caller that sent it, for the same request. Anyone else — another caller, or the
//! same caller with a different body — is refused (FAILED_PRECONDITION, `REQUEST_ID_REUSED`)
//! and learns nothing of the first call.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::Caller;

/// What a request said and who said it, as a SHA-256 over the caller's subject and the request
/// message's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of `message` sent by `caller` (its subject).
    fn new(caller: &str, message: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update((caller.len() as u64).to_be_bytes());
        hash.update(caller.as_bytes());
        hash.update(message);
        Self(hash.finalize().into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Where a write comes from: who sent it (with their token's id, for the audit trail), what they
/// sent, and its `request_id`. Taken at the gRPC edge, handed to the use case, and written by
/// its mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The caller's subject, `people/{id}` or `services/{name}`.
    pub actor: String,
    /// The caller's token's `jti`.
    pub token_id: Option<String>,
    fingerprint: Fingerprint,
    request_id: Option<Uuid>,
}

impl Origin {
    /// The origin of `request` (its caller as the authentication layer recorded it).
    pub fn of<T: prost::Message>(request: &tonic::Request<T>) -> Self {
        let caller = Caller::of(request);
        let actor = caller.map(|caller| caller.subject.to_string()).unwrap_or_default();
        let fingerprint = Fingerprint::new(&actor, &request.get_ref().encode_to_vec());
        Self { actor, token_id: caller.and_then(|caller| caller.token_id.clone()), fingerprint, request_id: None }
    }

    /// The origin of a write a service makes on its own (not for a caller), as `services/{name}`:
    /// `what` is hashed as its body.
    pub fn service(name: &str, what: &[u8]) -> Self {
        let actor = format!("services/{name}");
        let fingerprint = Fingerprint::new(&actor, what);
        Self { actor, token_id: None, fingerprint, request_id: None }
    }

    /// The same origin with the request's `request_id`, once parsed.
    pub fn with_request_id(mut self, request_id: Option<Uuid>) -> Self {
        self.request_id = request_id;
        self
    }

    /// The request's `request_id`, its idempotency key, if it has one.
    pub fn request_id(&self) -> Option<Uuid> {
        self.request_id
    }

    /// What the request said and who said it: a `request_id` replays only to the same.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_and_the_body_both_count() {
        let base = Fingerprint::new("people/a", b"body");
        assert_eq!(base, Fingerprint::new("people/a", b"body"));
        assert_ne!(base, Fingerprint::new("people/b", b"body"));
        assert_ne!(base, Fingerprint::new("people/a", b"other"));
        // The caller's length is hashed too: no shifting bytes between caller and body.
        assert_ne!(Fingerprint::new("people/ab", b"c"), Fingerprint::new("people/a", b"bc"));
    }
}
