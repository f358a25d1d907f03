//! Deliberately faulty receivers, for `lotgate verify`: an HTTP front on loopback that
//! hands each request to a real lotgate receiver and returns its answer with one fault
//! worked in — the bugs a partner's receiver might have.

use super::http::{self, Response};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The fault a [`FaultyReceiver`] has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A message it has seen before (the same bytes) gets a fresh acknowledgement (a new
    /// id) instead of the stored one.
    FreshAckForDuplicates,
    /// A message with a blank lot number is answered `CA`.
    AcceptsBlankLot,
    /// Every acknowledgement names another `targetMessage`.
    OtherTarget,
    /// Every answer comes this long after the request.
    Slow(Duration),
}

/// A faulty receiver in front of a real one.
pub struct FaultyReceiver {
    addr: SocketAddr,
    path: String,
}

impl FaultyReceiver {
    /// Listens on a loopback port; hands requests to the receiver at `upstream`, `path`.
    pub fn start(upstream: SocketAddr, path: &str, fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let seen = Arc::new(Mutex::new(HashSet::new()));
        let upstream_path = path.to_owned();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (seen, path) = (seen.clone(), upstream_path.clone());
                std::thread::spawn(move || serve(stream, upstream, &path, fault, &seen));
            }
        });
        Self {
            addr,
            path: path.to_owned(),
        }
    }

    /// Its URL, for a destination.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }
}

fn serve(
    mut stream: TcpStream,
    upstream: SocketAddr,
    path: &str,
    fault: Fault,
    seen: &Mutex<HashSet<Vec<u8>>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Some((method, body)) = read_request(&mut stream) else {
        return;
    };
    let Some(mut answer) = http::try_request(upstream, &method, path, &body) else {
        return;
    };
    let again = !seen.lock().expect("not poisoned").insert(body.clone());
    let text = answer.text();
    match fault {
        Fault::FreshAckForDuplicates if again => {
            answer.body = rewrite_first_extension(&text, "<MCCI_IN000002", "-FRESH").into_bytes();
        }
        Fault::AcceptsBlankLot if String::from_utf8_lossy(&body).contains("extension=\"\"/>") => {
            answer.body = text
                .replacen("typeCode=\"CE\"", "typeCode=\"CA\"", 1)
                .into_bytes();
        }
        Fault::OtherTarget => {
            answer.body = rewrite_first_extension(&text, "<targetMessage", "-OTHER").into_bytes();
        }
        Fault::Slow(delay) => std::thread::sleep(delay),
        _ => {}
    }
    let _ = stream.write_all(&encode(&answer));
}

/// Reads one request: its method and body (by `Content-Length`).
fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let method = head.split_whitespace().next()?.to_owned();
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = raw[split + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some((method, body))
}

/// `text` with `suffix` added to the first `extension` after the first `marker`.
fn rewrite_first_extension(text: &str, marker: &str, suffix: &str) -> String {
    let Some(start) = text.find(marker) else {
        return text.to_owned();
    };
    let Some(at) = text[start..].find("extension=\"") else {
        return text.to_owned();
    };
    let value = start + at + "extension=\"".len();
    let Some(end) = text[value..].find('"') else {
        return text.to_owned();
    };
    format!("{}{suffix}{}", &text[..value + end], &text[value + end..])
}

/// The response as bytes, with its headers (the `Date` among them) and a new length.
fn encode(answer: &Response) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} Faulty\r\n", answer.status);
    for (name, value) in &answer.headers {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        answer.body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&answer.body);
    bytes
}
