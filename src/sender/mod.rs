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
//! - [`source`]: reading and checking the inventory's set.
//! - [`deliver`]: building a destination's message, posting it, reading the answer.
//! - [`mails`]: the rejection, escalation, resolution and invalid-source emails.
//! - [`status`]: what `lotgate status` shows.

pub mod api;
pub mod deliver;
pub(crate) mod mails;
mod net;
pub mod source;
pub mod status;
#[cfg(test)]
mod tests;

use crate::config::{Config, Destination, GatewayConfig, SenderConfig};
use crate::schedule::{self, Due, Next};
use crate::store::{
    Attempt, AttemptOutcome, Delivery, DeliveryState, NewDelivery, SenderStore, StoreError, Trigger,
};
use crate::validate::Language;
use chrono::{DateTime, Utc};
use source::{Snapshot, SourceError};
use std::collections::HashSet;
use std::future::Future;
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

/// A destination that is not in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no destination is called {0:?}")]
pub struct UnknownDestination(pub String);

/// The sender's shared state: cheap to clone.
#[derive(Clone)]
pub struct Sender {
    inner: Arc<Inner>,
}

struct Inner {
    config: SenderConfig,
    zone: chrono_tz::Tz,
    language: Language,
    store: SenderStore,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    /// Notified whenever a mail is queued.
    mail_wake: Arc<Notify>,
    /// Wakes the loop: an attempt ended, or deliveries were started by send-now.
    wake: Notify,
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
    ) -> anyhow::Result<Self> {
        let dir = config.gateway.store_dir(crate::config::Role::Sender);
        let store = SenderStore::open(&dir)?;
        Self::with_store(&config.gateway, sender, store, clock, mail_wake)
    }

    /// A sender on an open store.
    pub fn with_store(
        gateway: &GatewayConfig,
        config: &SenderConfig,
        store: SenderStore,
        clock: Arc<dyn Clock>,
        mail_wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        let timeout = config.schedule.attempt_timeout;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // Attempts are minutes apart: a pooled connection would only be a stale one.
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lotgate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                config: config.clone(),
                zone: gateway.time_zone,
                language: gateway.language,
                store,
                clock,
                client,
                mail_wake,
                wake: Notify::new(),
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

    /// The sender's store.
    pub fn store(&self) -> &SenderStore {
        &self.inner.store
    }

    /// The configuration.
    pub fn config(&self) -> &SenderConfig {
        &self.inner.config
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
                .inner
                .config
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
                .map(|name| (name.clone(), Trigger::SendNow, None))
                .collect();
            let mut source = SourceCache::default();
            self.begin_all(&starts, now, &mut source).await?
        };
        self.inner.wake.notify_one();
        Ok(started)
    }

    fn destination(&self, name: &str) -> Option<&Destination> {
        self.inner
            .config
            .destinations
            .iter()
            .find(|d| d.name == name)
    }

    fn mail_writer(&self) -> mails::Writer<'_> {
        mails::Writer {
            config: &self.inner.config,
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

    /// Saves changed deliveries with their mails; wakes the mail worker when mails were
    /// queued. `false` when one of them was superseded meanwhile (nothing written).
    async fn save(
        &self,
        deliveries: Vec<Delivery>,
        mails: Vec<mails::Entry>,
    ) -> anyhow::Result<bool> {
        let queued = !mails.is_empty();
        let saved = self
            .blocking(move |store| {
                let refs: Vec<&Delivery> = deliveries.iter().collect();
                store.save(&refs, &mails)
            })
            .await?;
        if saved && queued {
            self.inner.mail_wake.notify_one();
        }
        Ok(saved)
    }

    /// Starts deliveries (destination, trigger, night) at `now`, each with its message
    /// when the source can be read (read at most once, through `source`). Called under
    /// the turn.
    async fn begin_all(
        &self,
        starts: &[(String, Trigger, Option<chrono::NaiveDate>)],
        now: DateTime<Utc>,
        source: &mut SourceCache,
    ) -> anyhow::Result<Vec<Delivery>> {
        let mut started = Vec::new();
        for (name, trigger, night) in starts {
            let Some(destination) = self.destination(name).cloned() else {
                continue;
            };
            let id = self.blocking(SenderStore::next_id).await?;
            let message = match source.get(self, now).await {
                Ok(snapshot) => Some(self.build(&destination, snapshot, id, now)),
                Err(_) => None,
            };
            let schedule = &self.inner.config.schedule;
            let (start, escalate_at) = match (trigger, night) {
                (Trigger::Nightly, Some(night)) => (
                    schedule::night_start(schedule, *night),
                    schedule::escalation_time(schedule, *night),
                ),
                (Trigger::Missed, Some(night)) => {
                    (now, schedule::escalation_time(schedule, *night))
                }
                _ => (now, schedule::escalation_after(schedule, now)),
            };
            let new = NewDelivery {
                id,
                destination: name.clone(),
                trigger: *trigger,
                night: *night,
                start,
                escalate_at,
                message,
            };
            let delivery = self.blocking(move |store| store.begin(new)).await?;
            tracing::info!(
                "sender: delivery {} to {} started ({}{})",
                delivery.id,
                delivery.destination,
                trigger.as_str(),
                night.map(|n| format!(" of {n}")).unwrap_or_default()
            );
            started.push(delivery);
        }
        Ok(started)
    }

    /// Builds a destination's message from the snapshot.
    fn build(
        &self,
        destination: &Destination,
        snapshot: &Snapshot,
        id: u64,
        now: DateTime<Utc>,
    ) -> (crate::store::BuiltMessage, Vec<u8>) {
        deliver::build(
            &self.inner.config,
            destination,
            self.inner.zone,
            snapshot.lots.clone(),
            id,
            now,
        )
    }
}

/// What [`Sender::prepare`] found.
enum Prepared {
    /// The delivery has its message: attempt it.
    Ready(Delivery),
    /// The source cannot be read or is invalid: the attempt fails on it.
    NoSource(Delivery),
    /// Superseded meanwhile, or its destination is no longer configured.
    Gone,
}

/// The source, read at most once per decision round.
#[derive(Default)]
struct SourceCache {
    read: Option<Result<Snapshot, SourceError>>,
}

impl SourceCache {
    async fn get(&mut self, sender: &Sender, now: DateTime<Utc>) -> &Result<Snapshot, SourceError> {
        if self.read.is_none() {
            let today = crate::localtime::local_date(sender.inner.zone, now);
            let result = source::read(&sender.inner.config.source, today).await;
            match &result {
                Ok(snapshot) => tracing::info!(
                    "sender: source read, {} lot numbers{}",
                    snapshot.lots.len(),
                    if snapshot.warnings.issues().is_empty() {
                        String::new()
                    } else {
                        format!(", {} warning(s)", snapshot.warnings.issues().len())
                    }
                ),
                Err(e) => tracing::warn!("sender: {}", e.text(Language::En)),
            }
            self.read = Some(result);
        }
        self.read.as_ref().expect("read just above")
    }
}

/// Runs the sender until `shutdown` completes: decides at start-up and whenever
/// something is due, then waits for the attempts still running.
pub async fn run(sender: Sender, shutdown: impl Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut attempts = JoinSet::new();
    let mut first = true;
    loop {
        while attempts.try_join_next().is_some() {}
        let next = match sender.decide(first, &mut attempts).await {
            Ok(next) => {
                first = false;
                next
            }
            Err(e) => {
                tracing::error!("sender: {e:#}; trying again in {RETRY_AFTER:?}");
                sender.now() + RETRY_AFTER
            }
        };
        if !first
            && sender
                .inner
                .in_flight
                .lock()
                .is_ok_and(|set| set.is_empty())
        {
            sender
                .inner
                .settled
                .send_if_modified(|done| !std::mem::replace(done, true));
        }
        let wait = (next - sender.now())
            .to_std()
            .unwrap_or_default()
            .min(MAX_SLEEP);
        tracing::debug!("sender: next decision at {next}");
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = sender.inner.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    // Attempts in flight finish (each within the attempt timeout) and are recorded.
    while attempts.join_next().await.is_some() {}
}

impl Sender {
    /// One decision round at the clock's `now`: starts what is due, escalates what must
    /// be, spawns due attempts; returns when the next round is needed at the latest.
    async fn decide(
        &self,
        first: bool,
        attempts: &mut JoinSet<()>,
    ) -> anyhow::Result<DateTime<Utc>> {
        let _turn = self.inner.turn.lock().await;
        let now = self.now();
        let schedule = &self.inner.config.schedule;
        if first {
            self.forget_unconfigured().await?;
        }

        // 1. Deliveries that start now.
        let mut starts = Vec::new();
        for destination in &self.inner.config.destinations {
            let name = destination.name.clone();
            let last = self
                .blocking({
                    let name = name.clone();
                    move |store| store.last_night(&name)
                })
                .await?;
            match schedule::missed_night(schedule, last, now) {
                // A night that started while the gateway was down is delivered now;
                // one that starts while it runs keeps its own grid.
                Some(night) if first => starts.push((name, Trigger::Missed, Some(night))),
                Some(night) => starts.push((name, Trigger::Nightly, Some(night))),
                None if first && self.inner.config.send_on_start => {
                    starts.push((name, Trigger::StartUp, None));
                }
                None => {}
            }
        }

        // 2. Escalation, before anything is superseded.
        let deliveries = self.blocking(SenderStore::deliveries).await?;
        self.escalate(&deliveries, &starts, now).await?;

        // 3. Start the new deliveries.
        let mut source = SourceCache::default();
        self.begin_all(&starts, now, &mut source).await?;

        // 4. Due attempts.
        let deliveries = self.blocking(SenderStore::deliveries).await?;
        let mut next = schedule::next_night(schedule, now).1;
        let mut no_source = Vec::new();
        for delivery in deliveries {
            if delivery.state != DeliveryState::Delivered && delivery.escalated_at.is_none() {
                next = next.min(delivery.escalate_at);
            }
            if delivery.state != DeliveryState::Pending {
                continue;
            }
            if self.is_in_flight(&delivery.destination) {
                continue;
            }
            match schedule::due(schedule, delivery.start, delivery.last_attempt(), now) {
                Due::Now => match self.prepare(delivery, now, &mut source).await? {
                    Prepared::Ready(delivery) => self.spawn_attempt(delivery, attempts),
                    Prepared::NoSource(delivery) => no_source.push(delivery),
                    Prepared::Gone => {}
                },
                Due::At(at) => next = next.min(at),
                Due::Exhausted => {}
            }
        }
        if !no_source.is_empty() {
            self.source_failed(no_source, now, &source).await?;
            // The attempts are recorded: the next ones are planned from them.
            next = now;
        }
        Ok(next.max(now))
    }

    /// Removes deliveries to destinations that are no longer configured.
    async fn forget_unconfigured(&self) -> anyhow::Result<()> {
        for delivery in self.blocking(SenderStore::deliveries).await? {
            if self.destination(&delivery.destination).is_none() {
                tracing::info!(
                    "sender: destination {} is no longer configured; its delivery {} is dropped",
                    delivery.destination,
                    delivery.id
                );
                let name = delivery.destination.clone();
                self.blocking(move |store| store.forget(&name)).await?;
            }
        }
        Ok(())
    }

    /// Sends one escalation email listing every delivery not delivered by its
    /// escalation time. Waits (writing nothing) while any of them has an attempt running
    /// or due now and not about to be superseded, so that the email lists the outcome of
    /// the catch-up after an outage and is sent once for all of them.
    async fn escalate(
        &self,
        deliveries: &[Delivery],
        starts: &[(String, Trigger, Option<chrono::NaiveDate>)],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let schedule = &self.inner.config.schedule;
        let candidates: Vec<&Delivery> = deliveries
            .iter()
            .filter(|d| {
                d.state != DeliveryState::Delivered
                    && d.escalated_at.is_none()
                    && d.escalate_at <= now
                    && self.destination(&d.destination).is_some()
            })
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let waiting = candidates.iter().any(|d| {
            let superseded = starts.iter().any(|(name, _, _)| name == &d.destination);
            self.is_in_flight(&d.destination)
                || (!superseded
                    && d.state == DeliveryState::Pending
                    && schedule::due(schedule, d.start, d.last_attempt(), now) == Due::Now)
        });
        if waiting {
            return Ok(());
        }
        let listed: Vec<(&Delivery, &Destination)> = candidates
            .iter()
            .filter_map(|d| self.destination(&d.destination).map(|dest| (*d, dest)))
            .collect();
        let mails = self.mail_writer().escalation(&listed, now);
        let changed: Vec<Delivery> = candidates
            .iter()
            .map(|d| Delivery {
                escalated_at: Some(now),
                escalation_open: true,
                ..(*d).clone()
            })
            .collect();
        tracing::warn!(
            "sender: not delivered by the escalation time: {}; alerting",
            changed
                .iter()
                .map(|d| d.destination.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.save(changed, mails).await?;
        Ok(())
    }

    /// Makes sure a delivery due for an attempt has its message: builds it from the
    /// source when it has none yet.
    async fn prepare(
        &self,
        mut delivery: Delivery,
        now: DateTime<Utc>,
        source: &mut SourceCache,
    ) -> anyhow::Result<Prepared> {
        if delivery.message.is_some() {
            return Ok(Prepared::Ready(delivery));
        }
        let Some(destination) = self.destination(&delivery.destination).cloned() else {
            return Ok(Prepared::Gone);
        };
        let Ok(snapshot) = source.get(self, now).await else {
            return Ok(Prepared::NoSource(delivery));
        };
        let (message, bytes) = self.build(&destination, snapshot, delivery.id, now);
        delivery.message = Some(message);
        let attached = {
            let delivery = delivery.clone();
            self.blocking(move |store| store.attach(&delivery, &bytes))
                .await?
        };
        Ok(if attached {
            Prepared::Ready(delivery)
        } else {
            Prepared::Gone
        })
    }

    /// Records a failed attempt for every delivery that is due but could not be built
    /// because the source cannot be read or is invalid, in one transaction. For invalid
    /// content the administrators get one email for all of them, once per delivery.
    async fn source_failed(
        &self,
        mut deliveries: Vec<Delivery>,
        now: DateTime<Utc>,
        source: &SourceCache,
    ) -> anyhow::Result<()> {
        let Some(Err(error)) = &source.read else {
            return Ok(());
        };
        let language = self.inner.language;
        let mut mails = Vec::new();
        if error.report().is_some() {
            // The email's id takes the smallest delivery it is the first email for, so
            // every email about the source has an id of its own.
            let unalerted: Vec<&Delivery> =
                deliveries.iter().filter(|d| !d.source_alerted).collect();
            if let Some(first) = unalerted.iter().map(|d| d.id).min() {
                let names: Vec<&str> = unalerted.iter().map(|d| d.destination.as_str()).collect();
                mails = self.mail_writer().source_invalid(
                    &error.origin().describe(language),
                    &error.text(language),
                    &names,
                    first,
                    now,
                );
            }
        }
        for delivery in &mut deliveries {
            delivery.source_alerted |= error.report().is_some();
            delivery.attempts.push(Attempt {
                at: now,
                outcome: Some(AttemptOutcome::Transient),
                detail: format!("source: {}", error.text(Language::En)),
            });
        }
        self.save(deliveries, mails).await?;
        Ok(())
    }

    /// Runs one attempt of `delivery` as a task of its own, within the concurrency
    /// limit.
    fn spawn_attempt(&self, delivery: Delivery, attempts: &mut JoinSet<()>) {
        if let Ok(mut set) = self.inner.in_flight.lock() {
            set.insert(delivery.destination.clone());
        }
        let sender = self.clone();
        attempts.spawn(async move {
            let name = delivery.destination.clone();
            if let Err(e) = sender.attempt(delivery).await {
                tracing::error!("sender: attempt to {name} could not be recorded: {e:#}");
            }
            if let Ok(mut set) = sender.inner.in_flight.lock() {
                set.remove(&name);
            }
            sender.inner.wake.notify_one();
        });
    }

    /// One attempt: recorded as begun, posted, its outcome recorded with the mails it
    /// causes.
    async fn attempt(&self, delivery: Delivery) -> anyhow::Result<()> {
        let _slot = self.inner.slots.clone().acquire_owned().await?;
        let Some(destination) = self.destination(&delivery.destination).cloned() else {
            return Ok(());
        };
        // Record the attempt before sending: the time is the one the grid goes on from.
        let (delivery, at) = {
            let _turn = self.inner.turn.lock().await;
            let at = self.now();
            let name = delivery.destination.clone();
            let Some(mut current) = self.blocking(move |store| store.delivery(&name)).await? else {
                return Ok(());
            };
            if current.id != delivery.id || current.state != DeliveryState::Pending {
                return Ok(());
            }
            current.attempts.push(Attempt {
                at,
                outcome: None,
                detail: String::new(),
            });
            if !self.save(vec![current.clone()], Vec::new()).await? {
                return Ok(());
            }
            (current, at)
        };
        let Some(message) = delivery.message.clone() else {
            return Ok(());
        };
        let body = {
            let delivery = delivery.clone();
            self.blocking(move |store| store.body(&delivery)).await?
        };
        let Some(body) = body else {
            return Ok(());
        };
        tracing::info!(
            "sender: delivery {} to {}: attempt {} ({} lot numbers, message {})",
            delivery.id,
            destination.name,
            delivery.attempts.len(),
            message.lots,
            message.id
        );
        let result = deliver::post(
            &self.inner.client,
            &destination.url,
            body,
            &message.id,
            self.inner.config.schedule.attempt_timeout,
        )
        .await;
        let outcome = result.outcome;
        match outcome {
            AttemptOutcome::Delivered => tracing::info!(
                "sender: delivery {} to {} delivered",
                delivery.id,
                destination.name
            ),
            AttemptOutcome::Rejected => tracing::error!(
                "sender: delivery {} to {} rejected: {}",
                delivery.id,
                destination.name,
                result.detail
            ),
            AttemptOutcome::Transient => tracing::warn!(
                "sender: delivery {} to {}: attempt failed: {}",
                delivery.id,
                destination.name,
                result.detail
            ),
        }

        let _turn = self.inner.turn.lock().await;
        let now = self.now();
        let name = delivery.destination.clone();
        let Some(mut current) = self.blocking(move |store| store.delivery(&name)).await? else {
            return Ok(());
        };
        if current.id != delivery.id {
            tracing::info!(
                "sender: delivery {} to {} was superseded during its attempt",
                delivery.id,
                destination.name
            );
            return Ok(());
        }
        if let Some(last) = current.attempts.iter_mut().rev().find(|a| a.at == at) {
            last.outcome = Some(outcome);
            last.detail = result.detail;
        }
        let mut mails = Vec::new();
        match outcome {
            AttemptOutcome::Delivered => {
                current.state = DeliveryState::Delivered;
                current.finished_at = Some(now);
                if current.escalation_open {
                    mails = self.mail_writer().resolved(&current, &destination, now);
                    current.escalation_open = false;
                }
            }
            AttemptOutcome::Rejected => {
                current.state = DeliveryState::Rejected;
                current.finished_at = Some(now);
                mails = self.mail_writer().rejected(&current, &destination, now);
            }
            AttemptOutcome::Transient => {
                if schedule::next_attempt(&self.inner.config.schedule, current.start, Some(at))
                    == Next::Exhausted
                {
                    tracing::warn!(
                        "sender: delivery {} to {}: no attempts left",
                        current.id,
                        destination.name
                    );
                }
            }
        }
        self.save(vec![current], mails).await?;
        Ok(())
    }
}
