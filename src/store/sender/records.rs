//! The stored form of a delivery: a serde record of strings and numbers (JSON),
//! converted by hand so that the domain types can change without changing the layout.

use super::{Attempt, AttemptOutcome, BuiltMessage, Delivery, DeliveryState, Trigger};
use crate::language::{Language, Text};
use crate::store::codec::{IdRec, hex, parse_time, time, unhex};
use crate::timestamp::Timestamp;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct MessageFactsRec {
    id: IdRec,
    created: String,
    sha256: String,
    size: usize,
    lots: usize,
}

#[derive(Serialize, Deserialize)]
struct AttemptRec {
    at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    /// The detail in English (the only language stored before Dutch was).
    #[serde(default)]
    detail: String,
    /// The detail in Dutch; absent in records from before, which are English only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail_nl: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    answer_lost: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct DeliveryRec {
    id: u64,
    trigger: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    night: Option<String>,
    start: String,
    /// Absent for a delivery that is never escalated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    escalate_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<MessageFactsRec>,
    attempts: Vec<AttemptRec>,
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    escalated_at: Option<String>,
    #[serde(default)]
    escalation_open: bool,
    #[serde(default)]
    source_alerted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    journal: Option<u64>,
}

impl DeliveryRec {
    pub(super) fn new(d: &Delivery) -> Self {
        Self {
            id: d.id,
            trigger: d.trigger.as_str().to_owned(),
            night: d.night.map(|n| n.format("%Y-%m-%d").to_string()),
            start: time(&d.start),
            escalate_at: d.escalate_at.as_ref().map(time),
            message: d.message.as_ref().map(|m| MessageFactsRec {
                id: IdRec::new(&m.id),
                created: m.created.as_str().to_owned(),
                sha256: hex(&m.sha256),
                size: m.size,
                lots: m.lots,
            }),
            attempts: d
                .attempts
                .iter()
                .map(|a| AttemptRec {
                    at: time(&a.at),
                    outcome: a.outcome.map(|o| o.as_str().to_owned()),
                    detail: a.detail.get(Language::En).to_owned(),
                    detail_nl: Some(a.detail.get(Language::Nl).to_owned())
                        .filter(|nl| nl != a.detail.get(Language::En)),
                    answer_lost: a.answer_lost,
                    http_status: a.http_status,
                    duration_ms: a.duration_ms,
                })
                .collect(),
            state: d.state.as_str().to_owned(),
            finished_at: d.finished_at.as_ref().map(time),
            escalated_at: d.escalated_at.as_ref().map(time),
            escalation_open: d.escalation_open,
            source_alerted: d.source_alerted,
            journal: d.journal,
        }
    }

    pub(super) fn delivery(self, destination: &str) -> Result<Delivery, String> {
        let opt_time = |t: Option<String>| t.as_deref().map(parse_time).transpose();
        let message = match self.message {
            None => None,
            Some(m) => Some(BuiltMessage {
                id: m.id.id()?,
                created: Timestamp::parse(&m.created).map_err(|e| e.to_string())?,
                sha256: unhex(&m.sha256)?,
                size: m.size,
                lots: m.lots,
            }),
        };
        let attempts = self
            .attempts
            .into_iter()
            .map(|a| {
                Ok(Attempt {
                    at: parse_time(&a.at)?,
                    outcome: match a.outcome {
                        None => None,
                        Some(o) => Some(
                            AttemptOutcome::parse(&o)
                                .ok_or_else(|| format!("unknown attempt outcome {o:?}"))?,
                        ),
                    },
                    detail: match a.detail_nl {
                        Some(nl) => Text::new(nl, a.detail),
                        None => Text::verbatim(a.detail),
                    },
                    answer_lost: a.answer_lost,
                    http_status: a.http_status,
                    duration_ms: a.duration_ms,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Delivery {
            id: self.id,
            destination: destination.to_owned(),
            trigger: Trigger::parse(&self.trigger)
                .ok_or_else(|| format!("unknown trigger {:?}", self.trigger))?,
            night: self
                .night
                .map(|n| {
                    NaiveDate::parse_from_str(&n, "%Y-%m-%d").map_err(|e| format!("night: {e}"))
                })
                .transpose()?,
            start: parse_time(&self.start)?,
            escalate_at: opt_time(self.escalate_at)?,
            message,
            attempts,
            state: DeliveryState::parse(&self.state)
                .ok_or_else(|| format!("unknown state {:?}", self.state))?,
            finished_at: opt_time(self.finished_at)?,
            escalated_at: opt_time(self.escalated_at)?,
            escalation_open: self.escalation_open,
            source_alerted: self.source_alerted,
            journal: self.journal,
        })
    }
}
