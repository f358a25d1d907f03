//! Answers to the record system's questions about lot numbers, from the set in place:
//! is this lot number known, for this vaccine type, and still valid today? Pure.

use crate::api::{LotStatus as Status, LotView};
use crate::lot::{Lot, LotSet};
use crate::vaccine::VaccineCode;
use chrono::NaiveDate;

/// Looks up one lot number (exact, case-sensitive); `None` when it is not in the set.
pub fn find(
    set: &LotSet,
    number: &str,
    vaccine: Option<VaccineCode>,
    today: NaiveDate,
) -> Option<LotView> {
    set.get(number).map(|lot| view(lot, vaccine, today))
}

/// The lots whose number starts with `prefix`, of `vaccine` when given, at most `limit`.
pub fn list(
    set: &LotSet,
    prefix: &str,
    vaccine: Option<VaccineCode>,
    today: NaiveDate,
    limit: usize,
) -> Vec<LotView> {
    set.with_prefix(prefix)
        .iter()
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

    #[test]
    fn statuses() {
        let set = sample::lot_set(40);
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let lot = &set.lots()[1]; // LG000001: vaccine 02, expires in 2027
        let code = lot.vaccine.code();
        assert_eq!(
            find(&set, "LG000001", None, today).unwrap().status,
            Status::Valid
        );
        assert_eq!(
            find(&set, "LG000001", Some(code), today).unwrap().status,
            Status::Valid
        );
        let other = VaccineCode::parse("08").unwrap();
        assert_eq!(
            find(&set, "LG000001", Some(other), today).unwrap().status,
            Status::OtherVaccine
        );
        let later = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        assert_eq!(
            find(&set, "LG000001", Some(code), later).unwrap().status,
            Status::Expired
        );
        assert!(
            find(&set, "lg000001", None, today).is_none(),
            "case-sensitive"
        );
        assert!(find(&set, "NOPE", None, today).is_none());
    }

    #[test]
    fn lists_by_prefix_and_vaccine() {
        let set = sample::lot_set(100);
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert_eq!(list(&set, "LG00001", None, today, 100).len(), 10);
        assert_eq!(list(&set, "LG0000", None, today, 5).len(), 5);
        let eight = VaccineCode::parse("08").unwrap();
        let pneu = list(&set, "LG", Some(eight), today, 100);
        assert!(!pneu.is_empty() && pneu.iter().all(|l| l.vaccine == "08"));
    }
}
