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

/// The status JSON as text for a terminal, one block per destination.
pub fn text(status: &Value) -> String {
    let mut out = String::new();
    let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let _ = writeln!(
        out,
        "now {}; next night {} starts {}",
        s(&status["now"]),
        s(&status["next_night"]["date"]),
        s(&status["next_night"]["start"])
    );
    for d in status["destinations"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "\n{} ({}, receiver {})",
            s(&d["name"]),
            s(&d["url"]),
            s(&d["receiver"])
        );
        let delivery = &d["delivery"];
        if delivery.is_null() {
            let _ = writeln!(out, "  no delivery yet");
            continue;
        }
        let _ = writeln!(
            out,
            "  delivery {} ({}{}): {}{}",
            delivery["id"],
            s(&delivery["trigger"]),
            delivery["night"]
                .as_str()
                .map(|n| format!(" of {n}"))
                .unwrap_or_default(),
            s(&delivery["state"]),
            delivery["finished_at"]
                .as_str()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default()
        );
        match delivery["message"].as_object() {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "  message {} created {}, {} lot numbers, {} bytes",
                    m.get("id").and_then(Value::as_str).unwrap_or("-"),
                    m.get("created").and_then(Value::as_str).unwrap_or("-"),
                    m.get("lots").unwrap_or(&Value::Null),
                    m.get("bytes").unwrap_or(&Value::Null)
                );
            }
            None => {
                let _ = writeln!(out, "  message not built yet (source not readable)");
            }
        }
        for a in delivery["attempts"].as_array().into_iter().flatten() {
            let detail = a["detail"].as_str().unwrap_or("");
            let first_line = detail.lines().next().unwrap_or("");
            let _ = writeln!(
                out,
                "  attempt {} {}{}",
                s(&a["at"]),
                s(&a["outcome"]),
                if first_line.is_empty() {
                    String::new()
                } else {
                    format!(": {first_line}")
                }
            );
        }
        if let Some(next) = d["next_attempt"].as_str() {
            let _ = writeln!(out, "  next attempt {next}");
        } else if d["exhausted"].as_bool() == Some(true) {
            let _ = writeln!(out, "  no attempts left until the next night (or send-now)");
        }
        match delivery["escalated_at"].as_str() {
            Some(at) => {
                let _ = writeln!(
                    out,
                    "  escalated at {at}{}",
                    if delivery["escalation_open"].as_bool() == Some(true) {
                        " (awaiting delivery)"
                    } else {
                        ""
                    }
                );
            }
            None if delivery["state"] != "delivered" => match delivery["escalate_at"].as_str() {
                Some(at) => {
                    let _ = writeln!(out, "  escalation at {at}");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  no escalation: the night began before this installation"
                    );
                }
            },
            None => {}
        }
    }
    out
}
