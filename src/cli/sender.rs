//! `lotgate send-now [--destination NAME] [--wait]`: a delivery at once, and waiting for
//! its outcome.

use super::client::{Admin, Answer, print_json};
use crate::api::{OutcomeView, SendNowAnswer, SenderStatus};
use crate::language::Language;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long `send-now --wait` waits for the outcomes.
const SEND_NOW_WAIT: Duration = Duration::from_secs(15 * 60);

/// How often `send-now --wait` looks.
const POLL: Duration = Duration::from_millis(200);

pub(super) fn send_now(path: &Path, destination: Option<&str>, wait: bool) -> ExitCode {
    let admin = match Admin::new(path, "send-now") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let query = destination
        .map(|d| format!("?destination={}", crate::http::percent_encode(d)))
        .unwrap_or_default();
    let started = match admin.post::<SendNowAnswer>(&format!("/api/v1/sender/send-now{query}")) {
        Ok(Answer::Ok(answer)) => answer.started,
        Ok(Answer::Failed(status, body)) => return print_json(status, &body),
        Err(code) => return code,
    };
    let language = admin.language;
    for started in &started {
        let (id, name) = (started.delivery, &started.destination);
        match language {
            Language::Nl => println!("levering {id} aan {name} gestart"),
            Language::En => println!("delivery {id} to {name} started"),
        }
    }
    if !wait {
        return ExitCode::SUCCESS;
    }
    let deliveries: Vec<(String, u64)> = started
        .into_iter()
        .map(|s| (s.destination, s.delivery))
        .collect();
    let outcomes = match wait_for_outcomes(&admin, &deliveries) {
        Ok(outcomes) => outcomes,
        Err(code) => return code,
    };
    let mut all_delivered = true;
    for (name, waited) in &outcomes {
        all_delivered &= matches!(waited, Waited::Ended(OutcomeView::Delivered, _));
        let (word, detail) = match waited {
            Waited::Ended(outcome, detail) => (outcome.word(language), detail.as_str()),
            Waited::Superseded => (language.pick("vervangen", "superseded"), ""),
            Waited::NoOutcome => (language.pick("nog geen uitkomst", "no outcome yet"), ""),
        };
        println!(
            "{name}: {word}{}",
            if detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", detail.lines().next().unwrap_or(""))
            }
        );
    }
    if all_delivered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// What `send-now --wait` saw of one delivery.
enum Waited {
    /// An attempt ended: its outcome and detail.
    Ended(OutcomeView, String),
    /// Another delivery to the destination started meanwhile.
    Superseded,
    /// No attempt ended within [`SEND_NOW_WAIT`].
    NoOutcome,
}

/// Follows the sender's status until each of `deliveries` (destination, delivery number)
/// has the outcome of an attempt, or was superseded, or [`SEND_NOW_WAIT`] passed.
fn wait_for_outcomes(
    admin: &Admin,
    deliveries: &[(String, u64)],
) -> Result<BTreeMap<String, Waited>, ExitCode> {
    let mut outcomes = BTreeMap::new();
    let deadline = Instant::now() + SEND_NOW_WAIT;
    while outcomes.len() < deliveries.len() && Instant::now() < deadline {
        std::thread::sleep(POLL);
        let status = match admin.get::<SenderStatus>("/api/v1/sender/status")? {
            Answer::Ok(status) => status,
            Answer::Failed(status, body) => return Err(print_json(status, &body)),
        };
        for (name, id) in deliveries {
            let Some(destination) = status.destinations.iter().find(|d| &d.name == name) else {
                continue;
            };
            let Some(delivery) = &destination.delivery else {
                continue;
            };
            if delivery.id != *id {
                outcomes.insert(name.clone(), Waited::Superseded);
                continue;
            }
            if let Some(attempt) = delivery.attempts.last()
                && attempt.outcome.is_finished()
            {
                outcomes.insert(
                    name.clone(),
                    Waited::Ended(attempt.outcome, attempt.detail.clone()),
                );
            }
        }
    }
    for (name, _) in deliveries {
        outcomes.entry(name.clone()).or_insert(Waited::NoOutcome);
    }
    Ok(outcomes)
}
