//! The receiver's store: the set in place, the record of every answered message (for
//! duplicates), the import history, quarantined sets, the watchdog's state and the
//! outbox. Every change is one sled transaction over the trees it touches and is flushed
//! before the method returns, so an acknowledgement or alert sent afterwards is backed by
//! the disk.

use super::chunks::{SetHeadRec, decode_set, encode_set};
use super::history::{ImportReport, Outcome, append_history_in};
use super::outbox::{Outbox, enqueue_all_in};
use super::records::{MessageRec, ReportRec, encode_watchdog, from_json, to_json};
use super::watchdog::WatchdogState;
use super::{Abort, Database, META_WATCHDOG, StoreError, message_key};
use crate::ids::MessageId;
use crate::lot::LotSet;
use crate::message::AckType;
use crate::timestamp::Timestamp;
use chrono::{DateTime, Utc};
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, Transactional, TransactionalTree,
};
use std::path::Path;
use std::sync::Arc;

/// The set in place (or a candidate held in quarantine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSet {
    /// The message that delivered it.
    pub message_id: MessageId,
    /// The message's creation time.
    pub created: Timestamp,
    /// When it was applied (for a candidate: when it was quarantined).
    pub applied_at: DateTime<Utc>,
    lots: LotSet,
    digest: [u8; 32],
    version: u64,
}

impl StoredSet {
    /// A set with its digest, not applied yet (version 0).
    pub fn new(
        message_id: MessageId,
        created: Timestamp,
        applied_at: DateTime<Utc>,
        lots: LotSet,
    ) -> Self {
        let digest = lots.digest();
        Self {
            message_id,
            created,
            applied_at,
            lots,
            digest,
            version: 0,
        }
    }

    /// The set's version: 1 for the first set a store ever applied, one more for every
    /// set applied after it (by a delivery or a quarantine accept), over the store's
    /// whole life, restarts included. The version names one set: a record system may
    /// cache lookups under it. 0 for a set not applied (a candidate in quarantine).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The set as applied under `version`; only the store assigns versions.
    pub(super) fn with_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    /// The lots.
    pub fn lots(&self) -> &LotSet {
        &self.lots
    }

    /// The lots, taken out.
    pub fn into_lots(self) -> LotSet {
        self.lots
    }

    /// [`LotSet::digest`] of the lots.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }
}

/// A message that was answered with an acknowledgement, kept for duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// The message id.
    pub id: MessageId,
    /// SHA-256 of the message's bytes as received.
    pub sha256: [u8; 32],
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The answer: `CA`, `CE` or `CR`.
    pub ack_type: AckType,
    /// The exact response body sent, to replay byte for byte.
    pub response: String,
}

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
    pub(super) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) database: Database,
    pub(super) set: Tree,
    pub(super) messages: Tree,
    pub(super) history: Tree,
    pub(super) quarantine: Tree,
    pub(super) meta: Tree,
    pub(super) outbox: Outbox,
    pub(super) history_limit: u64,
}

pub(super) const SET_HEAD: &[u8] = b"head";

/// The key of chunk `n` of the set in place.
pub(super) fn chunk_key(n: u32) -> [u8; 8] {
    let mut key = *b"lots\0\0\0\0";
    key[4..].copy_from_slice(&n.to_be_bytes());
    key
}

pub(super) fn tx_corrupt<T>(what: &str, detail: String) -> ConflictableTransactionResult<T, Abort> {
    Err(ConflictableTransactionError::Abort(Abort::Corrupt {
        what: what.to_owned(),
        detail,
    }))
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
            meta: database.tree("meta")?,
            outbox: Outbox::open(&database)?,
            history_limit: options.history_limit.max(1) as u64,
            database,
        };
        let store = Self {
            inner: Arc::new(inner),
        };
        store.trim_history()?;
        Ok(store)
    }

    /// The outbox of this database.
    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    /// The set in place, checked against its digest; `None` before the first apply.
    pub fn current(&self) -> Result<Option<StoredSet>, StoreError> {
        let i = &self.inner;
        // One read-only transaction, so that the head and the chunks are of one set.
        let found = i
            .set
            .transaction(|set| {
                let Some(head) = set.get(SET_HEAD)? else {
                    return Ok(None);
                };
                let head: SetHeadRec = match from_json(&head) {
                    Ok(head) => head,
                    Err(detail) => return tx_corrupt("the set's head", detail),
                };
                let mut chunks = Vec::with_capacity(head.chunks as usize);
                for n in 0..head.chunks {
                    match set.get(chunk_key(n))? {
                        Some(chunk) => chunks.push(chunk),
                        None => return tx_corrupt("the set", format!("chunk {n} is missing")),
                    }
                }
                Ok(Some((head, chunks)))
            })
            .map_err(|e| i.database.tx_error(e))?;
        let Some((head, chunks)) = found else {
            return Ok(None);
        };
        decode_set(&head, &chunks)
            .map(Some)
            .map_err(|detail| i.database.corrupt("the set in place", detail))
    }

    /// The record of a message answered before, if any.
    pub fn message(&self, id: &MessageId) -> Result<Option<MessageRecord>, StoreError> {
        let i = &self.inner;
        let Some(bytes) = i
            .messages
            .get(message_key(id))
            .map_err(|e| i.database.storage(e))?
        else {
            return Ok(None);
        };
        from_json::<MessageRec>(&bytes)
            .and_then(|rec| rec.record())
            .map(Some)
            .map_err(|detail| {
                i.database
                    .corrupt(format!("the record of message {id}"), detail)
            })
    }

    /// Puts `set` in place of the current one, together with the message's record, the
    /// import report (outcome `Applied`) and the mails; flushed. A crash at any point
    /// leaves either the old state or the new one. Refused, writing nothing, when the
    /// message was answered before ([`StoreError::Duplicate`]) or the set is older than
    /// the one in place ([`StoreError::Stale`]). Returns the set with its version and the
    /// report with its sequence.
    pub fn apply(
        &self,
        set: StoredSet,
        record: MessageRecord,
        report: ImportReport,
        mails: &[(String, Vec<u8>)],
    ) -> Result<Applied, StoreError> {
        self.apply_inner(set, record, report, mails, None)
    }

    /// [`Self::apply`], also writing the watchdog's state (when given) in the same
    /// transaction: used by [`Self::apply_with_watchdog`].
    pub(super) fn apply_inner(
        &self,
        set: StoredSet,
        record: MessageRecord,
        mut report: ImportReport,
        mails: &[(String, Vec<u8>)],
        watchdog: Option<&WatchdogState>,
    ) -> Result<Applied, StoreError> {
        debug_assert_eq!(
            set.message_id, record.id,
            "the set's message is the record's"
        );
        report.outcome = Outcome::Applied;
        let (head, chunks) = encode_set(&set);
        let (key, value) = (message_key(&record.id), to_json(&MessageRec::new(&record)));
        let report_rec = ReportRec::new(&report);
        let watchdog_value = watchdog.map(encode_watchdog);
        let i = &self.inner;
        let (sequence, version) = (&i.set, &i.messages, &i.history, &i.meta, i.outbox.tree())
            .transaction(|(s, m, h, meta, o)| {
                put_record_in(m, &key, &value)?;
                let version = put_set_in(s, &head, &chunks)?;
                let report_value = to_json(&report_rec.clone().with_set_version(version));
                let sequence = append_history_in(h, meta, &report_value, i.history_limit)?;
                if let Some(state) = &watchdog_value {
                    meta.insert(META_WATCHDOG, state.as_slice())?;
                }
                enqueue_all_in(o, mails)?;
                Ok((sequence, version))
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()?;
        report.set_version = Some(version);
        Ok(Applied {
            set: set.with_version(version),
            report: report.with_sequence(sequence),
        })
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
        let mut old = Vec::new();
        for entry in i.messages.iter() {
            let (key, value) = entry.map_err(|e| i.database.storage(e))?;
            let record = from_json::<MessageRec>(&value)
                .and_then(|rec| rec.record())
                .map_err(|detail| i.database.corrupt("a message record", detail))?;
            if record.received_at < older_than {
                old.push(key);
            }
        }
        // The set in place is read again inside the transaction: an apply may have
        // happened since the scan.
        (&i.set, &i.messages)
            .transaction(|(s, m)| {
                let keep = match s.get(SET_HEAD)? {
                    None => None,
                    Some(head) => {
                        match from_json::<SetHeadRec>(&head).and_then(|head| head.message_id()) {
                            Ok(id) => Some(message_key(&id)),
                            Err(detail) => return tx_corrupt("the set's head", detail),
                        }
                    }
                };
                let mut removed = 0;
                for key in old.iter().filter(|k| keep.as_deref() != Some(k.as_ref())) {
                    removed += usize::from(m.remove(key)?.is_some());
                }
                Ok(removed)
            })
            .map_err(|e| i.database.tx_error(e))
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

/// Writes a message record, unless the message was answered before.
pub(super) fn put_record_in(
    messages: &TransactionalTree,
    key: &[u8],
    value: &[u8],
) -> ConflictableTransactionResult<(), Abort> {
    if let Some(existing) = messages.get(key)? {
        return match from_json::<MessageRec>(&existing).and_then(|rec| rec.record()) {
            Ok(record) => Err(ConflictableTransactionError::Abort(Abort::Duplicate(
                Box::new(record),
            ))),
            Err(detail) => tx_corrupt("a message record", detail),
        };
    }
    messages.insert(key, value)?;
    Ok(())
}

/// Puts a set (head and chunks) in place of the current one, unless it is older, under
/// the next version (one more than the set in place, 1 for the first); returns that
/// version.
pub(super) fn put_set_in<C: AsRef<[u8]>>(
    set: &TransactionalTree,
    head: &SetHeadRec,
    chunks: &[C],
) -> ConflictableTransactionResult<u64, Abort> {
    let created = match head.created() {
        Ok(created) => created,
        Err(detail) => return tx_corrupt("the new set's head", detail),
    };
    let (old_chunks, old_version) = match set.get(SET_HEAD)? {
        None => (0, 0),
        Some(old) => {
            let old = match from_json::<SetHeadRec>(&old) {
                Ok(old) => old,
                Err(detail) => return tx_corrupt("the set's head", detail),
            };
            let current = match old.created() {
                Ok(current) => current,
                Err(detail) => return tx_corrupt("the set's head", detail),
            };
            if current > created {
                return Err(ConflictableTransactionError::Abort(Abort::Stale {
                    current,
                    new: created,
                }));
            }
            (old.chunks, old.version())
        }
    };
    let version = old_version + 1;
    let mut head = head.clone();
    head.set_version(version);
    set.insert(SET_HEAD, to_json(&head))?;
    let mut n = 0u32;
    for chunk in chunks {
        set.insert(&chunk_key(n), chunk.as_ref())?;
        n += 1;
    }
    for stale in n..old_chunks {
        set.remove(&chunk_key(stale))?;
    }
    Ok(version)
}
