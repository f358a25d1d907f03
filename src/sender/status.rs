//! What `lotgate status` and `GET /api/v1/sender/status` show: per destination its
//! current delivery, state, attempts with times and outcomes, the next attempt and the
//! escalation. [`report`] builds the answer ([`SenderStatus`]); [`text`] renders it for a
//! terminal.

use super::Sender;
use crate::api::{
    AttemptView, DeliveryView, DestinationStatus, MessageView, NextNight, OutcomeView,
    SenderStatus, StateView, TriggerView,
};
use crate::language::Language;
use crate::schedule::{self, Due, Next};
use crate::store::{AttemptOutcome, Delivery, DeliveryState, Trigger};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// The sender's status.
pub async fn report(sender: &Sender) -> anyhow::Result<SenderStatus> {
    let now = sender.now();
    let store = sender.store().clone();
    let names: Vec<String> = sender
        .config()
        .destinations
        .iter()
        .map(|d| d.name.clone())
        .collect();
    let (deliveries, nights) = tokio::task::spawn_blocking(move || {
        let deliveries = store.deliveries()?;
        let nights = names
            .iter()
            .map(|n| store.last_night(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok::<_, crate::store::StoreError>((deliveries, nights))
    })
    .await??;
    let schedule = &sender.config().schedule;
    let mut destinations = Vec::new();
    for (destination, last_night) in sender.config().destinations.iter().zip(nights) {
        let delivery = deliveries
            .iter()
            .find(|d| d.destination == destination.name);
        let in_flight = sender.is_in_flight(&destination.name);
        // As the plan sees it; while an attempt runs, what follows if it fails.
        let (next_attempt, exhausted) = match delivery {
            Some(d) if d.state == DeliveryState::Pending && in_flight => {
                match schedule::next_attempt(schedule, d.start, d.last_attempt()) {
                    Next::At(at) => (Some(time(&at)), false),
                    Next::Exhausted => (None, true),
                }
            }
            Some(d) if d.state == DeliveryState::Pending => {
                match super::plan::due(schedule, d, now) {
                    Due::Now => (Some(time(&now)), false),
                    Due::At(at) => (Some(time(&at)), false),
                    Due::Exhausted => (None, true),
                }
            }
            _ => (None, false),
        };
        destinations.push(DestinationStatus {
            name: destination.name.clone(),
            url: super::net::redact_url(&destination.url),
            receiver: destination.application_id.as_str().to_owned(),
            last_night: last_night.map(|n| n.to_string()),
            in_flight,
            delivery: delivery.map(|d| delivery_view(d, in_flight, sender.inner.language)),
            next_attempt,
            exhausted,
        });
    }
    let (night, start) = schedule::next_night(schedule, now);
    Ok(SenderStatus {
        now: time(&now),
        next_night: NextNight {
            date: night.to_string(),
            start: time(&start),
        },
        destinations,
    })
}

fn delivery_view(d: &Delivery, in_flight: bool, language: Language) -> DeliveryView {
    let last = d.attempts.len().saturating_sub(1);
    let attempts = d
        .attempts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let outcome = outcome_view(a.outcome, in_flight && i == last);
            AttemptView {
                at: time(&a.at),
                outcome,
                detail: a.detail.get(language).to_owned(),
                answer_lost: a.answer_lost,
            }
        })
        .collect();
    DeliveryView {
        id: d.id,
        trigger: trigger_view(d.trigger),
        night: d.night.map(|n| n.to_string()),
        state: state_view(d.state),
        start: time(&d.start),
        message: d.message.as_ref().map(|m| MessageView {
            id: m.id.to_string(),
            created: m.created.as_str().to_owned(),
            sha256: crate::strings::hex(&m.sha256),
            bytes: m.size,
            lots: m.lots,
        }),
        attempts,
        finished_at: d.finished_at.as_ref().map(time),
        escalate_at: d.escalate_at.as_ref().map(time),
        escalated_at: d.escalated_at.as_ref().map(time),
        escalation_open: d.escalation_open,
    }
}

/// Why a delivery started, as the API and people see it.
pub(super) fn trigger_view(trigger: Trigger) -> TriggerView {
    match trigger {
        Trigger::Nightly => TriggerView::Nightly,
        Trigger::Missed => TriggerView::MissedNight,
        Trigger::StartUp => TriggerView::StartUp,
        Trigger::SendNow => TriggerView::SendNow,
    }
}

/// Where a delivery stands, as the API and people see it.
pub(super) fn state_view(state: DeliveryState) -> StateView {
    match state {
        DeliveryState::Pending => StateView::Pending,
        DeliveryState::Delivered => StateView::Delivered,
        DeliveryState::Rejected => StateView::Rejected,
    }
}

/// How an attempt ended, as the API and people see it; one without an outcome is
/// running when `running`, else it was interrupted.
pub(super) fn outcome_view(outcome: Option<AttemptOutcome>, running: bool) -> OutcomeView {
    match outcome {
        Some(AttemptOutcome::Delivered) => OutcomeView::Delivered,
        Some(AttemptOutcome::Rejected) => OutcomeView::Rejected,
        Some(AttemptOutcome::Transient) => OutcomeView::Failed,
        None if running => OutcomeView::InFlight,
        None => OutcomeView::Interrupted,
    }
}

fn time(t: &DateTime<Utc>) -> String {
    crate::api::time(*t)
}

/// The status as text for a terminal, one block per destination, in `language`. An
/// attempt's detail is shown whole (an acknowledgement's details on lines of their own);
/// it comes in the gateway's language.
pub fn text(status: &SenderStatus, language: Language) -> String {
    let l = |nl, en| language.pick(nl, en);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}; {} {} {} {}",
        l("nu", "now"),
        status.now,
        l("volgende nacht", "next night"),
        status.next_night.date,
        l("begint", "starts"),
        status.next_night.start
    );
    for d in &status.destinations {
        let _ = writeln!(
            out,
            "\n{} ({}, {} {})",
            d.name,
            d.url,
            l("ontvanger", "receiver"),
            d.receiver
        );
        let Some(delivery) = &d.delivery else {
            let _ = writeln!(out, "  {}", l("nog geen levering", "no delivery yet"));
            continue;
        };
        let _ = writeln!(
            out,
            "  {} {} ({}{}): {}{}",
            l("levering", "delivery"),
            delivery.id,
            delivery.trigger.word(language),
            delivery
                .night
                .as_deref()
                .map(|n| format!(" {} {n}", l("van", "of")))
                .unwrap_or_default(),
            delivery.state.word(language),
            delivery
                .finished_at
                .as_deref()
                .map(|t| format!(" {} {t}", l("om", "at")))
                .unwrap_or_default()
        );
        match &delivery.message {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "  {} {} {} {}, {} {}, {} bytes",
                    l("bericht", "message"),
                    m.id,
                    l("aangemaakt", "created"),
                    m.created,
                    m.lots,
                    l("partijnummers", "lot numbers"),
                    m.bytes
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  {}",
                    l(
                        "bericht nog niet opgebouwd (bron niet leesbaar)",
                        "message not built yet (source not readable)"
                    )
                );
            }
        }
        for a in &delivery.attempts {
            let detail = a.detail.trim();
            let mut lines = detail.lines();
            let first = lines.next().unwrap_or("");
            let _ = writeln!(
                out,
                "  {} {} {}{}",
                l("poging", "attempt"),
                a.at,
                a.outcome.word(language),
                if first.is_empty() {
                    String::new()
                } else {
                    format!(": {first}")
                }
            );
            for line in lines {
                let _ = writeln!(out, "    {}", line.trim());
            }
        }
        if let Some(next) = &d.next_attempt {
            let _ = writeln!(out, "  {} {next}", l("volgende poging", "next attempt"));
        } else if d.exhausted {
            let _ = writeln!(
                out,
                "  {}",
                l(
                    "geen pogingen meer tot de volgende nacht (of send-now)",
                    "no attempts left until the next night (or send-now)"
                )
            );
        }
        match &delivery.escalated_at {
            Some(at) => {
                let _ = writeln!(
                    out,
                    "  {} {at}{}",
                    l("geëscaleerd om", "escalated at"),
                    if delivery.escalation_open {
                        l(" (wacht op aflevering)", " (awaiting delivery)")
                    } else {
                        ""
                    }
                );
            }
            None if delivery.state != StateView::Delivered => match &delivery.escalate_at {
                Some(at) => {
                    let _ = writeln!(out, "  {} {at}", l("escalatie om", "escalation at"));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  {}",
                        l(
                            "geen escalatie: de nacht begon vóór deze installatie",
                            "no escalation: the night began before this installation"
                        )
                    );
                }
            },
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> SenderStatus {
        let value = serde_json::json!({
            "now": "2026-06-01T05:00:00Z",
            "next_night": {"date": "2026-06-02", "start": "2026-06-02T00:00:00Z"},
            "destinations": [{
                "name": "ggd-a",
                "url": "https://dd-jgz.example/jgz",
                "receiver": "99999002",
                "last_night": "2026-06-01",
                "in_flight": false,
                "exhausted": false,
                "next_attempt": null,
                "delivery": {
                    "id": 4,
                    "trigger": "nightly",
                    "night": "2026-06-01",
                    "state": "rejected",
                    "start": "2026-06-01T00:00:00Z",
                    "finished_at": "2026-06-01T00:00:01Z",
                    "message": null,
                    "attempts": [{
                        "at": "2026-06-01T00:00:00Z",
                        "outcome": "rejected",
                        "detail": "HTTP 200 OK: CE 1.2/ACK-1\n  SYN104: [lot.blank] leeg (/x)\n  SYN104: [lot.too-long] te lang (/y)",
                        "answer_lost": false,
                    }],
                    "escalate_at": "2026-06-01T05:00:00Z",
                    "escalated_at": null,
                    "escalation_open": false,
                },
            }],
        });
        serde_json::from_value(value).expect("the status as the API writes it")
    }

    #[test]
    fn the_text_shows_every_line_of_a_detail_in_the_chosen_language() {
        let nl = text(&status(), Language::Nl);
        for expected in [
            "nu 2026-06-01T05:00:00Z; volgende nacht 2026-06-02 begint",
            "levering 4 (nacht van 2026-06-01): geweigerd om 2026-06-01T00:00:01Z",
            "bericht nog niet opgebouwd",
            "  poging 2026-06-01T00:00:00Z geweigerd: HTTP 200 OK: CE 1.2/ACK-1\n    SYN104: [lot.blank] leeg (/x)\n    SYN104: [lot.too-long] te lang (/y)\n",
        ] {
            assert!(nl.contains(expected), "{expected:?} not in:\n{nl}");
        }
        let en = text(&status(), Language::En);
        for expected in [
            "now 2026-06-01T05:00:00Z; next night 2026-06-02 starts",
            "delivery 4 (nightly of 2026-06-01): rejected at 2026-06-01T00:00:01Z",
            "  attempt 2026-06-01T00:00:00Z rejected: HTTP 200 OK: CE 1.2/ACK-1\n    SYN104: [lot.blank]",
        ] {
            assert!(en.contains(expected), "{expected:?} not in:\n{en}");
        }
    }
}
