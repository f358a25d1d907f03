//! Tests of the sender's store.

use super::*;
use crate::sample::noise;
use chrono::{Duration, TimeZone};

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, day).unwrap()
}

fn message_id(n: u64) -> MessageId {
    MessageId::parse(
        "2.16.840.1.113883.2.4.6.6.99999001.1",
        &format!("20260601020000-{n}"),
    )
    .unwrap()
}

/// A message with `lots` lots whose exact bytes are `bytes`.
fn built(id: u64, lots: usize, bytes: &[u8]) -> BuiltMessage {
    BuiltMessage::new(
        message_id(id),
        Timestamp::parse("20260601020000").unwrap(),
        lots,
        bytes,
    )
}

fn new(id: u64, destination: &str, night: Option<NaiveDate>, bytes: Option<&[u8]>) -> NewDelivery {
    NewDelivery {
        id,
        destination: destination.to_owned(),
        trigger: if night.is_some() {
            Trigger::Nightly
        } else {
            Trigger::SendNow
        },
        night,
        start: at(120),
        escalate_at: Some(at(420)),
        message: bytes.map(|b| (built(id, 3, b), b.to_vec())),
        journal: Some(id + 100),
    }
}

fn reopen(store: SenderStore, dir: &Path) -> SenderStore {
    drop(store);
    SenderStore::open(dir).expect("reopens")
}

/// The pieces `len` bytes of delivery `id` are stored in: (delivery, number, size).
fn expected_pieces(id: u64, len: usize) -> Vec<(u64, u32, usize)> {
    (0..len.div_ceil(BODY_CHUNK))
        .map(|n| (id, n as u32, BODY_CHUNK.min(len - n * BODY_CHUNK)))
        .collect()
}

/// Every piece in the `bodies` tree of `destination`: (delivery number, piece number,
/// length), in key order.
fn pieces(store: &SenderStore, destination: &str) -> Vec<(u64, u32, usize)> {
    let mut prefix = destination.as_bytes().to_vec();
    prefix.push(0);
    store
        .inner
        .bodies
        .scan_prefix(&prefix)
        .map(|entry| {
            let (key, value) = entry.unwrap();
            let rest = &key[prefix.len()..];
            assert_eq!(rest.len(), 12, "key of a piece: {key:?}");
            let id = u64::from_be_bytes(rest[..8].try_into().unwrap());
            let n = u32::from_be_bytes(rest[8..].try_into().unwrap());
            (id, n, value.len())
        })
        .collect()
}

fn mails(names: &[&str]) -> Vec<(String, Vec<u8>)> {
    names
        .iter()
        .map(|n| {
            (
                (*n).to_owned(),
                format!("{{\"mail\":\"{n}\"}}").into_bytes(),
            )
        })
        .collect()
}

fn is_corrupt<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Corrupt { .. }))
}

#[test]
fn empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    assert!(store.deliveries().unwrap().is_empty());
    assert_eq!(store.delivery("ggd-a").unwrap(), None);
    assert_eq!(store.last_night("ggd-a").unwrap(), None);
    assert!(store.outbox().pending().unwrap().is_empty());
}

#[test]
fn next_id_grows_also_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SenderStore::open(dir.path()).unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        for _ in 0..5 {
            seen.push(store.next_id().unwrap());
        }
        store = reopen(store, dir.path());
    }
    seen.push(store.next_id().unwrap());
    assert!(seen[0] > 0, "delivery numbers start above zero: {seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "not strictly growing: {seen:?}"
    );
}

#[test]
fn begin_stores_the_exact_bytes_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let bytes = noise(100 * 1024 + 123, 1);
    let id = store.next_id().unwrap();
    let begun = store
        .begin(new(id, "ggd-a", Some(date(1)), Some(&bytes)))
        .unwrap();
    let expected = Delivery {
        id,
        destination: "ggd-a".into(),
        trigger: Trigger::Nightly,
        night: Some(date(1)),
        start: at(120),
        escalate_at: Some(at(420)),
        message: Some(built(id, 3, &bytes)),
        attempts: vec![],
        state: DeliveryState::Pending,
        finished_at: None,
        escalated_at: None,
        escalation_open: false,
        source_alerted: false,
        journal: Some(101),
    };
    assert_eq!(begun, expected);
    assert_eq!(begun.message.as_ref().unwrap().size, bytes.len());

    // Whole pieces and the rest.
    let stored = pieces(&store, "ggd-a");
    assert!(stored.len() > 1);
    assert_eq!(stored, expected_pieces(id, bytes.len()));
    assert_eq!(store.body(&begun).unwrap().as_deref(), Some(&bytes[..]));

    let store = reopen(store, dir.path());
    let current = store.delivery("ggd-a").unwrap().unwrap();
    assert_eq!(current, expected);
    assert_eq!(store.body(&current).unwrap(), Some(bytes));
    assert_eq!(store.last_night("ggd-a").unwrap(), Some(date(1)));
}

#[test]
fn a_body_of_exactly_whole_pieces_and_an_empty_body() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let whole = noise(2 * BODY_CHUNK, 2);
    let a = store.begin(new(1, "a", None, Some(&whole))).unwrap();
    assert_eq!(
        pieces(&store, "a"),
        [(1, 0, BODY_CHUNK), (1, 1, BODY_CHUNK)]
    );
    let b = store.begin(new(2, "b", None, Some(&[][..]))).unwrap();
    assert!(pieces(&store, "b").is_empty());
    let store = reopen(store, dir.path());
    assert_eq!(store.body(&a).unwrap(), Some(whole));
    assert_eq!(store.body(&b).unwrap(), Some(Vec::new()));
}

#[test]
fn attach_stores_the_bytes_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let begun = store.begin(new(7, "ggd-a", Some(date(1)), None)).unwrap();
    assert_eq!(begun.message, None);
    assert_eq!(store.body(&begun).unwrap(), None);
    assert!(pieces(&store, "ggd-a").is_empty());

    let bytes = noise(40_000, 3);
    let mut with = begun.clone();
    with.message = Some(built(7, 12, &bytes));
    assert!(store.attach(&with, &bytes).unwrap());
    assert_eq!(pieces(&store, "ggd-a"), expected_pieces(7, bytes.len()));

    let store = reopen(store, dir.path());
    assert_eq!(store.delivery("ggd-a").unwrap(), Some(with.clone()));
    assert_eq!(store.body(&with).unwrap().as_deref(), Some(&bytes[..]));

    // A second attach (other bytes) writes nothing.
    let other = noise(50_000, 4);
    let mut again = begun.clone();
    again.message = Some(built(7, 99, &other));
    assert!(!store.attach(&again, &other).unwrap());
    assert_eq!(store.delivery("ggd-a").unwrap(), Some(with.clone()));
    assert_eq!(pieces(&store, "ggd-a"), expected_pieces(7, bytes.len()));
    assert_eq!(store.body(&with).unwrap(), Some(bytes));
}

#[test]
fn attach_to_a_superseded_delivery_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let old = store.begin(new(1, "ggd-a", Some(date(1)), None)).unwrap();
    let current = store.begin(new(2, "ggd-a", Some(date(2)), None)).unwrap();
    let bytes = noise(20_000, 5);
    let mut late = old.clone();
    late.message = Some(built(1, 4, &bytes));
    assert!(!store.attach(&late, &bytes).unwrap());
    assert!(pieces(&store, "ggd-a").is_empty());
    assert_eq!(store.delivery("ggd-a").unwrap(), Some(current));

    // Nor to a destination that has no delivery at all.
    let mut stranger = late.clone();
    stranger.destination = "ggd-b".into();
    assert!(!store.attach(&stranger, &bytes).unwrap());
    assert_eq!(store.delivery("ggd-b").unwrap(), None);
    assert!(pieces(&store, "ggd-b").is_empty());
}

#[test]
fn a_new_delivery_supersedes_the_old_one_and_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let first = noise(70_000, 6);
    let neighbour = noise(30_000, 7);
    let old = store
        .begin(new(1, "ggd-a", Some(date(1)), Some(&first)))
        .unwrap();
    let other = store
        .begin(new(2, "ggd-a-2", Some(date(1)), Some(&neighbour)))
        .unwrap();
    assert_eq!(pieces(&store, "ggd-a"), expected_pieces(1, first.len()));

    // A send-now (no night) supersedes it.
    let second = noise(20_000, 8);
    let sent_now = store.begin(new(3, "ggd-a", None, Some(&second))).unwrap();
    assert_eq!(pieces(&store, "ggd-a"), expected_pieces(3, 20_000));
    assert_eq!(store.delivery("ggd-a").unwrap(), Some(sent_now.clone()));
    assert_eq!(store.last_night("ggd-a").unwrap(), Some(date(1)));
    assert!(is_corrupt(store.body(&old)), "the old bytes are gone");
    assert_eq!(store.body(&sent_now).unwrap(), Some(second));

    // Other destinations are untouched (also one whose name starts the same).
    assert_eq!(
        pieces(&store, "ggd-a-2"),
        expected_pieces(2, neighbour.len())
    );
    assert_eq!(store.body(&other).unwrap(), Some(neighbour));

    // The next night, without bytes yet: the send-now's bytes go too.
    let nightly = store.begin(new(4, "ggd-a", Some(date(2)), None)).unwrap();
    assert!(pieces(&store, "ggd-a").is_empty());
    let store = reopen(store, dir.path());
    assert_eq!(store.delivery("ggd-a").unwrap(), Some(nightly));
    assert_eq!(store.last_night("ggd-a").unwrap(), Some(date(2)));
    assert_eq!(store.last_night("ggd-a-2").unwrap(), Some(date(1)));
}

#[test]
fn the_last_night_is_recorded_only_for_nights() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let mut start_up = new(1, "ggd-a", None, None);
    start_up.trigger = Trigger::StartUp;
    store.begin(start_up).unwrap();
    assert_eq!(store.last_night("ggd-a").unwrap(), None);
    let mut missed = new(2, "ggd-a", Some(date(3)), None);
    missed.trigger = Trigger::Missed;
    store.begin(missed).unwrap();
    assert_eq!(store.last_night("ggd-a").unwrap(), Some(date(3)));
    store.begin(new(3, "ggd-a", None, None)).unwrap();
    let store = reopen(store, dir.path());
    assert_eq!(store.last_night("ggd-a").unwrap(), Some(date(3)));
    assert_eq!(store.last_night("ggd-b").unwrap(), None);
}

#[test]
fn an_open_escalation_carries_over_from_an_undelivered_predecessor() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();

    // Pending, escalated: carries over, and again to the next one.
    let mut d = store.begin(new(1, "a", Some(date(1)), None)).unwrap();
    d.escalated_at = Some(at(420));
    d.escalation_open = true;
    assert!(store.save(&[&d], &[]).unwrap());
    let d2 = store.begin(new(2, "a", Some(date(2)), None)).unwrap();
    assert!(d2.escalation_open);
    assert_eq!(
        d2.escalated_at, None,
        "the new delivery itself was not escalated"
    );
    let d3 = store.begin(new(3, "a", None, None)).unwrap();
    assert!(d3.escalation_open);

    // Rejected is undelivered too.
    let mut r = store.begin(new(4, "b", Some(date(1)), None)).unwrap();
    r.state = DeliveryState::Rejected;
    r.finished_at = Some(at(121));
    r.escalation_open = true;
    assert!(store.save(&[&r], &[]).unwrap());
    assert!(
        store
            .begin(new(5, "b", Some(date(2)), None))
            .unwrap()
            .escalation_open
    );

    // Delivered: the resolution belongs to it, nothing carries over.
    let mut ok = store.begin(new(6, "c", Some(date(1)), None)).unwrap();
    ok.state = DeliveryState::Delivered;
    ok.finished_at = Some(at(500));
    ok.escalation_open = true;
    assert!(store.save(&[&ok], &[]).unwrap());
    assert!(
        !store
            .begin(new(7, "c", Some(date(2)), None))
            .unwrap()
            .escalation_open
    );

    // Not escalated: nothing to carry.
    store.begin(new(8, "d", Some(date(1)), None)).unwrap();
    let fresh = store.begin(new(9, "d", Some(date(2)), None)).unwrap();
    assert!(!fresh.escalation_open);

    let store = reopen(store, dir.path());
    assert!(store.delivery("a").unwrap().unwrap().escalation_open);
    assert!(store.delivery("b").unwrap().unwrap().escalation_open);
    assert!(!store.delivery("c").unwrap().unwrap().escalation_open);
    assert!(!store.delivery("d").unwrap().unwrap().escalation_open);
}

#[test]
fn saving_a_superseded_delivery_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let mut old = store.begin(new(1, "a", Some(date(1)), None)).unwrap();
    let current = store.begin(new(2, "a", Some(date(2)), None)).unwrap();
    let mut b = store.begin(new(3, "b", Some(date(2)), None)).unwrap();

    old.attempts.push(Attempt {
        at: at(130),
        outcome: Some(AttemptOutcome::Delivered),
        detail: Text::verbatim("late"),
        answer_lost: false,
        http_status: None,
        duration_ms: None,
    });
    old.state = DeliveryState::Delivered;
    assert!(!store.save(&[&old], &mails(&["resolved-1"])).unwrap());
    assert_eq!(store.delivery("a").unwrap(), Some(current.clone()));
    assert!(store.outbox().pending().unwrap().is_empty());

    // One stale delivery spoils the whole save, also the current one beside it.
    b.state = DeliveryState::Rejected;
    b.finished_at = Some(at(125));
    assert!(!store.save(&[&b, &old], &mails(&["rejected-3"])).unwrap());
    assert!(!store.save(&[&old, &b], &mails(&["rejected-3"])).unwrap());
    assert_eq!(
        store.delivery("b").unwrap().unwrap().state,
        DeliveryState::Pending
    );
    assert!(store.outbox().pending().unwrap().is_empty());

    // A forgotten destination has no current delivery.
    store.forget("b").unwrap();
    assert!(!store.save(&[&b], &mails(&["rejected-3"])).unwrap());
    assert_eq!(store.delivery("b").unwrap(), None);

    let store = reopen(store, dir.path());
    assert_eq!(store.delivery("a").unwrap(), Some(current));
    assert_eq!(store.delivery("b").unwrap(), None);
    assert!(store.outbox().pending().unwrap().is_empty());
}

#[test]
fn save_writes_deliveries_and_mails_together() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let mut a = store.begin(new(1, "a", Some(date(1)), None)).unwrap();
    let mut b = store.begin(new(2, "b", Some(date(1)), None)).unwrap();
    store.outbox().enqueue("earlier", b"x").unwrap();

    a.attempts.push(Attempt {
        at: at(120),
        outcome: Some(AttemptOutcome::Transient),
        detail: Text::verbatim("HTTP 503"),
        answer_lost: false,
        http_status: None,
        duration_ms: None,
    });
    b.attempts.push(Attempt {
        at: at(120),
        outcome: Some(AttemptOutcome::Rejected),
        detail: Text::verbatim("HTTP 200: CE"),
        answer_lost: false,
        http_status: None,
        duration_ms: None,
    });
    b.state = DeliveryState::Rejected;
    b.finished_at = Some(at(121));
    let queued = mails(&["rejected-2", "other"]);
    assert!(store.save(&[&a, &b], &queued).unwrap());

    let store = reopen(store, dir.path());
    assert_eq!(store.delivery("a").unwrap(), Some(a));
    assert_eq!(store.delivery("b").unwrap(), Some(b));
    let mut expected = vec![("earlier".to_owned(), b"x".to_vec())];
    expected.extend(queued);
    assert_eq!(store.outbox().pending().unwrap(), expected);
}

#[test]
fn every_field_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let triggers = [
        ("n", Trigger::Nightly, Some(date(1))),
        ("m", Trigger::Missed, Some(date(2))),
        ("s", Trigger::StartUp, None),
        ("x", Trigger::SendNow, None),
    ];
    let mut saved = Vec::new();
    for (i, (name, trigger, night)) in triggers.into_iter().enumerate() {
        let bytes = noise(1000 + i, i as u64 + 20);
        let mut n = new(
            10 + i as u64,
            name,
            night,
            (i % 2 == 0).then_some(&bytes[..]),
        );
        n.trigger = trigger;
        let mut d = store.begin(n).unwrap();
        let precise = at(121) + Duration::nanoseconds(123_456_789);
        d.attempts = vec![
            Attempt {
                at: at(120),
                outcome: Some(AttemptOutcome::Transient),
                detail: Text::new(
                    "kan geen verbinding maken: Connection refused",
                    "cannot connect: Connection refused\n\"quoted\" ünïcödé",
                ),
                answer_lost: true,
                http_status: None,
                duration_ms: None,
            },
            Attempt {
                at: precise,
                outcome: Some(AttemptOutcome::Rejected),
                detail: Text::default(),
                answer_lost: false,
                http_status: Some(200),
                duration_ms: Some(1234),
            },
            Attempt {
                at: at(130) + Duration::milliseconds(5),
                outcome: Some(AttemptOutcome::Delivered),
                detail: Text::verbatim("HTTP 200: CA"),
                answer_lost: false,
                http_status: None,
                duration_ms: None,
            },
            Attempt {
                at: at(140),
                outcome: None,
                detail: Text::verbatim("running"),
                answer_lost: false,
                http_status: None,
                duration_ms: None,
            },
        ];
        d.state = [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Rejected,
            DeliveryState::Pending,
        ][i];
        d.finished_at = (i % 2 == 1).then(|| precise + Duration::seconds(1));
        d.escalated_at = (i >= 2).then(|| at(420) + Duration::microseconds(7));
        d.escalation_open = i == 3;
        d.source_alerted = i != 1;
        assert!(store.save(&[&d], &[]).unwrap());
        saved.push(d);
    }
    // Attempts that never ended, as after a crash during one.
    let mut running = store.begin(new(30, "r", None, None)).unwrap();
    running.attempts.push(Attempt {
        at: at(200),
        outcome: None,
        detail: Text::default(),
        answer_lost: false,
        http_status: None,
        duration_ms: None,
    });
    assert!(store.save(&[&running], &[]).unwrap());
    saved.push(running);
    saved.sort_by(|a, b| a.destination.cmp(&b.destination));

    let store = reopen(store, dir.path());
    assert_eq!(store.deliveries().unwrap(), saved);
    for d in &saved {
        assert_eq!(store.delivery(&d.destination).unwrap().as_ref(), Some(d));
    }
    assert_eq!(
        saved
            .iter()
            .find(|d| d.destination == "r")
            .unwrap()
            .last_attempt(),
        Some(at(200))
    );
}

#[test]
fn a_corrupted_piece_is_an_error_not_other_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let bytes = noise(100 * 1024, 9);
    let d = store
        .begin(new(1, "ggd-a", Some(date(1)), Some(&bytes)))
        .unwrap();

    // Same length, one byte flipped.
    let key = body_key(&d, 3);
    let mut piece = store.inner.bodies.get(&key).unwrap().unwrap().to_vec();
    piece[100] ^= 0x01;
    store.inner.bodies.insert(&key, piece).unwrap();
    let result = store.body(&d);
    assert!(is_corrupt(result), "flipped byte");

    // Shorter.
    store
        .inner
        .bodies
        .insert(&key, &bytes[3 * BODY_CHUNK..3 * BODY_CHUNK + 10])
        .unwrap();
    let store = reopen(store, dir.path());
    assert!(is_corrupt(store.body(&d)), "shortened piece");

    // Missing.
    store.inner.bodies.remove(&key).unwrap();
    assert!(is_corrupt(store.body(&d)), "missing piece");

    // Restored: the right bytes again.
    store
        .inner
        .bodies
        .insert(&key, &bytes[3 * BODY_CHUNK..4 * BODY_CHUNK])
        .unwrap();
    assert_eq!(store.body(&d).unwrap(), Some(bytes));
}

#[test]
fn an_unreadable_delivery_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    store.begin(new(1, "ggd-a", None, None)).unwrap();
    store
        .inner
        .deliveries
        .insert("ggd-a", &b"{\"id\":1,"[..])
        .unwrap();
    assert!(is_corrupt(store.delivery("ggd-a")));
    assert!(is_corrupt(store.deliveries()));
    assert!(is_corrupt(store.begin(new(2, "ggd-a", None, None))));
    store
        .inner
        .nights
        .insert("ggd-a", &b"yesterday"[..])
        .unwrap();
    assert!(is_corrupt(store.last_night("ggd-a")));
}

#[test]
fn forget_removes_everything_of_a_destination() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    let bytes = noise(50_000, 10);
    store
        .begin(new(1, "gone", Some(date(1)), Some(&bytes)))
        .unwrap();
    let kept = store
        .begin(new(2, "kept", Some(date(1)), Some(&bytes)))
        .unwrap();
    assert_eq!(pieces(&store, "gone"), expected_pieces(1, bytes.len()));

    store.forget("gone").unwrap();
    store.forget("never-there").unwrap();
    assert_eq!(store.delivery("gone").unwrap(), None);
    assert_eq!(store.last_night("gone").unwrap(), None);
    assert!(pieces(&store, "gone").is_empty());

    let store = reopen(store, dir.path());
    assert_eq!(store.delivery("gone").unwrap(), None);
    assert_eq!(store.last_night("gone").unwrap(), None);
    assert!(pieces(&store, "gone").is_empty());
    assert_eq!(store.deliveries().unwrap(), std::slice::from_ref(&kept));
    assert_eq!(store.last_night("kept").unwrap(), Some(date(1)));
    assert_eq!(
        store.inner.bodies.len(),
        expected_pieces(2, bytes.len()).len(),
        "only the kept pieces remain"
    );
    assert_eq!(store.body(&kept).unwrap(), Some(bytes));
}

#[test]
fn deliveries_are_listed_by_destination_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    for (id, name) in [
        (1, "zeta"),
        (2, "alpha"),
        (3, "mid"),
        (4, "Beta"),
        (5, "alpha-2"),
    ] {
        store.begin(new(id, name, None, None)).unwrap();
    }
    // A new delivery replaces the old one in the list.
    store.begin(new(6, "mid", None, None)).unwrap();
    let names = |store: &SenderStore| -> Vec<(String, u64)> {
        store
            .deliveries()
            .unwrap()
            .into_iter()
            .map(|d| (d.destination, d.id))
            .collect()
    };
    let expected: Vec<(String, u64)> = [
        ("Beta", 4),
        ("alpha", 2),
        ("alpha-2", 5),
        ("mid", 6),
        ("zeta", 1),
    ]
    .into_iter()
    .map(|(n, i)| (n.to_owned(), i))
    .collect();
    assert_eq!(names(&store), expected);
    let store = reopen(store, dir.path());
    assert_eq!(names(&store), expected);
}

#[test]
fn message_bytes_stay_in_the_log_not_in_blob_files() {
    // sled writes large pages to blob files it never fsyncs itself; the pieces are small
    // enough that even many large messages never produce one.
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    for n in 0..20u64 {
        let bytes = noise(500_000, n);
        store
            .begin(new(n + 1, &format!("d{n}"), None, Some(&bytes)))
            .unwrap();
    }
    let blobs = std::fs::read_dir(dir.path().join("blobs"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(blobs, 0, "blob files written for the message bytes");
}

#[test]
fn the_last_creation_time_outlives_its_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    assert_eq!(store.last_created("ggd").unwrap(), None);
    // A delivery begun without a message records nothing; attaching one does.
    let mut pending = store.begin(new(1, "ggd", Some(date(1)), None)).unwrap();
    assert_eq!(store.last_created("ggd").unwrap(), None);
    pending.message = Some(built(1, 3, b"first"));
    assert!(store.attach(&pending, b"first").unwrap());
    let first = Timestamp::parse("20260601020000").unwrap();
    assert_eq!(store.last_created("ggd").unwrap(), Some(first.clone()));
    // Superseded by one still without a message, then forgotten: it stays.
    store.begin(new(2, "ggd", None, None)).unwrap();
    store.forget("ggd").unwrap();
    let store = reopen(store, dir.path());
    assert_eq!(store.last_created("ggd").unwrap(), Some(first));
    assert_eq!(store.last_created("other").unwrap(), None);
}

#[test]
fn the_installation_time_is_recorded_once_and_only_on_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SenderStore::open(dir.path()).unwrap();
    assert_eq!(store.installed_at().unwrap(), None);
    assert_eq!(store.install(at(1)).unwrap(), Some(at(1)));
    assert_eq!(store.install(at(2)).unwrap(), Some(at(1)), "recorded once");
    let store = reopen(store, dir.path());
    assert_eq!(store.installed_at().unwrap(), Some(at(1)));

    // A store from before installation times were recorded stays without one.
    let old = tempfile::tempdir().unwrap();
    let store = SenderStore::open(old.path()).unwrap();
    store.begin(new(1, "ggd", Some(date(1)), None)).unwrap();
    assert_eq!(store.install(at(3)).unwrap(), None);
    assert_eq!(store.installed_at().unwrap(), None);
}
