//! The receiver's store: the set in place, the record of every answered message (for
//! duplicates), the import history, quarantined sets, the partners' trials in their
//! connect phase, the watchdog's state and the outbox. Every change is one sled transaction over the trees it touches and is flushed
//! before the method returns, so an acknowledgement or alert sent afterwards is backed by
//! the disk.
//!
//! [`ReceiverStore`] owns no table: it opens the trees and composes the modules that own
//! them (`set`, `messages`, `history`, `quarantine`, `trial`, `watchdog`, `outbox`). This file
//! holds the handle, opening, reading and the answers that change no set; `apply.rs` puts
//! a delivered set in place, `quarantine.rs` holds sets back and decides on them,
//! `trial.rs` keeps a connecting partner's delivery apart from the set in place.

mod apply;
mod quarantine;
#[cfg(test)]
mod tests;
mod trial;

use crate::ids::MessageId;
use crate::store::codec::to_json;
use crate::store::history::{
    ImportReport, ReportRec, append_history_in, read_history, trim_history,
};
use crate::store::journal::Journal;
use crate::store::messages::{
    MessageRec, MessageRecord, message_key, put_record_in, read_record, received_before,
};
use crate::store::outbox::{Outbox, enqueue_all_in};
use crate::store::set::{StoredSet, message_in_place_in, read_set};
use crate::store::watchdog::{WatchdogState, encode_watchdog, put_watchdog_in, read_watchdog};
use crate::store::{Database, StoreError};
use chrono::{DateTime, Utc};
use sled::Tree;
use sled::transaction::Transactional;
use std::path::Path;
use std::sync::Arc;

/// A set put in place: the set with its version, and its import report with its
/// sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The set now in place.
    pub set: StoredSet,
    /// The delivery's import report, as written to the history.
    pub report: ImportReport,
}

/// Settings of the receiver's store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// How many import reports the history keeps (at least 1).
    pub history_limit: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { history_limit: 400 }
    }
}

/// The receiver's store: a cheap-to-clone handle for many tasks. Methods block (on
/// `fsync` where they flush): call them from `spawn_blocking` in async code.
#[derive(Debug, Clone)]
pub struct ReceiverStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    database: Database,
    set: Tree,
    messages: Tree,
    history: Tree,
    quarantine: Tree,
    trial: Tree,
    meta: Tree,
    outbox: Outbox,
    journal: Journal,
    history_limit: u64,
}

impl ReceiverStore {
    /// Opens (or creates) the receiver's database in `dir` with default options.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(dir, StoreOptions::default())
    }

    /// Opens (or creates) the receiver's database in `dir`. A history longer than
    /// `options.history_limit` (after the limit was lowered) is cut to it.
    pub fn open_with(dir: &Path, options: StoreOptions) -> Result<Self, StoreError> {
        let database = Database::open(dir)?;
        let inner = Inner {
            set: database.tree("set")?,
            messages: database.tree("messages")?,
            history: database.tree("history")?,
            quarantine: database.tree("quarantine")?,
            trial: database.tree("trial")?,
            meta: database.tree("meta")?,
            outbox: Outbox::open(&database)?,
            journal: Journal::open(&database)?,
            history_limit: options.history_limit.max(1) as u64,
            database,
        };
        let store = Self {
            inner: Arc::new(inner),
        };
        let i = &store.inner;
        trim_history(&i.database, &i.history, &i.meta, i.history_limit)?;
        Ok(store)
    }

    /// The outbox of this database.
    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    /// The journal of this database.
    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    /// The set in place, checked against its digest; `None` before the first apply.
    pub fn current(&self) -> Result<Option<StoredSet>, StoreError> {
        let i = &self.inner;
        read_set(&i.database, &i.set)
    }

    /// The record of a message answered before, if any.
    pub fn message(&self, id: &MessageId) -> Result<Option<MessageRecord>, StoreError> {
        let i = &self.inner;
        read_record(&i.database, &i.messages, id)
    }

    /// Records an answer that changes no set (`CE`, `CR`), so that a duplicate gets the
    /// same answer, with its import report (if any) and mails; flushed. Refused with
    /// [`StoreError::Duplicate`] when the message was answered before.
    pub fn record(
        &self,
        record: MessageRecord,
        report: Option<ImportReport>,
        mails: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let (key, value) = (message_key(&record.id), to_json(&MessageRec::new(&record)));
        let report_value = report.as_ref().map(|r| to_json(&ReportRec::new(r)));
        let i = &self.inner;
        (&i.messages, &i.history, &i.meta, i.outbox.tree())
            .transaction(|(m, h, meta, o)| {
                put_record_in(m, &key, &value)?;
                if let Some(report) = &report_value {
                    append_history_in(h, meta, report, i.history_limit)?;
                }
                enqueue_all_in(o, mails)
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()
    }

    /// Removes the records of messages received before `older_than`, except the record
    /// of the message whose set is in place. Returns how many were removed. Not flushed:
    /// a prune lost in a crash is simply done again.
    pub fn prune_messages(&self, older_than: DateTime<Utc>) -> Result<usize, StoreError> {
        let i = &self.inner;
        let old = received_before(&i.database, &i.messages, older_than)?;
        // The set in place is read again inside the transaction: an apply may have
        // happened since the scan.
        (&i.set, &i.messages)
            .transaction(|(s, m)| {
                let keep = message_in_place_in(s)?.map(|id| message_key(&id));
                let mut removed = 0;
                for key in old.iter().filter(|k| keep.as_deref() != Some(k.as_ref())) {
                    removed += usize::from(m.remove(key)?.is_some());
                }
                Ok(removed)
            })
            .map_err(|e| i.database.tx_error(e))
    }

    /// The newest `limit` import reports, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<ImportReport>, StoreError> {
        let i = &self.inner;
        read_history(&i.database, &i.history, limit)
    }

    /// The watchdog's state (the default before it was ever set).
    pub fn watchdog(&self) -> Result<WatchdogState, StoreError> {
        let i = &self.inner;
        read_watchdog(&i.database, &i.meta)
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
                put_watchdog_in(meta, &value)?;
                enqueue_all_in(o, mails)
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()
    }

    /// Every tree and pair of the database (see `backup`); the caller keeps writers out.
    pub fn snapshot(&self) -> Result<Vec<u8>, StoreError> {
        self.inner.database.snapshot()
    }

    /// The size of the database's files.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.database.size_on_disk()
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.inner.database.flush()
    }
}
