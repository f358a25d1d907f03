//! Import reports: what a delivery brought compared with the set before it (counts per
//! vaccine type, lots added and removed), with the warnings and errors of its validation.

use crate::diagnostics::{Level, Report};
use crate::language::Language;
use crate::lot::LotSet;
use crate::store::{ImportReport, LotChanges, Outcome, ReportIssue};
use crate::strings::compare;
use chrono::{DateTime, Utc};
use std::cmp::Ordering;

/// The import report of a delivery whose set (if it could be read) is `new`, against the
/// set in place `old`.
pub fn import_report(
    message_id: crate::ids::MessageId,
    received_at: DateTime<Utc>,
    outcome: Outcome,
    new: Option<&LotSet>,
    old: Option<&LotSet>,
    findings: &Report,
    language: Language,
) -> ImportReport {
    let mut report = ImportReport::new(message_id, received_at, outcome);
    if let Some(new) = new {
        report.lots = new.len();
        for lot in new.lots() {
            *report.per_vaccine.entry(lot.vaccine.code()).or_insert(0) += 1;
        }
        let empty = LotSet::default();
        let (added, removed) = difference(new, old.unwrap_or(&empty));
        report.added = added;
        report.removed = removed;
    }
    for issue in findings.issues() {
        let entry = ReportIssue {
            code: issue.rule.id().to_owned(),
            text: issue.text(language).to_owned(),
            location: issue.location.clone(),
        };
        if issue.level() == Level::Warning {
            report.warnings.push(entry);
        } else {
            report.errors.push(entry);
        }
    }
    report
}

/// Lot numbers in `new` but not in `old`, and the other way round (both sets are sorted
/// by number, so one merge pass finds both).
fn difference(new: &LotSet, old: &LotSet) -> (LotChanges, LotChanges) {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut a, mut b) = (new.lots().iter().peekable(), old.lots().iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match compare(x.number.as_str(), y.number.as_str()) {
                Ordering::Less => added.push(a.next().map(|l| l.number.clone())),
                Ordering::Greater => removed.push(b.next().map(|l| l.number.clone())),
                Ordering::Equal => {
                    a.next();
                    b.next();
                }
            },
            (Some(_), None) => added.push(a.next().map(|l| l.number.clone())),
            (None, Some(_)) => removed.push(b.next().map(|l| l.number.clone())),
            (None, None) => break,
        }
    }
    (
        LotChanges::new(added.into_iter().flatten()),
        LotChanges::new(removed.into_iter().flatten()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn added_and_removed() {
        let old = sample::lot_set(10);
        let new = LotSet::new(sample::lot_set(15).lots()[5..].to_vec()).unwrap();
        let (added, removed) = difference(&new, &old);
        assert_eq!(added.total(), 5);
        assert_eq!(added.numbers()[0].as_str(), "LG000010");
        assert_eq!(removed.total(), 5);
        assert_eq!(removed.numbers()[4].as_str(), "LG000004");
        let (same_added, same_removed) = difference(&old, &old);
        assert_eq!((same_added.total(), same_removed.total()), (0, 0));
    }
}
