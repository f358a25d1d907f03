//! TLS for the whole process: one rustls crypto provider (aws-lc-rs) for every
//! connection (exchange listener, deliveries, mail), reading certificates and private
//! keys, the receiver's server configuration that demands a client certificate, the
//! sender's client configuration, what a certificate says about its holder, and a
//! handshake of our own that shows what a receiver presents ([`probe`]).
//!
//! Errors name the file or environment variable and what is wrong with it, never the
//! content of a key.

mod expiry;
mod failure;
mod identity;
pub mod probe;

pub use expiry::{Expiry, OwnCertificate};
pub use failure::describe_failure;
pub use identity::PeerIdentity;
/// The exchange listener's TLS configuration (what [`server_config`] builds).
pub use rustls::ServerConfig;

use crate::config::{ReceiverTls, SecretSource, SenderTls};
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The crypto provider of every TLS connection of this process, installed as rustls'
/// process default on first use so that libraries building their own configuration
/// (the mail transport) use the same one.
pub fn provider() -> Arc<CryptoProvider> {
    if let Some(installed) = CryptoProvider::get_default() {
        return installed.clone();
    }
    // Another thread may win the race; either way one provider is installed.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate file could not be read.
    #[error("{what}: cannot read {}: {source}", path.display())]
    Read {
        /// The configuration key.
        what: String,
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file holds no usable certificate.
    #[error("{what}: {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display())]
    NoCertificate {
        /// The configuration key.
        what: String,
        /// The file.
        path: PathBuf,
    },
    /// A certificate cannot be used.
    #[error("{what}: {reason}")]
    Unusable {
        /// The configuration key.
        what: String,
        /// What is wrong, without any key material.
        reason: String,
    },
    /// The private key could not be read.
    #[error("{what}: {0}", what = .1)]
    Secret(#[source] crate::secret::SecretError, String),
}

/// The certificates in a PEM file, in file order.
pub fn read_certificates(
    path: &Path,
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        what: what.to_owned(),
        path: path.to_owned(),
        source,
    })?;
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Unusable {
            what: what.to_owned(),
            reason: format!("{} is not a readable PEM file: {e}", path.display()),
        })?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate {
            what: what.to_owned(),
            path: path.to_owned(),
        });
    }
    Ok(certificates)
}

/// The CA certificates in the PEM files, as trust anchors.
pub fn read_roots(paths: &[PathBuf], what: &str) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for path in paths {
        for certificate in read_certificates(path, what)? {
            roots.add(certificate).map_err(|e| TlsError::Unusable {
                what: what.to_owned(),
                reason: format!(
                    "{} holds a certificate that cannot be a root: {e}",
                    path.display()
                ),
            })?;
        }
    }
    Ok(roots)
}

/// A private key (PKCS#8, PKCS#1 or SEC1 in PEM) from a file or an environment variable;
/// warns when the file is open to others than its owner.
fn read_key(source: &SecretSource, what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    if let SecretSource::File(path) = source {
        crate::secret::warn_if_readable_by_others(path, what);
    }
    let pem = crate::secret::read(source).map_err(|e| TlsError::Secret(e, what.to_owned()))?;
    let place = match source {
        SecretSource::File(path) => format!("the file {}", path.display()),
        SecretSource::Env(name) => format!("the environment variable {name}"),
    };
    PrivateKeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| TlsError::Unusable {
        what: what.to_owned(),
        reason: format!(
            "{place} holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC)"
        ),
    })
}

/// Our certificate chain and key, checked to belong together.
fn own_chain(
    certificate: &Path,
    key: &SecretSource,
    section: &str,
) -> Result<
    (
        Vec<CertificateDer<'static>>,
        PrivateKeyDer<'static>,
        OwnCertificate,
    ),
    TlsError,
> {
    let what = format!("{section}.certificate");
    let chain = read_certificates(certificate, &what)?;
    let own = OwnCertificate::of(&chain[0]).ok_or_else(|| TlsError::Unusable {
        what: what.clone(),
        reason: format!(
            "{} does not start with a readable X.509 certificate",
            certificate.display()
        ),
    })?;
    let key = read_key(key, &format!("{section}.private_key"))?;
    Ok((chain, key, own))
}

/// The receiver's exchange listener: our certificate, and a client certificate that
/// chains to one of `client_ca` is required (its identity is authorised per request).
pub fn server_config(
    tls: &ReceiverTls,
) -> Result<(Arc<rustls::ServerConfig>, OwnCertificate), TlsError> {
    let provider = provider();
    let (chain, key, own) = own_chain(&tls.certificate, &tls.private_key, "receiver.tls")?;
    let roots = read_roots(&tls.client_ca, "receiver.tls.client_ca")?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsError::Unusable {
            what: "receiver.tls.client_ca".to_owned(),
            reason: format!("cannot verify client certificates with these CAs: {e}"),
        })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| rustls_error("receiver.tls", e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| key_error("receiver.tls", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), own))
}

/// The sender's deliveries: our client certificate, and receivers verified against
/// `roots` with their host name checked.
pub fn client_config(tls: &SenderTls) -> Result<(rustls::ClientConfig, OwnCertificate), TlsError> {
    let provider = provider();
    let (chain, key, own) = own_chain(&tls.certificate, &tls.private_key, "sender.tls")?;
    let roots = read_roots(&tls.roots, "sender.tls.roots")?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| rustls_error("sender.tls", e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| key_error("sender.tls", e))?;
    Ok((config, own))
}

/// Reads every certificate, key and root the configuration names, as start-up would,
/// and describes our own certificates (for `lotgate check-config`). Every section is
/// read: the error lists what is wrong with each, not only the first.
pub fn check(config: &crate::config::Config) -> Result<Vec<String>, Vec<TlsError>> {
    let describe = |whose: &str, own: &OwnCertificate| {
        format!(
            "{whose}: {}, valid until {}",
            own.subject,
            own.not_after.format("%Y-%m-%d %H:%M UTC")
        )
    };
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    if let Some(tls) = config.receiver.as_ref().and_then(|r| r.tls.as_ref()) {
        match server_config(tls) {
            Ok((_, own)) => lines.push(describe("receiver.tls.certificate", &own)),
            Err(e) => problems.extend(every_problem(e, || {
                [
                    read_certificates(&tls.certificate, "receiver.tls.certificate").err(),
                    read_key(&tls.private_key, "receiver.tls.private_key").err(),
                    read_roots(&tls.client_ca, "receiver.tls.client_ca").err(),
                ]
            })),
        }
    }
    if let Some(tls) = config.sender.as_ref().and_then(|s| s.tls.as_ref()) {
        match client_config(tls) {
            Ok((_, own)) => lines.push(describe("sender.tls.certificate", &own)),
            Err(e) => problems.extend(every_problem(e, || {
                [
                    read_certificates(&tls.certificate, "sender.tls.certificate").err(),
                    read_key(&tls.private_key, "sender.tls.private_key").err(),
                    read_roots(&tls.roots, "sender.tls.roots").err(),
                ]
            })),
        }
    }
    if let crate::config::MailTransport::Smtp(smtp) = &config.mail.transport
        && !smtp.roots.is_empty()
        && let Err(e) = read_roots(&smtp.roots, "mail.smtp.roots")
    {
        problems.push(e);
    }
    if problems.is_empty() {
        Ok(lines)
    } else {
        Err(problems)
    }
}

/// The problems of one TLS section: each of its parts read on its own (`parts`), so that
/// a missing certificate and missing roots are both named; `first` when the parts are
/// fine on their own (they do not fit together).
fn every_problem<const N: usize>(
    first: TlsError,
    parts: impl FnOnce() -> [Option<TlsError>; N],
) -> Vec<TlsError> {
    let each: Vec<TlsError> = parts().into_iter().flatten().collect();
    if each.is_empty() { vec![first] } else { each }
}

fn rustls_error(section: &str, e: rustls::Error) -> TlsError {
    TlsError::Unusable {
        what: section.to_owned(),
        reason: e.to_string(),
    }
}

fn key_error(section: &str, e: rustls::Error) -> TlsError {
    TlsError::Unusable {
        what: format!("{section}.private_key"),
        reason: format!("the private key cannot be used with the certificate: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A self-signed certificate for `localhost` and its key, written as PEM files.
    fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        let certificate = params.self_signed(&key).expect("certificate");
        let (cert_path, key_path) = (
            dir.join(format!("{name}.pem")),
            dir.join(format!("{name}-key.pem")),
        );
        std::fs::write(&cert_path, certificate.pem()).expect("write");
        std::fs::write(&key_path, key.serialize_pem()).expect("write");
        (cert_path, key_path)
    }

    fn sender_tls(certificate: PathBuf, key: SecretSource, root: PathBuf) -> SenderTls {
        SenderTls {
            certificate,
            private_key: key,
            roots: vec![root],
            expiry_warning: Duration::from_secs(30 * 86_400),
        }
    }

    #[test]
    fn builds_a_client_configuration_and_describes_the_certificate() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (cert, key) = pair(dir.path(), "a");
        let (_, own) = client_config(&sender_tls(cert.clone(), SecretSource::File(key), cert))
            .expect("usable");
        assert!(own.subject.contains("rcgen"), "{}", own.subject);
    }

    #[test]
    fn unusable_files_are_named_and_key_material_is_never_shown() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (cert_a, key_a) = pair(dir.path(), "a");
        let (_, key_b) = pair(dir.path(), "b");
        let key_b_text = std::fs::read_to_string(&key_b).expect("read");
        let secret_line = key_b_text.lines().nth(1).expect("a base64 line").to_owned();

        // A key that belongs to another certificate.
        let e = client_config(&sender_tls(
            cert_a.clone(),
            SecretSource::File(key_b.clone()),
            cert_a.clone(),
        ))
        .expect_err("mismatched key");
        assert!(e.to_string().contains("sender.tls.private_key"), "{e}");
        assert!(!e.to_string().contains(&secret_line), "{e}");

        // A key file that holds no key, a certificate file that holds no certificate.
        let e = client_config(&sender_tls(
            cert_a.clone(),
            SecretSource::File(cert_a.clone()),
            cert_a.clone(),
        ))
        .expect_err("no key");
        assert!(e.to_string().contains("holds no PEM private key"), "{e}");
        let e = client_config(&sender_tls(
            key_a.clone(),
            SecretSource::File(key_a.clone()),
            cert_a.clone(),
        ))
        .expect_err("no certificate");
        assert!(
            e.to_string().contains(&key_a.display().to_string())
                && e.to_string().contains("no PEM certificate"),
            "{e}"
        );
        assert!(!e.to_string().contains("PRIVATE KEY-----\n"), "{e}");

        // A missing root file and an unset variable are named.
        let missing = dir.path().join("missing-ca.pem");
        let e = client_config(&sender_tls(
            cert_a.clone(),
            SecretSource::File(key_a.clone()),
            missing.clone(),
        ))
        .expect_err("missing root");
        assert!(
            e.to_string().contains("sender.tls.roots")
                && e.to_string().contains(&missing.display().to_string()),
            "{e}"
        );
        let variable = "LOTGATE_TEST_KEY_THAT_IS_NEVER_SET";
        let e = client_config(&sender_tls(
            cert_a.clone(),
            SecretSource::Env(variable.to_owned()),
            cert_a,
        ))
        .expect_err("unset variable");
        assert!(e.to_string().contains(variable), "{e}");
    }
}
