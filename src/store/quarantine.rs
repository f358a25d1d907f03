//! Quarantine: sets the shrink guard held back, kept in the `quarantine` tree (which only
//! this module reads and writes) until an administrator accepts (applies) or discards
//! them. An entry is part 0 (the message record, the import report, the reason and the
//! set's head) followed by the candidate's chunks as parts 1, 2, …, so accepting one
//! moves its chunks into the set in place without decoding them.

use super::codec::{Invalid, from_json, to_json};
use super::history::{ImportReport, ReportRec};
use super::messages::{MessageRec, MessageRecord};
use super::set::{SetHeadRec, StoredSet, decode_set};
use super::{
    Abort, Database, META_QUARANTINE_NEXT, StoreError, next_counter, read_u64, tx_corrupt,
};
use crate::ids::MessageId;
use crate::timestamp::Timestamp;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};

/// A quarantined set as listed for administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineSummary {
    /// The quarantine id.
    pub id: u64,
    /// The message that delivered the set.
    pub message_id: MessageId,
    /// The message's creation time.
    pub created: Timestamp,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// How many lots the set has.
    pub lots: usize,
    /// Why it was held back.
    pub reason: String,
}

/// A quarantined set in full, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The quarantine id.
    pub id: u64,
    /// The message's record (answered `CE`).
    pub record: MessageRecord,
    /// The import report written when it was quarantined.
    pub report: ImportReport,
    /// Why it was held back.
    pub reason: String,
    /// The candidate set.
    pub set: StoredSet,
}

/// A quarantine entry's part 0; the candidate's chunks are the following parts.
#[derive(Serialize, Deserialize)]
pub(super) struct QuarantineRec {
    pub(super) record: MessageRec,
    pub(super) report: ReportRec,
    pub(super) reason: String,
    pub(super) head: SetHeadRec,
}

/// The key of part `part` of quarantine entry `id`.
fn part_key(id: u64, part: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&id.to_be_bytes());
    key[8..].copy_from_slice(&part.to_be_bytes());
    key
}

/// The id for a new entry (`quarantine.next` in `meta`), taken inside a transaction.
pub(super) fn next_id_in(meta: &TransactionalTree) -> ConflictableTransactionResult<u64, Abort> {
    next_counter(meta, META_QUARANTINE_NEXT)
}

/// Writes entry `id`: part 0 and the candidate's chunks as parts 1, 2, ….
pub(super) fn put_entry_in(
    quarantine: &TransactionalTree,
    id: u64,
    entry: &QuarantineRec,
    chunks: &[Vec<u8>],
) -> ConflictableTransactionResult<(), Abort> {
    quarantine.insert(&part_key(id, 0), to_json(entry))?;
    for (n, chunk) in (1..).zip(chunks) {
        quarantine.insert(&part_key(id, n), chunk.as_slice())?;
    }
    Ok(())
}

/// Removes entry `id` and returns its `parts` chunks, to be put in place; aborts with
/// [`Abort::Missing`] when there is no such entry.
pub(super) fn take_entry_in(
    quarantine: &TransactionalTree,
    id: u64,
    parts: u32,
) -> ConflictableTransactionResult<Vec<sled::IVec>, Abort> {
    if quarantine.remove(&part_key(id, 0))?.is_none() {
        return Err(ConflictableTransactionError::Abort(Abort::Missing));
    }
    let mut chunks = Vec::with_capacity(parts as usize);
    for n in 1..=parts {
        match quarantine.remove(&part_key(id, n))? {
            Some(chunk) => chunks.push(chunk),
            None => return tx_corrupt("a quarantine entry", format!("part {n}")),
        }
    }
    Ok(chunks)
}

/// Removes entry `id` (part 0 and its `parts` chunks); aborts with [`Abort::Missing`]
/// when there is no such entry.
pub(super) fn remove_entry_in(
    quarantine: &TransactionalTree,
    id: u64,
    parts: u32,
) -> ConflictableTransactionResult<(), Abort> {
    if quarantine.remove(&part_key(id, 0))?.is_none() {
        return Err(ConflictableTransactionError::Abort(Abort::Missing));
    }
    for n in 1..=parts {
        quarantine.remove(&part_key(id, n))?;
    }
    Ok(())
}

/// The quarantined sets, oldest first.
pub(super) fn read_summaries(
    database: &Database,
    quarantine: &Tree,
) -> Result<Vec<QuarantineSummary>, StoreError> {
    let mut out = Vec::new();
    for entry in quarantine.iter() {
        let (key, value) = entry.map_err(|e| database.storage(e))?;
        if key.get(8..) != Some(&[0, 0, 0, 0][..]) {
            continue;
        }
        let id = read_u64(&key).unwrap_or(0);
        let summary = from_json::<QuarantineRec>(&value).and_then(|rec| {
            Ok(QuarantineSummary {
                id,
                message_id: rec.head.message_id()?,
                created: rec.head.created()?,
                received_at: rec.record.record()?.received_at,
                lots: rec.head.lots(),
                reason: rec.reason,
            })
        });
        out.push(summary.map_err(|d| database.corrupt(format!("quarantine {id}"), d))?);
    }
    Ok(out)
}

/// A quarantined set in full, for inspection. The report's sequence is not kept with
/// the entry and reads as 0.
pub(super) fn read_entry(
    database: &Database,
    quarantine: &Tree,
    id: u64,
) -> Result<Option<Quarantined>, StoreError> {
    let found = quarantine
        .transaction(|q| {
            let Some(entry) = q.get(part_key(id, 0))? else {
                return Ok(None);
            };
            let entry: QuarantineRec = match from_json(&entry) {
                Ok(entry) => entry,
                Err(detail) => return tx_corrupt("a quarantine entry", detail),
            };
            let mut chunks = Vec::new();
            for n in 1..=entry.head.chunks {
                match q.get(part_key(id, n))? {
                    Some(chunk) => chunks.push(chunk),
                    None => return tx_corrupt("a quarantine entry", format!("part {n}")),
                }
            }
            Ok(Some((entry, chunks)))
        })
        .map_err(|e| database.tx_error(e))?;
    let Some((entry, chunks)) = found else {
        return Ok(None);
    };
    let read = || -> Result<Quarantined, Invalid> {
        Ok(Quarantined {
            id,
            record: entry.record.record()?,
            report: entry.report.report(0)?,
            reason: entry.reason.clone(),
            set: decode_set(&entry.head, &chunks)?,
        })
    };
    read()
        .map(Some)
        .map_err(|d| database.corrupt(format!("quarantine {id}"), d))
}

/// Part 0 of quarantine entry `id`.
pub(super) fn read_head(
    database: &Database,
    quarantine: &Tree,
    id: u64,
) -> Result<Option<QuarantineRec>, StoreError> {
    let bytes = quarantine
        .get(part_key(id, 0))
        .map_err(|e| database.storage(e))?;
    bytes
        .map(|b| from_json(&b))
        .transpose()
        .map_err(|d| database.corrupt(format!("quarantine {id}"), d))
}
