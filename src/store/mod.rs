//! The store: lotgate's durable state in sled, one database per role. This module is the
//! only code that knows sled's trees and keys; the rest of the program sees typed
//! operations, each one atomic (one sled transaction over the trees it touches) and, where
//! an acknowledgement or an alert depends on it, flushed to disk before it returns.
//!
//! # Layout of the receiver's database
//!
//! | tree | key | value |
//! |---|---|---|
//! | `set` | `head` | the set in place: message id, creation time, applied at, digest, lot and chunk count (JSON) |
//! | `set` | `lots` + chunk number (u32, big-endian) | a chunk of the set's lots, in lot-number order (JSON, at most ~4 KiB) |
//! | `messages` | message id root, NUL, extension | the record of an answered message, with the exact response (JSON) |
//! | `history` | sequence (u64, big-endian) | an import report (JSON); the newest `history_limit` are kept |
//! | `quarantine` | id (u64, big-endian) + part (u32, big-endian) | part 0: the entry (record, report, reason, set head); part n: chunk n − 1 of the candidate set |
//! | `meta` | `format` | the layout version, `1` |
//! | `meta` | `history.next`, `quarantine.next` | the next sequence number and quarantine id (u64, big-endian) |
//! | `meta` | `watchdog` | the watchdog's state (JSON) |
//! | `outbox` | insertion number from `generate_id` (u64, big-endian) | a pending mail: its id and opaque payload |
//! | `outbox_state` | the mail's key in `outbox` | what the mail module recorded about its tries (opaque) |
//! | `dead_letters` | the number it had in `outbox` (or a fresh one for the copy for refused recipients) | a mail given up on: id, reason, payload, when |
//! | `outbox_once` | a mail id | (empty): queued once for good |
//! | `trial` | a partner's application id, NUL, part (u32, big-endian) | part 0: the report on the partner's last delivery in its connect phase and its trial set's head (JSON); parts 1, 2, …: the trial set's chunks |
//! | `journal` | entry number (u64, big-endian) | a journal entry: kind, times, destination, outcome, message id, the role's facts, the bodies kept (JSON) |
//! | `journal_bodies` | entry number (u64), part (u32), piece (u32), big-endian | a piece of a body's deflated bytes (at most 3 KiB) |
//! | `meta` | `journal.next` | the next journal entry number (u64, big-endian) |
//!
//! # Layout of the sender's database
//!
//! | tree | key | value |
//! |---|---|---|
//! | `deliveries` | destination name | the current delivery: trigger, night, start, escalation time, message facts (id, creation time, SHA-256, size), attempts, state (JSON) |
//! | `bodies` | destination name, NUL, delivery number (u64, big-endian), piece (u32, big-endian) | 3 KiB pieces of the delivery's exact bytes, deflated (as they are when that is not smaller) |
//! | `nights` | destination name | the local date (`YYYY-MM-DD`) of the last nightly delivery started |
//! | `created` | destination name | the creation time (`YYYYMMDDHHMMSS`) of the last message built for it, kept when its delivery is superseded or forgotten |
//! | `meta` | `format`, `delivery.next` | the layout version, `1`; the next delivery number (u64, big-endian) |
//! | `meta` | `installed_at` | when the sender's first round ran on the new store (RFC 3339); nights that began before it are never escalated |
//! | `outbox`, `outbox_state`, `dead_letters`, `outbox_once` | as in the receiver's database | |
//! | `journal`, `journal_bodies`, `meta` `journal.next` | as in the receiver's database | |
//!
//! The set is cut into chunks of a few KiB, neither one value per lot nor one value per
//! set: 10,000 lots are 94 values of about 3 KiB, written in one transaction. sled 0.34
//! writes a page larger than a quarter of a segment (128 KiB) to a separate blob file,
//! which it never fsyncs, so a power failure after a flush could lose a set that was
//! acknowledged. Small chunks keep every page of the set in sled's checksummed, fsynced
//! log. Other values that may still grow past that size (a `CE` answer with hundreds of
//! details) are covered by `sync_blobs`, which fsyncs the blob files before every flush.
//!
//! # Who owns what
//!
//! Each tree (and each value in `meta`) has one module that owns its record type, its
//! keys and its transaction helpers: `set` the set in place, `messages` the records of
//! answered messages, `history` the import reports and `history.next`, `quarantine` the
//! quarantined sets and `quarantine.next`, `trial` the partners' trials in their connect
//! phase, `watchdog` the watchdog's state, `outbox` the
//! four mail trees, `journal` the journal's two trees and `journal.next`, `sender` the
//! sender's trees. `codec` holds what every stored value is built from and knows no
//! table; this file holds the database, its errors, `format` and the counters.
//! [`ReceiverStore`] (in `receiver`) owns no table: it composes these modules, one
//! transaction per operation. The modules only import downwards.
//!
//! Trees are created once, at open; no operation creates or drops a tree. `backup`
//! reads every tree for a snapshot and writes them back into a new database.

mod backup;
mod codec;
mod history;
mod journal;
mod messages;
mod outbox;
mod quarantine;
mod receiver;
mod sender;
mod set;
#[cfg(test)]
mod tests;
mod trial;
mod watchdog;

pub use backup::{BackupFile, SnapshotSize, restore, snapshot_size};
pub use history::{ImportReport, LotChanges, Outcome, ReportIssue};
pub use journal::{
    BodyFacts, Journal, JournalEntry, JournalFilter, JournalKind, JournalWrite, NewBody,
};
pub use messages::MessageRecord;
pub use outbox::{DeadLetter, Outbox, PendingMail};
pub use quarantine::{QuarantineSummary, Quarantined};
pub use receiver::{Applied, ReceiverStore, StoreOptions};
pub use sender::{
    Attempt, AttemptOutcome, BuiltMessage, Delivery, DeliveryState, NewDelivery, SenderStore,
    Trigger,
};
pub use set::StoredSet;
pub use trial::Trial;
pub use watchdog::WatchdogState;

use crate::timestamp::Timestamp;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What went wrong in the store. Errors about the database name its directory.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process has the database open: sled allows one process per database.
    #[error(
        "store {dir}: the database is in use by another process (sled allows one process per \
         database; is another lotgate running on this data directory?)"
    )]
    Locked {
        /// The database directory.
        dir: PathBuf,
    },
    /// The database could not be opened.
    #[error("store {dir}: cannot open the database: {source}")]
    Open {
        /// The database directory.
        dir: PathBuf,
        /// What sled said.
        source: sled::Error,
    },
    /// Reading or writing failed (disk full, I/O error, corruption detected by sled).
    #[error("store {dir}: {source}")]
    Storage {
        /// The database directory.
        dir: PathBuf,
        /// What sled said.
        source: sled::Error,
    },
    /// A stored value cannot be read back.
    #[error("store {dir}: {what} is unreadable: {detail}")]
    Corrupt {
        /// The database directory.
        dir: PathBuf,
        /// Which value.
        what: String,
        /// Why.
        detail: String,
    },
    /// The database was written with a layout this version does not know.
    #[error("store {dir}: unknown database layout {found:?}, this version reads layout 1")]
    Format {
        /// The database directory.
        dir: PathBuf,
        /// The layout found.
        found: String,
    },
    /// The message has already been answered: nothing was written. The record holds the
    /// first answer, to be replayed (or, for other bytes under the same id, refused).
    #[error("message {} has already been answered ({})", .0.id, .0.ack_type.as_str())]
    Duplicate(Box<MessageRecord>),
    /// A backup is restored only into an empty directory.
    #[error(
        "store {dir}: the directory is not empty; a backup is restored only into a new or \
         empty directory (a store there is never overwritten)"
    )]
    NotEmpty {
        /// The database directory.
        dir: PathBuf,
    },
    /// The set is older than the set in place: nothing was written.
    #[error("a set created {new} is older than the set in place (created {current})")]
    Stale {
        /// Creation time of the set in place.
        current: Timestamp,
        /// Creation time of the set refused.
        new: Timestamp,
    },
}

/// Why a transaction gave up on purpose; becomes a [`StoreError`].
#[derive(Debug)]
enum Abort {
    Duplicate(Box<MessageRecord>),
    Stale {
        current: Timestamp,
        new: Timestamp,
    },
    Corrupt {
        what: String,
        detail: String,
    },
    /// The entry the operation is about is gone (e.g. a quarantine id).
    Missing,
}

/// An open sled database with the directory it lives in, shared by every handle.
#[derive(Debug, Clone)]
struct Database {
    db: sled::Db,
    dir: Arc<Path>,
}

/// The layout version this code writes and reads.
const FORMAT: &[u8] = b"1";

/// How long opening waits for a lock that may be held by this process's own
/// just-closed handle (see [`Database::open`]).
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

impl Database {
    /// Opens (or creates) the database in `dir` and checks its layout version.
    fn open(dir: &Path) -> Result<Self, StoreError> {
        // After the last handle of a database is dropped, sled 0.34 finishes writes on
        // its background threads, which keep the locked file open for a moment. So a
        // reopen in the same process may find the lock still held: wait a little before
        // concluding that another process holds it.
        let deadline = std::time::Instant::now() + LOCK_PATIENCE;
        let db = loop {
            match sled::Config::new().path(dir).open() {
                Ok(db) => break db,
                // sled reports a held lock only as an I/O error with this text.
                Err(source) if source.to_string().contains("could not acquire lock") => {
                    if std::time::Instant::now() >= deadline {
                        return Err(StoreError::Locked { dir: dir.into() });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(source) => {
                    return Err(StoreError::Open {
                        dir: dir.into(),
                        source,
                    });
                }
            }
        };
        let database = Self {
            db,
            dir: dir.into(),
        };
        let meta = database.tree("meta")?;
        match meta.get(META_FORMAT).map_err(|e| database.storage(e))? {
            Some(found) if found.as_ref() != FORMAT => Err(StoreError::Format {
                dir: dir.into(),
                found: String::from_utf8_lossy(&found).into_owned(),
            }),
            Some(_) => Ok(database),
            None => {
                meta.insert(META_FORMAT, FORMAT)
                    .map_err(|e| database.storage(e))?;
                Ok(database)
            }
        }
    }

    fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        self.db.open_tree(name).map_err(|e| self.storage(e))
    }

    fn storage(&self, source: sled::Error) -> StoreError {
        StoreError::Storage {
            dir: self.dir.to_path_buf(),
            source,
        }
    }

    fn corrupt(&self, what: impl Into<String>, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            dir: self.dir.to_path_buf(),
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// Turns a failed transaction into a store error; `Missing` is the caller's business.
    fn tx_error(&self, error: sled::transaction::TransactionError<Abort>) -> StoreError {
        use sled::transaction::TransactionError;
        match error {
            TransactionError::Storage(e) => self.storage(e),
            TransactionError::Abort(Abort::Duplicate(record)) => StoreError::Duplicate(record),
            TransactionError::Abort(Abort::Stale { current, new }) => {
                StoreError::Stale { current, new }
            }
            TransactionError::Abort(Abort::Corrupt { what, detail }) => self.corrupt(what, detail),
            TransactionError::Abort(Abort::Missing) => {
                self.corrupt("transaction", "an entry disappeared during the operation")
            }
        }
    }

    /// Makes everything written so far durable: the blob files sled never syncs, then
    /// sled's log (fsync).
    fn flush(&self) -> Result<(), StoreError> {
        sync_blobs(&self.dir).map_err(|e| self.storage(sled::Error::Io(e)))?;
        self.db.flush().map_err(|e| self.storage(e))?;
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(|e| self.storage(e))
    }
}

/// Fsyncs every file in sled's `blobs` directory and the directory itself.
///
/// sled 0.34 writes values (pages) over a quarter of a segment into files of their own
/// when they are committed, but never fsyncs them, so a power failure after sled's log
/// flush could leave the log pointing at a lost blob. Syncing them before the log flush
/// closes that window for the writes this process flushes. The directory is normally
/// empty or nearly so: the set itself is stored in small chunks.
fn sync_blobs(dir: &Path) -> std::io::Result<()> {
    let blobs = dir.join("blobs");
    let entries = match std::fs::read_dir(&blobs) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut any = false;
    for entry in entries {
        // sled removes old blobs in the background: a file that is gone needs no sync.
        let path = entry?.path();
        match std::fs::File::open(&path).and_then(|f| f.sync_all()) {
            Ok(()) => any = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if any {
        std::fs::File::open(&blobs)?.sync_all()?;
    }
    Ok(())
}

const META_FORMAT: &[u8] = b"format";
const META_HISTORY_NEXT: &[u8] = b"history.next";
const META_QUARANTINE_NEXT: &[u8] = b"quarantine.next";
const META_WATCHDOG: &[u8] = b"watchdog";
const META_JOURNAL_NEXT: &[u8] = b"journal.next";

/// A u64 as an 8-byte big-endian key, so that keys sort by number.
fn u64_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// The u64 at the start of a key or value, if it has eight bytes there.
fn read_u64(bytes: &[u8]) -> Option<u64> {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
}

/// Reads a counter in `meta` inside a transaction and stores its successor; counters
/// start at 1.
fn next_counter(
    meta: &sled::transaction::TransactionalTree,
    key: &[u8],
) -> sled::transaction::ConflictableTransactionResult<u64, Abort> {
    let next = match meta.get(key)? {
        None => 1,
        Some(bytes) => read_u64(&bytes).ok_or_else(|| {
            sled::transaction::ConflictableTransactionError::Abort(Abort::Corrupt {
                what: format!("counter {}", String::from_utf8_lossy(key)),
                detail: "not eight bytes".into(),
            })
        })?,
    };
    meta.insert(key, &u64_key(next + 1))?;
    Ok(next)
}

/// Gives up a transaction because a stored value cannot be read back.
fn tx_corrupt<T>(
    what: &str,
    detail: String,
) -> sled::transaction::ConflictableTransactionResult<T, Abort> {
    Err(sled::transaction::ConflictableTransactionError::Abort(
        Abort::Corrupt {
            what: what.to_owned(),
            detail,
        },
    ))
}
