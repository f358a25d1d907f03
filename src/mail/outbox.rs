//! The outbox as the mail worker sees it ([`Outbox`]), and the worker's step function
//! [`drain_once`]: one pass over the pending mails, in order.
//!
//! A mail is marked sent only after the transport accepted it. A transient failure
//! stops the pass and keeps that mail and every later one, so the order holds and a
//! down server is not hammered once per mail; a permanent failure moves the mail aside
//! (with the reason, logged loudly) and the pass goes on.

use super::{Mail, SendError, Transport};
use crate::config::EmailAddress;

/// Where alert emails wait until they are sent: the store implements it.
pub trait Outbox {
    /// Why the outbox could not be read or written. `Send + Sync` so the worker's
    /// future can be spawned.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Every mail still to be sent, oldest first.
    fn pending(&self) -> Result<Vec<Mail>, Self::Error>;

    /// The transport accepted mail `id`: remove it from the pending mails.
    fn sent(&self, id: &str) -> Result<(), Self::Error>;

    /// Mail `id` can never be delivered: move it aside, keeping it and the reason for
    /// the administrators.
    fn failed(&self, id: &str, reason: &str) -> Result<(), Self::Error>;
}

/// What one pass over the outbox did.
#[derive(Debug)]
pub struct DrainReport<E> {
    /// Ids of the mails the transport accepted, in order.
    pub sent: Vec<String>,
    /// Mails moved aside as undeliverable, with the reason.
    pub failed: Vec<(String, SendError)>,
    /// Why the pass stopped before the end, if it did; the mails not yet handled are
    /// still pending.
    pub stopped: Option<Stopped<E>>,
}

/// Why a pass over the outbox stopped early.
#[derive(Debug)]
pub enum Stopped<E> {
    /// A transient failure sending mail `id`: try again later.
    Transient {
        /// The mail that was not sent (still pending).
        id: String,
        /// Why.
        error: SendError,
    },
    /// The outbox itself failed; the mail being handled may be sent again later.
    Outbox(E),
}

impl<E> DrainReport<E> {
    fn new() -> Self {
        DrainReport {
            sent: Vec::new(),
            failed: Vec::new(),
            stopped: None,
        }
    }

    /// Whether every pending mail was dealt with (sent or moved aside).
    pub fn is_complete(&self) -> bool {
        self.stopped.is_none()
    }
}

/// Sends every pending mail once, oldest first, and records each outcome in the
/// outbox. Stops at the first transient failure or outbox error.
pub async fn drain_once<O: Outbox>(
    outbox: &O,
    transport: &Transport,
    from: &EmailAddress,
) -> DrainReport<O::Error> {
    let mut report = DrainReport::new();
    let pending = match outbox.pending() {
        Ok(pending) => pending,
        Err(e) => {
            tracing::error!("mail outbox: cannot read the pending mails: {e}");
            report.stopped = Some(Stopped::Outbox(e));
            return report;
        }
    };
    for mail in pending {
        let id = mail.id().to_owned();
        match transport.send(&mail, from).await {
            Ok(()) => {
                if let Err(e) = outbox.sent(&id) {
                    tracing::error!(
                        mail = %id,
                        "mail outbox: mail {id} was sent but cannot be marked sent, \
                         so it may be sent again: {e}"
                    );
                    report.stopped = Some(Stopped::Outbox(e));
                    return report;
                }
                tracing::info!(mail = %id, subject = mail.subject(), "alert email sent");
                report.sent.push(id);
            }
            Err(error) if error.is_transient() => {
                tracing::warn!(mail = %id, "alert email not sent, will try again: {error}");
                report.stopped = Some(Stopped::Transient { id, error });
                return report;
            }
            Err(error) => {
                tracing::error!(
                    mail = %id,
                    subject = mail.subject(),
                    to = ?mail.to(),
                    "ALERT EMAIL UNDELIVERABLE, moved aside and not retried: {error}"
                );
                if let Err(e) = outbox.failed(&id, &error.to_string()) {
                    tracing::error!(mail = %id, "mail outbox: cannot move mail {id} aside: {e}");
                    report.stopped = Some(Stopped::Outbox(e));
                    return report;
                }
                report.failed.push((id, error));
            }
        }
    }
    report
}
