//! The receiver's watchdog: a set of lot numbers is expected every day by `expect_by`
//! (07:00) local time. When none has been applied since the start of that day, the
//! administrators and the JGZ contact get one alert email, the receiver reports itself
//! stale, and it keeps serving the last good set; when a set arrives after the alert, a
//! resolution email follows.
//!
//! [`Watchdog`] is the pure part: given the time, the time the set in place was applied
//! and the stored [`WatchdogState`], it says what to do ([`Watchdog::step`]), when to look
//! again ([`Watchdog::next_check`]) and whether the receiver is stale
//! ([`Watchdog::stale`]). It never reads the clock. The task that drives it lives in
//! `task.rs`, the email texts in `mails.rs`.
//!
//! Daylight saving time, in the configured zone: an `expect_by` that does not exist on a
//! day (inside the spring-forward gap) falls on the first instant after the gap; one that
//! occurs twice (in the autumn fold) falls on its first occurrence. The same rule places
//! the start of a day (see [`crate::localtime`]).

mod mails;
mod task;
#[cfg(test)]
mod tests;

pub use task::run;
pub(super) use task::{Resolution, resolution};

use crate::language::Language;
use crate::localtime;
use crate::store::WatchdogState;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use std::fmt;

/// When a set is expected each day, in which zone: the watchdog's pure logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watchdog {
    zone: Tz,
    expect_by: NaiveTime,
}

/// What the watchdog has to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Alert: no set has been applied since the start of `date` (today) and its
    /// `expect_by` has passed; no alert was sent for `date` yet.
    Alert {
        /// The local date the alert is about.
        date: NaiveDate,
    },
    /// An alert is open and a set has been applied since: send the resolution.
    Resolve {
        /// The date of the alert being resolved (`None` only for a state written
        /// without one).
        alert_date: Option<NaiveDate>,
    },
}

impl Action {
    /// The watchdog's state once this action has been carried out.
    pub fn next_state(self, state: WatchdogState) -> WatchdogState {
        match self {
            Action::Alert { date } => WatchdogState {
                last_alert_date: Some(date),
                alert_open: true,
            },
            Action::Resolve { .. } => WatchdogState {
                alert_open: false,
                ..state
            },
        }
    }
}

/// Why the receiver reports itself stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Today's `expect_by` has passed and no set has been applied since the start of
    /// today.
    Overdue {
        /// Today, local.
        date: NaiveDate,
        /// The configured `expect_by`.
        expect_by: NaiveTime,
    },
    /// An alert of an earlier day is open and no set has arrived since.
    AlertOpen {
        /// The date of that alert.
        alert_date: Option<NaiveDate>,
    },
}

impl Stale {
    /// Why the set is stale, in `language`.
    pub fn text(&self, language: Language) -> String {
        match (self, language) {
            (Stale::Overdue { date, expect_by }, Language::Nl) => format!(
                "er is op {date} geen set partijnummers toegepast; die werd verwacht vóór {}",
                expect_by.format("%H:%M:%S")
            ),
            (
                Stale::AlertOpen {
                    alert_date: Some(date),
                },
                Language::Nl,
            ) => format!("sinds de waarschuwing van {date} is er geen set partijnummers gekomen"),
            (Stale::AlertOpen { alert_date: None }, Language::Nl) => {
                "sinds de laatste waarschuwing is er geen set partijnummers gekomen".to_owned()
            }
            (stale, Language::En) => stale.to_string(),
        }
    }
}

/// In English, for the log.
impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::Overdue { date, expect_by } => write!(
                f,
                "no set of lot numbers has been applied on {date}; one was expected by {}",
                expect_by.format("%H:%M:%S")
            ),
            Stale::AlertOpen {
                alert_date: Some(date),
            } => write!(
                f,
                "no set of lot numbers has arrived since the alert of {date}"
            ),
            Stale::AlertOpen { alert_date: None } => {
                write!(f, "no set of lot numbers has arrived since the last alert")
            }
        }
    }
}

impl Watchdog {
    /// A watchdog expecting a set every day by `expect_by`, local time in `zone`.
    pub fn new(zone: Tz, expect_by: NaiveTime) -> Self {
        Self { zone, expect_by }
    }

    /// The local date at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        localtime::local_date(self.zone, now)
    }

    /// The first instant of local date `date`.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        localtime::instant(self.zone, date, NaiveTime::MIN)
    }

    /// The instant `expect_by` falls on, on local date `date`.
    pub fn deadline(&self, date: NaiveDate) -> DateTime<Utc> {
        localtime::instant(self.zone, date, self.expect_by)
    }

    /// When to look again after `now`: today's `expect_by` if it is still ahead,
    /// otherwise tomorrow's. Always after `now`.
    pub fn next_check(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = self.today(now);
        let deadline = self.deadline(today);
        if now < deadline {
            return deadline;
        }
        // A day later; `max` guards against a zone whose next local date does not exist.
        let mut date = today;
        loop {
            date = date.succ_opt().unwrap_or(date);
            let next = self.deadline(date);
            if next > now || date == NaiveDate::MAX {
                return next.max(now);
            }
        }
    }

    /// What to do at `now`, given when the set in place was applied (`None`: never) and
    /// the stored state. A resolution comes before a new alert: call again after
    /// carrying out an action, until `None`.
    pub fn step(
        &self,
        now: DateTime<Utc>,
        applied_at: Option<DateTime<Utc>>,
        state: &WatchdogState,
    ) -> Option<Action> {
        if self.resolved(applied_at, state) {
            return Some(Action::Resolve {
                alert_date: state.last_alert_date,
            });
        }
        let today = self.today(now);
        if self.overdue(now, applied_at) && state.last_alert_date != Some(today) {
            return Some(Action::Alert { date: today });
        }
        None
    }

    /// Whether, and why, the receiver is stale at `now`: today's set is overdue, or an
    /// alert is open that no set has resolved yet.
    pub fn stale(
        &self,
        now: DateTime<Utc>,
        applied_at: Option<DateTime<Utc>>,
        state: &WatchdogState,
    ) -> Option<Stale> {
        if self.overdue(now, applied_at) {
            return Some(Stale::Overdue {
                date: self.today(now),
                expect_by: self.expect_by,
            });
        }
        if state.alert_open && !self.resolved(applied_at, state) {
            return Some(Stale::AlertOpen {
                alert_date: state.last_alert_date,
            });
        }
        None
    }

    /// Today's `expect_by` has passed and no set was applied since the start of today.
    fn overdue(&self, now: DateTime<Utc>, applied_at: Option<DateTime<Utc>>) -> bool {
        let today = self.today(now);
        now >= self.deadline(today) && applied_at.is_none_or(|t| t < self.start_of(today))
    }

    /// An alert is open and a set was applied after it. An alert for date D is only
    /// raised while no set has been applied since the start of D, so any set applied
    /// since the start of D came after the alert: the date is all the state needs.
    fn resolved(&self, applied_at: Option<DateTime<Utc>>, state: &WatchdogState) -> bool {
        state.alert_open
            && applied_at.is_some_and(|t| {
                state
                    .last_alert_date
                    .is_none_or(|date| t >= self.start_of(date))
            })
    }
}
