//! Lots (*partijen*): the lot number, its vaccine type and optional expiry date, and the
//! complete set of lots that one message delivers.

pub mod rules;
pub mod search;

use crate::vaccine::{VaccineCode, VaccineType};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::fmt;

/// The longest lot number the data set allows, in characters.
pub const MAX_LOT_NUMBER_CHARS: usize = 50;

/// A lot number (*partijnummer*): 1-50 characters, not blank, no control characters.
///
/// Opaque and case-preserving: `asp1` and `ASP1` are different lot numbers.
#[derive(Debug, Clone, Eq)]
pub struct LotNumber(String);

// Compared with `strings` rather than derived: sets of 10,000 lots are sorted and
// compared on every delivery (see `strings` for why). The order is the same as `str`'s.
impl PartialEq for LotNumber {
    fn eq(&self, other: &Self) -> bool {
        crate::strings::same(&self.0, &other.0)
    }
}

impl std::hash::Hash for LotNumber {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Ord for LotNumber {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        crate::strings::compare(&self.0, &other.0)
    }
}

impl PartialOrd for LotNumber {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Why a string is not a lot number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LotNumberError {
    /// Empty or only whitespace.
    #[error("lot number is blank")]
    Blank,
    /// More than 50 characters.
    #[error("lot number has {0} characters, at most 50 are allowed")]
    TooLong(usize),
    /// Contains a control character (or a non-character XML cannot carry).
    #[error("lot number contains control character U+{0:04X}")]
    ControlCharacter(u32),
}

impl LotNumber {
    /// Parses a lot number, keeping it exactly as written.
    pub fn parse(s: &str) -> Result<Self, LotNumberError> {
        // U+FFFE and U+FFFF are no characters at all in XML: no message could carry them.
        if let Some(c) = s
            .chars()
            .find(|c| c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        {
            return Err(LotNumberError::ControlCharacter(c as u32));
        }
        if s.trim().is_empty() {
            return Err(LotNumberError::Blank);
        }
        let chars = s.chars().count();
        if chars > MAX_LOT_NUMBER_CHARS {
            return Err(LotNumberError::TooLong(chars));
        }
        Ok(Self(s.to_owned()))
    }

    /// The lot number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lot number as a person may type or scan it, for comparing: without whitespace around
/// it and in lower case. Two lot numbers with the same folded form differ only in letter
/// case (or surrounding whitespace).
pub fn fold(number: &str) -> String {
    number.trim().to_lowercase()
}

/// Orders `a` and `b` by their folded forms ([`fold`]) without building them when both
/// are ASCII (nearly every lot number).
pub fn fold_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim(), b.trim());
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()));
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

impl fmt::Display for LotNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One lot: its number, the vaccine type it belongs to and its expiry date, if known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lot {
    /// The lot number.
    pub number: LotNumber,
    /// The vaccine type the lot belongs to.
    pub vaccine: VaccineType,
    /// The last day the lot may be used, if the sender gave one.
    pub expires: Option<NaiveDate>,
}

impl Lot {
    /// Whether the lot has expired on `date` (usable through its expiry date).
    pub fn is_expired_on(&self, date: NaiveDate) -> bool {
        self.expires.is_some_and(|expires| expires < date)
    }
}

/// A lot number that occurs under two vaccine types: the set cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lot number {number} occurs under vaccine types {first} and {second}")]
pub struct ConflictingLot {
    /// The lot number.
    pub number: LotNumber,
    /// The vaccine code seen first.
    pub first: VaccineCode,
    /// The other vaccine code.
    pub second: VaccineCode,
}

/// A complete set of lots, sorted by lot number, each lot number once.
///
/// Invariant: no lot number occurs twice (so never under two vaccine types).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LotSet {
    lots: Vec<Lot>,
}

impl LotSet {
    /// Builds a set. Exact duplicates (same number and vaccine code) are merged, keeping
    /// the first; a lot number under two vaccine codes is refused.
    pub fn new(mut lots: Vec<Lot>) -> Result<Self, ConflictingLot> {
        // A stable sort keeps the first of equal numbers first, so "keep the first" holds.
        lots.sort_by(|a, b| a.number.cmp(&b.number));
        let mut out: Vec<Lot> = Vec::with_capacity(lots.len());
        for lot in lots {
            if let Some(last) = out.last()
                && last.number == lot.number
            {
                if last.vaccine.code() != lot.vaccine.code() {
                    return Err(ConflictingLot {
                        number: lot.number,
                        first: last.vaccine.code(),
                        second: lot.vaccine.code(),
                    });
                }
                continue;
            }
            out.push(lot);
        }
        Ok(Self { lots: out })
    }

    /// The lots in lot-number order.
    pub fn lots(&self) -> &[Lot] {
        &self.lots
    }

    /// The number of lots.
    pub fn len(&self) -> usize {
        self.lots.len()
    }

    /// Whether the set has no lots.
    pub fn is_empty(&self) -> bool {
        self.lots.is_empty()
    }

    /// The lot with exactly this number.
    pub fn get(&self, number: &str) -> Option<&Lot> {
        self.lots
            .binary_search_by(|lot| crate::strings::compare(lot.number.as_str(), number))
            .ok()
            .map(|i| &self.lots[i])
    }

    /// SHA-256 over a canonical text form of the set (number, code, name, expiry per
    /// line, in order): equal sets have equal digests, whatever message carried them.
    pub fn digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for lot in &self.lots {
            let expires = lot.expires.map(crate::timestamp::format_date);
            hasher.update(lot.number.as_str().as_bytes());
            hasher.update(b"\x1f");
            hasher.update(lot.vaccine.code().as_str().as_bytes());
            hasher.update(b"\x1f");
            hasher.update(lot.vaccine.name().as_bytes());
            hasher.update(b"\x1f");
            hasher.update(expires.as_deref().unwrap_or("").as_bytes());
            hasher.update(b"\x1e");
        }
        hasher.finalize().into()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A lot without expiry, for unit tests in this module and its children.
    pub(crate) fn lot(number: &str, code: &str) -> Lot {
        Lot {
            number: LotNumber::parse(number).unwrap(),
            vaccine: VaccineType::known(code).unwrap(),
            expires: None,
        }
    }

    #[test]
    fn lot_number_order_is_bytewise() {
        let mut numbers: Vec<_> = ["b", "a", "ab", "", "B", "é", "a\u{0}"]
            .iter()
            .map(|s| LotNumber(s.to_string()))
            .collect();
        let mut strings: Vec<String> = numbers.iter().map(|n| n.0.clone()).collect();
        numbers.sort();
        strings.sort();
        assert_eq!(
            numbers.iter().map(|n| n.0.clone()).collect::<Vec<_>>(),
            strings
        );
        assert_eq!(LotNumber("x".into()), LotNumber("x".into()));
        assert_ne!(LotNumber("x".into()), LotNumber("xy".into()));
    }

    #[test]
    fn lot_numbers() {
        assert_eq!(
            LotNumber::parse("ASPNA186DF").unwrap().as_str(),
            "ASPNA186DF"
        );
        assert_eq!(LotNumber::parse("asp").unwrap().as_str(), "asp");
        assert_eq!(LotNumber::parse(""), Err(LotNumberError::Blank));
        assert_eq!(LotNumber::parse("  "), Err(LotNumberError::Blank));
        assert_eq!(
            LotNumber::parse("A\tB"),
            Err(LotNumberError::ControlCharacter(9))
        );
        assert!(LotNumber::parse(&"é".repeat(50)).is_ok());
        assert_eq!(
            LotNumber::parse(&"x".repeat(51)),
            Err(LotNumberError::TooLong(51))
        );
    }

    #[test]
    fn sets_merge_duplicates_and_refuse_conflicts() {
        let set = LotSet::new(vec![lot("B", "08"), lot("A", "06"), lot("B", "08")]).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(set.lots()[0].number.as_str(), "A");
        assert!(set.get("B").is_some());
        assert!(set.get("b").is_none());
        let err = LotSet::new(vec![lot("B", "08"), lot("B", "06")]).unwrap_err();
        assert_eq!(err.number.as_str(), "B");
    }

    #[test]
    fn digest_ignores_order_and_tells_sets_apart() {
        let set = LotSet::new(vec![
            lot("AS1", "08"),
            lot("AS2", "08"),
            lot("B", "06"),
            lot("A", "06"),
        ])
        .unwrap();
        let same = LotSet::new(set.lots().iter().rev().cloned().collect()).unwrap();
        assert_eq!(set.digest(), same.digest());
        let other = LotSet::new(vec![lot("AS1", "08")]).unwrap();
        assert_ne!(set.digest(), other.digest());
    }
}
