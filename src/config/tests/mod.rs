//! Tests of configuration parsing: the shipped file, defaults and loading here; one test
//! per kind of problem in `problems`, each checking that the problem names its key.

mod problems;

use super::*;
use std::time::Duration;

/// The smallest configuration with both roles.
const MINIMAL: &str = r#"
[mail]
from = "lotgate@example.org"

[sender]
application_id = "99999001"
administrators = ["beheer@example.org"]

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
contact = { name = "J. Jansen" }

[receiver]
application_id = "99999002"
allowed_senders = ["99999001"]
administrators = ["beheer@example.org"]
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/lotgate"))
}

/// `MINIMAL` with `line` inserted after the first line equal to `after`.
fn minimal_with(after: &str, line: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in MINIMAL.lines() {
        out.push_str(l);
        out.push('\n');
        if !done && l == after {
            out.push_str(line);
            out.push('\n');
            done = true;
        }
    }
    assert!(done, "no line {after:?} in MINIMAL");
    out
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.problems().to_vec(),
    }
}

/// The only problem of `text`, which must be about `key`.
fn only_problem(text: &str, key: &str) -> Problem {
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].key, key, "{found:#?}");
    found[0].clone()
}

#[test]
fn shipped_config_parses() {
    let config = Config::parse(
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")),
        Path::new(""),
    )
    .unwrap_or_else(|e| panic!("config.toml:\n{e}"));
    assert_eq!(config.roles(), vec![Role::Sender, Role::Receiver]);
    assert_eq!(config.gateway.data_dir, PathBuf::from("data"));
    assert_eq!(
        config.gateway.store_dir(Role::Receiver),
        PathBuf::from("data/receiver")
    );
    assert_eq!(config.admin.listen, "127.0.0.1:8081".parse().unwrap());
    let sender = config.sender.as_ref().unwrap();
    assert!(sender.send_on_start);
    assert_eq!(sender.application_id.as_str(), "99999001");
    assert_eq!(
        sender.source.location,
        SourceLocation::File(PathBuf::from("examples/inventory.csv"))
    );
    assert_eq!(sender.destinations.len(), 1);
    let receiver = config.receiver.as_ref().unwrap();
    assert_eq!(receiver.listen, "127.0.0.1:8080".parse().unwrap());
    // The one destination is the local receiver.
    let url = format!("http://{}{}", receiver.listen, receiver.path);
    assert_eq!(sender.destinations[0].url, url);
    assert_eq!(
        sender.destinations[0].application_id,
        receiver.application_id
    );
    assert!(receiver.allowed_senders.contains(&sender.application_id));
    assert_eq!(
        config.mail.transport,
        MailTransport::File {
            dir: PathBuf::from("data/mail")
        }
    );
    let summary = config.summary();
    for needle in [
        "roles: sender, receiver",
        "local-receiver",
        "02:00, 02:10",
        "03:50",
    ] {
        assert!(summary.contains(needle), "{needle:?} not in\n{summary}");
    }
}

#[test]
fn example_inventory_is_usable() {
    let csv = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/inventory.csv"
    ));
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("vaccine_code,lot_number,expiry_date"));
    let mut count = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert!(
            crate::vaccine::VaccineType::known(fields[0]).is_some(),
            "{line}"
        );
        assert!(crate::lot::LotNumber::parse(fields[1]).is_ok(), "{line}");
        assert!(
            fields[2].is_empty()
                || chrono::NaiveDate::parse_from_str(fields[2], "%Y-%m-%d").is_ok(),
            "{line}"
        );
        count += 1;
    }
    assert!(count >= 10);
}

#[test]
fn defaults_are_applied() {
    let config = parse(MINIMAL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.gateway.data_dir, PathBuf::from("/etc/lotgate/data"));
    assert_eq!(config.gateway.time_zone, chrono_tz::Europe::Amsterdam);
    assert_eq!(config.gateway.language, Language::Nl);
    assert_eq!(config.gateway.log, "info");
    assert_eq!(config.admin.listen, "127.0.0.1:8081".parse().unwrap());
    assert_eq!(
        (config.admin.token_file.clone(), config.admin.insecure),
        (None, false)
    );
    assert_eq!(
        config.mail.transport,
        MailTransport::File {
            dir: PathBuf::from("/etc/lotgate/data/mail")
        }
    );
    let s = config.sender.unwrap();
    assert_eq!(
        s.message_id_root.as_str(),
        "2.16.840.1.113883.2.4.6.6.99999001.1"
    );
    assert_eq!(s.author, Author::default());
    assert!(!s.send_on_start);
    assert_eq!(s.max_in_flight, 16);
    assert_eq!(
        s.source.location,
        SourceLocation::File("/etc/lotgate/inventory.csv".into())
    );
    assert_eq!(s.source.format, SourceFormat::Csv);
    assert_eq!(s.source.timeout, Duration::from_secs(30));
    let sch = &s.schedule;
    assert_eq!(sch.send_at, NaiveTime::from_hms_opt(2, 0, 0).unwrap());
    assert_eq!(sch.escalate_at, NaiveTime::from_hms_opt(7, 0, 0).unwrap());
    assert_eq!((sch.retries, sch.repeats), (3, 1));
    assert_eq!(sch.interval, Duration::from_secs(600));
    assert_eq!(sch.pause, Duration::from_secs(3600));
    assert_eq!(sch.attempt_timeout, Duration::from_secs(60));
    let minutes: Vec<u64> = sch
        .attempt_offsets()
        .iter()
        .map(|d| d.as_secs() / 60)
        .collect();
    assert_eq!(minutes, [0, 10, 20, 30, 90, 100, 110]);
    assert_eq!(s.destinations[0].contact.name(), Some("J. Jansen"));
    let r = config.receiver.unwrap();
    assert_eq!(r.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(r.path, "/jgz/partijnummers");
    assert_eq!(r.max_body, 8 * 1024 * 1024);
    assert_eq!(
        (
            r.max_depth,
            r.max_connections,
            r.max_connections_per_address,
            r.history_limit
        ),
        (64, 256, 32, 400)
    );
    assert_eq!(r.header_timeout, Duration::from_secs(10));
    assert_eq!(r.body_timeout, Duration::from_secs(30));
    assert_eq!(r.expect_by, NaiveTime::from_hms_opt(7, 0, 0).unwrap());
    assert_eq!(
        r.shrink_guard,
        ShrinkGuard {
            fraction: 0.5,
            min_lots: 10
        }
    );
    assert_eq!(r.duplicate_retention, Duration::from_secs(30 * 86_400));
    assert_eq!(r.jgz_contact, None);
}

#[test]
fn disabled_roles_are_not_checked() {
    let config = parse(
        "[mail]\nfrom = \"l@example.org\"\n[sender]\nenabled = false\nretries = 3\n\
         [receiver]\napplication_id = \"1\"\nallowed_senders = [\"2\"]\nadministrators = [\"a@example.org\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.roles(), vec![Role::Receiver]);
}

#[test]
fn load_resolves_paths_against_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lotgate.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.gateway.data_dir, dir.path().join("data"));
    let err = Config::load(&dir.path().join("missing.toml")).unwrap_err();
    assert!(err.to_string().starts_with("cannot read"), "{err}");
    assert_eq!(err.file(), Some(dir.path().join("missing.toml").as_path()));
}

#[test]
fn the_summary_says_off_for_a_shrink_guard_that_is_off() {
    let on = parse(MINIMAL).unwrap().summary();
    assert!(
        on.contains("shrink guard: quarantine a set below 50% of the current one"),
        "{on}"
    );
    let text = minimal_with("[receiver]", "shrink_guard_fraction = 0.0");
    let off = parse(&text).unwrap().summary();
    assert!(off.contains("  shrink guard: off\n"), "{off}");
    assert!(!off.contains("below 0%"), "{off}");
}
