//! The overview of a gateway: everything the status page (`GET /`) shows, and what
//! `lotgate status --json` prints — both roles' state as it stands, in one answer.

use super::{
    CertificateView, DestinationStatus, MailList, NextNight, QuarantineView, Readiness, ReportView,
    SenderStatus, SetAnswer, TrialAnswer,
};
use serde::{Deserialize, Serialize};

/// How the delivery of one night went, for a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NightResult {
    /// Delivered at the first attempt.
    FirstTry,
    /// Delivered after one or more failed attempts.
    AfterRetries,
    /// Refused by the receiver.
    Rejected,
    /// Not delivered by the escalation time: the administrators were alerted.
    Escalated,
    /// Not delivered yet: attempts still to come.
    Pending,
    /// Replaced by a newer delivery (a send-now, the next night) before it was
    /// delivered.
    Superseded,
    /// No delivery of that night (the gateway was not running, or did not exist yet).
    None,
}

/// One night in a destination's strip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NightCell {
    /// The night's local date.
    pub date: String,
    /// How it went.
    pub result: NightResult,
    /// The journal entry of its delivery, when there is one.
    pub journal: Option<String>,
}

/// A slot of the current delivery's grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedSlot {
    /// When the slot is.
    pub at: String,
    /// Which pattern it belongs to: 0 for the first (the first attempt and its retries),
    /// then 1, 2, … for the repeats after the pause.
    pub pattern: u32,
    /// Its place in the pattern, from 0: in the first pattern 0 is the first attempt and
    /// 1, 2, … the retries; in a repeat, 0 is its first attempt.
    pub position: u32,
}

/// A destination as the status page shows it: its status, the grid of its current
/// delivery, and its last nights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationOverview {
    /// The destination's status: its current delivery with every attempt.
    pub status: DestinationStatus,
    /// The planned slots of the current delivery, first to last (empty without one).
    pub grid: Vec<PlannedSlot>,
    /// The last 30 nights, oldest first.
    pub nights: Vec<NightCell>,
}

/// The sender's part of the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderOverview {
    /// The sender's clock.
    pub now: String,
    /// The next night.
    pub next_night: NextNight,
    /// Every destination, in configuration order.
    pub destinations: Vec<DestinationOverview>,
}

impl SenderOverview {
    /// The sender's status, as `GET /api/v1/sender/status` gives it.
    pub fn status(&self) -> SenderStatus {
        SenderStatus {
            now: self.now.clone(),
            next_night: self.next_night.clone(),
            destinations: self.destinations.iter().map(|d| d.status.clone()).collect(),
        }
    }
}

/// The receiver's watchdog: when a set is expected, and whether it has alerted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchdogView {
    /// The local time of day by which a set is expected (`receiver.expect_by`), `HH:MM`.
    pub expect_by: String,
    /// When it looks next.
    pub next_check: String,
    /// Whether an alert is open (sent, and no set has arrived since).
    pub alert_open: bool,
    /// The local date of its last alert.
    pub last_alert: Option<String>,
}

/// One delivery in the receiver's history, for the chart of lot counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotCount {
    /// When it was received.
    pub received_at: String,
    /// How many lots it carried.
    pub lots: usize,
    /// Whether it was put in place.
    pub applied: bool,
}

/// The receiver's part of the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverOverview {
    /// The set in place, its version and whether it is stale.
    pub set: SetAnswer,
    /// The watchdog.
    pub watchdog: WatchdogView,
    /// The lot count of every delivery in the history (at most its last 400), oldest
    /// first.
    pub lot_counts: Vec<LotCount>,
    /// The most recent import reports (at most 10), newest first.
    pub recent: Vec<ReportView>,
    /// The sets held back by the shrink guard.
    pub quarantine: Vec<QuarantineView>,
    /// The sending partners of `[[receiver.sender]]`, with their phase and trial.
    pub partners: Vec<TrialAnswer>,
}

/// One of our certificates, with the days it has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateDays {
    /// The certificate.
    pub certificate: CertificateView,
    /// Whole days until it ends (negative: ended).
    pub days_left: i64,
}

/// `GET /api/v1/overview`: both roles as they stand; what the status page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// When it was made.
    pub now: String,
    /// `gateway.time_zone`: the zone in which people read the times (IANA name).
    pub time_zone: String,
    /// Whether the gateway does its job, with every reason when it does not.
    pub readiness: Readiness,
    /// The sender's part, when it runs.
    pub sender: Option<SenderOverview>,
    /// The receiver's part, when it runs.
    pub receiver: Option<ReceiverOverview>,
    /// The alert emails of both roles, waiting and given up on.
    pub mail: MailList,
    /// Our own certificates.
    pub certificates: Vec<CertificateDays>,
}
