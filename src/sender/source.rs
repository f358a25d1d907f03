//! The source: where the sender reads the inventory's current set of lots — a CSV file
//! the inventory exports, or an HTTP URL answering JSON or CSV — and the checks that set
//! must pass before any message is built from it.
//!
//! A read ends in one of three ways, and the sender treats them differently (`docs/sender.md`,
//! "The source"):
//! - a [`Snapshot`]: the complete set, with the warnings that do not block it;
//! - [`SourceError::Unreadable`]: the bytes could not be had (missing file, timeout,
//!   HTTP error, too large, not UTF-8). Transient: the attempt fails and the schedule
//!   retries;
//! - [`SourceError::Invalid`]: the content breaks a rule the receiver would also apply
//!   (same rule codes as `lotgate validate`). The attempt fails and the administrators are
//!   alerted at once, with every problem and the row it is on.
//!
//! Never a partial set: one bad row refuses the whole source, because a receiver replaces
//! its whole set with what it gets. [`parse`] is pure; [`read`] adds the I/O. There is no
//! clock here: the caller passes today's date, used only to warn about expired lots.

mod delimited;
mod json;
mod rows;
mod set;

#[cfg(test)]
mod tests;

use super::net::{http_reason, read_limited, redact_url, status_line, timed_out};
use crate::config::{SourceConfig, SourceFormat, SourceLocation};
use crate::diagnostics::{Level, Report};
use crate::language::Language;
use crate::language::Text;
use crate::lot::LotSet;
use crate::vaccine::CodeList;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// The largest source read, in bytes (64 MiB, as for `lotgate validate`): about
/// a million lots in CSV, far more than any inventory holds.
pub const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;

/// The inventory's set as read once: what one night's deliveries are built from.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The lots: never empty, each lot number once.
    pub lots: LotSet,
    /// Problems that do not block the set (unknown but named vaccine codes, duplicate
    /// rows, expired lots); only warnings.
    pub warnings: Report,
    /// SHA-256 of the bytes read, to tell whether the inventory changed.
    pub source_digest: [u8; 32],
}

/// What a source is, as named in errors and emails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file, by its path as configured.
    File(PathBuf),
    /// A URL as shown to people: without user info, and with its query (which may carry
    /// a token) left out.
    Url(String),
    /// Bytes handed to [`parse`] directly.
    Data,
}

impl Origin {
    /// The origin of a configured source.
    pub fn of(location: &SourceLocation) -> Self {
        match location {
            SourceLocation::File(path) => Origin::File(path.clone()),
            SourceLocation::Url(url) => Origin::Url(redact_url(url)),
        }
    }

    /// "file examples/inventory.csv", "URL https://…", in the given language.
    pub fn describe(&self, language: Language) -> String {
        match (self, language) {
            (Origin::File(path), Language::Nl) => format!("bestand {}", path.display()),
            (Origin::File(path), Language::En) => format!("file {}", path.display()),
            (Origin::Url(url), _) => format!("URL {url}"),
            (Origin::Data, Language::Nl) => "gegevens".to_owned(),
            (Origin::Data, Language::En) => "data".to_owned(),
        }
    }
}

/// Why no snapshot could be made.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceError {
    /// The source could not be read. Transient: retried on the schedule.
    Unreadable {
        /// The source.
        origin: Origin,
        /// What went wrong, for people (the system's or the server's words quoted).
        reason: Text,
    },
    /// The content breaks rules (the report also holds the warnings). Not transient:
    /// reading it again gives the same answer until the inventory fixes it.
    Invalid {
        /// The source.
        origin: Origin,
        /// Every problem found, errors and warnings, in row order.
        report: Report,
    },
}

/// The most issues [`SourceError::text`] lists; the report holds them all.
const LISTED_ISSUES: usize = 50;

impl SourceError {
    /// Whether retrying may help: `true` for an unreadable source, `false` for invalid
    /// content (which calls for an alert at once).
    pub fn is_transient(&self) -> bool {
        matches!(self, SourceError::Unreadable { .. })
    }

    /// The source the error is about.
    pub fn origin(&self) -> &Origin {
        match self {
            SourceError::Unreadable { origin, .. } | SourceError::Invalid { origin, .. } => origin,
        }
    }

    /// The problems in invalid content.
    pub fn report(&self) -> Option<&Report> {
        match self {
            SourceError::Invalid { report, .. } => Some(report),
            SourceError::Unreadable { .. } => None,
        }
    }

    /// A text for people (an alert email, a log line): what, which source, and for
    /// invalid content each problem with its rule code and row, at most 50 of them.
    pub fn text(&self, language: Language) -> String {
        let origin = self.origin().describe(language);
        let (report, mut out) = match (self, language) {
            (SourceError::Unreadable { reason, .. }, Language::Nl) => {
                let reason = reason.get(language);
                return format!("de voorraadbron ({origin}) is niet te lezen: {reason}");
            }
            (SourceError::Unreadable { reason, .. }, Language::En) => {
                let reason = reason.get(language);
                return format!("the inventory source ({origin}) cannot be read: {reason}");
            }
            (SourceError::Invalid { report, .. }, _) => (report, String::new()),
        };
        let errors = report
            .issues()
            .iter()
            .filter(|i| i.level() != Level::Warning);
        let errors = errors.count();
        let warnings = report.issues().len() - errors;
        out.push_str(&match language {
            Language::Nl => format!(
                "de voorraadbron ({origin}) is ongeldig: {errors} fout(en), {warnings} \
                 waarschuwing(en); er is geen bericht van gemaakt"
            ),
            Language::En => format!(
                "the inventory source ({origin}) is invalid: {errors} error(s), {warnings} \
                 warning(s); no message was built from it"
            ),
        });
        for issue in report.issues().iter().take(LISTED_ISSUES) {
            let warning = match (issue.level(), language) {
                (Level::Warning, Language::Nl) => "waarschuwing ",
                (Level::Warning, Language::En) => "warning ",
                _ => "",
            };
            out.push_str(&format!(
                "\n  {warning}[{}] {}",
                issue.rule.id(),
                issue.text(language)
            ));
        }
        let more = report.issues().len().saturating_sub(LISTED_ISSUES) + report.dropped();
        if more > 0 {
            out.push_str(&match language {
                Language::Nl => format!("\n  … en nog {more}"),
                Language::En => format!("\n  … and {more} more"),
            });
        }
        out
    }

    /// The same error about another origin ([`parse`] does not know where its bytes
    /// came from; [`read`] does).
    fn with_origin(self, origin: Origin) -> Self {
        match self {
            SourceError::Unreadable { reason, .. } => SourceError::Unreadable { origin, reason },
            SourceError::Invalid { report, .. } => SourceError::Invalid { origin, report },
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Language::En))
    }
}

impl std::error::Error for SourceError {}

/// Reads the configured source, within `config.timeout`, and checks it against the code
/// list in force. `today` is the caller's local date: lots that have expired and codes
/// not yet valid are warned about.
pub async fn read(
    config: &SourceConfig,
    today: NaiveDate,
    codes: &CodeList,
) -> Result<Snapshot, SourceError> {
    let origin = Origin::of(&config.location);
    let fetch = async {
        match &config.location {
            SourceLocation::File(path) => read_file(path).await,
            SourceLocation::Url(url) => fetch_url(url, config.timeout).await,
        }
    };
    let unreadable = |reason| SourceError::Unreadable {
        origin: origin.clone(),
        reason,
    };
    let bytes = match tokio::time::timeout(config.timeout, fetch).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(reason)) => return Err(unreadable(reason)),
        Err(_) => return Err(unreadable(timed_out(config.timeout))),
    };
    parse(&bytes, config.format, today, codes).map_err(|e| e.with_origin(origin))
}

/// Checks a source's bytes: UTF-8 (a byte-order mark is allowed), then the format, then
/// every row and the set as a whole. Pure. Errors name their origin [`Origin::Data`]:
/// only [`read`] knows the file or URL.
pub fn parse(
    bytes: &[u8],
    format: SourceFormat,
    today: NaiveDate,
    codes: &CodeList,
) -> Result<Snapshot, SourceError> {
    let source_digest: [u8; 32] = Sha256::digest(bytes).into();
    let text = std::str::from_utf8(bytes).map_err(|e| SourceError::Unreadable {
        origin: Origin::Data,
        reason: not_utf8(bytes, &e),
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut report = Report::new();
    let rows = if text.trim().is_empty() {
        // An empty export is an empty list, whatever its format would have been.
        Some(Vec::new())
    } else {
        match format {
            SourceFormat::Csv => delimited::rows(text, &mut report),
            SourceFormat::Json => json::rows(text, &mut report),
        }
    };
    let lots = rows.and_then(|rows| set::check(rows, today, codes, &mut report));
    match lots {
        Some(lots) if !report.has(Level::Error) => Ok(Snapshot {
            lots,
            warnings: report,
            source_digest,
        }),
        _ => Err(SourceError::Invalid {
            origin: Origin::Data,
            report,
        }),
    }
}

/// Where the bytes stop being UTF-8, for a person who has to fix the export.
fn not_utf8(bytes: &[u8], e: &std::str::Utf8Error) -> Text {
    let at = e.valid_up_to();
    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
    let byte = bytes[at];
    Text::new(
        format!(
            "de inhoud is geen UTF-8 (byte 0x{byte:02X} op positie {at}, regel {line}); \
             exporteer als UTF-8"
        ),
        format!(
            "the content is not UTF-8 (byte 0x{byte:02X} at offset {at}, line {line}); \
             export it as UTF-8"
        ),
    )
}

fn too_large() -> Text {
    let mib = MAX_SOURCE_BYTES / (1024 * 1024);
    Text::new(
        format!("de bron is groter dan {mib} MiB, het meeste dat een bron mag zijn"),
        format!("it is larger than {mib} MiB, the most a source may be"),
    )
}

/// Our words for a failed file operation, with the system's after them.
fn file_error(nl: &str, en: &str, e: &std::io::Error) -> Text {
    Text::new(format!("{nl}: {e}"), format!("{en}: {e}"))
}

async fn read_file(path: &Path) -> Result<Vec<u8>, Text> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| file_error("kan het niet openen", "cannot open it", &e))?;
    let metadata = file.metadata().await.map_err(|e| {
        file_error(
            "kan de metagegevens niet lezen",
            "cannot read its metadata",
            &e,
        )
    })?;
    if metadata.is_dir() {
        return Err(Text::new(
            "het is een map, geen bestand",
            "it is a directory, not a file",
        ));
    }
    if metadata.len() > MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    // The file may grow while it is read: the limit holds for what is read, too.
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| file_error("kan het niet lezen", "cannot read it", &e))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// GETs the URL. The content type is not trusted: the format comes from the
/// configuration. Any status but 2xx (after redirects) makes the source unreadable.
async fn fetch_url(url: &str, timeout: Duration) -> Result<Vec<u8>, Text> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("lotgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| http_reason(&e, timeout))?;
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| http_reason(&e, timeout))?;
    let status = response.status();
    if !status.is_success() {
        let line = status_line(status.as_u16());
        return Err(Text::new(
            format!("de server antwoordde {line}"),
            format!("the server answered {line}"),
        ));
    }
    read_limited(&mut response, MAX_SOURCE_BYTES, timeout)
        .await
        .map_err(|e| e.unwrap_or_else(too_large))
}
