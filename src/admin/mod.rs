//! The admin listener: the routes of each role (the receiver's lookups, set, history and
//! quarantine; the sender's status and send-now; both roles' mail), the journal of both
//! (`journal`), backups of the stores (`backup`), reloading the configuration (`reload`), the overview and the status page (`overview`), `/healthz` and `/readyz`, the bearer token every change needs when
//! `admin.token_file` is set, and the audit entry of every change (`audit`). It holds no
//! state of its own: [`Roles`] is what the gateway runs.

mod audit;
mod backup;
mod health;
mod journal;
mod metrics;
mod overview;
mod reload;

use crate::certificates::Watched;
use crate::config::{MailTiming, Role};
use crate::http::{self, Peer, Reply, text};
use crate::language::Language;
use crate::live::Live;
use crate::mail;
use crate::receiver::{self, Receiver};
use crate::reload::Reloader;
use crate::sender::{self, Sender};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use std::sync::Arc;

/// The roles running in this process, as the admin listener sees them.
pub struct Roles {
    /// The receiver, when it runs.
    pub receiver: Option<Receiver>,
    /// The sender, when it runs.
    pub sender: Option<Sender>,
    /// The bearer token every change (any method but GET and HEAD) must carry, when
    /// `admin.token_file` is set; a reload may replace it.
    pub token: Live<Option<String>>,
    /// Our own certificates, watched for expiry; a reload replaces them.
    pub certificates: Live<Vec<Watched>>,
    /// Each role's mail outbox.
    pub queues: Vec<mail::Queue>,
    /// When a waiting mail makes the gateway degraded; a reload may replace it.
    pub mail_timing: Live<MailTiming>,
    /// The language of the texts people read (`gateway.language`).
    pub language: Language,
    /// `gateway.time_zone`: the zone of dates given to the journal.
    pub time_zone: chrono_tz::Tz,
    /// Each role's journal.
    pub journals: Vec<(Role, crate::store::Journal)>,
    /// What the roles counted since start.
    pub metrics: crate::metrics::Metrics,
    /// Reloads the configuration (`POST /api/v1/reload`).
    pub reloader: Arc<Reloader>,
}

/// Writes the audit entry of a reload that did not come through the admin listener
/// (`why`: `SIGHUP`), blocking.
pub fn audit_reload(roles: &Roles, why: String, reloaded: bool) {
    let action = audit::Action {
        role: None,
        name: "reload".to_owned(),
        arguments: std::collections::BTreeMap::new(),
    };
    let status = if reloaded {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    audit::record(roles, action, why, false, status, chrono::Utc::now());
}

/// Answers one request to the admin listener from `peer`; a change (any method but GET
/// and HEAD) is recorded in the audit trail with its answer's status.
pub async fn handle(roles: &Arc<Roles>, request: &Request<Incoming>, peer: &Peer) -> Reply {
    let (method, path, query) = (
        request.method(),
        request.uri().path(),
        request.uri().query(),
    );
    let reading = method == hyper::Method::GET || method == hyper::Method::HEAD;
    let token_presented = request.headers().contains_key(hyper::header::AUTHORIZATION);
    let reply = route(roles, request, reading).await;
    if !reading {
        let action = audit::action(method, path, query);
        let (roles, client, status) = (roles.clone(), peer.addr.ip().to_string(), reply.status());
        let now = chrono::Utc::now();
        let recorded = tokio::task::spawn_blocking(move || {
            audit::record(&roles, action, client, token_presented, status, now);
        });
        if recorded.await.is_err() {
            tracing::error!("the audit entry could not be written");
        }
    }
    reply
}

async fn route(roles: &Roles, request: &Request<Incoming>, reading: bool) -> Reply {
    let (method, path, query) = (
        request.method(),
        request.uri().path(),
        request.uri().query(),
    );
    match path {
        "/healthz" | "/readyz" | "/metrics" if !reading => return http::method_not_allowed("GET"),
        "/healthz" => return text(StatusCode::OK, "ok"),
        "/readyz" => return health::readiness(roles),
        "/metrics" => {
            let accept = request
                .headers()
                .get(hyper::header::ACCEPT)
                .and_then(|v| v.to_str().ok());
            return metrics::metrics(roles, accept);
        }
        _ => {}
    }
    if let Some(reply) = overview::handle(roles, reading, path).await {
        return reply;
    }
    if let Some(token) = roles.token.get().as_ref()
        && !reading
        && !http::bearer_is(request.headers(), token)
    {
        let mut reply = http::error(
            StatusCode::UNAUTHORIZED,
            roles.language.pick(
                "deze wijziging vraagt het beheertoken: Authorization: Bearer <het token in \
                 admin.token_file>",
                "this change needs the admin token: Authorization: Bearer <the token in \
                 admin.token_file>",
            ),
        );
        reply.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            hyper::header::HeaderValue::from_static("Bearer"),
        );
        return reply;
    }
    if let Some(receiver) = &roles.receiver
        && let Some(reply) = receiver::api::handle(receiver, method, path, query).await
    {
        return reply;
    }
    if let Some(sender) = &roles.sender
        && let Some(reply) = sender::api::handle(sender, method, path, query).await
    {
        return reply;
    }
    if let Some(reply) = mail::api::handle(&roles.queues, method, path, roles.language) {
        return reply;
    }
    if let Some(reply) = journal::handle(roles, method, path, query) {
        return reply;
    }
    if let Some(reply) = backup::handle(roles, method, path).await {
        return reply;
    }
    if let Some(reply) = reload::handle(roles, method, path).await {
        return reply;
    }
    text(StatusCode::NOT_FOUND, "not found")
}
