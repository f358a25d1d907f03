//! What is wrong with a configuration: every problem found, each naming its key.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The full key path, e.g. `sender.destination[2].url` (array indices count from 0).
    /// Empty when the problem is about the file as a whole (unreadable, TOML syntax).
    pub key: String,
    /// The line in the file (from 1) the problem is on, or the line of the nearest
    /// enclosing table when the key is missing; `None` when not known.
    pub line: Option<usize>,
    /// What is wrong and what is expected, as one line of text.
    pub message: String,
}

impl Problem {
    /// A problem with `key`, line not (yet) known.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.key.is_empty(), self.line) {
            (false, Some(line)) => write!(f, "{} (line {line}): {}", self.key, self.message),
            (false, None) => write!(f, "{}: {}", self.key, self.message),
            (true, _) => f.write_str(&self.message),
        }
    }
}

/// Why a configuration could not be loaded: the file is unreadable, is not TOML, or
/// has one or more problems. Holds every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    file: Option<PathBuf>,
    problems: Vec<Problem>,
}

impl ConfigError {
    /// An error made of `problems` (at least one is expected).
    pub fn new(problems: Vec<Problem>) -> Self {
        Self {
            file: None,
            problems,
        }
    }

    /// The same error, noting the file it is about.
    pub fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_owned());
        self
    }

    /// The configuration file, when the error came from [`super::Config::load`].
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Every problem found, in the order they were found.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

/// One problem per line (the file name is not repeated: callers print it once).
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
