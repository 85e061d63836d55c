//! Bearer tokens as the authentication layer checks them: whatever a caller puts after
//! `Bearer ` is verified against the test issuer's JWKS (and, as in development mode, the
//! development secret). Every token but a valid one is refused with a reason; none may panic.

#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

use baton_auth::{DEVELOPMENT_SECRET, Subject, Trust, Verifier};

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    let jwks = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/testkit/keys/jwks.json");
    let trust = Trust {
        issuer: "baton-tests".into(),
        audience: "baton".into(),
        leeway: Duration::from_secs(30),
        keys: baton_auth::read_jwks(std::path::Path::new(jwks)).expect("the test JWKS"),
        development_secret: Some(DEVELOPMENT_SECRET.into()),
    };
    Verifier::new(&trust).expect("a verifier")
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(rejection) = VERIFIER.verify(&text) {
        let _ = rejection.reason();
    }
    let _ = Subject::parse(&text);
});
