//! The planning step on exact instants in Europe/Amsterdam with the default schedule
//! (02:00, 3 retries 10 minutes apart, repeated once after an hour, escalation at 07:00).

use super::*;
use crate::language::Text;
use crate::store::{Attempt, AttemptOutcome};
use chrono::{NaiveTime, TimeZone};
use std::time::Duration;

fn config() -> ScheduleConfig {
    ScheduleConfig {
        time_zone: chrono_tz::Europe::Amsterdam,
        send_at: NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
        retries: 3,
        interval: Duration::from_secs(600),
        repeats: 1,
        pause: Duration::from_secs(3600),
        escalate_at: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        attempt_timeout: Duration::from_secs(60),
    }
}

/// An instant in UTC (Amsterdam is UTC+1 in December).
fn utc(d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, d, h, min, 0).unwrap()
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

/// The night of 2 December: its delivery starts at 02:00 local (01:00 UTC) and is
/// escalated at 07:00 local (06:00 UTC).
fn nightly(destination: &str) -> Delivery {
    Delivery {
        id: 1,
        destination: destination.to_owned(),
        trigger: Trigger::Nightly,
        night: Some(date(2)),
        start: utc(2, 1, 0),
        escalate_at: Some(utc(2, 6, 0)),
        message: None,
        attempts: Vec::new(),
        state: DeliveryState::Pending,
        finished_at: None,
        escalated_at: None,
        escalation_open: false,
        source_alerted: false,
        journal: None,
    }
}

fn failed_at(at: DateTime<Utc>) -> Attempt {
    Attempt {
        at,
        outcome: Some(AttemptOutcome::Transient),
        detail: Text::verbatim("connection refused"),
        answer_lost: false,
        http_status: None,
        duration_ms: None,
    }
}

/// All seven attempts of the grid made and failed: 01:00, 01:10, 01:20, 01:30, then
/// 02:30, 02:40 and 02:50 UTC.
fn exhausted(destination: &str) -> Delivery {
    let mut delivery = nightly(destination);
    delivery.attempts = schedule::planned(&config(), delivery.start)
        .into_iter()
        .map(failed_at)
        .collect();
    assert_eq!(delivery.attempts.len(), 7);
    delivery
}

fn nobody(_: &str) -> bool {
    false
}

fn everybody(_: &str) -> bool {
    true
}

fn start(destination: &str, trigger: Trigger, night: Option<NaiveDate>) -> Start {
    Start {
        destination: destination.to_owned(),
        trigger,
        night,
    }
}

#[test]
fn a_night_that_starts_while_running_is_nightly_and_one_missed_at_start_up_is_missed() {
    let last = vec![("ggd".to_owned(), Some(date(1)))];
    let now = utc(2, 1, 0);
    assert_eq!(
        starts(&config(), &last, false, false, now),
        vec![start("ggd", Trigger::Nightly, Some(date(2)))]
    );
    assert_eq!(
        starts(&config(), &last, true, false, now),
        vec![start("ggd", Trigger::Missed, Some(date(2)))]
    );
}

#[test]
fn a_destination_with_its_night_delivered_starts_nothing_unless_send_on_start() {
    let last = vec![
        ("ggd".to_owned(), Some(date(2))),
        ("jgz".to_owned(), Some(date(2))),
    ];
    let now = utc(2, 12, 0);
    assert_eq!(starts(&config(), &last, false, true, now), vec![]);
    assert_eq!(starts(&config(), &last, true, false, now), vec![]);
    assert_eq!(
        starts(&config(), &last, true, true, now),
        vec![
            start("ggd", Trigger::StartUp, None),
            start("jgz", Trigger::StartUp, None)
        ]
    );
}

#[test]
fn a_destination_that_never_had_a_delivery_gets_the_latest_night() {
    let last = vec![("ggd".to_owned(), None)];
    // 00:30 local on the 2nd: the latest night that started is the 1st's.
    assert_eq!(
        starts(&config(), &last, true, true, utc(1, 23, 30)),
        vec![start("ggd", Trigger::Missed, Some(date(1)))]
    );
}

#[test]
fn a_nights_window_is_the_nights_grid_and_escalation_time() {
    let window = window(
        &config(),
        Trigger::Nightly,
        Some(date(2)),
        None,
        utc(2, 1, 0),
    );
    assert_eq!(
        window,
        Window {
            start: utc(2, 1, 0),
            escalate_at: Some(utc(2, 6, 0)),
        }
    );
}

#[test]
fn a_missed_night_starts_now_and_is_escalated_only_if_the_gateway_was_installed_then() {
    let now = utc(2, 9, 0);
    let installed_before = Some(utc(1, 9, 0));
    let installed_after = Some(utc(2, 8, 0));
    assert_eq!(
        window(
            &config(),
            Trigger::Missed,
            Some(date(2)),
            installed_before,
            now
        ),
        Window {
            start: now,
            escalate_at: Some(utc(2, 6, 0)),
        }
    );
    assert_eq!(
        window(
            &config(),
            Trigger::Missed,
            Some(date(2)),
            installed_after,
            now
        ),
        Window {
            start: now,
            escalate_at: None,
        }
    );
}

#[test]
fn send_now_and_start_up_are_escalated_at_the_next_escalation_time() {
    // 08:00 local: past today's 07:00, so tomorrow's.
    let now = utc(2, 7, 0);
    for trigger in [Trigger::SendNow, Trigger::StartUp] {
        assert_eq!(
            window(&config(), trigger, None, None, now),
            Window {
                start: now,
                escalate_at: Some(utc(3, 6, 0)),
            }
        );
    }
}

#[test]
fn nothing_to_escalate_before_the_escalation_time_or_when_delivered_or_already_alerted() {
    let config = config();
    let pending = vec![exhausted("ggd")];
    assert_eq!(
        escalation(&config, &pending, &[], everybody, nobody, utc(2, 5, 59)),
        Escalation::Nothing
    );
    let mut delivered = exhausted("ggd");
    delivered.state = DeliveryState::Delivered;
    let mut alerted = exhausted("jgz");
    alerted.escalated_at = Some(utc(2, 6, 0));
    let unconfigured = exhausted("gone");
    let deliveries = vec![delivered, alerted, unconfigured];
    assert_eq!(
        escalation(
            &config,
            &deliveries,
            &[],
            |name| name != "gone",
            nobody,
            utc(2, 6, 0)
        ),
        Escalation::Nothing
    );
}

#[test]
fn an_exhausted_or_rejected_delivery_past_its_time_is_escalated() {
    let mut rejected = nightly("jgz");
    rejected.state = DeliveryState::Rejected;
    let deliveries = vec![exhausted("ggd"), rejected];
    let Escalation::Send(listed) =
        escalation(&config(), &deliveries, &[], everybody, nobody, utc(2, 6, 0))
    else {
        panic!("expected an escalation");
    };
    let names: Vec<&str> = listed.iter().map(|d| d.destination.as_str()).collect();
    assert_eq!(names, ["ggd", "jgz"]);
}

#[test]
fn the_escalation_waits_for_a_running_attempt_or_one_due_now() {
    let config = config();
    let deliveries = vec![exhausted("ggd")];
    assert_eq!(
        escalation(
            &config,
            &deliveries,
            &[],
            everybody,
            |name| name == "ggd",
            utc(2, 6, 0)
        ),
        Escalation::Wait
    );
    // After an outage: the last slot (02:50 UTC) has passed and no attempt was made
    // since 01:30, so one catch-up attempt is due now; the email waits for it.
    let mut behind = nightly("ggd");
    behind.attempts = vec![failed_at(utc(2, 1, 30))];
    let deliveries = vec![behind];
    assert_eq!(
        escalation(&config, &deliveries, &[], everybody, nobody, utc(2, 6, 0)),
        Escalation::Wait
    );
    // Unless a new delivery supersedes it in this round.
    let starts = [start("ggd", Trigger::Missed, Some(date(3)))];
    assert!(matches!(
        escalation(&config, &deliveries, &starts, everybody, nobody, utc(2, 6, 0)),
        Escalation::Send(listed) if listed.len() == 1
    ));
}

#[test]
fn a_due_attempt_is_planned_and_the_next_round_is_the_earliest_slot_or_escalation() {
    let config = config();
    let mut waiting = nightly("jgz");
    waiting.attempts = vec![failed_at(utc(2, 1, 0))];
    let plan = attempts(&config, vec![nightly("ggd"), waiting], nobody, utc(2, 1, 5));
    let due: Vec<&str> = plan.due.iter().map(|d| d.destination.as_str()).collect();
    assert_eq!(due, ["ggd"]);
    assert_eq!(plan.next, utc(2, 1, 10), "jgz's next slot");

    // Exhausted and not yet escalated: the next round is at the escalation time.
    let plan = attempts(&config, vec![exhausted("ggd")], nobody, utc(2, 4, 0));
    assert!(plan.due.is_empty());
    assert_eq!(plan.next, utc(2, 6, 0));

    // Nothing pending: the next night.
    let mut delivered = nightly("ggd");
    delivered.state = DeliveryState::Delivered;
    let plan = attempts(&config, vec![delivered], nobody, utc(2, 4, 0));
    assert!(plan.due.is_empty());
    assert_eq!(plan.next, utc(3, 1, 0));
}

#[test]
fn no_attempt_for_a_destination_with_one_running_and_one_per_destination_at_most() {
    let config = config();
    let plan = attempts(
        &config,
        vec![nightly("ggd"), nightly("jgz")],
        |name| name == "ggd",
        utc(2, 1, 0),
    );
    let due: Vec<&str> = plan.due.iter().map(|d| d.destination.as_str()).collect();
    assert_eq!(due, ["jgz"]);

    let mut second = nightly("ggd");
    second.id = 2;
    let plan = attempts(&config, vec![nightly("ggd"), second], nobody, utc(2, 1, 0));
    let ids: Vec<u64> = plan.due.iter().map(|d| d.id).collect();
    assert_eq!(ids, [1]);
}

#[test]
fn an_interrupted_last_attempt_is_made_once_more() {
    let config = config();
    let mut interrupted = exhausted("ggd");
    interrupted.attempts.last_mut().unwrap().outcome = None;
    let plan = attempts(&config, vec![interrupted], nobody, utc(2, 4, 0));
    assert_eq!(plan.due.len(), 1);
    let plan = attempts(&config, vec![exhausted("ggd")], nobody, utc(2, 4, 0));
    assert!(plan.due.is_empty());
}
