//! The outbox as the mail worker sees it ([`Outbox`]), and the worker's step function
//! [`drain_once`]: one pass over the pending mails, in order.
//!
//! A mail is marked sent only after the transport accepted it. What a failure means
//! decides what follows (see [`SendErrorKind`]):
//! - **transient** (the server is down, a 4xx answer): the try is recorded, the pass
//!   stops and keeps that mail and every later one, so the order holds and a down server
//!   is not hammered once per mail;
//! - **refused** (the server refuses us: a configuration problem): the try is recorded
//!   with the time the refusals began, and the pass stops too; once the server has
//!   refused a mail for `give_up_after`, it goes to the dead letters;
//! - **undeliverable** (this mail): it goes to the dead letters at once (logged loudly)
//!   and the pass goes on.
//!
//! A mail the server took for some recipients and refused for good for others counts as
//! sent; a copy for the refused recipients goes to the dead letters, where it shows and
//! can be retried once the addresses are fixed.

use super::{Mail, SendError, SendErrorKind, Transport};
use crate::config::EmailAddress;
use crate::language::{Language, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where alert emails wait until they are sent: the store implements it.
pub trait Outbox {
    /// Why the outbox could not be read or written. `Send + Sync` so the worker's
    /// future can be spawned.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Every mail still to be sent, oldest first, with its tries so far.
    fn pending(&self) -> Result<Vec<Pending>, Self::Error>;

    /// The transport accepted mail `id`: remove it from the pending mails.
    fn sent(&self, id: &str) -> Result<(), Self::Error>;

    /// The transport accepted mail `id` for some of its recipients: remove it from the
    /// pending mails, and keep `refused` (the mail for the recipients the server refused)
    /// with the reason among the dead letters, in one step.
    fn sent_partly(&self, id: &str, refused: &Mail, reason: &str) -> Result<(), Self::Error>;

    /// Mail `id` was tried and is still pending: record its tries.
    fn tried(&self, id: &str, tries: &Tries) -> Result<(), Self::Error>;

    /// Mail `id` can never be delivered: move it to the dead letters, keeping it and the
    /// reason for the administrators.
    fn failed(&self, id: &str, reason: &str) -> Result<(), Self::Error>;
}

/// A mail waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The mail.
    pub mail: Mail,
    /// What happened when it was tried so far.
    pub tries: Tries,
}

impl Pending {
    /// A mail not tried yet.
    pub fn new(mail: Mail) -> Self {
        Self {
            mail,
            tries: Tries::default(),
        }
    }
}

/// What happened when a pending mail was tried; stored with it (JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tries {
    /// How often it was tried.
    pub count: u32,
    /// When it was last tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<DateTime<Utc>>,
    /// Why the last try failed: our words and the server's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Since when the server has refused it, in tries without another outcome between
    /// them; `None` when the last try was not a refusal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_since: Option<DateTime<Utc>>,
}

impl Tries {
    /// The tries after one more that failed with `error` at `now`, its text in
    /// `language`.
    pub fn after(&self, error: &SendError, now: DateTime<Utc>, language: Language) -> Tries {
        Tries {
            count: self.count.saturating_add(1),
            last_at: Some(now),
            last_error: Some(error.text(language).to_owned()),
            refused_since: match error.kind() {
                SendErrorKind::Refused => Some(self.refused_since.unwrap_or(now)),
                _ => None,
            },
        }
    }
}

/// What one pass over the outbox did.
#[derive(Debug)]
pub struct DrainReport<E> {
    /// Ids of the mails the transport accepted, in order.
    pub sent: Vec<String>,
    /// Mails moved to the dead letters (whole, or the copy for refused recipients),
    /// with the reason.
    pub failed: Vec<(String, SendError)>,
    /// Why the pass stopped before the end, if it did; the mails not yet handled are
    /// still pending.
    pub stopped: Option<Stopped<E>>,
}

/// Why a pass over the outbox stopped early.
#[derive(Debug)]
pub enum Stopped<E> {
    /// A transient failure sending mail `id`: try again soon.
    Transient {
        /// The mail that was not sent (still pending).
        id: String,
        /// Why.
        error: SendError,
    },
    /// The server refuses us (mail `id` was refused): try again on the slow schedule.
    Refused {
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
/// outbox, with what went wrong in `language`; `now` is the time of the pass. Stops at
/// the first transient failure, refusal or outbox error. A mail the server has refused
/// for `give_up_after` goes to the dead letters, and the pass goes on.
pub async fn drain_once<O: Outbox>(
    outbox: &O,
    transport: &Transport,
    from: &EmailAddress,
    now: DateTime<Utc>,
    give_up_after: Duration,
    language: Language,
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
    for Pending { mail, tries } in pending {
        let id = mail.id().to_owned();
        let sent = transport.send(&mail, from).await;
        let result = match fate(sent, &tries, now, give_up_after, language) {
            Fate::Sent => outbox.sent(&id).map(|()| {
                tracing::info!(mail = %id, subject = mail.subject(), "alert email sent");
                report.sent.push(id.clone());
            }),
            Fate::SentPartly { refused, error } => {
                let error = SendError::undeliverable(error.map(|_, e| format!("mail {id}: {e}")));
                tracing::error!(
                    mail = %id,
                    subject = mail.subject(),
                    "ALERT EMAIL NOT DELIVERED TO EVERY RECIPIENT: sent to the others; the \
                     copy for the refused ones is kept among the dead letters: {error}"
                );
                let copy = mail.only_to(&refused);
                outbox
                    .sent_partly(&id, &copy, error.text(language))
                    .map(|()| {
                        report.sent.push(id.clone());
                        report.failed.push((id.clone(), error));
                    })
            }
            Fate::Dead { reason, error } => {
                tracing::error!(
                    mail = %id,
                    subject = mail.subject(),
                    to = ?mail.to(),
                    "ALERT EMAIL {}, kept among the dead letters: {reason}",
                    if error.kind() == SendErrorKind::Undeliverable {
                        "UNDELIVERABLE"
                    } else {
                        "GIVEN UP"
                    }
                );
                outbox
                    .failed(&id, reason.get(language))
                    .map(|()| report.failed.push((id.clone(), error)))
            }
            Fate::Again {
                tries,
                refused,
                error,
            } => {
                if refused {
                    tracing::error!(
                        mail = %id,
                        "ALERT EMAIL REFUSED by the mail server (check [mail] and the \
                         relay), will try again: {error}"
                    );
                } else {
                    tracing::warn!(mail = %id, "alert email not sent, will try again: {error}");
                }
                if let Err(e) = outbox.tried(&id, &tries) {
                    tracing::error!(mail = %id, "mail outbox: cannot record a try: {e}");
                }
                report.stopped = Some(if refused {
                    Stopped::Refused { id, error }
                } else {
                    Stopped::Transient { id, error }
                });
                return report;
            }
        };
        if let Err(e) = result {
            tracing::error!(
                mail = %id,
                "mail outbox: cannot record what became of mail {id}, so it may be sent \
                 again: {e}"
            );
            report.stopped = Some(Stopped::Outbox(e));
            return report;
        }
    }
    report
}

/// What becomes of a mail after one try: decided from the transport's answer, its tries
/// so far and the time, with no I/O.
#[derive(Debug)]
enum Fate {
    /// Accepted for every recipient.
    Sent,
    /// Accepted for some recipients; these were refused for good.
    SentPartly {
        /// The refused addresses.
        refused: Vec<String>,
        /// The server's answers for them.
        error: Text,
    },
    /// Never to be delivered: to the dead letters.
    Dead {
        /// Why, as kept with the dead letter.
        reason: Text,
        /// The failure.
        error: SendError,
    },
    /// Still pending, with these tries; the pass stops.
    Again {
        /// The tries including this one.
        tries: Tries,
        /// Whether the server refuses us (the slow retry schedule) rather than being
        /// unreachable for now.
        refused: bool,
        /// The failure.
        error: SendError,
    },
}

fn fate(
    sent: Result<super::transport::Accepted, SendError>,
    tries: &Tries,
    now: DateTime<Utc>,
    give_up_after: Duration,
    language: Language,
) -> Fate {
    match sent {
        Ok(accepted) if accepted.refused.is_empty() => Fate::Sent,
        Ok(accepted) => {
            let refused: Vec<String> = accepted.refused.iter().map(|(to, _)| to.clone()).collect();
            let (names, answers) = (refused.join(", "), accepted.answers());
            let error = Text::new(
                format!("geweigerd voor {names}: {answers}"),
                format!("refused for {names}: {answers}"),
            );
            Fate::SentPartly { refused, error }
        }
        Err(error) if error.kind() == SendErrorKind::Undeliverable => Fate::Dead {
            reason: Text::new(error.text(Language::Nl), error.text(Language::En)),
            error,
        },
        Err(error) => {
            let tries = tries.after(&error, now, language);
            let refused_for = tries
                .refused_since
                .map(|since| (now - since).to_std().unwrap_or_default());
            if refused_for.is_some_and(|d| d >= give_up_after) {
                let after = humantime::format_duration(give_up_after);
                let count = tries.count;
                let reason = Text::new(
                    format!(
                        "opgegeven nadat de server hem {after} weigerde ({count} pogingen): {}",
                        error.text(Language::Nl)
                    ),
                    format!(
                        "given up after the server refused it for {after} ({count} tries): {}",
                        error.text(Language::En)
                    ),
                );
                Fate::Dead { reason, error }
            } else {
                Fate::Again {
                    tries,
                    refused: refused_for.is_some(),
                    error,
                }
            }
        }
    }
}
