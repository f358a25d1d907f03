//! `lotgate verify` from outside: the real binary against our own receiver, plain and
//! over two-way TLS, where every check passes and the receiver is left with the source's
//! set; `--mode safe`, which changes nothing; and deliberately faulty receivers, where
//! exactly the matching checks fail.

use crate::support::faulty::{Fault, FaultyReceiver};
use crate::support::gateway::{self, Gateway};
use crate::support::lotgate;
use crate::support::pki::{Ca, Leaf};
use crate::support::sender::{LOTS, destination, sender_config, state, wait_for};
use lotgate::api::{StateView, TrialAnswer};
use lotgate::verify::{Verdict, VerifyReport};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// The checks that cannot apply to a plain `http://` endpoint on an IP address.
const NOT_FOR_PLAIN: [&str; 6] = [
    "reach.dns",
    "tls.handshake",
    "tls.chain",
    "tls.hostname",
    "tls.expiry",
    "tls.client-certificate",
];

/// Reads the report a run wrote, and checks that every evidence file is there with the
/// SHA-256 the report gives.
fn read_report(dir: &Path) -> VerifyReport {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    let report: VerifyReport = serde_json::from_str(&text).expect("a verify report");
    for check in &report.checks {
        for file in &check.files {
            let bytes = std::fs::read(dir.join(&file.path)).expect("the evidence file");
            let sha = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>();
            assert_eq!(sha, file.sha256, "{}", file.path);
            assert_eq!(bytes.len(), file.bytes, "{}", file.path);
        }
    }
    let markdown = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    for check in &report.checks {
        assert!(markdown.contains(&format!("`{}`", check.id)), "{markdown}");
    }
    report
}

/// The ids of the checks with `verdict`.
fn with(report: &VerifyReport, verdict: Verdict) -> BTreeSet<&str> {
    report
        .checks
        .iter()
        .filter(|c| c.verdict == verdict)
        .map(|c| c.id.as_str())
        .collect()
}

fn evidence<'r>(report: &'r VerifyReport, id: &str) -> &'r str {
    &report
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .evidence
}

/// Runs `lotgate verify --destination local` on the configuration `config`, writing
/// its report to `out`, with `extra` arguments.
fn verify(config: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "verify",
        "--destination",
        "local",
        "--config",
        config.to_str().unwrap(),
        "--report",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    lotgate(&args)
}

/// `lotgate verify --destination local --report OUT` beside the running `sender`.
fn verify_through(sender: &Gateway, out: &Path) -> Output {
    sender.cli(&[
        "verify",
        "--destination",
        "local",
        "--report",
        out.to_str().unwrap(),
    ])
}

fn show(output: &Output) -> String {
    format!(
        "exit {:?}\n{}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A sender (in `dir`) delivering to the receiver at `url` as destination `local`,
/// started and waited for until its start-up delivery is delivered.
fn delivered_sender(dir: &Path, config: &str) -> Gateway {
    let sender = gateway::start(dir, config);
    wait_for(Duration::from_secs(20), || {
        (state(&destination(&sender, "local")) == Some(StateView::Delivered)).then_some(())
    })
    .unwrap_or_else(|| panic!("not delivered: {:#?}", destination(&sender, "local")));
    sender
}

#[test]
fn against_our_own_receiver_every_check_passes_and_the_source_set_is_left() {
    let temp = tempfile::tempdir().unwrap();
    let (r_dir, s_dir) = (temp.path().join("r"), temp.path().join("s"));
    std::fs::create_dir_all(&r_dir).unwrap();
    std::fs::create_dir_all(&s_dir).unwrap();
    let receiver = gateway::start(
        &r_dir,
        &gateway::receiver_config(&r_dir, "", &gateway::file_mail(&r_dir)),
    );
    let url = format!("http://{}{}", receiver.exchange, receiver.path);
    let config = sender_config(
        &s_dir,
        &[("local", url, "99999002")],
        Duration::from_secs(3600),
        &gateway::file_mail(&s_dir),
    );
    let mut sender = delivered_sender(&s_dir, &config);
    let source_digest = receiver.digest().expect("the sender's set is in place");

    // Connect mode, the sender running: the last delivery is read through its admin
    // listener.
    let out = temp.path().join("connect");
    let run = verify_through(&sender, &out);
    assert_eq!(run.status.code(), Some(0), "{}", show(&run));
    let report = read_report(&out);
    assert_eq!(with(&report, Verdict::Fail), BTreeSet::new(), "{report:#?}");
    assert_eq!(with(&report, Verdict::Warn), BTreeSet::new(), "{report:#?}");
    assert_eq!(
        with(&report, Verdict::Skip),
        NOT_FOR_PLAIN.into_iter().collect(),
        "{report:#?}"
    );
    assert_eq!(report.checks.len(), lotgate::verify::CHECKS.len());
    assert!(
        evidence(&report, "duplicate.stored").contains("byte for byte the stored"),
        "{report:#?}"
    );
    assert!(
        evidence(&report, "content.two-vaccines").contains("lot.two-vaccines"),
        "{report:#?}"
    );
    // The receiver holds the source's set again, from verify's last message.
    let set = receiver.set().set.expect("a set");
    assert_eq!(set.digest, source_digest);
    assert_eq!(set.lots, LOTS);
    let left = report.data_left.clone().expect("what the receiver holds");
    assert!(left.contains(&set.message_id.extension), "{left} / {set:?}");
    // Every request and answer is in evidence/: ten exchanges, four files each.
    let files = std::fs::read_dir(out.join("evidence")).unwrap().count();
    assert_eq!(files, 40);

    // A report directory is never mixed: a second run into it refuses (exit 2).
    let again = verify_through(&sender, &out);
    assert_eq!(again.status.code(), Some(2), "{}", show(&again));
    assert!(
        show(&again).contains("already holds a report"),
        "{}",
        show(&again)
    );

    // Safe mode with the sender stopped: the store is read directly; nothing changes.
    sender.terminate();
    let before = receiver.set();
    let safe = temp.path().join("safe");
    let config_path = s_dir.join("config.toml");
    let run = verify(&config_path, &safe, &["--mode", "safe"]);
    assert_eq!(run.status.code(), Some(0), "{}", show(&run));
    let report = read_report(&safe);
    let passed: BTreeSet<&str> = [
        "reach.tcp",
        "clock.skew",
        "duplicate.stored",
        "input.malformed",
        "addressing.other-receiver",
    ]
    .into_iter()
    .collect();
    assert_eq!(with(&report, Verdict::Pass), passed, "{report:#?}");
    assert!(
        evidence(&report, "delivery.accepted").contains("not in --mode safe"),
        "{report:#?}"
    );
    assert_eq!(receiver.set(), before, "safe mode changed nothing");

    // Bad input: an unknown destination, no sender; nothing is written.
    let unknown = lotgate(&[
        "verify",
        "--destination",
        "elsewhere",
        "--config",
        config_path.to_str().unwrap(),
    ]);
    assert_eq!(unknown.status.code(), Some(2), "{}", show(&unknown));
    assert!(
        show(&unknown).contains("no destination is called \"elsewhere\""),
        "{}",
        show(&unknown)
    );
    let r_config = r_dir.join("config.toml");
    let no_sender = lotgate(&[
        "verify",
        "--destination",
        "local",
        "--config",
        r_config.to_str().unwrap(),
    ]);
    assert_eq!(no_sender.status.code(), Some(2), "{}", show(&no_sender));
}

#[test]
fn over_two_way_tls_in_the_connect_phase_every_check_passes() {
    let temp = tempfile::tempdir().unwrap();
    let (r_dir, s_dir) = (temp.path().join("r"), temp.path().join("s"));
    std::fs::create_dir_all(&r_dir).unwrap();
    std::fs::create_dir_all(&s_dir).unwrap();
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(temp.path(), "ca");
    let server = ca.issue(&Leaf::server(), temp.path(), "receiver");
    let client = ca.issue(&Leaf::client("00000001234567890000"), temp.path(), "sender");
    // Our sender is a partner in its connect phase: its deliveries go to its trial set.
    let receiver_lines = format!(
        "[[receiver.sender]]\napplication_id = \"99999001\"\nname = \"Voorraad\"\n\
         phase = \"connect\"\ncontact = [\"koppeling@example.org\"]\n\n[receiver.tls]\n\
         certificate = \"{}\"\nprivate_key_file = \"{}\"\nclient_ca = [\"{}\"]\n\n\
         [[receiver.tls.client]]\nserial_number = \"00000001234567890000\"\n\
         application_ids = [\"99999001\"]\n",
        server.certificate.display(),
        server.key.display(),
        ca_path.display()
    );
    let receiver_config =
        gateway::receiver_config(&r_dir, &receiver_lines, &gateway::file_mail(&r_dir))
            .replace("allowed_senders = [\"99999001\"]", "allowed_senders = []");
    let receiver = gateway::start(&r_dir, &receiver_config);
    let url = format!(
        "https://localhost:{}{}",
        receiver.exchange.port(),
        receiver.path
    );
    let tls = |roots: &Path| {
        format!(
            "\n[sender.tls]\ncertificate = \"{}\"\nprivate_key_file = \"{}\"\nroots = [\"{}\"]\n",
            client.certificate.display(),
            client.key.display(),
            roots.display()
        )
    };
    let config = sender_config(
        &s_dir,
        &[("local", url.clone(), "99999002")],
        Duration::from_secs(3600),
        &gateway::file_mail(&s_dir),
    )
    .replacen(
        "\n[[sender.destination]]",
        &format!("{}\n[[sender.destination]]", tls(&ca_path)),
        1,
    );
    let sender = delivered_sender(&s_dir, &config);

    let out = temp.path().join("tls");
    let run = verify_through(&sender, &out);
    assert_eq!(run.status.code(), Some(0), "{}", show(&run));
    let report = read_report(&out);
    assert_eq!(with(&report, Verdict::Fail), BTreeSet::new(), "{report:#?}");
    assert_eq!(with(&report, Verdict::Warn), BTreeSet::new(), "{report:#?}");
    assert_eq!(with(&report, Verdict::Skip), BTreeSet::new(), "{report:#?}");
    assert!(
        evidence(&report, "tls.handshake").contains("TLSv1_3"),
        "{report:#?}"
    );
    assert!(
        evidence(&report, "reach.dns").starts_with("localhost → "),
        "{report:#?}"
    );
    assert!(
        evidence(&report, "tls.expiry").contains("2099-12-31"),
        "{report:#?}"
    );
    // The trial set is the source's set again; the production set was never touched.
    let trial: TrialAnswer = receiver.admin_get("/api/v1/trial/99999001").answer();
    let set = trial.set.expect("a trial set");
    assert_eq!(set.lots, LOTS);
    assert!(
        report
            .data_left
            .as_deref()
            .unwrap()
            .contains(&set.message_id.extension),
        "{report:#?}"
    );
    assert_eq!(receiver.set().set, None);

    // Roots that do not hold the receiver's CA: the chain fails, and nothing after it
    // runs (exit 1).
    let stranger = Ca::new("another CA").write(temp.path(), "stranger");
    let other = s_dir.join("other.toml");
    std::fs::write(&other, config.replace(&tls(&ca_path), &tls(&stranger))).unwrap();
    let out = temp.path().join("stranger");
    let run = verify(&other, &out, &["--mode", "safe"]);
    assert_eq!(run.status.code(), Some(1), "{}", show(&run));
    let report = read_report(&out);
    assert_eq!(
        with(&report, Verdict::Fail),
        ["tls.handshake", "tls.chain"].into_iter().collect(),
        "{report:#?}"
    );
    assert!(
        evidence(&report, "tls.chain").contains("UnknownIssuer"),
        "{report:#?}"
    );
}

#[test]
fn faulty_receivers_fail_exactly_the_matching_checks() {
    let receiver = gateway::spawn_receiver("");
    let cases = [
        (
            Fault::FreshAckForDuplicates,
            "duplicate.identical",
            "a fresh acknowledgement",
        ),
        (
            Fault::AcceptsBlankLot,
            "content.blank-lot",
            "accepted, where the message must be refused",
        ),
        (
            Fault::OtherTarget,
            "delivery.ack-target",
            "-OTHER, our message is",
        ),
        (
            Fault::Slow(Duration::from_millis(1500)),
            "delivery.answer-time",
            "later than attempt_timeout 1s",
        ),
    ];
    for (fault, failing, words) in cases {
        let faulty = FaultyReceiver::start(receiver.exchange, &receiver.path, fault);
        let temp = tempfile::tempdir().unwrap();
        let config = sender_config(
            temp.path(),
            &[("local", faulty.url(), "99999002")],
            Duration::from_secs(3600),
            &gateway::file_mail(temp.path()),
        );
        let path = temp.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        let out = temp.path().join("report");
        let run = verify(&path, &out, &[]);
        assert_eq!(run.status.code(), Some(1), "{fault:?}: {}", show(&run));
        let report = read_report(&out);
        assert_eq!(
            with(&report, Verdict::Fail),
            [failing].into_iter().collect(),
            "{fault:?}: {report:#?}"
        );
        assert!(
            evidence(&report, failing).contains(words),
            "{fault:?}: {report:#?}"
        );
        // The sender never delivered: nothing to resend.
        assert_eq!(
            with(&report, Verdict::Skip),
            ["duplicate.stored"]
                .into_iter()
                .chain(NOT_FOR_PLAIN)
                .collect()
        );
        // Whatever the fault, the receiver is left with the source's set.
        let set = receiver.set().set.expect("a set");
        assert_eq!(set.lots, LOTS, "{fault:?}");
        assert!(
            report
                .data_left
                .unwrap()
                .contains(&set.message_id.extension)
        );
    }
}
