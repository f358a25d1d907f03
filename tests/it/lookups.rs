//! Lookups at the moment of registration, from outside: lot-number hygiene on the way in
//! (from a real delivery over HTTP and from the sender's CSV source), every answer of
//! `GET /api/v1/lots/{lot}` against a real receiver — exact, normalized, unknown with
//! suggestions for every confusion of reading a vial — the pick list ignoring case, and
//! hostile lot paths refused without a change.

use crate::support::gateway::{Gateway, file_mail, receiver_config, spawn_receiver, start};
use crate::support::sender::{destination, sender_config, state, wait_for};
use crate::support::{ack_type, lotgate};
use lotgate::api::{LotAnswer, LotStatus, LotsAnswer, Match, StateView, UnknownLot};
use lotgate::lot::{Lot, LotNumber, LotSet};
use lotgate::vaccine::VaccineType;
use lotgate::{sample, wire::soap};
use std::time::Duration;

/// The confusions of reading a vial: (on the vial, as typed).
const CONFUSIONS: [(char, char); 12] = [
    ('0', 'O'),
    ('O', '0'),
    ('1', 'I'),
    ('I', '1'),
    ('1', 'L'),
    ('L', '1'),
    ('5', 'S'),
    ('S', '5'),
    ('8', 'B'),
    ('B', '8'),
    ('2', 'Z'),
    ('Z', '2'),
];

/// A lot as a delivery writes it (the number exactly as given).
fn lot(number: &str, code: &str) -> Lot {
    Lot {
        number: LotNumber::parse(number).expect("a lot number"),
        vaccine: VaccineType::known(code).expect("a W0422 code"),
        expires: None,
    }
}

/// The stored lot for confusion `i` (on the vial `c`): its own prefix, so that the
/// others are further away.
fn vial(i: usize, c: char) -> String {
    format!("V{}{c}Q7", (b'A' + i as u8) as char)
}

/// The set the lookups run against: a lot with whitespace around it, two lot numbers
/// that differ only in case, one lot per confusion, and one of another vaccine type.
fn delivery() -> String {
    let mut lots = vec![
        lot(" ASPNA186DF ", "08"),
        lot("asp1", "08"),
        lot("ASP1", "08"),
        lot("MMR123", "06"),
    ];
    for (i, (on_vial, _)) in CONFUSIONS.iter().enumerate() {
        lots.push(lot(&vial(i, *on_vial), "08"));
    }
    let set = LotSet::new(lots).expect("no lot number under two types");
    soap::message_envelope(&sample::message_with(set, "LOOKUPS-1"))
}

fn get(receiver: &Gateway, path: &str) -> crate::support::http::Response {
    receiver.admin_get(path)
}

#[test]
fn a_delivery_is_cleaned_on_the_way_in_and_lookups_match_forgivingly() {
    let receiver = spawn_receiver("");
    let answer = receiver.post(delivery().as_bytes());
    assert_eq!(ack_type(&answer.text()), "CA", "{}", answer.text());

    // The import report names both hygiene warnings, with where they are.
    let history = receiver.history();
    let warnings = &history.last().expect("an import report").warnings;
    let whitespace: Vec<_> = warnings
        .iter()
        .filter(|w| w.code == "lot.whitespace")
        .collect();
    assert_eq!(whitespace.len(), 1, "{warnings:#?}");
    assert!(
        whitespace[0].text.contains("\" ASPNA186DF \"")
            && whitespace[0].text.contains("\"ASPNA186DF\""),
        "{whitespace:#?}"
    );
    assert!(
        whitespace[0].location.ends_with("/@extension"),
        "{whitespace:#?}"
    );
    let case: Vec<_> = warnings.iter().filter(|w| w.code == "lot.case").collect();
    assert_eq!(case.len(), 1, "{warnings:#?}");
    assert!(
        case[0].text.contains("asp1") && case[0].text.contains("ASP1"),
        "{case:#?}"
    );

    // Exact: the lot is stored trimmed.
    let exact: LotAnswer = get(&receiver, "/api/v1/lots/ASPNA186DF?vaccine=08").answer();
    assert_eq!(exact.lot.lot, "ASPNA186DF");
    assert_eq!(exact.matched, Match::Exact);
    assert_eq!(exact.lot.status, LotStatus::Valid);
    let raw = get(&receiver, "/api/v1/lots/ASPNA186DF").json();
    assert_eq!(raw["match"], "exact", "{raw:#}");

    // Normalized: whitespace and letter case ignored, the stored form answered.
    let answer = get(&receiver, "/api/v1/lots/%20aspna186df%20?vaccine=08");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let normalized: LotAnswer = answer.answer();
    assert_eq!(normalized.lot.lot, "ASPNA186DF");
    assert_eq!(normalized.matched, Match::Normalized);
    assert_eq!(answer.json()["match"], "normalized");

    // Two stored numbers differ only in case: an exact match for each, and no guess for
    // a third spelling — both offered instead.
    let exact: LotAnswer = get(&receiver, "/api/v1/lots/asp1").answer();
    assert_eq!(
        (exact.lot.lot.as_str(), exact.matched),
        ("asp1", Match::Exact)
    );
    let answer = get(&receiver, "/api/v1/lots/Asp1");
    assert_eq!(answer.status, 404, "{}", answer.text());
    let unknown: UnknownLot = answer.answer();
    let offered: Vec<&str> = unknown.suggestions.iter().map(|s| s.lot.as_str()).collect();
    assert_eq!(offered, ["ASP1", "asp1"]);

    // Every confusion of reading a vial: 404 with the lot on the vial suggested first,
    // never a 200.
    for (i, (on_vial, typed)) in CONFUSIONS.iter().enumerate() {
        let asked = vial(i, *typed);
        let answer = get(&receiver, &format!("/api/v1/lots/{asked}?vaccine=08"));
        assert_eq!(answer.status, 404, "{asked}: {}", answer.text());
        let unknown: UnknownLot = answer.answer();
        assert_eq!(unknown.lot, asked);
        assert!(unknown.suggestions.len() <= 3, "{unknown:#?}");
        let first = unknown.suggestions.first().expect("a suggestion");
        assert_eq!(first.lot, vial(i, *on_vial), "{asked}: {unknown:#?}");
        assert_eq!(first.vaccine, "08");
        assert_eq!(first.status, LotStatus::Valid);
    }

    // A close lot of another vaccine type is offered, marked.
    let unknown: UnknownLot = get(&receiver, "/api/v1/lots/MMRI23?vaccine=08").answer();
    let mmr = unknown
        .suggestions
        .iter()
        .find(|s| s.lot == "MMR123")
        .unwrap_or_else(|| panic!("MMR123 offered: {unknown:#?}"));
    assert_eq!(mmr.status, LotStatus::OtherVaccine);
    assert_eq!(mmr.vaccine, "06");

    // Nothing close: unknown, nothing offered.
    let unknown: UnknownLot = get(&receiver, "/api/v1/lots/QWERTYUIOP").answer();
    assert!(unknown.suggestions.is_empty(), "{unknown:#?}");

    // The pick list matches the prefix ignoring case.
    let list: LotsAnswer = get(&receiver, "/api/v1/lots?prefix=asp&vaccine=08").answer();
    let listed: Vec<&str> = list.lots.iter().map(|l| l.lot.as_str()).collect();
    assert_eq!(listed, ["ASP1", "asp1", "ASPNA186DF"]);
}

#[test]
fn hostile_lot_paths_are_refused_and_change_nothing() {
    let receiver = spawn_receiver("");
    let answer = receiver.post(delivery().as_bytes());
    assert_eq!(ack_type(&answer.text()), "CA", "{}", answer.text());
    let before = receiver.set();
    let long = format!("/api/v1/lots/{}", "A".repeat(10_000));
    for path in [
        long.as_str(),
        "/api/v1/lots/%FF%FE",
        "/api/v1/lots/..",
        "/api/v1/lots/../set",
        "/api/v1/lots/./ASP1",
        "/api/v1/lots/AB%00CD",
        "/api/v1/lots/%20%20",
        "/api/v1/lots/%2E%2E",
        "/api/v1/lots/%20.%20",
        "/api/v1/lots/ASP1?vaccine=8",
        "/api/v1/lots?prefix=AS&vaccine=08x",
    ] {
        let answer = get(&receiver, path);
        assert_eq!(answer.status, 400, "{path}: {}", answer.text());
        let error = answer.json();
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {error:#}"
        );
    }
    assert_eq!(receiver.set(), before, "nothing changed");
    let metrics = get(&receiver, "/metrics").text();
    assert!(
        metrics.contains("lotgate_receiver_lookups_total{status=\"bad_request\"} 11"),
        "{metrics}"
    );
}

#[test]
fn the_senders_csv_source_is_cleaned_the_same_way() {
    let temp = tempfile::tempdir().unwrap();
    let (receiver_dir, sender_dir) = (temp.path().join("receiver"), temp.path().join("sender"));
    for dir in [&receiver_dir, &sender_dir] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let receiver = start(
        &receiver_dir,
        &receiver_config(&receiver_dir, "", &file_mail(&receiver_dir)),
    );
    let url = format!("http://{}{}", receiver.exchange, receiver.path);
    let config = sender_config(
        &sender_dir,
        &[("jgz", url, "99999002")],
        Duration::from_secs(600),
        &file_mail(&sender_dir),
    );
    std::fs::write(
        sender_dir.join("inventory.csv"),
        "vaccine_code,lot_number,expiry_date\n08, ASPNA186DF ,2030-01-31\n08,asp1,\n08,ASP1,\n",
    )
    .unwrap();
    let path = sender_dir.join("config.toml");
    std::fs::write(&path, &config).unwrap();

    // Offline: both warnings with their line, and the message carries the trimmed number.
    let message = sender_dir.join("message.xml");
    let out = lotgate(&[
        "send-now",
        "--dry-run",
        "--config",
        path.to_str().unwrap(),
        "--output",
        message.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 lot numbers, 2 warning(s)"), "{stdout}");
    assert!(stdout.contains("lot.whitespace"), "{stdout}");
    assert!(stdout.contains("lot.case"), "{stdout}");
    let xml = std::fs::read_to_string(&message).unwrap();
    assert!(xml.contains("extension=\"ASPNA186DF\""), "{xml}");
    assert!(!xml.contains(" ASPNA186DF "), "{xml}");

    // Delivered for real: the receiver has the trimmed number, byte for byte.
    let sender = start(&sender_dir, &config);
    wait_for(Duration::from_secs(20), || {
        (state(&destination(&sender, "jgz")) == Some(StateView::Delivered)).then_some(())
    })
    .unwrap_or_else(|| panic!("not delivered; sender log:\n{}", sender.log()));
    let exact: LotAnswer = receiver
        .admin_get("/api/v1/lots/ASPNA186DF?vaccine=08")
        .answer();
    assert_eq!(exact.matched, Match::Exact);
    assert_eq!(receiver.set_lots(), Some(3));
}
