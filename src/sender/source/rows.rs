//! The rows of a source, whatever its format, and the receiver's content rules for one
//! row: the lot number, the vaccine code and name, the expiry date.

use crate::diagnostics::{Issue, Report, Rule};
use crate::language::Language;
use crate::lot::Lot;
use crate::vaccine::{CodeList, Known, VaccineCode, VaccineType};
use chrono::NaiveDate;

/// Where a row is: a CSV line (1-based, counting the header and blank lines) or a JSON
/// array index (0-based, under `lots` or at the top).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum At {
    /// A line of a CSV file.
    Line(u64),
    /// An element of a JSON array; `wrapped` when the array is `{"lots": [...]}`.
    Entry { wrapped: bool, index: usize },
}

impl At {
    /// The row for people: "line 5" / "regel 5", or "lots[3]" / "[3]".
    pub(super) fn label(self, language: Language) -> String {
        match (self, language) {
            (At::Line(n), Language::Nl) => format!("regel {n}"),
            (At::Line(n), Language::En) => format!("line {n}"),
            (At::Entry { wrapped, index }, _) => {
                format!("{}[{index}]", if wrapped { "lots" } else { "" })
            }
        }
    }

    /// The location of a field of the row in a report: "line 5, lot_number" or
    /// "lots[3].lot_number".
    pub(super) fn location(self, field: &str) -> String {
        match self {
            At::Line(n) => format!("line {n}, {field}"),
            At::Entry { .. } => format!("{}.{field}", self.label(Language::En)),
        }
    }

    /// An issue about one field of the row; the texts are prefixed with the row.
    pub(super) fn issue(self, rule: Rule, field: &str, nl: &str, en: &str) -> Issue {
        Issue::new(
            rule,
            self.location(field),
            format!("{}: {nl}", self.label(Language::Nl)),
            format!("{}: {en}", self.label(Language::En)),
        )
    }
}

/// One field of a row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    /// No such column, or a JSON field that is missing or `null`.
    Absent,
    /// Text as written.
    Text(String),
    /// A JSON value that is not a string: what it is, in Dutch and English.
    Wrong { nl: &'static str, en: &'static str },
}

/// One row as read, before any rule is applied.
#[derive(Debug, Clone)]
pub(super) struct RawRow {
    pub at: At,
    pub vaccine_code: Field,
    pub lot_number: Field,
    pub expiry_date: Field,
    pub vaccine_name: Field,
    /// Why the row's fields cannot be read at all (a CSV line with the wrong number of
    /// fields, a JSON element that is no object): reported in the row's place.
    pub broken: Option<Issue>,
}

impl RawRow {
    /// A row that cannot be read, and why.
    pub(super) fn broken(at: At, issue: Issue) -> Self {
        Self {
            at,
            vaccine_code: Field::Absent,
            lot_number: Field::Absent,
            expiry_date: Field::Absent,
            vaccine_name: Field::Absent,
            broken: Some(issue),
        }
    }

    /// The rules for one row, every problem reported, its vaccine code checked against
    /// `codes` on `today`; the lot when none blocks it.
    pub(super) fn check(
        self,
        codes: &CodeList,
        today: NaiveDate,
        report: &mut Report,
    ) -> Option<Lot> {
        if let Some(issue) = self.broken {
            report.push(issue);
            return None;
        }
        let at = self.at;
        let mut add = |rule, field, nl: &str, en: &str| report.push(at.issue(rule, field, nl, en));
        let number = match self.lot_number {
            Field::Absent => {
                let (nl, en) = ("lot_number ontbreekt", "lot_number is missing");
                add(Rule::LotMissing, "lot_number", nl, en);
                None
            }
            Field::Wrong { nl, en } => {
                let nl = format!("lot_number moet tekst zijn, geen {nl}");
                let en = format!("lot_number must be text, not {en}");
                add(Rule::StructureUnexpected, "lot_number", &nl, &en);
                None
            }
            Field::Text(text) => match crate::lot::rules::read_lot_number(&text) {
                Ok((number, whitespace)) => {
                    if let Some((nl, en)) = whitespace {
                        add(Rule::LotWhitespace, "lot_number", &nl, &en);
                    }
                    Some(number)
                }
                Err((rule, nl, en)) => {
                    add(rule, "lot_number", &nl, &en);
                    None
                }
            },
        };
        let code = match self.vaccine_code {
            Field::Absent => {
                let (nl, en) = ("vaccine_code ontbreekt", "vaccine_code is missing");
                add(Rule::VaccineCode, "vaccine_code", nl, en);
                None
            }
            Field::Wrong { nl, en } => {
                let nl = format!("vaccine_code moet tekst zijn zoals \"08\", geen {nl}");
                let en = format!("vaccine_code must be text such as \"08\", not {en}");
                add(Rule::VaccineCode, "vaccine_code", &nl, &en);
                None
            }
            Field::Text(text) => VaccineCode::parse(&text)
                .map_err(|_| {
                    let (nl, en) = crate::lot::rules::not_a_vaccine_code(&text);
                    add(Rule::VaccineCode, "vaccine_code", &nl, &en);
                })
                .ok(),
        };
        let vaccine = code.and_then(|code| {
            let known = codes.on(code, Some(today));
            vaccine_type(code, known, self.vaccine_name, &mut add)
        });
        let expires = expiry(self.expiry_date, &mut add);
        Some(Lot {
            number: number?,
            vaccine: vaccine?,
            expires: expires.ok()?,
        })
    }
}

/// The vaccine type of a row: the code list's name unless the row gives one (then kept
/// as written); a code outside the list (or not valid yet) needs a name and is a warning
/// (the binding is CWE, as in the receiver).
fn vaccine_type(
    code: VaccineCode,
    known: Known<'_>,
    name: Field,
    add: &mut impl FnMut(Rule, &'static str, &str, &str),
) -> Option<VaccineType> {
    let name = match name {
        Field::Absent => None,
        Field::Text(text) => Some(text.trim().to_owned()).filter(|n| !n.is_empty()),
        Field::Wrong { nl, en } => {
            let nl = format!("vaccine_name moet tekst zijn, geen {nl}");
            let en = format!("vaccine_name must be text, not {en}");
            add(Rule::VaccineDisplayName, "vaccine_name", &nl, &en);
            return None;
        }
    };
    // A control character could not travel in the message's XML.
    if let Some(c) = name
        .as_deref()
        .and_then(|n| n.chars().find(|c| c.is_control()))
    {
        let c = c as u32;
        let nl = format!("de naam van vaccinsoort {code} bevat stuurteken U+{c:04X}");
        let en = format!("the name of vaccine type {code} contains control character U+{c:04X}");
        add(Rule::VaccineDisplayName, "vaccine_name", &nl, &en);
        return None;
    }
    if let Known::Valid(listed) = known {
        return Some(VaccineType::new(code, name.as_deref().unwrap_or(listed)));
    }
    let (nl, en) = crate::lot::rules::code_not_valid(code, known)
        .unwrap_or_else(|| crate::lot::rules::unknown_vaccine_code(code));
    match name {
        Some(name) => {
            add(Rule::VaccineUnknownCode, "vaccine_code", &nl, &en);
            Some(VaccineType::new(code, &name))
        }
        None => {
            let nl = format!("{nl} en heeft geen vaccine_name");
            let en = format!("{en} and has no vaccine_name");
            add(Rule::VaccineDisplayName, "vaccine_name", &nl, &en);
            None
        }
    }
}

/// The expiry date: none when absent or empty; `Err` when given but not a date.
fn expiry(
    field: Field,
    add: &mut impl FnMut(Rule, &'static str, &str, &str),
) -> Result<Option<NaiveDate>, ()> {
    let text = match field {
        Field::Absent => return Ok(None),
        Field::Text(text) if text.trim().is_empty() => return Ok(None),
        Field::Text(text) => text.trim().to_owned(),
        Field::Wrong { nl, en } => {
            let nl = format!("expiry_date moet tekst zijn zoals \"2027-01-31\", geen {nl}");
            let en = format!("expiry_date must be text such as \"2027-01-31\", not {en}");
            add(Rule::LotExpiryFormat, "expiry_date", &nl, &en);
            return Err(());
        }
    };
    parse_date(&text).map(Some).ok_or_else(|| {
        let nl = format!("vervaldatum \"{text}\" is geen datum JJJJ-MM-DD of JJJJMMDD");
        let en = format!("expiry date \"{text}\" is not a date YYYY-MM-DD or YYYYMMDD");
        add(Rule::LotExpiryFormat, "expiry_date", &nl, &en);
    })
}

/// `YYYY-MM-DD` or `YYYYMMDD`, a real calendar date; nothing else.
pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let digits: Vec<u8> = match b.len() {
        10 if b[4] == b'-' && b[7] == b'-' => [&b[..4], &b[5..7], &b[8..]].concat(),
        8 => b.to_vec(),
        _ => return None,
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |d: &[u8]| d.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    NaiveDate::from_ymd_opt(n(&digits[..4]) as i32, n(&digits[4..6]), n(&digits[6..]))
}
