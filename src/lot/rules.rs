//! The content rules of a set of lots — one implementation and one wording, used by the
//! receiver's validation of a message and by the sender's check of its source:
//!
//! - a lot number that cannot be one (blank, too long, a control character): an error;
//! - a vaccine code outside value set W0422 (the release in force, on the day): a warning
//!   (the binding is CWE);
//! - a lot that expired before the day it is checked for: a warning;
//! - one lot number under two vaccine types: an error;
//! - the same lot number twice under one vaccine type: a warning (when the entries
//!   differ, the first counts, as in [`LotSet::new`]);
//! - whitespace before or after a lot number: a warning, and the lot is kept without it
//!   ([`read_lot_number`]; whitespace inside stays);
//! - two lot numbers that differ only in letter case: a warning naming both (both are
//!   kept: lot numbers are case-preserving, and nothing guesses which one is meant).
//!
//! Where an entry is differs: a product in a message, a line or element of a source. A
//! [`Place`] says it in each one's terms. Pure: the caller passes the day.

use super::{Lot, LotNumber, LotNumberError, LotSet};
use crate::diagnostics::{Issue, Report, Rule};
use crate::language::Language;
use crate::vaccine::{Known, VaccineCode};
use chrono::NaiveDate;

/// A field of a lot, for locations in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The lot number.
    LotNumber,
    /// The expiry date.
    ExpiryDate,
}

/// Where a lot was found, in the terms of what it was read from.
pub trait Place {
    /// An issue about `field` of the lot here, with its texts.
    fn issue(&self, rule: Rule, field: Field, nl: &str, en: &str) -> Issue;
    /// The place for people: "product 2", "regel 5", "lots[3]".
    fn label(&self, language: Language) -> String;
}

/// The rule a refused lot number breaks, with its texts (Dutch, English).
pub fn lot_number_problem(error: &LotNumberError) -> (Rule, String, String) {
    let (rule, nl) = match error {
        LotNumberError::Blank => (Rule::LotBlank, "partijnummer is leeg".to_owned()),
        LotNumberError::TooLong(n) => (
            Rule::LotTooLong,
            format!("partijnummer heeft {n} tekens, hoogstens 50 toegestaan"),
        ),
        LotNumberError::ControlCharacter(c) => (
            Rule::LotControlChar,
            format!("partijnummer bevat stuurteken U+{c:04X}"),
        ),
    };
    (rule, nl, error.to_string())
}

/// A text in Dutch and in English.
pub type Texts = (String, String);

/// Reads a lot number as written in a message or a source: the number without
/// whitespace around it, with the texts (Dutch, English) of the [`Rule::LotWhitespace`]
/// warning when there was some; `Err` with the rule it breaks when it is no lot number
/// (a control character anywhere, blank, too long without the whitespace).
pub fn read_lot_number(text: &str) -> Result<(LotNumber, Option<Texts>), (Rule, String, String)> {
    let problem = |e: LotNumberError| lot_number_problem(&e);
    let trimmed = text.trim();
    let number = match LotNumber::parse(text) {
        // Nearly every lot number: read once.
        Ok(number) if trimmed.len() == text.len() => number,
        // Tabs and line breaks around it are control characters, refused as before.
        Err(e @ LotNumberError::ControlCharacter(_)) => return Err(problem(e)),
        _ => LotNumber::parse(trimmed).map_err(problem)?,
    };
    let warning = (trimmed.len() != text.len()).then(|| {
        (
            format!(
                "partijnummer \"{text}\" heeft witruimte ervoor of erna; bewaard als \"{trimmed}\""
            ),
            format!(
                "lot number \"{text}\" has whitespace before or after it; kept as \"{trimmed}\""
            ),
        )
    });
    Ok((number, warning))
}

/// The texts (Dutch, English) of [`Rule::VaccineCode`] for a vaccine type written as
/// `text`, which is not a two-digit code.
pub fn not_a_vaccine_code(text: &str) -> (String, String) {
    (
        format!("vaccinsoort \"{text}\" is geen code van twee cijfers"),
        format!("vaccine type \"{text}\" is not a two-digit code"),
    )
}

/// The texts (Dutch, English) of [`Rule::VaccineUnknownCode`] for `code`.
pub fn unknown_vaccine_code(code: VaccineCode) -> (String, String) {
    (
        format!("vaccinsoort {code} staat niet in waardelijst W0422"),
        format!("vaccine type {code} is not in value set W0422"),
    )
}

/// The texts (Dutch, English) of [`Rule::VaccineUnknownCode`] for a code as the code list
/// in force knows it: not in it, or valid only from a later day; `None` when it is valid.
pub fn code_not_valid(code: VaccineCode, known: Known<'_>) -> Option<(String, String)> {
    match known {
        Known::Valid(_) => None,
        Known::Unknown => Some(unknown_vaccine_code(code)),
        Known::NotYet(from) => Some((
            format!("vaccinsoort {code} staat pas vanaf {from} in waardelijst W0422"),
            format!("vaccine type {code} is in value set W0422 only from {from}"),
        )),
    }
}

/// Checks the lots of one message or source: expired lots (on `today`, when given),
/// lot numbers under two vaccine types, repeated lot numbers; each issue in the order of
/// the entries. Returns the set, when no lot number is under two vaccine types.
pub fn check_set<P: Place>(
    entries: Vec<(Lot, P)>,
    today: Option<NaiveDate>,
    report: &mut Report,
) -> Option<LotSet> {
    if let Some(today) = today {
        for (lot, at) in entries.iter().filter(|(lot, _)| lot.is_expired_on(today)) {
            let expires = lot.expires.map(|d| d.to_string()).unwrap_or_default();
            let n = &lot.number;
            report.push(at.issue(
                Rule::LotExpired,
                Field::ExpiryDate,
                &format!("partij {n} is al vervallen ({expires})"),
                &format!("lot {n} has already expired ({expires})"),
            ));
        }
    }
    // A stable sort puts every repeat right after the first entry with its number.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|a, b| entries[*a].0.number.cmp(&entries[*b].0.number));
    let mut found: Vec<(usize, Issue)> = Vec::new();
    let mut conflict = false;
    let mut first: Option<usize> = None;
    for &i in &order {
        let (lot, at) = &entries[i];
        let Some(f) = first.filter(|f| entries[*f].0.number == lot.number) else {
            first = Some(i);
            continue;
        };
        let (first_lot, first_at) = &entries[f];
        let (a, b) = (first_lot.vaccine.code(), lot.vaccine.code());
        let (fl, al) = (first_at.label(Language::Nl), at.label(Language::Nl));
        let (fe, ae) = (first_at.label(Language::En), at.label(Language::En));
        let n = &lot.number;
        let issue = if a != b {
            conflict = true;
            at.issue(
                Rule::LotTwoVaccines,
                Field::LotNumber,
                &format!("partijnummer {n} staat onder vaccinsoort {a} ({fl}) en {b} ({al})"),
                &format!("lot number {n} is listed under vaccine type {a} ({fe}) and {b} ({ae})"),
            )
        } else {
            let mut nl = format!("partijnummer {n} staat dubbel ({fl} en {al})");
            let mut en = format!("lot number {n} is listed twice ({fe} and {ae})");
            if first_lot != lot {
                nl.push_str("; de gegevens verschillen, de eerste telt");
                en.push_str("; the details differ, the first counts");
            }
            at.issue(Rule::LotDuplicate, Field::LotNumber, &nl, &en)
        };
        found.push((i, issue));
    }
    found.extend(case_variants(&entries));
    found.sort_by_key(|(i, _)| *i);
    for (_, issue) in found {
        report.push(issue);
    }
    if conflict {
        return None;
    }
    // In lot-number order already: `LotSet::new` keeps the first of each number.
    let mut entries: Vec<Option<Lot>> = entries.into_iter().map(|(lot, _)| Some(lot)).collect();
    let sorted = order.iter().filter_map(|&i| entries[i].take()).collect();
    LotSet::new(sorted).ok()
}

/// The [`Rule::LotCase`] warnings of `entries`: each lot number that differs from an
/// earlier one only in letter case, at its own entry, naming both.
fn case_variants<P: Place>(entries: &[(Lot, P)]) -> Vec<(usize, Issue)> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (entries[*a].0.number.as_str(), entries[*b].0.number.as_str());
        super::fold_cmp(x, y).then(a.cmp(b))
    });
    let mut found = Vec::new();
    for pair in order.windows(2) {
        let (first, i) = (pair[0], pair[1]);
        let (a, b) = (&entries[first].0.number, &entries[i].0.number);
        if a == b || super::fold_cmp(a.as_str(), b.as_str()) != std::cmp::Ordering::Equal {
            continue;
        }
        let (earlier, later) = if first < i { (first, i) } else { (i, first) };
        let (x, y) = (&entries[earlier].0.number, &entries[later].0.number);
        let at = &entries[later].1;
        let (fl, al) = (
            entries[earlier].1.label(Language::Nl),
            at.label(Language::Nl),
        );
        let (fe, ae) = (
            entries[earlier].1.label(Language::En),
            at.label(Language::En),
        );
        found.push((
            later,
            at.issue(
                Rule::LotCase,
                Field::LotNumber,
                &format!(
                    "partijnummers {x} ({fl}) en {y} ({al}) verschillen alleen in hoofdletters; \
                     beide worden bewaard"
                ),
                &format!(
                    "lot numbers {x} ({fe}) and {y} ({ae}) differ only in letter case; both \
                     are kept"
                ),
            ),
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lot::LotNumber;
    use crate::vaccine::VaccineType;

    /// A place that is a line number.
    struct Line(u32);

    impl Place for Line {
        fn issue(&self, rule: Rule, field: Field, nl: &str, en: &str) -> Issue {
            Issue::new(rule, format!("line {} {field:?}", self.0), nl, en)
        }
        fn label(&self, language: Language) -> String {
            format!("{} {}", language.pick("regel", "line"), self.0)
        }
    }

    fn lot(number: &str, code: &str, expires: Option<(i32, u32, u32)>) -> Lot {
        Lot {
            number: LotNumber::parse(number).unwrap(),
            vaccine: VaccineType::known(code).unwrap(),
            expires: expires.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        }
    }

    #[test]
    fn one_implementation_of_every_set_rule() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1);
        let mut report = Report::new();
        let set = check_set(
            vec![
                (lot("B", "08", Some((2026, 5, 31))), Line(2)),
                (lot("A", "08", None), Line(3)),
                (lot("B", "08", Some((2027, 1, 1))), Line(4)),
            ],
            today,
            &mut report,
        )
        .expect("duplicates and expired lots do not block");
        assert_eq!(set.len(), 2);
        assert_eq!(
            set.get("B").unwrap().expires,
            NaiveDate::from_ymd_opt(2026, 5, 31)
        );
        let issues: Vec<(Rule, &str)> = report
            .issues()
            .iter()
            .map(|i| (i.rule, i.text(Language::En)))
            .collect();
        assert_eq!(
            issues,
            [
                (Rule::LotExpired, "lot B has already expired (2026-05-31)"),
                (
                    Rule::LotDuplicate,
                    "lot number B is listed twice (line 2 and line 4); the details differ, \
                     the first counts"
                ),
            ]
        );

        let mut report = Report::new();
        let set = check_set(
            vec![
                (lot("C", "08", None), Line(2)),
                (lot("C", "06", None), Line(3)),
            ],
            None,
            &mut report,
        );
        assert_eq!(set, None);
        assert_eq!(
            report.issues()[0].text(Language::Nl),
            "partijnummer C staat onder vaccinsoort 08 (regel 2) en 06 (regel 3)"
        );
        assert!(report.has(crate::diagnostics::Level::Error));
    }
}
