//! The exchange endpoint: one SOAP POST in, one answer out, through the receiver's
//! pipeline (`docs/receiver.md`): transport checks → interaction → duplicate →
//! content → ordering → shrink guard → apply → acknowledgement.

use super::Receiver;
use super::decide::{Answering, Decision, Known, decide};
use super::journal::{Received, Verdict};
use super::partner_mails;
use super::report::import_report;
use super::watchdog;
use crate::config::ReceiverConfig;
use crate::http::{BodyError, Peer, Reply, read_body, reply, text};
use crate::ids::{ApplicationId, MessageId};
use crate::language::{Language, Text};
use crate::mail::outbox_entry;
use crate::message::{AckType, LotMessage};
use crate::store::{ImportReport, MessageRecord, Outcome, StoreError, StoredSet};
use crate::timestamp::Timestamp;
use crate::tls::PeerIdentity;
use crate::validate::{self, Answer};
use crate::wire::soap::{self, FaultCode};
use bytes::Bytes;
use chrono::Utc;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use sha2::{Digest, Sha256};
use std::sync::Arc;

const XML: &str = "text/xml; charset=utf-8";

/// Handles one request to the exchange listener from `peer`.
pub async fn handle(receiver: Receiver, request: Request<Incoming>, peer: Arc<Peer>) -> Reply {
    let config = receiver.config();
    if request.uri().path() != config.path {
        return text(StatusCode::NOT_FOUND, "not found");
    }
    if request.method() != Method::POST {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "use POST");
        response.headers_mut().insert(
            hyper::header::ALLOW,
            hyper::header::HeaderValue::from_static("POST"),
        );
        return response;
    }
    let started = std::time::Instant::now();
    let declared = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let bytes = declared.map_or(0, |d| usize::try_from(d).unwrap_or(usize::MAX));
    let refuse = async |verdict: Verdict, detail: Text| {
        receiver.count_refusal(verdict, &peer, bytes, detail).await;
        receiver
            .inner
            .metrics
            .request(verdict.name(), started.elapsed().as_secs_f64());
        let (status, answer) = match verdict {
            Verdict::Refused => (
                StatusCode::FORBIDDEN,
                "this client certificate is not authorised to deliver lot numbers here",
            ),
            Verdict::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the message is larger than this receiver accepts",
            ),
            Verdict::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "the message did not arrive in time",
            ),
            _ => (StatusCode::BAD_REQUEST, "the message could not be read"),
        };
        text(status, answer)
    };
    let Some(options) = authorise(&receiver, &config, &peer) else {
        return refuse(
            Verdict::Refused,
            Text::new(
                "het clientcertificaat staat niet in [[receiver.tls.client]]",
                "the client certificate is not listed in [[receiver.tls.client]]",
            ),
        )
        .await;
    };
    let max = usize::try_from(config.max_body).unwrap_or(usize::MAX);
    let too_large = || {
        Text::new(
            format!("groter dan receiver.max_body ({} bytes)", config.max_body),
            format!("larger than receiver.max_body ({} bytes)", config.max_body),
        )
    };
    if declared.is_some_and(|length| length > config.max_body) {
        return refuse(Verdict::TooLarge, too_large()).await;
    }
    let body = match read_body(request.into_body(), max, config.body_timeout).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return refuse(Verdict::TooLarge, too_large()).await,
        Err(BodyError::TooSlow) => {
            return refuse(
                Verdict::Timeout,
                Text::new(
                    format!(
                        "het bericht kwam niet binnen receiver.body_timeout ({:?})",
                        config.body_timeout
                    ),
                    format!(
                        "the message did not arrive within receiver.body_timeout ({:?})",
                        config.body_timeout
                    ),
                ),
            )
            .await;
        }
        Err(BodyError::Broken) => {
            return refuse(
                Verdict::Broken,
                Text::new(
                    "het bericht kon niet worden gelezen (de verbinding brak af)",
                    "the message could not be read (the connection broke)",
                ),
            )
            .await;
        }
    };
    let size = body.len();
    let client = Client {
        address: peer.addr.ip().to_string(),
        tls_identity: options.certificate.clone(),
    };
    let (reply, verdict) =
        match tokio::task::spawn_blocking(move || validate_and_prepare(body, &options)).await {
            Ok(prepared) => commit(&receiver, &config, prepared, client).await,
            Err(_) => (
                server_fault(receiver.inner.gateway.language),
                Verdict::Fault,
            ),
        };
    receiver
        .inner
        .metrics
        .request(verdict.name(), started.elapsed().as_secs_f64());
    if size >= LARGE_BODY {
        // The body, its XML tree and the old set are freed by now; give the memory back
        // (after answering, so the sender does not wait for it).
        tokio::task::spawn_blocking(crate::memory::release_free_memory);
    }
    reply
}

/// The validation options for a message from `peer`. With TLS, the certificate decides
/// which sender ids the message may carry; a certificate no `[[receiver.tls.client]]`
/// names may not deliver at all: `None` (HTTP 403, before the body is read).
fn authorise(
    receiver: &Receiver,
    config: &ReceiverConfig,
    peer: &Peer,
) -> Option<validate::Options> {
    let mut options = receiver.options(config);
    let Some(tls) = &config.tls else {
        return Some(options);
    };
    let identity = peer
        .certificate
        .as_ref()
        .and_then(|certificate| PeerIdentity::of(certificate));
    let authorised = identity
        .as_ref()
        .map(|identity| identity.authorised(&tls.clients))
        .unwrap_or_default();
    if authorised.is_empty() {
        tracing::warn!(
            "refused a delivery from {}: its certificate ({}) is not listed in \
             [[receiver.tls.client]]",
            peer.addr,
            identity.map_or_else(|| "unreadable".to_owned(), |i| i.to_string())
        );
        return None;
    }
    options.allowed_senders = authorised;
    options.certificate = identity.map(|identity| identity.to_string());
    Some(options)
}

/// From this body size on, freed memory is handed back after the delivery.
const LARGE_BODY: usize = 1 << 20;

/// Who sent a request: for the journal.
struct Client {
    /// The client's IP address.
    address: String,
    /// Its certificate's identity, with two-way TLS.
    tls_identity: Option<String>,
}

/// What validation found, ready to be decided under the apply lock.
struct Prepared {
    outcome: validate::Outcome,
    body: Bytes,
    sha256: [u8; 32],
}

fn validate_and_prepare(body: Bytes, options: &validate::Options) -> Prepared {
    let sha256: [u8; 32] = Sha256::digest(&body).into();
    let outcome = validate::check(&body, options);
    Prepared {
        outcome,
        body,
        sha256,
    }
}

/// What came of a request that was read whole.
struct Handled {
    reply: Reply,
    mails_queued: bool,
    verdict: Verdict,
}

async fn commit(
    receiver: &Receiver,
    config: &Arc<ReceiverConfig>,
    prepared: Prepared,
    client: Client,
) -> (Reply, Verdict) {
    // One delivery at a time from here: deciding (duplicate, ordering) and applying must
    // see each other's results.
    let _turn = receiver.inner.apply.lock().await;
    let language = receiver.inner.gateway.language;
    let result = tokio::task::spawn_blocking({
        let (receiver, config) = (receiver.clone(), config.clone());
        move || decide_and_store(&receiver, &config, prepared, client)
    })
    .await;
    match result {
        Ok(Ok(handled)) => {
            if handled.mails_queued {
                receiver.inner.mail_wake.notify_one();
            }
            (handled.reply, handled.verdict)
        }
        Ok(Err(e)) => {
            tracing::error!("delivery not stored: {e}");
            (server_fault(language), Verdict::Fault)
        }
        Err(_) => (server_fault(language), Verdict::Fault),
    }
}

/// Decides ([`decide`]), carries out the decision and writes the journal entry; returns
/// the reply and whether mails were queued.
fn decide_and_store(
    receiver: &Receiver,
    config: &ReceiverConfig,
    prepared: Prepared,
    client: Client,
) -> Result<Handled, StoreError> {
    let inner = &receiver.inner;
    let language = inner.gateway.language;
    let Prepared {
        outcome,
        body,
        sha256,
    } = prepared;
    // What the journal says of the message, read before the decision takes it.
    let about = About {
        message_id: outcome.reply_to.as_ref().map(|r| r.message.to_string()),
        sender: outcome.reply_to.as_ref().map(|r| r.sender.to_string()),
        created: outcome
            .message
            .as_ref()
            .map(|m| m.created.as_str().to_owned()),
    };
    let previous = match &outcome.reply_to {
        Some(reply_to) => inner.store.message(&reply_to.message)?,
        None => None,
    };
    let snapshot = receiver.snapshot();
    let current = snapshot.set.as_ref();
    // A partner in its connect phase is ordered and guarded against its own trial set.
    let partner = outcome
        .reply_to
        .as_ref()
        .and_then(|r| config.connecting(&r.sender))
        .map(|p| p.application_id.clone());
    let trial_set = match &partner {
        Some(partner) => inner.store.trial(partner)?.and_then(|t| t.set),
        None => None,
    };
    let compared = if partner.is_some() {
        trial_set.as_ref()
    } else {
        current
    };
    let known = Known {
        previous: previous.as_ref().map(|r| (&r.sha256, r.response.as_str())),
        current: compared.map(|s| (&s.created, s.lots().len())),
    };
    let now = Utc::now();
    let local_now = now.with_timezone(&inner.gateway.time_zone).naive_local();
    let answering = Answering {
        us: &config.application_id,
        ack_id: ack_id(&config.application_id.to_string(), &sha256),
        now: Timestamp::from_local(local_now),
        language,
    };
    let decision = decide(outcome, &sha256, known, &config.shrink_guard, &answering);
    let storing = Storing {
        receiver,
        config,
        current,
        partner: partner.as_ref(),
        sha256,
        now,
        language,
    };
    let (verdict, response, replayed, mails_queued) = match decision {
        Decision::Replay(response) => {
            let verdict = previous
                .as_ref()
                .map_or(Verdict::Ca, |r| ack_verdict(r.ack_type));
            (verdict, response, true, false)
        }
        Decision::Fault(answer) => {
            let detail = match &answer {
                Answer::Fault { reason, .. } => reason.clone(),
                Answer::Ack(_) => String::new(),
            };
            receiver.count_refusal_in(Verdict::Fault, client.address, body.len(), detail, now);
            return Ok(Handled {
                reply: reply(StatusCode::INTERNAL_SERVER_ERROR, XML, answer.to_xml()),
                mails_queued: false,
                verdict: Verdict::Fault,
            });
        }
        Decision::Refuse(answer, outcome) => {
            let (response, mails) = storing.refuse(&answer, &outcome)?;
            (ack_verdict(ack_type(&answer)), response, false, mails)
        }
        Decision::Quarantine(answer, message, outcome) => {
            let (response, mails) = storing.quarantine(&answer, &message, &outcome)?;
            (Verdict::Ce, response, false, mails)
        }
        Decision::Apply(answer, message, outcome) => {
            let (response, mails) = storing.apply(&answer, *message, &outcome)?;
            (Verdict::Ca, response, false, mails)
        }
    };
    let entry = Received {
        at: now,
        verdict,
        client: client.address,
        tls_identity: client.tls_identity,
        message_id: about.message_id,
        sender: about.sender,
        created: about.created,
        request: &body,
        sha256: &sha256,
        answer: &response,
        replayed,
    };
    if let Err(e) = inner.store.journal().write(&entry.write(), true) {
        tracing::error!("the journal entry of a delivery could not be written: {e}");
    }
    Ok(Handled {
        reply: reply(StatusCode::OK, XML, response),
        mails_queued,
        verdict,
    })
}

/// What the journal says of a message, as far as it could be read.
struct About {
    message_id: Option<String>,
    sender: Option<String>,
    created: Option<String>,
}

fn ack_verdict(ack: AckType) -> Verdict {
    match ack {
        AckType::CA => Verdict::Ca,
        AckType::CE => Verdict::Ce,
        AckType::CR => Verdict::Cr,
    }
}

/// Carrying out a decision about one message: what is stored, in one transaction, and
/// the answer (with whether mails were queued).
struct Storing<'a> {
    receiver: &'a Receiver,
    /// The configuration the request is handled with, start to end.
    config: &'a ReceiverConfig,
    /// The set in use when the message was decided on.
    current: Option<&'a StoredSet>,
    /// The sender, when it is a partner in its connect phase: what it delivers goes to
    /// its trial, never to the set in place.
    partner: Option<&'a ApplicationId>,
    sha256: [u8; 32],
    now: chrono::DateTime<Utc>,
    language: Language,
}

impl Storing<'_> {
    /// The record of the message's id, so that a duplicate gets the same answer.
    fn record(&self, message_id: &MessageId, answer: &Answer, response: &str) -> MessageRecord {
        MessageRecord {
            id: message_id.clone(),
            sha256: self.sha256,
            received_at: self.now,
            ack_type: ack_type(answer),
            response: response.to_owned(),
        }
    }

    /// A refused message: its id's record and import report, unless the id is reused
    /// (the record is the first message's) or the sender is not accepted here (its
    /// message ids must not stand in the way of the real sender's): those leave no trace.
    fn refuse(
        &self,
        answer: &Answer,
        outcome: &validate::Outcome,
    ) -> Result<(String, bool), StoreError> {
        let response = answer.to_xml();
        let reused = outcome.report.contains(validate::Rule::MessageIdReused);
        let stranger = outcome.report.contains(validate::Rule::WrapperSender);
        if stranger && let Some(reply_to) = &outcome.reply_to {
            tracing::warn!(
                "refused message {} from sender {}: not an allowed sender here (or not \
                 over this client certificate); nothing stored",
                reply_to.message,
                reply_to.sender
            );
        }
        let Some(reply_to) = outcome.reply_to.as_ref().filter(|_| !reused && !stranger) else {
            return Ok((response, false));
        };
        let stale = outcome.report.contains(validate::Rule::MessageStale);
        let kind = if stale {
            Outcome::Stale
        } else {
            Outcome::Rejected(ack_type(answer))
        };
        let report = self.report_in(
            &reply_to.sender,
            &reply_to.message,
            kind,
            None,
            outcome,
            self.language,
        );
        let record = self.record(&reply_to.message, answer, &response);
        let mails = self.validation(
            &reply_to.sender,
            &reply_to.message,
            report.outcome,
            outcome.message.as_ref().map(|m| &m.lots),
            outcome,
            answer,
            &response,
        );
        let store = &self.receiver.inner.store;
        match self.partner {
            Some(partner) => store.record_trial(partner, record, &report, None, &mails)?,
            None => store.record(record, Some(report), &mails)?,
        }
        Ok((response, !mails.is_empty()))
    }

    /// The import report on this delivery from `sender`, made in the sender's language
    /// (its own as a partner, else the gateway's) for the emails to it.
    fn report_for(
        &self,
        sender: &ApplicationId,
        message_id: &MessageId,
        kind: Outcome,
        lots: Option<&crate::lot::LotSet>,
        outcome: &validate::Outcome,
    ) -> (ImportReport, Language) {
        let language = partner_mails::language(self.config, sender, self.language);
        let report = self.report_in(sender, message_id, kind, lots, outcome, language);
        (report, language)
    }

    /// The import report on this delivery from `sender`, its set (when it could be read)
    /// compared with the set in place, its texts in `language`.
    fn report_in(
        &self,
        sender: &ApplicationId,
        message_id: &MessageId,
        kind: Outcome,
        lots: Option<&crate::lot::LotSet>,
        outcome: &validate::Outcome,
        language: Language,
    ) -> ImportReport {
        let mut report = import_report(
            message_id.clone(),
            self.now,
            kind,
            lots,
            self.current.map(StoredSet::lots),
            &outcome.report,
            language,
        );
        report.sender = Some(sender.to_string());
        report
    }

    /// The validation report on this delivery from `sender` as an outbox entry, with the
    /// acknowledgement.
    #[allow(clippy::too_many_arguments)]
    fn validation(
        &self,
        sender: &ApplicationId,
        message_id: &MessageId,
        kind: Outcome,
        lots: Option<&crate::lot::LotSet>,
        outcome: &validate::Outcome,
        answer: &Answer,
        response: &str,
    ) -> Vec<(String, Vec<u8>)> {
        let (report, language) = self.report_for(sender, message_id, kind, lots, outcome);
        let delivered = partner_mails::Delivered {
            sender,
            report: &report,
            acknowledgement: response,
            ack_type: ack_type(answer).as_str(),
            sha256: &self.sha256,
            codes: &self.receiver.inner.gateway.codes,
        };
        partner_mails::validation(self.config, &delivered, language, self.now)
    }

    /// A set held back by the shrink guard: kept in quarantine with its report, and the
    /// administrators alerted.
    fn quarantine(
        &self,
        answer: &Answer,
        message: &LotMessage,
        outcome: &validate::Outcome,
    ) -> Result<(String, bool), StoreError> {
        let response = answer.to_xml();
        let mails = self.validation(
            &message.sender,
            &message.id,
            Outcome::Rejected(ack_type(answer)),
            Some(&message.lots),
            outcome,
            answer,
            &response,
        );
        if let Some(partner) = self.partner {
            // A trial set is never quarantined: the delivery is refused as it would be,
            // and the trial set stays as it was.
            let report = self.report_in(
                &message.sender,
                &message.id,
                Outcome::Rejected(ack_type(answer)),
                Some(&message.lots),
                outcome,
                self.language,
            );
            let record = self.record(&message.id, answer, &response);
            let store = &self.receiver.inner.store;
            store.record_trial(partner, record, &report, None, &mails)?;
            return Ok((response, !mails.is_empty()));
        }
        let candidate = StoredSet::new(
            message.id.clone(),
            message.created.clone(),
            self.now,
            message.lots.clone(),
        );
        let report = self.report_in(
            &message.sender,
            &message.id,
            Outcome::Quarantined(0),
            Some(&message.lots),
            outcome,
            self.language,
        );
        let reason = outcome
            .report
            .issues()
            .iter()
            .find(|i| i.rule == validate::Rule::SetQuarantined)
            .map(|i| i.text(self.language).to_owned())
            .unwrap_or_default();
        let mut mail = quarantine_mail(
            self.config,
            &message.id,
            &reason,
            &self.sha256,
            self.now,
            self.language,
        );
        mail.extend(mails);
        self.receiver.inner.store.quarantine(
            candidate,
            &reason,
            self.record(&message.id, answer, &response),
            report,
            &mail,
        )?;
        Ok((response, !mail.is_empty()))
    }

    /// An accepted set: it replaces the current one, with its id's record and import
    /// report, and an open watchdog alert resolved, in one transaction.
    fn apply(
        &self,
        answer: &Answer,
        message: LotMessage,
        outcome: &validate::Outcome,
    ) -> Result<(String, bool), StoreError> {
        let response = answer.to_xml();
        let report = self.report_in(
            &message.sender,
            &message.id,
            Outcome::Applied,
            Some(&message.lots),
            outcome,
            self.language,
        );
        let message_sender = message.sender.clone();
        let record = self.record(&message.id, answer, &response);
        let set = StoredSet::new(message.id, message.created, self.now, message.lots);
        let store = &self.receiver.inner.store;
        if let Some(partner) = self.partner {
            // The trial set: compared with the set in place in its report, never used
            // for lookups; the watchdog waits for production.
            let mails = self.validation(
                partner,
                &set.message_id,
                Outcome::Applied,
                Some(set.lots()),
                outcome,
                answer,
                &response,
            );
            store.record_trial(partner, record, &report, Some(&set), &mails)?;
            return Ok((response, !mails.is_empty()));
        }
        // An open watchdog alert is resolved in the same transaction as the apply.
        let resolution = watchdog::resolution(
            self.receiver,
            &set.message_id,
            &set.created,
            set.lots().len(),
            self.now,
        )?;
        let (resolved, state) = watchdog::Resolution::parts(resolution.as_ref());
        // The partner's import report, in its language, with the version the set gets
        // (one more than the set in place: this is the one apply at a time).
        let (mut in_language, _) = self.report_for(
            &message_sender,
            &set.message_id,
            Outcome::Applied,
            Some(set.lots()),
            outcome,
        );
        in_language.set_version = Some(self.receiver.snapshot().version() + 1);
        let mut mails = resolved.to_vec();
        mails.extend(partner_mails::import(
            self.config,
            &in_language,
            &self.sha256,
            &self.receiver.inner.gateway.codes,
            self.now,
        ));
        let applied = store.apply(set, record, report, &mails, state)?;
        let mails_queued = !mails.is_empty();
        self.receiver.publish(applied.set);
        Ok((response, mails_queued))
    }
}

/// The acknowledgement type an answer carries (decisions that are recorded always carry
/// an acknowledgement; a fault is never recorded).
fn ack_type(answer: &Answer) -> AckType {
    match answer {
        Answer::Ack(ack) => ack.type_code,
        Answer::Fault { .. } => AckType::CE,
    }
}

/// The acknowledgement's id: under our application's root, named after the message's
/// bytes (a duplicate gets the stored answer, so the id is unique per distinct message).
fn ack_id(us: &str, sha256: &[u8; 32]) -> MessageId {
    let hex = crate::strings::hex(&sha256[..10]);
    MessageId::parse(
        &format!("2.16.840.1.113883.2.4.6.6.{us}.2"),
        &format!("ACK-{hex}"),
    )
    .or_else(|_| MessageId::parse("2.16.840.1.113883.2.4.6.6.2", &format!("ACK-{hex}")))
    .unwrap_or_else(|_| unreachable!("a fixed OID and a hex extension are a valid id"))
}

/// The alert to the administrators about a quarantined set, as an outbox entry.
fn quarantine_mail(
    config: &crate::config::ReceiverConfig,
    message_id: &MessageId,
    reason: &str,
    sha256: &[u8; 32],
    now: chrono::DateTime<Utc>,
    language: Language,
) -> Vec<(String, Vec<u8>)> {
    let to: Vec<String> = config
        .administrators
        .iter()
        .map(ToString::to_string)
        .collect();
    let hex = crate::strings::hex(&sha256[..8]);
    let (subject, body) = match language {
        Language::Nl => (
            format!("lotgate: partijnummers van bericht {message_id} apart gezet"),
            format!(
                "De ontvanger {} heeft een nieuwe set partijnummers apart gezet in plaats van die toe te passen.\n\n\
                 Bericht: {message_id}\nReden: {reason}\n\n\
                 De huidige set blijft in gebruik. Beoordeel de set en accepteer of verwerp hem \
                 (lotgate quarantine list / accept / discard).\n",
                config.application_id
            ),
        ),
        Language::En => (
            format!("lotgate: lot numbers of message {message_id} held back"),
            format!(
                "Receiver {} held back a new set of lot numbers instead of applying it.\n\n\
                 Message: {message_id}\nReason: {reason}\n\n\
                 The current set stays in use. Review the set and accept or discard it \
                 (lotgate quarantine list / accept / discard).\n",
                config.application_id
            ),
        ),
    };
    let id = format!("quarantine-{hex}");
    outbox_entry(id, to, subject, body, now)
}

/// The answer when the receiver itself failed (storage unavailable): a `soap:Server`
/// fault, which tells the sender to try again later; no internal details.
fn server_fault(language: Language) -> Reply {
    let reason = match language {
        Language::Nl => "de ontvanger kan het bericht nu niet opslaan; probeer het later opnieuw",
        Language::En => "the receiver cannot store the message now; try again later",
    };
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        XML,
        soap::fault_envelope(FaultCode::Server, reason, language.code()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quarantine_email_is_written_in_one_language() {
        for language in Language::ALL {
            let text = format!(
                "[gateway]\nlanguage = \"{}\"\n[mail]\nfrom = \"lotgate@example.org\"\n\
                 [receiver]\napplication_id = \"99999002\"\nallowed_senders = [\"99999001\"]\n\
                 administrators = [\"beheer@example.org\"]\n",
                language.code()
            );
            let config = crate::config::Config::parse(&text, std::path::Path::new("/etc/lotgate"))
                .expect("a valid configuration");
            let id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "LG-9").unwrap();
            let reason = language.pick("30 < 50% van 100", "30 < 50% of 100");
            let mails = quarantine_mail(
                config.receiver.as_ref().unwrap(),
                &id,
                reason,
                &[7; 32],
                Utc::now(),
                language,
            );
            assert_eq!(mails.len(), 1);
            let mail: crate::mail::Mail = serde_json::from_slice(&mails[0].1).unwrap();
            assert_eq!(mail.id(), "quarantine-0707070707070707");
            crate::language::assert_written_in(
                &format!("{}\n{}", mail.subject(), mail.body()),
                language,
            );
        }
    }
}
