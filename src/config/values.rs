//! Parsers for the kinds of values a configuration holds: durations, times of day,
//! sizes, socket addresses, HTTP URLs and email addresses. Each error message says what
//! was found and what is expected; the caller adds the key.

use chrono::NaiveTime;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// An email address, optionally with a display name (`Beheer <beheer@example.org>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    name: Option<String>,
    address: String,
}

/// Why a string is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not an email address ({reason}); expected e.g. \
     \"beheer@example.org\" or \"Beheer <beheer@example.org>\""
)]
pub struct EmailAddressError {
    input: String,
    reason: &'static str,
}

impl EmailAddress {
    /// Parses `user@domain` or `Display Name <user@domain>`.
    pub fn parse(s: &str) -> Result<Self, EmailAddressError> {
        let fail = |reason| EmailAddressError {
            input: s.to_owned(),
            reason,
        };
        let s_trim = s.trim();
        let (name, address) = match s_trim.strip_suffix('>') {
            Some(rest) => {
                let (name, address) = rest.rsplit_once('<').ok_or(fail("'>' without '<'"))?;
                let name = name.trim().trim_matches('"').trim();
                if name.chars().any(|c| c.is_control() || c == '<' || c == '>') {
                    return Err(fail("the display name has a forbidden character"));
                }
                ((!name.is_empty()).then(|| name.to_owned()), address.trim())
            }
            None => (None, s_trim),
        };
        let (local, domain) = address.rsplit_once('@').ok_or(fail("no '@'"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(fail("the part before '@' must be 1-64 characters"));
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"@".contains(c));
        if !local_ok {
            return Err(fail("the part before '@' has a forbidden character"));
        }
        let domain_ok = !domain.is_empty()
            && domain.len() <= 253
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !domain_ok {
            return Err(fail("the domain is not a host name"));
        }
        Ok(Self {
            name,
            address: address.to_owned(),
        })
    }

    /// The bare address, `user@domain`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The display name, if one was given.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// `Name <user@domain>` or `user@domain`: the form mail libraries parse.
impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) if name.chars().all(|c| c.is_alphanumeric() || c == ' ') => {
                write!(f, "{name} <{}>", self.address)
            }
            Some(name) => write!(f, "\"{}\" <{}>", name.replace('"', ""), self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// A contact person: a name, an email address, or both (never neither).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    name: Option<String>,
    email: Option<EmailAddress>,
}

impl Contact {
    /// A contact from its parts; `None` when both are missing or the name is blank.
    pub fn new(name: Option<String>, email: Option<EmailAddress>) -> Option<Self> {
        let name = name.filter(|n| !n.trim().is_empty());
        (name.is_some() || email.is_some()).then_some(Self { name, email })
    }

    /// The person's name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The person's email address.
    pub fn email(&self) -> Option<&EmailAddress> {
        self.email.as_ref()
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.email) {
            (Some(name), Some(email)) => write!(f, "{name} <{}>", email.address()),
            (Some(name), None) => f.write_str(name),
            (None, Some(email)) => write!(f, "{email}"),
            (None, None) => f.write_str("-"),
        }
    }
}

/// A duration such as `"90s"`, `"10m"`, `"1h 30m"` or `"30d"`, in whole seconds.
pub(super) fn duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        format!("{s:?} is not a duration ({e}); expected e.g. \"90s\", \"10m\", \"1h\" or \"30d\"")
    })?;
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "{s:?} is not a whole number of seconds; durations are counted in seconds"
        ));
    }
    Ok(d)
}

/// A time of day, `"HH:MM"` or `"HH:MM:SS"` (24-hour clock, two digits each).
pub(super) fn time_of_day(s: &str) -> Result<NaiveTime, String> {
    let fail = || {
        format!("{s:?} is not a time of day; expected \"HH:MM\" or \"HH:MM:SS\", e.g. \"02:00\"")
    };
    let parts: Vec<&str> = s.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(fail());
    }
    let number = |i: usize| {
        parts
            .get(i)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    NaiveTime::from_hms_opt(number(0), number(1), number(2)).ok_or_else(fail)
}

/// A size: a number of bytes, or a string like `"8MiB"`, `"512 KiB"`, `"1GiB"`, `"4096"`.
pub(super) fn size(value: &toml::Value) -> Result<u64, String> {
    match value {
        toml::Value::Integer(n) => {
            u64::try_from(*n).map_err(|_| format!("{n} is negative; a size cannot be"))
        }
        toml::Value::String(s) => size_text(s),
        other => Err(format!(
            "found {}, expected a size like \"8MiB\" or a number of bytes",
            other.type_str()
        )),
    }
}

fn size_text(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| {
        format!("{s:?} is not a size; expected e.g. \"8MiB\", \"512KiB\" or 1048576")
    })?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => {
            return Err(format!(
                "{s:?} has unknown unit {other:?}; expected B, KiB, MiB or GiB (powers of 1024)"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// A size for people: `8 MiB`, `1536 KiB`, `100 B`.
pub(super) fn format_size(bytes: u64) -> String {
    for (factor, unit) in [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if bytes >= factor && bytes.is_multiple_of(factor) {
            return format!("{} {unit}", bytes / factor);
        }
    }
    format!("{bytes} B")
}

/// A socket address to listen on: `IP:port`, IPv6 in brackets.
pub(super) fn socket_addr(s: &str) -> Result<SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "{s:?} is not an address to listen on; expected IP:port, e.g. \
             \"127.0.0.1:8080\" or \"[::1]:8080\""
        )
    })
}

/// Whether a host name or address is the local machine: `127.x.x.x`, `::1` or `localhost`.
pub(super) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks an `http://` or `https://` URL with a host and no credentials in it.
pub(super) fn http_url(s: &str) -> Result<String, String> {
    // Credentials first, so that no later message repeats them.
    let after_scheme = s.split_once("://").map_or(s, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(
            "the URL contains credentials (user:password@); secrets belong in files, \
             not in the configuration"
                .to_owned(),
        );
    }
    if !(s.starts_with("https://") || s.starts_with("http://")) {
        return Err(format!("{s:?} is not an http:// or https:// URL"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{s:?} contains white space or control characters; escape a space as %20"
        ));
    }
    if let Some((_, port)) = authority.rsplit_once(':')
        && !port.contains(']')
        && !matches!(port.parse::<u16>(), Ok(p) if p != 0)
    {
        return Err(format!("{s:?} has an invalid port {port:?}"));
    }
    let host = url_host(s);
    if host.is_empty() || host == "[]" {
        return Err(format!("{s:?} has no host"));
    }
    Ok(s.to_owned())
}

/// The host of a URL as written (an IPv6 address with its brackets), without port.
pub(super) fn url_host(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    match authority.rsplit_once(':') {
        Some((host, _)) if !authority.ends_with(']') => host,
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert!(duration("1500ms").is_err());
        assert!(duration("ten minutes").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(
            time_of_day("02:00"),
            Ok(NaiveTime::from_hms_opt(2, 0, 0).unwrap())
        );
        assert_eq!(
            time_of_day("23:59:59"),
            Ok(NaiveTime::from_hms_opt(23, 59, 59).unwrap())
        );
        for bad in ["2:00", "24:00", "02:60", "02", "02:00:00:00", "ab:cd", ""] {
            assert!(time_of_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        let s = |t: &str| size(&toml::Value::String(t.into()));
        assert_eq!(s("8MiB"), Ok(8 << 20));
        assert_eq!(s("512 KiB"), Ok(512 << 10));
        assert_eq!(s("100"), Ok(100));
        assert_eq!(size(&toml::Value::Integer(4096)), Ok(4096));
        assert!(s("8MB").is_err());
        assert!(s("MiB").is_err());
        assert!(size(&toml::Value::Integer(-1)).is_err());
        assert!(size(&toml::Value::Boolean(true)).is_err());
        assert_eq!(format_size(8 << 20), "8 MiB");
        assert_eq!(format_size(1000), "1000 B");
    }

    #[test]
    fn urls() {
        assert!(http_url("http://127.0.0.1:8080/jgz/partijnummers").is_ok());
        assert!(http_url("https://ggd.example/x?y=1").is_ok());
        assert!(http_url("https://[::1]:8443/x").is_ok());
        assert!(
            http_url("ftp://u:secret@x/")
                .unwrap_err()
                .contains("credentials")
        );
        for bad in [
            "ftp://x",
            "http://",
            "http://user:pw@host/",
            "https://h:0/",
            "https://h:x/",
            "http://a b/",
        ] {
            assert!(http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_and_hosts() {
        let e = EmailAddress::parse("Beheer <beheer@example.org>").unwrap();
        assert_eq!(
            (e.name(), e.address()),
            (Some("Beheer"), "beheer@example.org")
        );
        assert_eq!(e.to_string(), "Beheer <beheer@example.org>");
        assert!(EmailAddress::parse("root@localhost").is_ok());
        for bad in [
            "",
            "beheer",
            "@example.org",
            "a@",
            "a b@example.org",
            "a@exa mple.org",
            "a@-x.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(
            is_loopback_host("127.0.0.2")
                && is_loopback_host("::1")
                && is_loopback_host("LocalHost")
        );
        assert!(!is_loopback_host("smtp.example.org") && !is_loopback_host("10.0.0.1"));
    }
}
