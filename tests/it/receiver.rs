//! The receiver end to end: the real binary on loopback, deliveries over HTTP, every
//! verdict of the pipeline, duplicates, ordering, the shrink guard and the lookups.

use crate::support::gateway::{Gateway, spawn_receiver};
use crate::support::http::idle_connections;
use crate::support::{ack_type, envelope};
use lotgate::api::{ErrorAnswer, QuarantineList, SetAnswer};
use lotgate::wire::soap;
use std::time::{Duration, Instant};

fn delivered(gateway: &Gateway, body: &str) -> (u16, String) {
    let response = gateway.post(body.as_bytes());
    (response.status, response.text())
}

#[test]
fn every_verdict_over_http() {
    let gateway = spawn_receiver("");
    let (status, body) = delivered(&gateway, &envelope(20, "E2E-CA"));
    assert_eq!((status, ack_type(&body)), (200, "CA"), "{body}");
    assert!(
        body.contains("extension=\"E2E-CA\""),
        "the acknowledgement names the message"
    );

    let blank = envelope(20, "E2E-CE").replacen("extension=\"LG000003\"", "extension=\" \"", 1);
    let (status, body) = delivered(&gateway, &blank);
    assert_eq!((status, ack_type(&body)), (200, "CE"));
    assert!(body.contains("[lot.blank]"), "{body}");

    let wrong_version = envelope(20, "E2E-CR").replacen("NICTIZEd2005-Okt", "NICTIZEd2099", 1);
    let (status, body) = delivered(&gateway, &wrong_version);
    assert_eq!((status, ack_type(&body)), (200, "CR"));

    let (status, body) = delivered(&gateway, "this is not XML");
    assert_eq!(status, 500);
    assert!(
        body.contains("<faultcode>soap:Client</faultcode>"),
        "{body}"
    );

    let other_sender = envelope(20, "E2E-SENDER").replace("99999001", "99999009");
    let (status, body) = delivered(&gateway, &other_sender);
    assert_eq!((status, ack_type(&body)), (200, "CR"), "unknown sender");

    assert_eq!(
        crate::support::http::request(gateway.exchange, "POST", "/elsewhere", b"x").status,
        404
    );
    let get = crate::support::http::request(gateway.exchange, "GET", &gateway.path, b"");
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")));

    // Only the accepted set is in place.
    // Read raw on purpose: the key names of /api/v1/set and /api/v1/history as written
    // on the wire (the other tests read them as lotgate::api's types).
    let set = gateway.admin_get("/api/v1/set").json();
    assert_eq!(set["set"]["message_id"]["extension"], "E2E-CA");
    assert_eq!(set["set"]["lots"], 20);
    let history = gateway.admin_get("/api/v1/history").json();
    let outcomes: Vec<_> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect();
    // Newest first; the unknown sender's CR leaves no trace in the store (its message
    // ids must not stand in the way of a sender we accept).
    assert_eq!(
        outcomes,
        ["rejected CR", "rejected CE", "applied"],
        "newest first"
    );
}

#[test]
fn an_oversized_body_is_refused_with_413_and_changes_nothing() {
    let gateway = spawn_receiver("max_body = \"64KiB\"");
    let (status, _) = delivered(&gateway, &envelope(5, "SMALL"));
    assert_eq!(status, 200);
    let before = gateway.digest();
    let big = envelope(1000, "BIG");
    assert!(big.len() > 64 * 1024);
    assert_eq!(gateway.post(big.as_bytes()).status, 413);
    assert_eq!(gateway.digest(), before);
}

#[test]
fn duplicates_get_the_same_answer_and_reused_ids_a_ce() {
    let gateway = spawn_receiver("");
    let message = envelope(20, "DUP-1");
    let first = gateway.post(message.as_bytes());
    let again = gateway.post(message.as_bytes());
    assert_eq!(first.status, 200);
    assert_eq!(
        first.body, again.body,
        "a duplicate gets the byte-identical acknowledgement"
    );
    assert_eq!(gateway.history().len(), 1, "applied once");

    let other_bytes = envelope(25, "DUP-1");
    let (status, body) = delivered(&gateway, &other_bytes);
    assert_eq!((status, ack_type(&body)), (200, "CE"));
    assert!(body.contains("[message.id-reused]"), "{body}");
    assert_eq!(gateway.set_lots(), Some(20));
}

#[test]
fn an_older_message_is_not_applied() {
    let gateway = spawn_receiver("");
    let newer = envelope(20, "NEW").replace("20260601020000", "20260602020000");
    assert_eq!(ack_type(&delivered(&gateway, &newer).1), "CA");
    let (status, body) = delivered(&gateway, &envelope(20, "OLD"));
    assert_eq!((status, ack_type(&body)), (200, "CE"));
    assert!(body.contains("[message.stale]"), "{body}");
    assert_eq!(gateway.set_extension().as_deref(), Some("NEW"));
}

/// A receiver with the 100-lot set `FULL` in place and the 10-lot set `SMALL` (newer)
/// held in quarantine.
fn with_a_quarantined_set() -> Gateway {
    let gateway = spawn_receiver("");
    assert_eq!(
        ack_type(&delivered(&gateway, &envelope(100, "FULL")).1),
        "CA"
    );
    let small = envelope(10, "SMALL").replace("20260601020000", "20260602020000");
    let (status, body) = delivered(&gateway, &small);
    assert_eq!((status, ack_type(&body)), (200, "CE"));
    assert!(body.contains("[set.quarantined]"), "{body}");
    gateway
}

#[test]
fn a_much_smaller_set_is_quarantined_until_accepted() {
    let gateway = with_a_quarantined_set();
    assert_eq!(gateway.set_lots(), Some(100), "the old set stays");
    // The quarantine is read raw on purpose here: its key names as written on the wire
    // (the other tests read it as lotgate::api's types).
    let quarantine = gateway.admin_get("/api/v1/quarantine").json();
    let entry = &quarantine["quarantine"][0];
    assert_eq!(entry["lots"], 10);
    let mail_dir = gateway.dir().join("mail");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let quarantine_mail = || {
        std::fs::read_dir(&mail_dir)
            .map(|d| {
                d.flatten()
                    .any(|f| f.file_name().to_string_lossy().starts_with("quarantine-"))
            })
            .unwrap_or(false)
    };
    while !quarantine_mail() {
        assert!(
            std::time::Instant::now() < deadline,
            "no quarantine alert written"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let accepted = gateway.admin_post(&format!("/api/v1/quarantine/{}/accept", entry["id"]));
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(gateway.set_lots(), Some(10));
    assert_eq!(
        gateway.admin_get("/api/v1/quarantine").json()["quarantine"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn lookups() {
    let gateway = spawn_receiver("");
    assert_eq!(
        gateway.admin_get("/api/v1/lots/LG000001").status,
        404,
        "no set yet"
    );
    assert_eq!(
        ack_type(&delivered(&gateway, &envelope(40, "LOOKUP")).1),
        "CA"
    );
    // Read raw on purpose: the lookups' key names and status words as a record system
    // reads them (the other tests read them as lotgate::api's types).
    let found = gateway.admin_get("/api/v1/lots/LG000001?vaccine=02").json();
    assert_eq!(found["lot"]["status"], "valid");
    let other = gateway.admin_get("/api/v1/lots/LG000001?vaccine=08").json();
    assert_eq!(other["lot"]["status"], "other_vaccine");
    let unknown = gateway.admin_get("/api/v1/lots/NOPE");
    assert_eq!(
        (unknown.status, unknown.json()["status"].as_str()),
        (404, Some("unknown"))
    );
    assert_eq!(
        gateway.admin_get("/api/v1/lots/LG000001?vaccine=8").status,
        400
    );
    let list = gateway
        .admin_get("/api/v1/lots?prefix=LG00001&limit=5")
        .json();
    assert_eq!(list["lots"].as_array().unwrap().len(), 5);
    assert_eq!(gateway.admin_get("/healthz").status, 200);
    assert_eq!(gateway.admin_get("/readyz").json()["status"], "ready");
}

#[test]
fn the_set_survives_a_restart() {
    let mut gateway = spawn_receiver("");
    assert_eq!(
        ack_type(&delivered(&gateway, &envelope(30, "KEEP")).1),
        "CA"
    );
    let before = gateway.digest();
    gateway.restart();
    assert_eq!(gateway.digest(), before);
    let status = gateway.terminate();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
}

#[test]
fn a_crowd_of_idle_connections_from_one_address_does_not_hold_up_a_delivery() {
    // 300 is more than max_connections (256): without a cap per address, the crowd
    // takes every slot and the delivery waits a whole header timeout (10 s).
    let gateway = spawn_receiver("");
    let crowd = idle_connections([127, 0, 0, 2].into(), gateway.exchange, 300);
    let started = Instant::now();
    let (status, body) = delivered(&gateway, &envelope(20, "CROWD"));
    let took = started.elapsed();
    assert_eq!((status, ack_type(&body)), (200, "CA"), "{body}");
    assert!(
        took < Duration::from_secs(1),
        "the delivery took {took:?} beside the crowd"
    );
    let log = gateway.log();
    assert!(
        log.contains("exchange listener: closed") && log.contains("from 127.0.0.2 ("),
        "the refused connections are counted in the log:\n{log}"
    );
    drop(crowd);
}

/// The version every view of the receiver reports for the set in place: `/readyz`,
/// `/api/v1/set`, a lookup and the newest import report must agree. Read raw on purpose:
/// each names it `set_version` on the wire.
fn reported_version(gateway: &Gateway) -> u64 {
    let ready = gateway.admin_get("/readyz").json()["receiver"]["set_version"].clone();
    let set = gateway.admin_get("/api/v1/set").json()["set_version"].clone();
    let lookup = gateway.admin_get("/api/v1/lots/LG000001").json()["set_version"].clone();
    let history =
        gateway.admin_get("/api/v1/history?limit=1").json()["history"][0]["set_version"].clone();
    assert_eq!(
        [&set, &lookup, &history],
        [&ready; 3],
        "/readyz, /api/v1/set, the lookup and the history agree"
    );
    ready.as_u64().expect("a version")
}

#[test]
fn the_set_version_survives_a_kill_and_keeps_increasing() {
    let mut gateway = spawn_receiver("");
    for (lots, id) in [(30, "V-1"), (31, "V-2")] {
        assert_eq!(ack_type(&delivered(&gateway, &envelope(lots, id)).1), "CA");
    }
    assert_eq!(reported_version(&gateway), 2);
    gateway.restart(); // SIGKILL, then start on the same data
    assert_eq!(
        reported_version(&gateway),
        2,
        "the same number after a kill"
    );
    assert_eq!(ack_type(&delivered(&gateway, &envelope(32, "V-3")).1), "CA");
    assert_eq!(reported_version(&gateway), 3);

    // A set accepted from quarantine takes the next number too.
    assert_eq!(
        ack_type(&delivered(&gateway, &envelope(3, "V-SMALL")).1),
        "CE"
    );
    let accepted = gateway.admin_post("/api/v1/quarantine/1/accept");
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(accepted.answer::<SetAnswer>().set_version, 4);
    gateway.restart();
    assert_eq!(reported_version(&gateway), 4);
}

/// The body to post for a corpus file: SOAP envelopes and non-XML as they are, a bare
/// HL7 document wrapped in an envelope (the receiver only takes envelopes).
fn as_delivery(bytes: &[u8]) -> Vec<u8> {
    let Ok(doc) = lotgate::xml::Document::parse(bytes, &Default::default()) else {
        return bytes.to_vec();
    };
    if doc.root().name() == "Envelope" {
        return bytes.to_vec();
    }
    soap::envelope(doc.root().source()).into_bytes()
}

#[test]
fn the_hostile_corpus_over_http_changes_nothing() {
    let gateway = spawn_receiver("");
    assert_eq!(
        ack_type(&delivered(&gateway, &envelope(20, "BASE")).1),
        "CA"
    );
    let before = gateway.digest();
    let mut failures = Vec::new();
    for example in crate::corpus::manifest()
        .into_iter()
        .filter(|e| e.verdict != "accept")
    {
        let bytes = std::fs::read(example.path()).unwrap();
        let response = gateway.post(&as_delivery(&bytes));
        let body = response.text();
        let got = match response.status {
            500 if body.contains("<faultcode>soap:Client</faultcode>") => "fault",
            200 => ack_type(&body),
            other => {
                failures.push(format!("{}: HTTP {other}", example.file));
                continue;
            }
        };
        let expected = match example.verdict.as_str() {
            "unusable" => "fault",
            other => other,
        };
        if got != expected {
            failures.push(format!("{}: expected {expected}, got {got}", example.file));
        }
        if gateway.digest() != before {
            failures.push(format!("{}: the stored set changed", example.file));
            break;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(gateway.set_extension().as_deref(), Some("BASE"));
}

#[test]
fn quarantine_verbs_on_the_command_line() {
    let gateway = with_a_quarantined_set();
    let list = gateway.cli(&["quarantine", "list"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    // The command line prints the admin API's answer.
    let listed: QuarantineList = serde_json::from_slice(&list.stdout).unwrap();
    let entry = listed.quarantine.first().expect("an entry");
    let id = entry.id;
    assert_eq!(entry.message_id.extension, "SMALL");
    let unknown = gateway.cli(&["quarantine", "accept", "999"]);
    assert_eq!(unknown.status.code(), Some(1));
    let discard = gateway.cli(&["quarantine", "discard", &id.to_string()]);
    assert!(discard.status.success());
    assert_eq!(gateway.quarantine().len(), 0);
    assert_eq!(
        gateway.set_lots(),
        Some(100),
        "discarding changes nothing in place"
    );
}

#[test]
fn slow_clients_are_cut_off() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let gateway = spawn_receiver("header_timeout = \"1s\"\nbody_timeout = \"1s\"");

    // Headers that never end: the connection is closed after the header timeout.
    let mut stream = std::net::TcpStream::connect(gateway.exchange).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /jgz/partijnummers HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not cut off: {:?}",
        started.elapsed()
    );

    // A body that trickles in: 408 after the body timeout.
    let body = envelope(5, "SLOW");
    let mut stream = std::net::TcpStream::connect(gateway.exchange).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        gateway.path,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body.as_bytes()[..100]).unwrap();
    let started = Instant::now();
    let response = crate::support::http::read_response(&mut stream);
    assert_eq!(response.status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(gateway.digest().is_none(), "nothing stored");
}

#[test]
fn a_quarantined_set_older_than_the_set_in_place_cannot_be_accepted() {
    let gateway = with_a_quarantined_set();
    let newer = envelope(100, "NEWER").replace("20260601020000", "20260603020000");
    assert_eq!(ack_type(&delivered(&gateway, &newer).1), "CA");
    let id = gateway.quarantine().first().expect("a quarantined set").id;
    let refused = gateway.admin_post(&format!("/api/v1/quarantine/{id}/accept"));
    assert_eq!(refused.status, 409, "{}", refused.text());
    assert_eq!(gateway.set_extension().as_deref(), Some("NEWER"));
}

#[test]
fn the_admin_api_tells_unknown_paths_from_wrong_methods_and_answers_in_the_configured_language() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let config =
        crate::support::gateway::receiver_config(dir, "", &crate::support::gateway::file_mail(dir))
            .replace("language = \"en\"", "language = \"nl\"");
    let gateway = crate::support::gateway::start(dir, &config);

    for path in [
        "/api/v1/lots/A/B",
        "/api/v1/set/x",
        "/api/v1/quarantine/1/accept/now",
        "/api/v1/mail/x",
        "/api/v1/nothing",
    ] {
        assert_eq!(gateway.admin_get(path).status, 404, "{path}");
    }
    for (method, path, allow) in [
        ("DELETE", "/api/v1/set", "GET"),
        ("POST", "/api/v1/lots/A", "GET"),
        ("POST", "/readyz", "GET"),
        ("PUT", "/healthz", "GET"),
        ("GET", "/api/v1/quarantine/1/accept", "POST"),
        ("GET", "/api/v1/mail/retry", "POST"),
        ("POST", "/api/v1/mail", "GET"),
    ] {
        let answer = crate::support::http::request(gateway.admin, method, path, b"");
        assert_eq!(
            (answer.status, answer.header("allow")),
            (405, Some(allow)),
            "{method} {path}"
        );
    }

    let error = |answer: crate::support::http::Response, status: u16| {
        assert_eq!(answer.status, status, "{}", answer.text());
        answer.answer::<ErrorAnswer>().error
    };
    assert_eq!(
        error(gateway.admin_get("/api/v1/lots/A?vaccine=abc"), 400),
        "vaccine moet een code van twee cijfers zijn"
    );
    assert_eq!(
        error(gateway.admin_post("/api/v1/quarantine/x/accept"), 400),
        "het quarantainenummer moet een getal zijn"
    );
    assert_eq!(
        error(gateway.admin_post("/api/v1/quarantine/7/discard"), 404),
        "er is geen set 7 in quarantaine"
    );
    let unknown_mail = error(gateway.admin_post("/api/v1/mail/m-1/retry"), 404);
    assert!(
        unknown_mail.starts_with("er wacht geen e-mail \"m-1\""),
        "{unknown_mail}"
    );
    // Nothing stored changed.
    assert!(gateway.digest().is_none());
    assert!(gateway.quarantine().is_empty());
}
