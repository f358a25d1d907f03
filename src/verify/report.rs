//! What `lotgate verify` leaves behind: `report.json` (every check with id, description,
//! verdict and evidence), `report.md` (the self-declaration) and `evidence/` (every
//! request and answer byte for byte, with their headers; their SHA-256 in the report).

use super::probe::Exchange;
use super::run::{Found, Plan};
use super::{CHECKS, Finding, Mode, Verdict};
use crate::language::Language;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// The lotgate version that ran the checks.
    pub lotgate_version: String,
    /// When the run began (RFC 3339, UTC).
    pub date: String,
    /// `connect` or `safe`.
    pub mode: Mode,
    /// Us: the sender.
    pub sender: Party,
    /// The receiver under test.
    pub receiver: Party,
    /// The endpoint, without secrets.
    pub endpoint: String,
    /// What the receiver was left with (connect mode).
    pub data_left: Option<String>,
    /// How many checks came to each verdict.
    pub summary: Summary,
    /// Every check, in the catalogue's order.
    pub checks: Vec<CheckReport>,
}

/// One party of the exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// For people: the organisation, or the destination's name.
    pub name: String,
    /// The AORTA application id.
    pub application_id: String,
}

/// How many checks came to each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// Not run.
    pub skip: usize,
}

/// One check in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Its id.
    pub id: String,
    /// One line.
    pub description: String,
    /// `pass`, `fail`, `warn` or `skip`.
    pub verdict: Verdict,
    /// What was seen (or why it did not run).
    pub evidence: String,
    /// The evidence files of its exchanges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<EvidenceFile>,
}

/// One file in `evidence/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// Its path in the report directory, e.g. `evidence/05-delivery.accepted-request.xml`.
    pub path: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its size.
    pub bytes: usize,
}

impl VerifyReport {
    /// Whether no check failed (warnings and skips allowed).
    pub fn passed(&self) -> bool {
        self.summary.fail == 0
    }
}

/// The report of a run, and the evidence files to write with it (path in the report
/// directory, bytes). Pure.
pub fn assemble(
    plan: &Plan<'_>,
    found: Found,
    started: chrono::DateTime<chrono::Utc>,
) -> (VerifyReport, Vec<(String, Vec<u8>)>) {
    let language = plan.language;
    let mut files = Vec::new();
    let mut per_check: std::collections::BTreeMap<&str, Vec<EvidenceFile>> = Default::default();
    for (n, (id, exchange)) in found.exchanges.iter().enumerate() {
        for (suffix, bytes) in exchange_files(exchange, language) {
            let path = format!("evidence/{:02}-{id}-{suffix}", n + 1);
            per_check.entry(id).or_default().push(EvidenceFile {
                path: path.clone(),
                sha256: crate::strings::hex(&Sha256::digest(&bytes)),
                bytes: bytes.len(),
            });
            files.push((path, bytes));
        }
    }
    let mut summary = Summary::default();
    let checks: Vec<CheckReport> = CHECKS
        .iter()
        .map(|check| {
            let finding = found.findings.get(check.id).cloned().unwrap_or_else(|| {
                Finding::skip(if plan.mode == Mode::Safe && !check.safe {
                    language.pick(
                        "niet in --mode safe: deze controle verandert gegevens bij de ontvanger",
                        "not in --mode safe: this check changes data at the receiver",
                    )
                } else {
                    language.pick(
                        "niet uitgevoerd: een eerdere stap mislukte",
                        "not run: an earlier step failed",
                    )
                })
            });
            match finding.verdict {
                Verdict::Pass => summary.pass += 1,
                Verdict::Fail => summary.fail += 1,
                Verdict::Warn => summary.warn += 1,
                Verdict::Skip => summary.skip += 1,
            }
            CheckReport {
                id: check.id.to_owned(),
                description: check.description(language).to_owned(),
                verdict: finding.verdict,
                evidence: finding.evidence,
                files: per_check.remove(check.id).unwrap_or_default(),
            }
        })
        .collect();
    let author = &plan.sender.author;
    let sender = Party {
        name: match &author.organization {
            Some(organization) => organization
                .name
                .clone()
                .unwrap_or_else(|| format!("URA {}", organization.ura)),
            None => language.pick("afzender", "sender").to_owned(),
        },
        application_id: plan.sender.application_id.to_string(),
    };
    let report = VerifyReport {
        lotgate_version: env!("CARGO_PKG_VERSION").to_owned(),
        date: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        mode: plan.mode,
        sender,
        receiver: Party {
            name: plan.destination.name.clone(),
            application_id: plan.destination.application_id.to_string(),
        },
        endpoint: crate::sender::net::redact_url(&plan.destination.url),
        data_left: found.data_left,
        summary,
        checks,
    };
    (report, files)
}

/// An exchange's evidence files: the request's headers and body, the answer's headers
/// and body (or why none came).
fn exchange_files(exchange: &Exchange, language: Language) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![
        (
            "request-headers.txt",
            exchange.request_head.clone().into_bytes(),
        ),
        ("request.xml", exchange.request.clone()),
    ];
    match &exchange.answer {
        Ok(answer) => {
            files.push(("answer-headers.txt", answer.head.clone().into_bytes()));
            files.push(("answer.xml", answer.body.clone()));
        }
        Err(reason) => {
            files.push(("no-answer.txt", reason.get(language).as_bytes().to_vec()));
        }
    }
    files
}

/// `report.md`: the self-declaration. Pure.
pub fn markdown(report: &VerifyReport, language: Language) -> String {
    let l = |nl: &'static str, en: &'static str| language.pick(nl, en);
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', "<br>");
    let mut out = String::new();
    out.push_str(&format!(
        "# {} — {}\n\n",
        l(
            "Zelfverklaring lotgate verify",
            "Self-declaration lotgate verify"
        ),
        report.receiver.name
    ));
    out.push_str("| | |\n|---|---|\n");
    let rows = [
        (
            l("Afzender", "Sender"),
            format!("{} ({})", report.sender.name, report.sender.application_id),
        ),
        (
            l("Ontvanger", "Receiver"),
            format!(
                "{} ({})",
                report.receiver.name, report.receiver.application_id
            ),
        ),
        (l("Eindpunt", "Endpoint"), report.endpoint.clone()),
        (l("Datum", "Date"), report.date.clone()),
        (
            l("lotgate-versie", "lotgate version"),
            report.lotgate_version.clone(),
        ),
        (
            l("Modus", "Mode"),
            match report.mode {
                Mode::Connect => "connect".to_owned(),
                Mode::Safe => "safe".to_owned(),
            },
        ),
        (
            l("Uitkomst", "Result"),
            format!(
                "{}: {} pass, {} warn, {} fail, {} skip",
                if report.passed() {
                    l("GESLAAGD", "PASSED")
                } else {
                    l("NIET GESLAAGD", "FAILED")
                },
                report.summary.pass,
                report.summary.warn,
                report.summary.fail,
                report.summary.skip
            ),
        ),
    ];
    for (name, value) in rows {
        out.push_str(&format!("| {name} | {} |\n", cell(&value)));
    }
    if let Some(left) = &report.data_left {
        out.push_str(&format!(
            "\n{}: {left}\n",
            l(
                "Gegevens bij de ontvanger na afloop",
                "Data at the receiver afterwards"
            )
        ));
    }
    out.push_str(&format!(
        "\n## {}\n\n| {} | {} | {} | {} |\n|---|---|---|---|\n",
        l("Controles", "Checks"),
        l("Controle", "Check"),
        l("Uitkomst", "Verdict"),
        l("Omschrijving", "Description"),
        l("Bewijs", "Evidence")
    ));
    for check in &report.checks {
        let mut evidence = cell(&check.evidence);
        for file in &check.files {
            evidence.push_str(&format!("<br>`{}` SHA-256 `{}`", file.path, file.sha256));
        }
        out.push_str(&format!(
            "| `{}` | **{}** | {} | {evidence} |\n",
            check.id,
            check.verdict.as_str(),
            cell(&check.description)
        ));
    }
    out.push_str(&format!(
        "\n## {}\n\n{}\n\n{}: ______________________  {}: ____________\n",
        l("Verklaring", "Declaration"),
        l(
            "Wij verklaren dat de controles hierboven met de genoemde lotgate-versie tegen het \
             genoemde eindpunt zijn uitgevoerd op de genoemde datum, en dat evidence/ de \
             verzonden en ontvangen bytes ongewijzigd bevat.",
            "We declare that the checks above were run with the lotgate version named \
             against the endpoint named on the date named, and that evidence/ holds the \
             bytes sent and received unchanged."
        ),
        l("Naam en handtekening", "Name and signature"),
        l("Datum", "Date")
    ));
    out
}

/// Writes the report into `dir`: `report.json`, `report.md` and the evidence files.
/// Refuses a directory that already holds a report.
pub fn write(
    dir: &Path,
    report: &VerifyReport,
    files: &[(String, Vec<u8>)],
    language: Language,
) -> Result<(), String> {
    let fail = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    if dir.join("report.json").exists() {
        return Err(format!(
            "{}: {}",
            dir.display(),
            language.pick(
                "bevat al een rapport; kies een andere map met --report",
                "already holds a report; choose another directory with --report"
            )
        ));
    }
    let evidence = dir.join("evidence");
    std::fs::create_dir_all(&evidence).map_err(|e| fail(&evidence, e))?;
    for (path, bytes) in files {
        let path = dir.join(path);
        std::fs::write(&path, bytes).map_err(|e| fail(&path, e))?;
    }
    let json = serde_json::to_vec_pretty(report).map_err(|e| e.to_string())?;
    let md = dir.join("report.md");
    std::fs::write(&md, markdown(report, language)).map_err(|e| fail(&md, e))?;
    let path = dir.join("report.json");
    std::fs::write(&path, json).map_err(|e| fail(&path, e))?;
    Ok(())
}
