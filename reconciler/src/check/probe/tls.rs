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
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

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

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())))
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
