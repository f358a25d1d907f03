//! lotgate as a systemd service, without systemd: the notify protocol against a real
//! datagram socket the test binds and hands to the gateway as `NOTIFY_SOCKET`: ready,
//! the watchdog, a reload by SIGHUP, and stopping.

use crate::support::gateway::{self, start_with_env};
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

/// The messages that arrive on `socket` within `limit`, until `enough` holds.
fn messages(
    socket: &UnixDatagram,
    limit: Duration,
    enough: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline && !enough(&seen) {
        if let Ok(n) = socket.recv(&mut buf) {
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    seen
}

fn count(seen: &[String], message: &str) -> usize {
    seen.iter().filter(|m| m.as_str() == message).count()
}

#[test]
fn the_gateway_notifies_ready_pings_the_watchdog_reloads_and_says_when_it_stops() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    let config = gateway::receiver_config(dir, "", &gateway::file_mail(dir));
    let mut receiver = start_with_env(
        dir,
        &config,
        &[
            ("NOTIFY_SOCKET", path.to_str().unwrap()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    // READY=1 comes once the store is open and the listeners are bound.
    let seen = messages(&socket, Duration::from_secs(10), |seen| !seen.is_empty());
    assert_eq!(
        seen.first().map(String::as_str),
        Some("READY=1\nSTATUS=running")
    );
    assert_eq!(receiver.set().set_version, 0, "the admin listener answers");
    // WATCHDOG=1 every 200 ms while the loops are alive.
    let started = Instant::now();
    let seen = messages(&socket, Duration::from_secs(5), |seen| {
        count(seen, "WATCHDOG=1") >= 5
    });
    assert!(count(&seen, "WATCHDOG=1") >= 5, "{seen:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // SIGHUP: RELOADING=1 with the monotonic time it began, then READY=1 with the
    // outcome; the watchdog goes on.
    receiver.hangup();
    let seen = messages(&socket, Duration::from_secs(10), |seen| {
        seen.iter()
            .any(|m| m.starts_with("READY=1\nSTATUS=configuration reloaded"))
    });
    let reloading = seen
        .iter()
        .position(|m| m.starts_with("RELOADING=1\nMONOTONIC_USEC="))
        .unwrap_or_else(|| panic!("no RELOADING=1: {seen:?}"));
    let usec: u64 = seen[reloading]
        .lines()
        .find_map(|l| l.strip_prefix("MONOTONIC_USEC="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("MONOTONIC_USEC is a number: {seen:?}"));
    assert!(usec > 0, "{seen:?}");
    let ready = seen
        .iter()
        .position(|m| m.starts_with("READY=1\nSTATUS=configuration reloaded"))
        .unwrap_or_else(|| panic!("no READY=1 after the reload: {seen:?}"));
    assert!(reloading < ready, "{seen:?}");
    let seen = messages(&socket, Duration::from_secs(5), |seen| {
        count(seen, "WATCHDOG=1") >= 2
    });
    assert!(count(&seen, "WATCHDOG=1") >= 2, "{seen:?}");
    // SIGTERM: STOPPING=1, then the process ends cleanly.
    let status = receiver.terminate();
    assert!(status.success(), "{status:?}");
    let rest = messages(&socket, Duration::from_secs(1), |_| false);
    let stopping = rest.iter().position(|m| m == "STOPPING=1\nSTATUS=stopping");
    assert!(stopping.is_some(), "{rest:?}");
    assert!(
        !receiver.log().contains("systemd watchdog: not pinging"),
        "{}",
        receiver.log()
    );
}

#[test]
fn without_watchdog_usec_or_for_another_pid_there_are_no_pings() {
    for env in [
        vec![],
        vec![("WATCHDOG_USEC", "400000"), ("WATCHDOG_PID", "1")],
    ] {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path();
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        let config = gateway::receiver_config(dir, "", &gateway::file_mail(dir));
        let mut env = env.clone();
        env.push(("NOTIFY_SOCKET", path.to_str().unwrap()));
        let mut receiver = start_with_env(dir, &config, &env);
        let seen = messages(&socket, Duration::from_millis(1500), |_| false);
        assert_eq!(seen, ["READY=1\nSTATUS=running"], "{env:?}");
        assert!(receiver.terminate().success());
    }
}
