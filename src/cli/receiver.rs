//! `lotgate quarantine list | accept ID | discard ID`: the sets the receiver's shrink guard
//! held back.

use super::QuarantineAction;
use super::client::Admin;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn quarantine(path: &Path, action: &QuarantineAction) -> ExitCode {
    let (method, path_and_query) = match action {
        QuarantineAction::List => (reqwest::Method::GET, "/api/v1/quarantine".to_owned()),
        QuarantineAction::Accept { id } => (
            reqwest::Method::POST,
            format!("/api/v1/quarantine/{id}/accept"),
        ),
        QuarantineAction::Discard { id } => (
            reqwest::Method::POST,
            format!("/api/v1/quarantine/{id}/discard"),
        ),
    };
    match Admin::new(path, "quarantine")
        .and_then(|admin| admin.call(method, &path_and_query).map(|r| (admin, r)))
    {
        Ok((_, (status, body))) => super::client::print_json(status, &body),
        Err(code) => code,
    }
}
