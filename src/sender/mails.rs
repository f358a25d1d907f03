//! The sender's four emails to the administrators, in the configured language, as outbox
//! entries (DESIGN.md, "Outcomes of an attempt" and "The retry schedule"):
//!
//! - a delivery was **rejected** by its receiver (sent at once);
//! - the **escalation**: one email listing every destination not delivered by
//!   `escalate_at`, each with its attempts, last error and JGZ contact person;
//! - the **resolution**: an escalated destination has been delivered after all;
//! - the **source** with the lot numbers is invalid.
//!
//! Their ids are stable per event — `sender-rejected-{destination}-{delivery}`,
//! `sender-escalation-{date}-{smallest delivery}`, `sender-resolved-{destination}-{delivery}`
//! and `sender-source-{date}-{first delivery}` (dates local) — so a resend after a crash
//! carries the same `Message-ID`. The JGZ contact person is named in the escalation but
//! never emailed: the administrator informs them.

use crate::config::{Destination, SenderConfig};
use crate::mail::Mail;
use crate::store::{AttemptOutcome, Delivery, DeliveryState};
use crate::validate::Language;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt::Write as _;

/// The longest attempt detail quoted in an email, in characters; longer ones are cut.
const MAX_DETAIL_CHARS: usize = 500;

/// The format of times in the emails, local in the writer's zone.
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S %Z";

/// How the emails are written: for whom, in which zone and language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Writer<'a> {
    /// The sender's configuration: the administrators and the schedule.
    pub config: &'a SenderConfig,
    /// The zone the times are shown in (the schedule's zone).
    pub zone: Tz,
    /// The language of the emails.
    pub language: Language,
}

/// An outbox entry: the mail's id and its stored form.
pub(crate) type Entry = (String, Vec<u8>);

impl Writer<'_> {
    /// The alert that `delivery` was refused by its receiver (`CE`, `CR` or
    /// `soap:Client`), with the acknowledgement's details; sent at once. Id:
    /// `sender-rejected-{destination}-{delivery.id}`.
    pub fn rejected(
        &self,
        delivery: &Delivery,
        destination: &Destination,
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let name = &destination.name;
        let number = delivery.id;
        let block = self.delivery_block(delivery, destination);
        let (subject, body) = match self.language {
            Language::Nl => (
                format!("lotgate: partijnummers geweigerd door {name}"),
                format!(
                    "De ontvanger van bestemming {name} heeft levering {number} geweigerd \
                     (CE, CR of soap:Client): het bericht is niet verwerkt. Hetzelfde bericht \
                     nogmaals versturen kan niet helpen, dus voor deze levering worden geen \
                     pogingen meer gedaan. De redenen van de ontvanger (de details uit zijn \
                     bevestiging) staan hieronder bij de pogingen.\n\n\
                     {block}\n\
                     De levering van de volgende nacht wordt gewoon geprobeerd. Los de oorzaak \
                     op (de inhoud van het voorraadsysteem of de configuratie) en verstuur \
                     daarna met de hand opnieuw met:\n\n    \
                     lotgate send-now --destination {name}\n"
                ),
            ),
            Language::En => (
                format!("lotgate: lot numbers rejected by {name}"),
                format!(
                    "The receiver of destination {name} has rejected delivery {number} (CE, CR \
                     or soap:Client): the message was not processed. Sending the same message \
                     again cannot help, so no more attempts are made for this delivery. The \
                     receiver's reasons (the details of its acknowledgement) are listed with \
                     the attempts below.\n\n\
                     {block}\n\
                     The next nightly delivery will be tried as normal. Fix the cause (the \
                     contents of the inventory or the configuration), then send again by hand \
                     with:\n\n    \
                     lotgate send-now --destination {name}\n"
                ),
            ),
        };
        self.entry(
            format!("sender-rejected-{name}-{number}"),
            subject,
            body,
            now,
        )
    }

    /// The one escalation email listing every delivery in `undelivered` (not delivered
    /// by the escalation time; must not be empty), each with its attempts, last error and
    /// the JGZ contact person whom the administrator informs. Id:
    /// `sender-escalation-{local date of now}-{smallest delivery id}`.
    pub fn escalation(
        &self,
        undelivered: &[(&Delivery, &Destination)],
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let Some(smallest) = undelivered.iter().map(|(d, _)| d.id).min() else {
            tracing::error!("an escalation email without undelivered destinations: not sent");
            return Vec::new();
        };
        let date = now.with_timezone(&self.zone).date_naive();
        let count = undelivered.len();
        let at = self.config.schedule.escalate_at.format("%H:%M");
        let zone = self.zone;
        let (subject, mut body) = match self.language {
            Language::Nl => (
                format!(
                    "lotgate: partijnummers niet afgeleverd aan {count} bestemming(en) ({date})"
                ),
                format!(
                    "Om {at} ({zone}) waren de partijnummers van vannacht niet afgeleverd aan \
                     de volgende bestemming(en).\n\n"
                ),
            ),
            Language::En => (
                format!("lotgate: lot numbers not delivered to {count} destination(s) ({date})"),
                format!(
                    "At {at} ({zone}) last night's lot numbers had not been delivered to the \
                     following destination(s).\n\n"
                ),
            ),
        };
        for (delivery, destination) in undelivered {
            let _ = writeln!(body, "== {} ==", destination.name);
            body.push_str(&self.delivery_block(delivery, destination));
            let contact = &destination.contact;
            body.push_str(&match self.language {
                Language::Nl => format!(
                    "Contactpersoon JGZ-organisatie: {contact} — informeer deze persoon.\n\n"
                ),
                Language::En => format!("JGZ contact person: {contact} — please inform them.\n\n"),
            });
        }
        body.push_str(match self.language {
            Language::Nl => {
                "De pogingen gaan door volgens het schema, zolang er nog pogingen over zijn. \
                 Volg de voortgang met:\n\n    lotgate status\n\n\
                 Probeer het met de hand opnieuw met:\n\n    \
                 lotgate send-now --destination NAAM\n\n\
                 Zodra een bestemming alsnog is afgeleverd, volgt een bericht.\n"
            }
            Language::En => {
                "Attempts continue on the schedule where any are left. Follow them with:\n\n    \
                 lotgate status\n\n\
                 Try again by hand with:\n\n    \
                 lotgate send-now --destination NAME\n\n\
                 A follow-up email comes as soon as a destination has been delivered.\n"
            }
        });
        self.entry(
            format!("sender-escalation-{date}-{smallest}"),
            subject,
            body,
            now,
        )
    }

    /// The resolution of an escalation: `destination`, escalated earlier, has now been
    /// delivered (`delivery` acknowledged with `CA`). Id:
    /// `sender-resolved-{destination}-{delivery.id}`.
    pub fn resolved(
        &self,
        delivery: &Delivery,
        destination: &Destination,
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let name = &destination.name;
        let number = delivery.id;
        let delivered_at = delivery
            .attempts
            .iter()
            .rev()
            .find(|a| a.outcome == Some(AttemptOutcome::Delivered))
            .map(|a| a.at)
            .or(delivery.finished_at)
            .unwrap_or(now);
        let delivered_at = self.local(delivered_at);
        let escalated = |of: &str| {
            delivery
                .escalated_at
                .map_or(String::new(), |at| format!(" {of} {}", self.local(at)))
        };
        let block = self.delivery_block(delivery, destination);
        let (subject, body) = match self.language {
            Language::Nl => (
                format!("lotgate: partijnummers alsnog afgeleverd aan {name}"),
                format!(
                    "De ontvanger van bestemming {name} heeft levering {number} bevestigd (CA) \
                     bij de poging van {delivered_at}, na de escalatiemail{} dat de \
                     partijnummers niet waren afgeleverd.\n\n{block}",
                    escalated("van")
                ),
            ),
            Language::En => (
                format!("lotgate: lot numbers delivered to {name} after all"),
                format!(
                    "The receiver of destination {name} has acknowledged (CA) delivery {number} \
                     at the attempt of {delivered_at}, after the escalation email{} that the \
                     lot numbers had not been delivered.\n\n{block}",
                    escalated("of")
                ),
            ),
        };
        self.entry(
            format!("sender-resolved-{name}-{number}"),
            subject,
            body,
            now,
        )
    }

    /// The alert that the source (the inventory's export at `origin`, a file path or URL)
    /// has invalid content: `report` is the full text report of the problems, already in
    /// the right language, and `destinations` the names of the destinations waiting for
    /// it. Id: `sender-source-{local date of now}-{first_delivery_id}`.
    pub fn source_invalid(
        &self,
        origin: &str,
        report: &str,
        destinations: &[&str],
        first_delivery_id: u64,
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let date = now.with_timezone(&self.zone).date_naive();
        let waiting = if destinations.is_empty() {
            "-".to_owned()
        } else {
            destinations.join(", ")
        };
        let mut report = report.to_owned();
        if !report.ends_with('\n') {
            report.push('\n');
        }
        let (subject, body) = match self.language {
            Language::Nl => (
                "lotgate: bron met partijnummers ongeldig".to_owned(),
                format!(
                    "De bron met partijnummers bevat ongeldige gegevens:\n\n    {origin}\n\n\
                     Er wordt geen bericht verstuurd zolang de bron niet geldig is; de pogingen \
                     gaan door volgens het schema. Wachtende bestemming(en): {waiting}\n\n\
                     De problemen:\n\n{report}\n\
                     Herstel de export van het voorraadsysteem. Zodra de bron geldig is, wordt \
                     het bericht bij de volgende poging opgebouwd en verstuurd.\n"
                ),
            ),
            Language::En => (
                "lotgate: the source of lot numbers is invalid".to_owned(),
                format!(
                    "The source of lot numbers has invalid content:\n\n    {origin}\n\n\
                     No message is sent until the source is valid; attempts continue on the \
                     schedule. Destination(s) waiting: {waiting}\n\n\
                     The problems:\n\n{report}\n\
                     Fix the inventory's export. As soon as the source is valid, the message is \
                     built and sent at the next attempt.\n"
                ),
            ),
        };
        self.entry(
            format!("sender-source-{date}-{first_delivery_id}"),
            subject,
            body,
            now,
        )
    }

    /// A delivery's facts, one per line, then its attempts and last error (the detail of
    /// the last attempt that did not deliver and says something).
    fn delivery_block(&self, delivery: &Delivery, destination: &Destination) -> String {
        let nl = self.language == Language::Nl;
        let label = |nl_text: &'static str, en_text: &'static str| {
            if nl { nl_text } else { en_text }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: {}",
            label("Bestemming", "Destination"),
            destination.name
        );
        let _ = writeln!(out, "URL: {}", destination.url);
        let _ = writeln!(
            out,
            "{}: {}",
            label("Applicatie-id ontvanger", "Receiver application id"),
            destination.application_id
        );
        let night = delivery.night.map_or(String::new(), |night| {
            format!(", {} {night}", label("nacht van", "night of"))
        });
        let _ = writeln!(
            out,
            "{}: {} ({}: {}{night})",
            label("Levering", "Delivery"),
            delivery.id,
            label("aanleiding", "trigger"),
            delivery.trigger.as_str()
        );
        match &delivery.message {
            Some(message) => {
                let _ = writeln!(out, "{}: {}", label("Bericht", "Message"), message.id);
                let _ = writeln!(
                    out,
                    "{}: {}",
                    label("Aangemaakt", "Created"),
                    message.created.local().format("%Y-%m-%d %H:%M:%S")
                );
                let _ = writeln!(
                    out,
                    "{}: {}",
                    label("Partijnummers", "Lot numbers"),
                    message.lots
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{}",
                    label(
                        "Bericht: nog niet opgebouwd, want de bron kon niet worden gelezen",
                        "Message: not built yet, because the source could not be read"
                    )
                );
            }
        }
        let state = match delivery.state {
            DeliveryState::Pending => label("niet afgeleverd", "not delivered"),
            DeliveryState::Delivered => label("afgeleverd", "delivered"),
            DeliveryState::Rejected => label("geweigerd", "rejected"),
        };
        let _ = writeln!(out, "{}: {state}", label("Status", "State"));
        if delivery.attempts.is_empty() {
            let _ = writeln!(out, "{}", label("Pogingen: nog geen", "Attempts: none yet"));
        } else {
            let _ = writeln!(out, "{}:", label("Pogingen", "Attempts"));
            for attempt in &delivery.attempts {
                let outcome = self.outcome(attempt.outcome);
                let detail = quote(&attempt.detail);
                if detail.is_empty() {
                    let _ = writeln!(out, "  - {}  {outcome}", self.local(attempt.at));
                } else {
                    let _ = writeln!(out, "  - {}  {outcome}: {detail}", self.local(attempt.at));
                }
            }
        }
        let last_error = delivery
            .attempts
            .iter()
            .rev()
            .filter(|a| a.outcome != Some(AttemptOutcome::Delivered))
            .map(|a| quote(&a.detail))
            .find(|d| !d.is_empty());
        if let Some(error) = last_error {
            let _ = writeln!(out, "{}: {error}", label("Laatste fout", "Last error"));
        }
        out
    }

    /// An attempt's outcome in words.
    fn outcome(&self, outcome: Option<AttemptOutcome>) -> &'static str {
        match (self.language, outcome) {
            (Language::Nl, Some(AttemptOutcome::Delivered)) => "afgeleverd",
            (Language::Nl, Some(AttemptOutcome::Rejected)) => "geweigerd",
            (Language::Nl, Some(AttemptOutcome::Transient)) => "mislukt",
            (Language::Nl, None) => "onderbroken (gateway gestopt)",
            (Language::En, Some(AttemptOutcome::Delivered)) => "delivered",
            (Language::En, Some(AttemptOutcome::Rejected)) => "rejected",
            (Language::En, Some(AttemptOutcome::Transient)) => "failed",
            (Language::En, None) => "interrupted (gateway stopped)",
        }
    }

    /// A point in time as local time in the writer's zone.
    fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).format(TIME_FORMAT).to_string()
    }

    /// The mail to the administrators as an outbox entry.
    fn entry(&self, id: String, subject: String, body: String, now: DateTime<Utc>) -> Vec<Entry> {
        let to: Vec<String> = self
            .config
            .administrators
            .iter()
            .map(ToString::to_string)
            .collect();
        match Mail::new(&id, to, subject, body, now).map(|mail| serde_json::to_vec(&mail)) {
            Ok(Ok(payload)) => vec![(id, payload)],
            _ => {
                tracing::error!("cannot build the sender email {id}");
                Vec::new()
            }
        }
    }
}

/// An attempt's detail as quoted in an email: trimmed, cut to [`MAX_DETAIL_CHARS`]
/// characters (with "…"), and further lines indented under the attempt.
fn quote(detail: &str) -> String {
    let detail = detail.trim();
    let mut cut: String = detail.chars().take(MAX_DETAIL_CHARS).collect();
    if cut.len() < detail.len() {
        cut = cut.trim_end().to_owned();
        cut.push('…');
    }
    cut.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n      ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::ids::MessageId;
    use crate::store::{Attempt, BuiltMessage, Trigger};
    use crate::timestamp::Timestamp;
    use chrono::NaiveDate;

    /// A sender configuration with two destinations; `language` `None` leaves the default.
    fn config(language: Option<&str>) -> Config {
        let gateway = language.map_or(String::new(), |l| {
            format!("[gateway]\nlanguage = \"{l}\"\n")
        });
        Config::parse(
            &format!(
                r#"
{gateway}
[mail]
from = "lotgate@example.org"

[sender]
application_id = "99999001"
administrators = ["beheer@example.org", "Jan <jan@example.org>"]

[sender.source]
file = "inventory.csv"

[[sender.destination]]
name = "ggd-a"
url = "https://dd-jgz.example/jgz/partijnummers"
application_id = "99999002"
contact = {{ name = "J. Jansen", email = "jgz-a@example.org" }}

[[sender.destination]]
name = "ggd_b"
url = "https://ggd-b.example/lotgate"
application_id = "99999003"
contact = {{ email = "jgz-b@example.org" }}
"#
            ),
            std::path::Path::new("/etc/lotgate"),
        )
        .unwrap()
    }

    fn writer(config: &Config) -> Writer<'_> {
        let sender = config.sender.as_ref().unwrap();
        Writer {
            config: sender,
            zone: sender.schedule.time_zone,
            language: config.gateway.language,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn attempt(at: &str, outcome: Option<AttemptOutcome>, detail: &str) -> Attempt {
        Attempt {
            at: utc(at),
            outcome,
            detail: detail.to_owned(),
        }
    }

    fn delivery(id: u64, destination: &str, attempts: Vec<Attempt>, built: bool) -> Delivery {
        let message = built.then(|| {
            BuiltMessage::new(
                MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", &format!("LG-{id}"))
                    .unwrap(),
                Timestamp::parse("20260601020000").unwrap(),
                1234,
                b"<message/>",
            )
        });
        Delivery {
            id,
            destination: destination.to_owned(),
            trigger: Trigger::Nightly,
            night: NaiveDate::from_ymd_opt(2026, 6, 1),
            start: utc("2026-06-01T00:00:00Z"),
            escalate_at: utc("2026-06-01T05:00:00Z"),
            message,
            attempts,
            state: DeliveryState::Pending,
            finished_at: None,
            escalated_at: None,
            escalation_open: false,
            source_alerted: false,
        }
    }

    fn read(entries: Vec<Entry>) -> (String, Mail) {
        assert_eq!(entries.len(), 1);
        let (id, payload) = entries.into_iter().next().unwrap();
        let mail: Mail = serde_json::from_slice(&payload).unwrap();
        assert_eq!(mail.id(), id);
        assert!(!mail.body().contains("\n\n\n"), "{}", mail.body());
        assert!(mail.body().ends_with('\n') && !mail.body().ends_with("\n\n"));
        // The id is valid: Mail::new would have refused it (and so would the JSON).
        assert!(Mail::new(&id, vec![], "", "", Utc::now()).is_ok());
        (id, mail)
    }

    fn administrators_only(mail: &Mail) {
        assert_eq!(
            mail.to(),
            ["beheer@example.org", "Jan <jan@example.org>"],
            "{:?}",
            mail.to()
        );
    }

    const NOW: &str = "2026-06-01T05:00:00Z";

    #[test]
    fn the_escalation_lists_every_destination_with_its_attempts() {
        let config = config(None);
        let w = writer(&config);
        assert_eq!(w.language, Language::Nl);
        let sender = config.sender.as_ref().unwrap();
        let (a, b) = (&sender.destinations[0], &sender.destinations[1]);
        let first = delivery(
            8,
            "ggd-a",
            vec![
                attempt(
                    "2026-06-01T00:00:00Z",
                    Some(AttemptOutcome::Transient),
                    "  connection refused\n",
                ),
                attempt(
                    "2026-06-01T00:10:00Z",
                    Some(AttemptOutcome::Transient),
                    "timeout after 60 s",
                ),
                attempt("2026-06-01T01:50:00Z", None, ""),
            ],
            true,
        );
        let second = delivery(7, "ggd_b", vec![], false);
        let (id, mail) = read(w.escalation(&[(&first, a), (&second, b)], utc(NOW)));
        assert_eq!(id, "sender-escalation-2026-06-01-7");
        administrators_only(&mail);
        assert_eq!(
            mail.subject(),
            "lotgate: partijnummers niet afgeleverd aan 2 bestemming(en) (2026-06-01)"
        );
        let body = mail.body();
        for expected in [
            "Om 07:00 (Europe/Amsterdam) waren de partijnummers van vannacht niet afgeleverd",
            "== ggd-a ==",
            "URL: https://dd-jgz.example/jgz/partijnummers",
            "Applicatie-id ontvanger: 99999002",
            "Levering: 8 (aanleiding: nightly, nacht van 2026-06-01)",
            "Bericht: 2.16.840.1.113883.2.4.6.6.99999001.1/LG-8",
            "Partijnummers: 1234",
            "Status: niet afgeleverd",
            "  - 2026-06-01 02:00:00 CEST  mislukt: connection refused\n",
            "  - 2026-06-01 02:10:00 CEST  mislukt: timeout after 60 s\n",
            "  - 2026-06-01 03:50:00 CEST  onderbroken (gateway gestopt)\n",
            "Laatste fout: timeout after 60 s\nContactpersoon JGZ-organisatie: ",
            "Contactpersoon JGZ-organisatie: J. Jansen <jgz-a@example.org> — informeer deze \
             persoon.",
            "== ggd_b ==",
            "Applicatie-id ontvanger: 99999003",
            "Bericht: nog niet opgebouwd, want de bron kon niet worden gelezen",
            "Pogingen: nog geen",
            "Contactpersoon JGZ-organisatie: jgz-b@example.org — informeer deze persoon.",
            "lotgate status",
            "lotgate send-now --destination NAAM",
        ] {
            assert!(body.contains(expected), "{expected:?} not in:\n{body}");
        }
        assert!(body.find("== ggd-a ==") < body.find("== ggd_b =="));
        // The contact is named, never emailed.
        assert!(!mail.to().iter().any(|t| t.contains("jgz")));
    }

    #[test]
    fn the_emails_in_english() {
        let config = config(Some("en"));
        let w = writer(&config);
        assert_eq!(w.language, Language::En);
        let a = &config.sender.as_ref().unwrap().destinations[0];
        let failed = delivery(
            3,
            "ggd-a",
            vec![attempt(
                "2026-01-10T01:00:00Z",
                Some(AttemptOutcome::Transient),
                "HTTP 503",
            )],
            true,
        );
        let (id, mail) = read(w.escalation(&[(&failed, a)], utc("2026-01-10T06:00:00Z")));
        assert_eq!(id, "sender-escalation-2026-01-10-3");
        administrators_only(&mail);
        assert_eq!(
            mail.subject(),
            "lotgate: lot numbers not delivered to 1 destination(s) (2026-01-10)"
        );
        for expected in [
            "At 07:00 (Europe/Amsterdam)",
            "Delivery: 3 (trigger: nightly, night of 2026-06-01)",
            "State: not delivered",
            "  - 2026-01-10 02:00:00 CET  failed: HTTP 503\n",
            "Last error: HTTP 503\n",
            "JGZ contact person: J. Jansen <jgz-a@example.org> — please inform them.",
            "lotgate send-now --destination NAME",
        ] {
            assert!(
                mail.body().contains(expected),
                "{expected:?} not in:\n{}",
                mail.body()
            );
        }

        let mut rejected = failed.clone();
        rejected.attempts.push(attempt(
            "2026-01-10T01:10:00Z",
            Some(AttemptOutcome::Rejected),
            "CE: 8004 lot number missing",
        ));
        rejected.state = DeliveryState::Rejected;
        let (id, mail) = read(w.rejected(&rejected, a, utc("2026-01-10T01:10:01Z")));
        assert_eq!(id, "sender-rejected-ggd-a-3");
        assert_eq!(mail.subject(), "lotgate: lot numbers rejected by ggd-a");
        for expected in [
            "has rejected delivery 3",
            "cannot help",
            "  - 2026-01-10 02:10:00 CET  rejected: CE: 8004 lot number missing\n",
            "Last error: CE: 8004 lot number missing\n",
            "The next nightly delivery will be tried as normal.",
            "lotgate send-now --destination ggd-a",
        ] {
            assert!(
                mail.body().contains(expected),
                "{expected:?} not in:\n{}",
                mail.body()
            );
        }

        let mut delivered = failed.clone();
        delivered.attempts.push(attempt(
            "2026-01-10T07:30:00Z",
            Some(AttemptOutcome::Delivered),
            "CA",
        ));
        delivered.state = DeliveryState::Delivered;
        delivered.escalated_at = Some(utc("2026-01-10T06:00:00Z"));
        let (id, mail) = read(w.resolved(&delivered, a, utc("2026-01-10T07:30:02Z")));
        assert_eq!(id, "sender-resolved-ggd-a-3");
        assert_eq!(
            mail.subject(),
            "lotgate: lot numbers delivered to ggd-a after all"
        );
        for expected in [
            "acknowledged (CA) delivery 3 at the attempt of 2026-01-10 08:30:00 CET, after the \
             escalation email of 2026-01-10 07:00:00 CET that",
            "  - 2026-01-10 08:30:00 CET  delivered: CA\n",
            "Last error: HTTP 503\n",
            "State: delivered",
        ] {
            assert!(
                mail.body().contains(expected),
                "{expected:?} not in:\n{}",
                mail.body()
            );
        }

        let (id, mail) = read(w.source_invalid(
            "https://inventory.example/export.csv",
            "line 3: \"XYZ\" is not a vaccine code\nline 9: no lot number",
            &["ggd-a", "ggd_b"],
            11,
            utc("2026-01-09T23:30:00Z"),
        ));
        assert_eq!(id, "sender-source-2026-01-10-11");
        administrators_only(&mail);
        assert_eq!(
            mail.subject(),
            "lotgate: the source of lot numbers is invalid"
        );
        for expected in [
            "    https://inventory.example/export.csv\n",
            "No message is sent until the source is valid",
            "Destination(s) waiting: ggd-a, ggd_b",
            "line 3: \"XYZ\" is not a vaccine code\nline 9: no lot number\n",
        ] {
            assert!(
                mail.body().contains(expected),
                "{expected:?} not in:\n{}",
                mail.body()
            );
        }
    }

    #[test]
    fn rejection_resolution_and_source_in_dutch() {
        let config = config(None);
        let w = writer(&config);
        let b = &config.sender.as_ref().unwrap().destinations[1];
        let mut rejected = delivery(
            12,
            "ggd_b",
            vec![attempt(
                "2026-06-01T00:00:00Z",
                Some(AttemptOutcome::Rejected),
                "CR: onbekende zender",
            )],
            true,
        );
        rejected.state = DeliveryState::Rejected;
        let (id, mail) = read(w.rejected(&rejected, b, utc("2026-06-01T00:00:02Z")));
        assert_eq!(id, "sender-rejected-ggd_b-12");
        administrators_only(&mail);
        assert_eq!(
            mail.subject(),
            "lotgate: partijnummers geweigerd door ggd_b"
        );
        for expected in [
            "heeft levering 12 geweigerd",
            "kan niet helpen",
            "  - 2026-06-01 02:00:00 CEST  geweigerd: CR: onbekende zender\n",
            "Status: geweigerd",
            "lotgate send-now --destination ggd_b",
        ] {
            assert!(
                mail.body().contains(expected),
                "{expected:?} not in:\n{}",
                mail.body()
            );
        }

        let mut delivered = delivery(
            13,
            "ggd_b",
            vec![attempt(
                "2026-06-01T06:00:00Z",
                Some(AttemptOutcome::Delivered),
                "",
            )],
            true,
        );
        delivered.state = DeliveryState::Delivered;
        let (id, mail) = read(w.resolved(&delivered, b, utc("2026-06-01T06:00:01Z")));
        assert_eq!(id, "sender-resolved-ggd_b-13");
        assert_eq!(
            mail.subject(),
            "lotgate: partijnummers alsnog afgeleverd aan ggd_b"
        );
        assert!(
            mail.body().contains(
                "levering 13 bevestigd (CA) bij de poging van 2026-06-01 08:00:00 CEST, na de \
                 escalatiemail dat"
            ),
            "{}",
            mail.body()
        );
        assert!(!mail.body().contains("Laatste fout"), "{}", mail.body());

        let (id, mail) = read(w.source_invalid(
            "/srv/export/inventory.csv",
            "regel 3: geen partijnummer\n",
            &["ggd-a"],
            14,
            utc(NOW),
        ));
        assert_eq!(id, "sender-source-2026-06-01-14");
        assert_eq!(mail.subject(), "lotgate: bron met partijnummers ongeldig");
        for expected in [
            "    /srv/export/inventory.csv\n",
            "Wachtende bestemming(en): ggd-a",
            "\nregel 3: geen partijnummer\n",
            "Er wordt geen bericht verstuurd zolang de bron niet geldig is",
        ] {
            assert!(
                mail.body().contains(expected),
                "{expected:?} not in:\n{}",
                mail.body()
            );
        }
    }

    #[test]
    fn a_long_detail_is_cut() {
        let config = config(None);
        let w = writer(&config);
        let a = &config.sender.as_ref().unwrap().destinations[0];
        let long = "é".repeat(2_000);
        let failed = delivery(
            5,
            "ggd-a",
            vec![attempt(
                "2026-06-01T00:00:00Z",
                Some(AttemptOutcome::Transient),
                &long,
            )],
            true,
        );
        let (_, mail) = read(w.escalation(&[(&failed, a)], utc(NOW)));
        let cut = format!("{}…\n", "é".repeat(MAX_DETAIL_CHARS));
        assert!(
            mail.body()
                .contains(&format!("  - 2026-06-01 02:00:00 CEST  mislukt: {cut}")),
            "{}",
            mail.body()
        );
        assert!(mail.body().contains(&format!("Laatste fout: {cut}")));
        assert!(!mail.body().contains(&"é".repeat(MAX_DETAIL_CHARS + 1)));
        // A detail of exactly the limit is kept whole.
        assert_eq!(quote(&"x".repeat(MAX_DETAIL_CHARS)).chars().count(), 500);
        // Further lines are indented under the attempt, keeping their own indentation.
        assert_eq!(
            quote(" CE\n  8004: missing \n"),
            "CE\n        8004: missing"
        );
    }

    #[test]
    fn an_empty_escalation_writes_nothing() {
        let config = config(None);
        assert!(writer(&config).escalation(&[], utc(NOW)).is_empty());
    }

    #[test]
    fn the_longest_destination_name_gives_a_valid_id() {
        let mut config = config(None);
        let sender = config.sender.as_mut().unwrap();
        sender.destinations[0].name = format!("{}-", "a".repeat(63));
        let config = config;
        let w = writer(&config);
        let a = &config.sender.as_ref().unwrap().destinations[0];
        let rejected = delivery(u64::MAX, &a.name, vec![], true);
        let (id, _) = read(w.rejected(&rejected, a, utc(NOW)));
        assert!(id.ends_with(&format!("--{}", u64::MAX)), "{id}");
        let (id, _) = read(w.resolved(&rejected, a, utc(NOW)));
        assert!(id.starts_with("sender-resolved-aaa"), "{id}");
    }
}
