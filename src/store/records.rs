//! The stored form of every value: serde records separate from the domain types and
//! converted by hand, so that the domain types can change without changing the layout.
//! Values are JSON, except the set's lots (compact JSON chunks of a few KiB, see the
//! module docs of `store`) and the outbox entries (length-prefixed fields around an
//! opaque payload).

use super::chunks::SetHeadRec;
use super::history::{ImportReport, LotChanges, Outcome, ReportIssue};
use super::receiver::MessageRecord;
use super::watchdog::WatchdogState;
use crate::ids::MessageId;
use crate::lot::LotNumber;
use crate::message::AckType;
pub(super) use crate::strings::hex;
use crate::vaccine::VaccineCode;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::BTreeMap;

/// Why a stored value cannot be read back.
pub(super) type Invalid = String;

pub(super) fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // These records hold only strings, numbers and string-keyed maps: always serializable.
    serde_json::to_vec(value).expect("store records serialize to JSON")
}

pub(super) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Invalid> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

#[derive(Serialize, Deserialize, Clone)]
pub(super) struct IdRec {
    root: String,
    ext: String,
}

impl IdRec {
    pub(super) fn new(id: &MessageId) -> Self {
        Self {
            root: id.root().as_str().to_owned(),
            ext: id.extension().to_owned(),
        }
    }

    pub(super) fn id(&self) -> Result<MessageId, Invalid> {
        MessageId::parse(&self.root, &self.ext).map_err(|e| e.to_string())
    }
}

pub(super) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(super) fn parse_time(s: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("time {s:?}: {e}"))
}

pub(super) fn unhex(s: &str) -> Result<[u8; 32], Invalid> {
    let bad = || format!("{s:?} is not a SHA-256 in hex");
    if s.len() != 64 || !s.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

#[derive(Serialize, Deserialize, Clone)]
pub(super) struct MessageRec {
    id: IdRec,
    sha256: String,
    received_at: String,
    ack: String,
    response: String,
}

impl MessageRec {
    pub(super) fn new(r: &MessageRecord) -> Self {
        Self {
            id: IdRec::new(&r.id),
            sha256: hex(&r.sha256),
            received_at: time(&r.received_at),
            ack: r.ack_type.as_str().to_owned(),
            response: r.response.clone(),
        }
    }

    pub(super) fn record(&self) -> Result<MessageRecord, Invalid> {
        Ok(MessageRecord {
            id: self.id.id()?,
            sha256: unhex(&self.sha256)?,
            received_at: parse_time(&self.received_at)?,
            ack_type: AckType::parse(&self.ack).ok_or_else(|| format!("ack {:?}", self.ack))?,
            response: self.response.clone(),
        })
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
        Ok(report.with_sequence(sequence))
    }

    pub(super) fn set_outcome(&mut self, outcome: Outcome) {
        self.outcome = OutcomeRec::new(outcome);
    }
}

/// A quarantine entry's part 0; the candidate's chunks are the following parts.
#[derive(Serialize, Deserialize)]
pub(super) struct QuarantineRec {
    pub(super) record: MessageRec,
    pub(super) report: ReportRec,
    pub(super) reason: String,
    pub(super) head: SetHeadRec,
}

#[derive(Serialize, Deserialize)]
struct WatchdogRec {
    last_alert_date: Option<String>,
    alert_open: bool,
}

pub(super) fn encode_watchdog(state: &WatchdogState) -> Vec<u8> {
    to_json(&WatchdogRec {
        last_alert_date: state.last_alert_date.map(|d| d.to_string()),
        alert_open: state.alert_open,
    })
}

pub(super) fn decode_watchdog(bytes: &[u8]) -> Result<WatchdogState, Invalid> {
    let rec: WatchdogRec = from_json(bytes)?;
    let last_alert_date = match rec.last_alert_date {
        Some(d) => Some(
            d.parse::<NaiveDate>()
                .map_err(|e| format!("date {d:?}: {e}"))?,
        ),
        None => None,
    };
    Ok(WatchdogState {
        last_alert_date,
        alert_open: rec.alert_open,
    })
}

/// Fields with a 4-byte big-endian length before each.
pub(super) fn frame(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
    for field in fields {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// The fields of a [`frame`]d value; `None` unless exactly `n` fields fill it.
pub(super) fn unframe(mut bytes: &[u8], n: usize) -> Option<Vec<&[u8]>> {
    let mut fields = Vec::with_capacity(n);
    while !bytes.is_empty() {
        let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        fields.push(bytes.get(4..4 + len)?);
        bytes = &bytes[4 + len..];
    }
    (fields.len() == n).then_some(fields)
}
