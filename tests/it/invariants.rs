//! The receiver's invariants (`docs/architecture.md`, "Invariants") against the real binary
//! over real sockets: a stream of replacements killed with SIGKILL at random moments,
//! readers hammering the lookups while sets are replaced, and ordering and duplicates
//! across a restart.
//!
//! Every set sent is recognisable from what the receiver shows: its lot numbers embed
//! the set's index, its message id names it, and its digest is known in advance, so a
//! mix of two sets, a lost acknowledged set or a half-written one cannot pass for a
//! set that was sent.
//!
//! Counts can be raised (or lowered, for a quick look) through the environment:
//! `LOTGATE_CRASHES` (kills, default 30), `LOTGATE_REPLACEMENTS` (replacements while
//! readers read, default 100); `LOTGATE_SEED` replays the kill moments of an earlier run.

use crate::support::gateway::{Gateway, spawn_receiver, try_post};
use chrono::{Days, NaiveDate, NaiveDateTime};
use lotgate::api::{LotAnswer, LotView, LotsAnswer, SetAnswer, UnknownLot};
use lotgate::lot::{Lot, LotNumber, LotSet};
use lotgate::message::LotMessage;
use lotgate::sample;
use lotgate::timestamp::Timestamp;
use lotgate::vaccine::{VaccineType, W0422};
use lotgate::wire::soap;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Sets of different sizes follow each other here: the shrink guard would hold some of
/// them back, which is not what these tests are about.
const NO_SHRINK_GUARD: &str = "shrink_guard_fraction = 0.0";

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

/// The acknowledgement type of an answer's bytes; `none` when it holds none.
fn ack_type(body: &[u8]) -> &'static str {
    crate::support::ack_type_of(&String::from_utf8_lossy(body)).unwrap_or("none")
}

fn date(days_after_2030: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 1, 1)
        .and_then(|d| d.checked_add_days(Days::new(days_after_2030)))
        .expect("a date in range")
}

fn lot(number: &str, code_index: u64, expires: Option<NaiveDate>) -> Lot {
    let (code, _) = W0422[(code_index % W0422.len() as u64) as usize];
    Lot {
        number: LotNumber::parse(number).expect("a valid lot number"),
        vaccine: VaccineType::known(code).expect("a known code"),
        expires,
    }
}

/// A message carrying `lots` with id extension `extension`, created `seconds` after
/// 2026-06-01 02:00:00, so a message with a higher index is never stale.
fn message(lots: LotSet, extension: &str, seconds: u64) -> LotMessage {
    let base = NaiveDateTime::parse_from_str("20260601020000", "%Y%m%d%H%M%S").expect("a time");
    let mut message = sample::message_with(lots, extension);
    message.created = Timestamp::from_local(base + chrono::Duration::seconds(seconds as i64));
    message
}

/// The lots as `GET /api/v1/lots` lists them: number, vaccine code, expiry.
fn listed(lots: &LotSet) -> Vec<(String, String, Option<String>)> {
    lots.lots()
        .iter()
        .map(|l| {
            (
                l.number.as_str().to_owned(),
                l.vaccine.code().as_str().to_owned(),
                l.expires.map(|d| d.to_string()),
            )
        })
        .collect()
}

/// The lots of an answer of `GET /api/v1/lots`, as [`listed`] writes them.
fn listed_answer(lots: &[LotView]) -> Vec<(String, String, Option<String>)> {
    lots.iter()
        .map(|l| {
            (
                l.lot.clone(),
                l.vaccine.clone(),
                l.expires.map(|d| d.to_string()),
            )
        })
        .collect()
}

/// A small xorshift generator: the kill moments, reproducible from the printed seed.
struct XorShift(u64);

impl XorShift {
    fn seeded() -> (Self, u64) {
        let seed = std::env::var("LOTGATE_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
            .max(1);
        (Self(seed), seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x % n
    }
}

// --- 1. Crash consistency -------------------------------------------------------------

/// Set `i` of the crash stream: 50 + (i % 7) · 13 lots whose numbers embed `i`.
fn crash_set(i: u64) -> LotSet {
    let lots = (0..50 + (i % 7) * 13)
        .map(|k| {
            let expires = (k % 4 != 0).then(|| date(i * 7 + k));
            lot(&format!("C{i:06}-{k:03}"), i + k, expires)
        })
        .collect();
    LotSet::new(lots).expect("distinct lot numbers")
}

fn crash_message(i: u64) -> Vec<u8> {
    soap::message_envelope(&message(crash_set(i), &format!("CRASH-{i}"), i)).into_bytes()
}

/// What one sender thread saw between two kills.
struct Stream {
    /// Every index answered, with the answer's body (all must be `CA`).
    answered: Vec<(u64, Vec<u8>)>,
    /// The index that was in flight (or about to be) when the connection broke.
    in_flight: u64,
    /// Answers that were not `CA` (an invariant violation).
    unexpected: Vec<String>,
}

/// Posts sets `first`, `first + 1`, … as fast as the receiver answers, until a post
/// gets no complete answer (the receiver was killed).
fn stream(exchange: std::net::SocketAddr, path: String, first: u64) -> Stream {
    let mut out = Stream {
        answered: Vec::new(),
        in_flight: first,
        unexpected: Vec::new(),
    };
    loop {
        let i = out.in_flight;
        let Some(response) = try_post(exchange, &path, &crash_message(i)) else {
            return out;
        };
        if response.status != 200 || ack_type(&response.body) != "CA" {
            out.unexpected.push(format!(
                "CRASH-{i}: HTTP {} {}",
                response.status,
                response.text()
            ));
        } else {
            out.answered.push((i, response.body));
        }
        out.in_flight += 1;
    }
}

/// What the receiver has in place, checked to be exactly set `j` of the stream.
fn set_in_place(gateway: &Gateway, context: &str) -> Option<u64> {
    let set = gateway.set();
    let view = set.set.as_ref()?;
    let extension = view.message_id.extension.as_str();
    let j: u64 = extension
        .strip_prefix("CRASH-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{context}: a set that was never sent: {set:#?}"));
    let expected = crash_set(j);
    assert_eq!(
        view.digest,
        lotgate::strings::hex(&expected.digest()),
        "{context}: the set in place (message CRASH-{j}) is not set {j}: {set:#?}"
    );
    assert_eq!(view.lots, expected.len(), "{context}: {set:#?}");
    assert_eq!(
        view.created,
        message(LotSet::default(), "x", j).created.as_str(),
        "{context}: {set:#?}"
    );
    // The digest is the receiver's own statement; the lots it serves must agree with it.
    let list: LotsAnswer = gateway.admin_get("/api/v1/lots?limit=1000").answer();
    assert_eq!(
        listed_answer(&list.lots),
        listed(&expected),
        "{context}: the lots served are not those of set {j}"
    );
    Some(j)
}

#[test]
fn a_set_acknowledged_survives_sigkill_and_nothing_else_appears() {
    let kills = env_count("LOTGATE_CRASHES", 30);
    let (mut rng, seed) = XorShift::seeded();
    println!("crash consistency: {kills} kills, seed {seed} (rerun with LOTGATE_SEED={seed})");
    let started = Instant::now();
    let mut gateway = spawn_receiver(NO_SHRINK_GUARD);
    let mut next = 0;
    // Every acknowledgement received, by index: each must be replayed byte for byte.
    let mut answers: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut in_place: Option<u64> = None;
    let mut unacknowledged_applied = 0;
    for round in 0..kills {
        let context = format!("seed {seed}, kill {round}");
        let sender = std::thread::spawn({
            let (exchange, path) = (gateway.exchange, gateway.path.clone());
            move || stream(exchange, path, next)
        });
        std::thread::sleep(Duration::from_millis(rng.below(401)));
        gateway.kill();
        let stream = sender.join().expect("the sender thread");
        assert!(
            stream.unexpected.is_empty(),
            "{context}: answers other than CA: {:?}",
            stream.unexpected
        );
        answers.extend(stream.answered);
        let last_acknowledged = answers.keys().next_back().copied();

        gateway.restart();
        let now = set_in_place(&gateway, &context);
        match (now, last_acknowledged) {
            (None, None) => {}
            (None, Some(a)) => panic!("{context}: set {a} was acknowledged CA, now no set"),
            (Some(j), _) => {
                assert!(j <= stream.in_flight, "{context}: set {j} was never sent");
                if let Some(a) = last_acknowledged {
                    assert!(
                        j >= a,
                        "{context}: set {a} was acknowledged CA, but set {j} is in place"
                    );
                    unacknowledged_applied += u64::from(j > a);
                }
                if let Some(before) = in_place {
                    assert!(
                        j >= before,
                        "{context}: set {before} was in place, now the older set {j}"
                    );
                }
            }
        }
        in_place = now;

        // The last acknowledgement, and one earlier one, are replayed byte for byte.
        let digest = gateway.digest();
        let earlier = answers
            .keys()
            .nth(rng.below(answers.len().max(1) as u64) as usize)
            .copied();
        for i in last_acknowledged.into_iter().chain(earlier) {
            let again = gateway.post(&crash_message(i));
            assert_eq!(again.status, 200, "{context}: CRASH-{i} again");
            assert!(
                again.body == answers[&i],
                "{context}: CRASH-{i} posted again after the restart got another answer:\n\
                 first: {}\nnow:   {}",
                String::from_utf8_lossy(&answers[&i]),
                again.text()
            );
        }
        assert_eq!(
            gateway.digest(),
            digest,
            "{context}: a replay changed the set"
        );
        next = stream.in_flight + 1;
    }
    println!(
        "crash consistency: {kills} kills, {} sets acknowledged CA of {next} sent, \
         {unacknowledged_applied} restarts with a set applied whose CA was lost, {:.1} s",
        answers.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        answers.len() as u64 >= kills,
        "seed {seed}: too few deliveries acknowledged to mean anything ({})",
        answers.len()
    );
}

// --- 2. Readers during replacements ---------------------------------------------------

/// Set `k` of the readers' test: the lot `MARK` whose expiry is 2030-01-01 + k days, a
/// lot `SIZE-{n}` naming the set's size, and filler lots whose numbers embed `k`.
fn marked_set(k: u64) -> LotSet {
    let filler = 20 + (k % 5) * 10;
    let size = filler + 2;
    let mut lots: Vec<Lot> = (0..filler)
        .map(|n| lot(&format!("R{k:04}-{n:03}"), k + n, Some(date(k + n))))
        .collect();
    lots.push(lot("MARK", 7, Some(date(k))));
    lots.push(lot(&format!("SIZE-{size}"), 0, None));
    LotSet::new(lots).expect("distinct lot numbers")
}

/// An answer of one of the three views a reader reads.
enum View {
    /// `GET /api/v1/lots/MARK`, found.
    Lot(LotAnswer),
    /// `GET /api/v1/lots/MARK`, not found (HTTP 404).
    Unknown(UnknownLot),
    /// `GET /api/v1/set`.
    Set(SetAnswer),
    /// `GET /api/v1/lots`.
    Lots(LotsAnswer),
}

impl View {
    /// The version of the set the answer comes from.
    fn set_version(&self) -> u64 {
        match self {
            View::Lot(answer) => answer.set_version,
            View::Unknown(answer) => answer.set_version,
            View::Set(answer) => answer.set_version,
            View::Lots(answer) => answer.set_version,
        }
    }
}

/// What one reader saw.
#[derive(Default)]
struct Reads {
    count: u64,
    highest: u64,
}

/// One reader: cycles through the three views of the set in place until `done`, checks
/// each answer against the set its version names, and that versions never go back.
fn read_until(
    gateway: &Gateway,
    sets: &[LotSet],
    done: &AtomicBool,
    violations: &Mutex<Vec<String>>,
) -> Reads {
    let mut reads = Reads::default();
    let problem = |what: String| {
        let mut list = violations.lock().unwrap_or_else(|p| p.into_inner());
        if list.len() < 20 {
            list.push(what);
        }
    };
    while !done.load(Ordering::Acquire) {
        let which = reads.count % 4;
        let (path, response) = match which {
            0 | 1 => ("lots/MARK", gateway.admin_get("/api/v1/lots/MARK")),
            2 => ("set", gateway.admin_get("/api/v1/set")),
            _ => ("lots", gateway.admin_get("/api/v1/lots?limit=1000")),
        };
        reads.count += 1;
        let answer = match which {
            0 | 1 if response.status == 404 => response.try_answer().map(View::Unknown),
            0 | 1 => response.try_answer().map(View::Lot),
            2 => response.try_answer().map(View::Set),
            _ => response.try_answer().map(View::Lots),
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(complaint) => {
                problem(format!("{path}: no answer with a set_version: {complaint}"));
                continue;
            }
        };
        let version = answer.set_version();
        if version < reads.highest {
            problem(format!(
                "{path}: version {version} after version {}",
                reads.highest
            ));
        }
        reads.highest = reads.highest.max(version);
        let Some(set) = version.checked_sub(1).and_then(|k| sets.get(k as usize)) else {
            // Version 0: nothing applied yet.
            let empty = match &answer {
                View::Lot(_) | View::Unknown(_) => response.status == 404,
                View::Set(set) => set.set.is_none(),
                View::Lots(list) => list.lots.is_empty(),
            };
            if version != 0 || !empty {
                problem(format!(
                    "{path}: version {version} names no set sent: {}",
                    response.text()
                ));
            }
            continue;
        };
        let k = version - 1;
        let fine = match &answer {
            View::Lot(found) => {
                response.status == 200
                    && found.lot.expires.map(|d| d.to_string()) == Some(date(k).to_string())
            }
            View::Unknown(_) => false,
            View::Set(answer) => answer.set.as_ref().is_some_and(|in_place| {
                in_place.message_id.extension == format!("READ-{k}")
                    && in_place.digest == lotgate::strings::hex(&set.digest())
                    && in_place.lots == set.len()
            }),
            View::Lots(list) => listed_answer(&list.lots) == listed(set),
        };
        if !fine {
            problem(format!(
                "{path}: version {version} (set {k}) answered HTTP {}: {}",
                response.status,
                response.text()
            ));
        }
    }
    reads
}

/// Sets `done` when dropped, so readers stop even when the writer panics.
struct Done<'a>(&'a AtomicBool);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

#[test]
fn readers_see_one_whole_set_at_a_time_during_replacements() {
    const READERS: usize = 4;
    let replacements = env_count("LOTGATE_REPLACEMENTS", 100);
    let started = Instant::now();
    let gateway = spawn_receiver(NO_SHRINK_GUARD);
    let sets: Vec<LotSet> = (0..replacements).map(marked_set).collect();
    let messages: Vec<Vec<u8>> = sets
        .iter()
        .enumerate()
        .map(|(k, set)| {
            soap::message_envelope(&message(set.clone(), &format!("READ-{k}"), k as u64))
                .into_bytes()
        })
        .collect();
    let done = AtomicBool::new(false);
    let violations = Mutex::new(Vec::new());
    let (reads, highest) = std::thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| scope.spawn(|| read_until(&gateway, &sets, &done, &violations)))
            .collect();
        {
            let _done = Done(&done);
            for (k, body) in messages.iter().enumerate() {
                let response = gateway.post(body);
                assert_eq!(
                    (response.status, ack_type(&response.body)),
                    (200, "CA"),
                    "READ-{k}: {}",
                    response.text()
                );
            }
        }
        let seen: Vec<Reads> = readers
            .into_iter()
            .map(|r| r.join().expect("a reader thread"))
            .collect();
        (
            seen.iter().map(|r| r.count).sum::<u64>(),
            seen.iter().map(|r| r.highest).max().unwrap_or(0),
        )
    });
    let violations = violations.into_inner().unwrap_or_else(|p| p.into_inner());
    println!(
        "readers: {replacements} replacements, {reads} reads by {READERS} readers, \
         highest version seen {highest}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    assert_eq!(
        gateway.set().set_version,
        replacements,
        "one version per applied set"
    );
    assert!(
        reads >= 1000 * READERS as u64 / 2,
        "too few reads during the replacements to mean anything: {reads}"
    );
}

// --- 3. Ordering and duplicates across a restart ---------------------------------------

#[test]
fn stale_and_duplicate_messages_are_answered_as_before_after_a_sigkill() {
    let mut gateway = spawn_receiver("");
    let envelope = |lots: usize, extension: &str, seconds: u64| {
        soap::message_envelope(&message(sample::lot_set(lots), extension, seconds)).into_bytes()
    };
    let day = 24 * 3600;
    let first = envelope(30, "ORDER-1", 0);
    let newest = envelope(31, "ORDER-2", day);
    let older = envelope(32, "ORDER-0", day / 2);
    let mut answers = Vec::new();
    for (body, expected) in [(&first, "CA"), (&newest, "CA"), (&older, "CE")] {
        let response = gateway.post(body);
        assert_eq!(
            (response.status, ack_type(&response.body)),
            (200, expected),
            "{}",
            response.text()
        );
        answers.push(response.body);
    }
    assert!(String::from_utf8_lossy(&answers[2]).contains("[message.stale]"));
    let before = gateway.set();
    assert_eq!(
        before.set.as_ref().map(|s| s.message_id.extension.as_str()),
        Some("ORDER-2")
    );

    gateway.restart();
    let after = gateway.set();
    assert_eq!(after.set, before.set, "the set in place survives");

    // A message never seen, older than the set in place: stale, also after the restart.
    let unseen = envelope(33, "ORDER-3", day - 1);
    let response = gateway.post(&unseen);
    assert_eq!(
        (response.status, ack_type(&response.body)),
        (200, "CE"),
        "{}",
        response.text()
    );
    assert!(
        response.text().contains("[message.stale]"),
        "{}",
        response.text()
    );
    let stale_answer = response.body;

    // Every message answered before gets its answer again, byte for byte.
    for (body, answer) in [&first, &newest, &older].into_iter().zip(&answers) {
        let again = gateway.post(body);
        assert_eq!(again.status, 200);
        assert!(
            &again.body == answer,
            "another answer after the restart:\nfirst: {}\nnow:   {}",
            String::from_utf8_lossy(answer),
            again.text()
        );
    }
    assert_eq!(gateway.post(&unseen).body, stale_answer);
    // An id answered before, with other bytes: refused, also after the restart.
    let reused = gateway.post(&envelope(40, "ORDER-1", 2 * day));
    assert_eq!(ack_type(&reused.body), "CE");
    assert!(
        reused.text().contains("[message.id-reused]"),
        "{}",
        reused.text()
    );

    assert_eq!(
        gateway.set().set,
        before.set,
        "nothing after the restart changed the set"
    );
    let history = gateway.history();
    let outcomes: Vec<&str> = history.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["stale", "stale", "applied", "applied"],
        "newest first"
    );
}
