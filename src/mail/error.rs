//! Why one mail could not be sent, and whether trying again can help.

/// Whether a failed send is worth repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendErrorKind {
    /// The mail is fine but the way out is not (connection refused, timeout, TLS,
    /// login, SMTP 4xx, a full disk): keep the mail and try again later.
    Transient,
    /// The mail itself cannot be delivered (SMTP 5xx on the mail transaction, an
    /// address that is not an address): sending it again cannot help.
    Permanent,
}

/// A mail that was not sent: whether that is transient or permanent, and why.
///
/// The message names the server or the file and what went wrong; it never holds a
/// password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    kind: SendErrorKind,
    message: String,
}

impl SendError {
    /// A transient failure: keep the mail, try again later.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            kind: SendErrorKind::Transient,
            message: message.into(),
        }
    }

    /// A permanent failure: this mail cannot be delivered.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            kind: SendErrorKind::Permanent,
            message: message.into(),
        }
    }

    /// Transient or permanent.
    pub fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// Whether trying again later can help.
    pub fn is_transient(&self) -> bool {
        self.kind == SendErrorKind::Transient
    }
}
