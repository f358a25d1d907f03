//! `lotgate verify --destination NAME [--report DIR] [--mode connect|safe]`: the
//! self-test against a live receiver. Reads the configuration, the source and the last
//! delivered message (from the sender's store, or through the running gateway's admin
//! listener when the store is in use), runs the checks, writes the report. Exit 0 when
//! no check failed, 1 when one did, 2 when the run could not be made.

use super::client::{Admin, Answer};
use crate::api::JournalPage;
use crate::config::{Config, Role};
use crate::language::Language;
use crate::sender::source;
use crate::store::{JournalFilter, JournalKind, SenderStore, StoreError};
use crate::verify::{self, Delivered, Mode, Plan, Verdict};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(super) fn verify(
    path: &Path,
    destination: &str,
    report: Option<&Path>,
    mode: Mode,
) -> ExitCode {
    let config = match super::load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let language = config.gateway.language;
    let l = |nl: &str, en: &str| language.pick(nl, en).to_owned();
    let could_not_run = |problem: String| {
        eprintln!("lotgate verify: {problem}");
        ExitCode::from(2)
    };
    let Some(sender) = &config.sender else {
        return could_not_run(l(
            "deze configuratie heeft geen afzender ([sender] enabled = true)",
            "this configuration has no sender ([sender] enabled = true)",
        ));
    };
    let Some(target) = sender.destinations.iter().find(|d| d.name == destination) else {
        let names: Vec<&str> = sender
            .destinations
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        return could_not_run(match language {
            Language::Nl => format!(
                "geen bestemming heet {destination:?} (wel: {})",
                names.join(", ")
            ),
            Language::En => format!(
                "no destination is called {destination:?} (there are: {})",
                names.join(", ")
            ),
        });
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return could_not_run(e.to_string()),
    };
    let started = chrono::Utc::now();
    let today = started
        .with_timezone(&config.gateway.time_zone)
        .date_naive();
    let source = runtime
        .block_on(source::read(&sender.source, today, &config.gateway.codes))
        .map(|snapshot| snapshot.lots)
        .map_err(|e| e.text(language));
    if mode == Mode::Connect
        && let Err(reason) = &source
    {
        return could_not_run(match language {
            Language::Nl => format!(
                "de bron is niet te lezen, en --mode connect levert de huidige set aan het \
                 eind opnieuw af: {reason}"
            ),
            Language::En => format!(
                "the source cannot be read, and --mode connect delivers the current set \
                 again at the end: {reason}"
            ),
        });
    }
    let last = last_delivered(path, &config, destination, language);
    let plan = Plan {
        sender,
        destination: target,
        zone: config.gateway.time_zone,
        codes: &config.gateway.codes,
        language,
        mode,
        source,
        last,
    };
    let client = match verify::probe::client(sender, plan.wait()) {
        Ok(client) => client,
        Err(e) => return could_not_run(format!("sender.tls: {e}")),
    };
    let dir = report.map_or_else(
        || PathBuf::from(format!("verify-{destination}-{}", today.format("%Y-%m-%d"))),
        Path::to_path_buf,
    );
    if dir.join("report.json").exists() {
        return could_not_run(format!(
            "{}: {}",
            dir.display(),
            l(
                "bevat al een rapport; kies een andere map met --report",
                "already holds a report; choose another directory with --report"
            )
        ));
    }
    println!(
        "lotgate verify: {} ({}) {} {} (--mode {})",
        target.name,
        crate::sender::net::redact_url(&target.url),
        l(
            "controleren, wachttijd per antwoord",
            "checking, waiting per answer up to"
        ),
        humantime::format_duration(plan.wait()),
        match mode {
            Mode::Connect => "connect",
            Mode::Safe => "safe",
        }
    );
    let found = runtime.block_on(verify::run(&plan, &client));
    let (report, files) = verify::report::assemble(&plan, found, started);
    if let Err(problem) = verify::report::write(&dir, &report, &files, language) {
        return could_not_run(problem);
    }
    for check in &report.checks {
        println!(
            "{:<5} {:<26} {}",
            check.verdict.as_str(),
            check.id,
            check.evidence.lines().next().unwrap_or_default()
        );
    }
    if let Some(left) = &report.data_left {
        println!("{left}");
    }
    let s = report.summary;
    println!(
        "{}: {} pass, {} warn, {} fail, {} skip; {} {}",
        if report.passed() {
            l("geslaagd", "passed")
        } else {
            l("niet geslaagd", "failed")
        },
        s.pass,
        s.warn,
        s.fail,
        s.skip,
        l("rapport in", "report in"),
        dir.display()
    );
    let failed = report.checks.iter().any(|c| c.verdict == Verdict::Fail);
    ExitCode::from(u8::from(failed))
}

/// The last message the sender delivered to `destination` and the acknowledgement it
/// got, from its store's journal — through the admin listener when the running gateway
/// holds the store — or why there is none.
fn last_delivered(
    path: &Path,
    config: &Config,
    destination: &str,
    language: Language,
) -> Result<Delivered, String> {
    let dir = config.gateway.store_dir(Role::Sender);
    let nothing = || match language {
        Language::Nl => format!("de afzender heeft nog niets afgeleverd aan {destination}"),
        Language::En => format!("the sender has delivered nothing to {destination} yet"),
    };
    if !dir.exists() {
        return Err(nothing());
    }
    match SenderStore::open(&dir) {
        Ok(store) => {
            let filter = JournalFilter {
                kind: Some(JournalKind::Delivery),
                destination: Some(destination.to_owned()),
                outcome: Some("delivered".to_owned()),
                ..JournalFilter::default()
            };
            let journal = store.journal();
            let entry = journal
                .list(&filter, None, 1)
                .map_err(|e| e.to_string())?
                .pop()
                .ok_or_else(nothing)?;
            let answer = entry
                .bodies
                .iter()
                .filter(|b| b.part > 0)
                .max_by_key(|b| b.part);
            let not_kept = || match language {
                Language::Nl => {
                    "het bericht of zijn bevestiging is niet (helemaal) bewaard".to_owned()
                }
                Language::En => "the message or its acknowledgement is not kept (whole)".to_owned(),
            };
            let answer = answer.filter(|b| b.kept == b.size).ok_or_else(not_kept)?;
            let body = |part| journal.body(entry.id, part).map_err(|e| e.to_string());
            Ok(Delivered {
                message_id: entry.message_id.clone().unwrap_or_default(),
                message: body(0)?.ok_or_else(not_kept)?,
                answer: body(answer.part)?.ok_or_else(not_kept)?,
            })
        }
        Err(StoreError::Locked { .. }) => through_admin(path, destination, language, nothing),
        Err(e) => Err(e.to_string()),
    }
}

/// [`last_delivered`] through the running gateway's admin listener.
fn through_admin(
    path: &Path,
    destination: &str,
    language: Language,
    nothing: impl Fn() -> String,
) -> Result<Delivered, String> {
    let unreachable = || match language {
        Language::Nl => "de opslag is in gebruik en de beheerpoort is niet bereikbaar".to_owned(),
        Language::En => "the store is in use and the admin listener cannot be reached".to_owned(),
    };
    let admin = Admin::new(path, "verify").map_err(|_| unreachable())?;
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("kind", "delivery")
        .append_pair("destination", destination)
        .append_pair("outcome", "delivered")
        .append_pair("limit", "1")
        .finish();
    let page = match admin.get::<JournalPage>(&format!("/api/v1/journal?{query}")) {
        Ok(Answer::Ok(page)) => page,
        Ok(Answer::Failed(status, body)) => return Err(format!("HTTP {status}: {body}")),
        Err(_) => return Err(unreachable()),
    };
    let entry = page.entries.into_iter().next().ok_or_else(nothing)?;
    let body = |which: &str| match admin.call(
        reqwest::Method::GET,
        &format!("/api/v1/journal/{}/{which}", entry.id),
    ) {
        Ok((status, bytes)) if status.is_success() => Ok(bytes),
        Ok((status, bytes)) => Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        )),
        Err(_) => Err(unreachable()),
    };
    let clipped = entry.bodies.iter().any(|b| b.clipped);
    if clipped {
        return Err(match language {
            Language::Nl => "de bevestiging is niet helemaal bewaard".to_owned(),
            Language::En => "the acknowledgement is not kept whole".to_owned(),
        });
    }
    Ok(Delivered {
        message_id: entry.message_id.clone().unwrap_or_default(),
        message: body("message")?,
        answer: body("answer")?,
    })
}
