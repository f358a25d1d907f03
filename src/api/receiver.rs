//! The receiver's answers: lookups for the record system, the set in place, the history
//! of import reports, and the quarantine.

use crate::language::Language;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a known lot number is, for the question asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotStatus {
    /// Known, of the vaccine type asked (or none asked), not expired.
    Valid,
    /// Known and of the type asked (or none asked), but past its expiry date.
    Expired,
    /// Known, but for another vaccine type than the one asked.
    OtherVaccine,
}

/// One lot as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotView {
    /// The lot number.
    pub lot: String,
    /// The vaccine type's code (W0422), e.g. `08`.
    pub vaccine: String,
    /// The vaccine type's name.
    pub vaccine_name: String,
    /// The expiry date (`YYYY-MM-DD`), if known.
    pub expires: Option<NaiveDate>,
    /// The status for the question asked.
    pub status: LotStatus,
}

/// How the lot number asked for matched the one in the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// Byte for byte.
    Exact,
    /// After whitespace around it was left out and letter case ignored: `lot.lot` is the
    /// number as the set has it, the one to store.
    Normalized,
}

/// `GET /api/v1/lots/{lot}`: the lot, when the set in place has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotAnswer {
    /// The version of the set the answer comes from (see `SetAnswer::set_version`).
    pub set_version: u64,
    /// The lot, with its lot number as the set has it.
    pub lot: LotView,
    /// `exact` or `normalized`.
    #[serde(rename = "match")]
    pub matched: Match,
}

/// The one status of a lot number the set does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unknown {
    /// Not in the set in place.
    Unknown,
}

/// `GET /api/v1/lots/{lot}` (HTTP 404): the set in place does not have the lot number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownLot {
    /// The version of the set the answer comes from.
    pub set_version: u64,
    /// The lot number asked for.
    pub lot: String,
    /// `unknown`.
    pub status: Unknown,
    /// Up to 3 lot numbers of the set close to the one asked for (a few typing slips, or
    /// characters easily misread on a vial such as `O`/`0`), those of the vaccine type
    /// asked for first; others have the status `other_vaccine`. When the set holds lot
    /// numbers that differ only in letter case from the one asked, they are here instead
    /// of a match. Never an answer: a person must choose.
    pub suggestions: Vec<LotView>,
}

/// `GET /api/v1/lots?vaccine=&prefix=&limit=`: lots for pick lists; the prefix matches
/// ignoring letter case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotsAnswer {
    /// The version of the set the answer comes from.
    pub set_version: u64,
    /// The matching lots in lot-number order ignoring case, at most `limit` (at most
    /// 1,000).
    pub lots: Vec<LotView>,
}

/// A message id as root (an OID) and extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageIdView {
    /// The OID.
    pub root: String,
    /// The extension.
    pub extension: String,
}

/// The set in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetView {
    /// The message that delivered it.
    pub message_id: MessageIdView,
    /// The message's `creationTime`, as written (local time).
    pub created: String,
    /// When it was put in place.
    pub applied_at: String,
    /// How many lots.
    pub lots: usize,
    /// Lots per vaccine code.
    pub per_vaccine: BTreeMap<String, usize>,
    /// SHA-256 over the set's canonical form, in hex: equal sets, equal digests.
    pub digest: String,
}

/// `GET /api/v1/set` (and the answer to accepting a quarantined set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAnswer {
    /// The set's version: 1 for the first set the store ever applied, one more for each
    /// set put in place after it (deliveries and quarantine accepts), across restarts; 0
    /// before any. One number names one set, so a record system may cache under it.
    pub set_version: u64,
    /// The set in place; `null` before the first.
    pub set: Option<SetView>,
    /// Whether the watchdog finds the set overdue (or its alert is still open).
    pub stale: bool,
    /// Why, when stale.
    pub stale_reason: Option<String>,
}

/// Lot numbers added or removed by a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesView {
    /// How many in all.
    pub total: usize,
    /// The first 1,000 of them, in order.
    pub lots: Vec<String>,
}

/// A problem in an import report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueView {
    /// The rule's code, e.g. `lot.expired`.
    pub code: String,
    /// The text, in the gateway's language.
    pub text: String,
    /// Where in the message (an XPath).
    pub location: String,
}

/// One import report: what became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    /// Its place in the history (increasing).
    pub sequence: u64,
    /// The message.
    pub message_id: MessageIdView,
    /// When it was received.
    pub received_at: String,
    /// `applied`, `rejected CE`, `rejected CR`, `stale`, `quarantined {id}`,
    /// `quarantine {id} accepted` or `quarantine {id} discarded`.
    pub outcome: String,
    /// The version the set got when it was put in place; `null` when it was not.
    pub set_version: Option<u64>,
    /// How many lots the message carried.
    pub lots: usize,
    /// Lots per vaccine code.
    pub per_vaccine: BTreeMap<String, usize>,
    /// Lots not in the set in place before.
    pub added: ChangesView,
    /// Lots of the set in place before that this one no longer has.
    pub removed: ChangesView,
    /// Problems that did not block the message.
    pub warnings: Vec<IssueView>,
    /// Problems that did.
    pub errors: Vec<IssueView>,
}

impl ReportView {
    /// The outcome in words, in `language` (`applied`: "toegepast"); an outcome of
    /// another form as it is.
    pub fn outcome_words(&self, language: Language) -> String {
        let l = |nl, en| language.pick(nl, en);
        match self
            .outcome
            .split_whitespace()
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["applied"] => l("toegepast", "applied").to_owned(),
            ["rejected", code] => format!("{} ({code})", l("geweigerd", "rejected")),
            ["stale"] => l(
                "verouderd (ouder dan de set in gebruik)",
                "stale (older than the set in place)",
            )
            .to_owned(),
            ["quarantined", id] => format!("{} {id}", l("in quarantaine", "quarantined")),
            ["quarantine", id, "accepted"] => format!(
                "{} {id} {}",
                l("quarantaine", "quarantine"),
                l("in gebruik genomen", "put in place")
            ),
            ["quarantine", id, "discarded"] => format!(
                "{} {id} {}",
                l("quarantaine", "quarantine"),
                l("weggegooid", "discarded")
            ),
            _ => self.outcome.clone(),
        }
    }
}

/// `GET /api/v1/history?limit=`: the newest import reports first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryAnswer {
    /// The reports.
    pub history: Vec<ReportView>,
}

/// A set held back by the shrink guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineView {
    /// The quarantine id: what `accept` and `discard` take.
    pub id: u64,
    /// The message that delivered it.
    pub message_id: MessageIdView,
    /// The message's `creationTime`.
    pub created: String,
    /// When it was received.
    pub received_at: String,
    /// How many lots.
    pub lots: usize,
    /// Why it was held back.
    pub reason: String,
}

/// `GET /api/v1/quarantine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineList {
    /// The quarantined sets, oldest first.
    pub quarantine: Vec<QuarantineView>,
}

/// `POST /api/v1/quarantine/{id}/discard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineDiscarded {
    /// The id of the set dropped.
    pub discarded: u64,
}

/// How a connecting partner's last delivery was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// It would be accepted in production (`CA`).
    Positive,
    /// It would be refused: see the report's errors.
    Negative,
}

/// `GET /api/v1/trial/{application_id}`: a partner in its connect phase, its last
/// delivery and its trial set (kept apart, never used for lookups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialAnswer {
    /// The partner's application id.
    pub sender: String,
    /// Its name in the configuration.
    pub name: String,
    /// `connect` or `production` (a trial stays readable after the switch).
    pub phase: String,
    /// How its last delivery was judged; `null` before its first.
    pub assessment: Option<Assessment>,
    /// The report on its last delivery, compared with the set in place (lots added and
    /// removed); `null` before its first.
    pub last: Option<ReportView>,
    /// Its trial set: the last delivery that was accepted; `null` before one was.
    pub set: Option<SetView>,
}

/// The report file attached to a validation report email (`report.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationReport {
    /// The sender's application id.
    pub sender: String,
    /// Its name in `[[receiver.sender]]`.
    pub name: String,
    /// `connect` or `production`.
    pub phase: String,
    /// Positive: the delivery would be accepted in production.
    pub assessment: Assessment,
    /// The acknowledgement's type: `CA`, `CE` or `CR`.
    pub acknowledgement: String,
    /// The report, in the sender's language, compared with the production set in place.
    pub report: ReportView,
}
