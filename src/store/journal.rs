//! The journal: what each role exchanged and which changes administrators made, kept for
//! `gateway.journal_retention` — the same in both roles' databases. An entry is a small
//! record (its kind, times, the fields the journal is searched by) with the role's own
//! facts as opaque JSON, and the exact bytes that went with it (a message, an answer)
//! kept apart, compressed (deflate) and cut into pieces of a few KiB like every other
//! large value, so that sled never writes them to its unsynced blob files.
//!
//! Trees: `journal` (entry number → the entry), `journal_bodies` (entry number, part,
//! piece → compressed bytes); the counter `journal.next` in `meta`. Only this module
//! reads and writes them. Entry numbers grow with time within a database.

use super::codec::{Invalid, deflate, from_json, inflate, parse_time, time, to_json};
use super::{Abort, Database, META_JOURNAL_NEXT, StoreError, next_counter, read_u64, u64_key};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{ConflictableTransactionError, Transactional};

/// The compressed bytes of a body are stored in pieces of at most this size.
const PIECE: usize = 3 * 1024;

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JournalKind {
    /// A delivery of the sender, with its message and every attempt.
    Delivery,
    /// A request the receiver answered (or counted refusals of one kind).
    Received,
    /// A change an administrator made through the admin listener.
    Audit,
}

impl JournalKind {
    /// The name used in the store and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Delivery => "delivery",
            JournalKind::Received => "received",
            JournalKind::Audit => "audit",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Delivery, Self::Received, Self::Audit]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// One body kept with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyFacts {
    /// Which: 0 is the message, `n` the answer to attempt `n`.
    pub part: u32,
    /// Its size as it was sent or received, before clipping.
    pub size: usize,
    /// How many bytes are kept (less than `size` when clipped).
    pub kept: usize,
    /// How many bytes that takes in the store, compressed.
    pub stored: usize,
}

/// An entry of the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// Its number in this database (0 for an entry not written yet).
    pub id: u64,
    /// What it is about.
    pub kind: JournalKind,
    /// When it began.
    pub at: DateTime<Utc>,
    /// When it last changed; retention counts from here.
    pub last_at: DateTime<Utc>,
    /// The destination (deliveries).
    pub destination: Option<String>,
    /// How it ended, in the role's words (`delivered`, `ca`, `ok`, …).
    pub outcome: String,
    /// The message it is about, `root/extension`.
    pub message_id: Option<String>,
    /// The role's own facts, as JSON the store does not look into.
    pub details: serde_json::Value,
    /// The bodies kept with it.
    pub bodies: Vec<BodyFacts>,
}

/// A body to keep with an entry: its bytes, and its size before they were clipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBody {
    /// Which: 0 the message, `n` the answer to attempt `n`.
    pub part: u32,
    /// The bytes kept.
    pub bytes: Vec<u8>,
    /// The size of the whole, when `bytes` is clipped.
    pub size: usize,
}

/// An entry with its new bodies, compressed and ready to be written.
#[derive(Debug, Clone)]
pub struct JournalWrite {
    entry: JournalEntry,
    pieces: Vec<(u32, Vec<Vec<u8>>)>,
}

impl JournalWrite {
    /// Compresses `bodies` (off the async threads: this takes a few milliseconds per
    /// megabyte) and adds their facts to `entry`, replacing those of the same parts.
    pub fn new(mut entry: JournalEntry, bodies: Vec<NewBody>) -> Self {
        let mut pieces = Vec::new();
        for body in bodies {
            let compressed = deflate(&body.bytes);
            entry.bodies.retain(|b| b.part != body.part);
            entry.bodies.push(BodyFacts {
                part: body.part,
                size: body.size.max(body.bytes.len()),
                kept: body.bytes.len(),
                stored: compressed.len(),
            });
            pieces.push((
                body.part,
                compressed.chunks(PIECE).map(<[u8]>::to_vec).collect(),
            ));
        }
        entry.bodies.sort_by_key(|b| b.part);
        Self { entry, pieces }
    }
}

/// What the journal is searched by; every given field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalFilter {
    /// Only entries of this kind.
    pub kind: Option<JournalKind>,
    /// Only entries about this destination.
    pub destination: Option<String>,
    /// Only entries with this outcome.
    pub outcome: Option<String>,
    /// Only entries about this message (`root/extension`, or the extension alone).
    pub message_id: Option<String>,
    /// Only entries that began at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Only entries that began before this.
    pub until: Option<DateTime<Utc>>,
}

impl JournalFilter {
    fn matches(&self, entry: &JournalEntry) -> bool {
        self.kind.is_none_or(|k| k == entry.kind)
            && self
                .destination
                .as_ref()
                .is_none_or(|d| entry.destination.as_ref() == Some(d))
            && self.outcome.as_ref().is_none_or(|o| &entry.outcome == o)
            && self.message_id.as_ref().is_none_or(|m| {
                entry.message_id.as_deref().is_some_and(|id| {
                    id == m || id.rsplit_once('/').is_some_and(|(_, ext)| ext == m)
                })
            })
            && self.since.is_none_or(|since| entry.at >= since)
            && self.until.is_none_or(|until| entry.at < until)
    }
}

/// A handle on the journal of one database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Journal {
    database: Database,
    entries: Tree,
    bodies: Tree,
    meta: Tree,
}

impl Journal {
    pub(super) fn open(database: &Database) -> Result<Self, StoreError> {
        Ok(Self {
            entries: database.tree("journal")?,
            bodies: database.tree("journal_bodies")?,
            meta: database.tree("meta")?,
            database: database.clone(),
        })
    }

    /// A fresh entry number, for an entry written later (a number lost in a crash was
    /// never used).
    pub fn next_id(&self) -> Result<u64, StoreError> {
        self.meta
            .transaction(|meta| next_counter(meta, META_JOURNAL_NEXT))
            .map_err(|e| self.database.tx_error(e))
    }

    /// Writes an entry (a new one when its id is 0) with its new bodies, in one
    /// transaction; the bodies written with it before stay (a body is written once).
    /// Flushed when `durable` (a record of an exchange), left to sled's periodic flush
    /// otherwise (counted refusals, which must not cost an fsync each). Returns the
    /// entry's number.
    pub fn write(&self, write: &JournalWrite, durable: bool) -> Result<u64, StoreError> {
        let id = (&self.entries, &self.bodies, &self.meta)
            .transaction(|(entries, bodies, meta)| {
                let id = match write.entry.id {
                    0 => next_counter(meta, META_JOURNAL_NEXT)?,
                    id => id,
                };
                let mut record = EntryRec::new(&write.entry);
                if let Some(old) = entries.get(u64_key(id))? {
                    let old = match from_json::<EntryRec>(&old) {
                        Ok(old) => old,
                        Err(detail) => {
                            return super::tx_corrupt(&format!("journal entry {id}"), detail);
                        }
                    };
                    for body in old.bodies {
                        if !record.bodies.iter().any(|b| b.part == body.part) {
                            record.bodies.push(body);
                        }
                    }
                    record.bodies.sort_by_key(|b| b.part);
                }
                for (part, pieces) in &write.pieces {
                    for (n, piece) in pieces.iter().enumerate() {
                        bodies.insert(body_key(id, *part, n as u32).to_vec(), piece.as_slice())?;
                    }
                }
                entries.insert(&u64_key(id), to_json(&record))?;
                Ok(id)
            })
            .map_err(|e| self.database.tx_error(e))?;
        if durable {
            self.database.flush()?;
        }
        Ok(id)
    }

    /// Entry `id`, if the journal has it.
    pub fn get(&self, id: u64) -> Result<Option<JournalEntry>, StoreError> {
        match self
            .entries
            .get(u64_key(id))
            .map_err(|e| self.database.storage(e))?
        {
            None => Ok(None),
            Some(value) => self.decode(id, &value).map(Some),
        }
    }

    /// The bytes kept of body `part` of entry `id`, as they were before compression;
    /// `None` when the entry has no such body.
    pub fn body(&self, id: u64, part: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(entry) = self.get(id)? else {
            return Ok(None);
        };
        let Some(facts) = entry.bodies.iter().find(|b| b.part == part) else {
            return Ok(None);
        };
        let what = || format!("body {part} of journal entry {id}");
        let mut compressed = Vec::with_capacity(facts.stored);
        for n in 0..facts.stored.div_ceil(PIECE) {
            let piece = self
                .bodies
                .get(body_key(id, part, n as u32))
                .map_err(|e| self.database.storage(e))?
                .ok_or_else(|| {
                    self.database
                        .corrupt(what(), format!("piece {n} is missing"))
                })?;
            compressed.extend_from_slice(&piece);
        }
        let bytes =
            inflate(&compressed, facts.kept).map_err(|e| self.database.corrupt(what(), e))?;
        if bytes.len() != facts.kept {
            return Err(self.database.corrupt(
                what(),
                format!("{} bytes instead of {}", bytes.len(), facts.kept),
            ));
        }
        Ok(Some(bytes))
    }

    /// The newest entries that match `filter`, newest first, at most `limit`, starting
    /// below entry number `before` (all when `None`).
    pub fn list(
        &self,
        filter: &JournalFilter,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let range = match before {
            Some(before) => self.entries.range(..u64_key(before)),
            None => self.entries.range::<[u8; 8], _>(..),
        };
        let mut found = Vec::new();
        for item in range.rev() {
            if found.len() >= limit {
                break;
            }
            let (key, value) = item.map_err(|e| self.database.storage(e))?;
            let id = read_u64(&key).unwrap_or_default();
            let entry = self.decode(id, &value)?;
            if filter.matches(&entry) {
                found.push(entry);
            }
        }
        Ok(found)
    }

    /// Removes every entry that last changed before `cutoff`, with its bodies, unless
    /// `keep` says it is still in use; returns how many were removed. One transaction
    /// per entry, flushed at the end.
    pub fn prune(
        &self,
        cutoff: DateTime<Utc>,
        keep: impl Fn(u64) -> bool,
    ) -> Result<usize, StoreError> {
        let mut old = Vec::new();
        for item in self.entries.iter() {
            let (key, value) = item.map_err(|e| self.database.storage(e))?;
            let id = read_u64(&key).unwrap_or_default();
            let entry = self.decode(id, &value)?;
            if entry.last_at < cutoff && !keep(id) {
                old.push(entry);
            }
        }
        for entry in &old {
            let keys: Vec<Vec<u8>> = entry
                .bodies
                .iter()
                .flat_map(|b| {
                    (0..b.stored.div_ceil(PIECE))
                        .map(|n| body_key(entry.id, b.part, n as u32).to_vec())
                })
                .collect();
            (&self.entries, &self.bodies)
                .transaction(|(entries, bodies)| {
                    for key in &keys {
                        bodies.remove(key.as_slice())?;
                    }
                    entries.remove(&u64_key(entry.id))?;
                    Ok::<_, ConflictableTransactionError<Abort>>(())
                })
                .map_err(|e| self.database.tx_error(e))?;
        }
        if !old.is_empty() {
            self.database.flush()?;
        }
        Ok(old.len())
    }

    fn decode(&self, id: u64, value: &[u8]) -> Result<JournalEntry, StoreError> {
        from_json::<EntryRec>(value)
            .and_then(|rec| rec.entry(id))
            .map_err(|detail| self.database.corrupt(format!("journal entry {id}"), detail))
    }
}

/// The key of piece `n` of body `part` of entry `id`.
fn body_key(id: u64, part: u32, n: u32) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&id.to_be_bytes());
    key[8..12].copy_from_slice(&part.to_be_bytes());
    key[12..].copy_from_slice(&n.to_be_bytes());
    key
}

/// The stored form of an entry.
#[derive(Serialize, Deserialize)]
struct EntryRec {
    kind: String,
    at: String,
    last_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    destination: Option<String>,
    outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    details: serde_json::Value,
    #[serde(default)]
    bodies: Vec<BodyRec>,
}

#[derive(Serialize, Deserialize)]
struct BodyRec {
    part: u32,
    size: usize,
    kept: usize,
    stored: usize,
}

impl EntryRec {
    fn new(entry: &JournalEntry) -> Self {
        EntryRec {
            kind: entry.kind.as_str().to_owned(),
            at: time(&entry.at),
            last_at: time(&entry.last_at),
            destination: entry.destination.clone(),
            outcome: entry.outcome.clone(),
            message_id: entry.message_id.clone(),
            details: entry.details.clone(),
            bodies: entry
                .bodies
                .iter()
                .map(|b| BodyRec {
                    part: b.part,
                    size: b.size,
                    kept: b.kept,
                    stored: b.stored,
                })
                .collect(),
        }
    }

    fn entry(self, id: u64) -> Result<JournalEntry, Invalid> {
        Ok(JournalEntry {
            id,
            kind: JournalKind::parse(&self.kind)
                .ok_or_else(|| format!("unknown kind {:?}", self.kind))?,
            at: parse_time(&self.at)?,
            last_at: parse_time(&self.last_at)?,
            destination: self.destination,
            outcome: self.outcome,
            message_id: self.message_id,
            details: self.details,
            bodies: self
                .bodies
                .into_iter()
                .map(|b| BodyFacts {
                    part: b.part,
                    size: b.size,
                    kept: b.kept,
                    stored: b.stored,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests;
