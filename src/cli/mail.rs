//! `lotgate mail list | retry ID|--all | discard ID`: both roles' alert emails.

use super::MailAction;
use super::client::{Admin, Answer, print_answer};
use crate::api::{MailDiscarded, MailList, MailRetried};
use crate::http::percent_encode;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn mail(path: &Path, action: &MailAction) -> ExitCode {
    let admin = match Admin::new(path, "mail") {
        Ok(admin) => admin,
        Err(code) => return code,
    };
    let printed = match action {
        MailAction::List { dead, json } => {
            admin
                .get::<MailList>("/api/v1/mail")
                .map(|answer| match answer {
                    Answer::Ok(list) if !json => {
                        print!("{}", list.text(*dead, admin.language));
                        ExitCode::SUCCESS
                    }
                    answer => print_answer(answer),
                })
        }
        MailAction::Retry { id: Some(id), .. } => admin
            .post::<MailRetried>(&format!("/api/v1/mail/{}/retry", percent_encode(id)))
            .map(print_answer),
        MailAction::Retry { id: None, .. } => admin
            .post::<MailRetried>("/api/v1/mail/retry")
            .map(print_answer),
        MailAction::Discard { id } => admin
            .post::<MailDiscarded>(&format!("/api/v1/mail/{}/discard", percent_encode(id)))
            .map(print_answer),
    };
    printed.unwrap_or_else(|code| code)
}
