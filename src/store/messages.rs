//! The record of every answered message, for duplicates: [`MessageRecord`], its stored
//! form and the `messages` tree, which only this module reads and writes. A record is
//! keyed by its message id (root, NUL, extension) and keeps the exact response, to replay
//! it byte for byte.

use super::codec::{IdRec, Invalid, from_json, hex, parse_time, time, unhex};
use super::{Abort, Database, StoreError, tx_corrupt};
use crate::ids::MessageId;
use crate::message::AckType;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};

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

/// The key of a message record: root, NUL, extension (neither part can hold a NUL).
pub(super) fn message_key(id: &MessageId) -> Vec<u8> {
    let mut key = Vec::with_capacity(id.root().as_str().len() + 1 + id.extension().len());
    key.extend_from_slice(id.root().as_str().as_bytes());
    key.push(0);
    key.extend_from_slice(id.extension().as_bytes());
    key
}

#[derive(Serialize, Deserialize, Clone)]
pub(super) struct MessageRec {
    id: IdRec,
    sha256: String,
    received_at: String,
    ack: String,
    response: String,
}

impl MessageRec {
    pub(super) fn new(r: &MessageRecord) -> Self {
        Self {
            id: IdRec::new(&r.id),
            sha256: hex(&r.sha256),
            received_at: time(&r.received_at),
            ack: r.ack_type.as_str().to_owned(),
            response: r.response.clone(),
        }
    }

    pub(super) fn record(&self) -> Result<MessageRecord, Invalid> {
        Ok(MessageRecord {
            id: self.id.id()?,
            sha256: unhex(&self.sha256)?,
            received_at: parse_time(&self.received_at)?,
            ack_type: AckType::parse(&self.ack).ok_or_else(|| format!("ack {:?}", self.ack))?,
            response: self.response.clone(),
        })
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

/// The record of a message answered before, if any.
pub(super) fn read_record(
    database: &Database,
    messages: &Tree,
    id: &MessageId,
) -> Result<Option<MessageRecord>, StoreError> {
    let Some(bytes) = messages
        .get(message_key(id))
        .map_err(|e| database.storage(e))?
    else {
        return Ok(None);
    };
    from_json::<MessageRec>(&bytes)
        .and_then(|rec| rec.record())
        .map(Some)
        .map_err(|detail| database.corrupt(format!("the record of message {id}"), detail))
}

/// The keys of the records of messages received before `older_than`.
pub(super) fn received_before(
    database: &Database,
    messages: &Tree,
    older_than: DateTime<Utc>,
) -> Result<Vec<sled::IVec>, StoreError> {
    let mut old = Vec::new();
    for entry in messages.iter() {
        let (key, value) = entry.map_err(|e| database.storage(e))?;
        let record = from_json::<MessageRec>(&value)
            .and_then(|rec| rec.record())
            .map_err(|detail| database.corrupt("a message record", detail))?;
        if record.received_at < older_than {
            old.push(key);
        }
    }
    Ok(old)
}
