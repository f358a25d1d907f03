//! Backups: a snapshot of a database — every tree, every pair, in key order — and a
//! backup file holding the snapshots of one gateway's databases, checked by a SHA-256;
//! and writing a database back from a snapshot into an empty directory.
//!
//! A backup file: `LOTGATE-BACKUP 1\n`, the number of sections (u32), each section its
//! name (u32 length, UTF-8) and its bytes (u64 length), then the SHA-256 of everything
//! before it. A snapshot: per tree its name (u32 length) and its number of pairs (u64),
//! then each key (u32 length) and value (u32 length). Integers are big-endian.

use super::{Database, FORMAT, META_FORMAT, StoreError};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The first bytes of a backup file.
pub const MAGIC: &[u8] = b"LOTGATE-BACKUP 1\n";

/// What a backup file holds: named sections (`about`, `receiver`, `sender`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// Each section's name and bytes, in order.
    pub sections: Vec<(String, Vec<u8>)>,
}

impl BackupFile {
    /// The file's bytes, its SHA-256 at the end.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(self.sections.len() as u32).to_be_bytes());
        for (name, bytes) in &self.sections {
            out.extend_from_slice(&(name.len() as u32).to_be_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        let digest: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&digest);
        out
    }

    /// Reads a backup file, checking its SHA-256 first; what is wrong with it otherwise.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        if !bytes.starts_with(MAGIC) {
            return Err("not a lotgate backup (it does not start with LOTGATE-BACKUP 1)".into());
        }
        let Some(body_len) = bytes.len().checked_sub(32) else {
            return Err("cut off: shorter than its checksum".into());
        };
        let (body, digest) = bytes.split_at(body_len);
        if <[u8; 32]>::from(Sha256::digest(body)) != digest {
            return Err("its SHA-256 does not match: the file is damaged or cut off".into());
        }
        let mut reader = Reader::new(&body[MAGIC.len()..]);
        let count = reader.u32()?;
        let mut sections = Vec::new();
        for _ in 0..count {
            let name = String::from_utf8(reader.bytes32()?.to_vec())
                .map_err(|_| "a section name is not UTF-8".to_owned())?;
            let length = usize::try_from(reader.u64()?).map_err(|_| "too large")?;
            sections.push((name, reader.take(length)?.to_vec()));
        }
        if !reader.rest.is_empty() {
            return Err("bytes after the last section".into());
        }
        Ok(Self { sections })
    }

    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| bytes.as_slice())
    }
}

/// Reads the framed integers and byte strings of a backup.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Self { rest }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err("cut off inside a section".into());
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes(bytes.try_into().map_err(|_| "cut off")?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let bytes = self.take(8)?;
        Ok(u64::from_be_bytes(bytes.try_into().map_err(|_| "cut off")?))
    }

    fn bytes32(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// How much a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotSize {
    /// Trees.
    pub trees: usize,
    /// Key-value pairs in all.
    pub pairs: usize,
}

impl Database {
    /// Every tree of the database with its pairs. The caller keeps writers out for a
    /// snapshot in which the trees agree.
    pub(super) fn snapshot(&self) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::new();
        let mut names = self.db.tree_names();
        names.sort();
        for name in names {
            let tree = self.db.open_tree(&name).map_err(|e| self.storage(e))?;
            let pairs: Vec<(sled::IVec, sled::IVec)> = tree
                .iter()
                .collect::<Result<_, _>>()
                .map_err(|e| self.storage(e))?;
            out.extend_from_slice(&(name.len() as u32).to_be_bytes());
            out.extend_from_slice(&name);
            out.extend_from_slice(&(pairs.len() as u64).to_be_bytes());
            for (key, value) in pairs {
                out.extend_from_slice(&(key.len() as u32).to_be_bytes());
                out.extend_from_slice(&key);
                out.extend_from_slice(&(value.len() as u32).to_be_bytes());
                out.extend_from_slice(&value);
            }
        }
        Ok(out)
    }
}

/// A tree of a snapshot: its name and its pairs.
type Tree = (Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>);

/// The trees of a snapshot, read whole before anything is written.
fn read_snapshot(snapshot: &[u8]) -> Result<Vec<Tree>, String> {
    let mut reader = Reader::new(snapshot);
    let mut trees = Vec::new();
    while !reader.rest.is_empty() {
        let name = reader.bytes32()?.to_vec();
        let count = reader.u64()?;
        let mut pairs = Vec::new();
        for _ in 0..count {
            let key = reader.bytes32()?.to_vec();
            let value = reader.bytes32()?.to_vec();
            pairs.push((key, value));
        }
        trees.push((name, pairs));
    }
    let layout = trees
        .iter()
        .find(|(name, _)| name == b"meta")
        .and_then(|(_, pairs)| pairs.iter().find(|(k, _)| k == META_FORMAT))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    match layout {
        Some(found) if found.as_bytes() == FORMAT => Ok(trees),
        Some(found) => Err(format!(
            "it holds database layout {found:?}; this version writes layout 1"
        )),
        None => Err("it holds no database layout: not a lotgate store".into()),
    }
}

/// Writes the database in `snapshot` into `dir`, which must not exist or be empty;
/// flushed. Nothing is written when the snapshot is unreadable or `dir` is in use.
pub fn restore(dir: &Path, snapshot: &[u8]) -> Result<SnapshotSize, StoreError> {
    let trees = read_snapshot(snapshot).map_err(|detail| StoreError::Corrupt {
        dir: dir.to_path_buf(),
        what: "the backup".to_owned(),
        detail,
    })?;
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        return Err(StoreError::NotEmpty {
            dir: dir.to_path_buf(),
        });
    }
    let database = Database::open(dir)?;
    let mut size = SnapshotSize { trees: 0, pairs: 0 };
    for (name, pairs) in trees {
        let tree = database
            .db
            .open_tree(&name)
            .map_err(|e| database.storage(e))?;
        let mut batch = sled::Batch::default();
        size.trees += 1;
        size.pairs += pairs.len();
        for (key, value) in pairs {
            batch.insert(key, value);
        }
        tree.apply_batch(batch).map_err(|e| database.storage(e))?;
    }
    database.flush()?;
    Ok(size)
}

/// How much a snapshot holds, without writing it.
pub fn snapshot_size(snapshot: &[u8]) -> Result<SnapshotSize, String> {
    let trees = read_snapshot(snapshot)?;
    Ok(SnapshotSize {
        trees: trees.len(),
        pairs: trees.iter().map(|(_, pairs)| pairs.len()).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_file_round_trips_and_any_damage_is_found() {
        let file = BackupFile {
            sections: vec![
                ("about".into(), b"{}".to_vec()),
                ("receiver".into(), vec![1, 2, 3]),
            ],
        };
        let bytes = file.encode();
        assert_eq!(BackupFile::decode(&bytes), Ok(file.clone()));
        assert_eq!(file.section("receiver"), Some(&[1u8, 2, 3][..]));
        let mut damaged = bytes.clone();
        damaged[MAGIC.len() + 6] ^= 1;
        assert!(
            BackupFile::decode(&damaged)
                .unwrap_err()
                .contains("SHA-256")
        );
        assert!(BackupFile::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(
            BackupFile::decode(b"PK\x03\x04")
                .unwrap_err()
                .contains("not a lotgate backup")
        );
    }

    #[test]
    fn a_snapshot_restores_into_an_empty_directory_only() {
        let temp = tempfile::tempdir().unwrap();
        let database = Database::open(&temp.path().join("a")).unwrap();
        let tree = database.tree("set").unwrap();
        tree.insert(b"head", b"value".as_slice()).unwrap();
        tree.insert(b"lots\0\0\0\x01", vec![0u8; 5000]).unwrap();
        let snapshot = database.snapshot().unwrap();
        let size = snapshot_size(&snapshot).unwrap();
        let restored = restore(&temp.path().join("b"), &snapshot).unwrap();
        assert_eq!(restored, size);
        assert_eq!(restored.pairs, 3, "the two pairs and the layout");
        let copy = Database::open(&temp.path().join("b")).unwrap();
        assert_eq!(copy.snapshot().unwrap(), snapshot);
        // Not over a database, and not from bytes that are no snapshot.
        drop(copy);
        assert!(matches!(
            restore(&temp.path().join("b"), &snapshot),
            Err(StoreError::NotEmpty { .. })
        ));
        assert!(matches!(
            restore(&temp.path().join("c"), b"\0\0\0\x01x"),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(!temp.path().join("c").exists(), "nothing written");
    }
}
