//! The admin API's contract: every answer of the admin listener as a serde type, written
//! by the server (`admin`, `receiver::api`, `sender::api`, `mail::api`) and read back by
//! the command line and the tests. A field's documentation here is its documentation in
//! `docs/admin-api.md`.
//!
//! Times are RFC 3339 strings (UTC), dates `YYYY-MM-DD`; the API's JSON is these types,
//! field for field.

mod backup;
mod health;
mod journal;
mod mail;
mod overview;
mod receiver;
mod reload;
mod sender;

pub use backup::{BackupAbout, BackupStore};
pub use health::{
    CertificateView, MailCounts, Readiness, ReadyStatus, ReceiverReadiness, SenderReadiness,
    Unavailable,
};
pub use journal::{
    EntryKind, JournalAttempt, JournalAudit, JournalBody, JournalDelivery, JournalEntryView,
    JournalPage, JournalReceived,
};
pub use journal::{RECEIVER_ENTRY, SENDER_ENTRY};
pub use mail::{MailDiscarded, MailList, MailRetried, MailView};
pub use overview::{
    CertificateDays, DestinationOverview, LotCount, NightCell, NightResult, Overview, PlannedSlot,
    ReceiverOverview, SenderOverview, WatchdogView,
};
pub use receiver::{
    Assessment, ChangesView, HistoryAnswer, IssueView, LotAnswer, LotStatus, LotView, LotsAnswer,
    Match, MessageIdView, QuarantineDiscarded, QuarantineList, QuarantineView, ReportView,
    SetAnswer, SetView, TrialAnswer, Unknown, UnknownLot, ValidationReport,
};
pub use reload::ReloadAnswer;
pub use sender::{
    AttemptView, DeliveryView, DestinationStatus, MessageView, NextNight, OutcomeView,
    SendNowAnswer, SenderStatus, Started, StateView, TriggerView,
};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// An instant as the API writes it: RFC 3339 in UTC, whole seconds, `Z`
/// (`2026-11-22T01:00:00Z`).
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The answer to a request that failed: what was wrong, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    /// What went wrong, naming the parameter or the thing asked for.
    pub error: String,
}

impl ErrorAnswer {
    /// An error answer with this text.
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
        }
    }
}
