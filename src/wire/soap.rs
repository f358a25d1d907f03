//! The SOAP 1.1 envelope around the HL7 interaction, and SOAP faults.

use super::encode::escape;
use super::*;
use crate::diagnostics::{Report, Rule};
use crate::message::{Acknowledgement, LotMessage};
use crate::xml::{Document, Element};
use std::fmt::Write;

/// Who is at fault, as `faultcode` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// `soap:Client`: the request was wrong; sending it again cannot help.
    Client,
    /// `soap:Server`: the receiver failed; trying again later may help.
    Server,
}

impl FaultCode {
    /// The qualified name written in `faultcode`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultCode::Client => "soap:Client",
            FaultCode::Server => "soap:Server",
        }
    }
}

/// A SOAP fault as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The fault code, when it is one of the two standard ones (`None` otherwise).
    pub code: Option<FaultCode>,
    /// `faultcode` as written.
    pub raw_code: String,
    /// `faultstring`.
    pub reason: String,
}

/// What a SOAP body holds.
#[derive(Debug)]
pub enum Body<'d, 'a> {
    /// One element that should be an HL7 interaction.
    Interaction(Element<'d, 'a>),
    /// A SOAP fault.
    Fault(Fault),
}

const ENVELOPE_OPEN: &str = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\n<soap:Header/>\n<soap:Body>\n";
const ENVELOPE_CLOSE: &str = "</soap:Body>\n</soap:Envelope>\n";

/// Wraps an element (without XML declaration) in a SOAP 1.1 envelope.
pub fn envelope(element: &str) -> String {
    let mut out = String::with_capacity(element.len() + 200);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(ENVELOPE_OPEN);
    out.push_str(element);
    out.push_str(ENVELOPE_CLOSE);
    out
}

/// The message in a SOAP envelope: the exact bytes a sender posts.
pub fn message_envelope(message: &LotMessage) -> String {
    let mut body = String::with_capacity(2048 + message.lots.len() * 480);
    encode::write_message(&mut body, message);
    envelope(&body)
}

/// The acknowledgement in a SOAP envelope: the exact bytes a receiver answers.
pub fn acknowledgement_envelope(ack: &Acknowledgement) -> String {
    let mut body = String::with_capacity(2048);
    encode::write_acknowledgement(&mut body, ack);
    envelope(&body)
}

/// A SOAP 1.1 fault envelope; `language` is the `xml:lang` of `reason` ("nl", "en").
/// `reason` must not carry secrets or internal details.
pub fn fault_envelope(code: FaultCode, reason: &str, language: &str) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<soap:Fault>\n<faultcode>{}</faultcode>\n<faultstring xml:lang=\"{}\">{}</faultstring>\n</soap:Fault>\n",
        code.as_str(),
        escape(language),
        escape(reason)
    );
    envelope(&body)
}

/// Finds what the body of a SOAP 1.1 envelope holds. With `allow_bare`, a document whose
/// root is not an envelope is taken as the interaction itself (what `lotgate validate`
/// accepts). Problems are reported as faults and yield `None`.
pub fn open<'d, 'a>(
    doc: &'d Document<'a>,
    allow_bare: bool,
    report: &mut Report,
) -> Option<Body<'d, 'a>> {
    let root = doc.root();
    if root.name() != "Envelope" {
        // A bare document is taken as the interaction when it is in the HL7 namespace or
        // at least named like an HL7 interaction (then its namespace is what is wrong).
        let looks_hl7 = root.namespace() == HL7_NS
            || root.name() == MESSAGE_INTERACTION
            || root.name() == ACK_INTERACTION;
        if allow_bare && looks_hl7 {
            return Some(Body::Interaction(root));
        }
        not_envelope(report, root);
        return None;
    }
    match root.namespace() {
        SOAP11_NS => {}
        SOAP12_NS => {
            report.add(
                Rule::SoapVersion,
                "/Envelope",
                "SOAP 1.2 wordt niet ondersteund; gebruik SOAP 1.1",
                "SOAP 1.2 is not supported; use SOAP 1.1",
            );
            return None;
        }
        _ => {
            not_envelope(report, root);
            return None;
        }
    }
    let children: Vec<_> = root.children().collect();
    let body = match children.as_slice() {
        [body] if body.is(SOAP11_NS, "Body") => *body,
        [header, body] if header.is(SOAP11_NS, "Header") && body.is(SOAP11_NS, "Body") => *body,
        _ => {
            report.add(
                Rule::SoapBody,
                "/Envelope",
                "de envelop moet bestaan uit een optionele soap:Header en één soap:Body",
                "the envelope must hold an optional soap:Header and one soap:Body",
            );
            return None;
        }
    };
    let mut elements = body.children();
    let (Some(first), None) = (elements.next(), elements.next()) else {
        report.add(
            Rule::SoapBodyCount,
            "/Envelope/Body",
            "soap:Body moet precies één HL7-interactie bevatten",
            "soap:Body must hold exactly one HL7 interaction",
        );
        return None;
    };
    if first.is(SOAP11_NS, "Fault") {
        let text = |name: &str| {
            first
                .child(name)
                .and_then(|e| e.text())
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let raw_code = text("faultcode");
        let code = match raw_code.rsplit(':').next() {
            Some("Client") => Some(FaultCode::Client),
            Some("Server") => Some(FaultCode::Server),
            _ => None,
        };
        return Some(Body::Fault(Fault {
            code,
            raw_code,
            reason: text("faultstring"),
        }));
    }
    Some(Body::Interaction(first))
}

fn not_envelope(report: &mut Report, root: Element<'_, '_>) {
    report.add(
        Rule::SoapNotEnvelope,
        format!("/{}", root.name()),
        format!("verwacht een SOAP 1.1-envelop, gevonden: {}", root.name()),
        format!("expected a SOAP 1.1 envelope, found: {}", root.name()),
    );
}

/// Checks that an element is the expected HL7 interaction: namespace and name.
pub fn is_interaction(element: Element<'_, '_>, expected: &str, report: &mut Report) -> bool {
    if element.namespace() != HL7_NS {
        let ns = match element.namespace() {
            "" => "geen namespace".to_owned(),
            other => format!("namespace {other}"),
        };
        report.add(
            Rule::Hl7Namespace,
            profile::location(element),
            format!("{} heeft {ns}; verwacht {HL7_NS}", element.name()),
            format!("{} is not in namespace {HL7_NS}", element.name()),
        );
        return false;
    }
    if element.name() != expected {
        report.add(
            Rule::Hl7Interaction,
            profile::location(element),
            format!(
                "interactie {} wordt hier niet ondersteund; verwacht {expected}",
                element.name()
            ),
            format!(
                "interaction {} is not supported here; expected {expected}",
                element.name()
            ),
        );
        return false;
    }
    true
}
