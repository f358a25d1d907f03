//! `lotgate quarantine list | accept ID | discard ID`: the sets the receiver's shrink guard
//! held back.

use super::QuarantineAction;
use super::client::{Admin, print_answer};
use crate::api::{QuarantineDiscarded, QuarantineList, SetAnswer};
use std::path::Path;
use std::process::ExitCode;

/// Prints the API's answer: the quarantined sets, the set now in place, or the id dropped.
pub(super) fn quarantine(path: &Path, action: &QuarantineAction) -> ExitCode {
    let admin = match Admin::new(path, "quarantine") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let printed = match action {
        QuarantineAction::List => admin
            .get::<QuarantineList>("/api/v1/quarantine")
            .map(print_answer),
        QuarantineAction::Accept { id } => admin
            .post::<SetAnswer>(&format!("/api/v1/quarantine/{id}/accept"))
            .map(print_answer),
        QuarantineAction::Discard { id } => admin
            .post::<QuarantineDiscarded>(&format!("/api/v1/quarantine/{id}/discard"))
            .map(print_answer),
    };
    printed.unwrap_or_else(|code| code)
}
