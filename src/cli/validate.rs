//! `lotgate validate`: a message file checked offline as the receiver would, with a
//! report for people or programs, or the exact answer.

use super::Format;
use crate::ids::{ApplicationId, MessageId};
use crate::language::Language;
use crate::strings::hex;
use crate::timestamp::Timestamp;
use crate::validate::{self, Level, Options, Verdict};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// The largest message file `lotgate validate` reads.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

pub(super) fn validate_file(
    file: &Path,
    format: Format,
    receiver_id: Option<&str>,
    ack: bool,
    lang: Language,
    code_list: Option<&Path>,
) -> ExitCode {
    let receiver = match receiver_id.map(ApplicationId::parse).transpose() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("--receiver-id: {e}");
            return ExitCode::from(2);
        }
    };
    let input = match read_limited(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            let cannot = lang.pick("kan het bestand niet lezen", "cannot read");
            eprintln!("{}: {cannot}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let codes = match code_list.map(crate::config::read_code_list).transpose() {
        Ok(codes) => codes.map(std::sync::Arc::new),
        Err(problems) => {
            for problem in problems {
                eprintln!(
                    "--code-list {}: {problem}",
                    code_list.unwrap_or(file).display()
                );
            }
            return ExitCode::from(2);
        }
    };
    let options = Options {
        receiver: receiver.clone(),
        allow_bare: true,
        codes: codes.unwrap_or_else(crate::vaccine::CodeList::builtin),
        ..Options::default()
    };
    let outcome = validate::check(&input, &options);
    let verdict = outcome.verdict();
    if ack {
        let us = receiver
            .clone()
            .or_else(|| outcome.reply_to.as_ref().and_then(|r| r.receiver.clone()));
        let root = format!(
            "2.16.840.1.113883.2.4.6.6.{}.2",
            us.as_ref().map(ApplicationId::as_str).unwrap_or("0")
        );
        let digest = Sha256::digest(&input);
        let extension = format!("VALIDATE-{}", hex(&digest[..8]));
        let now = Timestamp::from_local(chrono::Local::now().naive_local());
        let answer = match MessageId::parse(&root, &extension) {
            Ok(id) => validate::answer(&outcome, id, now, us.as_ref(), lang),
            Err(e) => {
                eprintln!("cannot make an acknowledgement id: {e}");
                return ExitCode::from(2);
            }
        };
        print!("{}", answer.to_xml());
    } else {
        match format {
            Format::Json => {
                let mut json = outcome.report.to_json(lang);
                json["file"] = serde_json::Value::String(file.display().to_string());
                if let Some(message) = &outcome.message {
                    json["lots"] = serde_json::Value::from(message.lots.len());
                }
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                );
            }
            Format::Text => print!(
                "{}",
                text_report(&file.display().to_string(), &outcome, lang)
            ),
        }
    }
    ExitCode::from(verdict.exit_code())
}

/// The input: the file, or standard input for `-`. One byte over the limit is read, so
/// that the parser refuses it as too large.
fn read_limited(file: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(file)?
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// The report on one message for a terminal, headed by `label` (the file, or what the
/// message is): the verdict and what it means, then every problem.
pub(super) fn text_report(label: &str, outcome: &validate::Outcome, lang: Language) -> String {
    let report = &outcome.report;
    let verdict = outcome.verdict();
    let meaning = match (verdict, lang) {
        (Verdict::Accept, Language::Nl) => "zou worden geaccepteerd (CA)",
        (Verdict::Accept, Language::En) => "would be accepted (CA)",
        (Verdict::CommitError, Language::Nl) => "zou worden geweigerd: CE (inhoud)",
        (Verdict::CommitError, Language::En) => "would be refused: CE (content)",
        (Verdict::Reject, Language::Nl) => "zou worden geweigerd: CR (interactie of adressering)",
        (Verdict::Reject, Language::En) => "would be rejected: CR (interaction or addressing)",
        (Verdict::Fault, Language::Nl) => "zou een SOAP-fout krijgen (soap:Client)",
        (Verdict::Fault, Language::En) => "would get a SOAP fault (soap:Client)",
        (Verdict::Unusable, Language::Nl) => "is onbruikbaar als bericht",
        (Verdict::Unusable, Language::En) => "is unusable as a message",
    };
    let errors = report
        .issues()
        .iter()
        .filter(|i| i.level() != Level::Warning)
        .count();
    let warnings = report.issues().len() - errors;
    let mut out = format!("{label}: {} — {meaning}", verdict.name());
    if let Some(message) = &outcome.message {
        out.push_str(&match lang {
            Language::Nl => format!(", {} partijen", message.lots.len()),
            Language::En => format!(", {} lots", message.lots.len()),
        });
    }
    out.push_str(&match lang {
        Language::Nl => format!("\n{errors} fout(en), {warnings} waarschuwing(en)\n"),
        Language::En => format!("\n{errors} error(s), {warnings} warning(s)\n"),
    });
    for issue in report.issues() {
        let severity = match (issue.level(), lang) {
            (Level::Warning, Language::Nl) => "waarschuwing",
            (Level::Unusable, Language::Nl) => "onbruikbaar",
            (level, _) => validate::level_name(level),
        };
        out.push_str(&format!(
            "  {severity:<12} {:<22} {}\n               {}\n",
            issue.rule.id(),
            issue.location,
            issue.text(lang)
        ));
    }
    if report.dropped() > 0 {
        let dropped = report.dropped();
        out.push_str(&match lang {
            Language::Nl => format!("  … en nog {dropped}, niet getoond\n"),
            Language::En => format!("  … {dropped} more not shown\n"),
        });
    }
    out
}
