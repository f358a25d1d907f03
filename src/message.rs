//! The two messages of the exchange as domain values: the lot-number message
//! (PRMM_IN010043NL) and its acknowledgement (MCCI_IN000002). The wire codec turns them
//! into XML and back; nothing here knows XML.

use crate::ids::{ApplicationId, MessageId};
use crate::lot::LotSet;
use crate::timestamp::Timestamp;

/// The author device of a message, beside its AORTA application id (which must equal the
/// sender's and is therefore not stored twice).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Author {
    /// UZI server certificate number (root `2.16.528.1.1007.3.2`), if given.
    pub uzi: Option<String>,
    /// The organisation: URA number and name; present exactly when `uzi` is.
    pub organization: Option<Organization>,
}

/// The organisation behind the author device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// URA number (root `2.16.528.1.1007.3.3`).
    pub ura: String,
    /// The organisation's name, if given.
    pub name: Option<String>,
}

/// The validity period of a lot list (`ProductList/effectiveTime`), `low <= high`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Start of validity.
    pub low: Timestamp,
    /// End of validity.
    pub high: Timestamp,
}

/// A PRMM_IN010043NL message: the complete set of valid lots from one sender to one
/// receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotMessage {
    /// The message id (unique per message).
    pub id: MessageId,
    /// When the sender created the message.
    pub created: Timestamp,
    /// The sender's application id (also the author device's AORTA id).
    pub sender: ApplicationId,
    /// The receiver's application id.
    pub receiver: ApplicationId,
    /// The author device's other identification.
    pub author: Author,
    /// The validity period of the list.
    pub period: Period,
    /// The lots; never empty in a valid message.
    pub lots: LotSet,
}

/// The acknowledgement type (`acknowledgement/@typeCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckType {
    /// Accepted: the receiver has the set in place.
    CA,
    /// Commit error: the content cannot be accepted.
    CE,
    /// Rejected: interaction, version, mode or addressee not supported.
    CR,
}

impl AckType {
    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AckType::CA => "CA",
            AckType::CE => "CE",
            AckType::CR => "CR",
        }
    }

    /// Parses `CA`, `CE` or `CR`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CA" => Some(AckType::CA),
            "CE" => Some(AckType::CE),
            "CR" => Some(AckType::CR),
            _ => None,
        }
    }
}

/// One `acknowledgementDetail`: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckDetail {
    /// The detail code (HL7 AcknowledgementDetailCode for lotgate).
    pub code: String,
    /// The code system of `code`.
    pub code_system: String,
    /// The display name of `code`.
    pub display_name: Option<String>,
    /// Human-readable text.
    pub text: Option<String>,
    /// Where the problem is (an XPath).
    pub location: Option<String>,
}

/// An MCCI_IN000002 acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    /// The acknowledgement's own id.
    pub id: MessageId,
    /// When it was created.
    pub created: Timestamp,
    /// CA, CE or CR.
    pub type_code: AckType,
    /// The details; at least one with CE.
    pub details: Vec<AckDetail>,
    /// The id of the acknowledged message.
    pub target: MessageId,
    /// Who receives the acknowledgement: the original message's sender.
    pub receiver: ApplicationId,
    /// Who sends it: the original message's receiver.
    pub sender: ApplicationId,
}
