//! What the receiver's benchmark (`benches/receiver.rs`) and load generator
//! (`examples/receiver_load.rs`) share: a receiver configuration for a temporary
//! directory, numbered sample deliveries, and a minimal keep-alive HTTP/1.1 client over a
//! plain TCP stream. Everything talks to loopback only.

// Each user takes what it needs; the rest is unused there.
#![allow(dead_code)]

use chrono::{Duration as Days, NaiveDate};
use lotgate::lot::LotSet;
use lotgate::sample;
use lotgate::timestamp::Timestamp;
use lotgate::wire::soap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

/// The exchange path of the configuration below (the default).
pub const EXCHANGE_PATH: &str = "/jgz/partijnummers";

/// A receiver on loopback (port 0 for both listeners) with its data under `dir`, `.eml`
/// files for mail, the shrink guard off (benchmarks send sets of different sizes) and a
/// body limit large enough for 100,000 lots.
pub fn receiver_config(dir: &Path) -> String {
    format!(
        r#"
[gateway]
data_dir = "{data}"
language = "en"
log = "error"

[admin]
listen = "127.0.0.1:0"

[mail]
from = "lotgate@example.org"
transport = "file"
file_dir = "{mail}"

[receiver]
listen = "127.0.0.1:0"
application_id = "{receiver}"
allowed_senders = ["{sender}"]
administrators = ["beheer@example.org"]
max_body = "128MiB"
shrink_guard_fraction = 0.0
"#,
        data = dir.join("data").display(),
        mail = dir.join("mail").display(),
        receiver = sample::RECEIVER,
        sender = sample::SENDER,
    )
}

/// Delivery number `sequence` of `lots`: a SOAP envelope with message id
/// `{prefix}-{sequence}`, created `sequence` seconds after 2026-06-01 02:00:00, so that
/// every later delivery is newer than the one before and none is a duplicate.
pub fn delivery(lots: &LotSet, prefix: &str, sequence: u32) -> Vec<u8> {
    let mut message = sample::message_with(lots.clone(), &format!("{prefix}-{sequence}"));
    let start = NaiveDate::from_ymd_opt(2026, 6, 1)
        .and_then(|d| d.and_hms_opt(2, 0, 0))
        .expect("a valid date");
    message.created = Timestamp::from_local(start + Days::seconds(i64::from(sequence)));
    soap::message_envelope(&message).into_bytes()
}

/// Whether an exchange answer is a `CA` acknowledgement.
pub fn is_ca(body: &[u8]) -> bool {
    memchr::memmem::find(body, br#"typeCode="CA""#).is_some()
}

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    addr: SocketAddr,
    stream: TcpStream,
    buffer: Vec<u8>,
    head: Vec<u8>,
}

/// A response: its status and where its body is in the client's buffer.
pub struct Response<'c> {
    /// The HTTP status code.
    pub status: u16,
    /// The body.
    pub body: &'c [u8],
}

impl Client {
    /// Connects to `addr` (loopback only: this client is for local measurements).
    pub fn connect(addr: SocketAddr) -> io::Result<Client> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::other(format!(
                "{addr} is not a loopback address"
            )));
        }
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_write_timeout(Some(Duration::from_secs(60)))?;
        Ok(Client {
            addr,
            stream,
            buffer: Vec::with_capacity(16 * 1024),
            head: Vec::with_capacity(256),
        })
    }

    /// Posts a SOAP message to the exchange endpoint.
    pub fn post_message(&mut self, body: &[u8]) -> io::Result<Response<'_>> {
        self.request(
            "POST",
            EXCHANGE_PATH,
            "Content-Type: text/xml; charset=utf-8\r\n\
             SOAPAction: \"urn:hl7-org:v3/PRMM_IN010043NL\"\r\n",
            body,
        )
    }

    /// A GET of `target` (path and query).
    pub fn get(&mut self, target: &str) -> io::Result<Response<'_>> {
        self.request("GET", target, "", b"")
    }

    /// Sends one request and reads its response; the connection stays open.
    fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &str,
        body: &[u8],
    ) -> io::Result<Response<'_>> {
        self.head.clear();
        write!(
            self.head,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\n{headers}Content-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        )?;
        if body.len() <= 64 * 1024 {
            // One write for small requests: fewer packets, fewer wake-ups on the server.
            self.head.extend_from_slice(body);
            self.stream.write_all(&self.head)?;
        } else {
            self.stream.write_all(&self.head)?;
            self.stream.write_all(body)?;
        }
        self.read_response()
    }

    fn read_response(&mut self) -> io::Result<Response<'_>> {
        self.buffer.clear();
        let mut chunk = [0u8; 16 * 1024];
        let header_end = loop {
            if let Some(end) = memchr::memmem::find(&self.buffer, b"\r\n\r\n") {
                break end + 4;
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buffer[..header_end])
            .map_err(|_| io::Error::other("response head is not UTF-8"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("no status line"))?;
        let length: usize = head
            .split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .ok_or_else(|| io::Error::other("response without Content-Length"))?;
        while self.buffer.len() < header_end + length {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
        Ok(Response {
            status,
            body: &self.buffer[header_end..header_end + length],
        })
    }
}
