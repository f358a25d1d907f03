//! Answers to the record system's questions about lot numbers, from the set in place:
//! is this lot number known, for this vaccine type, and still valid today? An exact match
//! first; then one after trimming and ignoring letter case; on a miss, suggestions of
//! close lot numbers, never taken as the answer (see `lot::search`). Pure.

use crate::api::{LotStatus as Status, LotView, Match};
use crate::lot::search::Index;
use crate::lot::{Lot, LotSet};
use crate::vaccine::VaccineCode;
use chrono::NaiveDate;

/// How many lot numbers an unknown lot number gets as suggestions.
pub const SUGGESTIONS: usize = 3;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The lot, matched as [`Match`] says.
    Lot(LotView, Match),
    /// No lot has this number (or several differ from it only in case): up to
    /// [`SUGGESTIONS`] close ones.
    Unknown(Vec<LotView>),
}

/// Looks up one lot number in `set` (with its `index`).
pub fn find(
    set: &LotSet,
    index: &Index,
    number: &str,
    vaccine: Option<VaccineCode>,
    today: NaiveDate,
) -> Found {
    if let Some(lot) = set.get(number) {
        return Found::Lot(view(lot, vaccine, today), Match::Exact);
    }
    let normalized = index.normalized(set, number);
    if let [lot] = normalized.as_slice() {
        return Found::Lot(view(lot, vaccine, today), Match::Normalized);
    }
    // Case variants of one number: which one is meant is for a person to say.
    let mut suggestions: Vec<&Lot> = normalized;
    suggestions.truncate(SUGGESTIONS);
    if suggestions.is_empty() {
        suggestions = index.suggestions(set, number, vaccine, SUGGESTIONS);
    }
    Found::Unknown(
        suggestions
            .into_iter()
            .map(|lot| view(lot, vaccine, today))
            .collect(),
    )
}

/// The lots whose number starts with `prefix` ignoring letter case, of `vaccine` when
/// given, at most `limit`.
pub fn list(
    set: &LotSet,
    index: &Index,
    prefix: &str,
    vaccine: Option<VaccineCode>,
    today: NaiveDate,
    limit: usize,
) -> Vec<LotView> {
    index
        .with_prefix(set, prefix)
        .filter(|lot| vaccine.is_none_or(|v| lot.vaccine.code() == v))
        .take(limit)
        .map(|lot| view(lot, vaccine, today))
        .collect()
}

fn view(lot: &Lot, vaccine: Option<VaccineCode>, today: NaiveDate) -> LotView {
    let status = if vaccine.is_some_and(|v| v != lot.vaccine.code()) {
        Status::OtherVaccine
    } else if lot.is_expired_on(today) {
        Status::Expired
    } else {
        Status::Valid
    };
    LotView {
        lot: lot.number.as_str().to_owned(),
        vaccine: lot.vaccine.code().as_str().to_owned(),
        vaccine_name: lot.vaccine.name().to_owned(),
        expires: lot.expires,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    fn lot(found: Found) -> (LotView, Match) {
        match found {
            Found::Lot(view, matched) => (view, matched),
            Found::Unknown(s) => panic!("unknown, suggestions {s:?}"),
        }
    }

    fn unknown(found: Found) -> Vec<String> {
        match found {
            Found::Unknown(s) => s.into_iter().map(|v| v.lot).collect(),
            Found::Lot(view, _) => panic!("found {view:?}"),
        }
    }

    #[test]
    fn statuses() {
        let set = sample::lot_set(40);
        let index = Index::new(&set);
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let lot_1 = &set.lots()[1]; // LG000001: vaccine 02, expires in 2027
        let code = lot_1.vaccine.code();
        let status =
            |number, vaccine, today| lot(find(&set, &index, number, vaccine, today)).0.status;
        assert_eq!(status("LG000001", None, today), Status::Valid);
        assert_eq!(status("LG000001", Some(code), today), Status::Valid);
        let other = VaccineCode::parse("08").unwrap();
        assert_eq!(status("LG000001", Some(other), today), Status::OtherVaccine);
        let later = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        assert_eq!(status("LG000001", Some(code), later), Status::Expired);
    }

    #[test]
    fn exact_then_normalized_then_suggestions() {
        let set = sample::lot_set(40);
        let index = Index::new(&set);
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let (view, matched) = lot(find(&set, &index, "LG000001", None, today));
        assert_eq!((view.lot.as_str(), matched), ("LG000001", Match::Exact));
        let (view, matched) = lot(find(&set, &index, " lg000001 ", None, today));
        assert_eq!(
            (view.lot.as_str(), matched),
            ("LG000001", Match::Normalized)
        );
        // O for 0: a suggestion, never a match.
        let suggested = unknown(find(&set, &index, "LG0000O1", None, today));
        assert_eq!(suggested.first().map(String::as_str), Some("LG000001"));
        // More than three lots of the set are that close (LG000000, LG000010, …): three
        // are offered.
        assert_eq!(suggested.len(), SUGGESTIONS, "{suggested:?}");
        assert!(unknown(find(&set, &index, "NOPE", None, today)).is_empty());
    }

    #[test]
    fn lists_by_prefix_ignoring_case_and_by_vaccine() {
        let set = sample::lot_set(100);
        let index = Index::new(&set);
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert_eq!(list(&set, &index, "LG00001", None, today, 100).len(), 10);
        assert_eq!(list(&set, &index, "lg00001", None, today, 100).len(), 10);
        assert_eq!(list(&set, &index, "LG0000", None, today, 5).len(), 5);
        let eight = VaccineCode::parse("08").unwrap();
        let pneu = list(&set, &index, "LG", Some(eight), today, 100);
        assert!(!pneu.is_empty() && pneu.iter().all(|l| l.vaccine == "08"));
    }
}
