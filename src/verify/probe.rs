//! The network side of `lotgate verify`: looking up the host, a TCP connection, and
//! HTTP exchanges with every byte and header kept (the TLS handshake of its own is
//! [`crate::tls::probe`]).

use crate::config::SenderConfig;
use crate::language::Text;
use crate::sender::net::{USER_AGENT, delivery_client, http_reason, read_limited};
use crate::wire;
use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The largest answer read from a receiver.
const MAX_ANSWER: u64 = 8 * 1024 * 1024;

/// The endpoint: scheme, host, port and path of a destination's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://`.
    pub https: bool,
    /// The host as written (no brackets around IPv6).
    pub host: String,
    /// The port (the scheme's default when none is written).
    pub port: u16,
    /// Path and query, for a request line.
    pub path: String,
}

impl Endpoint {
    /// Reads a destination's URL (the configuration checked it already).
    pub fn parse(url: &str) -> Option<Self> {
        let url = url::Url::parse(url).ok()?;
        let host = match url.host()? {
            url::Host::Domain(name) => name.to_owned(),
            url::Host::Ipv4(ip) => ip.to_string(),
            url::Host::Ipv6(ip) => ip.to_string(),
        };
        let mut path = url.path().to_owned();
        if let Some(query) = url.query() {
            path.push('?');
            path.push_str(query);
        }
        Some(Self {
            https: url.scheme() == "https",
            host,
            port: url.port_or_known_default()?,
            path,
        })
    }
}

/// Looks up the endpoint's host: its addresses and how long it took.
pub async fn resolve(
    endpoint: &Endpoint,
    timeout: Duration,
) -> Result<(Vec<SocketAddr>, Duration), String> {
    let started = Instant::now();
    let lookup = tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port));
    match tokio::time::timeout(timeout, lookup).await {
        Err(_) => Err(format!(
            "no answer within {}",
            humantime::format_duration(timeout)
        )),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(addresses)) => {
            let addresses: Vec<SocketAddr> = addresses.collect();
            if addresses.is_empty() {
                Err("no addresses".to_owned())
            } else {
                Ok((addresses, started.elapsed()))
            }
        }
    }
}

/// Opens a TCP connection to `addr`: how long it took.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Err(_) => Err(format!(
            "no connection within {}",
            humantime::format_duration(timeout)
        )),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(_)) => Ok(started.elapsed()),
    }
}

/// The HTTP client of the exchanges: the sender's (our client certificate and roots,
/// no redirects, no pooled connections), waiting up to `wait` for an answer.
pub fn client(sender: &SenderConfig, wait: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(delivery_client(sender.tls.as_ref(), wait)?.0)
}

/// One request and what came back, byte for byte.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request line and headers, as lotgate's HTTP client sends them.
    pub request_head: String,
    /// The request body.
    pub request: Vec<u8>,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
    /// The answer, or why none came.
    pub answer: Result<Answered, Text>,
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Answered {
    /// The HTTP status.
    pub status: u16,
    /// The status line and headers, as received.
    pub head: String,
    /// The `Date` header.
    pub date: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// When it was read whole.
    pub at: DateTime<Utc>,
    /// From sending to the whole answer.
    pub elapsed: Duration,
}

/// Posts `body` as a SOAP request to `url` and reads the whole answer.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    endpoint: &Endpoint,
    body: Vec<u8>,
    wait: Duration,
) -> Exchange {
    let request_head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \
         {}\r\nUser-Agent: {}\r\nAccept: */*\r\nContent-Length: {}\r\n",
        endpoint.path,
        host_header(endpoint),
        wire::SOAP_ACTION,
        USER_AGENT,
        body.len()
    );
    let sent_at = Utc::now();
    let started = Instant::now();
    let answer = async {
        let mut response = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", wire::SOAP_ACTION)
            .body(body.clone())
            .send()
            .await
            .map_err(|e| http_reason(&e, wait))?;
        let status = response.status();
        let mut head = format!("{:?} {}\r\n", response.version(), status);
        for (name, value) in response.headers() {
            head.push_str(&format!(
                "{name}: {}\r\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|d| d.to_str().ok())
            .map(str::to_owned);
        let bytes = read_limited(&mut response, MAX_ANSWER, wait)
            .await
            .map_err(|reason| {
                reason.unwrap_or_else(|| {
                    let mib = MAX_ANSWER >> 20;
                    Text::new(
                        format!("een antwoord groter dan {mib} MiB"),
                        format!("an answer larger than {mib} MiB"),
                    )
                })
            })?;
        Ok(Answered {
            status: status.as_u16(),
            head,
            date,
            body: bytes,
            at: Utc::now(),
            elapsed: started.elapsed(),
        })
    }
    .await;
    Exchange {
        request_head,
        request: body,
        sent_at,
        answer,
    }
}

/// The `Host` header: the host, and the port when it is not the scheme's default.
fn host_header(endpoint: &Endpoint) -> String {
    let host = if endpoint.host.contains(':') {
        format!("[{}]", endpoint.host)
    } else {
        endpoint.host.clone()
    };
    match (endpoint.https, endpoint.port) {
        (true, 443) | (false, 80) => host,
        (_, port) => format!("{host}:{port}"),
    }
}
