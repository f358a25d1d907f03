//! `lotgate mail list | retry ID|--all | discard ID`: both roles' alert emails.

use super::MailAction;
use super::client::{Admin, print_json};
use std::path::Path;
use std::process::ExitCode;

pub(super) fn mail(path: &Path, action: &MailAction) -> ExitCode {
    let admin = match Admin::new(path, "mail") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let (method, path_and_query) = match action {
        MailAction::List { .. } => (reqwest::Method::GET, "/api/v1/mail".to_owned()),
        MailAction::Retry { id: Some(id), .. } => (
            reqwest::Method::POST,
            format!("/api/v1/mail/{}/retry", crate::http::percent_encode(id)),
        ),
        MailAction::Retry { id: None, .. } => {
            (reqwest::Method::POST, "/api/v1/mail/retry".to_owned())
        }
        MailAction::Discard { id } => (
            reqwest::Method::POST,
            format!("/api/v1/mail/{}/discard", crate::http::percent_encode(id)),
        ),
    };
    let (status, body) = match admin.call(method, &path_and_query) {
        Ok(answer) => answer,
        Err(code) => return code,
    };
    match (action, serde_json::from_str::<crate::api::MailList>(&body)) {
        (MailAction::List { dead, json: false }, Ok(list)) if status.is_success() => {
            print!("{}", list.text(*dead, admin.language));
            ExitCode::SUCCESS
        }
        _ => print_json(status, &body),
    }
}
