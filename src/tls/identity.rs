//! What a client certificate says about its holder, and which sender application ids
//! that makes it allowed to use.

use crate::config::{CertificateIdentity, TlsClient};
use crate::ids::ApplicationId;
use std::fmt;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::OID_X509_SERIALNUMBER;
use x509_parser::prelude::FromDer;

/// The fields of a certificate that lotgate authorises by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The subject's serialNumber attributes (the OIN or UZI number).
    pub serial_numbers: Vec<String>,
    /// The subject's common names.
    pub common_names: Vec<String>,
    /// The DNS names among the subject alternative names.
    pub dns_names: Vec<String>,
}

impl PeerIdentity {
    /// Reads the fields from a DER certificate; `None` when it cannot be parsed.
    pub fn of(der: &[u8]) -> Option<Self> {
        let (_, certificate) = X509Certificate::from_der(der).ok()?;
        let subject = certificate.subject();
        let texts = |attributes: &mut dyn Iterator<
            Item = &x509_parser::x509::AttributeTypeAndValue<'_>,
        >| {
            attributes
                .filter_map(|a| a.as_str().ok().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let serial_numbers = texts(&mut subject.iter_by_oid(&OID_X509_SERIALNUMBER));
        let common_names = texts(&mut subject.iter_common_name());
        let dns_names = match certificate.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(PeerIdentity {
            serial_numbers,
            common_names,
            dns_names,
        })
    }

    /// Whether the certificate carries `identity`.
    pub fn matches(&self, identity: &CertificateIdentity) -> bool {
        match identity {
            CertificateIdentity::SerialNumber(s) => self.serial_numbers.iter().any(|v| v == s),
            CertificateIdentity::CommonName(s) => self.common_names.iter().any(|v| v == s),
            CertificateIdentity::DnsName(s) => {
                self.dns_names.iter().any(|v| v.eq_ignore_ascii_case(s))
            }
        }
    }

    /// The sender application ids the configured `clients` allow this certificate to
    /// use; empty when no client entry matches it.
    pub fn authorised(&self, clients: &[TlsClient]) -> Vec<ApplicationId> {
        let mut ids = Vec::new();
        for client in clients.iter().filter(|c| self.matches(&c.identity)) {
            for id in &client.application_ids {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        ids
    }
}

/// `serialNumber=…, CN=…, DNS:…`: the fields as configured, for logs.
impl fmt::Display for PeerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<String> = self
            .serial_numbers
            .iter()
            .map(|s| CertificateIdentity::SerialNumber(s.clone()).to_string())
            .chain(
                self.common_names
                    .iter()
                    .map(|s| CertificateIdentity::CommonName(s.clone()).to_string()),
            )
            .chain(
                self.dns_names
                    .iter()
                    .map(|s| CertificateIdentity::DnsName(s.clone()).to_string()),
            )
            .collect();
        if fields.is_empty() {
            f.write_str("(no serialNumber, CN or DNS name)")
        } else {
            f.write_str(&fields.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    fn certificate(serial: Option<&str>, cn: Option<&str>, dns: &[&str]) -> Vec<u8> {
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(serial) = serial {
            params
                .distinguished_name
                .push(DnType::CustomDnType(vec![2, 5, 4, 5]), serial);
        }
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        params.subject_alt_names = dns
            .iter()
            .map(|d| SanType::DnsName((*d).try_into().expect("a DNS name")))
            .collect();
        let key = KeyPair::generate().expect("a key");
        params
            .self_signed(&key)
            .expect("a certificate")
            .der()
            .to_vec()
    }

    fn client(identity: CertificateIdentity, ids: &[&str]) -> TlsClient {
        TlsClient {
            identity,
            application_ids: ids
                .iter()
                .map(|id| ApplicationId::parse(id).expect("an id"))
                .collect(),
        }
    }

    #[test]
    fn reads_serial_number_common_name_and_dns_names() {
        let der = certificate(
            Some("00000001234567890000"),
            Some("Praeventis"),
            &["lotgate.example", "Other.Example"],
        );
        let peer = PeerIdentity::of(&der).expect("parsable");
        assert_eq!(peer.serial_numbers, ["00000001234567890000"]);
        assert_eq!(peer.common_names, ["Praeventis"]);
        assert_eq!(peer.dns_names, ["lotgate.example", "Other.Example"]);
        assert_eq!(
            peer.to_string(),
            "serialNumber=00000001234567890000, CN=Praeventis, DNS:lotgate.example, DNS:Other.Example"
        );
        assert!(PeerIdentity::of(b"not a certificate").is_none());
    }

    #[test]
    fn authorises_by_every_matching_entry_and_nothing_else() {
        let der = certificate(
            Some("00000001234567890000"),
            Some("Praeventis"),
            &["a.example"],
        );
        let peer = PeerIdentity::of(&der).expect("parsable");
        let clients = [
            client(
                CertificateIdentity::SerialNumber("00000001234567890000".into()),
                &["1", "2"],
            ),
            client(CertificateIdentity::CommonName("praeventis".into()), &["3"]),
            client(
                CertificateIdentity::DnsName("A.EXAMPLE".into()),
                &["2", "4"],
            ),
            client(
                CertificateIdentity::SerialNumber("0000000123456789000".into()),
                &["5"],
            ),
        ];
        let ids: Vec<String> = peer
            .authorised(&clients)
            .iter()
            .map(ToString::to_string)
            .collect();
        // The CN is compared exactly, a DNS name without regard to case, a serial number
        // exactly (a prefix is not enough).
        assert_eq!(ids, ["1", "2", "4"]);
        let stranger =
            PeerIdentity::of(&certificate(None, Some("Someone"), &[])).expect("parsable");
        assert!(stranger.authorised(&clients).is_empty());
        assert_eq!(stranger.to_string(), "CN=Someone");
    }
}
