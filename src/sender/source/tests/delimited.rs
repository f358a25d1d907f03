//! CSV sources.

use super::*;

#[test]
fn the_shipped_inventory_gives_twelve_lots() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/inventory.csv");
    let bytes = std::fs::read(path).expect("examples/inventory.csv");
    let snapshot = parse(
        &bytes,
        SourceFormat::Csv,
        today(),
        &crate::vaccine::CodeList::builtin(),
    )
    .expect("valid");
    assert_eq!(snapshot.lots.len(), 12);
    assert!(
        snapshot.warnings.issues().is_empty(),
        "{:?}",
        snapshot.warnings
    );
    assert_eq!(
        snapshot.source_digest,
        <[u8; 32]>::from(Sha256::digest(&bytes))
    );
    let lot = snapshot.lots.get("ASPNA186DF").expect("ASPNA186DF");
    assert_eq!(lot.vaccine.name(), "Pneu");
    assert_eq!(lot.expires, NaiveDate::from_ymd_opt(2027, 1, 31));
    assert_eq!(
        snapshot.lots.get("ASPNA301CK").expect("present").expires,
        None
    );
}

#[test]
fn semicolons_free_column_order_extra_columns_bom_and_crlf() {
    let text = "\u{FEFF}Lot_Number;opmerking;Vaccine_Code ;expiry_date;vaccine_name\r\n\
                A1;x, y;08;20270131;\r\n\
                \"B;2\";;06;2027-02-28;Meningokokken C\r\n\
                C3;;31;;Nieuw vaccin\r\n\
                ;;;;\r\n";
    let snapshot = csv(text).expect("valid");
    assert_eq!(
        names(&snapshot),
        ["A1 08 Pneu", "B;2 06 Meningokokken C", "C3 31 Nieuw vaccin"]
    );
    assert_eq!(
        snapshot.lots.lots()[0].expires,
        NaiveDate::from_ymd_opt(2027, 1, 31)
    );
    // A code outside W0422 with a name is a warning, as in the receiver.
    assert_eq!(
        issues(&snapshot.warnings),
        [("vaccine.unknown-code", "line 4, vaccine_code".to_owned())]
    );
    assert_eq!(
        snapshot.warnings.issues()[0].text(Language::En),
        "line 4: vaccine type 31 is not in value set W0422"
    );
}

#[test]
fn a_comma_separated_file_with_quotes() {
    let snapshot =
        csv("vaccine_code,lot_number\n08,\"AS,1\"\n08,\"say \"\"hi\"\"\"\n").expect("valid");
    assert_eq!(names(&snapshot)[0], "AS,1 08 Pneu");
    assert_eq!(names(&snapshot)[1], "say \"hi\" 08 Pneu");
}

#[test]
fn a_missing_column_is_named() {
    let report = invalid(csv("vaccine_code,lot,expiry_date\n08,A1,\n"));
    assert_eq!(
        issues(&report),
        [("structure.missing", "line 1".to_owned())]
    );
    let text = report.issues()[0].text(Language::En);
    assert!(text.contains("no column lot_number"), "{text}");
    assert!(text.contains("\"lot\""), "{text}");
    // A file without a header: its first row is no header.
    let report = invalid(csv("08,A1,2027-01-31\n"));
    assert_eq!(report.issues().len(), 2);
    let report = invalid(csv("vaccine_code,lot_number,LOT_NUMBER\n08,A,B\n"));
    assert_eq!(
        issues(&report),
        [("structure.repeated", "line 1".to_owned())]
    );
}

#[test]
fn every_content_error_is_reported_with_its_line() {
    let long = "x".repeat(51);
    let text = format!(
        "vaccine_code,lot_number,expiry_date\n\
         08,OK1,2027-01-31\n\
         08,  ,\n\
         08,{long},\n\
         08,\"A\tB\",\n\
         8,OK2,\n\
         31,OK3,\n\
         08,OK4,2027-02-30\n\
         08,OK5,31-01-2027\n\
         08,OK6\n\
         08,OK7,,extra\n\
         08,OK1,2027-01-31\n"
    );
    let report = invalid(csv(&text));
    let line = |n: u32, field: &str| format!("line {n}, {field}");
    assert_eq!(
        issues(&report),
        [
            ("lot.blank", line(3, "lot_number")),
            ("lot.too-long", line(4, "lot_number")),
            ("lot.control-char", line(5, "lot_number")),
            ("vaccine.code", line(6, "vaccine_code")),
            ("vaccine.display-name", line(7, "vaccine_name")),
            ("lot.expiry-format", line(8, "expiry_date")),
            ("lot.expiry-format", line(9, "expiry_date")),
            ("structure.unexpected", "line 10".to_owned()),
            ("structure.unexpected", "line 11".to_owned()),
            ("lot.duplicate", line(12, "lot_number")),
        ]
    );
    let texts: Vec<&str> = report
        .issues()
        .iter()
        .map(|i| i.text(Language::En))
        .collect();
    assert_eq!(
        texts[1],
        "line 4: lot number has 51 characters, at most 50 are allowed"
    );
    assert_eq!(
        texts[2],
        "line 5: lot number contains control character U+0009"
    );
    assert_eq!(
        texts[3],
        "line 6: vaccine type \"8\" is not a two-digit code"
    );
    assert_eq!(
        texts[4],
        "line 7: vaccine type 31 is not in value set W0422 and has no vaccine_name"
    );
    assert_eq!(
        texts[6],
        "line 9: expiry date \"31-01-2027\" is not a date YYYY-MM-DD or YYYYMMDD"
    );
    assert_eq!(texts[7], "line 10: has 2 fields, the header has 3");
    assert_eq!(
        texts[9],
        "line 12: lot number OK1 is listed twice (line 2 and line 12)"
    );
    assert_eq!(
        report.issues()[0].text(Language::Nl),
        "regel 3: partijnummer is leeg"
    );
}

#[test]
fn duplicates_warn_and_the_first_row_counts() {
    let snapshot =
        csv("vaccine_code,lot_number,expiry_date\n08,A,2027-01-31\n08,A,2027-01-31\n08,A,\n")
            .expect("duplicates do not block");
    assert_eq!(snapshot.lots.len(), 1);
    assert_eq!(
        snapshot.lots.lots()[0].expires,
        NaiveDate::from_ymd_opt(2027, 1, 31)
    );
    let texts: Vec<&str> = snapshot
        .warnings
        .issues()
        .iter()
        .map(|i| i.text(Language::En))
        .collect();
    assert_eq!(
        texts,
        [
            "line 3: lot number A is listed twice (line 2 and line 3)",
            "line 4: lot number A is listed twice (line 2 and line 4); the details differ, the first counts",
        ]
    );
    // Case matters: lot numbers are opaque.
    assert_eq!(
        csv("vaccine_code,lot_number\n08,a\n08,A\n")
            .expect("valid")
            .lots
            .len(),
        2
    );
}

#[test]
fn a_lot_number_under_two_vaccine_codes_is_refused() {
    let report = invalid(csv("vaccine_code,lot_number\n08,A\n06,B\n06,A\n"));
    assert_eq!(
        issues(&report),
        [("lot.two-vaccines", "line 4, lot_number".to_owned())]
    );
    assert_eq!(
        report.issues()[0].text(Language::En),
        "line 4: lot number A is listed under vaccine type 08 (line 2) and 06 (line 4)"
    );
}

#[test]
fn expired_lots_warn_and_stay() {
    let snapshot =
        csv("vaccine_code,lot_number,expiry_date\n08,OLD,2026-05-31\n08,TODAY,2026-06-01\n")
            .expect("valid");
    assert_eq!(snapshot.lots.len(), 2);
    assert_eq!(
        issues(&snapshot.warnings),
        [("lot.expired", "line 2, expiry_date".to_owned())]
    );
    assert_eq!(
        snapshot.warnings.issues()[0].text(Language::En),
        "line 2: lot OLD has already expired (2026-05-31)"
    );
}

#[test]
fn line_numbers_are_exact_with_crlf_blank_lines_and_quoted_line_breaks() {
    let text = "vaccine_code,lot_number\r\n\r\n08,A\r\n08,\"B\r\nC\"\r\n\r\n8,D\r\n08,\r\n";
    let report = invalid(csv(text));
    assert_eq!(
        issues(&report),
        [
            ("lot.control-char", "line 4, lot_number".to_owned()),
            ("vaccine.code", "line 7, vaccine_code".to_owned()),
            ("lot.blank", "line 8, lot_number".to_owned()),
        ]
    );
    // A lot number with a line break is refused, wherever it is.
    let report = invalid(csv("vaccine_code,lot_number\n08,\"B\nC\"\n"));
    assert_eq!(
        issues(&report),
        [("lot.control-char", "line 2, lot_number".to_owned())]
    );
}
