//! Builds the running gateway from a checked configuration: opens the stores, binds the
//! listeners (and reports the addresses actually bound, so tests can ask for port 0),
//! starts the receiver's watchdog and the mail worker, and stops everything gracefully
//! on request.

use crate::config::{Config, Role};
use crate::http::{self, Reply, ServeLimits, json, text};
use crate::mail::{self, RetryPolicy, Transport};
use crate::receiver::{self, Receiver};
use crate::sender::{self, Clock, Sender, SystemClock};
use crate::store::{self, StoreError};
use anyhow::Context;
use chrono::Utc;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

/// A running gateway.
pub struct Gateway {
    /// Where the receiver's exchange endpoint listens, when the receiver runs.
    pub exchange: Option<SocketAddr>,
    /// Where the admin listener listens.
    pub admin: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Gateway {
    /// Stops accepting work, lets requests in flight and commits finish, and waits for
    /// every task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Starts the roles enabled in `config`, the sender with the system's clock.
pub async fn start(config: &Config) -> anyhow::Result<Gateway> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// Starts the roles enabled in `config`; the sender reads the time from `clock`.
pub async fn start_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Gateway> {
    // Every TLS connection of the process, also the mail transport's, uses one provider.
    crate::tls::provider();
    // Large deliveries' buffers go back to the system when freed (see `memory`).
    crate::memory::return_large_allocations();
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let mut tasks = JoinSet::new();
    let transport = Arc::new(Transport::from_config(&config.mail).context("mail")?);
    // One mail worker per role's outbox; the admin listener sees them as queues.
    let mut queues = Vec::new();
    let mut spawn_mail_worker =
        |tasks: &mut JoinSet<()>, role: Role, outbox: store::Outbox, wake: Arc<Notify>| {
            queues.push(mail::Queue {
                role,
                outbox: outbox.clone(),
                wake: wake.clone(),
            });
            let transport = transport.clone();
            let from = config.mail.from.clone();
            let policy = RetryPolicy::from(&config.mail.timing);
            let shutdown = until_stopped();
            tasks.spawn(async move {
                mail::run(&outbox, &transport, &from, policy, &wake, shutdown).await;
            });
        };

    // The receiver first: a sender in the same process may deliver to it at once.
    let mut exchange = None;
    let mut watchdogs = Vec::new();
    let mut certificates = Vec::new();
    let receiver = match &config.receiver {
        None => None,
        Some(receiver_config) => {
            let mail_wake = Arc::new(Notify::new());
            let receiver =
                Receiver::open(config, receiver_config, mail_wake.clone()).context("receiver")?;
            let tls = match &receiver_config.tls {
                None => None,
                Some(tls) => {
                    let (server, own) = crate::tls::server_config(tls)?;
                    certificates.push(Watched {
                        whose: "receiver.tls.certificate",
                        certificate: own,
                        warning: tls.expiry_warning,
                        outbox: receiver.store().outbox().clone(),
                        administrators: receiver_config.administrators.clone(),
                        mail_wake: mail_wake.clone(),
                    });
                    Some(server)
                }
            };
            let listener = TcpListener::bind(receiver_config.listen)
                .await
                .with_context(|| {
                    format!(
                        "receiver.listen: cannot listen on {}",
                        receiver_config.listen
                    )
                })?;
            exchange = Some(listener.local_addr()?);
            let limits = ServeLimits {
                name: "exchange",
                header_timeout: receiver_config.header_timeout,
                max_connections: receiver_config.max_connections,
                max_per_address: receiver_config.max_connections_per_address,
                shutdown_grace: Duration::from_secs(30),
            };
            tasks.spawn({
                let receiver = receiver.clone();
                let handler = move |request: Request<Incoming>, peer| {
                    receiver::handle_exchange(receiver.clone(), request, peer)
                };
                http::serve(listener, limits, tls, handler, until_stopped())
            });
            tasks.spawn(receiver::prune_loop(receiver.clone(), until_stopped()));
            watchdogs.push(receiver.clone());
            spawn_mail_worker(
                &mut tasks,
                Role::Receiver,
                receiver.store().outbox().clone(),
                mail_wake,
            );
            Some(receiver)
        }
    };

    let sender = match &config.sender {
        None => None,
        Some(sender_config) => {
            let mail_wake = Arc::new(Notify::new());
            let sender =
                Sender::open(config, sender_config, clock, mail_wake.clone()).context("sender")?;
            if let (Some(own), Some(tls)) = (sender.certificate(), &sender_config.tls) {
                certificates.push(Watched {
                    whose: "sender.tls.certificate",
                    certificate: own.clone(),
                    warning: tls.expiry_warning,
                    outbox: sender.store().outbox().clone(),
                    administrators: sender_config.administrators.clone(),
                    mail_wake: mail_wake.clone(),
                });
            }
            spawn_mail_worker(
                &mut tasks,
                Role::Sender,
                sender.store().outbox().clone(),
                mail_wake,
            );
            Some(sender)
        }
    };

    let admin_listener = TcpListener::bind(config.admin.listen)
        .await
        .with_context(|| format!("admin.listen: cannot listen on {}", config.admin.listen))?;
    let admin = admin_listener.local_addr()?;
    let token = match &config.admin.token_file {
        None => None,
        Some(path) => {
            crate::secret::warn_if_readable_by_others(path, "admin.token_file");
            let token = crate::secret::read(&crate::config::SecretSource::File(path.clone()))
                .context("admin.token_file")?;
            Some(token)
        }
    };
    warn_if_insecure(config);
    for watched in &certificates {
        tasks.spawn(watch_expiry(
            watched.clone(),
            config.gateway.language,
            until_stopped(),
        ));
    }
    let roles = Arc::new(Roles {
        receiver,
        sender,
        token,
        certificates,
        queues,
        mail_timing: config.mail.timing,
    });
    tasks.spawn({
        let roles = roles.clone();
        let handler = move |request: Request<Incoming>, _peer| {
            let roles = roles.clone();
            async move { admin_request(&roles, &request).await }
        };
        // No separate cap per address here: a record system's lookups may well come
        // over many connections from one address.
        let limits = ServeLimits {
            name: "admin",
            header_timeout: Duration::from_secs(10),
            max_connections: 64,
            max_per_address: 64,
            shutdown_grace: Duration::from_secs(5),
        };
        http::serve(admin_listener, limits, None, handler, until_stopped())
    });

    // The receiver's watchdog checks at once (a receiver that was down at expect_by
    // alerts now, and an alert left open with a set applied after it is resolved), then
    // at each expect_by; with a sender in the same process, after the sender's start-up
    // round, which may bring the set the check would miss.
    for receiver in watchdogs {
        let settled = roles.sender.clone();
        let shutdown = until_stopped();
        tasks.spawn(async move {
            let mut shutdown = std::pin::pin!(shutdown);
            if let Some(sender) = settled {
                // Bounded: a sender whose store fails must not silence the watchdog.
                let limit = sender.config().schedule.attempt_timeout
                    + sender.config().source.timeout
                    + Duration::from_secs(10);
                tokio::select! {
                    biased;
                    () = &mut shutdown => return,
                    _ = tokio::time::timeout(limit, sender.settled()) => {}
                }
            }
            receiver::watchdog::run(receiver, shutdown).await;
        });
    }

    // The sender last: everything it may deliver to in this process is listening.
    if let Some(sender) = &roles.sender {
        tasks.spawn(sender::run(sender.clone(), until_stopped()));
        tracing::info!(
            "sender delivering to {} destination(s), store {}",
            sender.config().destinations.len(),
            config.gateway.store_dir(Role::Sender).display()
        );
    }
    if let (Some(exchange), Some(receiver_config)) = (exchange, &config.receiver) {
        tracing::info!(
            "receiver listening on {}://{exchange}{}, store {}",
            scheme(receiver_config),
            receiver_config.path,
            config.gateway.store_dir(Role::Receiver).display()
        );
    }
    tracing::info!("admin listening on http://{admin}");
    Ok(Gateway {
        exchange,
        admin,
        stop,
        tasks,
    })
}

/// The roles running in this process, as the admin listener sees them.
struct Roles {
    receiver: Option<Receiver>,
    sender: Option<Sender>,
    /// The bearer token every change (any method but GET and HEAD) must carry, when
    /// `admin.token_file` is set.
    token: Option<String>,
    /// Our own certificates, watched for expiry.
    certificates: Vec<Watched>,
    /// Each role's mail outbox.
    queues: Vec<mail::Queue>,
    /// When a waiting mail makes the gateway degraded.
    mail_timing: crate::config::MailTiming,
}

/// One of our certificates and whom to tell when it is about to expire.
#[derive(Clone)]
struct Watched {
    /// The configuration key of the certificate, e.g. `receiver.tls.certificate`.
    whose: &'static str,
    certificate: crate::tls::OwnCertificate,
    warning: Duration,
    outbox: store::Outbox,
    administrators: Vec<crate::config::EmailAddress>,
    mail_wake: Arc<Notify>,
}

/// How often a certificate's expiry is checked.
const EXPIRY_CHECK_EVERY: Duration = Duration::from_secs(3600);

/// Checks at start-up and then hourly whether the certificate is within its warning
/// period; the first time it is, one email goes to the role's administrators (once per
/// certificate, also across restarts). `/readyz` shows the warning on its own.
async fn watch_expiry(
    watched: Watched,
    language: crate::language::Language,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let now = Utc::now();
        if let Some(expiry) = watched.certificate.expiry(now, watched.warning) {
            tracing::warn!("{}", expiry.reason(watched.whose));
            let to = watched
                .administrators
                .iter()
                .map(ToString::to_string)
                .collect();
            for (id, payload) in expiry.mail(watched.whose, to, language, now) {
                match watched.outbox.enqueue_once(&id, &payload) {
                    Ok(true) => watched.mail_wake.notify_one(),
                    Ok(false) => {}
                    Err(e) => tracing::error!("certificate expiry email not queued: {e}"),
                }
            }
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(EXPIRY_CHECK_EVERY) => {}
        }
    }
}

/// `https` when the receiver's exchange listener has TLS, else `http`.
fn scheme(receiver: &crate::config::ReceiverConfig) -> &'static str {
    if receiver.tls.is_some() {
        "https"
    } else {
        "http"
    }
}

/// Runs the gateway until `signal` completes, then shuts it down gracefully.
pub async fn run(
    config: &Config,
    signal: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let gateway = start(config).await?;
    if let Some(sender) = &config.sender {
        println!(
            "lotgate: sender delivering to {}",
            sender
                .destinations
                .iter()
                .map(|d| format!("{} ({})", d.name, d.url))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(exchange) = gateway.exchange {
        let path = config.receiver.as_ref().map_or("", |r| r.path.as_str());
        let scheme = config.receiver.as_ref().map_or("http", scheme);
        println!("lotgate: receiver listening on {scheme}://{exchange}{path}");
    }
    println!("lotgate: admin listening on http://{}", gateway.admin);
    signal.await;
    println!("lotgate: shutting down");
    gateway.shutdown().await;
    Ok(())
}

async fn admin_request(roles: &Roles, request: &Request<Incoming>) -> Reply {
    let path = request.uri().path();
    match path {
        "/healthz" => return text(StatusCode::OK, "ok"),
        "/readyz" => return readiness(roles),
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
            &serde_json::json!({
                "error": "this change needs the admin token: Authorization: Bearer <the token in admin.token_file>"
            }),
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

/// Says loudly that a listener serves plain HTTP on a non-loopback address, or a
/// destination is plain HTTP (both allowed by `insecure = true`).
fn warn_if_insecure(config: &Config) {
    let mut open = Vec::new();
    if !config.admin.listen.ip().is_loopback() {
        open.push(format!("admin.listen {}", config.admin.listen));
    }
    if let Some(receiver) = &config.receiver
        && receiver.tls.is_none()
        && !receiver.listen.ip().is_loopback()
    {
        open.push(format!("receiver.listen {}", receiver.listen));
    }
    for listener in open {
        tracing::warn!(
            "INSECURE: {listener} serves plain HTTP on a non-loopback address (insecure = true): \
             anyone on the network can read and forge its traffic"
        );
    }
    let plain = config.sender.iter().flat_map(|s| &s.destinations);
    for destination in plain.filter(|d| d.insecure && d.url.starts_with("http://")) {
        tracing::warn!(
            "INSECURE: sender.destination {} is plain HTTP ({}) to a host that may not be \
             loopback (insecure = true): anyone on the network can read and forge the lot numbers",
            destination.name,
            crate::sender::redact_url(&destination.url)
        );
    }
}

/// `/readyz`: ready, or degraded (still HTTP 200: the receiver serves the last good set,
/// the sender keeps trying) while the receiver's set is stale or a destination of the
/// sender has an escalation open; 503 when a store cannot be read.
fn readiness(roles: &Roles) -> Reply {
    let mut body = serde_json::Map::new();
    let mut reasons = Vec::new();
    if let Some(receiver) = &roles.receiver {
        let snapshot = receiver.snapshot();
        body.insert(
            "receiver".into(),
            serde_json::json!({"set_version": snapshot.version(), "has_set": snapshot.set.is_some()}),
        );
        match receiver.stale(Utc::now()) {
            Ok(None) => {
                body.insert("stale".into(), false.into());
            }
            Ok(Some(stale)) => {
                body.insert("stale".into(), true.into());
                reasons.push(stale.to_string());
            }
            Err(e) => return unavailable(&e),
        }
    }
    if let Some(sender) = &roles.sender {
        match sender.store().deliveries() {
            Ok(deliveries) => {
                let open: Vec<&str> = deliveries
                    .iter()
                    .filter(|d| d.escalation_open)
                    .map(|d| d.destination.as_str())
                    .collect();
                if !open.is_empty() {
                    reasons.push(format!(
                        "not delivered after escalation: {}",
                        open.join(", ")
                    ));
                }
                body.insert("sender".into(), serde_json::json!({"escalated": open}));
            }
            Err(e) => return unavailable(&e),
        }
    }
    let now = Utc::now();
    match mail::list_all(&roles.queues) {
        Ok(list) => {
            let alarms = mail::alarms(&list, now, roles.mail_timing.pending_alarm);
            body.insert(
                "mail".into(),
                serde_json::json!({"pending": list.pending.len(), "dead": list.dead.len()}),
            );
            reasons.extend(alarms);
        }
        Err(e) => return unavailable(&e),
    }
    let mut certificates = Vec::new();
    for watched in &roles.certificates {
        let expiry = watched.certificate.expiry(now, watched.warning);
        if let Some(expiry) = &expiry {
            reasons.push(expiry.reason(watched.whose));
        }
        certificates.push(serde_json::json!({
            "name": watched.whose,
            "subject": watched.certificate.subject,
            "not_after": watched.certificate.not_after.to_rfc3339(),
            "expiring": expiry.is_some(),
        }));
    }
    if !certificates.is_empty() {
        body.insert("certificates".into(), certificates.into());
    }
    let status = if reasons.is_empty() {
        "ready"
    } else {
        "degraded"
    };
    body.insert("status".into(), status.into());
    if !reasons.is_empty() {
        body.insert("reason".into(), reasons.join("; ").into());
    }
    json(StatusCode::OK, &serde_json::Value::Object(body))
}

fn unavailable(e: &StoreError) -> Reply {
    tracing::error!("readiness: {e}");
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &serde_json::json!({"status": "unavailable", "error": "the store is not available"}),
    )
}
