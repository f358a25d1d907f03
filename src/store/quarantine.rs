//! Quarantine: sets the shrink guard held back, kept until an administrator accepts
//! (applies) or discards them. An entry is part 0 (the message record, the import report,
//! the reason and the set's head) followed by the candidate's chunks as parts 1, 2, …, so
//! accepting one moves its chunks into the set in place without decoding them.

use super::chunks::{decode_set, encode_set};
use super::history::append_history_in;
use super::history::{ImportReport, Outcome};
use super::outbox::enqueue_all_in;
use super::receiver::{
    MessageRecord, ReceiverStore, StoredSet, put_record_in, put_set_in, tx_corrupt,
};
use super::records::{
    Invalid, MessageRec, QuarantineRec, ReportRec, encode_watchdog, from_json, to_json,
};
use super::watchdog::WatchdogState;
use super::{
    Abort, META_QUARANTINE_NEXT, META_WATCHDOG, StoreError, message_key, next_counter, read_u64,
};
use crate::ids::MessageId;
use crate::timestamp::Timestamp;
use chrono::{DateTime, Utc};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

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

/// The key of part `part` of quarantine entry `id`.
fn part_key(id: u64, part: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&id.to_be_bytes());
    key[8..].copy_from_slice(&part.to_be_bytes());
    key
}

impl ReceiverStore {
    /// Holds a candidate set back instead of applying it, together with the message's
    /// record (answered `CE`), the import report (outcome `Quarantined` with the new id)
    /// and the mails (the alert); flushed. Refused with [`StoreError::Duplicate`] when the
    /// message was answered before. Returns the quarantine id.
    pub fn quarantine(
        &self,
        candidate: StoredSet,
        reason: &str,
        record: MessageRecord,
        report: ImportReport,
        mails: &[(String, Vec<u8>)],
    ) -> Result<u64, StoreError> {
        let (head, chunks) = encode_set(&candidate);
        let record_rec = MessageRec::new(&record);
        let (key, record_value) = (message_key(&record.id), to_json(&record_rec));
        let report_rec = ReportRec::new(&report);
        let i = &self.inner;
        let id = (
            &i.quarantine,
            &i.messages,
            &i.history,
            &i.meta,
            i.outbox.tree(),
        )
            .transaction(|(q, m, h, meta, o)| {
                put_record_in(m, &key, &record_value)?;
                let id = next_counter(meta, META_QUARANTINE_NEXT)?;
                let mut entry = QuarantineRec {
                    record: record_rec.clone(),
                    report: report_rec.clone(),
                    reason: reason.to_owned(),
                    head: head.clone(),
                };
                entry.report.set_outcome(Outcome::Quarantined(id));
                q.insert(&part_key(id, 0), to_json(&entry))?;
                for (n, chunk) in (1..).zip(&chunks) {
                    q.insert(&part_key(id, n), chunk.as_slice())?;
                }
                append_history_in(h, meta, &to_json(&entry.report), i.history_limit)?;
                enqueue_all_in(o, mails)?;
                Ok(id)
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()?;
        Ok(id)
    }

    /// The quarantined sets, oldest first.
    pub fn quarantined(&self) -> Result<Vec<QuarantineSummary>, StoreError> {
        let i = &self.inner;
        let mut out = Vec::new();
        for entry in i.quarantine.iter() {
            let (key, value) = entry.map_err(|e| i.database.storage(e))?;
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
            out.push(summary.map_err(|d| i.database.corrupt(format!("quarantine {id}"), d))?);
        }
        Ok(out)
    }

    /// A quarantined set in full, for inspection. The report's sequence is not kept
    /// with the entry and reads as 0.
    pub fn quarantine_entry(&self, id: u64) -> Result<Option<Quarantined>, StoreError> {
        let i = &self.inner;
        let found = i
            .quarantine
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
            .map_err(|e| i.database.tx_error(e))?;
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
            .map_err(|d| i.database.corrupt(format!("quarantine {id}"), d))
    }

    /// Applies a quarantined set as the set in place (applied at `applied_at`), removes
    /// it from quarantine and adds a report (outcome `QuarantineAccepted`), with the
    /// mails; flushed. `None` when there is no such entry; [`StoreError::Stale`] when a
    /// newer set has been applied since. The message's record keeps its first answer.
    pub fn accept_quarantined(
        &self,
        id: u64,
        applied_at: DateTime<Utc>,
        mails: &[(String, Vec<u8>)],
    ) -> Result<Option<StoredSet>, StoreError> {
        self.accept_quarantined_inner(id, applied_at, mails, None)
    }

    /// [`Self::accept_quarantined`], also writing the watchdog's state (when given) in
    /// the same transaction: used by [`Self::accept_quarantined_with_watchdog`].
    pub(super) fn accept_quarantined_inner(
        &self,
        id: u64,
        applied_at: DateTime<Utc>,
        mails: &[(String, Vec<u8>)],
        watchdog: Option<&WatchdogState>,
    ) -> Result<Option<StoredSet>, StoreError> {
        let Some(entry) = self.entry(id)? else {
            return Ok(None);
        };
        let i = &self.inner;
        let corrupt = |d| i.database.corrupt(format!("quarantine {id}"), d);
        let mut head = entry.head;
        head.set_applied_at(&applied_at);
        let mut report = entry.report;
        report.set_outcome(Outcome::QuarantineAccepted(id));
        let watchdog_value = watchdog.map(encode_watchdog);
        let moved = (&i.set, &i.quarantine, &i.history, &i.meta, i.outbox.tree()).transaction(
            |(s, q, h, meta, o)| {
                if q.remove(&part_key(id, 0))?.is_none() {
                    return Err(ConflictableTransactionError::Abort(Abort::Missing));
                }
                let mut chunks = Vec::with_capacity(head.chunks as usize);
                for n in 1..=head.chunks {
                    match q.remove(&part_key(id, n))? {
                        Some(chunk) => chunks.push(chunk),
                        None => return tx_corrupt("a quarantine entry", format!("part {n}")),
                    }
                }
                let version = put_set_in(s, &head, &chunks)?;
                let report_value = to_json(&report.clone().with_set_version(version));
                append_history_in(h, meta, &report_value, i.history_limit)?;
                if let Some(state) = &watchdog_value {
                    meta.insert(META_WATCHDOG, state.as_slice())?;
                }
                enqueue_all_in(o, mails)?;
                Ok((chunks, version))
            },
        );
        let (chunks, version) = match moved {
            Ok(chunks) => chunks,
            Err(TransactionError::Abort(Abort::Missing)) => return Ok(None),
            Err(e) => return Err(i.database.tx_error(e)),
        };
        i.database.flush()?;
        head.set_version(version);
        decode_set(&head, &chunks).map(Some).map_err(corrupt)
    }

    /// Removes a quarantined set without applying it and adds a report (outcome
    /// `QuarantineDiscarded`), with the mails; flushed. `false` when there is no such entry.
    pub fn discard_quarantined(
        &self,
        id: u64,
        mails: &[(String, Vec<u8>)],
    ) -> Result<bool, StoreError> {
        let Some(mut entry) = self.entry(id)? else {
            return Ok(false);
        };
        entry.report.set_outcome(Outcome::QuarantineDiscarded(id));
        let report_value = to_json(&entry.report);
        let parts = entry.head.chunks;
        let i = &self.inner;
        let removed =
            (&i.quarantine, &i.history, &i.meta, i.outbox.tree()).transaction(|(q, h, meta, o)| {
                if q.remove(&part_key(id, 0))?.is_none() {
                    return Err(ConflictableTransactionError::Abort(Abort::Missing));
                }
                for n in 1..=parts {
                    q.remove(&part_key(id, n))?;
                }
                append_history_in(h, meta, &report_value, i.history_limit)?;
                enqueue_all_in(o, mails)
            });
        match removed {
            Ok(()) => {}
            Err(TransactionError::Abort(Abort::Missing)) => return Ok(false),
            Err(e) => return Err(i.database.tx_error(e)),
        }
        i.database.flush()?;
        Ok(true)
    }

    /// Part 0 of a quarantine entry.
    fn entry(&self, id: u64) -> Result<Option<QuarantineRec>, StoreError> {
        let i = &self.inner;
        let bytes = i
            .quarantine
            .get(part_key(id, 0))
            .map_err(|e| i.database.storage(e))?;
        bytes
            .map(|b| from_json(&b))
            .transpose()
            .map_err(|d| i.database.corrupt(format!("quarantine {id}"), d))
    }
}
