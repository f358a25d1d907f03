//! One delivery's message and one attempt: building the message for a destination
//! ([`build`]), posting its exact bytes ([`post`]) and reading what came back
//! ([`classify`], pure).

use super::net::{http_reason, read_limited, status_line};
use crate::config::{Destination, SenderConfig};
use crate::diagnostics::Report;
use crate::ids::MessageId;
use crate::language::{Language, Text};
use crate::lot::LotSet;
use crate::message::{AckType, LotMessage, Period};
use crate::store::{AttemptOutcome, BuiltMessage};
use crate::timestamp::Timestamp;
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
    /// What happened, for the status and the emails, in both languages.
    pub detail: Text,
    /// The connection broke after the message was sent: the answer was lost, and the
    /// receiver may have applied the message (the next attempt tells: a receiver that
    /// did answers it with the acknowledgement it stored).
    pub answer_lost: bool,
}

impl Classified {
    fn transient(detail: Text) -> Self {
        Self {
            outcome: AttemptOutcome::Transient,
            detail,
            answer_lost: false,
        }
    }

    fn answer_lost(detail: Text) -> Self {
        Self {
            answer_lost: true,
            ..Self::transient(detail)
        }
    }
}

/// What came back from one attempt: its classification, and, when an answer came, its
/// HTTP status and the first `keep` bytes of it with its whole size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// Delivered, rejected or transient, with the detail.
    pub classified: Classified,
    /// The HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// The answer's first bytes and its whole size, when one was read.
    pub answer: Option<(Vec<u8>, usize)>,
}

/// [`post`], keeping the status and the first `keep` bytes of the answer.
pub async fn post_keeping(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    message: &MessageId,
    timeout: Duration,
    keep: usize,
) -> Posted {
    let mut answer = None;
    let classified = post_inner(client, url, body, message, timeout, &mut answer).await;
    let http_status = answer.as_ref().map(|(status, _)| *status);
    Posted {
        classified,
        http_status,
        answer: answer.map(|(_, bytes): (u16, Vec<u8>)| {
            let size = bytes.len();
            let mut bytes = bytes;
            bytes.truncate(keep);
            (bytes, size)
        }),
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
    post_inner(client, url, body, message, timeout, &mut None).await
}

async fn post_inner(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    message: &MessageId,
    timeout: Duration,
    answer: &mut Option<(u16, Vec<u8>)>,
) -> Classified {
    let size = body.len();
    let attempt = async {
        let mut response = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", wire::SOAP_ACTION)
            .body(body)
            .send()
            .await
            .map_err(|e| send_failed(&e, timeout))?;
        let status = response.status().as_u16();
        match read_limited(&mut response, MAX_ANSWER, timeout).await {
            Ok(bytes) => Ok((status, bytes)),
            Err(None) => {
                let line = status_line(status);
                let mib = MAX_ANSWER / (1024 * 1024);
                Err(Classified::transient(Text::new(
                    format!("{line} met een antwoord groter dan {mib} MiB"),
                    format!("{line} with an answer larger than {mib} MiB"),
                )))
            }
            Err(Some(reason)) => {
                let line = status_line(status);
                Err(Classified::answer_lost(reason.map(|language, reason| {
                    language.pick(
                        format!(
                            "{line}, antwoord afgebroken: {reason}; {}",
                            MAYBE_APPLIED_NL
                        ),
                        format!("{line}, answer cut off: {reason}; {}", MAYBE_APPLIED_EN),
                    )
                })))
            }
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok((status, bytes))) => {
            let classified = classify(status, &bytes, message, size);
            *answer = Some((status, bytes.to_vec()));
            classified
        }
        Ok(Err(classified)) => classified,
        Err(_) => Classified::transient(super::net::timed_out(timeout)),
    }
}

/// What may have happened when an answer was lost, in each language.
const MAYBE_APPLIED_NL: &str = "de ontvanger kan het bericht hebben verwerkt; de volgende \
     poging wijst het uit (een ontvanger die het verwerkte, antwoordt met zijn opgeslagen \
     bevestiging)";
const MAYBE_APPLIED_EN: &str = "the receiver may have applied the message; the next \
     attempt will tell (a receiver that applied it answers with the acknowledgement it \
     stored)";

/// A request that failed without an answer. When the connection was made, the message
/// may have reached the receiver: the answer was lost.
fn send_failed(e: &reqwest::Error, timeout: Duration) -> Classified {
    if e.is_connect() || e.is_timeout() || e.is_builder() {
        return Classified::transient(http_reason(e, timeout));
    }
    let cause = super::net::innermost_cause(e);
    Classified::answer_lost(Text::new(
        format!(
            "de verbinding is verbroken nadat het bericht was verstuurd ({cause}): het \
             antwoord is verloren gegaan; {MAYBE_APPLIED_NL}"
        ),
        format!(
            "the connection broke after the message was sent ({cause}): the answer was \
             lost; {MAYBE_APPLIED_EN}"
        ),
    ))
}

/// Reads a receiver's answer (HTTP status and body) to the message `ours` of `size`
/// bytes (`docs/sender.md`, "Outcomes of an attempt"): a `CA` acknowledgement of our message is
/// delivered; `CE`, `CR`, a `soap:Client` fault or HTTP 413 (the message is too large
/// for the receiver: the same bytes will not fit later either) is rejected; anything
/// else is transient. Pure.
pub fn classify(status: u16, body: &[u8], ours: &MessageId, size: usize) -> Classified {
    let line = status_line(status);
    if status == 413 {
        return Classified {
            outcome: AttemptOutcome::Rejected,
            detail: Text::new(
                format!(
                    "{line}: de ontvanger neemt een bericht van deze grootte niet aan (ons \
                     bericht is {size} bytes){}",
                    quote(body)
                ),
                format!(
                    "{line}: the receiver does not take a message of this size (ours is \
                     {size} bytes){}",
                    quote(body)
                ),
            ),
            answer_lost: false,
        };
    }
    // The status and the start of the answer first, then what is wrong with it.
    let unexpected = |what: Text| {
        Classified::transient(what.map(|_, what| format!("{line}{} ({what})", quote(body))))
    };
    let doc = match Document::parse(body, &Limits::default()) {
        Ok(doc) => doc,
        Err(_) if body.is_empty() => {
            return Classified::transient(Text::new(
                format!("{line} zonder antwoord"),
                format!("{line} without an answer"),
            ));
        }
        Err(e) => {
            return unexpected(Text::from_fn(|language| {
                let xml = clip(&e.text(language));
                language.pick(format!("geen XML: {xml}"), format!("not XML: {xml}"))
            }));
        }
    };
    let mut report = Report::new();
    let element = match soap::open(&doc, false, &mut report) {
        Some(soap::Body::Fault(fault)) => {
            let detail = format!("{line}: {}: {}", clip(&fault.raw_code), clip(&fault.reason));
            return Classified {
                outcome: if fault.code == Some(soap::FaultCode::Client) {
                    AttemptOutcome::Rejected
                } else {
                    AttemptOutcome::Transient
                },
                detail: Text::verbatim(detail),
                answer_lost: false,
            };
        }
        Some(soap::Body::Interaction(element)) => element,
        None => return unexpected(Text::new("geen SOAP-envelop", "not a SOAP envelope")),
    };
    if !element.is(wire::HL7_NS, wire::ACK_INTERACTION) {
        let name = clip(element.name());
        return unexpected(Text::new(
            format!("een {name}, geen ontvangstbevestiging"),
            format!("a {name}, not an acknowledgement"),
        ));
    }
    let Some(ack) = wire::decode_acknowledgement(element, &mut report) else {
        let first = |language| {
            report
                .issues()
                .first()
                .map(|i| clip(&format!("{}: {}", i.location, i.text(language))))
                .unwrap_or_default()
        };
        return Classified::transient(Text::new(
            format!(
                "{line}: de ontvangstbevestiging is onvolledig ({})",
                first(Language::Nl)
            ),
            format!(
                "{line}: the acknowledgement is incomplete ({})",
                first(Language::En)
            ),
        ));
    };
    if &ack.target != ours {
        let target = clip(&ack.target.to_string());
        return Classified::transient(Text::new(
            format!("{line}: de ontvangstbevestiging is van bericht {target}, niet van {ours}"),
            format!("{line}: the acknowledgement is for message {target}, not for {ours}"),
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
    let mut detail = format!("{line}: {} {}", ack.type_code.as_str(), ack.id);
    for line in &details {
        detail.push_str("\n  ");
        detail.push_str(line);
    }
    let more = ack.details.len().saturating_sub(MAX_DETAILS);
    let outcome = match ack.type_code {
        AckType::CA => AttemptOutcome::Delivered,
        AckType::CE | AckType::CR => AttemptOutcome::Rejected,
    };
    Classified {
        outcome,
        detail: Text::from_fn(|language| {
            if more == 0 {
                detail.clone()
            } else {
                let and = language.pick(format!("… en nog {more}"), format!("… and {more} more"));
                format!("{detail}\n  {and}")
            }
        }),
        answer_lost: false,
    }
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
