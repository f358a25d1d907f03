//! The backup's description: the `about` section of a backup file
//! (`POST /api/v1/backup`), which `lotgate backup` and `lotgate restore` print.

use serde::{Deserialize, Serialize};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupAbout {
    /// When it was taken (RFC 3339, UTC).
    pub created: String,
    /// The lotgate version that took it.
    pub lotgate_version: String,
    /// Each role's store in it.
    pub stores: Vec<BackupStore>,
}

/// One role's store in a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupStore {
    /// `sender` or `receiver`: also the store's directory under `gateway.data_dir`.
    pub role: String,
    /// Its trees.
    pub trees: usize,
    /// Its key-value pairs in all.
    pub pairs: usize,
    /// The snapshot's size in bytes.
    pub bytes: usize,
}
