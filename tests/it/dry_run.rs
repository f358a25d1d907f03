//! `lotgate send-now --dry-run` from outside: the message each destination would get,
//! checked as its receiver would check it, written to a file on request — with no
//! gateway running, while one runs (its store in use), and for sources and arguments it
//! must refuse; it never sends or stores anything.

use crate::support::sender::{LOTS, delivered_pair, sender_config};
use crate::support::{gateway, lotgate, official_schema, strip_envelope, xmllint};
use std::path::Path;
use std::time::Duration;

/// A sender configuration in `dir` with two destinations on a port nothing listens on.
fn two_destinations(dir: &Path) -> std::path::PathBuf {
    let config = sender_config(
        dir,
        &[
            ("west", "http://127.0.0.1:9/jgz".to_owned(), "99999002"),
            ("oost", "http://127.0.0.1:9/jgz".to_owned(), "99999003"),
        ],
        Duration::from_secs(3600),
        &gateway::file_mail(dir),
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn dry_run(config: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec![
        "send-now",
        "--dry-run",
        "--config",
        config.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = lotgate(&args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_dry_run_checks_each_destinations_message_and_sends_and_stores_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let config = two_destinations(temp.path());
    let (code, out, err) = dry_run(&config, &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.starts_with(&format!("inventory source: {LOTS} lot numbers\n")),
        "{out}"
    );
    for name in ["west", "oost"] {
        assert!(
            out.contains(&format!("{name} (2.16.840.1.113883.2.4.6.6.99999001.1/")),
            "{out}"
        );
    }
    assert_eq!(
        out.matches(": accept — would be accepted (CA), 25 lots")
            .count(),
        2,
        "{out}"
    );
    assert!(
        out.ends_with("dry run: nothing was sent and nothing was stored\n"),
        "{out}"
    );
    assert!(
        !temp.path().join("data").exists(),
        "a dry run stores nothing"
    );

    // One destination's message, written out: exactly what its receiver would accept.
    let file = temp.path().join("oost.xml");
    let (code, out, err) = dry_run(
        &config,
        &["--destination", "oost", "--output", file.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!out.contains("west"), "{out}");
    let written = std::fs::read_to_string(&file).expect("the message was written");
    assert!(out.contains(&format!(
        "message written to {} ({} bytes)",
        file.display(),
        written.len()
    )));
    xmllint(
        &official_schema("PRMM_IN010043NL"),
        &strip_envelope(&written),
    )
    .expect("valid against the official schema");
    let checked = lotgate(&[
        "validate",
        file.to_str().unwrap(),
        "--receiver-id",
        "99999003",
    ]);
    assert_eq!(checked.status.code(), Some(0));
    let refused = lotgate(&[
        "validate",
        file.to_str().unwrap(),
        "--receiver-id",
        "99999002",
    ]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "addressed to oost, not west"
    );
    assert_eq!(
        written.matches("<productInstanceInstance").count(),
        LOTS,
        "{written}"
    );
    assert!(!temp.path().join("data").exists());
}

#[test]
fn a_dry_run_refuses_a_bad_source_and_bad_arguments_and_writes_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let config = two_destinations(temp.path());
    let output = temp.path().join("out.xml");
    let out_arg = output.to_str().unwrap();

    // One lot number under two vaccine types: a delivery would send nothing (exit 1).
    let inventory = temp.path().join("inventory.csv");
    let good = std::fs::read_to_string(&inventory).unwrap();
    std::fs::write(&inventory, format!("{good}08,TST00000,2030-01-31\n")).unwrap();
    let (code, out, _) = dry_run(&config, &["--destination", "west", "--output", out_arg]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("is invalid") && out.contains("TST00000"),
        "{out}"
    );

    // A source that cannot be read: the dry run could not run (exit 2).
    std::fs::remove_file(&inventory).unwrap();
    let (code, out, _) = dry_run(&config, &[]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("cannot be read") && out.contains("inventory.csv"),
        "{out}"
    );
    std::fs::write(&inventory, good).unwrap();

    for (args, says) in [
        (
            vec!["--destination", "noord"],
            "no destination is called \"noord\"",
        ),
        (vec!["--output", out_arg], "--output writes one message"),
    ] {
        let (code, out, err) = dry_run(&config, &args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // --output and --wait belong to other uses of send-now.
    let no_dry = lotgate(&[
        "send-now",
        "--output",
        out_arg,
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(no_dry.status.code(), Some(2));
    let both = lotgate(&[
        "send-now",
        "--dry-run",
        "--wait",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(both.status.code(), Some(2));

    // A configuration without a sender.
    let receiver_only = temp.path().join("receiver.toml");
    std::fs::write(
        &receiver_only,
        gateway::receiver_config(temp.path(), "", &gateway::file_mail(temp.path())),
    )
    .unwrap();
    let (code, _, err) = dry_run(&receiver_only, &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("this configuration has no sender"), "{err}");

    assert!(!output.exists(), "nothing written");
    assert!(!temp.path().join("data").exists(), "nothing stored");
}

#[test]
fn a_dry_run_beside_a_running_sender_leaves_it_and_its_receiver_alone() {
    let (receiver, sender, _temp) = delivered_pair();
    let history = receiver.history().len();
    let (code, out, err) = dry_run(&sender.dir().join("config.toml"), &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("jgz (") && out.contains("accept"), "{out}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.history().len(), history, "nothing was sent");
    let status = sender.sender_status();
    assert_eq!(
        status.destinations[0].delivery.as_ref().map(|d| d.id),
        Some(1)
    );
}
