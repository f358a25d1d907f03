//! Two-way TLS end to end: the real binaries with certificates generated in the test,
//! deliveries over TLS between processes and from a rustls client in the test, the
//! clients a receiver must refuse, the checks a sender makes of a receiver, slow and
//! junk connections, public listeners without TLS, certificate expiry, and secrets
//! kept out of debug logs.

use crate::support::gateway::{Gateway, file_mail, receiver_config, start};
use crate::support::http::{self, Response, idle_connections, tls_post};
use crate::support::pki::{
    Ca, Files, Leaf, client_tls, receiver_tls, sender_tls_files, with_sender_tls,
};
use crate::support::sender::{LOTS, applied, destination, message, sender_config, state, wait_for};
use crate::support::smtp::SmtpServer;
use crate::support::{ack_type, envelope};
use chrono::{Datelike, TimeDelta, Utc};
use lotgate::api::{OutcomeView, ReadyStatus, StateView};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sender's certificate: subject serialNumber, mapped to sender 99999001.
const SERIAL_A: &str = "00000001234567890000";
/// Another sender's certificate, mapped to 99999003.
const SERIAL_C: &str = "00000009876543210000";
/// A certificate from the right CA that no `[[receiver.tls.client]]` lists.
const SERIAL_UNLISTED: &str = "99999999999999999999";

/// A receiver configuration: `lines` in `[receiver]`, then the TLS sections `tls`.
fn tls_receiver_config(dir: &Path, lines: &str, tls: &str) -> String {
    receiver_config(dir, &format!("{lines}\n{tls}"), &file_mail(dir))
}

/// A receiver configuration with `lines` in `[receiver]` and TLS with `server`, client
/// certificates from the CA in `client_ca`, serial A mapped to sender 99999001.
fn mapped_receiver_config(dir: &Path, lines: &str, server: &Files, client_ca: &Path) -> String {
    let tls = receiver_tls(server, client_ca, &[(SERIAL_A, &["99999001"])]);
    tls_receiver_config(dir, lines, &tls)
}

/// A receiver (in `dir`) with `lines` in `[receiver]`, TLS as in
/// [`mapped_receiver_config`]; returns the CA's file and a client certificate with
/// serial A as well.
fn mapped_receiver(dir: &Path, lines: &str) -> (Gateway, PathBuf, Files) {
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(dir, "ca");
    let server = ca.issue(&Leaf::server(), dir, "receiver");
    let client = ca.issue(&Leaf::client(SERIAL_A), dir, "sender");
    let receiver = start(dir, &mapped_receiver_config(dir, lines, &server, &ca_path));
    (receiver, ca_path, client)
}

/// Creates the directories `names` in `base`.
fn subdirs<const N: usize>(base: &Path, names: [&str; N]) -> [PathBuf; N] {
    names.map(|name| {
        let dir = base.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        dir
    })
}

/// The exchange address on loopback (a receiver listening on 0.0.0.0 reports that).
fn loopback(addr: SocketAddr) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], addr.port()))
}

/// Posts `body` to the receiver over TLS as `tls`, expecting its name `localhost`.
fn post(
    receiver: &Gateway,
    tls: &Arc<rustls::ClientConfig>,
    body: &str,
) -> Result<Response, String> {
    tls_post(
        loopback(receiver.exchange),
        tls.clone(),
        "localhost",
        &receiver.path,
        body.as_bytes(),
    )
}

/// Asserts that a TLS client was refused: the handshake (or the first read) failed, or
/// at least no 200 came back. Returns what happened, for messages.
fn assert_refused(result: Result<Response, String>, what: &str) -> String {
    match result {
        Err(e) => e,
        Ok(response) => {
            assert_ne!(
                response.status,
                200,
                "{what}: expected a refusal, got {}",
                response.text()
            );
            format!("HTTP {}", response.status)
        }
    }
}

/// Waits until the gateway's log contains `needle` at least `times` times.
fn wait_for_log(gateway: &Gateway, needle: &str, times: usize, limit: Duration) {
    wait_for(limit, || {
        (gateway.log().matches(needle).count() >= times).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "the log does not show {needle:?} {times} time(s) within {limit:?}:\n{}",
            gateway.log()
        )
    });
}

/// The certificate-expiry `.eml` files in `<dir>/mail`.
fn expiry_mails(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join("mail")) else {
        return Vec::new();
    };
    entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("certificate-expiry-") && name.ends_with(".eml")
        })
        .collect()
}

/// (year, month, day) `days` from today, for [`Leaf::not_after`].
fn days_from_now(days: i64) -> (i32, u8, u8) {
    let date = (Utc::now() + TimeDelta::days(days)).date_naive();
    (date.year(), date.month() as u8, date.day() as u8)
}

#[test]
fn a_mapped_sender_delivers_end_to_end_over_two_way_tls() {
    let temp = tempfile::tempdir().expect("temp dir");
    let [receiver_dir, sender_dir] = subdirs(temp.path(), ["receiver", "sender"]);
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(temp.path(), "ca");
    let server = ca.issue(&Leaf::server(), temp.path(), "receiver");
    let client = ca.issue(&Leaf::client(SERIAL_A), temp.path(), "sender");

    let config = mapped_receiver_config(&receiver_dir, "", &server, &ca_path);
    let public = config.replace(
        "[receiver]\nlisten = \"127.0.0.1:0\"",
        "[receiver]\nlisten = \"0.0.0.0:0\"",
    );
    assert_ne!(public, config, "the receiver's listen line was replaced");
    let receiver = start(&receiver_dir, &public);
    assert!(
        receiver.exchange.ip().is_unspecified(),
        "listens on all interfaces: {}",
        receiver.exchange
    );

    let url = format!(
        "https://localhost:{}{}",
        receiver.exchange.port(),
        receiver.path
    );
    let config = sender_config(
        &sender_dir,
        &[("jgz", url, "99999002")],
        Duration::from_secs(120),
        &file_mail(&sender_dir),
    );
    let sender = start(
        &sender_dir,
        &with_sender_tls(&config, &sender_tls_files(&client, &ca_path)),
    );

    let status = wait_for(Duration::from_secs(20), || {
        let status = destination(&sender, "jgz");
        (state(&status) == Some(StateView::Delivered)).then_some(status)
    })
    .unwrap_or_else(|| {
        panic!(
            "not delivered within 20 s: {:#?}\nsender log:\n{}\nreceiver log:\n{}",
            destination(&sender, "jgz"),
            sender.log(),
            receiver.log()
        )
    });
    assert_eq!(message(&status).map(|m| m.lots), Some(LOTS), "{status:#?}");
    assert!(receiver.digest().is_some(), "the receiver has a set");
    let applied = applied(&receiver);
    assert_eq!(applied.len(), 1, "{applied:#?}");
    assert_eq!(receiver.set_lots(), Some(LOTS));

    // Read raw on purpose: /readyz's certificates as written on the wire (the other tests
    // read /readyz as lotgate::api's type).
    let ready = receiver.admin_get("/readyz").json();
    let certificates = ready["certificates"].as_array().expect("certificates");
    assert_eq!(certificates.len(), 1, "{ready:#}");
    assert_eq!(
        certificates[0]["name"], "receiver.tls.certificate",
        "{ready:#}"
    );
    assert_eq!(certificates[0]["expiring"], false, "{ready:#}");
    assert!(
        certificates[0]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("localhost")),
        "{ready:#}"
    );
    assert_eq!(ready["status"], "ready", "{ready:#}");
    let sender_ready = sender.admin_get("/readyz").json();
    assert_eq!(
        sender_ready["certificates"][0]["name"], "sender.tls.certificate",
        "{sender_ready:#}"
    );

    // TLS makes a public listener acceptable: nothing to warn about.
    let log = receiver.log();
    assert!(
        !log.contains("INSECURE"),
        "a TLS listener is not insecure; the receiver's log:\n{log}"
    );
}

#[test]
fn clients_the_receiver_cannot_authorise_are_refused_and_nothing_is_stored() {
    let temp = tempfile::tempdir().expect("temp dir");
    let [dir, certs] = subdirs(temp.path(), ["receiver", "certs"]);
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(&certs, "ca");
    let stranger_ca = Ca::new("someone else's CA");
    let server = ca.issue(&Leaf::server(), &certs, "receiver");
    let a = ca.issue(&Leaf::client(SERIAL_A), &certs, "a");
    let forged = stranger_ca.issue(&Leaf::client(SERIAL_A), &certs, "forged-a");
    let expired = ca.issue(
        &Leaf {
            not_before: Some((2020, 1, 1)),
            not_after: Some((2021, 1, 1)),
            ..Leaf::client(SERIAL_A)
        },
        &certs,
        "expired-a",
    );
    let unlisted = ca.issue(&Leaf::client(SERIAL_UNLISTED), &certs, "unlisted");

    let tls = receiver_tls(
        &server,
        &ca_path,
        &[(SERIAL_A, &["99999001"]), (SERIAL_C, &["99999003"])],
    );
    let config = tls_receiver_config(&dir, "", &tls);
    let both = config.replace(
        "allowed_senders = [\"99999001\"]",
        "allowed_senders = [\"99999001\", \"99999003\"]",
    );
    assert_ne!(both, config);
    let receiver = start(&dir, &both);
    let message = envelope(20, "TLS-REFUSED");

    // (a) No client certificate: the handshake is refused.
    let none = assert_refused(
        post(&receiver, &client_tls(&ca_path, None), &message),
        "no client certificate",
    );
    // (b) The right serial number from another CA.
    let other_ca = assert_refused(
        post(&receiver, &client_tls(&ca_path, Some(&forged)), &message),
        "a certificate from another CA",
    );
    // (c) An expired certificate from the right CA.
    let old = assert_refused(
        post(&receiver, &client_tls(&ca_path, Some(&expired)), &message),
        "an expired certificate",
    );
    // The receiver says why in its log: three failed handshakes.
    wait_for_log(&receiver, "TLS handshake with", 3, Duration::from_secs(5));
    let log = receiver.log();
    let failed: Vec<String> = log
        .lines()
        .filter(|l| l.contains("TLS handshake with") && l.contains("failed"))
        .map(str::to_ascii_lowercase)
        .collect();
    assert_eq!(
        failed.len(),
        3,
        "three refused handshakes ({none} / {other_ca} / {old}); the log:\n{log}"
    );
    // rustls' reasons: "peer sent no certificates", "UnknownIssuer", "certificate expired".
    for (i, reason) in ["no certificate", "issuer", "expired"]
        .into_iter()
        .enumerate()
    {
        assert!(failed[i].contains(reason), "{reason:?} in {:?}", failed[i]);
    }
    // The certificate's end is a date, not UNIX seconds.
    assert!(
        failed[2].contains("not valid after 20") && !failed[2].contains("(unix)"),
        "{:?}",
        failed[2]
    );

    // (d) The right CA, but no [[receiver.tls.client]] lists the certificate.
    let response = post(&receiver, &client_tls(&ca_path, Some(&unlisted)), &message)
        .unwrap_or_else(|e| panic!("the handshake succeeds for an unlisted certificate: {e}"));
    assert_eq!(response.status, 403, "{}", response.text());
    wait_for_log(
        &receiver,
        "not listed in [[receiver.tls.client]]",
        1,
        Duration::from_secs(5),
    );
    assert!(
        receiver.log().contains(SERIAL_UNLISTED),
        "{}",
        receiver.log()
    );

    // (e) Certificate A sending as 99999003, which only certificate C may use.
    let a_tls = client_tls(&ca_path, Some(&a));
    let as_c = envelope(20, "TLS-AS-C").replace("99999001", "99999003");
    let response = post(&receiver, &a_tls, &as_c).expect("a response");
    let body = response.text();
    assert_eq!((response.status, ack_type(&body)), (200, "CR"), "{body}");
    // The acknowledgement names the certificate that may not send as that id (English:
    // the test receiver's language).
    assert!(
        body.contains(&format!(
            "this client certificate (serialNumber={SERIAL_A}, CN="
        )) && body.contains(") may not send as 99999003; it may send only as 99999001"),
        "{body}"
    );
    wait_for_log(
        &receiver,
        "not an allowed sender here",
        1,
        Duration::from_secs(5),
    );

    // Nothing of the five is stored.
    assert_eq!(receiver.digest(), None);
    assert!(receiver.history().is_empty(), "{:#?}", receiver.history());

    // (f) Certificate A with its own sender id delivers.
    let response = post(&receiver, &a_tls, &envelope(20, "TLS-OK")).expect("a response");
    let body = response.text();
    assert_eq!((response.status, ack_type(&body)), (200, "CA"), "{body}");
    assert!(receiver.digest().is_some(), "the set is in place");
    assert_eq!(receiver.history().len(), 1);
}

#[test]
fn a_sender_refuses_a_receiver_with_the_wrong_name_or_an_unknown_ca() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dirs = subdirs(temp.path(), ["wrong-name", "unknown-ca", "sender", "certs"]);
    let certs = &dirs[3];
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(certs, "ca");
    let stranger_ca = Ca::new("someone else's CA");
    let client = ca.issue(&Leaf::client(SERIAL_A), certs, "sender");
    let elsewhere = ca.issue(
        &Leaf {
            common_name: Some("other.example".into()),
            dns_names: vec!["other.example".into()],
            ..Leaf::default()
        },
        certs,
        "other-example",
    );
    let unknown = stranger_ca.issue(&Leaf::server(), certs, "unknown-ca");

    let receivers: Vec<Gateway> = [&elsewhere, &unknown]
        .into_iter()
        .zip(&dirs)
        .map(|(server, dir)| start(dir, &mapped_receiver_config(dir, "", server, &ca_path)))
        .collect();
    let url = |r: &Gateway| format!("https://localhost:{}{}", r.exchange.port(), r.path);
    let sender_dir = &dirs[2];
    let config = sender_config(
        sender_dir,
        &[
            ("wrongname", url(&receivers[0]), "99999002"),
            ("unknownca", url(&receivers[1]), "99999002"),
        ],
        Duration::from_secs(120),
        &file_mail(sender_dir),
    );
    let sender = start(
        sender_dir,
        &with_sender_tls(&config, &sender_tls_files(&client, &ca_path)),
    );

    // rustls' words: "certificate not valid for name \"localhost\"" and "UnknownIssuer".
    for (name, problem) in [("wrongname", "localhost"), ("unknownca", "issuer")] {
        let attempt =
            wait_for(Duration::from_secs(15), || {
                let status = destination(&sender, name);
                status.delivery?.attempts.into_iter().find(|a| {
                    a.outcome == OutcomeView::Failed || a.outcome == OutcomeView::Rejected
                })
            })
            .unwrap_or_else(|| {
                panic!(
                    "no failed attempt to {name} within 15 s: {:#?}\n{}",
                    destination(&sender, name),
                    sender.log()
                )
            });
        let detail = attempt.detail.as_str();
        let lower = detail.to_ascii_lowercase();
        assert!(
            lower.contains("certificate") && lower.contains(problem),
            "{name}: the attempt's detail names the certificate problem: {detail:?}"
        );
        assert_ne!(
            state(&destination(&sender, name)),
            Some(StateView::Delivered)
        );
    }
    for receiver in &receivers {
        assert_eq!(receiver.digest(), None, "{}", receiver.log());
        assert!(receiver.history().is_empty());
    }
}

#[test]
fn a_slow_tls_client_is_disconnected_within_the_header_timeout() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (receiver, ca_path, client) = mapped_receiver(temp.path(), "header_timeout = \"1s\"");

    // All at once: one connection that says nothing, one that stops mid-ClientHello, and
    // one that completes the handshake (with a listed certificate) but sends no request.
    let connect = || {
        let stream = TcpStream::connect(receiver.exchange).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(6)))
            .expect("read timeout");
        stream
    };
    let silent = connect();
    let mut partial = connect();
    partial
        .write_all(&[0x16, 0x03, 0x01, 0x00, 0x40])
        .expect("a few bytes of a ClientHello");
    let name = rustls_pki_types::ServerName::try_from("localhost").expect("a name");
    let mut connection =
        rustls::ClientConnection::new(client_tls(&ca_path, Some(&client)), name.to_owned())
            .expect("a client connection");
    let mut tcp = connect();
    while connection.is_handshaking() {
        connection
            .complete_io(&mut tcp)
            .unwrap_or_else(|e| panic!("the handshake completes: {e}\n{}", receiver.log()));
    }
    let idle = rustls::StreamOwned::new(connection, tcp);

    let start = Instant::now();
    let streams: [(&str, Box<dyn Read>); 3] = [
        ("silent", Box::new(silent)),
        ("partial ClientHello", Box::new(partial)),
        ("no request after the handshake", Box::new(idle)),
    ];
    for (what, mut stream) in streams {
        let mut buffer = [0u8; 256];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    panic!(
                        "{what}: still open after {:?}; the log:\n{}",
                        start.elapsed(),
                        receiver.log()
                    )
                }
                Err(_) => break,
            }
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_secs(4),
            "{what}: closed only after {elapsed:?}"
        );
        // The server waits for the timeout: a client gets its second to say something.
        assert!(
            elapsed >= Duration::from_millis(800),
            "{what}: closed already after {elapsed:?}, before the header timeout"
        );
    }
}

#[test]
fn a_connect_and_close_without_a_client_hello_is_no_warning() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(dir, "ca");
    let server = ca.issue(&Leaf::server(), dir, "receiver");
    let config = mapped_receiver_config(dir, "", &server, &ca_path)
        .replace("log = \"warn\"", "log = \"lotgate=debug,warn\"");
    let receiver = start(dir, &config);
    // What a load balancer's health check does: connect, then close at once.
    for _ in 0..3 {
        drop(TcpStream::connect(loopback(receiver.exchange)).expect("connect"));
    }
    wait_for_log(
        &receiver,
        "closed the connection before a TLS handshake began",
        3,
        Duration::from_secs(5),
    );
    let log = receiver.log();
    assert!(
        log.contains("(3 such connection(s) since start)"),
        "they are counted:\n{log}"
    );
    assert!(
        !log.lines()
            .any(|l| l.contains("WARN") && l.contains("handshake")),
        "no warning for a health check:\n{log}"
    );
}

#[test]
fn unfinished_handshakes_from_one_address_do_not_hold_up_a_delivery() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (receiver, ca_path, client) = mapped_receiver(temp.path(), "");
    // 300 connections that never start their handshake, from one address: more than
    // max_connections (256), each one waiting out the header timeout (10 s) if held.
    let crowd = idle_connections([127, 0, 0, 2].into(), loopback(receiver.exchange), 300);
    let started = Instant::now();
    let response = post(
        &receiver,
        &client_tls(&ca_path, Some(&client)),
        &envelope(20, "CROWD"),
    )
    .unwrap_or_else(|e| panic!("the delivery failed: {e}\n{}", receiver.log()));
    let took = started.elapsed();
    let body = response.text();
    assert_eq!((response.status, ack_type(&body)), (200, "CA"), "{body}");
    assert!(
        took < Duration::from_secs(1),
        "the delivery took {took:?} beside the crowd"
    );
    drop(crowd);
}

#[test]
fn two_hundred_junk_connections_do_not_stop_a_valid_delivery() {
    let temp = tempfile::tempdir().expect("temp dir");
    // All from one address, within the total cap: here the address may hold them all.
    let (receiver, ca_path, client) = mapped_receiver(
        temp.path(),
        "header_timeout = \"5s\"\nmax_connections_per_address = 256",
    );

    let opened = Instant::now();
    let junk: Vec<TcpStream> = (0..200)
        .map(|i| {
            let mut stream = TcpStream::connect(receiver.exchange).expect("connect");
            match i % 4 {
                0 => stream.write_all(b"GET / HTTP/1.1\r\n\r\n").expect("write"),
                1 => {
                    let noise: Vec<u8> = (0..64u32).map(|b| (b * 37 + i) as u8).collect();
                    stream.write_all(&noise).expect("write");
                }
                _ => {}
            }
            stream
        })
        .collect();

    let response = post(
        &receiver,
        &client_tls(&ca_path, Some(&client)),
        &envelope(20, "JUNK"),
    )
    .unwrap_or_else(|e| panic!("the delivery failed: {e}\n{}", receiver.log()));
    let took = opened.elapsed();
    let body = response.text();
    assert_eq!((response.status, ack_type(&body)), (200, "CA"), "{body}");
    assert!(
        took < Duration::from_secs(4),
        "delivered only after {took:?}, while the junk was held"
    );
    // The silent connections were still held while the delivery went through (the
    // check is meaningful only before their header timeout, 5 s after opening).
    let silent: Vec<&TcpStream> = junk
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 >= 2)
        .map(|(_, s)| s)
        .collect();
    let still_open = silent
        .iter()
        .filter(|s| {
            s.set_nonblocking(true).expect("non-blocking");
            matches!(s.peek(&mut [0u8; 1]), Err(e) if e.kind() == ErrorKind::WouldBlock)
        })
        .count();
    let checked = opened.elapsed();
    assert!(
        checked >= Duration::from_millis(4500) || still_open == silent.len(),
        "{still_open} of {} silent connections open {checked:?} after opening",
        silent.len()
    );
    assert!(receiver.digest().is_some(), "the set is in place");
    drop(junk);
}

/// Runs `lotgate run --config <config>`, which must exit within 10 s.
fn run_to_exit(dir: &Path, config: &str) -> (std::process::ExitStatus, String) {
    let path = dir.join("config.toml");
    std::fs::write(&path, config).expect("write config");
    let stderr = dir.join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lotgate"))
        .args(["run", "--config"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("lotgate runs");
    let status = wait_for(Duration::from_secs(10), || child.try_wait().expect("wait"))
        .unwrap_or_else(|| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "lotgate did not exit within 10 s: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            )
        });
    (status, std::fs::read_to_string(&stderr).unwrap_or_default())
}

#[test]
fn a_plaintext_public_listener_is_refused_at_start() {
    let temp = tempfile::tempdir().expect("temp dir");
    let config = receiver_config(temp.path(), "", &file_mail(temp.path()));
    let public_receiver = config.replace(
        "[receiver]\nlisten = \"127.0.0.1:0\"",
        "[receiver]\nlisten = \"0.0.0.0:0\"",
    );
    assert_ne!(public_receiver, config);
    let (status, stderr) = run_to_exit(temp.path(), &public_receiver);
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("receiver.listen"), "{stderr}");
    assert!(!stderr.contains("admin.listen"), "{stderr}");

    let public_admin = config.replace(
        "[admin]\nlisten = \"127.0.0.1:0\"",
        "[admin]\nlisten = \"0.0.0.0:0\"",
    );
    assert_ne!(public_admin, config);
    let (status, stderr) = run_to_exit(temp.path(), &public_admin);
    assert!(!status.success(), "{status}: {stderr}");
    assert!(stderr.contains("admin.listen"), "{stderr}");
    assert!(!stderr.contains("receiver.listen"), "{stderr}");
    assert!(
        !temp.path().join("data").exists()
            || std::fs::read_dir(temp.path().join("data"))
                .expect("data dir")
                .next()
                .is_none(),
        "nothing was stored"
    );
}

#[test]
fn certificate_expiry_is_warned_in_readyz_and_by_one_email() {
    let temp = tempfile::tempdir().expect("temp dir");
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(temp.path(), "ca");
    let server = ca.issue(
        &Leaf {
            not_after: Some(days_from_now(10)),
            ..Leaf::server()
        },
        temp.path(),
        "receiver",
    );
    let config = mapped_receiver_config(temp.path(), "", &server, &ca_path);
    let mut receiver = start(temp.path(), &config);

    let ready = receiver.readiness();
    assert_eq!(ready.status, ReadyStatus::Degraded, "{ready:#?}");
    let reason = ready.reason.as_deref().unwrap_or("");
    assert!(reason.contains("receiver.tls.certificate"), "{ready:#?}");
    assert_eq!(
        ready.certificates.first().map(|c| c.expiring),
        Some(true),
        "{ready:#?}"
    );
    assert_eq!(
        ready.certificates.first().map(|c| c.name.as_str()),
        Some("receiver.tls.certificate"),
        "{ready:#?}"
    );

    let mails = wait_for(Duration::from_secs(10), || {
        let mails = expiry_mails(temp.path());
        (!mails.is_empty()).then_some(mails)
    })
    .unwrap_or_else(|| panic!("no certificate expiry email in 10 s:\n{}", receiver.log()));
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = std::fs::read_to_string(&mails[0]).expect("read the email");
    assert!(mail.contains("receiver.tls.certificate"), "{mail}");
    // Quoted-printable: `CN=localhost` is written `CN=3Dlocalhost`.
    assert!(mail.contains("localhost"), "{mail}");
    assert!(mail.contains("Days left: 9"), "{mail}");
    assert!(mail.contains("beheer@example.org"), "{mail}");
    let warned = "receiver.tls.certificate (";
    assert_eq!(
        receiver.log().matches(warned).count(),
        1,
        "{}",
        receiver.log()
    );

    // Once per certificate, also across restarts: the check runs again, no new email.
    std::fs::remove_file(&mails[0]).expect("remove the email");
    // The worker marks the mail sent (flushed) just after writing the file; a SIGKILL
    // in between would rightly send it again, so let it finish first.
    std::thread::sleep(Duration::from_millis(500));
    receiver.restart();
    wait_for_log(&receiver, warned, 2, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(receiver.readiness().status, ReadyStatus::Degraded);
    assert!(
        expiry_mails(temp.path()).is_empty(),
        "a second expiry email: {:?}",
        expiry_mails(temp.path())
    );
}

/// A process started with an environment variable, its log in a file.
struct Process {
    child: std::process::Child,
    admin: SocketAddr,
    log: PathBuf,
}

impl Process {
    fn start(dir: &Path, config: &str, env: (&str, &str)) -> Process {
        let path = dir.join("config.toml");
        std::fs::write(&path, config).expect("write config");
        let log = dir.join("lotgate.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_lotgate"))
            .args(["run", "--config"])
            .arg(&path)
            .env(env.0, env.1)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("lotgate runs");
        let stdout = child.stdout.take().expect("stdout");
        let (lines, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let admin = loop {
            let line = received
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    panic!(
                        "no admin address; the log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    )
                });
            if let Some(addr) = line.strip_prefix("lotgate: admin listening on http://") {
                break addr.parse().expect("an address");
            }
        };
        Process { child, admin, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn secrets_never_reach_the_logs() {
    const KEY_VAR: &str = "LOTGATE_TEST_SENDER_TLS_KEY";
    const PASSWORD: &str = "smtp-secret-Wachtwoord-7f3a9c";
    let temp = tempfile::tempdir().expect("temp dir");
    let [receiver_dir, sender_dir] = subdirs(temp.path(), ["receiver", "sender"]);
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(temp.path(), "ca");
    let server = ca.issue(&Leaf::server(), temp.path(), "receiver");
    // Expiring soon: the sender queues an email at start-up, so the SMTP login with the
    // password is actually tried.
    let client = ca.issue(
        &Leaf {
            not_after: Some(days_from_now(10)),
            ..Leaf::client(SERIAL_A)
        },
        temp.path(),
        "sender",
    );
    let debug = |config: String| {
        assert!(config.contains("log = \"warn\""));
        config.replace("log = \"warn\"", "log = \"lotgate=trace,debug\"")
    };

    let receiver = start(
        &receiver_dir,
        &debug(mapped_receiver_config(&receiver_dir, "", &server, &ca_path)),
    );

    let smtp = SmtpServer::start();
    let password_file = sender_dir.join("smtp-password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).expect("write password");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&password_file, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
    let mail = format!(
        "transport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n\
         timeout = \"2s\"\nusername = \"lotgate\"\npassword_file = \"{}\"",
        smtp.port(),
        password_file.display()
    );
    let url = format!(
        "https://localhost:{}{}",
        receiver.exchange.port(),
        receiver.path
    );
    let config = sender_config(
        &sender_dir,
        &[("jgz", url, "99999002")],
        Duration::from_secs(120),
        &mail,
    );
    let tls = format!(
        "certificate = \"{}\"\nprivate_key_env = \"{KEY_VAR}\"\nroots = [\"{}\"]",
        client.certificate.display(),
        ca_path.display()
    );
    let sender_key = std::fs::read_to_string(&client.key).expect("sender key");
    let mut sender = Process::start(
        &sender_dir,
        &debug(with_sender_tls(&config, &tls)),
        (KEY_VAR, &sender_key),
    );

    let delivered = wait_for(Duration::from_secs(20), || {
        // Read raw on purpose: the sender's status as written on the wire (the other tests
        // read it as lotgate::api's type).
        let status = http::request(sender.admin, "GET", "/api/v1/sender/status", b"").json();
        (status["destinations"][0]["delivery"]["state"] == "delivered").then_some(())
    });
    let sender_log = sender.log();
    assert!(
        delivered.is_some(),
        "not delivered within 20 s; the sender's log:\n{sender_log}"
    );
    // The mail worker tries its SMTP login (aiosmtpd offers no AUTH, so the mail stays
    // queued and the failure is logged with the mail's id); then both stop.
    wait_for(Duration::from_secs(10), || {
        sender.log().contains("certificate-expiry-").then_some(())
    })
    .unwrap_or_else(|| panic!("no SMTP attempt logged:\n{}", sender.log()));
    let _ = sender.child.kill();
    let _ = sender.child.wait();
    let sender_log = sender.log();
    let receiver_log = receiver.log();
    drop(receiver);

    let receiver_key = std::fs::read_to_string(&server.key).expect("receiver key");
    // Every base64 line of both keys (the first alone would do; all cost nothing).
    let key_lines: Vec<&str> = [&sender_key, &receiver_key]
        .into_iter()
        .flat_map(|pem| pem.lines().filter(|l| !l.starts_with("-----")))
        .filter(|l| l.len() >= 16)
        .collect();
    assert!(key_lines.len() >= 2, "{sender_key}");
    for (who, log) in [("sender", &sender_log), ("receiver", &receiver_log)] {
        assert!(
            log.lines().count() > 20 && log.contains(" DEBUG "),
            "{who}: debug logging happened:\n{log}"
        );
        for line in &key_lines {
            assert!(!log.contains(line), "{who}'s log holds a private key line");
        }
        assert!(
            !log.contains("PRIVATE KEY"),
            "{who}'s log mentions PRIVATE KEY"
        );
        assert!(
            !log.contains(PASSWORD),
            "{who}'s log holds the SMTP password"
        );
    }
    assert!(
        receiver_log.contains("lotgate::"),
        "lotgate's own lines are in the receiver's log:\n{receiver_log}"
    );
}

#[test]
fn a_key_file_open_to_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(dir, "ca");
    let server = ca.issue(&Leaf::server(), dir, "receiver");
    std::fs::set_permissions(&server.key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let receiver = start(dir, &mapped_receiver_config(dir, "", &server, &ca_path));
    let log = receiver.log();
    let warning = log
        .lines()
        .find(|l| l.contains("receiver.tls.private_key") && l.contains("can be read by others"))
        .unwrap_or_else(|| panic!("no warning about the key file in the log:\n{log}"));
    assert!(warning.contains("mode 644"), "{warning}");
    let key = std::fs::read_to_string(&server.key).expect("key");
    let secret_line = key.lines().nth(1).expect("a base64 line");
    assert!(!log.contains(secret_line), "the log shows the key");
}
