//! JSON sources.

use super::*;

#[test]
fn json_in_both_shapes() {
    let entries = r#"[
        {"vaccine_code": "08", "lot_number": "A1", "expiry_date": "2027-01-31", "stock": 12},
        {"vaccine_code": "31", "lot_number": "B2", "expiry_date": null, "vaccine_name": "Nieuw"},
        {"vaccine_code": "06", "lot_number": "C3", "expiry_date": "20270228", "vaccine_name": ""}
    ]"#;
    let bare = json(entries).expect("valid");
    let wrapped = json(&format!(r#"{{"generated": "today", "lots": {entries}}}"#)).expect("valid");
    assert_eq!(bare.lots, wrapped.lots);
    assert_ne!(bare.source_digest, wrapped.source_digest);
    assert_eq!(names(&bare), ["A1 08 Pneu", "B2 31 Nieuw", "C3 06 MenC"]);
    assert_eq!(
        issues(&bare.warnings),
        [("vaccine.unknown-code", "[1].vaccine_code".to_owned())]
    );
    assert_eq!(
        issues(&wrapped.warnings),
        [("vaccine.unknown-code", "lots[1].vaccine_code".to_owned())]
    );
}

#[test]
fn json_content_errors_name_the_entry() {
    let report = invalid(json(
        r#"{"lots": [
            {"vaccine_code": 8, "lot_number": "A"},
            {"vaccine_code": "08", "lot_number": 35187},
            {"vaccine_code": "08"},
            "08,B",
            {"vaccine_code": "08", "lot_number": "C", "expiry_date": 20270131}
        ]}"#,
    ));
    assert_eq!(
        issues(&report),
        [
            ("vaccine.code", "lots[0].vaccine_code".to_owned()),
            ("structure.unexpected", "lots[1].lot_number".to_owned()),
            ("lot.missing", "lots[2].lot_number".to_owned()),
            ("structure.unexpected", "lots[3]".to_owned()),
            ("lot.expiry-format", "lots[4].expiry_date".to_owned()),
        ]
    );
    assert_eq!(
        report.issues()[0].text(Language::En),
        "lots[0]: vaccine_code must be text such as \"08\", not a number"
    );
}

#[test]
fn json_that_is_not_json_or_has_the_wrong_shape() {
    let report = invalid(json("{\"lots\": [{\"vaccine_code\": \"08\",]}"));
    assert_eq!(
        issues(&report),
        [("structure.unexpected", "line 1, column 33".to_owned())]
    );
    let text = report.issues()[0].text(Language::En);
    assert!(text.starts_with("not valid JSON: "), "{text}");
    let report = invalid(json("{\"lot\": []}"));
    assert_eq!(issues(&report), [("structure.missing", "/".to_owned())]);
    let report = invalid(json("{\"lots\": {}}"));
    assert_eq!(
        issues(&report),
        [("structure.unexpected", "lots".to_owned())]
    );
    let report = invalid(json("\"08,A\""));
    assert_eq!(issues(&report), [("structure.unexpected", "/".to_owned())]);
}
