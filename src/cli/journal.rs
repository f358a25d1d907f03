//! `lotgate journal [--kind K] [--destination NAME] [--since DATE] …` and `lotgate
//! journal show ID [--message | --answer [--attempt N]]`: what both roles exchanged and
//! which changes administrators made, from the running gateway's journal. `--message`
//! and `--answer` write the exact bytes kept to standard output, so that
//! `lotgate journal show s7 --message | lotgate validate -` checks a message again.

use super::client::{Admin, Answer, print_answer, print_json};
use super::{JournalAction, JournalArgs};
use crate::api::{EntryKind, JournalEntryView, JournalPage, OutcomeView, StateView};
use crate::http::percent_encode;
use crate::language::Language;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn journal(path: &Path, args: &JournalArgs, action: Option<&JournalAction>) -> ExitCode {
    let admin = match Admin::new(path, "journal") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    match action {
        None => list(&admin, args),
        Some(JournalAction::Show {
            id,
            message,
            answer,
            attempt,
            json,
        }) => show(&admin, id, *message, *answer, *attempt, *json),
    }
}

fn list(admin: &Admin, args: &JournalArgs) -> ExitCode {
    let mut query = Vec::new();
    let mut add = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            query.push(format!("{key}={}", percent_encode(&value)));
        }
    };
    add("kind", args.kind.map(|k| k.name().to_owned()));
    add("destination", args.destination.clone());
    add("since", args.since.clone());
    add("until", args.until.clone());
    add("outcome", args.outcome.clone());
    add("message_id", args.message_id.clone());
    add("limit", args.limit.map(|l| l.to_string()));
    add("cursor", args.cursor.clone());
    let path = if query.is_empty() {
        "/api/v1/journal".to_owned()
    } else {
        format!("/api/v1/journal?{}", query.join("&"))
    };
    match admin.get::<JournalPage>(&path) {
        Ok(Answer::Ok(page)) if !args.json => {
            print!("{}", page_text(&page, admin.language));
            ExitCode::SUCCESS
        }
        Ok(answer) => print_answer(answer),
        Err(code) => code,
    }
}

fn show(
    admin: &Admin,
    id: &str,
    message: bool,
    answer: bool,
    attempt: Option<u32>,
    json: bool,
) -> ExitCode {
    let id = percent_encode(id);
    if message || answer {
        let path = match (message, attempt) {
            (true, _) => format!("/api/v1/journal/{id}/message"),
            (false, None) => format!("/api/v1/journal/{id}/answer"),
            (false, Some(n)) => format!("/api/v1/journal/{id}/answer?attempt={n}"),
        };
        return match admin.call(reqwest::Method::GET, &path) {
            Ok((status, bytes)) if status.is_success() => {
                let mut out = std::io::stdout().lock();
                match out.write_all(&bytes).and_then(|()| out.flush()) {
                    Ok(()) => ExitCode::SUCCESS,
                    // A closed pipe (`| head`) is not our failure.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("lotgate journal: {e}");
                        ExitCode::from(2)
                    }
                }
            }
            Ok((status, body)) => print_json(status, &String::from_utf8_lossy(&body)),
            Err(code) => code,
        };
    }
    match admin.get::<JournalEntryView>(&format!("/api/v1/journal/{id}")) {
        Ok(Answer::Ok(entry)) if !json => {
            print!("{}", entry_text(&entry, admin.language));
            ExitCode::SUCCESS
        }
        Ok(answer) => print_answer(answer),
        Err(code) => code,
    }
}

/// A kind in words.
fn kind_word(kind: EntryKind, language: Language) -> &'static str {
    match kind {
        EntryKind::Delivery => language.pick("levering", "delivery"),
        EntryKind::Received => language.pick("ontvangen", "received"),
        EntryKind::Audit => language.pick("wijziging", "change"),
    }
}

/// An entry's outcome in words: a delivery's state, an acknowledgement's type code, a
/// refusal, a change's result.
fn outcome_word(entry: &JournalEntryView, language: Language) -> String {
    let l = |nl: &str, en: &str| language.pick(nl, en).to_owned();
    if let Some(delivery) = &entry.delivery {
        return delivery.state.word(language).to_owned();
    }
    match entry.outcome.as_str() {
        "ca" | "ce" | "cr" => entry.outcome.to_uppercase(),
        "fault" => l("SOAP-fout", "SOAP fault"),
        "too_large" => l("te groot", "too large"),
        "timeout" => l("te traag", "too slow"),
        "broken" => l("onleesbaar", "unreadable"),
        "refused" => l("geweigerd", "refused"),
        "ok" => l("uitgevoerd", "done"),
        "failed" => l("mislukt", "failed"),
        other => other.to_owned(),
    }
}

/// One line per entry, then how to get the next page.
fn page_text(page: &JournalPage, language: Language) -> String {
    let mut out = String::new();
    if page.entries.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            language.pick(
                "Het journaal heeft niets dat past.",
                "Nothing in the journal matches."
            )
        );
    }
    for entry in &page.entries {
        let what = match (&entry.delivery, &entry.received, &entry.audit) {
            (Some(d), _, _) => format!(
                "{} {} ({}, {} {})",
                entry.destination.as_deref().unwrap_or("?"),
                language.pick("levering", "delivery"),
                d.delivery,
                d.attempts.len(),
                language.pick("poging(en)", "attempt(s)")
            ),
            (_, Some(r), _) if r.count > 1 => format!(
                "{} ×{}, {} {}",
                language.pick("geteld", "counted"),
                r.count,
                language.pick("laatst van", "last from"),
                r.client
            ),
            (_, Some(r), _) => format!("{} {}", language.pick("van", "from"), r.client),
            (_, _, Some(a)) => {
                let arguments: Vec<String> = a
                    .arguments
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                format!("{} {}", a.action, arguments.join(" "))
                    .trim_end()
                    .to_owned()
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<6} {}  {:<10} {:<12} {}{}",
            entry.id,
            entry.at,
            kind_word(entry.kind, language),
            outcome_word(entry, language),
            what,
            entry
                .message_id
                .as_deref()
                .map(|m| format!("  {m}"))
                .unwrap_or_default()
        );
    }
    if let Some(cursor) = &page.next_cursor {
        let _ = writeln!(
            out,
            "{}: lotgate journal --cursor {cursor}",
            language.pick("Meer", "More")
        );
    }
    out
}

/// An entry whole, for a terminal.
fn entry_text(entry: &JournalEntryView, language: Language) -> String {
    let l = |nl: &'static str, en: &'static str| language.pick(nl, en);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}): {}",
        entry.id,
        kind_word(entry.kind, language),
        entry.at,
        outcome_word(entry, language)
    );
    if let Some(id) = &entry.message_id {
        let _ = writeln!(out, "  {}: {id}", l("bericht", "message"));
    }
    if let Some(d) = &entry.delivery {
        let _ = writeln!(
            out,
            "  {} {} {} {}, {} {}",
            l("levering", "delivery"),
            d.delivery,
            l("aan", "to"),
            entry.destination.as_deref().unwrap_or("?"),
            d.trigger.word(language),
            d.night.as_deref().unwrap_or("")
        );
        if let Some(m) = &d.message {
            let _ = writeln!(
                out,
                "  {} {}, {} {}, {} bytes, SHA-256 {}",
                l("aangemaakt", "created"),
                m.created,
                m.lots,
                l("partijnummers", "lot numbers"),
                m.bytes,
                m.sha256
            );
        }
        for a in &d.attempts {
            let status = a
                .http_status
                .map(|s| format!(" HTTP {s}"))
                .unwrap_or_default();
            let took = a
                .duration_ms
                .map(|ms| format!(" ({ms} ms)"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {} {}: {}{status}{took}",
                l("poging", "attempt"),
                a.number,
                a.at,
                a.outcome.word(language)
            );
            for line in a.detail.lines().filter(|l| !l.trim().is_empty()) {
                let _ = writeln!(out, "    {}", line.trim());
            }
        }
        if d.state == StateView::Pending
            && d.attempts
                .last()
                .is_some_and(|a| a.outcome == OutcomeView::InFlight)
        {
            let _ = writeln!(out, "  {}", l("een poging loopt", "an attempt is running"));
        }
    }
    if let Some(r) = &entry.received {
        let _ = writeln!(out, "  {} {}", l("van", "from"), r.client);
        if let Some(identity) = &r.tls_identity {
            let _ = writeln!(out, "  {}: {identity}", l("certificaat", "certificate"));
        }
        if let Some(sender) = &r.sender {
            let _ = writeln!(out, "  {}: {sender}", l("verzender", "sender"));
        }
        if let Some(created) = &r.created {
            let _ = writeln!(out, "  {}: {created}", l("aangemaakt", "created"));
        }
        if r.count > 1 {
            let _ = writeln!(
                out,
                "  {} {} {}",
                r.count,
                l("keer tot", "times until"),
                entry.last_at
            );
        }
        if r.replayed {
            let _ = writeln!(
                out,
                "  {}",
                l(
                    "hetzelfde bericht als eerder: het opgeslagen antwoord is herhaald",
                    "the same message as before: the stored answer was sent again"
                )
            );
        }
        if let Some(detail) = &r.detail {
            let _ = writeln!(out, "  {detail}");
        }
    }
    if let Some(a) = &entry.audit {
        let arguments: Vec<String> = a
            .arguments
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(
            out,
            "  {} {} {} {}: HTTP {} ({})",
            a.action,
            arguments.join(" "),
            l("van", "from"),
            a.client,
            a.status,
            if a.token_presented {
                l("met token", "with token")
            } else {
                l("zonder token", "without token")
            }
        );
    }
    for body in &entry.bodies {
        let (name, flag) = match body.name.as_str() {
            "message" => (l("bericht", "message").to_owned(), "--message".to_owned()),
            "answer" => (l("antwoord", "answer").to_owned(), "--answer".to_owned()),
            name => {
                let n = name.trim_start_matches("answer ");
                (
                    format!("{} {n}", l("antwoord op poging", "answer to attempt")),
                    format!("--answer --attempt {n}"),
                )
            }
        };
        let _ = writeln!(
            out,
            "  {name} ({} bytes{}): lotgate journal show {} {flag}",
            body.bytes,
            if body.clipped {
                l(", het eerste deel bewaard", ", the first part kept")
            } else {
                ""
            },
            entry.id
        );
    }
    out
}
