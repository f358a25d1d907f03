//! Load and memory measurements of the receiver, against the real binary
//! (`target/release/lotgate run`) started on loopback with its own temporary directory.
//!
//! ```text
//! cargo build --release
//! cargo run --release --example receiver_load -- lookups [--seconds 5] [--connections 8] [--misses 10]
//! cargo run --release --example receiver_load -- memory [--lots 100000] [--deliveries 1]
//! cargo run --release --example receiver_load -- aging [--lots 1500] [--deliveries 1000]
//! cargo run --release --example receiver_load -- page [--lots 2000] [--deliveries 400]
//! cargo run --release --example receiver_load -- backup [--lots 100000] [--deliveries 30]
//! ```
//!
//! `lookups` posts a 10,000-lot set, then keeps `--connections` keep-alive connections
//! busy with `GET /api/v1/lots/{lot}?vaccine=..` for `--seconds`, posts a 10,000-lot
//! replacement halfway, and prints requests per second, latency percentiles, errors and
//! the set versions the answers named. `--misses` percent of the lookups (10 by default)
//! ask a lot number with an `O` typed for a `0`, which must be answered `404` with
//! suggestions (a miss searches the whole set for them). `memory` posts `--lots` lots (`--deliveries` times)
//! and prints the receiver's resident memory (VmRSS) and its peak (VmHWM) before, after
//! the apply and after some lookups. `aging` posts `--deliveries` sets of `--lots` lots
//! one after another, each a little different from the one before (a window sliding 7
//! lots per delivery), and compares the median time to `CA` of the first 100 with that of
//! the last 100: applying must not get slower as the store ages (target: the last within
//! 1.2× of the first).
//!
//! `page` posts `--deliveries` sets of `--lots` lots as `aging` does (400 fill the history
//! of import reports), then fetches the status page (`GET /`) and the overview
//! (`GET /api/v1/overview`) 50 times each on one keep-alive connection and prints the
//! median and slowest time to the whole answer and its size (target: the page within
//! 100 ms).
//!
//! `backup` posts `--deliveries` sets of `--lots` lots as `aging` does, then runs
//! `lotgate backup` against the running receiver while one more delivery arrives, and
//! `lotgate restore` of that file into a new directory; it prints the time of each whole
//! process, the sizes of the store, the file and the restored store, the time to `CA` of
//! the delivery made during the backup and the receiver's peak memory before and after.
//!
//! The load is bounded: at most 60 s, 64 connections and 5,000,000 requests; it only
//! talks to the process it started, on 127.0.0.1, and stops that process at the end.

#[path = "../benches/support/mod.rs"]
mod support;

use lotgate::sample;
use lotgate::vaccine::W0422;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};
use support::Client;

const MAX_SECONDS: u64 = 60;
const MAX_CONNECTIONS: usize = 64;
const MAX_REQUESTS: usize = 5_000_000;
/// How often `page` fetches each answer.
const PAGE_FETCHES: usize = 50;
/// The set size of the lookup run (the set in place and its replacement).
const LOOKUP_SET: usize = 10_000;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("receiver_load: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the measurement the arguments ask for; `Ok(false)` when it saw errors.
fn run(args: &[String]) -> Result<bool, String> {
    let (mode, options) = args
        .split_first()
        .ok_or("usage: receiver_load lookups|memory|aging|page [options]")?;
    let mut seconds = 5u64;
    let mut connections = 8usize;
    let mut misses = 10u64;
    let mut lots = None;
    let mut deliveries = None;
    let mut binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/lotgate");
    let mut options = options.iter();
    while let Some(option) = options.next() {
        let mut value = || {
            options
                .next()
                .ok_or_else(|| format!("{option} needs a value"))
        };
        let number = |v: &String| {
            v.parse::<u64>()
                .map_err(|_| format!("{option}: not a number: {v}"))
        };
        match option.as_str() {
            "--seconds" => seconds = number(value()?)?.clamp(1, MAX_SECONDS),
            "--connections" => {
                connections = (number(value()?)? as usize).clamp(1, MAX_CONNECTIONS);
            }
            "--misses" => misses = number(value()?)?.min(100),
            "--lots" => lots = Some((number(value()?)? as usize).clamp(1, 200_000)),
            "--deliveries" => deliveries = Some(number(value()?)?),
            "--bin" => binary = PathBuf::from(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !binary.exists() {
        return Err(format!(
            "{} does not exist: run `cargo build --release` first (or pass --bin)",
            binary.display()
        ));
    }
    match mode.as_str() {
        "lookups" => lookups(&binary, seconds, connections, misses as u32),
        "memory" => memory(
            &binary,
            lots.unwrap_or(100_000),
            deliveries.unwrap_or(1).clamp(1, 10) as u32,
        ),
        "aging" => aging(
            &binary,
            lots.unwrap_or(1_500),
            deliveries
                .unwrap_or(1_000)
                .clamp(AGING_SAMPLE as u64 * 2, 5_000) as u32,
        ),
        "page" => page(
            &binary,
            lots.unwrap_or(2_000),
            deliveries.unwrap_or(400).clamp(1, 5_000) as u32,
        ),
        "backup" => backup(
            &binary,
            lots.unwrap_or(100_000),
            deliveries.unwrap_or(30).clamp(1, 5_000) as u32,
        ),
        other => Err(format!(
            "unknown mode {other}: lookups, memory, aging, page or backup"
        )),
    }
}

/// The receiver process this run started.
struct Receiver {
    child: Child,
    exchange: SocketAddr,
    admin: SocketAddr,
    dir: tempfile::TempDir,
}

impl Receiver {
    fn start(binary: &Path) -> Result<Receiver, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let config = dir.path().join("config.toml");
        std::fs::write(&config, support::receiver_config(dir.path()))
            .map_err(|e| format!("write {}: {e}", config.display()))?;
        let mut child = Command::new(binary)
            .arg("run")
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut exchange, mut admin) = (None, None);
        while exchange.is_none() || admin.is_none() {
            let Ok(line) = received.recv_timeout(Duration::from_secs(20)) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err("the receiver did not report its addresses".to_owned());
            };
            let address = |url: &str| url.split('/').next().and_then(|a| a.parse().ok());
            if let Some(url) = line.strip_prefix("lotgate: receiver listening on http://") {
                exchange = address(url);
            } else if let Some(url) = line.strip_prefix("lotgate: admin listening on http://") {
                admin = address(url);
            }
        }
        Ok(Receiver {
            child,
            exchange: exchange.ok_or("no exchange address")?,
            admin: admin.ok_or("no admin address")?,
            dir,
        })
    }

    /// Posts a delivery and checks that it was applied; returns how long it took.
    fn deliver(&self, message: &[u8]) -> Result<Duration, String> {
        let mut client = Client::connect(self.exchange).map_err(|e| format!("connect: {e}"))?;
        let start = Instant::now();
        let response = client
            .post_message(message)
            .map_err(|e| format!("post: {e}"))?;
        let took = start.elapsed();
        if response.status != 200 || !support::is_ca(response.body) {
            return Err(format!(
                "not applied: HTTP {} {}",
                response.status,
                String::from_utf8_lossy(response.body)
            ));
        }
        Ok(took)
    }

    /// The size of the receiver's store on disk, in bytes.
    fn store_size(&self) -> u64 {
        tree_size(&self.dir.path().join("data"))
    }

    /// VmRSS and VmHWM of the process, in KiB.
    fn memory(&self) -> Result<(u64, u64), String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("read /proc/{}/status: {e}", self.child.id()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("no {name} in /proc/{}/status", self.child.id()))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The size of the files under `path`, in bytes.
fn tree_size(path: &Path) -> u64 {
    match std::fs::read_dir(path) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| tree_size(&e.path()))
            .sum(),
        Err(_) => std::fs::metadata(path).map_or(0, |m| m.len()),
    }
}

/// The lookup of lot `i` of the sample set (`LG` and six digits), with its own vaccine
/// type; as a `miss`, its first `0` typed as an `O` (a lot number the set does not have,
/// but suggests).
fn lookup_target(target: &mut String, i: usize, miss: bool) {
    const PATH: &str = "/api/v1/lots/LG";
    target.clear();
    let _ = write!(target, "{PATH}{i:06}?vaccine={}", W0422[i % W0422.len()].0);
    if miss {
        let digits = PATH.len()..PATH.len() + 6;
        let at = target[digits.clone()]
            .find('0')
            .map_or(digits.start, |at| digits.start + at);
        target.replace_range(at..at + 1, "O");
    }
}

/// Whether the `n`th lookup of a connection is a miss, for `misses` percent of them.
fn is_miss(n: usize, misses: u32) -> bool {
    (n * misses as usize) % 100 < misses as usize
}

/// The `set_version` an answer names.
fn set_version(body: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(body, b"\"set_version\":")? + 14;
    let digits = body[at..].iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&body[at..at + digits])
        .ok()?
        .parse()
        .ok()
}

/// What one connection saw.
#[derive(Default)]
struct Seen {
    /// (start as µs since the run started, latency in µs) of each answered request.
    samples: Vec<(u32, u32)>,
    errors: u64,
    first_error: Option<String>,
    versions: BTreeMap<u64, u64>,
    /// Answers naming an older set than an earlier answer on the same connection.
    backwards: u64,
    /// Misses answered `404` with suggestions.
    suggested: u64,
}

fn lookups(binary: &Path, seconds: u64, connections: usize, misses: u32) -> Result<bool, String> {
    let receiver = Receiver::start(binary)?;
    let set = sample::lot_set(LOOKUP_SET);
    receiver.deliver(&support::delivery(&set, "LOAD", 1))?;
    let replacement = support::delivery(&set, "LOAD", 2);
    let duration = Duration::from_secs(seconds);
    let per_connection = MAX_REQUESTS / connections;
    // Everyone starts together: the connections after their warm-up, and the clock.
    let barrier = Arc::new(Barrier::new(connections + 1));
    let started = Arc::new(std::sync::OnceLock::<Instant>::new());
    let workers: Vec<_> = (0..connections)
        .map(|n| {
            let (barrier, started, admin) = (barrier.clone(), started.clone(), receiver.admin);
            std::thread::spawn(move || {
                let mut seen = Seen::default();
                let mut connection = Client::connect(admin).map_err(|e| format!("connect: {e}"));
                let mut target = String::new();
                let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (n as u64 + 1);
                let mut next = || {
                    // xorshift64: a cheap spread over the set, different per connection.
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % LOOKUP_SET as u64) as usize
                };
                if let Ok(client) = connection.as_mut() {
                    for n in 0..200 {
                        lookup_target(&mut target, next(), is_miss(n, misses));
                        let _ = client.get(&target);
                    }
                }
                barrier.wait();
                let start = *started.wait();
                let deadline = start + duration;
                let mut last_version = 0;
                let mut n = 0usize;
                while seen.samples.len() < per_connection {
                    let client = match connection.as_mut() {
                        Ok(client) => client,
                        Err(e) => {
                            seen.errors += 1;
                            seen.first_error.get_or_insert_with(|| e.clone());
                            break;
                        }
                    };
                    let miss = is_miss(n, misses);
                    n += 1;
                    lookup_target(&mut target, next(), miss);
                    let sent = Instant::now();
                    if sent >= deadline {
                        break;
                    }
                    match client.get(&target) {
                        Ok(response)
                            if response.status == if miss { 404 } else { 200 }
                                && (!miss
                                    || memchr::memmem::find(
                                        response.body,
                                        b"\"suggestions\":[{",
                                    )
                                    .is_some()) =>
                        {
                            seen.suggested += u64::from(miss);
                            let latency = sent.elapsed();
                            let version = set_version(response.body).unwrap_or(0);
                            *seen.versions.entry(version).or_default() += 1;
                            if version < last_version {
                                seen.backwards += 1;
                            }
                            last_version = last_version.max(version);
                            seen.samples.push((
                                (sent - start).as_micros() as u32,
                                latency.as_micros() as u32,
                            ));
                        }
                        Ok(response) => {
                            seen.errors += 1;
                            let text = format!(
                                "HTTP {} for {target}: {}",
                                response.status,
                                String::from_utf8_lossy(response.body)
                            );
                            seen.first_error.get_or_insert(text);
                        }
                        Err(e) => {
                            seen.errors += 1;
                            seen.first_error.get_or_insert_with(|| e.to_string());
                            // Start over on a fresh connection.
                            connection =
                                Client::connect(admin).map_err(|e| format!("connect: {e}"));
                        }
                    }
                }
                seen
            })
        })
        .collect();

    barrier.wait();
    let start = *started.get_or_init(Instant::now);
    std::thread::sleep(duration / 2);
    let replace_at = start.elapsed();
    let replaced = receiver.deliver(&replacement);
    let replaced_at = start.elapsed();
    let mut all = Seen::default();
    for worker in workers {
        let seen = worker.join().map_err(|_| "a load thread panicked")?;
        all.samples.extend(seen.samples);
        all.errors += seen.errors;
        all.backwards += seen.backwards;
        all.suggested += seen.suggested;
        if all.first_error.is_none() {
            all.first_error = seen.first_error;
        }
        for (version, count) in seen.versions {
            *all.versions.entry(version).or_default() += count;
        }
    }
    let elapsed = duration.as_secs_f64();
    let replace_took = replaced?;

    let requests = all.samples.len();
    let rate = requests as f64 / elapsed;
    let latencies = |window: Option<(Duration, Duration)>| {
        let mut l: Vec<u32> = all
            .samples
            .iter()
            .filter(|(at, _)| {
                window.is_none_or(|(from, to)| {
                    (from.as_micros() as u32..=to.as_micros() as u32).contains(at)
                })
            })
            .map(|(_, latency)| *latency)
            .collect();
        l.sort_unstable();
        l
    };
    let all_latencies = latencies(None);
    let during = latencies(Some((replace_at, replaced_at)));
    println!(
        "lookups: {connections} keep-alive connections for {seconds} s on a {LOOKUP_SET}-lot set; \
         a {LOOKUP_SET}-lot replacement posted at {:.2} s, CA after {:.1} ms",
        replace_at.as_secs_f64(),
        replace_took.as_secs_f64() * 1e3
    );
    println!("requests: {requests} ({rate:.0}/s), errors: {}", all.errors);
    println!(
        "misses: {} ({:.1}%), each answered 404 with suggestions",
        all.suggested,
        all.suggested as f64 * 100.0 / requests.max(1) as f64
    );
    println!("latency:        {}", summary(&all_latencies));
    println!(
        "during replace: {} ({} requests)",
        summary(&during),
        during.len()
    );
    let versions: Vec<String> = all
        .versions
        .iter()
        .map(|(version, count)| format!("{version} ({count} answers)"))
        .collect();
    println!(
        "set versions seen: {}; went backwards on a connection: {} times",
        versions.join(", "),
        all.backwards
    );
    if let Some(error) = &all.first_error {
        println!("first error: {error}");
    }
    let p99 = percentile(&all_latencies, 99.0);
    println!(
        "target (>= 20000/s, p99 <= 5 ms): {}",
        if rate >= 20_000.0 && p99 <= 5_000 {
            "met"
        } else {
            "missed"
        }
    );
    Ok(all.errors == 0 && all.backwards == 0 && all.versions.len() == 2)
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(sorted: &[u32]) -> String {
    let ms = |us: u32| f64::from(us) / 1e3;
    format!(
        "p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
        ms(percentile(sorted, 50.0)),
        ms(percentile(sorted, 99.0)),
        ms(percentile(sorted, 99.9)),
        ms(sorted.last().copied().unwrap_or(0))
    )
}

fn memory(binary: &Path, lots: usize, deliveries: u32) -> Result<bool, String> {
    let receiver = Receiver::start(binary)?;
    let mib = |kib: u64| kib as f64 / 1024.0;
    let show = |label: &str| -> Result<(), String> {
        let (rss, hwm) = receiver.memory()?;
        println!(
            "{label:<28} VmRSS {:6.1} MiB   VmHWM (peak) {:6.1} MiB",
            mib(rss),
            mib(hwm)
        );
        Ok(())
    };
    show("started, no set")?;
    let set = sample::lot_set(lots);
    for sequence in 1..=deliveries {
        let message = support::delivery(&set, "MEMORY", sequence);
        let took = receiver.deliver(&message)?;
        println!(
            "delivery {sequence}: {lots} lots, {:.1} MiB, CA after {:.0} ms",
            message.len() as f64 / (1024.0 * 1024.0),
            took.as_secs_f64() * 1e3
        );
        drop(message);
        show(&format!("after apply {sequence}"))?;
    }
    let mut client = Client::connect(receiver.admin).map_err(|e| format!("connect: {e}"))?;
    let mut target = String::new();
    let mut found = 0;
    for i in (0..lots).step_by((lots / 1000).max(1)) {
        lookup_target(&mut target, i, false);
        let response = client.get(&target).map_err(|e| format!("lookup: {e}"))?;
        found += usize::from(response.status == 200);
    }
    println!("lookups: {found} found");
    show("after the lookups")?;
    std::thread::sleep(Duration::from_secs(2));
    show("2 s later")?;
    let (rss, _) = receiver.memory()?;
    println!(
        "target (resident <= 64 MiB with {lots} lots): {}",
        if mib(rss) <= 64.0 { "met" } else { "missed" }
    );
    Ok(found > 0)
}

/// How many deliveries the first and the last median of `aging` are taken over.
const AGING_SAMPLE: usize = 100;

/// The message ids of the deliveries [`slide`] posts (`AGING-1`, …): a delivery after
/// them continues the numbering.
const SLIDE: &str = "AGING";

/// Lots that each delivery of `aging` has that the one before did not (and the other way).
const AGING_STEP: usize = 7;

/// Posts `deliveries` sets of `lots` lots, each a window of the sample pool sliding
/// [`AGING_STEP`] lots from the one before; returns the time each took to `CA`.
fn slide(receiver: &Receiver, lots: usize, deliveries: u32) -> Result<Vec<Duration>, String> {
    let pool = sample::lot_set(lots + deliveries as usize * AGING_STEP);
    let started = Instant::now();
    let mut times = Vec::with_capacity(deliveries as usize);
    for sequence in 1..=deliveries {
        let from = (sequence as usize - 1) * AGING_STEP;
        let window = pool.lots()[from..from + lots].to_vec();
        let set = lotgate::lot::LotSet::new(window).map_err(|e| format!("set: {e}"))?;
        let message = support::delivery(&set, SLIDE, sequence);
        times.push(receiver.deliver(&message)?);
        if sequence % 200 == 0 {
            println!(
                "{sequence} deliveries after {:.1} s, store {:.1} MiB",
                started.elapsed().as_secs_f64(),
                receiver.store_size() as f64 / (1024.0 * 1024.0)
            );
        }
    }
    Ok(times)
}

/// The status page and the overview of a receiver with a full history.
fn page(binary: &Path, lots: usize, deliveries: u32) -> Result<bool, String> {
    let receiver = Receiver::start(binary)?;
    slide(&receiver, lots, deliveries)?;
    let mut client = Client::connect(receiver.admin).map_err(|e| format!("connect: {e}"))?;
    let mut met = true;
    for target in ["/", "/api/v1/overview"] {
        let mut times = Vec::with_capacity(PAGE_FETCHES);
        let mut bytes = 0;
        for _ in 0..PAGE_FETCHES {
            let start = Instant::now();
            let response = client
                .get(target)
                .map_err(|e| format!("GET {target}: {e}"))?;
            times.push(start.elapsed());
            if response.status != 200 {
                return Err(format!("GET {target}: HTTP {}", response.status));
            }
            bytes = response.body.len();
        }
        times.sort();
        let (median, slowest) = (times[times.len() / 2], times[times.len() - 1]);
        println!(
            "GET {target} with {deliveries} deliveries of {lots} lots in the history: median \
             {:.1} ms, slowest {:.1} ms of {PAGE_FETCHES}, {:.0} KiB",
            median.as_secs_f64() * 1e3,
            slowest.as_secs_f64() * 1e3,
            bytes as f64 / 1024.0
        );
        met &= target != "/" || median <= Duration::from_millis(100);
    }
    println!(
        "target (the page within 100 ms): {}",
        if met { "met" } else { "missed" }
    );
    Ok(met)
}

fn aging(binary: &Path, lots: usize, deliveries: u32) -> Result<bool, String> {
    let receiver = Receiver::start(binary)?;
    let times = slide(&receiver, lots, deliveries)?;
    let median = |sample: &[Duration]| {
        let mut sorted = sample.to_vec();
        sorted.sort();
        sorted[sorted.len() / 2]
    };
    let first = median(&times[..AGING_SAMPLE]);
    let last = median(&times[times.len() - AGING_SAMPLE..]);
    let ratio = last.as_secs_f64() / first.as_secs_f64();
    println!(
        "{deliveries} deliveries of {lots} lots: median to CA of the first {AGING_SAMPLE} \
         {:.2} ms, of the last {AGING_SAMPLE} {:.2} ms: {ratio:.2}x",
        first.as_secs_f64() * 1e3,
        last.as_secs_f64() * 1e3
    );
    println!(
        "target (the last within 1.2x of the first): {}",
        if ratio <= 1.2 { "met" } else { "missed" }
    );
    Ok(ratio <= 1.2)
}

/// Runs `binary` with `args` to its end; its output when it succeeded, and how long it took.
fn timed(binary: &Path, args: &[&std::ffi::OsStr]) -> Result<(String, Duration), String> {
    let start = Instant::now();
    let output = Command::new(binary)
        .args(args)
        .output()
        .map_err(|e| format!("start {}: {e}", binary.display()))?;
    let took = start.elapsed();
    if !output.status.success() {
        return Err(format!(
            "{} {:?}: {}\n{}",
            binary.display(),
            args,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok((String::from_utf8_lossy(&output.stdout).into_owned(), took))
}

/// A backup of a running receiver with a history, and its restore.
fn backup(binary: &Path, lots: usize, deliveries: u32) -> Result<bool, String> {
    let receiver = Receiver::start(binary)?;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    slide(&receiver, lots, deliveries)?;
    let (_, peak_before) = receiver.memory()?;
    let dir = receiver.dir.path();
    let file = dir.join("receiver.backup");
    // The commands find the admin listener by the configuration: the one it started with
    // asked for any port, this copy names the port it has.
    let config = dir.join("config.toml");
    let started = std::fs::read_to_string(&config).map_err(|e| format!("read config: {e}"))?;
    let asking = dir.join("asking.toml");
    std::fs::write(
        &asking,
        started.replacen(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"{}\"", receiver.admin),
            1,
        ),
    )
    .map_err(|e| format!("write {}: {e}", asking.display()))?;
    // One more delivery arrives while the backup runs.
    let during = support::delivery(&sample::lot_set(lots), SLIDE, deliveries + 1);
    let (backup, delivered) = std::thread::scope(|scope| {
        let delivery = scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            receiver.deliver(&during)
        });
        let backup = timed(
            binary,
            &[
                "backup".as_ref(),
                "--config".as_ref(),
                asking.as_os_str(),
                "--output".as_ref(),
                file.as_os_str(),
            ],
        );
        let delivered = delivery
            .join()
            .unwrap_or_else(|_| Err("the delivery thread panicked".to_owned()));
        (backup, delivered)
    });
    let (printed, backup_took) = backup?;
    let delivered = delivered?;
    let (_, peak_after) = receiver.memory()?;
    let restored = dir.join("restored");
    let (_, restore_took) = timed(
        binary,
        &[
            "restore".as_ref(),
            "--input".as_ref(),
            file.as_os_str(),
            "--data-dir".as_ref(),
            restored.as_os_str(),
        ],
    )?;
    print!("{printed}");
    println!(
        "store of {deliveries} deliveries of {lots} lots: {:.1} MiB on disk",
        mib(receiver.store_size())
    );
    println!(
        "lotgate backup: {:.2} s, file {:.1} MiB; a delivery during it had CA after {:.0} ms",
        backup_took.as_secs_f64(),
        mib(std::fs::metadata(&file).map_or(0, |m| m.len())),
        delivered.as_secs_f64() * 1e3
    );
    println!(
        "lotgate restore: {:.2} s, restored store {:.1} MiB on disk",
        restore_took.as_secs_f64(),
        mib(tree_size(&restored))
    );
    println!(
        "receiver peak memory (VmHWM): {:.1} MiB before the backup, {:.1} MiB after",
        peak_before as f64 / 1024.0,
        peak_after as f64 / 1024.0
    );
    Ok(tree_size(&restored) > 0)
}
