//! The sender's four emails to the administrators, in the configured language, as outbox
//! entries (`docs/sender.md`, "Alert emails"):
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

use super::status::{outcome_view, state_view, trigger_view};
use crate::config::{Destination, SenderConfig};
use crate::language::Language;
use crate::mail::outbox_entry;
use crate::store::{AttemptOutcome, Delivery, DeliveryState};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt::Write as _;

/// The longest attempt detail quoted in an email, in characters; longer ones are cut.
const MAX_DETAIL_CHARS: usize = 500;

/// The format of times in the emails, local in the writer's zone.
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S %Z";

/// How the emails are written: for whom, in which zone and language.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    /// The sender's configuration: the administrators and the schedule.
    pub config: std::sync::Arc<SenderConfig>,
    /// The zone the times are shown in (the schedule's zone).
    pub zone: Tz,
    /// The language of the emails.
    pub language: Language,
}

/// An outbox entry: the mail's id and its stored form.
pub(crate) type Entry = (String, Vec<u8>);

impl Writer {
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
                     (CE, CR, soap:Client of HTTP 413): het bericht is niet verwerkt. Hetzelfde bericht \
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
                    "The receiver of destination {name} has rejected delivery {number} (CE, CR, \
                     soap:Client or HTTP 413): the message was not processed. Sending the same message \
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
        let at = self.config.schedule.escalate_at.format("%H:%M:%S");
        let zone = self.zone;
        // The night by its date when every delivery listed is of the same night; the
        // blocks below name each delivery's night or trigger anyway.
        let mut nights = undelivered.iter().map(|(d, _)| d.night);
        let first = nights.next().flatten();
        let night = first.filter(|_| nights.all(|n| n == first));
        let (subject, mut body) = match self.language {
            Language::Nl => (
                format!(
                    "lotgate: partijnummers niet afgeleverd aan {count} bestemming(en) ({date})"
                ),
                format!(
                    "Op de escalatietijd, {at} ({zone}), waren de partijnummers{} niet \
                     afgeleverd aan de volgende bestemming(en).\n\n",
                    night.map_or(String::new(), |n| format!(" van de nacht van {n}"))
                ),
            ),
            Language::En => (
                format!("lotgate: lot numbers not delivered to {count} destination(s) ({date})"),
                format!(
                    "At the escalation time, {at} ({zone}), the lot numbers{} had not been \
                     delivered to the following destination(s).\n\n",
                    night.map_or(String::new(), |n| format!(" of the night of {n}"))
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
    /// The report on a delivery that was acknowledged (`CA`), for a destination whose
    /// `reports` is `all`, in the destination's language. Id:
    /// `sender-delivered-{destination}-{delivery.id}`.
    pub fn delivered(
        &self,
        delivery: &Delivery,
        destination: &Destination,
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let writer = Writer {
            language: destination.language,
            ..self.clone()
        };
        let name = &destination.name;
        let number = delivery.id;
        let at = writer.local(delivery.finished_at.unwrap_or(now));
        let block = writer.delivery_block(delivery, destination);
        let (subject, body) = match writer.language {
            Language::Nl => (
                format!("lotgate: partijnummers afgeleverd aan {name}"),
                format!(
                    "De ontvanger van bestemming {name} heeft levering {number} bevestigd (CA) \
                     om {at}.\n\n{block}"
                ),
            ),
            Language::En => (
                format!("lotgate: lot numbers delivered to {name}"),
                format!(
                    "The receiver of destination {name} has acknowledged (CA) delivery {number} \
                     at {at}.\n\n{block}"
                ),
            ),
        };
        writer.entry(
            format!("sender-delivered-{name}-{number}"),
            subject,
            body,
            now,
        )
    }

    /// The daily digest of the deliveries to the destinations whose `reports` is
    /// `daily`, for `day`: one line per delivery in `rows` (destination, the delivery as
    /// the journal keeps it), and the destinations without one. Id:
    /// `sender-digest-{day}`.
    pub fn digest(
        &self,
        destinations: &[&Destination],
        rows: &[(String, crate::api::JournalDelivery)],
        day: chrono::NaiveDate,
        now: DateTime<Utc>,
    ) -> Vec<Entry> {
        let l = |nl: &'static str, en: &'static str| self.language.pick(nl, en);
        let subject = format!(
            "lotgate: {} {day}",
            l("overzicht van de leveringen van", "deliveries of")
        );
        let mut body = format!(
            "{}\n\n",
            l(
                "De leveringen aan de bestemmingen met reports = \"daily\" in de 24 uur tot nu:",
                "The deliveries to the destinations with reports = \"daily\" in the 24 hours until now:"
            )
        );
        for destination in destinations {
            let _ = writeln!(body, "{} ({})", destination.name, destination.url);
            let mine: Vec<&crate::api::JournalDelivery> = rows
                .iter()
                .filter(|(name, _)| name == &destination.name)
                .map(|(_, d)| d)
                .collect();
            if mine.is_empty() {
                let _ = writeln!(body, "  {}", l("geen levering", "no delivery"));
            }
            for d in mine {
                let last = d.attempts.last();
                let _ = writeln!(
                    body,
                    "  {} {} ({}): {}, {} {}{}",
                    l("levering", "delivery"),
                    d.delivery,
                    d.trigger.word(self.language),
                    d.state.word(self.language),
                    d.attempts.len(),
                    l("poging(en)", "attempt(s)"),
                    last.map_or(String::new(), |a| format!(
                        "; {}: {} {}",
                        l("laatste", "last"),
                        a.at,
                        a.outcome.word(self.language)
                    )),
                );
            }
        }
        self.entry(format!("sender-digest-{day}"), subject, body, now)
    }

    /// the last attempt that did not deliver and says something).
    fn delivery_block(&self, delivery: &Delivery, destination: &Destination) -> String {
        let label = |nl: &'static str, en: &'static str| self.language.pick(nl, en);
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
            trigger_view(delivery.trigger).word(self.language)
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
                let _ = writeln!(out, "{}: {} bytes", label("Grootte", "Size"), message.size);
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
        let state = state_view(delivery.state).word(self.language);
        let _ = writeln!(out, "{}: {state}", label("Status", "State"));
        if delivery.attempts.is_empty() {
            let _ = writeln!(out, "{}", label("Pogingen: nog geen", "Attempts: none yet"));
        } else {
            let _ = writeln!(out, "{}:", label("Pogingen", "Attempts"));
            for attempt in &delivery.attempts {
                let outcome = outcome_view(attempt.outcome, false).word(self.language);
                let detail = quote(attempt.detail.get(self.language));
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
            .find(|a| !a.detail.is_empty());
        if let Some(error) = last_error {
            let _ = writeln!(
                out,
                "{}: {}",
                label("Laatste fout", "Last error"),
                quote(error.detail.get(self.language))
            );
            if error.answer_lost && delivery.state != DeliveryState::Delivered {
                let _ = writeln!(
                    out,
                    "{}",
                    label(
                        "Let op: bij die poging is het antwoord verloren gegaan nadat het bericht \
                         was verstuurd. De ontvanger kan het bericht toch hebben verwerkt: vraag \
                         het de ontvanger na, of kijk wat een volgende poging zegt (een \
                         ontvanger die het verwerkte, antwoordt met zijn opgeslagen bevestiging).",
                        "Note: the answer to that attempt was lost after the message was sent. \
                         The receiver may have applied the message after all: ask the receiver, \
                         or see what a next attempt says (a receiver that applied it answers \
                         with the acknowledgement it stored)."
                    )
                );
            }
        }
        out
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
        outbox_entry(id, to, subject, body, now)
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
mod tests;
