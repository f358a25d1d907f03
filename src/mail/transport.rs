//! [`Transport`]: how a [`Mail`] leaves the process — an SMTP conversation, or an
//! `.eml` file per mail for local use.
//!
//! SMTP uses lettre's connection directly, one command at a time, rather than its
//! pooled transport: one connection per send keeps a failure in one conversation from
//! leaking into the next, and the phases can be told apart. What a failure means
//! ([`SendErrorKind`](super::SendErrorKind)):
//! - a permanent (5xx) answer when we connect, log in, give our sender address
//!   (`MAIL FROM`), or name every recipient (`RCPT TO`) refuses *us*: a configuration
//!   problem, **refused**;
//! - a permanent answer to one recipient among several is noted in [`Accepted`]: the
//!   others still get the mail;
//! - a permanent answer to `DATA` or the message refuses this mail: **undeliverable**;
//! - anything else — a 4xx answer, the network, TLS, the timeout over the whole
//!   conversation — is **transient**.
//!
//! Once the server has taken the mail, `QUIT` goes on in a task of its own, so that the
//! caller can record the mail as sent at once. The texts of a failure are in both
//! languages; the server's answer is quoted as it came.

use super::{Mail, SendError};
use crate::config::{EmailAddress, MailConfig, MailTransport, SmtpConfig, SmtpSecurity};
use crate::language::Text;
use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{self, Data, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The way out for alert emails, built once from `[mail]`.
pub struct Transport {
    inner: Inner,
}

enum Inner {
    File { dir: PathBuf },
    Smtp(Smtp),
}

struct Smtp {
    host: String,
    port: u16,
    security: SmtpSecurity,
    /// Set for STARTTLS and implicit TLS.
    tls: Option<TlsParameters>,
    credentials: Option<(String, Credentials)>,
    timeout: Duration,
    hello: ClientId,
}

/// Why a transport could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The SMTP password could not be read (the message names the file or variable).
    #[error("mail.smtp: {0}")]
    Secret(#[from] crate::secret::SecretError),
    /// TLS towards the SMTP server could not be set up.
    #[error("mail.smtp: TLS towards {host} cannot be set up: {reason}")]
    Tls {
        /// The configured host.
        host: String,
        /// What lettre or rustls said.
        reason: String,
    },
}

impl Transport {
    /// The transport `[mail]` describes. Reads the SMTP password now (so a missing one
    /// is found at start-up) and prepares TLS; opens no connection and creates no
    /// directory yet.
    pub fn from_config(config: &MailConfig) -> Result<Transport, TransportError> {
        let inner = match &config.transport {
            MailTransport::File { dir } => Inner::File { dir: dir.clone() },
            MailTransport::Smtp(smtp) => Inner::Smtp(Smtp::new(smtp)?),
        };
        Ok(Transport { inner })
    }

    /// Sends one mail from `from`. On success the transport has accepted it for at
    /// least one recipient: the SMTP server answered `250` to the data, or the `.eml`
    /// file is in place; [`Accepted::refused`] names the recipients the server refused
    /// for good.
    pub async fn send(&self, mail: &Mail, from: &EmailAddress) -> Result<Accepted, SendError> {
        let message = mail.to_message(from)?;
        match &self.inner {
            Inner::File { dir } => write_eml(dir, mail.id(), &message)
                .await
                .map(|()| Accepted::default()),
            Inner::Smtp(smtp) => smtp.send(mail.id(), &message).await,
        }
    }
}

/// What the transport did with a mail it accepted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// Recipients the server refused for good, each with its answer; every other
    /// recipient got the mail.
    pub refused: Vec<(String, String)>,
}

impl Accepted {
    /// The refused recipients with the server's answers: `to: answer; …`.
    pub fn answers(&self) -> String {
        self.refused
            .iter()
            .map(|(to, answer)| format!("{to}: {answer}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Shows where mail goes, never the password.
impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::File { dir } => f.debug_struct("Transport::File").field("dir", dir).finish(),
            Inner::Smtp(smtp) => f
                .debug_struct("Transport::Smtp")
                .field("host", &smtp.host)
                .field("port", &smtp.port)
                .field("security", &smtp.security)
                .field("username", &smtp.credentials.as_ref().map(|(user, _)| user))
                .field("timeout", &smtp.timeout)
                .finish(),
        }
    }
}

/// Writes `<dir>/<id>.eml` through a temporary file and a rename, so the file is
/// either absent or complete, and writing the same mail again replaces it with the
/// same bytes. Any I/O failure is transient: the mail stays in the outbox.
async fn write_eml(dir: &Path, id: &str, message: &Message) -> Result<(), SendError> {
    let fail = |what: Text, path: &Path, e: std::io::Error| {
        SendError::transient(what.map(|language, what| {
            format!(
                "mail {id}: {} {what} {}: {e}",
                language.pick("kan niet", "cannot"),
                path.display()
            )
        }))
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| fail(Text::new("de map aanmaken", "create the directory"), dir, e))?;
    let path = dir.join(format!("{id}.eml"));
    // A dot file: no reader that looks for `*.eml` picks up a half-written one.
    let temp = dir.join(format!(".{id}.eml.tmp"));
    let mut file = tokio::fs::File::create(&temp)
        .await
        .map_err(|e| fail(Text::new("aanmaken", "create"), &temp, e))?;
    let bytes = message.formatted();
    {
        use tokio::io::AsyncWriteExt;
        file.write_all(&bytes)
            .await
            .map_err(|e| fail(Text::new("schrijven", "write"), &temp, e))?;
    }
    file.sync_all()
        .await
        .map_err(|e| fail(Text::new("schrijven", "write"), &temp, e))?;
    drop(file);
    tokio::fs::rename(&temp, &path).await.map_err(|e| {
        fail(
            Text::new("de naam van het bestand wijzigen in", "rename the file to"),
            &path,
            e,
        )
    })
}

impl Smtp {
    fn new(config: &SmtpConfig) -> Result<Smtp, TransportError> {
        let tls = match config.security {
            SmtpSecurity::Plain => None,
            SmtpSecurity::StartTls | SmtpSecurity::Tls => {
                Some(tls_parameters(&config.host, &config.roots)?)
            }
        };
        let credentials = match &config.credentials {
            Some(login) => {
                if let crate::config::SecretSource::File(path) = &login.password {
                    crate::secret::warn_if_readable_by_others(path, "mail.smtp.password_file");
                }
                let password = crate::secret::read(&login.password)?;
                Some((
                    login.username.clone(),
                    Credentials::new(login.username.clone(), password),
                ))
            }
            None => None,
        };
        Ok(Smtp {
            host: config.host.clone(),
            port: config.port,
            security: config.security,
            tls,
            credentials,
            timeout: config.timeout,
            hello: ClientId::default(),
        })
    }

    async fn send(&self, id: &str, message: &Message) -> Result<Accepted, SendError> {
        let server = format!("SMTP server {}:{}", self.host, self.port);
        match tokio::time::timeout(self.timeout, self.converse(message)).await {
            Ok(Ok(accepted)) => Ok(accepted),
            Ok(Err(failure)) => Err(failure.describe(id, &server)),
            Err(_) => Err(SendError::transient(Text::new(
                format!(
                    "mail {id}: {server} was niet klaar binnen {:?}",
                    self.timeout
                ),
                format!(
                    "mail {id}: {server} did not finish within {:?}",
                    self.timeout
                ),
            ))),
        }
    }

    /// One SMTP conversation: connect, secure, log in, `MAIL FROM`, `RCPT TO` one
    /// recipient at a time, `DATA`. The `QUIT` goes on in the background once the server
    /// has taken the mail, so that the caller can record it as sent at once (a kill in
    /// between sends it again: the window is one round trip, not two).
    async fn converse(&self, message: &Message) -> Result<Accepted, Failure> {
        let wrapped = match self.security {
            SmtpSecurity::Tls => self.tls.clone(),
            SmtpSecurity::StartTls | SmtpSecurity::Plain => None,
        };
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            wrapped,
            None,
        )
        .await
        .map_err(|e| Failure::new(Phase::Connect, e))?;
        if let (SmtpSecurity::StartTls, Some(tls)) = (self.security, &self.tls) {
            // lettre refuses when the server does not offer STARTTLS: no downgrade.
            let upgraded = conn.starttls(tls.clone(), &self.hello).await;
            if let Err(e) = upgraded {
                // No `abort` (QUIT) here: after a failed handshake lettre has no stream
                // left and would panic writing to it; dropping the connection closes it.
                drop(conn);
                return Err(Failure::new(Phase::Connect, e));
            }
        }
        if let Some((_, credentials)) = &self.credentials {
            let login = conn
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await;
            if let Err(e) = login {
                conn.abort().await;
                return Err(Failure::new(Phase::Login, e));
            }
        }
        let result = transaction(&mut conn, message).await;
        match result {
            Ok(accepted) => {
                // The server has taken the mail; a failing QUIT changes nothing.
                tokio::spawn(async move {
                    let _ = conn.quit().await;
                });
                Ok(accepted)
            }
            Err(failure) => {
                conn.abort().await;
                Err(failure)
            }
        }
    }
}

/// The mail transaction: `MAIL FROM`, one `RCPT TO` per recipient (a permanent refusal
/// of one recipient is noted and the others still get the mail; a temporary one puts
/// off the whole mail), `DATA` and the message.
async fn transaction(
    conn: &mut AsyncSmtpConnection,
    message: &Message,
) -> Result<Accepted, Failure> {
    let envelope = message.envelope();
    let mut options = Vec::new();
    if envelope
        .to()
        .iter()
        .any(|a| !AsRef::<str>::as_ref(a).is_ascii())
        || envelope
            .from()
            .is_some_and(|a| !AsRef::<str>::as_ref(a).is_ascii())
    {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(Failure::Unwritable(Text::new(
                "een adres is niet ASCII en de server biedt geen SMTPUTF8",
                "an address is not ASCII and the server does not offer SMTPUTF8",
            )));
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    let formatted = message.formatted();
    if !formatted.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(Failure::Unwritable(Text::new(
                "het bericht is niet 7-bits en de server biedt geen 8BITMIME",
                "the message is not 7-bit and the server does not offer 8BITMIME",
            )));
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(commands::Mail::new(envelope.from().cloned(), options))
        .await
        .map_err(|e| Failure::new(Phase::Sender, e))?;
    let mut refused = Vec::new();
    for to in envelope.to() {
        match conn.command(Rcpt::new(to.clone(), vec![])).await {
            Ok(_) => {}
            Err(e) if e.is_permanent() => refused.push((to.to_string(), e.to_string())),
            Err(e) => return Err(Failure::new(Phase::Recipient, e)),
        }
    }
    let accepted = Accepted { refused };
    if accepted.refused.len() == envelope.to().len() {
        return Err(Failure::AllRecipients(accepted.answers()));
    }
    conn.command(Data)
        .await
        .map_err(|e| Failure::new(Phase::Data, e))?;
    conn.message(&formatted)
        .await
        .map_err(|e| Failure::new(Phase::Data, e))?;
    Ok(accepted)
}

/// Where in the conversation lettre failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connecting, the greeting, `EHLO`, STARTTLS.
    Connect,
    /// `AUTH`.
    Login,
    /// `MAIL FROM`.
    Sender,
    /// `RCPT TO` (a temporary answer: permanent ones are counted per recipient).
    Recipient,
    /// `DATA` and the message.
    Data,
}

/// Why a conversation failed.
enum Failure {
    /// lettre's error in a phase.
    Smtp(Phase, lettre::transport::smtp::Error),
    /// Every recipient was refused for good (their answers).
    AllRecipients(String),
    /// The mail cannot be written for this server.
    Unwritable(Text),
}

impl Failure {
    fn new(phase: Phase, error: lettre::transport::smtp::Error) -> Self {
        Failure::Smtp(phase, error)
    }

    /// What the failure means for the mail: a permanent answer before the data refuses
    /// us (a configuration problem); one to the data refuses this mail; anything else
    /// (a 4xx answer, the network, TLS, a timeout) is transient.
    fn describe(self, id: &str, server: &str) -> SendError {
        match self {
            Failure::Smtp(Phase::Data, e) if e.is_permanent() => {
                SendError::undeliverable(Text::new(
                    format!("mail {id}: {server} weigerde hem: {e}"),
                    format!("mail {id}: {server} refused it: {e}"),
                ))
            }
            Failure::Smtp(phase, e) if e.is_permanent() => {
                let when = match phase {
                    Phase::Connect => Text::new("toen we verbinding maakten", "when we connected"),
                    Phase::Login => Text::new("onze aanmelding", "our login"),
                    Phase::Sender => Text::new(
                        "ons afzenderadres (MAIL FROM)",
                        "our sender address (MAIL FROM)",
                    ),
                    Phase::Recipient | Phase::Data => Text::new("de mail", "the mail"),
                };
                SendError::refused(when.map(|language, when| {
                    format!(
                        "mail {id}: {server} {} {when}: {e}",
                        language.pick("weigerde", "refused")
                    )
                }))
            }
            Failure::Smtp(phase, e) => {
                let doing = match phase {
                    Phase::Connect => Text::new("verbinden met", "connecting to"),
                    Phase::Login => Text::new("aanmelden bij", "logging in to"),
                    Phase::Sender | Phase::Recipient | Phase::Data => {
                        Text::new("verzenden naar", "sending to")
                    }
                };
                SendError::transient(
                    doing.map(|_, doing| format!("mail {id}: {doing} {server}: {e}")),
                )
            }
            Failure::AllRecipients(answers) => SendError::refused(Text::new(
                format!("mail {id}: {server} weigerde elke ontvanger: {answers}"),
                format!("mail {id}: {server} refused every recipient: {answers}"),
            )),
            Failure::Unwritable(why) => {
                SendError::undeliverable(why.map(|_, why| format!("mail {id}: {server}: {why}")))
            }
        }
    }
}

/// TLS towards `host`, verified against the CA certificates in `roots` (PEM files), or
/// the system's roots when there are none.
fn tls_parameters(host: &str, roots: &[PathBuf]) -> Result<TlsParameters, TransportError> {
    let fail = |reason: String| TransportError::Tls {
        host: host.to_owned(),
        reason,
    };
    let mut builder = TlsParameters::builder(host.to_owned());
    if !roots.is_empty() {
        builder = builder.certificate_store(CertificateStore::None);
        for path in roots {
            let certificates = crate::tls::read_certificates(path, "mail.smtp.roots")
                .map_err(|e| fail(e.to_string()))?;
            for der in certificates {
                let root = Certificate::from_der(der.to_vec()).map_err(|e| fail(e.to_string()))?;
                builder = builder.add_root_certificate(root);
            }
        }
    }
    builder.build_rustls().map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SecretSource, SmtpCredentials};
    use crate::mail::SendErrorKind;

    fn from() -> EmailAddress {
        EmailAddress::parse("lotgate@example.org").expect("an address")
    }

    fn smtp_config(password: SecretSource) -> MailConfig {
        MailConfig {
            from: from(),
            transport: MailTransport::Smtp(SmtpConfig {
                host: "smtp.example.org".to_owned(),
                port: 587,
                security: SmtpSecurity::StartTls,
                credentials: Some(SmtpCredentials {
                    username: "lotgate".to_owned(),
                    password,
                }),
                timeout: Duration::from_secs(30),
                roots: Vec::new(),
            }),
            timing: Default::default(),
        }
    }

    #[test]
    fn a_missing_password_is_found_at_start_up_and_the_secret_never_shows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("smtp-password");
        let error = Transport::from_config(&smtp_config(SecretSource::File(missing.clone())))
            .expect_err("no password file");
        let text = error.to_string();
        assert!(text.starts_with("mail.smtp: "), "{text}");
        assert!(text.contains(&missing.display().to_string()), "{text}");

        std::fs::write(&missing, "geheim-wachtwoord\n").expect("write");
        let transport =
            Transport::from_config(&smtp_config(SecretSource::File(missing))).expect("a transport");
        let debug = format!("{transport:?}");
        assert!(
            debug.contains("smtp.example.org") && debug.contains("lotgate"),
            "{debug}"
        );
        assert!(!debug.contains("geheim"), "{debug}");
    }

    #[tokio::test]
    async fn a_file_transport_that_cannot_write_keeps_the_mail() {
        let dir = tempfile::tempdir().expect("temp dir");
        let not_a_dir = dir.path().join("mail");
        std::fs::write(&not_a_dir, "a file where the directory should be").expect("write");
        let transport = Transport::from_config(&MailConfig {
            from: from(),
            transport: MailTransport::File { dir: not_a_dir },
            timing: Default::default(),
        })
        .expect("a transport");
        let mail = Mail::new(
            "m-1",
            vec!["beheer@example.org".to_owned()],
            "s",
            "b",
            chrono::Utc::now(),
        )
        .expect("a mail");
        let error = transport
            .send(&mail, &from())
            .await
            .expect_err("cannot write");
        assert_eq!(error.kind(), SendErrorKind::Transient, "{error}");
        assert!(
            error
                .to_string()
                .contains("mail m-1: cannot create the directory"),
            "{error}"
        );
    }
}
