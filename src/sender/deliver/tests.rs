//! Tests of building, posting and classifying.

use super::*;
use crate::config::Config;
use crate::ids::ApplicationId;
use crate::language::Language;
use crate::language::Text;
use crate::message::{AckDetail, Acknowledgement, Author, Organization};
use crate::sample;
use crate::sample::noise;
use crate::validate::{self, Level, Options, Verdict};
use chrono::TimeZone;
use sha2::{Digest, Sha256};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ROOT: &str = "2.16.840.1.113883.2.4.6.6.99999001.7";

/// A sender configuration with two destinations, in Europe/Amsterdam.
fn config() -> Config {
    Config::parse(
        &format!(
            r#"
[gateway]
time_zone = "Europe/Amsterdam"

[mail]
from = "lotgate@example.org"

[sender]
application_id = "99999001"
message_id_root = "{ROOT}"
uzi_server_id = "900099999"
organization_ura = "00009999"
organization_name = "Voorbeeldorganisatie & Co <test>"
administrators = ["beheer@example.org"]

[sender.source]
file = "inventory.csv"

[sender.tls]
certificate = "sender.pem"
private_key_file = "sender-key.pem"
roots = ["receiver-ca.pem"]

[[sender.destination]]
name = "ggd-a"
url = "https://dd-jgz.example/jgz/partijnummers"
application_id = "99999002"
contact = {{ name = "J. Jansen" }}

[[sender.destination]]
name = "ggd-b"
url = "https://ggd-b.example/lotgate"
application_id = "99999003"
contact = {{ email = "jgz-b@example.org" }}
"#
        ),
        std::path::Path::new("/etc/lotgate"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn app(id: &str) -> ApplicationId {
    ApplicationId::parse(id).unwrap()
}

/// What the receiver `destination` checks.
fn receiver_options(destination: &Destination) -> Options {
    Options {
        receiver: Some(destination.application_id.clone()),
        allowed_senders: vec![app("99999001")],
        ..Options::default()
    }
}

fn ours() -> MessageId {
    MessageId::parse(ROOT, "20260601020000-42").unwrap()
}

fn ack(type_code: AckType, target: MessageId, details: Vec<AckDetail>) -> Vec<u8> {
    soap::acknowledgement_envelope(&Acknowledgement {
        id: MessageId::parse("2.16.840.1.113883.2.4.6.6.99999002.1", "ACK-1").unwrap(),
        created: Timestamp::parse("20260601020001").unwrap(),
        type_code,
        details,
        target,
        receiver: app("99999001"),
        sender: app("99999002"),
    })
    .into_bytes()
}

fn detail(code: &str, text: &str, location: &str) -> AckDetail {
    AckDetail {
        code: code.into(),
        code_system: validate::ACK_DETAIL_CODE_SYSTEM.into(),
        display_name: Some("Syntax error".into()),
        text: Some(text.into()),
        location: Some(location.into()),
    }
}

/// What a receiver answers to `bytes`, as `validate::answer` makes it.
fn receiver_answer(bytes: &[u8], options: &Options) -> String {
    let outcome = validate::check(bytes, options);
    validate::answer(
        &outcome,
        MessageId::parse("2.16.840.1.113883.2.4.6.6.99999002.1", "ACK-9").unwrap(),
        Timestamp::parse("20260601020005").unwrap(),
        options.receiver.as_ref(),
        Language::En,
    )
    .to_xml()
}

/// A transient outcome whose detail starts with the status and stays short.
fn assert_transient_and_short(c: &Classified, status: u16) {
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    let prefix = format!("HTTP {status}");
    assert!(c.detail.get(Language::En).starts_with(&prefix), "{c:?}");
    assert!(
        c.detail.get(Language::En).chars().count() <= 400,
        "detail of {} characters: {:?}…",
        c.detail.get(Language::En).chars().count(),
        c.detail
            .get(Language::En)
            .chars()
            .take(300)
            .collect::<String>()
    );
}

// ---- build ----

#[test]
fn build_makes_a_message_the_destination_accepts() {
    let config = config();
    let sender = config.sender.as_ref().unwrap();
    let destination = &sender.destinations[0];
    let zone = config.gateway.time_zone;
    let lots = sample::lot_set(25);
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 30, 0).unwrap();
    let (built, bytes) = build(sender, destination, zone, lots.clone(), 42, now, None);

    let outcome = validate::check(&bytes, &receiver_options(destination));
    assert!(
        !outcome.report.has(Level::Error),
        "{:#?}",
        outcome.report.issues()
    );
    assert_eq!(outcome.verdict(), Verdict::Accept);
    let message = outcome.message.expect("a valid message");

    let id = MessageId::parse(ROOT, "20260601023000-42").unwrap();
    let ts = |s: &str| Timestamp::parse(s).unwrap();
    assert_eq!(
        message,
        LotMessage {
            id: id.clone(),
            created: ts("20260601023000"),
            sender: app("99999001"),
            receiver: app("99999002"),
            author: Author {
                uzi: Some("900099999".into()),
                organization: Some(Organization {
                    ura: "00009999".into(),
                    name: Some("Voorbeeldorganisatie & Co <test>".into()),
                }),
            },
            period: Period {
                low: ts("20260601000000"),
                high: ts("20260601235959"),
            },
            lots,
        }
    );

    let sha256: [u8; 32] = Sha256::digest(&bytes).into();
    assert_eq!(
        built,
        BuiltMessage {
            id,
            created: ts("20260601023000"),
            sha256,
            size: bytes.len(),
            lots: 25,
        }
    );
}

#[test]
fn build_addresses_each_destination_and_uses_the_local_date() {
    let config = config();
    let sender = config.sender.as_ref().unwrap();
    let [a, b] = &sender.destinations[..] else {
        panic!("two destinations")
    };
    // 23:30 UTC in winter is 00:30 the next day in Amsterdam.
    let now = Utc.with_ymd_and_hms(2026, 1, 15, 23, 30, 0).unwrap();
    let (built, bytes) = build(
        sender,
        b,
        chrono_tz::Europe::Amsterdam,
        sample::lot_set(3),
        7,
        now,
        None,
    );
    assert_eq!(
        built.id,
        MessageId::parse(ROOT, "20260116003000-7").unwrap()
    );
    assert_eq!(built.created.as_str(), "20260116003000");
    assert_eq!(built.lots, 3);
    assert_eq!(built.size, bytes.len());
    assert_eq!(built.sha256, <[u8; 32]>::from(Sha256::digest(&bytes)));

    let outcome = validate::check(&bytes, &receiver_options(b));
    assert_eq!(outcome.verdict(), Verdict::Accept, "{:#?}", outcome.report);
    let message = outcome.message.unwrap();
    assert_eq!(message.receiver, app("99999003"));
    assert_eq!(message.period.low.as_str(), "20260116000000");
    assert_eq!(message.period.high.as_str(), "20260116235959");

    // Destination a would refuse what was built for b: addressed to someone else.
    let elsewhere = validate::check(&bytes, &receiver_options(a));
    assert_eq!(elsewhere.verdict(), Verdict::Reject);
    assert!(elsewhere.report.contains(validate::Rule::WrapperReceiver));

    // The same input builds the same bytes; another delivery number another id.
    let (again, same) = build(
        sender,
        b,
        chrono_tz::Europe::Amsterdam,
        sample::lot_set(3),
        7,
        now,
        None,
    );
    assert_eq!((again, same), (built.clone(), bytes.clone()));
    let (other, _) = build(
        sender,
        b,
        chrono_tz::Europe::Amsterdam,
        sample::lot_set(3),
        8,
        now,
        None,
    );
    assert_eq!(other.id.extension(), "20260116003000-8");
}

#[test]
fn build_with_a_large_delivery_number_and_sub_second_time() {
    let config = config();
    let sender = config.sender.as_ref().unwrap();
    let destination = &sender.destinations[0];
    let now =
        Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 5).unwrap() + chrono::Duration::milliseconds(999);
    let (built, bytes) = build(
        sender,
        destination,
        chrono_tz::Europe::Amsterdam,
        sample::lot_set(1),
        u64::MAX,
        now,
        None,
    );
    assert_eq!(built.id.extension(), format!("20260701140005-{}", u64::MAX));
    let outcome = validate::check(&bytes, &receiver_options(destination));
    assert_eq!(outcome.verdict(), Verdict::Accept, "{:#?}", outcome.report);
}

// ---- classify ----

#[test]
fn a_ca_for_our_message_is_delivered() {
    let c = classify(200, &ack(AckType::CA, ours(), vec![]), &ours(), 1000);
    assert_eq!(c.outcome, AttemptOutcome::Delivered, "{c:?}");
    assert!(
        c.detail.get(Language::En).starts_with("HTTP 200 OK: CA "),
        "{c:?}"
    );
    assert!(c.detail.get(Language::En).contains("ACK-1"), "{c:?}");
}

#[test]
fn a_receivers_real_answer_to_a_built_message() {
    let config = config();
    let sender = config.sender.as_ref().unwrap();
    let destination = &sender.destinations[0];
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let (built, bytes) = build(
        sender,
        destination,
        config.gateway.time_zone,
        sample::lot_set(4),
        3,
        now,
        None,
    );
    // Accepted.
    let answer = receiver_answer(&bytes, &receiver_options(destination));
    let c = classify(200, answer.as_bytes(), &built.id, 1000);
    assert_eq!(c.outcome, AttemptOutcome::Delivered, "{c:?}\n{answer}");

    // Sent to the wrong receiver: CR with the addressee's detail.
    let answer = receiver_answer(&bytes, &receiver_options(&sender.destinations[1]));
    let c = classify(200, answer.as_bytes(), &built.id, 1000);
    assert_eq!(c.outcome, AttemptOutcome::Rejected, "{c:?}\n{answer}");
    assert!(
        c.detail.get(Language::En).starts_with("HTTP 200 OK: CR "),
        "{c:?}"
    );
    assert!(c.detail.get(Language::En).contains("RTUDEST"), "{c:?}");
    assert!(
        c.detail.get(Language::En).contains("wrapper.receiver"),
        "{c:?}"
    );

    // Garbage: a soap:Client fault in HTTP 500.
    let answer = receiver_answer(b"<a><b></a>", &receiver_options(destination));
    let c = classify(500, answer.as_bytes(), &built.id, 1000);
    assert_eq!(c.outcome, AttemptOutcome::Rejected, "{c:?}\n{answer}");
    assert!(
        c.detail
            .get(Language::En)
            .starts_with("HTTP 500 Internal Server Error: soap:Client: "),
        "{c:?}"
    );
}

#[test]
fn a_ca_for_another_message_is_transient() {
    let theirs = MessageId::parse(ROOT, "20260601020000-41").unwrap();
    let c = classify(
        200,
        &ack(AckType::CA, theirs.clone(), vec![]),
        &ours(),
        1000,
    );
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert!(c.detail.get(Language::En).starts_with("HTTP 200"), "{c:?}");
    assert!(
        c.detail.get(Language::En).contains(&theirs.to_string()),
        "{c:?}"
    );
    assert!(
        c.detail.get(Language::En).contains(&ours().to_string()),
        "{c:?}"
    );

    // Same extension under another root is another message too.
    let other_root =
        MessageId::parse("2.16.840.1.113883.2.4.6.6.99999009.1", ours().extension()).unwrap();
    let c = classify(200, &ack(AckType::CA, other_root, vec![]), &ours(), 1000);
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
}

#[test]
fn a_ce_is_rejected_with_its_details() {
    let details = vec![
        detail(
            "SYN104",
            "[lot.two-vaccines] lot LG000001 has two vaccine types",
            "/PRMM_IN010043NL/ControlActProcess/subject/ProductList/entry[2]",
        ),
        AckDetail {
            code: "SYN105".into(),
            code_system: validate::ACK_DETAIL_CODE_SYSTEM.into(),
            display_name: None,
            text: None,
            location: None,
        },
    ];
    let c = classify(200, &ack(AckType::CE, ours(), details), &ours(), 1000);
    assert_eq!(c.outcome, AttemptOutcome::Rejected, "{c:?}");
    assert!(
        c.detail.get(Language::En).starts_with("HTTP 200 OK: CE "),
        "{c:?}"
    );
    for part in [
        "SYN104",
        "[lot.two-vaccines] lot LG000001 has two vaccine types",
        "/PRMM_IN010043NL/ControlActProcess/subject/ProductList/entry[2]",
        "SYN105",
    ] {
        assert!(
            c.detail.get(Language::En).contains(part),
            "{part:?} not in {c:?}"
        );
    }
}

#[test]
fn a_cr_is_rejected() {
    let c = classify(
        200,
        &ack(
            AckType::CR,
            ours(),
            vec![detail("RTUDEST", "not for us", "/x")],
        ),
        &ours(),
        1000,
    );
    assert_eq!(c.outcome, AttemptOutcome::Rejected, "{c:?}");
    assert!(
        c.detail.get(Language::En).starts_with("HTTP 200 OK: CR "),
        "{c:?}"
    );
    assert!(
        c.detail
            .get(Language::En)
            .contains("RTUDEST: not for us (/x)"),
        "{c:?}"
    );

    // Also without details, and whatever the HTTP status.
    let c = classify(500, &ack(AckType::CR, ours(), vec![]), &ours(), 1000);
    assert_eq!(c.outcome, AttemptOutcome::Rejected, "{c:?}");
}

#[test]
fn soap_faults() {
    let client = soap::fault_envelope(soap::FaultCode::Client, "[xml.malformed] broken", "en");
    let c = classify(500, client.as_bytes(), &ours(), 1000);
    assert_eq!(
        c,
        Classified {
            outcome: AttemptOutcome::Rejected,
            detail: Text::verbatim(
                "HTTP 500 Internal Server Error: soap:Client: [xml.malformed] broken"
            ),
            answer_lost: false,
        }
    );

    let server = soap::fault_envelope(soap::FaultCode::Server, "database is down", "en");
    let c = classify(500, server.as_bytes(), &ours(), 1000);
    assert_eq!(
        c,
        Classified {
            outcome: AttemptOutcome::Transient,
            detail: Text::verbatim("HTTP 500 Internal Server Error: soap:Server: database is down"),
            answer_lost: false,
        }
    );

    // A fault code that is neither: not a rejection.
    let odd = server.replace("soap:Server", "soap:MustUnderstand");
    let c = classify(500, odd.as_bytes(), &ours(), 1000);
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
}

#[test]
fn an_html_error_page_is_transient_and_quoted() {
    let html = "<html><head><title>503 Service Unavailable</title></head>\
                <body><h1>Service Unavailable</h1><p>The server is temporarily unable to \
                service your request due to maintenance downtime or capacity problems. \
                Please try again later.</p><hr><address>Apache Server at example Port 443\
                </address></body></html>";
    assert!(html.len() > 200);
    let c = classify(503, html.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 503);
    assert!(
        c.detail
            .get(Language::En)
            .contains("<html><head><title>503 Service Unavailable</title>"),
        "{c:?}"
    );
    assert!(
        !c.detail.get(Language::En).contains("Apache Server"),
        "only the start: {c:?}"
    );

    let doctype = format!("<!DOCTYPE html>\n{html}");
    let c = classify(503, doctype.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 503);
    assert!(
        c.detail.get(Language::En).contains("<!DOCTYPE html>"),
        "{c:?}"
    );

    let plain = "Service Unavailable";
    let c = classify(503, plain.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 503);
    assert!(
        c.detail
            .get(Language::En)
            .contains("\"Service Unavailable\""),
        "{c:?}"
    );
}

#[test]
fn an_empty_answer_is_transient() {
    for status in [200, 202, 500, 502] {
        let c = classify(status, b"", &ours(), 1000);
        assert_transient_and_short(&c, status);
    }
}

#[test]
fn a_doctype_answer_is_transient() {
    let evil = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">\
                <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n\
                <lolz>&lol2;</lolz>";
    let c = classify(200, evil.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 200);

    // A doctype in front of a real CA does not make it count.
    let ca = String::from_utf8(ack(AckType::CA, ours(), vec![])).unwrap();
    let with_doctype = ca.replacen(
        "?>\n",
        "?>\n<!DOCTYPE soap:Envelope [<!ENTITY x \"y\">]>\n",
        1,
    );
    assert_ne!(with_doctype, ca);
    let c = classify(200, with_doctype.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 200);
}

#[test]
fn a_truncated_acknowledgement_is_transient() {
    let ca = ack(AckType::CA, ours(), vec![]);
    // (Cutting only the final line break would leave a complete document.)
    assert!(ca.ends_with(b"</soap:Envelope>\n"));
    for cut in [1, ca.len() / 4, ca.len() / 2, ca.len() - 20, ca.len() - 2] {
        let c = classify(200, &ca[..cut], &ours(), 1000);
        assert_transient_and_short(&c, 200);
    }
    // Every cut, to be sure nothing panics and nothing counts as delivered.
    for cut in 0..ca.len() - 1 {
        let c = classify(200, &ca[..cut], &ours(), 1000);
        assert_eq!(c.outcome, AttemptOutcome::Transient, "cut at {cut}: {c:?}");
    }
}

#[test]
fn an_incomplete_acknowledgement_is_transient() {
    let ca = String::from_utf8(ack(AckType::CA, ours(), vec![])).unwrap();
    // Without its targetMessage: well-formed, but whose message it answers is unknown.
    let start = ca.find("<targetMessage").expect("has a targetMessage");
    let end = ca.find("</targetMessage>").unwrap() + "</targetMessage>".len();
    let without = format!("{}{}", &ca[..start], &ca[end..]);
    let c = classify(200, without.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 200);

    // An unknown acknowledgement type.
    let odd = ca.replacen("typeCode=\"CA\"", "typeCode=\"AA\"", 1);
    assert_ne!(odd, ca);
    let c = classify(200, odd.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 200);
}

#[test]
fn a_message_instead_of_an_acknowledgement_is_transient() {
    // E.g. a misconfigured URL that echoes the request.
    let mut message = sample::message(5);
    message.id = ours();
    let echo = soap::message_envelope(&message);
    let c = classify(200, echo.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 200);
    assert!(
        c.detail.get(Language::En).contains("PRMM_IN010043NL"),
        "{c:?}"
    );

    // A bare acknowledgement without envelope is not accepted either.
    let ca = String::from_utf8(ack(AckType::CA, ours(), vec![])).unwrap();
    let start = ca.find("<MCCI_IN000002").unwrap();
    let end = ca.find("</soap:Body>").unwrap();
    let bare = &ca[start..end];
    let c = classify(200, bare.as_bytes(), &ours(), 1000);
    assert_transient_and_short(&c, 200);
}

#[test]
fn garbage_is_transient_without_panicking() {
    let mib = 1024 * 1024;
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("random bytes", noise(mib, 11)),
        ("letters", vec![b'A'; mib]),
        ("open brackets", vec![b'<'; mib]),
        ("nested elements", "<a>".repeat(mib / 3).into_bytes()),
        ("nul bytes", vec![0; mib]),
        (
            "text after an envelope",
            [ack(AckType::CA, ours(), vec![]), vec![b'x'; mib]].concat(),
        ),
        (
            "a huge comment",
            format!("<!--{}-->", "-x".repeat(mib / 2)).into_bytes(),
        ),
        ("invalid utf-8", [b"<a>".to_vec(), vec![0xff; mib]].concat()),
    ];
    for (what, body) in inputs {
        let c = classify(200, &body, &ours(), 1000);
        assert_eq!(c.outcome, AttemptOutcome::Transient, "{what}: {c:?}");
        assert!(
            c.detail.get(Language::En).starts_with("HTTP 200"),
            "{what}: {c:?}"
        );
        assert!(
            c.detail.get(Language::En).chars().count() <= 400,
            "{what}: detail of {} characters",
            c.detail.get(Language::En).chars().count()
        );
    }
}

#[test]
fn the_quote_is_cut_at_a_character_boundary() {
    // A multi-byte character at every position around where the quote ends.
    for ascii in 100..260 {
        let mut body = "x".repeat(ascii);
        body.push_str(&"€".repeat(100));
        let c = classify(502, body.as_bytes(), &ours(), 1000);
        assert_transient_and_short(&c, 502);
        assert!(
            c.detail.get(Language::En).contains("…\" (not XML: "),
            "{ascii}: {c:?}"
        );
        assert!(
            c.detail.get(Language::En).contains(": \"xxxxxxxxxx"),
            "{ascii}: {c:?}"
        );
    }
    // Control characters do not reach the detail.
    let c = classify(502, b"bad\r\ngateway\x07", &ours(), 1000);
    assert_transient_and_short(&c, 502);
    assert!(
        !c.detail.get(Language::En).chars().any(char::is_control),
        "{c:?}"
    );
    assert!(c.detail.get(Language::En).contains("bad  gateway"), "{c:?}");
}

#[test]
fn a_ce_with_very_many_details_is_rejected_with_a_bounded_detail() {
    let details: Vec<AckDetail> = (0..500)
        .map(|n| {
            detail(
                "SYN104",
                &format!("lot LG{n:06} {}", "is wrong ".repeat(100)),
                &format!("/PRMM_IN010043NL/entry[{n}]"),
            )
        })
        .collect();
    let c = classify(200, &ack(AckType::CE, ours(), details), &ours(), 1000);
    assert_eq!(c.outcome, AttemptOutcome::Rejected);
    assert!(
        c.detail.get(Language::En).starts_with("HTTP 200 OK: CE "),
        "{c:?}"
    );
    // The first details are named, each with its code and the start of its text.
    assert!(
        c.detail
            .get(Language::En)
            .contains("\n  SYN104: lot LG000000 is wrong"),
        "{c:?}"
    );
    assert!(
        c.detail
            .get(Language::En)
            .contains("\n  SYN104: lot LG000001 is wrong"),
        "{c:?}"
    );
    assert!(
        !c.detail.get(Language::En).contains("LG000499"),
        "not all of them"
    );
    assert!(
        c.detail.get(Language::En).contains("more"),
        "says that there are more: {c:?}"
    );
    let n = c.detail.get(Language::En).chars().count();
    assert!(n < 10_000, "detail of {n} characters");
}

/// Text in an answer goes into the detail only cut short: the detail is stored with the
/// attempt and sent in emails. Every case is checked before the test fails, and the
/// failure lists all that came out long.
#[test]
fn hostile_answers_do_not_make_a_huge_detail() {
    let long = "x".repeat(100_000);
    let ca = String::from_utf8(ack(AckType::CA, ours(), vec![])).unwrap();
    let long_interaction = ca.replacen(
        "extension=\"MCCI_IN000002\"",
        &format!("extension=\"{long}\""),
        1,
    );
    assert_ne!(long_interaction, ca);
    let inputs = [
        (
            "soap:Server fault with a long faultstring",
            500,
            soap::fault_envelope(soap::FaultCode::Server, &long, "en"),
            AttemptOutcome::Transient,
        ),
        (
            "soap:Client fault with a long faultstring",
            500,
            soap::fault_envelope(soap::FaultCode::Client, &long, "en"),
            AttemptOutcome::Rejected,
        ),
        (
            "fault with a long faultcode",
            500,
            soap::fault_envelope(soap::FaultCode::Server, "r", "en")
                .replace("soap:Server", &format!("soap:{long}")),
            AttemptOutcome::Transient,
        ),
        (
            "envelope around an element with a long name",
            200,
            soap::envelope(&format!("<{long} xmlns=\"urn:hl7-org:v3\"/>\n")),
            AttemptOutcome::Transient,
        ),
        (
            "mismatched end tag with a long name",
            200,
            format!("<{long}></{long}y>"),
            AttemptOutcome::Transient,
        ),
        (
            "undeclared long prefix",
            200,
            format!("<{long}:a/>"),
            AttemptOutcome::Transient,
        ),
        (
            "repeated long attribute",
            200,
            format!("<a {long}=\"1\" {long}=\"2\"/>"),
            AttemptOutcome::Transient,
        ),
        (
            "acknowledgement with a long interactionId extension",
            200,
            long_interaction,
            AttemptOutcome::Transient,
        ),
    ];
    let mut long_details = Vec::new();
    for (what, status, body, outcome) in inputs {
        let c = classify(status, body.as_bytes(), &ours(), 1000);
        assert_eq!(c.outcome, outcome, "{what}");
        assert!(
            c.detail
                .get(Language::En)
                .starts_with(&format!("HTTP {status}")),
            "{what}"
        );
        let n = c.detail.get(Language::En).chars().count();
        if n > 400 {
            long_details.push(format!(
                "{what}: {n} characters: {}…",
                c.detail
                    .get(Language::En)
                    .chars()
                    .take(100)
                    .collect::<String>()
            ));
        }
    }
    assert!(long_details.is_empty(), "{long_details:#?}");
}

// ---- post ----

/// `post`, failing the test (instead of hanging it) when it does not return within its
/// own timeout plus a margin.
async fn post_within(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
    message: &MessageId,
    timeout: Duration,
) -> Classified {
    let margin = Duration::from_secs(3);
    tokio::time::timeout(timeout + margin, post(client, url, body, message, timeout))
        .await
        .unwrap_or_else(|_| panic!("post did not return within {timeout:?} + {margin:?}"))
}

/// A request as a test server saw it: lower-cased header lines and the body.
#[derive(Debug)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one HTTP/1.1 request with a `Content-Length` body.
async fn read_request(stream: &mut TcpStream) -> Seen {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the request head");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).unwrap();
    let mut seen = Seen {
        head,
        body: Vec::new(),
    };
    let length: usize = seen
        .header("content-length")
        .expect("a Content-Length")
        .parse()
        .unwrap();
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the request body");
        body.extend_from_slice(&chunk[..n]);
    }
    seen.body = body;
    seen
}

fn response(status: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/jgz/partijnummers",
        listener.local_addr().unwrap()
    );
    (listener, url)
}

fn built_message() -> (BuiltMessage, Vec<u8>) {
    let config = config();
    let sender = config.sender.as_ref().unwrap();
    build(
        sender,
        &sender.destinations[0],
        config.gateway.time_zone,
        sample::lot_set(200),
        5,
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
        None,
    )
}

#[test]
fn creation_times_of_a_destination_never_go_backwards() {
    let local = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").unwrap();
    let ts = |s: &str| Timestamp::parse(s).unwrap();
    // No previous message, or an older one: the clock's time, to the second.
    assert_eq!(
        creation_time(local("20261025024000"), None),
        local("20261025024000")
    );
    let earlier = ts("20261025023959");
    assert_eq!(
        creation_time(local("20261025024000"), Some(&earlier)),
        local("20261025024000")
    );
    // The repeated hour of the autumn night: 02:20 CET comes after 02:40 CEST.
    let previous = ts("20261025024000");
    assert_eq!(
        creation_time(local("20261025022000"), Some(&previous)),
        local("20261025024001")
    );
    // The same second as the previous message: one second later.
    assert_eq!(
        creation_time(local("20261025024000"), Some(&previous)),
        local("20261025024001")
    );
}

#[tokio::test]
async fn post_delivers_the_exact_bytes_and_reads_the_ca() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let seen = read_request(&mut stream).await;
        // Answer as a receiver would: validate what came and acknowledge its id.
        let options = Options {
            receiver: Some(app("99999002")),
            allowed_senders: vec![app("99999001")],
            ..Options::default()
        };
        let answer = receiver_answer(&seen.body, &options);
        stream
            .write_all(&response("200 OK", answer.as_bytes()))
            .await
            .unwrap();
        stream.shutdown().await.unwrap();
        seen
    });
    let client = reqwest::Client::new();
    let c = post_within(
        &client,
        &url,
        bytes.clone(),
        &built.id,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(c.outcome, AttemptOutcome::Delivered, "{c:?}");
    assert!(
        c.detail.get(Language::En).starts_with("HTTP 200 OK: CA "),
        "{c:?}"
    );

    let seen = server.await.unwrap();
    assert!(
        seen.head
            .starts_with("POST /jgz/partijnummers HTTP/1.1\r\n"),
        "{}",
        seen.head
    );
    assert_eq!(
        seen.header("content-type"),
        Some("text/xml; charset=utf-8"),
        "{}",
        seen.head
    );
    assert_eq!(
        seen.header("soapaction"),
        Some("\"urn:hl7-org:v3/PRMM_IN010043NL\""),
        "{}",
        seen.head
    );
    assert!(seen.body == bytes, "the body differs from the built bytes");
}

#[tokio::test]
async fn post_classifies_what_comes_back() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    let ca_for_other = ack(
        AckType::CA,
        MessageId::parse(ROOT, "other").unwrap(),
        vec![],
    );
    let answers = vec![
        response("503 Service Unavailable", b"<html>busy</html>"),
        response(
            "500 Internal Server Error",
            soap::fault_envelope(soap::FaultCode::Client, "no", "en").as_bytes(),
        ),
        response("200 OK", &ca_for_other),
        response("200 OK", b""),
    ];
    let count = answers.len();
    let server = tokio::spawn(async move {
        for answer in answers {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await;
            stream.write_all(&answer).await.unwrap();
            stream.shutdown().await.unwrap();
        }
    });
    let client = reqwest::Client::new();
    let mut got = Vec::new();
    for _ in 0..count {
        got.push(
            post_within(
                &client,
                &url,
                bytes.clone(),
                &built.id,
                Duration::from_secs(10),
            )
            .await,
        );
    }
    server.await.unwrap();
    assert_eq!(got[0].outcome, AttemptOutcome::Transient, "{:?}", got[0]);
    assert!(
        got[0].detail.get(Language::En).starts_with("HTTP 503"),
        "{:?}",
        got[0]
    );
    assert!(
        got[0]
            .detail
            .get(Language::En)
            .contains("<html>busy</html>"),
        "{:?}",
        got[0]
    );
    assert_eq!(got[1].outcome, AttemptOutcome::Rejected, "{:?}", got[1]);
    assert_eq!(
        got[1].detail.get(Language::En),
        "HTTP 500 Internal Server Error: soap:Client: no"
    );
    assert_eq!(got[2].outcome, AttemptOutcome::Transient, "{:?}", got[2]);
    assert_eq!(got[3].outcome, AttemptOutcome::Transient, "{:?}", got[3]);
    assert!(
        got[3].detail.get(Language::En).starts_with("HTTP 200"),
        "{:?}",
        got[3]
    );
}

#[tokio::test]
async fn post_to_a_closed_port_cannot_connect() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    drop(listener);
    let client = reqwest::Client::new();
    let started = Instant::now();
    let c = post_within(&client, &url, bytes, &built.id, Duration::from_secs(5)).await;
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert!(
        c.detail.get(Language::En).contains("cannot connect"),
        "{c:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{c:?}");
}

#[tokio::test]
async fn post_gives_up_on_a_server_that_never_answers() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            read_request(&mut stream).await;
            held.push(stream);
        }
    });
    let timeout = Duration::from_millis(300);
    // A client without a timeout of its own: post's limit must hold by itself.
    let client = reqwest::Client::new();
    let started = Instant::now();
    let c = post_within(&client, &url, bytes.clone(), &built.id, timeout).await;
    let took = started.elapsed();
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert_eq!(
        c.detail.get(Language::En),
        "no complete answer within 300ms"
    );
    assert_eq!(
        c.detail.get(Language::Nl),
        "geen volledig antwoord binnen 300ms"
    );
    assert!(took >= Duration::from_millis(290), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");

    // Configured like the sender's client (its own timeout equal to the attempt's).
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .unwrap();
    let started = Instant::now();
    let c = post_within(&client, &url, bytes, &built.id, timeout).await;
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert!(c.detail.get(Language::En).contains("300ms"), "{c:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    server.abort();
}

#[tokio::test]
async fn post_gives_up_on_an_answer_that_stops_halfway() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_request(&mut stream).await;
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<soap:",
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    });
    let started = Instant::now();
    let c = post_within(
        &reqwest::Client::new(),
        &url,
        bytes,
        &built.id,
        Duration::from_millis(300),
    )
    .await;
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert!(c.detail.get(Language::En).contains("300ms"), "{c:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    server.abort();
}

/// Answers one request with a body of `size` bytes, announced with `Content-Length` or
/// not (then the end is the end of the connection); writes until the client goes away.
async fn huge_answer(listener: TcpListener, size: usize, announced: bool) -> usize {
    let (mut stream, _) = listener.accept().await.unwrap();
    read_request(&mut stream).await;
    let head = if announced {
        format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {size}\r\n\r\n")
    } else {
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n".to_owned()
    };
    if stream.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let mut written = 0;
    while written < size {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
        written += chunk.len();
    }
    written
}

#[tokio::test]
async fn post_refuses_an_announced_huge_answer() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    let server = tokio::spawn(huge_answer(listener, 20 * 1024 * 1024, true));
    let c = post_within(
        &reqwest::Client::new(),
        &url,
        bytes,
        &built.id,
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert_eq!(
        c.detail.get(Language::En),
        "HTTP 200 OK with an answer larger than 8 MiB"
    );
    server.abort();
}

#[tokio::test]
async fn post_stops_reading_an_unannounced_huge_answer() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    let server = tokio::spawn(huge_answer(listener, 20 * 1024 * 1024, false));
    let c = post_within(
        &reqwest::Client::new(),
        &url,
        bytes,
        &built.id,
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert_eq!(
        c.detail.get(Language::En),
        "HTTP 200 OK with an answer larger than 8 MiB"
    );
    let written = server.await.unwrap();
    assert!(
        written < 20 * 1024 * 1024,
        "the client read all {written} bytes"
    );
}

#[tokio::test]
async fn a_connection_broken_after_the_request_is_a_lost_answer() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        read_request(&mut stream).await;
        // The request arrived whole; the connection goes without an answer.
        stream.set_zero_linger().unwrap();
        drop(stream);
    });
    let c = post_within(
        &reqwest::Client::new(),
        &url,
        bytes,
        &built.id,
        Duration::from_secs(5),
    )
    .await;
    server.await.unwrap();
    assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
    assert!(c.answer_lost, "{c:?}");
    let en = c.detail.get(Language::En);
    assert!(
        en.starts_with("the connection broke after the message was sent (")
            && en.contains("the receiver may have applied the message; the next attempt will tell"),
        "{en}"
    );
    let nl = c.detail.get(Language::Nl);
    assert!(
        nl.starts_with("de verbinding is verbroken nadat het bericht was verstuurd (")
            && nl.contains("de ontvanger kan het bericht hebben verwerkt"),
        "{nl}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_not_a_lost_answer() {
    let (built, bytes) = built_message();
    let (listener, url) = listener().await;
    drop(listener);
    let c = post_within(
        &reqwest::Client::new(),
        &url,
        bytes,
        &built.id,
        Duration::from_secs(5),
    )
    .await;
    assert!(!c.answer_lost, "{c:?}");
    assert!(
        c.detail
            .get(Language::Nl)
            .starts_with("kan geen verbinding maken: ")
            && c.detail.get(Language::En).starts_with("cannot connect: "),
        "{c:?}"
    );
}

#[test]
fn http_413_is_a_rejection_that_names_our_size() {
    let c = classify(
        413,
        b"the message is larger than this receiver accepts\n",
        &ours(),
        475_312,
    );
    assert_eq!(c.outcome, AttemptOutcome::Rejected, "{c:?}");
    assert_eq!(
        c.detail.get(Language::En),
        "HTTP 413 Payload Too Large: the receiver does not take a message of this size \
         (ours is 475312 bytes): \"the message is larger than this receiver accepts\""
    );
    assert!(
        c.detail.get(Language::Nl).contains(
            "de ontvanger neemt een bericht van deze grootte niet aan (ons bericht is 475312 bytes)"
        ),
        "{c:?}"
    );
}

#[test]
fn other_4xx_answers_are_transient_with_the_status_first() {
    for (status, line) in [
        (403, "HTTP 403 Forbidden"),
        (404, "HTTP 404 Not Found"),
        (400, "HTTP 400 Bad Request"),
    ] {
        let body = b"this client certificate is not authorised to deliver lot numbers here\n";
        let c = classify(status, body, &ours(), 1000);
        assert_eq!(c.outcome, AttemptOutcome::Transient, "{c:?}");
        let en = c.detail.get(Language::En);
        assert!(
            en.starts_with(&format!(
                "{line}: \"this client certificate is not authorised"
            )) && en.contains("(not XML: "),
            "{en}"
        );
        assert!(c.detail.get(Language::Nl).contains("(geen XML: "), "{c:?}");
    }
    // A 4xx that carries a rejection is a rejection.
    let details = vec![detail("SYN104", "[lot.blank] lot number is empty", "/x")];
    let c = classify(400, &ack(AckType::CE, ours(), details), &ours(), 1000);
    assert_eq!(c.outcome, AttemptOutcome::Rejected, "{c:?}");
    assert!(
        c.detail
            .get(Language::En)
            .starts_with("HTTP 400 Bad Request: CE ")
    );
}
