//! The persisted mail outbox, the same in both roles' databases. A mail is an id (its
//! stable `Message-ID`) and an opaque payload that the mail module serializes; the store
//! never looks inside. Mails are queued in the same transaction as the state change that
//! causes them ([`enqueue_in`]), kept in insertion order, and leave the outbox when sent
//! or when given up on, which moves them to the dead letters (kept for the administrator).

use super::records::{frame, unframe};
use super::{Abort, Database, StoreError, u64_key};
use sled::Tree;
use sled::transaction::{ConflictableTransactionResult, Transactional, TransactionalTree};

/// A mail the outbox gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The mail's id.
    pub id: String,
    /// Why it was given up on.
    pub reason: String,
    /// The mail as it was queued.
    pub payload: Vec<u8>,
}

/// A handle on the outbox of one database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Outbox {
    database: Database,
    pending: Tree,
    dead: Tree,
    /// Ids queued through [`Outbox::enqueue_once`], kept for good.
    once: Tree,
}

impl Outbox {
    pub(super) fn open(database: &Database) -> Result<Self, StoreError> {
        Ok(Self {
            pending: database.tree("outbox")?,
            dead: database.tree("dead_letters")?,
            once: database.tree("outbox_once")?,
            database: database.clone(),
        })
    }

    /// The tree that [`enqueue_in`] writes to, for a transaction that includes it.
    pub(super) fn tree(&self) -> &Tree {
        &self.pending
    }

    /// Queues a mail that no other state change goes with; flushed.
    pub fn enqueue(&self, id: &str, payload: &[u8]) -> Result<(), StoreError> {
        let db = &self.database;
        self.pending
            .transaction(|tx| enqueue_in(tx, id, payload))
            .map_err(|e| db.tx_error(e))?;
        db.flush()
    }

    /// Queues a mail unless one with this id was queued through here before, ever (also
    /// before a restart): for an alert due once per cause, such as a certificate about
    /// to expire. Flushed. `false` when it had been queued before.
    pub fn enqueue_once(&self, id: &str, payload: &[u8]) -> Result<bool, StoreError> {
        let db = &self.database;
        let queued = (&self.pending, &self.once)
            .transaction(|(pending, once)| {
                if once.insert(id.as_bytes(), &[][..])?.is_some() {
                    return Ok(false);
                }
                enqueue_in(pending, id, payload)?;
                Ok(true)
            })
            .map_err(|e| db.tx_error(e))?;
        db.flush()?;
        Ok(queued)
    }

    /// The mails waiting to be sent, oldest first: (id, payload).
    pub fn pending(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.pending.iter() {
            let (_, value) = entry.map_err(|e| self.database.storage(e))?;
            let (id, payload) = self.decode(&value)?;
            out.push((id, payload.to_vec()));
        }
        Ok(out)
    }

    /// The mail with this id has been sent: it leaves the outbox (every copy, should it
    /// have been queued twice). Flushed, so that it is not sent again after a restart.
    /// `false` when no such mail was waiting.
    pub fn sent(&self, id: &str) -> Result<bool, StoreError> {
        let keys = self.keys_of(id)?;
        if keys.is_empty() {
            return Ok(false);
        }
        let mut batch = sled::Batch::default();
        for key in &keys {
            batch.remove(key.as_ref());
        }
        let db = &self.database;
        self.pending.apply_batch(batch).map_err(|e| db.storage(e))?;
        db.flush()?;
        Ok(true)
    }

    /// The mail with this id cannot be delivered: it moves to the dead letters with the
    /// reason, atomically. Flushed. `false` when no such mail was waiting.
    pub fn failed(&self, id: &str, reason: &str) -> Result<bool, StoreError> {
        let keys = self.keys_of(id)?;
        if keys.is_empty() {
            return Ok(false);
        }
        let db = &self.database;
        (&self.pending, &self.dead)
            .transaction(|(pending, dead)| {
                for key in &keys {
                    if let Some(value) = pending.remove(key.as_ref())? {
                        let payload = unframe(&value, 2).map_or(&[][..], |f| f[1]);
                        dead.insert(
                            key.as_ref(),
                            frame(&[id.as_bytes(), reason.as_bytes(), payload]),
                        )?;
                    }
                }
                Ok(())
            })
            .map_err(|e| db.tx_error(e))?;
        db.flush()?;
        Ok(true)
    }

    /// The mails given up on, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, StoreError> {
        let mut out = Vec::new();
        for entry in self.dead.iter() {
            let (_, value) = entry.map_err(|e| self.database.storage(e))?;
            let fields = unframe(&value, 3)
                .ok_or_else(|| self.database.corrupt("a dead letter", "bad framing"))?;
            out.push(DeadLetter {
                id: String::from_utf8_lossy(fields[0]).into_owned(),
                reason: String::from_utf8_lossy(fields[1]).into_owned(),
                payload: fields[2].to_vec(),
            });
        }
        Ok(out)
    }

    fn keys_of(&self, id: &str) -> Result<Vec<sled::IVec>, StoreError> {
        let mut keys = Vec::new();
        for entry in self.pending.iter() {
            let (key, value) = entry.map_err(|e| self.database.storage(e))?;
            if self.decode(&value)?.0 == id {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    fn decode<'a>(&self, value: &'a [u8]) -> Result<(String, &'a [u8]), StoreError> {
        let fields = unframe(value, 2)
            .ok_or_else(|| self.database.corrupt("an outbox entry", "bad framing"))?;
        let id = std::str::from_utf8(fields[0])
            .map_err(|_| self.database.corrupt("an outbox entry", "id is not UTF-8"))?;
        Ok((id.to_owned(), fields[1]))
    }
}

/// Queues a mail inside a transaction that includes the outbox tree. Its key is a fresh
/// number from sled's id generator, which only grows (also across restarts), so the
/// outbox keeps insertion order.
pub(super) fn enqueue_in(
    tx: &TransactionalTree,
    id: &str,
    payload: &[u8],
) -> ConflictableTransactionResult<(), Abort> {
    let key = tx.generate_id()?;
    tx.insert(&u64_key(key), frame(&[id.as_bytes(), payload]))?;
    Ok(())
}

/// Queues every mail of a state change, in order.
pub(super) fn enqueue_all_in(
    tx: &TransactionalTree,
    mails: &[(String, Vec<u8>)],
) -> ConflictableTransactionResult<(), Abort> {
    for (id, payload) in mails {
        enqueue_in(tx, id, payload)?;
    }
    Ok(())
}
