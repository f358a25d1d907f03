//! A role's outbox in the store as the mail module sees it: the [`Outbox`] the worker
//! drains, and what administrators see of it and do with it — every waiting mail with
//! its tries, the dead letters, the alarms they raise — through [`Queue`].
//!
//! The store keeps mails and their tries as opaque bytes; here they are JSON: a
//! [`Mail`] and its [`Tries`].

use super::{Mail, Outbox, Pending, Tries};
use crate::api::{MailList, MailView};
use crate::config::Role;
use crate::store::{self, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
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
pub const DEAD_LETTER_ALARM: Duration = Duration::from_secs(7 * 86_400);

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

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Queue {
    /// The mails of this queue.
    pub fn list(&self) -> Result<MailList, StoreError> {
        let role = self.role.name();
        let mut list = MailList::default();
        for entry in self.outbox.pending_mails()? {
            let tries = tries_of(entry.state.as_deref());
            let mail = serde_json::from_slice::<Mail>(&entry.payload).ok();
            list.pending.push(MailView {
                id: entry.id,
                role: role.to_owned(),
                subject: mail
                    .as_ref()
                    .map(|m| m.subject().to_owned())
                    .unwrap_or_default(),
                to: mail.as_ref().map(|m| m.to().to_vec()).unwrap_or_default(),
                queued_at: mail
                    .as_ref()
                    .map(|m| time(m.created_at()))
                    .unwrap_or_default(),
                tries: tries.count,
                last_try: tries.last_at.map(time),
                last_error: tries.last_error,
                refused_since: tries.refused_since.map(time),
                dead_at: None,
                reason: None,
            });
        }
        for letter in self.outbox.dead_letters()? {
            let mail = serde_json::from_slice::<Mail>(&letter.payload).ok();
            list.dead.push(MailView {
                id: letter.id,
                role: role.to_owned(),
                subject: mail
                    .as_ref()
                    .map(|m| m.subject().to_owned())
                    .unwrap_or_default(),
                to: mail.as_ref().map(|m| m.to().to_vec()).unwrap_or_default(),
                queued_at: mail
                    .as_ref()
                    .map(|m| time(m.created_at()))
                    .unwrap_or_default(),
                tries: 0,
                last_try: None,
                last_error: None,
                refused_since: None,
                dead_at: letter.at.map(time),
                reason: Some(letter.reason),
            });
        }
        Ok(list)
    }
}

/// The mails of every queue, oldest first within each role.
pub fn list_all(queues: &[Queue]) -> Result<MailList, StoreError> {
    let mut all = MailList::default();
    for queue in queues {
        let list = queue.list()?;
        all.pending.extend(list.pending);
        all.dead.extend(list.dead);
    }
    Ok(all)
}

/// What about the mail should make an administrator look, at `now` (for `/readyz`):
/// each mail that has waited longer than `pending_alarm`, and each dead letter of the
/// last seven days (or of unknown age). Pure.
pub fn alarms(list: &MailList, now: DateTime<Utc>, pending_alarm: Duration) -> Vec<String> {
    let age = |at: &str| {
        DateTime::parse_from_rfc3339(at)
            .ok()
            .and_then(|t| (now - t.with_timezone(&Utc)).to_std().ok())
    };
    let mut reasons = Vec::new();
    for mail in &list.pending {
        let Some(waited) = age(&mail.queued_at).filter(|w| *w > pending_alarm) else {
            continue;
        };
        let waited = humantime::format_duration(Duration::from_secs(waited.as_secs()));
        reasons.push(format!(
            "alert email {} ({}) has waited {waited} to be sent{}",
            mail.id,
            mail.role,
            mail.last_error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ));
    }
    for mail in &list.dead {
        let recent = mail
            .dead_at
            .as_deref()
            .and_then(age)
            .is_none_or(|age| age <= DEAD_LETTER_ALARM);
        if recent {
            reasons.push(format!(
                "alert email {} ({}) could not be delivered{}: {}",
                mail.id,
                mail.role,
                mail.dead_at
                    .as_deref()
                    .map(|at| format!(" (given up at {at})"))
                    .unwrap_or_default(),
                mail.reason.as_deref().unwrap_or("")
            ));
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(queued_at: &str, dead_at: Option<&str>) -> MailView {
        MailView {
            id: "m-1".into(),
            role: "sender".into(),
            subject: "s".into(),
            to: vec!["beheer@example.org".into()],
            queued_at: queued_at.into(),
            tries: 3,
            last_try: None,
            last_error: Some("550 no".into()),
            refused_since: None,
            dead_at: dead_at.map(str::to_owned),
            reason: dead_at.map(|_| "refused".to_owned()),
        }
    }

    #[test]
    fn mails_waiting_too_long_and_recent_dead_letters_raise_alarms() {
        let now = DateTime::parse_from_rfc3339("2026-06-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let alarm = Duration::from_secs(15 * 60);
        let quiet = MailList {
            pending: vec![view("2026-06-10T11:50:00Z", None)],
            dead: vec![view("2026-06-01T00:00:00Z", Some("2026-06-02T00:00:00Z"))],
        };
        assert!(alarms(&quiet, now, alarm).is_empty(), "{quiet:?}");
        let loud = MailList {
            pending: vec![view("2026-06-10T11:40:00Z", None)],
            dead: vec![
                view("2026-06-09T00:00:00Z", Some("2026-06-09T00:00:00Z")),
                view("2026-06-09T00:00:00Z", None),
            ],
        };
        let reasons = alarms(&loud, now, alarm);
        assert_eq!(reasons.len(), 3, "{reasons:#?}");
        assert!(
            reasons[0].contains("has waited 20m to be sent: 550 no"),
            "{reasons:#?}"
        );
        assert!(
            reasons[1]
                .contains("could not be delivered (given up at 2026-06-09T00:00:00Z): refused")
        );
    }
}
