//! Load and idle measurements of the sender, in this process: receivers and a sender
//! started with `lotgate::startup::start` on loopback, each with its own temporary
//! directory, driven through the sender's admin API.
//!
//! ```text
//! cargo run --release --example sender_load -- fanout [--destinations 100] [--lots 1000]
//!     [--rounds 5] [--max-in-flight 16] [--poll-ms 5] [--tls]
//! cargo run --release --example sender_load -- idle [--seconds 10] [--lots 1000] [--tls]
//! ```
//!
//! Both modes take `--tls`: two-way TLS between the sender and the receivers, with a CA,
//! a server certificate for `localhost` and a client certificate generated at start
//! (the receivers map the client certificate's serialNumber to the sample sender).
//!
//! Both modes take `--sender-tmp DIR` and `--receiver-tmp DIR`: where the sender's and
//! the receivers' temporary data directories go (default `TMPDIR`). Pointing one at a
//! tmpfs such as `/dev/shm` takes its fsyncs out of the measurement, to see what they
//! cost.
//!
//! `fanout` starts `--destinations` receivers and a sender delivering an inventory CSV
//! of `--lots` lots to all of them. The sender's start-up round (a fresh store delivers
//! the missed night) is the warm-up; then each round posts `send-now` for every
//! destination and measures the wall time until every new delivery is `delivered`,
//! polling `GET /api/v1/sender/status` every `--poll-ms`. It prints each round, the
//! median, the message size, and checks that every receiver holds the last round's set
//! with all its lots (exit status 1 when not), then times 50 fetches of the sender's
//! status page (`GET /`). The target (`docs/performance.md`): 100 destinations in at
//! most 2 s.
//!
//! `idle` starts one receiver and a sender delivering to it, waits for the start-up
//! delivery, then measures this process's CPU time (user + system, `/proc/self/stat`)
//! and the context switches of its threads over `--seconds` of doing nothing.
//!
//! The nightly times (`send_at`, `escalate_at`) are put about 12 hours away so that the
//! schedule does not interfere, and `send_on_start` is off. Everything is bounded: at most
//! 256 destinations, 20 rounds, 200,000 lots, 120 s of idling, and every wait gives up
//! after 120 s. Nothing but 127.0.0.1 is contacted.

use chrono::{Duration as Span, Utc};
use lotgate::config::Config;
use lotgate::sample;
use lotgate::startup::{self, Gateway};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const MAX_DESTINATIONS: usize = 256;
const MAX_ROUNDS: usize = 20;
const MAX_LOTS: usize = 200_000;
const MAX_IDLE_SECONDS: u64 = 120;
/// The longest any wait for deliveries lasts.
const GIVE_UP: Duration = Duration::from_secs(120);
/// The exchange path of the receivers (the default).
const EXCHANGE_PATH: &str = "/jgz/partijnummers";
/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`: 100 on Linux).
const USER_HZ: f64 = 100.0;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sender_load: {e}");
            ExitCode::from(2)
        }
    }
}

/// The options of both modes.
struct Options {
    destinations: usize,
    lots: usize,
    rounds: usize,
    max_in_flight: usize,
    poll: Duration,
    seconds: u64,
    /// Where the sender's and the receivers' temporary directories go (default: the
    /// system's temporary directory, `TMPDIR`).
    sender_tmp: Option<PathBuf>,
    receiver_tmp: Option<PathBuf>,
    /// Two-way TLS between the sender and the receivers.
    tls: Option<Pki>,
}

/// The certificates of a `--tls` run, as PEM files in a temporary directory.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    server: (PathBuf, PathBuf),
    client: (PathBuf, PathBuf),
}

/// The subject serialNumber of the sender's certificate.
const CLIENT_SERIAL: &str = "00000001234567890000";

impl Pki {
    /// `[receiver.tls]` with the server certificate, accepting the client certificate
    /// as the sample sender.
    fn receiver_sections(&self) -> String {
        format!(
            r#"
[receiver.tls]
certificate = "{}"
private_key_file = "{}"
client_ca = ["{}"]

[[receiver.tls.client]]
serial_number = "{CLIENT_SERIAL}"
application_ids = ["{}"]
"#,
            self.server.0.display(),
            self.server.1.display(),
            self.ca.display(),
            sample::SENDER,
        )
    }

    fn generate() -> Result<Pki, String> {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let fail = |e: rcgen::Error| format!("certificates: {e}");
        let dir = temp_dir(None)?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name
            .push(DnType::CommonName, "sender_load CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca =
            CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(fail)?).map_err(fail)?;
        let write = |name: &str, text: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
            Ok::<_, String>(path)
        };
        let leaf = |name: &str, params: CertificateParams| {
            let key = KeyPair::generate().map_err(fail)?;
            let certificate = params.signed_by(&key, &ca).map_err(fail)?;
            Ok::<_, String>((
                write(&format!("{name}.pem"), certificate.pem())?,
                write(&format!("{name}-key.pem"), key.serialize_pem())?,
            ))
        };
        let server = leaf(
            "server",
            CertificateParams::new(vec!["localhost".to_owned()]).map_err(fail)?,
        )?;
        let mut client = CertificateParams::default();
        client
            .distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 5]), CLIENT_SERIAL);
        let client = leaf("client", client)?;
        let ca = write("ca.pem", ca.pem())?;
        Ok(Pki {
            _dir: dir,
            ca,
            server,
            client,
        })
    }
}

/// Runs the measurement the arguments ask for; `Ok(false)` when a check failed.
async fn run(args: &[String]) -> Result<bool, String> {
    let (mode, rest) = args
        .split_first()
        .ok_or("usage: sender_load fanout|idle [options]")?;
    let mut options = Options {
        destinations: 100,
        lots: 1000,
        rounds: 5,
        max_in_flight: 16,
        poll: Duration::from_millis(5),
        seconds: 10,
        sender_tmp: None,
        receiver_tmp: None,
        tls: None,
    };
    let mut rest = rest.iter();
    while let Some(option) = rest.next() {
        let mut value = || rest.next().ok_or_else(|| format!("{option} needs a value"));
        let number = |v: &String| {
            v.parse::<u64>()
                .map_err(|_| format!("{option}: not a number: {v}"))
        };
        match option.as_str() {
            "--destinations" => {
                options.destinations = (number(value()?)? as usize).clamp(1, MAX_DESTINATIONS);
            }
            "--lots" => options.lots = (number(value()?)? as usize).clamp(1, MAX_LOTS),
            "--rounds" => options.rounds = (number(value()?)? as usize).clamp(1, MAX_ROUNDS),
            "--max-in-flight" => {
                options.max_in_flight = (number(value()?)? as usize).clamp(1, 256);
            }
            "--poll-ms" => options.poll = Duration::from_millis(number(value()?)?.clamp(1, 100)),
            "--seconds" => options.seconds = number(value()?)?.clamp(1, MAX_IDLE_SECONDS),
            "--sender-tmp" => options.sender_tmp = Some(PathBuf::from(value()?)),
            "--receiver-tmp" => options.receiver_tmp = Some(PathBuf::from(value()?)),
            "--tls" => options.tls = Some(Pki::generate()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    match mode.as_str() {
        "fanout" => fanout(&options).await,
        "idle" => idle(&options).await,
        other => Err(format!("unknown mode {other}: fanout or idle")),
    }
}

/// A gateway this run started, with the directory it keeps its data in.
struct Running {
    gateway: Gateway,
    dir: tempfile::TempDir,
}

impl Running {
    async fn start(config_text: &str, dir: tempfile::TempDir) -> Result<Running, String> {
        let config = Config::parse(config_text, dir.path())
            .map_err(|e| format!("configuration: {e}\n{config_text}"))?;
        let gateway = startup::start(&config)
            .await
            .map_err(|e| format!("start: {e:#}"))?;
        Ok(Running { gateway, dir })
    }

    /// A receiver on loopback (port 0 for both listeners) accepting the sample sender,
    /// with the TLS sections `tls` (empty: plain HTTP).
    async fn receiver(base: Option<PathBuf>, tls: String) -> Result<Running, String> {
        let dir = temp_dir(base.as_deref())?;
        let text = format!(
            r#"{common}
[receiver]
listen = "127.0.0.1:0"
application_id = "{receiver}"
allowed_senders = ["{sender}"]
administrators = ["beheer@example.org"]
max_body = "128MiB"
"#,
            common = common_config(dir.path()),
            receiver = sample::RECEIVER,
            sender = sample::SENDER,
        );
        Running::start(&format!("{text}{tls}"), dir).await
    }

    /// A sender delivering `inventory` to each of `receivers`, the nightly times about
    /// 12 hours away.
    async fn sender(
        receivers: &[Running],
        inventory: &Path,
        options: &Options,
    ) -> Result<Running, String> {
        let dir = temp_dir(options.sender_tmp.as_deref())?;
        let max_in_flight = options.max_in_flight;
        let now = Utc::now();
        let at = |hours: i64| (now + Span::hours(hours)).format("%H:%M:%S").to_string();
        let mut text = format!(
            r#"{common}
[sender]
application_id = "{sender}"
administrators = ["beheer@example.org"]
send_at = "{send_at}"
escalate_at = "{escalate_at}"
send_on_start = false
max_in_flight = {max_in_flight}

[sender.source]
file = "{inventory}"
format = "csv"
"#,
            common = common_config(dir.path()),
            sender = sample::SENDER,
            send_at = at(12),
            escalate_at = at(11),
            inventory = inventory.display(),
        );
        if let Some(pki) = &options.tls {
            let _ = write!(
                text,
                "\n[sender.tls]\ncertificate = \"{}\"\nprivate_key_file = \"{}\"\nroots = [\"{}\"]\n",
                pki.client.0.display(),
                pki.client.1.display(),
                pki.ca.display(),
            );
        }
        let origin = |exchange: SocketAddr| match options.tls {
            Some(_) => format!("https://localhost:{}", exchange.port()),
            None => format!("http://{exchange}"),
        };
        for (i, receiver) in receivers.iter().enumerate() {
            let exchange = receiver
                .gateway
                .exchange
                .ok_or("a receiver without exchange")?;
            let _ = write!(
                text,
                r#"
[[sender.destination]]
name = "{name}"
url = "{origin}{EXCHANGE_PATH}"
application_id = "{receiver}"
contact = {{ name = "Load test {i}" }}
"#,
                name = destination_name(i),
                origin = origin(exchange),
                receiver = sample::RECEIVER,
            );
        }
        Running::start(&text, dir).await
    }

    fn admin(&self) -> SocketAddr {
        self.gateway.admin
    }

    async fn stop(self) {
        self.gateway.shutdown().await;
        drop(self.dir);
    }
}

/// A temporary directory in `base`, or in the system's temporary directory.
fn temp_dir(base: Option<&Path>) -> Result<tempfile::TempDir, String> {
    match base {
        Some(base) => tempfile::tempdir_in(base),
        None => tempfile::tempdir(),
    }
    .map_err(|e| format!("temp dir: {e}"))
}

/// `[gateway]`, `[admin]` and `[mail]` for a gateway keeping its data under `dir`.
fn common_config(dir: &Path) -> String {
    format!(
        r#"
[gateway]
data_dir = "{data}"
time_zone = "UTC"
language = "en"
log = "error"

[admin]
listen = "127.0.0.1:0"

[mail]
from = "lotgate@example.org"
transport = "file"
file_dir = "{mail}"
"#,
        data = dir.join("data").display(),
        mail = dir.join("mail").display(),
    )
}

fn destination_name(i: usize) -> String {
    format!("r{i:03}")
}

/// Writes an inventory CSV of `lots` sample lots (W0422 codes, numbers `LG000000`…,
/// every third without an expiry date) into `dir`.
fn write_inventory(dir: &Path, lots: usize) -> Result<std::path::PathBuf, String> {
    let mut csv = String::from("vaccine_code,lot_number,expiry_date\n");
    for lot in sample::lot_set(lots).lots() {
        let expires = lot
            .expires
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let _ = writeln!(
            csv,
            "{},{},{expires}",
            lot.vaccine.code().as_str(),
            lot.number.as_str()
        );
    }
    let path = dir.join("inventory.csv");
    std::fs::write(&path, csv).map_err(|e| format!("write {}: {e}", path.display()))?;
    Ok(path)
}

/// A client for the admin listeners (keep-alive, never through a proxy).
fn admin_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("http client: {e}"))
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url}: HTTP {status}"));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    serde_json::from_slice(&body).map_err(|e| format!("GET {url}: {e}"))
}

/// The current delivery of each destination: (id, state), from the sender's status.
async fn deliveries(
    client: &reqwest::Client,
    admin: SocketAddr,
) -> Result<(HashMap<String, (u64, String)>, Value), String> {
    let status = get_json(client, &format!("http://{admin}/api/v1/sender/status")).await?;
    let mut current = HashMap::new();
    for d in status["destinations"].as_array().into_iter().flatten() {
        let name = d["name"].as_str().unwrap_or_default().to_owned();
        let delivery = &d["delivery"];
        if let Some(id) = delivery["id"].as_u64() {
            let state = delivery["state"].as_str().unwrap_or_default().to_owned();
            current.insert(name, (id, state));
        }
    }
    Ok((current, status))
}

/// How the deliveries a wait was for ended.
struct Waited {
    took: Duration,
    polls: u32,
    /// Time spent inside the status requests.
    polling: Duration,
    status: Value,
}

/// Waits until every destination's current delivery is delivered: the one of `expected`
/// (by destination), or any when `expected` is `None`.
async fn wait_delivered(
    client: &reqwest::Client,
    admin: SocketAddr,
    destinations: usize,
    expected: Option<&HashMap<String, u64>>,
    poll: Duration,
    since: Instant,
) -> Result<Waited, String> {
    let (mut polls, mut polling) = (0u32, Duration::ZERO);
    loop {
        let asked = Instant::now();
        let (current, status) = deliveries(client, admin).await?;
        polling += asked.elapsed();
        polls += 1;
        let mut done = 0;
        for i in 0..destinations {
            let name = destination_name(i);
            let Some((id, state)) = current.get(&name) else {
                continue;
            };
            if let Some(expected) = expected {
                let Some(wanted) = expected.get(&name) else {
                    return Err(format!("send-now did not start a delivery to {name}"));
                };
                if id != wanted {
                    return Err(format!(
                        "{name}: delivery {id} is current, expected {wanted} (superseded?)"
                    ));
                }
            }
            match state.as_str() {
                "delivered" => done += 1,
                "pending" => {}
                other => {
                    let delivery = status["destinations"]
                        .as_array()
                        .and_then(|all| all.iter().find(|d| d["name"] == name.as_str()))
                        .map(|d| d["delivery"].to_string())
                        .unwrap_or_default();
                    return Err(format!("{name}: delivery {id} is {other}: {delivery}"));
                }
            }
        }
        if done == destinations {
            return Ok(Waited {
                took: since.elapsed(),
                polls,
                polling,
                status,
            });
        }
        if since.elapsed() > GIVE_UP {
            return Err(format!(
                "only {done} of {destinations} deliveries delivered after {GIVE_UP:?}"
            ));
        }
        tokio::time::sleep(poll).await;
    }
}

/// Starts `n` receivers, a few at a time.
async fn start_receivers(
    n: usize,
    base: Option<&Path>,
    tls: Option<&Pki>,
) -> Result<Vec<Running>, String> {
    let sections = tls.map(Pki::receiver_sections).unwrap_or_default();
    let mut receivers = Vec::with_capacity(n);
    while receivers.len() < n {
        let batch = (n - receivers.len()).min(16);
        let started = futures_join(
            (0..batch).map(|_| Running::receiver(base.map(Path::to_path_buf), sections.clone())),
        )
        .await;
        for receiver in started {
            receivers.push(receiver?);
        }
    }
    Ok(receivers)
}

/// Runs the futures concurrently as tasks and collects their results in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.expect("a start task panicked"));
    }
    out
}

fn median(sorted: &[Duration]) -> Duration {
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

async fn fanout(options: &Options) -> Result<bool, String> {
    let n = options.destinations;
    let lots = options.lots;
    let setup = Instant::now();
    let receivers =
        start_receivers(n, options.receiver_tmp.as_deref(), options.tls.as_ref()).await?;
    let inventory_dir = temp_dir(None)?;
    let inventory = write_inventory(inventory_dir.path(), lots)?;
    let sender = Running::sender(&receivers, &inventory, options).await?;
    let admin = sender.admin();
    let client = admin_client()?;
    println!(
        "fanout: {n} in-process receivers and a sender (max_in_flight {}) started in {} s",
        options.max_in_flight,
        secs(setup.elapsed())
    );

    // Warm-up: the start-up round (the missed night of a fresh store).
    let warm_up = Instant::now();
    let waited = wait_delivered(&client, admin, n, None, options.poll, warm_up).await?;
    println!(
        "warm-up (start-up round, missed night): {n} deliveries delivered after {} s",
        secs(waited.took)
    );

    let mut rounds = Vec::new();
    let mut last_messages: HashMap<String, String> = HashMap::new();
    let mut message_bytes = None;
    for round in 1..=options.rounds {
        let started = Instant::now();
        let url = format!("http://{admin}/api/v1/sender/send-now");
        let response = client
            .post(&url)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let code = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let answer: Value =
            serde_json::from_slice(&body).map_err(|e| format!("POST {url}: {e}"))?;
        if code.as_u16() != 202 {
            return Err(format!("POST {url}: HTTP {code}: {answer}"));
        }
        let answered = started.elapsed();
        let mut expected = HashMap::new();
        for s in answer["started"].as_array().into_iter().flatten() {
            let name = s["destination"].as_str().unwrap_or_default().to_owned();
            let id = s["delivery"]
                .as_u64()
                .ok_or("send-now: a delivery without id")?;
            let message = s["message"]
                .as_str()
                .ok_or_else(|| format!("send-now: no message for {name} (source unreadable?)"))?;
            last_messages.insert(name.clone(), message.to_owned());
            expected.insert(name, id);
        }
        if expected.len() != n {
            return Err(format!(
                "send-now started {} deliveries, expected {n}",
                expected.len()
            ));
        }
        let waited =
            wait_delivered(&client, admin, n, Some(&expected), options.poll, started).await?;
        if message_bytes.is_none() {
            message_bytes =
                waited.status["destinations"][0]["delivery"]["message"]["bytes"].as_u64();
        }
        println!(
            "round {round}: {} s (send-now answered after {} s; {} status polls, {:.1} ms each)",
            secs(waited.took),
            secs(answered),
            waited.polls,
            waited.polling.as_secs_f64() * 1e3 / f64::from(waited.polls.max(1)),
        );
        rounds.push(waited.took);
    }
    let mut sorted = rounds.clone();
    sorted.sort();
    let median = median(&sorted);
    let listed: Vec<String> = rounds.iter().map(|d| secs(*d)).collect();
    println!(
        "deliver {lots} lots to {n} receivers: median {} s (rounds: {})",
        secs(median),
        listed.join(", ")
    );
    if let Some(bytes) = message_bytes {
        println!(
            "message size: {bytes} bytes ({:.1} KiB) per destination, {:.1} MiB per round",
            bytes as f64 / 1024.0,
            (bytes as f64 * n as f64) / (1024.0 * 1024.0)
        );
    }

    // Every receiver holds the last round's set, complete.
    let mut wrong = Vec::new();
    for (i, receiver) in receivers.iter().enumerate() {
        let name = destination_name(i);
        let url = format!("http://{}/api/v1/set", receiver.admin());
        let set = get_json(&client, &url).await?;
        let held = set["set"]["lots"].as_u64();
        let extension = set["set"]["message_id"]["extension"]
            .as_str()
            .unwrap_or_default();
        let wanted = last_messages
            .get(&name)
            .and_then(|m| m.rsplit('/').next())
            .unwrap_or_default();
        if held != Some(lots as u64) || extension != wanted {
            wrong.push(format!(
                "{name}: {held:?} lots, message {extension:?} (expected {lots} lots, message {wanted:?})"
            ));
        }
    }
    let ok = wrong.is_empty();
    if ok {
        println!("receivers: all {n} hold the last round's set of {lots} lots");
    } else {
        println!(
            "receivers: {} of {n} do not hold the expected set:",
            wrong.len()
        );
        for w in wrong.iter().take(10) {
            println!("  {w}");
        }
    }
    println!(
        "target (100 destinations in <= 2 s): {}",
        match (n >= 100, median <= Duration::from_secs(2)) {
            (false, _) => "not applicable (fewer than 100 destinations)",
            (true, true) => "met",
            (true, false) => "missed",
        }
    );

    let (median_page, slowest_page, page_bytes) = page_time(&client, admin).await?;
    println!(
        "GET / of the sender with {n} destinations: median {:.1} ms, slowest {:.1} ms of \
         {PAGE_FETCHES}, {:.0} KiB",
        median_page.as_secs_f64() * 1e3,
        slowest_page.as_secs_f64() * 1e3,
        page_bytes as f64 / 1024.0
    );

    drop(client);
    sender.stop().await;
    for receiver in receivers {
        receiver.stop().await;
    }
    drop(inventory_dir);
    Ok(ok)
}

/// How often `fanout` fetches the status page at the end.
const PAGE_FETCHES: usize = 50;

/// Fetches the sender's status page (`GET /`) [`PAGE_FETCHES`] times: the median and
/// slowest time to the whole answer, and its size.
async fn page_time(
    client: &reqwest::Client,
    admin: SocketAddr,
) -> Result<(Duration, Duration, usize), String> {
    let url = format!("http://{admin}/");
    let mut times = Vec::with_capacity(PAGE_FETCHES);
    let mut bytes = 0;
    for _ in 0..PAGE_FETCHES {
        let start = Instant::now();
        let response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        times.push(start.elapsed());
        if !status.is_success() {
            return Err(format!("GET {url}: HTTP {status}"));
        }
        bytes = body.len();
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() - 1], bytes))
}

/// CPU time of this process (user + system) in seconds, from `/proc/self/stat`.
fn cpu_seconds() -> Result<f64, String> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .map_err(|e| format!("read /proc/self/stat: {e}"))?;
    // The command name (field 2) may hold blanks: count from the ')' closing it.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("unexpected /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let field = |n: usize| -> Result<f64, String> {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .map(|ticks| ticks as f64 / USER_HZ)
            .ok_or_else(|| format!("no field {n} in /proc/self/stat"))
    };
    Ok(field(14)? + field(15)?)
}

/// What `/proc/self/task/<tid>` tells about one thread.
struct Thread {
    name: String,
    /// Context switches, voluntary and involuntary (`status`).
    switches: u64,
    /// Time on a CPU in nanoseconds (`schedstat`).
    cpu_ns: u64,
}

/// Every thread of this process, by thread id.
fn threads() -> BTreeMap<u32, Thread> {
    let mut threads = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        let mut thread = Thread {
            name: String::new(),
            switches: 0,
            cpu_ns: 0,
        };
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("Name:") {
                thread.name = v.trim().to_owned();
            } else if let Some(v) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                thread.switches += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
        thread.cpu_ns = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(0);
        threads.insert(tid, thread);
    }
    threads
}

async fn idle(options: &Options) -> Result<bool, String> {
    let seconds = options.seconds;
    let sections = options
        .tls
        .as_ref()
        .map(Pki::receiver_sections)
        .unwrap_or_default();
    let receivers = vec![Running::receiver(options.receiver_tmp.clone(), sections).await?];
    let inventory_dir = temp_dir(None)?;
    let inventory = write_inventory(inventory_dir.path(), options.lots)?;
    let sender = Running::sender(&receivers, &inventory, options).await?;
    {
        let client = admin_client()?;
        let waited = wait_delivered(
            &client,
            sender.admin(),
            1,
            None,
            options.poll,
            Instant::now(),
        )
        .await?;
        println!(
            "idle: start-up delivery of {} lots delivered after {} s",
            options.lots,
            secs(waited.took)
        );
        // The client and its keep-alive connection go before the measurement.
    }
    // Let the loop's decision after the attempt, and the receiver's commit, finish.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let (cpu_before, threads_before) = (cpu_seconds()?, threads());
    let wall = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (cpu_after, threads_after) = (cpu_seconds()?, threads());
    let wall = wall.elapsed().as_secs_f64();

    let cpu_ms = (cpu_after - cpu_before) * 1e3;
    println!(
        "idle: {cpu_ms:.0} ms CPU over {seconds} s ({:.2} % of one core; /proc/self/stat, 10 ms ticks)",
        cpu_ms / 10.0 / wall
    );
    // Wakeups: context switches of the threads alive at both ends, per thread name.
    let mut per_name: BTreeMap<&str, (u64, u64, usize)> = BTreeMap::new();
    let (mut switches, mut cpu_ns) = (0, 0);
    for (tid, after) in &threads_after {
        if let Some(before) = threads_before.get(tid) {
            let entry = per_name.entry(after.name.as_str()).or_default();
            let delta = after.switches.saturating_sub(before.switches);
            let ns = after.cpu_ns.saturating_sub(before.cpu_ns);
            (entry.0, entry.1, entry.2) = (entry.0 + delta, entry.1 + ns, entry.2 + 1);
            switches += delta;
            cpu_ns += ns;
        }
    }
    let gone = threads_before
        .keys()
        .filter(|t| !threads_after.contains_key(t))
        .count();
    let new = threads_after
        .keys()
        .filter(|t| !threads_before.contains_key(t))
        .count();
    println!(
        "idle: {switches} context switches ({:.1}/s) and {:.2} ms on CPU (schedstat) in the {} \
         threads alive throughout ({gone} threads ended, {new} started meanwhile)",
        switches as f64 / wall,
        cpu_ns as f64 / 1e6,
        threads_after.len() - new
    );
    let mut by_name: Vec<_> = per_name.into_iter().collect();
    by_name.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let listed: Vec<String> = by_name
        .iter()
        .map(|(name, (count, ns, threads))| {
            format!("{name} x{threads}: {count} ({:.2} ms)", *ns as f64 / 1e6)
        })
        .collect();
    println!("idle: by thread name: {}", listed.join(", "));

    sender.stop().await;
    for receiver in receivers {
        receiver.stop().await;
    }
    drop(inventory_dir);
    Ok(true)
}
