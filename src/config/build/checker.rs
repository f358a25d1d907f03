//! The problem collector of stage two: parses one value with its key, records what is
//! wrong and hands back a fallback so that checking can go on.

use crate::config::error::Problem;
use crate::config::values::{self, EmailAddress};
use crate::config::{Reports, SecretSource};
use crate::ids::ApplicationId;
use crate::language::Language;
use chrono::NaiveTime;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Collects problems and parses values with their key, falling back to defaults.
pub(super) struct Checker<'a> {
    base_dir: &'a Path,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    /// A checker for a file in `base_dir`, with no problems yet.
    pub(super) fn new(base_dir: &'a Path) -> Self {
        Self {
            base_dir,
            problems: Vec::new(),
        }
    }

    /// Whether no problem has been recorded.
    pub(super) fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems recorded, in order.
    pub(super) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// Records a problem with `key`.
    pub(super) fn err(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(key, message));
    }

    /// A path, resolved against the config file's directory.
    pub(super) fn path(&mut self, key: &str, value: Option<&str>) -> Option<PathBuf> {
        let value = value?;
        if value.trim().is_empty() {
            self.err(key, "must not be empty: expected a path");
            return None;
        }
        let path = Path::new(value);
        if path.is_absolute() {
            return Some(path.to_owned());
        }
        // `./data` becomes `data` (or `<dir>/data`), which reads better in messages.
        let relative: PathBuf = path
            .components()
            .filter(|c| *c != Component::CurDir)
            .collect();
        Some(
            match (
                self.base_dir.as_os_str().is_empty(),
                relative.as_os_str().is_empty(),
            ) {
                (true, true) => PathBuf::from("."),
                (true, false) => relative,
                (false, _) => self.base_dir.join(relative),
            },
        )
    }

    /// A whole number in `range`, `default` when absent or wrong.
    pub(super) fn int(
        &mut self,
        key: &str,
        value: Option<i64>,
        default: i64,
        range: RangeInclusive<i64>,
    ) -> i64 {
        match value {
            None => default,
            Some(n) if range.contains(&n) => n,
            Some(n) => {
                self.err(
                    key,
                    format!(
                        "{n} is out of range; expected {} to {}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    /// A duration of at least `min_secs` seconds, `default` when absent or wrong.
    pub(super) fn duration(
        &mut self,
        key: &str,
        value: Option<&str>,
        default: &str,
        min_secs: u64,
    ) -> Duration {
        let fallback = values::duration(default).unwrap_or(Duration::from_secs(min_secs));
        let Some(text) = value else { return fallback };
        match values::duration(text) {
            Ok(d) if d.as_secs() >= min_secs => d,
            Ok(_) => {
                let min = humantime::format_duration(Duration::from_secs(min_secs));
                self.err(
                    key,
                    format!("{text:?} is too short; expected at least {min}"),
                );
                fallback
            }
            Err(e) => {
                self.err(key, e);
                fallback
            }
        }
    }

    /// A time of day, `default` when absent or wrong.
    pub(super) fn time(&mut self, key: &str, value: Option<&str>, default: NaiveTime) -> NaiveTime {
        match value.map(values::time_of_day) {
            None => default,
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                self.err(key, e);
                default
            }
        }
    }

    /// `nl` or `en`, `default` when absent or wrong.
    pub(super) fn language(
        &mut self,
        key: &str,
        value: Option<&str>,
        default: Language,
    ) -> Language {
        value.map_or(default, |l| {
            l.parse().unwrap_or_else(|e: String| {
                self.err(key, e);
                default
            })
        })
    }

    /// One of the `allowed` choices of reports, `problems` when absent or wrong.
    pub(super) fn reports(
        &mut self,
        key: &str,
        value: Option<&str>,
        allowed: &[Reports],
    ) -> Reports {
        let Some(value) = value else {
            return Reports::Problems;
        };
        if let Some(found) = allowed.iter().find(|r| r.name() == value) {
            return *found;
        }
        let names: Vec<String> = allowed.iter().map(|r| format!("{:?}", r.name())).collect();
        let (last, rest) = names
            .split_last()
            .map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
        self.err(
            key,
            format!(
                "{value:?} is not a choice of reports; expected {} or {last}",
                rest.join(", ")
            ),
        );
        Reports::Problems
    }

    /// An email address.
    pub(super) fn email(&mut self, key: &str, value: &str) -> Option<EmailAddress> {
        EmailAddress::parse(value)
            .map_err(|e| self.err(key, e.to_string()))
            .ok()
    }

    /// A required, non-empty list of email addresses.
    pub(super) fn emails(&mut self, key: &str, value: Option<&[String]>) -> Vec<EmailAddress> {
        match value {
            None | Some([]) => {
                self.err(
                    key,
                    "required: at least one email address, e.g. [\"beheer@example.org\"]",
                );
                Vec::new()
            }
            Some(list) => list
                .iter()
                .enumerate()
                .filter_map(|(i, e)| self.email(&format!("{key}[{i}]"), e))
                .collect(),
        }
    }

    /// A required application id.
    pub(super) fn application_id(
        &mut self,
        key: &str,
        value: Option<&str>,
        what: &str,
    ) -> Option<ApplicationId> {
        match value {
            None => {
                self.err(key, format!("required: {what} (1-20 digits)"));
                None
            }
            Some(v) => ApplicationId::parse(v)
                .map_err(|e| self.err(key, e.to_string()))
                .ok(),
        }
    }

    /// Where a secret is kept: the file `<section>.<name>_file` or the environment
    /// variable `<section>.<name>_env`, not both; `None` when neither is given (or wrong).
    pub(super) fn secret(
        &mut self,
        section: &str,
        name: &str,
        file: Option<&str>,
        env: Option<&str>,
    ) -> Option<SecretSource> {
        let env_key = format!("{section}.{name}_env");
        match (file, env) {
            (Some(_), Some(_)) => {
                self.err(
                    &env_key,
                    format!("give either {name}_file or {name}_env, not both"),
                );
                None
            }
            (Some(f), None) => self
                .path(&format!("{section}.{name}_file"), Some(f))
                .map(SecretSource::File),
            (None, Some(v)) if v.is_empty() || v.contains(['=', '\0']) => {
                self.err(
                    &env_key,
                    format!("{v:?} is not an environment variable name"),
                );
                None
            }
            (None, Some(v)) => Some(SecretSource::Env(v.to_owned())),
            (None, None) => None,
        }
    }

    /// A list of paths (PEM files); `what` describes them when the list is required
    /// (`Some`) but missing or empty.
    pub(super) fn paths(
        &mut self,
        key: &str,
        value: Option<&[String]>,
        required: Option<&str>,
    ) -> Vec<PathBuf> {
        let list = value.unwrap_or(&[]);
        if list.is_empty()
            && let Some(what) = required
        {
            self.err(key, format!("required: {what}"));
        }
        list.iter()
            .enumerate()
            .filter_map(|(i, p)| self.path(&format!("{key}[{i}]"), Some(p)))
            .collect()
    }

    /// A listen address; refused when not loopback unless `tls` or `insecure`.
    pub(super) fn listen(
        &mut self,
        section: &str,
        value: Option<&str>,
        default: &str,
        tls: bool,
        insecure: bool,
    ) -> SocketAddr {
        let key = format!("{section}.listen");
        let fallback =
            values::socket_addr(default).unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
        let addr = match value.map(values::socket_addr) {
            None => fallback,
            Some(Ok(a)) => a,
            Some(Err(e)) => {
                self.err(&key, e);
                return fallback;
            }
        };
        if !addr.ip().is_loopback() && !tls && !insecure {
            self.err(
                &key,
                format!(
                    "{addr} is not a loopback address and TLS is not configured: plain HTTP \
                     would be open to the network. Listen on 127.0.0.1, or set \
                     {section}.insecure = true to allow it explicitly"
                ),
            );
        }
        addr
    }
}
