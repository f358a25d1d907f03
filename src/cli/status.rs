//! `lotgate status [--json]`: both roles as they stand — the sender's deliveries, the
//! receiver's set, its staleness, watchdog and quarantine, and the alert emails — read
//! from the overview (`GET /api/v1/overview`).

use super::client::{Admin, Answer, print_json};
use crate::api::{Assessment, Overview, ReceiverOverview};
use crate::language::Language;
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn status(path: &Path, as_json: bool) -> ExitCode {
    let admin = match Admin::new(path, "status") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let overview = match admin.get::<Overview>("/api/v1/overview") {
        Ok(Answer::Ok(overview)) => overview,
        Ok(Answer::Failed(status, body)) => return print_json(status, &body),
        Err(code) => return code,
    };
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&overview).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    print!("{}", text(&overview, admin.language));
    ExitCode::SUCCESS
}

/// The overview as text for a terminal, in `language`: the sender's block, the
/// receiver's, and the mail when any waits or was given up on.
fn text(overview: &Overview, language: Language) -> String {
    let mut blocks = Vec::new();
    if let Some(sender) = &overview.sender {
        blocks.push(crate::sender::status::text(&sender.status(), language));
    }
    if let Some(receiver) = &overview.receiver {
        blocks.push(receiver_text(receiver, language));
    }
    if !overview.mail.is_empty() {
        blocks.push(overview.mail.text(false, language));
    }
    blocks.join("\n")
}

/// The receiver's part: the set in place with its counts per vaccine type, whether it is
/// stale, the watchdog, the last import report, the sending partners with their phase and
/// last assessment, and the quarantine with the commands that settle it.
fn receiver_text(receiver: &ReceiverOverview, language: Language) -> String {
    let l = |nl, en| language.pick(nl, en);
    let mut out = String::new();
    let _ = writeln!(out, "{}", l("ontvanger", "receiver"));
    match &receiver.set.set {
        Some(set) => {
            let _ = writeln!(
                out,
                "  {} {}: {} {}/{}, {} {}, {} {}, {} {}",
                l("set in gebruik, versie", "set in place, version"),
                receiver.set.set_version,
                l("bericht", "message"),
                set.message_id.root,
                set.message_id.extension,
                l("aangemaakt", "created"),
                set.created,
                l("toegepast", "applied"),
                set.applied_at,
                set.lots,
                l("partijnummers", "lot numbers"),
            );
            let counts: Vec<String> = set
                .per_vaccine
                .iter()
                .map(|(code, n)| format!("{code}: {n}"))
                .collect();
            let _ = writeln!(
                out,
                "  {} {}",
                l("per vaccinsoort:", "per vaccine type:"),
                counts.join(", ")
            );
        }
        None => {
            let _ = writeln!(out, "  {}", l("nog geen set", "no set yet"));
        }
    }
    match (&receiver.set.stale, &receiver.set.stale_reason) {
        (true, Some(reason)) => {
            let _ = writeln!(out, "  {}: {reason}", l("VEROUDERD", "STALE"));
        }
        (true, None) => {
            let _ = writeln!(out, "  {}", l("VEROUDERD", "STALE"));
        }
        (false, _) => {
            let _ = writeln!(out, "  {}", l("actueel", "up to date"));
        }
    }
    let watchdog = &receiver.watchdog;
    let _ = writeln!(
        out,
        "  {} {}; {} {}{}",
        l(
            "een set wordt elke dag verwacht vóór",
            "a set is expected every day by"
        ),
        watchdog.expect_by,
        l("volgende controle", "next check"),
        watchdog.next_check,
        match (&watchdog.alert_open, &watchdog.last_alert) {
            (true, Some(date)) =>
                format!("; {} {date}", l("waarschuwing open van", "alert open of")),
            (true, None) => format!("; {}", l("waarschuwing open", "alert open")),
            (false, _) => String::new(),
        }
    );
    if let Some(report) = receiver.recent.first() {
        let _ = writeln!(
            out,
            "  {} {} {}/{} ({}): {}, {} {}",
            l("laatste levering", "last delivery"),
            report.received_at,
            report.message_id.root,
            report.message_id.extension,
            report.lots,
            report.outcome_words(language),
            report.warnings.len(),
            l("waarschuwingen", "warnings"),
        );
    }
    if receiver.quarantine.is_empty() {
        let _ = writeln!(out, "  {}", l("quarantaine: leeg", "quarantine: empty"));
    }
    for partner in &receiver.partners {
        let phase = match partner.phase.as_str() {
            "connect" => l("koppelfase", "connect phase"),
            _ => l("productie", "production"),
        };
        let last = match (&partner.assessment, &partner.last) {
            (Some(assessment), Some(last)) => format!(
                "{} {}: {}, {}",
                l("laatste levering", "last delivery"),
                last.received_at,
                last.outcome_words(language),
                match assessment {
                    Assessment::Positive => l("beoordeling positief", "assessment positive"),
                    Assessment::Negative => l("beoordeling negatief", "assessment negative"),
                }
            ),
            _ => l("nog geen levering", "no delivery yet").to_owned(),
        };
        let _ = writeln!(
            out,
            "  {} {} ({}): {phase}; {last}",
            l("partij", "partner"),
            partner.sender,
            partner.name
        );
    }
    for q in &receiver.quarantine {
        let _ = writeln!(
            out,
            "  {} {}: {}/{}, {} {}, {} {}: {}",
            l("in quarantaine", "quarantined"),
            q.id,
            q.message_id.root,
            q.message_id.extension,
            q.lots,
            l("partijnummers", "lot numbers"),
            l("ontvangen", "received"),
            q.received_at,
            q.reason
        );
        let _ = writeln!(
            out,
            "    lotgate quarantine accept {id}   |   lotgate quarantine discard {id}",
            id = q.id
        );
    }
    out
}
