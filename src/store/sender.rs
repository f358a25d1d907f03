//! The sender's store: per destination the current delivery (its message's exact bytes,
//! attempts, outcome and escalation), the local date of the last nightly delivery, and
//! the outbox. A delivery and its bytes are written in one transaction and flushed before
//! the first attempt, so every retry — also after a restart — sends the same bytes.
//!
//! The sender decides; this module only keeps. [`SenderStore::save`] writes deliveries
//! changed by the sender together with the mails that go with the change, and refuses
//! (writing nothing) when one of them has been superseded in the meantime.

use super::codec::{deflate, from_json, inflate, parse_time, time, to_json};
use super::journal::Journal;
use super::outbox::{Outbox, enqueue_all_in};
use super::{Abort, Database, StoreError, next_counter};
use crate::ids::MessageId;
use crate::language::Text;
use crate::timestamp::Timestamp;
use chrono::{DateTime, NaiveDate, Utc};
use records::DeliveryRec;
use sha2::{Digest, Sha256};
use sled::Tree;
use sled::transaction::{ConflictableTransactionError, Transactional, TransactionalTree};
use std::path::Path;
use std::sync::Arc;

/// Size of the pieces a message's bytes are stored in: small, like the set's chunks in
/// the receiver's database, so that sled keeps them in its checksummed log (see the
/// module docs of `store`). With 16 KiB pieces sled wrote whole nodes of the tree to
/// blob files, and the fsync of every blob file before each flush made a delivery to 100
/// destinations take 7 s instead of 0.9 s.
const BODY_CHUNK: usize = 3 * 1024;

const META_DELIVERY_NEXT: &[u8] = b"delivery.next";
const META_INSTALLED_AT: &[u8] = b"installed_at";

/// Why a delivery was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The nightly delivery at `send_at`.
    Nightly,
    /// The delivery of a night the gateway missed, started when it came up.
    Missed,
    /// `send_on_start`: the delivery right after start-up.
    StartUp,
    /// A manual `send-now`.
    SendNow,
}

impl Trigger {
    /// The name used in the store and the log (the same as the admin API's).
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Nightly => "nightly",
            Trigger::Missed => "missed-night",
            Trigger::StartUp => "start-up",
            Trigger::SendNow => "send-now",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Trigger::Nightly,
            Trigger::Missed,
            Trigger::StartUp,
            Trigger::SendNow,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not delivered yet: attempts follow on the schedule (until it is exhausted).
    Pending,
    /// Acknowledged with `CA`.
    Delivered,
    /// Refused by the receiver (`CE`, `CR`, `soap:Client`): no more attempts.
    Rejected,
}

impl DeliveryState {
    /// The name used in the store (the same as the admin API's).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Rejected,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// `CA` with our message id.
    Delivered,
    /// `CE`, `CR` or `soap:Client`.
    Rejected,
    /// Anything else: worth trying again.
    Transient,
}

impl AttemptOutcome {
    /// The name used in the store and the metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Rejected => "rejected",
            AttemptOutcome::Transient => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            AttemptOutcome::Delivered,
            AttemptOutcome::Rejected,
            AttemptOutcome::Transient,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it began: the time the schedule said it was due (its grid slot is the
    /// latest at or before it).
    pub at: DateTime<Utc>,
    /// How it ended; `None` while it runs, or when the gateway stopped during it.
    pub outcome: Option<AttemptOutcome>,
    /// What happened: the error, or the acknowledgement's details, in both languages.
    pub detail: Text,
    /// The connection broke after the message was sent: the receiver may have applied it.
    pub answer_lost: bool,
    /// The HTTP status of the answer, when one came.
    pub http_status: Option<u16>,
    /// How long it took, in milliseconds, once it ended.
    pub duration_ms: Option<u64>,
}

/// The message of a delivery, as built once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltMessage {
    /// The message id.
    pub id: MessageId,
    /// Its creation time.
    pub created: Timestamp,
    /// SHA-256 of the exact bytes.
    pub sha256: [u8; 32],
    /// How many bytes.
    pub size: usize,
    /// How many lots it carries.
    pub lots: usize,
}

impl BuiltMessage {
    /// The facts of a message whose exact bytes are `bytes`.
    pub fn new(id: MessageId, created: Timestamp, lots: usize, bytes: &[u8]) -> Self {
        Self {
            id,
            created,
            sha256: Sha256::digest(bytes).into(),
            size: bytes.len(),
            lots,
        }
    }
}

/// The current delivery to one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The store's number of the delivery, unique in this database.
    pub id: u64,
    /// The destination's name.
    pub destination: String,
    /// Why it was started.
    pub trigger: Trigger,
    /// The local date of the night it belongs to (nightly and missed nights only).
    pub night: Option<NaiveDate>,
    /// The start: the first planned attempt, from which the schedule's grid is laid out.
    pub start: DateTime<Utc>,
    /// When it is escalated if not delivered by then; `None` for a delivery that is
    /// never escalated (a night that began before the gateway was installed).
    pub escalate_at: Option<DateTime<Utc>>,
    /// The message, once built (not yet while the source could not be read).
    pub message: Option<BuiltMessage>,
    /// The attempts so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// Where it stands.
    pub state: DeliveryState,
    /// When it was delivered or rejected.
    pub finished_at: Option<DateTime<Utc>>,
    /// When it was listed in an escalation email.
    pub escalated_at: Option<DateTime<Utc>>,
    /// Whether an escalation email about this destination (for this delivery or one it
    /// superseded) still awaits its resolution email.
    pub escalation_open: bool,
    /// Whether the administrators have been told that the source is invalid.
    pub source_alerted: bool,
    /// Its entry in the journal; `None` for a delivery from before the journal.
    pub journal: Option<u64>,
}

impl Delivery {
    /// When the last attempt began.
    pub fn last_attempt(&self) -> Option<DateTime<Utc>> {
        self.attempts.last().map(|a| a.at)
    }

    /// Whether the last attempt has no outcome: it is running, or the gateway stopped
    /// during it.
    pub fn last_unfinished(&self) -> bool {
        self.attempts.last().is_some_and(|a| a.outcome.is_none())
    }
}

/// A delivery to start.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Its number, from [`SenderStore::next_id`].
    pub id: u64,
    /// The destination's name.
    pub destination: String,
    /// Why it is started.
    pub trigger: Trigger,
    /// The night it belongs to (recorded as the destination's last night).
    pub night: Option<NaiveDate>,
    /// The first planned attempt.
    pub start: DateTime<Utc>,
    /// When it is escalated if not delivered by then (`None`: never).
    pub escalate_at: Option<DateTime<Utc>>,
    /// The message and its exact bytes, when the source could be read.
    pub message: Option<(BuiltMessage, Vec<u8>)>,
    /// Its entry in the journal, from [`Journal::next_id`](super::Journal::next_id).
    pub journal: Option<u64>,
}

/// The sender's store: a cheap-to-clone handle. Methods block (on `fsync` where they
/// flush): call them from `spawn_blocking` in async code.
#[derive(Debug, Clone)]
pub struct SenderStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    database: Database,
    deliveries: Tree,
    bodies: Tree,
    nights: Tree,
    created: Tree,
    meta: Tree,
    outbox: Outbox,
    journal: Journal,
}

impl SenderStore {
    /// Opens (or creates) the sender's database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let database = Database::open(dir)?;
        let inner = Inner {
            deliveries: database.tree("deliveries")?,
            bodies: database.tree("bodies")?,
            nights: database.tree("nights")?,
            created: database.tree("created")?,
            meta: database.tree("meta")?,
            outbox: Outbox::open(&database)?,
            journal: Journal::open(&database)?,
            database,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Every tree and pair of the database (see `backup`); the caller keeps writers out.
    pub fn snapshot(&self) -> Result<Vec<u8>, StoreError> {
        self.inner.database.snapshot()
    }

    /// The size of the database on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.database.size_on_disk()
    }

    /// The outbox of this database.
    pub fn outbox(&self) -> &Outbox {
        &self.inner.outbox
    }

    /// The journal of this database.
    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    /// A fresh delivery number, one more than the last one handed out. Made durable
    /// with the next flush (at the latest by [`Self::begin`], which uses it): a number
    /// lost in a crash was never used by a stored delivery.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        let i = &self.inner;
        i.meta
            .transaction(|meta| next_counter(meta, META_DELIVERY_NEXT))
            .map_err(|e| i.database.tx_error(e))
    }

    /// When the sender was installed on this store: the time of its first round on an
    /// empty store (see [`Self::install`]). `None` for a store from before this was
    /// recorded.
    pub fn installed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let i = &self.inner;
        let Some(value) = i
            .meta
            .get(META_INSTALLED_AT)
            .map_err(|e| i.database.storage(e))?
        else {
            return Ok(None);
        };
        std::str::from_utf8(&value)
            .map_err(|e| e.to_string())
            .and_then(parse_time)
            .map(Some)
            .map_err(|detail| i.database.corrupt("the installation time", detail))
    }

    /// Records `at` as the installation time when the store is new — no delivery, no
    /// night and no installation time recorded yet — and flushes; returns the
    /// installation time, recorded now or before (`None` for an older store).
    pub fn install(&self, at: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        if let Some(installed) = self.installed_at()? {
            return Ok(Some(installed));
        }
        let i = &self.inner;
        let empty = |tree: &Tree| tree.first().map(|first| first.is_none());
        let new = empty(&i.deliveries).map_err(|e| i.database.storage(e))?
            && empty(&i.nights).map_err(|e| i.database.storage(e))?;
        if !new {
            return Ok(None);
        }
        i.meta
            .insert(META_INSTALLED_AT, time(&at).as_bytes())
            .map_err(|e| i.database.storage(e))?;
        i.database.flush()?;
        Ok(Some(at))
    }

    /// The current delivery of every destination that has one, by destination name.
    pub fn deliveries(&self) -> Result<Vec<Delivery>, StoreError> {
        let i = &self.inner;
        let mut out = Vec::new();
        for entry in i.deliveries.iter() {
            let (key, value) = entry.map_err(|e| i.database.storage(e))?;
            out.push(self.decode(&key, &value)?);
        }
        Ok(out)
    }

    /// The current delivery to `destination`, if any.
    pub fn delivery(&self, destination: &str) -> Result<Option<Delivery>, StoreError> {
        let i = &self.inner;
        match i
            .deliveries
            .get(destination.as_bytes())
            .map_err(|e| i.database.storage(e))?
        {
            None => Ok(None),
            Some(value) => self.decode(destination.as_bytes(), &value).map(Some),
        }
    }

    /// The local date of the last nightly delivery (or missed night) started for
    /// `destination`.
    pub fn last_night(&self, destination: &str) -> Result<Option<NaiveDate>, StoreError> {
        let i = &self.inner;
        let Some(value) = i
            .nights
            .get(destination.as_bytes())
            .map_err(|e| i.database.storage(e))?
        else {
            return Ok(None);
        };
        std::str::from_utf8(&value)
            .ok()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| {
                i.database
                    .corrupt(format!("the last night of {destination}"), "not a date")
            })
    }

    /// The creation time of the last message built for `destination` (kept when its
    /// delivery is superseded), so that the next one can be created later.
    pub fn last_created(&self, destination: &str) -> Result<Option<Timestamp>, StoreError> {
        let i = &self.inner;
        let Some(value) = i
            .created
            .get(destination.as_bytes())
            .map_err(|e| i.database.storage(e))?
        else {
            return Ok(None);
        };
        std::str::from_utf8(&value)
            .ok()
            .and_then(|s| Timestamp::parse(s).ok())
            .map(Some)
            .ok_or_else(|| {
                i.database.corrupt(
                    format!("the last creation time of {destination}"),
                    "not a timestamp",
                )
            })
    }

    /// Starts a delivery, superseding the destination's current one (whose bytes are
    /// removed), with its message's bytes if it has them, and records its night and its
    /// message's creation time; one transaction, flushed. An escalation of the
    /// superseded delivery that awaits its resolution carries over.
    pub fn begin(&self, new: NewDelivery) -> Result<Delivery, StoreError> {
        let i = &self.inner;
        let key = new.destination.as_bytes();
        let night = new.night.map(|d| d.format("%Y-%m-%d").to_string());
        let stored = new.message.as_ref().map(|(_, bytes)| stored_form(bytes));
        let written = (&i.deliveries, &i.bodies, &i.nights, &i.created)
            .transaction(|(d, b, n, c)| {
                let old = match d.get(key)? {
                    None => None,
                    Some(value) => match from_json::<DeliveryRec>(&value)
                        .and_then(|rec| rec.delivery(&new.destination))
                    {
                        Ok(old) => Some(old),
                        Err(detail) => return corrupt(&new.destination, detail),
                    },
                };
                if let Some(old) = &old {
                    remove_body_in(b, old)?;
                }
                let delivery = Delivery {
                    id: new.id,
                    destination: new.destination.clone(),
                    trigger: new.trigger,
                    night: new.night,
                    start: new.start,
                    escalate_at: new.escalate_at,
                    message: new.message.as_ref().map(|(m, _)| m.clone()),
                    attempts: Vec::new(),
                    state: DeliveryState::Pending,
                    finished_at: None,
                    escalated_at: None,
                    escalation_open: old
                        .is_some_and(|o| o.escalation_open && o.state != DeliveryState::Delivered),
                    source_alerted: false,
                    journal: new.journal,
                };
                if let (Some((message, _)), Some(stored)) = (&new.message, &stored) {
                    put_body_in(b, &delivery, stored)?;
                    c.insert(key, message.created.as_str().as_bytes())?;
                }
                d.insert(key, to_json(&DeliveryRec::new(&delivery)))?;
                if let Some(night) = &night {
                    n.insert(key, night.as_bytes())?;
                }
                Ok(delivery)
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()?;
        Ok(written)
    }

    /// Stores the message built for a delivery that had none (the source could not be
    /// read when it began) with its bytes, and records its creation time; flushed.
    /// `false`, writing nothing, when the delivery has been superseded or already has a
    /// message.
    pub fn attach(&self, delivery: &Delivery, bytes: &[u8]) -> Result<bool, StoreError> {
        let i = &self.inner;
        let key = delivery.destination.as_bytes();
        let value = to_json(&DeliveryRec::new(delivery));
        let created = delivery.message.as_ref().map(|m| m.created.as_str());
        let stored = stored_form(bytes);
        let written = (&i.deliveries, &i.bodies, &i.created)
            .transaction(|(d, b, c)| {
                match current_in(d, &delivery.destination)? {
                    Some(current) if current.id == delivery.id && current.message.is_none() => {}
                    _ => return Ok(false),
                }
                put_body_in(b, delivery, &stored)?;
                d.insert(key, value.as_slice())?;
                if let Some(created) = created {
                    c.insert(key, created.as_bytes())?;
                }
                Ok(true)
            })
            .map_err(|e| i.database.tx_error(e))?;
        if written {
            i.database.flush()?;
        }
        Ok(written)
    }

    /// The exact bytes of a delivery's message, checked against its SHA-256; `None`
    /// when the delivery has no message. The pieces hold the bytes deflated, or as they
    /// are when deflating does not make them smaller (and in stores from before
    /// compression): the SHA-256 tells which.
    pub fn body(&self, delivery: &Delivery) -> Result<Option<Vec<u8>>, StoreError> {
        let i = &self.inner;
        let Some(message) = &delivery.message else {
            return Ok(None);
        };
        let what = || format!("the message of delivery {}", delivery.id);
        let mut stored = Vec::new();
        for n in 0..chunk_count(message.size) {
            match i
                .bodies
                .get(body_key(delivery, n))
                .map_err(|e| i.database.storage(e))?
            {
                Some(chunk) => stored.extend_from_slice(&chunk),
                None if n == 0 => {
                    return Err(i.database.corrupt(what(), "piece 0 is missing"));
                }
                None => break,
            }
        }
        let matches = |bytes: &[u8]| <[u8; 32]>::from(Sha256::digest(bytes)) == message.sha256;
        if stored.len() == message.size && matches(&stored) {
            return Ok(Some(stored));
        }
        match inflate(&stored, message.size) {
            Ok(bytes) if matches(&bytes) => Ok(Some(bytes)),
            _ => Err(i
                .database
                .corrupt(what(), "the bytes do not match their SHA-256")),
        }
    }

    /// Writes changed deliveries together with the mails that go with the change, in one
    /// transaction; flushed. `false`, writing nothing, when any of them is no longer the
    /// destination's current delivery (superseded meanwhile).
    pub fn save(
        &self,
        deliveries: &[&Delivery],
        mails: &[(String, Vec<u8>)],
    ) -> Result<bool, StoreError> {
        let i = &self.inner;
        let values: Vec<Vec<u8>> = deliveries
            .iter()
            .map(|d| to_json(&DeliveryRec::new(d)))
            .collect();
        let written = (&i.deliveries, i.outbox.tree())
            .transaction(|(d, o)| {
                for delivery in deliveries {
                    match current_in(d, &delivery.destination)? {
                        Some(current) if current.id == delivery.id => {}
                        _ => return Ok(false),
                    }
                }
                for (delivery, value) in deliveries.iter().zip(&values) {
                    d.insert(delivery.destination.as_bytes(), value.as_slice())?;
                }
                enqueue_all_in(o, mails)?;
                Ok(true)
            })
            .map_err(|e| i.database.tx_error(e))?;
        if written {
            i.database.flush()?;
        }
        Ok(written)
    }

    /// Removes the delivery of a destination that is no longer configured, with its
    /// bytes and last night; flushed.
    pub fn forget(&self, destination: &str) -> Result<(), StoreError> {
        let i = &self.inner;
        let key = destination.as_bytes();
        (&i.deliveries, &i.bodies, &i.nights)
            .transaction(|(d, b, n)| {
                if let Some(old) = current_in(d, destination)? {
                    remove_body_in(b, &old)?;
                }
                d.remove(key)?;
                n.remove(key)?;
                Ok(())
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()
    }

    fn decode(&self, key: &[u8], value: &[u8]) -> Result<Delivery, StoreError> {
        let name = String::from_utf8_lossy(key);
        from_json::<DeliveryRec>(value)
            .and_then(|rec| rec.delivery(&name))
            .map_err(|detail| {
                self.inner
                    .database
                    .corrupt(format!("the delivery to {name}"), detail)
            })
    }
}

type TxResult<T> = sled::transaction::ConflictableTransactionResult<T, Abort>;

fn corrupt<T>(destination: &str, detail: String) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(Abort::Corrupt {
        what: format!("the delivery to {destination}"),
        detail,
    }))
}

/// The destination's current delivery, read inside a transaction.
fn current_in(deliveries: &TransactionalTree, destination: &str) -> TxResult<Option<Delivery>> {
    match deliveries.get(destination.as_bytes())? {
        None => Ok(None),
        Some(value) => {
            match from_json::<DeliveryRec>(&value).and_then(|rec| rec.delivery(destination)) {
                Ok(delivery) => Ok(Some(delivery)),
                Err(detail) => corrupt(destination, detail),
            }
        }
    }
}

fn chunk_count(size: usize) -> usize {
    size.div_ceil(BODY_CHUNK)
}

/// The key of piece `n` of a delivery's bytes: destination, NUL, delivery number and
/// piece number (big-endian).
fn body_key(delivery: &Delivery, n: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(delivery.destination.len() + 13);
    key.extend_from_slice(delivery.destination.as_bytes());
    key.push(0);
    key.extend_from_slice(&delivery.id.to_be_bytes());
    key.extend_from_slice(&(n as u32).to_be_bytes());
    key
}

/// The bytes as the pieces hold them: deflated, unless that is not smaller. Never more
/// pieces than the bytes themselves take, which is what removing them counts on.
fn stored_form(bytes: &[u8]) -> Vec<u8> {
    let deflated = deflate(bytes);
    if deflated.len() < bytes.len() {
        deflated
    } else {
        bytes.to_vec()
    }
}

fn put_body_in(bodies: &TransactionalTree, delivery: &Delivery, bytes: &[u8]) -> TxResult<()> {
    for (n, chunk) in bytes.chunks(BODY_CHUNK).enumerate() {
        bodies.insert(body_key(delivery, n), chunk)?;
    }
    Ok(())
}

fn remove_body_in(bodies: &TransactionalTree, delivery: &Delivery) -> TxResult<()> {
    if let Some(message) = &delivery.message {
        for n in 0..chunk_count(message.size) {
            bodies.remove(body_key(delivery, n))?;
        }
    }
    Ok(())
}

mod records;

#[cfg(test)]
mod tests;
