//! The TOML document behind a configuration: syntax errors with line and column,
//! shape errors (unknown keys, wrong types) with their full key path, and the line of
//! any key for the problems found later.
//!
//! serde stops at the first error. To report every shape error at once, the document
//! is kept as a spanned tree; after each error the offending key is taken out of the
//! tree and deserialization is tried again, until it succeeds.

use super::error::Problem;
use super::raw::{RawConfig, SECTIONS};
use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// Upper bound on shape errors reported for one file (each costs one more pass).
const MAX_SHAPE_ERRORS: usize = 50;

/// One step in a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A parsed TOML document and its text.
pub(super) struct Document<'t> {
    text: &'t str,
    root: Spanned<DeTable<'t>>,
}

/// What deserializing the document gave: the raw configuration (without the keys that
/// were wrong) and the problems found on the way.
pub(super) struct Shape {
    /// The configuration, or `None` if an error could not be isolated to one key.
    pub raw: Option<RawConfig>,
    /// Unknown keys and values of the wrong type.
    pub problems: Vec<Problem>,
    /// The keys taken out because they were wrong (their paths as in `problems`).
    pub removed: Vec<String>,
}

impl<'t> Document<'t> {
    /// Parses TOML text, or returns every syntax error found (with line and column).
    pub fn parse(text: &'t str) -> Result<Self, Vec<Problem>> {
        let (root, errors) = DeTable::parse_recoverable(text);
        if errors.is_empty() {
            return Ok(Self { text, root });
        }
        Err(errors
            .iter()
            .map(|e| {
                let (line, column) = e.span().map(|s| position(text, s.start)).unwrap_or((0, 0));
                let mut problem = Problem::new(
                    "",
                    format!(
                        "TOML syntax error at line {line}, column {column}: {}",
                        e.message().trim()
                    ),
                );
                problem.line = (line > 0).then_some(line);
                problem
            })
            .collect())
    }

    /// Deserializes the raw configuration, collecting every shape error.
    pub fn shape(&self) -> Shape {
        let mut root = self.root.clone();
        let mut problems = Vec::new();
        let mut removed = Vec::new();
        // serde would read `[[sender]]` as a struct given as a sequence and complain
        // about its first field; say what is meant instead.
        for &(key, array_of_tables) in SECTIONS {
            let path = parse_path(key);
            let Some(value) = lookup(root.get_ref(), &path) else {
                continue;
            };
            let fits = match value.get_ref() {
                DeValue::Table(_) => !array_of_tables,
                DeValue::Array(items) => {
                    array_of_tables && items.iter().all(|v| v.get_ref().is_table())
                }
                _ => false,
            };
            if fits {
                continue;
            }
            let found = value.get_ref().type_str();
            let message = if array_of_tables {
                format!("found {found}, expected an array of tables: write each entry as [[{key}]]")
            } else {
                format!("found {found}, expected a table: write it as [{key}]")
            };
            let mut problem = Problem::new(key, message);
            problem.line = self.line_of(key);
            problems.push(problem);
            remove(root.get_mut(), &path);
            removed.push(key.to_owned());
        }
        for _ in 0..MAX_SHAPE_ERRORS {
            let error = match RawConfig::deserialize(toml::de::Deserializer::from(root.clone())) {
                Ok(raw) => {
                    return Shape {
                        raw: Some(raw),
                        problems,
                        removed,
                    };
                }
                Err(e) => e,
            };
            let start = error.span().map(|s| s.start);
            let path = start.and_then(|pos| locate(root.get_ref(), pos));
            let key = path.as_deref().map(render).unwrap_or_default();
            let mut problem = Problem::new(key.clone(), shape_message(&key, error.message()));
            problem.line = start.map(|pos| position(self.text, pos).0);
            problems.push(problem);
            match path {
                Some(path) if remove(root.get_mut(), &path) => removed.push(key),
                // Cannot tell which key is wrong: stop here rather than loop.
                _ => break,
            }
        }
        Shape {
            raw: None,
            problems,
            removed,
        }
    }

    /// The line of `key` (a path such as `sender.destination[0].url`), or of the nearest
    /// enclosing key that is present in the file.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        let mut best = None;
        let mut table: Option<&DeTable<'_>> = Some(self.root.get_ref());
        let mut array: Option<&DeArray<'_>> = None;
        for segment in parse_path(key) {
            let next: Option<&Spanned<DeValue<'_>>> = match (&segment, table, array) {
                (Segment::Key(k), Some(t), _) => t.get_key_value(k.as_str()).map(|(k, v)| {
                    best = Some(k.span().start);
                    v
                }),
                (Segment::Index(i), _, Some(a)) => {
                    a.get(*i).inspect(|v| best = Some(v.span().start))
                }
                _ => None,
            };
            let Some(next) = next else { break };
            (table, array) = match next.get_ref() {
                DeValue::Table(t) => (Some(t), None),
                DeValue::Array(a) => (None, Some(a)),
                _ => (None, None),
            };
        }
        best.map(|pos| position(self.text, pos).0)
    }
}

/// The value at a path of keys (no indices).
fn lookup<'a, 't>(table: &'a DeTable<'t>, path: &[Segment]) -> Option<&'a Spanned<DeValue<'t>>> {
    let (Segment::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let value = table.get(first.as_str())?;
    if rest.is_empty() {
        return Some(value);
    }
    match value.get_ref() {
        DeValue::Table(t) => lookup(t, rest),
        _ => None,
    }
}

/// Line and column (both from 1) of byte offset `pos`.
fn position(text: &str, pos: usize) -> (usize, usize) {
    let before = text.get(..pos).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The deepest key path whose key or value covers byte offset `pos`.
fn locate(table: &DeTable<'_>, pos: usize) -> Option<Vec<Segment>> {
    for (key, value) in table.iter() {
        let mut path = vec![Segment::Key(key.get_ref().to_string())];
        if key.span().contains(&pos) {
            return Some(path);
        }
        if let Some(inner) = locate_value(value, pos) {
            path.extend(inner);
            return Some(path);
        }
    }
    None
}

/// The path below `value` covering `pos` (empty: the value itself).
fn locate_value(value: &Spanned<DeValue<'_>>, pos: usize) -> Option<Vec<Segment>> {
    match value.get_ref() {
        DeValue::Table(t) => {
            if let Some(inner) = locate(t, pos) {
                return Some(inner);
            }
        }
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                if let Some(inner) = locate_value(item, pos) {
                    let mut path = vec![Segment::Index(i)];
                    path.extend(inner);
                    return Some(path);
                }
            }
        }
        _ => {}
    }
    value.span().contains(&pos).then(Vec::new)
}

/// Takes the key named by `path` out of the tree (for an array element: the whole
/// array). Returns false if there is nothing to take out.
fn remove(table: &mut DeTable<'_>, path: &[Segment]) -> bool {
    let Some(last_key) = path.iter().rposition(|s| matches!(s, Segment::Key(_))) else {
        return false;
    };
    let (parents, Segment::Key(key)) = (&path[..last_key], &path[last_key]) else {
        return false;
    };
    let mut current = table;
    let mut parents = parents.iter().peekable();
    while let Some(segment) = parents.next() {
        let Segment::Key(k) = segment else {
            return false;
        };
        let Some(value) = current.get_mut(k.as_str()) else {
            return false;
        };
        let mut value = value.get_mut();
        if let Some(Segment::Index(i)) = parents.peek() {
            parents.next();
            let DeValue::Array(a) = value else {
                return false;
            };
            let Some(item) = a.get_mut(*i) else {
                return false;
            };
            value = item.get_mut();
        }
        let DeValue::Table(t) = value else {
            return false;
        };
        current = t;
    }
    current.remove(key.as_str()).is_some()
}

/// `sender.destination[2].url` from its segments.
fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The segments of `sender.destination[2].url` (keys never contain `.` or `[` here).
fn parse_path(key: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    for part in key.split('.') {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next().filter(|n| !n.is_empty()) {
            segments.push(Segment::Key(name.to_owned()));
        }
        for index in pieces {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                segments.push(Segment::Index(i));
            }
        }
    }
    segments
}

/// A serde message in the words of a TOML file, with advice for keys that hold secrets.
fn shape_message(key: &str, message: &str) -> String {
    let name = key.rsplit('.').next().unwrap_or(key);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        if name.contains("password") {
            return "a password must not be written in the configuration file: put it in a \
                    file readable only by lotgate and set `password_file`, or in an environment \
                    variable and set `password_env`"
                .to_owned();
        }
        if name == "private_key" || name == "key" {
            return "a private key must not be written in the configuration file: put it in a \
                    file readable only by lotgate and set `private_key_file`, or in an \
                    environment variable and set `private_key_env`"
                .to_owned();
        }
        if name == "token" {
            return "a token must not be written in the configuration file: put it in a file \
                    and set `token_file`"
                .to_owned();
        }
        let expected: Vec<&str> = rest
            .split_once("expected ")
            .map(|(_, list)| {
                list.trim_start_matches("one of ")
                    .split(", ")
                    .map(|k| k.trim_matches('`'))
                    .collect()
            })
            .unwrap_or_default();
        let hint = closest(name, &expected)
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        let (unknown, rest) = rest.split_once(", ").unwrap_or((rest, ""));
        return format!("unknown key {unknown}{hint}; {rest}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        return format!(
            "wrong type: found {}, expected {}",
            toml_type_words(found),
            toml_type_words(expected)
        );
    }
    message.to_owned()
}

/// The candidate nearest to `name` when it is close enough to be a typo.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= 2 && *d < c.len().max(name.len()) / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// serde's type names as a TOML user knows them.
fn toml_type_words(serde: &str) -> String {
    let words = if serde.starts_with("struct ") {
        "a table"
    } else {
        match serde {
            "i64" | "u64" | "i32" | "u32" => "an integer",
            "f64" | "f32" => "a number",
            "map" => "a table",
            "sequence" | "a sequence" => "an array",
            "any valid TOML value" => "a value",
            other => other,
        }
    };
    words
        .replace("floating point", "float")
        .replace("integer `", "integer ")
        .replace("float `", "float ")
        .replace('`', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let path = parse_path("sender.destination[2].url");
        assert_eq!(render(&path), "sender.destination[2].url");
        assert_eq!(path.len(), 4);
    }

    #[test]
    fn typos_are_recognised() {
        assert_eq!(closest("retrys", &["repeats", "retries"]), Some("retries"));
        assert_eq!(closest("tls", &["url", "name"]), None);
        assert_eq!(
            shape_message(
                "a.urll",
                "unknown field `urll`, expected one of `name`, `url`"
            ),
            "unknown key `urll` (did you mean `url`?); expected one of `name`, `url`"
        );
    }

    #[test]
    fn positions() {
        assert_eq!(position("a\nbc\n", 3), (2, 2));
        assert_eq!(position("", 0), (1, 1));
    }
}
