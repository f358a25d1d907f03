//! JSON sources: `{"lots": [...]}` or a bare array, each element an object with the
//! fields `vaccine_code`, `lot_number`, `expiry_date` and `vaccine_name` (strings; the
//! last two optional, `null` counts as absent). Other fields, in the objects or beside
//! `lots`, are ignored.

use super::rows::{At, Field, RawRow};
use crate::diagnostics::{Issue, Report, Rule};
use crate::language::Language;
use serde_json::{Map, Value};

/// Reads the rows; `None` when they cannot be read at all (not JSON, wrong shape).
pub(super) fn rows(text: &str, report: &mut Report) -> Option<Vec<RawRow>> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            report.add(
                Rule::StructureUnexpected,
                format!("line {}, column {}", e.line(), e.column()),
                format!("geen geldige JSON: {e}"),
                format!("not valid JSON: {e}"),
            );
            return None;
        }
    };
    let (wrapped, entries) = match value {
        Value::Array(entries) => (false, entries),
        Value::Object(mut object) => match object.remove("lots") {
            Some(Value::Array(entries)) => (true, entries),
            Some(other) => {
                let (nl, en) = kind(&other);
                report.add(
                    Rule::StructureUnexpected,
                    "lots",
                    format!("\"lots\" moet een lijst zijn, geen {nl}"),
                    format!("\"lots\" must be an array, not {en}"),
                );
                return None;
            }
            None => {
                report.add(
                    Rule::StructureMissing,
                    "/",
                    "het JSON-object heeft geen veld \"lots\" met de lijst van partijen",
                    "the JSON object has no field \"lots\" with the list of lots",
                );
                return None;
            }
        },
        other => {
            let (nl, en) = kind(&other);
            report.add(
                Rule::StructureUnexpected,
                "/",
                format!("verwacht een lijst van partijen of een object met \"lots\", niet {nl}"),
                format!("expected an array of lots or an object with \"lots\", not {en}"),
            );
            return None;
        }
    };
    let mut rows = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let at = At::Entry { wrapped, index };
        let mut object = match entry {
            Value::Object(object) => object,
            other => {
                let (nl, en) = kind(&other);
                let label = at.label(Language::En);
                let issue = Issue::new(
                    Rule::StructureUnexpected,
                    label.clone(),
                    format!("{label}: moet een object zijn, geen {nl}"),
                    format!("{label}: must be an object, not {en}"),
                );
                rows.push(RawRow::broken(at, issue));
                continue;
            }
        };
        rows.push(RawRow {
            at,
            vaccine_code: field(&mut object, "vaccine_code"),
            lot_number: field(&mut object, "lot_number"),
            expiry_date: field(&mut object, "expiry_date"),
            vaccine_name: field(&mut object, "vaccine_name"),
            broken: None,
        });
    }
    Some(rows)
}

fn field(object: &mut Map<String, Value>, name: &str) -> Field {
    match object.remove(name) {
        None | Some(Value::Null) => Field::Absent,
        Some(Value::String(text)) => Field::Text(text),
        Some(other) => {
            let (nl, en) = kind(&other);
            Field::Wrong { nl, en }
        }
    }
}

/// What a JSON value is, in Dutch and English.
fn kind(value: &Value) -> (&'static str, &'static str) {
    match value {
        Value::Null => ("null", "null"),
        Value::Bool(_) => ("een waarheidswaarde", "a boolean"),
        Value::Number(_) => ("een getal", "a number"),
        Value::String(_) => ("tekst", "text"),
        Value::Array(_) => ("een lijst", "an array"),
        Value::Object(_) => ("een object", "an object"),
    }
}
