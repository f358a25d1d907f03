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
    ($($variant:ident => $id:literal, $level:ident, $hl7:ident;)*) => {
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
        }
    };
}

rules! {
    XmlNotUtf8 => "xml.not-utf8", Unusable, SYN;
    XmlMalformed => "xml.malformed", Unusable, SYN;
    XmlDoctype => "xml.doctype", Unusable, SYN;
    XmlTooDeep => "xml.too-deep", Unusable, SYN;
    XmlTooLarge => "xml.too-large", Unusable, SYN;
    SoapNotEnvelope => "soap.not-envelope", Fault, SYN;
    SoapVersion => "soap.version", Fault, SYN;
    SoapBody => "soap.body", Fault, SYN;
    SoapBodyCount => "soap.body-count", Fault, SYN;
    Hl7Namespace => "hl7.namespace", Fault, SYN;
    Hl7Interaction => "hl7.interaction", Fault, NS200;
    Hl7MessageId => "hl7.message-id", Fault, SYN105;
    Hl7SenderId => "hl7.sender-id", Fault, SYN105;
    WrapperVersionCode => "wrapper.version-code", Reject, NS203;
    WrapperInteractionId => "wrapper.interaction-id", Reject, NS200;
    WrapperProfileId => "wrapper.profile-id", Reject, NS203;
    WrapperProcessingCode => "wrapper.processing-code", Reject, NS202;
    WrapperProcessingMode => "wrapper.processing-mode", Reject, NS250;
    WrapperAcceptAck => "wrapper.accept-ack", Reject, SYN103;
    WrapperReceiver => "wrapper.receiver", Reject, RTUDEST;
    WrapperSender => "wrapper.sender", Reject, NS260;
    WrapperAuthor => "wrapper.author", Reject, NS260;
    StructureMissing => "structure.missing", Error, SYN105;
    StructureUnexpected => "structure.unexpected", Error, SYN;
    StructureFixedValue => "structure.fixed-value", Error, SYN103;
    StructureRepeated => "structure.repeated", Error, SYN108;
    TimestampFormat => "timestamp.format", Error, SYN102;
    AuthorUziUra => "author.uzi-ura", Error, SYN104;
    ListEmpty => "list.empty", Error, SYN101;
    ListCode => "list.code", Error, SYN103;
    ListEffectiveTime => "list.effective-time", Error, SYN104;
    LotMissing => "lot.missing", Error, SYN105;
    LotBlank => "lot.blank", Error, SYN104;
    LotTooLong => "lot.too-long", Error, SYN104;
    LotControlChar => "lot.control-char", Error, SYN104;
    LotIdRoot => "lot.id-root", Error, SYN102;
    LotExpiryFormat => "lot.expiry-format", Error, SYN102;
    LotTwoVaccines => "lot.two-vaccines", Error, SYN104;
    VaccineCode => "vaccine.code", Error, SYN102;
    VaccineCodeSystem => "vaccine.code-system", Error, SYN106;
    VaccineDisplayName => "vaccine.display-name", Error, SYN105;
    MessageIdReused => "message.id-reused", Error, SYN104;
    MessageStale => "message.stale", Error, SYN104;
    SetQuarantined => "set.quarantined", Error, SYN104;
    WrapperAcceptAckNe => "wrapper.accept-ack-ne", Warning, SYN;
    VaccineUnknownCode => "vaccine.unknown-code", Warning, SYN106;
    LotExpired => "lot.expired", Warning, SYN;
    LotDuplicate => "lot.duplicate", Warning, SYN;
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
