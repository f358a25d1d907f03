//! One delivery's message and one attempt: building the message for a destination
//! ([`build`]), posting its exact bytes ([`post`]) and reading what came back
//! ([`classify`], pure).

use super::net::{http_reason, read_limited};
use crate::config::{Destination, SenderConfig};
use crate::ids::MessageId;
use crate::lot::LotSet;
use crate::message::{AckType, LotMessage, Period};
use crate::store::{AttemptOutcome, BuiltMessage};
use crate::timestamp::Timestamp;
use crate::validate::Report;
use crate::wire::{self, soap};
use crate::xml::{Document, Limits};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use std::time::Duration;

/// The largest answer read from a receiver; an acknowledgement with every detail fits
/// easily.
const MAX_ANSWER: u64 = 8 * 1024 * 1024;

/// How much of an unexpected answer is quoted in an attempt's detail, and the most
/// characters of any one value taken from an answer.
const QUOTE: usize = 150;

/// The most acknowledgement details recorded for an attempt.
const MAX_DETAILS: usize = 20;

/// Builds the message of a delivery to `destination`: our ids and author, the
/// destination's application id, the lots, created `now` (local time in `zone`) — or one
/// second after `after`, the creation time of the destination's previous message, when
/// `now` is not later — and valid for the local date of its creation. The extension of
/// the message id is the creation time and the delivery number, unique per message.
/// Returns the message's facts and its exact bytes.
pub fn build(
    config: &SenderConfig,
    destination: &Destination,
    zone: Tz,
    lots: LotSet,
    delivery: u64,
    now: DateTime<Utc>,
    after: Option<&Timestamp>,
) -> (BuiltMessage, Vec<u8>) {
    let local = creation_time(now.with_timezone(&zone).naive_local(), after);
    let created = Timestamp::from_local(local);
    let day = local.date();
    let period = Period {
        low: Timestamp::from_local(day.and_hms_opt(0, 0, 0).unwrap_or(local)),
        high: Timestamp::from_local(day.and_hms_opt(23, 59, 59).unwrap_or(local)),
    };
    // The extension is at most 14 + 1 + 20 printable characters: always valid.
    let id = MessageId::new(
        config.message_id_root.clone(),
        &format!("{}-{delivery}", created.as_str()),
    )
    .expect("a timestamp and a number make a valid extension");
    let lot_count = lots.len();
    let message = LotMessage {
        id: id.clone(),
        created: created.clone(),
        sender: config.application_id.clone(),
        receiver: destination.application_id.clone(),
        author: config.author.clone(),
        period,
        lots,
    };
    let bytes = soap::message_envelope(&message).into_bytes();
    (BuiltMessage::new(id, created, lot_count, &bytes), bytes)
}

/// The creation time of a new message: the local time `now` (to the second), unless
/// that is not later than the previous message's `after` — in the repeated hour of the
/// autumn night local time goes back, and a receiver refuses a message older than its set
/// (`CE`, stale) — then one second after it. Creation times of one destination's
/// messages so strictly increase.
pub fn creation_time(now: NaiveDateTime, after: Option<&Timestamp>) -> NaiveDateTime {
    let now = Timestamp::from_local(now).local();
    match after {
        Some(previous) if now <= previous.local() => {
            previous.local() + chrono::TimeDelta::seconds(1)
        }
        _ => now,
    }
}

/// What one attempt came to, with the detail recorded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// Delivered, rejected or transient.
    pub outcome: AttemptOutcome,
    /// What happened, for the status and the emails.
    pub detail: String,
}

impl Classified {
    fn transient(detail: impl Into<String>) -> Self {
        Self {
            outcome: AttemptOutcome::Transient,
            detail: detail.into(),
        }
    }
}

/// Posts the bytes of a message to the destination within `timeout` and classifies the
/// answer. Never fails: a transport error is a transient outcome with its reason.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    message: &MessageId,
    timeout: Duration,
) -> Classified {
    let attempt = async {
        let mut response = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", wire::SOAP_ACTION)
            .body(body)
            .send()
            .await
            .map_err(|e| http_reason(e, timeout))?;
        let status = response.status().as_u16();
        match read_limited(&mut response, MAX_ANSWER, timeout).await {
            Ok(bytes) => Ok((status, bytes)),
            Err(None) => Err(format!(
                "HTTP {status} with an answer larger than {} MiB",
                MAX_ANSWER / (1024 * 1024)
            )),
            Err(Some(reason)) => Err(format!("HTTP {status}, answer cut off: {reason}")),
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok((status, bytes))) => classify(status, &bytes, message),
        Ok(Err(reason)) => Classified::transient(reason),
        Err(_) => Classified::transient(super::net::timed_out(timeout)),
    }
}

/// Reads a receiver's answer (HTTP status and body) to the message `ours` (DESIGN.md,
/// "Outcomes of an attempt"): a `CA` acknowledgement of our message is delivered; `CE`,
/// `CR` or a `soap:Client` fault is rejected; anything else is transient. Pure.
pub fn classify(status: u16, body: &[u8], ours: &MessageId) -> Classified {
    let unexpected =
        |what: &str| Classified::transient(format!("HTTP {status}: {what}{}", quote(body)));
    let doc = match Document::parse(body, &Limits::default()) {
        Ok(doc) => doc,
        Err(_) if body.is_empty() => {
            return Classified::transient(format!("HTTP {status} without an answer"));
        }
        Err(e) => return unexpected(&format!("the answer is not XML ({})", clip(&e.to_string()))),
    };
    let mut report = Report::new();
    let element = match soap::open(&doc, false, &mut report) {
        Some(soap::Body::Fault(fault)) => {
            let detail = format!(
                "HTTP {status}: {}: {}",
                clip(&fault.raw_code),
                clip(&fault.reason)
            );
            return Classified {
                outcome: if fault.code == Some(soap::FaultCode::Client) {
                    AttemptOutcome::Rejected
                } else {
                    AttemptOutcome::Transient
                },
                detail,
            };
        }
        Some(soap::Body::Interaction(element)) => element,
        None => return unexpected("the answer is not a SOAP envelope"),
    };
    if !element.is(wire::HL7_NS, wire::ACK_INTERACTION) {
        return unexpected(&format!(
            "the answer is a {}, not an acknowledgement",
            clip(element.name())
        ));
    }
    let Some(ack) = wire::decode_acknowledgement(element, &mut report) else {
        let first = report
            .issues()
            .first()
            .map(|i| {
                clip(&format!(
                    "{}: {}",
                    i.location,
                    i.text(crate::validate::Language::En)
                ))
            })
            .unwrap_or_default();
        return unexpected(&format!("the acknowledgement is incomplete ({first})"));
    };
    if &ack.target != ours {
        return Classified::transient(format!(
            "HTTP {status}: the acknowledgement is for message {}, not for {ours}",
            clip(&ack.target.to_string())
        ));
    }
    let details: Vec<String> = ack
        .details
        .iter()
        .take(MAX_DETAILS)
        .map(|d| {
            let mut line = d.code.clone();
            if let Some(text) = &d.text {
                line.push_str(": ");
                line.push_str(text);
            }
            if let Some(location) = &d.location {
                line.push_str(&format!(" ({location})"));
            }
            clip(&line)
        })
        .collect();
    let mut detail = format!("HTTP {status}: {} {}", ack.type_code.as_str(), ack.id);
    for line in &details {
        detail.push_str("\n  ");
        detail.push_str(line);
    }
    if ack.details.len() > MAX_DETAILS {
        detail.push_str(&format!(
            "\n  … and {} more",
            ack.details.len() - MAX_DETAILS
        ));
    }
    let outcome = match ack.type_code {
        AckType::CA => AttemptOutcome::Delivered,
        AckType::CE | AckType::CR => AttemptOutcome::Rejected,
    };
    Classified { outcome, detail }
}

/// A value from an answer, cut to [`QUOTE`] characters: a receiver's answer must not
/// blow up the store, the status or an email.
fn clip(text: &str) -> String {
    match text.char_indices().nth(QUOTE) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// The start of an unexpected answer, for the attempt's detail.
fn quote(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(QUOTE)]);
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let more = if body.len() > QUOTE { "…" } else { "" };
    format!(": \"{}{more}\"", text.trim())
}

#[cfg(test)]
mod tests;
