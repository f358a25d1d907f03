//! Holding a candidate set back and the administrator's decisions on it:
//! [`ReceiverStore::quarantine`], listing and reading entries, accepting one (with the
//! watchdog's state, when given) and discarding one. Each is one transaction over the
//! quarantine and the trees the decision touches.

use super::ReceiverStore;
use crate::store::codec::to_json;
use crate::store::history::{ImportReport, Outcome, ReportRec, append_history_in};
use crate::store::messages::{MessageRec, MessageRecord, message_key, put_record_in};
use crate::store::outbox::enqueue_all_in;
use crate::store::quarantine::{
    QuarantineRec, QuarantineSummary, Quarantined, next_id_in, put_entry_in, read_entry, read_head,
    read_summaries, remove_entry_in, take_entry_in,
};
use crate::store::set::{StoredSet, decode_set, encode_set, put_set_in};
use crate::store::watchdog::{WatchdogState, encode_watchdog, put_watchdog_in};
use crate::store::{Abort, StoreError};
use chrono::{DateTime, Utc};
use sled::transaction::{TransactionError, Transactional};

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
                let id = next_id_in(meta)?;
                let mut entry = QuarantineRec {
                    record: record_rec.clone(),
                    report: report_rec.clone(),
                    reason: reason.to_owned(),
                    head: head.clone(),
                };
                entry.report.set_outcome(Outcome::Quarantined(id));
                put_entry_in(q, id, &entry, &chunks)?;
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
        read_summaries(&i.database, &i.quarantine)
    }

    /// A quarantined set in full, for inspection. The report's sequence is not kept
    /// with the entry and reads as 0.
    pub fn quarantine_entry(&self, id: u64) -> Result<Option<Quarantined>, StoreError> {
        let i = &self.inner;
        read_entry(&i.database, &i.quarantine, id)
    }

    /// Applies a quarantined set as the set in place (applied at `applied_at`), removes
    /// it from quarantine and adds a report (outcome `QuarantineAccepted`), with the mails
    /// and — when the accept resolves an open alert — the watchdog's new `watchdog` state;
    /// one transaction, flushed. `None` when there is no such entry; [`StoreError::Stale`]
    /// when a newer set has been applied since. The message's record keeps its first
    /// answer.
    pub fn accept_quarantined(
        &self,
        id: u64,
        applied_at: DateTime<Utc>,
        mails: &[(String, Vec<u8>)],
        watchdog: Option<&WatchdogState>,
    ) -> Result<Option<StoredSet>, StoreError> {
        let i = &self.inner;
        let Some(entry) = read_head(&i.database, &i.quarantine, id)? else {
            return Ok(None);
        };
        let corrupt = |d| i.database.corrupt(format!("quarantine {id}"), d);
        let mut head = entry.head;
        head.set_applied_at(&applied_at);
        let mut report = entry.report;
        report.set_outcome(Outcome::QuarantineAccepted(id));
        let watchdog_value = watchdog.map(encode_watchdog);
        let moved = (&i.set, &i.quarantine, &i.history, &i.meta, i.outbox.tree()).transaction(
            |(s, q, h, meta, o)| {
                let chunks = take_entry_in(q, id, head.chunks)?;
                let version = put_set_in(s, &head, &chunks)?;
                let report_value = to_json(&report.clone().with_set_version(version));
                append_history_in(h, meta, &report_value, i.history_limit)?;
                if let Some(state) = &watchdog_value {
                    put_watchdog_in(meta, state)?;
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
        let i = &self.inner;
        let Some(mut entry) = read_head(&i.database, &i.quarantine, id)? else {
            return Ok(false);
        };
        entry.report.set_outcome(Outcome::QuarantineDiscarded(id));
        let report_value = to_json(&entry.report);
        let parts = entry.head.chunks;
        let removed =
            (&i.quarantine, &i.history, &i.meta, i.outbox.tree()).transaction(|(q, h, meta, o)| {
                remove_entry_in(q, id, parts)?;
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
}
