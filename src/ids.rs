//! Identifiers: OIDs, message ids (`root` + `extension`) and AORTA application ids.

use std::fmt;

/// OID of AORTA application ids (device ids).
pub const AORTA_APPLICATION_ROOT: &str = "2.16.840.1.113883.2.4.6.6";
/// OID of UZI server certificate numbers.
pub const UZI_SERVER_ROOT: &str = "2.16.528.1.1007.3.2";
/// OID of URA numbers (healthcare organisations).
pub const URA_ROOT: &str = "2.16.528.1.1007.3.3";

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not a dotted sequence of numbers without leading zeros.
    #[error("{0:?} is not an OID")]
    NotAnOid(String),
    /// The extension is empty or has characters outside printable ASCII.
    #[error("{0:?} is not a usable id extension (1-64 printable ASCII characters)")]
    BadExtension(String),
    /// An application id must be 1-20 digits.
    #[error("{0:?} is not an application id (1-20 digits)")]
    BadApplicationId(String),
}

/// An ISO object identifier such as `2.16.840.1.113883.2.4.6.6`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid(String);

impl Oid {
    /// Parses an OID: at least two numeric arcs separated by dots, no leading zeros,
    /// at most 128 characters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if is_oid(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::NotAnOid(s.to_owned()))
        }
    }

    /// The dotted form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `s` is a syntactically valid OID.
pub fn is_oid(s: &str) -> bool {
    if s.is_empty() || s.len() > 128 {
        return false;
    }
    let mut arcs = 0;
    for arc in s.split('.') {
        arcs += 1;
        let ok = !arc.is_empty()
            && arc.bytes().all(|b| b.is_ascii_digit())
            && (arc == "0" || !arc.starts_with('0'));
        if !ok {
            return false;
        }
    }
    arcs >= 2
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message id: `root` (an OID) plus `extension`, unique per message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId {
    root: Oid,
    extension: String,
}

impl MessageId {
    /// A message id from its parts; the extension must be 1-64 printable ASCII characters.
    pub fn new(root: Oid, extension: &str) -> Result<Self, IdError> {
        let printable = extension.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if extension.is_empty() || extension.len() > 64 || !printable {
            return Err(IdError::BadExtension(extension.to_owned()));
        }
        Ok(Self {
            root,
            extension: extension.to_owned(),
        })
    }

    /// Parses both parts from strings.
    pub fn parse(root: &str, extension: &str) -> Result<Self, IdError> {
        Self::new(Oid::parse(root)?, extension)
    }

    /// The root OID.
    pub fn root(&self) -> &Oid {
        &self.root
    }

    /// The extension.
    pub fn extension(&self) -> &str {
        &self.extension
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.root, self.extension)
    }
}

/// An AORTA application id (the extension under root `2.16.840.1.113883.2.4.6.6`):
/// identifies a sending or receiving system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApplicationId(String);

impl ApplicationId {
    /// Parses an application id: 1-20 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::BadApplicationId(s.to_owned()))
        }
    }

    /// The id as written on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids() {
        assert!(is_oid("2.16.840.1.113883.2.4.6.6"));
        assert!(is_oid("0.0"));
        for bad in ["", "2", "2.", ".2", "2..16", "2.016", "2.a", "2.16 "] {
            assert!(!is_oid(bad), "{bad:?}");
        }
    }

    #[test]
    fn message_ids_and_application_ids() {
        let id = MessageId::parse("2.16.840.1.113883.2.4.6.6.99999001.1", "PRAEV-1").unwrap();
        assert_eq!(id.extension(), "PRAEV-1");
        assert!(MessageId::parse("2.16", "").is_err());
        assert!(MessageId::parse("2.16", "a b").is_err());
        assert!(MessageId::parse("x", "a").is_err());
        assert_eq!(
            ApplicationId::parse("99999001").unwrap().as_str(),
            "99999001"
        );
        assert!(ApplicationId::parse("9999x").is_err());
        assert!(ApplicationId::parse("").is_err());
    }
}
