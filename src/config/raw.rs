//! Stage one of configuration parsing: the file's shape, exactly as TOML gives it.
//!
//! Every key is optional here and every leaf keeps its TOML type (strings for durations,
//! times and addresses, `i64` for counts), so that the second stage (`build`) can say
//! precisely which key is missing or wrong and keep going to find the next problem.
//! `deny_unknown_fields` everywhere turns a misspelt key into an error instead of a
//! silently ignored setting.

use serde::Deserialize;

/// The sections, parents first, and whether each is an array of tables (`[[…]]`)
/// rather than a table (`[…]`).
pub(super) const SECTIONS: &[(&str, bool)] = &[
    ("gateway", false),
    ("admin", false),
    ("mail", false),
    ("mail.smtp", false),
    ("sender", false),
    ("sender.source", false),
    ("sender.tls", false),
    ("sender.destination", true),
    ("receiver", false),
    ("receiver.tls", false),
    ("receiver.tls.client", true),
];

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub gateway: Option<RawGateway>,
    pub admin: Option<RawAdmin>,
    pub mail: Option<RawMail>,
    pub sender: Option<RawSender>,
    pub receiver: Option<RawReceiver>,
}

/// `[gateway]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGateway {
    pub data_dir: Option<String>,
    pub time_zone: Option<String>,
    pub language: Option<String>,
    pub log: Option<String>,
    pub journal_retention: Option<String>,
    pub code_list: Option<String>,
}

/// `[admin]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAdmin {
    pub listen: Option<String>,
    pub token_file: Option<String>,
    pub insecure: Option<bool>,
}

/// `[mail]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMail {
    pub transport: Option<String>,
    pub from: Option<String>,
    pub file_dir: Option<String>,
    pub retry_max: Option<String>,
    pub refused_retry: Option<String>,
    pub give_up_after: Option<String>,
    pub pending_alarm: Option<String>,
    pub smtp: Option<RawSmtp>,
}

/// `[mail.smtp]`. There is deliberately no `password` key: see `document`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    pub timeout: Option<String>,
    pub roots: Option<Vec<String>>,
}

/// `[sender]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSender {
    pub enabled: Option<bool>,
    pub application_id: Option<String>,
    pub message_id_root: Option<String>,
    pub uzi_server_id: Option<String>,
    pub organization_ura: Option<String>,
    pub organization_name: Option<String>,
    pub administrators: Option<Vec<String>>,
    pub send_at: Option<String>,
    pub send_on_start: Option<bool>,
    pub retries: Option<i64>,
    pub interval: Option<String>,
    pub repeats: Option<i64>,
    pub pause: Option<String>,
    pub escalate_at: Option<String>,
    pub attempt_timeout: Option<String>,
    pub max_in_flight: Option<i64>,
    pub report_at: Option<String>,
    pub source: Option<RawSource>,
    pub tls: Option<RawSenderTls>,
    pub destination: Option<Vec<RawDestination>>,
}

/// `[sender.tls]`. There is deliberately no `private_key` key: keys live in files or
/// environment variables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSenderTls {
    pub certificate: Option<String>,
    pub private_key_file: Option<String>,
    pub private_key_env: Option<String>,
    pub roots: Option<Vec<String>>,
    pub expiry_warning: Option<String>,
}

/// `[sender.source]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub file: Option<String>,
    pub url: Option<String>,
    pub format: Option<String>,
    pub timeout: Option<String>,
}

/// One `[[sender.destination]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDestination {
    pub name: Option<String>,
    pub url: Option<String>,
    pub application_id: Option<String>,
    pub contact: Option<RawContact>,
    pub insecure: Option<bool>,
    pub reports: Option<String>,
    pub language: Option<String>,
}

/// `contact = { name = "…", email = "…" }` of a destination.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContact {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// `[receiver]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReceiver {
    pub enabled: Option<bool>,
    pub listen: Option<String>,
    pub insecure: Option<bool>,
    pub path: Option<String>,
    pub application_id: Option<String>,
    pub allowed_senders: Option<Vec<String>>,
    pub administrators: Option<Vec<String>>,
    pub jgz_contact: Option<String>,
    /// A size: `"8MiB"` or a plain number of bytes, hence any TOML value.
    pub max_body: Option<toml::Value>,
    pub max_depth: Option<i64>,
    pub header_timeout: Option<String>,
    pub body_timeout: Option<String>,
    pub max_connections: Option<i64>,
    pub max_connections_per_address: Option<i64>,
    pub expect_by: Option<String>,
    pub report_at: Option<String>,
    pub shrink_guard_fraction: Option<f64>,
    pub shrink_guard_min_lots: Option<i64>,
    pub duplicate_retention: Option<String>,
    pub history_limit: Option<i64>,
    pub tls: Option<RawReceiverTls>,
    pub sender: Option<Vec<RawPartner>>,
}

/// `[[receiver.sender]]`: a sending partner and its phase.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPartner {
    pub application_id: Option<String>,
    pub name: Option<String>,
    pub phase: Option<String>,
    pub contact: Option<Vec<String>>,
    pub language: Option<String>,
    pub reports: Option<String>,
}

/// `[receiver.tls]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReceiverTls {
    pub certificate: Option<String>,
    pub private_key_file: Option<String>,
    pub private_key_env: Option<String>,
    pub client_ca: Option<Vec<String>>,
    pub expiry_warning: Option<String>,
    pub client: Option<Vec<RawTlsClient>>,
}

/// One `[[receiver.tls.client]]`: a certificate identity and the sender application
/// ids it may use.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTlsClient {
    pub serial_number: Option<String>,
    pub common_name: Option<String>,
    pub dns_name: Option<String>,
    pub application_ids: Option<Vec<String>>,
}
