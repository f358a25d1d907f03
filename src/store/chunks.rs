//! The stored form of a set: a small head (message, times, digest, counts) and the lots
//! in chunks of a few KiB, each a compact JSON value with its own table of vaccine types.
//! Chunks keep every sled page of a set far below sled's blob threshold (see the module
//! docs of `store`), and a 10,000-lot set is 94 values of about 3 KiB, not 10,000 keys.

use super::receiver::StoredSet;
use super::records::{IdRec, Invalid, from_json, hex, parse_time, time, to_json, unhex};
use crate::ids::MessageId;
use crate::lot::{Lot, LotNumber, LotSet};
use crate::timestamp::{Timestamp, format_date, parse_date};
use crate::vaccine::{VaccineCode, VaccineType};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The estimated JSON size at which a chunk of lots is closed. With at most 19 entries in
/// a sled leaf, a page of chunks stays far below sled's blob threshold of 128 KiB.
const CHUNK_BYTES: usize = 4096;

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
