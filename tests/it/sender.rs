//! The sender end to end: the real binary delivering to a real receiver (another
//! process) through the fault-injecting proxy, alert emails through a real SMTP server
//! or `.eml` files, SIGKILL in the middle of a night.
//!
//! The schedule runs on seconds: time zone UTC, the night's send time an hour ago (a
//! fresh sender delivers the night it missed at start-up, so the first attempt is at
//! once), attempts 2 s apart with a 3 s pause — planned at +0, 2, 4, 6, 9, 11 and 13 s —
//! an attempt timeout of 1 s, and the escalation time a number of seconds after start.

use crate::support::gateway::{self, Gateway};
use crate::support::proxy::{Fault, Proxy};
use crate::support::sender::{
    LOTS, applied, delivery, destination, installed_earlier, message, sender_config, state,
    wait_for, write_inventory,
};
use crate::support::smtp::{Received, SmtpServer};
use chrono::{DateTime, TimeDelta, Utc};
use lotgate::api::{
    DestinationStatus, OutcomeView, ReadyStatus, ReportView, StateView, TriggerView,
};
use std::path::Path;
use std::time::{Duration, Instant};

/// The planned attempts, as offsets in seconds from the delivery's start.
const GRID: [i64; 7] = [0, 2, 4, 6, 9, 11, 13];

/// The SMTP section for a real server on loopback.
fn smtp_mail(smtp: &SmtpServer) -> String {
    format!(
        "transport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\ntimeout = \"5s\"",
        smtp.port()
    )
}

/// A receiver process, a proxy in front of it, and a sender process delivering to the
/// receiver through the proxy as destination `jgz`.
struct Exchange {
    receiver: Gateway,
    proxy: Proxy,
    sender: Gateway,
    _temp: tempfile::TempDir,
}

impl Exchange {
    /// Starts the three; `faults` are planned before the sender starts, which was
    /// installed before the night it delivers at start-up.
    fn start(faults: Vec<Fault>, then: Fault, escalate_in: Duration, mail: Option<&str>) -> Self {
        let receiver = gateway::spawn_receiver("");
        let proxy = Proxy::start(receiver.exchange);
        proxy.plan(faults, then);
        let temp = tempfile::tempdir().expect("temp dir");
        let url = format!("http://{}{}", proxy.addr(), receiver.path);
        let mail = mail.map_or_else(|| gateway::file_mail(temp.path()), str::to_owned);
        let config = sender_config(temp.path(), &[("jgz", url, "99999002")], escalate_in, &mail);
        installed_earlier(temp.path());
        let sender = gateway::start(temp.path(), &config);
        Exchange {
            receiver,
            proxy,
            sender,
            _temp: temp,
        }
    }

    /// The sender's status of destination `jgz`.
    fn status(&self) -> DestinationStatus {
        destination(&self.sender, "jgz")
    }

    /// Waits until the delivery to `jgz` is no longer pending (or `limit` passes).
    fn wait_finished(&self, limit: Duration) -> DestinationStatus {
        wait_for(limit, || {
            let status = self.status();
            matches!(
                state(&status),
                Some(StateView::Delivered | StateView::Rejected)
            )
            .then_some(status)
        })
        .unwrap_or_else(|| panic!("delivery not finished in {limit:?}: {:#?}", self.status()))
    }

    /// The import reports of the receiver whose set was applied.
    fn applied(&self) -> Vec<ReportView> {
        applied(&self.receiver)
    }
}

fn time(value: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| panic!("not a time: {value}"))
}

/// The attempts of a destination's delivery: (time, outcome, detail).
fn attempts(status: &DestinationStatus) -> Vec<(DateTime<Utc>, OutcomeView, String)> {
    status
        .delivery
        .iter()
        .flat_map(|d| &d.attempts)
        .map(|a| (time(&a.at), a.outcome, a.detail.clone()))
        .collect()
}

/// Checks that every attempt lies in its own slot of the grid, in order, and that no
/// slot between the first and the last attempt was skipped: attempt `i` began at or
/// after planned time `i` and before planned time `i + 1`. Status times are whole
/// seconds (rounded down), hence the second of slack before the slot.
fn assert_on_grid(status: &DestinationStatus) {
    let start = time(&delivery(status).start);
    for (i, (at, outcome, _)) in attempts(status).iter().enumerate() {
        let slot = start + TimeDelta::seconds(GRID[i]);
        let next = GRID.get(i + 1).map_or(slot + TimeDelta::seconds(60), |s| {
            start + TimeDelta::seconds(*s)
        });
        assert!(
            *at >= slot - TimeDelta::seconds(1) && *at < next,
            "attempt {i} ({outcome:?}) at {at} is not in slot {slot}..{next}: {status:#?}"
        );
    }
}

#[test]
fn a_receiver_that_is_down_at_first_gets_the_set_once_it_is_up() {
    let exchange = Exchange::start(
        vec![Fault::Refuse, Fault::Refuse],
        Fault::Pass,
        Duration::from_secs(600),
        None,
    );
    let status = exchange.wait_finished(Duration::from_secs(20));
    let attempts = attempts(&status);
    let outcomes: Vec<OutcomeView> = attempts.iter().map(|a| a.1).collect();
    assert_eq!(
        outcomes,
        [
            OutcomeView::Failed,
            OutcomeView::Failed,
            OutcomeView::Delivered
        ],
        "{status:#?}"
    );
    assert!(attempts[2].2.contains("CA"), "{status:#?}");
    assert_on_grid(&status);
    assert_eq!(
        exchange.proxy.log(),
        [Fault::Refuse, Fault::Refuse, Fault::Pass]
    );
    let applied = exchange.applied();
    assert_eq!(applied.len(), 1, "{applied:#?}");
    assert_eq!(applied[0].lots, LOTS);
    assert_eq!(
        applied[0].message_id.extension,
        message(&status)
            .and_then(|m| m.id.split('/').nth(1))
            .expect("message id")
    );
}

#[test]
fn http_503_is_transient() {
    let exchange = Exchange::start(
        vec![Fault::Status(503)],
        Fault::Pass,
        Duration::from_secs(600),
        None,
    );
    let status = exchange.wait_finished(Duration::from_secs(20));
    let attempts = attempts(&status);
    assert_eq!(attempts.len(), 2, "{status:#?}");
    assert_eq!(attempts[0].1, OutcomeView::Failed);
    assert!(attempts[0].2.contains("HTTP 503"), "{status:#?}");
    assert_eq!(attempts[1].1, OutcomeView::Delivered);
    assert_on_grid(&status);
    assert_eq!(exchange.applied().len(), 1);
}

#[test]
fn an_answer_later_than_the_attempt_timeout_is_a_failed_attempt() {
    // The receiver applies the set, but its answer comes after the sender gave up: the
    // next attempt is answered as a duplicate, and the set is applied once.
    let exchange = Exchange::start(
        vec![Fault::DelayResponse(Duration::from_millis(2500))],
        Fault::Pass,
        Duration::from_secs(600),
        None,
    );
    let status = exchange.wait_finished(Duration::from_secs(20));
    let attempts = attempts(&status);
    assert_eq!(attempts.len(), 2, "{status:#?}");
    assert_eq!(attempts[0].1, OutcomeView::Failed);
    assert!(
        attempts[0].2.contains("no complete answer within 1s"),
        "{status:#?}"
    );
    assert_eq!(attempts[1].1, OutcomeView::Delivered);
    assert_on_grid(&status);
    assert_eq!(exchange.applied().len(), 1);
}

#[test]
fn a_lost_acknowledgement_is_answered_again_and_the_set_applied_once() {
    let exchange = Exchange::start(
        vec![Fault::ResetAfterRequest, Fault::TruncateResponse(20)],
        Fault::Pass,
        Duration::from_secs(600),
        None,
    );
    let status = exchange.wait_finished(Duration::from_secs(20));
    let attempts = attempts(&status);
    let outcomes: Vec<OutcomeView> = attempts.iter().map(|a| a.1).collect();
    assert_eq!(
        outcomes,
        [
            OutcomeView::Failed,
            OutcomeView::Failed,
            OutcomeView::Delivered
        ],
        "{status:#?}"
    );
    assert_on_grid(&status);
    // All three requests reached the receiver, which applied the set once and answered
    // the two repeats from its record of the first.
    let applied = exchange.applied();
    assert_eq!(applied.len(), 1, "{applied:#?}");
    let set = exchange.receiver.set();
    assert_eq!(set.set.as_ref().map(|s| s.lots), Some(LOTS), "{set:#?}");
}

#[test]
fn a_rejection_stops_the_attempts_and_sends_one_email() {
    let mut smtp = SmtpServer::start();
    let receiver = gateway::spawn_receiver("");
    // The receiver already has a set created in 2099: every set from the sender is older,
    // which the receiver answers with CE.
    let mut message = lotgate::sample::message(3);
    message.created = lotgate::timestamp::Timestamp::parse("20990101000000").expect("time");
    let future = lotgate::wire::soap::message_envelope(&message);
    assert_eq!(receiver.post(future.as_bytes()).status, 200);
    let proxy = Proxy::start(receiver.exchange);
    let temp = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}{}", proxy.addr(), receiver.path);
    let config = sender_config(
        temp.path(),
        &[("jgz", url, "99999002")],
        Duration::from_secs(600),
        &smtp_mail(&smtp),
    );
    let sender = gateway::start(temp.path(), &config);
    let status = wait_for(Duration::from_secs(20), || {
        let status = destination(&sender, "jgz");
        (state(&status) == Some(StateView::Rejected)).then_some(status)
    })
    .expect("rejected");
    let mails = wait_for(Duration::from_secs(20), || {
        let mails = smtp.messages();
        (!mails.is_empty()).then_some(mails)
    })
    .expect("a rejection email");
    // Two more slots pass: no attempt, no second email.
    std::thread::sleep(Duration::from_secs(5));
    let later = destination(&sender, "jgz");
    assert_eq!(attempts(&later).len(), 1, "{later:#?}");
    assert_eq!(later.next_attempt, None);
    assert_eq!(proxy.connections(), 1);
    assert!(attempts(&status)[0].2.contains("CE"), "{status:#?}");
    let all = smtp.messages();
    assert_eq!(
        all.len(),
        1,
        "{:#?}",
        all.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    let mail = &mails[0];
    let subject = mail.subject().unwrap_or_default();
    assert!(subject.contains("rejected by jgz"), "{subject}");
    let body = mail.body();
    assert!(body.contains("CE"), "{body}");
    // The acknowledgement's details, not only its type: in the email and the status text.
    assert!(body.contains("[message.stale]"), "{body}");
    assert_eq!(mail.envelope_recipients(), ["beheer@example.org"]);
    let out = sender.cli(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("rejected: HTTP 200 OK: CE ")
            && text.contains("\n    ")
            && text.contains("[message.stale]"),
        "{text}"
    );
    smtp.stop();
}

#[test]
fn when_every_attempt_fails_one_escalation_email_lists_them_at_the_escalation_time() {
    let smtp = SmtpServer::start();
    let escalate_in = Duration::from_secs(17);
    let escalation_at = Utc::now() + TimeDelta::from_std(escalate_in).expect("small");
    let exchange = Exchange::start(vec![], Fault::Refuse, escalate_in, Some(&smtp_mail(&smtp)));
    let mails = wait_for(Duration::from_secs(40), || {
        let mails = smtp.messages();
        (!mails.is_empty()).then_some(mails)
    })
    .expect("an escalation email");
    let arrived = Utc::now();
    // Escalation time is a whole second, written as HH:MM:SS: at most a second earlier
    // than computed here.
    assert!(
        arrived >= escalation_at - TimeDelta::seconds(1),
        "escalated at {arrived}, before {escalation_at}"
    );
    let status = exchange.status();
    let attempts = attempts(&status);
    assert_eq!(attempts.len(), 7, "{status:#?}");
    assert!(
        attempts.iter().all(|a| a.1 == OutcomeView::Failed),
        "{status:#?}"
    );
    assert_on_grid(&status);
    assert!(status.exhausted, "{status:#?}");
    // Only the escalation, once.
    std::thread::sleep(Duration::from_secs(3));
    let all = smtp.messages();
    assert_eq!(
        all.len(),
        1,
        "{:#?}",
        all.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    let mail = &mails[0];
    let subject = mail.subject().unwrap_or_default();
    assert!(
        subject.contains("not delivered to 1 destination"),
        "{subject}"
    );
    let body = mail.body();
    assert!(body.contains("jgz"), "{body}");
    assert!(body.contains("J. Jansen"), "{body}");
    for (at, _, _) in &attempts {
        let shown = at.format("%Y-%m-%d %H:%M:%S").to_string();
        assert!(
            body.contains(&shown),
            "attempt {shown} missing from\n{body}"
        );
    }
    assert!(
        body.contains(&attempts[6].2),
        "last error missing from\n{body}"
    );
    assert_eq!(exchange.applied().len(), 0);
    let ready = exchange.sender.readiness();
    assert_eq!(ready.status, ReadyStatus::Degraded, "{ready:#?}");
}

#[test]
fn an_escalation_while_smtp_is_down_arrives_once_when_it_is_back() {
    let mut smtp = SmtpServer::start();
    smtp.stop();
    let exchange = Exchange::start(
        vec![],
        Fault::Refuse,
        Duration::from_secs(15),
        Some(&smtp_mail(&smtp)),
    );
    // Past the escalation time with SMTP down: the email waits in the outbox.
    let escalated = wait_for(Duration::from_secs(30), || {
        let status = exchange.status();
        status.delivery.and_then(|d| d.escalated_at)
    })
    .expect("escalated");
    std::thread::sleep(Duration::from_secs(2));
    smtp.restart();
    let mails = wait_for(Duration::from_secs(60), || {
        let mails = smtp.messages();
        (!mails.is_empty()).then_some(mails)
    })
    .unwrap_or_else(|| panic!("no email after SMTP came back (escalated at {escalated})"));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(smtp.messages().len(), 1);
    assert!(
        mails[0]
            .subject()
            .unwrap_or_default()
            .contains("not delivered"),
        "{:?}",
        mails[0].subject()
    );
}

/// A small pseudo-random sequence (xorshift), seeded from the clock; the seed is
/// printed so a failure can be replayed.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::env::var("LOTGATE_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap_or(1) as u64 | 1);
        eprintln!("crash test seed {seed} (replay with LOTGATE_CRASH_SEED={seed})");
        Random(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn killing_the_sender_during_a_failing_night_loses_and_doubles_nothing() {
    const KILLS: usize = 24;
    let smtp = SmtpServer::start();
    let mut random = Random::new();
    // Failing until after the escalation (8 s), then the receiver is reachable.
    let mut exchange = Exchange::start(
        vec![],
        Fault::Refuse,
        Duration::from_secs(8),
        Some(&smtp_mail(&smtp)),
    );
    let started = Instant::now();
    let mut kills = 0;
    let mut passing = false;
    while kills < KILLS {
        std::thread::sleep(Duration::from_millis(150 + random.below(650)));
        if !passing && started.elapsed() >= Duration::from_millis(9500) {
            exchange.proxy.set(Fault::Pass);
            passing = true;
        }
        exchange.sender.kill();
        kills += 1;
        exchange.sender.restart();
    }
    if !passing {
        exchange.proxy.set(Fault::Pass);
    }
    let status = exchange.wait_finished(Duration::from_secs(30));
    assert_eq!(state(&status), Some(StateView::Delivered), "{status:#?}");

    // The attempts went on on the original grid: one per slot, none skipped, none
    // doubled; the ones cut off by a kill show as interrupted.
    assert_on_grid(&status);
    let attempts = attempts(&status);
    assert_eq!(attempts.last().map(|a| a.1), Some(OutcomeView::Delivered));
    assert!(
        attempts[..attempts.len() - 1]
            .iter()
            .all(|a| a.1 == OutcomeView::Failed || a.1 == OutcomeView::Interrupted),
        "{status:#?}"
    );
    // One delivery, applied once: the receiver holds exactly the message the sender
    // built for the night.
    assert_eq!(
        status.delivery.as_ref().map(|d| d.trigger),
        Some(TriggerView::MissedNight)
    );
    let applied = exchange.applied();
    assert_eq!(applied.len(), 1, "{applied:#?}");
    let sent = message(&status).expect("id").id.as_str();
    assert!(
        sent.ends_with(&format!("/{}", applied[0].message_id.extension)),
        "sender {sent}, receiver {:#?}",
        applied[0]
    );

    // The escalation (at 8 s, while failing) and its resolution both arrived; a copy
    // sent again after a kill would carry the same Message-ID.
    let mails = wait_for(Duration::from_secs(30), || {
        let mails = smtp.messages();
        let subjects: Vec<String> = mails.iter().filter_map(|m| m.subject()).collect();
        (subjects.iter().any(|s| s.contains("not delivered"))
            && subjects.iter().any(|s| s.contains("after all")))
        .then_some(mails)
    })
    .unwrap_or_else(|| {
        panic!(
            "escalation or resolution missing: {:?}\n{status:#?}",
            smtp.messages()
                .iter()
                .map(|m| m.subject())
                .collect::<Vec<_>>()
        )
    });
    for kind in ["not delivered", "after all"] {
        let ids: std::collections::BTreeSet<String> = mails
            .iter()
            .filter(|m| m.subject().is_some_and(|s| s.contains(kind)))
            .filter_map(|m| m.message_id())
            .collect();
        assert_eq!(ids.len(), 1, "{kind}: {ids:?}");
    }
    assert!(
        mails.iter().all(|m| {
            let s = m.subject().unwrap_or_default();
            s.contains("not delivered") || s.contains("after all")
        }),
        "unexpected emails: {:?}",
        mails.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    // Once delivered, a restart starts nothing new.
    let id = status.delivery.as_ref().map(|d| d.id);
    exchange.sender.restart();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(exchange.status().delivery.map(|d| d.id), id);
    assert_eq!(exchange.applied().len(), 1);
}

#[test]
fn destinations_do_not_hold_each_other_up_and_send_now_works_from_the_command_line() {
    let up = gateway::spawn_receiver("");
    let down = gateway::spawn_receiver("");
    let proxy = Proxy::start(down.exchange);
    proxy.set(Fault::DelayResponse(Duration::from_secs(5)));
    let temp = tempfile::tempdir().expect("temp dir");
    let config = sender_config(
        temp.path(),
        &[
            (
                "slow",
                format!("http://{}{}", proxy.addr(), down.path),
                "99999002",
            ),
            (
                "fast",
                format!("http://{}{}", up.exchange, up.path),
                "99999002",
            ),
        ],
        Duration::from_secs(600),
        &gateway::file_mail(temp.path()),
    );
    let sender = gateway::start(temp.path(), &config);
    // The fast destination is delivered while the slow one's attempt hangs.
    let fast = wait_for(Duration::from_secs(10), || {
        let fast = destination(&sender, "fast");
        (state(&fast) == Some(StateView::Delivered)).then_some(fast)
    })
    .expect("fast delivered");
    let slow = destination(&sender, "slow");
    assert_eq!(state(&slow), Some(StateView::Pending), "{slow:#?}");
    let fast_at = attempts(&fast)[0].0;
    assert!(
        fast_at - time(&delivery(&fast).start) < TimeDelta::seconds(1),
        "{fast:#?}"
    );
    assert_eq!(applied(&up).len(), 1);

    // send-now to one destination: a new delivery that supersedes nothing elsewhere.
    let before = destination(&sender, "slow").delivery.map(|d| d.id);
    let out = sender.cli(&["send-now", "--destination", "fast", "--wait"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("fast: delivered"), "{stdout}");
    assert_eq!(destination(&sender, "slow").delivery.map(|d| d.id), before);
    let fast = destination(&sender, "fast");
    assert_eq!(
        fast.delivery.as_ref().map(|d| d.trigger),
        Some(TriggerView::SendNow)
    );
    assert_eq!(applied(&up).len(), 2, "the new delivery is a new message");

    // status as text names both destinations and their deliveries.
    let out = sender.cli(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("slow (") && text.contains("fast ("), "{text}");
    assert!(text.contains("(send-now): delivered"), "{text}");
    assert!(text.contains("(missed night of"), "{text}");

    // An unknown destination is refused, and nothing starts.
    let out = sender.cli(&["send-now", "--destination", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no destination is called"));
    assert_eq!(applied(&up).len(), 2);
}

#[test]
fn an_invalid_source_sends_nothing_and_alerts_once_until_it_is_fixed() {
    let smtp = SmtpServer::start();
    let receiver = gateway::spawn_receiver("");
    let proxy = Proxy::start(receiver.exchange);
    let temp = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}{}", proxy.addr(), receiver.path);
    let config = sender_config(
        temp.path(),
        &[("jgz", url.clone(), "99999002"), ("other", url, "99999002")],
        Duration::from_secs(600),
        &smtp_mail(&smtp),
    );
    // A lot number listed for two vaccines.
    let inventory = temp.path().join("inventory.csv");
    std::fs::write(&inventory, "vaccine_code,lot_number\n08,OK123\n09,OK123\n").expect("write");
    let sender = gateway::start(temp.path(), &config);
    let mails = wait_for(Duration::from_secs(15), || {
        let mails = smtp.messages();
        (!mails.is_empty()).then_some(mails)
    })
    .expect("an email about the source");
    let subject = mails[0].subject().unwrap_or_default();
    assert!(
        subject.contains("source of lot numbers is invalid"),
        "{subject}"
    );
    let body = mails[0].body();
    assert!(
        body.contains("lot number OK123 is listed under vaccine type 08"),
        "{body}"
    );
    // Two more attempts fail on the source, without a second email or any message.
    let status = wait_for(Duration::from_secs(10), || {
        let status = destination(&sender, "jgz");
        (attempts(&status).len() >= 3).then_some(status)
    })
    .expect("three attempts");
    assert_eq!(message(&status), None, "{status:#?}");
    assert!(
        attempts(&status)
            .iter()
            .all(|a| a.1 == OutcomeView::Failed && a.2.starts_with("source:")),
        "{status:#?}"
    );
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(proxy.connections(), 0, "nothing was sent");

    // Fixed: the next attempt builds the message from the valid source and delivers it.
    write_inventory(&inventory);
    let status = wait_for(Duration::from_secs(15), || {
        let status = destination(&sender, "jgz");
        (state(&status) == Some(StateView::Delivered)).then_some(status)
    })
    .expect("delivered once the source is valid");
    assert_on_grid(&status);
    assert_eq!(message(&status).map(|m| m.lots), Some(LOTS));
    assert_eq!(applied(&receiver)[0].lots, LOTS);
}

#[test]
fn an_unreadable_source_is_a_failed_attempt_with_the_reason() {
    let receiver = gateway::spawn_receiver("");
    let temp = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}{}", receiver.exchange, receiver.path);
    let config = sender_config(
        temp.path(),
        &[("jgz", url, "99999002")],
        Duration::from_secs(600),
        &gateway::file_mail(temp.path()),
    );
    let inventory = temp.path().join("inventory.csv");
    std::fs::remove_file(&inventory).expect("remove");
    let sender = gateway::start(temp.path(), &config);
    let status = wait_for(Duration::from_secs(10), || {
        let status = destination(&sender, "jgz");
        (!attempts(&status).is_empty()).then_some(status)
    })
    .expect("a first attempt");
    let first = &attempts(&status)[0];
    assert_eq!(first.1, OutcomeView::Failed);
    assert!(first.2.contains("inventory.csv"), "{status:#?}");
    write_inventory(&inventory);
    let status = wait_for(Duration::from_secs(10), || {
        let status = destination(&sender, "jgz");
        (state(&status) == Some(StateView::Delivered)).then_some(status)
    })
    .expect("delivered once the source is back");
    assert_on_grid(&status);
    // An unreadable source is no reason to alert: it is retried like a failed connection.
    let mails = std::fs::read_dir(temp.path().join("mail"))
        .map(|dir| dir.count())
        .unwrap_or(0);
    assert_eq!(mails, 0);
}

/// Both roles in one process, the sender delivering to its own receiver (or to
/// `destination`, when given); the receiver expected a set an hour ago.
fn both_roles(dir: &Path, destination: Option<&str>) -> Gateway {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = destination.map_or_else(
        || format!("http://127.0.0.1:{port}/jgz/partijnummers"),
        str::to_owned,
    );
    let mut config = sender_config(
        dir,
        &[("self", url, "99999002")],
        Duration::from_secs(600),
        &gateway::file_mail(dir),
    );
    let expect_by = (Utc::now() - TimeDelta::hours(1)).format("%H:%M:%S");
    config.push_str(&format!(
        r#"
[receiver]
listen = "127.0.0.1:{port}"
application_id = "99999002"
allowed_senders = ["99999001"]
administrators = ["beheer@example.org"]
expect_by = "{expect_by}"
"#
    ));
    gateway::start(dir, &config)
}

fn mail_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("mail"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn in_one_process_the_watchdog_checks_after_the_senders_start_up_round() {
    // The start-up delivery brings the set: the watchdog, checking after it, has
    // nothing to say.
    let temp = tempfile::tempdir().expect("temp dir");
    let gateway = both_roles(temp.path(), None);
    let status = wait_for(Duration::from_secs(10), || {
        let status = destination(&gateway, "self");
        (state(&status) == Some(StateView::Delivered)).then_some(status)
    })
    .expect("delivered to itself");
    assert_eq!(attempts(&status).len(), 1);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(mail_files(temp.path()), Vec::<String>::new());
    let ready = gateway.readiness();
    assert_eq!(ready.status, ReadyStatus::Ready, "{ready:#?}");

    // When the start-up round fails, the watchdog alerts as soon as it is over (not
    // after its upper bound of attempt timeout + source timeout + 10 s).
    let temp = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let _gateway = both_roles(temp.path(), Some("http://127.0.0.1:1/nobody"));
    let alert = wait_for(Duration::from_secs(30), || {
        mail_files(temp.path())
            .into_iter()
            .find(|name| name.starts_with("watchdog-alert-"))
    })
    .expect("a watchdog alert");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{alert} only after {:?}",
        started.elapsed()
    );
}

#[test]
fn a_kill_while_the_last_attempt_waits_for_its_answer_is_no_false_alarm() {
    let receiver = gateway::spawn_receiver("");
    let proxy = Proxy::start(receiver.exchange);
    // Two planned attempts, at +0 and +4 s. The first is refused; the second reaches the
    // receiver, which applies the set, but its answer is held back until the kill.
    proxy.plan(
        vec![Fault::Refuse],
        Fault::DelayResponse(Duration::from_secs(30)),
    );
    let temp = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}{}", proxy.addr(), receiver.path);
    let config = sender_config(
        temp.path(),
        &[("jgz", url, "99999002")],
        Duration::from_secs(10),
        &gateway::file_mail(temp.path()),
    )
    .replace("retries = 3", "retries = 1")
    .replace("repeats = 1", "repeats = 0")
    .replace("interval = \"2s\"", "interval = \"4s\"")
    .replace("attempt_timeout = \"1s\"", "attempt_timeout = \"3s\"");
    let started = Instant::now();
    let mut sender = gateway::start(temp.path(), &config);
    wait_for(Duration::from_secs(10), || {
        (applied(&receiver).len() == 1).then_some(())
    })
    .expect("the receiver applied the set of the last attempt");
    sender.kill();
    proxy.set(Fault::Pass);
    sender.restart();

    // The interrupted last attempt is sent once more; the receiver answers it as a
    // duplicate, with the acknowledgement it stored.
    let status = wait_for(Duration::from_secs(10), || {
        let status = destination(&sender, "jgz");
        (state(&status) != Some(StateView::Pending)).then_some(status)
    })
    .unwrap_or_else(|| panic!("not finished: {:#?}", destination(&sender, "jgz")));
    assert_eq!(state(&status), Some(StateView::Delivered), "{status:#?}");
    let outcomes: Vec<OutcomeView> = attempts(&status).into_iter().map(|a| a.1).collect();
    assert_eq!(
        outcomes,
        [
            OutcomeView::Failed,
            OutcomeView::Interrupted,
            OutcomeView::Delivered
        ],
        "{status:#?}"
    );
    assert_eq!(applied(&receiver).len(), 1, "applied once");

    // Past the escalation time: no alarm was raised.
    std::thread::sleep(Duration::from_secs(11).saturating_sub(started.elapsed()));
    let status = destination(&sender, "jgz");
    assert!(
        status
            .delivery
            .as_ref()
            .and_then(|d| d.escalated_at.as_ref())
            .is_none(),
        "{status:#?}"
    );
    let mails: Vec<_> = std::fs::read_dir(temp.path().join("mail"))
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(mails.is_empty(), "no email: {mails:?}");
}

#[test]
fn a_message_too_large_for_the_receiver_is_rejected_once_naming_its_size() {
    let receiver = gateway::spawn_receiver("max_body = \"4KiB\"");
    let temp = tempfile::tempdir().expect("temp dir");
    let url = format!("http://{}{}", receiver.exchange, receiver.path);
    let config = sender_config(
        temp.path(),
        &[("jgz", url, "99999002")],
        Duration::from_secs(600),
        &gateway::file_mail(temp.path()),
    );
    let sender = gateway::start(temp.path(), &config);
    let status = wait_for(Duration::from_secs(20), || {
        let status = destination(&sender, "jgz");
        (state(&status) == Some(StateView::Rejected)).then_some(status)
    })
    .unwrap_or_else(|| panic!("not rejected: {:#?}", destination(&sender, "jgz")));
    let bytes = message(&status).expect("size").bytes;
    assert!(bytes > 4096, "{status:#?}");
    let detail = &attempts(&status)[0].2;
    assert!(
        detail.starts_with("HTTP 413 Payload Too Large: ")
            && detail.contains(&format!("ours is {bytes} bytes")),
        "{detail}"
    );
    // One email naming the size, and no attempt after the rejection (slots at +2, +4 s).
    let mails = wait_for(Duration::from_secs(10), || {
        let mails: Vec<String> = std::fs::read_dir(temp.path().join("mail"))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        (!mails.is_empty()).then_some(mails)
    })
    .expect("a rejection email");
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(attempts(&destination(&sender, "jgz")).len(), 1);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(
        mails[0].contains("rejected by jgz") && mails[0].contains(&format!("Size: {bytes} bytes")),
        "{}",
        mails[0]
    );
}

#[test]
fn destinations_get_a_report_on_each_delivery_or_a_daily_digest_as_configured() {
    use chrono::Timelike;
    let mut soon = Utc::now() + chrono::TimeDelta::seconds(8);
    if soon.hour() == 0 && soon.minute() == 0 {
        std::thread::sleep(Duration::from_secs(12));
        soon = Utc::now() + chrono::TimeDelta::seconds(8);
    }
    let smtp = SmtpServer::start();
    let (north, west) = (gateway::spawn_receiver(""), gateway::spawn_receiver(""));
    let temp = tempfile::tempdir().expect("temp dir");
    let url = |r: &Gateway| format!("http://{}{}", r.exchange, r.path);
    let config = sender_config(
        temp.path(),
        &[
            ("noord", url(&north), "99999002"),
            ("west", url(&west), "99999002"),
        ],
        Duration::from_secs(600),
        &smtp_mail(&smtp),
    )
    .replacen(
        "[sender.source]",
        &format!(
            "report_at = \"{}\"\n\n[sender.source]",
            soon.format("%H:%M:%S")
        ),
        1,
    )
    .replacen(
        "contact = { name = \"J. Jansen\", email = \"jgz-noord@example.org\" }",
        "contact = { name = \"J. Jansen\", email = \"jgz-noord@example.org\" }\n\
         reports = \"all\"\nlanguage = \"nl\"",
        1,
    )
    .replacen(
        "contact = { name = \"J. Jansen\", email = \"jgz-west@example.org\" }",
        "contact = { name = \"J. Jansen\", email = \"jgz-west@example.org\" }\n\
         reports = \"daily\"",
        1,
    );
    let sender = gateway::start(temp.path(), &config);
    for name in ["noord", "west"] {
        wait_for(Duration::from_secs(20), || {
            (state(&destination(&sender, name)) == Some(StateView::Delivered)).then_some(())
        })
        .unwrap_or_else(|| panic!("{name} not delivered"));
    }
    let subjects = |smtp: &SmtpServer| -> Vec<String> {
        smtp.messages()
            .iter()
            .filter_map(Received::subject)
            .collect()
    };
    // "all", in Dutch: a report on the delivery to noord, to the administrators.
    let report = wait_for(Duration::from_secs(20), || {
        smtp.messages()
            .into_iter()
            .find(|m| m.subject().as_deref() == Some("lotgate: partijnummers afgeleverd aan noord"))
    })
    .unwrap_or_else(|| panic!("no delivery report: {:?}", subjects(&smtp)));
    assert_eq!(report.envelope_recipients(), ["beheer@example.org"]);
    let noord = delivery(&destination(&sender, "noord")).id;
    assert!(
        report.body().contains(&format!(
            "De ontvanger van bestemming noord heeft levering {noord} bevestigd (CA)"
        )),
        "{}",
        report.body()
    );
    // "daily": at report_at, one digest listing west's delivery, none for noord.
    let digest = wait_for(Duration::from_secs(30), || {
        smtp.messages().into_iter().find(|m| {
            m.subject().as_deref() == Some(&format!("lotgate: deliveries of {}", soon.date_naive()))
        })
    })
    .unwrap_or_else(|| panic!("no digest: {:?}", subjects(&smtp)));
    let body = digest.body();
    assert!(body.contains(&format!("west ({})", url(&west))), "{body}");
    let west_delivery = delivery(&destination(&sender, "west")).id;
    assert!(
        body.contains(&format!(
            "delivery {west_delivery} (missed night): delivered, 1 attempt(s); last: "
        )),
        "{body}"
    );
    assert!(!body.contains("noord"), "{body}");
    // Exactly these two: no report for west, no second digest.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.messages().len(), 2, "{:?}", subjects(&smtp));
}
