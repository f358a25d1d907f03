//! The expiry of the gateway's own certificates: when one is within its configured
//! warning period, and the reason `/readyz` and the log give. (The email about it is the
//! certificate watch's: see `crate::certificates`.)

use crate::language::Language;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::time::Duration;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

/// One of our own certificates, as far as its expiry is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnCertificate {
    /// The subject, for people (`CN=…, O=…`).
    pub subject: String,
    /// The end of its validity.
    pub not_after: DateTime<Utc>,
    /// The first 8 bytes of its SHA-256 in hex: names the certificate in mail ids.
    pub fingerprint: String,
}

/// A certificate close to or past its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// The certificate.
    pub certificate: OwnCertificate,
    /// Whole days left; 0 on the last day, negative once expired.
    pub days_left: i64,
}

impl OwnCertificate {
    /// Reads a DER certificate; `None` when it cannot be parsed.
    pub fn of(der: &[u8]) -> Option<Self> {
        let (_, certificate) = X509Certificate::from_der(der).ok()?;
        let not_after =
            DateTime::<Utc>::from_timestamp(certificate.validity().not_after.timestamp(), 0)?;
        Some(OwnCertificate {
            subject: certificate.subject().to_string(),
            not_after,
            fingerprint: crate::strings::hex(&Sha256::digest(der)[..8]),
        })
    }

    /// The warning due at `now`, when the certificate ends within `warning` of it.
    pub fn expiry(&self, now: DateTime<Utc>, warning: Duration) -> Option<Expiry> {
        let warning = chrono::Duration::from_std(warning).unwrap_or(chrono::Duration::MAX);
        if self.not_after - now > warning {
            return None;
        }
        let left = self.not_after - now;
        let days_left = if left < chrono::Duration::zero() {
            // Expired this very second counts as expired.
            left.num_days().min(-1)
        } else {
            left.num_days()
        };
        Some(Expiry {
            certificate: self.clone(),
            days_left,
        })
    }
}

impl Expiry {
    /// One line for `/readyz` and the log: `whose` is e.g. "receiver.tls.certificate".
    pub fn reason(&self, whose: &str, language: Language) -> String {
        let c = &self.certificate;
        let when = c.not_after.format("%Y-%m-%d %H:%M UTC");
        match (self.days_left < 0, language) {
            (true, Language::Nl) => format!("{whose} ({}) is verlopen op {when}", c.subject),
            (true, Language::En) => format!("{whose} ({}) expired on {when}", c.subject),
            (false, Language::Nl) => format!(
                "{whose} ({}) verloopt op {when}, over {} dag(en)",
                c.subject, self.days_left
            ),
            (false, Language::En) => format!(
                "{whose} ({}) expires on {when}, in {} day(s)",
                c.subject, self.days_left
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn own(not_after: DateTime<Utc>) -> OwnCertificate {
        OwnCertificate {
            subject: "CN=lotgate".into(),
            not_after,
            fingerprint: "0011223344556677".into(),
        }
    }

    #[test]
    fn warns_within_the_period_and_counts_days() {
        let end = Utc.with_ymd_and_hms(2026, 12, 31, 12, 0, 0).unwrap();
        let cert = own(end);
        let days = |d: i64| Duration::from_secs(86_400 * d as u64);
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        assert_eq!(cert.expiry(at(2026, 11, 22, 12), days(30)), None);
        let due = cert.expiry(at(2026, 12, 1, 13), days(30)).expect("due");
        assert_eq!(due.days_left, 29);
        assert!(
            due.reason("receiver.tls.certificate", Language::En)
                .contains("in 29 day(s)")
        );
        assert!(
            due.reason("receiver.tls.certificate", Language::Nl)
                .contains("verloopt op 2026-12-31 12:00 UTC, over 29 dag(en)")
        );
        assert_eq!(
            cert.expiry(at(2026, 12, 31, 11), days(30))
                .map(|e| e.days_left),
            Some(0)
        );
        let gone = cert
            .expiry(at(2026, 12, 31, 13), days(30))
            .expect("expired");
        assert_eq!(gone.days_left, -1);
        assert!(
            gone.reason("sender.tls.certificate", Language::En)
                .contains("expired on 2026-12-31")
        );
        assert!(
            gone.reason("sender.tls.certificate", Language::Nl)
                .contains("is verlopen op 2026-12-31")
        );
    }

    #[test]
    fn reads_a_generated_certificate() {
        let mut params =
            rcgen::CertificateParams::new(vec!["lotgate.example".to_owned()]).expect("params");
        params.not_after = rcgen::date_time_ymd(2030, 1, 2);
        let key = rcgen::KeyPair::generate().expect("key");
        let der = params
            .self_signed(&key)
            .expect("certificate")
            .der()
            .to_vec();
        let own = OwnCertificate::of(&der).expect("parsable");
        assert_eq!(own.not_after.format("%Y-%m-%d").to_string(), "2030-01-02");
        assert_eq!(own.fingerprint.len(), 16);
    }
}
