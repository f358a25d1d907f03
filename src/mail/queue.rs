//! A role's outbox in the store as the mail module sees it: the [`Outbox`] the worker
//! drains, and what administrators see of it and do with it — every waiting mail with
//! its tries, the dead letters, the alarms they raise — through [`Queue`].
//!
//! The store keeps mails and their tries as opaque bytes; here they are JSON: a
//! [`Mail`] and its [`Tries`].

use super::{Mail, Outbox, Pending, Tries};
use crate::api::{MailList, MailView, time};
use crate::config::Role;
use crate::language::Language;
use crate::store::{self, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

impl Outbox for store::Outbox {
    type Error = StoreError;

    fn pending(&self) -> Result<Vec<Pending>, StoreError> {
        let mut mails = Vec::new();
        for entry in self.pending_mails()? {
            match serde_json::from_slice::<Mail>(&entry.payload) {
                Ok(mail) => mails.push(Pending {
                    mail,
                    tries: tries_of(entry.state.as_deref()),
                }),
                Err(e) => {
                    // Unreadable: keep it aside for the administrators rather than retry forever.
                    tracing::error!("outbox entry {} is not a mail: {e}", entry.id);
                    store::Outbox::failed(
                        self,
                        &entry.id,
                        &format!("not a mail: {e}"),
                        Utc::now(),
                    )?;
                }
            }
        }
        Ok(mails)
    }

    fn sent(&self, id: &str) -> Result<(), StoreError> {
        store::Outbox::sent(self, id).map(drop)
    }

    fn sent_partly(&self, id: &str, refused: &Mail, reason: &str) -> Result<(), StoreError> {
        store::Outbox::sent_partly(self, id, &to_json(refused), reason, Utc::now()).map(drop)
    }

    fn tried(&self, id: &str, tries: &Tries) -> Result<(), StoreError> {
        store::Outbox::tried(self, id, &to_json(tries)).map(drop)
    }

    fn failed(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        store::Outbox::failed(self, id, reason, Utc::now()).map(drop)
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Strings, numbers and times only: always serializable.
    serde_json::to_vec(value).expect("mails and tries serialize to JSON")
}

/// The tries recorded for a mail; none when nothing (or nothing readable) was recorded.
fn tries_of(state: Option<&[u8]>) -> Tries {
    state
        .and_then(|bytes| serde_json::from_slice(bytes).ok())
        .unwrap_or_default()
}

/// How long a dead letter keeps the gateway degraded.
const DEAD_LETTER_ALARM: Duration = Duration::from_secs(7 * 86_400);

/// One role's outbox and its worker's wake-up: what the admin listener shows and acts
/// on.
#[derive(Debug, Clone)]
pub struct Queue {
    /// Whose outbox.
    pub role: Role,
    /// The outbox in the role's store.
    pub outbox: store::Outbox,
    /// Wakes the role's mail worker: it tries every pending mail at once.
    pub wake: Arc<Notify>,
}

/// A mail of a queue as it is stored: waiting with its tries, or given up on.
#[derive(Debug, Clone)]
struct Entry {
    id: String,
    role: Role,
    /// The mail; `None` when its stored form cannot be read.
    mail: Option<Mail>,
    tries: Tries,
    /// For a dead letter: when it was given up on (when known) and why.
    dead: Option<(Option<DateTime<Utc>>, String)>,
}

impl Entry {
    fn queued_at(&self) -> Option<DateTime<Utc>> {
        self.mail.as_ref().map(Mail::created_at)
    }

    fn view(&self) -> MailView {
        MailView {
            id: self.id.clone(),
            role: self.role.name().to_owned(),
            subject: self
                .mail
                .as_ref()
                .map(|m| m.subject().to_owned())
                .unwrap_or_default(),
            to: self
                .mail
                .as_ref()
                .map(|m| m.to().to_vec())
                .unwrap_or_default(),
            queued_at: self.queued_at().map(time).unwrap_or_default(),
            tries: self.tries.count,
            last_try: self.tries.last_at.map(time),
            last_error: self.tries.last_error.clone(),
            refused_since: self.tries.refused_since.map(time),
            dead_at: self.dead.as_ref().and_then(|(at, _)| at.map(time)),
            reason: self.dead.as_ref().map(|(_, reason)| reason.clone()),
        }
    }
}

/// The mail of every queue, as stored: what `/readyz`, the mail list and the metrics
/// are made from.
#[derive(Debug, Clone, Default)]
pub struct MailState {
    pending: Vec<Entry>,
    dead: Vec<Entry>,
}

impl MailState {
    /// Reads every queue, oldest first within each role.
    pub fn read(queues: &[Queue]) -> Result<Self, StoreError> {
        let mut state = MailState::default();
        for queue in queues {
            for stored in queue.outbox.pending_mails()? {
                state.pending.push(Entry {
                    id: stored.id,
                    role: queue.role,
                    mail: serde_json::from_slice::<Mail>(&stored.payload).ok(),
                    tries: tries_of(stored.state.as_deref()),
                    dead: None,
                });
            }
            for letter in queue.outbox.dead_letters()? {
                state.dead.push(Entry {
                    id: letter.id,
                    role: queue.role,
                    mail: serde_json::from_slice::<Mail>(&letter.payload).ok(),
                    tries: Tries::default(),
                    dead: Some((letter.at, letter.reason)),
                });
            }
        }
        Ok(state)
    }

    /// The list administrators see.
    pub fn list(&self) -> MailList {
        MailList {
            pending: self.pending.iter().map(Entry::view).collect(),
            dead: self.dead.iter().map(Entry::view).collect(),
        }
    }

    /// How many mails wait, and how many were given up on.
    pub fn counts(&self) -> (usize, usize) {
        (self.pending.len(), self.dead.len())
    }

    /// How long the oldest waiting mail has waited at `now`; `None` when none waits.
    pub fn oldest_pending_age(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.pending
            .iter()
            .filter_map(Entry::queued_at)
            .min()
            .map(|at| (now - at).to_std().unwrap_or_default())
    }

    /// What about the mail should make an administrator look at `now` (for
    /// `/readyz`), in `language`: each mail that has waited longer than
    /// `pending_alarm`, and each dead letter of the last seven days (or of unknown age).
    pub fn alarms(
        &self,
        now: DateTime<Utc>,
        pending_alarm: Duration,
        language: Language,
    ) -> Vec<String> {
        let age = |at: DateTime<Utc>| (now - at).to_std().unwrap_or_default();
        let mut reasons = Vec::new();
        for mail in &self.pending {
            let Some(waited) = mail.queued_at().map(age).filter(|w| *w > pending_alarm) else {
                continue;
            };
            let waited = humantime::format_duration(Duration::from_secs(waited.as_secs()));
            let last = mail
                .tries
                .last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            reasons.push(match language {
                Language::Nl => format!(
                    "alarm-e-mail {} ({}) wacht al {waited} op verzending{last}",
                    mail.id,
                    mail.role.name()
                ),
                Language::En => format!(
                    "alert email {} ({}) has waited {waited} to be sent{last}",
                    mail.id,
                    mail.role.name()
                ),
            });
        }
        for mail in &self.dead {
            let Some((at, reason)) = &mail.dead else {
                continue;
            };
            if at.map(age).is_some_and(|age| age > DEAD_LETTER_ALARM) {
                continue;
            }
            let when = at
                .map(|at| {
                    format!(
                        " ({} {})",
                        language.pick("opgegeven op", "given up at"),
                        time(at)
                    )
                })
                .unwrap_or_default();
            reasons.push(match language {
                Language::Nl => format!(
                    "alarm-e-mail {} ({}) kon niet worden bezorgd{when}: {reason}",
                    mail.id,
                    mail.role.name()
                ),
                Language::En => format!(
                    "alert email {} ({}) could not be delivered{when}: {reason}",
                    mail.id,
                    mail.role.name()
                ),
            });
        }
        reasons
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn entry(queued_at: &str, dead_at: Option<Option<&str>>) -> Entry {
        let mail = Mail::new(
            "m-1",
            vec!["beheer@example.org".into()],
            "s",
            "b",
            at(queued_at),
        )
        .unwrap();
        Entry {
            id: "m-1".into(),
            role: Role::Sender,
            mail: Some(mail),
            tries: Tries {
                count: 3,
                last_at: None,
                last_error: Some("550 no".into()),
                refused_since: None,
            },
            dead: dead_at.map(|at_| (at_.map(at), "refused".to_owned())),
        }
    }

    #[test]
    fn mails_waiting_too_long_and_recent_dead_letters_raise_alarms() {
        let now = at("2026-06-10T12:00:00Z");
        let alarm = Duration::from_secs(15 * 60);
        let quiet = MailState {
            pending: vec![entry("2026-06-10T11:50:00Z", None)],
            dead: vec![entry(
                "2026-06-01T00:00:00Z",
                Some(Some("2026-06-02T00:00:00Z")),
            )],
        };
        assert!(
            quiet.alarms(now, alarm, Language::En).is_empty(),
            "{quiet:?}"
        );
        assert_eq!(
            quiet.oldest_pending_age(now),
            Some(Duration::from_secs(600))
        );
        let loud = MailState {
            pending: vec![entry("2026-06-10T11:40:00Z", None)],
            dead: vec![
                entry("2026-06-09T00:00:00Z", Some(Some("2026-06-09T00:00:00Z"))),
                entry("2026-06-09T00:00:00Z", Some(None)),
            ],
        };
        let reasons = loud.alarms(now, alarm, Language::En);
        assert_eq!(reasons.len(), 3, "{reasons:#?}");
        assert!(
            reasons[0].contains("has waited 20m to be sent: 550 no"),
            "{reasons:#?}"
        );
        assert!(
            reasons[1]
                .contains("could not be delivered (given up at 2026-06-09T00:00:00Z): refused")
        );
        let dutch = loud.alarms(now, alarm, Language::Nl);
        assert!(
            dutch[0].contains("wacht al 20m op verzending"),
            "{dutch:#?}"
        );
        assert!(
            dutch[1].contains("kon niet worden bezorgd (opgegeven op 2026-06-09T00:00:00Z)"),
            "{dutch:#?}"
        );
        let list = loud.list();
        assert_eq!(list.pending[0].queued_at, "2026-06-10T11:40:00Z");
        assert_eq!(list.dead[1].dead_at, None);
        assert_eq!(list.dead[1].reason.as_deref(), Some("refused"));
    }
}
