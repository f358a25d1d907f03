//! The watchdog's pure step with exact timestamps in Europe/Amsterdam: ordinary days, both
//! DST days, late and missing sets, restarts, repeated checks; and the emails' texts.

use super::mails::{SetFacts, Writer};
use super::*;
use crate::config::Config;
use crate::ids::MessageId;
use crate::language::Language;
use crate::mail::Mail;
use crate::timestamp::Timestamp;
use chrono::{NaiveDateTime, TimeZone};

fn amsterdam(expect_by: &str) -> Watchdog {
    Watchdog::new(
        chrono_tz::Europe::Amsterdam,
        NaiveTime::parse_from_str(expect_by, "%H:%M").unwrap(),
    )
}

/// An instant written in UTC: `utc("2026-06-01 05:00:00")`.
fn utc(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap())
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const NONE: WatchdogState = WatchdogState {
    last_alert_date: None,
    alert_open: false,
};

fn open(alert_date: &str) -> WatchdogState {
    WatchdogState {
        last_alert_date: Some(date(alert_date)),
        alert_open: true,
    }
}

fn closed(alert_date: &str) -> WatchdogState {
    WatchdogState {
        last_alert_date: Some(date(alert_date)),
        alert_open: false,
    }
}

#[test]
fn an_ordinary_day() {
    let w = amsterdam("07:00");
    // 1 June is summer time (UTC+2): 07:00 local is 05:00 UTC.
    assert_eq!(w.deadline(date("2026-06-01")), utc("2026-06-01 05:00:00"));
    assert_eq!(w.start_of(date("2026-06-01")), utc("2026-05-31 22:00:00"));
    // 15 January is winter time (UTC+1).
    assert_eq!(w.deadline(date("2026-01-15")), utc("2026-01-15 06:00:00"));

    assert_eq!(
        w.next_check(utc("2026-06-01 04:59:59")),
        utc("2026-06-01 05:00:00")
    );
    assert_eq!(
        w.next_check(utc("2026-06-01 05:00:00")),
        utc("2026-06-02 05:00:00"),
        "at the deadline the next check is tomorrow's"
    );
    assert_eq!(
        w.next_check(utc("2026-06-01 21:59:59")),
        utc("2026-06-02 05:00:00")
    );

    let yesterday = Some(utc("2026-05-31 01:00:00"));
    assert_eq!(w.step(utc("2026-06-01 04:59:59"), yesterday, &NONE), None);
    assert_eq!(
        w.step(utc("2026-06-01 05:00:00"), yesterday, &NONE),
        Some(Action::Alert {
            date: date("2026-06-01")
        }),
        "exactly at 07:00"
    );
}

#[test]
fn spring_forward_day_with_expect_by_in_the_gap() {
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist and falls on
    // the first instant after the gap, 03:00 CEST = 01:00 UTC.
    let w = amsterdam("02:30");
    assert_eq!(w.deadline(date("2026-03-28")), utc("2026-03-28 01:30:00"));
    assert_eq!(w.deadline(date("2026-03-29")), utc("2026-03-29 01:00:00"));
    assert_eq!(w.deadline(date("2026-03-30")), utc("2026-03-30 00:30:00"));
    assert_eq!(
        w.next_check(utc("2026-03-28 23:00:00")),
        utc("2026-03-29 01:00:00"),
        "from local midnight"
    );
    assert_eq!(
        w.next_check(utc("2026-03-29 00:59:59")),
        utc("2026-03-29 01:00:00")
    );
    assert_eq!(
        w.next_check(utc("2026-03-29 01:00:00")),
        utc("2026-03-30 00:30:00")
    );
    let friday = Some(utc("2026-03-27 01:00:00"));
    assert_eq!(w.step(utc("2026-03-29 00:59:59"), friday, &NONE), None);
    assert_eq!(
        w.step(utc("2026-03-29 01:00:00"), friday, &NONE),
        Some(Action::Alert {
            date: date("2026-03-29")
        })
    );
}

#[test]
fn fall_back_day_with_expect_by_in_the_fold() {
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 occurs twice and falls
    // on its first occurrence, 02:30 CEST = 00:30 UTC. One alert, not two.
    let w = amsterdam("02:30");
    assert_eq!(w.deadline(date("2026-10-24")), utc("2026-10-24 00:30:00"));
    assert_eq!(w.deadline(date("2026-10-25")), utc("2026-10-25 00:30:00"));
    assert_eq!(w.deadline(date("2026-10-26")), utc("2026-10-26 01:30:00"));
    assert_eq!(
        w.next_check(utc("2026-10-24 22:00:00")),
        utc("2026-10-25 00:30:00")
    );
    assert_eq!(
        w.next_check(utc("2026-10-25 00:30:00")),
        utc("2026-10-26 01:30:00")
    );
    assert_eq!(
        w.next_check(utc("2026-10-25 01:30:00")),
        utc("2026-10-26 01:30:00"),
        "the second 02:30 is not a check"
    );
    let saturday = Some(utc("2026-10-24 00:10:00"));
    let alert = w.step(utc("2026-10-25 00:30:00"), saturday, &NONE);
    assert_eq!(
        alert,
        Some(Action::Alert {
            date: date("2026-10-25")
        })
    );
    let after = alert.unwrap().next_state(NONE);
    assert_eq!(after, open("2026-10-25"));
    assert_eq!(w.step(utc("2026-10-25 01:30:00"), saturday, &after), None);
}

#[test]
fn a_set_applied_at_06_59_means_no_alert() {
    let w = amsterdam("07:00");
    let applied = Some(utc("2026-06-01 04:59:00"));
    assert_eq!(w.step(utc("2026-06-01 05:00:00"), applied, &NONE), None);
    assert_eq!(w.stale(utc("2026-06-01 05:00:00"), applied, &NONE), None);
    // Applied at the first instant of the day counts; the last of yesterday does not.
    let midnight = Some(utc("2026-05-31 22:00:00"));
    assert_eq!(w.step(utc("2026-06-01 05:00:00"), midnight, &NONE), None);
    let late_yesterday = Some(utc("2026-05-31 21:59:59"));
    assert!(
        w.step(utc("2026-06-01 05:00:00"), late_yesterday, &NONE)
            .is_some()
    );
}

#[test]
fn a_set_at_07_01_after_the_alert_resolves_it() {
    let w = amsterdam("07:00");
    let yesterday = Some(utc("2026-05-31 01:00:00"));
    let alert = w
        .step(utc("2026-06-01 05:00:00"), yesterday, &NONE)
        .unwrap();
    let state = alert.next_state(NONE);
    assert_eq!(state, open("2026-06-01"));
    assert_eq!(
        w.stale(utc("2026-06-01 05:00:30"), yesterday, &state),
        Some(Stale::Overdue {
            date: date("2026-06-01"),
            expect_by: NaiveTime::from_hms_opt(7, 0, 0).unwrap()
        })
    );

    let at = utc("2026-06-01 05:01:00");
    let applied = Some(at);
    let resolve = w.step(at, applied, &state);
    assert_eq!(
        resolve,
        Some(Action::Resolve {
            alert_date: Some(date("2026-06-01"))
        })
    );
    let state = resolve.unwrap().next_state(state);
    assert_eq!(state, closed("2026-06-01"));
    assert_eq!(w.step(utc("2026-06-01 05:02:00"), applied, &state), None);
    assert_eq!(w.stale(utc("2026-06-01 05:02:00"), applied, &state), None);
}

#[test]
fn a_receiver_down_at_07_00_alerts_when_it_starts_at_09_00() {
    let w = amsterdam("07:00");
    let yesterday = Some(utc("2026-05-31 00:05:00"));
    assert_eq!(
        w.step(utc("2026-06-01 07:00:00"), yesterday, &NONE),
        Some(Action::Alert {
            date: date("2026-06-01")
        })
    );
    // Also with no set ever.
    assert_eq!(
        w.step(utc("2026-06-01 07:00:00"), None, &NONE),
        Some(Action::Alert {
            date: date("2026-06-01")
        })
    );
    // Started before 07:00: nothing yet, look again at 07:00.
    assert_eq!(w.step(utc("2026-06-01 03:00:00"), None, &NONE), None);
    assert_eq!(
        w.next_check(utc("2026-06-01 03:00:00")),
        utc("2026-06-01 05:00:00")
    );
}

#[test]
fn a_second_check_the_same_day_sends_no_second_alert() {
    let w = amsterdam("07:00");
    let yesterday = Some(utc("2026-05-31 00:05:00"));
    let state = open("2026-06-01");
    for now in [
        "2026-06-01 05:00:01",
        "2026-06-01 10:00:00",
        "2026-06-01 21:59:59",
    ] {
        assert_eq!(w.step(utc(now), yesterday, &state), None, "{now}");
    }
    // Also once the alert was resolved (no set since: the resolution came by hand).
    assert_eq!(
        w.step(utc("2026-06-01 12:00:00"), yesterday, &closed("2026-06-01")),
        None
    );
}

#[test]
fn yesterdays_set_only_alerts_and_every_day_without_a_set_alerts_once() {
    let w = amsterdam("07:00");
    let day_before = Some(utc("2026-05-30 01:00:00"));
    // Yesterday's alert is still open; today nothing came either: a new alert for today.
    let state = open("2026-05-31");
    assert_eq!(
        w.stale(utc("2026-06-01 03:00:00"), day_before, &state),
        Some(Stale::AlertOpen {
            alert_date: Some(date("2026-05-31"))
        }),
        "stale before 07:00 while yesterday's alert is open"
    );
    let alert = w.step(utc("2026-06-01 05:00:00"), day_before, &state);
    assert_eq!(
        alert,
        Some(Action::Alert {
            date: date("2026-06-01")
        })
    );
    assert_eq!(alert.unwrap().next_state(state), open("2026-06-01"));
    // Yesterday's set, yesterday's alert resolved: today is a new day.
    let yesterday = Some(utc("2026-05-31 06:00:00"));
    assert_eq!(
        w.step(utc("2026-06-01 05:00:00"), yesterday, &closed("2026-05-31")),
        Some(Action::Alert {
            date: date("2026-06-01")
        })
    );
}

#[test]
fn a_resolution_left_undone_comes_before_todays_alert() {
    // Alert on 31 May, set applied later that day, the resolution never recorded; the
    // receiver starts on 1 June at 09:00 and nothing came today.
    let w = amsterdam("07:00");
    let applied = Some(utc("2026-05-31 08:00:00"));
    let state = open("2026-05-31");
    let now = utc("2026-06-01 07:00:00");
    let first = w.step(now, applied, &state).unwrap();
    assert_eq!(
        first,
        Action::Resolve {
            alert_date: Some(date("2026-05-31"))
        }
    );
    let state = first.next_state(state);
    let second = w.step(now, applied, &state).unwrap();
    assert_eq!(
        second,
        Action::Alert {
            date: date("2026-06-01")
        }
    );
    assert_eq!(w.step(now, applied, &second.next_state(state)), None);
}

#[test]
fn a_set_applied_before_the_alert_day_does_not_resolve_it() {
    let w = amsterdam("07:00");
    let before = Some(utc("2026-05-31 21:59:59"));
    let state = open("2026-06-01");
    assert_eq!(w.step(utc("2026-06-01 06:00:00"), before, &state), None);
}

#[test]
fn a_day_that_starts_in_a_gap_starts_when_the_clocks_jump() {
    // Santiago de Chile springs forward at midnight: 6 September 2026 00:00 (-04) does
    // not exist, the day starts at 01:00 (-03) = 04:00 UTC.
    let w = Watchdog::new(
        chrono_tz::America::Santiago,
        NaiveTime::from_hms_opt(0, 30, 0).unwrap(),
    );
    assert_eq!(w.start_of(date("2026-09-06")), utc("2026-09-06 04:00:00"));
    assert_eq!(w.deadline(date("2026-09-06")), utc("2026-09-06 04:00:00"));
    assert_eq!(w.start_of(date("2026-09-07")), utc("2026-09-07 03:00:00"));
}

/// A receiver configuration; `language` `None` leaves the default.
fn receiver_config(language: Option<&str>) -> (Config, Language) {
    let gateway = language.map_or(String::new(), |l| {
        format!("[gateway]\nlanguage = \"{l}\"\n")
    });
    let config = Config::parse(
        &format!(
            r#"
{gateway}
[mail]
from = "lotgate@example.org"

[receiver]
application_id = "99999002"
allowed_senders = ["99999001"]
administrators = ["beheer@example.org", "Jan <jan@example.org>"]
jgz_contact = "jgz@example.org"
"#
        ),
        std::path::Path::new("/etc/lotgate"),
    )
    .unwrap();
    let language = config.gateway.language;
    (config, language)
}

fn read(entries: Vec<(String, Vec<u8>)>) -> (String, Mail) {
    assert_eq!(entries.len(), 1);
    let (id, payload) = entries.into_iter().next().unwrap();
    (id, serde_json::from_slice(&payload).unwrap())
}

#[test]
fn the_emails_in_dutch_by_default() {
    let (config, language) = receiver_config(None);
    assert_eq!(language, Language::Nl);
    let receiver = config.receiver.as_ref().unwrap();
    let writer = Writer {
        config: std::sync::Arc::new(receiver.clone()),
        zone: chrono_tz::Europe::Amsterdam,
        language,
    };
    let message_id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "LG-42").unwrap();
    let created = Timestamp::parse("20260531020000").unwrap();
    let set = SetFacts {
        message_id: &message_id,
        created: &created,
        applied_at: utc("2026-05-31 00:00:05"),
        lots: 1234,
    };
    let now = utc("2026-06-01 05:00:00");
    let (id, alert) = read(writer.alert(date("2026-06-01"), Some(set), 1, now));
    assert_eq!(id, "watchdog-alert-2026-06-01");
    assert_eq!(alert.id(), id);
    assert_eq!(
        alert.subject(),
        "lotgate: geen partijnummers ontvangen (2026-06-01)"
    );
    assert_eq!(
        alert.to(),
        [
            "beheer@example.org",
            "Jan <jan@example.org>",
            "jgz@example.org"
        ]
    );
    for expected in [
        "vóór 07:00 (Europe/Amsterdam)",
        "De vorige set blijft in gebruik",
        "LG-42",
        "Aangemaakt: 2026-05-31 02:00:00",
        "Toegepast: 2026-05-31 02:00:05 CEST",
        "Partijnummers: 1234",
        "1 set(s) in quarantaine",
    ] {
        assert!(
            alert.body().contains(expected),
            "{expected}: {}",
            alert.body()
        );
    }
    let (_, never) = read(writer.alert(date("2026-06-01"), None, 0, now));
    assert!(never.body().contains("nog nooit een set ontvangen"));
    assert!(!never.body().contains("quarantaine"));

    let (id, resolved) = read(writer.resolved(Some(date("2026-06-01")), set, now));
    assert_eq!(id, "watchdog-resolved-2026-06-01");
    assert_eq!(
        resolved.subject(),
        "lotgate: partijnummers weer ontvangen (melding van 2026-06-01)"
    );
    assert!(resolved.body().contains("Partijnummers: 1234"));
}

#[test]
fn the_emails_in_english() {
    let (config, language) = receiver_config(Some("en"));
    let writer = Writer {
        config: std::sync::Arc::new(config.receiver.clone().unwrap()),
        zone: chrono_tz::Europe::Amsterdam,
        language,
    };
    let message_id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "LG-7").unwrap();
    let created = Timestamp::parse("20260601070100").unwrap();
    let set = SetFacts {
        message_id: &message_id,
        created: &created,
        applied_at: utc("2026-06-01 05:01:00"),
        lots: 7,
    };
    let (_, alert) = read(writer.alert(date("2026-06-01"), None, 0, utc("2026-06-01 05:00:00")));
    assert_eq!(
        alert.subject(),
        "lotgate: no lot numbers received (2026-06-01)"
    );
    let (_, resolved) = read(writer.resolved(None, set, utc("2026-06-01 05:01:00")));
    assert_eq!(resolved.id(), "watchdog-resolved-2026-06-01");
    assert_eq!(
        resolved.subject(),
        "lotgate: lot numbers received again (alert of 2026-06-01)"
    );
    assert!(
        resolved.body().contains("Lot numbers: 7"),
        "{}",
        resolved.body()
    );
}

#[test]
fn each_email_is_written_in_one_language() {
    for language in [None, Some("en")] {
        let (config, language) = receiver_config(language);
        let writer = Writer {
            config: std::sync::Arc::new(config.receiver.clone().unwrap()),
            zone: chrono_tz::Europe::Amsterdam,
            language,
        };
        let message_id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "LG-7").unwrap();
        let created = Timestamp::parse("20260601020000").unwrap();
        let set = SetFacts {
            message_id: &message_id,
            created: &created,
            applied_at: utc("2026-06-01 08:00:00"),
            lots: 12,
        };
        let now = utc("2026-06-01 08:00:00");
        let day = date("2026-06-01");
        for entries in [
            writer.alert(day, Some(set), 2, now),
            writer.alert(day, None, 0, now),
            writer.resolved(Some(day), set, now),
        ] {
            let (_, mail) = read(entries);
            crate::language::assert_written_in(
                &format!("{}\n{}", mail.subject(), mail.body()),
                language,
            );
        }
    }
}

#[test]
fn why_a_set_is_stale_is_said_in_either_language() {
    let overdue = Stale::Overdue {
        date: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        expect_by: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
    };
    assert_eq!(
        overdue.text(Language::Nl),
        "er is op 2026-06-01 geen set partijnummers toegepast; die werd verwacht vóór 07:00:00"
    );
    assert_eq!(overdue.text(Language::En), overdue.to_string());
    for stale in [
        overdue,
        Stale::AlertOpen {
            alert_date: NaiveDate::from_ymd_opt(2026, 5, 31),
        },
        Stale::AlertOpen { alert_date: None },
    ] {
        for language in Language::ALL {
            crate::language::assert_written_in(&stale.text(language), language);
        }
    }
}
