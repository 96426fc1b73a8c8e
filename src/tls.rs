//! The client side of TLS, shared by the IMAP source and the PostgreSQL store: a rustls
//! configuration that verifies the server against a CA file, else the system's roots.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// A client configuration verifying servers against `ca_file` (PEM), or against the system's
/// root certificates without one. `server` names what is verified, for the messages ("the mail
/// server", "the database server").
pub(crate) fn client_config(ca_file: Option<&Path>, server: &str) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(ca) => {
            let certs =
                CertificateDer::pem_file_iter(ca).map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
            for c in certs {
                let c = c.map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
                roots.add(c).map_err(|e| format!("ca_file {}: {e}", ca.display()))?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    if roots.is_empty() {
        return Err(match ca_file {
            Some(ca) => format!(
                "ca_file {} holds no certificate: give the certificate of the CA that signed {server}'s",
                ca.display()
            ),
            None => "this system has no trusted CA certificates: set ca_file".into(),
        });
    }
    Ok(ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
