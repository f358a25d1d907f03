//! Reloading the configuration while the gateway runs (`SIGHUP`, `POST /api/v1/reload`,
//! `lotgate reload`): the file is read and checked again, and so are the certificate,
//! key and root files it names, the mail transport and the admin token. Only when every
//! one of them is usable is anything replaced; a reload that fails any check changes
//! nothing and says why.
//!
//! What changes takes effect for the work that starts after it: the next TLS handshake,
//! request, delivery attempt, mail pass and certificate check. Connections, requests and
//! attempts under way finish with what they started with. Keys that cannot change while
//! running keep their running values and are reported as needing a restart ([`merge`]).

mod merge;

pub use merge::{Merged, merge};

use crate::api::ReloadAnswer;
use crate::certificates::Watched;
use crate::config::{Config, MailTiming};
use crate::language::Language;
use crate::live::Live;
use crate::mail::{self, RetryPolicy, Transport};
use crate::receiver::Receiver;
use crate::sender::{self, Sender};
use crate::tls::OwnCertificate;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Notify;

/// Sets the log filter of the running process (a `tracing` filter such as `info`).
pub type LogFilter = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Everything a reload may replace, shared with the parts that read it.
#[derive(Clone)]
pub struct Parts {
    /// The receiver, when it runs.
    pub receiver: Option<Receiver>,
    /// The exchange listener's TLS configuration, when it has TLS.
    pub receiver_tls: Option<Live<crate::tls::ServerConfig>>,
    /// The sender, when it runs.
    pub sender: Option<Sender>,
    /// How mails leave (`[mail]`).
    pub mail: Live<mail::Route>,
    /// When a waiting mail makes the gateway degraded (`[mail]`'s timing).
    pub mail_timing: Live<MailTiming>,
    /// Each mail worker's wake-up: after a reload they try what waits at once.
    pub mail_wakes: Vec<Arc<Notify>>,
    /// The admin token (`admin.token_file`).
    pub token: Live<Option<String>>,
    /// Our certificates, watched for expiry.
    pub certificates: Live<Vec<Watched>>,
    /// Makes the certificate watch check at once.
    pub recheck: Arc<Notify>,
    /// The process's log filter, when this process set one up.
    pub log: Option<LogFilter>,
}

/// Reloads the configuration, one reload at a time.
pub struct Reloader {
    /// The configuration file; `None` for a gateway started from a configuration in
    /// memory (tests, benchmarks), which cannot be reloaded.
    file: Option<PathBuf>,
    /// What runs now; held for the whole of a reload.
    running: tokio::sync::Mutex<Config>,
    parts: Parts,
    language: Language,
}

/// What a reload prepared: every file read, every client and transport built, nothing
/// in place yet.
struct Prepared {
    merged: Merged,
    receiver_tls: Option<(Arc<crate::tls::ServerConfig>, OwnCertificate)>,
    sender_net: Option<sender::Net>,
    transport: Transport,
    token: Option<String>,
}

impl Reloader {
    /// A reloader of `running`, read from `file`.
    pub fn new(file: Option<PathBuf>, running: Config, parts: Parts) -> Self {
        Self {
            file,
            language: running.gateway.language,
            running: tokio::sync::Mutex::new(running),
            parts,
        }
    }

    /// Reads the configuration file again and takes what may change while running; on
    /// any problem, changes nothing. The answer says which, and is logged.
    pub async fn reload(&self) -> ReloadAnswer {
        let mut running = self.running.lock().await;
        let Some(file) = self.file.clone() else {
            let problem = "this gateway was started without a configuration file".to_owned();
            return self.refused(String::new(), vec![problem]);
        };
        let shown = file.display().to_string();
        let read = {
            let file = file.clone();
            tokio::task::spawn_blocking(move || Config::load(&file)).await
        };
        let read = match read {
            Ok(Ok(read)) => read,
            Ok(Err(e)) => {
                let problems = e.to_string().lines().map(str::to_owned).collect();
                return self.refused(shown, problems);
            }
            Err(e) => return self.refused(shown, vec![format!("reading failed: {e}")]),
        };
        let merged = merge(&running, read);
        let prepared = match tokio::task::spawn_blocking(move || prepare(merged)).await {
            Ok(Ok(prepared)) => prepared,
            Ok(Err(problems)) => return self.refused(shown, problems),
            Err(e) => return self.refused(shown, vec![format!("checking failed: {e}")]),
        };
        let answer = self.answer(shown, &prepared.merged);
        *running = self.apply(prepared);
        tracing::info!(
            "configuration reloaded from {}: applied: {}; needs a restart: {}",
            answer.file,
            list(&answer.applied),
            list(&answer.needs_restart)
        );
        answer
    }

    /// Puts everything prepared in place; nothing here can fail.
    fn apply(&self, prepared: Prepared) -> Config {
        let Prepared {
            merged,
            receiver_tls,
            sender_net,
            transport,
            token,
        } = prepared;
        let config = merged.config;
        let parts = &self.parts;
        let mut receiver_own = None;
        if let (Some(live), Some((server, own))) = (&parts.receiver_tls, receiver_tls) {
            live.set(server);
            receiver_own = Some(own);
        }
        if let (Some(receiver), Some(receiver_config)) = (&parts.receiver, &config.receiver) {
            receiver.reconfigure(receiver_config.clone());
        }
        if let (Some(sender), Some(sender_config), Some(net)) =
            (&parts.sender, &config.sender, sender_net)
        {
            sender.reconfigure(sender_config.clone(), net);
        }
        parts.mail.set(mail::Route {
            transport,
            from: config.mail.from.clone(),
            policy: RetryPolicy::from(&config.mail.timing),
        });
        parts.mail_timing.set(config.mail.timing);
        parts.token.set(token);
        parts.certificates.set(watched(
            &config,
            parts.receiver.as_ref().zip(receiver_own),
            parts.sender.as_ref(),
        ));
        parts.recheck.notify_one();
        if let Some(log) = &parts.log
            && let Err(e) = log(&config.gateway.log)
        {
            tracing::warn!("gateway.log: the log filter stays as it was: {e}");
        }
        for wake in &parts.mail_wakes {
            wake.notify_one();
        }
        config
    }

    fn answer(&self, file: String, merged: &Merged) -> ReloadAnswer {
        let (applied, restart) = (merged.applied.len(), merged.restart.len());
        let message = match self.language {
            Language::Nl => format!(
                "configuratie opnieuw geladen: {applied} sleutel(s) gewijzigd, certificaten, \
                 sleutels en roots opnieuw gelezen; {restart} wijziging(en) wachten op een herstart"
            ),
            Language::En => format!(
                "configuration reloaded: {applied} key(s) changed, certificates, keys and roots \
                 read again; {restart} change(s) wait for a restart"
            ),
        };
        ReloadAnswer {
            reloaded: true,
            file,
            applied: merged.applied.clone(),
            needs_restart: merged.restart.clone(),
            problems: Vec::new(),
            message,
        }
    }

    fn refused(&self, file: String, problems: Vec<String>) -> ReloadAnswer {
        tracing::error!("reload refused, nothing changed: {}", problems.join("; "));
        let message = match self.language {
            Language::Nl => "herladen geweigerd: er is niets gewijzigd".to_owned(),
            Language::En => "reload refused: nothing was changed".to_owned(),
        };
        ReloadAnswer {
            reloaded: false,
            file,
            applied: Vec::new(),
            needs_restart: Vec::new(),
            problems,
            message,
        }
    }
}

/// Reads every file the merged configuration names and builds what it needs (blocking).
fn prepare(merged: Merged) -> Result<Prepared, Vec<String>> {
    let config = &merged.config;
    // Every TLS problem at once, as `check-config` lists them; the TLS parts are built
    // only from files that passed.
    let mut problems: Vec<String> = match crate::tls::check(config) {
        Ok(_) => Vec::new(),
        Err(tls) => tls.iter().map(ToString::to_string).collect(),
    };
    let tls_usable = problems.is_empty();
    let receiver_tls = match config.receiver.as_ref().and_then(|r| r.tls.as_ref()) {
        Some(tls) if tls_usable => crate::tls::server_config(tls)
            .map_err(|e| problems.push(e.to_string()))
            .ok(),
        _ => None,
    };
    let sender_net = match &config.sender {
        Some(sender) if tls_usable => sender::Net::new(sender)
            .map_err(|e| problems.push(format!("sender: {e:#}")))
            .ok(),
        _ => None,
    };
    let transport = Transport::from_config(&config.mail)
        .map_err(|e| problems.push(format!("mail: {e}")))
        .ok();
    let token = admin_token(config)
        .map_err(|e| problems.push(format!("{e:#}")))
        .ok();
    match (transport, token) {
        (Some(transport), Some(token)) if problems.is_empty() => Ok(Prepared {
            merged,
            receiver_tls,
            sender_net,
            transport,
            token,
        }),
        _ => Err(problems),
    }
}

/// The admin token from `admin.token_file`, when set (warned about when others can read
/// the file).
pub fn admin_token(config: &Config) -> anyhow::Result<Option<String>> {
    use anyhow::Context;
    let Some(path) = &config.admin.token_file else {
        return Ok(None);
    };
    crate::secret::warn_if_readable_by_others(path, "admin.token_file");
    let token = crate::secret::read(&crate::config::SecretSource::File(path.clone()))
        .context("admin.token_file")?;
    Ok(Some(token))
}

/// Our certificates to watch: the receiver's (with the certificate just read) and the
/// sender's, each told to its role's administrators through its role's outbox.
pub fn watched(
    config: &Config,
    receiver: Option<(&Receiver, OwnCertificate)>,
    sender: Option<&Sender>,
) -> Vec<Watched> {
    let mut watched = Vec::new();
    if let (Some((receiver, own)), Some(receiver_config)) = (receiver, &config.receiver)
        && let Some(tls) = &receiver_config.tls
    {
        watched.push(Watched {
            whose: "receiver.tls.certificate",
            certificate: own,
            warning: tls.expiry_warning,
            outbox: receiver.store().outbox().clone(),
            administrators: receiver_config.administrators.clone(),
            mail_wake: receiver.mail_wake(),
        });
    }
    if let (Some(sender), Some(sender_config)) = (sender, &config.sender)
        && let (Some(own), Some(tls)) = (sender.certificate(), &sender_config.tls)
    {
        watched.push(Watched {
            whose: "sender.tls.certificate",
            certificate: own,
            warning: tls.expiry_warning,
            outbox: sender.store().outbox().clone(),
            administrators: sender_config.administrators.clone(),
            mail_wake: sender.mail_wake(),
        });
    }
    watched
}

/// `a, b` or `nothing`.
fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        "nothing".to_owned()
    } else {
        keys.join(", ")
    }
}
