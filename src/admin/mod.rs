//! The admin listener: the routes of each role (the receiver's lookups, set, history and
//! quarantine; the sender's status and send-now; both roles' mail), `/healthz` and
//! `/readyz`, and the bearer token every change needs when `admin.token_file` is set.
//! It holds no state of its own: [`Roles`] is what the gateway runs.

mod health;

use crate::certificates::Watched;
use crate::config::MailTiming;
use crate::http::{self, Reply, text};
use crate::language::Language;
use crate::mail;
use crate::receiver::{self, Receiver};
use crate::sender::{self, Sender};
use hyper::body::Incoming;
use hyper::{Request, StatusCode};

/// The roles running in this process, as the admin listener sees them.
pub struct Roles {
    /// The receiver, when it runs.
    pub receiver: Option<Receiver>,
    /// The sender, when it runs.
    pub sender: Option<Sender>,
    /// The bearer token every change (any method but GET and HEAD) must carry, when
    /// `admin.token_file` is set.
    pub token: Option<String>,
    /// Our own certificates, watched for expiry.
    pub certificates: Vec<Watched>,
    /// Each role's mail outbox.
    pub queues: Vec<mail::Queue>,
    /// When a waiting mail makes the gateway degraded.
    pub mail_timing: MailTiming,
    /// The language of the texts people read (`gateway.language`).
    pub language: Language,
}

/// Answers one request to the admin listener.
pub async fn handle(roles: &Roles, request: &Request<Incoming>) -> Reply {
    let (method, path, query) = (
        request.method(),
        request.uri().path(),
        request.uri().query(),
    );
    let reading = method == hyper::Method::GET || method == hyper::Method::HEAD;
    match path {
        "/healthz" | "/readyz" if !reading => return http::method_not_allowed("GET"),
        "/healthz" => return text(StatusCode::OK, "ok"),
        "/readyz" => return health::readiness(roles),
        _ => {}
    }
    if let Some(token) = &roles.token
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
    text(StatusCode::NOT_FOUND, "not found")
}
