//! Diagnostics: the problems lotgate can find in a message or a source — the rule
//! catalogue ([`Rule`], with its [`Level`] and HL7 code) and the [`Report`] that collects
//! them with their texts (Dutch and English) and locations, and the [`Verdict`] they add
//! up to.
//!
//! Below the codec (`wire`), validation (`validate`) and the sender's source, which all
//! write into a report; it knows nothing of XML, HTTP or the store.

mod report;
mod rules;

pub use report::{Issue, MAX_ISSUES, Report, Verdict, level_name};
pub use rules::{ACK_DETAIL_CODE_SYSTEM, Hl7Code, Level, Rule};
