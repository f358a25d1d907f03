//! Serving HTTP/1.1 (over TLS, when configured) on a listener the caller bound, with the
//! limits every listener of lotgate needs: a header-read timeout (which also bounds the
//! TLS handshake), a cap on concurrent connections, and a graceful shutdown that lets
//! requests in flight finish. The handler decides what a request
//! means; this module knows nothing of HL7.

use crate::language::Language;
use crate::live::Live;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use rustls_pki_types::CertificateDer;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A response with a complete body.
pub type Reply = Response<Full<Bytes>>;

/// Limits of one listener.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// What the listener is, for the log (`"exchange"`, `"admin"`).
    pub name: &'static str,
    /// Time a client has to send the request line and headers.
    pub header_timeout: Duration,
    /// Most connections served at once; further connections wait in the backlog.
    pub max_connections: usize,
    /// Most connections one client address may hold open at once; a connection above it
    /// is closed as soon as it is accepted, so one address cannot take every slot.
    pub max_per_address: usize,
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
/// which must be complete within the header timeout. Each connection takes the TLS
/// configuration current when it is accepted: a reload that replaces it changes the
/// connections accepted after it, and those already open finish on the old one.
pub async fn serve<H, F>(
    listener: TcpListener,
    limits: ServeLimits,
    tls: Option<Live<rustls::ServerConfig>>,
    handler: H,
    shutdown: impl Future<Output = ()>,
) where
    H: Fn(Request<Incoming>, Arc<Peer>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::new(limits.max_per_address));
    let mut refusals = RefusalLog::new(limits.name, limits.max_per_address);
    // Connections closed before their TLS handshake began, counted for the debug log.
    let silent = Arc::new(AtomicU64::new(0));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, addr) = loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => break accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment, do not spin.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                () = refusals.due() => refusals.report(std::time::Instant::now()),
                () = &mut shutdown => {
                    refusals.report(std::time::Instant::now());
                    return finish(listener, graceful, limits).await;
                }
            }
        };
        let Some(slot) = per_address.take(addr.ip()) else {
            // Closed at once, before any byte is read: the address holds its share.
            drop(stream);
            refusals.refused(addr.ip(), std::time::Instant::now());
            continue;
        };
        let handler = handler.clone();
        let watcher = graceful.watcher();
        let acceptor = tls
            .as_ref()
            .map(|tls| tokio_rustls::TlsAcceptor::from(tls.get()));
        let silent = silent.clone();
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
                    serve_tls(&acceptor, stream, addr, limits, handler, watcher, &silent).await;
                }
            }
            drop(slot);
            drop(permit);
        });
    }
    finish(listener, graceful, limits).await;
}

/// Stops accepting and waits (at most the grace period) for requests in flight.
async fn finish(listener: TcpListener, graceful: GracefulShutdown, limits: ServeLimits) {
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

/// The number of open connections per client address, for the per-address cap.
struct PerAddress {
    max: usize,
    open: std::sync::Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in [`PerAddress`], given back when dropped.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            open: std::sync::Mutex::new(HashMap::new()),
        }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // The map holds plain counts: a panic elsewhere cannot leave it half-changed.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A slot for one more connection from `ip`; `None` when it has `max` open already.
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open();
        let count = open.entry(ip).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            table: self.clone(),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.table.open();
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// How often, at most, refused connections are logged.
const REFUSAL_REPORT_EVERY: Duration = Duration::from_secs(10);

/// The log of connections refused for the per-address cap, at a bounded rate: the first
/// refusal at once, then one line per [`REFUSAL_REPORT_EVERY`] with the count per address.
struct RefusalLog {
    listener: &'static str,
    max: usize,
    pending: BTreeMap<IpAddr, u64>,
    last_report: Option<std::time::Instant>,
}

impl RefusalLog {
    fn new(listener: &'static str, max: usize) -> Self {
        Self {
            listener,
            max,
            pending: BTreeMap::new(),
            last_report: None,
        }
    }

    /// Counts a refused connection from `ip`, and logs at once when nothing was logged
    /// for a while.
    fn refused(&mut self, ip: IpAddr, now: std::time::Instant) {
        *self.pending.entry(ip).or_insert(0) += 1;
        if self
            .last_report
            .is_none_or(|last| now.duration_since(last) >= REFUSAL_REPORT_EVERY)
        {
            self.report(now);
        }
    }

    /// Completes when counted refusals are waiting to be logged and the interval is over;
    /// never when nothing waits.
    async fn due(&self) {
        match (self.pending.is_empty(), self.last_report) {
            (false, Some(last)) => {
                tokio::time::sleep_until((last + REFUSAL_REPORT_EVERY).into()).await;
            }
            _ => std::future::pending().await,
        }
    }

    /// Logs the refusals counted so far (nothing when there are none).
    fn report(&mut self, now: std::time::Instant) {
        if let Some(line) = self.line() {
            tracing::warn!("{line}");
            self.last_report = Some(now);
        }
    }

    /// The log line for the refusals counted so far, which it forgets.
    fn line(&mut self) -> Option<String> {
        if self.pending.is_empty() {
            return None;
        }
        let pending = std::mem::take(&mut self.pending);
        let total: u64 = pending.values().sum();
        let from = pending
            .iter()
            .map(|(ip, n)| format!("{ip} ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!(
            "{} listener: closed {total} connection(s) at once from {from}: each address may \
             hold at most {} open connection(s)",
            self.listener, self.max
        ))
    }
}

/// Serves one connection over TLS: the handshake must finish within `header_timeout`;
/// a failed handshake is logged (a connect-and-close without a ClientHello only at
/// debug level, counted in `silent`).
async fn serve_tls<H, F>(
    acceptor: &tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    addr: SocketAddr,
    limits: ServeLimits,
    handler: H,
    watcher: hyper_util::server::graceful::Watcher,
    silent: &AtomicU64,
) where
    H: Fn(Request<Incoming>, Arc<Peer>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Reply> + Send + 'static,
{
    let handshake = tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
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
        // A connect-and-close without a ClientHello is what load balancers' health
        // checks do: not worth a warning.
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            let n = silent.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::debug!(
                "{addr} closed the connection before a TLS handshake began \
                 ({n} such connection(s) since start)"
            );
        }
        Ok(Err(e)) => tracing::warn!(
            "TLS handshake with {addr} failed: {}",
            crate::tls::describe_failure(&e).unwrap_or_else(|| e.to_string())
        ),
        Err(_) => tracing::info!(
            "TLS handshake with {addr} not complete within {:?}; disconnected",
            limits.header_timeout
        ),
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

/// A JSON response: an answer of the admin API (see `crate::api`).
pub fn json<T: serde::Serialize + ?Sized>(status: StatusCode, value: &T) -> Reply {
    // The API's types hold strings, numbers and maps with string keys: always JSON.
    let body = serde_json::to_vec(value).unwrap_or_default();
    reply(status, "application/json", body)
}

/// An error of the admin API: `status` with an [`ErrorAnswer`](crate::api::ErrorAnswer)
/// whose text names what was wrong, in the gateway's language.
pub fn error(status: StatusCode, text: impl Into<String>) -> Reply {
    json(status, &crate::api::ErrorAnswer::new(text))
}

/// 405: the path is known, the method is not; `Allow` names the ones that are.
pub fn method_not_allowed(allow: &'static str) -> Reply {
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    response.headers_mut().insert(
        hyper::header::ALLOW,
        hyper::header::HeaderValue::from_static(allow),
    );
    response
}

/// What a person is told when a store cannot be read (the details go to the log).
pub fn store_unavailable_text(language: Language) -> &'static str {
    language.pick(
        "de opslag is niet beschikbaar",
        "the store is not available",
    )
}

/// 503 when a store cannot be read: the error is logged with `context`, the answer
/// gives no details.
pub fn store_unavailable(
    context: &str,
    error: &dyn std::fmt::Display,
    language: Language,
) -> Reply {
    tracing::error!("{context}: {error}");
    self::error(
        StatusCode::SERVICE_UNAVAILABLE,
        store_unavailable_text(language),
    )
}

/// Decodes `%XX` escapes of a path segment (lot numbers may hold spaces and other
/// characters); invalid escapes are kept as written.
pub fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether the request carries `Authorization: Bearer <token>` with exactly this token,
/// compared in time independent of where the first difference is.
pub fn bearer_is(headers: &hyper::HeaderMap, token: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Some(given) = headers
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    given.trim().as_bytes().ct_eq(token.as_bytes()).into()
}

/// Everything but the unreserved characters of RFC 3986.
const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value: everything but unreserved characters.
pub fn percent_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, RESERVED).to_string()
}

/// Query parameters (`a=1&b=2`), decoded as forms are (`+` is a space).
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses a query string (`None`: no query).
    pub fn parse(query: Option<&str>) -> Self {
        Query(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The keys given, in order (repeated ones repeated).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
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
    fn each_address_holds_at_most_its_share() {
        let table = Arc::new(PerAddress::new(2));
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.2".parse().unwrap(), "::1".parse().unwrap());
        let first = table.take(a).expect("first");
        let second = table.take(a).expect("second");
        assert!(table.take(a).is_none(), "a third from the same address");
        assert!(table.take(b).is_some(), "another address is not held up");
        drop(first);
        let third = table.take(a).expect("a slot given back is free again");
        drop((second, third));
        assert!(
            table.open().is_empty(),
            "no entry left for closed addresses"
        );
    }

    #[test]
    fn refusals_are_logged_at_a_bounded_rate() {
        let start = std::time::Instant::now();
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap());
        let mut log = RefusalLog::new("exchange", 32);
        log.refused(a, start);
        assert_eq!(
            log.last_report,
            Some(start),
            "the first refusal is logged at once"
        );
        assert!(log.pending.is_empty());
        for _ in 0..5 {
            log.refused(a, start + Duration::from_secs(1));
        }
        log.refused(b, start + Duration::from_secs(2));
        assert_eq!(
            log.last_report,
            Some(start),
            "the next ones wait for the interval"
        );
        let line = log.line().expect("counted refusals");
        assert!(
            line.contains("closed 6 connection(s)")
                && line.contains("127.0.0.2 (5), 127.0.0.3 (1)")
                && line.contains("at most 32"),
            "{line}"
        );
        assert_eq!(log.line(), None, "each refusal is reported once");
        log.refused(a, start + REFUSAL_REPORT_EVERY);
        assert_eq!(log.last_report, Some(start + REFUSAL_REPORT_EVERY));
    }

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
