//! The daily digest of import reports, for partners with `reports = "daily"`: at each
//! `receiver.report_at` (local time), one email per partner with its production
//! deliveries received since the one before, from the history. Each digest is queued at
//! most once (`import-digest-{sender}-{date}`), so a restart on the same day sends none
//! twice, and a gateway that was down at `report_at` sends it when it comes up that day.
//!
//! [`window`] is the pure part: which day and which span of time a digest covers.

use super::Receiver;
use super::partner_mails;
use crate::config::Reports;
use crate::localtime;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use std::future::Future;
use std::time::Duration;

/// How soon a digest that failed (the store could not be read) is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(300);

/// The most recent digest at or before `now`: its day, and the span `[from, until)` of
/// receiving times it covers (from the `report_at` of the day before to that day's).
pub fn window(
    zone: Tz,
    report_at: NaiveTime,
    now: DateTime<Utc>,
) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
    let today = localtime::local_date(zone, now);
    let day = if localtime::instant(zone, today, report_at) <= now {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    };
    let until = localtime::instant(zone, day, report_at);
    let from = localtime::instant(zone, day.pred_opt().unwrap_or(day), report_at);
    (day, from, until)
}

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
    let mut shutdown = std::pin::pin!(shutdown);
    let zone = receiver.inner.gateway.time_zone;
    let report_at = receiver.config().report_at;
    loop {
        let now = Utc::now();
        let sent = tokio::task::spawn_blocking({
            let receiver = receiver.clone();
            move || send(&receiver, now)
        })
        .await;
        let wait = match sent {
            Ok(Ok(queued)) => {
                if queued {
                    receiver.inner.mail_wake.notify_one();
                }
                let (day, _, _) = window(zone, report_at, now);
                let next = localtime::instant(zone, day.succ_opt().unwrap_or(day), report_at);
                (next - Utc::now()).to_std().unwrap_or_default()
            }
            Ok(Err(e)) => {
                tracing::error!("import digest: failed, trying again in {RETRY_AFTER:?}: {e}");
                RETRY_AFTER
            }
            Err(_) => RETRY_AFTER,
        };
        tokio::select! {
            biased;
            () = &mut shutdown => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Queues the digest of the window at `now` for every partner that asks for one;
/// whether any was queued.
fn send(receiver: &Receiver, now: DateTime<Utc>) -> Result<bool, crate::store::StoreError> {
    let config = receiver.config();
    let (day, from, until) = window(receiver.inner.gateway.time_zone, config.report_at, now);
    let history = receiver.store().history(usize::MAX)?;
    let mut queued = false;
    for partner in config
        .partners
        .iter()
        .filter(|p| p.reports == Reports::Daily)
    {
        if let Some((id, payload)) = partner_mails::digest(partner, &history, from, until, day) {
            queued |= receiver.store().outbox().enqueue_once(&id, &payload)?;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_digest_covers_the_day_up_to_report_at_local_time() {
        let zone = chrono_tz::Europe::Amsterdam;
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        // 08:00 CET is 07:00 UTC.
        assert_eq!(
            window(zone, eight, at(7, 0)),
            (day(2), at(7, 0) - chrono::TimeDelta::days(1), at(7, 0))
        );
        // Before it: yesterday's digest.
        assert_eq!(window(zone, eight, at(6, 59)).0, day(1));
        assert_eq!(window(zone, eight, at(23, 0)).0, day(2));
        // Across the autumn change the span is 25 hours.
        let (_, from, until) = window(
            zone,
            eight,
            Utc.with_ymd_and_hms(2026, 10, 25, 12, 0, 0).unwrap(),
        );
        assert_eq!(until - from, chrono::TimeDelta::hours(25));
    }
}
