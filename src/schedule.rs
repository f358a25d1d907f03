//! The sender's schedule: when each night's delivery starts, when its attempts are
//! planned, when it is escalated, and which night a start-up must catch up on.
//!
//! Everything here is a pure function of the [`ScheduleConfig`], a delivery's start
//! and the attempts made so far; nothing reads the clock. The sender loop passes in
//! `now` from its injected clock and acts on the answer.
//!
//! # The default schedule (`docs/sender.md`, "The schedule")
//!
//! With `send_at` 02:00, `retries` 3, `interval` 10 min, `repeats` 1, `pause` 1 h and
//! `escalate_at` 07:00 (Europe/Amsterdam), a night whose every attempt fails runs:
//!
//! | 02:00 | 02:10 | 02:20 | 02:30 | … one hour … | 03:30 | 03:40 | 03:50 | 07:00 |
//! |---|---|---|---|---|---|---|---|---|
//! | first attempt | retry 1 | retry 2 | retry 3 | | repeat 1 | repeat 2 | repeat 3 | escalation |
//!
//! # Rules
//!
//! - **Night.** A nightly delivery belongs to a local *date* (its night) and starts at
//!   `send_at` on that date in `time_zone` ([`night_start`]). There is exactly one night
//!   per destination per local date; the date, not the instant, is what the sender
//!   records to keep it that way.
//! - **Daylight saving time** (see [`crate::localtime`]): a `send_at` inside the
//!   spring-forward gap fires at the first instant after the gap (2026-03-29: 03:00
//!   CEST); one inside the autumn fold fires once, at its first occurrence (2026-10-25:
//!   02:00 CEST), and never again on that date.
//! - **Fixed grid.** The planned attempts are the delivery's start plus
//!   [`ScheduleConfig::attempt_offsets`] ([`planned`]): each interval is measured from the
//!   previous *planned* time, the pause from the last retry of the previous pattern.
//!   Offsets are real elapsed time, added in UTC, so a clock change in the middle of a
//!   night neither stretches nor shrinks the grid (on 2026-10-25, 02:30 CEST plus one
//!   hour is 02:30 CET).
//! - **Retries.** `retries` is the number of attempts after the first in the first
//!   pattern, and the number of attempts in each of the `repeats` repeats. With
//!   `retries` 0 a delivery has a single attempt, whatever `repeats` says.
//! - **Slots.** An attempt occupies the latest grid slot at or before the time it began.
//!   The next attempt is the first slot strictly after the last attempt began
//!   ([`next_attempt`]); when no slot is left the delivery is exhausted.
//! - **One catch-up.** A slot whose time has passed is due at once ([`due`] says
//!   [`Due::Now`]), but several passed slots give one catch-up attempt, not a burst: that
//!   attempt begins after all of them, so the one after it is the next grid slot after
//!   it. Slots missed during an outage are skipped, never made up.
//! - **Attempt timeout.** The configuration keeps `attempt_timeout` shorter than
//!   `interval`, so an attempt is over before the next slot of its pattern.
//! - **Next night.** [`next_night`] is the first night that starts strictly after
//!   `now`; a night that starts at or before `now` is [`missed_night`]'s business. The
//!   two never name the same night for the same `now`.
//! - **Missed night.** On start-up, the most recent night that has started
//!   (`night_start <= now`) and has no delivery recorded for its date is delivered at
//!   once; older missed nights are superseded by it (a newer complete set replaces
//!   them). A destination with no delivery recorded at all has missed the most recent
//!   night. A catch-up delivery starts at start-up time: its first attempt is at once
//!   and the full pattern follows from there.
//! - **Escalation.** A night is escalated at the first `escalate_at` strictly after the
//!   night's start ([`escalation_time`]): 07:00 the same morning for a 02:00 send time,
//!   07:00 the next morning for a 22:00 one, the next day when both times are equal. The
//!   time is the night's, not the delivery's: a gateway that comes up after it
//!   escalates at once (`escalation_time(..) <= now`).

#[cfg(test)]
mod tests;

use crate::config::ScheduleConfig;
use crate::localtime;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

/// The next attempt of a delivery, regardless of the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The next attempt is planned at this instant.
    At(DateTime<Utc>),
    /// Every slot of the grid has been used or has passed: no more attempts.
    Exhausted,
}

/// The next attempt of a delivery, seen from a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// A slot has come or passed: attempt now, and record `now` as the attempt's time.
    Now,
    /// The next slot is still ahead: wait until this instant.
    At(DateTime<Utc>),
    /// No more attempts.
    Exhausted,
}

/// The instant the night of local date `date` starts: `send_at` on that date.
pub fn night_start(config: &ScheduleConfig, date: NaiveDate) -> DateTime<Utc> {
    localtime::instant(config.time_zone, date, config.send_at)
}

/// The first night that starts strictly after `now`: its date and its start.
pub fn next_night(config: &ScheduleConfig, now: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>) {
    let mut date = localtime::local_date(config.time_zone, now);
    // Today's night, or a later one; more than one step only in zones that skip a date.
    loop {
        let start = night_start(config, date);
        if start > now {
            return (date, start);
        }
        let Some(next) = date.succ_opt() else {
            return (date, start);
        };
        date = next;
    }
}

/// The night to deliver at once on start-up, if any: the most recent night that has
/// started by `now`, unless a delivery is recorded for it (or a later date).
/// `last_delivery_date` is the night of the destination's most recent delivery,
/// whatever its outcome; `None` when it never had one.
pub fn missed_night(
    config: &ScheduleConfig,
    last_delivery_date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Option<NaiveDate> {
    let latest = latest_night(config, now)?;
    match last_delivery_date {
        Some(last) if last >= latest => None,
        _ => Some(latest),
    }
}

/// The most recent night that started at or before `now`.
fn latest_night(config: &ScheduleConfig, now: DateTime<Utc>) -> Option<NaiveDate> {
    let mut date = localtime::local_date(config.time_zone, now);
    // Today's night, or yesterday's; further back only in zones that skip a date.
    loop {
        if night_start(config, date) <= now {
            return Some(date);
        }
        date = date.pred_opt()?;
    }
}

/// When the night of `date` is escalated if not delivered: the first `escalate_at`
/// strictly after the night's start.
pub fn escalation_time(config: &ScheduleConfig, night: NaiveDate) -> DateTime<Utc> {
    escalation_after(config, night_start(config, night))
}

/// The first `escalate_at` strictly after `start`: when a delivery that is not a
/// night's (send-now, start-up) is escalated if not delivered.
pub fn escalation_after(config: &ScheduleConfig, start: DateTime<Utc>) -> DateTime<Utc> {
    let mut date = localtime::local_date(config.time_zone, start);
    loop {
        let at = localtime::instant(config.time_zone, date, config.escalate_at);
        if at > start {
            return at;
        }
        let Some(next) = date.succ_opt() else {
            return at;
        };
        date = next;
    }
}

/// Every planned attempt of a delivery that starts at `start`, first to last, on the
/// fixed grid. Slots beyond the representable range of time (only with an absurd
/// configuration) are left off.
pub fn planned(config: &ScheduleConfig, start: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    config
        .attempt_offsets()
        .into_iter()
        .map_while(|offset| {
            let offset = TimeDelta::from_std(offset).ok()?;
            start.checked_add_signed(offset)
        })
        .collect()
}

/// Where slot `index` (from 0, as [`planned`] lists them) sits in the grid: its pattern
/// (0 for the first attempt and its retries, then 1, 2, … for the repeats after each
/// pause) and its place in that pattern (from 0).
pub fn slot_place(config: &ScheduleConfig, index: usize) -> (u32, u32) {
    let index = u32::try_from(index).unwrap_or(u32::MAX);
    if index <= config.retries || config.retries == 0 {
        return (0, index);
    }
    let after_first = index - config.retries - 1;
    (
        1 + after_first / config.retries,
        after_first % config.retries,
    )
}

/// The next attempt of the delivery that starts at `start`, given when its last
/// attempt began (`None`: no attempt yet): the first grid slot strictly after that.
pub fn next_attempt(
    config: &ScheduleConfig,
    start: DateTime<Utc>,
    last_attempt: Option<DateTime<Utc>>,
) -> Next {
    let slots = planned(config, start);
    let next = match last_attempt {
        None => slots.first(),
        Some(last) => slots.iter().find(|slot| **slot > last),
    };
    next.map_or(Next::Exhausted, |slot| Next::At(*slot))
}

/// [`due`] for a delivery whose last attempt may have been interrupted: the gateway
/// stopped while it waited for the answer, on which the receiver may have acted. With
/// no slot left on the grid, an interrupted last attempt is made once more, at once — a
/// receiver that applied the message answers the resend with the acknowledgement it
/// stored — and then the grid's verdict stands. An interrupted attempt with slots after
/// it needs nothing special: the next slot follows.
pub fn due_after_interruption(
    config: &ScheduleConfig,
    start: DateTime<Utc>,
    last_attempt: Option<DateTime<Utc>>,
    interrupted: bool,
    now: DateTime<Utc>,
) -> Due {
    match due(config, start, last_attempt, now) {
        Due::Exhausted if interrupted => Due::Now,
        due => due,
    }
}

/// [`next_attempt`] seen at `now`: a slot at or before `now` is due at once. The
/// attempt made on [`Due::Now`] begins at `now`, which is after every passed slot, so
/// passing `now` as `last_attempt` next time yields at most one catch-up attempt.
pub fn due(
    config: &ScheduleConfig,
    start: DateTime<Utc>,
    last_attempt: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Due {
    match next_attempt(config, start, last_attempt) {
        Next::At(slot) if slot <= now => Due::Now,
        Next::At(slot) => Due::At(slot),
        Next::Exhausted => Due::Exhausted,
    }
}
