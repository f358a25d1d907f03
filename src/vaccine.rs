//! Vaccine types: the two-digit codes of value set W0422 "Soort vaccinatie"
//! (code system RIVM Soort Vaccinatie, `2.16.840.1.113883.2.4.4.40.76`).
//!
//! The binding is CWE (coded with extensions): a two-digit code outside the table is
//! allowed, and validation reports it as a warning. A code that is not two digits is
//! not a vaccine type at all.

use std::borrow::Cow;
use std::fmt;

/// OID of the RIVM "Soort Vaccinatie" code system.
pub const VACCINE_CODE_SYSTEM: &str = "2.16.840.1.113883.2.4.4.40.76";

/// Value set W0422: every known code with its name, in code order.
pub const W0422: [(&str, &str); 30] = [
    ("01", "DKTP"),
    ("02", "DTP"),
    ("03", "Hib"),
    ("04", "BMR"),
    ("05", "Hepatitis B"),
    ("06", "MenC"),
    ("07", "BCG"),
    ("08", "Pneu"),
    ("09", "HPV"),
    ("10", "DKTP-Hib"),
    ("11", "DKTP-Hib-Hepatitis B"),
    ("12", "D"),
    ("13", "DKT"),
    ("14", "DT"),
    ("15", "aK (acellulair kinkhoest vaccin)"),
    ("16", "DaKT"),
    ("17", "DaKTP"),
    ("18", "DP"),
    ("19", "T"),
    ("20", "P"),
    ("21", "B"),
    ("22", "M"),
    ("23", "R"),
    ("24", "BM"),
    ("25", "MR"),
    ("26", "DKTP-Hepatitis B"),
    ("27", "DKTP booster"),
    ("28", "MenACWY"),
    ("29", "Rota"),
    ("30", "MatGriep"),
];

/// A vaccine code: exactly two ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VaccineCode([u8; 2]);

/// Why a string is not a vaccine code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vaccine code {0:?} is not two digits")]
pub struct InvalidVaccineCode(pub String);

impl VaccineCode {
    /// Parses a code of exactly two ASCII digits (`"08"`).
    pub fn parse(code: &str) -> Result<Self, InvalidVaccineCode> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Ok(Self([*a, *b])),
            _ => Err(InvalidVaccineCode(code.to_owned())),
        }
    }

    /// The code as written on the wire.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII digits by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The W0422 name of this code, or `None` for a code outside the value set.
    pub fn known_name(&self) -> Option<&'static str> {
        // Codes 01-30 are the table's positions, in order.
        let n = usize::from(self.0[0] - b'0') * 10 + usize::from(self.0[1] - b'0');
        n.checked_sub(1)
            .and_then(|i| W0422.get(i))
            .map(|(_, name)| *name)
    }
}

impl fmt::Display for VaccineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A vaccine type as carried in a message: the code and its display name.
///
/// The display name is what the sender wrote (required on the wire); for a code
/// in W0422 the sender normally uses the table's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VaccineType {
    code: VaccineCode,
    // The table's own name is borrowed: thousands of lots share a handful of names.
    name: Cow<'static, str>,
}

impl VaccineType {
    /// A vaccine type with the given display name.
    pub fn new(code: VaccineCode, name: &str) -> Self {
        let name = match code.known_name() {
            Some(known) if crate::strings::same(known, name) => Cow::Borrowed(known),
            _ => Cow::Owned(name.to_owned()),
        };
        Self { code, name }
    }

    /// A vaccine type from W0422 with the table's name; `None` for an unknown code.
    pub fn known(code: &str) -> Option<Self> {
        let code = VaccineCode::parse(code).ok()?;
        code.known_name().map(|name| Self::new(code, name))
    }

    /// The two-digit code.
    pub fn code(&self) -> VaccineCode {
        self.code
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the code is in value set W0422.
    #[cfg(test)]
    fn is_known(&self) -> bool {
        self.code.known_name().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_digit_codes_only() {
        assert_eq!(VaccineCode::parse("08").unwrap().as_str(), "08");
        for bad in ["8", "008", "0a", "", " 8", "٠٨"] {
            assert!(VaccineCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn table_is_complete_and_ordered() {
        for (i, (code, name)) in W0422.iter().enumerate() {
            assert_eq!(*code, format!("{:02}", i + 1));
            assert!(!name.is_empty());
        }
        assert_eq!(VaccineType::known("08").unwrap().name(), "Pneu");
        assert!(VaccineType::known("31").is_none());
        assert!(!VaccineType::new(VaccineCode::parse("31").unwrap(), "X").is_known());
    }
}
