//! Tests of [`parse`](super::parse) and the error texts; per format in `delimited` and `json`.

mod delimited;
mod json;

use super::*;
use crate::language::Language;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date")
}

fn csv(text: &str) -> Result<Snapshot, SourceError> {
    parse(
        text.as_bytes(),
        SourceFormat::Csv,
        today(),
        &crate::vaccine::CodeList::builtin(),
    )
}

fn json(text: &str) -> Result<Snapshot, SourceError> {
    parse(
        text.as_bytes(),
        SourceFormat::Json,
        today(),
        &crate::vaccine::CodeList::builtin(),
    )
}

fn invalid(result: Result<Snapshot, SourceError>) -> Report {
    match result {
        Err(SourceError::Invalid { report, .. }) => report,
        other => panic!("expected invalid content, got {other:?}"),
    }
}

/// Rule code and location of every issue, in order.
fn issues(report: &Report) -> Vec<(&'static str, String)> {
    report
        .issues()
        .iter()
        .map(|i| (i.rule.id(), i.location.clone()))
        .collect()
}

/// "number code name" of every lot, in lot-number order.
fn names(snapshot: &Snapshot) -> Vec<String> {
    let lots = snapshot.lots.lots().iter();
    lots.map(|l| format!("{} {} {}", l.number, l.vaccine.code(), l.vaccine.name()))
        .collect()
}

#[test]
fn empty_sources_are_an_empty_list() {
    for text in [
        "",
        "\u{FEFF}",
        " \n\n",
        "vaccine_code,lot_number\n",
        "vaccine_code;lot_number\r\n;\r\n",
    ] {
        let report = invalid(csv(text));
        assert_eq!(
            issues(&report),
            [("list.empty", "/".to_owned())],
            "{text:?}"
        );
    }
    for text in ["", "[]", "{\"lots\": []}"] {
        let report = invalid(json(text));
        assert_eq!(
            issues(&report),
            [("list.empty", "/".to_owned())],
            "{text:?}"
        );
    }
}
#[test]
fn bytes_that_are_not_utf8_are_unreadable() {
    let error = parse(
        b"vaccine_code,lot_number\n08,CAF\xC9\n",
        SourceFormat::Csv,
        today(),
        &crate::vaccine::CodeList::builtin(),
    )
    .expect_err("Latin-1");
    assert!(error.is_transient());
    let SourceError::Unreadable { reason, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        reason.get(Language::En),
        "the content is not UTF-8 (byte 0xC9 at offset 30, line 2); export it as UTF-8"
    );
    assert!(json("[{\"vaccine_code\": \"08\", \"lot_number\": \"\u{0}\"}]").is_err());
}

#[test]
fn error_texts_name_the_source_and_every_problem() {
    let origin = Origin::of(&SourceLocation::File("/srv/export/lots.csv".into()));
    let error = csv("vaccine_code,lot_number,expiry_date\n08,,\n08,A,2020-01-01\n")
        .expect_err("invalid")
        .with_origin(origin);
    assert!(!error.is_transient());
    assert_eq!(
        error.to_string(),
        "the inventory source (file /srv/export/lots.csv) is invalid: 1 error(s), 1 warning(s); \
         no message was built from it\n  [lot.blank] line 2: lot number is blank\n  \
         warning [lot.expired] line 3: lot A has already expired (2020-01-01)"
    );
    assert!(error.text(Language::Nl).starts_with(
        "de voorraadbron (bestand /srv/export/lots.csv) is ongeldig: 1 fout(en), 1 waarschuwing(en)"
    ));
    let many: String = (0..60).map(|_| "08,\n").collect();
    let error = csv(&format!("vaccine_code,lot_number\n{many}")).expect_err("invalid");
    assert_eq!(error.text(Language::En).lines().count(), 1 + 50 + 1);
    assert!(error.to_string().ends_with("… and 10 more"));
}

#[test]
fn urls_are_shown_without_secrets() {
    assert_eq!(
        redact_url("https://inv.example.org/lots.json"),
        "https://inv.example.org/lots.json"
    );
    assert_eq!(
        redact_url("https://user:pw@inv.example.org:8443/api/lots?token=s3cret#x"),
        "https://inv.example.org:8443/api/lots?…"
    );
    assert_eq!(
        redact_url("http://127.0.0.1:9/?a=b"),
        "http://127.0.0.1:9/?…"
    );
    let origin = Origin::of(&SourceLocation::Url("https://h/x?key=k".into()));
    assert_eq!(origin.describe(Language::En), "URL https://h/x?…");
}

#[test]
fn expiry_dates() {
    let date = NaiveDate::from_ymd_opt(2027, 1, 31);
    assert_eq!(rows::parse_date("2027-01-31"), date);
    assert_eq!(rows::parse_date("20270131"), date);
    for bad in [
        "2027-1-31",
        "2027/01/31",
        "2027-02-29",
        "202701310",
        "31-01-2027",
        "2027-01-3a",
        "+2027-01-31",
    ] {
        assert_eq!(rows::parse_date(bad), None, "{bad}");
    }
}
