//! What the sender's two HTTP clients share (the source's URL and the deliveries):
//! errors as reasons a person can act on, in both languages, URLs without secrets,
//! bounded bodies.

use crate::config::SenderTls;
use crate::language::Text;
use crate::tls::OwnCertificate;
use std::time::Duration;

/// How lotgate names itself in HTTP requests.
pub(crate) const USER_AGENT: &str = concat!("lotgate/", env!("CARGO_PKG_VERSION"));

/// The HTTP client of deliveries (and of `lotgate verify`'s exchanges): our client
/// certificate and roots from `tls`, no redirects, no pooled connections (attempts are
/// minutes apart: a pooled connection would only be a stale one), each request limited to
/// `timeout`. Returns our certificate with it, when there is one.
pub(crate) fn delivery_client(
    tls: Option<&SenderTls>,
    timeout: Duration,
) -> anyhow::Result<(reqwest::Client, Option<OwnCertificate>)> {
    let mut client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT);
    let mut certificate = None;
    if let Some(tls) = tls {
        let (tls, own) = crate::tls::client_config(tls)?;
        client = client.tls_backend_preconfigured(tls);
        certificate = Some(own);
    }
    Ok((client.build()?, certificate))
}

/// A reqwest error as a reason: without the URL (which may hold a token), with the
/// underlying cause ("Connection refused", in the system's words), which reqwest's own
/// text leaves out, after ours.
pub(crate) fn http_reason(e: &reqwest::Error, timeout: Duration) -> Text {
    if e.is_timeout() {
        return timed_out(timeout);
    }
    let innermost = innermost_cause(e);
    if e.is_connect() {
        Text::new(
            format!("kan geen verbinding maken: {innermost}"),
            format!("cannot connect: {innermost}"),
        )
    } else {
        Text::new(
            format!("fout bij het versturen of ontvangen: {innermost}"),
            format!("error sending or receiving: {innermost}"),
        )
    }
}

/// The deepest cause of an error, which names what actually happened ("Connection
/// reset by peer (os error 104)"); reqwest's own text without the URL when there is none.
pub(crate) fn innermost_cause(e: &reqwest::Error) -> String {
    if let Some(tls) = crate::tls::describe_failure(e) {
        return tls;
    }
    let mut innermost = None;
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    innermost.unwrap_or_else(|| {
        let text = e.to_string();
        match e.url() {
            Some(url) => text.replace(url.as_str(), "…"),
            None => text,
        }
    })
}

/// The reason for a timeout.
pub(crate) fn timed_out(timeout: Duration) -> Text {
    let t = humantime::format_duration(timeout);
    Text::new(
        format!("geen volledig antwoord binnen {t}"),
        format!("no complete answer within {t}"),
    )
}

/// `HTTP 403 Forbidden`: the status with its standard reason phrase.
pub(crate) fn status_line(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("HTTP {status} {reason}"),
        None => format!("HTTP {status}"),
    }
}

/// The URL without user info (`user:password@`), query and fragment (which may hold a
/// token; `?…` shows there was one), for texts.
pub(crate) fn redact_url(url: &str) -> String {
    let Ok(mut url) = url::Url::parse(url) else {
        // The configuration only takes URLs that parse; say nothing of anything else.
        return "(not a URL)".to_owned();
    };
    let hidden = url.query().is_some() || url.fragment().is_some();
    // Only URLs that cannot have user info refuse these, and those have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    format!("{url}{}", if hidden { "?…" } else { "" })
}

/// Reads a response body of at most `max` bytes; `Err(None)` when it is larger, `Err(Some(reason))` when reading fails.
pub(crate) async fn read_limited(
    response: &mut reqwest::Response,
    max: u64,
    timeout: Duration,
) -> Result<Vec<u8>, Option<Text>> {
    if response.content_length().is_some_and(|n| n > max) {
        return Err(None);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Some(http_reason(&e, timeout)))?
    {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
