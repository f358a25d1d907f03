//! The schedule with exact instants in Europe/Amsterdam: an ordinary night, both DST
//! nights, restarts in and after each pattern, missed nights, a send time after the
//! escalation time, and non-default configurations.

use super::*;
use chrono::NaiveTime;
use std::time::Duration;

/// The default schedule: 02:00, 3 retries 10 min apart, repeated once after an hour,
/// escalation at 07:00.
fn defaults() -> ScheduleConfig {
    ScheduleConfig {
        time_zone: chrono_tz::Europe::Amsterdam,
        send_at: hm(2, 0),
        retries: 3,
        interval: Duration::from_secs(600),
        repeats: 1,
        pause: Duration::from_secs(3600),
        escalate_at: hm(7, 0),
        attempt_timeout: Duration::from_secs(60),
    }
}

fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
}

/// An instant written as local time with its UTC offset: `at("2026-06-10 02:00 +02:00")`.
/// The offset makes times in the autumn's repeated hour unambiguous.
fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_str(s, "%Y-%m-%d %H:%M %z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Like [`at`], with seconds.
fn at_s(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z")
        .unwrap()
        .with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn ats(list: &[&str]) -> Vec<DateTime<Utc>> {
    list.iter().map(|s| at(s)).collect()
}

/// Follows the grid as a sender whose every attempt fails on time would: each attempt
/// begins exactly at its slot. Returns the attempt times until exhausted.
fn walk(config: &ScheduleConfig, start: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut attempts = Vec::new();
    while let Next::At(slot) = next_attempt(config, start, attempts.last().copied()) {
        assert_eq!(due(config, start, attempts.last().copied(), slot), Due::Now);
        attempts.push(slot);
    }
    attempts
}

#[test]
fn an_ordinary_night() {
    let config = defaults();
    // 10 June is summer time, CEST = UTC+2.
    let start = night_start(&config, date("2026-06-10"));
    assert_eq!(start, at("2026-06-10 00:00 +00:00"));
    let expected = ats(&[
        "2026-06-10 02:00 +02:00",
        "2026-06-10 02:10 +02:00",
        "2026-06-10 02:20 +02:00",
        "2026-06-10 02:30 +02:00",
        "2026-06-10 03:30 +02:00",
        "2026-06-10 03:40 +02:00",
        "2026-06-10 03:50 +02:00",
    ]);
    assert_eq!(planned(&config, start), expected);
    assert_eq!(walk(&config, start), expected);
    assert_eq!(
        next_attempt(&config, start, Some(at("2026-06-10 03:50 +02:00"))),
        Next::Exhausted
    );
    assert_eq!(
        escalation_time(&config, date("2026-06-10")),
        at("2026-06-10 07:00 +02:00")
    );
    // Before the first slot the delivery waits for it.
    let before = at("2026-06-10 01:59 +02:00");
    assert_eq!(due(&config, start, None, before), Due::At(start));
}

#[test]
fn the_spring_forward_night() {
    let config = defaults();
    // 2026-03-29: at 02:00 CET the clocks jump to 03:00 CEST; 02:00 does not exist and
    // fires at the first instant after the gap, 03:00 CEST = 01:00 UTC.
    let start = night_start(&config, date("2026-03-29"));
    assert_eq!(start, at("2026-03-29 01:00 +00:00"));
    let expected = ats(&[
        "2026-03-29 03:00 +02:00",
        "2026-03-29 03:10 +02:00",
        "2026-03-29 03:20 +02:00",
        "2026-03-29 03:30 +02:00",
        "2026-03-29 04:30 +02:00",
        "2026-03-29 04:40 +02:00",
        "2026-03-29 04:50 +02:00",
    ]);
    assert_eq!(walk(&config, start), expected);
    assert_eq!(
        escalation_time(&config, date("2026-03-29")),
        at("2026-03-29 07:00 +02:00")
    );
    // The night before is still winter time; the night of the 29th follows it.
    let evening = at("2026-03-28 12:00 +01:00");
    assert_eq!(next_night(&config, evening), (date("2026-03-29"), start));
    let after = next_night(&config, start);
    assert_eq!(after, (date("2026-03-30"), at("2026-03-30 02:00 +02:00")));
}

#[test]
fn the_fall_back_night() {
    let config = defaults();
    // 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET; 02:00 occurs twice and
    // fires once, at its first occurrence, 02:00 CEST = 00:00 UTC.
    let start = night_start(&config, date("2026-10-25"));
    assert_eq!(start, at("2026-10-25 00:00 +00:00"));
    // The grid runs in elapsed time: 02:30 CEST plus the hour's pause is 01:30 UTC,
    // which the clock on the wall shows as 02:30 again, now CET. The wall clock never
    // reads 03:30 in this delivery.
    let expected = ats(&[
        "2026-10-25 02:00 +02:00",
        "2026-10-25 02:10 +02:00",
        "2026-10-25 02:20 +02:00",
        "2026-10-25 02:30 +02:00",
        "2026-10-25 02:30 +01:00",
        "2026-10-25 02:40 +01:00",
        "2026-10-25 02:50 +01:00",
    ]);
    assert_eq!(walk(&config, start), expected);
    assert_eq!(expected[4], at("2026-10-25 01:30 +00:00"));
    assert_eq!(
        escalation_time(&config, date("2026-10-25")),
        at("2026-10-25 07:00 +01:00")
    );
    // Exactly one night per local date: neither the start itself nor the second 02:00
    // (01:00 UTC) gives another night on the 25th.
    let tomorrow = (date("2026-10-26"), at("2026-10-26 02:00 +01:00"));
    assert_eq!(next_night(&config, start), tomorrow);
    assert_eq!(next_night(&config, at("2026-10-25 02:00 +01:00")), tomorrow);
    let during_second = at("2026-10-25 02:00 +01:00");
    let delivered = Some(date("2026-10-25"));
    assert_eq!(missed_night(&config, delivered, during_second), None);
}

#[test]
fn a_restart_in_the_middle_of_each_pattern() {
    let config = defaults();
    let start = night_start(&config, date("2026-06-10"));
    let cases = [
        // (last attempt began, restart, due)
        ("02:10", "02:15", Due::At(at("2026-06-10 02:20 +02:00"))),
        ("02:30", "03:00", Due::At(at("2026-06-10 03:30 +02:00"))),
        ("03:30", "03:35", Due::At(at("2026-06-10 03:40 +02:00"))),
        ("03:40", "03:50", Due::Now),
        ("03:50", "03:51", Due::Exhausted),
    ];
    for (last, now, expected) in cases {
        let last = at(&format!("2026-06-10 {last} +02:00"));
        let now = at(&format!("2026-06-10 {now} +02:00"));
        assert_eq!(due(&config, start, Some(last), now), expected, "{now}");
    }
}

#[test]
fn a_long_outage_gives_one_catch_up_attempt() {
    let config = defaults();
    let start = night_start(&config, date("2026-06-10"));
    // Down from 02:15 to 03:35: the slots 02:20, 02:30 and 03:30 passed.
    let up = at("2026-06-10 03:35 +02:00");
    let last = Some(at("2026-06-10 02:10 +02:00"));
    assert_eq!(due(&config, start, last, up), Due::Now);
    // The catch-up began at 03:35; the next attempt is the next slot, not another one
    // for the slots that passed.
    let a_moment_later = at_s("2026-06-10 03:35:05 +02:00");
    let next = due(&config, start, Some(up), a_moment_later);
    assert_eq!(next, Due::At(at("2026-06-10 03:40 +02:00")));

    // A delivery stored just before a crash, with no attempt yet, catches up the same way.
    let up = at("2026-06-10 02:25 +02:00");
    assert_eq!(due(&config, start, None, up), Due::Now);
    let next = due(&config, start, Some(up), up);
    assert_eq!(next, Due::At(at("2026-06-10 02:30 +02:00")));

    // Whatever the restart time, a catch-up is never followed by another one.
    for minute in 0..180 {
        let up = start + TimeDelta::minutes(minute);
        if due(&config, start, last, up) == Due::Now {
            assert_ne!(due(&config, start, Some(up), up), Due::Now, "{up}");
        }
    }
}

#[test]
fn a_restart_after_the_escalation_time() {
    let night = date("2026-06-10");
    let up = at("2026-06-10 07:30 +02:00");

    // Default grid: all slots passed; one catch-up, then exhausted, and escalation is due.
    let config = defaults();
    let start = night_start(&config, night);
    let last = Some(at("2026-06-10 02:10 +02:00"));
    assert_eq!(due(&config, start, last, up), Due::Now);
    assert_eq!(due(&config, start, Some(up), up), Due::Exhausted);
    assert!(escalation_time(&config, night) <= up);

    // A grid that reaches past 07:00 continues on it: with a 6-hour pause the repeat
    // runs 08:30, 08:40, 08:50, while the escalation is already due.
    let config = ScheduleConfig {
        pause: Duration::from_secs(6 * 3600),
        ..defaults()
    };
    let last = Some(at("2026-06-10 02:30 +02:00"));
    let next = due(&config, start, last, up);
    assert_eq!(next, Due::At(at("2026-06-10 08:30 +02:00")));
    assert!(escalation_time(&config, night) <= up);
}

#[test]
fn a_missed_night_is_delivered_at_once_from_start_up() {
    let config = defaults();
    // Down from 01:00 to 05:00 on 10 June; the last delivery was the night of the 9th.
    let up = at("2026-06-10 05:00 +02:00");
    let last = Some(date("2026-06-09"));
    assert_eq!(missed_night(&config, last, up), Some(date("2026-06-10")));
    // The catch-up delivery starts at start-up; the full pattern follows from there.
    let expected = ats(&[
        "2026-06-10 05:00 +02:00",
        "2026-06-10 05:10 +02:00",
        "2026-06-10 05:20 +02:00",
        "2026-06-10 05:30 +02:00",
        "2026-06-10 06:30 +02:00",
        "2026-06-10 06:40 +02:00",
        "2026-06-10 06:50 +02:00",
    ]);
    assert_eq!(planned(&config, up), expected);
    assert_eq!(due(&config, up, None, up), Due::Now);
    // The night keeps its escalation time; the next night is tomorrow's.
    let escalation = escalation_time(&config, date("2026-06-10"));
    assert_eq!(escalation, at("2026-06-10 07:00 +02:00"));
    let tomorrow = (date("2026-06-11"), at("2026-06-11 02:00 +02:00"));
    assert_eq!(next_night(&config, up), tomorrow);
    // Once recorded, the night is no longer missed.
    assert_eq!(missed_night(&config, Some(date("2026-06-10")), up), None);
}

#[test]
fn only_the_most_recent_missed_night_is_delivered() {
    let config = defaults();
    // Down for days: only the latest night is delivered; it supersedes the others.
    let up = at("2026-06-10 05:00 +02:00");
    let last = Some(date("2026-06-05"));
    assert_eq!(missed_night(&config, last, up), Some(date("2026-06-10")));
    // Up before today's send time: yesterday's night is the most recent one; today's
    // follows at 02:00 as usual.
    let up = at("2026-06-10 01:00 +02:00");
    let last = Some(date("2026-06-08"));
    assert_eq!(missed_night(&config, last, up), Some(date("2026-06-09")));
    let today = (date("2026-06-10"), at("2026-06-10 02:00 +02:00"));
    assert_eq!(next_night(&config, up), today);
    // Yesterday delivered, today's not started: nothing missed.
    assert_eq!(missed_night(&config, Some(date("2026-06-09")), up), None);
    // Never delivered: the most recent night counts as missed.
    assert_eq!(missed_night(&config, None, up), Some(date("2026-06-09")));
}

#[test]
fn a_night_starting_exactly_now_is_missed_not_next() {
    let config = defaults();
    let start = at("2026-06-10 02:00 +02:00");
    let last = Some(date("2026-06-09"));
    assert_eq!(missed_night(&config, last, start), Some(date("2026-06-10")));
    assert_eq!(next_night(&config, start).0, date("2026-06-11"));
    let just_before = at_s("2026-06-10 01:59:59 +02:00");
    assert_eq!(
        next_night(&config, just_before),
        (date("2026-06-10"), start)
    );
}

#[test]
fn a_send_time_later_than_the_escalation_time() {
    let config = ScheduleConfig {
        send_at: hm(22, 0),
        ..defaults()
    };
    let night = date("2026-06-10");
    assert_eq!(night_start(&config, night), at("2026-06-10 22:00 +02:00"));
    // The first 07:00 after 22:00 is the next morning.
    let escalation = escalation_time(&config, night);
    assert_eq!(escalation, at("2026-06-11 07:00 +02:00"));
    // The grid runs past midnight: 22:00 … 23:50.
    let last = *planned(&config, night_start(&config, night))
        .last()
        .unwrap();
    assert_eq!(last, at("2026-06-10 23:50 +02:00"));

    // Equal times: escalation is strictly after the start, so the next day.
    let config = ScheduleConfig {
        send_at: hm(7, 0),
        ..defaults()
    };
    assert_eq!(
        escalation_time(&config, night),
        at("2026-06-11 07:00 +02:00")
    );
}

#[test]
fn other_counts_of_retries_and_repeats() {
    let start = at("2026-06-10 02:00 +02:00");
    // No retries: a single attempt; a repeat repeats the (empty) retries.
    let config = ScheduleConfig {
        retries: 0,
        repeats: 1,
        ..defaults()
    };
    assert_eq!(planned(&config, start), vec![start]);
    assert_eq!(due(&config, start, Some(start), start), Due::Exhausted);
    // No repeats: the first pattern only.
    let config = ScheduleConfig {
        repeats: 0,
        ..defaults()
    };
    let expected = ats(&[
        "2026-06-10 02:00 +02:00",
        "2026-06-10 02:10 +02:00",
        "2026-06-10 02:20 +02:00",
        "2026-06-10 02:30 +02:00",
    ]);
    assert_eq!(planned(&config, start), expected);
    // One retry, two repeats: 0, interval, then a pause before each repeat's attempt.
    let config = ScheduleConfig {
        retries: 1,
        repeats: 2,
        ..defaults()
    };
    let expected = ats(&[
        "2026-06-10 02:00 +02:00",
        "2026-06-10 02:10 +02:00",
        "2026-06-10 03:10 +02:00",
        "2026-06-10 04:10 +02:00",
    ]);
    assert_eq!(planned(&config, start), expected);
}

#[test]
fn a_schedule_in_seconds() {
    // The scale the end-to-end tests use: 2 s interval, 5 s pause, send at 02:00:30.
    let config = ScheduleConfig {
        send_at: NaiveTime::from_hms_opt(2, 0, 30).unwrap(),
        interval: Duration::from_secs(2),
        pause: Duration::from_secs(5),
        attempt_timeout: Duration::from_secs(1),
        ..defaults()
    };
    let start = night_start(&config, date("2026-06-10"));
    assert_eq!(start, at_s("2026-06-10 02:00:30 +02:00"));
    let expected: Vec<_> = [0, 2, 4, 6, 11, 13, 15]
        .into_iter()
        .map(|s| start + TimeDelta::seconds(s))
        .collect();
    assert_eq!(walk(&config, start), expected);
    // A one-second outage over the 4 s slot: one catch-up, then the 6 s slot.
    let last = Some(start + TimeDelta::seconds(2));
    let up = start + TimeDelta::seconds(5);
    assert_eq!(due(&config, start, last, up), Due::Now);
    let next = due(&config, start, Some(up), up);
    assert_eq!(next, Due::At(start + TimeDelta::seconds(6)));
}

#[test]
fn an_interrupted_last_attempt_is_made_once_more() {
    let config = defaults();
    let start = night_start(&config, date("2026-06-10"));
    let last = at("2026-06-10 03:50 +02:00");
    let after = at("2026-06-10 03:51 +02:00");
    // Interrupted in the last slot: once more, at once.
    assert_eq!(
        due_after_interruption(&config, start, Some(last), true, after),
        Due::Now
    );
    // The resend finished (whatever its outcome): the grid's verdict stands.
    assert_eq!(
        due_after_interruption(&config, start, Some(after), false, after),
        Due::Exhausted
    );
    // Interrupted with slots still ahead: the next slot, as always.
    let third = at("2026-06-10 02:20 +02:00");
    assert_eq!(
        due_after_interruption(&config, start, Some(third), true, third),
        Due::At(at("2026-06-10 02:30 +02:00"))
    );
}

#[test]
fn each_slot_has_its_pattern_and_place_in_it() {
    let config = defaults();
    let places: Vec<(u32, u32)> = (0..planned(&config, at("2026-06-10 02:00 +02:00")).len())
        .map(|i| slot_place(&config, i))
        .collect();
    // 02:00 first attempt, retries 1–3, then after the pause repeats 1–3.
    assert_eq!(
        places,
        [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2)]
    );
    let twice = ScheduleConfig {
        retries: 2,
        repeats: 2,
        ..defaults()
    };
    let places: Vec<(u32, u32)> = (0..planned(&twice, at("2026-06-10 02:00 +02:00")).len())
        .map(|i| slot_place(&twice, i))
        .collect();
    assert_eq!(
        places,
        [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0), (2, 1)]
    );
    let single = ScheduleConfig {
        retries: 0,
        ..defaults()
    };
    assert_eq!(planned(&single, at("2026-06-10 02:00 +02:00")).len(), 1);
    assert_eq!(slot_place(&single, 0), (0, 0));
}
