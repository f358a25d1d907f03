//! Validation reports: after every delivery of a partner in its connect phase, and after
//! every refused (`CE`, `CR`, quarantined) delivery of a partner in production, an email
//! to the partner's contact and the receiver's administrators, in the partner's language,
//! with the
//! assessment (positive: it would be accepted in production), every blocking error and
//! warning with its place, the counts per vaccine type, the difference against the
//! production set in place, and the acknowledgement (XML) and the report (JSON) attached.

use super::api::report_view;
use crate::api::{Assessment, ReportView, ValidationReport};
use crate::config::{Partner, Phase, ReceiverConfig, Reports};
use crate::ids::ApplicationId;
use crate::language::Language;
use crate::mail::{Attachment, outbox_entry_with};
use crate::store::ImportReport;
use crate::vaccine::{CodeList, Known};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// How many lots added and removed a validation report lists by number.
pub const LISTED_CHANGES: usize = 50;

/// What a validation report is about.
pub(super) struct Delivered<'a> {
    /// The sender.
    pub sender: &'a ApplicationId,
    /// The report on the delivery, its texts in the sender's language ([`language`]).
    pub report: &'a ImportReport,
    /// The acknowledgement as answered.
    pub acknowledgement: &'a str,
    /// Its type: `CA`, `CE` or `CR`.
    pub ack_type: &'a str,
    /// SHA-256 of the message's bytes: names the mail.
    pub sha256: &'a [u8; 32],
    /// The vaccine-type code list in force: the types' names.
    pub codes: &'a CodeList,
}

/// The language of `sender`'s reports: its own, or `gateway.language`.
pub(super) fn language(
    config: &ReceiverConfig,
    sender: &ApplicationId,
    gateway: Language,
) -> Language {
    config.partner(sender).map_or(gateway, |p| p.language)
}

/// The validation report on a delivery as an outbox entry, to the partner's contact and
/// the administrators, in `language`. None for a sender that is no `[[receiver.sender]]`
/// (named only in `allowed_senders`): reports are part of a partner's onboarding.
pub(super) fn validation(
    config: &ReceiverConfig,
    delivered: &Delivered<'_>,
    language: Language,
    now: DateTime<Utc>,
) -> Vec<(String, Vec<u8>)> {
    let Some(partner) = config.partner(delivered.sender) else {
        return Vec::new();
    };
    let phase = partner.phase;
    let assessment = if delivered.ack_type == "CA" {
        Assessment::Positive
    } else {
        Assessment::Negative
    };
    let view = report_view(delivered.report);
    let file = ValidationReport {
        sender: delivered.sender.as_str().to_owned(),
        name: partner.name.clone(),
        phase: phase.name().to_owned(),
        assessment,
        acknowledgement: delivered.ack_type.to_owned(),
        report: view.clone(),
    };
    let mut to: Vec<String> = partner.contact.iter().map(ToString::to_string).collect();
    to.extend(config.administrators.iter().map(ToString::to_string));
    let who = format!("{} ({})", partner.name, delivered.sender);
    let l = |nl, en| language.pick(nl, en);
    let verdict = match assessment {
        Assessment::Positive => l("positief", "positive"),
        Assessment::Negative => l("negatief", "negative"),
    };
    let subject = format!(
        "lotgate: {} {who}: {verdict} ({})",
        l("validatierapport", "validation report"),
        delivered.report.message_id
    );
    let body = body(&file, &view, &who, phase, delivered.codes, language);
    let attachments = vec![
        Attachment {
            name: "acknowledgement.xml".to_owned(),
            content_type: "text/xml; charset=utf-8".to_owned(),
            content: delivered.acknowledgement.to_owned(),
        },
        Attachment {
            name: "report.json".to_owned(),
            content_type: "application/json".to_owned(),
            // The API's types are strings, numbers and lists: always JSON.
            content: serde_json::to_string_pretty(&file).unwrap_or_default(),
        },
    ];
    let id = format!(
        "validation-{}-{}",
        delivered.sender,
        crate::strings::hex(&delivered.sha256[..8])
    );
    outbox_entry_with(id, to, subject, body, attachments, now)
}

/// The text of a validation report, in `language`.
fn body(
    file: &ValidationReport,
    view: &ReportView,
    who: &str,
    phase: Phase,
    codes: &CodeList,
    language: Language,
) -> String {
    let l = |nl, en| language.pick(nl, en);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {who} ({}).\n",
        l(
            "Validatierapport van een levering van",
            "Validation report on a delivery from"
        ),
        match phase {
            Phase::Connect => l(
                "koppelfase: de set gaat naar de proefset",
                "connect phase: the set goes to the trial set"
            ),
            Phase::Production => l("productie", "production"),
        }
    );
    let _ = writeln!(
        out,
        "{}: {}/{}",
        l("Bericht", "Message"),
        view.message_id.root,
        view.message_id.extension
    );
    let _ = writeln!(out, "{}: {}", l("Ontvangen", "Received"), view.received_at);
    let _ = writeln!(out, "{}: {}", l("Antwoord", "Answer"), file.acknowledgement);
    let _ = writeln!(
        out,
        "{}: {}\n",
        l("Beoordeling", "Assessment"),
        match file.assessment {
            Assessment::Positive => l(
                "POSITIEF — deze levering zou in productie worden geaccepteerd",
                "POSITIVE — this delivery would be accepted in production",
            ),
            Assessment::Negative => l(
                "NEGATIEF — deze levering zou in productie worden geweigerd",
                "NEGATIVE — this delivery would be refused in production",
            ),
        }
    );
    for (title, issues) in [
        (l("Blokkerende fouten", "Blocking errors"), &view.errors),
        (l("Waarschuwingen", "Warnings"), &view.warnings),
    ] {
        let _ = writeln!(out, "{title} ({}):", issues.len());
        for issue in issues {
            let _ = writeln!(
                out,
                "  - [{}] {} ({})",
                issue.code, issue.text, issue.location
            );
        }
        if issues.is_empty() {
            let _ = writeln!(out, "  {}", l("geen", "none"));
        }
        out.push('\n');
    }
    counts(&mut out, view, codes, language);
    let _ = writeln!(
        out,
        "\n{}:",
        l(
            "Verschil met de productieset in gebruik",
            "Difference against the production set in place"
        )
    );
    changes(&mut out, l("erbij", "added"), &view.added, language);
    changes(&mut out, l("eraf", "removed"), &view.removed, language);
    let _ = writeln!(
        out,
        "\n{}",
        l(
            "Bijlagen: de bevestiging (acknowledgement.xml) en dit rapport (report.json).",
            "Attached: the acknowledgement (acknowledgement.xml) and this report (report.json)."
        )
    );
    out
}

/// One side of the difference: the total and the first [`LISTED_CHANGES`] lot numbers.
fn changes(out: &mut String, what: &str, changes: &crate::api::ChangesView, language: Language) {
    let listed: Vec<&str> = changes
        .lots
        .iter()
        .take(LISTED_CHANGES)
        .map(String::as_str)
        .collect();
    let _ = write!(out, "  {what}: {}", changes.total);
    if !listed.is_empty() {
        let _ = write!(out, " — {}", listed.join(", "));
        if changes.total > listed.len() {
            let more = changes.total - listed.len();
            let _ = write!(
                out,
                "{}",
                language.pick(format!(" … en nog {more}"), format!(" … and {more} more"))
            );
        }
    }
    out.push('\n');
}

/// The import report on a production delivery that was applied, as an outbox entry for
/// the partner's contact — when its `reports` asks for one (`all`; `problems`: only with
/// warnings) and it has a contact.
pub(super) fn import(
    config: &ReceiverConfig,
    report: &ImportReport,
    sha256: &[u8; 32],
    codes: &CodeList,
    now: DateTime<Utc>,
) -> Vec<(String, Vec<u8>)> {
    let Some(partner) = report
        .sender
        .as_deref()
        .and_then(|s| ApplicationId::parse(s).ok())
        .and_then(|id| config.partner(&id).cloned())
    else {
        return Vec::new();
    };
    let wanted = match partner.reports {
        Reports::All => true,
        Reports::Problems => !report.warnings.is_empty(),
        Reports::None | Reports::Daily => false,
    };
    if !wanted || partner.contact.is_empty() || partner.phase != Phase::Production {
        return Vec::new();
    }
    let language = partner.language;
    let l = |nl, en| language.pick(nl, en);
    let view = report_view(report);
    let subject = format!(
        "lotgate: {} {} ({}): {} ({})",
        l("importrapport", "import report"),
        partner.name,
        partner.application_id,
        view.outcome_words(language),
        report.message_id
    );
    let mut body = String::new();
    let _ = writeln!(
        body,
        "{} {} ({}).\n",
        l(
            "Importrapport van een levering van",
            "Import report on a delivery from"
        ),
        partner.name,
        partner.application_id
    );
    delivery_section(&mut body, &view, codes, language);
    let to = partner.contact.iter().map(ToString::to_string).collect();
    let id = format!(
        "import-{}-{}",
        partner.application_id,
        crate::strings::hex(&sha256[..8])
    );
    outbox_entry_with(id, to, subject, body, Vec::new(), now)
}

/// The daily digest of `partner`'s import reports received in `[from, until)` (newest
/// first in `history`), as an outbox entry named after the `day` it is for; none when it
/// had no delivery then, or has no contact.
pub(super) fn digest(
    partner: &Partner,
    history: &[ImportReport],
    (from, until): (DateTime<Utc>, DateTime<Utc>),
    day: chrono::NaiveDate,
    codes: &CodeList,
) -> Option<(String, Vec<u8>)> {
    let id = partner.application_id.as_str();
    let mut reports: Vec<&ImportReport> = history
        .iter()
        .filter(|r| r.sender.as_deref() == Some(id))
        .filter(|r| r.received_at >= from && r.received_at < until)
        .collect();
    if reports.is_empty() || partner.contact.is_empty() {
        return None;
    }
    reports.reverse();
    let language = partner.language;
    let l = |nl, en| language.pick(nl, en);
    let subject = format!(
        "lotgate: {} {} ({}) {day}: {} {}",
        l("importrapporten", "import reports"),
        partner.name,
        id,
        reports.len(),
        match reports.len() {
            1 => l("levering", "delivery"),
            _ => l("leveringen", "deliveries"),
        },
    );
    let mut body = String::new();
    let _ = writeln!(
        body,
        "{} {} ({}), {} {} {} {}.\n",
        l("De leveringen van", "The deliveries from"),
        partner.name,
        id,
        l("ontvangen van", "received from"),
        crate::api::time(from),
        l("tot", "until"),
        crate::api::time(until),
    );
    for (n, report) in reports.iter().enumerate() {
        let _ = writeln!(body, "{}. {}", n + 1, report.message_id);
        delivery_section(&mut body, &report_view(report), codes, language);
        body.push('\n');
    }
    let to = partner.contact.iter().map(ToString::to_string).collect();
    let mail_id = format!("import-digest-{id}-{day}");
    outbox_entry_with(mail_id, to, subject, body, Vec::new(), until)
        .into_iter()
        .next()
}

/// One delivery in an import report: outcome, lots per vaccine type, lots added and
/// removed, warnings.
fn delivery_section(out: &mut String, view: &ReportView, codes: &CodeList, language: Language) {
    let l = |nl, en| language.pick(nl, en);
    let _ = writeln!(out, "{}: {}", l("Ontvangen", "Received"), view.received_at);
    let _ = writeln!(
        out,
        "{}: {}",
        l("Uitkomst", "Outcome"),
        view.outcome_words(language)
    );
    if let Some(version) = view.set_version {
        let _ = writeln!(out, "{}: {version}", l("Versie van de set", "Set version"));
    }
    counts(out, view, codes, language);
    changes(out, l("erbij", "added"), &view.added, language);
    changes(out, l("eraf", "removed"), &view.removed, language);
    let _ = writeln!(
        out,
        "{} ({}):",
        l("Waarschuwingen", "Warnings"),
        view.warnings.len()
    );
    for issue in &view.warnings {
        let _ = writeln!(
            out,
            "  - [{}] {} ({})",
            issue.code, issue.text, issue.location
        );
    }
}

/// The lots of a delivery per vaccine type, with the type's name in the release of the
/// code list in force.
fn counts(out: &mut String, view: &ReportView, codes: &CodeList, language: Language) {
    let _ = writeln!(
        out,
        "{} ({}):",
        language.pick(
            "Partijnummers per vaccinsoort",
            "Lot numbers per vaccine type"
        ),
        view.lots
    );
    for (code, count) in &view.per_vaccine {
        let name = match crate::vaccine::VaccineCode::parse(code).map(|c| codes.on(c, None)) {
            Ok(Known::Valid(name)) => name,
            _ => "",
        };
        let _ = writeln!(out, "  {code} {name}: {count}");
    }
}
