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
