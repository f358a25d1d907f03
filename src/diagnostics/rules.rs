//! The catalogue of rules: every problem lotgate can report, with its stable code, the
//! level that decides the answer, and the HL7 AcknowledgementDetailCode used when the
//! problem goes out in an acknowledgement.

/// How serious a problem is; the most serious one present decides the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Does not block: reported in the import report, the answer stays `CA`.
    Warning,
    /// Commit error: the answer is `CE`.
    Error,
    /// Rejected: the answer is `CR` (interaction, version, mode or addressee not supported).
    Reject,
    /// Below the HL7 level: the answer is a `soap:Client` fault.
    Fault,
    /// Not usable as XML at all (broken or hostile bytes): also a fault on the wire.
    Unusable,
}

/// An HL7 AcknowledgementDetailCode (code system `2.16.840.1.113883.5.1100`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hl7Code {
    /// The code, e.g. `SYN105`.
    pub code: &'static str,
    /// Its display name.
    pub display_name: &'static str,
}

/// OID of HL7 AcknowledgementDetailCode.
pub const ACK_DETAIL_CODE_SYSTEM: &str = "2.16.840.1.113883.5.1100";

macro_rules! hl7 {
    ($code:literal, $name:literal) => {
        Hl7Code {
            code: $code,
            display_name: $name,
        }
    };
}

const SYN: Hl7Code = hl7!("SYN", "Syntax error");
const SYN101: Hl7Code = hl7!("SYN101", "Insufficient repetitions");
const SYN102: Hl7Code = hl7!("SYN102", "Data type error");
const SYN103: Hl7Code = hl7!("SYN103", "Value does not match fixed value");
const SYN104: Hl7Code = hl7!("SYN104", "Formal constraint violation");
const SYN105: Hl7Code = hl7!("SYN105", "Required element missing");
const SYN106: Hl7Code = hl7!("SYN106", "Terminology error");
const SYN108: Hl7Code = hl7!("SYN108", "Number of repetitions exceeds limit");
const NS200: Hl7Code = hl7!("NS200", "Unsupported interaction");
const NS202: Hl7Code = hl7!("NS202", "Unsupported processing id");
const NS203: Hl7Code = hl7!("NS203", "Unsupported version id");
const NS250: Hl7Code = hl7!("NS250", "Unsupported processing Mode");
const NS260: Hl7Code = hl7!("NS260", "Unknown sender");
const RTUDEST: Hl7Code = hl7!(
    "RTUDEST",
    "Error: Message routing error, unknown destination."
);

macro_rules! rules {
    ($($variant:ident => $id:literal, $level:ident, $hl7:ident, $meaning:literal;)*) => {
        /// A rule that a message can break.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $(
                #[doc = concat!("`", $id, "`")]
                $variant,
            )*
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable code shown in reports, e.g. `lot.too-long`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The level that decides the answer.
            pub fn level(self) -> Level {
                match self { $(Rule::$variant => Level::$level,)* }
            }

            /// The HL7 AcknowledgementDetailCode for an acknowledgement detail.
            pub fn hl7(self) -> Hl7Code {
                match self { $(Rule::$variant => $hl7,)* }
            }

            /// When the rule is broken, for people (English, Markdown): the catalogue's
            /// documentation (`docs/validation-rules.md` is made from it).
            pub fn meaning(self) -> &'static str {
                match self { $(Rule::$variant => $meaning,)* }
            }
        }
    };
}

rules! {
    XmlNotUtf8 => "xml.not-utf8", Unusable, SYN,
        "bytes are not UTF-8, or the XML declaration names another encoding (UTF-16, ISO-8859-1)";
    XmlMalformed => "xml.malformed", Unusable, SYN,
        "not well-formed XML: empty, truncated, text outside the root, undefined entity, a character XML 1.0 forbids (NUL, `&#7;`)";
    XmlDoctype => "xml.doctype", Unusable, SYN,
        "any DOCTYPE: entity declarations (billion laughs), external entities or DTDs";
    XmlTooDeep => "xml.too-deep", Unusable, SYN,
        "nesting deeper than 64 levels";
    XmlTooLarge => "xml.too-large", Unusable, SYN,
        "input over the size limit (64 MiB for `validate`), more than 2,000,000 elements, or more than 32 attributes on one element";
    SoapNotEnvelope => "soap.not-envelope", Fault, SYN,
        "the root is neither a SOAP 1.1 `Envelope` nor an HL7 element (e.g. an HTML error page)";
    SoapVersion => "soap.version", Fault, SYN,
        "a SOAP 1.2 envelope";
    SoapBody => "soap.body", Fault, SYN,
        "the envelope is not an optional `Header` followed by one `Body`";
    SoapBodyCount => "soap.body-count", Fault, SYN,
        "the `Body` holds no element, or more than one";
    Hl7Namespace => "hl7.namespace", Fault, SYN,
        "the interaction is not in namespace `urn:hl7-org:v3`";
    Hl7Interaction => "hl7.interaction", Fault, NS200,
        "the interaction is not `PRMM_IN010043NL` (e.g. an acknowledgement or an unknown interaction)";
    Hl7MessageId => "hl7.message-id", Fault, SYN105,
        "the message `id`, its `@root` or its `@extension` is missing or empty: no acknowledgement can refer to it";
    Hl7SenderId => "hl7.sender-id", Fault, SYN105,
        "`sender/device/id` or its `@extension` is missing: no acknowledgement can be addressed";
    WrapperVersionCode => "wrapper.version-code", Reject, NS203,
        "`versionCode` is not `NICTIZEd2005-Okt`";
    WrapperInteractionId => "wrapper.interaction-id", Reject, NS200,
        "`interactionId` root is not `2.16.840.1.113883.1.6` or its extension differs from the root element name";
    WrapperProfileId => "wrapper.profile-id", Reject, NS203,
        "`profileId` is not `2.16.840.1.113883.2.4.3.11.1` / `810`";
    WrapperProcessingCode => "wrapper.processing-code", Reject, NS202,
        "`processingCode` is not `P`";
    WrapperProcessingMode => "wrapper.processing-mode", Reject, NS250,
        "`processingModeCode` is not `T`";
    WrapperAcceptAck => "wrapper.accept-ack", Reject, SYN103,
        "`acceptAckCode` is neither `AL` nor `NE`";
    WrapperReceiver => "wrapper.receiver", Reject, RTUDEST,
        "`receiver/device/id` is not an AORTA application id, or (with `--receiver-id`, and in the receiver) not ours";
    WrapperSender => "wrapper.sender", Reject, NS260,
        "`sender/device/id` root is not the AORTA application id root, or (in the receiver) the sender is not allowed, or, with two-way TLS, not mapped to the client certificate; the receiver stores nothing of such a message";
    WrapperAuthor => "wrapper.author", Reject, NS260,
        "the author device has no AORTA application id, or it differs from the sender's";
    StructureMissing => "structure.missing", Error, SYN105,
        "a required element or attribute is missing (e.g. `creationTime`, `ProductList/code`, `templateId`, `expirationTime/high`)";
    StructureUnexpected => "structure.unexpected", Error, SYN,
        "an element not allowed at that place, or out of schema order (an `xi:include` is not processed, only refused)";
    StructureFixedValue => "structure.fixed-value", Error, SYN103,
        "a fixed structural value is wrong: `classCode`, `moodCode`, `typeCode`, `determinerCode`, `templateId`";
    StructureRepeated => "structure.repeated", Error, SYN108,
        "an element occurs more often than allowed (e.g. two `ProductList/code`)";
    TimestampFormat => "timestamp.format", Error, SYN102,
        "`creationTime` is not a timestamp of at least 14 digits, or not a real date";
    AuthorUziUra => "author.uzi-ura", Error, SYN104,
        "a UZI server id on the author without an organisation URA, or the other way round";
    ListEmpty => "list.empty", Error, SYN101,
        "`ProductList` has no `product`";
    ListCode => "list.code", Error, SYN103,
        "`ProductList/code` is not SNOMED CT `373873005`, or has no `displayName`";
    ListEffectiveTime => "list.effective-time", Error, SYN104,
        "`effectiveTime` missing, without `low` or `high`, not to the second, with `width`/`center`, or `low` after `high`";
    LotMissing => "lot.missing", Error, SYN105,
        "a lot id without `@extension` (no lot number)";
    LotBlank => "lot.blank", Error, SYN104,
        "an empty or all-blank lot number";
    LotTooLong => "lot.too-long", Error, SYN104,
        "a lot number over 50 characters";
    LotControlChar => "lot.control-char", Error, SYN104,
        "a lot number with a control character (e.g. a tab)";
    LotIdRoot => "lot.id-root", Error, SYN102,
        "a lot id without exactly one of `@nullFlavor` and an OID `@root`";
    LotExpiryFormat => "lot.expiry-format", Error, SYN102,
        "`expirationTime/high` is not `YYYYMMDD` or longer, not a real date, or `expirationTime` has a `low`";
    LotTwoVaccines => "lot.two-vaccines", Error, SYN104,
        "one lot number under two vaccine types";
    VaccineCode => "vaccine.code", Error, SYN102,
        "the vaccine code is missing or not two digits";
    VaccineCodeSystem => "vaccine.code-system", Error, SYN106,
        "the vaccine code is not in code system `2.16.840.1.113883.2.4.4.40.76`";
    VaccineDisplayName => "vaccine.display-name", Error, SYN105,
        "the vaccine code has no `displayName`";
    MessageIdReused => "message.id-reused", Error, SYN104,
        "the message id was used before for other bytes (receiver only)";
    MessageStale => "message.stale", Error, SYN104,
        "the message is older (`creationTime`) than the set in place (receiver only)";
    SetQuarantined => "set.quarantined", Error, SYN104,
        "the set is much smaller than the one in place and is held back for the administrators (receiver only)";
    WrapperAcceptAckNe => "wrapper.accept-ack-ne", Warning, SYN,
        "`acceptAckCode` is `NE`; lotgate answers all the same";
    VaccineUnknownCode => "vaccine.unknown-code", Warning, SYN106,
        "a two-digit vaccine code outside value set W0422 (the release in force), or valid in it only from a later day (the binding is CWE)";
    LotExpired => "lot.expired", Warning, SYN,
        "a lot expired before the message's `creationTime` date";
    LotDuplicate => "lot.duplicate", Warning, SYN,
        "the same lot number twice under the same vaccine type (when the entries differ, the first counts)";
    LotWhitespace => "lot.whitespace", Warning, SYN,
        "whitespace before or after a lot number: the lot is kept without it (whitespace inside a lot number stays)";
    LotCase => "lot.case", Warning, SYN,
        "two lot numbers that differ only in letter case: both are kept, as two lots, and a lookup that ignores case finds neither without asking which";
}

impl Rule {
    /// Whether the rule compares a message with what the receiver already has (an id
    /// used before, an older message, a much smaller set), so that only a running receiver
    /// can check it, not `lotgate validate`.
    pub fn needs_receiver_state(self) -> bool {
        matches!(
            self,
            Rule::MessageIdReused | Rule::MessageStale | Rule::SetQuarantined
        )
    }

    /// The rule with this code, if any.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.id()), "duplicate id {}", rule.id());
            assert_eq!(Rule::from_id(rule.id()), Some(*rule));
        }
        assert_eq!(Rule::from_id("no.such-rule"), None);
    }
}
