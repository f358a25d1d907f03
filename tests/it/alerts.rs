//! Alerts that cannot silently fail: the real binary mailing through a real SMTP server
//! (aiosmtpd, `support/smtp_server.py`) that answers as each test needs — a relay that
//! refuses every recipient or one of two, a refused login, a message refused after
//! `DATA`, greylisting, and a server that never answers. For each: what is kept and
//! retried, what goes to the dead letters, what `/readyz`, `lotgate status`,
//! `lotgate mail list`, `/metrics` and the status page show, and that `lotgate mail retry` delivers exactly once after
//! the server is fixed.
//!
//! The alert is the receiver's quarantine email: a set much smaller than the one in
//! place is held back, and its administrators are told.

use crate::support::envelope;
use crate::support::gateway::{self, Gateway, receiver_config};
use crate::support::sender::wait_for;
use crate::support::smtp::{Received, SmtpServer};
use lotgate::api::{MailList, MailView, ReadyStatus};
use std::path::Path;
use std::time::Duration;

/// Every wait for something the gateway does is bounded by this.
const LIMIT: Duration = Duration::from_secs(15);

/// A receiver in `dir` mailing through the SMTP server on `port`, with `mail` lines in
/// `[mail]` (timings) and `smtp` lines in `[mail.smtp]`, and `administrators` as its
/// alert recipients.
fn receiver(dir: &Path, port: u16, mail: &str, smtp: &str, administrators: &[&str]) -> Gateway {
    let mail = format!(
        "transport = \"smtp\"\n{mail}\n\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {port}\n\
         security = \"plain\"\ntimeout = \"2s\"\n{smtp}"
    );
    // No watchdog alert beside the quarantine's: a set is expected only by the end of
    // the day.
    let config = receiver_config(dir, "expect_by = \"23:59:59\"", &mail).replacen(
        "administrators = [\"beheer@example.org\"]",
        &format!("administrators = {administrators:?}"),
        1,
    );
    gateway::start(dir, &config)
}

/// Raises the alert: a set of 30 lots, then one of 3, which is quarantined. Returns the
/// alert's mail id.
fn raise_alert(gateway: &Gateway) -> String {
    assert_eq!(gateway.post(envelope(30, "BIG").as_bytes()).status, 200);
    assert_eq!(gateway.post(envelope(3, "SMALL").as_bytes()).status, 200);
    let list = wait_for(LIMIT, || {
        let list = mail_list(gateway);
        (!list.is_empty()).then_some(list)
    })
    .unwrap_or_else(|| panic!("no alert email in the outbox:\n{}", gateway.log()));
    let ids: Vec<String> = list
        .pending
        .iter()
        .chain(&list.dead)
        .map(|m| m.id.clone())
        .collect();
    assert!(
        ids.len() == 1 && ids[0].starts_with("quarantine-"),
        "one alert, the quarantine's: {ids:?}"
    );
    ids[0].clone()
}

/// What `GET /api/v1/mail` says.
fn mail_list(gateway: &Gateway) -> MailList {
    let answer = gateway.admin_get("/api/v1/mail");
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.answer()
}

/// Waits until the pending mail `id` has been tried and its last answer contains
/// `answer`; returns it.
fn pending_with(gateway: &Gateway, id: &str, answer: &str) -> MailView {
    wait_for(LIMIT, || {
        mail_list(gateway).pending.into_iter().find(|m| {
            m.id == id && m.tries > 0 && m.last_error.as_deref().is_some_and(|e| e.contains(answer))
        })
    })
    .unwrap_or_else(|| {
        panic!(
            "mail {id} not pending with {answer:?}: {:#?}\n{}",
            mail_list(gateway),
            gateway.log()
        )
    })
}

/// The receiver's mail as `/metrics` counts it: waiting, dead, the oldest waiting one's
/// age in seconds, and mails sent.
fn mail_metrics(gateway: &Gateway) -> [f64; 4] {
    let scrape = gateway.admin_get("/metrics").text();
    [
        "outbox_pending",
        "dead_letters",
        "oldest_pending_age_seconds",
        "sent_total",
    ]
    .map(|name| {
        let key = format!("lotgate_mail_{name}{{role=\"receiver\"}} ");
        scrape
            .lines()
            .find_map(|l| l.strip_prefix(&key))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in:\n{scrape}"))
    })
}

/// The status page's counts of waiting and dead mail (`#mail-pending[data-count]`,
/// `#mail-dead[data-count]`).
fn page_counts(gateway: &Gateway) -> (String, String) {
    let page = gateway.admin_get("/").text();
    let count = |id: &str| {
        let at = page
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id}"));
        let tag = &page[at..at + page[at..].find('>').unwrap()];
        let value = tag
            .split("data-count=\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{tag}"));
        value[..value.find('"').unwrap()].to_owned()
    };
    (count("mail-pending"), count("mail-dead"))
}

/// `/readyz`: its status and reason.
fn readiness(gateway: &Gateway) -> (ReadyStatus, String) {
    let ready = gateway.readiness();
    (ready.status, ready.reason.unwrap_or_default())
}

/// Runs `lotgate ARGS` against the gateway; exit code and stdout.
fn cli(gateway: &Gateway, args: &[&str]) -> (Option<i32>, String) {
    let out = gateway.cli(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "lotgate {args:?}: {stderr}");
    (out.status.code(), stdout)
}

/// Restarts the SMTP server answering as `mode`.
fn fix(smtp: &mut SmtpServer, mode: &str) {
    smtp.stop();
    smtp.set_mode(mode);
    smtp.restart();
}

/// The messages with this `Message-ID`, after a moment for a second copy to show up.
fn delivered(smtp: &SmtpServer, id: &str) -> Vec<Received> {
    let message_id = format!("<{id}@lotgate>");
    let arrived = |smtp: &SmtpServer| {
        smtp.messages()
            .into_iter()
            .filter(|m| m.message_id().as_deref() == Some(message_id.as_str()))
            .collect::<Vec<_>>()
    };
    wait_for(LIMIT, || Some(arrived(smtp)).filter(|m| !m.is_empty()))
        .unwrap_or_else(|| panic!("{id} did not arrive"));
    std::thread::sleep(Duration::from_secs(2));
    arrived(smtp)
}

/// `lotgate mail retry ID`, which must succeed.
fn retry(gateway: &Gateway, id: &str) {
    let (code, stdout) = cli(gateway, &["mail", "retry", id]);
    assert_eq!(code, Some(0), "{stdout}");
}

#[test]
fn a_relay_refusing_every_recipient_keeps_the_alert_raised_until_it_is_retried() {
    let mut smtp = SmtpServer::start_scripted("rcpt-550-all");
    let temp = tempfile::tempdir().expect("temp dir");
    // Slow retries of a refused mail, so that only the operator's retry sends it.
    let gateway = receiver(
        temp.path(),
        smtp.port(),
        "refused_retry = \"1h\"\npending_alarm = \"1s\"",
        "",
        &["beheer@example.org"],
    );
    let id = raise_alert(&gateway);
    let mail = pending_with(&gateway, &id, "550");
    assert!(mail.refused_since.is_some(), "{mail:#?}");
    assert!(mail.subject.contains("held back"), "{mail:#?}");
    assert!(mail_list(&gateway).dead.is_empty(), "kept, not dead");

    // Raised everywhere once it has waited longer than pending_alarm.
    std::thread::sleep(Duration::from_millis(1500));
    let (status, reason) = readiness(&gateway);
    assert_eq!(status, ReadyStatus::Degraded, "{reason}");
    assert!(
        reason.contains(&format!("alert email {id} (receiver) has waited"))
            && reason.contains("550"),
        "{reason}"
    );
    let (code, text) = cli(&gateway, &["status"]);
    assert_eq!(code, Some(0), "{text}");
    for expected in [
        &id,
        "held back",
        "-> beheer@example.org",
        "1 tries",
        "the mail server refuses us (configuration?) since",
        "last answer: ",
        "550",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let (code, listed) = cli(&gateway, &["mail", "list"]);
    assert_eq!(code, Some(0));
    assert!(
        listed.starts_with("Mails waiting (1):") && listed.contains(&id),
        "{listed}"
    );
    let [pending, dead, oldest, sent] = mail_metrics(&gateway);
    assert_eq!((pending, dead, sent), (1.0, 0.0, 0.0));
    assert!(oldest >= 1.0, "waited {oldest} s");
    assert_eq!(page_counts(&gateway), ("1".to_owned(), "0".to_owned()));

    // Fixed: one retry delivers it, exactly once, and the gateway is ready again.
    fix(&mut smtp, "accept");
    retry(&gateway, &id);
    assert_eq!(delivered(&smtp, &id).len(), 1);
    assert!(mail_list(&gateway).is_empty());
    assert_eq!(readiness(&gateway).0, ReadyStatus::Ready);
    assert_eq!(mail_metrics(&gateway), [0.0, 0.0, 0.0, 1.0]);
    assert_eq!(page_counts(&gateway), ("0".to_owned(), "0".to_owned()));
}

#[test]
fn one_refused_recipient_of_two_gets_a_dead_letter_and_the_other_the_alert() {
    let mut smtp = SmtpServer::start_scripted("rcpt-550-one");
    let temp = tempfile::tempdir().expect("temp dir");
    let gateway = receiver(
        temp.path(),
        smtp.port(),
        "",
        "",
        &["beheer@example.org", "refused-jgz@example.org"],
    );
    let id = raise_alert(&gateway);
    let first = delivered(&smtp, &id);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].envelope_recipients(), ["beheer@example.org"]);
    let dead = wait_for(LIMIT, || {
        let list = mail_list(&gateway);
        (list.pending.is_empty() && !list.dead.is_empty()).then_some(list.dead)
    })
    .expect("a dead letter");
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0].to, ["refused-jgz@example.org"]);
    let reason = dead[0].reason.as_deref().unwrap_or("");
    assert!(
        reason.contains("refused-jgz@example.org") && reason.contains("550"),
        "{reason}"
    );
    let (status, why) = readiness(&gateway);
    assert_eq!(status, ReadyStatus::Degraded);
    assert!(
        why.contains(&format!(
            "alert email {id} (receiver) could not be delivered"
        )),
        "{why}"
    );
    let (_, listed) = cli(&gateway, &["mail", "list", "--dead"]);
    assert!(
        listed.starts_with("Dead letters (1):") && listed.contains("-> refused-jgz@example.org"),
        "{listed}"
    );
    assert_eq!(mail_metrics(&gateway), [0.0, 1.0, 0.0, 1.0]);
    assert_eq!(page_counts(&gateway), ("0".to_owned(), "1".to_owned()));

    // The address is fixed at the relay: the retry reaches the refused recipient only.
    fix(&mut smtp, "accept");
    retry(&gateway, &id);
    let all = delivered(&smtp, &id);
    assert_eq!(all.len(), 2, "one copy each");
    assert_eq!(all[1].envelope_recipients(), ["refused-jgz@example.org"]);
    assert!(mail_list(&gateway).is_empty());
    assert_eq!(readiness(&gateway).0, ReadyStatus::Ready);
}

#[test]
fn a_refused_login_keeps_the_alert_until_the_login_works() {
    let mut smtp = SmtpServer::start_scripted("auth-535");
    let temp = tempfile::tempdir().expect("temp dir");
    let password = temp.path().join("smtp-password");
    std::fs::write(&password, "geheim-wachtwoord\n").expect("write");
    let gateway = receiver(
        temp.path(),
        smtp.port(),
        "refused_retry = \"1h\"",
        &format!(
            "username = \"lotgate\"\npassword_file = \"{}\"",
            password.display()
        ),
        &["beheer@example.org"],
    );
    let id = raise_alert(&gateway);
    let mail = pending_with(&gateway, &id, "535");
    assert!(mail.refused_since.is_some(), "{mail:#?}");
    assert!(
        mail.last_error
            .as_deref()
            .is_some_and(|e| e.contains("our login"))
    );
    assert!(!gateway.log().contains("geheim"));
    assert_eq!(mail_metrics(&gateway)[..2], [1.0, 0.0]);

    fix(&mut smtp, "auth-ok");
    retry(&gateway, &id);
    assert_eq!(delivered(&smtp, &id).len(), 1);
    assert!(mail_list(&gateway).is_empty());
}

#[test]
fn a_message_refused_after_data_is_dead_at_once_and_can_be_retried() {
    let mut smtp = SmtpServer::start_scripted("data-554");
    let temp = tempfile::tempdir().expect("temp dir");
    let gateway = receiver(temp.path(), smtp.port(), "", "", &["beheer@example.org"]);
    let id = raise_alert(&gateway);
    let dead = wait_for(LIMIT, || {
        let list = mail_list(&gateway);
        (list.pending.is_empty() && !list.dead.is_empty()).then_some(list.dead)
    })
    .expect("a dead letter");
    assert_eq!(dead[0].id, id);
    assert!(
        dead[0].reason.as_deref().is_some_and(|r| r.contains("554")),
        "{dead:#?}"
    );
    assert_eq!(readiness(&gateway).0, ReadyStatus::Degraded);
    assert!(smtp.messages().is_empty());
    assert_eq!(mail_metrics(&gateway), [0.0, 1.0, 0.0, 0.0]);
    assert_eq!(page_counts(&gateway), ("0".to_owned(), "1".to_owned()));

    fix(&mut smtp, "accept");
    retry(&gateway, &id);
    assert_eq!(delivered(&smtp, &id).len(), 1);
    assert!(mail_list(&gateway).is_empty());
    assert_eq!(readiness(&gateway).0, ReadyStatus::Ready);
    assert_eq!(mail_metrics(&gateway), [0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn greylisting_delays_the_alert_and_it_arrives_once() {
    let smtp = SmtpServer::start_scripted("greylist");
    let temp = tempfile::tempdir().expect("temp dir");
    let gateway = receiver(
        temp.path(),
        smtp.port(),
        "retry_max = \"1s\"",
        "",
        &["beheer@example.org"],
    );
    let id = raise_alert(&gateway);
    assert_eq!(delivered(&smtp, &id).len(), 1);
    assert!(mail_list(&gateway).is_empty(), "nothing kept, nothing dead");
    assert!(gateway.log().contains("451"), "the first try was put off");
    assert_eq!(readiness(&gateway).0, ReadyStatus::Ready);
    assert_eq!(mail_metrics(&gateway), [0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn a_server_that_never_answers_keeps_the_alert_raised_until_it_does() {
    let mut smtp = SmtpServer::start_scripted("accept");
    smtp.stop();
    // Its port now accepts connections and never says a word.
    let silent = std::net::TcpListener::bind(("127.0.0.1", smtp.port())).expect("the port");
    let temp = tempfile::tempdir().expect("temp dir");
    let gateway = receiver(
        temp.path(),
        smtp.port(),
        "retry_max = \"1h\"\npending_alarm = \"1s\"",
        "",
        &["beheer@example.org"],
    );
    let id = raise_alert(&gateway);
    let mail = pending_with(&gateway, &id, "did not finish within 2s");
    assert_eq!(mail.refused_since, None, "not refused: transient");
    std::thread::sleep(Duration::from_millis(1500));
    let (status, reason) = readiness(&gateway);
    assert_eq!(status, ReadyStatus::Degraded);
    assert!(reason.contains("did not finish within 2s"), "{reason}");
    assert_eq!(mail_metrics(&gateway)[..2], [1.0, 0.0]);

    drop(silent);
    smtp.restart();
    retry(&gateway, &id);
    assert_eq!(delivered(&smtp, &id).len(), 1);
    assert!(mail_list(&gateway).is_empty());
}

#[test]
fn the_senders_alerts_take_the_same_path() {
    let smtp = SmtpServer::start_scripted("rcpt-550-all");
    let temp = tempfile::tempdir().expect("temp dir");
    let mail = format!(
        "transport = \"smtp\"\nrefused_retry = \"1h\"\n\n[mail.smtp]\nhost = \"127.0.0.1\"\n\
         port = {}\nsecurity = \"plain\"\ntimeout = \"2s\"",
        smtp.port()
    );
    // A destination nobody listens on, escalated 3 s after start.
    let config = crate::support::sender::sender_config(
        temp.path(),
        &[("jgz", "http://127.0.0.1:9/jgz".to_owned(), "99999002")],
        Duration::from_secs(3),
        &mail,
    );
    crate::support::sender::installed_earlier(temp.path());
    let sender = gateway::start(temp.path(), &config);
    let escalation = wait_for(LIMIT, || {
        mail_list(&sender).pending.into_iter().find(|m| {
            m.id.starts_with("sender-escalation-")
                && m.last_error.as_deref().is_some_and(|e| e.contains("550"))
        })
    })
    .unwrap_or_else(|| panic!("no refused escalation: {:#?}", mail_list(&sender)));
    assert_eq!(escalation.role, "sender");
    assert!(escalation.refused_since.is_some(), "{escalation:#?}");
    assert!(smtp.messages().is_empty());
}
