//! HL7 timestamps (`TS`): `YYYYMMDDHHMMSS[.fraction][+ZZZZ]` as the messages carry them,
//! and the date-only form `YYYYMMDD` used for expiry dates.
//!
//! Pure: parsing and formatting only, no clock.

use chrono::{NaiveDate, NaiveDateTime};
use std::fmt;

/// A point in time to at least the second, as written in a message.
///
/// Times without a zone offset are local time (the Netherlands); ordering compares the
/// written local time, which is what the sender's clock said.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    local: NaiveDateTime,
    raw: String,
}

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Fewer than the required digits, or characters that do not belong.
    #[error("{0:?} does not have the form YYYYMMDDHHMMSS")]
    Format(String),
    /// The digits do not make a real calendar date or time.
    #[error("{0:?} is not a real date and time")]
    NotADate(String),
}

impl Timestamp {
    /// Parses `YYYYMMDDHHMMSS` followed optionally by `.digits` and/or `+HHMM`/`-HHMM`.
    pub fn parse(raw: &str) -> Result<Self, TimestampError> {
        let format = || TimestampError::Format(raw.to_owned());
        let bytes = raw.as_bytes();
        if bytes.len() < 14 || !bytes[..14].iter().all(u8::is_ascii_digit) {
            return Err(format());
        }
        check_tail(&raw[14..]).ok_or_else(format)?;
        let local = NaiveDateTime::parse_from_str(&raw[..14], "%Y%m%d%H%M%S")
            .map_err(|_| TimestampError::NotADate(raw.to_owned()))?;
        Ok(Self {
            local,
            raw: raw.to_owned(),
        })
    }

    /// A timestamp for a local date and time, written to the second.
    pub fn from_local(local: NaiveDateTime) -> Self {
        let local = local.with_nanosecond(0).unwrap_or(local);
        Self {
            raw: local.format("%Y%m%d%H%M%S").to_string(),
            local,
        }
    }

    /// The local date and time (fraction dropped).
    pub fn local(&self) -> NaiveDateTime {
        self.local
    }

    /// The value exactly as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

use chrono::Timelike;

/// Checks what may follow the 14 digits: an optional fraction, then an optional offset.
fn check_tail(tail: &str) -> Option<()> {
    let mut rest = tail;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 4 {
            return None;
        }
        rest = &fraction[digits..];
    }
    if rest.is_empty() {
        return Some(());
    }
    let offset = rest.strip_prefix('+').or_else(|| rest.strip_prefix('-'))?;
    (offset.len() == 4 && offset.bytes().all(|b| b.is_ascii_digit())).then_some(())
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Parses an expiry date: `YYYYMMDD`, optionally followed by more timestamp digits
/// (`YYYYMMDDHHMM...`) of which only the date is kept.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let bytes = raw.as_bytes();
    if bytes.len() < 8 || !bytes.iter().take(8).all(u8::is_ascii_digit) {
        return None;
    }
    let tail = &raw[8..];
    let tail_ok = if tail.len() >= 6 {
        // A full time follows: validate it as a timestamp.
        Timestamp::parse(raw).is_ok()
    } else {
        tail.bytes().all(|b| b.is_ascii_digit()) && tail.len().is_multiple_of(2)
    };
    if !tail_ok {
        return None;
    }
    date_from_digits(&bytes[..8])
}

/// `YYYYMMDD` (eight ASCII digits, checked by the caller) as a calendar date.
fn date_from_digits(d: &[u8]) -> Option<NaiveDate> {
    let n = |range: std::ops::Range<usize>| {
        d[range]
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    NaiveDate::from_ymd_opt(n(0..4) as i32, n(4..6), n(6..8))
}

/// Writes a date as `YYYYMMDD`.
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        for ok in [
            "20240601020000",
            "20240601020000.123",
            "20240601020000+0200",
            "20240601020000.5-0100",
        ] {
            assert!(Timestamp::parse(ok).is_ok(), "{ok}");
        }
        assert!(matches!(
            Timestamp::parse("202406010200"),
            Err(TimestampError::Format(_))
        ));
        assert!(matches!(
            Timestamp::parse("20240601020000Z"),
            Err(TimestampError::Format(_))
        ));
        assert!(matches!(
            Timestamp::parse("20241301020000"),
            Err(TimestampError::NotADate(_))
        ));
        assert!(matches!(
            Timestamp::parse("20240601250000"),
            Err(TimestampError::NotADate(_))
        ));
        let a = Timestamp::parse("20240601020000").unwrap();
        let b = Timestamp::parse("20240601020001").unwrap();
        assert!(a < b);
        assert_eq!(Timestamp::from_local(a.local()).as_str(), "20240601020000");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("20250131"), NaiveDate::from_ymd_opt(2025, 1, 31));
        assert_eq!(
            parse_date("2025013112"),
            NaiveDate::from_ymd_opt(2025, 1, 31)
        );
        assert_eq!(
            parse_date("20250131120000"),
            NaiveDate::from_ymd_opt(2025, 1, 31)
        );
        for bad in [
            "2025013",
            "20250230",
            "2025-01-31",
            "20250131x",
            "202501311",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()),
            "20250131"
        );
    }
}
