//! TLS towards the broker: the rustls client configuration, and (in
//! [`failure`]) what a TLS failure on the connection means in words.

mod failure;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::settings::Tls;
pub use failure::TlsFailure;

/// Why the TLS configuration cannot be built; each reads as one line.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("TLS cannot start: {0}")]
    Start(#[source] rustls::Error),
    #[error("cannot read the {what} {}: {source}", .path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the {what} {} is not valid PEM: {source}", .path.display())]
    NotPem {
        what: &'static str,
        path: PathBuf,
        source: pem::Error,
    },
    #[error("the {what} {} holds no PEM certificate", .path.display())]
    NoCertificate { what: &'static str, path: PathBuf },
    #[error("the CA file {} holds a certificate that cannot be used: {source}", .path.display())]
    UnusableCa { path: PathBuf, source: rustls::Error },
    #[error("the client key {} holds no usable PEM private key: {source}", .path.display())]
    NoPrivateKey { path: PathBuf, source: pem::Error },
    #[error(
        "the client certificate {} and key {} cannot be used together: {source}",
        .cert.display(),
        .key.display()
    )]
    CertificateAndKeyDisagree {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
    #[error(
        "no trusted CA certificates found on this system{}: install them (ca-certificates) or use --ca-file",
        .first_error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
    )]
    NoSystemRoots {
        first_error: Option<rustls_native_certs::Error>,
    },
}

/// Trusts the CA file when one is given, else the system's roots; presents
/// the client certificate when one is given.
pub fn client_config(tls: &Tls) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let roots = match &tls.ca_file {
        Some(path) => roots_from_file(path)?,
        None => system_roots()?,
    };
    let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Start)?
        .with_root_certificates(roots);
    let config = match &tls.client_cert {
        None => builder.with_no_client_auth(),
        Some(client) => {
            let chain = certificates(&client.cert, "client certificate")?;
            let key = private_key(&client.key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|source| TlsSetupError::CertificateAndKeyDisagree {
                    cert: client.cert.clone(),
                    key: client.key.clone(),
                    source,
                })?
        }
    };
    Ok(Arc::new(config))
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(path).map_err(|source| TlsSetupError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

fn certificates(path: &Path, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let pem = read(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsSetupError::NotPem {
            what,
            path: path.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            what,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn roots_from_file(path: &Path) -> Result<RootCertStore, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path, "CA file")? {
        roots.add(cert).map_err(|source| TlsSetupError::UnusableCa {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(roots)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let pem = read(path, "client key")?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|source| TlsSetupError::NoPrivateKey {
        path: path.to_owned(),
        source,
    })
}

fn system_roots() -> Result<RootCertStore, TlsSetupError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(TlsSetupError::NoSystemRoots {
            first_error: found.errors.into_iter().next(),
        });
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_are_named() {
        let tls = Tls {
            ca_file: Some("/nonexistent/ca.pem".into()),
            client_cert: None,
        };
        let err = client_config(&tls).unwrap_err().to_string();
        assert!(err.starts_with("cannot read the CA file /nonexistent/ca.pem"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let tls = Tls {
            ca_file: Some(not_pem),
            client_cert: None,
        };
        let err = client_config(&tls).unwrap_err();
        assert!(matches!(err, TlsSetupError::NoCertificate { .. }), "{err}");
        assert!(err.to_string().contains("holds no PEM certificate"));
    }
}
