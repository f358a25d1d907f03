//! The watchdog's two emails, in the configured language, as outbox entries: the alert
//! ("geen partijnummers ontvangen") and its resolution ("partijnummers weer ontvangen").
//! Their ids are stable per event — `watchdog-alert-YYYY-MM-DD` and
//! `watchdog-resolved-YYYY-MM-DD` (the date of the alert) — so a resend after a crash
//! carries the same `Message-ID`.

use crate::config::ReceiverConfig;
use crate::ids::MessageId;
use crate::language::Language;
use crate::mail::outbox_entry;
use crate::timestamp::Timestamp;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// What the emails say about a set.
#[derive(Debug, Clone, Copy)]
pub(super) struct SetFacts<'a> {
    /// The message that delivered it.
    pub message_id: &'a MessageId,
    /// The message's creation time.
    pub created: &'a Timestamp,
    /// When it was applied.
    pub applied_at: DateTime<Utc>,
    /// How many lots it has.
    pub lots: usize,
}

/// How the emails are written: for whom, in which zone and language.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    pub config: std::sync::Arc<ReceiverConfig>,
    pub zone: Tz,
    pub language: Language,
}

/// An outbox entry: the mail's id and its stored form.
pub(super) type Entry = (String, Vec<u8>);

impl Writer {
    /// The alert that no set arrived on `date` by `expect_by`; `current` is the set
    /// still in use (if any), `quarantined` how many sets are held back.
    pub fn alert(
        &self,
        date: NaiveDate,
        current: Option<SetFacts<'_>>,
        quarantined: usize,
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let us = &self.config.application_id;
        let by = self.config.expect_by.format("%H:%M");
        let (subject, mut body) = match self.language {
            Language::Nl => (
                format!("lotgate: geen partijnummers ontvangen ({date})"),
                format!(
                    "De ontvanger {us} heeft op {date} vóór {by} ({zone}) geen nieuwe set \
                     partijnummers ontvangen.\n\n",
                    zone = self.zone
                ),
            ),
            Language::En => (
                format!("lotgate: no lot numbers received ({date})"),
                format!(
                    "Receiver {us} has not received a new set of lot numbers on {date} by \
                     {by} ({zone}).\n\n",
                    zone = self.zone
                ),
            ),
        };
        body.push_str(&match (self.language, current) {
            (Language::Nl, Some(set)) => {
                format!("De vorige set blijft in gebruik:\n\n{}\n", self.facts(&set))
            }
            (Language::En, Some(set)) => {
                format!("The previous set stays in use:\n\n{}\n", self.facts(&set))
            }
            (Language::Nl, None) => {
                "Er is nog nooit een set ontvangen: de ontvanger heeft geen partijnummers.\n\n"
                    .to_owned()
            }
            (Language::En, None) => {
                "No set has ever been received: the receiver has no lot numbers.\n\n".to_owned()
            }
        });
        if quarantined > 0 {
            body.push_str(&match self.language {
                Language::Nl => format!(
                    "Er staan {quarantined} set(s) in quarantaine (veel kleiner dan de set in \
                     gebruik); beoordeel die met lotgate quarantine list / accept / discard.\n\n"
                ),
                Language::En => format!(
                    "{quarantined} set(s) are held in quarantine (much smaller than the set in \
                     use); review them with lotgate quarantine list / accept / discard.\n\n"
                ),
            });
        }
        body.push_str(match self.language {
            Language::Nl => {
                "Ga na of Praeventis de partijnummers heeft verstuurd en of de verbinding werkt. \
                 Tot er een set binnenkomt, meldt de ontvanger zich als verouderd (stale) in \
                 /readyz en /api/v1/set. Zodra er een set is toegepast, volgt een bericht.\n"
            }
            Language::En => {
                "Check whether Praeventis sent the lot numbers and whether the connection works. \
                 Until a set arrives, the receiver reports itself stale in /readyz and \
                 /api/v1/set. A message follows as soon as a set has been applied.\n"
            }
        });
        self.entry(format!("watchdog-alert-{date}"), subject, body, now)
    }

    /// The resolution of the alert of `alert_date`: `set` has been applied.
    pub fn resolved(
        &self,
        alert_date: Option<NaiveDate>,
        set: SetFacts<'_>,
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let us = &self.config.application_id;
        let date =
            alert_date.unwrap_or_else(|| set.applied_at.with_timezone(&self.zone).date_naive());
        let (subject, body) = match self.language {
            Language::Nl => (
                format!("lotgate: partijnummers weer ontvangen (melding van {date})"),
                format!(
                    "De ontvanger {us} heeft weer een set partijnummers ontvangen en toegepast, \
                     na de melding van {date} dat er geen partijnummers waren ontvangen.\n\n{}\n",
                    self.facts(&set)
                ),
            ),
            Language::En => (
                format!("lotgate: lot numbers received again (alert of {date})"),
                format!(
                    "Receiver {us} has received and applied a set of lot numbers again, after \
                     the alert of {date} that no lot numbers had been received.\n\n{}\n",
                    self.facts(&set)
                ),
            ),
        };
        self.entry(format!("watchdog-resolved-{date}"), subject, body, now)
    }

    /// A set's message, creation and application times and size, one per line.
    fn facts(&self, set: &SetFacts<'_>) -> String {
        let applied = set
            .applied_at
            .with_timezone(&self.zone)
            .format("%Y-%m-%d %H:%M:%S %Z");
        let created = set.created.local().format("%Y-%m-%d %H:%M:%S");
        let (message, created_at, applied_at, lots) = match self.language {
            Language::Nl => ("Bericht", "Aangemaakt", "Toegepast", "Partijnummers"),
            Language::En => ("Message", "Created", "Applied", "Lot numbers"),
        };
        format!(
            "{message}: {}\n{created_at}: {created}\n{applied_at}: {applied}\n{lots}: {}\n",
            set.message_id, set.lots
        )
    }

    /// The mail to the administrators and the JGZ contact as an outbox entry.
    fn entry(&self, id: String, subject: String, body: String, now: DateTime<Utc>) -> Vec<Entry> {
        let mut to: Vec<String> = self
            .config
            .administrators
            .iter()
            .map(ToString::to_string)
            .collect();
        if let Some(contact) = &self.config.jgz_contact {
            let contact = contact.to_string();
            if !to.contains(&contact) {
                to.push(contact);
            }
        }
        outbox_entry(id, to, subject, body, now)
    }
}
