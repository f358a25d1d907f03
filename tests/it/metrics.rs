//! `/metrics` from outside: a real sender and receiver after one delivery, scraped in
//! both formats, every scrape passed through `promtool check metrics`, the figures
//! checked against what happened; and the alert rules shipped in
//! `examples/prometheus/` checked and unit-tested with `promtool`.

use crate::support::crate_dir;
use crate::support::gateway::Gateway;
use crate::support::sender::{LOTS, delivered_pair};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// `promtool`, which `.ci/run` installs (Debian package `prometheus`).
fn promtool(args: &[&str], stdin: &[u8]) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .current_dir(crate_dir().join("examples/prometheus"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs (Debian package prometheus; .ci/run installs it)");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The samples of a scrape: `name{labels}` → value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (key, value) = l.rsplit_once(' ').expect("a sample");
            (key.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

/// Scrapes `gateway` as `promtool` and `curl` would (no Accept header), checks the
/// scrape with `promtool check metrics`, and returns its samples.
fn scrape(gateway: &Gateway) -> BTreeMap<String, f64> {
    let answer = gateway.admin_get("/metrics");
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let (ok, complaints) = promtool(&["check", "metrics"], &answer.body);
    assert!(
        ok && complaints.trim().is_empty(),
        "{complaints}\n{}",
        answer.text()
    );
    samples(&answer.text())
}

fn value(samples: &BTreeMap<String, f64>, key: &str) -> f64 {
    *samples
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {samples:#?}"))
}

#[test]
fn a_scrape_says_what_happened_and_passes_promtool() {
    let (receiver, sender, _temp) = delivered_pair();
    let now = chrono::Utc::now().timestamp() as f64;

    let s = scrape(&sender);
    assert_eq!(value(&s, "lotgate_build_info{version=\"0.1.0\"}"), 1.0);
    assert_eq!(
        value(
            &s,
            "lotgate_sender_attempts_total{destination=\"jgz\",outcome=\"delivered\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "lotgate_sender_deliveries_total{destination=\"jgz\",outcome=\"delivered\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &s,
            "lotgate_sender_attempt_duration_seconds_count{destination=\"jgz\"}"
        ),
        1.0
    );
    assert_eq!(value(&s, "lotgate_sender_source_lots"), LOTS as f64);
    assert_eq!(value(&s, "lotgate_sender_source_failures_total"), 0.0);
    let delivered_at = value(
        &s,
        "lotgate_sender_last_delivered_timestamp_seconds{destination=\"jgz\"}",
    );
    assert!(
        (now - 60.0..=now + 1.0).contains(&delivered_at),
        "{delivered_at}"
    );
    assert_eq!(
        value(&s, "lotgate_sender_escalated{destination=\"jgz\"}"),
        0.0
    );
    assert_eq!(
        value(&s, "lotgate_mail_outbox_pending{role=\"sender\"}"),
        0.0
    );
    assert_eq!(value(&s, "lotgate_mail_dead_letters{role=\"sender\"}"), 0.0);
    assert_eq!(
        value(
            &s,
            "lotgate_mail_oldest_pending_age_seconds{role=\"sender\"}"
        ),
        0.0
    );
    assert!(value(&s, "lotgate_store_size_bytes{role=\"sender\"}") > 0.0);
    assert!(
        !s.keys().any(|k| k.starts_with("lotgate_receiver_")),
        "{s:#?}"
    );

    // Lookups, counted by status.
    let lot = receiver.set_lots();
    assert_eq!(lot, Some(LOTS));
    let first = receiver
        .admin_get("/api/v1/lots?limit=1")
        .answer::<lotgate::api::LotsAnswer>()
        .lots
        .remove(0);
    receiver.admin_get(&format!("/api/v1/lots/{}", first.lot));
    receiver.admin_get("/api/v1/lots/NOT-THERE");
    receiver.admin_get("/api/v1/lots/NOT-THERE?vaccine=x");

    let r = scrape(&receiver);
    assert_eq!(
        value(&r, "lotgate_receiver_requests_total{verdict=\"ca\"}"),
        1.0
    );
    assert_eq!(
        value(&r, "lotgate_receiver_request_duration_seconds_count"),
        1.0
    );
    assert_eq!(value(&r, "lotgate_receiver_set_version"), 1.0);
    let lots: f64 = r
        .iter()
        .filter(|(k, _)| k.starts_with("lotgate_receiver_set_lots{"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(lots, LOTS as f64);
    let applied = value(&r, "lotgate_receiver_set_applied_timestamp_seconds");
    assert!((now - 60.0..=now + 1.0).contains(&applied), "{applied}");
    assert_eq!(value(&r, "lotgate_receiver_stale"), 0.0);
    assert_eq!(value(&r, "lotgate_receiver_quarantined_sets"), 0.0);
    assert_eq!(
        value(
            &r,
            &format!(
                "lotgate_receiver_lookups_total{{status=\"{}\"}}",
                match first.status {
                    lotgate::api::LotStatus::Valid => "valid",
                    lotgate::api::LotStatus::Expired => "expired",
                    lotgate::api::LotStatus::OtherVaccine => "other_vaccine",
                }
            )
        ),
        1.0
    );
    assert_eq!(
        value(&r, "lotgate_receiver_lookups_total{status=\"unknown\"}"),
        1.0
    );
    assert_eq!(
        value(&r, "lotgate_receiver_lookups_total{status=\"bad_request\"}"),
        1.0
    );
    assert!(
        !r.keys().any(|k| k.starts_with("lotgate_sender_")),
        "{r:#?}"
    );

    // A refusal is counted with its verdict.
    assert_eq!(receiver.post(&vec![b'x'; 100 * 1024]).status, 413);
    let r = scrape(&receiver);
    assert_eq!(
        value(&r, "lotgate_receiver_requests_total{verdict=\"too_large\"}"),
        1.0
    );

    // OpenMetrics for a client that asks for it (Prometheus does).
    let open = crate::support::http::request_with(
        receiver.admin,
        "GET",
        "/metrics",
        &[(
            "Accept",
            "application/openmetrics-text; version=1.0.0,text/plain;q=0.5",
        )],
        b"",
    );
    assert_eq!(
        open.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = open.text();
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(
        text.contains("# TYPE lotgate_receiver_requests counter"),
        "{text}"
    );
    // Only GET.
    assert_eq!(receiver.admin_post("/metrics").status, 405);
}

#[test]
fn the_alert_rules_are_valid_and_their_unit_tests_pass() {
    let (ok, out) = promtool(&["check", "rules", "alerts.yml"], b"");
    assert!(ok, "{out}");
    assert!(out.contains("SUCCESS: 6 rules found"), "{out}");
    let (ok, out) = promtool(&["test", "rules", "alerts_test.yml"], b"");
    assert!(ok, "{out}");
    assert!(out.contains("SUCCESS"), "{out}");
}
