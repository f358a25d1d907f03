//! The receiver's part of the overview (`GET /api/v1/overview`, the status page and
//! `lotgate status`): the set in place and whether it is stale, the watchdog, the lot
//! count of each delivery in the history, the latest import reports, the quarantine and
//! the sending partners with their trials.

use super::Receiver;
use super::api::{quarantine_views, report_view, set_value, trial_answer};
use crate::api::{LotCount, ReceiverOverview, WatchdogView, time};
use crate::store::StoreError;
use chrono::{DateTime, Utc};

/// How many deliveries of the history the chart of lot counts shows.
pub const CHART_DELIVERIES: usize = 400;

/// How many import reports the overview shows whole.
pub const RECENT_REPORTS: usize = 10;

/// The receiver as it stands at `now`. Blocking: reads the store.
pub fn overview(receiver: &Receiver, now: DateTime<Utc>) -> Result<ReceiverOverview, StoreError> {
    let snapshot = receiver.snapshot();
    let set = set_value(receiver, &snapshot, now)?;
    let state = receiver.store().watchdog()?;
    let watchdog = receiver.watchdog();
    let history = receiver.store().history(CHART_DELIVERIES)?;
    let lot_counts = history
        .iter()
        .rev()
        .map(|report| LotCount {
            received_at: time(report.received_at),
            lots: report.lots,
            applied: report.set_version.is_some(),
        })
        .collect();
    let recent = history
        .iter()
        .take(RECENT_REPORTS)
        .map(report_view)
        .collect();
    Ok(ReceiverOverview {
        set,
        watchdog: WatchdogView {
            expect_by: receiver.config().expect_by.format("%H:%M").to_string(),
            next_check: time(watchdog.next_check(now)),
            alert_open: state.alert_open,
            last_alert: state.last_alert_date.map(|d| d.to_string()),
        },
        lot_counts,
        recent,
        quarantine: quarantine_views(receiver)?,
        partners: receiver
            .config()
            .partners
            .iter()
            .map(|partner| trial_answer(receiver, partner))
            .collect::<Result<_, _>>()?,
    })
}
