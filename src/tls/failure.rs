//! A TLS failure on the connection, classified from rustls's typed error:
//! its one-line message, and whether trying again is pointless.

use rustls::{AlertDescription, CertificateError};

/// What went wrong in the TLS layer, in the terms the user can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsFailure {
    #[error("TLS: the broker's certificate is signed by an unknown CA (for a private CA use --ca-file)")]
    UnknownCa,
    #[error("TLS: the broker's certificate is not valid for this host name")]
    NotForThisHost,
    #[error(
        "TLS: the broker's certificate is not valid for the host name {expected} (it is for {})",
        .presented.join(", ")
    )]
    NotForHost { expected: String, presented: Vec<String> },
    #[error("TLS: the broker's certificate has expired")]
    Expired,
    #[error("TLS: the broker's certificate is not valid yet (is this computer's clock right?)")]
    NotValidYet,
    #[error("TLS: the broker's certificate has been revoked")]
    Revoked,
    #[error("TLS: the broker's certificate was refused: {0}")]
    CertificateRefused(CertificateError),
    #[error("TLS: the broker requires a client certificate (--cert and --key)")]
    ClientCertificateRequired,
    #[error("TLS: the broker refused our client certificate ({})", alert_name(*.0))]
    ClientCertificateRefused(AlertDescription),
    #[error(
        "TLS: the broker ended the handshake (handshake_failure: it may require a client certificate, \
         or share no cipher with us)"
    )]
    HandshakeFailure,
    #[error("TLS: the broker ended the connection ({})", alert_name(*.0))]
    Ended(AlertDescription),
    #[error("TLS: the broker did not answer in TLS ({0}); is this its TLS port?")]
    NotTls(rustls::Error),
    #[error("TLS: {0}")]
    Other(rustls::Error),
}

impl TlsFailure {
    /// True when the same certificates would fail the same way again.
    pub fn is_final(&self) -> bool {
        match self {
            TlsFailure::UnknownCa
            | TlsFailure::NotForThisHost
            | TlsFailure::NotForHost { .. }
            | TlsFailure::Expired
            | TlsFailure::NotValidYet
            | TlsFailure::Revoked
            | TlsFailure::CertificateRefused(_)
            | TlsFailure::ClientCertificateRequired
            | TlsFailure::ClientCertificateRefused(_) => true,
            TlsFailure::HandshakeFailure | TlsFailure::Ended(_) | TlsFailure::NotTls(_) | TlsFailure::Other(_) => false,
        }
    }
}

impl From<&rustls::Error> for TlsFailure {
    fn from(err: &rustls::Error) -> Self {
        match err {
            rustls::Error::InvalidCertificate(cert) => certificate_failure(cert),
            rustls::Error::AlertReceived(alert) => alert_failure(*alert),
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                TlsFailure::NotTls(err.clone())
            }
            other => TlsFailure::Other(other.clone()),
        }
    }
}

fn certificate_failure(cert: &CertificateError) -> TlsFailure {
    use CertificateError as C;
    match cert {
        C::UnknownIssuer => TlsFailure::UnknownCa,
        C::NotValidForName => TlsFailure::NotForThisHost,
        C::NotValidForNameContext { expected, presented } => TlsFailure::NotForHost {
            expected: expected.to_str().into_owned(),
            presented: presented.iter().map(|name| bare_name(name).to_owned()).collect(),
        },
        C::Expired | C::ExpiredContext { .. } => TlsFailure::Expired,
        C::NotValidYet | C::NotValidYetContext { .. } => TlsFailure::NotValidYet,
        C::Revoked => TlsFailure::Revoked,
        other => TlsFailure::CertificateRefused(other.clone()),
    }
}

/// An alert from the broker: about our certificate (final), or the end of
/// the handshake for another reason (worth another try).
fn alert_failure(alert: AlertDescription) -> TlsFailure {
    use AlertDescription as A;
    match alert {
        A::CertificateRequired => TlsFailure::ClientCertificateRequired,
        A::BadCertificate
        | A::UnknownCA
        | A::CertificateUnknown
        | A::UnsupportedCertificate
        | A::CertificateRevoked
        | A::CertificateExpired
        | A::AccessDenied => TlsFailure::ClientCertificateRefused(alert),
        A::HandshakeFailure => TlsFailure::HandshakeFailure,
        other => TlsFailure::Ended(other),
    }
}

/// `DnsName("localhost")` -> `localhost`. rustls hands over the names a
/// certificate presents only as strings in that form (webpki's Debug of its
/// `GeneralName`; there is no typed list). Only how the names are shown
/// depends on it, never how the failure is classified.
fn bare_name(presented: &str) -> &str {
    presented
        .split_once('(')
        .and_then(|(_, inner)| inner.strip_suffix(')'))
        .map(|inner| inner.trim_matches('"'))
        .unwrap_or(presented)
}

/// The RFC 8446 spelling, as other tools print it: `UnknownCA` -> `unknown_ca`.
fn alert_name(alert: AlertDescription) -> String {
    let Some(variant) = alert.as_str() else {
        return format!("alert_description(0x{:x})", u8::from(alert));
    };
    let mut name = String::new();
    let mut after_lower = false;
    for ch in variant.chars() {
        // A break only where lower case turns upper.
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

    fn classify(err: rustls::Error) -> (String, bool) {
        let failure = TlsFailure::from(&err);
        (failure.to_string(), failure.is_final())
    }

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
            let (text, fatal) = classify(rustls::Error::InvalidCertificate(cert));
            assert!(text.contains(needle), "{text}");
            assert!(fatal);
        }
        let (text, _) = classify(rustls::Error::InvalidCertificate(C::NotValidForNameContext {
            expected: ServerName::try_from("broker.example.org").unwrap(),
            presented: vec!["DnsName(\"other.example.org\")".into()],
        }));
        assert_eq!(
            text,
            "TLS: the broker's certificate is not valid for the host name broker.example.org \
             (it is for other.example.org)"
        );
    }

    #[test]
    fn alerts_about_our_certificate_are_final() {
        let (text, fatal) = classify(rustls::Error::AlertReceived(AlertDescription::CertificateRequired));
        assert!(text.contains("requires a client certificate") && fatal, "{text}");
        let (text, fatal) = classify(rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert!(
            text.contains("refused our client certificate (unknown_ca)") && fatal,
            "{text}"
        );
        let (text, fatal) = classify(rustls::Error::AlertReceived(AlertDescription::InternalError));
        assert_eq!(text, "TLS: the broker ended the connection (internal_error)");
        assert!(!fatal);
    }
}
