//! What a lot-number message says as the decoder read it: every value that could be
//! read, and each lot with the position of its `product`, for validation to check.

use crate::ids::{ApplicationId, MessageId};
use crate::lot::Lot;
use crate::message::{Author, Period};
use crate::timestamp::Timestamp;

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
