//! Putting a delivered set in place: [`ReceiverStore::apply`], one transaction over the
//! set, the message's record, the history, the watchdog's state (when given) and the
//! outbox.

use super::{Applied, ReceiverStore};
use crate::store::StoreError;
use crate::store::codec::to_json;
use crate::store::history::{ImportReport, Outcome, ReportRec, append_history_in};
use crate::store::messages::{MessageRec, MessageRecord, message_key, put_record_in};
use crate::store::outbox::enqueue_all_in;
use crate::store::set::{StoredSet, encode_set, put_set_in};
use crate::store::watchdog::{WatchdogState, encode_watchdog, put_watchdog_in};
use sled::transaction::Transactional;

impl ReceiverStore {
    /// Puts `set` in place of the current one, together with the message's record, the
    /// import report (outcome `Applied`), the mails and — when the apply resolves an open
    /// alert — the watchdog's new `watchdog` state; one transaction, flushed. A crash at
    /// any point leaves either the old state or the new one. Refused, writing nothing,
    /// when the message was answered before ([`StoreError::Duplicate`]) or the set is
    /// older than the one in place ([`StoreError::Stale`]). Returns the set with its
    /// version and the report with its sequence.
    pub fn apply(
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
                    put_watchdog_in(meta, state)?;
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
}
