//! The sender in this process on an injected wall clock, against a real receiver
//! process: nights whose local time does what a test cannot wait for, such as going back
//! an hour in the autumn.

use crate::support::gateway::{self, Gateway, common_config, file_mail};
use crate::support::http;
use crate::support::sender::{applied, wait_for, write_inventory};
use chrono::{DateTime, TimeZone, Utc};
use lotgate::api::{DeliveryView, DestinationStatus, SenderStatus, StateView};
use lotgate::sender::Clock;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A wall clock that stands still until the test moves it.
struct SetClock(Mutex<DateTime<Utc>>);

impl SetClock {
    fn at(time: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(time)))
    }

    fn set(&self, time: DateTime<Utc>) {
        *self.0.lock().expect("clock") = time;
    }
}

impl Clock for SetClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

/// A sender in this process (Europe/Amsterdam, nightly at 02:00, a delivery at start-up)
/// delivering to `receiver` as destination `jgz`, on `clock`.
struct InProcessSender {
    runtime: tokio::runtime::Runtime,
    gateway: Option<lotgate::startup::Gateway>,
    config: lotgate::config::Config,
}

impl InProcessSender {
    fn config(dir: &Path, receiver: &Gateway) -> lotgate::config::Config {
        let inventory = dir.join("inventory.csv");
        write_inventory(&inventory);
        let text = format!(
            r#"{common}
[sender]
application_id = "99999001"
administrators = ["beheer@example.org"]
send_at = "02:00"
escalate_at = "07:00"
send_on_start = true
attempt_timeout = "5s"

[sender.source]
file = "{inventory}"

[[sender.destination]]
name = "jgz"
url = "http://{exchange}{path}"
application_id = "99999002"
contact = {{ name = "J. Jansen" }}
"#,
            common = common_config(dir, "time_zone = \"Europe/Amsterdam\"", &file_mail(dir)),
            inventory = inventory.display(),
            exchange = receiver.exchange,
            path = receiver.path,
        );
        lotgate::config::Config::parse(&text, dir).expect("a valid configuration")
    }

    fn start(config: lotgate::config::Config, clock: Arc<SetClock>) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let gateway = runtime
            .block_on(lotgate::startup::start_with_clock(&config, clock))
            .expect("the sender starts");
        Self {
            runtime,
            gateway: Some(gateway),
            config,
        }
    }

    fn admin(&self) -> SocketAddr {
        self.gateway.as_ref().expect("running").admin
    }

    /// The status of destination `jgz`.
    fn status(&self) -> DestinationStatus {
        let status: SenderStatus =
            http::request(self.admin(), "GET", "/api/v1/sender/status", b"").answer();
        status
            .destinations
            .first()
            .cloned()
            .unwrap_or_else(|| panic!("no destination: {status:#?}"))
    }

    /// Waits until the delivery numbered `id` to `jgz` is delivered or rejected.
    fn finished(&self, id: u64) -> DeliveryView {
        wait_for(Duration::from_secs(20), || {
            self.status()
                .delivery
                .filter(|delivery| delivery.id == id && delivery.state != StateView::Pending)
        })
        .unwrap_or_else(|| panic!("delivery {id} not finished: {:#?}", self.status()))
    }

    fn send_now(&self) {
        let started = http::request(self.admin(), "POST", "/api/v1/sender/send-now", b"");
        assert_eq!(started.status, 202, "{}", started.text());
    }

    /// Stops the gateway gracefully and starts it again on the same store.
    fn restart(&mut self, clock: Arc<SetClock>) {
        let gateway = self.gateway.take().expect("running");
        self.runtime.block_on(gateway.shutdown());
        let gateway = self
            .runtime
            .block_on(lotgate::startup::start_with_clock(&self.config, clock))
            .expect("the sender starts again");
        self.gateway = Some(gateway);
    }
}

impl Drop for InProcessSender {
    fn drop(&mut self) {
        if let Some(gateway) = self.gateway.take() {
            self.runtime.block_on(gateway.shutdown());
        }
    }
}

#[test]
fn creation_times_go_forward_through_the_autumn_night() {
    let receiver = gateway::spawn_receiver("");
    let temp = tempfile::tempdir().expect("temp dir");
    let config = InProcessSender::config(temp.path(), &receiver);
    // 2026-10-25, 02:40 CEST (the first 02:40 of the night).
    let clock = SetClock::at(Utc.with_ymd_and_hms(2026, 10, 25, 0, 40, 0).unwrap());
    let mut sender = InProcessSender::start(config, clock.clone());
    let first = sender.finished(1);
    assert_eq!(first.state, StateView::Delivered, "{first:#?}");
    assert_eq!(
        first.message.as_ref().map(|m| m.created.as_str()),
        Some("20261025024000")
    );

    // 02:20 CET, 40 minutes later: the local time is 20 minutes earlier.
    clock.set(Utc.with_ymd_and_hms(2026, 10, 25, 1, 20, 0).unwrap());
    sender.send_now();
    let second = sender.finished(2);
    assert_eq!(second.state, StateView::Delivered, "{second:#?}");
    assert_eq!(
        second.message.as_ref().map(|m| m.created.as_str()),
        Some("20261025024001")
    );

    // And after a restart, at 02:25 CET: later still.
    clock.set(Utc.with_ymd_and_hms(2026, 10, 25, 1, 25, 0).unwrap());
    sender.restart(clock.clone());
    let third = sender.finished(3);
    assert_eq!(third.state, StateView::Delivered, "{third:#?}");
    assert_eq!(
        third.message.as_ref().map(|m| m.created.as_str()),
        Some("20261025024002")
    );

    let created: Vec<String> = applied(&receiver)
        .into_iter()
        .map(|r| r.message_id.extension)
        .collect();
    assert_eq!(
        created,
        ["20261025024002-3", "20261025024001-2", "20261025024000-1"],
        "every delivery applied (CA), newest first"
    );
}
