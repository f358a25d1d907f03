//! Tests of the sender's emails.
use super::*;
use crate::config::Config;
use crate::ids::MessageId;
use crate::mail::Mail;
use crate::store::{Attempt, BuiltMessage, Trigger};
use crate::timestamp::Timestamp;
use chrono::NaiveDate;

/// A sender configuration with two destinations; `language` `None` leaves the default.
fn config(language: Option<&str>) -> Config {
    let gateway = language.map_or(String::new(), |l| {
        format!("[gateway]\nlanguage = \"{l}\"\n")
    });
    Config::parse(
        &format!(
            r#"
{gateway}
[mail]
from = "lotgate@example.org"

[sender]
application_id = "99999001"
administrators = ["beheer@example.org", "Jan <jan@example.org>"]

[sender.source]
file = "inventory.csv"

[sender.tls]
certificate = "sender.pem"
private_key_file = "sender-key.pem"
roots = ["receiver-ca.pem"]

[[sender.destination]]
name = "ggd-a"
url = "https://dd-jgz.example/jgz/partijnummers"
application_id = "99999002"
contact = {{ name = "J. Jansen", email = "jgz-a@example.org" }}

[[sender.destination]]
name = "ggd_b"
url = "https://ggd-b.example/lotgate"
application_id = "99999003"
contact = {{ email = "jgz-b@example.org" }}
"#
        ),
        std::path::Path::new("/etc/lotgate"),
    )
    .unwrap()
}

fn writer(config: &Config) -> Writer {
    let sender = config.sender.as_ref().unwrap();
    Writer {
        config: std::sync::Arc::new(sender.clone()),
        zone: sender.schedule.time_zone,
        language: config.gateway.language,
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn attempt(at: &str, outcome: Option<AttemptOutcome>, detail: &str) -> Attempt {
    Attempt {
        at: utc(at),
        outcome,
        detail: crate::language::Text::verbatim(detail),
        answer_lost: false,
        http_status: None,
        duration_ms: None,
    }
}

fn delivery(id: u64, destination: &str, attempts: Vec<Attempt>, built: bool) -> Delivery {
    let message = built.then(|| {
        BuiltMessage::new(
            MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", &format!("LG-{id}")).unwrap(),
            Timestamp::parse("20260601020000").unwrap(),
            1234,
            b"<message/>",
        )
    });
    Delivery {
        id,
        destination: destination.to_owned(),
        trigger: Trigger::Nightly,
        night: NaiveDate::from_ymd_opt(2026, 6, 1),
        start: utc("2026-06-01T00:00:00Z"),
        escalate_at: Some(utc("2026-06-01T05:00:00Z")),
        message,
        attempts,
        state: DeliveryState::Pending,
        finished_at: None,
        escalated_at: None,
        escalation_open: false,
        source_alerted: false,
        journal: None,
    }
}

fn read(entries: Vec<Entry>) -> (String, Mail) {
    assert_eq!(entries.len(), 1);
    let (id, payload) = entries.into_iter().next().unwrap();
    let mail: Mail = serde_json::from_slice(&payload).unwrap();
    assert_eq!(mail.id(), id);
    assert!(!mail.body().contains("\n\n\n"), "{}", mail.body());
    assert!(mail.body().ends_with('\n') && !mail.body().ends_with("\n\n"));
    // The id is valid: Mail::new would have refused it (and so would the JSON).
    assert!(Mail::new(&id, vec![], "", "", Utc::now()).is_ok());
    (id, mail)
}

fn administrators_only(mail: &Mail) {
    assert_eq!(
        mail.to(),
        ["beheer@example.org", "Jan <jan@example.org>"],
        "{:?}",
        mail.to()
    );
}

const NOW: &str = "2026-06-01T05:00:00Z";

#[test]
fn the_escalation_lists_every_destination_with_its_attempts() {
    let config = config(None);
    let w = writer(&config);
    assert_eq!(w.language, Language::Nl);
    let sender = config.sender.as_ref().unwrap();
    let (a, b) = (&sender.destinations[0], &sender.destinations[1]);
    let first = delivery(
        8,
        "ggd-a",
        vec![
            attempt(
                "2026-06-01T00:00:00Z",
                Some(AttemptOutcome::Transient),
                "  connection refused\n",
            ),
            attempt(
                "2026-06-01T00:10:00Z",
                Some(AttemptOutcome::Transient),
                "timeout after 60 s",
            ),
            attempt("2026-06-01T01:50:00Z", None, ""),
        ],
        true,
    );
    let second = delivery(7, "ggd_b", vec![], false);
    let (id, mail) = read(w.escalation(&[(&first, a), (&second, b)], utc(NOW)));
    assert_eq!(id, "sender-escalation-2026-06-01-7");
    administrators_only(&mail);
    assert_eq!(
        mail.subject(),
        "lotgate: partijnummers niet afgeleverd aan 2 bestemming(en) (2026-06-01)"
    );
    let body = mail.body();
    for expected in [
        "Op de escalatietijd, 07:00:00 (Europe/Amsterdam), waren de partijnummers van de \
         nacht van 2026-06-01 niet afgeleverd aan de volgende bestemming(en).",
        "== ggd-a ==",
        "URL: https://dd-jgz.example/jgz/partijnummers",
        "Applicatie-id ontvanger: 99999002",
        "Levering: 8 (aanleiding: nacht, nacht van 2026-06-01)",
        "Bericht: 2.16.840.1.113883.2.4.6.6.99999001.1/LG-8",
        "Partijnummers: 1234",
        "Status: niet afgeleverd",
        "  - 2026-06-01 02:00:00 CEST  mislukt: connection refused\n",
        "  - 2026-06-01 02:10:00 CEST  mislukt: timeout after 60 s\n",
        "  - 2026-06-01 03:50:00 CEST  onderbroken (gateway gestopt)\n",
        "Laatste fout: timeout after 60 s\nContactpersoon JGZ-organisatie: ",
        "Contactpersoon JGZ-organisatie: J. Jansen <jgz-a@example.org> — informeer deze \
         persoon.",
        "== ggd_b ==",
        "Applicatie-id ontvanger: 99999003",
        "Bericht: nog niet opgebouwd, want de bron kon niet worden gelezen",
        "Pogingen: nog geen",
        "Contactpersoon JGZ-organisatie: jgz-b@example.org — informeer deze persoon.",
        "lotgate status",
        "lotgate send-now --destination NAAM",
    ] {
        assert!(body.contains(expected), "{expected:?} not in:\n{body}");
    }
    assert!(body.find("== ggd-a ==") < body.find("== ggd_b =="));
    // The contact is named, never emailed.
    assert!(!mail.to().iter().any(|t| t.contains("jgz")));
}

#[test]
fn the_emails_in_english() {
    let config = config(Some("en"));
    let w = writer(&config);
    assert_eq!(w.language, Language::En);
    let a = &config.sender.as_ref().unwrap().destinations[0];
    let failed = delivery(
        3,
        "ggd-a",
        vec![attempt(
            "2026-01-10T01:00:00Z",
            Some(AttemptOutcome::Transient),
            "HTTP 503",
        )],
        true,
    );
    let (id, mail) = read(w.escalation(&[(&failed, a)], utc("2026-01-10T06:00:00Z")));
    assert_eq!(id, "sender-escalation-2026-01-10-3");
    administrators_only(&mail);
    assert_eq!(
        mail.subject(),
        "lotgate: lot numbers not delivered to 1 destination(s) (2026-01-10)"
    );
    for expected in [
        "At the escalation time, 07:00:00 (Europe/Amsterdam), the lot numbers of the night \
         of 2026-06-01 had not been delivered to the following destination(s).",
        "Delivery: 3 (trigger: nightly, night of 2026-06-01)",
        "State: not delivered",
        "  - 2026-01-10 02:00:00 CET  failed: HTTP 503\n",
        "Last error: HTTP 503\n",
        "JGZ contact person: J. Jansen <jgz-a@example.org> — please inform them.",
        "lotgate send-now --destination NAME",
    ] {
        assert!(
            mail.body().contains(expected),
            "{expected:?} not in:\n{}",
            mail.body()
        );
    }

    let mut rejected = failed.clone();
    rejected.attempts.push(attempt(
        "2026-01-10T01:10:00Z",
        Some(AttemptOutcome::Rejected),
        "CE: 8004 lot number missing",
    ));
    rejected.state = DeliveryState::Rejected;
    let (id, mail) = read(w.rejected(&rejected, a, utc("2026-01-10T01:10:01Z")));
    assert_eq!(id, "sender-rejected-ggd-a-3");
    assert_eq!(mail.subject(), "lotgate: lot numbers rejected by ggd-a");
    for expected in [
        "has rejected delivery 3",
        "cannot help",
        "  - 2026-01-10 02:10:00 CET  rejected: CE: 8004 lot number missing\n",
        "Last error: CE: 8004 lot number missing\n",
        "The next nightly delivery will be tried as normal.",
        "lotgate send-now --destination ggd-a",
    ] {
        assert!(
            mail.body().contains(expected),
            "{expected:?} not in:\n{}",
            mail.body()
        );
    }

    let mut delivered = failed.clone();
    delivered.attempts.push(attempt(
        "2026-01-10T07:30:00Z",
        Some(AttemptOutcome::Delivered),
        "CA",
    ));
    delivered.state = DeliveryState::Delivered;
    delivered.escalated_at = Some(utc("2026-01-10T06:00:00Z"));
    let (id, mail) = read(w.resolved(&delivered, a, utc("2026-01-10T07:30:02Z")));
    assert_eq!(id, "sender-resolved-ggd-a-3");
    assert_eq!(
        mail.subject(),
        "lotgate: lot numbers delivered to ggd-a after all"
    );
    for expected in [
        "acknowledged (CA) delivery 3 at the attempt of 2026-01-10 08:30:00 CET, after the \
         escalation email of 2026-01-10 07:00:00 CET that",
        "  - 2026-01-10 08:30:00 CET  delivered: CA\n",
        "Last error: HTTP 503\n",
        "State: delivered",
    ] {
        assert!(
            mail.body().contains(expected),
            "{expected:?} not in:\n{}",
            mail.body()
        );
    }

    let (id, mail) = read(w.source_invalid(
        "https://inventory.example/export.csv",
        "line 3: \"XYZ\" is not a vaccine code\nline 9: no lot number",
        &["ggd-a", "ggd_b"],
        11,
        utc("2026-01-09T23:30:00Z"),
    ));
    assert_eq!(id, "sender-source-2026-01-10-11");
    administrators_only(&mail);
    assert_eq!(
        mail.subject(),
        "lotgate: the source of lot numbers is invalid"
    );
    for expected in [
        "    https://inventory.example/export.csv\n",
        "No message is sent until the source is valid",
        "Destination(s) waiting: ggd-a, ggd_b",
        "line 3: \"XYZ\" is not a vaccine code\nline 9: no lot number\n",
    ] {
        assert!(
            mail.body().contains(expected),
            "{expected:?} not in:\n{}",
            mail.body()
        );
    }
}

#[test]
fn rejection_resolution_and_source_in_dutch() {
    let config = config(None);
    let w = writer(&config);
    let b = &config.sender.as_ref().unwrap().destinations[1];
    let mut rejected = delivery(
        12,
        "ggd_b",
        vec![attempt(
            "2026-06-01T00:00:00Z",
            Some(AttemptOutcome::Rejected),
            "CR: onbekende zender",
        )],
        true,
    );
    rejected.state = DeliveryState::Rejected;
    let (id, mail) = read(w.rejected(&rejected, b, utc("2026-06-01T00:00:02Z")));
    assert_eq!(id, "sender-rejected-ggd_b-12");
    administrators_only(&mail);
    assert_eq!(
        mail.subject(),
        "lotgate: partijnummers geweigerd door ggd_b"
    );
    for expected in [
        "heeft levering 12 geweigerd",
        "kan niet helpen",
        "  - 2026-06-01 02:00:00 CEST  geweigerd: CR: onbekende zender\n",
        "Status: geweigerd",
        "lotgate send-now --destination ggd_b",
    ] {
        assert!(
            mail.body().contains(expected),
            "{expected:?} not in:\n{}",
            mail.body()
        );
    }

    let mut delivered = delivery(
        13,
        "ggd_b",
        vec![attempt(
            "2026-06-01T06:00:00Z",
            Some(AttemptOutcome::Delivered),
            "",
        )],
        true,
    );
    delivered.state = DeliveryState::Delivered;
    let (id, mail) = read(w.resolved(&delivered, b, utc("2026-06-01T06:00:01Z")));
    assert_eq!(id, "sender-resolved-ggd_b-13");
    assert_eq!(
        mail.subject(),
        "lotgate: partijnummers alsnog afgeleverd aan ggd_b"
    );
    assert!(
        mail.body().contains(
            "levering 13 bevestigd (CA) bij de poging van 2026-06-01 08:00:00 CEST, na de \
             escalatiemail dat"
        ),
        "{}",
        mail.body()
    );
    assert!(!mail.body().contains("Laatste fout"), "{}", mail.body());

    let (id, mail) = read(w.source_invalid(
        "/srv/export/inventory.csv",
        "regel 3: geen partijnummer\n",
        &["ggd-a"],
        14,
        utc(NOW),
    ));
    assert_eq!(id, "sender-source-2026-06-01-14");
    assert_eq!(mail.subject(), "lotgate: bron met partijnummers ongeldig");
    for expected in [
        "    /srv/export/inventory.csv\n",
        "Wachtende bestemming(en): ggd-a",
        "\nregel 3: geen partijnummer\n",
        "Er wordt geen bericht verstuurd zolang de bron niet geldig is",
    ] {
        assert!(
            mail.body().contains(expected),
            "{expected:?} not in:\n{}",
            mail.body()
        );
    }
}

#[test]
fn a_long_detail_is_cut() {
    let config = config(None);
    let w = writer(&config);
    let a = &config.sender.as_ref().unwrap().destinations[0];
    let long = "é".repeat(2_000);
    let failed = delivery(
        5,
        "ggd-a",
        vec![attempt(
            "2026-06-01T00:00:00Z",
            Some(AttemptOutcome::Transient),
            &long,
        )],
        true,
    );
    let (_, mail) = read(w.escalation(&[(&failed, a)], utc(NOW)));
    let cut = format!("{}…\n", "é".repeat(MAX_DETAIL_CHARS));
    assert!(
        mail.body()
            .contains(&format!("  - 2026-06-01 02:00:00 CEST  mislukt: {cut}")),
        "{}",
        mail.body()
    );
    assert!(mail.body().contains(&format!("Laatste fout: {cut}")));
    assert!(!mail.body().contains(&"é".repeat(MAX_DETAIL_CHARS + 1)));
    // A detail of exactly the limit is kept whole.
    assert_eq!(quote(&"x".repeat(MAX_DETAIL_CHARS)).chars().count(), 500);
    // Further lines are indented under the attempt, keeping their own indentation.
    assert_eq!(
        quote(" CE\n  8004: missing \n"),
        "CE\n        8004: missing"
    );
}

#[test]
fn an_empty_escalation_writes_nothing() {
    let config = config(None);
    assert!(writer(&config).escalation(&[], utc(NOW)).is_empty());
}

#[test]
fn the_longest_destination_name_gives_a_valid_id() {
    let mut config = config(None);
    let sender = config.sender.as_mut().unwrap();
    sender.destinations[0].name = format!("{}-", "a".repeat(63));
    let config = config;
    let w = writer(&config);
    let a = &config.sender.as_ref().unwrap().destinations[0];
    let rejected = delivery(u64::MAX, &a.name, vec![], true);
    let (id, _) = read(w.rejected(&rejected, a, utc(NOW)));
    assert!(id.ends_with(&format!("--{}", u64::MAX)), "{id}");
    let (id, _) = read(w.resolved(&rejected, a, utc(NOW)));
    assert!(id.starts_with("sender-resolved-aaa"), "{id}");
}

/// An attempt whose detail is written in both languages, each marked as such.
fn attempt_in_both(at: &str, outcome: Option<AttemptOutcome>, answer_lost: bool) -> Attempt {
    Attempt {
        at: utc(at),
        outcome,
        detail: crate::language::Text::new("NL-DETAIL: verbroken", "EN-DETAIL: broken"),
        answer_lost,
        http_status: None,
        duration_ms: None,
    }
}

#[test]
fn every_email_quotes_the_attempts_in_its_own_language() {
    for (language, ours, other) in [
        (None, "NL-DETAIL: verbroken", "EN-DETAIL"),
        (Some("en"), "EN-DETAIL: broken", "NL-DETAIL"),
    ] {
        let config = config(language);
        let w = writer(&config);
        let a = &config.sender.as_ref().unwrap().destinations[0];
        let lost = delivery(
            21,
            "ggd-a",
            vec![attempt_in_both(
                "2026-06-01T00:00:00Z",
                Some(AttemptOutcome::Transient),
                true,
            )],
            true,
        );
        let mut rejected = lost.clone();
        rejected.attempts = vec![attempt_in_both(
            "2026-06-01T00:00:00Z",
            Some(AttemptOutcome::Rejected),
            false,
        )];
        rejected.state = DeliveryState::Rejected;
        let mut delivered = lost.clone();
        delivered.attempts.push(attempt(
            "2026-06-01T06:00:00Z",
            Some(AttemptOutcome::Delivered),
            "HTTP 200 OK: CA x",
        ));
        delivered.state = DeliveryState::Delivered;
        let mails = [
            ("escalation", read(w.escalation(&[(&lost, a)], utc(NOW))).1),
            ("rejection", read(w.rejected(&rejected, a, utc(NOW))).1),
            ("resolution", read(w.resolved(&delivered, a, utc(NOW))).1),
        ];
        for (kind, mail) in &mails {
            let body = mail.body();
            assert!(body.contains(ours), "{kind} {language:?}:\n{body}");
            assert!(!body.contains(other), "{kind} {language:?}:\n{body}");
            assert!(body.contains("Size: 10 bytes") || body.contains("Grootte: 10 bytes"));
        }
        // The escalation says that the last error may hide an applied message.
        let note = if language.is_none() {
            "Let op: bij die poging is het antwoord verloren gegaan"
        } else {
            "Note: the answer to that attempt was lost after the message was sent."
        };
        assert!(mails[0].1.body().contains(note), "{}", mails[0].1.body());
        assert!(!mails[1].1.body().contains(note), "not for a rejection");
        assert!(!mails[2].1.body().contains(note), "not once delivered");
    }
}

#[test]
fn each_email_is_written_in_one_language() {
    for language in [None, Some("en")] {
        let config = config(language);
        let w = writer(&config);
        let a = &config.sender.as_ref().unwrap().destinations[0];
        let detail = |outcome| attempt_in_both("2026-06-01T00:00:00Z", Some(outcome), true);
        let mut failed = delivery(5, "ggd-a", vec![detail(AttemptOutcome::Transient)], true);
        failed.escalated_at = Some(utc(NOW));
        let mut rejected = failed.clone();
        rejected.attempts = vec![detail(AttemptOutcome::Rejected)];
        rejected.state = DeliveryState::Rejected;
        let mut delivered = failed.clone();
        delivered.attempts.push(detail(AttemptOutcome::Delivered));
        delivered.state = DeliveryState::Delivered;
        let unbuilt = delivery(6, "ggd-a", vec![], false);
        let report = crate::language::Text::new("regel 3: fout", "row 3: wrong");
        let mails = [
            w.escalation(&[(&failed, a), (&unbuilt, a)], utc(NOW)),
            w.rejected(&rejected, a, utc(NOW)),
            w.resolved(&delivered, a, utc(NOW)),
            w.source_invalid(
                "/srv/export.csv",
                report.get(w.language),
                &["ggd-a"],
                5,
                utc(NOW),
            ),
        ];
        for entries in mails {
            let (_, mail) = read(entries);
            crate::language::assert_written_in(
                &format!("{}\n{}", mail.subject(), mail.body()),
                w.language,
            );
        }
    }
}
