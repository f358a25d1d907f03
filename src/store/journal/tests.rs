//! The journal on a real sled database: entries with their bodies across a reopen,
//! searching, paging and pruning, and a damaged body reported, not returned.

use super::*;
use crate::store::SenderStore;
use chrono::TimeZone;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, minute, 0).unwrap()
}

fn entry(kind: JournalKind, minute: u32, destination: Option<&str>, outcome: &str) -> JournalEntry {
    JournalEntry {
        id: 0,
        kind,
        at: at(minute),
        last_at: at(minute),
        destination: destination.map(str::to_owned),
        outcome: outcome.to_owned(),
        message_id: Some(format!("2.16.840.1.113883.2.4.6.6.99999001.1/LG-{minute}")),
        details: serde_json::json!({"minute": minute}),
        bodies: Vec::new(),
    }
}

/// A message of 2,000 lots: about 950 KB of XML.
fn large_message() -> Vec<u8> {
    crate::wire::soap::message_envelope(&crate::sample::message(2000)).into_bytes()
}

#[test]
fn an_entry_keeps_its_bodies_exactly_and_small() {
    let dir = tempfile::tempdir().unwrap();
    let message = large_message();
    let answer = b"<answer/>".to_vec();
    let id = {
        let store = SenderStore::open(dir.path()).unwrap();
        let journal = store.journal();
        let write = JournalWrite::new(
            entry(JournalKind::Delivery, 0, Some("ggd"), "pending"),
            vec![NewBody {
                part: 0,
                bytes: message.clone(),
                size: message.len(),
            }],
        );
        let id = journal.write(&write, true).unwrap();
        // The same entry again, with the answer to attempt 1 (clipped to 4 bytes).
        let mut again = journal.get(id).unwrap().unwrap();
        again.outcome = "delivered".into();
        let write = JournalWrite::new(
            again,
            vec![NewBody {
                part: 1,
                bytes: answer[..4].to_vec(),
                size: answer.len(),
            }],
        );
        assert_eq!(journal.write(&write, true).unwrap(), id);
        // Written again from scratch, without bodies: the bodies stay.
        let mut fresh = entry(JournalKind::Delivery, 0, Some("ggd"), "delivered");
        fresh.id = id;
        journal
            .write(&JournalWrite::new(fresh, Vec::new()), true)
            .unwrap();
        id
    };
    let store = SenderStore::open(dir.path()).unwrap();
    let journal = store.journal();
    let read = journal.get(id).unwrap().unwrap();
    assert_eq!(read.outcome, "delivered");
    assert_eq!(read.details, serde_json::json!({"minute": 0}));
    assert_eq!(journal.body(id, 0).unwrap().unwrap(), message);
    assert_eq!(journal.body(id, 1).unwrap().unwrap(), b"<ans");
    assert_eq!(journal.body(id, 2).unwrap(), None);
    let facts = &read.bodies;
    assert_eq!((facts[1].size, facts[1].kept), (answer.len(), 4));
    assert!(
        facts[0].stored * 20 < facts[0].size,
        "{} bytes kept in {}",
        facts[0].size,
        facts[0].stored
    );
}

#[test]
fn the_journal_is_searched_newest_first_and_paged() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let journal = store.journal();
    let mut ids = Vec::new();
    for (minute, kind, destination, outcome) in [
        (0, JournalKind::Delivery, Some("ggd"), "delivered"),
        (1, JournalKind::Delivery, Some("jgz"), "rejected"),
        (2, JournalKind::Audit, None, "ok"),
        (3, JournalKind::Delivery, Some("ggd"), "pending"),
    ] {
        let write = JournalWrite::new(entry(kind, minute, destination, outcome), Vec::new());
        ids.push(journal.write(&write, false).unwrap());
    }
    let minutes = |found: Vec<JournalEntry>| -> Vec<u32> {
        found
            .iter()
            .map(|e| e.at.format("%M").to_string().parse().unwrap())
            .collect()
    };
    let all = JournalFilter::default();
    assert_eq!(minutes(journal.list(&all, None, 10).unwrap()), [3, 2, 1, 0]);
    assert_eq!(minutes(journal.list(&all, None, 2).unwrap()), [3, 2]);
    assert_eq!(
        minutes(journal.list(&all, Some(ids[2]), 2).unwrap()),
        [1, 0]
    );
    let ggd = JournalFilter {
        destination: Some("ggd".into()),
        ..Default::default()
    };
    assert_eq!(minutes(journal.list(&ggd, None, 10).unwrap()), [3, 0]);
    let audits = JournalFilter {
        kind: Some(JournalKind::Audit),
        ..Default::default()
    };
    assert_eq!(minutes(journal.list(&audits, None, 10).unwrap()), [2]);
    let rejected = JournalFilter {
        outcome: Some("rejected".into()),
        ..Default::default()
    };
    assert_eq!(minutes(journal.list(&rejected, None, 10).unwrap()), [1]);
    for message_id in ["LG-3", "2.16.840.1.113883.2.4.6.6.99999001.1/LG-3"] {
        let by_message = JournalFilter {
            message_id: Some(message_id.into()),
            ..Default::default()
        };
        assert_eq!(minutes(journal.list(&by_message, None, 10).unwrap()), [3]);
    }
    let window = JournalFilter {
        since: Some(at(1)),
        until: Some(at(3)),
        ..Default::default()
    };
    assert_eq!(minutes(journal.list(&window, None, 10).unwrap()), [2, 1]);
}

#[test]
fn pruning_removes_old_entries_and_their_bodies_but_keeps_what_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let journal = store.journal();
    let body = |part| NewBody {
        part,
        bytes: large_message(),
        size: 0,
    };
    let old = journal
        .write(
            &JournalWrite::new(
                entry(JournalKind::Delivery, 0, Some("a"), "ok"),
                vec![body(0)],
            ),
            true,
        )
        .unwrap();
    let in_use = journal
        .write(
            &JournalWrite::new(
                entry(JournalKind::Delivery, 1, Some("b"), "ok"),
                vec![body(0)],
            ),
            true,
        )
        .unwrap();
    let new = journal
        .write(
            &JournalWrite::new(
                entry(JournalKind::Delivery, 30, Some("c"), "ok"),
                vec![body(0)],
            ),
            true,
        )
        .unwrap();
    assert_eq!(journal.prune(at(10), |id| id == in_use).unwrap(), 1);
    assert_eq!(journal.get(old).unwrap(), None);
    assert_eq!(journal.body(old, 0).unwrap(), None);
    assert!(
        journal
            .bodies
            .scan_prefix(old.to_be_bytes())
            .next()
            .is_none(),
        "no piece of the pruned body is left"
    );
    assert!(journal.body(in_use, 0).unwrap().is_some());
    assert!(journal.body(new, 0).unwrap().is_some());
    assert_eq!(journal.prune(at(10), |id| id == in_use).unwrap(), 0);
}

#[test]
fn a_damaged_body_is_an_error_not_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let journal = store.journal();
    let id = journal
        .write(
            &JournalWrite::new(
                entry(JournalKind::Received, 0, None, "ca"),
                vec![NewBody {
                    part: 0,
                    bytes: large_message(),
                    size: 0,
                }],
            ),
            true,
        )
        .unwrap();
    journal
        .bodies
        .insert(body_key(id, 0, 1), &b"not deflate"[..])
        .unwrap();
    let error = journal.body(id, 0).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    journal.bodies.remove(body_key(id, 0, 2)).unwrap();
    assert!(journal.body(id, 0).is_err());
}
