//! The daily digest of deliveries, for destinations with `reports = "daily"`: at each
//! `sender.report_at` (local time), one email to the administrators listing every
//! delivery to those destinations in the 24 hours before, from the journal. It is queued
//! at most once a day (`sender-digest-{date}`), so a restart sends none twice, and a
//! gateway that was down at `report_at` sends it when it comes up that day; a day that
//! ended before the sender was installed gets none.

use super::Sender;
use crate::api::{JournalDelivery, time};
use crate::config::Reports;
use crate::localtime;
use crate::store::{JournalFilter, JournalKind, StoreError};
use std::future::Future;

/// Sends the digest due now, then each one at its `report_at`, until `shutdown`. Returns
/// at once when no destination asks for a daily digest.
pub async fn run(sender: Sender, shutdown: impl Future<Output = ()>) {
    let config = sender.config();
    if !config
        .destinations
        .iter()
        .any(|d| d.reports == Reports::Daily)
    {
        return;
    }
    let when = (sender.inner.zone, config.report_at);
    let wake = sender.inner.mail_wake.clone();
    let clock = sender.clone();
    let step = {
        let sender = sender.clone();
        move |now| send(&sender, now)
    };
    let now = move || clock.now();
    crate::mail::daily::run("delivery digest", when, now, step, wake, shutdown).await;
}

/// Queues the digest of the day at `now`; whether it was queued (not before, and not
/// for a day that ended before the sender's store was installed).
fn send(sender: &Sender, now: chrono::DateTime<chrono::Utc>) -> Result<bool, StoreError> {
    let config = sender.config();
    let (day, from, until) = localtime::daily_window(sender.inner.zone, config.report_at, now);
    let installed = sender.store().installed_at()?;
    if installed.is_none_or(|at| at >= until) {
        return Ok(false);
    }
    let destinations: Vec<_> = config
        .destinations
        .iter()
        .filter(|d| d.reports == Reports::Daily)
        .collect();
    let filter = JournalFilter {
        kind: Some(JournalKind::Delivery),
        since: Some(from),
        until: Some(until),
        ..JournalFilter::default()
    };
    let entries = sender.store().journal().list(&filter, None, usize::MAX)?;
    let mut rows: Vec<(String, JournalDelivery)> = entries
        .into_iter()
        .filter_map(|entry| {
            let destination = entry.destination?;
            let delivery = serde_json::from_value(entry.details).ok()?;
            Some((destination, delivery))
        })
        .collect();
    // Oldest first.
    rows.reverse();
    let mails = sender
        .mail_writer()
        .digest(&destinations, &rows, day, until);
    let mut queued = false;
    for (id, payload) in &mails {
        queued |= sender.store().outbox().enqueue_once(id, payload)?;
    }
    tracing::debug!(
        "delivery digest of {day} ({} to {})",
        time(from),
        time(until)
    );
    Ok(queued)
}
