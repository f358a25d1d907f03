//! What `lotgate status` and `GET /api/v1/sender/status` show: per destination its
//! current delivery, state, attempts with times and outcomes, the next attempt and the
//! escalation. [`report`] builds the JSON; [`text`] renders that JSON for a terminal.

use super::Sender;
use crate::language::Language;
use crate::schedule::{self, Next};
use crate::store::{Delivery, DeliveryState};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::fmt::Write;

/// The sender's status as JSON.
pub async fn report(sender: &Sender) -> anyhow::Result<Value> {
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
        let (next_attempt, exhausted) = match delivery {
            Some(d) if d.state == DeliveryState::Pending => {
                match schedule::next_attempt(schedule, d.start, d.last_attempt()) {
                    Next::At(at) => (Some(time(&at)), false),
                    Next::Exhausted => (None, true),
                }
            }
            _ => (None, false),
        };
        destinations.push(json!({
            "name": destination.name,
            "url": super::net::redact_url(&destination.url),
            "receiver": destination.application_id.as_str(),
            "last_night": last_night.map(|n| n.to_string()),
            "in_flight": in_flight,
            "delivery": delivery.map(|d| delivery_json(d, in_flight, sender.inner.language)),
            "next_attempt": next_attempt,
            "exhausted": exhausted,
        }));
    }
    let (night, start) = schedule::next_night(schedule, now);
    Ok(json!({
        "now": time(&now),
        "next_night": {"date": night.to_string(), "start": time(&start)},
        "destinations": destinations,
    }))
}

fn delivery_json(d: &Delivery, in_flight: bool, language: Language) -> Value {
    let last = d.attempts.len().saturating_sub(1);
    let attempts: Vec<Value> = d
        .attempts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let outcome = match a.outcome {
                Some(o) => o.as_str(),
                None if in_flight && i == last => "in flight",
                None => "interrupted",
            };
            json!({
                "at": time(&a.at),
                "outcome": outcome,
                "detail": a.detail.get(language),
                "answer_lost": a.answer_lost,
            })
        })
        .collect();
    json!({
        "id": d.id,
        "trigger": d.trigger.as_str(),
        "night": d.night.map(|n| n.to_string()),
        "state": d.state.as_str(),
        "start": time(&d.start),
        "message": d.message.as_ref().map(|m| json!({
            "id": m.id.to_string(),
            "created": m.created.as_str(),
            "sha256": crate::strings::hex(&m.sha256),
            "bytes": m.size,
            "lots": m.lots,
        })),
        "attempts": attempts,
        "finished_at": d.finished_at.as_ref().map(time),
        "escalate_at": d.escalate_at.as_ref().map(time),
        "escalated_at": d.escalated_at.as_ref().map(time),
        "escalation_open": d.escalation_open,
    })
}

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The status JSON as text for a terminal, one block per destination, in `language`.
/// An attempt's detail is shown whole (an acknowledgement's details on lines of their
/// own); it comes in the gateway's language.
pub fn text(status: &Value, language: Language) -> String {
    let l = |nl, en| language.pick(nl, en);
    let mut out = String::new();
    let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let _ = writeln!(
        out,
        "{} {}; {} {} {} {}",
        l("nu", "now"),
        s(&status["now"]),
        l("volgende nacht", "next night"),
        s(&status["next_night"]["date"]),
        l("begint", "starts"),
        s(&status["next_night"]["start"])
    );
    for d in status["destinations"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "\n{} ({}, {} {})",
            s(&d["name"]),
            s(&d["url"]),
            l("ontvanger", "receiver"),
            s(&d["receiver"])
        );
        let delivery = &d["delivery"];
        if delivery.is_null() {
            let _ = writeln!(out, "  {}", l("nog geen levering", "no delivery yet"));
            continue;
        }
        let _ = writeln!(
            out,
            "  {} {} ({}{}): {}{}",
            l("levering", "delivery"),
            delivery["id"],
            s(&delivery["trigger"]),
            delivery["night"]
                .as_str()
                .map(|n| format!(" {} {n}", l("van", "of")))
                .unwrap_or_default(),
            state_word(delivery["state"].as_str().unwrap_or("-"), language),
            delivery["finished_at"]
                .as_str()
                .map(|t| format!(" {} {t}", l("om", "at")))
                .unwrap_or_default()
        );
        match delivery["message"].as_object() {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "  {} {} {} {}, {} {}, {} bytes",
                    l("bericht", "message"),
                    m.get("id").and_then(Value::as_str).unwrap_or("-"),
                    l("aangemaakt", "created"),
                    m.get("created").and_then(Value::as_str).unwrap_or("-"),
                    m.get("lots").unwrap_or(&Value::Null),
                    l("partijnummers", "lot numbers"),
                    m.get("bytes").unwrap_or(&Value::Null)
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
        for a in delivery["attempts"].as_array().into_iter().flatten() {
            let detail = a["detail"].as_str().unwrap_or("").trim();
            let mut lines = detail.lines();
            let first = lines.next().unwrap_or("");
            let _ = writeln!(
                out,
                "  {} {} {}{}",
                l("poging", "attempt"),
                s(&a["at"]),
                outcome_word(a["outcome"].as_str().unwrap_or("-"), language),
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
        if let Some(next) = d["next_attempt"].as_str() {
            let _ = writeln!(out, "  {} {next}", l("volgende poging", "next attempt"));
        } else if d["exhausted"].as_bool() == Some(true) {
            let _ = writeln!(
                out,
                "  {}",
                l(
                    "geen pogingen meer tot de volgende nacht (of send-now)",
                    "no attempts left until the next night (or send-now)"
                )
            );
        }
        match delivery["escalated_at"].as_str() {
            Some(at) => {
                let _ = writeln!(
                    out,
                    "  {} {at}{}",
                    l("geëscaleerd om", "escalated at"),
                    if delivery["escalation_open"].as_bool() == Some(true) {
                        l(" (wacht op aflevering)", " (awaiting delivery)")
                    } else {
                        ""
                    }
                );
            }
            None if delivery["state"] != "delivered" => match delivery["escalate_at"].as_str() {
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

/// A delivery's state (`pending`, `delivered`, `rejected`) in words.
fn state_word(state: &str, language: Language) -> String {
    match (state, language) {
        ("pending", Language::Nl) => "niet afgeleverd".to_owned(),
        ("delivered", Language::Nl) => "afgeleverd".to_owned(),
        ("rejected", Language::Nl) => "geweigerd".to_owned(),
        (other, _) => other.to_owned(),
    }
}

/// An attempt's outcome (`delivered`, `rejected`, `failed`, `in flight`,
/// `interrupted`) in words.
pub fn outcome_word(outcome: &str, language: Language) -> String {
    match (outcome, language) {
        ("delivered", Language::Nl) => "afgeleverd".to_owned(),
        ("rejected", Language::Nl) => "geweigerd".to_owned(),
        ("failed", Language::Nl) => "mislukt".to_owned(),
        ("in flight", Language::Nl) => "bezig".to_owned(),
        ("interrupted", Language::Nl) => "onderbroken".to_owned(),
        (other, _) => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Value {
        json!({
            "now": "2026-06-01T05:00:00Z",
            "next_night": {"date": "2026-06-02", "start": "2026-06-02T00:00:00Z"},
            "destinations": [{
                "name": "ggd-a",
                "url": "https://dd-jgz.example/jgz",
                "receiver": "99999002",
                "exhausted": false,
                "next_attempt": null,
                "delivery": {
                    "id": 4,
                    "trigger": "nightly",
                    "night": "2026-06-01",
                    "state": "rejected",
                    "finished_at": "2026-06-01T00:00:01Z",
                    "message": null,
                    "attempts": [{
                        "at": "2026-06-01T00:00:00Z",
                        "outcome": "rejected",
                        "detail": "HTTP 200 OK: CE 1.2/ACK-1\n  SYN104: [lot.blank] leeg (/x)\n  SYN104: [lot.too-long] te lang (/y)",
                    }],
                    "escalate_at": "2026-06-01T05:00:00Z",
                    "escalated_at": null,
                    "escalation_open": false,
                },
            }],
        })
    }

    #[test]
    fn the_text_shows_every_line_of_a_detail_in_the_chosen_language() {
        let nl = text(&status(), Language::Nl);
        for expected in [
            "nu 2026-06-01T05:00:00Z; volgende nacht 2026-06-02 begint",
            "levering 4 (nightly van 2026-06-01): geweigerd om 2026-06-01T00:00:01Z",
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
