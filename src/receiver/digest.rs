//! The daily digest of import reports, for partners with `reports = "daily"`: at each
//! `receiver.report_at` (local time), one email per partner with its production
//! deliveries received since the one before, from the history. Each digest is queued at
//! most once (`import-digest-{sender}-{date}`), so a restart on the same day sends none
//! twice, and a gateway that was down at `report_at` sends it when it comes up that day.
//!
//! Which day and which span of time a digest covers is [`localtime::daily_window`].

use super::Receiver;
use super::partner_mails;
use crate::config::Reports;
use crate::localtime;
use chrono::{DateTime, Utc};
use std::future::Future;

/// Sends the digest due now, then each one at its `report_at`, until `shutdown`. Returns
/// at once when no partner asks for a daily digest.
pub async fn run(receiver: Receiver, shutdown: impl Future<Output = ()>) {
    if !receiver
        .config()
        .partners
        .iter()
        .any(|p| p.reports == Reports::Daily)
    {
        return;
    }
    let when = (
        receiver.inner.gateway.time_zone,
        receiver.config().report_at,
    );
    let wake = receiver.inner.mail_wake.clone();
    let step = {
        let receiver = receiver.clone();
        move |now| send(&receiver, now)
    };
    crate::mail::daily::run("import digest", when, Utc::now, step, wake, shutdown).await;
}

/// Queues the digest of the window at `now` for every partner that asks for one;
/// whether any was queued.
fn send(receiver: &Receiver, now: DateTime<Utc>) -> Result<bool, crate::store::StoreError> {
    let config = receiver.config();
    let (day, from, until) =
        localtime::daily_window(receiver.inner.gateway.time_zone, config.report_at, now);
    let history = receiver.store().history(usize::MAX)?;
    let mut queued = false;
    for partner in config
        .partners
        .iter()
        .filter(|p| p.reports == Reports::Daily)
    {
        if let Some((id, payload)) = partner_mails::digest(
            partner,
            &history,
            (from, until),
            day,
            &receiver.inner.gateway.codes,
        ) {
            queued |= receiver.store().outbox().enqueue_once(&id, &payload)?;
        }
    }
    Ok(queued)
}
