//! The command line: parses arguments, runs one verb, maps the outcome to an exit code.
//! The only place besides the role loops that touches the terminal and the clock.

use crate::ids::{ApplicationId, MessageId};
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
    }
}

fn check_config(path: &Path) -> ExitCode {
    match crate::config::Config::load(path) {
        Ok(config) => {
            println!("{}: OK\n{}", path.display(), config.summary());
            ExitCode::SUCCESS
        }
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
    let config = match crate::config::Config::load(path) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{}: invalid configuration\n{e}", path.display());
            return ExitCode::from(2);
        }
    };
    let base = format!("http://{}/api/v1/quarantine", config.admin.listen);
    let (method, url) = match action {
        QuarantineAction::List => (reqwest::Method::GET, base),
        QuarantineAction::Accept { id } => (reqwest::Method::POST, format!("{base}/{id}/accept")),
        QuarantineAction::Discard { id } => (reqwest::Method::POST, format!("{base}/{id}/discard")),
    };
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| e.to_string())
        .and_then(|runtime| {
            runtime.block_on(async {
                let response = reqwest::Client::new()
                    .request(method, &url)
                    .timeout(std::time::Duration::from_secs(30))
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "cannot reach the gateway's admin listener at {}: {e}",
                            config.admin.listen
                        )
                    })?;
                let status = response.status();
                let body = response.text().await.map_err(|e| e.to_string())?;
                Ok::<_, String>((status, body))
            })
        });
    match result {
        Ok((status, body)) => {
            let pretty = serde_json::from_str::<serde_json::Value>(&body)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or(body);
            println!("{pretty}");
            if status.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("lotgate quarantine: {e}");
            ExitCode::from(2)
        }
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
            eprintln!("{}: cannot read: {e}", file.display());
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
        let severity = validate::level_name(issue.level());
        out.push_str(&format!(
            "  {severity:<8} {:<22} {}\n           {}\n",
            issue.rule.id(),
            issue.location,
            issue.text(lang)
        ));
    }
    if report.dropped() > 0 {
        out.push_str(&format!("  … {} more not shown\n", report.dropped()));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
