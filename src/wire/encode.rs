//! Writing messages and acknowledgements as XML.
//!
//! Element order is the schema's sequence order (it matters), the Dutch acknowledgement
//! variant puts `acknowledgement` before `receiver`/`sender`, and `kindOfProduct` is never
//! written. Lots are written one per line without indentation so that a 10,000-lot
//! message stays well under the receiver's default body limit.

use super::*;
use crate::ids::{AORTA_APPLICATION_ROOT, URA_ROOT, UZI_SERVER_ROOT};
use crate::message::{Acknowledgement, LotMessage};
use crate::timestamp::format_date;
use crate::vaccine::VACCINE_CODE_SYSTEM;
use std::fmt::Write;

/// Escapes text for an attribute value or element content: the markup characters, and
/// tab, line feed and carriage return as character references, because a parser turns
/// those into spaces in attribute values and they would not survive the round trip.
pub(crate) fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    let needs = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t' | '\n' | '\r');
    if !text.contains(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Writes the message as a bare HL7 document (with XML declaration).
pub fn encode_message(message: &LotMessage) -> String {
    let mut out = String::with_capacity(2048 + message.lots.len() * 480);
    out.push_str(XML_DECLARATION);
    write_message(&mut out, message);
    out
}

/// Writes the acknowledgement as a bare HL7 document (with XML declaration).
pub fn encode_acknowledgement(ack: &Acknowledgement) -> String {
    let mut out = String::with_capacity(2048);
    out.push_str(XML_DECLARATION);
    write_acknowledgement(&mut out, ack);
    out
}

/// Writes the message element (no declaration) to `out`.
pub(crate) fn write_message(out: &mut String, m: &LotMessage) {
    let _ = writeln!(out, "<{MESSAGE_INTERACTION} xmlns=\"{HL7_NS}\">");
    write_header(out, &m.id, m.created.as_str(), MESSAGE_INTERACTION, "AL");
    write_device(out, "receiver", m.receiver.as_str());
    write_device(out, "sender", m.sender.as_str());
    out.push_str("  <ControlActProcess moodCode=\"EVN\">\n");
    out.push_str(
        "    <authorOrPerformer typeCode=\"AUT\">\n      <participant>\n        <AssignedDevice>\n",
    );
    if let Some(uzi) = &m.author.uzi {
        let _ = writeln!(
            out,
            "          <id root=\"{UZI_SERVER_ROOT}\" extension=\"{}\"/>",
            escape(uzi)
        );
    }
    let _ = writeln!(
        out,
        "          <id root=\"{AORTA_APPLICATION_ROOT}\" extension=\"{}\"/>",
        m.sender.as_str()
    );
    if let Some(org) = &m.author.organization {
        out.push_str("          <Organization>\n");
        let _ = writeln!(
            out,
            "            <id root=\"{URA_ROOT}\" extension=\"{}\"/>",
            escape(&org.ura)
        );
        if let Some(name) = &org.name {
            let _ = writeln!(out, "            <name>{}</name>", escape(name));
        }
        out.push_str("          </Organization>\n");
    }
    out.push_str("        </AssignedDevice>\n      </participant>\n    </authorOrPerformer>\n");
    out.push_str("    <subject>\n      <ProductList classCode=\"LIST\" moodCode=\"EVN\">\n");
    let _ = writeln!(
        out,
        "        <templateId root=\"{PRODUCT_LIST_TEMPLATE}\"/>"
    );
    let _ = writeln!(
        out,
        "        <code code=\"{PRODUCT_LIST_CODE}\" codeSystem=\"{SNOMED_CT}\" displayName=\"{}\"/>",
        escape(PRODUCT_LIST_DISPLAY_NAME)
    );
    let _ = writeln!(
        out,
        "        <effectiveTime><low value=\"{}\"/><high value=\"{}\"/></effectiveTime>",
        m.period.low.as_str(),
        m.period.high.as_str()
    );
    for lot in m.lots.lots() {
        out.push_str("<product typeCode=\"PRD\"><instanceOfKind classCode=\"INST\">");
        out.push_str("<productInstanceInstance classCode=\"MMAT\" determinerCode=\"INSTANCE\">");
        let _ = write!(
            out,
            "<id nullFlavor=\"UNC\" extension=\"{}\"/>",
            escape(lot.number.as_str())
        );
        if let Some(expires) = lot.expires {
            let _ = write!(
                out,
                "<expirationTime><high value=\"{}\"/></expirationTime>",
                format_date(expires)
            );
        }
        out.push_str("<asInstanceOfKind classCode=\"INST\"><kindOfMaterialKind classCode=\"MAT\" determinerCode=\"KIND\">");
        let _ = write!(
            out,
            "<code code=\"{}\" codeSystem=\"{VACCINE_CODE_SYSTEM}\" displayName=\"{}\"/>",
            lot.vaccine.code(),
            escape(lot.vaccine.name())
        );
        out.push_str("</kindOfMaterialKind></asInstanceOfKind></productInstanceInstance></instanceOfKind></product>\n");
    }
    out.push_str("      </ProductList>\n    </subject>\n  </ControlActProcess>\n");
    let _ = writeln!(out, "</{MESSAGE_INTERACTION}>");
}

/// Writes the acknowledgement element (no declaration) to `out`.
pub(crate) fn write_acknowledgement(out: &mut String, a: &Acknowledgement) {
    let _ = writeln!(out, "<{ACK_INTERACTION} xmlns=\"{HL7_NS}\">");
    write_header(out, &a.id, a.created.as_str(), ACK_INTERACTION, "NE");
    let _ = writeln!(
        out,
        "  <acknowledgement typeCode=\"{}\">",
        a.type_code.as_str()
    );
    for d in &a.details {
        out.push_str("    <acknowledgementDetail typeCode=\"E\">\n");
        let _ = write!(
            out,
            "      <code code=\"{}\" codeSystem=\"{}\"",
            escape(&d.code),
            escape(&d.code_system)
        );
        if let Some(name) = &d.display_name {
            let _ = write!(out, " displayName=\"{}\"", escape(name));
        }
        out.push_str("/>\n");
        if let Some(text) = &d.text {
            let _ = writeln!(out, "      <text>{}</text>", escape(text));
        }
        if let Some(location) = &d.location {
            let _ = writeln!(out, "      <location>{}</location>", escape(location));
        }
        out.push_str("    </acknowledgementDetail>\n");
    }
    let _ = writeln!(
        out,
        "    <targetMessage>\n      <id root=\"{}\" extension=\"{}\"/>\n    </targetMessage>",
        escape(a.target.root().as_str()),
        escape(a.target.extension())
    );
    out.push_str("  </acknowledgement>\n");
    write_device(out, "receiver", a.receiver.as_str());
    write_device(out, "sender", a.sender.as_str());
    let _ = writeln!(out, "</{ACK_INTERACTION}>");
}

fn write_header(
    out: &mut String,
    id: &crate::ids::MessageId,
    created: &str,
    interaction: &str,
    accept_ack: &str,
) {
    let _ = writeln!(
        out,
        "  <id root=\"{}\" extension=\"{}\"/>",
        escape(id.root().as_str()),
        escape(id.extension())
    );
    let _ = writeln!(out, "  <creationTime value=\"{}\"/>", escape(created));
    let _ = writeln!(out, "  <versionCode code=\"{VERSION_CODE}\"/>");
    let _ = writeln!(
        out,
        "  <interactionId root=\"{INTERACTION_ROOT}\" extension=\"{interaction}\"/>"
    );
    let _ = writeln!(
        out,
        "  <profileId root=\"{PROFILE_ROOT}\" extension=\"{PROFILE_EXTENSION}\"/>"
    );
    out.push_str("  <processingCode code=\"P\"/>\n  <processingModeCode code=\"T\"/>\n");
    let _ = writeln!(out, "  <acceptAckCode code=\"{accept_ack}\"/>");
}

fn write_device(out: &mut String, role: &str, application_id: &str) {
    let _ = writeln!(
        out,
        "  <{role}>\n    <device>\n      <id root=\"{AORTA_APPLICATION_ROOT}\" extension=\"{}\"/>\n    </device>\n  </{role}>",
        escape(application_id)
    );
}
