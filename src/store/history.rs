//! Import reports: what happened to each delivery the receiver answered, kept as a
//! bounded history (the newest `history_limit` reports) in the `history` tree, which only
//! this module reads and writes: [`ImportReport`] and its parts, their stored form, and
//! appending, reading and trimming the history.

use super::codec::{IdRec, Invalid, from_json, parse_time, time};
use super::{Abort, Database, META_HISTORY_NEXT, StoreError, next_counter, read_u64, u64_key};
use crate::ids::MessageId;
use crate::lot::LotNumber;
use crate::message::AckType;
use crate::vaccine::VaccineCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{ConflictableTransactionResult, TransactionalTree};
use std::collections::BTreeMap;

/// The report of one delivery (or of an administrator's decision on a quarantined one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    sequence: u64,
    /// The message the report is about.
    pub message_id: MessageId,
    /// When the message was received.
    pub received_at: DateTime<Utc>,
    /// What became of it. The store sets it where the operation decides it
    /// (`apply`: applied, `quarantine`: quarantined, and the quarantine decisions).
    pub outcome: Outcome,
    /// How many lots the message carried.
    pub lots: usize,
    /// Lots per vaccine type.
    pub per_vaccine: BTreeMap<VaccineCode, usize>,
    /// Lots in this set that were not in the set in place.
    pub added: LotChanges,
    /// Lots in the set in place that this set no longer has.
    pub removed: LotChanges,
    /// Problems that did not block the message.
    pub warnings: Vec<ReportIssue>,
    /// Problems that did.
    pub errors: Vec<ReportIssue>,
    /// The version the set got when it was put in place (applied, or accepted from
    /// quarantine); `None` for a delivery whose set was not put in place. The store sets it.
    pub set_version: Option<u64>,
    /// The sender's application id, when the message's could be read (`None` in reports
    /// written before senders were kept).
    pub sender: Option<String>,
}

impl ImportReport {
    /// A report without counts, changes or issues; fill in the public fields.
    pub fn new(message_id: MessageId, received_at: DateTime<Utc>, outcome: Outcome) -> Self {
        Self {
            sequence: 0,
            message_id,
            received_at,
            outcome,
            lots: 0,
            per_vaccine: BTreeMap::new(),
            added: LotChanges::default(),
            removed: LotChanges::default(),
            warnings: Vec::new(),
            errors: Vec::new(),
            set_version: None,
            sender: None,
        }
    }

    /// The report's place in the history, assigned by the store when it is written
    /// (increasing; 0 for a report not stored yet).
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    pub(super) fn with_sequence(mut self, sequence: u64) -> Self {
        self.sequence = sequence;
        self
    }
}

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The set was applied (answered `CA`).
    Applied,
    /// The message was refused with this acknowledgement (`CE` or `CR`).
    Rejected(AckType),
    /// The set was older than the set in place (answered `CE`).
    Stale,
    /// The shrink guard held the set back (answered `CE`); this is its quarantine id.
    Quarantined(u64),
    /// An administrator applied the quarantined set with this id.
    QuarantineAccepted(u64),
    /// An administrator discarded the quarantined set with this id.
    QuarantineDiscarded(u64),
}

/// One problem in a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportIssue {
    /// The rule code, e.g. `lot.expired`.
    pub code: String,
    /// The text for people.
    pub text: String,
    /// Where in the message (an XPath).
    pub location: String,
}

/// Lot numbers added or removed by a delivery: the first [`LotChanges::MAX_LISTED`] by
/// number and how many there were in all, so that a report stays small whatever the set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LotChanges {
    numbers: Vec<LotNumber>,
    total: usize,
}

impl LotChanges {
    /// The most lot numbers a report lists.
    pub const MAX_LISTED: usize = 1000;

    /// Keeps the first [`Self::MAX_LISTED`] numbers and counts them all.
    pub fn new(numbers: impl IntoIterator<Item = LotNumber>) -> Self {
        let mut listed = Vec::new();
        let mut total = 0;
        for number in numbers {
            if listed.len() < Self::MAX_LISTED {
                listed.push(number);
            }
            total += 1;
        }
        Self {
            numbers: listed,
            total,
        }
    }

    /// Rebuilds a stored value; `None` when it breaks the bounds.
    pub(super) fn from_parts(numbers: Vec<LotNumber>, total: usize) -> Option<Self> {
        (numbers.len() <= Self::MAX_LISTED && numbers.len() <= total)
            .then_some(Self { numbers, total })
    }

    /// The lot numbers listed.
    pub fn numbers(&self) -> &[LotNumber] {
        &self.numbers
    }

    /// How many lots changed in all.
    pub fn total(&self) -> usize {
        self.total
    }
}

#[derive(Serialize, Deserialize, Clone)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum OutcomeRec {
    Applied,
    Rejected { ack: String },
    Stale,
    Quarantined { id: u64 },
    QuarantineAccepted { id: u64 },
    QuarantineDiscarded { id: u64 },
}

impl OutcomeRec {
    fn new(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Applied => Self::Applied,
            Outcome::Rejected(ack) => Self::Rejected {
                ack: ack.as_str().to_owned(),
            },
            Outcome::Stale => Self::Stale,
            Outcome::Quarantined(id) => Self::Quarantined { id },
            Outcome::QuarantineAccepted(id) => Self::QuarantineAccepted { id },
            Outcome::QuarantineDiscarded(id) => Self::QuarantineDiscarded { id },
        }
    }
}

#[derive(Serialize, Deserialize, Clone)]
struct ChangesRec {
    listed: Vec<String>,
    total: usize,
}

#[derive(Serialize, Deserialize, Clone)]
struct IssueRec {
    code: String,
    text: String,
    location: String,
}

/// An import report; its sequence number is the key, not part of the value.
#[derive(Serialize, Deserialize, Clone)]
pub(super) struct ReportRec {
    message_id: IdRec,
    received_at: String,
    outcome: OutcomeRec,
    lots: usize,
    per_vaccine: BTreeMap<String, usize>,
    added: ChangesRec,
    removed: ChangesRec,
    warnings: Vec<IssueRec>,
    errors: Vec<IssueRec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    set_version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sender: Option<String>,
}

impl ReportRec {
    pub(super) fn new(r: &ImportReport) -> Self {
        let changes = |c: &LotChanges| ChangesRec {
            listed: c.numbers().iter().map(|n| n.as_str().to_owned()).collect(),
            total: c.total(),
        };
        let issues = |list: &[ReportIssue]| {
            list.iter()
                .map(|i| IssueRec {
                    code: i.code.clone(),
                    text: i.text.clone(),
                    location: i.location.clone(),
                })
                .collect()
        };
        Self {
            message_id: IdRec::new(&r.message_id),
            received_at: time(&r.received_at),
            outcome: OutcomeRec::new(r.outcome),
            lots: r.lots,
            per_vaccine: r
                .per_vaccine
                .iter()
                .map(|(code, n)| (code.as_str().to_owned(), *n))
                .collect(),
            added: changes(&r.added),
            removed: changes(&r.removed),
            warnings: issues(&r.warnings),
            errors: issues(&r.errors),
            set_version: r.set_version,
            sender: r.sender.clone(),
        }
    }

    /// The report of a set put in place under `version`.
    pub(super) fn with_set_version(mut self, version: u64) -> Self {
        self.set_version = Some(version);
        self
    }

    pub(super) fn report(&self, sequence: u64) -> Result<ImportReport, Invalid> {
        let changes = |c: &ChangesRec| -> Result<LotChanges, Invalid> {
            let numbers = c
                .listed
                .iter()
                .map(|n| LotNumber::parse(n).map_err(|e| format!("{n:?}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            LotChanges::from_parts(numbers, c.total).ok_or_else(|| "lot changes".to_owned())
        };
        let issues = |list: &[IssueRec]| {
            list.iter()
                .map(|i| ReportIssue {
                    code: i.code.clone(),
                    text: i.text.clone(),
                    location: i.location.clone(),
                })
                .collect()
        };
        let outcome = match &self.outcome {
            OutcomeRec::Applied => Outcome::Applied,
            OutcomeRec::Rejected { ack } => {
                Outcome::Rejected(AckType::parse(ack).ok_or_else(|| format!("ack {ack:?}"))?)
            }
            OutcomeRec::Stale => Outcome::Stale,
            OutcomeRec::Quarantined { id } => Outcome::Quarantined(*id),
            OutcomeRec::QuarantineAccepted { id } => Outcome::QuarantineAccepted(*id),
            OutcomeRec::QuarantineDiscarded { id } => Outcome::QuarantineDiscarded(*id),
        };
        let mut report = ImportReport::new(
            self.message_id.id()?,
            parse_time(&self.received_at)?,
            outcome,
        );
        report.lots = self.lots;
        for (code, n) in &self.per_vaccine {
            let code = VaccineCode::parse(code).map_err(|e| e.to_string())?;
            report.per_vaccine.insert(code, *n);
        }
        report.added = changes(&self.added)?;
        report.removed = changes(&self.removed)?;
        report.warnings = issues(&self.warnings);
        report.errors = issues(&self.errors);
        report.set_version = self.set_version;
        report.sender = self.sender.clone();
        Ok(report.with_sequence(sequence))
    }

    pub(super) fn set_outcome(&mut self, outcome: Outcome) {
        self.outcome = OutcomeRec::new(outcome);
    }
}

/// The newest `limit` import reports, newest first.
pub(super) fn read_history(
    database: &Database,
    history: &Tree,
    limit: usize,
) -> Result<Vec<ImportReport>, StoreError> {
    let mut out = Vec::new();
    for entry in history.iter().rev().take(limit) {
        let (key, value) = entry.map_err(|e| database.storage(e))?;
        let sequence = read_u64(&key).unwrap_or(0);
        let report = from_json::<ReportRec>(&value)
            .and_then(|rec| rec.report(sequence))
            .map_err(|detail| database.corrupt(format!("report {sequence}"), detail))?;
        out.push(report);
    }
    Ok(out)
}

/// Removes reports beyond the limit: those before `history.next - limit`.
pub(super) fn trim_history(
    database: &Database,
    history: &Tree,
    meta: &Tree,
    limit: u64,
) -> Result<(), StoreError> {
    let storage = |e| database.storage(e);
    let next = meta.get(META_HISTORY_NEXT).map_err(storage)?;
    let next = next.as_deref().and_then(read_u64).unwrap_or(1);
    let first_kept = next.saturating_sub(limit);
    let mut batch = sled::Batch::default();
    for key in history.range(..u64_key(first_kept)).keys() {
        batch.remove(key.map_err(storage)?);
    }
    history.apply_batch(batch).map_err(storage)
}

/// Appends a report under the next sequence number and drops the one that falls out of
/// the limit, so the history never holds more than `limit` reports.
pub(super) fn append_history_in(
    history: &TransactionalTree,
    meta: &TransactionalTree,
    report: &[u8],
    limit: u64,
) -> ConflictableTransactionResult<u64, Abort> {
    let sequence = next_counter(meta, META_HISTORY_NEXT)?;
    history.insert(&u64_key(sequence), report)?;
    if sequence > limit {
        history.remove(&u64_key(sequence - limit))?;
    }
    Ok(sequence)
}
