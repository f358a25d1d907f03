//! Certificates for the TLS tests, generated in the test with rcgen: certificate
//! authorities and the leaf certificates they issue, written as PEM files.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A certificate authority.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// What a leaf certificate says and how long it is valid.
#[derive(Debug, Clone, Default)]
pub struct Leaf {
    /// Subject serialNumber (2.5.4.5): the OIN or UZI number.
    pub serial_number: Option<String>,
    /// Subject common name.
    pub common_name: Option<String>,
    /// DNS names in the subject alternative names.
    pub dns_names: Vec<String>,
    /// IP addresses in the subject alternative names.
    pub ips: Vec<std::net::IpAddr>,
    /// Valid from/until (year, month, day); default: 2020-01-01 to 2099-12-31.
    pub not_before: Option<(i32, u8, u8)>,
    pub not_after: Option<(i32, u8, u8)>,
}

/// A leaf certificate and its key, as PEM files.
#[derive(Debug, Clone)]
pub struct Files {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

impl Leaf {
    /// A server certificate for `localhost` and 127.0.0.1.
    pub fn server() -> Leaf {
        Leaf {
            common_name: Some("localhost".into()),
            dns_names: vec!["localhost".into()],
            ips: vec![[127, 0, 0, 1].into()],
            ..Leaf::default()
        }
    }

    /// A client certificate with this subject serialNumber.
    pub fn client(serial_number: &str) -> Leaf {
        Leaf {
            serial_number: Some(serial_number.into()),
            common_name: Some(format!("lotgate sender {serial_number}")),
            ..Leaf::default()
        }
    }
}

impl Ca {
    /// A new self-signed CA named `name`.
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, name);
        dn.push(DnType::OrganizationName, "lotgate tests");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2099, 12, 31);
        let key = KeyPair::generate().expect("a CA key");
        Ca {
            issuer: CertifiedIssuer::self_signed(params, key).expect("a CA certificate"),
        }
    }

    /// The CA certificate as PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// Writes the CA certificate to `<dir>/<name>.pem`.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(format!("{name}.pem"));
        std::fs::write(&path, self.pem()).expect("write CA certificate");
        path
    }

    /// Issues `leaf` (for both server and client use) and writes it to
    /// `<dir>/<name>.pem` and its key to `<dir>/<name>-key.pem` (mode 600).
    pub fn issue(&self, leaf: &Leaf, dir: &Path, name: &str) -> Files {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        if let Some(serial) = &leaf.serial_number {
            dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), serial.as_str());
        }
        if let Some(cn) = &leaf.common_name {
            dn.push(DnType::CommonName, cn.as_str());
        }
        params.distinguished_name = dn;
        params.subject_alt_names = leaf
            .dns_names
            .iter()
            .map(|d| SanType::DnsName(d.as_str().try_into().expect("a DNS name")))
            .chain(leaf.ips.iter().map(|ip| SanType::IpAddress(*ip)))
            .collect();
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let (y, m, d) = leaf.not_before.unwrap_or((2020, 1, 1));
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = leaf.not_after.unwrap_or((2099, 12, 31));
        params.not_after = rcgen::date_time_ymd(y, m, d);
        let key = KeyPair::generate().expect("a key");
        let certificate = params.signed_by(&key, &self.issuer).expect("a certificate");
        let files = Files {
            certificate: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}-key.pem")),
        };
        std::fs::write(&files.certificate, certificate.pem()).expect("write certificate");
        std::fs::write(&files.key, key.serialize_pem()).expect("write key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o600))
                .expect("chmod key");
        }
        files
    }
}

/// A rustls client trusting the CA in `roots`, presenting `identity` when given.
pub fn client_tls(roots: &Path, identity: Option<&Files>) -> Arc<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(roots).expect("roots file") {
        store
            .add(certificate.expect("a PEM certificate"))
            .expect("a root");
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(store);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some(files) => {
            let chain = CertificateDer::pem_file_iter(&files.certificate)
                .expect("certificate file")
                .collect::<Result<Vec<_>, _>>()
                .expect("PEM certificates");
            let key = PrivateKeyDer::from_pem_file(&files.key).expect("a PEM key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("a usable client certificate")
        }
    };
    Arc::new(config)
}

/// `[receiver.tls]` with our certificate `server`, client certificates chaining to
/// `client_ca`, and one `[[receiver.tls.client]]` per (serial number, application ids).
pub fn receiver_tls(server: &Files, client_ca: &Path, clients: &[(&str, &[&str])]) -> String {
    let mut text = format!(
        "\n[receiver.tls]\ncertificate = \"{}\"\nprivate_key_file = \"{}\"\nclient_ca = [\"{}\"]\n",
        server.certificate.display(),
        server.key.display(),
        client_ca.display()
    );
    for (serial, ids) in clients {
        text.push_str(&format!(
            "\n[[receiver.tls.client]]\nserial_number = \"{serial}\"\napplication_ids = {ids:?}\n"
        ));
    }
    text
}

/// `config` (a `sender_config`) with `[sender.tls]` holding `body`.
pub fn with_sender_tls(config: &str, body: &str) -> String {
    assert!(config.contains("\n[[sender.destination]]"), "{config}");
    config.replacen(
        "\n[[sender.destination]]",
        &format!("\n[sender.tls]\n{body}\n\n[[sender.destination]]"),
        1,
    )
}

/// The body of `[sender.tls]` with our certificate and key files and `roots`.
pub fn sender_tls_files(client: &Files, roots: &Path) -> String {
    format!(
        "certificate = \"{}\"\nprivate_key_file = \"{}\"\nroots = [\"{}\"]",
        client.certificate.display(),
        client.key.display(),
        roots.display()
    )
}
