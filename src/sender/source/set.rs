//! The receiver's content rules for the set as a whole: at least one lot, one vaccine
//! type per lot number, repeated rows, expired lots.

use super::rows::{At, RawRow};
use crate::lot::{Lot, LotSet};
use crate::validate::{Issue, Language, Level, Report, Rule};
use chrono::NaiveDate;

/// Applies every rule to every row and then to the set; the set only when no rule
/// blocks it. No rows at all: `list.empty`.
pub(super) fn check(rows: Vec<RawRow>, today: NaiveDate, report: &mut Report) -> Option<LotSet> {
    if rows.is_empty() {
        report.add(
            Rule::ListEmpty,
            "/",
            "de bron bevat geen enkele partij",
            "the source holds no lot at all",
        );
        return None;
    }
    let mut lots: Vec<(Lot, At)> = Vec::with_capacity(rows.len());
    for row in rows {
        let at = row.at;
        let Some(lot) = row.check(report) else {
            continue;
        };
        if lot.is_expired_on(today) {
            let expires = lot.expires.map(|d| d.to_string()).unwrap_or_default();
            let nl = format!("partij {} is al vervallen ({expires})", lot.number);
            let en = format!("lot {} has already expired ({expires})", lot.number);
            report.push(at.issue(Rule::LotExpired, "expiry_date", &nl, &en));
        }
        lots.push((lot, at));
    }
    repeated_lot_numbers(&lots, report);
    if report.has(Level::Error) {
        return None;
    }
    match LotSet::new(lots.into_iter().map(|(lot, _)| lot).collect()) {
        Ok(set) => Some(set),
        Err(conflict) => {
            // Reported above already; this is a second line of defence.
            let text = conflict.to_string();
            report.add(Rule::LotTwoVaccines, "/", text.clone(), text);
            None
        }
    }
}

/// One vaccine type per lot number (an error) and repeated lot numbers (a warning; when
/// the rows differ, the first counts, as in [`LotSet::new`]), reported in row order.
fn repeated_lot_numbers(lots: &[(Lot, At)], report: &mut Report) {
    // A stable sort puts every repeat right after the first row with its number.
    let mut order: Vec<usize> = (0..lots.len()).collect();
    order.sort_by(|a, b| lots[*a].0.number.cmp(&lots[*b].0.number));
    let mut found: Vec<(usize, Issue)> = Vec::new();
    let mut first: Option<usize> = None;
    for i in order {
        let (lot, at) = &lots[i];
        let Some(f) = first.filter(|f| lots[*f].0.number == lot.number) else {
            first = Some(i);
            continue;
        };
        let (first_lot, first_at) = &lots[f];
        let (a, b) = (first_lot.vaccine.code(), lot.vaccine.code());
        let (fl, al) = (first_at.label(Language::Nl), at.label(Language::Nl));
        let (fe, ae) = (first_at.label(Language::En), at.label(Language::En));
        let n = &lot.number;
        let issue = if a != b {
            let nl = format!("partijnummer {n} staat onder vaccinsoort {a} ({fl}) en {b} ({al})");
            let en =
                format!("lot number {n} is listed under vaccine type {a} ({fe}) and {b} ({ae})");
            at.issue(Rule::LotTwoVaccines, "lot_number", &nl, &en)
        } else {
            let mut nl = format!("partijnummer {n} staat dubbel ({fl} en {al})");
            let mut en = format!("lot number {n} is listed twice ({fe} and {ae})");
            if first_lot != lot {
                nl.push_str("; de gegevens verschillen, de eerste telt");
                en.push_str("; the details differ, the first counts");
            }
            at.issue(Rule::LotDuplicate, "lot_number", &nl, &en)
        };
        found.push((i, issue));
    }
    found.sort_by_key(|(i, _)| *i);
    for (_, issue) in found {
        report.push(issue);
    }
}
