//! The codec against the official schemas: everything lotgate writes validates, and
//! everything it writes reads back the same.

use crate::support::{official_schema, project_schema, strip_envelope, xmllint};
use lotgate::ids::{ApplicationId, MessageId};
use lotgate::message::{AckDetail, AckType, Acknowledgement};
use lotgate::sample;
use lotgate::timestamp::Timestamp;
use lotgate::validate::{self, Options, Verdict};
use lotgate::wire::{self, soap};
use lotgate::xml::Document;

fn round_trip_message(n: usize) {
    let message = sample::message(n);
    let bare = wire::encode_message(&message);
    xmllint(&official_schema("PRMM_IN010043NL"), &bare)
        .unwrap_or_else(|e| panic!("{n} lots: official schema refuses: {e}"));
    xmllint(&project_schema("PRMM_IN010043NL"), &bare)
        .unwrap_or_else(|e| panic!("{n} lots: project schema refuses: {e}"));
    let envelope = soap::message_envelope(&message);
    assert_eq!(
        strip_envelope(&envelope).trim(),
        bare.trim(),
        "envelope carries the same document"
    );
    let outcome = validate::check(envelope.as_bytes(), &Options::default());
    assert_eq!(
        outcome.verdict(),
        Verdict::Accept,
        "{n} lots: {:?}",
        outcome.report.issues().first()
    );
    assert_eq!(
        outcome.message.as_ref(),
        Some(&message),
        "{n} lots: decodes to the same message"
    );
}

#[test]
fn message_of_one_lot_validates_and_round_trips() {
    round_trip_message(1);
}

#[test]
fn message_of_four_lots_validates_and_round_trips() {
    round_trip_message(4);
}

#[test]
fn message_of_ten_thousand_lots_validates_and_round_trips() {
    round_trip_message(10_000);
}

fn ack(type_code: AckType, details: usize) -> Acknowledgement {
    Acknowledgement {
        id: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999002.2", "ACK-1").unwrap(),
        created: Timestamp::parse("20260601020001").unwrap(),
        type_code,
        details: (0..details)
            .map(|i| AckDetail {
                code: "SYN105".into(),
                code_system: "2.16.840.1.113883.5.1100".into(),
                display_name: Some("Required element missing".into()),
                text: Some(format!("detail {i} with <markup> & \"quotes\"")),
                location: Some(
                    "/PRMM_IN010043NL/ControlActProcess/subject/ProductList/effectiveTime".into(),
                ),
            })
            .collect(),
        target: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "SAMPLE-4").unwrap(),
        receiver: ApplicationId::parse(sample::SENDER).unwrap(),
        sender: ApplicationId::parse(sample::RECEIVER).unwrap(),
    }
}

#[test]
fn every_acknowledgement_type_validates_and_round_trips() {
    for (type_code, details) in [
        (AckType::CA, 0),
        (AckType::CE, 1),
        (AckType::CE, 3),
        (AckType::CR, 2),
    ] {
        let ack = ack(type_code, details);
        let bare = wire::encode_acknowledgement(&ack);
        xmllint(&official_schema("MCCI_IN000002"), &bare)
            .unwrap_or_else(|e| panic!("{type_code:?}: official schema refuses: {e}"));
        xmllint(&project_schema("MCCI_IN000002"), &bare)
            .unwrap_or_else(|e| panic!("{type_code:?}: project schema refuses: {e}"));
        let envelope = soap::acknowledgement_envelope(&ack);
        let doc = Document::parse(envelope.as_bytes(), &Default::default()).unwrap();
        let mut report = validate::Report::new();
        let Some(soap::Body::Interaction(element)) = soap::open(&doc, false, &mut report) else {
            panic!("{type_code:?}: no interaction in the envelope");
        };
        let decoded = wire::decode_acknowledgement(element, &mut report);
        assert!(
            report.issues().is_empty(),
            "{type_code:?}: {:?}",
            report.issues()
        );
        assert_eq!(decoded, Some(ack), "{type_code:?} reads back the same");
    }
}

#[test]
fn answers_for_each_verdict_validate_against_the_official_schema() {
    let ack_id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999002.2", "ACK-2").unwrap();
    let now = Timestamp::parse("20260601020001").unwrap();
    let good = soap::message_envelope(&sample::message(4));
    let bad_lot = good.replacen("extension=\"LG000001\"", "extension=\"   \"", 1);
    let wrong_version = good.replacen("NICTIZEd2005-Okt", "NICTIZEd2099", 1);
    for (input, expected) in [
        (good.as_str(), AckType::CA),
        (bad_lot.as_str(), AckType::CE),
        (wrong_version.as_str(), AckType::CR),
    ] {
        let outcome = validate::check(input.as_bytes(), &Options::default());
        let answer = validate::answer(
            &outcome,
            ack_id.clone(),
            now.clone(),
            None,
            Default::default(),
        );
        let validate::Answer::Ack(ack) = &answer else {
            panic!("expected an acknowledgement, got {answer:?}");
        };
        assert_eq!(ack.type_code, expected);
        assert_eq!(ack.type_code == AckType::CA, ack.details.is_empty());
        let bare = strip_envelope(&answer.to_xml());
        xmllint(&official_schema("MCCI_IN000002"), &bare)
            .unwrap_or_else(|e| panic!("{expected:?}: {e}"));
    }
}

#[test]
fn a_fault_is_a_well_formed_soap_11_fault() {
    let outcome = validate::check(b"<not-closed>", &Options::default());
    let answer = validate::answer(
        &outcome,
        MessageId::parse("1.2", "x").unwrap(),
        Timestamp::parse("20260601020001").unwrap(),
        None,
        Default::default(),
    );
    let xml = answer.to_xml();
    let doc = Document::parse(xml.as_bytes(), &Default::default()).unwrap();
    let mut report = validate::Report::new();
    match soap::open(&doc, false, &mut report) {
        Some(soap::Body::Fault(fault)) => {
            assert_eq!(fault.code, Some(soap::FaultCode::Client));
            assert!(fault.reason.contains("xml.malformed"), "{}", fault.reason);
        }
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn a_large_list_read_in_two_halves_reports_like_one_pass() {
    // 6,000 lots are read in two halves at once; problems in both halves must come out
    // in document order with their own product positions, and the set must be whole.
    let message = sample::message(6_000);
    let envelope = soap::message_envelope(&message)
        .replacen("extension=\"LG000009\"", "extension=\" \"", 1)
        .replacen("extension=\"LG004999\"", "extension=\"\"", 1);
    let outcome = validate::check(envelope.as_bytes(), &Options::default());
    assert_eq!(outcome.verdict(), Verdict::CommitError);
    let found: Vec<_> = outcome
        .report
        .issues()
        .iter()
        .map(|i| (i.rule.id(), i.location.as_str()))
        .collect();
    let path = |n: usize| {
        format!(
            "/PRMM_IN010043NL/ControlActProcess/subject/ProductList/product[{n}]/instanceOfKind/productInstanceInstance/id/@extension"
        )
    };
    assert_eq!(
        found,
        [
            ("lot.blank", path(10).as_str()),
            ("lot.blank", path(5000).as_str())
        ]
    );
    let good = validate::check(
        soap::message_envelope(&message).as_bytes(),
        &Options::default(),
    );
    assert_eq!(good.message.map(|m| m.lots), Some(message.lots));
}
