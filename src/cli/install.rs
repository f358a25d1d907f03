//! What an installation needs from the command line itself: shell completions
//! (`lotgate completions bash|zsh|fish`) and the man pages (`lotgate manpages --output
//! DIR`, hidden: the package build writes them), both made from the clap definitions,
//! so they always match the verbs.

use super::Cli;
use clap::CommandFactory;
use std::path::Path;
use std::process::ExitCode;

/// Prints the completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "lotgate", &mut script);
    // Written whole, so that a closed pipe (`| head`) is an error, not a panic.
    match std::io::Write::write_all(&mut std::io::stdout(), &script) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lotgate completions: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes `lotgate.1` and one page per verb (`lotgate-run.1`, …) into `dir`.
pub(super) fn manpages(dir: &Path) -> ExitCode {
    match write_manpages(dir) {
        Ok(pages) => {
            println!("{pages} man pages written to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lotgate manpages: {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}

fn write_manpages(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let command = Cli::command();
    let mut pages = 0;
    let mut write = |name: &str, command: clap::Command| -> std::io::Result<()> {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page)?;
        std::fs::write(dir.join(format!("{name}.1")), page)?;
        pages += 1;
        Ok(())
    };
    write("lotgate", command.clone())?;
    for verb in command.get_subcommands().filter(|verb| !verb.is_hide_set()) {
        let name = format!("lotgate-{}", verb.get_name());
        write(&name, verb.clone().name(name.clone()))?;
    }
    Ok(pages)
}
