//! `/readyz`: whether the gateway does its job, or a person needs to look.

use serde::{Deserialize, Serialize};

/// Whether the gateway does its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    /// Nothing needs a person.
    Ready,
    /// Something needs a person (see `reason`); the gateway still does what it can.
    Degraded,
    /// A store cannot be read (HTTP 503, with `Unavailable`).
    Unavailable,
}

/// The receiver's part of `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverReadiness {
    /// The version of the set in place (0: none).
    pub set_version: u64,
    /// Whether a set is in place.
    pub has_set: bool,
}

/// The sender's part of `/readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderReadiness {
    /// Destinations escalated and not delivered since.
    pub escalated: Vec<String>,
}

/// The alert emails, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailCounts {
    /// Waiting to be sent.
    pub pending: usize,
    /// Given up on.
    pub dead: usize,
}

/// One of our own certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateView {
    /// Its configuration key, e.g. `receiver.tls.certificate`.
    pub name: String,
    /// Its subject.
    pub subject: String,
    /// The end of its validity.
    pub not_after: String,
    /// Whether it ends within its `expiry_warning`.
    pub expiring: bool,
}

/// `GET /readyz`: HTTP 200 with `ready` or `degraded` (the gateway still does what it
/// can: the receiver serves the last good set, the sender keeps trying); HTTP 503 with an
/// error when a store cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// Ready or degraded.
    pub status: ReadyStatus,
    /// Why degraded: every reason, joined with `; `.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The receiver's part, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<ReceiverReadiness>,
    /// Whether the receiver's set is stale, when the receiver runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
    /// The sender's part, when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<SenderReadiness>,
    /// The alert emails of both roles.
    pub mail: MailCounts,
    /// Our own certificates, with TLS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertificateView>,
}

/// `GET /readyz` (HTTP 503): a store cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unavailable {
    /// `unavailable`.
    pub status: ReadyStatus,
    /// What is wrong, without internal details.
    pub error: String,
}
