//! The persisted mail outbox, the same in both roles' databases. A mail is an id (its
//! stable `Message-ID`) and an opaque payload that the mail module serializes; the store
//! never looks inside. Mails are queued in the same transaction as the state change that
//! causes them ([`enqueue_in`]), kept in insertion order, and leave the outbox when sent
//! or when given up on, which moves them to the dead letters (kept for the administrator).

use super::codec::{frame, parse_time, time, unframe};
use super::{Abort, Database, StoreError, u64_key};
use chrono::{DateTime, Utc};
use sled::Tree;
use sled::transaction::{ConflictableTransactionResult, Transactional, TransactionalTree};

/// A mail waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMail {
    /// The mail's id.
    pub id: String,
    /// The mail as it was queued.
    pub payload: Vec<u8>,
    /// What the mail module recorded about its tries (opaque); `None` before the first.
    pub state: Option<Vec<u8>>,
}

/// A mail the outbox gave up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The mail's id.
    pub id: String,
    /// Why it was given up on.
    pub reason: String,
    /// The mail as it was queued (or, for recipients a server refused, the mail for
    /// them only).
    pub payload: Vec<u8>,
    /// When it was given up on; `None` for a dead letter from before this was kept.
    pub at: Option<DateTime<Utc>>,
}

/// A handle on the outbox of one database; cheap to clone. It owns four trees:
/// `outbox` (pending mails: key, id, payload), `outbox_state` (the tries of a pending
/// mail, under the same key), `dead_letters` (mails given up on, under the key they had)
/// and `outbox_once` (ids queued once for good).
#[derive(Debug, Clone)]
pub struct Outbox {
    database: Database,
    pending: Tree,
    state: Tree,
    dead: Tree,
    /// Ids queued through [`Outbox::enqueue_once`], kept for good.
    once: Tree,
}

impl Outbox {
    pub(super) fn open(database: &Database) -> Result<Self, StoreError> {
        Ok(Self {
            pending: database.tree("outbox")?,
            state: database.tree("outbox_state")?,
            dead: database.tree("dead_letters")?,
            once: database.tree("outbox_once")?,
            database: database.clone(),
        })
    }

    /// The tree that [`enqueue_in`] writes to, for a transaction that includes it.
    pub(super) fn tree(&self) -> &Tree {
        &self.pending
    }

    /// Queues a mail that no other state change goes with; flushed (tests: every alert
    /// goes with the state change that causes it).
    #[cfg(test)]
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
        Ok(self
            .pending_mails()?
            .into_iter()
            .map(|m| (m.id, m.payload))
            .collect())
    }

    /// The mails waiting to be sent, oldest first, with their recorded tries.
    pub fn pending_mails(&self) -> Result<Vec<PendingMail>, StoreError> {
        let mut out = Vec::new();
        for entry in self.pending.iter() {
            let (key, value) = entry.map_err(|e| self.database.storage(e))?;
            let (id, payload) = self.decode(&value)?;
            let state = self
                .state
                .get(&key)
                .map_err(|e| self.database.storage(e))?
                .map(|s| s.to_vec());
            out.push(PendingMail {
                id,
                payload: payload.to_vec(),
                state,
            });
        }
        Ok(out)
    }

    /// Records what the mail module knows about the tries of pending mail `id`. Not
    /// flushed on its own: a record lost in a crash only undercounts the tries. `false`
    /// when no such mail is waiting.
    pub fn tried(&self, id: &str, state: &[u8]) -> Result<bool, StoreError> {
        let keys = self.keys_of(id)?;
        for key in &keys {
            self.state
                .insert(key, state)
                .map_err(|e| self.database.storage(e))?;
        }
        Ok(!keys.is_empty())
    }

    /// The mail with this id has been sent: it leaves the outbox (every copy, should it
    /// have been queued twice). Flushed, so that it is not sent again after a restart.
    /// `false` when no such mail was waiting.
    pub fn sent(&self, id: &str) -> Result<bool, StoreError> {
        self.leave(id, None)
    }

    /// The mail with this id has been sent to some of its recipients: it leaves the
    /// outbox, and `refused` (the mail for the others) goes to the dead letters with the
    /// reason, in one transaction. Flushed. `false` when no such mail was waiting.
    pub fn sent_partly(
        &self,
        id: &str,
        refused: &[u8],
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.leave(id, Some(Left::Partly(refused, reason, at)))
    }

    /// The mail with this id cannot be delivered: it moves to the dead letters with the
    /// reason and the time, atomically. Flushed. `false` when no such mail was waiting.
    pub fn failed(&self, id: &str, reason: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.leave(id, Some(Left::Dead(reason, at)))
    }

    /// Removes the pending mail `id` (with its tries), keeping in the dead letters what
    /// `dead` says; one transaction, flushed.
    fn leave(&self, id: &str, dead: Option<Left<'_>>) -> Result<bool, StoreError> {
        let keys = self.keys_of(id)?;
        if keys.is_empty() {
            return Ok(false);
        }
        let db = &self.database;
        (&self.pending, &self.state, &self.dead)
            .transaction(|(pending, state, dead_letters)| {
                for key in &keys {
                    state.remove(key.as_ref())?;
                    let Some(value) = pending.remove(key.as_ref())? else {
                        continue;
                    };
                    let payload = unframe(&value, 2).map_or(&[][..], |f| f[1]);
                    match dead {
                        None => {}
                        Some(Left::Dead(reason, at)) => {
                            dead_letters
                                .insert(key.as_ref(), dead_value(id, reason, payload, at))?;
                        }
                        Some(Left::Partly(refused, reason, at)) => {
                            let key = u64_key(dead_letters.generate_id()?);
                            dead_letters.insert(&key, dead_value(id, reason, refused, at))?;
                        }
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
            out.push(self.decode_dead(&value)?);
        }
        Ok(out)
    }

    /// Moves the dead letters with this id back into the outbox, where they wait at
    /// their old place with no tries recorded; flushed. How many moved.
    pub fn retry(&self, id: &str) -> Result<usize, StoreError> {
        self.revive(|letter| letter.id == id)
    }

    /// Moves every dead letter back into the outbox; flushed. How many moved.
    pub fn retry_all(&self) -> Result<usize, StoreError> {
        self.revive(|_| true)
    }

    fn revive(&self, which: impl Fn(&DeadLetter) -> bool) -> Result<usize, StoreError> {
        let mut chosen = Vec::new();
        for entry in self.dead.iter() {
            let (key, value) = entry.map_err(|e| self.database.storage(e))?;
            let letter = self.decode_dead(&value)?;
            if which(&letter) {
                chosen.push((key, letter));
            }
        }
        if chosen.is_empty() {
            return Ok(0);
        }
        let db = &self.database;
        let moved = (&self.pending, &self.dead)
            .transaction(|(pending, dead)| {
                let mut moved = 0;
                for (key, letter) in &chosen {
                    if dead.remove(key.as_ref())?.is_some() {
                        pending.insert(
                            key.as_ref(),
                            frame(&[letter.id.as_bytes(), &letter.payload]),
                        )?;
                        moved += 1;
                    }
                }
                Ok(moved)
            })
            .map_err(|e| db.tx_error(e))?;
        db.flush()?;
        Ok(moved)
    }

    /// Removes mail `id` for good, pending or dead (every copy); flushed. How many
    /// entries went.
    pub fn discard(&self, id: &str) -> Result<usize, StoreError> {
        let pending = self.keys_of(id)?;
        let mut dead = Vec::new();
        for entry in self.dead.iter() {
            let (key, value) = entry.map_err(|e| self.database.storage(e))?;
            if self.decode_dead(&value)?.id == id {
                dead.push(key);
            }
        }
        if pending.is_empty() && dead.is_empty() {
            return Ok(0);
        }
        let db = &self.database;
        let removed = (&self.pending, &self.state, &self.dead)
            .transaction(|(p, s, d)| {
                let mut removed = 0;
                for key in &pending {
                    s.remove(key.as_ref())?;
                    removed += usize::from(p.remove(key.as_ref())?.is_some());
                }
                for key in &dead {
                    removed += usize::from(d.remove(key.as_ref())?.is_some());
                }
                Ok(removed)
            })
            .map_err(|e| db.tx_error(e))?;
        db.flush()?;
        Ok(removed)
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

    /// A dead letter: id, reason, payload, and (since dead letters have a time) when.
    fn decode_dead(&self, value: &[u8]) -> Result<DeadLetter, StoreError> {
        let corrupt = |detail: &str| self.database.corrupt("a dead letter", detail);
        let fields = unframe(value, 4)
            .or_else(|| unframe(value, 3))
            .ok_or_else(|| corrupt("bad framing"))?;
        let at = match fields.get(3) {
            None => None,
            Some(at) => Some(
                std::str::from_utf8(at)
                    .map_err(|e| e.to_string())
                    .and_then(parse_time)
                    .map_err(|e| corrupt(&e))?,
            ),
        };
        Ok(DeadLetter {
            id: String::from_utf8_lossy(fields[0]).into_owned(),
            reason: String::from_utf8_lossy(fields[1]).into_owned(),
            payload: fields[2].to_vec(),
            at,
        })
    }
}

/// What of a mail that leaves the outbox is kept among the dead letters.
#[derive(Clone, Copy)]
enum Left<'a> {
    /// The mail, with the reason and the time.
    Dead(&'a str, DateTime<Utc>),
    /// Another payload (the mail for the recipients refused), reason, time.
    Partly(&'a [u8], &'a str, DateTime<Utc>),
}

fn dead_value(id: &str, reason: &str, payload: &[u8], at: DateTime<Utc>) -> Vec<u8> {
    frame(&[
        id.as_bytes(),
        reason.as_bytes(),
        payload,
        time(&at).as_bytes(),
    ])
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
