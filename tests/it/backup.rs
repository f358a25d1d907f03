//! Backup and restore from outside: `lotgate backup` from a running gateway while
//! deliveries arrive, `lotgate restore` into a new directory, and a gateway started there
//! that answers duplicates of what was applied with the same acknowledgements and serves
//! the same set; the sender's deliveries survive the same way; bad backups and occupied
//! directories are refused and nothing is written.

use crate::support::gateway::{self, Gateway};
use crate::support::lotgate;
use crate::support::sender::{destination, sender_config, state, wait_for};
use lotgate::api::StateView;
use lotgate::sample;
use lotgate::timestamp::Timestamp;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Message `i`: 20 + i lots, created i seconds after 2026-06-01 02:00:00.
fn message(i: usize) -> Vec<u8> {
    let mut message = sample::message_with(sample::lot_set(20 + i), &format!("BACKUP-{i}"));
    let created = chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
        .unwrap()
        .and_hms_opt(2, 0, 0)
        .unwrap()
        + chrono::TimeDelta::seconds(i as i64);
    message.created = Timestamp::from_local(created);
    lotgate::wire::soap::message_envelope(&message).into_bytes()
}

/// What was delivered: message number, its answer, and when the answer came.
type Answered = Vec<(usize, Vec<u8>, Instant)>;

fn out(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `lotgate restore --input FILE --data-dir DIR`.
fn restore(file: &Path, dir: &Path) -> std::process::Output {
    lotgate(&[
        "restore",
        "--input",
        file.to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
    ])
}

/// A receiver on the data directory `data` (its stores below it).
fn receiver_on(dir: &Path, data: &Path) -> Gateway {
    let config = gateway::receiver_config(dir, "", &gateway::file_mail(dir)).replace(
        &format!("data_dir = \"{}\"", dir.join("data").display()),
        &format!("data_dir = \"{}\"", data.display()),
    );
    gateway::start(dir, &config)
}

#[test]
fn a_backup_taken_during_deliveries_restores_a_receiver_that_answers_as_before() {
    let temp = tempfile::tempdir().unwrap();
    let (a, b) = (temp.path().join("a"), temp.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let receiver = receiver_on(&a, &a.join("data"));

    // Deliveries keep arriving, one every 20 ms, while the backup is taken.
    let answered: Arc<Mutex<Answered>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let deliveries = {
        let (answered, stop, exchange, path) = (
            answered.clone(),
            stop.clone(),
            receiver.exchange,
            receiver.path.clone(),
        );
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let answer = crate::support::http::request(exchange, "POST", &path, &message(i));
                assert_eq!(crate::support::ack_type(&answer.text()), "CA");
                answered
                    .lock()
                    .unwrap()
                    .push((i, answer.body, Instant::now()));
                i += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    wait_for(Duration::from_secs(10), || {
        (answered.lock().unwrap().len() >= 5).then_some(())
    })
    .expect("deliveries run");
    let file = temp.path().join("lotgate.backup");
    let began = Instant::now();
    let backup = receiver.cli(&["backup", "--output", file.to_str().unwrap()]);
    let ended = Instant::now();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    deliveries.join().unwrap();
    assert_eq!(backup.status.code(), Some(0), "{}", out(&backup));
    assert!(out(&backup).contains("receiver: "), "{}", out(&backup));
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.iter().any(|(_, _, at)| *at > ended),
        "deliveries went on after the backup"
    );
    // The backup is in the audit trail.
    let audit = receiver.cli(&["journal", "--kind", "audit", "--json"]);
    assert!(out(&audit).contains("\"backup\""), "{}", out(&audit));

    // Restored into a new directory, a receiver started there…
    let restored = temp.path().join("restored");
    let run = restore(&file, &restored);
    assert_eq!(run.status.code(), Some(0), "{}", out(&run));
    let copy = receiver_on(&b, &restored);
    // … holds the set of a message answered before the backup ended, and at least the
    // last one answered before it began.
    let set = copy.set().set.expect("a set");
    let holds: usize = set
        .message_id
        .extension
        .strip_prefix("BACKUP-")
        .unwrap()
        .parse()
        .unwrap();
    let before = answered
        .iter()
        .filter(|(_, _, at)| *at < began)
        .map(|(i, _, _)| *i)
        .max()
        .unwrap();
    let by_end = answered
        .iter()
        .filter(|(_, _, at)| *at <= ended)
        .map(|(i, _, _)| *i)
        .max()
        .unwrap();
    assert!(
        (before..=by_end).contains(&holds),
        "{holds} not in {before}..={by_end}"
    );
    assert_eq!(set.lots, 20 + holds, "the set and its record agree");
    // Every message applied before the set it holds gets its acknowledgement again, byte
    // for byte.
    for (i, ack, _) in answered.iter().filter(|(i, _, _)| *i <= holds) {
        let again = copy.post(&message(*i));
        assert_eq!(&again.body, ack, "message {i}");
    }
    // A message after it is new there: applied.
    let next = copy.post(&message(holds + 1));
    assert_eq!(crate::support::ack_type(&next.text()), "CA");
    assert_eq!(copy.set().set.unwrap().lots, 20 + holds + 1);

    // Never over a store: the restore refuses, and the directory is as it was.
    drop(copy);
    let again = restore(&file, &restored);
    assert_eq!(again.status.code(), Some(2), "{}", out(&again));
    assert!(out(&again).contains("not empty"), "{}", out(&again));
    // A damaged backup is refused before anything is written.
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    let damaged = temp.path().join("damaged.backup");
    std::fs::write(&damaged, bytes).unwrap();
    let elsewhere = temp.path().join("elsewhere");
    let run = restore(&damaged, &elsewhere);
    assert_eq!(run.status.code(), Some(2), "{}", out(&run));
    assert!(
        out(&run).contains("SHA-256 does not match"),
        "{}",
        out(&run)
    );
    assert!(!elsewhere.exists());
    // A backup never overwrites a file.
    let twice = receiver.cli(&["backup", "--output", file.to_str().unwrap()]);
    assert_eq!(twice.status.code(), Some(2), "{}", out(&twice));
}

#[test]
fn a_restored_sender_keeps_its_deliveries() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let receiver = gateway::spawn_receiver("");
    let url = format!("http://{}{}", receiver.exchange, receiver.path);
    let config = sender_config(
        dir,
        &[("local", url, "99999002")],
        Duration::from_secs(3600),
        &gateway::file_mail(dir),
    );
    let mut sender = gateway::start(dir, &config);
    let delivered = wait_for(Duration::from_secs(20), || {
        let status = destination(&sender, "local");
        (state(&status) == Some(StateView::Delivered)).then_some(status)
    })
    .expect("delivered");
    let file = dir.join("sender.backup");
    let backup = sender.cli(&["backup", "--output", file.to_str().unwrap()]);
    assert_eq!(backup.status.code(), Some(0), "{}", out(&backup));
    assert!(out(&backup).contains("sender: "), "{}", out(&backup));
    sender.terminate();

    // The sender restarted on the restored store: the night is delivered already, with
    // the same message; nothing is sent again.
    let other = temp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let restored = other.join("data");
    let run = restore(&file, &restored);
    assert_eq!(run.status.code(), Some(0), "{}", out(&run));
    let applied = receiver.history().len();
    let config = std::fs::read_to_string(dir.join("config.toml"))
        .unwrap()
        .replace(
            &format!("data_dir = \"{}\"", dir.join("data").display()),
            &format!("data_dir = \"{}\"", restored.display()),
        );
    let copy = gateway::start(&other, &config);
    std::thread::sleep(Duration::from_secs(2));
    let status = destination(&copy, "local");
    assert_eq!(state(&status), Some(StateView::Delivered));
    assert_eq!(
        status.delivery.as_ref().unwrap().message,
        delivered.delivery.as_ref().unwrap().message
    );
    assert_eq!(receiver.history().len(), applied, "nothing delivered again");
}
