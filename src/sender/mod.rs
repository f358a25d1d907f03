//! The sender role: takes the inventory's current set of lots and delivers it to every
//! configured receiver on the retry schedule.
//!
//! One loop ([`run`]) decides, at start-up and whenever something is due: which
//! deliveries start (the night's, a missed night's, the one after start-up, a
//! send-now), which attempts are due ([`crate::schedule::due`]), and which deliveries
//! are escalated. Attempts run as tasks of their own, at most `max_in_flight` at a time,
//! so destinations never hold each other up. Between decisions the loop sleeps until the
//! next planned moment (no polling); an attempt that ends or a send-now wakes it.
//!
//! Every change of a delivery is read, changed and written under one lock (`turn`),
//! together with the mails it causes, so two tasks never overwrite each other's change.
//! An attempt is recorded *before* its request is sent: after a crash it shows as
//! interrupted and the schedule goes on from the next slot of the original grid.
//!
//! - `plan`: the pure planning step of a round (what starts, is escalated, is due).
//! - [`source`]: reading and checking the inventory's set.
//! - [`deliver`]: building a destination's message, posting it, reading the answer.
//! - [`mails`]: the rejection, escalation, resolution and invalid-source emails.
//! - [`status`]: what `lotgate status` shows.
//! - [`overview`]: the sender's part of the status page.
//! - [`digest`]: the daily digest of deliveries.

pub mod api;
mod attempt;
pub mod deliver;
pub mod digest;
mod journal;
pub(crate) mod mails;
pub(crate) mod net;
pub mod overview;
mod plan;
mod round;
pub mod source;
pub mod status;

pub(crate) use net::redact_url;
pub use round::run;
#[cfg(test)]
mod tests;

use crate::config::{Config, Destination, GatewayConfig, SenderConfig};
use crate::language::Language;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::schedule::{self, Next};
use crate::store::{
    Attempt, AttemptOutcome, Delivery, DeliveryState, NewDelivery, SenderStore, StoreError, Trigger,
};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

/// The longest the loop sleeps without looking at the clock again, so that a jump of the
/// wall clock (or a suspended machine) delays nothing by more than this.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// How soon the loop tries again after the store failed.
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Where the sender gets the time of day. The schedule is laid out in wall-clock time;
/// sleeping uses tokio's timer, so tests pair an injected clock with tokio's paused
/// time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A destination, and when a delivery to it was last delivered (see
/// [`Sender::last_delivered`]).
pub type LastDelivered = (String, Option<DateTime<Utc>>);

/// A destination that is not in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no destination is called {0:?}")]
pub struct UnknownDestination(pub String);

/// The HTTP client of deliveries, built from `[sender.tls]` and the attempt timeout.
pub struct Net {
    client: reqwest::Client,
    /// Our client certificate, when `[sender.tls]` is configured.
    certificate: Option<crate::tls::OwnCertificate>,
}

impl Net {
    /// Reads our certificate, key and roots, and builds the client.
    pub fn new(config: &SenderConfig) -> anyhow::Result<Self> {
        let (client, certificate) =
            net::delivery_client(config.tls.as_ref(), config.schedule.attempt_timeout)?;
        Ok(Self {
            client,
            certificate,
        })
    }
}

/// The sender's shared state: cheap to clone.
#[derive(Clone)]
pub struct Sender {
    inner: Arc<Inner>,
}

struct Inner {
    /// Replaced by a reload (see [`Sender::reconfigure`]).
    config: Live<SenderConfig>,
    zone: chrono_tz::Tz,
    language: Language,
    /// The vaccine-type code list the source is checked against.
    codes: Arc<crate::vaccine::CodeList>,
    store: SenderStore,
    clock: Arc<dyn Clock>,
    /// The HTTP client of deliveries with our client certificate; replaced by a reload.
    net: Live<Net>,
    /// Notified whenever a mail is queued.
    mail_wake: Arc<Notify>,
    /// Where attempts, deliveries and source reads are counted.
    metrics: Metrics,
    /// Wakes the loop: an attempt ended, deliveries were started by send-now, or a
    /// reload changed the configuration.
    wake: Notify,
    /// Set by a reload: the next round drops the deliveries of removed destinations.
    reconfigured: AtomicBool,
    /// Destinations with an attempt queued or running.
    in_flight: Mutex<HashSet<String>>,
    /// Attempts running at the same time.
    slots: Arc<Semaphore>,
    /// Serialises every read-change-write of deliveries.
    turn: tokio::sync::Mutex<()>,
    /// Becomes true once the start-up round and the attempts it began are over.
    settled: tokio::sync::watch::Sender<bool>,
}

impl Sender {
    /// Opens the sender's store. `mail_wake` is notified whenever an alert is queued.
    pub fn open(
        config: &Config,
        sender: &SenderConfig,
        clock: Arc<dyn Clock>,
        mail_wake: Arc<Notify>,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        let dir = config.gateway.store_dir(crate::config::Role::Sender);
        let store = SenderStore::open(&dir)?;
        Self::with_store(&config.gateway, sender, store, clock, mail_wake, metrics)
    }

    /// A sender on an open store.
    pub fn with_store(
        gateway: &GatewayConfig,
        config: &SenderConfig,
        store: SenderStore,
        clock: Arc<dyn Clock>,
        mail_wake: Arc<Notify>,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        let net = Net::new(config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config: Live::new(config.clone()),
                zone: gateway.time_zone,
                language: gateway.language,
                codes: gateway.codes.clone(),
                store,
                clock,
                net: Live::new(net),
                mail_wake,
                metrics,
                wake: Notify::new(),
                reconfigured: AtomicBool::new(false),
                in_flight: Mutex::new(HashSet::new()),
                slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
                turn: tokio::sync::Mutex::new(()),
                settled: tokio::sync::watch::Sender::new(false),
            }),
        })
    }

    /// Completes once the start-up round (missed nights, `send_on_start`) and the
    /// attempts it began are over, whatever their outcome.
    pub async fn settled(&self) {
        let mut settled = self.inner.settled.subscribe();
        let _ = settled.wait_for(|done| *done).await;
    }

    /// The bytes of every tree of the store for a backup, taken while no delivery
    /// changes: deliveries, their messages and their emails agree.
    pub async fn backup(&self) -> Result<Vec<u8>, String> {
        let _turn = self.inner.turn.lock().await;
        let store = self.inner.store.clone();
        match tokio::task::spawn_blocking(move || store.snapshot()).await {
            Ok(snapshot) => snapshot.map_err(|e| e.to_string()),
            Err(e) => Err(format!("the sender's backup failed: {e}")),
        }
    }

    /// Wakes this role's mail worker (for mails queued from outside, such as a
    /// certificate's expiry warning).
    pub fn mail_wake(&self) -> Arc<Notify> {
        self.inner.mail_wake.clone()
    }

    /// The sender's store.
    pub fn store(&self) -> &SenderStore {
        &self.inner.store
    }

    /// Our client certificate, when `[sender.tls]` is configured.
    pub fn certificate(&self) -> Option<crate::tls::OwnCertificate> {
        self.inner.net.get().certificate.clone()
    }

    /// The configuration, as it is now (a reload may replace it).
    pub fn config(&self) -> Arc<SenderConfig> {
        self.inner.config.get()
    }

    /// Takes `config` with the client built from it ([`Net::new`]) for every round and
    /// attempt that comes after; attempts under way finish with the client they started
    /// with. The caller keeps what cannot change while running (the schedule, the number
    /// of deliveries at a time) as it was.
    pub fn reconfigure(&self, config: SenderConfig, net: Net) {
        self.inner.config.set(config);
        self.inner.net.set(net);
        self.inner.reconfigured.store(true, Ordering::SeqCst);
        // The next round plans with the new destinations.
        self.inner.wake.notify_one();
    }

    /// The current time on the sender's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Starts a new delivery now to `destination` (or to every destination),
    /// superseding unfinished ones; the first attempts follow at once. Returns the new
    /// deliveries.
    pub async fn send_now(&self, destination: Option<&str>) -> anyhow::Result<Vec<Delivery>> {
        let names: Vec<String> = match destination {
            Some(name) => {
                if self.destination(name).is_none() {
                    return Err(UnknownDestination(name.to_owned()).into());
                }
                vec![name.to_owned()]
            }
            None => self
                .config()
                .destinations
                .iter()
                .map(|d| d.name.clone())
                .collect(),
        };
        let started = {
            let _turn = self.inner.turn.lock().await;
            let now = self.now();
            let starts: Vec<_> = names
                .iter()
                .map(|name| plan::Start {
                    destination: name.clone(),
                    trigger: Trigger::SendNow,
                    night: None,
                })
                .collect();
            let mut source = round::SourceCache::default();
            self.begin_all(&starts, now, &mut source).await?
        };
        self.inner.wake.notify_one();
        Ok(started)
    }

    /// Per configured destination, when a delivery to it was last delivered (from the
    /// journal and the current delivery) or, before the first, when the sender was
    /// installed; `None` when neither is known. Reads the store (blocking).
    pub fn last_delivered(&self) -> Result<Vec<LastDelivered>, StoreError> {
        let store = self.store();
        let installed = store.installed_at()?;
        let deliveries = store.deliveries()?;
        let mut out = Vec::new();
        for destination in &self.config().destinations {
            let name = &destination.name;
            let current = deliveries
                .iter()
                .find(|d| &d.destination == name && d.state == DeliveryState::Delivered)
                .and_then(|d| d.finished_at);
            let filter = crate::store::JournalFilter {
                kind: Some(crate::store::JournalKind::Delivery),
                destination: Some(name.clone()),
                outcome: Some(DeliveryState::Delivered.as_str().to_owned()),
                ..Default::default()
            };
            let journaled = store
                .journal()
                .list(&filter, None, 1)?
                .into_iter()
                .next()
                .map(|entry| {
                    serde_json::from_value::<crate::api::JournalDelivery>(entry.details)
                        .ok()
                        .and_then(|d| d.finished_at)
                        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                        .map_or(entry.last_at, |t| t.with_timezone(&Utc))
                });
            let last = current.max(journaled).or(installed);
            out.push((name.clone(), last));
        }
        Ok(out)
    }

    /// The journal entries of the current deliveries, which pruning keeps. Reads the
    /// store (blocking, briefly).
    pub fn journal_in_use(&self) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .store()
            .deliveries()?
            .iter()
            .filter_map(|d| d.journal)
            .collect())
    }

    /// The destinations with an open escalation: escalated and not delivered since, in
    /// the order of the store. Reads the store (blocking, briefly).
    pub fn escalated(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .store()
            .deliveries()?
            .into_iter()
            .filter(|d| d.escalation_open)
            .map(|d| d.destination)
            .collect())
    }

    fn destination(&self, name: &str) -> Option<Destination> {
        self.config()
            .destinations
            .iter()
            .find(|d| d.name == name)
            .cloned()
    }

    fn mail_writer(&self) -> mails::Writer {
        mails::Writer {
            config: self.config(),
            zone: self.inner.zone,
            language: self.inner.language,
        }
    }

    fn is_in_flight(&self, destination: &str) -> bool {
        self.inner
            .in_flight
            .lock()
            .map(|set| set.contains(destination))
            .unwrap_or(false)
    }

    /// Runs a blocking store operation off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SenderStore) -> Result<T, StoreError> + Send + 'static,
    ) -> anyhow::Result<T> {
        let store = self.inner.store.clone();
        Ok(tokio::task::spawn_blocking(move || f(&store)).await??)
    }

    /// Saves changed deliveries with their mails, then their journal entries; wakes
    /// the mail worker when mails were queued. `false` when one of them was superseded
    /// meanwhile (nothing written).
    async fn save(
        &self,
        deliveries: Vec<Delivery>,
        mails: Vec<mails::Entry>,
    ) -> anyhow::Result<bool> {
        self.save_with(deliveries, mails, Vec::new()).await
    }

    /// [`Self::save`] of one delivery, keeping `bodies` (an attempt's answer) with its
    /// journal entry.
    async fn save_with(
        &self,
        deliveries: Vec<Delivery>,
        mails: Vec<mails::Entry>,
        bodies: Vec<crate::store::NewBody>,
    ) -> anyhow::Result<bool> {
        let queued = !mails.is_empty();
        let (saved, deliveries) = self
            .blocking(move |store| {
                let refs: Vec<&Delivery> = deliveries.iter().collect();
                let saved = store.save(&refs, &mails)?;
                Ok((saved, deliveries))
            })
            .await?;
        if saved && queued {
            self.inner.mail_wake.notify_one();
        }
        if saved {
            let mut bodies = Some(bodies);
            for delivery in &deliveries {
                self.journal(delivery, bodies.take().unwrap_or_default())
                    .await;
            }
        }
        Ok(saved)
    }

    /// Writes the journal entry of `delivery` with its new `bodies`. A failure is
    /// logged and changes nothing else: the delivery's own state is stored already.
    async fn journal(&self, delivery: &Delivery, bodies: Vec<crate::store::NewBody>) {
        let (delivery, language) = (delivery.clone(), self.inner.language);
        let written = self
            .blocking(move |store| journal::write(store, &delivery, bodies, language))
            .await;
        if let Err(e) = written {
            tracing::error!("sender: the journal entry could not be written: {e:#}");
        }
    }
}
