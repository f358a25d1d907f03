//! The content rules for the source's set as a whole: at least one lot, then the set
//! rules every set of lots meets ([`crate::lot::rules`]), with lines and elements of the
//! source as places.

use super::rows::{At, RawRow};
use crate::diagnostics::{Issue, Level, Report, Rule};
use crate::language::Language;
use crate::lot::LotSet;
use crate::lot::rules::{self, Field, Place};
use crate::vaccine::CodeList;
use chrono::NaiveDate;

/// Applies every rule to every row and then to the set; the set only when no rule
/// blocks it. No rows at all: `list.empty`.
pub(super) fn check(
    rows: Vec<RawRow>,
    today: NaiveDate,
    codes: &CodeList,
    report: &mut Report,
) -> Option<LotSet> {
    if rows.is_empty() {
        report.add(
            Rule::ListEmpty,
            "/",
            "de bron bevat geen enkele partij",
            "the source holds no lot at all",
        );
        return None;
    }
    let mut lots = Vec::with_capacity(rows.len());
    for row in rows {
        let at = row.at;
        if let Some(lot) = row.check(codes, today, report) {
            lots.push((lot, at));
        }
    }
    let set = rules::check_set(lots, Some(today), report);
    if report.has(Level::Error) {
        return None;
    }
    set
}

impl Place for At {
    fn issue(&self, rule: Rule, field: Field, nl: &str, en: &str) -> Issue {
        let field = match field {
            Field::LotNumber => "lot_number",
            Field::ExpiryDate => "expiry_date",
        };
        At::issue(*self, rule, field, nl, en)
    }

    fn label(&self, language: Language) -> String {
        At::label(*self, language)
    }
}
