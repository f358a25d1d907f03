//! What the sender's two HTTP clients share (the source's URL and the deliveries):
//! errors as reasons a person can act on, URLs without secrets, bounded bodies.

use std::time::Duration;

/// A reqwest error as a reason: without the URL (which may hold a token), with the
/// underlying cause ("Connection refused"), which reqwest's own text leaves out.
pub(crate) fn http_reason(e: reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return timed_out(timeout);
    }
    let e = e.without_url();
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let innermost = causes.last().cloned().unwrap_or_else(|| e.to_string());
    if e.is_connect() {
        format!("cannot connect: {innermost}")
    } else {
        format!("{e}: {innermost}")
    }
}

/// The reason for a timeout.
pub(crate) fn timed_out(timeout: Duration) -> String {
    format!(
        "no complete answer within {}",
        humantime::format_duration(timeout)
    )
}

/// The URL without user info (`user:password@`), query and fragment, for texts.
pub(crate) fn redact_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let hidden = end < rest.len();
    let rest = &rest[..end];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let scheme = if scheme.is_empty() {
        String::new()
    } else {
        format!("{scheme}://")
    };
    format!("{scheme}{host}{path}{}", if hidden { "?…" } else { "" })
}

/// Reads a response body of at most `max` bytes; `Err(None)` when it is larger, `Err(Some(reason))` when reading fails.
pub(crate) async fn read_limited(
    response: &mut reqwest::Response,
    max: u64,
    timeout: Duration,
) -> Result<Vec<u8>, Option<String>> {
    if response.content_length().is_some_and(|n| n > max) {
        return Err(None);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Some(http_reason(e, timeout)))?
    {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
