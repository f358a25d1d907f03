//! Stage two of configuration parsing: from the raw file to a checked [`Config`],
//! collecting every problem instead of stopping at the first.
//!
//! Each section is built on its own. A value that is wrong is reported and replaced by
//! its default so the remaining checks (including cross-checks) can still run; the
//! result is only returned when nothing was reported. Each default is written next to
//! the check of its key (and in `config.toml` and `docs/configuration.md`).

mod checker;
mod roles;
mod tls;

use checker::Checker;

use super::error::Problem;
use super::raw::{RawAdmin, RawConfig, RawGateway, RawMail, RawSmtp};
use super::values;
use super::{
    AdminConfig, Config, GatewayConfig, MailConfig, MailTiming, MailTransport, SmtpConfig,
    SmtpCredentials, SmtpSecurity,
};
use crate::language::Language;
use crate::vaccine::CodeList;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DEFAULT_DATA_DIR: &str = "./data";
const DEFAULT_TIME_ZONE: &str = "Europe/Amsterdam";
const DEFAULT_LOG: &str = "info";
const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:8081";
const DEFAULT_RECEIVER_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_SMTP_TIMEOUT: &str = "30s";

/// Builds the configuration, or returns every problem found.
pub(super) fn build(raw: &RawConfig, base_dir: &Path) -> Result<Config, Vec<Problem>> {
    let mut c = Checker::new(base_dir);
    let gateway = gateway(
        &mut c,
        raw.gateway.as_ref().unwrap_or(&RawGateway::default()),
    );
    let admin = admin(&mut c, raw.admin.as_ref().unwrap_or(&RawAdmin::default()));
    let mail = mail(&mut c, raw.mail.as_ref(), &gateway.data_dir);
    let sender = raw
        .sender
        .as_ref()
        .filter(|s| s.enabled != Some(false))
        .and_then(|s| roles::sender(&mut c, s, gateway.time_zone, gateway.language));
    let raw_receiver = raw.receiver.as_ref().filter(|r| r.enabled != Some(false));
    // Checked apart from the rest of the section so the clash check below also runs
    // when something else in [receiver] is wrong.
    let receiver_listen = raw_receiver.map(|r| {
        let insecure = r.insecure.unwrap_or(false);
        c.listen(
            "receiver",
            r.listen.as_deref(),
            DEFAULT_RECEIVER_LISTEN,
            r.tls.is_some(),
            insecure,
        )
    });
    let receiver = raw_receiver
        .zip(receiver_listen)
        .and_then(|(r, listen)| roles::receiver(&mut c, r, listen, gateway.language));

    let sender_on = raw
        .sender
        .as_ref()
        .is_some_and(|s| s.enabled != Some(false));
    if !sender_on && raw_receiver.is_none() {
        c.err(
            "",
            "no role is enabled: add a [sender] or [receiver] section (without `enabled = false`)",
        );
    }
    if let Some(listen) = receiver_listen
        && clash(listen, admin.listen)
    {
        c.err(
            "receiver.listen",
            format!(
                "{listen} overlaps admin.listen ({}); the receiver and the admin listener need \
                 different addresses",
                admin.listen
            ),
        );
    }
    match (c.is_clean(), mail) {
        (true, Some(mail)) => Ok(Config {
            gateway,
            admin,
            mail,
            sender,
            receiver,
        }),
        _ => Err(c.into_problems()),
    }
}

/// Whether two listen addresses would compete for the same port (port 0 never does).
fn clash(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0
        && a.port() == b.port()
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn gateway(c: &mut Checker, raw: &RawGateway) -> GatewayConfig {
    let data_dir = c.path(
        "gateway.data_dir",
        raw.data_dir.as_deref().or(Some(DEFAULT_DATA_DIR)),
    );
    let zone = raw.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE);
    let time_zone = zone.parse().unwrap_or_else(|_| {
        c.err(
            "gateway.time_zone",
            format!("{zone:?} is not an IANA time zone; expected e.g. \"Europe/Amsterdam\""),
        );
        chrono_tz::Europe::Amsterdam
    });
    let language = c.language("gateway.language", raw.language.as_deref(), Language::Nl);
    let log = raw.log.clone().unwrap_or_else(|| DEFAULT_LOG.to_owned());
    if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&log) {
        c.err(
            "gateway.log",
            format!(
                "{log:?} is not a tracing filter ({e}); expected e.g. \"info\" or \
                 \"lotgate=debug,info\""
            ),
        );
    }
    // At least a day: the status page's 30 nights and the last delivery come from it.
    let journal_retention = c.duration(
        "gateway.journal_retention",
        raw.journal_retention.as_deref(),
        "90d",
        86_400,
    );
    let codes = match c.path("gateway.code_list", raw.code_list.as_deref()) {
        None => CodeList::builtin(),
        Some(path) => super::read_code_list(&path)
            .map(Arc::new)
            .unwrap_or_else(|problems| {
                for problem in problems {
                    c.err(
                        "gateway.code_list",
                        format!("{}: {problem}", path.display()),
                    );
                }
                CodeList::builtin()
            }),
    };
    GatewayConfig {
        data_dir: data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        time_zone,
        language,
        log,
        journal_retention,
        codes,
    }
}

fn admin(c: &mut Checker, raw: &RawAdmin) -> AdminConfig {
    let insecure = raw.insecure.unwrap_or(false);
    let listen = c.listen(
        "admin",
        raw.listen.as_deref(),
        DEFAULT_ADMIN_LISTEN,
        false,
        insecure,
    );
    let token_file = raw
        .token_file
        .as_deref()
        .and_then(|f| c.path("admin.token_file", Some(f)));
    if !listen.ip().is_loopback() && token_file.is_none() {
        c.err(
            "admin.token_file",
            format!(
                "required because admin.listen ({listen}) is not a loopback address: name a \
                 file holding the bearer token for send-now, quarantine and other changes"
            ),
        );
    }
    AdminConfig {
        listen,
        token_file,
        insecure,
    }
}

fn mail(c: &mut Checker, raw: Option<&RawMail>, data_dir: &Path) -> Option<MailConfig> {
    let default = RawMail::default();
    let raw = raw.unwrap_or(&default);
    let from = match raw.from.as_deref() {
        Some(f) => c.email("mail.from", f),
        None => {
            c.err(
                "mail.from",
                "required: the sender address of alert emails, e.g. \"lotgate@example.org\" \
                 (every role emails its administrators)",
            );
            None
        }
    };
    let file_dir = match raw.file_dir.as_deref() {
        Some(dir) => c.path("mail.file_dir", Some(dir)),
        None => Some(data_dir.join("mail")),
    };
    // An [mail.smtp] section is checked even while the file transport is in use, so a
    // switch to SMTP does not bring up new errors.
    let smtp = raw.smtp.as_ref().and_then(|s| smtp(c, s));
    let transport = match raw.transport.as_deref().unwrap_or("file") {
        "file" => file_dir.map(|dir| MailTransport::File { dir }),
        "smtp" => {
            if raw.smtp.is_none() {
                c.err(
                    "mail.smtp",
                    "required when mail.transport = \"smtp\": add a [mail.smtp] section \
                     with at least `host`",
                );
            }
            smtp.map(MailTransport::Smtp)
        }
        other => {
            c.err(
                "mail.transport",
                format!("{other:?} is not a mail transport; expected \"file\" or \"smtp\""),
            );
            None
        }
    };
    let timing = MailTiming {
        retry_max: c.duration("mail.retry_max", raw.retry_max.as_deref(), "5m", 1),
        refused_retry: c.duration("mail.refused_retry", raw.refused_retry.as_deref(), "15m", 1),
        give_up_after: c.duration("mail.give_up_after", raw.give_up_after.as_deref(), "7d", 60),
        pending_alarm: c.duration("mail.pending_alarm", raw.pending_alarm.as_deref(), "15m", 1),
    };
    if timing.refused_retry > timing.give_up_after {
        c.err(
            "mail.refused_retry",
            "is longer than mail.give_up_after: a refused mail would be given up on before \
             its second try",
        );
    }
    Some(MailConfig {
        from: from?,
        transport: transport?,
        timing,
    })
}

fn smtp(c: &mut Checker, raw: &RawSmtp) -> Option<SmtpConfig> {
    let host = match raw.host.as_deref().map(str::trim) {
        None | Some("") => {
            c.err(
                "mail.smtp.host",
                "required: the SMTP server's host name or IP address",
            );
            None
        }
        Some(h) if h.contains("://") || h.contains(char::is_whitespace) || h.contains('/') => {
            c.err(
                "mail.smtp.host",
                format!(
                    "{h:?} is not a host name; give only the name, e.g. \
                     \"smtp.example.org\" (the port goes in `port`)"
                ),
            );
            None
        }
        Some(h) => Some(h.to_owned()),
    };
    let security = match raw.security.as_deref().unwrap_or("starttls") {
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        "plain" => SmtpSecurity::Plain,
        other => {
            c.err(
                "mail.smtp.security",
                format!(
                    "{other:?} is not a security mode; expected \"starttls\", \"tls\" or \"plain\""
                ),
            );
            SmtpSecurity::StartTls
        }
    };
    if let Some(h) = &host
        && security == SmtpSecurity::Plain
        && !values::is_loopback_host(h)
    {
        c.err(
            "mail.smtp.security",
            format!(
                "\"plain\" sends mail unencrypted and is only allowed to a loopback \
                 host (127.x.x.x, ::1, localhost), not to {h:?}; use \"starttls\" or \
                 \"tls\""
            ),
        );
    }
    let default_port = match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::Plain => 25,
    };
    let port = c.int("mail.smtp.port", raw.port, default_port, 1..=65535);
    let timeout = c.duration(
        "mail.smtp.timeout",
        raw.timeout.as_deref(),
        DEFAULT_SMTP_TIMEOUT,
        1,
    );
    let password = c.secret(
        "mail.smtp",
        "password",
        raw.password_file.as_deref(),
        raw.password_env.as_deref(),
    );
    let credentials = match (raw.username.as_deref(), password) {
        (Some(u), Some(password)) if !u.is_empty() => Some(SmtpCredentials {
            username: u.to_owned(),
            password,
        }),
        (Some(_), None) if raw.password_file.is_none() && raw.password_env.is_none() => {
            c.err(
                "mail.smtp.username",
                "a login needs a password: set password_file or password_env as well",
            );
            None
        }
        (None, Some(_)) => {
            c.err(
                "mail.smtp.username",
                "required when password_file or password_env is set",
            );
            None
        }
        (Some(""), _) => {
            c.err("mail.smtp.username", "must not be empty");
            None
        }
        _ => None,
    };
    Some(SmtpConfig {
        host: host?,
        port: u16::try_from(port).ok()?,
        security,
        credentials,
        timeout,
        roots: c.paths("mail.smtp.roots", raw.roots.as_deref(), None),
    })
}
