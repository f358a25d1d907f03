//! Sender processes for the tests: a sender-only configuration on a schedule in seconds
//! delivering a test inventory, and reading a sender's and a receiver's state through
//! their admin listeners.
//!
//! The schedule: time zone UTC, the night's send time an hour ago (a fresh sender
//! delivers the night it missed at start-up, so the first attempt is at once), attempts
//! 2 s apart with a 3 s pause — planned at +0, 2, 4, 6, 9, 11 and 13 s — an attempt
//! timeout of 1 s, and the escalation time a number of seconds after start.

use super::gateway::{self, Gateway};
use chrono::{DateTime, TimeDelta, Utc};
use lotgate::api::{DeliveryView, DestinationStatus, MessageView, ReportView, StateView};
use std::path::Path;
use std::time::{Duration, Instant};

/// Lots in the test inventory.
pub const LOTS: usize = 25;

/// Writes the test inventory: `LOTS` lots as the inventory's CSV export.
pub fn write_inventory(path: &Path) {
    let mut csv = String::from("vaccine_code,lot_number,expiry_date\n");
    for i in 0..LOTS {
        csv.push_str(&format!("{:02},TST{i:05},2030-01-31\n", 1 + i % 30));
    }
    std::fs::write(path, csv).expect("write inventory");
}

/// A sender-only configuration delivering to `destinations` (name, url, receiver id)
/// with the seconds schedule above; escalation `escalate_in` after now; `mail` is the
/// `[mail]` body.
pub fn sender_config(
    dir: &Path,
    destinations: &[(&str, String, &str)],
    escalate_in: Duration,
    mail: &str,
) -> String {
    let now = Utc::now();
    let hms = |t: DateTime<Utc>| t.format("%H:%M:%S").to_string();
    let escalate = now + TimeDelta::from_std(escalate_in).expect("small duration");
    let inventory = dir.join("inventory.csv");
    write_inventory(&inventory);
    let mut config = format!(
        r#"{common}
[sender]
application_id = "99999001"
administrators = ["beheer@example.org"]
send_at = "{send_at}"
escalate_at = "{escalate_at}"
retries = 3
interval = "2s"
repeats = 1
pause = "3s"
attempt_timeout = "1s"

[sender.source]
file = "{inventory}"
"#,
        common = gateway::common_config(dir, "time_zone = \"UTC\"", mail),
        send_at = hms(now - TimeDelta::hours(1)),
        escalate_at = hms(escalate),
        inventory = inventory.display(),
    );
    for (name, url, receiver) in destinations {
        config.push_str(&format!(
            r#"
[[sender.destination]]
name = "{name}"
url = "{url}"
application_id = "{receiver}"
contact = {{ name = "J. Jansen", email = "jgz-{name}@example.org" }}
"#
        ));
    }
    config
}

/// Records in the sender's store under `dir` (as [`sender_config`] lays it out) that the
/// sender was installed two hours ago, before the night the seconds schedule delivers at
/// start-up: that night is then escalated like any other. (A fresh installation never
/// escalates a night that began before it.)
pub fn installed_earlier(dir: &Path) {
    let store = lotgate::store::SenderStore::open(&dir.join("data").join("sender"))
        .expect("the sender's store opens");
    let earlier = Utc::now() - TimeDelta::hours(2);
    assert_eq!(
        store
            .install(earlier)
            .expect("the installation is recorded"),
        Some(earlier),
        "a new store"
    );
}

/// The status of one destination of a sender.
pub fn destination(sender: &Gateway, name: &str) -> DestinationStatus {
    let status = sender.sender_status();
    status
        .destinations
        .iter()
        .find(|d| d.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no destination {name} in {status:#?}"))
}

/// The state of a destination's current delivery (`None` before the first).
pub fn state(status: &DestinationStatus) -> Option<StateView> {
    status.delivery.as_ref().map(|d| d.state)
}

/// The message of a destination's current delivery (`None` before the first delivery or
/// while its message could not be built).
pub fn message(status: &DestinationStatus) -> Option<&MessageView> {
    status.delivery.as_ref().and_then(|d| d.message.as_ref())
}

/// A destination's current delivery, which must exist.
pub fn delivery(status: &DestinationStatus) -> &DeliveryView {
    status
        .delivery
        .as_ref()
        .unwrap_or_else(|| panic!("no delivery: {status:#?}"))
}

/// The import reports of a receiver whose set was applied.
pub fn applied(receiver: &Gateway) -> Vec<ReportView> {
    receiver
        .history()
        .into_iter()
        .filter(|r| r.outcome == "applied")
        .collect()
}

/// Polls `check` every 100 ms until it gives a value or `limit` passes.
pub fn wait_for<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A receiver, and a sender (another process) that has delivered to it once, as
/// destination `jgz`; the receiver takes at most 64 KiB.
pub fn delivered_pair() -> (Gateway, Gateway, tempfile::TempDir) {
    let receiver = gateway::spawn_receiver("max_body = \"64KiB\"");
    let temp = tempfile::tempdir().unwrap();
    let url = format!("http://{}{}", receiver.exchange, receiver.path);
    let config = sender_config(
        temp.path(),
        &[("jgz", url, "99999002")],
        Duration::from_secs(3600),
        &gateway::file_mail(temp.path()),
    );
    let sender = gateway::start(temp.path(), &config);
    wait_for(Duration::from_secs(20), || {
        (state(&destination(&sender, "jgz")) == Some(StateView::Delivered)).then_some(())
    })
    .unwrap_or_else(|| panic!("not delivered: {:#?}", destination(&sender, "jgz")));
    (receiver, sender, temp)
}
