//! The store on real sled databases: large sets, readers during applies, crash
//! consistency under a real SIGKILL, and (with `LOTGATE_STORE_GROWTH=1`) the size of the
//! database over a year of nightly deliveries.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use lotgate::ids::MessageId;
use lotgate::language::Text;
use lotgate::lot::{Lot, LotNumber, LotSet};
use lotgate::message::AckType;
use lotgate::sample;
use lotgate::store::{
    Attempt, AttemptOutcome, BuiltMessage, DeliveryState, ImportReport, JournalEntry,
    JournalFilter, JournalKind, JournalWrite, LotChanges, MessageRecord, NewBody, NewDelivery,
    Outcome, ReceiverStore, SenderStore, StoreOptions, StoredSet, Trigger,
};
use lotgate::timestamp::Timestamp;
use lotgate::vaccine::{VaccineType, W0422};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

const ROOT: &str = "2.16.840.1.113883.2.4.6.6.99999001.1";

fn id(n: u64) -> MessageId {
    MessageId::parse(ROOT, &format!("N-{n}")).expect("valid id")
}

fn index_of(id: &MessageId) -> u64 {
    id.extension()[2..].parse().expect("a test message id")
}

fn at(seconds: u64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 2, 0, 0).unwrap() + Duration::seconds(seconds as i64)
}

/// Delivery `n` of `lots`: created, received and applied `n` seconds after the start.
fn delivery(n: u64, lots: LotSet) -> (StoredSet, MessageRecord, ImportReport) {
    let created = Timestamp::from_local(at(n).naive_utc());
    let record = MessageRecord {
        id: id(n),
        sha256: Sha256::digest(format!("message {n}")).into(),
        received_at: at(n),
        ack_type: AckType::CA,
        response: format!("<MCCI_IN000002>{}</MCCI_IN000002>", "x".repeat(1500)),
    };
    let mut report = ImportReport::new(id(n), at(n), Outcome::Applied);
    report.lots = lots.len();
    (StoredSet::new(id(n), created, at(n), lots), record, report)
}

/// Lots `first..first + count` of an endless numbered sequence.
fn lots(prefix: &str, first: usize, count: usize) -> LotSet {
    let lots = (first..first + count)
        .map(|k| Lot {
            number: LotNumber::parse(&format!("{prefix}{k:07}")).expect("valid"),
            vaccine: VaccineType::known(W0422[k % W0422.len()].0).expect("known"),
            expires: NaiveDate::from_ymd_opt(2027, 1, 1 + (k % 28) as u32).filter(|_| k % 4 != 0),
        })
        .collect();
    LotSet::new(lots).expect("distinct numbers")
}

/// Set `i` of the crash test: its lots and size are derived from `i`.
fn crash_set(i: u64) -> LotSet {
    const SIZES: [usize; 6] = [40, 2500, 9000, 300, 6000, 1200];
    lots(
        &format!("C{i}-"),
        i as usize,
        SIZES[i as usize % SIZES.len()],
    )
}

fn mail(i: u64) -> (String, Vec<u8>) {
    (format!("mail-{i}"), format!("{{\"n\":{i}}}").into_bytes())
}

#[test]
fn ten_thousand_lots_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    for n in [10_000, 100_000] {
        let (set, record, report) = delivery(n as u64, sample::lot_set(n));
        let started = Instant::now();
        let applied = store
            .apply(set.clone(), record, report, &[], None)
            .unwrap()
            .set;
        let apply = started.elapsed();
        assert_eq!(applied.lots(), set.lots());
        let started = Instant::now();
        assert_eq!(store.current().unwrap().as_ref(), Some(&applied));
        eprintln!(
            "{n} lots: apply incl. flush {apply:?}, read back {:?}",
            started.elapsed()
        );
    }
    let (set, record, report) = delivery(200_000, sample::lot_set(10_000));
    let applied = store.apply(set, record, report, &[], None).unwrap().set;
    assert_eq!(applied.version(), 3);
    drop(store);
    let store = ReceiverStore::open(dir.path()).unwrap();
    assert_eq!(store.current().unwrap(), Some(applied));
}

#[test]
fn readers_never_see_an_error_during_applies() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (set, record, report) = delivery(0, crash_set(0));
    store.apply(set, record, report, &[], None).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let mut reads = 0;
                    while !stop.load(Ordering::Relaxed) {
                        // `current` checks the lots against the stored digest.
                        let set = store.current().expect("reads").expect("a set is in place");
                        assert_eq!(set.lots().len(), crash_set(index_of(&set.message_id)).len());
                        let record = store.message(&set.message_id).expect("reads");
                        assert!(record.is_some(), "the set's record is written with it");
                        assert!(!store.history(3).expect("reads").is_empty());
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for i in 1..=24 {
            let (set, record, report) = delivery(i, crash_set(i));
            store.apply(set, record, report, &[mail(i)], None).unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        for reader in readers {
            assert!(reader.join().expect("reader does not panic") > 0);
        }
    });
}

const CRASH_CHILD_DIR: &str = "LOTGATE_STORE_CRASH_CHILD_DIR";
const CRASH_HISTORY: usize = 10;

/// The child: applies sets after the one in place, one after another, and says so after
/// each apply has returned, until it is killed.
fn crash_child(dir: &Path) {
    let options = StoreOptions {
        history_limit: CRASH_HISTORY,
    };
    let store = ReceiverStore::open_with(dir, options).expect("child opens the store");
    let current = store.current().expect("child reads the set");
    let first = current.map_or(1, |set| index_of(&set.message_id) + 1);
    for i in first.. {
        let (set, record, report) = delivery(i, crash_set(i));
        store
            .apply(set, record, report, &[mail(i)], None)
            .expect("child applies");
        println!("applied {i}");
    }
}

/// After a kill: the set in place is exactly one of the sets sent, not older than the
/// last one reported applied, with its record, report and mails (and nothing later).
fn check_after_crash(dir: &Path, confirmed: u64) -> u64 {
    let options = StoreOptions {
        history_limit: CRASH_HISTORY,
    };
    let store = ReceiverStore::open_with(dir, options).expect("reopens after SIGKILL");
    let Some(set) = store.current().expect("the set reads back after SIGKILL") else {
        assert_eq!(confirmed, 0, "a set was reported applied, none is in place");
        assert!(store.outbox().pending().unwrap().is_empty());
        return 0;
    };
    let i = index_of(&set.message_id);
    assert!(
        i >= confirmed,
        "set {i} in place, but {confirmed} was reported applied"
    );
    let (expected, record, _) = delivery(i, crash_set(i));
    assert_eq!(
        (
            &set.message_id,
            &set.created,
            set.applied_at,
            set.lots(),
            set.digest()
        ),
        (
            &expected.message_id,
            &expected.created,
            expected.applied_at,
            expected.lots(),
            expected.digest()
        ),
        "set {i} is exactly as sent"
    );
    // Sets 1, 2, 3, … are applied once each, in order, whatever the kills.
    assert_eq!(set.version(), i, "set {i} is the {i}th set applied");
    assert_eq!(store.message(&id(i)).unwrap(), Some(record));
    assert_eq!(store.message(&id(i + 1)).unwrap(), None);
    let history = store.history(usize::MAX).unwrap();
    assert!(history.len() <= CRASH_HISTORY);
    assert_eq!(history[0].message_id, set.message_id);
    assert_eq!(
        (history[0].outcome, history[0].lots),
        (Outcome::Applied, set.lots().len())
    );
    let mails: Vec<_> = store.outbox().pending().unwrap();
    assert_eq!(mails, (1..=i).map(mail).collect::<Vec<_>>());
    i
}

#[test]
fn crash_consistency() {
    if let Some(dir) = std::env::var_os(CRASH_CHILD_DIR) {
        crash_child(Path::new(&dir));
        return;
    }
    use std::hash::{BuildHasher, RandomState};
    use std::os::unix::process::ExitStatusExt;
    let rounds: usize = std::env::var("LOTGATE_STORE_CRASHES").map_or(30, |n| n.parse().unwrap());
    let seed = RandomState::new().hash_one(0u8);
    let mut random = seed | 1;
    // The running binary, even when cargo has rebuilt it meanwhile (which unlinks the
    // file that `current_exe` names).
    let exe = Path::new("/proc/self/exe");
    let exe = if exe.exists() {
        exe.to_path_buf()
    } else {
        std::env::current_exe().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut confirmed, mut total, mut unreported) = (0, 0, 0);
    let started = Instant::now();
    for round in 0..rounds {
        let stderr = std::fs::File::create(dir.path().join("child.err")).unwrap();
        let mut child = Command::new(&exe)
            .args(["--exact", "store::crash_consistency", "--nocapture"])
            .env(CRASH_CHILD_DIR, dir.path().join("db"))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the test binary starts again");
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| line.strip_prefix("applied ")?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        });
        // xorshift64: a random kill time of 0-300 ms, reproducible from the seed.
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        std::thread::sleep(std::time::Duration::from_millis(random % 301));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let applied = reader.join().unwrap();
        let log = std::fs::read_to_string(dir.path().join("child.err")).unwrap_or_default();
        assert_eq!(
            status.signal(),
            Some(9),
            "round {round}: child ended by itself:\n{log}"
        );
        total += applied.len();
        confirmed = applied.last().copied().unwrap_or(confirmed);
        let found = check_after_crash(&dir.path().join("db"), confirmed);
        // Killed after a commit, before the child could say so: the set must survive.
        unreported += usize::from(found > confirmed);
        confirmed = confirmed.max(found);
    }
    eprintln!(
        "crash consistency: {rounds} kills, {total} applies reported, {unreported} kills \
         between a commit and its report, set {confirmed} in place, {:?} (seed {seed})",
        started.elapsed()
    );
}

/// The journal's retention by default.
const RETENTION_DAYS: i64 = 90;

/// The exact bytes of night `night`'s message of `set` to destination `to`.
fn message_bytes(night: u64, to: usize, set: &LotSet) -> Vec<u8> {
    let message = sample::message_with(set.clone(), &format!("N-{night}-{to}"));
    lotgate::wire::soap::message_envelope(&message).into_bytes()
}

/// A journal entry as the roles write them (their facts are small JSON).
fn journal_entry(kind: JournalKind, id: u64, at: DateTime<Utc>, outcome: &str) -> JournalEntry {
    JournalEntry {
        id,
        kind,
        at,
        last_at: at,
        destination: Some("jgz".into()),
        outcome: outcome.into(),
        message_id: Some(format!("{ROOT}/N-{}", at.timestamp())),
        details: serde_json::json!({"client": "127.0.0.1", "bytes": 950_000, "count": 1}),
        bodies: Vec::new(),
    }
}

fn body(part: u32, bytes: Vec<u8>) -> NewBody {
    NewBody {
        part,
        size: bytes.len(),
        bytes,
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}

/// The receiver's store over a year: every night a set of 2,000 lots (100 new, 100 gone)
/// applied, its message and answer journaled, message records pruned after 30 days and
/// the journal after its default retention.
#[test]
fn growth_over_a_year() {
    if std::env::var_os("LOTGATE_STORE_GROWTH").is_none() {
        eprintln!("growth_over_a_year: set LOTGATE_STORE_GROWTH=1 to run it");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let mut previous = LotSet::default();
    let started = Instant::now();
    for night in 0..365u64 {
        // 2,000 lots, of which 100 are new every night and 100 are gone.
        let set = lots("N", night as usize * 100, 2000);
        let request = message_bytes(night, 0, &set);
        let (set, record, mut report) = delivery(night * 86_400, set);
        let old = previous.lots();
        let added = set
            .lots()
            .lots()
            .iter()
            .filter(|l| previous.get(l.number.as_str()).is_none());
        report.added = LotChanges::new(added.map(|l| l.number.clone()));
        let removed = old
            .iter()
            .filter(|l| set.lots().get(l.number.as_str()).is_none());
        report.removed = LotChanges::new(removed.map(|l| l.number.clone()));
        previous = set.lots().clone();
        let answer = record.response.clone().into_bytes();
        store.apply(set, record, report, &[], None).unwrap();
        let now = at(night * 86_400);
        let entry = journal_entry(JournalKind::Received, 0, now, "ca");
        let write = JournalWrite::new(entry, vec![body(0, request), body(1, answer)]);
        store.journal().write(&write, true).unwrap();
        store.prune_messages(now - Duration::days(30)).unwrap();
        store
            .journal()
            .prune(now - Duration::days(RETENTION_DAYS), |_| false)
            .unwrap();
        if (night + 1) % 50 == 0 {
            let size = store.size_on_disk().unwrap();
            eprintln!("receiver, night {}: {:.1} MiB", night + 1, mib(size));
        }
    }
    let size = store.size_on_disk().unwrap();
    eprintln!(
        "receiver, after 365 nights: {:.1} MiB in {:?}",
        mib(size),
        started.elapsed()
    );
    drop(store);
    let store = ReceiverStore::open(dir.path()).unwrap();
    let reopened = store.size_on_disk().unwrap();
    eprintln!("receiver, after reopening: {:.1} MiB", mib(reopened));
    let kept = store
        .journal()
        .list(&JournalFilter::default(), None, 1000)
        .unwrap();
    // The nights of the last 90 days, the one exactly 90 days back included.
    assert_eq!(kept.len(), RETENTION_DAYS as usize + 1);
    assert!(size < 64 << 20, "the store stays under 64 MiB");
}

/// The sender's store over a year: every night a delivery of 2,000 lots (100 new, 100
/// gone) to each of 10 destinations, superseding the night before, its message and
/// answer journaled, and the journal pruned after its default retention.
#[test]
fn sender_growth_over_a_year() {
    if std::env::var_os("LOTGATE_STORE_GROWTH").is_none() {
        eprintln!("sender_growth_over_a_year: set LOTGATE_STORE_GROWTH=1 to run it");
        return;
    }
    const DESTINATIONS: usize = 10;
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let answer = format!("<MCCI_IN000002>{}</MCCI_IN000002>", "x".repeat(1500)).into_bytes();
    let started = Instant::now();
    for night in 0..365u64 {
        let now = at(night * 86_400);
        let set = lots("N", night as usize * 100, 2000);
        for to in 0..DESTINATIONS {
            let bytes = message_bytes(night, to, &set);
            let built = BuiltMessage::new(
                MessageId::parse(ROOT, &format!("N-{night}-{to}")).unwrap(),
                Timestamp::from_local(now.naive_utc()),
                set.len(),
                &bytes,
            );
            let journal = store.journal().next_id().unwrap();
            let mut delivery = store
                .begin(NewDelivery {
                    id: store.next_id().unwrap(),
                    destination: format!("jgz-{to}"),
                    trigger: Trigger::Nightly,
                    night: Some(
                        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(night as i64),
                    ),
                    start: now,
                    escalate_at: Some(now + Duration::hours(5)),
                    message: Some((built, bytes.clone())),
                    journal: Some(journal),
                })
                .unwrap();
            let entry = journal_entry(JournalKind::Delivery, journal, now, "pending");
            store
                .journal()
                .write(&JournalWrite::new(entry, vec![body(0, bytes)]), true)
                .unwrap();
            delivery.attempts.push(Attempt {
                at: now,
                outcome: Some(AttemptOutcome::Delivered),
                detail: Text::verbatim("HTTP 200 OK: CA"),
                answer_lost: false,
                http_status: Some(200),
                duration_ms: Some(40),
            });
            delivery.state = DeliveryState::Delivered;
            delivery.finished_at = Some(now);
            assert!(store.save(&[&delivery], &[]).unwrap());
            let entry = journal_entry(JournalKind::Delivery, journal, now, "delivered");
            store
                .journal()
                .write(
                    &JournalWrite::new(entry, vec![body(1, answer.clone())]),
                    true,
                )
                .unwrap();
        }
        let in_use: Vec<u64> = store
            .deliveries()
            .unwrap()
            .iter()
            .filter_map(|d| d.journal)
            .collect();
        store
            .journal()
            .prune(now - Duration::days(RETENTION_DAYS), |id| {
                in_use.contains(&id)
            })
            .unwrap();
        if (night + 1) % 50 == 0 {
            let size = store.size_on_disk().unwrap();
            eprintln!("sender, night {}: {:.1} MiB", night + 1, mib(size));
        }
    }
    let size = store.size_on_disk().unwrap();
    eprintln!(
        "sender, after 365 nights: {:.1} MiB in {:?}",
        mib(size),
        started.elapsed()
    );
    drop(store);
    let store = SenderStore::open(dir.path()).unwrap();
    let reopened = store.size_on_disk().unwrap();
    eprintln!("sender, after reopening: {:.1} MiB", mib(reopened));
    let kept = store
        .journal()
        .list(&JournalFilter::default(), None, 2000)
        .unwrap();
    assert_eq!(kept.len(), (RETENTION_DAYS as usize + 1) * DESTINATIONS);
    assert!(size < 64 << 20, "the store stays under 64 MiB");
}
