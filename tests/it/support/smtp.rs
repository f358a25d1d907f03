//! A real SMTP server for the mail tests: aiosmtpd (Debian package `python3-aiosmtpd`)
//! on a free loopback port, storing what it receives in a Maildir in a temp directory.
//!
//! The server can be stopped and started again on the same port, to test "SMTP down,
//! then back". Received messages are read back from the Maildir and decoded just
//! enough to check them: unfolded headers with RFC 2047 words decoded, and a
//! quoted-printable body.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python that has aiosmtpd; `python3` on the PATH may be another one.
const PYTHON: &str = "/usr/bin/python3";

/// How long aiosmtpd may take to accept connections.
const START_LIMIT: Duration = Duration::from_secs(10);

/// A running (or stopped) aiosmtpd; killed when dropped.
pub struct SmtpServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// Extra command-line options for aiosmtpd.
    options: Vec<String>,
    /// How `smtp_server.py` answers, when it runs instead of aiosmtpd's own handler.
    mode: Option<String>,
}

impl SmtpServer {
    /// Starts aiosmtpd on a free port on 127.0.0.1 and waits until it accepts
    /// connections.
    pub fn start() -> SmtpServer {
        Self::start_with(Vec::new())
    }

    /// Like [`Self::start`], but the server refuses (with `552`) any message larger
    /// than `bytes`: a real permanent SMTP error.
    pub fn start_with_size_limit(bytes: usize) -> SmtpServer {
        Self::start_with(vec!["-s".to_owned(), bytes.to_string()])
    }

    /// Like [`Self::start`], but the server offers STARTTLS with this certificate and
    /// key (PEM files) and requires it before a mail is accepted.
    pub fn start_with_starttls(certificate: &Path, key: &Path) -> SmtpServer {
        Self::start_with(vec![
            "--tlscert".to_owned(),
            certificate.display().to_string(),
            "--tlskey".to_owned(),
            key.display().to_string(),
        ])
    }

    /// Like [`Self::start`], but the server speaks TLS from the first byte (SMTPS) with
    /// this certificate and key.
    pub fn start_with_smtps(certificate: &Path, key: &Path) -> SmtpServer {
        Self::start_with(vec![
            "--smtpscert".to_owned(),
            certificate.display().to_string(),
            "--smtpskey".to_owned(),
            key.display().to_string(),
        ])
    }

    /// Starts `smtp_server.py` (aiosmtpd with a handler that answers as `mode` says:
    /// `accept`, `rcpt-550-all`, `rcpt-550-one`, `auth-535`, `auth-ok`, `data-554`,
    /// `greylist`).
    pub fn start_scripted(mode: &str) -> SmtpServer {
        let mut server = Self::stopped(Vec::new());
        server.mode = Some(mode.to_owned());
        server.restart();
        server
    }

    /// Changes how the scripted server answers from its next restart on.
    pub fn set_mode(&mut self, mode: &str) {
        assert!(self.mode.is_some(), "only a scripted server has a mode");
        self.mode = Some(mode.to_owned());
    }

    fn start_with(options: Vec<String>) -> SmtpServer {
        let mut server = Self::stopped(options);
        server.restart();
        server
    }

    fn stopped(options: Vec<String>) -> SmtpServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir");
        SmtpServer {
            port,
            dir,
            child: None,
            options,
            mode: None,
        }
    }

    /// The port it listens on (also while stopped: a restart uses the same one).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server; connections to its port are refused from now on.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, with the same Maildir, and waits until
    /// it accepts connections.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the SMTP server is already running");
        let log_path = self.dir.path().join("aiosmtpd.log");
        let log = std::fs::File::create(&log_path).expect("create the aiosmtpd log");
        let mut command = Command::new(PYTHON);
        match &self.mode {
            None => command
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{}", self.port))
                .args(&self.options)
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(self.maildir()),
            Some(mode) => command
                .arg(super::crate_dir().join("tests/it/support/smtp_server.py"))
                .arg(self.port.to_string())
                .arg(self.maildir())
                .arg(mode),
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {PYTHON} -m aiosmtpd (install python3-aiosmtpd): {e}")
            });
        let child = self.child.insert(child);
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                self.child = None;
                panic!(
                    "aiosmtpd exited at start ({status}); is python3-aiosmtpd installed \
                     for {PYTHON}? Its output:\n{log}"
                );
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "aiosmtpd does not accept connections on {address} after {START_LIMIT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The Maildir aiosmtpd's `Mailbox` handler writes into.
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mbox")
    }

    /// Every message received so far, in the order of their Maildir file names
    /// (which start with the time of arrival).
    pub fn messages(&self) -> Vec<Received> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) else {
                continue;
            };
            for entry in entries {
                files.push(entry.expect("a Maildir entry").path());
            }
        }
        files.sort_by_key(|path| arrival(path));
        files
            .iter()
            .map(|path| Received::parse(&std::fs::read_to_string(path).expect("a message file")))
            .collect()
    }
}

/// Python's Maildir names a message `<seconds>.M<microseconds>P<pid>Q<n>.<host>`, the
/// microseconds without leading zeros: compare them as numbers.
fn arrival(path: &std::path::Path) -> (u64, u64, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut parts = name.split('.');
    let seconds = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    let micros = parts
        .next()
        .and_then(|s| s.strip_prefix('M'))
        .and_then(|s| s.split('P').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    (seconds, micros, name)
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One received message (or an `.eml` file), as raw text with `\n` line ends.
#[derive(Debug, Clone)]
pub struct Received {
    raw: String,
}

impl Received {
    /// A message from its text (CRLF or LF line ends).
    pub fn parse(text: &str) -> Received {
        Received {
            raw: text.replace("\r\n", "\n"),
        }
    }

    /// The raw text.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    fn split(&self) -> (&str, &str) {
        self.raw.split_once("\n\n").unwrap_or((&self.raw, ""))
    }

    /// Every value of header `name` (case-insensitive), unfolded and decoded.
    pub fn headers(&self, name: &str) -> Vec<String> {
        let (head, _) = self.split();
        let mut fields: Vec<String> = Vec::new();
        for line in head.lines() {
            match fields.last_mut() {
                Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
                _ => fields.push(line.to_owned()),
            }
        }
        fields
            .iter()
            .filter_map(|field| field.split_once(':'))
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| decode_words(value.trim()))
            .collect()
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers(name).into_iter().next()
    }

    /// `Message-ID`.
    pub fn message_id(&self) -> Option<String> {
        self.header("Message-ID")
    }

    /// `Subject`, decoded.
    pub fn subject(&self) -> Option<String> {
        self.header("Subject")
    }

    /// `To`, decoded.
    pub fn to(&self) -> Option<String> {
        self.header("To")
    }

    /// The envelope recipients, as aiosmtpd recorded them (`X-RcptTo`).
    pub fn envelope_recipients(&self) -> Vec<String> {
        self.header("X-RcptTo")
            .map(|v| v.split(", ").map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The body, decoded when it is quoted-printable or base64, with `\n` line ends.
    pub fn body(&self) -> String {
        let (_, body) = self.split();
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        match encoding.as_str() {
            "quoted-printable" => {
                String::from_utf8(decode_quoted_printable(body)).expect("a UTF-8 body")
            }
            "base64" => String::from_utf8(decode_base64(body))
                .expect("a UTF-8 body")
                .replace("\r\n", "\n"),
            _ => body.to_owned(),
        }
    }

    /// The parts of a multipart message, each read as a message of its own (its headers
    /// and body); none for a message of one part.
    pub fn parts(&self) -> Vec<Received> {
        let Some(content_type) = self.header("Content-Type") else {
            return Vec::new();
        };
        let Some(boundary) = content_type.split("boundary=").nth(1) else {
            return Vec::new();
        };
        let boundary = boundary
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        let (_, body) = self.split();
        body.split(&format!("--{boundary}"))
            .skip(1)
            .filter(|part| !part.starts_with("--"))
            // The line break before a delimiter belongs to the delimiter (RFC 2046).
            .map(|part| part.strip_suffix('\n').unwrap_or(part))
            .map(|part| Received::parse(part.trim_start_matches('\n')))
            .collect()
    }

    /// The text of the part attached as `name`, decoded.
    pub fn attachment(&self, name: &str) -> Option<String> {
        let filename = format!("filename=\"{name}\"");
        self.parts()
            .into_iter()
            .find(|part| {
                part.header("Content-Disposition")
                    .is_some_and(|d| d.contains(&filename))
            })
            .map(|part| part.body())
    }
}

/// Decodes the RFC 2047 words (`=?utf-8?b?…?=` and `=?utf-8?q?…?=`) in a header
/// value; white space between two adjacent words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, word) = rest.split_at(start);
        let decoded = word[2..].splitn(3, '?').collect::<Vec<_>>();
        let [_charset, encoding, tail] = decoded[..] else {
            break;
        };
        let Some(end) = tail.find("?=") else {
            break;
        };
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let text = &tail[..end];
        let bytes = match encoding {
            "b" | "B" => decode_base64(text),
            _ => decode_quoted_printable(&text.replace('_', " ")),
        };
        out.push_str(&String::from_utf8(bytes).expect("a UTF-8 encoded word"));
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
                out.push(u8::from_str_radix(hex, 16).expect("a quoted-printable escape"));
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
    {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .expect("a base64 character");
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn the_decoders_read_what_lettre_writes() {
    assert_eq!(decode_base64("w6nDqW4="), "één".as_bytes());
    assert_eq!(
        decode_words("Niet afgeleverd: =?utf-8?b?w6nDqW4=?= bestemming"),
        "Niet afgeleverd: één bestemming"
    );
    assert_eq!(decode_words("=?utf-8?b?w6k=?= =?utf-8?b?w6k=?= x"), "éé x");
    assert_eq!(
        decode_quoted_printable("Frysl=C3=A2n is=\n mislukt"),
        "Fryslân is mislukt".as_bytes()
    );
}
