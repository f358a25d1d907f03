//! Builds the running gateway from a checked configuration: opens the stores, binds the
//! listeners (and reports the addresses actually bound, so tests can ask for port 0),
//! starts each role's tasks — the exchange listener, the receiver's watchdog and
//! pruning, the sender's loop, a mail worker per role, the watch on our certificates —
//! and the admin listener, reloads the configuration on `SIGHUP` (see `reload`), and
//! stops everything gracefully on request.

use crate::admin::{self, Roles};
use crate::api::ReloadAnswer;
use crate::certificates;
use crate::config::{Config, ReceiverConfig, Role, SenderConfig};
use crate::http::{self, ServeLimits};
use crate::live::Live;
use crate::mail::{self, RetryPolicy, Transport};
use crate::metrics::Metrics;
use crate::receiver::{self, Receiver};
use crate::reload::{self, LogFilter, Reloader};
use crate::sender::{self, Clock, Sender, SystemClock};
use crate::store;
use crate::systemd::{self, Liveness};
use anyhow::Context;
use hyper::Request;
use hyper::body::Incoming;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
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
    liveness: Liveness,
    roles: Arc<Roles>,
}

/// How a gateway is started beyond its configuration.
pub struct Options {
    /// The file the configuration was read from, read again by a reload; `None`: the
    /// configuration cannot be reloaded.
    pub file: Option<PathBuf>,
    /// Sets the process's log filter on a reload (`gateway.log`).
    pub log: Option<LogFilter>,
    /// Where the sender reads the time.
    pub clock: Arc<dyn Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            file: None,
            log: None,
            clock: Arc::new(SystemClock),
        }
    }
}

impl Gateway {
    /// Reads the configuration file again and takes what may change while running
    /// (see [`crate::reload`]); `why` names what asked for it in the audit trail.
    pub async fn reload(&self, why: &str) -> ReloadAnswer {
        let answer = self.roles.reloader.reload().await;
        let roles = self.roles.clone();
        let (why, reloaded) = (why.to_owned(), answer.reloaded);
        let _ =
            tokio::task::spawn_blocking(move || admin::audit_reload(&roles, why, reloaded)).await;
        answer
    }

    /// Tells the service manager the gateway is ready, and from then on pings its
    /// watchdog while every loop is alive, when it asks for that (`WATCHDOG_USEC`).
    fn ready(&mut self, notifier: &systemd::Notifier) {
        notifier.send("READY=1\nSTATUS=running");
        let Some(interval) = systemd::watchdog_interval() else {
            return;
        };
        tracing::info!(
            "systemd watchdog: WATCHDOG=1 every {:?} while every loop is alive",
            interval / 2
        );
        let mut stopped = self.stop.subscribe();
        let ping = systemd::watchdog(
            notifier.clone(),
            interval,
            self.liveness.clone(),
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            },
        );
        self.tasks.spawn(ping);
    }

    /// Stops accepting work, lets requests in flight and commits finish, and waits for
    /// every task.
    pub async fn shutdown(mut self) {
        self.liveness.stopping();
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Starts the roles enabled in `config`, the sender with the system's clock.
pub async fn start(config: &Config) -> anyhow::Result<Gateway> {
    start_with(config, Options::default()).await
}

/// Starts the roles enabled in `config`; the sender reads the time from `clock`.
pub async fn start_with_clock(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Gateway> {
    let options = Options {
        clock,
        ..Options::default()
    };
    start_with(config, options).await
}

/// Starts the roles enabled in `config` with `options`.
pub async fn start_with(config: &Config, options: Options) -> anyhow::Result<Gateway> {
    let Options { file, log, clock } = options;
    // Every TLS connection of the process, also the mail transport's, uses one provider.
    crate::tls::provider();
    // Large deliveries' buffers go back to the system when freed (see `memory`).
    crate::memory::return_large_allocations();
    let (stop, stopped) = watch::channel(false);
    let mut launch = Launch::new(config, stopped)?;

    // The receiver first: a sender in the same process may deliver to it at once.
    let (receiver, exchange) = match &config.receiver {
        None => (None, None),
        Some(receiver_config) => {
            let (receiver, exchange) = launch.receiver(receiver_config).await?;
            (Some(receiver), Some(exchange))
        }
    };
    let sender = match &config.sender {
        None => None,
        Some(sender_config) => Some(launch.sender(sender_config, clock)?),
    };
    let token = Live::new(reload::admin_token(config)?);
    warn_if_insecure(config);
    let certificates = Live::new(reload::watched(
        config,
        receiver.as_ref().zip(launch.receiver_own.take()),
        sender.as_ref(),
    ));
    let recheck = Arc::new(Notify::new());
    let watch = certificates::watch(
        certificates.clone(),
        recheck.clone(),
        config.gateway.language,
        launch.until_stopped(),
    );
    launch.tasks.spawn(watch);
    let mail_timing = Live::new(config.mail.timing);
    let parts = reload::Parts {
        receiver: receiver.clone(),
        receiver_tls: launch.receiver_tls.take(),
        sender: sender.clone(),
        mail: launch.route.clone(),
        mail_timing: mail_timing.clone(),
        mail_wakes: launch.queues.iter().map(|q| q.wake.clone()).collect(),
        token: token.clone(),
        certificates: certificates.clone(),
        recheck,
        log,
    };
    let roles = Arc::new(Roles {
        receiver,
        sender,
        token,
        certificates,
        queues: std::mem::take(&mut launch.queues),
        mail_timing,
        language: config.gateway.language,
        time_zone: config.gateway.time_zone,
        journals: std::mem::take(&mut launch.journals),
        metrics: launch.metrics.clone(),
        reloader: Arc::new(Reloader::new(file, config.clone(), parts)),
    });
    let admin = launch.admin(roles.clone()).await?;
    if let Some(receiver) = &roles.receiver {
        launch.watchdog(receiver.clone(), roles.sender.clone());
    }
    // The sender last: everything it may deliver to in this process is listening.
    if let Some(sender) = &roles.sender {
        let budget = ROUND_BUDGET + sender.config().schedule.attempt_timeout * 2;
        let beat = launch.liveness.register("the sender's rounds", budget);
        let run = sender::run(sender.clone(), beat, launch.until_stopped());
        launch.tasks.spawn(run);
        let digest = sender::digest::run(sender.clone(), launch.until_stopped());
        launch.tasks.spawn(digest);
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
        tasks: launch.tasks,
        liveness: launch.liveness,
        roles,
    })
}

/// What starting the gateway gathers as it goes: its tasks, the signal that stops them,
/// each role's mail queue, the receiver's TLS configuration and certificate.
struct Launch<'a> {
    config: &'a Config,
    tasks: JoinSet<()>,
    stopped: watch::Receiver<bool>,
    /// How mails leave; every mail worker shares it, and a reload replaces it.
    route: Live<mail::Route>,
    queues: Vec<mail::Queue>,
    /// The exchange listener's TLS configuration, which a reload replaces.
    receiver_tls: Option<Live<crate::tls::ServerConfig>>,
    /// The receiver's own certificate, read with its TLS configuration.
    receiver_own: Option<crate::tls::OwnCertificate>,
    journals: Vec<(Role, store::Journal)>,
    metrics: Metrics,
    /// The loops the systemd watchdog waits on.
    liveness: Liveness,
}

/// The longest one round of the sender may take beyond two attempt timeouts (reading
/// the source, the store): longer, and the systemd watchdog takes it as stuck.
const ROUND_BUDGET: Duration = Duration::from_secs(600);

/// The longest one pass of a mail worker (each mail within the SMTP timeouts) or one
/// check of the receiver's watchdog may take before the systemd watchdog takes it as
/// stuck.
const PASS_BUDGET: Duration = Duration::from_secs(1800);

impl<'a> Launch<'a> {
    fn new(config: &'a Config, stopped: watch::Receiver<bool>) -> anyhow::Result<Self> {
        Ok(Self {
            config,
            tasks: JoinSet::new(),
            stopped,
            route: Live::new(mail::Route {
                transport: Transport::from_config(&config.mail).context("mail")?,
                from: config.mail.from.clone(),
                policy: RetryPolicy::from(&config.mail.timing),
            }),
            queues: Vec::new(),
            receiver_tls: None,
            receiver_own: None,
            journals: Vec::new(),
            metrics: Metrics::default(),
            liveness: Liveness::default(),
        })
    }

    /// Completes when the gateway is told to stop.
    fn until_stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopped = self.stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    }

    /// Starts the mail worker of `role`'s outbox, woken by `wake`.
    fn mail_worker(&mut self, role: Role, outbox: store::Outbox, wake: Arc<Notify>) {
        self.queues.push(mail::Queue {
            role,
            outbox: outbox.clone(),
            wake: wake.clone(),
        });
        let route = self.route.clone();
        let settings = mail::Settings {
            language: self.config.gateway.language,
            role: role.name(),
            metrics: self.metrics.clone(),
        };
        let shutdown = self.until_stopped();
        let name = match role {
            Role::Sender => "the sender's mail worker",
            Role::Receiver => "the receiver's mail worker",
        };
        let beat = self.liveness.register(name, PASS_BUDGET);
        self.tasks.spawn(async move {
            mail::run(&outbox, &route, &settings, &wake, &beat, shutdown).await;
        });
    }

    /// Keeps `role`'s journal for the admin listener and prunes it hourly: entries that
    /// last changed longer than `gateway.journal_retention` ago go, except those `in_use`
    /// names (the sender's current deliveries).
    fn journal(
        &mut self,
        role: Role,
        journal: store::Journal,
        in_use: impl Fn() -> Result<Vec<u64>, store::StoreError> + Send + Sync + 'static,
    ) {
        self.journals.push((role, journal.clone()));
        let retention = self.config.gateway.journal_retention;
        let shutdown = self.until_stopped();
        let in_use = Arc::new(in_use);
        self.tasks.spawn(async move {
            let mut shutdown = std::pin::pin!(shutdown);
            loop {
                let (journal, in_use) = (journal.clone(), in_use.clone());
                let pruned = tokio::task::spawn_blocking(move || {
                    let keep = in_use()?;
                    let cutoff = chrono::Utc::now()
                        - chrono::TimeDelta::from_std(retention).unwrap_or(chrono::TimeDelta::MAX);
                    journal.prune(cutoff, |id| keep.contains(&id))
                })
                .await;
                match pruned {
                    Ok(Ok(0)) => {}
                    Ok(Ok(n)) => tracing::info!("{}: {n} journal entr(y/ies) pruned", role.name()),
                    Ok(Err(e)) => {
                        tracing::error!("{}: the journal could not be pruned: {e}", role.name())
                    }
                    Err(e) => tracing::error!("{}: pruning the journal failed: {e}", role.name()),
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(Duration::from_secs(3600)) => {}
                }
            }
        });
    }

    /// Opens the receiver's store and starts its exchange listener, its pruning and its
    /// mail worker; returns it with the address the exchange listener bound.
    async fn receiver(
        &mut self,
        receiver_config: &ReceiverConfig,
    ) -> anyhow::Result<(Receiver, SocketAddr)> {
        let mail_wake = Arc::new(Notify::new());
        let receiver = Receiver::open(
            self.config,
            receiver_config,
            mail_wake.clone(),
            self.metrics.clone(),
        )
        .context("receiver")?;
        let tls = match &receiver_config.tls {
            None => None,
            Some(tls) => {
                let (server, own) = crate::tls::server_config(tls)?;
                self.receiver_own = Some(own);
                Some(Live::new(server))
            }
        };
        self.receiver_tls = tls.clone();
        let listener = TcpListener::bind(receiver_config.listen)
            .await
            .with_context(|| {
                format!(
                    "receiver.listen: cannot listen on {}",
                    receiver_config.listen
                )
            })?;
        let exchange = listener.local_addr()?;
        let limits = ServeLimits {
            name: "exchange",
            header_timeout: receiver_config.header_timeout,
            max_connections: receiver_config.max_connections,
            max_per_address: receiver_config.max_connections_per_address,
            shutdown_grace: Duration::from_secs(30),
        };
        let handler = {
            let receiver = receiver.clone();
            move |request: Request<Incoming>, peer| {
                receiver::handle_exchange(receiver.clone(), request, peer)
            }
        };
        let serve = http::serve(listener, limits, tls, handler, self.until_stopped());
        self.tasks.spawn(serve);
        let prune = receiver::prune_loop(receiver.clone(), self.until_stopped());
        self.tasks.spawn(prune);
        let digest = receiver::digest::run(receiver.clone(), self.until_stopped());
        self.tasks.spawn(digest);
        let outbox = receiver.store().outbox().clone();
        self.mail_worker(Role::Receiver, outbox, mail_wake);
        self.journal(Role::Receiver, receiver.store().journal().clone(), || {
            Ok(Vec::new())
        });
        Ok((receiver, exchange))
    }

    /// Opens the sender's store and starts its mail worker (its loop starts last).
    fn sender(
        &mut self,
        sender_config: &SenderConfig,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Sender> {
        let mail_wake = Arc::new(Notify::new());
        let sender = Sender::open(
            self.config,
            sender_config,
            clock,
            mail_wake.clone(),
            self.metrics.clone(),
        )
        .context("sender")?;
        let outbox = sender.store().outbox().clone();
        self.mail_worker(Role::Sender, outbox, mail_wake);
        let in_use = sender.clone();
        self.journal(Role::Sender, sender.store().journal().clone(), move || {
            in_use.journal_in_use()
        });
        Ok(sender)
    }

    /// Binds and serves the admin listener; returns the address it bound.
    async fn admin(&mut self, roles: Arc<Roles>) -> anyhow::Result<SocketAddr> {
        let listen = self.config.admin.listen;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("admin.listen: cannot listen on {listen}"))?;
        let address = listener.local_addr()?;
        let handler = move |request: Request<Incoming>, peer: Arc<http::Peer>| {
            let roles = roles.clone();
            async move { admin::handle(&roles, &request, &peer).await }
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
        let serve = http::serve(listener, limits, None, handler, self.until_stopped());
        self.tasks.spawn(serve);
        Ok(address)
    }

    /// Starts the receiver's watchdog. It checks at once (a receiver that was down at
    /// expect_by alerts now, and an alert left open with a set applied after it is
    /// resolved), then at each expect_by; with a sender in the same process, after the
    /// sender's start-up round, which may bring the set the check would miss.
    fn watchdog(&mut self, receiver: Receiver, sender: Option<Sender>) {
        let shutdown = self.until_stopped();
        let beat = self
            .liveness
            .register("the receiver's watchdog", PASS_BUDGET);
        self.tasks.spawn(async move {
            let mut shutdown = std::pin::pin!(shutdown);
            beat.waiting();
            if let Some(sender) = sender {
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
            receiver::watchdog::run(receiver, beat, shutdown).await;
        });
    }
}

/// `https` when the receiver's exchange listener has TLS, else `http`.
fn scheme(receiver: &ReceiverConfig) -> &'static str {
    if receiver.tls.is_some() {
        "https"
    } else {
        "http"
    }
}

/// Runs the gateway until `signal` completes, then shuts it down gracefully; each
/// `SIGHUP` reloads the configuration from `file`.
pub async fn run(
    config: &Config,
    file: PathBuf,
    log: Option<LogFilter>,
    signal: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    // Before anything else: a SIGHUP during start-up must not end the process.
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let options = Options {
        file: Some(file),
        log,
        ..Options::default()
    };
    let mut gateway = start_with(config, options).await?;
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
    // The stores are open and the listeners bound: the service is up.
    let notifier = systemd::Notifier::from_env();
    if let Some(notifier) = &notifier {
        gateway.ready(notifier);
    }
    let mut signal = std::pin::pin!(signal);
    loop {
        let hung_up = async {
            match hangup.as_mut() {
                Some(hangup) => hangup.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut signal => break,
            Some(()) = hung_up => {
                if let Some(notifier) = &notifier {
                    notifier.send(&systemd::reloading());
                }
                let answer = gateway.reload("SIGHUP").await;
                if let Some(notifier) = &notifier {
                    notifier.send(&format!("READY=1\nSTATUS={}", answer.message));
                }
            }
        }
    }
    println!("lotgate: shutting down");
    if let Some(notifier) = &notifier {
        notifier.send("STOPPING=1\nSTATUS=stopping");
    }
    gateway.shutdown().await;
    Ok(())
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
