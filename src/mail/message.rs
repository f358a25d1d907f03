//! [`Mail`]: one alert email as the outbox stores it, and its RFC 5322 form.
//!
//! The stored form is plain data with a stable JSON shape (`id`, `to`, `subject`,
//! `body`, `created_at` as RFC 3339 UTC). The RFC 5322 form is built from it
//! deterministically: the `Date` is the creation time and the `Message-ID` is
//! `<{id}@lotgate>`, so formatting the same mail twice gives the same bytes and a
//! resend is recognisable. The body goes out as quoted-printable UTF-8 and non-ASCII
//! header text as RFC 2047 words, so the message is 7-bit clean for any relay.

use super::SendError;
use crate::config::EmailAddress;
use crate::language::Text;
use chrono::{DateTime, SecondsFormat, Utc};
use lettre::Message;
use lettre::message::header::{
    self, ContentTransferEncoding, ContentType, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// The right-hand side of every `Message-ID` lotgate writes.
pub const MESSAGE_ID_DOMAIN: &str = "lotgate";

/// The longest mail id accepted.
const MAX_ID_LEN: usize = 128;

/// One alert email as stored in the outbox.
///
/// The id is checked by [`Mail::new`] (and on deserialisation): it becomes both the
/// `Message-ID` and a file name, so it is 1-128 ASCII letters, digits, `-`, `_` and
/// `.`, starts and ends with a letter or digit, and has no `..`. Recipients are kept
/// as written in the configuration (`Name <user@example.org>`) and checked when the
/// mail is sent: a bad one is a permanent [`SendError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Stored", try_from = "Stored")]
pub struct Mail {
    id: String,
    to: Vec<String>,
    subject: String,
    body: String,
    created_at: DateTime<Utc>,
    attachments: Vec<Attachment>,
}

/// A file sent with a mail (an acknowledgement, a report): text, with its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The file name the reader sees, e.g. `acknowledgement.xml`.
    pub name: String,
    /// Its MIME type, e.g. `text/xml; charset=utf-8`.
    pub content_type: String,
    /// Its content.
    pub content: String,
}

/// Why a mail id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a mail id: use 1-128 ASCII letters, digits, '-', '_' and '.', \
     starting and ending with a letter or digit, without \"..\""
)]
pub struct InvalidMailId(String);

/// A mail as an entry for a store's outbox: its id and its stored form (JSON). Empty,
/// with an error logged, when the mail cannot be built (an invalid id): a state change is
/// never held up by its email.
pub fn outbox_entry(
    id: String,
    to: Vec<String>,
    subject: String,
    body: String,
    now: DateTime<Utc>,
) -> Vec<(String, Vec<u8>)> {
    outbox_entry_with(id, to, subject, body, Vec::new(), now)
}

/// [`outbox_entry`] for a mail with attachments.
pub fn outbox_entry_with(
    id: String,
    to: Vec<String>,
    subject: String,
    body: String,
    attachments: Vec<Attachment>,
    now: DateTime<Utc>,
) -> Vec<(String, Vec<u8>)> {
    let built = Mail::new(&id, to, subject, body, now)
        .map(|mail| mail.with_attachments(attachments))
        .map(|mail| serde_json::to_vec(&mail));
    match built {
        Ok(Ok(payload)) => vec![(id, payload)],
        _ => {
            tracing::error!("cannot build the email {id}");
            Vec::new()
        }
    }
}

impl Mail {
    /// A mail with a stable, unique `id` (see the type's rules), its recipients, a
    /// subject, a plain-text UTF-8 body and its creation time.
    pub fn new(
        id: impl Into<String>,
        to: Vec<String>,
        subject: impl Into<String>,
        body: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Result<Mail, InvalidMailId> {
        let id = id.into();
        if !is_valid_id(&id) {
            return Err(InvalidMailId(id));
        }
        Ok(Mail {
            id,
            to,
            subject: subject.into(),
            body: body.into(),
            created_at,
            attachments: Vec::new(),
        })
    }

    /// The same mail with these files attached.
    pub fn with_attachments(self, attachments: Vec<Attachment>) -> Mail {
        Mail {
            attachments,
            ..self
        }
    }

    /// The files attached.
    pub fn attachments(&self) -> &[Attachment] {
        &self.attachments
    }

    /// The stable id; also the outbox key and the `.eml` file name.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The recipients, as written in the configuration.
    pub fn to(&self) -> &[String] {
        &self.to
    }

    /// The subject line.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The plain-text body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// When the alert was raised; also the `Date` header.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// The same mail for those of its recipients whose address is one of `addresses`
    /// (a recipient that is not an address is left out).
    pub fn only_to(&self, addresses: &[String]) -> Mail {
        let to = self
            .to
            .iter()
            .filter(|to| {
                EmailAddress::parse(to)
                    .is_ok_and(|parsed| addresses.iter().any(|a| a == parsed.address()))
            })
            .cloned()
            .collect();
        Mail { to, ..self.clone() }
    }

    /// The RFC 5322 `Message-ID`: `<{id}@lotgate>`.
    pub fn message_id(&self) -> String {
        format!("<{}@{MESSAGE_ID_DOMAIN}>", self.id)
    }

    /// The complete message as it goes over SMTP or into an `.eml` file (CRLF line
    /// ends). A recipient or sender that is not an email address is a permanent error.
    pub fn formatted(&self, from: &EmailAddress) -> Result<Vec<u8>, SendError> {
        Ok(self.to_message(from)?.formatted())
    }

    /// The lettre message, envelope included.
    pub(super) fn to_message(&self, from: &EmailAddress) -> Result<Message, SendError> {
        let fail = |what: Text| {
            SendError::undeliverable(what.map(|_, what| format!("mail {}: {what}", self.id)))
        };
        let mut builder =
            Message::builder()
                .from(mailbox(from).map_err(|e| {
                    fail(e.map(|l, e| format!("{} {e}", l.pick("afzender", "sender"))))
                })?)
                .subject(self.subject.clone())
                .date(SystemTime::from(self.created_at))
                .message_id(Some(self.message_id()))
                // RFC 3834: an automatic message, so no out-of-office replies to it.
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("Auto-Submitted"),
                    "auto-generated".to_owned(),
                ))
                .header(header::MIME_VERSION_1_0);
        if self.attachments.is_empty() {
            builder = builder.header(ContentType::TEXT_PLAIN);
        }
        if self.to.is_empty() {
            return Err(fail(Text::new("geen ontvangers", "no recipients")));
        }
        for to in &self.to {
            let recipient =
                |e: Text| fail(e.map(|l, e| format!("{} {e}", l.pick("ontvanger", "recipient"))));
            let parsed = EmailAddress::parse(to).map_err(|_| {
                recipient(Text::new(
                    format!("{to:?} is geen e-mailadres"),
                    format!("{to:?} is not an email address"),
                ))
            })?;
            builder = builder.to(mailbox(&parsed).map_err(recipient)?);
        }
        let body =
            Body::new_with_encoding(self.body.clone(), ContentTransferEncoding::QuotedPrintable)
                .map_err(|_| {
                    fail(Text::new(
                        "de tekst kan niet als quoted-printable worden gecodeerd",
                        "the body cannot be encoded as quoted-printable",
                    ))
                })?;
        let cannot_build = |e: lettre::error::Error| {
            fail(Text::new(
                format!("het bericht kan niet worden opgebouwd: {e}"),
                format!("cannot build the message: {e}"),
            ))
        };
        if self.attachments.is_empty() {
            return builder.body(body).map_err(cannot_build);
        }
        // The boundary comes from the id, so the same mail is formatted to the same bytes.
        let mut parts = MultiPart::mixed()
            .boundary(format!("lotgate-{}", self.id))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(body),
            );
        for attachment in &self.attachments {
            let content_type = ContentType::parse(&attachment.content_type).map_err(|_| {
                fail(Text::verbatim(format!(
                    "attachment {}: content type {:?}",
                    attachment.name, attachment.content_type
                )))
            })?;
            parts = parts.singlepart(
                lettre::message::Attachment::new(attachment.name.clone())
                    .body(attachment.content.clone(), content_type),
            );
        }
        builder.multipart(parts).map_err(cannot_build)
    }
}

/// A configured address as a lettre mailbox; lettre's own address check is stricter
/// in places (and its message names the address).
fn mailbox(address: &EmailAddress) -> Result<Mailbox, Text> {
    let parsed = address.address().parse().map_err(|e| {
        let shown = address.address();
        Text::new(
            format!("{shown:?} is geen adres waar naartoe kan worden verzonden: {e}"),
            format!("{shown:?} is not an address that can be sent to: {e}"),
        )
    })?;
    Ok(Mailbox::new(address.name().map(str::to_owned), parsed))
}

fn is_valid_id(id: &str) -> bool {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (1..=MAX_ID_LEN).contains(&id.len())
        && edge_ok(id.chars().next())
        && edge_ok(id.chars().next_back())
        && !id.contains("..")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The stored shape; `created_at` as an RFC 3339 string so the format does not depend
/// on chrono's serde support. Unknown fields are ignored, so an older lotgate can read
/// what a newer one wrote.
#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    to: Vec<String>,
    subject: String,
    body: String,
    created_at: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment>,
}

impl From<Mail> for Stored {
    fn from(mail: Mail) -> Self {
        Stored {
            created_at: mail.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            id: mail.id,
            to: mail.to,
            subject: mail.subject,
            body: mail.body,
            attachments: mail.attachments,
        }
    }
}

impl TryFrom<Stored> for Mail {
    type Error = String;

    fn try_from(stored: Stored) -> Result<Self, Self::Error> {
        let created_at = DateTime::parse_from_rfc3339(&stored.created_at)
            .map_err(|e| format!("created_at {:?}: {e}", stored.created_at))?
            .with_timezone(&Utc);
        Mail::new(
            stored.id,
            stored.to,
            stored.subject,
            stored.body,
            created_at,
        )
        .map(|mail| mail.with_attachments(stored.attachments))
        .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .expect("a valid time")
            .with_timezone(&Utc)
    }

    fn from() -> EmailAddress {
        EmailAddress::parse("lotgate <lotgate@example.org>").expect("an address")
    }

    fn escalation() -> Mail {
        Mail::new(
            "escalation-2026-03-29",
            vec![
                "Beheer <beheer@example.org>".to_owned(),
                "\"Zoë de Vries (JGZ)\" <zoe@example.nl>".to_owned(),
            ],
            "Partijnummers niet afgeleverd: één bestemming",
            "Geachte beheerder,\n\nDe levering aan GGD Fryslân is mislukt.\n\
             Coördinatie: geëscaleerd om 07:00.\n",
            at("2026-03-29T05:00:00Z"),
        )
        .expect("a valid mail")
    }

    #[test]
    fn attachments_go_as_parts_of_a_stable_multipart_message_and_are_stored() {
        let mail = escalation().with_attachments(vec![
            Attachment {
                name: "acknowledgement.xml".to_owned(),
                content_type: "text/xml; charset=utf-8".to_owned(),
                content: "<MCCI_IN000002 xmlns=\"urn:hl7-org:v3\"/>\n".to_owned(),
            },
            Attachment {
                name: "report.json".to_owned(),
                content_type: "application/json".to_owned(),
                content: "{\"assessment\": \"négatif\"}".to_owned(),
            },
        ]);
        let formatted = mail.formatted(&from()).expect("formats");
        let text = String::from_utf8(formatted.clone()).expect("ASCII");
        assert!(formatted.is_ascii(), "7-bit clean: {text}");
        assert!(
            text.contains(
                "Content-Type: multipart/mixed;\r\n boundary=\"lotgate-escalation-2026-03-29\""
            ) || text.contains("boundary=\"lotgate-escalation-2026-03-29\""),
            "{text}"
        );
        for part in [
            "Content-Disposition: attachment; filename=\"acknowledgement.xml\"",
            "Content-Type: text/xml; charset=utf-8",
            "Content-Disposition: attachment; filename=\"report.json\"",
            "Content-Type: application/json",
            "De levering aan GGD Frysl=C3=A2n is mislukt.",
        ] {
            assert!(text.contains(part), "{part:?} not in:\n{text}");
        }
        assert_eq!(text.matches("--lotgate-escalation-2026-03-29").count(), 4);
        assert_eq!(
            mail.formatted(&from()).expect("formats"),
            formatted,
            "stable"
        );
        // Stored and read back with its attachments; a mail stored without them reads.
        let stored = serde_json::to_vec(&mail).unwrap();
        assert_eq!(serde_json::from_slice::<Mail>(&stored).unwrap(), mail);
        let plain = serde_json::to_string(&escalation()).unwrap();
        assert!(!plain.contains("attachments"), "{plain}");
    }

    #[test]
    fn the_formatted_message_is_stable_7bit_and_complete() {
        let formatted = escalation().formatted(&from()).expect("formats");
        let text = String::from_utf8(formatted.clone()).expect("ASCII");
        let expected = "\
From: lotgate <lotgate@example.org>\r
Subject: Partijnummers niet afgeleverd: =?utf-8?b?w6nDqW4=?= bestemming\r
Date: Sun, 29 Mar 2026 05:00:00 +0000\r
Message-ID: <escalation-2026-03-29@lotgate>\r
Auto-Submitted: auto-generated\r
MIME-Version: 1.0\r
Content-Type: text/plain; charset=utf-8\r
To: Beheer <beheer@example.org>, =?utf-8?b?Wm/DqyBkZSBWcmllcyAoSkdaKQ==?= <zoe@example.nl>\r
Content-Transfer-Encoding: quoted-printable\r
\r
Geachte beheerder,\r
\r
De levering aan GGD Frysl=C3=A2n is mislukt.\r
Co=C3=B6rdinatie: ge=C3=ABscaleerd om 07:00.\r
";
        assert_eq!(text, expected);
        assert!(formatted.is_ascii(), "7-bit clean for any relay");
        // Formatting again gives the same bytes: a rewritten .eml file is identical.
        assert_eq!(escalation().formatted(&from()).expect("formats"), formatted);
    }

    #[test]
    fn the_message_id_and_the_envelope() {
        let mail = escalation();
        assert_eq!(mail.message_id(), "<escalation-2026-03-29@lotgate>");
        let message = mail.to_message(&from()).expect("builds");
        let envelope = message.envelope();
        let to: Vec<&str> = envelope.to().iter().map(|a| a.as_ref()).collect();
        assert_eq!(to, ["beheer@example.org", "zoe@example.nl"]);
        assert_eq!(
            envelope.from().map(|a| a.as_ref()),
            Some("lotgate@example.org")
        );
    }

    #[test]
    fn line_breaks_in_the_subject_cannot_add_headers() {
        let mail = Mail::new(
            "injection",
            vec!["beheer@example.org".to_owned()],
            "Alarm\r\nBcc: spion@example.com",
            "tekst",
            at("2026-01-01T00:00:00Z"),
        )
        .expect("a valid mail");
        let message = mail.to_message(&from()).expect("builds");
        let text = String::from_utf8(message.formatted()).expect("ASCII");
        // The break is inside an RFC 2047 word; the rest stays on the Subject line.
        assert!(text.starts_with("From: lotgate <lotgate@example.org>\r\nSubject: =?utf-8?b?"));
        assert!(!text.lines().any(|line| line.starts_with("Bcc")), "{text}");
        let to: Vec<&str> = message.envelope().to().iter().map(|a| a.as_ref()).collect();
        assert_eq!(to, ["beheer@example.org"]);
    }

    #[test]
    fn bad_recipients_are_permanent_errors_naming_the_mail() {
        for to in [vec![], vec!["beheer.example.org".to_owned()]] {
            let mail = Mail::new("m1", to, "s", "b", at("2026-01-01T00:00:00Z")).expect("valid");
            let error = mail.formatted(&from()).expect_err("refused");
            assert_eq!(
                error.kind(),
                crate::mail::SendErrorKind::Undeliverable,
                "{error}"
            );
            assert!(error.to_string().starts_with("mail m1: "), "{error}");
            let dutch = error.text(crate::language::Language::Nl);
            assert!(dutch.starts_with("mail m1: "), "{dutch}");
            crate::language::assert_written_in(dutch, crate::language::Language::Nl);
        }
    }

    #[test]
    fn ids_must_be_safe_as_message_id_and_file_name() {
        let t = at("2026-01-01T00:00:00Z");
        for good in ["a", "escalation-2026-03-29", "r.7_x", &"x".repeat(128)] {
            assert!(Mail::new(good, vec![], "", "", t).is_ok(), "{good}");
        }
        let long = "x".repeat(129);
        for bad in [
            "",
            ".a",
            "a.",
            "a..b",
            "-a",
            "../etc/passwd",
            "a b",
            "a@b",
            "é",
            &long,
        ] {
            let e = Mail::new(bad, vec![], "", "", t).expect_err(bad);
            assert!(e.to_string().contains("is not a mail id"), "{e}");
        }
    }

    #[test]
    fn the_stored_form_is_stable_json_and_checked_when_read() {
        let mail = escalation();
        let json = serde_json::to_value(&mail).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "id": "escalation-2026-03-29",
                "to": ["Beheer <beheer@example.org>", "\"Zoë de Vries (JGZ)\" <zoe@example.nl>"],
                "subject": "Partijnummers niet afgeleverd: één bestemming",
                "body": mail.body(),
                "created_at": "2026-03-29T05:00:00Z",
            })
        );
        let back: Mail = serde_json::from_value(json.clone()).expect("reads back");
        assert_eq!(back, mail);

        let mut newer = json.clone();
        newer["language"] = "nl".into();
        assert_eq!(
            serde_json::from_value::<Mail>(newer).expect("ignores new fields"),
            mail
        );

        let mut bad_id = json.clone();
        bad_id["id"] = "../x".into();
        let e = serde_json::from_value::<Mail>(bad_id).expect_err("bad id");
        assert!(e.to_string().contains("is not a mail id"), "{e}");

        let mut bad_time = json;
        bad_time["created_at"] = "yesterday".into();
        let e = serde_json::from_value::<Mail>(bad_time).expect_err("bad time");
        assert!(e.to_string().contains("created_at"), "{e}");
    }
}
