//! A minimal HTTP/1.1 client over a plain TCP stream: enough to talk to lotgate's
//! listeners, and low-level enough to send what a well-behaved client would not.

use serde::de::DeserializeOwned;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// A response: status, headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as an answer of the admin API, one of `lotgate::api`'s types; panics with
    /// the status and the body when it is not one.
    pub fn answer<T: DeserializeOwned>(&self) -> T {
        self.try_answer()
            .unwrap_or_else(|complaint| panic!("{complaint}"))
    }

    /// Like [`Response::answer`], but what does not parse is an `Err` with the status and
    /// the body, for callers that collect problems instead of stopping at the first.
    pub fn try_answer<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            format!(
                "HTTP {}: not a {} ({e}): {}",
                self.status,
                std::any::type_name::<T>(),
                self.text()
            )
        })
    }

    /// The body as untyped JSON, for the few tests that read an answer's key names as
    /// written on the wire (they are a contract too, which the typed [`Response::answer`]
    /// cannot check: a key renamed in `lotgate::api` reads back fine).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Opens `n` connections to `addr` from the local address `from` (any address of
/// 127.0.0.0/8 works on loopback) and leaves them idle: they send nothing.
pub fn idle_connections(from: std::net::IpAddr, addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let socket = socket2::Socket::new(
                socket2::Domain::for_address(addr),
                socket2::Type::STREAM,
                None,
            )
            .expect("a socket");
            socket
                .bind(&SocketAddr::new(from, 0).into())
                .unwrap_or_else(|e| panic!("bind to {from}: {e}"));
            socket
                .connect_timeout(&addr.into(), Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("connect from {from} to {addr}: {e}"));
            socket.into()
        })
        .collect()
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Response {
    try_request(addr, method, path, body)
        .unwrap_or_else(|| panic!("no complete response from {addr} to {method} {path}"))
}

/// [`request`] with more header lines.
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    try_request_with(addr, method, path, headers, body)
        .unwrap_or_else(|| panic!("no complete response from {addr} to {method} {path}"))
}

/// Like [`request`], but `None` instead of a panic when the connection fails or the
/// response is incomplete: for clients of a gateway that is killed while they talk to it.
pub fn try_request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Option<Response> {
    try_request_with(addr, method, path, &[], body)
}

fn try_request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"urn:hl7-org:v3/PRMM_IN010043NL\"\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    parse_response(&mut stream)
}

/// A TLS connection of the tests, its handshake done.
pub type TlsStream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// Connects over two-way TLS with the client configuration `tls`, expecting the server to
/// be `server_name`, and completes the handshake; `Err` with rustls' words when the
/// connection or the handshake fails.
pub fn tls_connect(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    server_name: &str,
) -> Result<TlsStream, String> {
    let name = rustls_pki_types::ServerName::try_from(server_name.to_owned())
        .map_err(|e| e.to_string())?;
    let connection = rustls::ClientConnection::new(tls, name).map_err(|e| e.to_string())?;
    let stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(connection, stream);
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .map_err(|e| e.to_string())?;
    }
    Ok(tls)
}

/// Sends one POST over two-way TLS with the client configuration `tls`, expecting the
/// server to be `server_name`; `Err` with rustls' words when the connection or the
/// handshake fails or no complete response comes back.
pub fn tls_post(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    server_name: &str,
    path: &str,
    body: &[u8],
) -> Result<Response, String> {
    tls_post_on(
        tls_connect(addr, tls, server_name)?,
        server_name,
        path,
        body,
    )
}

/// Sends one POST on the TLS connection `tls` (to `server_name`) and reads the response
/// until the server closes the connection.
pub fn tls_post_on(
    mut tls: TlsStream,
    server_name: &str,
    path: &str,
    body: &[u8],
) -> Result<Response, String> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {server_name}\r\nContent-Type: text/xml; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    tls.write_all(body).map_err(|e| e.to_string())?;
    tls.flush().map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let read = tls.read_to_end(&mut raw);
    match parse_raw(&raw) {
        Some(response) => Ok(response),
        None => Err(match read {
            Err(e) => e.to_string(),
            Ok(_) => "the connection closed without a complete response".to_owned(),
        }),
    }
}

/// Reads a response until the server closes the connection.
pub fn read_response(stream: &mut TcpStream) -> Response {
    parse_response(stream).expect("a complete response")
}

/// Reads and parses a response; `None` when it is cut off (lotgate's answers carry a
/// `Content-Length`, so a shorter body is detected).
fn parse_response(stream: &mut TcpStream) -> Option<Response> {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_raw(&raw)
}

/// Parses a complete response.
fn parse_raw(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    if length.is_some_and(|length| body.len() != length) {
        return None;
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}
