//! How the strip of nights reads the journal: one cell per night, the newest delivery of
//! a night telling it, each result from the delivery's state, attempts and escalation.

use super::*;
use crate::api::{JournalAttempt, OutcomeView, TriggerView};

fn attempt(outcome: OutcomeView) -> JournalAttempt {
    JournalAttempt {
        number: 1,
        at: "2026-11-20T01:00:00Z".to_owned(),
        duration_ms: Some(20),
        http_status: Some(200),
        outcome,
        detail: String::new(),
        answer_lost: false,
    }
}

fn entry(
    id: u64,
    destination: &str,
    night: Option<&str>,
    state: StateView,
    attempts: &[OutcomeView],
    escalated: bool,
) -> JournalNight {
    JournalNight {
        entry: format!("s{id}"),
        destination: destination.to_owned(),
        delivery: JournalDelivery {
            delivery: id,
            trigger: if night.is_some() {
                TriggerView::Nightly
            } else {
                TriggerView::SendNow
            },
            night: night.map(str::to_owned),
            state,
            start: "2026-11-20T01:00:00Z".to_owned(),
            message: None,
            attempts: attempts.iter().map(|o| attempt(*o)).collect(),
            finished_at: None,
            escalated_at: escalated.then(|| "2026-11-20T06:00:00Z".to_owned()),
        },
    }
}

fn dates(first: &str, n: usize) -> Vec<NaiveDate> {
    let first: NaiveDate = first.parse().unwrap();
    first.iter_days().take(n).collect()
}

#[test]
fn each_night_is_told_by_its_newest_delivery_and_a_night_without_one_is_none() {
    use OutcomeView::{Delivered, Failed, Rejected};
    // Newest first, as the journal lists them.
    let journal = [
        entry(
            9,
            "ggd",
            Some("2026-11-24"),
            StateView::Pending,
            &[Failed],
            false,
        ),
        entry(8, "ggd", None, StateView::Delivered, &[Delivered], false),
        entry(
            7,
            "ggd",
            Some("2026-11-23"),
            StateView::Pending,
            &[Failed, Failed],
            false,
        ),
        entry(
            6,
            "other",
            Some("2026-11-22"),
            StateView::Rejected,
            &[Rejected],
            false,
        ),
        entry(
            5,
            "ggd",
            Some("2026-11-22"),
            StateView::Pending,
            &[Failed; 7],
            true,
        ),
        entry(
            4,
            "ggd",
            Some("2026-11-21"),
            StateView::Rejected,
            &[Rejected],
            false,
        ),
        entry(
            3,
            "ggd",
            Some("2026-11-20"),
            StateView::Delivered,
            &[Failed, Delivered],
            false,
        ),
        entry(
            2,
            "ggd",
            Some("2026-11-19"),
            StateView::Delivered,
            &[Delivered],
            false,
        ),
        entry(
            1,
            "ggd",
            Some("2026-11-19"),
            StateView::Pending,
            &[Failed],
            false,
        ),
    ];
    let cells = nights(&journal, "ggd", Some(9), &dates("2026-11-18", 7));
    let seen: Vec<(&str, NightResult, Option<&str>)> = cells
        .iter()
        .map(|c| (c.date.as_str(), c.result, c.journal.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            ("2026-11-18", NightResult::None, None),
            // Delivery 1 was superseded by delivery 2 of the same night.
            ("2026-11-19", NightResult::FirstTry, Some("s2")),
            ("2026-11-20", NightResult::AfterRetries, Some("s3")),
            ("2026-11-21", NightResult::Rejected, Some("s4")),
            // The other destination's rejection is not this one's.
            ("2026-11-22", NightResult::Escalated, Some("s5")),
            // Replaced by the send-now (8) before it was delivered.
            ("2026-11-23", NightResult::Superseded, Some("s7")),
            ("2026-11-24", NightResult::Pending, Some("s9")),
        ]
    );
    let other = nights(&journal, "other", None, &dates("2026-11-22", 1));
    assert_eq!(other[0].result, NightResult::Rejected);
    assert_eq!(other[0].journal.as_deref(), Some("s6"));
}

#[test]
fn an_empty_journal_gives_a_cell_of_none_for_every_night() {
    let cells = nights(&[], "ggd", None, &dates("2026-11-01", 30));
    assert_eq!(cells.len(), 30);
    assert!(
        cells
            .iter()
            .all(|c| c.result == NightResult::None && c.journal.is_none())
    );
    assert_eq!(cells[0].date, "2026-11-01");
    assert_eq!(cells[29].date, "2026-11-30");
}
