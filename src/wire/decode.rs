//! Reading a PRMM_IN010043NL element into what it says, reporting every structural
//! problem on the way.
//!
//! The result keeps whatever could be read even when something else is wrong, because
//! an acknowledgement must still be addressed (message id, sender) and a report should
//! list all problems, not the first. Rules that compare values (author equals sender,
//! one vaccine type per lot, ...) are validation's, not the decoder's.

use super::decoded::DecodedMessage;
use super::profile::{self, Children, timestamp};
use super::*;
use crate::diagnostics::{Report, Rule};
use crate::ids::{AORTA_APPLICATION_ROOT, ApplicationId, MessageId, URA_ROOT, UZI_SERVER_ROOT};
use crate::message::Organization;
use crate::vaccine::CodeList;
use crate::xml::Element;

/// Reads a PRMM_IN010043NL element, its vaccine types checked against `codes` on the
/// message's creation date. The caller has checked its namespace and name.
pub fn decode_message(
    root: Element<'_, '_>,
    codes: &CodeList,
    report: &mut Report,
) -> DecodedMessage {
    let mut out = DecodedMessage::default();
    if root.attr("ITSVersion").is_some() {
        report.add(
            Rule::StructureUnexpected,
            format!("{}/@ITSVersion", profile::location(root)),
            "attribuut ITSVersion is niet toegestaan in de NL-variant",
            "attribute ITSVersion is not allowed in the Dutch variant",
        );
    }
    let kids = profile::children(root, profile::MESSAGE, report);
    read_wrapper(&kids, MESSAGE_INTERACTION, "AL", report);
    out.id = read_message_id(root, kids.one("id"), report);
    out.created = kids
        .one("creationTime")
        .and_then(|e| timestamp(e, "value", report));
    out.receiver = read_device(&kids, "receiver", Rule::WrapperReceiver, report);
    out.sender = read_device(&kids, "sender", Rule::WrapperSender, report);
    if let Some(control_act) = kids.one("ControlActProcess") {
        read_control_act(control_act, codes, &mut out, report);
    }
    out
}

/// Checks the fixed wrapper values shared by message and acknowledgement.
pub(super) fn read_wrapper(
    kids: &Children<'_, '_>,
    interaction: &str,
    accept_ack: &str,
    report: &mut Report,
) {
    if let Some(e) = kids.one("versionCode") {
        profile::fixed(report, Rule::WrapperVersionCode, e, "code", VERSION_CODE);
    }
    if let Some(e) = kids.one("interactionId")
        && profile::fixed(
            report,
            Rule::WrapperInteractionId,
            e,
            "root",
            INTERACTION_ROOT,
        )
    {
        profile::fixed(
            report,
            Rule::WrapperInteractionId,
            e,
            "extension",
            interaction,
        );
    }
    if let Some(e) = kids.one("profileId")
        && profile::fixed(report, Rule::WrapperProfileId, e, "root", PROFILE_ROOT)
    {
        profile::fixed(
            report,
            Rule::WrapperProfileId,
            e,
            "extension",
            PROFILE_EXTENSION,
        );
    }
    if let Some(e) = kids.one("processingCode") {
        profile::fixed(report, Rule::WrapperProcessingCode, e, "code", "P");
    }
    if let Some(e) = kids.one("processingModeCode") {
        profile::fixed(report, Rule::WrapperProcessingMode, e, "code", "T");
    }
    if let Some(e) = kids.one("acceptAckCode") {
        match e.attr("code") {
            Some(code) if code == accept_ack => {}
            Some("NE") if accept_ack == "AL" => report.add(
                Rule::WrapperAcceptAckNe,
                format!("{}/@code", profile::location(e)),
                "acceptAckCode is NE; lotgate antwoordt toch met een ontvangstbevestiging",
                "acceptAckCode is NE; lotgate answers with an acknowledgement all the same",
            ),
            _ => {
                profile::fixed(report, Rule::WrapperAcceptAck, e, "code", accept_ack);
            }
        }
    }
}

/// Reads the message id; a missing or incomplete one means no acknowledgement can refer
/// to the message.
pub(super) fn read_message_id(
    root: Element<'_, '_>,
    id: Option<Element<'_, '_>>,
    report: &mut Report,
) -> Option<MessageId> {
    let location = format!("{}/id", profile::location(root));
    let (root_oid, extension) = match id {
        Some(id) => (
            id.attr("root").unwrap_or(""),
            id.attr("extension").unwrap_or(""),
        ),
        None => ("", ""),
    };
    match MessageId::parse(root_oid, extension) {
        Ok(id) => Some(id),
        Err(e) => {
            report.add(
                Rule::Hl7MessageId,
                location,
                format!("het bericht-id moet root (OID) en extension hebben: {e}"),
                format!("the message id needs a root (OID) and an extension: {e}"),
            );
            None
        }
    }
}

/// Reads `receiver/device/id` or `sender/device/id`: root must be the AORTA root.
pub(super) fn read_device(
    kids: &Children<'_, '_>,
    role: &str,
    rule: Rule,
    report: &mut Report,
) -> Option<ApplicationId> {
    let function = kids.one(role)?;
    let function_kids = profile::children(function, profile::COMMUNICATION_FUNCTION, report);
    let device = function_kids.one("device")?;
    let device_kids = profile::children(device, profile::DEVICE, report);
    let id = device_kids.one("id")?;
    profile::fixed(report, rule, id, "root", AORTA_APPLICATION_ROOT);
    let extension = id.attr("extension").unwrap_or("");
    match ApplicationId::parse(extension) {
        Ok(app) => Some(app),
        Err(e) => {
            let missing_sender = role == "sender";
            report.add(
                if missing_sender {
                    Rule::Hl7SenderId
                } else {
                    rule
                },
                format!("{}/@extension", profile::location(id)),
                format!("{role}: geen bruikbaar applicatie-id: {e}"),
                format!("{role}: no usable application id: {e}"),
            );
            None
        }
    }
}

fn read_control_act(
    control_act: Element<'_, '_>,
    codes: &CodeList,
    out: &mut DecodedMessage,
    report: &mut Report,
) {
    profile::structure(report, control_act, &[("moodCode", "EVN")]);
    let kids = profile::children(control_act, profile::CONTROL_ACT, report);
    if let Some(author) = kids.one("authorOrPerformer") {
        read_author(author, out, report);
    }
    let Some(subject) = kids.one("subject") else {
        return;
    };
    let subject_kids = profile::children(subject, profile::SUBJECT, report);
    if let Some(list) = subject_kids.one("ProductList") {
        super::products::read_product_list(list, codes, out, report);
    }
}

fn read_author(author: Element<'_, '_>, out: &mut DecodedMessage, report: &mut Report) {
    profile::structure(report, author, &[("typeCode", "AUT")]);
    let kids = profile::children(author, profile::AUTHOR, report);
    let Some(participant) = kids.one("participant") else {
        return;
    };
    if participant.child("AssignedPerson").is_some() {
        report.add(
            Rule::WrapperAuthor,
            format!("{}/AssignedPerson", profile::location(participant)),
            "de auteur moet een systeem (AssignedDevice) zijn, geen persoon",
            "the author must be a system (AssignedDevice), not a person",
        );
        return;
    }
    let participant_kids = profile::children(participant, profile::PARTICIPANT, report);
    let Some(device) = participant_kids.one("AssignedDevice") else {
        return;
    };
    out.author_present = true;
    let device_kids = profile::children(device, profile::ASSIGNED_DEVICE, report);
    for id in device_kids.all("id") {
        match id.attr("root") {
            Some(AORTA_APPLICATION_ROOT) => {
                out.author_application = Some(id.attr("extension").unwrap_or("").to_owned())
            }
            Some(UZI_SERVER_ROOT) => out.author.uzi = id.attr("extension").map(str::to_owned),
            other => report.add(
                Rule::StructureUnexpected,
                profile::location(id),
                format!(
                    "onbekende root {:?} voor een auteur-id (verwacht UZI of AORTA)",
                    other.unwrap_or("")
                ),
                format!(
                    "unknown author id root {:?} (expected UZI or AORTA)",
                    other.unwrap_or("")
                ),
            ),
        }
    }
    let Some(org) = device_kids.one("Organization") else {
        return;
    };
    let org_kids = profile::children(org, profile::ORGANIZATION, report);
    let Some(id) = org_kids.one("id") else { return };
    if profile::fixed(report, Rule::AuthorUziUra, id, "root", URA_ROOT) {
        let name = org_kids
            .one("name")
            .and_then(|n| n.text())
            .map(|t| t.trim().to_owned());
        out.author.organization =
            id.attr("extension")
                .filter(|e| !e.is_empty())
                .map(|ura| Organization {
                    ura: ura.to_owned(),
                    name,
                });
    }
}
