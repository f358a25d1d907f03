//! The configuration: one TOML file, read in two stages. Stage one (`raw`) is the
//! file's shape as serde sees it, with every key optional and unknown keys refused;
//! stage two (`build`) checks every value and turns it into the ready-to-use [`Config`]
//! below (durations, times of day, time zone, ids, resolved paths, socket addresses).
//!
//! Every problem names its full key path (`sender.destination[2].url`, indices from 0)
//! and its line, and all problems are reported at once in a [`ConfigError`].
//! Relative paths in the file are resolved against the directory of the file.
//! Nothing here touches the network or the clock; only [`Config::load`] reads the file
//! itself (files named in the configuration are not opened here).
//!
//! A value produced by [`Config::parse`] satisfies every rule documented on its fields;
//! the fields are public so that tests can adjust a parsed configuration (for example
//! listen on port 0), which bypasses those checks.

mod build;
mod document;
mod error;
mod raw;
mod summary;
mod values;

#[cfg(test)]
mod tests;

pub use error::{ConfigError, Problem};
pub use values::{Contact, EmailAddress, EmailAddressError};

use crate::ids::{ApplicationId, Oid};
use crate::language::Language;
use crate::message::Author;
use chrono::NaiveTime;
use chrono_tz::Tz;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A checked configuration, ready to use.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[gateway]`: process-wide settings.
    pub gateway: GatewayConfig,
    /// `[admin]`: the admin listener (one per process).
    pub admin: AdminConfig,
    /// `[mail]`: how alert emails leave the process.
    pub mail: MailConfig,
    /// `[sender]`, when that role is enabled.
    pub sender: Option<SenderConfig>,
    /// `[receiver]`, when that role is enabled.
    pub receiver: Option<ReceiverConfig>,
}

/// The two roles a process can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Delivers lot numbers to destinations.
    Sender,
    /// Accepts deliveries and serves lookups.
    Receiver,
}

impl Role {
    /// `sender` or `receiver`: the name of its config section and of its store directory.
    pub fn name(self) -> &'static str {
        match self {
            Role::Sender => "sender",
            Role::Receiver => "receiver",
        }
    }
}

/// `[gateway]`
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayConfig {
    /// Where state lives; each role has its own sled database below it (see [`Self::store_dir`]).
    pub data_dir: PathBuf,
    /// The zone for send times, escalation and watchdog times (IANA name).
    pub time_zone: Tz,
    /// Language of alert emails and acknowledgement texts.
    pub language: Language,
    /// A `tracing` filter such as `info` or `lotgate=debug,info`; checked to be valid.
    pub log: String,
    /// How long a journal entry is kept after it last changed (90 days).
    pub journal_retention: std::time::Duration,
    /// The release of the vaccine-type code list both roles use: W0422 as built in, or
    /// the one read from `gateway.code_list`.
    pub codes: std::sync::Arc<crate::vaccine::CodeList>,
}

impl GatewayConfig {
    /// The directory of `role`'s sled database: `<data_dir>/sender` or `<data_dir>/receiver`.
    pub fn store_dir(&self, role: Role) -> PathBuf {
        self.data_dir.join(role.name())
    }
}

/// `[admin]`: status, send-now, lookups, quarantine, health and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminConfig {
    /// Address to listen on. Not loopback only with `insecure` and a `token_file`.
    pub listen: SocketAddr,
    /// File holding the bearer token required for mutating calls from other hosts.
    pub token_file: Option<PathBuf>,
    /// Whether plain HTTP on a non-loopback address was explicitly allowed.
    pub insecure: bool,
}

/// `[mail]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// The sender address of every alert email.
    pub from: EmailAddress,
    /// How emails are delivered.
    pub transport: MailTransport,
    /// When alert emails are tried again, given up on, and raised.
    pub timing: MailTiming,
}

/// `[mail]`'s times: what happens to an alert email that cannot be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTiming {
    /// The longest wait between tries while the way out fails (the waits double from
    /// 1 s up to this); default 5 minutes.
    pub retry_max: Duration,
    /// The wait between tries while the mail server refuses us (a configuration
    /// problem: an address, a login, a relay rule); default 15 minutes.
    pub refused_retry: Duration,
    /// How long a mail the server refuses us for is tried before it goes to the dead
    /// letters; default 7 days.
    pub give_up_after: Duration,
    /// How long a mail may wait before the gateway reports itself degraded; default 15
    /// minutes.
    pub pending_alarm: Duration,
}

impl Default for MailTiming {
    fn default() -> Self {
        Self {
            retry_max: Duration::from_secs(5 * 60),
            refused_retry: Duration::from_secs(15 * 60),
            give_up_after: Duration::from_secs(7 * 86_400),
            pending_alarm: Duration::from_secs(15 * 60),
        }
    }
}

/// How alert emails are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// Each email is written as an `.eml` file into `dir` (local use and tests).
    File {
        /// The directory for `.eml` files.
        dir: PathBuf,
    },
    /// Emails go to an SMTP server.
    Smtp(SmtpConfig),
}

/// `[mail.smtp]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Server host name or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security; `Plain` only when `host` is loopback.
    pub security: SmtpSecurity,
    /// Login, if the server needs one.
    pub credentials: Option<SmtpCredentials>,
    /// Timeout of one SMTP conversation.
    pub timeout: Duration,
    /// PEM files with the CA certificates the SMTP server's certificate must chain to;
    /// empty: the system's roots.
    pub roots: Vec<PathBuf>,
}

/// Transport security towards the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (usually port 587); the default.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption: only allowed towards a loopback host.
    Plain,
}

/// SMTP login: a user name and where its password is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub username: String,
    /// Where to read the password (never the password itself).
    pub password: SecretSource,
}

/// Where a secret is kept. The configuration never holds the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Read the file (trailing line break removed).
    File(PathBuf),
    /// Read this environment variable.
    Env(String),
}

/// `[sender]`: the role that delivers lot numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct SenderConfig {
    /// Our AORTA application id (`sender/device/id`).
    pub application_id: ApplicationId,
    /// Root OID of the ids of our messages.
    pub message_id_root: Oid,
    /// UZI server number and organisation for the author device; both or neither.
    pub author: Author,
    /// Who receives rejection and escalation emails; never empty.
    pub administrators: Vec<EmailAddress>,
    /// When deliveries are attempted.
    pub schedule: ScheduleConfig,
    /// Also start a delivery right after start-up.
    pub send_on_start: bool,
    /// How many destinations are served at the same time (1-256).
    pub max_in_flight: usize,
    /// Where the current set of lots comes from.
    pub source: SourceConfig,
    /// Our client certificate and the roots receivers are verified against; required
    /// when a destination uses `https://`.
    pub tls: Option<SenderTls>,
    /// Where deliveries go; at least one, names unique.
    pub destinations: Vec<Destination>,
    /// Local time of the daily digest of deliveries (destinations with `reports =
    /// "daily"`).
    pub report_at: NaiveTime,
}

/// The nightly send time and the retry schedule (`docs/sender.md`, "The schedule").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// The zone the times of day are in (a copy of `gateway.time_zone`).
    pub time_zone: Tz,
    /// Local time of the nightly delivery.
    pub send_at: NaiveTime,
    /// Attempts after the first one in the first pattern, and in each repeat.
    pub retries: u32,
    /// Time between planned attempts within a pattern (at least 1 s).
    pub interval: Duration,
    /// How often the pattern of retries is repeated.
    pub repeats: u32,
    /// Time between the last attempt of a pattern and the first of the next (at least 1 s).
    pub pause: Duration,
    /// Local time at which undelivered destinations are escalated.
    pub escalate_at: NaiveTime,
    /// Limit on one attempt; always shorter than `interval`.
    pub attempt_timeout: Duration,
}

impl ScheduleConfig {
    /// The planned attempts of one delivery whose every attempt fails, as offsets from
    /// the first attempt, on the fixed grid: `retries` attempts `interval` apart after the
    /// first, then `repeats` times a pause followed by `retries` attempts. The defaults
    /// give 0, 10, 20, 30, 90, 100 and 110 minutes (02:00 … 03:50).
    pub fn attempt_offsets(&self) -> Vec<Duration> {
        let mut offsets = vec![Duration::ZERO];
        let mut at = Duration::ZERO;
        for pattern in 0..=self.repeats {
            for retry in 0..self.retries {
                at += if pattern > 0 && retry == 0 {
                    self.pause
                } else {
                    self.interval
                };
                offsets.push(at);
            }
        }
        offsets
    }
}

/// `[sender.source]`: where the inventory's current set is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceConfig {
    /// A file or a URL.
    pub location: SourceLocation,
    /// How the content is encoded.
    pub format: SourceFormat,
    /// Limit on fetching the URL (also applies to reading the file).
    pub timeout: Duration,
}

/// Where the source is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceLocation {
    /// A file the inventory system exports.
    File(PathBuf),
    /// An `http://` or `https://` URL without credentials.
    Url(String),
}

/// The encoding of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// A header line naming the columns `vaccine_code`, `lot_number`, optional
    /// `expiry_date` and `vaccine_name`, in any order, separated by `,` or `;` (see
    /// `sender::source`).
    Csv,
    /// `{"lots": [...]}` or a bare array of objects with the same fields.
    Json,
}

impl SourceFormat {
    /// `csv` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Csv => "csv",
            SourceFormat::Json => "json",
        }
    }
}

/// One `[[sender.destination]]`: a receiver we deliver to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Unique name of letters, digits, `_` and `-` (at most 64); used in logs, store and API.
    pub name: String,
    /// The receiver's endpoint, `http://` or `https://`, without credentials.
    pub url: String,
    /// The receiver's AORTA application id (`receiver/device/id`).
    pub application_id: ApplicationId,
    /// The JGZ organisation's contact person, named in escalation emails.
    pub contact: Contact,
    /// Whether plain `http://` to a host that is not loopback was explicitly allowed.
    pub insecure: bool,
    /// Which emails about its deliveries the administrators get beyond the rejection,
    /// escalation and resolution (`problems`): a report on each delivery (`all`), or
    /// its line in the daily digest at `sender.report_at` (`daily`).
    pub reports: Reports,
    /// The language of its delivery reports (`gateway.language` unless set).
    pub language: Language,
}

/// `[sender.tls]`: the certificate we present to receivers and whom we trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderTls {
    /// Our certificate (PEM), followed by any intermediates.
    pub certificate: PathBuf,
    /// Where our private key (PEM) is kept.
    pub private_key: SecretSource,
    /// PEM files with the CA certificates a receiver's certificate must chain to; never
    /// empty. The receiver's name is checked against the destination's host.
    pub roots: Vec<PathBuf>,
    /// How long before our certificate expires `/readyz` and an email warn.
    pub expiry_warning: Duration,
}

/// `[receiver.tls]`: two-way TLS on the exchange listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverTls {
    /// Our server certificate (PEM), followed by any intermediates.
    pub certificate: PathBuf,
    /// Where our private key (PEM) is kept.
    pub private_key: SecretSource,
    /// PEM files with the CA certificates a client certificate must chain to; never empty.
    pub client_ca: Vec<PathBuf>,
    /// Which certificate identities may deliver, and as which sender application ids;
    /// never empty.
    pub clients: Vec<TlsClient>,
    /// How long before our certificate expires `/readyz` and an email warn.
    pub expiry_warning: Duration,
}

/// One `[[receiver.tls.client]]`: a client certificate identity and the sender
/// application ids (all in `allowed_senders`) a message over it may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClient {
    /// How the certificate is recognised.
    pub identity: CertificateIdentity,
    /// The sender application ids it may use; never empty.
    pub application_ids: Vec<ApplicationId>,
}

/// A field of a client certificate that identifies its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateIdentity {
    /// The subject's serialNumber (2.5.4.5): the OIN or UZI number; compared exactly.
    SerialNumber(String),
    /// The subject's common name (CN); compared exactly.
    CommonName(String),
    /// A DNS name in the subject alternative names; compared without regard to case.
    DnsName(String),
}

impl CertificateIdentity {
    /// The value the certificate must carry.
    pub fn value(&self) -> &str {
        match self {
            CertificateIdentity::SerialNumber(s)
            | CertificateIdentity::CommonName(s)
            | CertificateIdentity::DnsName(s) => s,
        }
    }
}

impl std::fmt::Display for CertificateIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateIdentity::SerialNumber(s) => write!(f, "serialNumber={s}"),
            CertificateIdentity::CommonName(s) => write!(f, "CN={s}"),
            CertificateIdentity::DnsName(s) => write!(f, "DNS:{s}"),
        }
    }
}

/// `[receiver]`: the role that accepts deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverConfig {
    /// Address to listen on. Not loopback only with `tls` or `insecure`.
    pub listen: SocketAddr,
    /// Whether plain HTTP on a non-loopback address was explicitly allowed.
    pub insecure: bool,
    /// The HTTP path deliveries are posted to; starts with `/`.
    pub path: String,
    /// Our AORTA application id: messages must be addressed to it.
    pub application_id: ApplicationId,
    /// Sender application ids whose deliveries go to production: `allowed_senders` and
    /// every `[[receiver.sender]]` in phase `production`; never empty unless a partner is
    /// in its connect phase.
    pub allowed_senders: Vec<ApplicationId>,
    /// The sending partners named in `[[receiver.sender]]`, with their phase.
    pub partners: Vec<Partner>,
    /// Who receives quarantine and watchdog emails; never empty.
    pub administrators: Vec<EmailAddress>,
    /// The JGZ organisation's contact, also told when nothing arrived.
    pub jgz_contact: Option<EmailAddress>,
    /// Largest request body in bytes (1 KiB – 256 MiB).
    pub max_body: u64,
    /// Deepest XML nesting accepted (8-1024).
    pub max_depth: usize,
    /// Time allowed for a client to send the request headers.
    pub header_timeout: Duration,
    /// Time allowed for a client to send the request body.
    pub body_timeout: Duration,
    /// Most connections served at the same time.
    pub max_connections: usize,
    /// Most connections one client address may hold open at once (at most
    /// `max_connections`); more are closed as soon as they are accepted.
    pub max_connections_per_address: usize,
    /// Local time by which a set is expected each day (the watchdog).
    pub expect_by: NaiveTime,
    /// Local time of the daily digest of import reports (partners with `reports =
    /// "daily"`).
    pub report_at: NaiveTime,
    /// When a smaller set is quarantined instead of applied.
    pub shrink_guard: ShrinkGuard,
    /// How long message ids are remembered to recognise duplicates (at least 7 days).
    pub duplicate_retention: Duration,
    /// How many deliveries the history (import reports) keeps (1-100000).
    pub history_limit: usize,
    /// Two-way TLS on the exchange listener; without it the listener serves plain HTTP
    /// (loopback, or `insecure`).
    pub tls: Option<ReceiverTls>,
}

/// Where a sending partner stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// New: its deliveries run the whole pipeline and get the real acknowledgement, but
    /// go to a trial set of its own, never to the set in place.
    Connect,
    /// Its deliveries replace the set in place.
    Production,
}

impl Phase {
    /// `connect` or `production`, as configured.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Connect => "connect",
            Phase::Production => "production",
        }
    }
}

/// `[[receiver.sender]]`: a sending partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// Its AORTA application id.
    pub application_id: ApplicationId,
    /// Its name, for people.
    pub name: String,
    /// Connect or production.
    pub phase: Phase,
    /// Who at the partner is told about its deliveries.
    pub contact: Vec<EmailAddress>,
    /// The language of its reports (`gateway.language` unless set).
    pub language: Language,
    /// Which import reports its contact gets for its production deliveries.
    pub reports: Reports,
}

/// Which import reports a partner's contact gets for its production deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reports {
    /// None.
    None,
    /// One for each delivery with warnings (the default).
    Problems,
    /// One for each delivery.
    All,
    /// One digest a day, at `receiver.report_at`, of the deliveries since the one before.
    Daily,
}

impl Reports {
    /// The configured word: `none`, `problems`, `all` or `daily`.
    pub fn name(self) -> &'static str {
        match self {
            Reports::None => "none",
            Reports::Problems => "problems",
            Reports::All => "all",
            Reports::Daily => "daily",
        }
    }
}

impl ReceiverConfig {
    /// Every sender application id the exchange accepts: production and connect.
    pub fn accepted_senders(&self) -> Vec<ApplicationId> {
        let mut ids = self.allowed_senders.clone();
        for partner in &self.partners {
            if !ids.contains(&partner.application_id) {
                ids.push(partner.application_id.clone());
            }
        }
        ids
    }

    /// The partner with this application id, if `[[receiver.sender]]` names it.
    pub fn partner(&self, id: &ApplicationId) -> Option<&Partner> {
        self.partners.iter().find(|p| &p.application_id == id)
    }

    /// The partner in its connect phase with this application id, if any.
    pub fn connecting(&self, id: &ApplicationId) -> Option<&Partner> {
        self.partners
            .iter()
            .find(|p| p.phase == Phase::Connect && &p.application_id == id)
    }
}

/// The shrink guard: a new set with fewer than `fraction` × the current number of lots
/// is quarantined, provided the current set has at least `min_lots` lots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShrinkGuard {
    /// Between 0.0 (never quarantine) and 1.0 (quarantine any shrinking set).
    pub fraction: f64,
    /// Smaller current sets are never guarded.
    pub min_lots: usize,
}

impl Config {
    /// Reads and checks the configuration file at `path`; relative paths in it are
    /// resolved against the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(vec![Problem::new(
                "",
                format!("cannot read {}: {e}", path.display()),
            )])
            .in_file(path)
        })?;
        let base_dir = path.parent().unwrap_or(Path::new(""));
        Self::parse(&text, base_dir).map_err(|e| e.in_file(path))
    }

    /// Checks configuration text; relative paths in it are resolved against `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Config, ConfigError> {
        let document = document::Document::parse(text).map_err(|mut problems| {
            problems.dedup();
            ConfigError::new(problems)
        })?;
        let shape = document.shape();
        let mut problems = shape.problems;
        let built = shape
            .raw
            .map(|raw| build::build(&raw, base_dir))
            .unwrap_or(Err(Vec::new()));
        let config = match built {
            Ok(config) if problems.is_empty() => return Ok(config),
            Ok(_) => None,
            Err(more) => Some(more),
        };
        // A key taken out for being wrong would also be reported as missing: once is enough.
        // Likewise a refused `password` would make its `username` "a login without password".
        let mut removed = shape.removed;
        let usernames: Vec<String> = removed
            .iter()
            .filter_map(|r| r.strip_suffix(".password"))
            .map(|section| format!("{section}.username"))
            .collect();
        removed.extend(usernames);
        problems.extend(config.into_iter().flatten().filter(|p| {
            !removed.iter().any(|r| {
                p.key == *r
                    || p.key
                        .strip_prefix(r.as_str())
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
        }));
        for problem in &mut problems {
            if problem.line.is_none() && !problem.key.is_empty() {
                problem.line = document.line_of(&problem.key);
            }
        }
        // In file order; problems about the file as a whole last.
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(ConfigError::new(problems))
    }

    /// The enabled roles, sender first.
    pub fn roles(&self) -> Vec<Role> {
        let mut roles = Vec::new();
        if self.sender.is_some() {
            roles.push(Role::Sender);
        }
        if self.receiver.is_some() {
            roles.push(Role::Receiver);
        }
        roles
    }

    /// A short description for people (`lotgate check-config`): roles, addresses,
    /// destinations and schedule, one item per line.
    pub fn summary(&self) -> String {
        summary::summary(self)
    }
}

/// The largest code list file read.
const MAX_CODE_LIST_BYTES: u64 = 1024 * 1024;

/// Reads a release of the vaccine-type code list from `path` (CSV:
/// `code,name,valid_from`): `gateway.code_list`, and `lotgate validate --code-list`.
pub fn read_code_list(path: &std::path::Path) -> Result<crate::vaccine::CodeList, Vec<String>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CODE_LIST_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| vec![format!("cannot be read: {e}")])?;
    if bytes.len() as u64 > MAX_CODE_LIST_BYTES {
        return Err(vec![format!("larger than {MAX_CODE_LIST_BYTES} bytes")]);
    }
    let text = String::from_utf8(bytes).map_err(|_| vec!["is not UTF-8 text".to_owned()])?;
    crate::vaccine::CodeList::parse_csv(&path.display().to_string(), &text)
}
