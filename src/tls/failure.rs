//! TLS failures in words a person can act on: rustls writes a certificate's validity as
//! UNIX seconds ("not valid after 1706745600"); we write dates.

use chrono::{DateTime, SecondsFormat, Utc};
use rustls::{CertificateError, Error};
use rustls_pki_types::UnixTime;

/// The words for a TLS failure anywhere in `error`'s chain (also inside an I/O error),
/// with certificate times as dates (RFC 3339); `None` when the chain holds no rustls
/// error whose words we improve.
pub fn describe_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = as_rustls(e).and_then(describe) {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// The rustls error `e` is, or wraps as an I/O error (whose `source` skips it).
fn as_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Error> {
    e.downcast_ref::<Error>().or_else(|| {
        e.downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<Error>())
    })
}

fn describe(error: &Error) -> Option<String> {
    let Error::InvalidCertificate(certificate) = error else {
        return None;
    };
    match certificate {
        CertificateError::ExpiredContext { time, not_after } => Some(format!(
            "invalid peer certificate: expired: not valid after {}, checked at {}",
            date(*not_after),
            date(*time)
        )),
        CertificateError::NotValidYetContext { time, not_before } => Some(format!(
            "invalid peer certificate: not valid yet: not valid before {}, checked at {}",
            date(*not_before),
            date(*time)
        )),
        _ => None,
    }
}

fn date(time: UnixTime) -> String {
    let seconds = i64::try_from(time.as_secs()).unwrap_or(i64::MAX);
    DateTime::<Utc>::from_timestamp(seconds, 0).map_or_else(
        || format!("{seconds} (UNIX)"),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(seconds))
    }

    #[test]
    fn certificate_times_are_dates() {
        let expired = Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: at(1_767_225_600),
            not_after: at(1_706_745_600),
        });
        // As tokio-rustls hands it over: inside an I/O error.
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, expired);
        assert_eq!(
            describe_failure(&io).as_deref(),
            Some(
                "invalid peer certificate: expired: not valid after 2024-02-01T00:00:00Z, \
                 checked at 2026-01-01T00:00:00Z"
            )
        );
        let early = Error::InvalidCertificate(CertificateError::NotValidYetContext {
            time: at(1_706_745_600),
            not_before: at(1_767_225_600),
        });
        let text = describe_failure(&early).unwrap();
        assert!(
            text.contains("not valid before 2026-01-01T00:00:00Z"),
            "{text}"
        );
        // Other failures keep rustls' words.
        let other = Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(describe_failure(&other), None);
        assert_eq!(describe_failure(&std::io::Error::other("x")), None);
    }
}
