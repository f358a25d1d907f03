//! Vaccine types: the two-digit codes of value set W0422 "Soort vaccinatie"
//! (code system RIVM Soort Vaccinatie, `2.16.840.1.113883.2.4.4.40.76`).
//!
//! The binding is CWE (coded with extensions): a two-digit code outside the table is
//! allowed, and validation reports it as a warning. A code that is not two digits is
//! not a vaccine type at all.
//!
//! The table is built in ([`W0422`]); a newer release of the code list can be given as a
//! CSV file (`gateway.code_list`: `code,name,valid_from`), read into a [`CodeList`] that
//! both roles use. A code valid only from a later date counts as unknown until then.

use chrono::NaiveDate;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

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

/// One code of a release of the code list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeEntry {
    /// The code.
    pub code: VaccineCode,
    /// Its name.
    pub name: String,
    /// The first day it is valid; `None`: always.
    pub valid_from: Option<NaiveDate>,
}

/// A release of the vaccine-type code list: the built-in W0422, or one read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeList {
    /// Which release this is, for people: `built-in W0422`, or the file it was read from.
    release: String,
    /// Every code once, in code order.
    entries: Vec<CodeEntry>,
}

/// What a code is on a day, in a code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known<'a> {
    /// In the list and valid: its name.
    Valid(&'a str),
    /// In the list, but valid only from this later day.
    NotYet(NaiveDate),
    /// Not in the list.
    Unknown,
}

/// The most codes a code list file may hold (two digits: 100).
const MAX_CODES: usize = 100;

impl CodeList {
    /// The built-in release: W0422 as compiled in, every code valid.
    pub fn builtin() -> Arc<CodeList> {
        static BUILTIN: std::sync::LazyLock<Arc<CodeList>> = std::sync::LazyLock::new(|| {
            Arc::new(CodeList {
                release: "built-in W0422".to_owned(),
                entries: W0422
                    .iter()
                    .filter_map(|(code, name)| {
                        Some(CodeEntry {
                            code: VaccineCode::parse(code).ok()?,
                            name: (*name).to_owned(),
                            valid_from: None,
                        })
                    })
                    .collect(),
            })
        });
        BUILTIN.clone()
    }

    /// Reads a release from CSV text (`code,name,valid_from`, a header line first, in any
    /// column order; `valid_from` may be empty or left out), named `release`. Every
    /// problem with its line number; no list when there is one.
    pub fn parse_csv(release: &str, text: &str) -> Result<CodeList, Vec<String>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(vec![
                "the file is empty: expected a header code,name,valid_from".into(),
            ]);
        };
        let columns: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let at = |name: &str| columns.iter().position(|c| c == name);
        let (Some(code_at), Some(name_at)) = (at("code"), at("name")) else {
            return Err(vec![format!(
                "line 1: the header must name the columns code and name (and valid_from), \
                 not {header:?}"
            )]);
        };
        let from_at = at("valid_from");
        let mut problems = Vec::new();
        let mut entries: Vec<CodeEntry> = Vec::new();
        for (index, line) in lines {
            let n = index + 1;
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let field = |i: usize| fields.get(i).copied().unwrap_or("");
            let code = match VaccineCode::parse(field(code_at)) {
                Ok(code) => code,
                Err(e) => {
                    problems.push(format!("line {n}: {e}"));
                    continue;
                }
            };
            let name = field(name_at);
            if name.is_empty() || name.chars().any(char::is_control) {
                problems.push(format!(
                    "line {n}: code {code} needs a name of printable text"
                ));
                continue;
            }
            let valid_from = match from_at.map(field).filter(|f| !f.is_empty()) {
                None => None,
                Some(date) => match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                    Ok(date) => Some(date),
                    Err(_) => {
                        problems.push(format!(
                            "line {n}: valid_from {date:?} is not a date (YYYY-MM-DD)"
                        ));
                        continue;
                    }
                },
            };
            if entries.iter().any(|e| e.code == code) {
                problems.push(format!("line {n}: code {code} is listed twice"));
                continue;
            }
            entries.push(CodeEntry {
                code,
                name: name.to_owned(),
                valid_from,
            });
        }
        if entries.is_empty() && problems.is_empty() {
            problems.push("the file lists no codes".to_owned());
        }
        if entries.len() > MAX_CODES {
            problems.push(format!("more than {MAX_CODES} codes"));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        entries.sort_by_key(|e| e.code);
        Ok(CodeList {
            release: release.to_owned(),
            entries,
        })
    }

    /// Which release this is, for people.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// Every code, in code order.
    pub fn entries(&self) -> &[CodeEntry] {
        &self.entries
    }

    /// What `code` is on `day` (`None`: regardless of the day).
    pub fn on(&self, code: VaccineCode, day: Option<NaiveDate>) -> Known<'_> {
        match self.entries.binary_search_by_key(&code, |e| e.code) {
            Err(_) => Known::Unknown,
            Ok(i) => {
                let entry = &self.entries[i];
                match (entry.valid_from, day) {
                    (Some(from), Some(day)) if day < from => Known::NotYet(from),
                    _ => Known::Valid(&entry.name),
                }
            }
        }
    }
}

/// The built-in release.
impl Default for CodeList {
    fn default() -> Self {
        (*CodeList::builtin()).clone()
    }
}

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

    fn code(c: &str) -> VaccineCode {
        VaccineCode::parse(c).unwrap()
    }

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn a_release_from_csv_adds_codes_some_valid_only_from_a_later_day() {
        let text = "\u{feff}name,valid_from,code\nDKTP,,01\nNieuw vaccin,2026-01-01,31\n\
                    Later vaccin,2027-07-01,32\n\n";
        let list = CodeList::parse_csv("codes-2026.csv", text).unwrap();
        assert_eq!(list.release(), "codes-2026.csv");
        assert_eq!(list.entries().len(), 3);
        assert_eq!(list.on(code("01"), None), Known::Valid("DKTP"));
        assert_eq!(
            list.on(code("31"), Some(day("2026-12-02"))),
            Known::Valid("Nieuw vaccin")
        );
        assert_eq!(
            list.on(code("31"), Some(day("2025-12-31"))),
            Known::NotYet(day("2026-01-01"))
        );
        assert_eq!(
            list.on(code("32"), Some(day("2026-12-02"))),
            Known::NotYet(day("2027-07-01"))
        );
        assert_eq!(
            list.on(code("32"), Some(day("2027-07-01"))),
            Known::Valid("Later vaccin")
        );
        // Regardless of the day.
        assert_eq!(list.on(code("32"), None), Known::Valid("Later vaccin"));
        // A release replaces the built-in table: 08 is not in this one.
        assert_eq!(list.on(code("08"), None), Known::Unknown);
        // Without valid_from every code is valid.
        let plain = CodeList::parse_csv("x", "code,name\n33,Drie\n").unwrap();
        assert_eq!(
            plain.on(code("33"), Some(day("2000-01-01"))),
            Known::Valid("Drie")
        );
    }

    #[test]
    fn a_broken_release_names_each_problem_with_its_line() {
        let text = "code,name,valid_from\n8,Acht,\n09,,\n10,Tien,1-1-2026\n11,Elf,\n11,Elf,\n";
        let problems = CodeList::parse_csv("x", text).unwrap_err();
        assert_eq!(
            problems,
            [
                "line 2: vaccine code \"8\" is not two digits",
                "line 3: code 09 needs a name of printable text",
                "line 4: valid_from \"1-1-2026\" is not a date (YYYY-MM-DD)",
                "line 6: code 11 is listed twice",
            ]
        );
        for (text, says) in [
            ("", "the file is empty"),
            (
                "vaccine,naam\n08,Pneu\n",
                "line 1: the header must name the columns code and name",
            ),
            ("code,name\n", "the file lists no codes"),
        ] {
            let problems = CodeList::parse_csv("x", text).unwrap_err();
            assert!(problems[0].starts_with(says), "{text:?}: {problems:?}");
        }
    }

    #[test]
    fn the_built_in_release_is_w0422_every_code_always_valid() {
        let builtin = CodeList::builtin();
        assert_eq!(builtin.release(), "built-in W0422");
        assert_eq!(builtin.entries().len(), W0422.len());
        for (c, name) in W0422 {
            assert_eq!(
                builtin.on(code(c), Some(day("1990-01-01"))),
                Known::Valid(name)
            );
        }
        assert_eq!(builtin.on(code("31"), None), Known::Unknown);
        assert_eq!(*builtin, CodeList::default());
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
