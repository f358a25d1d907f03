//! The answer to `POST /api/v1/reload` (and `SIGHUP`, which logs the same): whether the
//! configuration and the files it names were taken, and what changed.

use serde::{Deserialize, Serialize};

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadAnswer {
    /// Whether the configuration was taken. `false`: it was refused and nothing changed.
    pub reloaded: bool,
    /// The configuration file read.
    pub file: String,
    /// The keys whose new values are in effect. Certificates, keys and roots are read
    /// again on every reload, also when their paths stay the same.
    pub applied: Vec<String>,
    /// The keys whose new values wait for a restart; their running values stay.
    pub needs_restart: Vec<String>,
    /// Why the reload was refused, one problem per line (empty when reloaded).
    pub problems: Vec<String>,
    /// What happened, in one sentence for people, in the configured language.
    pub message: String,
}
