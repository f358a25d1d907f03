//! `lotgate verify`: the self-test a connecting party runs against a live receiver
//! (a partner's QA environment, or ours) before production, and the self-declaration it
//! hands in.
//!
//! This file holds the catalogue of checks and the pure judgements: what an answer is
//! ([`read`]), what each check concludes from what came back. [`probe`] does the network
//! (DNS, TCP, TLS, HTTP with every byte kept), [`run`] the sequence of checks, and
//! [`report`] writes `report.json`, `report.md` and the evidence.

pub mod probe;
pub mod report;
pub mod run;

use crate::diagnostics::Report as Issues;
use crate::ids::{ApplicationId, MessageId};
use crate::language::Language;
use crate::message::{AckType, Acknowledgement};
use crate::wire::{self, soap};
use crate::xml::{Document, Limits};
use serde::{Deserialize, Serialize};

pub use report::{EvidenceFile, Party, VerifyReport};
pub use run::{Delivered, Plan, run};

/// Which checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every check, delivering test sets (a QA environment, or a receiver in the connect
    /// phase); the current set from the source is delivered again at the end.
    Connect,
    /// Only what changes nothing at the receiver (a production endpoint).
    Safe,
}

/// What a check came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// As it must be.
    Pass,
    /// Not as it must be.
    Fail,
    /// Works, but needs attention.
    Warn,
    /// Not run, with the reason in the evidence.
    Skip,
}

impl Verdict {
    /// `pass`, `fail`, `warn`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Skip => "skip",
        }
    }
}

/// One check of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// Its id, e.g. `delivery.accepted`.
    pub id: &'static str,
    /// One line in Dutch.
    nl: &'static str,
    /// One line in English.
    en: &'static str,
    /// Whether it runs in safe mode (it changes nothing at the receiver).
    pub safe: bool,
}

impl Check {
    /// The one-line description.
    pub fn description(&self, language: Language) -> &'static str {
        language.pick(self.nl, self.en)
    }
}

const fn check(id: &'static str, safe: bool, nl: &'static str, en: &'static str) -> Check {
    Check { id, nl, en, safe }
}

/// Every check, in the order of the report.
pub const CHECKS: &[Check] = &[
    check(
        "reach.dns",
        true,
        "de hostnaam van het eindpunt wordt opgezocht",
        "the endpoint's host name resolves",
    ),
    check(
        "reach.tcp",
        true,
        "een TCP-verbinding komt tot stand (met de tijd die het kost)",
        "a TCP connection is made (with the time it takes)",
    ),
    check(
        "tls.handshake",
        true,
        "de TLS-handdruk slaagt: protocol en cipher suite",
        "the TLS handshake succeeds: protocol and cipher suite",
    ),
    check(
        "tls.chain",
        true,
        "het certificaat van de ontvanger leidt naar onze vertrouwde CA's (sender.tls.roots)",
        "the receiver's certificate chains to our roots (sender.tls.roots)",
    ),
    check(
        "tls.hostname",
        true,
        "het certificaat van de ontvanger noemt de hostnaam van het eindpunt",
        "the receiver's certificate names the endpoint's host",
    ),
    check(
        "tls.expiry",
        true,
        "dagen tot het certificaat van de ontvanger verloopt (waarschuwing onder 30)",
        "days until the receiver's certificate expires (warning under 30)",
    ),
    check(
        "tls.client-certificate",
        true,
        "de ontvanger aanvaardt ons clientcertificaat",
        "the receiver accepts our client certificate",
    ),
    check(
        "clock.skew",
        true,
        "klokverschil volgens de Date-header (waarschuwing boven 60 s)",
        "clock skew from the Date header (warning over 60 s)",
    ),
    check(
        "duplicate.stored",
        true,
        "het laatst afgeleverde bericht, opnieuw verstuurd, krijgt de opgeslagen bevestiging",
        "the last message delivered, sent again, gets the stored acknowledgement",
    ),
    check(
        "input.malformed",
        true,
        "onjuiste XML krijgt een SOAP-fault of HTTP-fout, nooit CA",
        "malformed XML gets a SOAP fault or an HTTP error, never CA",
    ),
    check(
        "addressing.other-receiver",
        true,
        "een bericht aan een ander applicatie-id van de ontvanger krijgt CR of CE",
        "a message to another receiver application id gets CR or CE",
    ),
    check(
        "delivery.accepted",
        false,
        "een geldige levering van een gegenereerde testset krijgt een ontvangstbevestiging CA",
        "a valid delivery of a generated test set gets an acknowledgement CA",
    ),
    check(
        "delivery.ack-target",
        false,
        "de targetMessage van de bevestiging is ons bericht",
        "the acknowledgement's targetMessage is our message",
    ),
    check(
        "delivery.ack-parties",
        false,
        "in de bevestiging zijn afzender en ontvanger verwisseld",
        "the acknowledgement has sender and receiver swapped",
    ),
    check(
        "delivery.ack-id",
        false,
        "de bevestiging heeft een eigen, nieuw id",
        "the acknowledgement has an id of its own, a new one",
    ),
    check(
        "delivery.answer-time",
        false,
        "het antwoord komt binnen attempt_timeout",
        "the answer comes within attempt_timeout",
    ),
    check(
        "duplicate.identical",
        false,
        "dezelfde bytes opnieuw krijgen byte voor byte dezelfde bevestiging",
        "the identical bytes again get the byte-identical acknowledgement",
    ),
    check(
        "duplicate.changed",
        false,
        "hetzelfde bericht-id met andere bytes krijgt CE",
        "the same message id with other bytes gets CE",
    ),
    check(
        "order.older",
        false,
        "een bericht met een oudere creationTime krijgt CE",
        "a message with an older creationTime gets CE",
    ),
    check(
        "content.blank-lot",
        false,
        "een leeg partijnummer krijgt CE met één detail",
        "a blank lot number gets CE with one detail",
    ),
    check(
        "content.two-vaccines",
        false,
        "een partijnummer onder twee vaccinsoorten krijgt CE met één detail",
        "a lot number under two vaccine types gets CE with one detail",
    ),
    check(
        "restore.source-set",
        false,
        "de huidige set uit de bron is opnieuw afgeleverd (CA): de ontvanger houdt juiste \
         gegevens",
        "the current set from the source is delivered again (CA): the receiver is left \
         with correct data",
    ),
];

/// The catalogue entry of `id`.
pub fn check_of(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// A check's verdict with its evidence, in the report's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The verdict.
    pub verdict: Verdict,
    /// What was seen, for people.
    pub evidence: String,
}

impl Finding {
    fn new(verdict: Verdict, evidence: impl Into<String>) -> Self {
        Self {
            verdict,
            evidence: evidence.into(),
        }
    }

    /// A pass with its evidence.
    pub fn pass(evidence: impl Into<String>) -> Self {
        Self::new(Verdict::Pass, evidence)
    }

    /// A failure with its evidence.
    pub fn fail(evidence: impl Into<String>) -> Self {
        Self::new(Verdict::Fail, evidence)
    }

    /// A warning with its evidence.
    pub fn warn(evidence: impl Into<String>) -> Self {
        Self::new(Verdict::Warn, evidence)
    }

    /// Not run, and why.
    pub fn skip(reason: impl Into<String>) -> Self {
        Self::new(Verdict::Skip, reason)
    }
}

/// What a receiver's answer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// An MCCI_IN000002 acknowledgement.
    Ack(Acknowledgement),
    /// A SOAP fault: its code and reason.
    Fault(String, String),
    /// Anything else: what it is.
    Other(String),
}

impl Reading {
    /// The acknowledgement's type code, when it is one.
    pub fn ack_type(&self) -> Option<AckType> {
        match self {
            Reading::Ack(ack) => Some(ack.type_code),
            _ => None,
        }
    }

    /// One line for the evidence: `CE (2 details: …)`, `SOAP fault soap:Client: …`.
    pub fn describe(&self, language: Language) -> String {
        match self {
            Reading::Ack(ack) => {
                let mut line = ack.type_code.as_str().to_owned();
                let n = ack.details.len();
                if n > 0 {
                    let codes: Vec<String> = ack
                        .details
                        .iter()
                        .map(|d| match &d.text {
                            Some(text) => format!("{}: {text}", d.code),
                            None => d.code.clone(),
                        })
                        .collect();
                    line.push_str(&format!(" ({n} detail(s): {})", codes.join("; ")));
                }
                line
            }
            Reading::Fault(code, reason) => {
                format!(
                    "{} {code}: {reason}",
                    language.pick("SOAP-fault", "SOAP fault")
                )
            }
            Reading::Other(what) => what.clone(),
        }
    }
}

/// Reads an answer body: an acknowledgement, a SOAP fault, or something else. Pure.
pub fn read(body: &[u8], language: Language) -> Reading {
    let doc = match Document::parse(body, &Limits::default()) {
        Ok(doc) => doc,
        Err(_) if body.is_empty() => {
            return Reading::Other(language.pick("een leeg antwoord", "an empty answer").into());
        }
        Err(e) => {
            return Reading::Other(format!(
                "{}: {}",
                language.pick("geen XML", "not XML"),
                e.text(language)
            ));
        }
    };
    let mut issues = Issues::new();
    let element = match soap::open(&doc, false, &mut issues) {
        Some(soap::Body::Fault(fault)) => return Reading::Fault(fault.raw_code, fault.reason),
        Some(soap::Body::Interaction(element)) => element,
        None => {
            return Reading::Other(
                language
                    .pick("geen SOAP-envelop", "not a SOAP envelope")
                    .into(),
            );
        }
    };
    if !element.is(wire::HL7_NS, wire::ACK_INTERACTION) {
        return Reading::Other(format!(
            "{} {}",
            element.name(),
            language.pick(
                "in plaats van een bevestiging",
                "instead of an acknowledgement"
            )
        ));
    }
    match wire::decode_acknowledgement(element, &mut issues) {
        Some(ack) => Reading::Ack(ack),
        None => Reading::Other(format!(
            "{}: {}",
            language.pick(
                "een onvolledige bevestiging",
                "an incomplete acknowledgement"
            ),
            issues
                .issues()
                .first()
                .map(|i| format!("{}: {}", i.location, i.text(language)))
                .unwrap_or_default()
        )),
    }
}

/// A rejection that must be `CE` with exactly one detail (a blank lot, a lot under two
/// vaccine types): anything else fails, `CA` above all. Pure.
pub fn one_detail_rejection(reading: &Reading, language: Language) -> Finding {
    let seen = reading.describe(language);
    match reading {
        Reading::Ack(ack) if ack.type_code == AckType::CE && ack.details.len() == 1 => {
            Finding::pass(seen)
        }
        Reading::Ack(ack) if ack.type_code == AckType::CA => Finding::fail(format!(
            "{}: {seen}",
            language.pick(
                "aanvaard, terwijl het bericht afgewezen moest worden",
                "accepted, where the message must be refused"
            )
        )),
        Reading::Ack(ack) if ack.type_code == AckType::CE => Finding::fail(format!(
            "{}: {seen}",
            language.pick(
                "CE, maar niet met precies één detail",
                "CE, but not with exactly one detail"
            )
        )),
        _ => Finding::fail(format!("{}: {seen}", language.pick("geen CE", "not CE"))),
    }
}

/// A message that must be refused with `CE` (the same id with other bytes, an older
/// creation time). Pure.
pub fn rejected_ce(reading: &Reading, language: Language) -> Finding {
    let seen = reading.describe(language);
    match reading.ack_type() {
        Some(AckType::CE) => Finding::pass(seen),
        Some(AckType::CA) => Finding::fail(format!(
            "{}: {seen}",
            language.pick(
                "aanvaard, terwijl het bericht afgewezen moest worden",
                "accepted, where the message must be refused"
            )
        )),
        _ => Finding::fail(format!("{}: {seen}", language.pick("geen CE", "not CE"))),
    }
}

/// A message to another receiver: `CR` or `CE`, never `CA`. Pure.
pub fn not_ours(reading: &Reading, language: Language) -> Finding {
    let seen = reading.describe(language);
    match reading.ack_type() {
        Some(AckType::CR | AckType::CE) => Finding::pass(seen),
        Some(AckType::CA) => Finding::fail(format!(
            "{}: {seen}",
            language.pick(
                "aanvaard, terwijl het aan een andere ontvanger gericht was",
                "accepted, though it was addressed to another receiver"
            )
        )),
        None => Finding::fail(format!(
            "{}: {seen}",
            language.pick("geen CR of CE", "not CR or CE")
        )),
    }
}

/// Malformed XML: a SOAP fault or an HTTP error passes, `CA` fails, anything else
/// (another acknowledgement with 200) is a warning. Pure.
pub fn malformed(status: u16, reading: &Reading, language: Language) -> Finding {
    let seen = format!("HTTP {status}, {}", reading.describe(language));
    match reading {
        Reading::Ack(ack) if ack.type_code == AckType::CA => Finding::fail(format!(
            "{}: {seen}",
            language.pick("onjuiste XML aanvaard", "malformed XML accepted")
        )),
        Reading::Fault(..) => Finding::pass(seen),
        _ if status >= 400 => Finding::pass(seen),
        _ => Finding::warn(format!(
            "{}: {seen}",
            language.pick(
                "geen SOAP-fault en geen HTTP-fout",
                "neither a SOAP fault nor an HTTP error"
            )
        )),
    }
}

/// The checks of the acknowledgement of our test delivery `ours` (`None`: none came):
/// its `targetMessage` is `ours`; its sender and receiver are `parties` (our sender id,
/// the receiver's id) swapped; its own id is new — neither `ours` nor one of the `earlier`
/// answers' ids. Pure.
pub fn acknowledgement(
    ack: Option<&Acknowledgement>,
    ours: &MessageId,
    parties: (&ApplicationId, &ApplicationId),
    earlier: &[MessageId],
    language: Language,
) -> [(&'static str, Finding); 3] {
    let Some(ack) = ack else {
        let none = language.pick("geen bevestiging", "no acknowledgement");
        return [
            ("delivery.ack-target", Finding::skip(none)),
            ("delivery.ack-parties", Finding::skip(none)),
            ("delivery.ack-id", Finding::skip(none)),
        ];
    };
    let target = if &ack.target == ours {
        Finding::pass(ack.target.to_string())
    } else {
        Finding::fail(language.pick(
            format!("targetMessage {}, ons bericht is {ours}", ack.target),
            format!("targetMessage {}, our message is {ours}", ack.target),
        ))
    };
    let (sender, receiver) = parties;
    let seen = language.pick(
        format!("afzender {}, ontvanger {}", ack.sender, ack.receiver),
        format!("sender {}, receiver {}", ack.sender, ack.receiver),
    );
    let swapped = if &ack.sender == receiver && &ack.receiver == sender {
        Finding::pass(seen)
    } else {
        Finding::fail(language.pick(
            format!("{seen}; verwacht afzender {receiver}, ontvanger {sender}"),
            format!("{seen}; expected sender {receiver}, receiver {sender}"),
        ))
    };
    let id = &ack.id;
    let new = if id == ours || earlier.contains(id) {
        Finding::fail(language.pick(
            format!("{id} is niet nieuw (het id van ons bericht of van een eerder antwoord)"),
            format!("{id} is not new (our message's id or an earlier answer's)"),
        ))
    } else {
        Finding::pass(id.to_string())
    };
    [
        ("delivery.ack-target", target),
        ("delivery.ack-parties", swapped),
        ("delivery.ack-id", new),
    ]
}

/// The clock skew: the receiver's `Date` header against the middle of our request's
/// time (`sent` to `answered`); `Date` has whole seconds, so a second is given. Pure.
pub fn skew(
    date: Option<&str>,
    sent: chrono::DateTime<chrono::Utc>,
    answered: chrono::DateTime<chrono::Utc>,
    language: Language,
) -> Finding {
    let Some(date) = date else {
        return Finding::warn(language.pick(
            "het antwoord heeft geen Date-header: het klokverschil is niet te meten",
            "the answer has no Date header: the clock skew cannot be measured",
        ));
    };
    let Ok(theirs) = chrono::DateTime::parse_from_rfc2822(date) else {
        return Finding::warn(format!(
            "{}: {date:?}",
            language.pick("onleesbare Date-header", "unreadable Date header")
        ));
    };
    let middle = sent + (answered - sent) / 2;
    let ours = middle.timestamp();
    let off = theirs.timestamp() - ours;
    // Date has whole seconds: within a second either way is no skew.
    let skew = if off.abs() <= 1 { 0 } else { off };
    let evidence = format!(
        "Date: {date}; {} {}; {} {skew:+} s",
        language.pick("onze klok", "our clock"),
        middle.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        language.pick("verschil", "skew"),
    );
    if skew.abs() > 60 {
        Finding::warn(evidence)
    } else {
        Finding::pass(evidence)
    }
}

/// Days until the receiver's certificate expires: a warning under 30, a failure once
/// expired. Pure.
pub fn expiry(
    not_after: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    language: Language,
) -> Finding {
    let days = (not_after - now).num_days();
    let evidence = format!(
        "{} {}; {days} {}",
        language.pick("geldig tot", "valid until"),
        not_after.format("%Y-%m-%d %H:%M UTC"),
        language.pick("dagen", "days")
    );
    if not_after <= now {
        Finding::fail(evidence)
    } else if days < 30 {
        Finding::warn(evidence)
    } else {
        Finding::pass(evidence)
    }
}

#[cfg(test)]
mod tests;
