//! The structure lotgate accepts, element by element: for each element on the path to the
//! data, its children in schema order with their cardinality. Children the official
//! schema allows but lotgate does not use are listed as optional and skipped; anything
//! else, and anything out of order, is reported. Fixed attribute values are checked here
//! too.

use super::HL7_NS;
use crate::diagnostics::{Report, Rule};
use crate::strings::same;
use crate::timestamp::Timestamp;
use crate::xml::Element;

/// No upper bound.
pub const MANY: u32 = u32::MAX;

/// One child slot of a content model: name, minimum and maximum occurrences.
pub type Slot = (&'static str, u32, u32);

/// The children the official schema allows before any content (`InfrastructureRootElements`).
const ROOT_ELEMENTS: [Slot; 3] = [
    ("realmCode", 0, MANY),
    ("typeId", 0, 1),
    ("templateId", 0, MANY),
];

/// The children of one element, checked against its content model.
///
/// Holds no copies: lookups walk the element's children, so checking a list of 100,000
/// products allocates nothing per product.
pub struct Children<'d, 'a> {
    parent: Element<'d, 'a>,
    hl7: Option<u16>,
    slots: &'static [Slot],
    /// The first child found for each slot, so that [`Children::one`] does not walk the
    /// children again.
    first: [Option<Element<'d, 'a>>; MAX_SLOTS],
}

impl<'d, 'a> Children<'d, 'a> {
    /// All HL7 children named `name`, in document order.
    pub fn all<'n>(
        &self,
        name: &'n str,
    ) -> impl Iterator<Item = Element<'d, 'a>> + use<'d, 'a, 'n> {
        let hl7 = self.hl7;
        self.parent
            .children()
            .filter(move |c| Some(c.namespace_index()) == hl7 && c.is_named(name))
    }

    /// The index of the HL7 namespace in the document (for [`children_in`]).
    pub fn hl7(&self) -> Option<u16> {
        self.hl7
    }

    /// The first HL7 child named `name`.
    pub fn one(&self, name: &str) -> Option<Element<'d, 'a>> {
        match self.slots.iter().position(|(slot, _, _)| same(slot, name)) {
            Some(i) => self.first[i],
            None => self.all(name).next(),
        }
    }
}

/// The most slots a content model may have.
const MAX_SLOTS: usize = 24;

/// Checks the children of `element` against `slots`, reporting children in another
/// namespace or not in the model, children out of order, missing required ones and
/// repeats.
pub fn children<'d, 'a>(
    element: Element<'d, 'a>,
    slots: &'static [Slot],
    report: &mut Report,
) -> Children<'d, 'a> {
    let hl7 = element.document().namespace_index(HL7_NS);
    children_in(element, slots, hl7, report)
}

/// [`children`] with the document's HL7 namespace index already known (see
/// [`Children::hl7`]): for the elements of every product, where looking it up each time
/// is measurable.
pub fn children_in<'d, 'a>(
    element: Element<'d, 'a>,
    slots: &'static [Slot],
    hl7: Option<u16>,
    report: &mut Report,
) -> Children<'d, 'a> {
    debug_assert!(slots.len() <= MAX_SLOTS);
    let mut counts = [0u32; MAX_SLOTS];
    let mut first = [None; MAX_SLOTS];
    let mut cursor = 0;
    for child in element.children() {
        let child_name = child.name();
        // Children come in model order, so look from the current slot on first.
        let find = |from: usize| {
            slots[from..]
                .iter()
                .position(|(name, _, _)| same(name, child_name))
                .map(|i| i + from)
        };
        let slot = (Some(child.namespace_index()) == hl7)
            .then(|| find(cursor).or_else(|| find(0)))
            .flatten();
        match slot {
            Some(i) if i >= cursor => {
                cursor = i;
                counts[i] += 1;
                first[i].get_or_insert(child);
                let max = slots[i].2;
                if counts[i] == max.saturating_add(1) {
                    report.add(
                        Rule::StructureRepeated,
                        location(child),
                        format!(
                            "element {} mag hier hoogstens {max} keer voorkomen",
                            child.name()
                        ),
                        format!(
                            "element {} may occur at most {max} times here",
                            child.name()
                        ),
                    );
                }
            }
            Some(_) => report.add(
                Rule::StructureUnexpected,
                location(child),
                format!(
                    "element {} staat niet op de volgorde van het schema",
                    child.name()
                ),
                format!("element {} is out of schema order", child.name()),
            ),
            None => report.add(
                Rule::StructureUnexpected,
                location(child),
                format!("element {} is hier niet toegestaan", qualified(child)),
                format!("element {} is not allowed here", qualified(child)),
            ),
        }
    }
    for ((name, min, _), count) in slots.iter().zip(counts) {
        if count < *min {
            missing(report, element, name);
        }
    }
    Children {
        parent: element,
        hl7,
        slots,
        first,
    }
}

/// Where an element is, for reports and acknowledgement details: its XPath from the HL7
/// interaction element down, the same whether the message came in a SOAP envelope or bare.
pub fn location(element: Element<'_, '_>) -> String {
    let path = element.xpath();
    let start = [super::MESSAGE_INTERACTION, super::ACK_INTERACTION]
        .iter()
        .filter_map(|root| path.find(&format!("/{root}")))
        .min();
    match start {
        Some(at) => path[at..].to_owned(),
        None => path,
    }
}

/// Reports a missing required child element.
pub fn missing(report: &mut Report, parent: Element<'_, '_>, name: &str) {
    report.add(
        Rule::StructureMissing,
        format!("{}/{name}", location(parent)),
        format!("verplicht element {name} ontbreekt in {}", parent.name()),
        format!("required element {name} is missing in {}", parent.name()),
    );
}

/// Checks that attribute `name` of `element` has exactly `expected` (missing or other:
/// reported under `rule`). Returns whether it matched.
pub fn fixed(
    report: &mut Report,
    rule: Rule,
    element: Element<'_, '_>,
    name: &str,
    expected: &str,
) -> bool {
    match element.attr(name) {
        Some(value) if same(value, expected) => true,
        Some(value) => {
            report.add(
                rule,
                format!("{}/@{name}", location(element)),
                format!("{name} is \"{value}\", verwacht \"{expected}\""),
                format!("{name} is \"{value}\", expected \"{expected}\""),
            );
            false
        }
        None => {
            report.add(
                rule,
                format!("{}/@{name}", location(element)),
                format!("attribuut {name} (\"{expected}\") ontbreekt"),
                format!("attribute {name} (\"{expected}\") is missing"),
            );
            false
        }
    }
}

/// Checks the fixed structural attributes (`classCode`, `moodCode`, ...) of an element:
/// each `(name, value)` pair under `structure.fixed-value`.
pub fn structure(report: &mut Report, element: Element<'_, '_>, attributes: &[(&str, &str)]) {
    for (name, value) in attributes {
        fixed(report, Rule::StructureFixedValue, element, name, value);
    }
}

fn qualified(element: Element<'_, '_>) -> String {
    match element.namespace() {
        HL7_NS => element.name().to_owned(),
        "" => format!("{} (zonder namespace)", element.name()),
        ns => format!("{{{ns}}}{}", element.name()),
    }
}

macro_rules! model {
    ($name:ident: $($slot:expr),* $(,)?) => {
        #[doc = concat!("Content model of `", stringify!($name), "`.")]
        pub const $name: &[Slot] = &[$($slot),*];
    };
}

model!(MESSAGE:
    ("id", 1, 1), ("creationTime", 1, 1), ("versionCode", 1, 1), ("interactionId", 1, 1),
    ("profileId", 1, 1), ("processingCode", 1, 1), ("processingModeCode", 1, 1),
    ("acceptAckCode", 1, 1), ("attentionLine", 0, MANY), ("receiver", 1, 1),
    ("respondTo", 0, 1), ("sender", 1, 1), ("ControlActProcess", 1, 1));
model!(ACKNOWLEDGEMENT_MESSAGE:
    ("id", 1, 1), ("creationTime", 1, 1), ("versionCode", 1, 1), ("interactionId", 1, 1),
    ("profileId", 1, MANY), ("processingCode", 1, 1), ("processingModeCode", 1, 1),
    ("acceptAckCode", 1, 1), ("acknowledgement", 1, 1), ("attentionLine", 0, MANY),
    ("receiver", 1, 1), ("respondTo", 0, 1), ("sender", 1, 1));
model!(COMMUNICATION_FUNCTION: ("telecom", 0, MANY), ("device", 1, 1));
model!(DEVICE:
    ("id", 1, 1), ("name", 0, MANY), ("desc", 0, MANY), ("existenceTime", 0, MANY),
    ("telecom", 0, MANY), ("manufacturerModelName", 0, MANY), ("softwareName", 0, MANY),
    ("agencyFor", 0, 1), ("location", 0, 1));
model!(CONTROL_ACT:
    ("id", 0, MANY), ("code", 0, MANY), ("text", 0, MANY), ("effectiveTime", 0, MANY),
    ("priorityCode", 0, MANY), ("reasonCode", 0, MANY), ("languageCode", 0, MANY),
    ("authorOrPerformer", 1, 1), ("dataEnterer", 0, MANY), ("informationRecipient", 0, MANY),
    ("overseer", 0, MANY), ("reason", 0, MANY), ("subject", 1, 1));
model!(AUTHOR:
    ("noteText", 0, MANY), ("time", 0, MANY), ("modeCode", 0, MANY), ("signatureCode", 0, MANY),
    ("signatureText", 0, MANY), ("participant", 1, 1));
model!(PARTICIPANT: ("AssignedDevice", 1, 1));
model!(ASSIGNED_DEVICE:
    ("id", 1, 2), ("code", 0, 1), ("addr", 0, MANY), ("telecom", 0, MANY), ("effectiveTime", 0, 1),
    ("certificateText", 0, 1), ("assignedPrincipalChoiceList", 0, 1), ("Organization", 0, 1),
    ("templateId", 0, MANY));
model!(ORGANIZATION:
    ("id", 1, 1), ("code", 0, 1), ("name", 0, 1), ("desc", 0, 1), ("statusCode", 0, 1),
    ("telecom", 0, MANY), ("addr", 0, MANY), ("standardIndustryClassCode", 0, 1),
    ("contact", 0, MANY), ("part", 0, MANY), ("part-of", 0, MANY), ("templateId", 0, MANY));
model!(SUBJECT: ("ProductList", 1, 1));
model!(PRODUCT_LIST:
    ROOT_ELEMENTS[0], ROOT_ELEMENTS[1], ("templateId", 1, 1), ("id", 0, MANY), ("code", 1, 1),
    ("statusCode", 0, 1), ("effectiveTime", 0, 1), ("product", 0, MANY));
model!(PERIOD: ("low", 0, 1), ("width", 0, 1), ("high", 0, 1), ("center", 0, 1));
model!(PRODUCT: ROOT_ELEMENTS[0], ROOT_ELEMENTS[1], ROOT_ELEMENTS[2], ("instanceOfKind", 1, 1));
model!(INSTANCE_OF_KIND:
    ROOT_ELEMENTS[0], ROOT_ELEMENTS[1], ROOT_ELEMENTS[2], ("quantity", 0, 1),
    ("productInstanceInstance", 1, 1), ("kindOfProduct", 0, 1), ("subjectOf", 0, MANY));
model!(PRODUCT_INSTANCE:
    ROOT_ELEMENTS[0], ROOT_ELEMENTS[1], ROOT_ELEMENTS[2], ("id", 1, 1), ("quantity", 0, 1),
    ("desc", 0, 1), ("existenceTime", 0, 1), ("lotNumberText", 0, 1), ("expirationTime", 0, 1),
    ("stabilityTime", 0, 1), ("asIdentifiedItem", 0, 1), ("asContent", 0, 1), ("asMember", 0, 1),
    ("asInstanceOfKind", 1, 1), ("part", 0, MANY), ("ingredient", 0, MANY), ("member", 0, MANY));
model!(AS_INSTANCE_OF_KIND: ROOT_ELEMENTS[0], ROOT_ELEMENTS[1], ROOT_ELEMENTS[2], ("kindOfMaterialKind", 1, 1));
model!(MATERIAL_KIND: ROOT_ELEMENTS[0], ROOT_ELEMENTS[1], ROOT_ELEMENTS[2], ("code", 1, 1), ("name", 0, MANY));
model!(ACKNOWLEDGEMENT: ("acknowledgementDetail", 0, MANY), ("targetMessage", 1, 1));
model!(ACK_DETAIL: ("code", 1, 1), ("text", 0, 1), ("location", 0, 1));
model!(TARGET_MESSAGE: ("id", 1, 1));

/// Reads a timestamp attribute, reporting `timestamp.format` when it is missing or wrong.
pub(super) fn timestamp(e: Element<'_, '_>, attr: &str, report: &mut Report) -> Option<Timestamp> {
    let value = e.attr(attr).unwrap_or("");
    match Timestamp::parse(value) {
        Ok(ts) => Some(ts),
        Err(err) => {
            report.add(
                Rule::TimestampFormat,
                format!("{}/@{attr}", location(e)),
                format!("{}: \"{value}\" is geen tijdstip JJJJMMDDUUMMSS", e.name()),
                format!("{}: {err}", e.name()),
            );
            None
        }
    }
}
