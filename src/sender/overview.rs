//! The sender's part of the overview (`GET /api/v1/overview`, the status page and
//! `lotgate status`): each destination's status, the planned grid of its current
//! delivery, and how its last nights went, read from the journal.
//!
//! [`nights`] is the pure part: given the journal's deliveries, which nights to show and
//! which deliveries are still current, it says how each night went.

use super::Sender;
use crate::api::{
    DestinationOverview, JournalDelivery, NightCell, NightResult, PlannedSlot, SENDER_ENTRY,
    SenderOverview, StateView, time,
};
use crate::schedule;
use crate::store::{JournalFilter, JournalKind};
use chrono::{Days, NaiveDate};
use std::collections::BTreeMap;

/// How many nights the strip of each destination shows.
pub const NIGHTS: u64 = 30;

/// A delivery in the journal, as the strip of nights reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalNight {
    /// The journal entry's id (`s17`).
    pub entry: String,
    /// The destination.
    pub destination: String,
    /// The delivery as the journal keeps it.
    pub delivery: JournalDelivery,
}

/// The sender as it stands: [`super::status::report`] with each destination's grid and
/// nights.
pub async fn overview(sender: &Sender) -> anyhow::Result<SenderOverview> {
    let status = super::status::report(sender).await?;
    let schedule = &sender.config().schedule;
    let now = sender.now();
    let (next_night, _) = schedule::next_night(schedule, now);
    let last = next_night
        .checked_sub_days(Days::new(1))
        .unwrap_or(next_night);
    let first = last.checked_sub_days(Days::new(NIGHTS - 1)).unwrap_or(last);
    let since = schedule::night_start(schedule, first);
    let journal = sender.store().journal().clone();
    let entries = tokio::task::spawn_blocking(move || {
        let filter = JournalFilter {
            kind: Some(JournalKind::Delivery),
            since: Some(since),
            ..JournalFilter::default()
        };
        journal.list(&filter, None, usize::MAX)
    })
    .await??;
    let journal: Vec<JournalNight> = entries
        .into_iter()
        .filter_map(|entry| {
            Some(JournalNight {
                entry: format!("{SENDER_ENTRY}{}", entry.id),
                destination: entry.destination?,
                // An entry that does not read as a delivery is left out of the strip.
                delivery: serde_json::from_value(entry.details).ok()?,
            })
        })
        .collect();
    let dates: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
    let destinations = status
        .destinations
        .into_iter()
        .map(|status| {
            let grid = match &status.delivery {
                Some(delivery) => grid(sender, &delivery.start),
                None => Vec::new(),
            };
            let current = status.delivery.as_ref().map(|d| d.id);
            let nights = nights(&journal, &status.name, current, &dates);
            DestinationOverview {
                status,
                grid,
                nights,
            }
        })
        .collect();
    Ok(SenderOverview {
        now: status.now,
        next_night: status.next_night,
        destinations,
    })
}

/// The planned slots of a delivery that starts at `start` (as the API writes it).
fn grid(sender: &Sender, start: &str) -> Vec<PlannedSlot> {
    let Ok(start) = chrono::DateTime::parse_from_rfc3339(start) else {
        return Vec::new();
    };
    let schedule = &sender.config().schedule;
    schedule::planned(schedule, start.to_utc())
        .into_iter()
        .enumerate()
        .map(|(index, at)| {
            let (pattern, position) = schedule::slot_place(schedule, index);
            PlannedSlot {
                at: time(at),
                pattern,
                position,
            }
        })
        .collect()
}

/// How each night of `dates` went for `destination`, from the journal's deliveries
/// (newest first, as the journal lists them); `current` is the destination's current
/// delivery. A night with several deliveries (one superseded) is told by the newest.
pub fn nights(
    journal: &[JournalNight],
    destination: &str,
    current: Option<u64>,
    dates: &[NaiveDate],
) -> Vec<NightCell> {
    let mut by_night: BTreeMap<String, &JournalNight> = BTreeMap::new();
    for night in journal.iter().filter(|n| n.destination == destination) {
        if let Some(date) = &night.delivery.night {
            by_night
                .entry(date.clone())
                .and_modify(|kept| {
                    if night.delivery.delivery > kept.delivery.delivery {
                        *kept = night;
                    }
                })
                .or_insert(night);
        }
    }
    dates
        .iter()
        .map(|date| {
            let date = date.to_string();
            match by_night.get(&date) {
                Some(night) => NightCell {
                    result: result(&night.delivery, current),
                    journal: Some(night.entry.clone()),
                    date,
                },
                None => NightCell {
                    date,
                    result: NightResult::None,
                    journal: None,
                },
            }
        })
        .collect()
}

/// How a night's delivery went: delivered at the first attempt or later, rejected,
/// escalated, still being tried (the current delivery), or replaced by a newer delivery
/// before it was delivered.
fn result(delivery: &JournalDelivery, current: Option<u64>) -> NightResult {
    match delivery.state {
        StateView::Delivered if delivery.attempts.len() <= 1 => NightResult::FirstTry,
        StateView::Delivered => NightResult::AfterRetries,
        StateView::Rejected => NightResult::Rejected,
        StateView::Pending if delivery.escalated_at.is_some() => NightResult::Escalated,
        StateView::Pending if current == Some(delivery.delivery) => NightResult::Pending,
        StateView::Pending => NightResult::Superseded,
    }
}

#[cfg(test)]
mod tests;
