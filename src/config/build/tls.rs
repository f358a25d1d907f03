//! Stage two for the TLS sections, `[sender.tls]` and `[receiver.tls]` with its
//! `[[receiver.tls.client]]` identities. Only paths and names are checked here; the
//! certificates and keys are read when the gateway starts (and by `check-config`).

use super::Checker;
use crate::config::raw::{RawReceiverTls, RawSenderTls, RawTlsClient};
use crate::config::{CertificateIdentity, ReceiverTls, SecretSource, SenderTls, TlsClient};
use crate::ids::ApplicationId;
use std::path::PathBuf;
use std::time::Duration;

const DEFAULT_EXPIRY_WARNING: &str = "30d";
const DAY: u64 = 86_400;

/// `[sender.tls]`.
pub(super) fn sender(c: &mut Checker, raw: &RawSenderTls) -> Option<SenderTls> {
    let own = own(
        c,
        "sender.tls",
        [
            &raw.certificate,
            &raw.private_key_file,
            &raw.private_key_env,
        ],
        raw.expiry_warning.as_deref(),
    );
    let roots = c.paths(
        "sender.tls.roots",
        raw.roots.as_deref(),
        Some(
            "PEM files with the CA certificates receivers' certificates must chain to, \
             e.g. [\"/etc/lotgate/receiver-ca.pem\"]",
        ),
    );
    Some(SenderTls {
        certificate: own.certificate?,
        private_key: own.private_key?,
        roots,
        expiry_warning: own.expiry_warning,
    })
}

/// `[receiver.tls]`; every application id an identity maps to must be one of
/// `allowed_senders`.
pub(super) fn receiver(
    c: &mut Checker,
    raw: &RawReceiverTls,
    allowed_senders: &[ApplicationId],
) -> Option<ReceiverTls> {
    let own = own(
        c,
        "receiver.tls",
        [
            &raw.certificate,
            &raw.private_key_file,
            &raw.private_key_env,
        ],
        raw.expiry_warning.as_deref(),
    );
    let client_ca = c.paths(
        "receiver.tls.client_ca",
        raw.client_ca.as_deref(),
        Some(
            "PEM files with the CA certificates a sender's certificate must chain to, \
             e.g. [\"/etc/lotgate/uzi-server-ca.pem\"]",
        ),
    );
    let clients = clients(c, raw.client.as_deref(), allowed_senders);
    Some(ReceiverTls {
        certificate: own.certificate?,
        private_key: own.private_key?,
        client_ca,
        clients,
        expiry_warning: own.expiry_warning,
    })
}

/// What both TLS sections have: our certificate, our private key and how long before
/// the certificate's end to warn.
struct Own {
    certificate: Option<PathBuf>,
    private_key: Option<SecretSource>,
    expiry_warning: Duration,
}

/// Checks `certificate`, `private_key_file` / `private_key_env` (`files` in that order)
/// and `expiry_warning` of `section`.
fn own(
    c: &mut Checker,
    section: &str,
    files: [&Option<String>; 3],
    expiry_warning: Option<&str>,
) -> Own {
    let [certificate, key_file, key_env] = files.map(Option::as_deref);
    let certificate_key = format!("{section}.certificate");
    if certificate.is_none() {
        c.err(
            &certificate_key,
            "required: the PEM file with our certificate (and any intermediates after it)",
        );
    }
    let certificate = c.path(&certificate_key, certificate);
    let private_key = if key_file.is_none() && key_env.is_none() {
        c.err(
            &format!("{section}.private_key_file"),
            "required: the PEM file with our private key (readable only by lotgate), or \
             private_key_env naming an environment variable that holds it",
        );
        None
    } else {
        c.secret(section, "private_key", key_file, key_env)
    };
    let expiry_warning = c.duration(
        &format!("{section}.expiry_warning"),
        expiry_warning,
        DEFAULT_EXPIRY_WARNING,
        DAY,
    );
    Own {
        certificate,
        private_key,
        expiry_warning,
    }
}

fn clients(
    c: &mut Checker,
    raw: Option<&[RawTlsClient]>,
    allowed_senders: &[ApplicationId],
) -> Vec<TlsClient> {
    let Some(raw @ [_, ..]) = raw else {
        c.err(
            "receiver.tls.client",
            "required: at least one [[receiver.tls.client]] with serial_number (or \
             common_name or dns_name) and the application_ids that certificate may send as",
        );
        return Vec::new();
    };
    let mut out: Vec<TlsClient> = Vec::new();
    for (i, client) in raw.iter().enumerate() {
        let key = |k: &str| format!("receiver.tls.client[{i}].{k}");
        let given = [
            client
                .serial_number
                .clone()
                .map(CertificateIdentity::SerialNumber),
            client
                .common_name
                .clone()
                .map(CertificateIdentity::CommonName),
            client.dns_name.clone().map(CertificateIdentity::DnsName),
        ];
        let mut given = given.into_iter().flatten();
        let identity = match (given.next(), given.next()) {
            (Some(identity), None) if identity.value().trim().is_empty() => {
                c.err(&key("serial_number"), "must not be empty");
                None
            }
            (Some(identity), None) => Some(identity),
            (None, _) => {
                c.err(
                    &key("serial_number"),
                    "required: the certificate's subject serialNumber (OIN or UZI number), \
                     or instead common_name or dns_name",
                );
                None
            }
            (Some(_), Some(_)) => {
                c.err(
                    &key("serial_number"),
                    "give one of serial_number, common_name and dns_name per client",
                );
                None
            }
        };
        if let Some(identity) = &identity
            && out.iter().any(|o| o.identity == *identity)
        {
            c.err(
                &key("serial_number"),
                format!("{identity} is already listed; give each identity once"),
            );
        }
        let mut application_ids = Vec::new();
        match client.application_ids.as_deref() {
            None | Some([]) => c.err(
                &key("application_ids"),
                "required: the sender application ids this certificate may send as, e.g. \
                 [\"99999001\"]",
            ),
            Some(list) => {
                for (j, s) in list.iter().enumerate() {
                    let id_key = format!("{}[{j}]", key("application_ids"));
                    let Some(id) = c.application_id(&id_key, Some(s), "") else {
                        continue;
                    };
                    if !allowed_senders.contains(&id) {
                        c.err(
                            &id_key,
                            format!(
                                "{id} is neither in receiver.allowed_senders nor a [[receiver.sender]]; add it there as well"
                            ),
                        );
                    } else if !application_ids.contains(&id) {
                        application_ids.push(id);
                    }
                }
            }
        }
        if let Some(identity) = identity {
            out.push(TlsClient {
                identity,
                application_ids,
            });
        }
    }
    out
}
