//! The sender's entries in the journal: each delivery, written again whenever it
//! changes, with its message's exact bytes (body 0) and the answer to each attempt
//! (body `n` for attempt `n`, the first 1 MiB of it). The facts are the API's
//! [`JournalDelivery`], with texts in the gateway's language.

use super::status::{outcome_view, state_view, trigger_view};
use crate::api::{JournalAttempt, JournalDelivery, MessageView, time};
use crate::language::Language;
use crate::store::{
    Delivery, JournalEntry, JournalKind, JournalWrite, NewBody, SenderStore, StoreError,
};

/// The most of an answer the journal keeps.
pub(super) const MAX_ANSWER_KEPT: usize = 1024 * 1024;

/// The journal entry of `delivery` as it stands (its bodies are kept apart).
pub(super) fn entry(delivery: &Delivery, language: Language) -> JournalEntry {
    let details = JournalDelivery {
        delivery: delivery.id,
        trigger: trigger_view(delivery.trigger),
        night: delivery.night.map(|n| n.to_string()),
        state: state_view(delivery.state),
        start: time(delivery.start),
        message: delivery.message.as_ref().map(|m| MessageView {
            id: m.id.to_string(),
            created: m.created.as_str().to_owned(),
            sha256: crate::strings::hex(&m.sha256),
            bytes: m.size,
            lots: m.lots,
        }),
        attempts: delivery
            .attempts
            .iter()
            .enumerate()
            .map(|(i, a)| JournalAttempt {
                number: i as u32 + 1,
                at: time(a.at),
                duration_ms: a.duration_ms,
                http_status: a.http_status,
                outcome: outcome_view(a.outcome, false),
                detail: a.detail.get(language).to_owned(),
                answer_lost: a.answer_lost,
            })
            .collect(),
        finished_at: delivery.finished_at.map(time),
        escalated_at: delivery.escalated_at.map(time),
    };
    let last_at = [
        Some(delivery.start),
        delivery.attempts.last().map(|a| a.at),
        delivery.finished_at,
        delivery.escalated_at,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(delivery.start);
    JournalEntry {
        id: delivery.journal.unwrap_or_default(),
        kind: JournalKind::Delivery,
        at: delivery.start,
        last_at,
        destination: Some(delivery.destination.clone()),
        outcome: delivery.state.as_str().to_owned(),
        message_id: delivery.message.as_ref().map(|m| m.id.to_string()),
        // The API's types are strings and numbers: always JSON.
        details: serde_json::to_value(&details).unwrap_or_default(),
        bodies: Vec::new(),
    }
}

/// Writes the journal entry of `delivery` with its new `bodies` (the message, an
/// answer); flushed. A delivery from before the journal has no entry and is passed
/// over. Blocking: compresses the bodies.
pub(super) fn write(
    store: &SenderStore,
    delivery: &Delivery,
    bodies: Vec<NewBody>,
    language: Language,
) -> Result<(), StoreError> {
    if delivery.journal.is_none() {
        return Ok(());
    }
    let write = JournalWrite::new(entry(delivery, language), bodies);
    store.journal().write(&write, true).map(drop)
}
