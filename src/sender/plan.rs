//! The sender's planning step: what a round does, decided from what the store holds, the
//! clock's `now` and which destinations have an attempt running — with no I/O, like
//! the receiver's `decide`. The round ([`super::round`]) reads the store, asks the
//! plan, and then starts, alerts and attempts as planned.
//!
//! - [`starts`]: which deliveries start (the night's, a missed night's, the one after
//!   start-up).
//! - [`window`]: when a new delivery starts and when it is escalated.
//! - [`escalation`]: whether an escalation email is sent now, waited for, or not needed.
//! - [`attempts`]: which attempts are due now, and when the next round is needed.

use crate::config::ScheduleConfig;
use crate::schedule::{self, Due};
use crate::store::{Delivery, DeliveryState, Trigger};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashSet;

/// A delivery to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Start {
    /// The destination's name.
    pub destination: String,
    /// Why it starts.
    pub trigger: Trigger,
    /// The night it belongs to (nightly and missed nights only).
    pub night: Option<NaiveDate>,
}

/// The deliveries that start at `now`, one per destination at most, given the night of
/// each destination's most recent delivery (`None`: it never had one). `first` is the
/// round at start-up: a night that started while the gateway was down is a missed night
/// delivered now, and with `send_on_start` a destination with nothing missed gets a
/// start-up delivery. A night that starts while the gateway runs keeps its own grid.
pub(super) fn starts(
    config: &ScheduleConfig,
    last_nights: &[(String, Option<NaiveDate>)],
    first: bool,
    send_on_start: bool,
    now: DateTime<Utc>,
) -> Vec<Start> {
    last_nights
        .iter()
        .filter_map(|(name, last)| {
            let (trigger, night) = match schedule::missed_night(config, *last, now) {
                Some(night) if first => (Trigger::Missed, Some(night)),
                Some(night) => (Trigger::Nightly, Some(night)),
                None if first && send_on_start => (Trigger::StartUp, None),
                None => return None,
            };
            Some(Start {
                destination: name.clone(),
                trigger,
                night,
            })
        })
        .collect()
}

/// When a new delivery starts (its grid's origin) and when it is escalated if not
/// delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    /// The first planned attempt.
    pub start: DateTime<Utc>,
    /// `None`: never escalated.
    pub escalate_at: Option<DateTime<Utc>>,
}

/// The window of a delivery started at `now`. A night's delivery keeps the night's grid
/// and escalation time; a missed night starts now and is escalated at the night's time,
/// unless the night began before the gateway was installed (`installed_at`): it is
/// delivered, but nobody is alarmed about it, because the gateway did not exist then.
/// Any other delivery starts now and is escalated at the next escalation time.
pub(super) fn window(
    config: &ScheduleConfig,
    trigger: Trigger,
    night: Option<NaiveDate>,
    installed_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Window {
    match (trigger, night) {
        (Trigger::Nightly, Some(night)) => Window {
            start: schedule::night_start(config, night),
            escalate_at: Some(schedule::escalation_time(config, night)),
        },
        (Trigger::Missed, Some(night)) => {
            let before_install =
                installed_at.is_some_and(|at| schedule::night_start(config, night) < at);
            Window {
                start: now,
                escalate_at: (!before_install).then(|| schedule::escalation_time(config, night)),
            }
        }
        _ => Window {
            start: now,
            escalate_at: Some(schedule::escalation_after(config, now)),
        },
    }
}

/// What to do about escalation in a round.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Escalation<'a> {
    /// No delivery is past its escalation time unalerted.
    Nothing,
    /// Some are, but an attempt for one of them is running or due now: the email waits
    /// for its outcome, so that it lists the catch-up after an outage and is sent once
    /// for all of them.
    Wait,
    /// Send one email listing these deliveries, and mark them escalated.
    Send(Vec<&'a Delivery>),
}

/// Whether the deliveries past their escalation time are alerted about now. Only
/// deliveries to configured destinations count; a delivery superseded by one of
/// `starts` does not hold the email up, as its due attempt will never be made.
pub(super) fn escalation<'a>(
    config: &ScheduleConfig,
    deliveries: &'a [Delivery],
    starts: &[Start],
    configured: impl Fn(&str) -> bool,
    running: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Escalation<'a> {
    let candidates: Vec<&Delivery> = deliveries
        .iter()
        .filter(|d| {
            d.state != DeliveryState::Delivered
                && d.escalated_at.is_none()
                && d.escalate_at.is_some_and(|at| at <= now)
                && configured(&d.destination)
        })
        .collect();
    if candidates.is_empty() {
        return Escalation::Nothing;
    }
    let waiting = candidates.iter().any(|d| {
        let superseded = starts.iter().any(|s| s.destination == d.destination);
        running(&d.destination)
            || (!superseded && d.state == DeliveryState::Pending && due(config, d, now) == Due::Now)
    });
    if waiting {
        Escalation::Wait
    } else {
        Escalation::Send(candidates)
    }
}

/// The attempts of a round and when the next round is needed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Attempts {
    /// The pending deliveries whose attempt is due now, at most one per destination.
    pub due: Vec<Delivery>,
    /// When the next round is needed at the latest: the next night, the next slot of a
    /// pending delivery, or the next escalation time of one not delivered.
    pub next: DateTime<Utc>,
}

/// The attempts due at `now`, for destinations with no attempt `running`.
pub(super) fn attempts(
    config: &ScheduleConfig,
    deliveries: Vec<Delivery>,
    running: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Attempts {
    let mut next = schedule::next_night(config, now).1;
    let mut chosen = HashSet::new();
    let mut due_now = Vec::new();
    for delivery in deliveries {
        if delivery.state != DeliveryState::Delivered
            && delivery.escalated_at.is_none()
            && let Some(escalate_at) = delivery.escalate_at
        {
            next = next.min(escalate_at);
        }
        if delivery.state != DeliveryState::Pending
            || running(&delivery.destination)
            || chosen.contains(&delivery.destination)
        {
            continue;
        }
        match due(config, &delivery, now) {
            Due::Now => {
                chosen.insert(delivery.destination.clone());
                due_now.push(delivery);
            }
            Due::At(at) => next = next.min(at),
            Due::Exhausted => {}
        }
    }
    Attempts { due: due_now, next }
}

/// When the delivery's next attempt is due at `now`, for a delivery with no attempt in
/// flight in this process: an unfinished last attempt was interrupted by a stop, and is
/// made once more when the grid has no slot left ([`schedule::due_after_interruption`]).
pub(super) fn due(config: &ScheduleConfig, delivery: &Delivery, now: DateTime<Utc>) -> Due {
    schedule::due_after_interruption(
        config,
        delivery.start,
        delivery.last_attempt(),
        delivery.last_unfinished(),
        now,
    )
}

#[cfg(test)]
mod tests;
