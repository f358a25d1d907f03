//! `lotgate reload`: asks the running gateway to read its configuration again (through
//! the admin listener, audited) and prints what changed. Exit 0 reloaded, 1 refused
//! (nothing changed; every problem is printed), 2 the gateway could not be asked.

use super::client::{Admin, Answer};
use crate::api::ReloadAnswer;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn reload(path: &Path) -> ExitCode {
    // The gateway would read the same file and refuse it: say so without asking.
    if let Err(e) = crate::config::Config::load(path) {
        eprintln!(
            "lotgate reload: {}: invalid configuration; the running gateway keeps the one \
             it has\n{e}",
            path.display()
        );
        return ExitCode::from(1);
    }
    let admin = match Admin::new(path, "reload") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let l = |nl: &'static str, en: &'static str| admin.language.pick(nl, en);
    let answer = match admin.post::<ReloadAnswer>("/api/v1/reload") {
        Ok(Answer::Ok(answer)) => answer,
        Ok(Answer::Failed(status, body)) => match serde_json::from_str::<ReloadAnswer>(&body) {
            Ok(answer) => answer,
            // The command reads the token from the file as it is now; the gateway knows
            // the one it read at its start or last reload.
            Err(_) if status == reqwest::StatusCode::UNAUTHORIZED => {
                eprintln!(
                    "lotgate reload: {}",
                    l(
                        "de gateway weigert het token uit admin.token_file (HTTP 401). Een \
                         draaiende gateway neemt een nieuw token pas over als hij herlaadt: \
                         herlaad hem met een signaal, systemctl kill --signal=HUP lotgate \
                         (of kill -HUP <pid>)",
                        "the gateway refuses the token in admin.token_file (HTTP 401). A \
                         running gateway takes a new token only when it reloads: reload it \
                         by signal, systemctl kill --signal=HUP lotgate (or kill -HUP <pid>)"
                    )
                );
                return ExitCode::from(2);
            }
            Err(_) => {
                eprintln!("lotgate reload: HTTP {status}: {body}");
                return ExitCode::from(2);
            }
        },
        Err(code) => return code,
    };
    if !answer.reloaded {
        eprintln!("lotgate reload: {}", answer.message);
        for problem in &answer.problems {
            eprintln!("  {problem}");
        }
        return ExitCode::from(1);
    }
    println!("{} ({})", answer.message, answer.file);
    for key in &answer.applied {
        println!("  {}: {key}", l("gewijzigd", "applied"));
    }
    for key in &answer.needs_restart {
        println!("  {}: {key}", l("wacht op herstart", "needs a restart"));
    }
    ExitCode::SUCCESS
}
