//! `lotgate backup --output FILE`: asks the running gateway for a backup of its stores
//! (through the admin listener) and writes it; `lotgate restore --input FILE --data-dir
//! DIR`: writes the stores of a backup for a gateway that is not running, into
//! directories that must be new or empty.

use super::client::Admin;
use crate::api::BackupAbout;
use crate::store::BackupFile;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::ExitCode;

pub(super) fn backup(path: &Path, output: &Path) -> ExitCode {
    let admin = match Admin::new(path, "backup") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let l = |nl: &'static str, en: &'static str| admin.language.pick(nl, en);
    if output.exists() {
        eprintln!(
            "lotgate backup: {}: {}",
            output.display(),
            l(
                "bestaat al; een back-up overschrijft niets",
                "already exists; a backup overwrites nothing"
            )
        );
        return ExitCode::from(2);
    }
    let (status, bytes) = match admin.call(reqwest::Method::POST, "/api/v1/backup") {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    if !status.is_success() {
        return super::client::print_json(status, &String::from_utf8_lossy(&bytes));
    }
    let about = match read(&bytes) {
        Ok((_, about)) => about,
        Err(problem) => {
            eprintln!("lotgate backup: {problem}");
            return ExitCode::from(1);
        }
    };
    // Written beside the target and renamed: a FILE that exists is whole.
    let partial = output.with_extension("partial");
    let written = std::fs::write(&partial, &bytes).and_then(|()| std::fs::rename(&partial, output));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        eprintln!("lotgate backup: {}: {e}", output.display());
        return ExitCode::from(2);
    }
    println!(
        "{} {} ({} bytes, SHA-256 {})",
        l("back-up geschreven naar", "backup written to"),
        output.display(),
        bytes.len(),
        crate::strings::hex(&Sha256::digest(&bytes))
    );
    print_about(&about);
    ExitCode::SUCCESS
}

pub(super) fn restore(input: &Path, data_dir: &Path) -> ExitCode {
    let fail = |problem: String| {
        eprintln!("lotgate restore: {problem}");
        ExitCode::from(2)
    };
    let bytes = match std::fs::read(input) {
        Ok(bytes) => bytes,
        Err(e) => return fail(format!("{}: {e}", input.display())),
    };
    let (file, about) = match read(&bytes) {
        Ok(read) => read,
        Err(problem) => return fail(format!("{}: {problem}", input.display())),
    };
    // Every store's directory is checked before any is written.
    for store in &about.stores {
        let dir = data_dir.join(&store.role);
        if std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some()) {
            return fail(format!(
                "{}: not empty; a backup is restored only into a new or empty directory \
                 (a store there is never overwritten)",
                dir.display()
            ));
        }
    }
    for store in &about.stores {
        let dir = data_dir.join(&store.role);
        let Some(snapshot) = file.section(&store.role) else {
            return fail(format!(
                "the backup names {} but holds no such store",
                store.role
            ));
        };
        match crate::store::restore(&dir, snapshot) {
            Ok(size) => println!(
                "{}: {} trees, {} pairs restored into {}",
                store.role,
                size.trees,
                size.pairs,
                dir.display()
            ),
            Err(e) => return fail(e.to_string()),
        }
    }
    println!(
        "restored the backup of {} (lotgate {}); start the gateway with gateway.data_dir = {:?}",
        about.created,
        about.lotgate_version,
        data_dir.display().to_string()
    );
    ExitCode::SUCCESS
}

/// A backup file and its description, checked.
fn read(bytes: &[u8]) -> Result<(BackupFile, BackupAbout), String> {
    let file = BackupFile::decode(bytes)?;
    let about: BackupAbout = file
        .section("about")
        .and_then(|about| serde_json::from_slice(about).ok())
        .ok_or("the backup has no readable description (about)")?;
    for store in &about.stores {
        // The role names a directory under the data directory: only ours.
        if !matches!(store.role.as_str(), "sender" | "receiver") {
            return Err(format!(
                "the backup holds an unknown store {:?}",
                store.role
            ));
        }
        let snapshot = file
            .section(&store.role)
            .ok_or_else(|| format!("the backup names {} but holds no such store", store.role))?;
        crate::store::snapshot_size(snapshot).map_err(|e| format!("{}: {e}", store.role))?;
    }
    Ok((file, about))
}

fn print_about(about: &BackupAbout) {
    for store in &about.stores {
        println!(
            "  {}: {} trees, {} pairs, {} bytes",
            store.role, store.trees, store.pairs, store.bytes
        );
    }
}
