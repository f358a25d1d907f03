//! The receiver's entries in the journal: every request that reached the HL7 level,
//! with the exact bytes received (body 0) and answered (body 1); and the refusals below
//! it (too large, too slow, unreadable, a certificate not listed, a SOAP fault), counted
//! per kind and hour without their bytes, so that a flood of them cannot fill the disk.

use crate::api::JournalReceived;
use crate::store::{Journal, JournalEntry, JournalKind, JournalWrite, NewBody, StoreError};
use bytes::Bytes;
use chrono::{DateTime, Timelike, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// How a request to the exchange listener ended: the journal's outcome and the
/// metrics' `verdict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Accepted (`CA`).
    Ca,
    /// Refused with `CE`.
    Ce,
    /// Refused with `CR`.
    Cr,
    /// A SOAP fault: not a message the receiver could read, or the receiver failed.
    Fault,
    /// Larger than `max_body` (HTTP 413).
    TooLarge,
    /// The body did not arrive within `body_timeout` (HTTP 408).
    Timeout,
    /// The body could not be read (HTTP 400).
    Broken,
    /// A client certificate not listed in `[[receiver.tls.client]]` (HTTP 403).
    Refused,
}

impl Verdict {
    /// Every verdict, in the order of the docs.
    pub const ALL: [Verdict; 8] = [
        Verdict::Ca,
        Verdict::Ce,
        Verdict::Cr,
        Verdict::Fault,
        Verdict::TooLarge,
        Verdict::Timeout,
        Verdict::Broken,
        Verdict::Refused,
    ];

    /// The name in the journal and the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Ca => "ca",
            Verdict::Ce => "ce",
            Verdict::Cr => "cr",
            Verdict::Fault => "fault",
            Verdict::TooLarge => "too_large",
            Verdict::Timeout => "timeout",
            Verdict::Broken => "broken",
            Verdict::Refused => "refused",
        }
    }
}

/// What the journal says about a message that reached the HL7 level.
pub(super) struct Received<'a> {
    pub at: DateTime<Utc>,
    pub verdict: Verdict,
    pub client: String,
    pub tls_identity: Option<String>,
    /// `root/extension`, the sender's application id and the `creationTime`, as far as
    /// they could be read.
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub created: Option<String>,
    pub request: &'a Bytes,
    pub sha256: &'a [u8; 32],
    pub answer: &'a str,
    /// The answer is the one stored for the same message before.
    pub replayed: bool,
}

impl Received<'_> {
    /// The entry with its two bodies, compressed. Blocking: a few milliseconds per
    /// megabyte.
    pub(super) fn write(self) -> JournalWrite {
        let details = JournalReceived {
            client: self.client,
            tls_identity: self.tls_identity,
            sender: self.sender,
            created: self.created,
            bytes: self.request.len(),
            sha256: Some(crate::strings::hex(self.sha256)),
            replayed: self.replayed,
            count: 1,
            detail: None,
        };
        let entry = JournalEntry {
            id: 0,
            kind: JournalKind::Received,
            at: self.at,
            last_at: self.at,
            destination: None,
            outcome: self.verdict.name().to_owned(),
            message_id: self.message_id,
            details: serde_json::to_value(&details).unwrap_or_default(),
            bodies: Vec::new(),
        };
        let body = |part, bytes: Vec<u8>| NewBody {
            part,
            size: bytes.len(),
            bytes,
        };
        JournalWrite::new(
            entry,
            vec![
                body(0, self.request.to_vec()),
                body(1, self.answer.as_bytes().to_vec()),
            ],
        )
    }
}

/// The refusals of this hour, one journal entry per kind, counted.
#[derive(Debug, Default)]
pub(super) struct Refusals {
    /// Per verdict: the hour it counts (seconds since the epoch, whole hours), its entry
    /// and how many so far.
    buckets: Mutex<HashMap<Verdict, (i64, u64, u64)>>,
}

impl Refusals {
    /// Counts one refusal at `now` from `client` (`bytes` long, when that is known) in
    /// this hour's entry of its kind, with what was wrong in `detail`. Written without
    /// a flush of its own. Blocking.
    pub(super) fn count(
        &self,
        journal: &Journal,
        verdict: Verdict,
        client: String,
        bytes: usize,
        detail: String,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let hour = now.timestamp() - i64::from(now.minute() * 60 + now.second());
        // Held while writing, so that a smaller count never overwrites a larger one.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (id, count, at) = match buckets.get(&verdict) {
            Some(&(h, id, count)) if h == hour => (id, count + 1, None),
            _ => (journal.next_id()?, 1, Some(now)),
        };
        let at = match at {
            Some(at) => at,
            None => journal.get(id)?.map_or(now, |entry| entry.at),
        };
        let details = JournalReceived {
            client,
            tls_identity: None,
            sender: None,
            created: None,
            bytes,
            sha256: None,
            replayed: false,
            count,
            detail: Some(detail),
        };
        let entry = JournalEntry {
            id,
            kind: JournalKind::Received,
            at,
            last_at: now,
            destination: None,
            outcome: verdict.name().to_owned(),
            message_id: None,
            details: serde_json::to_value(&details).unwrap_or_default(),
            bodies: Vec::new(),
        };
        journal.write(&JournalWrite::new(entry, Vec::new()), false)?;
        buckets.insert(verdict, (hour, id, count));
        Ok(())
    }
}
