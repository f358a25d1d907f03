//! `lotgate validate` as a partner runs it: exit codes, formats, the answer it prints.

use crate::support::{lotgate, reference_dir};

fn reference_example() -> String {
    reference_dir()
        .join("examples/PRMM_IN010043NL-4-lots.xml")
        .display()
        .to_string()
}

#[test]
fn an_accepted_message_exits_zero_with_a_text_report() {
    let out = lotgate(&["validate", &reference_example()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("accept"), "{text}");
    assert!(text.contains("4 partijen"), "{text}");
}

#[test]
fn english_json_report_for_a_misaddressed_message() {
    let out = lotgate(&[
        "validate",
        &reference_example(),
        "--receiver-id",
        "12345",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json["verdict"], "CR");
    assert_eq!(json["issues"][0]["code"], "wrapper.receiver");
    assert_eq!(
        json["issues"][0]["location"],
        "/PRMM_IN010043NL/receiver/device/id/@extension"
    );
    let text = json["issues"][0]["text"].as_str().unwrap();
    assert!(text.contains("addressed to 99999002"), "{text}");
}

#[test]
fn ack_prints_the_exact_answer() {
    let out = lotgate(&["validate", &reference_example(), "--ack"]);
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.contains("<acknowledgement typeCode=\"CA\">"), "{xml}");
    assert!(
        xml.contains("extension=\"PRAEV-20240601-020000-0001\""),
        "{xml}"
    );
}

#[test]
fn unreadable_file_and_bad_arguments_exit_two() {
    let out = lotgate(&["validate", "/no/such/file.xml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kan het bestand niet lezen"), "{stderr}");
    let out = lotgate(&["validate", "--lang", "en", "/no/such/file.xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let out = lotgate(&["validate", &reference_example(), "--receiver-id", "abc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--receiver-id"));
}

#[test]
fn not_xml_exits_two_and_ack_prints_a_fault() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.xml");
    std::fs::write(&file, b"this is not xml").unwrap();
    let out = lotgate(&["validate", file.to_str().unwrap(), "--ack"]);
    assert_eq!(out.status.code(), Some(2));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(xml.contains("<faultcode>soap:Client</faultcode>"), "{xml}");
}

#[test]
fn unusable_input_is_reported_in_the_chosen_language() {
    let dir = tempfile::tempdir().unwrap();
    let mut oversized = b"<a>".to_vec();
    oversized.resize(64 * 1024 * 1024 + 1, b' ');
    let cases: [(&str, Vec<u8>, &str, &str); 5] = [
        (
            "oversized.xml",
            oversized,
            "de invoer is 67108865 bytes, de grens is 67108864",
            "input is 67108865 bytes, the limit is 67108864",
        ),
        (
            "latin1.xml",
            b"<a>\xe9</a>".to_vec(),
            "de invoer is geen geldige UTF-8",
            "input is not valid UTF-8",
        ),
        (
            "doctype.xml",
            b"<?xml version=\"1.0\"?><!DOCTYPE a><a/>".to_vec(),
            "DOCTYPE-declaraties worden niet geaccepteerd",
            "DOCTYPE declarations are not accepted",
        ),
        (
            "unclosed.xml",
            b"<a><b></a>".to_vec(),
            "geen goedgevormde XML: ",
            "not well-formed XML: ",
        ),
        (
            "trailing.xml",
            b"<a/>junk".to_vec(),
            "tekst buiten het hoofdelement",
            "text outside the root element",
        ),
    ];
    for (name, bytes, nl, en) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let file = file.to_str().unwrap();
        for (lang, ours, theirs, unusable) in [
            ("nl", nl, en, "onbruikbare XML: "),
            ("en", en, nl, "unusable XML: "),
        ] {
            let out = lotgate(&["validate", "--lang", lang, file]);
            assert_eq!(out.status.code(), Some(2), "{name} {lang}");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains(&format!("{unusable}{ours}")),
                "{name} {lang}: {text}"
            );
            assert!(!text.contains(theirs), "{name} {lang}: {text}");
        }
    }
}
