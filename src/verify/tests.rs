use super::run::{blank_first_lot, other_receiver, product_lines, test_set, without_last_lot};
use super::*;
use crate::ids::{ApplicationId, MessageId};
use crate::message::AckDetail;
use crate::sample;
use crate::timestamp::Timestamp;
use crate::vaccine::CodeList;
use chrono::{NaiveDate, TimeZone, Utc};

const EN: Language = Language::En;

fn ack(type_code: AckType, details: usize) -> Acknowledgement {
    Acknowledgement {
        id: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999002.2", "ACK-1").unwrap(),
        created: Timestamp::parse("20260601020001").unwrap(),
        type_code,
        details: (0..details)
            .map(|i| AckDetail {
                code: "SYN104".to_owned(),
                code_system: "2.16.840.1.113883.5.1100".to_owned(),
                display_name: None,
                text: Some(format!("problem {i}")),
                location: None,
            })
            .collect(),
        target: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "M-1").unwrap(),
        receiver: ApplicationId::parse("99999001").unwrap(),
        sender: ApplicationId::parse("99999002").unwrap(),
    }
}

#[test]
fn answers_are_read_as_acknowledgements_faults_or_other() {
    let ca = ack(AckType::CA, 0);
    let bytes = crate::wire::soap::acknowledgement_envelope(&ca);
    assert_eq!(read(bytes.as_bytes(), EN), Reading::Ack(ca));
    let fault = crate::wire::soap::fault_envelope(
        crate::wire::soap::FaultCode::Client,
        "unusable XML",
        "en",
    );
    assert!(matches!(
        read(fault.as_bytes(), EN),
        Reading::Fault(code, reason) if code.ends_with("Client") && reason == "unusable XML"
    ));
    assert_eq!(read(b"", EN), Reading::Other("an empty answer".to_owned()));
    assert!(matches!(read(b"<html>", EN), Reading::Other(t) if t.starts_with("not XML")));
    // A message where an acknowledgement belongs is not one.
    let message = crate::wire::soap::message_envelope(&sample::message(1));
    assert!(matches!(
        read(message.as_bytes(), EN),
        Reading::Other(t) if t.contains("instead of an acknowledgement")
    ));
}

#[test]
fn rejections_are_judged_by_type_code_and_details() {
    let one = Reading::Ack(ack(AckType::CE, 1));
    let two = Reading::Ack(ack(AckType::CE, 2));
    let ca = Reading::Ack(ack(AckType::CA, 0));
    let cr = Reading::Ack(ack(AckType::CR, 1));
    let fault = Reading::Fault("soap:Client".into(), "no".into());
    assert_eq!(one_detail_rejection(&one, EN).verdict, Verdict::Pass);
    assert_eq!(one_detail_rejection(&two, EN).verdict, Verdict::Fail);
    assert!(
        one_detail_rejection(&ca, EN)
            .evidence
            .starts_with("accepted")
    );
    assert_eq!(one_detail_rejection(&cr, EN).verdict, Verdict::Fail);
    assert_eq!(rejected_ce(&two, EN).verdict, Verdict::Pass);
    assert_eq!(rejected_ce(&cr, EN).verdict, Verdict::Fail);
    assert_eq!(rejected_ce(&fault, EN).verdict, Verdict::Fail);
    assert_eq!(not_ours(&cr, EN).verdict, Verdict::Pass);
    assert_eq!(not_ours(&one, EN).verdict, Verdict::Pass);
    assert_eq!(not_ours(&ca, EN).verdict, Verdict::Fail);
    assert_eq!(not_ours(&fault, EN).verdict, Verdict::Fail);
}

#[test]
fn malformed_xml_must_get_a_fault_or_an_http_error() {
    let fault = Reading::Fault("soap:Client".into(), "no".into());
    let other = Reading::Other("not XML".into());
    assert_eq!(malformed(500, &fault, EN).verdict, Verdict::Pass);
    assert_eq!(malformed(400, &other, EN).verdict, Verdict::Pass);
    assert_eq!(malformed(200, &other, EN).verdict, Verdict::Warn);
    assert_eq!(
        malformed(200, &Reading::Ack(ack(AckType::CE, 1)), EN).verdict,
        Verdict::Warn
    );
    let ca = malformed(200, &Reading::Ack(ack(AckType::CA, 0)), EN);
    assert_eq!(ca.verdict, Verdict::Fail);
    assert!(ca.evidence.starts_with("malformed XML accepted"), "{ca:?}");
}

#[test]
fn clock_skew_warns_over_a_minute() {
    let sent = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap();
    let answered = sent + chrono::TimeDelta::milliseconds(400);
    let date = |s: &str| skew(Some(s), sent, answered, EN);
    assert_eq!(date("Sat, 05 Dec 2026 10:00:00 GMT").verdict, Verdict::Pass);
    assert!(
        date("Sat, 05 Dec 2026 10:00:01 GMT")
            .evidence
            .ends_with("skew +0 s")
    );
    let close = date("Sat, 05 Dec 2026 10:01:00 GMT");
    assert_eq!(close.verdict, Verdict::Pass, "{close:?}");
    let far = date("Sat, 05 Dec 2026 10:01:02 GMT");
    assert_eq!(far.verdict, Verdict::Warn);
    assert!(far.evidence.ends_with("skew +62 s"), "{far:?}");
    assert_eq!(date("Sat, 05 Dec 2026 09:58:00 GMT").verdict, Verdict::Warn);
    assert_eq!(date("yesterday").verdict, Verdict::Warn);
    assert_eq!(skew(None, sent, answered, EN).verdict, Verdict::Warn);
}

#[test]
fn certificate_expiry_warns_under_thirty_days_and_fails_once_expired() {
    let now = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap();
    let at = |days: i64| now + chrono::TimeDelta::days(days);
    assert_eq!(expiry(at(30), now, EN).verdict, Verdict::Pass);
    assert_eq!(expiry(at(29), now, EN).verdict, Verdict::Warn);
    assert!(expiry(at(29), now, EN).evidence.ends_with("29 days"));
    assert_eq!(expiry(at(-1), now, EN).verdict, Verdict::Fail);
}

#[test]
fn the_catalogue_has_unique_ids_and_safe_checks_first() {
    let ids: std::collections::BTreeSet<&str> = CHECKS.iter().map(|c| c.id).collect();
    assert_eq!(ids.len(), CHECKS.len());
    for check in CHECKS {
        assert!(!check.description(Language::Nl).is_empty());
        assert_ne!(check.description(Language::Nl), check.description(EN));
    }
    // What changes nothing runs before the first test delivery.
    let first_unsafe = CHECKS.iter().position(|c| !c.safe).unwrap();
    assert!(CHECKS[first_unsafe..].iter().all(|c| !c.safe));
}

#[test]
fn test_sets_use_the_vaccine_types_valid_today() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    let set = test_set(40, &CodeList::builtin(), today);
    assert_eq!(set.len(), 40);
    assert!(
        set.lots()
            .iter()
            .all(|l| l.number.as_str().starts_with(run::TEST_LOT_PREFIX))
    );
    assert!(
        set.lots()
            .iter()
            .all(|l| l.expires == NaiveDate::from_ymd_opt(2027, 12, 5))
    );
    // A code valid only from tomorrow is not used.
    let list =
        CodeList::parse_csv("test", "code,name,valid_from\n01,DTP,\n31,New,2026-12-06\n").unwrap();
    let set = test_set(3, &list, today);
    assert!(set.lots().iter().all(|l| l.vaccine.code().as_str() == "01"));
    let none = CodeList::parse_csv("test", "code,name,valid_from\n31,New,2026-12-06\n").unwrap();
    assert!(test_set(3, &none, today).is_empty());
}

#[test]
fn another_receiver_id_differs_in_its_last_digit() {
    let id = |s: &str| ApplicationId::parse(s).unwrap();
    assert_eq!(other_receiver(&id("99999002")), id("99999003"));
    assert_eq!(other_receiver(&id("19")), id("10"));
}

#[test]
fn the_spliced_messages_change_exactly_one_lot() {
    let message = sample::message(3);
    let bytes = crate::wire::soap::message_envelope(&message).into_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert_eq!(product_lines(&text).count(), 3);
    let shorter = without_last_lot(&bytes);
    let shorter_text = String::from_utf8_lossy(&shorter).into_owned();
    assert_eq!(product_lines(&shorter_text).count(), 2);
    assert!(!shorter_text.contains("LG000002"));
    assert!(shorter_text.contains(message.id.extension()));
    let blank = String::from_utf8(blank_first_lot(&bytes, &message.lots)).unwrap();
    assert!(!blank.contains("LG000000"));
    assert!(blank.contains("extension=\"\"/>"));
    assert_eq!(blank.len(), text.len() - "LG000000".len());
}

#[test]
fn the_acknowledgement_must_name_our_message_swap_the_parties_and_be_new() {
    let ca = ack(AckType::CA, 0);
    let ours = ca.target.clone();
    let (sender, receiver) = (ca.receiver.clone(), ca.sender.clone());
    let verdicts = |ack: Option<&Acknowledgement>, earlier: &[MessageId]| {
        acknowledgement(ack, &ours, (&sender, &receiver), earlier, EN).map(|(_, f)| f.verdict)
    };
    let pass = Verdict::Pass;
    let fail = Verdict::Fail;
    assert_eq!(verdicts(Some(&ca), &[]), [pass, pass, pass]);
    assert_eq!(verdicts(None, &[]), [Verdict::Skip; 3]);
    let other_target = Acknowledgement {
        target: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "M-2").unwrap(),
        ..ca.clone()
    };
    assert_eq!(verdicts(Some(&other_target), &[]), [fail, pass, pass]);
    let unswapped = Acknowledgement {
        sender: sender.clone(),
        receiver: receiver.clone(),
        ..ca.clone()
    };
    assert_eq!(verdicts(Some(&unswapped), &[]), [pass, fail, pass]);
    assert_eq!(
        verdicts(Some(&ca), std::slice::from_ref(&ca.id)),
        [pass, pass, fail]
    );
    let echo = Acknowledgement {
        id: ours.clone(),
        ..ca.clone()
    };
    assert_eq!(verdicts(Some(&echo), &[]), [pass, pass, fail]);
}
