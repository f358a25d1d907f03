//! The command line: parses arguments, runs one verb, maps the outcome to an exit code.
//! The only place besides the role loops that touches the terminal and the clock.

use crate::ids::{ApplicationId, MessageId};
use crate::strings::hex;
use crate::timestamp::Timestamp;
use crate::validate::{self, Language, Level, Options, Verdict};
use clap::{Parser, Subcommand, ValueEnum};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// lotgate: delivers vaccine lot numbers (partijnummers) from the inventory system to
/// child-health record systems over HL7v3 (JGZ-4 "Versturen partijnummers").
#[derive(Debug, Parser)]
#[command(name = "lotgate", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the roles enabled in the configuration.
    Run(ConfigArg),
    /// Check a message file offline, as the receiver would: prints the report (or, with
    /// --ack, the exact answer). Exit 0 accepted, 1 rejected, 2 unusable input.
    Validate {
        /// The message: a SOAP envelope or the bare PRMM_IN010043NL document.
        file: PathBuf,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Our application id: also check that the message is addressed to it.
        #[arg(long)]
        receiver_id: Option<String>,
        /// Print the MCCI_IN000002 acknowledgement (or SOAP fault) the receiver would answer.
        #[arg(long)]
        ack: bool,
        /// Language of the texts: nl (default) or en.
        #[arg(long, default_value = "nl")]
        lang: Language,
    },
    /// Load and check the configuration file, print what it configures.
    CheckConfig(ConfigArg),
    /// Sets the receiver held back because they were much smaller than the set in place:
    /// list them, put one in place, or drop it (talks to the running gateway's admin
    /// listener).
    Quarantine {
        /// What to do.
        #[command(subcommand)]
        action: QuarantineAction,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Show the sender's deliveries: per destination the current delivery, its state,
    /// attempts with times and outcomes, the next attempt and the escalation (talks to
    /// the running gateway's admin listener).
    Status {
        /// Print the status as JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The alert emails of both roles: list the ones waiting and the ones given up on,
    /// try them again, or discard one (talks to the running gateway's admin listener).
    Mail {
        /// What to do.
        #[command(subcommand)]
        action: MailAction,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Start a new delivery now, to every destination or to one, superseding unfinished
    /// ones (talks to the running gateway's admin listener).
    SendNow {
        /// Only this destination (its `name` in the configuration).
        #[arg(long)]
        destination: Option<String>,
        /// Wait for the outcome of the first attempt of each delivery; exit 0 only when
        /// every one was delivered.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// What `lotgate quarantine` does.
#[derive(Debug, Subcommand)]
pub enum QuarantineAction {
    /// List the quarantined sets.
    List,
    /// Put quarantined set ID in place of the current set.
    Accept {
        /// The quarantine id (from `list`).
        id: u64,
    },
    /// Drop quarantined set ID.
    Discard {
        /// The quarantine id (from `list`).
        id: u64,
    },
}

/// What `lotgate mail` does.
#[derive(Debug, Subcommand)]
pub enum MailAction {
    /// List the mails waiting to be sent (with their tries and the last answer) and the
    /// ones given up on (the dead letters).
    List {
        /// Only the dead letters.
        #[arg(long)]
        dead: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Try mail ID again at once (a dead letter goes back into the outbox), or every
    /// mail with --all.
    Retry {
        /// The mail's id (from `list`).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every dead letter back into the outbox, and every waiting mail tried at once.
        #[arg(long)]
        all: bool,
    },
    /// Remove mail ID for good, waiting or dead.
    Discard {
        /// The mail's id (from `list`).
        id: String,
    },
}

/// The configuration file argument of the verbs that use one.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// The configuration file.
    #[arg(long, short, global = true, default_value = "config.toml")]
    pub config: PathBuf,
}

/// Report formats of `lotgate validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate {
            file,
            format,
            receiver_id,
            ack,
            lang,
        } => validate_file(&file, format, receiver_id.as_deref(), ack, lang),
        Command::CheckConfig(arg) => check_config(&arg.config),
        Command::Run(arg) => run(&arg.config),
        Command::Quarantine { action, config } => quarantine(&config.config, &action),
        Command::Status { json, config } => status(&config.config, json),
        Command::Mail { action, config } => mail(&config.config, &action),
        Command::SendNow {
            destination,
            wait,
            config,
        } => send_now(&config.config, destination.as_deref(), wait),
    }
}

fn check_config(path: &Path) -> ExitCode {
    match crate::config::Config::load(path) {
        Ok(config) => match crate::tls::check(&config) {
            Ok(certificates) => {
                println!("{}: OK\n{}", path.display(), config.summary());
                for line in certificates {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: unusable TLS files\n{e}", path.display());
                ExitCode::from(2)
            }
        },
        Err(e) => {
            eprintln!("{}: invalid configuration\n{e}", path.display());
            ExitCode::from(2)
        }
    }
}

fn run(path: &Path) -> ExitCode {
    let config = match crate::config::Config::load(path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{}: invalid configuration\n{e}", path.display());
            return ExitCode::from(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&config.gateway.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lotgate run: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(async { crate::startup::run(&config, shutdown_signal()).await }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lotgate run: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called (not
/// when the future is first polled), so a signal that arrives during start-up is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    async move {
        let terminate = async {
            match terminate.as_mut() {
                Some(s) => drop(s.recv().await),
                None => std::future::pending::<()>().await,
            }
        };
        let interrupt = async {
            match interrupt.as_mut() {
                Some(s) => drop(s.recv().await),
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = terminate => {}
            () = interrupt => {}
        }
    }
}

fn quarantine(path: &Path, action: &QuarantineAction) -> ExitCode {
    let (method, path_and_query) = match action {
        QuarantineAction::List => (reqwest::Method::GET, "/api/v1/quarantine".to_owned()),
        QuarantineAction::Accept { id } => (
            reqwest::Method::POST,
            format!("/api/v1/quarantine/{id}/accept"),
        ),
        QuarantineAction::Discard { id } => (
            reqwest::Method::POST,
            format!("/api/v1/quarantine/{id}/discard"),
        ),
    };
    match Admin::new(path, "quarantine")
        .and_then(|admin| admin.call(method, &path_and_query).map(|r| (admin, r)))
    {
        Ok((_, (status, body))) => print_json(status, &body),
        Err(code) => code,
    }
}

fn status(path: &Path, as_json: bool) -> ExitCode {
    let admin = match Admin::new(path, "status") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    // The sender's deliveries (a gateway without a sender answers 404), then the mail.
    let (status, body) = match admin.call(reqwest::Method::GET, "/api/v1/sender/status") {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    let mut value = match serde_json::from_str::<serde_json::Value>(&body) {
        Ok(value) if status.is_success() => value,
        _ if status == reqwest::StatusCode::NOT_FOUND => serde_json::json!({}),
        _ => return print_json(status, &body),
    };
    let (status, body) = match admin.call(reqwest::Method::GET, "/api/v1/mail") {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    let Ok(mail) = serde_json::from_str::<crate::mail::MailList>(&body) else {
        return print_json(status, &body);
    };
    value["mail"] = serde_json::json!(mail);
    if as_json {
        return print_json(status, &value.to_string());
    }
    if value.get("destinations").is_some() {
        print!("{}", crate::sender::status::text(&value, admin.language));
    }
    if !mail.is_empty() {
        print!("\n{}", mail.text(false, admin.language));
    }
    ExitCode::SUCCESS
}

fn mail(path: &Path, action: &MailAction) -> ExitCode {
    let admin = match Admin::new(path, "mail") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let (method, path_and_query) = match action {
        MailAction::List { .. } => (reqwest::Method::GET, "/api/v1/mail".to_owned()),
        MailAction::Retry { id: Some(id), .. } => (
            reqwest::Method::POST,
            format!("/api/v1/mail/{}/retry", crate::http::percent_encode(id)),
        ),
        MailAction::Retry { id: None, .. } => {
            (reqwest::Method::POST, "/api/v1/mail/retry".to_owned())
        }
        MailAction::Discard { id } => (
            reqwest::Method::POST,
            format!("/api/v1/mail/{}/discard", crate::http::percent_encode(id)),
        ),
    };
    let (status, body) = match admin.call(method, &path_and_query) {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    match (action, serde_json::from_str::<crate::mail::MailList>(&body)) {
        (MailAction::List { dead, json: false }, Ok(list)) if status.is_success() => {
            print!("{}", list.text(*dead, admin.language));
            ExitCode::SUCCESS
        }
        _ => print_json(status, &body),
    }
}

fn send_now(path: &Path, destination: Option<&str>, wait: bool) -> ExitCode {
    let admin = match Admin::new(path, "send-now") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let query = destination
        .map(|d| format!("?destination={}", crate::http::percent_encode(d)))
        .unwrap_or_default();
    let (status, body) = match admin.call(
        reqwest::Method::POST,
        &format!("/api/v1/sender/send-now{query}"),
    ) {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    let started = serde_json::from_str::<serde_json::Value>(&body).ok();
    let Some(started) = started.filter(|_| status.is_success()) else {
        return print_json(status, &body);
    };
    let deliveries: Vec<(String, u64)> = started["started"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some((
                d["destination"].as_str()?.to_owned(),
                d["delivery"].as_u64()?,
            ))
        })
        .collect();
    let language = admin.language;
    for (name, id) in &deliveries {
        match language {
            Language::Nl => println!("levering {id} aan {name} gestart"),
            Language::En => println!("delivery {id} to {name} started"),
        }
    }
    if !wait {
        return ExitCode::SUCCESS;
    }
    // Poll the status until every delivery has the outcome of an attempt.
    let mut outcomes = std::collections::BTreeMap::new();
    let deadline = std::time::Instant::now() + SEND_NOW_WAIT;
    while outcomes.len() < deliveries.len() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let (status, body) = match admin.call(reqwest::Method::GET, "/api/v1/sender/status") {
            Ok(answer) => answer,
            Err(code) => return code,
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&body) else {
            return print_json(status, &body);
        };
        for (name, id) in &deliveries {
            let Some(d) = value["destinations"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| d["name"] == name.as_str())
            else {
                continue;
            };
            let delivery = &d["delivery"];
            if delivery["id"].as_u64() != Some(*id) {
                let superseded = language.pick("vervangen", "superseded");
                outcomes.insert(name.clone(), (superseded.to_owned(), String::new()));
                continue;
            }
            let last = delivery["attempts"].as_array().and_then(|a| a.last());
            if let Some(attempt) = last
                && matches!(
                    attempt["outcome"].as_str(),
                    Some("delivered" | "rejected" | "failed")
                )
            {
                outcomes.insert(
                    name.clone(),
                    (
                        attempt["outcome"].as_str().unwrap_or("").to_owned(),
                        attempt["detail"].as_str().unwrap_or("").to_owned(),
                    ),
                );
            }
        }
    }
    for (name, _) in &deliveries {
        outcomes.entry(name.clone()).or_insert_with(|| {
            let none = language.pick("nog geen uitkomst", "no outcome yet");
            (none.to_owned(), String::new())
        });
    }
    let mut all_delivered = true;
    for (name, (outcome, detail)) in &outcomes {
        all_delivered &= outcome == "delivered";
        println!(
            "{name}: {}{}",
            crate::sender::status::outcome_word(outcome, language),
            if detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", detail.lines().next().unwrap_or(""))
            }
        );
    }
    if all_delivered {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// How long `send-now --wait` waits for the outcomes.
const SEND_NOW_WAIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A client of the running gateway's admin listener, for the verbs that talk to it.
struct Admin {
    verb: &'static str,
    listen: std::net::SocketAddr,
    /// The bearer token from `admin.token_file`, sent with every request.
    token: Option<String>,
    /// `gateway.language`: what the verb prints is in it.
    language: Language,
    runtime: tokio::runtime::Runtime,
}

impl Admin {
    /// Loads the configuration (which says where the admin listener is).
    fn new(path: &Path, verb: &'static str) -> Result<Self, ExitCode> {
        let config = crate::config::Config::load(path).map_err(|e| {
            eprintln!("{}: invalid configuration\n{e}", path.display());
            ExitCode::from(2)
        })?;
        let runtime = tokio::runtime::Runtime::new().map_err(|e| {
            eprintln!("lotgate {verb}: {e}");
            ExitCode::from(2)
        })?;
        let token = match &config.admin.token_file {
            None => None,
            Some(path) => Some(
                crate::secret::read(&crate::config::SecretSource::File(path.clone())).map_err(
                    |e| {
                        eprintln!("lotgate {verb}: admin.token_file: {e}");
                        ExitCode::from(2)
                    },
                )?,
            ),
        };
        // A listener on every address is reached on loopback.
        let mut listen = config.admin.listen;
        if listen.ip().is_unspecified() {
            listen.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        Ok(Self {
            verb,
            listen,
            token,
            language: config.gateway.language,
            runtime,
        })
    }

    /// One request; the status and body of the answer.
    fn call(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
    ) -> Result<(reqwest::StatusCode, String), ExitCode> {
        let url = format!("http://{}{path_and_query}", self.listen);
        self.runtime
            .block_on(async {
                let mut request = reqwest::Client::new()
                    .request(method, &url)
                    .timeout(std::time::Duration::from_secs(60));
                if let Some(token) = &self.token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.map_err(|e| {
                    format!(
                        "cannot reach the gateway's admin listener at {} (is lotgate run \
                             running with this configuration?): {e}",
                        self.listen
                    )
                })?;
                let status = response.status();
                let body = response.text().await.map_err(|e| e.to_string())?;
                Ok::<_, String>((status, body))
            })
            .map_err(|e| {
                eprintln!("lotgate {}: {e}", self.verb);
                ExitCode::from(2)
            })
    }
}

/// Prints an answer of the admin listener (pretty when it is JSON); exit 0 on success,
/// 1 otherwise.
fn print_json(status: reqwest::StatusCode, body: &str) -> ExitCode {
    let pretty = serde_json::from_str::<serde_json::Value>(body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| body.to_owned());
    println!("{pretty}");
    if status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The largest message file `lotgate validate` reads.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

fn validate_file(
    file: &Path,
    format: Format,
    receiver_id: Option<&str>,
    ack: bool,
    lang: Language,
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
    let options = Options {
        receiver: receiver.clone(),
        allow_bare: true,
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
            Format::Text => print!("{}", text_report(file, &outcome, lang)),
        }
    }
    ExitCode::from(verdict.exit_code())
}

fn read_limited(file: &Path) -> std::io::Result<Vec<u8>> {
    let handle = std::fs::File::open(file)?;
    let mut bytes = Vec::new();
    handle.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    // One byte over the limit is enough for the parser to refuse it as too large.
    Ok(bytes)
}

fn text_report(file: &Path, outcome: &validate::Outcome, lang: Language) -> String {
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
    let mut out = format!("{}: {} — {meaning}", file.display(), verdict.name());
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
