//! The command line: parses arguments, runs one verb, maps the outcome to an exit code.
//! The only place besides the role loops that touches the terminal and the clock.
//!
//! One file per group of verbs: [`gateway`] (`run`, `check-config`), [`validate`], and
//! the clients of a running gateway's admin listener — [`status`] (both roles),
//! [`sender`] (`send-now`), [`receiver`] (`quarantine`), [`mail`], [`journal`] — which share [`client`]: they read the
//! configuration only to find the listener, and read its answers as the API's types
//! (`crate::api`). [`install`] makes the shell completions and man pages.

mod backup;
mod client;
mod dry_run;
mod gateway;
mod install;
mod journal;
mod mail;
mod receiver;
mod reload;
mod sender;
mod status;
mod validate;
mod verify;

use crate::language::Language;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
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
        /// The message: a SOAP envelope or the bare PRMM_IN010043NL document; `-` reads
        /// standard input.
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
        /// A release of the vaccine-type code list (CSV: code,name,valid_from) instead of
        /// the built-in W0422, as `gateway.code_list`.
        #[arg(long, value_name = "FILE")]
        code_list: Option<PathBuf>,
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
    /// Show both roles: the sender's deliveries (per destination the current delivery,
    /// its state, attempts with times and outcomes, the next attempt and the escalation),
    /// the receiver's set with its counts, staleness, watchdog and quarantine, and the
    /// alert emails (talks to the running gateway's admin listener).
    Status {
        /// Print the overview as JSON (`GET /api/v1/overview`) instead of text.
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
    /// What both roles exchanged and which changes administrators made, newest first;
    /// `show ID` for one entry whole or the exact bytes kept with it (talks to the
    /// running gateway's admin listener).
    #[command(args_conflicts_with_subcommands = true)]
    Journal {
        /// One entry.
        #[command(subcommand)]
        action: Option<JournalAction>,
        #[command(flatten)]
        filter: JournalArgs,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Start a new delivery now, to every destination or to one, superseding unfinished
    /// ones (talks to the running gateway's admin listener); with --dry-run, build and
    /// check the message a delivery would send, sending and storing nothing.
    SendNow {
        /// Only this destination (its `name` in the configuration).
        #[arg(long)]
        destination: Option<String>,
        /// Wait for the outcome of the first attempt of each delivery; exit 0 only when
        /// every one was delivered.
        #[arg(long, conflicts_with = "dry_run")]
        wait: bool,
        /// Send nothing: read the source, build the message a delivery would send now and
        /// check it as the destination's receiver would (no running gateway needed; exit 0
        /// accepted, 1 refused, 2 could not run).
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: write the message to this file (one destination).
        #[arg(long, requires = "dry_run", value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The self-test against a live receiver (a partner's QA environment, or ours):
    /// reachability, TLS, clock, and the exchange's rules, each check with evidence;
    /// writes report.json, report.md (the self-declaration) and evidence/. Exit 0 no
    /// check failed, 1 a check failed, 2 could not run.
    Verify {
        /// The destination to check (its `name` in the configuration).
        #[arg(long)]
        destination: String,
        /// Where the report goes (default verify-<destination>-<date>).
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
        /// `connect` delivers test sets and then the current set from the source again;
        /// `safe` (for a production endpoint) only what changes nothing there.
        #[arg(long, value_enum, default_value_t = VerifyMode::Connect)]
        mode: VerifyMode,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Ask the running gateway to read its configuration again (as SIGHUP does):
    /// certificates, keys, roots, partners, destinations, administrators, mail and the log
    /// filter change at once; listen addresses, the data directory and the roles need a
    /// restart. A configuration that fails any check changes nothing. Exit 0 reloaded,
    /// 1 refused, 2 the gateway could not be asked (talks to the admin listener; needs
    /// the admin token).
    Reload {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Ask the running gateway for a backup of its stores (the set, message records,
    /// journal, outbox and deliveries, taken while it keeps working) and write it to
    /// FILE, which must not exist (talks to the admin listener; needs the admin token).
    Backup {
        /// Where the backup goes.
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Write the stores of a backup into DATA_DIR (each role's directory must be new or
    /// empty) for a gateway that is not running; start it with gateway.data_dir there.
    Restore {
        /// The backup file (from `lotgate backup`).
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// The data directory to write the stores into.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
    },
    /// Print the completion script for a shell (bash: save it as
    /// /usr/share/bash-completion/completions/lotgate; the Debian package installs all
    /// three).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (lotgate.1 and one per verb) into a directory.
    #[command(hide = true)]
    Manpages {
        /// The directory.
        #[arg(long, value_name = "DIR")]
        output: PathBuf,
    },
}

/// The modes of `lotgate verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyMode {
    /// Every check, with test deliveries (a QA environment or the connect phase).
    Connect,
    /// Only checks that change nothing at the receiver (a production endpoint).
    Safe,
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

/// What `lotgate journal` lists: every given filter must match.
#[derive(Debug, Default, clap::Args)]
pub struct JournalArgs {
    /// Only entries of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<EntryKindArg>,
    /// Only deliveries to this destination.
    #[arg(long)]
    pub destination: Option<String>,
    /// From this date (YYYY-MM-DD, local) or time (RFC 3339) on.
    #[arg(long)]
    pub since: Option<String>,
    /// Before this date or time.
    #[arg(long)]
    pub until: Option<String>,
    /// Only with this outcome (delivered, rejected, pending; ca, ce, cr, fault, …; ok).
    #[arg(long)]
    pub outcome: Option<String>,
    /// Only about this message (root/extension, or the extension).
    #[arg(long)]
    pub message_id: Option<String>,
    /// At most this many entries (1–1000, default 50).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Go on where the last page stopped (it prints the cursor).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Print the API's JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The kinds of journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EntryKindArg {
    /// The sender's deliveries.
    Delivery,
    /// What the receiver received.
    Received,
    /// Changes through the admin listener.
    Audit,
}

impl EntryKindArg {
    fn name(self) -> &'static str {
        match self {
            EntryKindArg::Delivery => "delivery",
            EntryKindArg::Received => "received",
            EntryKindArg::Audit => "audit",
        }
    }
}

/// What `lotgate journal` does with one entry.
#[derive(Debug, Subcommand)]
pub enum JournalAction {
    /// Show entry ID (from the list, e.g. s17 or r40) whole, or write the exact bytes
    /// kept with it to standard output.
    Show {
        /// The entry's id.
        id: String,
        /// Write the message's exact bytes.
        #[arg(long, conflicts_with = "answer")]
        message: bool,
        /// Write the answer's exact bytes (the last one kept, or --attempt N's).
        #[arg(long)]
        answer: bool,
        /// With --answer: the answer to this attempt.
        #[arg(long, requires = "answer")]
        attempt: Option<u32>,
        /// Print the API's JSON instead of text.
        #[arg(long, conflicts_with_all = ["message", "answer"])]
        json: bool,
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

/// Loads the configuration a verb works with; an invalid one is reported (every problem
/// with its key) and ends the verb with exit code 2.
fn load_config(path: &std::path::Path) -> Result<crate::config::Config, ExitCode> {
    crate::config::Config::load(path).map_err(|e| {
        eprintln!("{}: invalid configuration\n{e}", path.display());
        ExitCode::from(2)
    })
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
            code_list,
        } => validate::validate_file(
            &file,
            format,
            receiver_id.as_deref(),
            ack,
            lang,
            code_list.as_deref(),
        ),
        Command::CheckConfig(arg) => gateway::check_config(&arg.config),
        Command::Run(arg) => gateway::run(&arg.config),
        Command::Quarantine { action, config } => receiver::quarantine(&config.config, &action),
        Command::Status { json, config } => status::status(&config.config, json),
        Command::Mail { action, config } => mail::mail(&config.config, &action),
        Command::Journal {
            action,
            filter,
            config,
        } => journal::journal(&config.config, &filter, action.as_ref()),
        Command::SendNow {
            destination,
            dry_run: true,
            output,
            config,
            ..
        } => dry_run::dry_run(&config.config, destination.as_deref(), output.as_deref()),
        Command::SendNow {
            destination,
            wait,
            config,
            ..
        } => sender::send_now(&config.config, destination.as_deref(), wait),
        Command::Backup { output, config } => backup::backup(&config.config, &output),
        Command::Reload { config } => reload::reload(&config.config),
        Command::Restore { input, data_dir } => backup::restore(&input, &data_dir),
        Command::Completions { shell } => install::completions(shell),
        Command::Manpages { output } => install::manpages(&output),
        Command::Verify {
            destination,
            report,
            mode,
            config,
        } => verify::verify(
            &config.config,
            &destination,
            report.as_deref(),
            match mode {
                VerifyMode::Connect => crate::verify::Mode::Connect,
                VerifyMode::Safe => crate::verify::Mode::Safe,
            },
        ),
    }
}
