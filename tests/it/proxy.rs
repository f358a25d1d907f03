//! The fault-injecting proxy ([`crate::support::proxy`]) against a tiny upstream HTTP
//! server, with a raw HTTP client: each fault does what it says, and nothing more.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::proxy::{Fault, Proxy};

/// What the upstream answers to every request.
const UPSTREAM_BODY: &str = "<ack>received</ack>";

/// The request body the client sends (in several segments).
const REQUEST_BODY: &str = "<soap:Envelope><soap:Body><ping/></soap:Body></soap:Envelope>";

/// A one-connection-at-a-time HTTP server on a free loopback port: it reads a request
/// (head and `Content-Length` body) and answers `200` with [`UPSTREAM_BODY`] and
/// `Connection: close`.
struct Upstream {
    addr: SocketAddr,
    /// Connections accepted.
    connections: Arc<AtomicUsize>,
    /// Complete requests read (counted before the answer is written).
    handled: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the upstream binds");
        let addr = listener.local_addr().expect("the upstream's address");
        let connections = Arc::new(AtomicUsize::new(0));
        let handled = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        std::thread::spawn({
            let (connections, handled, stop) = (connections.clone(), handled.clone(), stop.clone());
            move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    if read_message(&mut stream).is_err() {
                        continue;
                    }
                    handled.fetch_add(1, Ordering::SeqCst);
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{UPSTREAM_BODY}",
                        UPSTREAM_BODY.len()
                    );
                    let _ = stream.write_all(response.as_bytes());
                }
            }
        });
        Upstream {
            addr,
            connections,
            handled,
            stop,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Reads an HTTP request: head, then `Content-Length` bytes of body.
fn read_message(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut data = Vec::new();
    let mut buf = [0; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().expect("a Content-Length"));
            if data.len() >= end + 4 + length {
                return Ok(data);
            }
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        data.extend_from_slice(&buf[..n]);
    }
}

/// POSTs [`REQUEST_BODY`] to `addr`, the head and two halves of the body in separate
/// segments, and reads until EOF with a read timeout: the raw response bytes, or the
/// error that ended the exchange.
fn post(addr: SocketAddr, timeout: Duration) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(timeout))?;
    let head = format!(
        "POST /soap HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\n\r\n",
        REQUEST_BODY.len()
    );
    let (first, second) = REQUEST_BODY.split_at(REQUEST_BODY.len() / 2);
    for part in [head.as_str(), first, second] {
        stream.write_all(part.as_bytes())?;
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}

/// Like [`post`] with a generous timeout, for an exchange that must succeed.
fn post_ok(addr: SocketAddr) -> String {
    let response = post(addr, Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("no response through the proxy at {addr}: {e}"));
    String::from_utf8(response).expect("a text response")
}

/// The client got nothing: an error (reset) or EOF before any byte.
fn assert_no_response(result: io::Result<Vec<u8>>, fault: &str) {
    match result {
        Ok(bytes) => assert!(
            bytes.is_empty(),
            "{fault}: expected no response, got {:?}",
            String::from_utf8_lossy(&bytes)
        ),
        Err(e) => assert!(
            matches!(
                e.kind(),
                ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted
            ),
            "{fault}: expected a reset or EOF, got {e} ({:?})",
            e.kind()
        ),
    }
}

#[test]
fn pass_forwards_the_upstream_response() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    for round in 1..=2 {
        let response = post_ok(proxy.addr());
        assert!(
            response.starts_with("HTTP/1.1 200 OK\r\n") && response.ends_with(UPSTREAM_BODY),
            "round {round}: not the upstream's response: {response:?}"
        );
        assert_eq!(
            upstream.handled(),
            round,
            "the upstream handled each request"
        );
    }
    assert_eq!(proxy.connections(), 2);
    assert_eq!(proxy.log(), vec![Fault::Pass, Fault::Pass]);
}

#[test]
fn status_answers_without_the_upstream() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    proxy.set(Fault::Status(503));
    let response = post_ok(proxy.addr());
    assert!(
        response.starts_with("HTTP/1.1 503 Service Unavailable\r\n")
            && response.contains("\r\nConnection: close\r\n"),
        "not an injected 503: {response:?}"
    );
    assert_eq!(upstream.connections(), 0, "the upstream was not contacted");
    assert_eq!(proxy.log(), vec![Fault::Status(503)]);
}

#[test]
fn refuse_closes_without_a_response() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    proxy.set(Fault::Refuse);
    assert_no_response(post(proxy.addr(), Duration::from_secs(5)), "Refuse");
    assert_eq!(upstream.connections(), 0, "the upstream was not contacted");
    assert_eq!(proxy.connections(), 1);
}

#[test]
fn reset_after_request_loses_the_acknowledgement() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    proxy.set(Fault::ResetAfterRequest);
    let result = post(proxy.addr(), Duration::from_secs(5));
    if let Err(e) = &result {
        assert_eq!(e.kind(), ErrorKind::ConnectionReset, "a reset, not {e}");
    }
    assert_no_response(result, "ResetAfterRequest");
    assert_eq!(upstream.handled(), 1, "the upstream handled the request");
}

#[test]
fn delay_response_outlasts_the_client_timeout() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    proxy.set(Fault::DelayResponse(Duration::from_millis(300)));
    match post(proxy.addr(), Duration::from_millis(100)) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("expected the client's read to time out, got {other:?}"),
    }

    // A patient client gets the response, late.
    let started = Instant::now();
    let response = post_ok(proxy.addr());
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the response came after {:?}",
        started.elapsed()
    );
    assert!(response.ends_with(UPSTREAM_BODY), "{response:?}");
    assert_eq!(upstream.handled(), 2, "both requests went upstream");
}

#[test]
fn truncate_response_passes_only_the_first_bytes() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    proxy.set(Fault::TruncateResponse(10));
    let response = post(proxy.addr(), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("expected 10 bytes and EOF, got {e}"));
    assert_eq!(String::from_utf8_lossy(&response), "HTTP/1.1 2");
    assert_eq!(upstream.handled(), 1);
}

#[test]
fn a_plan_applies_in_order_then_the_default() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    proxy.plan(vec![Fault::Refuse, Fault::Refuse], Fault::Pass);
    assert_no_response(post(proxy.addr(), Duration::from_secs(5)), "first");
    assert_no_response(post(proxy.addr(), Duration::from_secs(5)), "second");
    assert!(post_ok(proxy.addr()).ends_with(UPSTREAM_BODY));
    assert!(post_ok(proxy.addr()).ends_with(UPSTREAM_BODY));
    assert_eq!(upstream.handled(), 2);

    proxy.plan(vec![Fault::Status(500)], Fault::Refuse);
    proxy.set(Fault::Status(502));
    assert!(post_ok(proxy.addr()).starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
    assert_eq!(
        proxy.log(),
        vec![
            Fault::Refuse,
            Fault::Refuse,
            Fault::Pass,
            Fault::Pass,
            Fault::Status(502)
        ]
    );
}

#[test]
fn dropping_the_proxy_closes_its_port() {
    let upstream = Upstream::start();
    let proxy = Proxy::start(upstream.addr);
    let addr = proxy.addr();
    assert!(post_ok(addr).ends_with(UPSTREAM_BODY));
    drop(proxy);
    let error = TcpStream::connect(addr).expect_err("nothing listens after the drop");
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
}
