//! A connecting partner's delivery, kept apart from the set in place: its message's
//! record (so that a duplicate gets the same answer) and its trial — the report, and the
//! trial set when the delivery was accepted — in one transaction.

use super::ReceiverStore;
use crate::ids::ApplicationId;
use crate::store::StoreError;
use crate::store::codec::to_json;
use crate::store::history::{ImportReport, ReportRec};
use crate::store::messages::{MessageRec, MessageRecord, message_key, put_record_in};
use crate::store::outbox::enqueue_all_in;
use crate::store::set::{StoredSet, encode_set};
use crate::store::trial::{Trial, put_trial_in, read_trial};
use sled::transaction::Transactional;

impl ReceiverStore {
    /// Records a connecting partner's delivery: the message's record, the report on it,
    /// `set` as its trial set when given (an accepted delivery; a refused one leaves the
    /// trial set as it was) and the mails (its validation report); flushed. The set in place, the history and the
    /// quarantine are not touched. Refused with [`StoreError::Duplicate`] when the message
    /// was answered before.
    pub fn record_trial(
        &self,
        sender: &ApplicationId,
        record: MessageRecord,
        report: &ImportReport,
        set: Option<&StoredSet>,
        mails: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let (key, value) = (message_key(&record.id), to_json(&MessageRec::new(&record)));
        let report = ReportRec::new(report);
        let encoded = set.map(encode_set);
        let i = &self.inner;
        (&i.messages, &i.trial, i.outbox.tree())
            .transaction(|(m, t, o)| {
                put_record_in(m, &key, &value)?;
                put_trial_in(t, sender, &report, encoded.as_ref())?;
                enqueue_all_in(o, mails)
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()
    }

    /// `sender`'s trial; `None` before its first delivery in its connect phase.
    pub fn trial(&self, sender: &ApplicationId) -> Result<Option<Trial>, StoreError> {
        let i = &self.inner;
        read_trial(&i.database, &i.trial, sender)
    }
}
