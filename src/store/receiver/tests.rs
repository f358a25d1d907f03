//! Unit tests of the watchdog's state written in the same transaction as the set that
//! resolves its alert: by an apply or by accepting a quarantined set, or not at all.

use super::*;
use crate::ids::MessageId;
use crate::message::AckType;
use crate::sample;
use crate::store::{Outcome, StoreError};
use crate::timestamp::Timestamp;
use chrono::NaiveDate;
use chrono::TimeZone;

fn delivery(n: u32) -> (StoredSet, MessageRecord, ImportReport) {
    let id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", &format!("W-{n}")).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 5, n, 0).unwrap();
    let created = Timestamp::parse(&format!("202606010{n}0000")).unwrap();
    let set = StoredSet::new(id.clone(), created, at, sample::lot_set(3));
    let record = MessageRecord {
        id: id.clone(),
        sha256: [n as u8; 32],
        received_at: at,
        ack_type: AckType::CA,
        response: String::new(),
    };
    (set, record, ImportReport::new(id, at, Outcome::Applied))
}

fn reopen(store: ReceiverStore, dir: &std::path::Path) -> ReceiverStore {
    drop(store);
    ReceiverStore::open(dir).unwrap()
}

#[test]
fn a_resolution_is_written_with_the_set_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let open = WatchdogState {
        last_alert_date: NaiveDate::from_ymd_opt(2026, 6, 1),
        alert_open: true,
    };
    let resolved = WatchdogState {
        alert_open: false,
        ..open
    };
    store.set_watchdog(open, &[]).unwrap();
    let mail = vec![("watchdog-resolved-2026-06-01".to_owned(), b"m".to_vec())];
    let (set, record, report) = delivery(2);
    let applied = store
        .apply(
            set.clone(),
            record.clone(),
            report.clone(),
            &mail,
            Some(&resolved),
        )
        .unwrap();
    let store = reopen(store, dir.path());
    assert_eq!(store.watchdog().unwrap(), resolved);
    assert_eq!(store.current().unwrap(), Some(applied.set));
    assert_eq!(store.outbox().pending().unwrap(), mail);

    // A refused apply (the same message again) writes no state and no mail.
    store.set_watchdog(open, &[]).unwrap();
    let again = store.apply(set, record, report, &mail, Some(&resolved));
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    assert_eq!(store.watchdog().unwrap(), open);
    assert_eq!(store.outbox().pending().unwrap().len(), 1);
}

#[test]
fn accepting_a_quarantined_set_can_resolve_the_alert() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (candidate, record, report) = delivery(3);
    let q = store
        .quarantine(candidate.clone(), "smaller", record, report, &[])
        .unwrap();
    let open = WatchdogState {
        last_alert_date: NaiveDate::from_ymd_opt(2026, 6, 1),
        alert_open: true,
    };
    store.set_watchdog(open, &[]).unwrap();
    let resolved = WatchdogState {
        alert_open: false,
        ..open
    };
    let mail = vec![("watchdog-resolved-2026-06-01".to_owned(), b"m".to_vec())];
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 6, 0, 0).unwrap();
    let set = store
        .accept_quarantined(q, at, &mail, Some(&resolved))
        .unwrap()
        .unwrap();
    assert_eq!(set.message_id, candidate.message_id);
    let store = reopen(store, dir.path());
    assert_eq!(store.watchdog().unwrap(), resolved);
    assert_eq!(store.outbox().pending().unwrap(), mail);
    // Gone from quarantine: nothing written the second time.
    assert_eq!(
        store.accept_quarantined(q, at, &mail, Some(&open)).unwrap(),
        None
    );
    assert_eq!(store.watchdog().unwrap(), resolved);
}

#[test]
fn a_trial_keeps_its_last_accepted_set_apart_from_the_set_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = ReceiverStore::open(dir.path()).unwrap();
    let partner = crate::ids::ApplicationId::parse("99999005").unwrap();
    assert_eq!(store.trial(&partner).unwrap(), None);

    // An accepted delivery of 2,000 lots (several chunks) becomes the trial set.
    let (mut set, record, report) = delivery(1);
    set = StoredSet::new(
        set.message_id.clone(),
        set.created.clone(),
        set.applied_at,
        sample::lot_set(2000),
    );
    store
        .record_trial(&partner, record.clone(), &report, Some(&set), &[])
        .unwrap();
    // A duplicate of its message id is refused, as for any message.
    assert!(matches!(
        store.record_trial(&partner, record, &report, None, &[]),
        Err(StoreError::Duplicate(_))
    ));
    // A refused delivery updates the report and keeps the trial set.
    let (_, refused, _) = delivery(2);
    let rejected = ImportReport::new(
        refused.id.clone(),
        refused.received_at,
        Outcome::Rejected(AckType::CE),
    );
    store
        .record_trial(&partner, refused, &rejected, None, &[])
        .unwrap();
    let trial = reopen(store, dir.path()).trial(&partner).unwrap().unwrap();
    assert_eq!(trial.report.outcome, Outcome::Rejected(AckType::CE));
    assert_eq!(trial.set.as_ref().map(|s| s.lots().len()), Some(2000));

    // A smaller accepted set replaces it whole (its extra chunks gone), read back intact.
    let store = ReceiverStore::open(dir.path()).unwrap();
    let (small, record, report) = delivery(3);
    store
        .record_trial(&partner, record, &report, Some(&small), &[])
        .unwrap();
    let trial = store.trial(&partner).unwrap().unwrap();
    assert_eq!(
        trial.set.as_ref().map(StoredSet::digest),
        Some(small.digest())
    );
    assert_eq!(trial.report.outcome, Outcome::Applied);

    // Nothing of it reached the set in place, the history or the quarantine.
    assert!(store.current().unwrap().is_none());
    assert!(store.history(10).unwrap().is_empty());
    assert!(store.quarantined().unwrap().is_empty());
    // Its messages are known, so their duplicates are recognised.
    assert!(store.message(&small.message_id).unwrap().is_some());
}
