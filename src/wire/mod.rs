//! The wire codec: HL7v3 XML for PRMM_IN010043NL and MCCI_IN000002 inside a SOAP 1.1
//! envelope, both ways.
//!
//! Pure: bytes in, values out (and back). No I/O, no clock. Decoding never panics on any
//! input and reports every problem it meets into a [`Report`](crate::diagnostics::Report)
//! with an XPath location, so that validation and the receiver answer from one source.

mod ack;
mod decode;
pub mod decoded;
mod encode;
mod products;
mod profile;
pub mod soap;

pub use ack::decode_acknowledgement;
pub use decode::decode_message;
pub use encode::{encode_acknowledgement, encode_message};

/// The HL7v3 namespace.
pub const HL7_NS: &str = "urn:hl7-org:v3";
/// The SOAP 1.1 envelope namespace.
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The SOAP 1.2 envelope namespace (refused).
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// Root element and interaction id of the lot-number message.
pub const MESSAGE_INTERACTION: &str = "PRMM_IN010043NL";
/// Root element and interaction id of the acknowledgement.
pub const ACK_INTERACTION: &str = "MCCI_IN000002";
/// The `SOAPAction` header value the sender uses.
pub const SOAP_ACTION: &str = "\"urn:hl7-org:v3/PRMM_IN010043NL\"";

/// Fixed `versionCode/@code`.
pub const VERSION_CODE: &str = "NICTIZEd2005-Okt";
/// Root of `interactionId`.
pub const INTERACTION_ROOT: &str = "2.16.840.1.113883.1.6";
/// Root of `profileId`.
pub const PROFILE_ROOT: &str = "2.16.840.1.113883.2.4.3.11.1";
/// Extension of `profileId`.
pub const PROFILE_EXTENSION: &str = "810";
/// `ProductList/templateId/@root`.
pub const PRODUCT_LIST_TEMPLATE: &str = "2.16.840.1.113883.2.4.6.10.100.140";
/// `ProductList/code/@code` (SNOMED CT "Pharmaceutical / biologic product").
pub const PRODUCT_LIST_CODE: &str = "373873005";
/// SNOMED CT.
pub const SNOMED_CT: &str = "2.16.840.1.113883.6.96";
/// The display name lotgate writes for [`PRODUCT_LIST_CODE`].
pub const PRODUCT_LIST_DISPLAY_NAME: &str = "Pharmaceutical / biologic product";
