//! The TLS side of `SSL_GET`: one shared rustls client configuration per client identity,
//! built once and reused by every check (never rebuilt per probe).
//!
//! keepalived never verifies the server's certificate (it loads the `SSL { ca }` file but does
//! not turn on peer verification), so neither does kac: the chain is not checked, while the
//! handshake signatures still are (the server must hold the key of the certificate it sends).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::hash::HashAlgorithm;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme, SupportedCipherSuite};

/// A client certificate and its key (`SSL { certificate; key }`), PEM files.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientIdentity {
    /// The certificate chain.
    pub certificate: PathBuf,
    /// The private key (unencrypted).
    pub key: PathBuf,
}

/// Why a TLS client configuration cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsConfigError {
    /// A PEM file cannot be read or holds nothing usable.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the certificate and key pair.
    #[error("client certificate: {0}")]
    Identity(String),
}

/// Accepts any server certificate (keepalived's behaviour), checking only the handshake
/// signatures with the provider's algorithms.
#[derive(Debug)]
struct AnyServerCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The hash of a cipher suite.
fn suite_hash(suite: &SupportedCipherSuite) -> HashAlgorithm {
    match suite {
        SupportedCipherSuite::Tls13(s) => s.common.hash_provider.algorithm(),
        SupportedCipherSuite::Tls12(s) => s.common.hash_provider.algorithm(),
    }
}

/// ring's provider with the cipher suites hashed with SHA-256 offered first (servers mostly
/// follow the client's order). A full handshake hashes its transcript and derives its keys
/// with the suite's hash: SHA-256 runs on the CPU's SHA instructions where it has them, while
/// SHA-384 (the default first suite, AES-256-GCM) is software only, and cost a health check
/// several percent more CPU. Every suite stays offered. The key exchange keeps X25519 first
/// (rustls sends one key share, for the first group): the group servers prefer, so no
/// HelloRetryRequest round trip.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| {
        let mut provider = rustls::crypto::ring::default_provider();
        provider
            .cipher_suites
            .sort_by_key(|s| suite_hash(s) != HashAlgorithm::SHA256);
        Arc::new(provider)
    }))
}

fn build(identity: Option<&ClientIdentity>) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let provider = provider();
    let verifier = Arc::new(AnyServerCertificate {
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::Identity(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(id) => {
            let pem_err = |path: &PathBuf, e: &dyn std::fmt::Display| TlsConfigError::Pem {
                path: path.display().to_string(),
                reason: e.to_string(),
            };
            let certs = CertificateDer::pem_file_iter(&id.certificate)
                .map_err(|e| pem_err(&id.certificate, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| pem_err(&id.certificate, &e))?;
            if certs.is_empty() {
                return Err(pem_err(&id.certificate, &"no certificate in the file"));
            }
            let key = PrivateKeyDer::from_pem_file(&id.key).map_err(|e| pem_err(&id.key, &e))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| TlsConfigError::Identity(e.to_string()))?
        }
    };
    // Resume sessions with up to this many servers (rustls keeps 256 by default): a resumed
    // handshake skips the certificate signature, the bulk of a check's cost.
    config.resumption = rustls::client::Resumption::in_memory_sessions(SESSION_CACHE);
    Ok(Arc::new(config))
}

/// TLS sessions kept for resumption (one or two per checked server).
const SESSION_CACHE: usize = 16 * 1024;

/// The shared client configuration for `identity`: built on first use, then the same `Arc`
/// for every checker with that identity.
pub fn client_config(
    identity: Option<&ClientIdentity>,
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    static CONFIGS: OnceLock<Mutex<HashMap<Option<ClientIdentity>, Arc<ClientConfig>>>> =
        OnceLock::new();
    let configs = CONFIGS.get_or_init(|| Mutex::new(HashMap::new()));
    let key = identity.cloned();
    if let Some(c) = configs.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(Arc::clone(c));
    }
    let config = build(identity)?;
    configs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, Arc::clone(&config));
    Ok(config)
}

#[cfg(test)]
mod tests {
    use rustls::{CipherSuite, NamedGroup};

    use super::*;

    #[test]
    fn sha256_suites_come_first_and_every_suite_and_group_stays_offered() {
        let ours = provider();
        let ring = rustls::crypto::ring::default_provider();
        let names = |p: &CryptoProvider| {
            let mut v: Vec<CipherSuite> = p.cipher_suites.iter().map(|s| s.suite()).collect();
            v.sort_by_key(|s| u16::from(*s));
            v
        };
        assert_eq!(names(&ours), names(&ring));
        assert_eq!(
            ours.cipher_suites[0].suite(),
            CipherSuite::TLS13_AES_128_GCM_SHA256
        );
        let hashes: Vec<bool> = ours
            .cipher_suites
            .iter()
            .map(|s| suite_hash(s) == HashAlgorithm::SHA256)
            .collect();
        assert!(hashes.is_sorted_by(|a, b| a >= b), "{hashes:?}");
        assert!(hashes.contains(&false), "SHA-384 suites are still offered");
        let groups: Vec<NamedGroup> = ours.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(groups.first(), Some(&NamedGroup::X25519));
        assert_eq!(groups.len(), ring.kx_groups.len());
    }

    #[test]
    fn one_configuration_is_shared_by_every_checker() {
        let a = client_config(None).expect("config");
        let b = client_config(None).expect("config");
        assert!(Arc::ptr_eq(&a, &b));
    }
}
