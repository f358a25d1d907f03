//! The set in place: [`StoredSet`] and the `set` tree, which only this module reads and
//! writes. Stored as a small head under `head` (message, times, digest, counts, version)
//! and the lots in chunks of a few KiB under `lots` + chunk number, each a compact JSON
//! value with its own table of vaccine types. Chunks keep every sled page of a set far
//! below sled's blob threshold (see the module docs of `store`), and a 10,000-lot set is
//! 94 values of about 3 KiB, not 10,000 keys. A quarantined candidate is kept in the same
//! form (head and chunks) in the `quarantine` tree.

use super::codec::{IdRec, Invalid, from_json, hex, parse_time, time, to_json, unhex};
use super::{Abort, Database, StoreError, tx_corrupt};
use crate::ids::MessageId;
use crate::lot::{Lot, LotNumber, LotSet};
use crate::timestamp::{Timestamp, format_date, parse_date};
use crate::vaccine::{VaccineCode, VaccineType};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionalTree,
};

/// The set in place (or a candidate held in quarantine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSet {
    /// The message that delivered it.
    pub message_id: MessageId,
    /// The message's creation time.
    pub created: Timestamp,
    /// When it was applied (for a candidate: when it was quarantined).
    pub applied_at: DateTime<Utc>,
    lots: LotSet,
    digest: [u8; 32],
    version: u64,
}

impl StoredSet {
    /// A set with its digest, not applied yet (version 0).
    pub fn new(
        message_id: MessageId,
        created: Timestamp,
        applied_at: DateTime<Utc>,
        lots: LotSet,
    ) -> Self {
        let digest = lots.digest();
        Self {
            message_id,
            created,
            applied_at,
            lots,
            digest,
            version: 0,
        }
    }

    /// The set's version: 1 for the first set a store ever applied, one more for every
    /// set applied after it (by a delivery or a quarantine accept), over the store's
    /// whole life, restarts included. The version names one set: a record system may
    /// cache lookups under it. 0 for a set not applied (a candidate in quarantine).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The set as applied under `version`; only the store assigns versions.
    pub(super) fn with_version(mut self, version: u64) -> Self {
        self.version = version;
        self
    }

    /// The lots.
    pub fn lots(&self) -> &LotSet {
        &self.lots
    }

    /// [`LotSet::digest`] of the lots.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }
}

/// The estimated JSON size at which a chunk of lots is closed. With at most 19 entries in
/// a sled leaf, a page of chunks stays far below sled's blob threshold of 128 KiB.
const CHUNK_BYTES: usize = 4096;

const SET_HEAD: &[u8] = b"head";

/// The key of chunk `n` of the set in place.
fn chunk_key(n: u32) -> [u8; 8] {
    let mut key = *b"lots\0\0\0\0";
    key[4..].copy_from_slice(&n.to_be_bytes());
    key
}

/// The set's head: everything but the lots, which are in `chunks` separate values.
#[derive(Serialize, Deserialize, Clone)]
pub(super) struct SetHeadRec {
    message_id: IdRec,
    created: String,
    pub(super) applied_at: String,
    digest: String,
    lots: usize,
    pub(super) chunks: u32,
    /// The set's version (see [`StoredSet::version`]); a head written before versions
    /// were stored is the first set of its store, version 1.
    #[serde(default = "first_version")]
    version: u64,
}

fn first_version() -> u64 {
    1
}

impl SetHeadRec {
    pub(super) fn created(&self) -> Result<Timestamp, Invalid> {
        Timestamp::parse(&self.created).map_err(|e| e.to_string())
    }

    pub(super) fn message_id(&self) -> Result<MessageId, Invalid> {
        self.message_id.id()
    }

    pub(super) fn set_applied_at(&mut self, at: &DateTime<Utc>) {
        self.applied_at = time(at);
    }

    pub(super) fn lots(&self) -> usize {
        self.lots
    }

    pub(super) fn digest(&self) -> Result<[u8; 32], Invalid> {
        unhex(&self.digest)
    }

    pub(super) fn version(&self) -> u64 {
        self.version
    }

    pub(super) fn set_version(&mut self, version: u64) {
        self.version = version;
    }
}

/// One chunk of lots: its own table of vaccine types (code, name) and the lots as
/// (number, index into the table, expiry `YYYYMMDD`).
#[derive(Serialize, Deserialize, Default)]
struct ChunkRec {
    t: Vec<(String, String)>,
    l: Vec<(String, usize, Option<String>)>,
}

/// A set in its stored form: the head and the encoded chunks.
pub(super) fn encode_set(set: &StoredSet) -> (SetHeadRec, Vec<Vec<u8>>) {
    let mut chunks = Vec::new();
    let mut chunk = ChunkRec::default();
    let mut size = 16;
    for lot in set.lots().lots() {
        let code = lot.vaccine.code();
        let name = lot.vaccine.name();
        let index = match chunk
            .t
            .iter()
            .position(|(c, n)| c == code.as_str() && n == name)
        {
            Some(index) => index,
            None => {
                chunk.t.push((code.as_str().to_owned(), name.to_owned()));
                size += json_len(code.as_str()) + json_len(name) + 4;
                chunk.t.len() - 1
            }
        };
        let expires = lot.expires.map(format_date);
        size += json_len(lot.number.as_str()) + 24;
        chunk
            .l
            .push((lot.number.as_str().to_owned(), index, expires));
        if size >= CHUNK_BYTES {
            chunks.push(to_json(&std::mem::take(&mut chunk)));
            size = 16;
        }
    }
    if !chunk.l.is_empty() {
        chunks.push(to_json(&chunk));
    }
    let head = SetHeadRec {
        message_id: IdRec::new(&set.message_id),
        created: set.created.as_str().to_owned(),
        applied_at: time(&set.applied_at),
        digest: hex(&set.digest()),
        lots: set.lots().len(),
        chunks: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
        version: set.version(),
    };
    (head, chunks)
}

/// An upper bound of a string's length in JSON, quotes included.
fn json_len(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' => 2,
            c if u32::from(c) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum::<usize>()
}

/// Reads a set back from its head and chunks, checking the count and the digest.
pub(super) fn decode_set<C: AsRef<[u8]>>(
    head: &SetHeadRec,
    chunks: &[C],
) -> Result<StoredSet, Invalid> {
    let mut lots = Vec::with_capacity(head.lots);
    for bytes in chunks {
        let chunk: ChunkRec = from_json(bytes.as_ref())?;
        let mut types = Vec::with_capacity(chunk.t.len());
        for (code, name) in &chunk.t {
            let code = VaccineCode::parse(code).map_err(|e| e.to_string())?;
            types.push(VaccineType::new(code, name));
        }
        for (number, index, expires) in chunk.l {
            let vaccine = types.get(index).ok_or("vaccine index out of range")?;
            let expires = match expires {
                Some(date) => Some(parse_date(&date).ok_or_else(|| format!("date {date:?}"))?),
                None => None,
            };
            lots.push(Lot {
                number: LotNumber::parse(&number).map_err(|e| format!("{number:?}: {e}"))?,
                vaccine: vaccine.clone(),
                expires,
            });
        }
    }
    let lots = LotSet::new(lots).map_err(|e| e.to_string())?;
    let set = StoredSet::new(
        head.message_id()?,
        head.created()?,
        parse_time(&head.applied_at)?,
        lots,
    )
    .with_version(head.version);
    if set.lots().len() != head.lots || set.digest() != head.digest()? {
        return Err(format!(
            "the lots read back ({}) do not match the stored count ({}) and digest",
            set.lots().len(),
            head.lots
        ));
    }
    Ok(set)
}

/// The set in place, checked against its digest; `None` before the first apply.
pub(super) fn read_set(database: &Database, set: &Tree) -> Result<Option<StoredSet>, StoreError> {
    // One read-only transaction, so that the head and the chunks are of one set.
    let found = set
        .transaction(|set| {
            let Some(head) = set.get(SET_HEAD)? else {
                return Ok(None);
            };
            let head: SetHeadRec = match from_json(&head) {
                Ok(head) => head,
                Err(detail) => return tx_corrupt("the set's head", detail),
            };
            let mut chunks = Vec::with_capacity(head.chunks as usize);
            for n in 0..head.chunks {
                match set.get(chunk_key(n))? {
                    Some(chunk) => chunks.push(chunk),
                    None => return tx_corrupt("the set", format!("chunk {n} is missing")),
                }
            }
            Ok(Some((head, chunks)))
        })
        .map_err(|e| database.tx_error(e))?;
    let Some((head, chunks)) = found else {
        return Ok(None);
    };
    decode_set(&head, &chunks)
        .map(Some)
        .map_err(|detail| database.corrupt("the set in place", detail))
}

/// The message of the set in place, read inside a transaction; `None` before the first
/// apply.
pub(super) fn message_in_place_in(
    set: &TransactionalTree,
) -> ConflictableTransactionResult<Option<MessageId>, Abort> {
    match set.get(SET_HEAD)? {
        None => Ok(None),
        Some(head) => match from_json::<SetHeadRec>(&head).and_then(|head| head.message_id()) {
            Ok(id) => Ok(Some(id)),
            Err(detail) => tx_corrupt("the set's head", detail),
        },
    }
}

/// Puts a set (head and chunks) in place of the current one, unless it is older, under
/// the next version (one more than the set in place, 1 for the first); returns that
/// version.
pub(super) fn put_set_in<C: AsRef<[u8]>>(
    set: &TransactionalTree,
    head: &SetHeadRec,
    chunks: &[C],
) -> ConflictableTransactionResult<u64, Abort> {
    let created = match head.created() {
        Ok(created) => created,
        Err(detail) => return tx_corrupt("the new set's head", detail),
    };
    let (old_chunks, old_version) = match set.get(SET_HEAD)? {
        None => (0, 0),
        Some(old) => {
            let old = match from_json::<SetHeadRec>(&old) {
                Ok(old) => old,
                Err(detail) => return tx_corrupt("the set's head", detail),
            };
            let current = match old.created() {
                Ok(current) => current,
                Err(detail) => return tx_corrupt("the set's head", detail),
            };
            if current > created {
                return Err(ConflictableTransactionError::Abort(Abort::Stale {
                    current,
                    new: created,
                }));
            }
            (old.chunks, old.version())
        }
    };
    let version = old_version + 1;
    let mut head = head.clone();
    head.set_version(version);
    set.insert(SET_HEAD, to_json(&head))?;
    let mut n = 0u32;
    for chunk in chunks {
        set.insert(&chunk_key(n), chunk.as_ref())?;
        n += 1;
    }
    for stale in n..old_chunks {
        set.remove(&chunk_key(stale))?;
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample;
    use chrono::NaiveDate;

    fn round_trip(lots: LotSet) -> (StoredSet, Vec<Vec<u8>>) {
        let id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "C-1").unwrap();
        let created = Timestamp::parse("20260601020000").unwrap();
        let set = StoredSet::new(id, created, DateTime::UNIX_EPOCH, lots);
        let (head, chunks) = encode_set(&set);
        let head: SetHeadRec = from_json(&to_json(&head)).unwrap();
        assert_eq!(decode_set(&head, &chunks).unwrap(), set);
        (set, chunks)
    }

    #[test]
    fn chunks_stay_small() {
        let (_, chunks) = round_trip(sample::lot_set(10_000));
        assert!(
            chunks.iter().all(|c| c.len() <= CHUNK_BYTES),
            "chunks stay small"
        );
        assert!((60..120).contains(&chunks.len()), "{} chunks", chunks.len());
        assert!(round_trip(LotSet::default()).1.is_empty());
    }

    #[test]
    fn unusual_lots_round_trip() {
        let lot = |number: &str, code: &str, name: &str, expires| Lot {
            number: LotNumber::parse(number).unwrap(),
            vaccine: VaccineType::new(VaccineCode::parse(code).unwrap(), name),
            expires,
        };
        let lots = LotSet::new(vec![
            lot("A\"B\\C", "08", "Pneu", None),
            lot(
                "é ü 漢字",
                "31",
                "Nieuw \"vaccin\"\u{1}",
                NaiveDate::from_ymd_opt(2030, 2, 28),
            ),
            lot(&"x".repeat(50), "08", "Pneumokokken", None),
        ])
        .unwrap();
        round_trip(lots);
    }

    #[test]
    fn a_head_without_a_version_is_the_first_set() {
        let (set, _) = round_trip(sample::lot_set(3));
        let (head, _) = encode_set(&set);
        let mut old: serde_json::Value = serde_json::from_slice(&to_json(&head)).unwrap();
        old.as_object_mut().unwrap().remove("version");
        let head: SetHeadRec = from_json(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert_eq!(head.version(), 1);
    }

    #[test]
    fn tampered_chunks_are_refused() {
        let (set, mut chunks) = round_trip(sample::lot_set(300));
        let (head, _) = encode_set(&set);
        chunks[0] = String::from_utf8(chunks[0].clone())
            .unwrap()
            .replacen("LG000001", "LG00000X", 1)
            .into_bytes();
        assert!(decode_set(&head, &chunks).unwrap_err().contains("digest"));
        assert!(decode_set(&head, &chunks[1..]).is_err());
    }
}
