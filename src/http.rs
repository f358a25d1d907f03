//! Serving HTTP/1.1 (over TLS, when configured) on a listener the caller bound, with the
//! limits every listener of lotgate needs: a header-read timeout (which also bounds the
//! TLS handshake), a cap on concurrent connections, and a graceful shutdown that lets
//! requests in flight finish. The handler decides what a request
//! means; this module knows nothing of HL7.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::CertificateDer;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A response with a complete body.
pub type Reply = Response<Full<Bytes>>;

/// Limits of one listener.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time a client has to send the request line and headers.
    pub header_timeout: Duration,
    /// Most connections served at once; further connections wait in the backlog.
    pub max_connections: usize,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

/// Who is at the other end of a connection.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The client's address.
    pub addr: SocketAddr,
    /// The client's certificate (DER), when the connection is TLS with a client
    /// certificate (the listener's TLS configuration decides whether one is required).
    pub certificate: Option<CertificateDer<'static>>,
}

/// Serves `listener` until `shutdown` completes, calling `handler` for each request with
/// the connection's [`Peer`]. With `tls`, every connection starts with a TLS handshake,
/// which must be complete within the header timeout.
pub async fn serve<H, F>(
    listener: TcpListener,
    limits: ServeLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: H,
    shutdown: impl Future<Output = ()>,
) where
    H: Fn(Request<Incoming>, Arc<Peer>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, do not spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let handler = handler.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            match acceptor {
                None => {
                    let peer = Peer {
                        addr,
                        certificate: None,
                    };
                    serve_connection(stream, peer, limits, handler, watcher).await;
                }
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
                    match handshake {
                        Ok(Ok(stream)) => {
                            let certificate = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|chain| chain.first())
                                .map(|c| c.clone().into_owned());
                            let peer = Peer { addr, certificate };
                            serve_connection(stream, peer, limits, handler, watcher).await;
                        }
                        Ok(Err(e)) => tracing::warn!("TLS handshake with {addr} failed: {e}"),
                        Err(_) => tracing::info!(
                            "TLS handshake with {addr} not complete within {:?}; disconnected",
                            limits.header_timeout
                        ),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "shutdown: requests still in flight after {:?}",
            limits.shutdown_grace
        );
    }
}

/// Serves HTTP/1.1 on one connection until it ends or a graceful shutdown closes it.
async fn serve_connection<S, H, F>(
    stream: S,
    peer: Peer,
    limits: ServeLimits,
    handler: H,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    H: Fn(Request<Incoming>, Arc<Peer>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let addr = peer.addr;
    let peer = Arc::new(peer);
    let service = service_fn(move |request| {
        let (handler, peer) = (handler.clone(), peer.clone());
        async move { Ok::<_, Infallible>(handler(request, peer).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(peer = %addr, "connection ended: {e}");
    }
}

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than allowed.
    TooLarge,
    /// Not complete within the time allowed (a slow client).
    TooSlow,
    /// The connection failed while reading.
    Broken,
}

/// Reads a request body of at most `max` bytes within `timeout`.
pub async fn read_body(body: Incoming, max: usize, timeout: Duration) -> Result<Bytes, BodyError> {
    let limited = Limited::new(body, max);
    match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => Err(BodyError::TooSlow),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(BodyError::TooLarge)
        }
        Ok(Err(_)) => Err(BodyError::Broken),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// A response with a status, a content type and a body.
pub fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// A short plain-text response (errors outside the SOAP exchange).
pub fn text(status: StatusCode, message: &str) -> Reply {
    reply(status, "text/plain; charset=utf-8", format!("{message}\n"))
}

/// A JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
    reply(status, "application/json", value.to_string())
}

/// Decodes `%XX` escapes of a path segment (lot numbers may hold spaces and other
/// characters); invalid escapes are kept as written.
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the request carries `Authorization: Bearer <token>` with exactly this token,
/// compared in time independent of where the first difference is.
pub fn bearer_is(headers: &hyper::HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (given, token) = (given.trim().as_bytes(), token.as_bytes());
    given.len() == token.len()
        && given
            .iter()
            .zip(token)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

/// Percent-encodes a query value: everything but unreserved characters.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Query parameters (`a=1&b=2`), percent-decoded.
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses a query string (`None`: no query).
    pub fn parse(query: Option<&str>) -> Self {
        Query(
            query
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (percent_decode(k), percent_decode(&v.replace('+', " ")))
                })
                .collect(),
        )
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_paths_and_queries() {
        assert_eq!(percent_decode("AB%20C%2F1"), "AB C/1");
        assert_eq!(percent_decode("100%"), "100%");
        let q = Query::parse(Some("vaccine=08&prefix=AS%20&limit=5"));
        assert_eq!(
            (q.get("vaccine"), q.get("prefix"), q.get("limit")),
            (Some("08"), Some("AS "), Some("5"))
        );
        assert_eq!(q.get("nope"), None);
        let mut headers = hyper::HeaderMap::new();
        assert!(!bearer_is(&headers, "s3cret"));
        headers.insert(
            hyper::header::AUTHORIZATION,
            "Bearer s3cret".parse().unwrap(),
        );
        assert!(bearer_is(&headers, "s3cret"));
        assert!(!bearer_is(&headers, "s3cre"));
        assert!(!bearer_is(&headers, "s3creT"));
        headers.insert(
            hyper::header::AUTHORIZATION,
            "Basic s3cret".parse().unwrap(),
        );
        assert!(!bearer_is(&headers, "s3cret"));
        let odd = "a b/ç&=";
        let q = Query::parse(Some(&format!("d={}", percent_encode(odd))));
        assert_eq!(q.get("d"), Some(odd));
    }
}
