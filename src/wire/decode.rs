//! Reading a PRMM_IN010043NL element into what it says, reporting every structural
//! problem on the way.
//!
//! The result keeps whatever could be read even when something else is wrong, because
//! an acknowledgement must still be addressed (message id, sender) and a report should
//! list all problems, not the first. Rules that compare values (author equals sender,
//! one vaccine type per lot, ...) are validation's, not the decoder's.

use super::profile::{self, Children};
use super::*;
use crate::ids::{
    AORTA_APPLICATION_ROOT, ApplicationId, MessageId, URA_ROOT, UZI_SERVER_ROOT, is_oid,
};
use crate::lot::{Lot, LotNumber, LotNumberError};
use crate::message::{Author, Organization, Period};
use crate::timestamp::{Timestamp, parse_date};
use crate::vaccine::{VACCINE_CODE_SYSTEM, VaccineCode, VaccineType};
use crate::validate::{Report, Rule};
use crate::xml::Element;

/// What a lot-number message says, as far as it could be read.
#[derive(Debug, Clone, Default)]
pub struct DecodedMessage {
    /// The message id, if present and well-formed.
    pub id: Option<MessageId>,
    /// The creation time, if present and well-formed.
    pub created: Option<Timestamp>,
    /// `receiver/device/id/@extension`, if readable.
    pub receiver: Option<ApplicationId>,
    /// `sender/device/id/@extension`, if readable.
    pub sender: Option<ApplicationId>,
    /// The author device's AORTA application id (extension as written), if any.
    pub author_application: Option<String>,
    /// The author device's UZI number and organisation.
    pub author: Author,
    /// Whether the author was readable at all (a device with ids).
    pub author_present: bool,
    /// The list's validity period, if complete and well-formed.
    pub period: Option<Period>,
    /// Every lot that could be read, with the 1-based position of its `product`.
    pub entries: Vec<Entry>,
    /// How many `product` elements the list has.
    pub products: usize,
}

/// One lot as read from the message, with the position of its `product` element.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The lot.
    pub lot: Lot,
    /// 1-based position of the `product` element.
    pub product: usize,
}

/// XPath of the product list.
pub const PRODUCT_LIST_PATH: &str = "/PRMM_IN010043NL/ControlActProcess/subject/ProductList";

/// XPath of the `product` at a 1-based position.
pub fn product_path(position: usize) -> String {
    format!("{PRODUCT_LIST_PATH}/product[{position}]")
}

/// Reads a PRMM_IN010043NL element. The caller has checked its namespace and name.
pub fn decode_message(root: Element<'_, '_>, report: &mut Report) -> DecodedMessage {
    let mut out = DecodedMessage::default();
    if root.attr("ITSVersion").is_some() {
        report.add(
            Rule::StructureUnexpected,
            format!("{}/@ITSVersion", root.xpath()),
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
        read_control_act(control_act, &mut out, report);
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
                format!("{}/@code", e.xpath()),
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
    let location = format!("{}/id", root.xpath());
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
                format!("{}/@extension", id.xpath()),
                format!("{role}: geen bruikbaar applicatie-id: {e}"),
                format!("{role}: no usable application id: {e}"),
            );
            None
        }
    }
}

fn read_control_act(control_act: Element<'_, '_>, out: &mut DecodedMessage, report: &mut Report) {
    profile::fixed(
        report,
        Rule::StructureFixedValue,
        control_act,
        "moodCode",
        "EVN",
    );
    let kids = profile::children(control_act, profile::CONTROL_ACT, report);
    if let Some(author) = kids.one("authorOrPerformer") {
        read_author(author, out, report);
    }
    let Some(subject) = kids.one("subject") else {
        return;
    };
    let subject_kids = profile::children(subject, profile::SUBJECT, report);
    if let Some(list) = subject_kids.one("ProductList") {
        read_product_list(list, out, report);
    }
}

fn read_author(author: Element<'_, '_>, out: &mut DecodedMessage, report: &mut Report) {
    profile::fixed(report, Rule::StructureFixedValue, author, "typeCode", "AUT");
    let kids = profile::children(author, profile::AUTHOR, report);
    let Some(participant) = kids.one("participant") else {
        return;
    };
    if participant.child("AssignedPerson").is_some() {
        report.add(
            Rule::WrapperAuthor,
            format!("{}/AssignedPerson", participant.xpath()),
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
                id.xpath(),
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

fn read_product_list(list: Element<'_, '_>, out: &mut DecodedMessage, report: &mut Report) {
    profile::fixed(report, Rule::StructureFixedValue, list, "classCode", "LIST");
    profile::fixed(report, Rule::StructureFixedValue, list, "moodCode", "EVN");
    let kids = profile::children(list, profile::PRODUCT_LIST, report);
    if let Some(template) = kids.one("templateId") {
        profile::fixed(
            report,
            Rule::StructureFixedValue,
            template,
            "root",
            PRODUCT_LIST_TEMPLATE,
        );
    }
    if let Some(code) = kids.one("code") {
        profile::fixed(report, Rule::ListCode, code, "code", PRODUCT_LIST_CODE);
        profile::fixed(report, Rule::ListCode, code, "codeSystem", SNOMED_CT);
        if code.attr("displayName").is_none_or(|d| d.trim().is_empty()) {
            report.add(
                Rule::ListCode,
                format!("{}/@displayName", code.xpath()),
                "ProductList/code heeft geen displayName",
                "ProductList/code has no displayName",
            );
        }
    }
    match kids.one("effectiveTime") {
        Some(period) => out.period = read_period(period, report),
        None => report.add(
            Rule::ListEffectiveTime,
            format!("{PRODUCT_LIST_PATH}/effectiveTime"),
            "ProductList/effectiveTime ontbreekt",
            "ProductList/effectiveTime is missing",
        ),
    }
    out.products = kids.all("product").count();
    if out.products == 0 {
        report.add(
            Rule::ListEmpty,
            format!("{PRODUCT_LIST_PATH}/product"),
            "de lijst bevat geen enkel partijnummer (product)",
            "the list holds no lot number (product) at all",
        );
    }
    out.entries.reserve(out.products);
    for (i, product) in kids.all("product").enumerate() {
        if let Some(lot) = read_product(product, i + 1, report) {
            out.entries.push(Entry {
                lot,
                product: i + 1,
            });
        }
    }
}

fn read_period(period: Element<'_, '_>, report: &mut Report) -> Option<Period> {
    let kids = profile::children(period, profile::PERIOD, report);
    let location = period.xpath();
    for extra in ["width", "center"] {
        if kids.one(extra).is_some() {
            report.add(
                Rule::ListEffectiveTime,
                format!("{location}/{extra}"),
                format!("effectiveTime mag geen {extra} hebben, alleen low en high"),
                format!("effectiveTime may not have {extra}, only low and high"),
            );
        }
    }
    let mut bound = |name: &str| match kids.one(name) {
        Some(e) => period_bound(e, report),
        None => {
            report.add(
                Rule::ListEffectiveTime,
                format!("{location}/{name}"),
                format!("effectiveTime/{name} ontbreekt"),
                format!("effectiveTime/{name} is missing"),
            );
            None
        }
    };
    let low = bound("low");
    let high = bound("high");
    let (low, high) = (low?, high?);
    if low.local() > high.local() {
        report.add(
            Rule::ListEffectiveTime,
            location,
            format!("effectiveTime/low ({low}) ligt na high ({high})"),
            format!("effectiveTime/low ({low}) is after high ({high})"),
        );
        return None;
    }
    Some(Period { low, high })
}

/// A bound of the list's period: like [`timestamp`] but reported as `list.effective-time`
/// when it has fewer than 14 digits.
fn period_bound(e: Element<'_, '_>, report: &mut Report) -> Option<Timestamp> {
    let value = e.attr("value").unwrap_or("");
    if value.len() < 14 && value.bytes().all(|b| b.is_ascii_digit()) {
        report.add(
            Rule::ListEffectiveTime,
            format!("{}/@value", e.xpath()),
            format!(
                "effectiveTime/{} \"{value}\" moet tot op de seconde gaan (14 cijfers)",
                e.name()
            ),
            format!(
                "effectiveTime/{} \"{value}\" must be to the second (14 digits)",
                e.name()
            ),
        );
        return None;
    }
    timestamp(e, "value", report)
}

/// Reads a timestamp attribute, reporting `timestamp.format` when it is missing or wrong.
pub(super) fn timestamp(e: Element<'_, '_>, attr: &str, report: &mut Report) -> Option<Timestamp> {
    let value = e.attr(attr).unwrap_or("");
    match Timestamp::parse(value) {
        Ok(ts) => Some(ts),
        Err(err) => {
            report.add(
                Rule::TimestampFormat,
                format!("{}/@{attr}", e.xpath()),
                format!("{}: \"{value}\" is geen tijdstip JJJJMMDDUUMMSS", e.name()),
                format!("{}: {err}", e.name()),
            );
            None
        }
    }
}

fn read_product(product: Element<'_, '_>, position: usize, report: &mut Report) -> Option<Lot> {
    profile::fixed(
        report,
        Rule::StructureFixedValue,
        product,
        "typeCode",
        "PRD",
    );
    let kids = profile::children(product, profile::PRODUCT, report);
    let instance_of_kind = kids.one("instanceOfKind")?;
    profile::fixed(
        report,
        Rule::StructureFixedValue,
        instance_of_kind,
        "classCode",
        "INST",
    );
    let kind_kids = profile::children(instance_of_kind, profile::INSTANCE_OF_KIND, report);
    let instance = kind_kids.one("productInstanceInstance")?;
    profile::fixed(
        report,
        Rule::StructureFixedValue,
        instance,
        "classCode",
        "MMAT",
    );
    profile::fixed(
        report,
        Rule::StructureFixedValue,
        instance,
        "determinerCode",
        "INSTANCE",
    );
    let instance_kids = profile::children(instance, profile::PRODUCT_INSTANCE, report);
    let number = instance_kids
        .one("id")
        .and_then(|id| read_lot_number(id, position, report));
    let expires = match instance_kids.one("expirationTime") {
        Some(e) => read_expiry(e, report),
        None => Ok(None),
    };
    let vaccine = instance_kids
        .one("asInstanceOfKind")
        .and_then(|kind| read_vaccine(kind, report));
    Some(Lot {
        number: number?,
        vaccine: vaccine?,
        expires: expires.ok()?,
    })
}

fn read_lot_number(id: Element<'_, '_>, position: usize, report: &mut Report) -> Option<LotNumber> {
    match (id.attr("nullFlavor"), id.attr("root")) {
        (Some(_), None) => {}
        (None, Some(root)) if is_oid(root) => {}
        _ => report.add(
            Rule::LotIdRoot,
            id.xpath(),
            "het id van een partij moet óf nullFlavor óf een OID als root hebben",
            "a lot id must have either a nullFlavor or an OID as root",
        ),
    }
    let location = || format!("{}/@extension", id.xpath());
    let Some(extension) = id.attr("extension") else {
        report.add(
            Rule::LotMissing,
            location(),
            format!("product {position} heeft geen partijnummer (id/@extension)"),
            format!("product {position} has no lot number (id/@extension)"),
        );
        return None;
    };
    match LotNumber::parse(extension) {
        Ok(number) => Some(number),
        Err(e) => {
            let (rule, nl) = match e {
                LotNumberError::Blank => (Rule::LotBlank, "partijnummer is leeg".to_owned()),
                LotNumberError::TooLong(n) => (
                    Rule::LotTooLong,
                    format!("partijnummer heeft {n} tekens, hoogstens 50 toegestaan"),
                ),
                LotNumberError::ControlCharacter(c) => (
                    Rule::LotControlChar,
                    format!("partijnummer bevat stuurteken U+{c:04X}"),
                ),
            };
            report.add(
                rule,
                location(),
                format!("product {position}: {nl}"),
                format!("product {position}: {e}"),
            );
            None
        }
    }
}

/// Reads `expirationTime`: only `high`, a date. `Err` when present but wrong.
fn read_expiry(e: Element<'_, '_>, report: &mut Report) -> Result<Option<chrono::NaiveDate>, ()> {
    let kids = profile::children(e, profile::PERIOD, report);
    for extra in ["low", "width", "center"] {
        if let Some(x) = kids.one(extra) {
            report.add(
                Rule::LotExpiryFormat,
                x.xpath(),
                format!("expirationTime mag alleen high hebben, geen {extra}"),
                format!("expirationTime may only have high, not {extra}"),
            );
            return Err(());
        }
    }
    let Some(high) = kids.one("high") else {
        profile::missing(report, e, "high");
        return Err(());
    };
    let value = high.attr("value").unwrap_or("");
    match parse_date(value) {
        Some(date) => Ok(Some(date)),
        None => {
            report.add(
                Rule::LotExpiryFormat,
                format!("{}/@value", high.xpath()),
                format!("vervaldatum \"{value}\" is geen datum JJJJMMDD"),
                format!("expiry \"{value}\" is not a date YYYYMMDD"),
            );
            Err(())
        }
    }
}

fn read_vaccine(kind: Element<'_, '_>, report: &mut Report) -> Option<VaccineType> {
    profile::fixed(report, Rule::StructureFixedValue, kind, "classCode", "INST");
    let kids = profile::children(kind, profile::AS_INSTANCE_OF_KIND, report);
    let material = kids.one("kindOfMaterialKind")?;
    profile::fixed(
        report,
        Rule::StructureFixedValue,
        material,
        "classCode",
        "MAT",
    );
    profile::fixed(
        report,
        Rule::StructureFixedValue,
        material,
        "determinerCode",
        "KIND",
    );
    let material_kids = profile::children(material, profile::MATERIAL_KIND, report);
    let code = material_kids.one("code")?;
    let system_ok = profile::fixed(
        report,
        Rule::VaccineCodeSystem,
        code,
        "codeSystem",
        VACCINE_CODE_SYSTEM,
    );
    let value = code.attr("code").unwrap_or("");
    let parsed = match VaccineCode::parse(value) {
        Ok(c) => Some(c),
        Err(_) => {
            report.add(
                Rule::VaccineCode,
                format!("{}/@code", code.xpath()),
                format!("vaccinsoort \"{value}\" is geen code van twee cijfers"),
                format!("vaccine type \"{value}\" is not a two-digit code"),
            );
            None
        }
    };
    let name = code
        .attr("displayName")
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if name.is_none() {
        report.add(
            Rule::VaccineDisplayName,
            format!("{}/@displayName", code.xpath()),
            format!("vaccinsoort {value} heeft geen displayName"),
            format!("vaccine type {value} has no displayName"),
        );
    }
    let code_value = parsed?;
    if system_ok && code_value.known_name().is_none() {
        report.add(
            Rule::VaccineUnknownCode,
            format!("{}/@code", code.xpath()),
            format!("vaccinsoort {value} staat niet in waardelijst W0422"),
            format!("vaccine type {value} is not in value set W0422"),
        );
    }
    if !system_ok {
        return None;
    }
    Some(VaccineType::new(code_value, name?))
}
