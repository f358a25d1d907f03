//! CSV sources: a header row naming the columns, then one lot per row.
//!
//! Columns `vaccine_code` and `lot_number` are required, `expiry_date` and
//! `vaccine_name` optional; their order is free, other columns are ignored, and header
//! names are compared without case and surrounding blanks. The separator is `,`, or `;`
//! when the header line has more of those (Excel in a Dutch locale writes `;`). Fields
//! are taken as written; quoting follows RFC 4180. Rows that are entirely empty (as
//! spreadsheets leave at the end) are skipped: they hold no lot.

use super::rows::{At, Field, RawRow};
use crate::diagnostics::{Issue, Report, Rule};

const REQUIRED: [&str; 2] = ["vaccine_code", "lot_number"];
const OPTIONAL: [&str; 2] = ["expiry_date", "vaccine_name"];

/// Where each known column is in a row.
#[derive(Debug, Default)]
struct Columns {
    vaccine_code: Option<usize>,
    lot_number: Option<usize>,
    expiry_date: Option<usize>,
    vaccine_name: Option<usize>,
}

/// Reads the rows; `None` when they cannot be read at all (no usable header).
pub(super) fn rows(text: &str, report: &mut Report) -> Option<Vec<RawRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Lines::new(text);
    let mut records = reader.records();
    let header = match records.next() {
        None => return Some(Vec::new()),
        Some(Ok(header)) => header,
        Some(Err(e)) => {
            report.push(unreadable(lines.at(e.position()), &e));
            return None;
        }
    };
    let header_line = lines.at(header.position());
    let columns = columns(&header, header_line, report)?;
    let width = header.len();
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = lines.at(e.position());
                rows.push(RawRow::broken(At::Line(line), unreadable(line, &e)));
                continue;
            }
        };
        let line = lines.at(record.position());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        // Empty fields beyond the header's width are what a trailing separator leaves;
        // anything else there, or fewer fields, means the columns cannot be trusted.
        if record.len() < width || record.iter().skip(width).any(|f| !f.trim().is_empty()) {
            let n = record.len();
            let issue = Issue::new(
                Rule::StructureUnexpected,
                format!("line {line}"),
                format!("regel {line}: heeft {n} velden, de kopregel {width}"),
                format!("line {line}: has {n} fields, the header has {width}"),
            );
            rows.push(RawRow::broken(At::Line(line), issue));
            continue;
        }
        let field = |column: Option<usize>| {
            column
                .and_then(|i| record.get(i))
                .map_or(Field::Absent, |f| Field::Text(f.to_owned()))
        };
        rows.push(RawRow {
            at: At::Line(line),
            vaccine_code: field(columns.vaccine_code),
            lot_number: field(columns.lot_number),
            expiry_date: field(columns.expiry_date),
            vaccine_name: field(columns.vaccine_name),
            broken: None,
        });
    }
    Some(rows)
}

/// The line a record starts on. The csv crate's own line count is one short after CRLF
/// line ends, and its byte position of a record can point at the line end before it or
/// at blank lines it skipped; moved past those, the byte position is exact.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of a record at `position`; records come in order.
    fn at(&mut self, position: Option<&csv::Position>) -> u64 {
        let text = self.text;
        let byte = position.map_or(self.offset, |p| usize::try_from(p.byte()).unwrap_or(0));
        let mut start = byte.clamp(self.offset, text.len());
        while text.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        self.line += memchr::memchr_iter(b'\n', &text[self.offset..start]).count() as u64;
        self.offset = start;
        self.line
    }
}

/// `;` when the first line has more semicolons than commas, else `,`.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    }
}

fn columns(header: &csv::StringRecord, line: u64, report: &mut Report) -> Option<Columns> {
    let mut columns = Columns::default();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        let slot = match name.as_str() {
            "vaccine_code" => &mut columns.vaccine_code,
            "lot_number" => &mut columns.lot_number,
            "expiry_date" => &mut columns.expiry_date,
            "vaccine_name" => &mut columns.vaccine_name,
            _ => continue,
        };
        if slot.is_some() {
            report.add(
                Rule::StructureRepeated,
                format!("line {line}"),
                format!("regel {line}: de kopregel heeft de kolom {name} twee keer"),
                format!("line {line}: the header has the column {name} twice"),
            );
        } else {
            *slot = Some(i);
        }
    }
    let found: Vec<String> = header.iter().take(8).map(|n| format!("{n:?}")).collect();
    let found = found.join(", ");
    let required = [columns.vaccine_code, columns.lot_number];
    for (name, _) in REQUIRED.iter().zip(required).filter(|(_, c)| c.is_none()) {
        let [o1, o2] = OPTIONAL;
        report.add(
            Rule::StructureMissing,
            format!("line {line}"),
            format!(
                "regel {line}: de kopregel heeft geen kolom {name}; nodig zijn vaccine_code en \
                 lot_number, eventueel {o1} en {o2} (gevonden: {found})"
            ),
            format!(
                "line {line}: the header has no column {name}; it needs vaccine_code and \
                 lot_number, optionally {o1} and {o2} (found: {found})"
            ),
        );
    }
    let usable = required.iter().all(Option::is_some) && !report.contains(Rule::StructureRepeated);
    usable.then_some(columns)
}

fn unreadable(line: u64, e: &csv::Error) -> Issue {
    Issue::new(
        Rule::StructureUnexpected,
        format!("line {line}"),
        format!("regel {line}: onleesbare CSV: {e}"),
        format!("line {line}: unreadable CSV: {e}"),
    )
}
