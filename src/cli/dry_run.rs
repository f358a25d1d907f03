//! `lotgate send-now --dry-run [--destination NAME] [--output FILE]`: the message a
//! delivery would send now, built from the source as the sender builds it and checked as
//! the destination's receiver would check it. Sends nothing and stores nothing: it reads
//! the configuration and the source only, so it works with or without a running gateway.

use super::validate::text_report;
use crate::config::{Config, Destination, SenderConfig};
use crate::language::Language;
use crate::sender::{deliver, source};
use crate::validate::{self, Options, Verdict};
use std::path::Path;
use std::process::ExitCode;

/// The delivery number a dry run's message id carries (a real delivery carries its own).
const DRY_RUN_DELIVERY: u64 = 0;

pub(super) fn dry_run(path: &Path, destination: Option<&str>, output: Option<&Path>) -> ExitCode {
    let config = match super::load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let language = config.gateway.language;
    let l = |nl, en| language.pick(nl, en);
    let Some(sender) = &config.sender else {
        eprintln!(
            "{}: {}",
            path.display(),
            l(
                "deze configuratie heeft geen afzender ([sender] enabled = true)",
                "this configuration has no sender ([sender] enabled = true)"
            )
        );
        return ExitCode::from(2);
    };
    let destinations = match chosen(sender, destination, output.is_some(), language) {
        Ok(destinations) => destinations,
        Err(problem) => {
            eprintln!("{problem}");
            return ExitCode::from(2);
        }
    };
    let now = chrono::Utc::now();
    let today = now.with_timezone(&config.gateway.time_zone).date_naive();
    let snapshot = match read_source(&config, sender, today) {
        Ok(snapshot) => snapshot,
        Err(e) => {
            // An invalid source is what a delivery would refuse to send (exit 1); one
            // that cannot be read is a dry run that could not run (exit 2).
            println!("{}", e.text(language));
            return ExitCode::from(if e.is_transient() { 2 } else { 1 });
        }
    };
    println!(
        "{} {} {}{}",
        l("voorraadbron:", "inventory source:"),
        snapshot.lots.len(),
        l("partijnummers", "lot numbers"),
        match snapshot.warnings.issues().len() {
            0 => String::new(),
            n => format!(", {n} {}", l("waarschuwing(en)", "warning(s)")),
        }
    );
    for issue in snapshot.warnings.issues() {
        println!(
            "  {:<22} {}\n               {}",
            issue.rule.id(),
            issue.location,
            issue.text(language)
        );
    }
    let mut refused = false;
    for destination in destinations {
        let verdict = check(&config, sender, destination, &snapshot, now, output);
        match verdict {
            Ok(verdict) => refused |= verdict != Verdict::Accept,
            Err(problem) => {
                eprintln!("{problem}");
                return ExitCode::from(2);
            }
        }
    }
    println!(
        "{}",
        l(
            "proefdraai: er is niets verstuurd en niets opgeslagen",
            "dry run: nothing was sent and nothing was stored"
        )
    );
    ExitCode::from(u8::from(refused))
}

/// The destinations to build for: the one named, or every one. `--output` writes one
/// message, so it needs one destination.
fn chosen<'c>(
    sender: &'c SenderConfig,
    name: Option<&str>,
    output: bool,
    language: Language,
) -> Result<Vec<&'c Destination>, String> {
    let destinations: Vec<&Destination> = match name {
        Some(name) => {
            let found = sender.destinations.iter().find(|d| d.name == name);
            vec![found.ok_or_else(|| match language {
                Language::Nl => format!("geen bestemming heet {name:?}"),
                Language::En => format!("no destination is called {name:?}"),
            })?]
        }
        None => sender.destinations.iter().collect(),
    };
    if output && destinations.len() > 1 {
        return Err(match language {
            Language::Nl => format!(
                "--output schrijft één bericht: kies met --destination een van de {} \
                 bestemmingen",
                destinations.len()
            ),
            Language::En => format!(
                "--output writes one message: choose one of the {} destinations with \
                 --destination",
                destinations.len()
            ),
        });
    }
    Ok(destinations)
}

fn read_source(
    config: &Config,
    sender: &SenderConfig,
    today: chrono::NaiveDate,
) -> Result<source::Snapshot, source::SourceError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| source::SourceError::Unreadable {
            origin: source::Origin::of(&sender.source.location),
            reason: crate::language::Text::verbatim(e.to_string()),
        })?;
    runtime.block_on(source::read(&sender.source, today, &config.gateway.codes))
}

/// Builds `destination`'s message, checks it as its receiver would and prints the
/// report; writes the message to `output` when given. The receiver's verdict.
fn check(
    config: &Config,
    sender: &SenderConfig,
    destination: &Destination,
    snapshot: &source::Snapshot,
    now: chrono::DateTime<chrono::Utc>,
    output: Option<&Path>,
) -> Result<Verdict, String> {
    let language = config.gateway.language;
    let (built, bytes) = deliver::build(
        sender,
        destination,
        config.gateway.time_zone,
        snapshot.lots.clone(),
        DRY_RUN_DELIVERY,
        now,
        None,
    );
    let options = Options {
        receiver: Some(destination.application_id.clone()),
        allowed_senders: vec![sender.application_id.clone()],
        ..Options::default()
    };
    let outcome = validate::check(&bytes, &options);
    let label = format!("{} ({})", destination.name, built.id);
    print!("{}", text_report(&label, &outcome, language));
    if let Some(output) = output {
        std::fs::write(output, &bytes).map_err(|e| {
            format!(
                "{}: {}: {e}",
                output.display(),
                language.pick("kan niet schrijven", "cannot write")
            )
        })?;
        println!(
            "{} {} ({} bytes)",
            language.pick("bericht geschreven naar", "message written to"),
            output.display(),
            bytes.len()
        );
    }
    Ok(outcome.verdict())
}
