//! Unit tests of the store on real sled databases in temporary directories: every
//! operation survives closing and reopening the database.

use super::*;
use crate::ids::MessageId;
use crate::lot::LotSet;
use crate::message::AckType;
use crate::sample;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::path::Path;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn id(n: u32) -> MessageId {
    MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", &format!("M-{n}")).unwrap()
}

/// Message `n`: created `n` minutes after 02:00, received `n` minutes after midnight.
fn delivery(n: u32, lots: LotSet) -> (StoredSet, MessageRecord, ImportReport) {
    let created = Timestamp::parse(&format!("202606010{}{:02}00", 2 + n / 60, n % 60)).unwrap();
    let set = StoredSet::new(id(n), created, at(n.into()), lots);
    let record = MessageRecord {
        id: id(n),
        sha256: [n as u8; 32],
        received_at: at(n.into()),
        ack_type: AckType::CA,
        response: format!("<ack n=\"{n}\"/>\n"),
    };
    let mut report = ImportReport::new(id(n), at(n.into()), Outcome::Applied);
    report.lots = set.lots().len();
    report.added = LotChanges::new(set.lots().lots().iter().map(|l| l.number.clone()));
    report.warnings.push(ReportIssue {
        code: "lot.expired".into(),
        text: "verlopen".into(),
        location: "/x".into(),
    });
    (set, record, report)
}

fn mail(name: &str) -> Vec<(String, Vec<u8>)> {
    vec![(
        name.to_owned(),
        format!("{{\"id\":\"{name}\"}}").into_bytes(),
    )]
}

fn reopen(store: ReceiverStore, dir: &Path) -> ReceiverStore {
    drop(store);
    ReceiverStore::open(dir).expect("reopens")
}

#[test]
fn empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    assert_eq!(store.current().unwrap(), None);
    assert!(store.history(10).unwrap().is_empty());
    assert!(store.quarantined().unwrap().is_empty());
    assert_eq!(store.watchdog().unwrap(), WatchdogState::default());
    assert!(store.outbox().pending().unwrap().is_empty());
    assert!(store.size_on_disk().unwrap() > 0);
}

#[test]
fn apply_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (set, record, report) = delivery(1, sample::lot_set(500));
    let applied = store
        .apply(
            set.clone(),
            record.clone(),
            report.clone(),
            &mail("a"),
            None,
        )
        .unwrap();
    let stored = applied.report;
    assert_eq!(stored.sequence(), 1);
    assert_eq!((applied.set.version(), stored.set_version), (1, Some(1)));
    let (set2, record2, report2) = delivery(2, sample::lot_set(20));
    let applied2 = store
        .apply(set2.clone(), record2, report2, &[], None)
        .unwrap();
    let stored2 = applied2.report;
    assert_eq!(stored2.sequence(), 2);
    assert_eq!((applied2.set.version(), stored2.set_version), (2, Some(2)));
    assert_eq!(applied2.set.lots(), set2.lots());

    let store = reopen(store, dir.path());
    assert_eq!(store.current().unwrap(), Some(applied2.set));
    assert_eq!(store.message(&id(1)).unwrap(), Some(record));
    assert_eq!(store.message(&id(3)).unwrap(), None);
    let history = store.history(10).unwrap();
    assert_eq!(history, [stored2, stored]);
    assert_eq!(history[1].added.total(), 500);
    assert_eq!(store.outbox().pending().unwrap(), mail("a"));

    // The version goes on from the stored one after a reopen.
    let (set3, record3, report3) = delivery(3, sample::lot_set(30));
    let applied3 = store.apply(set3, record3, report3, &[], None).unwrap();
    assert_eq!(applied3.set.version(), 3);
}

#[test]
fn duplicates_and_stale_sets_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (set, record, report) = delivery(5, sample::lot_set(3));
    let applied = store
        .apply(set.clone(), record.clone(), report.clone(), &[], None)
        .unwrap();
    let again = store.apply(
        set.clone(),
        record.clone(),
        report.clone(),
        &mail("x"),
        None,
    );
    assert!(matches!(again, Err(StoreError::Duplicate(r)) if *r == record));
    let ce = MessageRecord {
        ack_type: AckType::CE,
        ..record.clone()
    };
    assert!(matches!(
        store.record(ce, None, &[]),
        Err(StoreError::Duplicate(_))
    ));
    let (old, old_record, old_report) = delivery(4, sample::lot_set(9));
    let stale = store.apply(old, old_record, old_report, &mail("y"), None);
    assert!(matches!(stale, Err(StoreError::Stale { .. })), "{stale:?}");
    assert_eq!(store.message(&id(4)).unwrap(), None);
    assert_eq!(store.current().unwrap(), Some(applied.set));
    assert_eq!(store.history(10).unwrap().len(), 1);
    assert!(store.outbox().pending().unwrap().is_empty());
}

#[test]
fn records_without_a_set() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (_, mut record, mut report) = delivery(7, sample::lot_set(1));
    record.ack_type = AckType::CR;
    report.outcome = Outcome::Rejected(AckType::CR);
    store
        .record(record.clone(), Some(report), &mail("cr"))
        .unwrap();
    let (_, other, _) = delivery(8, sample::lot_set(1));
    store.record(other.clone(), None, &[]).unwrap();

    let store = reopen(store, dir.path());
    assert_eq!(store.current().unwrap(), None);
    assert_eq!(store.message(&id(7)).unwrap(), Some(record));
    assert_eq!(store.message(&id(8)).unwrap(), Some(other));
    let history = store.history(10).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].outcome, Outcome::Rejected(AckType::CR));
    assert_eq!(store.outbox().pending().unwrap(), mail("cr"));
}

#[test]
fn history_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions { history_limit: 3 };
    let store = ReceiverStore::open_with(dir.path(), options).unwrap();
    for n in 1..=5 {
        let (set, record, report) = delivery(n, sample::lot_set(2));
        store.apply(set, record, report, &[], None).unwrap();
    }
    let sequences = |s: &ReceiverStore| -> Vec<u64> {
        s.history(100)
            .unwrap()
            .iter()
            .map(|r| r.sequence())
            .collect()
    };
    assert_eq!(sequences(&store), [5, 4, 3]);
    assert_eq!(store.history(2).unwrap().len(), 2);
    drop(store);
    let store = ReceiverStore::open_with(dir.path(), StoreOptions { history_limit: 2 }).unwrap();
    assert_eq!(sequences(&store), [5, 4]);
    let (set, record, report) = delivery(6, sample::lot_set(2));
    store.apply(set, record, report, &[], None).unwrap();
    assert_eq!(sequences(&store), [6, 5]);
}

#[test]
fn prune_keeps_the_record_of_the_set_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (set1, record1, report1) = delivery(1, sample::lot_set(2));
    store.apply(set1, record1, report1, &[], None).unwrap();
    let (_, mut record2, _) = delivery(2, sample::lot_set(2));
    record2.ack_type = AckType::CE;
    store.record(record2, None, &[]).unwrap();
    let (set3, record3, report3) = delivery(3, sample::lot_set(2));
    store
        .apply(set3, record3.clone(), report3, &[], None)
        .unwrap();
    let (_, record9, _) = delivery(90, sample::lot_set(2));
    store.record(record9.clone(), None, &[]).unwrap();

    // Everything but message 90 is older than an hour.
    assert_eq!(store.prune_messages(at(60)).unwrap(), 2);
    let store = reopen(store, dir.path());
    assert_eq!(store.message(&id(1)).unwrap(), None);
    assert_eq!(store.message(&id(2)).unwrap(), None);
    assert_eq!(store.message(&id(3)).unwrap(), Some(record3));
    assert_eq!(store.message(&id(90)).unwrap(), Some(record9));
    assert_eq!(store.prune_messages(at(1000)).unwrap(), 1);
    assert!(store.message(&id(3)).unwrap().is_some());
}

#[test]
fn quarantine_accept_and_discard() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (set, record, report) = delivery(1, sample::lot_set(3000));
    let set = store.apply(set, record, report, &[], None).unwrap().set;
    let (small, mut small_record, small_report) = delivery(2, sample::lot_set(10));
    small_record.ack_type = AckType::CE;
    let q = store
        .quarantine(
            small.clone(),
            "10 < 1500",
            small_record.clone(),
            small_report,
            &mail("q"),
        )
        .unwrap();
    let (other, mut other_record, other_report) = delivery(3, sample::lot_set(20));
    other_record.ack_type = AckType::CE;
    let q2 = store
        .quarantine(other, "20 < 1500", other_record, other_report, &[])
        .unwrap();
    assert_eq!((q, q2), (1, 2));

    let store = reopen(store, dir.path());
    assert_eq!(store.current().unwrap(), Some(set.clone()));
    let list = store.quarantined().unwrap();
    assert_eq!(
        list.iter().map(|s| (s.id, s.lots)).collect::<Vec<_>>(),
        [(1, 10), (2, 20)]
    );
    assert_eq!(list[0].reason, "10 < 1500");
    let entry = store.quarantine_entry(q).unwrap().unwrap();
    assert_eq!(
        (entry.set, entry.record),
        (small.clone(), small_record.clone())
    );
    assert_eq!(entry.report.outcome, Outcome::Quarantined(1));
    assert_eq!(
        store.history(1).unwrap()[0].outcome,
        Outcome::Quarantined(2)
    );

    // A later set makes quarantined ones stale; accepting one refuses, leaving it be.
    assert!(store.discard_quarantined(q2, &mail("d")).unwrap());
    assert!(!store.discard_quarantined(q2, &[]).unwrap());
    let accepted = store
        .accept_quarantined(q, at(500), &mail("a"), None)
        .unwrap()
        .unwrap();
    assert_eq!(accepted.lots(), small.lots());
    assert_eq!(accepted.applied_at, at(500));
    assert_eq!(
        accepted.version(),
        2,
        "the next version after the set in place"
    );
    assert_eq!(store.history(1).unwrap()[0].set_version, Some(2));
    assert_eq!(
        store.accept_quarantined(q, at(501), &[], None).unwrap(),
        None
    );

    let store = reopen(store, dir.path());
    assert_eq!(store.current().unwrap(), Some(accepted));
    assert!(store.quarantined().unwrap().is_empty());
    assert_eq!(store.message(&id(2)).unwrap(), Some(small_record));
    let outcomes: Vec<_> = store
        .history(2)
        .unwrap()
        .iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::QuarantineAccepted(1),
            Outcome::QuarantineDiscarded(2)
        ]
    );
    let mails: Vec<_> = store
        .outbox()
        .pending()
        .unwrap()
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(mails, ["q", "d", "a"]);
}

#[test]
fn accepting_a_superseded_set_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (small, record, report) = delivery(1, sample::lot_set(2));
    let q = store
        .quarantine(small, "test", record, report, &[])
        .unwrap();
    let (set, record, report) = delivery(2, sample::lot_set(50));
    let applied = store.apply(set, record, report, &[], None).unwrap();
    let accept = store.accept_quarantined(q, at(9), &mail("a"), None);
    assert!(
        matches!(accept, Err(StoreError::Stale { .. })),
        "{accept:?}"
    );
    assert_eq!(store.current().unwrap(), Some(applied.set));
    assert_eq!(store.quarantined().unwrap().len(), 1);
}

#[test]
fn watchdog_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let state = WatchdogState {
        last_alert_date: NaiveDate::from_ymd_opt(2026, 6, 2),
        alert_open: true,
    };
    store.set_watchdog(state, &mail("stale")).unwrap();
    let store = reopen(store, dir.path());
    assert_eq!(store.watchdog().unwrap(), state);
    assert_eq!(store.outbox().pending().unwrap(), mail("stale"));
}

#[test]
fn outbox_order_sent_and_failed() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let outbox = store.outbox().clone();
    for name in ["m1", "m2", "m3"] {
        outbox.enqueue(name, name.as_bytes()).unwrap();
    }
    let (set, record, report) = delivery(1, sample::lot_set(1));
    store.apply(set, record, report, &mail("m4"), None).unwrap();
    let ids =
        |o: &Outbox| -> Vec<String> { o.pending().unwrap().into_iter().map(|m| m.0).collect() };
    assert_eq!(ids(&outbox), ["m1", "m2", "m3", "m4"]);
    assert!(outbox.sent("m2").unwrap());
    assert!(!outbox.sent("m2").unwrap());
    assert!(outbox.failed("m1", "550 no such user", at(10)).unwrap());
    assert!(!outbox.failed("nope", "x", at(10)).unwrap());
    drop(outbox);

    let store = reopen(store, dir.path());
    assert_eq!(ids(store.outbox()), ["m3", "m4"]);
    let dead = store.outbox().dead_letters().unwrap();
    assert_eq!(
        dead,
        [DeadLetter {
            id: "m1".into(),
            reason: "550 no such user".into(),
            payload: b"m1".to_vec(),
            at: Some(at(10)),
        }]
    );
    // New mails still sort after the old ones after a restart.
    store.outbox().enqueue("m5", b"").unwrap();
    assert_eq!(ids(store.outbox()), ["m3", "m4", "m5"]);
}

#[test]
fn a_mail_queued_once_is_not_queued_again_even_after_sending_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let ids =
        |o: &Outbox| -> Vec<String> { o.pending().unwrap().into_iter().map(|m| m.0).collect() };
    assert!(store.outbox().enqueue_once("expiry-1", b"a").unwrap());
    assert!(!store.outbox().enqueue_once("expiry-1", b"a").unwrap());
    assert_eq!(ids(store.outbox()), ["expiry-1"]);
    assert!(store.outbox().sent("expiry-1").unwrap());
    let store = reopen(store, dir.path());
    assert!(!store.outbox().enqueue_once("expiry-1", b"a").unwrap());
    assert!(ids(store.outbox()).is_empty());
    assert!(store.outbox().enqueue_once("expiry-2", b"b").unwrap());
    assert_eq!(ids(store.outbox()), ["expiry-2"]);
}

#[test]
fn second_open_is_refused_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let _store = ReceiverStore::open(dir.path()).unwrap();
    let err = ReceiverStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("another process"), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
}

#[test]
fn open_errors_name_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"").unwrap();
    let err = ReceiverStore::open(&file).unwrap_err();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-directory"), "{err}");
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<ReceiverStore>();
    shareable::<Outbox>();
}

#[test]
fn unknown_layout_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(ReceiverStore::open(dir.path()).unwrap());
    {
        let db = sled::open(dir.path()).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert(META_FORMAT, b"2")
            .unwrap();
        db.flush().unwrap();
    }
    let err = ReceiverStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::Format { ref found, .. } if found == "2"),
        "{err:?}"
    );
}

#[test]
fn large_sets_are_chunked_and_leave_no_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (set, record, report) = delivery(1, sample::lot_set(100_000));
    let (_, chunks) = set::encode_set(&set);
    assert!(
        chunks.iter().all(|c| c.len() <= 4096 + 512),
        "chunks stay small"
    );
    store.apply(set.clone(), record, report, &[], None).unwrap();
    let (smaller, record, report) = delivery(2, sample::lot_set(10_000));
    let applied = store.apply(smaller, record, report, &[], None).unwrap();
    let blobs = std::fs::read_dir(dir.path().join("blobs")).unwrap().count();
    assert_eq!(blobs, 0, "every page of the set stays in sled's log");
    let store = reopen(store, dir.path());
    assert_eq!(store.current().unwrap(), Some(applied.set));
}

#[test]
fn outbox_tries_partial_sends_retry_and_discard() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let outbox = store.outbox().clone();
    for name in ["a", "b", "c"] {
        outbox.enqueue(name, name.as_bytes()).unwrap();
    }
    // Tries are kept beside the mail, and go with it.
    assert!(outbox.tried("a", b"tries-1").unwrap());
    assert!(!outbox.tried("nope", b"x").unwrap());
    let states: Vec<Option<Vec<u8>>> = outbox
        .pending_mails()
        .unwrap()
        .into_iter()
        .map(|m| m.state)
        .collect();
    assert_eq!(states, [Some(b"tries-1".to_vec()), None, None]);

    // Sent to some: the mail leaves, the copy for the others is a dead letter.
    assert!(
        outbox
            .sent_partly("a", b"a-for-refused", "550 user", at(1))
            .unwrap()
    );
    assert!(outbox.failed("b", "554 spam", at(2)).unwrap());
    let dead = outbox.dead_letters().unwrap();
    assert_eq!(
        dead.iter()
            .map(|d| (d.id.as_str(), d.payload.as_slice()))
            .collect::<Vec<_>>(),
        [("b", &b"b"[..]), ("a", &b"a-for-refused"[..])],
        "b keeps its key; the partial copy gets a new one"
    );

    // Back into the outbox at the old place, without tries; then discarded.
    let outbox = {
        drop(outbox);
        reopen(store, dir.path()).outbox().clone()
    };
    assert_eq!(outbox.retry("b").unwrap(), 1);
    assert_eq!(outbox.retry("b").unwrap(), 0);
    let ids =
        |o: &Outbox| -> Vec<String> { o.pending().unwrap().into_iter().map(|m| m.0).collect() };
    assert_eq!(ids(&outbox), ["b", "c"]);
    assert!(
        outbox
            .pending_mails()
            .unwrap()
            .iter()
            .all(|m| m.state.is_none())
    );
    assert_eq!(outbox.retry_all().unwrap(), 1);
    assert_eq!(ids(&outbox), ["b", "c", "a"]);
    assert_eq!(outbox.discard("a").unwrap(), 1);
    assert_eq!(outbox.discard("a").unwrap(), 0);
    assert!(outbox.failed("c", "x", at(3)).unwrap());
    assert_eq!(
        outbox.discard("c").unwrap(),
        1,
        "a dead letter is discarded too"
    );
    assert_eq!(ids(&outbox), ["b"]);
    assert!(outbox.dead_letters().unwrap().is_empty());
}
