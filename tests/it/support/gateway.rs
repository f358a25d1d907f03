//! Running the real `lotgate` binary as a child process on loopback, with its own data
//! directory and the ports it bound (port 0) read from its output.

use super::http::{self, Response};
use lotgate::api::{
    HistoryAnswer, QuarantineList, QuarantineView, Readiness, ReportView, SenderStatus, SetAnswer,
};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The file in a gateway's directory its log (stderr) goes to.
const LOG: &str = "lotgate.log";

/// A running gateway process.
pub struct Gateway {
    child: Option<Child>,
    /// The receiver's exchange endpoint (unspecified, `0.0.0.0:0`, in a sender-only
    /// process).
    pub exchange: SocketAddr,
    pub admin: SocketAddr,
    pub path: String,
    dir: PathBuf,
    config: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

/// `[gateway]`, `[admin]` and `[mail]` of a test configuration: data under `<dir>/data`,
/// English, the admin listener on loopback port 0; `gateway` lines go into `[gateway]`,
/// `mail` into `[mail]` after its sender address.
pub fn common_config(dir: &Path, gateway: &str, mail: &str) -> String {
    format!(
        r#"
[gateway]
data_dir = "{data}"
language = "en"
log = "warn"
{gateway}

[admin]
listen = "127.0.0.1:0"

[mail]
from = "lotgate@example.org"
{mail}
"#,
        data = dir.join("data").display(),
    )
}

/// A receiver's test configuration: everything on loopback, port 0; `mail` is the body of
/// `[mail]` (see [`file_mail`]); `extra` lines go into `[receiver]`.
pub fn receiver_config(dir: &Path, extra: &str, mail: &str) -> String {
    format!(
        r#"{common}
[receiver]
listen = "127.0.0.1:0"
application_id = "99999002"
allowed_senders = ["99999001"]
administrators = ["beheer@example.org"]
jgz_contact = "jgz@example.org"
{extra}
"#,
        common = common_config(dir, "", mail),
    )
}

/// The default mail section: `.eml` files into `<dir>/mail`.
pub fn file_mail(dir: &Path) -> String {
    format!(
        "transport = \"file\"\nfile_dir = \"{}\"",
        dir.join("mail").display()
    )
}

/// Starts a receiver with `extra` configuration lines in `[receiver]`.
pub fn spawn_receiver(extra: &str) -> Gateway {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().to_path_buf();
    let config = receiver_config(&dir, extra, &file_mail(&dir));
    let mut gateway = start(&dir, &config);
    gateway._temp = Some(temp);
    gateway
}

/// Starts the binary on a configuration written into `dir`.
pub fn start(dir: &Path, config: &str) -> Gateway {
    start_with_env(dir, config, &[])
}

/// [`start`] with more environment variables for the process.
pub fn start_with_env(dir: &Path, config: &str, env: &[(&str, &str)]) -> Gateway {
    let path = dir.join("config.toml");
    std::fs::write(&path, config).expect("write config");
    launch(dir, &path, env)
}

fn launch(dir: &Path, config: &Path, env: &[(&str, &str)]) -> Gateway {
    // The log (stderr) of every run on this directory, appended: see `Gateway::log`.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(LOG))
        .expect("open the log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lotgate"))
        .arg("run")
        .arg("--config")
        .arg(config)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("lotgate runs");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // The receiver's address (if it runs) is printed before the admin listener's.
    let (mut exchange, mut admin, mut path) = (None, None, String::new());
    while admin.is_none() {
        let line = received
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| {
                panic!(
                    "lotgate did not report its addresses (config {}); its log:\n{}",
                    config.display(),
                    std::fs::read_to_string(dir.join(LOG)).unwrap_or_default()
                )
            });
        if let Some(url) = line
            .strip_prefix("lotgate: receiver listening on http://")
            .or_else(|| line.strip_prefix("lotgate: receiver listening on https://"))
        {
            let (addr, rest) = url.split_once('/').expect("url with path");
            exchange = Some(addr.parse().expect("address"));
            path = format!("/{rest}");
        } else if let Some(addr) = line.strip_prefix("lotgate: admin listening on http://") {
            admin = Some(addr.parse().expect("address"));
        }
    }
    Gateway {
        child: Some(child),
        exchange: exchange.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
        admin: admin.expect("read above"),
        path,
        dir: dir.to_path_buf(),
        config: config.to_path_buf(),
        _temp: None,
    }
}

impl Gateway {
    /// Posts a message to the exchange endpoint.
    pub fn post(&self, body: &[u8]) -> Response {
        http::request(self.exchange, "POST", &self.path, body)
    }

    /// A GET on the admin listener.
    pub fn admin_get(&self, path: &str) -> Response {
        http::request(self.admin, "GET", path, b"")
    }

    /// A POST on the admin listener.
    pub fn admin_post(&self, path: &str) -> Response {
        http::request(self.admin, "POST", path, b"")
    }

    /// `GET /api/v1/set`: the set in place, its version and whether it is stale.
    pub fn set(&self) -> SetAnswer {
        self.admin_get("/api/v1/set").answer()
    }

    /// The digest of the set in place (`None` when there is none).
    pub fn digest(&self) -> Option<String> {
        self.set().set.map(|set| set.digest)
    }

    /// How many lots the set in place has (`None` when there is none).
    pub fn set_lots(&self) -> Option<usize> {
        self.set().set.map(|set| set.lots)
    }

    /// The message id extension of the set in place (`None` when there is none).
    pub fn set_extension(&self) -> Option<String> {
        self.set().set.map(|set| set.message_id.extension)
    }

    /// `GET /api/v1/history`: the import reports, newest first.
    pub fn history(&self) -> Vec<ReportView> {
        self.admin_get("/api/v1/history")
            .answer::<HistoryAnswer>()
            .history
    }

    /// `GET /api/v1/quarantine`: the quarantined sets, oldest first.
    pub fn quarantine(&self) -> Vec<QuarantineView> {
        self.admin_get("/api/v1/quarantine")
            .answer::<QuarantineList>()
            .quarantine
    }

    /// `GET /readyz`.
    pub fn readiness(&self) -> Readiness {
        self.admin_get("/readyz").answer()
    }

    /// `GET /api/v1/sender/status`.
    pub fn sender_status(&self) -> SenderStatus {
        self.admin_get("/api/v1/sender/status").answer()
    }

    /// Runs a `lotgate` verb that talks to this gateway's admin listener: with a copy of
    /// the configuration whose `admin.listen` is the address actually bound.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        let config = std::fs::read_to_string(&self.config).expect("config");
        let pointed = config.replacen(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"{}\"", self.admin),
            1,
        );
        let copy = self.dir.join("cli-config.toml");
        std::fs::write(&copy, pointed).expect("write config copy");
        Command::new(env!("CARGO_BIN_EXE_lotgate"))
            .args(args)
            .arg("--config")
            .arg(&copy)
            .output()
            .expect("lotgate runs")
    }

    /// Everything the process (and its earlier runs on this directory) logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(LOG)).unwrap_or_default()
    }

    /// The directory the gateway's data and mail live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Kills the process with SIGKILL (no chance to clean up) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the process with SIGTERM and waits for a graceful exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        child.wait().expect("exit status")
    }

    /// Sends the process SIGHUP (reload the configuration).
    pub fn hangup(&self) {
        let child = self.child.as_ref().expect("running");
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -HUP {}", child.id());
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| child.try_wait().ok().flatten().is_none())
    }

    /// The configuration file the process was started on (and reloads).
    pub fn config_file(&self) -> &Path {
        &self.config
    }

    /// Starts the process again on the same configuration and data (new ports).
    pub fn restart(&mut self) {
        self.kill();
        let mut fresh = launch(&self.dir, &self.config, &[]);
        self.exchange = fresh.exchange;
        self.admin = fresh.admin;
        self.child = fresh.child.take();
    }
}

/// Posts `body` to `path` at `addr`; `None` when the connection fails or the response is
/// incomplete (a gateway killed mid-request).
pub fn try_post(addr: SocketAddr, path: &str, body: &[u8]) -> Option<Response> {
    http::try_request(addr, "POST", path, body)
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill();
    }
}
