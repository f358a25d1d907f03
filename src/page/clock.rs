//! Times as people read them on the page: the API's RFC 3339 instants in the gateway's
//! time zone, to the minute. A string that is not a time is shown as it is (escaped).
//!
//! Pure: "now" is the overview's `now`, never the clock.

use super::html::esc;
use crate::timestamp::Timestamp;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use std::fmt::{self, Display, Formatter};

/// How much of a time to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// `2026-11-22 02:00`.
    Full,
    /// `02:00` on the day of the overview's `now`, else `2026-11-22 02:00`.
    Short,
    /// `02:00`, always (where the date is given elsewhere, as on a timeline).
    TimeOfDay,
    /// `2026-11-22 02:00:05`, for tooltips.
    Seconds,
}

/// The zone the page shows times in, and the moment the overview was made.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    zone: Tz,
    today: Option<NaiveDate>,
    now: Option<DateTime<Utc>>,
}

impl Clock {
    /// The clock of an overview: its IANA `time_zone` (UTC when that is not a zone) and
    /// its `now` (none when that is not a time).
    pub(super) fn new(time_zone: &str, now: &str) -> Self {
        let zone = time_zone.parse::<Tz>().unwrap_or(Tz::UTC);
        let now = instant(now);
        Self {
            zone,
            today: now.map(|n| n.with_timezone(&zone).date_naive()),
            now,
        }
    }

    /// The overview's `now`, when it is a time.
    pub(super) fn now(&self) -> Option<DateTime<Utc>> {
        self.now
    }

    /// The zone's name, e.g. `Europe/Amsterdam`.
    pub(super) fn zone_name(&self) -> &'static str {
        self.zone.name()
    }

    /// The local date and time of an instant.
    pub(super) fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.zone).naive_local()
    }

    /// `raw` (an RFC 3339 instant) shown in `style`, escaped; as it is when not a time.
    pub(super) fn show<'a>(&self, raw: &'a str, style: Style) -> Shown<'a> {
        Shown {
            local: instant(raw).map(|at| self.local(at)),
            today: self.today,
            raw,
            style,
        }
    }

    /// `raw` as a `<time datetime="…">` element shown in `style`; escaped text when not
    /// a time.
    pub(super) fn element<'a>(&self, raw: &'a str, style: Style) -> TimeElement<'a> {
        TimeElement(self.show(raw, style))
    }

    /// A message's `creationTime` as written (an HL7 timestamp, local time) to the
    /// second; an RFC 3339 instant in the zone; else as it is. Escaped.
    pub(super) fn created<'a>(&self, raw: &'a str) -> Shown<'a> {
        let local = match Timestamp::parse(raw) {
            Ok(ts) => Some(ts.local()),
            Err(_) => instant(raw).map(|at| self.local(at)),
        };
        Shown {
            local,
            today: self.today,
            raw,
            style: Style::Seconds,
        }
    }
}

/// `raw` as an instant, when it is RFC 3339.
pub(super) fn instant(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// A time shown to people (see [`Clock::show`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Shown<'a> {
    local: Option<NaiveDateTime>,
    today: Option<NaiveDate>,
    raw: &'a str,
    style: Style,
}

impl Shown<'_> {
    /// Whether the string was a time.
    pub(super) fn is_time(&self) -> bool {
        self.local.is_some()
    }
}

impl Display for Shown<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let Some(local) = self.local else {
            return esc(self.raw).fmt(f);
        };
        let date = local.date();
        let with_date = match self.style {
            Style::Full | Style::Seconds => true,
            Style::Short => self.today != Some(date),
            Style::TimeOfDay => false,
        };
        if with_date {
            write!(
                f,
                "{:04}-{:02}-{:02} ",
                date.year(),
                date.month(),
                date.day()
            )?;
        }
        write!(f, "{:02}:{:02}", local.hour(), local.minute())?;
        if self.style == Style::Seconds {
            write!(f, ":{:02}", local.second())?;
        }
        Ok(())
    }
}

/// A time as a `<time>` element (see [`Clock::element`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct TimeElement<'a>(Shown<'a>);

impl Display for TimeElement<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0.is_time() {
            write!(
                f,
                "<time datetime=\"{}\">{}</time>",
                esc(self.0.raw.trim()),
                self.0
            )
        } else {
            self.0.fmt(f)
        }
    }
}
