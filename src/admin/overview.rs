//! The overview of both roles: `GET /api/v1/overview` (JSON, what `lotgate status`
//! reads) and the status page `GET /` (the same overview as HTML, in
//! `gateway.language`, rendered by [`crate::page`]).

use super::Roles;
use super::health::{assess, unavailable};
use crate::api::{CertificateDays, Overview};
use crate::http::{self, Reply, json};
use crate::mail::MailState;
use crate::receiver;
use crate::sender;
use chrono::Utc;
use hyper::StatusCode;

/// Answers `GET /api/v1/overview` and `GET /`; `None` for any other path.
pub(super) async fn handle(roles: &Roles, reading: bool, path: &str) -> Option<Reply> {
    let page = match path {
        "/" => true,
        "/api/v1/overview" => false,
        _ => return None,
    };
    if !reading {
        return Some(http::method_not_allowed("GET"));
    }
    let overview = match overview(roles).await {
        Ok(overview) => overview,
        Err(Failed::Store(e)) => return Some(unavailable(&e, roles.language)),
        Err(Failed::Other(e)) => {
            return Some(http::store_unavailable("the overview", &e, roles.language));
        }
    };
    Some(if page {
        http::reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            crate::page::render(&overview, roles.language),
        )
    } else {
        json(StatusCode::OK, &overview)
    })
}

enum Failed {
    Store(crate::store::StoreError),
    Other(anyhow::Error),
}

/// Both roles as they stand now.
async fn overview(roles: &Roles) -> Result<Overview, Failed> {
    let now = Utc::now();
    let sender = match &roles.sender {
        Some(sender) => Some(
            sender::overview::overview(sender)
                .await
                .map_err(Failed::Other)?,
        ),
        None => None,
    };
    let receiver = match &roles.receiver {
        Some(receiver) => {
            let receiver = receiver.clone();
            let read =
                tokio::task::spawn_blocking(move || receiver::overview::overview(&receiver, now))
                    .await
                    .map_err(|e| Failed::Other(e.into()))?;
            Some(read.map_err(Failed::Store)?)
        }
        None => None,
    };
    let readiness = assess(roles, now).map_err(Failed::Store)?;
    let mail = MailState::read(&roles.queues)
        .map_err(Failed::Store)?
        .list();
    let certificates = readiness
        .certificates
        .iter()
        .map(|certificate| CertificateDays {
            certificate: certificate.clone(),
            days_left: chrono::DateTime::parse_from_rfc3339(&certificate.not_after)
                .map_or(0, |not_after| (not_after.to_utc() - now).num_days()),
        })
        .collect();
    Ok(Overview {
        now: crate::api::time(now),
        time_zone: roles.time_zone.name().to_owned(),
        readiness,
        sender,
        receiver,
        mail,
        certificates,
    })
}
