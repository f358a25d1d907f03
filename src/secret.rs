//! Reading a secret (the SMTP password, the admin token) from where the configuration
//! says it is kept.
//!
//! Errors name the file or the environment variable, never the secret: not even a
//! value that is not valid UTF-8 is quoted back.

use crate::config::SecretSource;
use std::path::PathBuf;

/// A secret that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The file could not be read.
    #[error("cannot read the secret from the file {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The variable is not set.
    #[error("the environment variable {name} that should hold the secret is not set")]
    EnvMissing {
        /// The variable.
        name: String,
    },
    /// The file or variable holds something that is not UTF-8 text.
    #[error("the secret in {0} is not UTF-8 text")]
    NotText(String),
    /// The file or variable is empty.
    #[error("the secret in {0} is empty")]
    Empty(String),
}

/// Reads the secret: a file's content without its final line break (`\n` or `\r\n`),
/// or an environment variable's value as it is.
pub fn read(source: &SecretSource) -> Result<String, SecretError> {
    let (secret, place) = match source {
        SecretSource::File(path) => {
            let place = format!("the file {}", path.display());
            let bytes = std::fs::read(path).map_err(|source| SecretError::File {
                path: path.clone(),
                source,
            })?;
            let mut text =
                String::from_utf8(bytes).map_err(|_| SecretError::NotText(place.clone()))?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            (text, place)
        }
        SecretSource::Env(name) => {
            let place = format!("the environment variable {name}");
            let value = match std::env::var(name) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => {
                    return Err(SecretError::EnvMissing { name: name.clone() });
                }
                Err(std::env::VarError::NotUnicode(_)) => return Err(SecretError::NotText(place)),
            };
            (value, place)
        }
    };
    if secret.is_empty() {
        return Err(SecretError::Empty(place));
    }
    Ok(secret)
}

/// Warns (in the log) when a file holding a secret is open to anyone but its owner
/// (group or others may read or write it). The path is named, the content never.
pub fn warn_if_readable_by_others(path: &std::path::Path, what: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                "{what} {} can be read by others than its owner (mode {:o}); \
                 restrict it with chmod 600",
                path.display(),
                metadata.permissions().mode() & 0o777
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_loses_one_final_line_break_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("password");
        for (content, expected) in [
            ("geheim\n", "geheim"),
            ("geheim\r\n", "geheim"),
            ("geheim", "geheim"),
            ("geheim \n\n", "geheim \n"),
        ] {
            std::fs::write(&path, content).expect("write");
            let secret = read(&SecretSource::File(path.clone())).expect("readable");
            assert_eq!(secret, expected, "{content:?}");
        }
    }

    #[test]
    fn variables_and_errors_that_name_the_place_but_not_the_secret() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("no-such-file");
        let e = read(&SecretSource::File(missing.clone())).expect_err("missing file");
        assert!(
            e.to_string().contains(&missing.display().to_string()),
            "{e}"
        );

        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").expect("write");
        let e = read(&SecretSource::File(empty)).expect_err("empty file");
        assert!(e.to_string().contains("is empty"), "{e}");

        let binary = dir.path().join("binary");
        std::fs::write(&binary, [b'g', 0xff, b'h']).expect("write");
        let e = read(&SecretSource::File(binary)).expect_err("not UTF-8");
        assert!(e.to_string().contains("not UTF-8"), "{e}");

        // No test sets a variable (that would race with other tests): cargo sets this
        // one for every test process, and this one nobody sets.
        let ok = read(&SecretSource::Env("CARGO_PKG_NAME".to_owned())).expect("set by cargo");
        assert_eq!(ok, "lotgate");
        let name = "LOTGATE_TEST_SECRET_THAT_IS_NEVER_SET";
        let e = read(&SecretSource::Env(name.to_owned())).expect_err("unset");
        assert!(e.to_string().contains(name), "{e}");
    }
}
