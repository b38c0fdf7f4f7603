//! Certificates made fresh for each TLS broker: a CA, a server certificate
//! (good, for the wrong name, or expired), a client certificate, and a CA
//! that signed nothing.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

/// What the broker's certificate says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCert {
    /// For `localhost` and `127.0.0.1`.
    Good,
    /// For `localhost` only: connecting to 127.0.0.1 is a name mismatch.
    LocalhostOnly,
    /// Expired last year.
    Expired,
}

pub(super) struct Pki {
    pub(super) ca: PathBuf,
    pub(super) other_ca: PathBuf,
    pub(super) client_cert: PathBuf,
    pub(super) client_key: PathBuf,
}

fn make_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).expect("CA certificate");
    (cert.pem(), Issuer::new(params, key))
}

/// Writes a certificate signed by `issuer` and its key as NAME.pem and NAME.key.
fn make_leaf(dir: &Path, name: &str, params: CertificateParams, issuer: &Issuer<'_, KeyPair>) {
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, issuer).expect("leaf certificate");
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).expect("write certificate");
    std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).expect("write key");
}

pub(super) fn make(dir: &Path, server_cert: ServerCert) -> Pki {
    let (ca_pem, ca) = make_ca("komunikator test CA");
    let (other_pem, _) = make_ca("some other CA");
    std::fs::write(dir.join("ca.pem"), ca_pem).expect("write CA");
    std::fs::write(dir.join("other-ca.pem"), other_pem).expect("write other CA");

    let names: Vec<String> = match server_cert {
        ServerCert::LocalhostOnly => vec!["localhost".into()],
        _ => vec!["localhost".into(), "127.0.0.1".into()],
    };
    let mut server = CertificateParams::new(names).expect("server params");
    server.distinguished_name.push(DnType::CommonName, "localhost");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if server_cert == ServerCert::Expired {
        server.not_before = rcgen::date_time_ymd(2020, 1, 1);
        server.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    make_leaf(dir, "server", server, &ca);

    let mut client = CertificateParams::new(Vec::<String>::new()).expect("client params");
    client.distinguished_name.push(DnType::CommonName, "alice");
    client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    make_leaf(dir, "client", client, &ca);

    Pki {
        ca: dir.join("ca.pem"),
        other_ca: dir.join("other-ca.pem"),
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    }
}
