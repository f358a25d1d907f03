//! The sender's loop on an injected clock and tokio's paused time: a whole failing night
//! (the spring-forward night of 2026-03-29 in Europe/Amsterdam) in milliseconds, with
//! exact timestamps. The destination is a loopback port nobody listens on, so every
//! attempt fails at once.

use super::*;
use crate::config::Config;
use crate::store::{NewDelivery, SenderStore};
use chrono::{NaiveDate, TimeZone};
use std::path::Path;

/// Wall-clock time that moves with tokio's (paused) clock.
struct TestClock {
    base: DateTime<Utc>,
    origin: tokio::time::Instant,
}

impl TestClock {
    fn at(base: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            base,
            origin: tokio::time::Instant::now(),
        })
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.origin;
        self.base + chrono::TimeDelta::from_std(elapsed).expect("test durations are small")
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn config(dir: &Path) -> Config {
    std::fs::write(
        dir.join("inventory.csv"),
        "vaccine_code,lot_number\n08,ASPNA186DF\n",
    )
    .unwrap();
    let text = format!(
        r#"
[gateway]
data_dir = "{data}"
time_zone = "Europe/Amsterdam"
language = "en"
[admin]
listen = "127.0.0.1:0"
[mail]
from = "lotgate@example.org"
transport = "file"
file_dir = "{data}/mail"
[sender]
application_id = "99999001"
administrators = ["beheer@example.org"]
send_at = "02:00"
escalate_at = "07:00"
[sender.source]
file = "inventory.csv"
[[sender.destination]]
name = "nobody"
url = "http://127.0.0.1:1/jgz"
application_id = "99999002"
contact = {{ name = "J. Jansen" }}
"#,
        data = dir.join("data").display()
    );
    Config::parse(&text, dir).unwrap()
}

fn open_store(config: &Config) -> SenderStore {
    SenderStore::open(&config.gateway.store_dir(crate::config::Role::Sender)).unwrap()
}

/// A store installed on 2026-03-27 that has delivered the night of 2026-03-28 (so no
/// night is missed).
fn store_after_the_28th(config: &Config) -> SenderStore {
    let store = open_store(config);
    let installed = utc(2026, 3, 27, 12, 0);
    assert_eq!(store.install(installed).unwrap(), Some(installed));
    let mut done = store
        .begin(NewDelivery {
            id: store.next_id().unwrap(),
            destination: "nobody".into(),
            trigger: Trigger::Nightly,
            night: NaiveDate::from_ymd_opt(2026, 3, 28),
            start: utc(2026, 3, 28, 1, 0),
            escalate_at: Some(utc(2026, 3, 28, 6, 0)),
            message: None,
            journal: None,
        })
        .unwrap();
    done.state = DeliveryState::Delivered;
    assert!(store.save(&[&done], &[]).unwrap());
    store
}

/// Runs the sender on `store` from `from` until `until` (both on the sender's clock).
async fn run_between(
    config: &Config,
    store: &SenderStore,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) {
    let sender_config = config.sender.as_ref().unwrap();
    let sender = Sender::with_store(
        &config.gateway,
        sender_config,
        store.clone(),
        TestClock::at(from),
        Arc::new(Notify::new()),
        crate::metrics::Metrics::default(),
    )
    .unwrap();
    let stop = tokio::time::sleep((until - from).to_std().unwrap());
    let liveness = crate::systemd::Liveness::default();
    let beat = liveness.register("the sender's rounds", Duration::from_secs(60));
    run(sender, beat, stop).await;
}

/// The outbox's mails: (id, created_at).
fn mails(store: &SenderStore) -> Vec<(String, DateTime<Utc>)> {
    store
        .outbox()
        .pending()
        .unwrap()
        .into_iter()
        .map(|(id, payload)| {
            let mail: crate::mail::Mail = serde_json::from_slice(&payload).unwrap();
            (id, mail.created_at())
        })
        .collect()
}

/// The planned attempts of the night of 2026-03-29: 02:00 does not exist, so the night
/// starts at 03:00 CEST (01:00 UTC); 10 minutes apart, an hour's pause.
fn planned_29th() -> Vec<DateTime<Utc>> {
    [(1, 0), (1, 10), (1, 20), (1, 30), (2, 30), (2, 40), (2, 50)]
        .into_iter()
        .map(|(h, m)| utc(2026, 3, 29, h, m))
        .collect()
}

fn assert_attempts_at(delivery: &Delivery, planned: &[DateTime<Utc>]) {
    let at: Vec<DateTime<Utc>> = delivery.attempts.iter().map(|a| a.at).collect();
    assert_eq!(at.len(), planned.len(), "{:#?}", delivery.attempts);
    for (at, slot) in at.iter().zip(planned) {
        // The timer fires at the slot, up to its millisecond resolution later.
        assert!(
            *at >= *slot && *at - *slot < chrono::TimeDelta::milliseconds(50),
            "attempt at {at}, planned {slot}"
        );
    }
    assert!(
        delivery
            .attempts
            .iter()
            .all(|a| a.outcome == Some(AttemptOutcome::Transient)),
        "{:#?}",
        delivery.attempts
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_spring_forward_night_runs_on_the_grid_and_escalates_at_seven() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let store = store_after_the_28th(&config);
    // From 00:30 CET until 09:00 CEST.
    run_between(
        &config,
        &store,
        utc(2026, 3, 28, 23, 30),
        utc(2026, 3, 29, 7, 0),
    )
    .await;

    let delivery = store.delivery("nobody").unwrap().unwrap();
    assert_eq!(delivery.trigger, Trigger::Nightly);
    assert_eq!(delivery.night, NaiveDate::from_ymd_opt(2026, 3, 29));
    assert_eq!(delivery.start, utc(2026, 3, 29, 1, 0));
    assert_eq!(delivery.state, DeliveryState::Pending);
    assert_attempts_at(&delivery, &planned_29th());
    assert!(
        delivery.attempts[0]
            .detail
            .get(crate::language::Language::En)
            .contains("cannot connect"),
        "{:#?}",
        delivery.attempts
    );
    // One escalation email, at 07:00 CEST (05:00 UTC).
    let mails = mails(&store);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(mails[0].0.starts_with("sender-escalation-2026-03-29-"));
    let escalated = delivery.escalated_at.unwrap();
    assert!(
        escalated >= utc(2026, 3, 29, 5, 0)
            && escalated - utc(2026, 3, 29, 5, 0) < chrono::TimeDelta::milliseconds(50),
        "escalated at {escalated}"
    );
    assert_eq!(mails[0].1, escalated);
    assert!(delivery.escalation_open);
}

#[tokio::test(start_paused = true)]
async fn a_sender_down_at_the_escalation_time_escalates_when_it_comes_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let store = store_after_the_28th(&config);
    // Up from 00:30 CET until 04:00 UTC (06:00 CEST): every attempt made, no escalation.
    run_between(
        &config,
        &store,
        utc(2026, 3, 28, 23, 30),
        utc(2026, 3, 29, 4, 0),
    )
    .await;
    let delivery = store.delivery("nobody").unwrap().unwrap();
    assert_attempts_at(&delivery, &planned_29th());
    assert_eq!(delivery.escalated_at, None);
    assert!(mails(&store).is_empty());

    // Down over 07:00 CEST, up again at 08:30 CEST (06:30 UTC): it escalates at once,
    // and only once however often it restarts.
    tokio::time::advance(Duration::from_secs(2 * 3600 + 1800)).await;
    for (from, until) in [
        (utc(2026, 3, 29, 6, 30), utc(2026, 3, 29, 6, 31)),
        (utc(2026, 3, 29, 6, 40), utc(2026, 3, 29, 6, 41)),
    ] {
        run_between(&config, &store, from, until).await;
    }
    let delivery = store.delivery("nobody").unwrap().unwrap();
    assert_eq!(delivery.escalated_at, Some(utc(2026, 3, 29, 6, 30)));
    assert_eq!(delivery.attempts.len(), 7, "no attempt after the grid");
    let mails = mails(&store);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert_eq!(mails[0].1, utc(2026, 3, 29, 6, 30));
}

#[tokio::test(start_paused = true)]
async fn a_fresh_installation_delivers_the_missed_night_without_an_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let store = open_store(&config);
    // Installed at 08:00 CEST on 2026-03-29, after that night's escalation time: the
    // night is delivered at once (and retried), but the gateway did not exist then.
    run_between(
        &config,
        &store,
        utc(2026, 3, 29, 6, 0),
        utc(2026, 3, 29, 10, 0),
    )
    .await;
    assert_eq!(store.installed_at().unwrap(), Some(utc(2026, 3, 29, 6, 0)));
    let delivery = store.delivery("nobody").unwrap().unwrap();
    assert_eq!(delivery.trigger, Trigger::Missed);
    assert_eq!(delivery.night, NaiveDate::from_ymd_opt(2026, 3, 29));
    assert_eq!(delivery.escalate_at, None);
    assert_eq!(delivery.attempts.len(), 7, "{:#?}", delivery.attempts);
    assert_eq!(delivery.escalated_at, None);
    assert!(mails(&store).is_empty(), "{:#?}", mails(&store));
}

#[tokio::test(start_paused = true)]
async fn an_installed_sender_down_all_night_escalates_the_missed_night_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let store = store_after_the_28th(&config);
    // Down from before 02:00 until 08:00 CEST on 2026-03-29, then up until 12:00.
    for (from, until) in [
        (utc(2026, 3, 29, 6, 0), utc(2026, 3, 29, 7, 0)),
        (utc(2026, 3, 29, 7, 0), utc(2026, 3, 29, 10, 0)),
    ] {
        run_between(&config, &store, from, until).await;
    }
    assert_eq!(store.installed_at().unwrap(), Some(utc(2026, 3, 27, 12, 0)));
    let delivery = store.delivery("nobody").unwrap().unwrap();
    assert_eq!(delivery.trigger, Trigger::Missed);
    assert_eq!(delivery.escalate_at, Some(utc(2026, 3, 29, 5, 0)));
    // Escalated after the catch-up attempt, at once, and only once.
    let escalated = delivery.escalated_at.expect("escalated");
    assert!(
        escalated >= utc(2026, 3, 29, 6, 0)
            && escalated - utc(2026, 3, 29, 6, 0) < chrono::TimeDelta::seconds(1),
        "escalated at {escalated}"
    );
    let mails = mails(&store);
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(mails[0].0.starts_with("sender-escalation-2026-03-29-"));
}
