//! The receiver's watchdog end to end: the real binary with `expect_by` a few seconds
//! ahead, emails through a real SMTP server (aiosmtpd). One alert when no set arrived,
//! never a second one (not on a later check, not after a restart), `/readyz` degraded
//! meanwhile, and one resolution email when a set arrives. Also the quarantine alert
//! over real SMTP.

use crate::support::envelope;
use crate::support::gateway::{self, Gateway, receiver_config};
use crate::support::smtp::{Received, SmtpServer};
use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use chrono_tz::Europe::Amsterdam;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an email may take from the event to the Maildir.
const MAIL_LIMIT: Duration = Duration::from_secs(10);

/// How long to watch for a second email that must not come.
const QUIET: Duration = Duration::from_secs(2);

/// The `[mail]` lines for the aiosmtpd on `port`.
fn smtp_mail(port: u16) -> String {
    format!(
        "transport = \"smtp\"\n\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\""
    )
}

fn local_now() -> DateTime<chrono_tz::Tz> {
    Utc::now().with_timezone(&Amsterdam)
}

/// Waits, when needed, so that the next `seconds` do not cross local midnight: the
/// watchdog's day must not change under a test.
fn away_from_midnight(seconds: i64) {
    let now = local_now();
    let later = now + Span::seconds(seconds);
    if later.date_naive() != now.date_naive() {
        let midnight = later
            .date_naive()
            .and_hms_opt(0, 0, 1)
            .unwrap()
            .and_local_timezone(Amsterdam)
            .earliest()
            .unwrap();
        std::thread::sleep((midnight - now).to_std().unwrap_or_default());
    }
}

/// Starts a receiver mailing through `smtp` whose `expect_by` is `lead` seconds from
/// now (local time, `HH:MM:SS`); returns it with today's local date.
fn receiver_expecting_in(dir: &Path, smtp: &SmtpServer, lead: i64) -> (Gateway, NaiveDate) {
    away_from_midnight(lead + 20);
    let expect_by = local_now() + Span::seconds(lead);
    let extra = format!("expect_by = \"{}\"", expect_by.format("%H:%M:%S"));
    let config = receiver_config(dir, &extra, &smtp_mail(smtp.port()));
    (gateway::start(dir, &config), expect_by.date_naive())
}

/// Waits until the server holds `count` messages, then returns them.
fn wait_for_mails(smtp: &SmtpServer, count: usize) -> Vec<Received> {
    let deadline = Instant::now() + MAIL_LIMIT;
    loop {
        let messages = smtp.messages();
        if messages.len() >= count {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "expected {count} email(s) within {MAIL_LIMIT:?}, got {}: {:?}",
            messages.len(),
            messages.iter().map(Received::subject).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Watches the server for [`QUIET`] and checks it still holds exactly `count` messages.
fn no_more_mails(smtp: &SmtpServer, count: usize) -> Vec<Received> {
    std::thread::sleep(QUIET);
    let messages = smtp.messages();
    assert_eq!(
        messages.len(),
        count,
        "one email per event: {:?}",
        messages.iter().map(Received::subject).collect::<Vec<_>>()
    );
    messages
}

fn post_ca(gateway: &Gateway, body: &str) {
    let response = gateway.post(body.as_bytes());
    let text = response.text();
    assert_eq!(response.status, 200, "{text}");
    assert!(text.contains("<acknowledgement typeCode=\"CA\">"), "{text}");
}

fn assert_alert(mail: &Received, date: NaiveDate) {
    assert_eq!(
        mail.message_id().as_deref(),
        Some(format!("<watchdog-alert-{date}@lotgate>").as_str())
    );
    assert_eq!(
        mail.subject().as_deref(),
        Some(format!("lotgate: no lot numbers received ({date})").as_str())
    );
    let mut recipients = mail.envelope_recipients();
    recipients.sort();
    assert_eq!(recipients, ["beheer@example.org", "jgz@example.org"]);
    assert!(
        mail.body().contains("No set has ever been received"),
        "{}",
        mail.body()
    );
}

fn assert_stale(gateway: &Gateway, stale: bool) {
    let ready = gateway.admin_get("/readyz");
    assert_eq!(ready.status, 200, "{}", ready.text());
    // Read raw on purpose: /readyz's and /api/v1/set's key names as written on the wire
    // (the other tests read them as lotgate::api's types).
    let ready = ready.json();
    assert_eq!(ready["stale"], stale, "{ready}");
    assert_eq!(
        ready["status"],
        if stale { "degraded" } else { "ready" },
        "{ready}"
    );
    assert_eq!(ready["reason"].is_string(), stale, "{ready}");
    let set = gateway.admin_get("/api/v1/set").json();
    assert_eq!(set["stale"], stale, "{set}");
}

#[test]
fn one_alert_at_expect_by_then_one_resolution_when_a_set_arrives() {
    let smtp = SmtpServer::start();
    let temp = tempfile::tempdir().unwrap();
    let (gateway, today) = receiver_expecting_in(temp.path(), &smtp, 2);

    let alert = wait_for_mails(&smtp, 1);
    assert_alert(&alert[0], today);
    assert_stale(&gateway, true);
    let reason = gateway.readiness().reason;
    assert!(
        reason
            .as_deref()
            .expect("a reason")
            .contains(&today.to_string()),
        "{reason:?}"
    );
    no_more_mails(&smtp, 1);

    post_ca(&gateway, &envelope(20, "WATCHDOG-LATE"));
    let mails = wait_for_mails(&smtp, 2);
    let resolution = &mails[1];
    assert_eq!(
        resolution.message_id().as_deref(),
        Some(format!("<watchdog-resolved-{today}@lotgate>").as_str())
    );
    assert_eq!(
        resolution.subject().as_deref(),
        Some(format!("lotgate: lot numbers received again (alert of {today})").as_str())
    );
    let body = resolution.body();
    assert!(body.contains("WATCHDOG-LATE"), "{body}");
    assert!(body.contains("Lot numbers: 20"), "{body}");
    assert_stale(&gateway, false);
    no_more_mails(&smtp, 2);
}

#[test]
fn a_restart_after_the_alert_does_not_alert_again() {
    let smtp = SmtpServer::start();
    let temp = tempfile::tempdir().unwrap();
    let (mut gateway, today) = receiver_expecting_in(temp.path(), &smtp, 2);
    assert_alert(&wait_for_mails(&smtp, 1)[0], today);
    // Give the worker a moment to mark the mail sent: a kill before that would resend
    // it (with the same Message-ID), which is allowed but not what this test is about.
    no_more_mails(&smtp, 1);

    gateway.restart();
    assert_stale(&gateway, true);
    no_more_mails(&smtp, 1);

    // The open alert survived the restart: a set now resolves it.
    post_ca(&gateway, &envelope(5, "AFTER-RESTART"));
    let mails = wait_for_mails(&smtp, 2);
    assert_eq!(
        mails[1].message_id().as_deref(),
        Some(format!("<watchdog-resolved-{today}@lotgate>").as_str())
    );
    assert_stale(&gateway, false);
}

#[test]
fn the_quarantine_alert_arrives_once_over_smtp() {
    let smtp = SmtpServer::start();
    let temp = tempfile::tempdir().unwrap();
    // No watchdog alert in this test: the set is expected by the end of the day.
    away_from_midnight(90);
    let config = receiver_config(
        temp.path(),
        "expect_by = \"23:59:59\"",
        &smtp_mail(smtp.port()),
    );
    let gateway = gateway::start(temp.path(), &config);
    post_ca(&gateway, &envelope(100, "FULL"));
    let small = envelope(10, "SMALL").replace("20260601020000", "20260602020000");
    let response = gateway.post(small.as_bytes()).text();
    assert!(response.contains("[set.quarantined]"), "{response}");

    let mails = wait_for_mails(&smtp, 1);
    let alert = &mails[0];
    let message_id = alert.message_id().unwrap_or_default();
    assert!(
        message_id.starts_with("<quarantine-") && message_id.ends_with("@lotgate>"),
        "{message_id}"
    );
    assert!(
        alert.subject().unwrap_or_default().contains("held back"),
        "{:?}",
        alert.subject()
    );
    assert!(alert.body().contains("SMALL"), "{}", alert.body());
    assert_eq!(alert.envelope_recipients(), ["beheer@example.org"]);
    no_more_mails(&smtp, 1);
    assert_stale(&gateway, false);
}
