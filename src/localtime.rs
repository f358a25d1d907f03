//! Local dates and times of day in a configured time zone, turned into instants and back.
//!
//! The gateway's clock times (the nightly send time, the escalation time, the receiver's
//! `expect_by`) are local times in one zone, while everything it stores and compares is
//! an instant in UTC. This module is the one place that crosses between the two, with one
//! rule for daylight saving time:
//!
//! - a local time that does not exist on a date (inside the spring-forward gap, e.g.
//!   02:30 on 2026-03-29 in Europe/Amsterdam) falls on the first instant after the gap,
//!   the moment the clocks jumped (03:00 CEST);
//! - a local time that occurs twice (inside the autumn fold, e.g. 02:30 on 2026-10-25)
//!   falls on its first occurrence (02:30 CEST, not 02:30 CET).
//!
//! Pure: nothing here reads the clock.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant at which local date `date`, time of day `time` falls in `zone`: its only
/// occurrence, its first occurrence in a fold, or the first instant after a gap.
pub fn instant(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => end_of_gap(zone, local),
    }
}

/// The local date in `zone` at `instant`.
pub fn local_date(zone: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// The first instant whose local time is at or after `local`, which lies in a gap: the
/// moment the clocks jumped. Found by bisection, in whole seconds (zone transitions fall
/// on them), over the instants that could show `local` under any UTC offset (−12 to +14
/// hours); around a gap local time only moves forward.
fn end_of_gap(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let at = |seconds: i64| DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    let at_or_after = |seconds: i64| at(seconds).with_timezone(&zone).naive_local() >= local;
    let as_utc = local.and_utc().timestamp();
    // Invariant: `before` shows a time before `local`, `after` one at or after it.
    let (mut before, mut after) = (as_utc - 15 * 3600, as_utc + 13 * 3600);
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if at_or_after(middle) {
            after = middle;
        } else {
            before = middle;
        }
    }
    at(after)
}

/// The most recent daily moment `at` (local time in `zone`) at or before `now`: its day,
/// and the span `[from, until)` since the one the day before — what a daily digest at
/// `at` covers.
pub fn daily_window(
    zone: Tz,
    at: NaiveTime,
    now: DateTime<Utc>,
) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
    let today = local_date(zone, now);
    let day = if instant(zone, today, at) <= now {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    };
    let until = instant(zone, day, at);
    let from = instant(zone, day.pred_opt().unwrap_or(day), at);
    (day, from, until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Amsterdam;

    fn utc(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn an_ordinary_time_has_one_instant() {
        // Summer time is UTC+2, winter time UTC+1.
        let summer = instant(Amsterdam, date("2026-06-10"), time(2, 0));
        assert_eq!(summer, utc("2026-06-10 00:00:00"));
        let winter = instant(Amsterdam, date("2026-01-15"), time(7, 0));
        assert_eq!(winter, utc("2026-01-15 06:00:00"));
    }

    #[test]
    fn a_time_in_the_spring_gap_falls_on_the_end_of_the_gap() {
        for t in [time(2, 0), time(2, 30), time(2, 59)] {
            let at = instant(Amsterdam, date("2026-03-29"), t);
            assert_eq!(at, utc("2026-03-29 01:00:00"), "{t}");
        }
        let after = instant(Amsterdam, date("2026-03-29"), time(3, 0));
        assert_eq!(after, utc("2026-03-29 01:00:00"));
    }

    #[test]
    fn a_time_in_the_autumn_fold_falls_on_its_first_occurrence() {
        let first = instant(Amsterdam, date("2026-10-25"), time(2, 30));
        assert_eq!(first, utc("2026-10-25 00:30:00"));
        let after = instant(Amsterdam, date("2026-10-25"), time(3, 0));
        assert_eq!(after, utc("2026-10-25 02:00:00"));
    }

    #[test]
    fn the_local_date_follows_the_zone() {
        assert_eq!(
            local_date(Amsterdam, utc("2026-06-09 22:00:00")),
            date("2026-06-10")
        );
        assert_eq!(
            local_date(Amsterdam, utc("2026-06-09 21:59:59")),
            date("2026-06-09")
        );
    }

    #[test]
    fn a_daily_window_ends_at_the_last_daily_moment_in_local_time() {
        let zone = chrono_tz::Europe::Amsterdam;
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        // 08:00 CET is 07:00 UTC.
        assert_eq!(
            daily_window(zone, eight, at(7, 0)),
            (day(2), at(7, 0) - chrono::TimeDelta::days(1), at(7, 0))
        );
        // Before it: yesterday's.
        assert_eq!(daily_window(zone, eight, at(6, 59)).0, day(1));
        assert_eq!(daily_window(zone, eight, at(23, 0)).0, day(2));
        // Across the autumn change the span is 25 hours.
        let (_, from, until) = daily_window(
            zone,
            eight,
            Utc.with_ymd_and_hms(2026, 10, 25, 12, 0, 0).unwrap(),
        );
        assert_eq!(until - from, chrono::TimeDelta::hours(25));
    }
}
