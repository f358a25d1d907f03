//! Why one mail could not be sent, and what that means for it.

use crate::language::{Language, Text};

/// What a failed send means for the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendErrorKind {
    /// The way out fails for now (connection refused, timeout, TLS, an SMTP 4xx answer,
    /// a full disk): keep the mail and try again soon.
    Transient,
    /// The mail server refuses *us* — a permanent answer when we connect, log in, give
    /// our sender address, or name every recipient: a configuration problem (an
    /// address, a login, a relay rule), the same for every mail. Keep the mail, try
    /// again on the slow schedule, and raise it until it is fixed.
    Refused,
    /// This mail cannot be delivered: the server refused its content after `DATA`, or
    /// it cannot be written at all (a recipient that is not an address). Sending it
    /// again cannot help: it goes to the dead letters.
    Undeliverable,
}

/// A mail that was not sent: what that means, and why.
///
/// The message names the server or the file and what went wrong (the server's answer
/// quoted), in both languages; it never holds a password. Shown as text it is English
/// (the log); [`SendError::text`] gives it in the language a person reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    kind: SendErrorKind,
    message: Text,
}

impl SendError {
    /// A transient failure: keep the mail, try again soon.
    pub fn transient(message: Text) -> Self {
        Self::new(SendErrorKind::Transient, message)
    }

    /// The server refuses us: keep the mail, try again on the slow schedule.
    pub fn refused(message: Text) -> Self {
        Self::new(SendErrorKind::Refused, message)
    }

    /// This mail cannot be delivered.
    pub fn undeliverable(message: Text) -> Self {
        Self::new(SendErrorKind::Undeliverable, message)
    }

    fn new(kind: SendErrorKind, message: Text) -> Self {
        Self { kind, message }
    }

    /// What the failure means for the mail.
    pub fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// Why, in `language`.
    pub fn text(&self, language: Language) -> &str {
        self.message.get(language)
    }
}
