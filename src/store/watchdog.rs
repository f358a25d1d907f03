//! The receiver watchdog's memory: when it last alerted that no set arrived, and
//! whether that alert still awaits its resolution. Kept in `meta` under `watchdog`.
//!
//! The state is written with its mails in one transaction ([`ReceiverStore::set_watchdog`]),
//! or together with the set that resolves an open alert
//! ([`ReceiverStore::apply_with_watchdog`], [`ReceiverStore::accept_quarantined_with_watchdog`]),
//! so a crash never leaves an alert marked open after its resolution email was queued, or
//! the other way round.

use super::history::ImportReport;
use super::outbox::enqueue_all_in;
use super::receiver::{Applied, MessageRecord, ReceiverStore, StoredSet};
use super::records::{decode_watchdog, encode_watchdog};
use super::{META_WATCHDOG, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sled::transaction::Transactional;

/// What the watchdog remembers across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchdogState {
    /// The local date of the last "no lot numbers received" alert.
    pub last_alert_date: Option<NaiveDate>,
    /// Whether that alert still awaits its resolution email.
    pub alert_open: bool,
}

impl ReceiverStore {
    /// The watchdog's state (the default before it was ever set).
    pub fn watchdog(&self) -> Result<WatchdogState, StoreError> {
        let i = &self.inner;
        match i
            .meta
            .get(META_WATCHDOG)
            .map_err(|e| i.database.storage(e))?
        {
            None => Ok(WatchdogState::default()),
            Some(bytes) => decode_watchdog(&bytes)
                .map_err(|detail| i.database.corrupt("the watchdog state", detail)),
        }
    }

    /// Stores the watchdog's state together with its mails; flushed.
    pub fn set_watchdog(
        &self,
        state: WatchdogState,
        mails: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let i = &self.inner;
        let value = encode_watchdog(&state);
        (&i.meta, i.outbox.tree())
            .transaction(|(meta, o)| {
                meta.insert(META_WATCHDOG, value.as_slice())?;
                enqueue_all_in(o, mails)
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()
    }

    /// [`ReceiverStore::apply`], writing the watchdog's `state` in the same transaction
    /// (the resolution of an open alert, whose email goes in `mails`).
    pub fn apply_with_watchdog(
        &self,
        set: StoredSet,
        record: MessageRecord,
        report: ImportReport,
        mails: &[(String, Vec<u8>)],
        state: &WatchdogState,
    ) -> Result<Applied, StoreError> {
        self.apply_inner(set, record, report, mails, Some(state))
    }

    /// [`ReceiverStore::accept_quarantined`], writing the watchdog's `state` in the same
    /// transaction (the resolution of an open alert, whose email goes in `mails`).
    pub fn accept_quarantined_with_watchdog(
        &self,
        id: u64,
        applied_at: DateTime<Utc>,
        mails: &[(String, Vec<u8>)],
        state: &WatchdogState,
    ) -> Result<Option<StoredSet>, StoreError> {
        self.accept_quarantined_inner(id, applied_at, mails, Some(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MessageId;
    use crate::message::AckType;
    use crate::sample;
    use crate::store::{Outcome, StoreError};
    use crate::timestamp::Timestamp;
    use chrono::TimeZone;

    fn delivery(n: u32) -> (StoredSet, MessageRecord, ImportReport) {
        let id =
            MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", &format!("W-{n}")).unwrap();
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
            .apply_with_watchdog(
                set.clone(),
                record.clone(),
                report.clone(),
                &mail,
                &resolved,
            )
            .unwrap();
        let store = reopen(store, dir.path());
        assert_eq!(store.watchdog().unwrap(), resolved);
        assert_eq!(store.current().unwrap(), Some(applied.set));
        assert_eq!(store.outbox().pending().unwrap(), mail);

        // A refused apply (the same message again) writes no state and no mail.
        store.set_watchdog(open, &[]).unwrap();
        let again = store.apply_with_watchdog(set, record, report, &mail, &resolved);
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
            .accept_quarantined_with_watchdog(q, at, &mail, &resolved)
            .unwrap()
            .unwrap();
        assert_eq!(set.message_id, candidate.message_id);
        let store = reopen(store, dir.path());
        assert_eq!(store.watchdog().unwrap(), resolved);
        assert_eq!(store.outbox().pending().unwrap(), mail);
        // Gone from quarantine: nothing written the second time.
        assert_eq!(
            store
                .accept_quarantined_with_watchdog(q, at, &mail, &open)
                .unwrap(),
            None
        );
        assert_eq!(store.watchdog().unwrap(), resolved);
    }
}
