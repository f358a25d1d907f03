//! Validation: everything the receiver checks before it would accept a delivery, as a
//! pure function from bytes to a [`Report`] (and, when nothing blocks, the message).
//!
//! Order of the checks, as in the receiver's pipeline: transport (XML, hostile
//! constructs, SOAP envelope, one interaction) → interaction and wrapper (fixed values,
//! application ids, author) → content (the lots). The report's worst level decides the
//! answer: see [`answer`].

mod answer;
mod content;

pub use crate::diagnostics::{
    ACK_DETAIL_CODE_SYSTEM, Hl7Code, Issue, Level, MAX_ISSUES, Report, Rule, Verdict, level_name,
};
use crate::language::Language;
pub use answer::{Answer, answer};

use crate::ids::{ApplicationId, MessageId};
use crate::message::LotMessage;
use crate::vaccine::CodeList;
use crate::wire::{self, MESSAGE_INTERACTION, soap};
use crate::xml::{Document, Limits, XmlErrorKind};
use std::sync::Arc;

/// What the validating side knows about itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Our own application id: the message must be addressed to it. `None`: not checked.
    pub receiver: Option<ApplicationId>,
    /// The sender application ids we accept. Empty: any.
    pub allowed_senders: Vec<ApplicationId>,
    /// The identity of the client certificate the message came over, when
    /// `allowed_senders` are the ids mapped to that certificate (two-way TLS): a refused
    /// sender is then refused for this certificate.
    pub certificate: Option<String>,
    /// Accept a bare HL7 document without SOAP envelope (`lotgate validate`).
    pub allow_bare: bool,
    /// Limits for parsing.
    pub limits: Limits,
    /// The release of the vaccine-type code list in force (`gateway.code_list`).
    pub codes: Arc<CodeList>,
}

/// Who an acknowledgement goes to, known as soon as the wrapper could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    /// The id of the message being answered.
    pub message: MessageId,
    /// The message's sender: receives the acknowledgement.
    pub sender: ApplicationId,
    /// The message's receiver as addressed, if readable.
    pub receiver: Option<ApplicationId>,
}

/// The result of validating one input.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every problem found.
    pub report: Report,
    /// The message, when nothing blocks it.
    pub message: Option<LotMessage>,
    /// Where an acknowledgement would go, when that could be read.
    pub reply_to: Option<ReplyTo>,
}

impl Outcome {
    /// What the receiver would answer.
    pub fn verdict(&self) -> Verdict {
        self.report.verdict()
    }
}

/// Validates one input: a SOAP envelope around a PRMM_IN010043NL message (or, with
/// `allow_bare`, the bare message).
pub fn check(input: &[u8], options: &Options) -> Outcome {
    let mut report = Report::new();
    let outcome = |report, message, reply_to| Outcome {
        report,
        message,
        reply_to,
    };
    let doc = match Document::parse(input, &options.limits) {
        Ok(doc) => doc,
        Err(e) => {
            let rule = match e.kind {
                XmlErrorKind::NotUtf8 => Rule::XmlNotUtf8,
                XmlErrorKind::Malformed => Rule::XmlMalformed,
                XmlErrorKind::Doctype => Rule::XmlDoctype,
                XmlErrorKind::TooDeep => Rule::XmlTooDeep,
                XmlErrorKind::TooLarge => Rule::XmlTooLarge,
            };
            report.add(
                rule,
                "/",
                format!("onbruikbare XML: {}", e.text(Language::Nl)),
                format!("unusable XML: {}", e.text(Language::En)),
            );
            return outcome(report, None, None);
        }
    };
    let interaction = match soap::open(&doc, options.allow_bare, &mut report) {
        Some(soap::Body::Interaction(element)) => element,
        Some(soap::Body::Fault(_)) => {
            report.add(
                Rule::Hl7Interaction,
                "/Envelope/Body/Fault",
                "soap:Body bevat een fout (soap:Fault) in plaats van een bericht",
                "soap:Body holds a soap:Fault instead of a message",
            );
            return outcome(report, None, None);
        }
        None => return outcome(report, None, None),
    };
    if !soap::is_interaction(interaction, MESSAGE_INTERACTION, &mut report) {
        return outcome(report, None, None);
    }
    let mut decoded = wire::decode_message(interaction, &options.codes, &mut report);
    if decoded.sender.is_none() && !report.contains(Rule::Hl7SenderId) {
        report.add(
            Rule::Hl7SenderId,
            "/PRMM_IN010043NL/sender/device/id",
            "het applicatie-id van de verzender ontbreekt: er kan geen ontvangstbevestiging worden geadresseerd",
            "the sender's application id is missing: no acknowledgement can be addressed",
        );
    }
    content::check_identity(&decoded, options, &mut report);
    let lots = content::check_lots(&mut decoded, &mut report);
    let reply_to = match (&decoded.id, &decoded.sender) {
        (Some(message), Some(sender)) => Some(ReplyTo {
            message: message.clone(),
            sender: sender.clone(),
            receiver: decoded.receiver.clone(),
        }),
        _ => None,
    };
    let message = if report.has(Level::Error) {
        None
    } else {
        content::assemble(decoded, lots)
    };
    outcome(report, message, reply_to)
}
