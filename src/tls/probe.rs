//! A TLS handshake of our own with a receiver, for `lotgate verify`: what an HTTP client
//! does not show — the protocol, the receiver's certificate, whether ours was accepted —
//! and a failure told apart by its cause (the chain, the name, a refusal).

use chrono::{DateTime, Utc};
use rustls::{CertificateError, Error as TlsError};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The receiver's certificate, as it presented it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate {
    /// Its subject.
    pub subject: String,
    /// Its issuer.
    pub issuer: String,
    /// The end of its validity.
    pub not_after: DateTime<Utc>,
}

/// What our own TLS handshake with the receiver came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProbe {
    /// The handshake succeeded.
    Connected {
        /// `TLSv1_3`, …
        protocol: String,
        /// The cipher suite.
        suite: String,
        /// The receiver's certificate.
        peer: Option<PeerCertificate>,
        /// The first line of the receiver's answer to a request over the connection
        /// (it accepted our client certificate), or why none came.
        answer: Result<String, String>,
    },
    /// The receiver's certificate does not chain to our roots (or is expired, revoked, …).
    Chain(String),
    /// The receiver's certificate chains to our roots but does not name the host.
    Hostname(String),
    /// The receiver refused us during the handshake (an alert: our certificate).
    Refused(String),
    /// Anything else (no connection, a timeout, a protocol error).
    Failed(String),
}

/// A TLS handshake with `addr` as `host`, with our client identity and roots, then one
/// harmless request (`GET path`) to see that the receiver accepts our
/// certificate: with TLS 1.3 a refusal comes only after the handshake.
pub async fn probe(
    addr: SocketAddr,
    host: &str,
    path: &str,
    config: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> TlsProbe {
    let Ok(name) = rustls_pki_types::ServerName::try_from(host.to_owned()) else {
        return TlsProbe::Failed(format!("{host:?} is not a host name"));
    };
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| TlsProbe::Failed(e.to_string()))?;
        let connector = tokio_rustls::TlsConnector::from(config);
        let mut stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| handshake_failure(&e))?;
        let (_, connection) = stream.get_ref();
        let protocol = connection
            .protocol_version()
            .map_or_else(|| "?".to_owned(), |v| format!("{v:?}"));
        let suite = connection
            .negotiated_cipher_suite()
            .map_or_else(|| "?".to_owned(), |s| format!("{:?}", s.suite()));
        let peer = connection
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| peer_certificate(leaf));
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: lotgate/{}\r\nConnection: close\r\n\r\n",
            path,
            host,
            env!("CARGO_PKG_VERSION")
        );
        let answer = async {
            stream
                .write_all(request.as_bytes())
                .await
                .map_err(|e| failure_text(&e))?;
            let mut head = vec![0; 512];
            let n = stream.read(&mut head).await.map_err(|e| failure_text(&e))?;
            if n == 0 {
                return Err("the connection was closed without an answer".to_owned());
            }
            let text = String::from_utf8_lossy(&head[..n]);
            Ok(text.lines().next().unwrap_or_default().trim().to_owned())
        }
        .await;
        Ok(TlsProbe::Connected {
            protocol,
            suite,
            peer,
            answer,
        })
    };
    match tokio::time::timeout(timeout, attempt).await {
        Err(_) => TlsProbe::Failed(format!(
            "no TLS connection within {}",
            humantime::format_duration(timeout)
        )),
        Ok(Ok(probe) | Err(probe)) => probe,
    }
}

fn peer_certificate(der: &[u8]) -> Option<PeerCertificate> {
    use x509_parser::prelude::FromDer;
    let (_, certificate) = x509_parser::certificate::X509Certificate::from_der(der).ok()?;
    Some(PeerCertificate {
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        not_after: DateTime::<Utc>::from_timestamp(
            certificate.validity().not_after.timestamp(),
            0,
        )?,
    })
}

/// The rustls error inside an I/O error from tokio-rustls.
fn rustls_error(e: &std::io::Error) -> Option<&TlsError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>())
}

fn failure_text(e: &std::io::Error) -> String {
    crate::tls::describe_failure(e).unwrap_or_else(|| match rustls_error(e) {
        Some(tls) => tls.to_string(),
        None => e.to_string(),
    })
}

fn handshake_failure(e: &std::io::Error) -> TlsProbe {
    let text = failure_text(e);
    match rustls_error(e) {
        Some(TlsError::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        )) => TlsProbe::Hostname(text),
        Some(TlsError::InvalidCertificate(_)) => TlsProbe::Chain(text),
        Some(TlsError::AlertReceived(_)) => TlsProbe::Refused(text),
        _ => TlsProbe::Failed(text),
    }
}
