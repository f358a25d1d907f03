//! Builds the running gateway from a checked configuration: opens the stores, binds the
//! listeners (and reports the addresses actually bound, so tests can ask for port 0),
//! starts the receiver's watchdog and the mail worker, and stops everything gracefully
//! on request.

use crate::config::{Config, Role};
use crate::http::{self, Reply, ServeLimits, json, text};
use crate::mail::{self, Mail, RetryPolicy, Transport};
use crate::receiver::{self, Receiver};
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

/// Starts the roles enabled in `config`.
pub async fn start(config: &Config) -> anyhow::Result<Gateway> {
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let mut tasks = JoinSet::new();
    if config.sender.is_some() {
        tracing::warn!("the sender role is not available in this version yet; it does not run");
    }
    let Some(receiver_config) = &config.receiver else {
        anyhow::bail!(
            "only the sender role is enabled, and it is not available in this version yet"
        );
    };
    let mail_wake = Arc::new(Notify::new());
    let receiver =
        Receiver::open(config, receiver_config, mail_wake.clone()).context("receiver")?;
    let transport = Transport::from_config(&config.mail).context("mail")?;

    let exchange_listener = TcpListener::bind(receiver_config.listen)
        .await
        .with_context(|| {
            format!(
                "receiver.listen: cannot listen on {}",
                receiver_config.listen
            )
        })?;
    let exchange = exchange_listener.local_addr()?;
    let limits = ServeLimits {
        header_timeout: receiver_config.header_timeout,
        max_connections: receiver_config.max_connections,
        shutdown_grace: Duration::from_secs(30),
    };
    tasks.spawn({
        let receiver = receiver.clone();
        let handler =
            move |request: Request<Incoming>| receiver::handle_exchange(receiver.clone(), request);
        http::serve(exchange_listener, limits, handler, until_stopped())
    });

    let admin_listener = TcpListener::bind(config.admin.listen)
        .await
        .with_context(|| format!("admin.listen: cannot listen on {}", config.admin.listen))?;
    let admin = admin_listener.local_addr()?;
    tasks.spawn({
        let receiver = receiver.clone();
        let handler = move |request: Request<Incoming>| {
            let receiver = receiver.clone();
            async move { admin_request(&receiver, &request).await }
        };
        let limits = ServeLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 64,
            shutdown_grace: Duration::from_secs(5),
        };
        http::serve(admin_listener, limits, handler, until_stopped())
    });

    tasks.spawn(receiver::prune_loop(receiver.clone(), until_stopped()));
    // The watchdog checks at once (a receiver that was down at expect_by alerts now, and
    // an alert left open with a set applied after it is resolved), then at each expect_by.
    tasks.spawn(receiver::watchdog::run(receiver.clone(), until_stopped()));

    tasks.spawn({
        let outbox = StoreOutbox(receiver.store().outbox().clone());
        let from = config.mail.from.clone();
        let shutdown = until_stopped();
        async move {
            mail::run(
                &outbox,
                &transport,
                &from,
                RetryPolicy::default(),
                &mail_wake,
                shutdown,
            )
            .await;
        }
    });
    tracing::info!(
        "receiver listening on http://{exchange}{}, admin on http://{admin}, store {}",
        receiver_config.path,
        config.gateway.store_dir(Role::Receiver).display()
    );
    Ok(Gateway {
        exchange: Some(exchange),
        admin,
        stop,
        tasks,
    })
}

/// Runs the gateway until `signal` completes, then shuts it down gracefully.
pub async fn run(
    config: &Config,
    signal: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let gateway = start(config).await?;
    if let Some(exchange) = gateway.exchange {
        let path = config.receiver.as_ref().map_or("", |r| r.path.as_str());
        println!("lotgate: receiver listening on http://{exchange}{path}");
    }
    println!("lotgate: admin listening on http://{}", gateway.admin);
    signal.await;
    println!("lotgate: shutting down");
    gateway.shutdown().await;
    Ok(())
}

async fn admin_request(receiver: &Receiver, request: &Request<Incoming>) -> Reply {
    let path = request.uri().path();
    match path {
        "/healthz" => return text(StatusCode::OK, "ok"),
        "/readyz" => return readiness(receiver),
        _ => {}
    }
    receiver::api::handle(receiver, request.method(), path, request.uri().query())
        .await
        .unwrap_or_else(|| text(StatusCode::NOT_FOUND, "not found"))
}

/// `/readyz`: ready, or degraded (still HTTP 200: the last good set is served) while the
/// watchdog finds the set stale; 503 when the store cannot be read.
fn readiness(receiver: &Receiver) -> Reply {
    let snapshot = receiver.snapshot();
    let details = serde_json::json!({
        "set_version": snapshot.version,
        "has_set": snapshot.set.is_some(),
    });
    match receiver.stale(Utc::now()) {
        Ok(None) => json(
            StatusCode::OK,
            &serde_json::json!({"status": "ready", "stale": false, "receiver": details}),
        ),
        Ok(Some(stale)) => json(
            StatusCode::OK,
            &serde_json::json!({
                "status": "degraded",
                "stale": true,
                "reason": stale.to_string(),
                "receiver": details,
            }),
        ),
        Err(e) => {
            tracing::error!("readiness: {e}");
            json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({"status": "unavailable", "error": "the store is not available"}),
            )
        }
    }
}

/// The store's outbox as the mail worker sees it: entries are mails as JSON.
struct StoreOutbox(store::Outbox);

impl mail::Outbox for StoreOutbox {
    type Error = StoreError;

    fn pending(&self) -> Result<Vec<Mail>, StoreError> {
        let mut mails = Vec::new();
        for (id, payload) in self.0.pending()? {
            match serde_json::from_slice::<Mail>(&payload) {
                Ok(mail) => mails.push(mail),
                Err(e) => {
                    // Unreadable: keep it aside for the administrators rather than retry forever.
                    tracing::error!("outbox entry {id} is not a mail: {e}");
                    self.0.failed(&id, &format!("not a mail: {e}"))?;
                }
            }
        }
        Ok(mails)
    }

    fn sent(&self, id: &str) -> Result<(), StoreError> {
        self.0.sent(id).map(|_| ())
    }

    fn failed(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        self.0.failed(id, reason).map(|_| ())
    }
}
