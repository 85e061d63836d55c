//! TLS on the gRPC listener and on the calls services make to each other (rustls).
//!
//! With `tls.cert_file` and `tls.key_file` set, the listener speaks only TLS. With
//! `tls.client_ca_file` set as well, a client certificate is verified against that CA whenever
//! one is presented (every client must present one when `tls.client_auth_required` is on), and a
//! service's token is accepted only over a connection that presented one: mutual TLS between
//! services, so that a service token copied off a host is no use without its certificate too.
//! Postgres and RabbitMQ take TLS from their URLs (`sslmode=verify-full&sslrootcert=…`,
//! `amqps://` with `amqp.tls_ca_file`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// How long a client may take over its TLS handshake: one that never finishes would otherwise
/// hold its connection slot.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// `tls.*`: the listener's certificate and the trust this process's gRPC clients use.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// The listener's certificate chain (PEM), leaf first; with `key_file`, turns TLS on.
    pub cert_file: Option<PathBuf>,
    /// The listener's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// The CA bundle (PEM) client certificates are verified against; set, services must
    /// present a certificate it signed with their tokens. Needs `cert_file`.
    pub client_ca_file: Option<PathBuf>,
    /// Every client must present a certificate (off: only services must, people use tokens).
    pub client_auth_required: bool,
    /// The CA bundle (PEM) that verifies the services this process calls over `https://`;
    /// unset, the system's roots.
    pub ca_file: Option<PathBuf>,
    /// The name in the listener's certificate that this process's services check when they call
    /// each other within the process.
    pub server_name: String,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            cert_file: None,
            key_file: None,
            client_ca_file: None,
            client_auth_required: false,
            ca_file: None,
            server_name: "localhost".into(),
        }
    }
}

/// A certificate, key or CA file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("tls.{key}: cannot read {}: {source}", path.display())]
pub struct TlsFileError {
    key: &'static str,
    path: PathBuf,
    source: std::io::Error,
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsFileError> {
    std::fs::read(path).map_err(|source| TlsFileError { key, path: path.to_path_buf(), source })
}

impl TlsConfig {
    /// Whether the listener speaks TLS.
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some()
    }

    /// Whether services must present a client certificate with their tokens.
    pub fn verifies_clients(&self) -> bool {
        self.client_ca_file.is_some()
    }

    /// What is wrong with these settings, if anything.
    pub fn problem(&self) -> Option<&'static str> {
        match self {
            Self { cert_file: Some(_), key_file: None, .. } | Self { cert_file: None, key_file: Some(_), .. } => {
                Some("tls.cert_file and tls.key_file are set together or not at all")
            }
            Self { cert_file: None, client_ca_file: Some(_), .. } => {
                Some("tls.client_ca_file needs tls.cert_file and tls.key_file: client certificates travel over TLS")
            }
            Self { client_ca_file: None, client_auth_required: true, .. } => {
                Some("tls.client_auth_required needs tls.client_ca_file to verify the certificates against")
            }
            Self { server_name, .. } if server_name.trim().is_empty() => Some("tls.server_name must not be empty"),
            _ => None,
        }
    }

    /// The listener's TLS, when it is on.
    pub fn server(&self) -> Result<Option<ServerTlsConfig>, TlsFileError> {
        let (Some(cert), Some(key)) = (&self.cert_file, &self.key_file) else {
            return Ok(None);
        };
        let identity = Identity::from_pem(read("cert_file", cert)?, read("key_file", key)?);
        let mut server = ServerTlsConfig::new().identity(identity).timeout(HANDSHAKE_TIMEOUT);
        if let Some(ca) = &self.client_ca_file {
            server = server
                .client_ca_root(Certificate::from_pem(read("client_ca_file", ca)?))
                .client_auth_optional(!self.client_auth_required);
        }
        Ok(Some(server))
    }

    /// The TLS of a call to another service at an `https://` endpoint: its certificate verified
    /// against `ca_file` (or the system's roots) for `domain` (or the endpoint's host), and this
    /// process's own certificate presented, when it has one, for mutual TLS.
    pub fn client(&self, domain: Option<&str>) -> Result<ClientTlsConfig, TlsFileError> {
        let mut client = ClientTlsConfig::new();
        client = match &self.ca_file {
            Some(ca) => client.ca_certificate(Certificate::from_pem(read("ca_file", ca)?)),
            None => client.with_native_roots(),
        };
        if let (Some(cert), Some(key)) = (&self.cert_file, &self.key_file) {
            client = client.identity(Identity::from_pem(read("cert_file", cert)?, read("key_file", key)?));
        }
        if let Some(domain) = domain {
            client = client.domain_name(domain);
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_configured_tls_is_refused() {
        let path = || Some(PathBuf::from("x.pem"));
        let ok = TlsConfig::default();
        assert_eq!(ok.problem(), None);
        assert!(!ok.enabled());
        let no_key = TlsConfig { cert_file: path(), ..TlsConfig::default() };
        assert!(no_key.problem().expect("no key").contains("together"));
        let no_cert = TlsConfig { key_file: path(), ..TlsConfig::default() };
        assert!(no_cert.problem().expect("no cert").contains("together"));
        let ca_without_tls = TlsConfig { client_ca_file: path(), ..TlsConfig::default() };
        assert!(ca_without_tls.problem().expect("plain").contains("client_ca_file"));
        let required_without_ca =
            TlsConfig { cert_file: path(), key_file: path(), client_auth_required: true, ..TlsConfig::default() };
        assert!(required_without_ca.problem().expect("no CA").contains("client_auth_required"));
        let mutual = TlsConfig { cert_file: path(), key_file: path(), client_ca_file: path(), ..TlsConfig::default() };
        assert_eq!(mutual.problem(), None);
        assert!(mutual.enabled() && mutual.verifies_clients());
    }

    #[test]
    fn a_missing_file_is_named_with_its_key() {
        let config = TlsConfig {
            cert_file: Some("/nonexistent/cert.pem".into()),
            key_file: Some("/nonexistent/key.pem".into()),
            ..TlsConfig::default()
        };
        let error = config.server().expect_err("no such file").to_string();
        assert!(error.starts_with("tls.cert_file: cannot read /nonexistent/cert.pem"), "{error}");
    }
}
