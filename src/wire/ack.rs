//! Reading an MCCI_IN000002 acknowledgement (the sender reads what the receiver answered).

use super::decode::{read_device, read_message_id, read_wrapper};
use super::profile;
use super::profile::timestamp;
use super::*;
use crate::diagnostics::{Report, Rule};
use crate::message::{AckDetail, AckType, Acknowledgement};
use crate::xml::Element;

/// Reads an acknowledgement element (namespace and name already checked). Returns it
/// when it is complete and follows the Nictiz rules (`typeCode` CA/CE/CR, at least one
/// detail with CE, detail `typeCode` only `E`); every problem goes into `report`.
pub fn decode_acknowledgement(
    root: Element<'_, '_>,
    report: &mut Report,
) -> Option<Acknowledgement> {
    let kids = profile::children(root, profile::ACKNOWLEDGEMENT_MESSAGE, report);
    read_wrapper(&kids, ACK_INTERACTION, "NE", report);
    let id = read_message_id(root, kids.one("id"), report);
    let created = kids
        .one("creationTime")
        .and_then(|e| timestamp(e, "value", report));
    let receiver = read_device(&kids, "receiver", Rule::WrapperReceiver, report);
    let sender = read_device(&kids, "sender", Rule::WrapperSender, report);
    let ack = kids.one("acknowledgement")?;
    let type_code = match ack.attr("typeCode").and_then(AckType::parse) {
        Some(t) => Some(t),
        None => {
            report.add(
                Rule::StructureFixedValue,
                format!("{}/@typeCode", profile::location(ack)),
                "acknowledgement/@typeCode moet CA, CE of CR zijn",
                "acknowledgement/@typeCode must be CA, CE or CR",
            );
            None
        }
    };
    let ack_kids = profile::children(ack, profile::ACKNOWLEDGEMENT, report);
    let mut details = Vec::new();
    for detail in ack_kids.all("acknowledgementDetail") {
        if let Some(d) = read_detail(detail, report) {
            details.push(d);
        }
    }
    if type_code == Some(AckType::CE) && ack_kids.one("acknowledgementDetail").is_none() {
        profile::missing(report, ack, "acknowledgementDetail");
    }
    let target = ack_kids.one("targetMessage").and_then(|t| {
        let t_kids = profile::children(t, profile::TARGET_MESSAGE, report);
        read_message_id(t, t_kids.one("id"), report)
    });
    Some(Acknowledgement {
        id: id?,
        created: created?,
        type_code: type_code?,
        details,
        target: target?,
        receiver: receiver?,
        sender: sender?,
    })
    .filter(|_| !report.has(crate::diagnostics::Level::Error))
}

fn read_detail(detail: Element<'_, '_>, report: &mut Report) -> Option<AckDetail> {
    if detail.attr("typeCode").is_some_and(|t| t != "E") {
        profile::structure(report, detail, &[("typeCode", "E")]);
    }
    let kids = profile::children(detail, profile::ACK_DETAIL, report);
    let code = kids.one("code")?;
    let text = |name: &str| {
        kids.one(name)
            .and_then(|e| e.text())
            .map(|t| t.trim().to_owned())
    };
    let (Some(value), Some(system)) = (code.attr("code"), code.attr("codeSystem")) else {
        report.add(
            Rule::StructureMissing,
            profile::location(code),
            "acknowledgementDetail/code heeft code en codeSystem nodig",
            "acknowledgementDetail/code needs code and codeSystem",
        );
        return None;
    };
    Some(AckDetail {
        code: value.to_owned(),
        code_system: system.to_owned(),
        display_name: code.attr("displayName").map(str::to_owned),
        text: text("text"),
        location: text("location"),
    })
}
