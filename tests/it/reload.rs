//! Reload without restart, from outside: the real binaries over two-way TLS with
//! certificates generated in the test. The receiver's server certificate and its client
//! mappings, and the sender's client certificate, are rotated while the sender delivers
//! every second; a broken key file, a broken configuration and a change that needs a
//! restart are refused or reported, and change nothing. A new admin token is taken by
//! a signal, and the command line says so when the gateway refuses the new one.

use crate::support::ack_type_of;
use crate::support::gateway::{Gateway, file_mail, receiver_config, start};
use crate::support::http::{TlsStream, request_with, tls_connect, tls_post, tls_post_on};
use crate::support::pki::{
    Ca, Files, Leaf, client_tls, receiver_tls, sender_tls_files, with_sender_tls,
};
use crate::support::sender::{LOTS, destination, sender_config, state, wait_for};
use lotgate::api::{JournalPage, ReloadAnswer, StateView};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// The sender's first client certificate (subject serialNumber), mapped to 99999001.
const SERIAL_OLD: &str = "00000001234567890000";
/// Its successor.
const SERIAL_NEW: &str = "00000001234567890001";

/// `[receiver.tls]` with `server`, clients from the CA in `ca`, and each serial number
/// mapped to sender 99999001.
fn mapped(server: &Files, ca: &Path, serials: &[&str]) -> String {
    let clients: Vec<(&str, &[&str])> = serials
        .iter()
        .map(|serial| (*serial, &["99999001"][..]))
        .collect();
    receiver_tls(server, ca, &clients)
}

/// The certificate the exchange listener at `addr` presents in a full handshake (as
/// `identity`, trusting `ca`).
fn presented(addr: SocketAddr, ca: &Path, identity: &Files) -> Vec<u8> {
    let tls = tls_connect(addr, client_tls(ca, Some(identity)), "localhost").expect("handshake");
    peer(&tls)
}

/// The certificate the server presented on `tls`.
fn peer(tls: &TlsStream) -> Vec<u8> {
    tls.conn.peer_certificates().expect("a certificate")[0].to_vec()
}

/// The first certificate of a PEM file, as DER.
fn der(path: &Path) -> Vec<u8> {
    CertificateDer::pem_file_iter(path)
        .expect("a certificate file")
        .next()
        .expect("one certificate")
        .expect("PEM")
        .to_vec()
}

/// `lotgate reload` against `gateway`: its exit code, standard output and error.
fn reload(gateway: &Gateway) -> (i32, String, String) {
    let out = gateway.cli(&["reload"]);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Rewrites `gateway`'s configuration file: `from` (which must be there) becomes `to`.
fn edit(gateway: &Gateway, from: &str, to: &str) {
    let path = gateway.config_file();
    let text = std::fs::read_to_string(path).expect("config");
    assert!(text.contains(from), "{from:?} not in {text}");
    std::fs::write(path, text.replacen(from, to, 1)).expect("write config");
}

/// Delivery `n` from sender 99999001, as a test client sends it: the sample set, each
/// created a second after the one before (from 2026-06-01 02:00:00).
fn message(n: u32) -> String {
    use lotgate::{sample, timestamp::Timestamp, wire::soap};
    let mut message = sample::message_with(sample::lot_set(LOTS), &format!("RELOAD-{n}"));
    message.created = Timestamp::parse(&format!("202606010200{n:02}")).expect("a timestamp");
    soap::message_envelope(&message)
}

/// The acknowledgement's type in an answer, or the whole answer when it has none.
fn ack(answer: &crate::support::http::Response) -> &'static str {
    ack_type_of(&answer.text()).unwrap_or("none")
}

/// The sender's attempts so far by outcome, from `/metrics`.
fn attempts(sender: &Gateway) -> BTreeMap<String, f64> {
    let text = sender.admin_get("/metrics").text();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("lotgate_sender_attempts_total{") else {
            continue;
        };
        let outcome = rest
            .split("outcome=\"")
            .nth(1)
            .and_then(|o| o.split('"').next())
            .expect("an outcome label");
        let value: f64 = rest
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a value");
        *counts.entry(outcome.to_owned()).or_default() += value;
    }
    counts
}

/// The audit entries of reloads in `gateway`'s journal: (client, outcome).
fn audited_reloads(gateway: &Gateway) -> Vec<(String, String)> {
    let page: JournalPage = gateway
        .admin_get("/api/v1/journal?kind=audit&limit=100")
        .answer();
    page.entries
        .iter()
        .filter_map(|e| Some((e.audit.as_ref()?, &e.outcome)))
        .filter(|(audit, _)| audit.action == "reload")
        .map(|(audit, outcome)| (audit.client.clone(), outcome.clone()))
        .collect()
}

#[test]
fn certificates_and_client_mappings_rotate_while_a_sender_delivers_every_second() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (receiver_dir, sender_dir) = (temp.path().join("receiver"), temp.path().join("sender"));
    for dir in [&receiver_dir, &sender_dir] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(temp.path(), "ca");
    let server = ca.issue(&Leaf::server(), temp.path(), "receiver");
    let old_client = ca.issue(&Leaf::client(SERIAL_OLD), temp.path(), "sender-old");
    let new_client = ca.issue(&Leaf::client(SERIAL_NEW), temp.path(), "sender-new");

    let tls = mapped(&server, &ca_path, &[SERIAL_OLD]);
    let receiver = start(
        &receiver_dir,
        &receiver_config(&receiver_dir, &tls, &file_mail(&receiver_dir)),
    );
    let exchange = SocketAddr::from(([127, 0, 0, 1], receiver.exchange.port()));
    let url = format!("https://localhost:{}{}", exchange.port(), receiver.path);
    let config = sender_config(
        &sender_dir,
        &[("jgz", url, "99999002")],
        Duration::from_secs(600),
        &file_mail(&sender_dir),
    );
    let sender = start(
        &sender_dir,
        &with_sender_tls(&config, &sender_tls_files(&old_client, &ca_path)),
    );
    wait_for(Duration::from_secs(20), || {
        (state(&destination(&sender, "jgz")) == Some(StateView::Delivered)).then_some(())
    })
    .unwrap_or_else(|| panic!("no first delivery; sender log:\n{}", sender.log()));
    let old_der = der(&server.certificate);
    assert_eq!(presented(exchange, &ca_path, &old_client), old_der);

    // A new delivery every second from here on, through every reload below.
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let admin = sender.admin;
    let deliveries = std::thread::spawn({
        let (stop, started) = (stop.clone(), started.clone());
        move || {
            while !stop.load(Ordering::SeqCst) {
                let answer =
                    crate::support::http::request(admin, "POST", "/api/v1/sender/send-now", b"");
                assert_eq!(answer.status, 202, "send-now: {}", answer.text());
                started.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    });
    std::thread::sleep(Duration::from_secs(2));

    // 1. The receiver's certificate is renewed in place (same files, new certificate and
    //    key) and the sender's successor certificate is mapped beside the old one.
    let renewed = ca.issue(&Leaf::server(), temp.path(), "receiver-renewed");
    std::fs::copy(&renewed.certificate, &server.certificate).expect("copy certificate");
    std::fs::copy(&renewed.key, &server.key).expect("copy key");
    let both = mapped(&server, &ca_path, &[SERIAL_OLD, SERIAL_NEW]);
    edit(&receiver, &tls, &both);
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 0, "reload: {out}{err}\nlog:\n{}", receiver.log());
    assert!(out.contains("applied: receiver.tls.client"), "{out}");
    assert!(!out.contains("needs a restart"), "{out}");
    let new_der = der(&renewed.certificate);
    assert_ne!(new_der, old_der);
    assert_eq!(
        presented(exchange, &ca_path, &old_client),
        new_der,
        "the renewed certificate is presented after the reload"
    );
    std::thread::sleep(Duration::from_secs(2));

    // 2. The sender moves to its new certificate, reloaded by SIGHUP.
    edit(
        &sender,
        &old_client.certificate.display().to_string(),
        &new_client.certificate.display().to_string(),
    );
    edit(
        &sender,
        &old_client.key.display().to_string(),
        &new_client.key.display().to_string(),
    );
    sender.hangup();
    wait_for(Duration::from_secs(10), || {
        (!audited_reloads(&sender).is_empty()).then_some(())
    })
    .unwrap_or_else(|| panic!("no reload audited:\n{}", sender.log()));
    let ready = sender.admin_get("/readyz").json();
    assert!(
        ready["certificates"][0]["subject"]
            .as_str()
            .is_some_and(|s| s.contains(SERIAL_NEW)),
        "the sender watches its new certificate: {ready:#}"
    );
    std::thread::sleep(Duration::from_secs(2));

    // 3. The old certificate's mapping goes.
    let only_new = mapped(&server, &ca_path, &[SERIAL_NEW]);
    edit(&receiver, &both, &only_new);
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 0, "reload: {out}{err}");
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    deliveries.join().expect("the delivery thread");
    let started = started.load(Ordering::SeqCst);
    assert!(started >= 6, "only {started} deliveries started");

    // Every delivery got through at its first attempt: none failed, none was retried.
    let counts = wait_for(Duration::from_secs(20), || {
        let counts = attempts(&sender);
        let delivered = counts.get("delivered").copied().unwrap_or(0.0);
        (delivered >= (started + 1) as f64).then_some(counts)
    })
    .unwrap_or_else(|| {
        panic!(
            "not every delivery arrived: {:?}\nsender log:\n{}\nreceiver log:\n{}",
            attempts(&sender),
            sender.log(),
            receiver.log()
        )
    });
    assert_eq!(
        counts.values().sum::<f64>(),
        counts["delivered"],
        "an attempt failed during the rotation: {counts:?}\nsender log:\n{}",
        sender.log()
    );
    assert_eq!(receiver.set_lots(), Some(LOTS));

    // The mapping change took effect: the old certificate may no longer deliver, the
    // new one may.
    let body = message(1);
    let old = tls_post(
        exchange,
        client_tls(&ca_path, Some(&old_client)),
        "localhost",
        &receiver.path,
        body.as_bytes(),
    )
    .expect("an answer");
    assert_eq!(old.status, 403, "{}", old.text());
    let new = tls_post(
        exchange,
        client_tls(&ca_path, Some(&new_client)),
        "localhost",
        &receiver.path,
        body.as_bytes(),
    )
    .expect("an answer");
    // Authorised: an acknowledgement (CE, for it is older than the sender's set).
    assert_eq!(new.status, 200, "{}", new.text());
    assert_ne!(ack(&new), "none", "{}", new.text());

    // Each reload is in the audit trail: two through the admin listener, one by signal.
    let audited = audited_reloads(&receiver);
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert!(
        audited.iter().all(|(_, outcome)| outcome == "ok"),
        "{audited:?}"
    );
    assert_eq!(
        audited_reloads(&sender),
        [("SIGHUP".to_owned(), "ok".to_owned())]
    );
}

#[test]
fn a_reload_that_fails_a_check_changes_nothing_and_says_why() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let ca = Ca::new("lotgate test CA");
    let ca_path = ca.write(dir, "ca");
    let server = ca.issue(&Leaf::server(), dir, "receiver");
    let client = ca.issue(&Leaf::client(SERIAL_OLD), dir, "sender");
    let tls = mapped(&server, &ca_path, &[SERIAL_OLD]);
    let mut receiver = start(dir, &receiver_config(dir, &tls, &file_mail(dir)));
    let exchange = SocketAddr::from(([127, 0, 0, 1], receiver.exchange.port()));
    let serving = der(&server.certificate);
    let path = receiver.path.clone();
    let deliver = |n: u32| {
        let body = message(n);
        tls_post(
            exchange,
            client_tls(&ca_path, Some(&client)),
            "localhost",
            &path,
            body.as_bytes(),
        )
        .expect("an answer")
    };

    // A broken key file (with a valid new certificate beside it): refused, by the command
    // line (exit 1, naming the key) and by SIGHUP; the old certificate keeps serving.
    let renewed = ca.issue(&Leaf::server(), dir, "receiver-renewed");
    std::fs::copy(&renewed.certificate, &server.certificate).expect("copy certificate");
    std::fs::write(
        &server.key,
        "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n",
    )
    .expect("break the key");
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 1, "reload: {out}{err}");
    assert!(err.contains("receiver.tls.private_key"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    let answer = receiver.admin_post("/api/v1/reload");
    assert_eq!(answer.status, 422, "{}", answer.text());
    let answer: ReloadAnswer = answer.answer();
    assert!(!answer.reloaded);
    assert!(
        answer
            .problems
            .iter()
            .any(|p| p.contains("receiver.tls.private_key")),
        "{answer:#?}"
    );
    receiver.hangup();
    wait_for(Duration::from_secs(10), || {
        (receiver
            .log()
            .matches("reload refused, nothing changed")
            .count()
            >= 3)
            .then_some(())
    })
    .unwrap_or_else(|| panic!("three refusals logged:\n{}", receiver.log()));
    assert!(
        receiver.is_running(),
        "a refused reload does not stop the gateway"
    );
    assert_eq!(presented(exchange, &ca_path, &client), serving);
    let answer = deliver(1);
    assert_eq!(ack(&answer), "CA", "{}", answer.text());

    // An invalid configuration: refused by the command line before it asks, and by the
    // gateway itself; the mapping stays.
    std::fs::copy(&renewed.key, &server.key).expect("a good key again");
    edit(
        &receiver,
        "[[receiver.tls.client]]",
        "[[receiver.tls.clients]]",
    );
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 1, "reload: {out}{err}");
    assert!(err.contains("invalid configuration"), "{err}");
    let answer = receiver.admin_post("/api/v1/reload");
    assert_eq!(answer.status, 422, "{}", answer.text());
    let answer = deliver(2);
    assert_eq!(ack(&answer), "CA", "{}", answer.text());
    assert_eq!(presented(exchange, &ca_path, &client), serving);
    edit(
        &receiver,
        "[[receiver.tls.clients]]",
        "[[receiver.tls.client]]",
    );

    // A new listen address needs a restart: reported, and the listener stays where it
    // is; the renewed certificate (now with its key) and a debug log filter are taken.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let other = busy.local_addr().expect("address");
    edit(
        &receiver,
        "[receiver]\nlisten = \"127.0.0.1:0\"",
        &format!("[receiver]\nlisten = \"{other}\""),
    );
    edit(&receiver, "log = \"warn\"", "log = \"lotgate=debug,warn\"");
    // A connection opened before the reload finishes on the TLS session it began with.
    let early =
        tls_connect(exchange, client_tls(&ca_path, Some(&client)), "localhost").expect("handshake");
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 0, "reload: {out}{err}");
    assert!(out.contains("needs a restart: receiver.listen"), "{out}");
    assert!(out.contains("applied: gateway.log"), "{out}");
    assert_eq!(
        presented(exchange, &ca_path, &client),
        der(&renewed.certificate)
    );
    assert_eq!(peer(&early), serving);
    let answer = tls_post_on(early, "localhost", &receiver.path, message(3).as_bytes())
        .expect("an answer on the connection opened before the reload");
    assert_eq!(ack(&answer), "CA", "{}", answer.text());
    let answer = deliver(4);
    assert_eq!(ack(&answer), "CA", "{}", answer.text());
    // The debug filter is in effect: a connection closed before its handshake is logged
    // at debug level only.
    drop(TcpStream::connect(exchange).expect("connect"));
    wait_for(Duration::from_secs(10), || {
        receiver
            .log()
            .contains("closed the connection before a TLS handshake began")
            .then_some(())
    })
    .unwrap_or_else(|| panic!("no debug line after the reload:\n{}", receiver.log()));
    drop(busy);

    let audited = audited_reloads(&receiver);
    let outcomes: Vec<&str> = audited.iter().map(|(_, o)| o.as_str()).collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "refused").count(),
        4,
        "{audited:?}"
    );
    assert!(
        audited.iter().any(|(client, _)| client == "SIGHUP"),
        "{audited:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == "ok").count(),
        1,
        "{audited:?}"
    );
}

#[test]
fn a_new_admin_token_is_taken_by_a_signal_and_the_command_line_says_so() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path();
    let token_file = dir.join("admin-token");
    std::fs::write(&token_file, "old-admin-token\n").expect("write token");
    let config = receiver_config(dir, "", &file_mail(dir)).replacen(
        "listen = \"127.0.0.1:0\"",
        &format!(
            "listen = \"127.0.0.1:0\"\ntoken_file = \"{}\"",
            token_file.display()
        ),
        1,
    );
    let receiver = start(dir, &config);
    let reload_with = |token: &str| {
        request_with(
            receiver.admin,
            "POST",
            "/api/v1/reload",
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        )
        .status
    };
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 0, "reload with the token in force: {out}{err}");

    // The file now holds a new token, which the running gateway does not know yet: the
    // command line is refused and says how the new token is taken.
    std::fs::write(&token_file, "new-admin-token\n").expect("write token");
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 2, "reload with a token not yet in force: {out}{err}");
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(err.contains("kill --signal=HUP lotgate"), "{err}");
    assert_eq!(reload_with("new-admin-token"), 401);

    // A signal reloads without the token; from then on only the new one is accepted.
    receiver.hangup();
    wait_for(Duration::from_secs(10), || {
        (reload_with("new-admin-token") == 200).then_some(())
    })
    .unwrap_or_else(|| panic!("the new token was not taken:\n{}", receiver.log()));
    assert_eq!(reload_with("old-admin-token"), 401);
    let (code, out, err) = reload(&receiver);
    assert_eq!(code, 0, "reload with the new token: {out}{err}");
    assert!(
        audited_reloads(&receiver)
            .iter()
            .any(|(client, outcome)| client == "SIGHUP" && outcome == "ok"),
        "{:?}",
        audited_reloads(&receiver)
    );
}
