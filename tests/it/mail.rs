//! Alert email end to end: the `.eml` file transport, SMTP to a real aiosmtpd, and the
//! outbox worker while SMTP is down and after it is back.

use crate::support::pki::{Ca, Leaf};
use crate::support::smtp::{Received, SmtpServer};
use chrono::{DateTime, Utc};
use lotgate::config::{
    EmailAddress, MailConfig, MailTransport, SecretSource, SmtpConfig, SmtpCredentials,
    SmtpSecurity,
};
use lotgate::language::Language;
use lotgate::mail::{
    self, Mail, Outbox, Pending, RetryPolicy, SendErrorKind, Stopped, Transport, Tries,
};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(5);

fn from() -> EmailAddress {
    EmailAddress::parse("lotgate <lotgate@example.org>").expect("an address")
}

fn alert(id: &str) -> Mail {
    let created_at = DateTime::parse_from_rfc3339("2026-03-29T05:00:00Z")
        .expect("a time")
        .with_timezone(&Utc);
    Mail::new(
        id,
        vec![
            "Beheer <beheer@example.org>".to_owned(),
            "\"Zoë de Vries (JGZ)\" <zoe@example.nl>".to_owned(),
        ],
        format!("Partijnummers niet afgeleverd aan GGD Fryslân ({id})"),
        "Geachte beheerder,\n\nDe levering aan GGD Fryslân is om 07:00 nog niet gelukt.\n\
         Coördinatie: geëscaleerd. Ürgent? Ja — één bestemming.\n",
        created_at,
    )
    .expect("a valid mail")
}

fn smtp(port: u16, security: SmtpSecurity, credentials: Option<SmtpCredentials>) -> Transport {
    smtp_trusting(port, security, credentials, Vec::new())
}

/// An SMTP transport to 127.0.0.1 that verifies the server against the CA certificates
/// in `roots` (the system's roots when empty).
fn smtp_trusting(
    port: u16,
    security: SmtpSecurity,
    credentials: Option<SmtpCredentials>,
    roots: Vec<PathBuf>,
) -> Transport {
    Transport::from_config(&MailConfig {
        from: from(),
        transport: MailTransport::Smtp(SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port,
            security,
            credentials,
            timeout: LIMIT,
            roots,
        }),
        timing: Default::default(),
    })
    .expect("an SMTP transport")
}

fn file_transport(dir: PathBuf) -> Transport {
    Transport::from_config(&MailConfig {
        from: from(),
        transport: MailTransport::File { dir },
        timing: Default::default(),
    })
    .expect("a file transport")
}

/// The outbox in memory; every change is published so tests can wait for it.
struct MemoryOutbox {
    state: watch::Sender<State>,
}

#[derive(Default)]
struct State {
    pending: Vec<Pending>,
    sent: Vec<String>,
    failed: Vec<(String, String)>,
    /// How often the worker read the outbox: one per pass.
    passes: usize,
}

impl MemoryOutbox {
    fn new(mails: Vec<Mail>) -> MemoryOutbox {
        let (state, _) = watch::channel(State {
            pending: mails.into_iter().map(Pending::new).collect(),
            ..State::default()
        });
        MemoryOutbox { state }
    }

    fn queue(&self, mail: Mail) {
        self.state
            .send_modify(|s| s.pending.push(Pending::new(mail)));
    }

    fn ids(&self, which: impl Fn(&State) -> Vec<String>) -> Vec<String> {
        which(&self.state.borrow())
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&State) -> bool) {
        let mut watcher = self.state.subscribe();
        tokio::time::timeout(LIMIT, watcher.wait_for(|s| done(s)))
            .await
            .unwrap_or_else(|_| panic!("not within {LIMIT:?}: {what}"))
            .expect("the outbox lives");
    }
}

impl Outbox for MemoryOutbox {
    type Error = Infallible;

    fn pending(&self) -> Result<Vec<Pending>, Infallible> {
        self.state.send_modify(|s| s.passes += 1);
        Ok(self.state.borrow().pending.clone())
    }

    fn sent(&self, id: &str) -> Result<(), Infallible> {
        self.state.send_modify(|s| {
            s.pending.retain(|p| p.mail.id() != id);
            s.sent.push(id.to_owned());
        });
        Ok(())
    }

    fn sent_partly(&self, id: &str, refused: &Mail, reason: &str) -> Result<(), Infallible> {
        self.state.send_modify(|s| {
            s.pending.retain(|p| p.mail.id() != id);
            s.sent.push(id.to_owned());
            s.failed.push((
                format!("{id} to {}", refused.to().join(", ")),
                reason.to_owned(),
            ));
        });
        Ok(())
    }

    fn tried(&self, id: &str, tries: &Tries) -> Result<(), Infallible> {
        self.state.send_modify(|s| {
            for p in s.pending.iter_mut().filter(|p| p.mail.id() == id) {
                p.tries = tries.clone();
            }
        });
        Ok(())
    }

    fn failed(&self, id: &str, reason: &str) -> Result<(), Infallible> {
        self.state.send_modify(|s| {
            s.pending.retain(|p| p.mail.id() != id);
            s.failed.push((id.to_owned(), reason.to_owned()));
        });
        Ok(())
    }
}

fn pending(s: &State) -> Vec<String> {
    s.pending.iter().map(|p| p.mail.id().to_owned()).collect()
}

/// One pass over the outbox, now, giving up on refused mails after a week.
async fn drain(outbox: &MemoryOutbox, transport: &Transport) -> mail::DrainReport<Infallible> {
    mail::drain_once(
        outbox,
        transport,
        &from(),
        Utc::now(),
        RetryPolicy::default().give_up_after,
        Language::En,
    )
    .await
}

fn message_ids(server: &SmtpServer) -> Vec<String> {
    let messages = server.messages();
    messages
        .iter()
        .map(|m| m.message_id().expect("a Message-ID"))
        .collect()
}

#[tokio::test]
async fn the_file_transport_writes_one_eml_per_mail_idempotently() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data/mail");
    let transport = file_transport(dir.clone());
    let mail = alert("escalation-1");
    transport.send(&mail, &from()).await.expect("written");
    let first = std::fs::read(dir.join("escalation-1.eml")).expect("the .eml file");
    transport.send(&mail, &from()).await.expect("written again");

    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the directory exists")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["escalation-1.eml"], "one file, no temporary left");
    let again = std::fs::read(dir.join("escalation-1.eml")).expect("the .eml file");
    assert_eq!(again, first, "rewriting gives the same bytes");

    let eml = Received::parse(std::str::from_utf8(&first).expect("7-bit text"));
    assert_eq!(eml.message_id().as_deref(), Some("<escalation-1@lotgate>"));
    assert_eq!(eml.subject().as_deref(), Some(mail.subject()));
    assert_eq!(eml.body(), mail.body());
}

#[tokio::test]
async fn smtp_delivers_message_id_subject_recipients_and_a_utf8_body() {
    let server = SmtpServer::start();
    let transport = smtp(server.port(), SmtpSecurity::Plain, None);
    let mail = alert("rejected-7");
    transport.send(&mail, &from()).await.expect("accepted");

    let received = server.messages();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.message_id().as_deref(), Some("<rejected-7@lotgate>"));
    assert_eq!(got.subject().as_deref(), Some(mail.subject()));
    assert_eq!(
        got.to().as_deref(),
        Some("Beheer <beheer@example.org>, Zoë de Vries (JGZ) <zoe@example.nl>")
    );
    assert_eq!(
        got.envelope_recipients(),
        ["beheer@example.org", "zoe@example.nl"]
    );
    assert_eq!(
        got.header("X-MailFrom").as_deref(),
        Some("lotgate@example.org")
    );
    assert_eq!(
        got.header("Date").as_deref(),
        Some("Sun, 29 Mar 2026 05:00:00 +0000")
    );
    // lettre ends DATA with "\r\n.\r\n" even after a final line break, so one
    // empty line more arrives: compare without trailing line breaks.
    assert_eq!(got.body().trim_end(), mail.body().trim_end());
    assert!(got.raw().is_ascii(), "7-bit clean on the wire");
}

#[tokio::test]
async fn with_smtp_down_a_pass_stops_and_keeps_every_mail() {
    let mut server = SmtpServer::start();
    server.stop();
    let transport = smtp(server.port(), SmtpSecurity::Plain, None);
    let outbox = MemoryOutbox::new(vec![alert("a-1"), alert("a-2")]);

    let report = drain(&outbox, &transport).await;
    assert!(report.sent.is_empty() && report.failed.is_empty());
    let Some(Stopped::Transient { id, error }) = report.stopped else {
        panic!("expected a transient stop, got {:?}", report.stopped);
    };
    assert_eq!(id, "a-1", "the first mail, and no attempt at the second");
    let text = error.to_string();
    assert!(
        text.contains(&format!("127.0.0.1:{}", server.port())),
        "{text}"
    );
    assert_eq!(outbox.ids(pending), ["a-1", "a-2"]);
    assert!(outbox.ids(|s| s.sent.clone()).is_empty());
}

#[tokio::test]
async fn security_and_login_failures_are_transient() {
    let server = SmtpServer::start();
    let temp = tempfile::tempdir().expect("temp dir");
    let password_file = temp.path().join("smtp-password");
    std::fs::write(&password_file, "geheim-wachtwoord\n").expect("write");
    let login = SmtpCredentials {
        username: "lotgate".to_owned(),
        password: SecretSource::File(password_file),
    };
    // aiosmtpd offers neither STARTTLS nor AUTH, and speaks no TLS on its port.
    for (what, transport) in [
        (
            "STARTTLS",
            smtp(server.port(), SmtpSecurity::StartTls, None),
        ),
        ("TLS", smtp(server.port(), SmtpSecurity::Tls, None)),
        (
            "login",
            smtp(server.port(), SmtpSecurity::Plain, Some(login)),
        ),
    ] {
        let debug = format!("{transport:?}");
        assert!(!debug.contains("geheim"), "{debug}");
        let error = transport
            .send(&alert("m-1"), &from())
            .await
            .expect_err(what);
        assert_eq!(error.kind(), SendErrorKind::Transient, "{what}: {error}");
        assert!(!error.to_string().contains("geheim"), "{error}");
    }
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn starttls_and_tls_are_verified_against_the_configured_roots() {
    let temp = tempfile::tempdir().expect("temp dir");
    let ca = Ca::new("mail CA");
    let roots = vec![ca.write(temp.path(), "mail-ca")];
    let stranger = vec![Ca::new("another CA").write(temp.path(), "other-ca")];
    let server = ca.issue(&Leaf::server(), temp.path(), "smtp");

    let starttls = SmtpServer::start_with_starttls(&server.certificate, &server.key);
    let untrusted = smtp_trusting(
        starttls.port(),
        SmtpSecurity::StartTls,
        None,
        stranger.clone(),
    );
    let error = untrusted
        .send(&alert("m-untrusted"), &from())
        .await
        .expect_err("a server certificate from a CA we do not trust");
    assert_eq!(error.kind(), SendErrorKind::Transient, "{error}");
    assert!(
        starttls.messages().is_empty(),
        "nothing sent to an untrusted server"
    );
    let trusted = smtp_trusting(starttls.port(), SmtpSecurity::StartTls, None, roots.clone());
    trusted
        .send(&alert("m-starttls"), &from())
        .await
        .expect("sent over STARTTLS");
    assert_eq!(message_ids(&starttls), ["<m-starttls@lotgate>"]);

    let smtps = SmtpServer::start_with_smtps(&server.certificate, &server.key);
    let error = smtp_trusting(smtps.port(), SmtpSecurity::Tls, None, stranger)
        .send(&alert("m-untrusted"), &from())
        .await
        .expect_err("untrusted");
    assert_eq!(error.kind(), SendErrorKind::Transient, "{error}");
    smtp_trusting(smtps.port(), SmtpSecurity::Tls, None, roots)
        .send(&alert("m-tls"), &from())
        .await
        .expect("sent over TLS");
    assert_eq!(message_ids(&smtps), ["<m-tls@lotgate>"]);
}

#[tokio::test]
async fn undeliverable_mails_are_moved_aside_and_the_rest_is_sent() {
    let server = SmtpServer::start_with_size_limit(4000);
    let transport = smtp(server.port(), SmtpSecurity::Plain, None);
    let bad_address = Mail::new(
        "bad-address",
        vec!["not an address".to_owned()],
        "Onbezorgbaar",
        "tekst",
        Utc::now(),
    )
    .expect("a valid id");
    let too_large = Mail::new(
        "too-large",
        vec!["beheer@example.org".to_owned()],
        "Te groot",
        "partijnummer ASPNA186DF\n".repeat(400),
        Utc::now(),
    )
    .expect("a valid id");
    let outbox = MemoryOutbox::new(vec![bad_address, too_large, alert("good-1")]);

    let report = drain(&outbox, &transport).await;
    assert!(report.is_complete());
    assert_eq!(report.sent, ["good-1"]);
    let failed: Vec<&str> = report.failed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(failed, ["bad-address", "too-large"]);
    assert!(
        report
            .failed
            .iter()
            .all(|(_, e)| e.kind() == SendErrorKind::Undeliverable)
    );
    let reasons = outbox.ids(|s| s.failed.iter().map(|(_, why)| why.clone()).collect());
    assert!(reasons[0].contains("\"not an address\""), "{reasons:?}");
    // aiosmtpd's own 5xx answer at the end of DATA.
    assert!(
        reasons[1].contains("refused it: permanent error (552)"),
        "{reasons:?}"
    );
    assert!(outbox.ids(pending).is_empty());
    assert_eq!(message_ids(&server), ["<good-1@lotgate>"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_retries_while_smtp_is_down_and_delivers_each_mail_once() {
    let mut server = SmtpServer::start();
    server.stop();
    let outbox = Arc::new(MemoryOutbox::new(vec![alert("w-1")]));
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let policy = RetryPolicy {
        first_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    let started = std::time::Instant::now();
    let worker = tokio::spawn({
        let (outbox, wake) = (Arc::clone(&outbox), Arc::clone(&wake));
        let transport = smtp(server.port(), SmtpSecurity::Plain, None);
        async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            let route = lotgate::live::Live::new(mail::Route {
                transport,
                from: from(),
                policy,
            });
            let settings = mail::Settings {
                language: Language::En,
                role: "sender",
                metrics: lotgate::metrics::Metrics::default(),
            };
            let liveness = lotgate::systemd::Liveness::default();
            let beat = liveness.register("mail worker", Duration::from_secs(60));
            mail::run(&*outbox, &route, &settings, &wake, &beat, shutdown).await;
        }
    });

    // Down: the worker tries at start and again after 50 and 100 ms more.
    outbox
        .wait_for("three failed passes", |s| s.passes >= 3)
        .await;
    outbox.queue(alert("w-2"));
    wake.notify_one();
    outbox
        .wait_for("a pass after the wake", |s| s.passes >= 4)
        .await;
    assert_eq!(outbox.ids(pending), ["w-1", "w-2"]);

    server.restart();
    outbox
        .wait_for("both mails sent", |s| s.pending.is_empty())
        .await;
    let (passes, outage) = (outbox.state.borrow().passes, started.elapsed());
    assert_eq!(outbox.ids(|s| s.sent.clone()), ["w-1", "w-2"]);

    // Back to idle: a new mail goes out as soon as the worker is woken.
    outbox.queue(alert("w-3"));
    wake.notify_one();
    outbox
        .wait_for("the third mail sent", |s| s.pending.is_empty())
        .await;

    stop.send(()).expect("the worker runs");
    tokio::time::timeout(LIMIT, worker)
        .await
        .expect("the worker stops")
        .expect("the worker did not panic");
    assert_eq!(
        message_ids(&server),
        ["<w-1@lotgate>", "<w-2@lotgate>", "<w-3@lotgate>"],
        "every mail exactly once, in order"
    );
    // No busy loop: at most one pass per 50 ms of outage, plus the wake and the last.
    let most = outage.as_millis() / 50 + 3;
    assert!(passes as u128 <= most, "{passes} passes in {outage:?}");
}

/// A mail to two recipients: one the scripted server accepts, one whose local part
/// starts with "refused".
fn to_two(id: &str) -> Mail {
    Mail::new(
        id,
        vec![
            "Beheer <beheer@example.org>".to_owned(),
            "refused-jgz@example.org".to_owned(),
        ],
        "Partijnummers niet afgeleverd",
        "Geachte beheerder,\n",
        Utc::now(),
    )
    .expect("a valid mail")
}

#[tokio::test]
async fn each_smtp_answer_means_what_it_says_for_the_mail() {
    use lotgate::mail::SendErrorKind::{Refused, Transient, Undeliverable};
    // The server refuses every recipient: it refuses us (a relay rule), not this mail.
    let server = SmtpServer::start_scripted("rcpt-550-all");
    let error = smtp(server.port(), SmtpSecurity::Plain, None)
        .send(&alert("m-1"), &from())
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), Refused, "{error}");
    assert!(
        error.to_string().contains("refused every recipient") && error.to_string().contains("550"),
        "{error}"
    );
    assert!(server.messages().is_empty());

    // One of two recipients refused: the other gets the mail, the refused one is named.
    let server = SmtpServer::start_scripted("rcpt-550-one");
    let accepted = smtp(server.port(), SmtpSecurity::Plain, None)
        .send(&to_two("m-2"), &from())
        .await
        .expect("sent to one");
    assert_eq!(accepted.refused.len(), 1, "{accepted:?}");
    assert_eq!(accepted.refused[0].0, "refused-jgz@example.org");
    assert!(accepted.refused[0].1.contains("550"), "{accepted:?}");
    let received = server.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].envelope_recipients(), ["beheer@example.org"]);

    // A login refused with 535: our configuration.
    let temp = tempfile::tempdir().expect("temp dir");
    let password_file = temp.path().join("smtp-password");
    std::fs::write(&password_file, "geheim-wachtwoord\n").expect("write");
    let login = SmtpCredentials {
        username: "lotgate".to_owned(),
        password: SecretSource::File(password_file),
    };
    let server = SmtpServer::start_scripted("auth-535");
    let error = smtp(server.port(), SmtpSecurity::Plain, Some(login))
        .send(&alert("m-3"), &from())
        .await
        .expect_err("login refused");
    assert_eq!(error.kind(), Refused, "{error}");
    assert!(
        error.to_string().contains("our login") && error.to_string().contains("535"),
        "{error}"
    );
    assert!(!error.to_string().contains("geheim"), "{error}");

    // Refused after DATA: this mail.
    let server = SmtpServer::start_scripted("data-554");
    let error = smtp(server.port(), SmtpSecurity::Plain, None)
        .send(&alert("m-4"), &from())
        .await
        .expect_err("refused after DATA");
    assert_eq!(error.kind(), Undeliverable, "{error}");
    assert!(error.to_string().contains("554"), "{error}");

    // Greylisted: 451 first, then accepted.
    let server = SmtpServer::start_scripted("greylist");
    let transport = smtp(server.port(), SmtpSecurity::Plain, None);
    let error = transport
        .send(&alert("m-5"), &from())
        .await
        .expect_err("greylisted");
    assert_eq!(error.kind(), Transient, "{error}");
    assert!(error.to_string().contains("451"), "{error}");
    transport
        .send(&alert("m-5"), &from())
        .await
        .expect("accepted the second time");
    assert_eq!(message_ids(&server), ["<m-5@lotgate>"]);

    // A server that accepts the connection and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = silent.local_addr().expect("address").port();
    let started = std::time::Instant::now();
    let error = Transport::from_config(&MailConfig {
        from: from(),
        transport: MailTransport::Smtp(SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port,
            security: SmtpSecurity::Plain,
            credentials: None,
            timeout: Duration::from_secs(1),
            roots: Vec::new(),
        }),
        timing: Default::default(),
    })
    .expect("a transport")
    .send(&alert("m-6"), &from())
    .await
    .expect_err("no answer");
    assert_eq!(error.kind(), Transient, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the timeout"
    );
    drop(silent);
}

#[tokio::test]
async fn what_went_wrong_is_kept_in_the_configured_language() {
    let server = SmtpServer::start_scripted("rcpt-550-all");
    let transport = smtp(server.port(), SmtpSecurity::Plain, None);
    let outbox = MemoryOutbox::new(vec![alert("r-1")]);
    let week = RetryPolicy::default().give_up_after;
    let start = Utc::now();
    mail::drain_once(&outbox, &transport, &from(), start, week, Language::Nl).await;
    let tries = outbox.state.borrow().pending[0].tries.clone();
    let error = tries.last_error.expect("the try is recorded");
    assert!(
        error.starts_with("mail r-1: SMTP server 127.0.0.1:")
            && error.contains("weigerde elke ontvanger: "),
        "{error}"
    );
    let later = start + chrono::TimeDelta::from_std(week).expect("a week");
    mail::drain_once(&outbox, &transport, &from(), later, week, Language::Nl).await;
    let reasons = outbox.ids(|s| s.failed.iter().map(|(_, why)| why.clone()).collect());
    assert!(
        reasons[0]
            .starts_with("opgegeven nadat de server hem 7days weigerde (2 pogingen): mail r-1:"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_pass_keeps_refused_mails_with_their_tries_and_gives_up_after_the_limit() {
    let server = SmtpServer::start_scripted("rcpt-550-all");
    let transport = smtp(server.port(), SmtpSecurity::Plain, None);
    let outbox = MemoryOutbox::new(vec![alert("r-1"), alert("r-2")]);
    let week = RetryPolicy::default().give_up_after;
    let start = Utc::now();
    let report = mail::drain_once(&outbox, &transport, &from(), start, week, Language::En).await;
    assert!(matches!(report.stopped, Some(Stopped::Refused { ref id, .. }) if id == "r-1"));
    let tries = outbox.state.borrow().pending[0].tries.clone();
    assert_eq!((tries.count, tries.refused_since), (1, Some(start)));
    assert!(
        tries
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("550"))
    );
    assert_eq!(outbox.ids(pending), ["r-1", "r-2"], "both kept, in order");

    // Refused again a week later: given up on, and the next mail is tried.
    let later = start + chrono::TimeDelta::from_std(week).expect("a week");
    let report = mail::drain_once(&outbox, &transport, &from(), later, week, Language::En).await;
    let failed: Vec<&str> = report.failed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(failed, ["r-1"]);
    let reasons = outbox.ids(|s| s.failed.iter().map(|(_, why)| why.clone()).collect());
    assert!(
        reasons[0].starts_with("given up after the server refused it for 7days (2 tries)"),
        "{reasons:?}"
    );
    assert!(matches!(report.stopped, Some(Stopped::Refused { ref id, .. }) if id == "r-2"));
    assert_eq!(outbox.ids(pending), ["r-2"]);

    // A partly refused mail: sent, with a dead copy for the refused recipient.
    let server = SmtpServer::start_scripted("rcpt-550-one");
    let transport = smtp(server.port(), SmtpSecurity::Plain, None);
    let outbox = MemoryOutbox::new(vec![to_two("p-1")]);
    let report = drain(&outbox, &transport).await;
    assert!(report.is_complete());
    assert_eq!(report.sent, ["p-1"]);
    let failed = outbox.ids(|s| s.failed.iter().map(|(what, _)| what.clone()).collect());
    assert_eq!(failed, ["p-1 to refused-jgz@example.org"]);
}
