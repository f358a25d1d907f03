//! The admin listener: the routes of each role (the receiver's lookups, set, history and
//! quarantine; the sender's status and send-now; both roles' mail), `/healthz` and
//! `/readyz`, and the bearer token every change needs when `admin.token_file` is set.
//! It holds no state of its own: [`Roles`] is what the gateway runs.

mod health;

use crate::api::ErrorAnswer;
use crate::certificates::Watched;
use crate::config::MailTiming;
use crate::http::{self, Reply, json, text};
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
}

/// Answers one request to the admin listener.
pub async fn handle(roles: &Roles, request: &Request<Incoming>) -> Reply {
    let path = request.uri().path();
    match path {
        "/healthz" => return text(StatusCode::OK, "ok"),
        "/readyz" => return health::readiness(roles),
        _ => {}
    }
    let (method, query) = (request.method(), request.uri().query());
    if let Some(token) = &roles.token
        && method != hyper::Method::GET
        && method != hyper::Method::HEAD
        && !http::bearer_is(request.headers(), token)
    {
        let mut reply = json(
            StatusCode::UNAUTHORIZED,
            &ErrorAnswer::new(
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
    if let Some(reply) = mail::api::handle(&roles.queues, method, path) {
        return reply;
    }
    text(StatusCode::NOT_FOUND, "not found")
}
