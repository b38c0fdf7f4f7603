//! TLS towards the broker: the rustls client configuration, and what a TLS
//! failure means in words.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};

use crate::settings::Tls;

/// Trusts the CA file when one is given, else the system's roots; presents
/// the client certificate when one is given.
pub fn client_config(tls: &Tls) -> Result<Arc<ClientConfig>, String> {
    let roots = match &tls.ca_file {
        Some(path) => roots_from_file(path)?,
        None => system_roots()?,
    };
    let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot start: {e}"))?
        .with_root_certificates(roots);
    let config = match &tls.client_cert {
        None => builder.with_no_client_auth(),
        Some(client) => {
            let chain = certificates(&client.cert, "client certificate")?;
            let key = private_key(&client.key)?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                format!(
                    "the client certificate {} and key {} cannot be used together: {e}",
                    client.cert.display(),
                    client.key.display()
                )
            })?
        }
    };
    Ok(Arc::new(config))
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

fn certificates(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the {what} {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("the {what} {} holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

fn roots_from_file(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path, "CA file")? {
        roots.add(cert).map_err(|e| {
            format!(
                "the CA file {} holds a certificate that cannot be used: {e}",
                path.display()
            )
        })?;
    }
    Ok(roots)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read(path, "client key")?;
    PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| format!("the client key {} holds no usable PEM private key: {e}", path.display()))
}

fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found.errors.first().map(|e| format!(" ({e})")).unwrap_or_default();
        return Err(format!(
            "no trusted CA certificates found on this system{why}: install them (ca-certificates) or use --ca-file"
        ));
    }
    Ok(roots)
}

/// A TLS failure in one line, and whether trying again is pointless (the
/// same certificates will fail the same way).
pub fn describe(err: &rustls::Error) -> (String, bool) {
    use CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(cert) => {
            let text = match cert {
                C::UnknownIssuer => "the broker's certificate is signed by an unknown CA \
                                     (for a private CA use --ca-file)"
                    .to_owned(),
                C::NotValidForName => "the broker's certificate is not valid for this host name".to_owned(),
                C::NotValidForNameContext { expected, presented } => format!(
                    "the broker's certificate is not valid for the host name {} (it is for {})",
                    expected.to_str(),
                    presented
                        .iter()
                        .map(|name| bare_name(name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                C::Expired | C::ExpiredContext { .. } => "the broker's certificate has expired".to_owned(),
                C::NotValidYet | C::NotValidYetContext { .. } => {
                    "the broker's certificate is not valid yet (is this computer's clock right?)".to_owned()
                }
                C::Revoked => "the broker's certificate has been revoked".to_owned(),
                other => format!("the broker's certificate was refused: {other}"),
            };
            (format!("TLS: {text}"), true)
        }
        rustls::Error::AlertReceived(alert) => {
            let (text, fatal) = match alert {
                AlertDescription::CertificateRequired => (
                    "the broker requires a client certificate (--cert and --key)".to_owned(),
                    true,
                ),
                AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::AccessDenied => (
                    format!("the broker refused our client certificate ({})", alert_name(*alert)),
                    true,
                ),
                AlertDescription::HandshakeFailure => (
                    "the broker ended the handshake (handshake_failure: it may require a client certificate, \
                     or share no cipher with us)"
                        .to_owned(),
                    false,
                ),
                other => (
                    format!("the broker ended the connection ({})", alert_name(*other)),
                    false,
                ),
            };
            (format!("TLS: {text}"), fatal)
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => (
            format!("TLS: the broker did not answer in TLS ({err}); is this its TLS port?"),
            false,
        ),
        other => (format!("TLS: {other}"), false),
    }
}

/// `DnsName("localhost")` -> `localhost`: rustls lists the names in Debug form.
fn bare_name(presented: &str) -> &str {
    presented
        .split_once('(')
        .and_then(|(_, inner)| inner.strip_suffix(')'))
        .map(|inner| inner.trim_matches('"'))
        .unwrap_or(presented)
}

/// The RFC 8446 spelling, as other tools print it.
fn alert_name(alert: AlertDescription) -> String {
    let mut name = String::new();
    let mut after_lower = false;
    for ch in format!("{alert:?}").chars() {
        // "UnknownCA" -> "unknown_ca": a break only where lower case turns upper.
        if ch.is_uppercase() && after_lower {
            name.push('_');
        }
        after_lower = ch.is_lowercase();
        name.push(ch.to_ascii_lowercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    #[test]
    fn certificate_failures_are_named_and_final() {
        use CertificateError as C;
        let cases = [
            (C::UnknownIssuer, "unknown CA"),
            (C::Expired, "has expired"),
            (C::NotValidForName, "not valid for this host name"),
            (C::NotValidYet, "clock"),
        ];
        for (cert, needle) in cases {
            let (text, fatal) = describe(&rustls::Error::InvalidCertificate(cert));
            assert!(text.contains(needle), "{text}");
            assert!(fatal);
        }
        let (text, _) = describe(&rustls::Error::InvalidCertificate(C::NotValidForNameContext {
            expected: ServerName::try_from("broker.example.org").unwrap(),
            presented: vec!["DnsName(\"other.example.org\")".into()],
        }));
        assert!(
            text.contains("broker.example.org") && text.contains("other.example.org"),
            "{text}"
        );
    }

    #[test]
    fn alerts_about_our_certificate_are_final() {
        let (text, fatal) = describe(&rustls::Error::AlertReceived(AlertDescription::CertificateRequired));
        assert!(text.contains("requires a client certificate") && fatal, "{text}");
        let (text, fatal) = describe(&rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert!(
            text.contains("refused our client certificate (unknown_ca)") && fatal,
            "{text}"
        );
        let (_, fatal) = describe(&rustls::Error::AlertReceived(AlertDescription::InternalError));
        assert!(!fatal);
    }

    #[test]
    fn missing_files_are_named() {
        let tls = Tls {
            ca_file: Some("/nonexistent/ca.pem".into()),
            client_cert: None,
        };
        let err = client_config(&tls).unwrap_err();
        assert!(err.starts_with("cannot read the CA file /nonexistent/ca.pem"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let not_pem = dir.path().join("ca.pem");
        std::fs::write(&not_pem, "hello").unwrap();
        let tls = Tls {
            ca_file: Some(not_pem),
            client_cert: None,
        };
        assert!(client_config(&tls).unwrap_err().contains("holds no PEM certificate"));
    }
}
