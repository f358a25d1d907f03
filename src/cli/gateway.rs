//! The gateway process itself: `lotgate run` and `lotgate check-config`.

use std::path::Path;
use std::process::ExitCode;

pub(super) fn check_config(path: &Path) -> ExitCode {
    let config = match super::load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    match crate::tls::check(&config) {
        Ok(certificates) => {
            println!("{}: OK\n{}", path.display(), config.summary());
            for line in certificates {
                println!("{line}");
            }
            for line in assessments(&config) {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            eprintln!("{}: unusable TLS files", path.display());
            for problem in problems {
                eprintln!("  {problem}");
            }
            ExitCode::from(2)
        }
    }
}

/// The last connect-phase assessment of each partner in its connect phase, read from the
/// receiver's store when it exists and no running gateway holds it (the store is never
/// created here).
fn assessments(config: &crate::config::Config) -> Vec<String> {
    let Some(receiver) = &config.receiver else {
        return Vec::new();
    };
    let connecting: Vec<_> = receiver
        .partners
        .iter()
        .filter(|p| p.phase == crate::config::Phase::Connect)
        .collect();
    let dir = config.gateway.store_dir(crate::config::Role::Receiver);
    if connecting.is_empty() || !dir.exists() {
        return Vec::new();
    }
    let store = match crate::store::ReceiverStore::open(&dir) {
        Ok(store) => store,
        Err(_) => {
            return vec![format!(
                "connect phase: the receiver's store ({}) is in use or unreadable; a running \
                 gateway answers GET /api/v1/trial/{{application id}}",
                dir.display()
            )];
        }
    };
    connecting
        .iter()
        .map(|partner| {
            let id = &partner.application_id;
            match store.trial(id) {
                Ok(None) => format!("connect phase {id}: no delivery yet"),
                Ok(Some(trial)) => format!(
                    "connect phase {id}: last delivery {} ({}): {}, {} error(s), {} \
                     warning(s) — assessment {}",
                    trial.report.message_id,
                    crate::api::time(trial.report.received_at),
                    crate::receiver::api::report_view(&trial.report).outcome,
                    trial.report.errors.len(),
                    trial.report.warnings.len(),
                    if trial.report.outcome == crate::store::Outcome::Applied {
                        "positive"
                    } else {
                        "negative"
                    }
                ),
                Err(e) => format!("connect phase {id}: cannot be read: {e}"),
            }
        })
        .collect()
}

pub(super) fn run(path: &Path) -> ExitCode {
    let config = match super::load_config(path) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let log = init_logging(&config.gateway.log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lotgate run: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(async {
        crate::startup::run(&config, path.to_owned(), log, shutdown_signal()).await
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lotgate run: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to standard error with `filter` (`gateway.log`); returns what sets another
/// filter on a reload, unless logging was set up already.
fn init_logging(filter: &str) -> Option<crate::reload::LogFilter> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, fmt, reload};
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter, handle) = reload::Layer::new(filter);
    let output = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()
        .ok()?;
    Some(std::sync::Arc::new(move |filter: &str| {
        let filter = EnvFilter::try_new(filter).map_err(|e| e.to_string())?;
        handle.reload(filter).map_err(|e| e.to_string())
    }))
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
