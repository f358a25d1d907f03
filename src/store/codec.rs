//! The building blocks of every stored value, knowing no table: JSON encoding, a message
//! id, a time and a SHA-256 as stored, and length-prefixed fields (the outbox's entries).
//! Each table's module keeps its own serde records, separate from the domain types and
//! converted by hand so that the domain types can change without changing the layout,
//! and builds them from these. This file imports no other module of the store.

use crate::ids::MessageId;
pub(super) use crate::strings::hex;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// Why a stored value cannot be read back.
pub(super) type Invalid = String;

pub(super) fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // These records hold only strings, numbers and string-keyed maps: always serializable.
    serde_json::to_vec(value).expect("store records serialize to JSON")
}

pub(super) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Invalid> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

#[derive(Serialize, Deserialize, Clone)]
pub(super) struct IdRec {
    root: String,
    ext: String,
}

impl IdRec {
    pub(super) fn new(id: &MessageId) -> Self {
        Self {
            root: id.root().as_str().to_owned(),
            ext: id.extension().to_owned(),
        }
    }

    pub(super) fn id(&self) -> Result<MessageId, Invalid> {
        MessageId::parse(&self.root, &self.ext).map_err(|e| e.to_string())
    }
}

pub(super) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(super) fn parse_time(s: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("time {s:?}: {e}"))
}

pub(super) fn unhex(s: &str) -> Result<[u8; 32], Invalid> {
    let bad = || format!("{s:?} is not a SHA-256 in hex");
    if s.len() != 64 || !s.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// Fields with a 4-byte big-endian length before each.
pub(super) fn frame(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
    for field in fields {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// The fields of a [`frame`]d value; `None` unless exactly `n` fields fill it.
pub(super) fn unframe(mut bytes: &[u8], n: usize) -> Option<Vec<&[u8]>> {
    let mut fields = Vec::with_capacity(n);
    while !bytes.is_empty() {
        let len = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        fields.push(bytes.get(4..4 + len)?);
        bytes = &bytes[4 + len..];
    }
    (fields.len() == n).then_some(fields)
}

/// `bytes` deflated (a few milliseconds per megabyte).
pub(super) fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    encoder.write_all(bytes).expect("deflate into memory");
    encoder.finish().expect("deflate into memory")
}

/// Deflated bytes inflated again, at most `limit` of them.
pub(super) fn inflate(compressed: &[u8], limit: usize) -> Result<Vec<u8>, Invalid> {
    use std::io::Read;
    let mut bytes = Vec::new();
    flate2::read::DeflateDecoder::new(compressed)
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > limit {
        return Err(format!("more than {limit} bytes"));
    }
    Ok(bytes)
}
