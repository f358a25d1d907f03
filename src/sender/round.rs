//! The sender's loop ([`run`]) and the I/O of each round of it: reading the store,
//! asking the plan ([`super::plan`]) what to start, escalate and attempt, and doing
//! that — reading the source at most once per round.

use super::*;
use crate::systemd::Beat;
use plan::{Escalation, Start};
use source::{Snapshot, SourceError};

impl Sender {
    /// Starts deliveries (destination, trigger, night) at `now`, each with its message
    /// when the source can be read (read at most once, through `source`). Called under
    /// the turn.
    pub(super) async fn begin_all(
        &self,
        starts: &[Start],
        now: DateTime<Utc>,
        source: &mut SourceCache,
    ) -> anyhow::Result<Vec<Delivery>> {
        let installed_at = self.blocking(SenderStore::installed_at).await?;
        let mut started = Vec::new();
        for Start {
            destination: name,
            trigger,
            night,
        } in starts
        {
            let Some(destination) = self.destination(name) else {
                continue;
            };
            let id = self.blocking(SenderStore::next_id).await?;
            let journal = self.blocking(|store| store.journal().next_id()).await?;
            let message = match source.get(self, now).await {
                Ok(snapshot) => Some(self.build(&destination, snapshot, id, now).await?),
                Err(_) => None,
            };
            let plan::Window { start, escalate_at } =
                plan::window(&self.config().schedule, *trigger, *night, installed_at, now);
            let bodies = message_body(message.as_ref().map(|(_, bytes)| bytes));
            let new = NewDelivery {
                id,
                destination: name.clone(),
                trigger: *trigger,
                night: *night,
                start,
                escalate_at,
                message,
                journal: Some(journal),
            };
            let delivery = self.blocking(move |store| store.begin(new)).await?;
            self.journal(&delivery, bodies).await;
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

    /// Builds a destination's message from the snapshot, created later than the
    /// destination's previous message.
    pub(super) async fn build(
        &self,
        destination: &Destination,
        snapshot: &Snapshot,
        id: u64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(crate::store::BuiltMessage, Vec<u8>)> {
        let name = destination.name.clone();
        let after = self
            .blocking(move |store| store.last_created(&name))
            .await?;
        Ok(deliver::build(
            &self.config(),
            destination,
            self.inner.zone,
            snapshot.lots.clone(),
            id,
            now,
            after.as_ref(),
        ))
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
pub(super) struct SourceCache {
    read: Option<Result<Snapshot, SourceError>>,
}

impl SourceCache {
    async fn get(&mut self, sender: &Sender, now: DateTime<Utc>) -> &Result<Snapshot, SourceError> {
        if self.read.is_none() {
            let today = crate::localtime::local_date(sender.inner.zone, now);
            let result = source::read(&sender.config().source, today, &sender.inner.codes).await;
            let metrics = &sender.inner.metrics;
            match &result {
                Ok(snapshot) => {
                    metrics.source_read(snapshot.lots.len());
                    tracing::info!(
                        "sender: source read, {} lot numbers{}",
                        snapshot.lots.len(),
                        if snapshot.warnings.issues().is_empty() {
                            String::new()
                        } else {
                            format!(", {} warning(s)", snapshot.warnings.issues().len())
                        }
                    );
                }
                Err(e) => {
                    metrics.source_failed();
                    tracing::warn!("sender: {}", e.text(Language::En));
                }
            }
            self.read = Some(result);
        }
        self.read.as_ref().expect("read just above")
    }
}

/// Runs the sender until `shutdown` completes: decides at start-up and whenever
/// something is due, then waits for the attempts still running. Tells `beat` when it
/// decides and when it waits.
pub async fn run(sender: Sender, beat: Beat, shutdown: impl Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut attempts = JoinSet::new();
    let mut first = true;
    loop {
        beat.working();
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
        beat.waiting();
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
        let config = self.config();
        let schedule = &config.schedule;
        if first {
            self.blocking(move |store| store.install(now)).await?;
        }
        if first || self.inner.reconfigured.swap(false, Ordering::SeqCst) {
            self.forget_unconfigured().await?;
        }

        // 1. Deliveries that start now.
        let mut last_nights = Vec::new();
        for destination in &config.destinations {
            let name = destination.name.clone();
            let last = self
                .blocking({
                    let name = name.clone();
                    move |store| store.last_night(&name)
                })
                .await?;
            last_nights.push((name, last));
        }
        let starts = plan::starts(schedule, &last_nights, first, config.send_on_start, now);

        // 2. Escalation, before anything is superseded.
        let deliveries = self.blocking(SenderStore::deliveries).await?;
        self.escalate(&deliveries, &starts, now).await?;

        // 3. Start the new deliveries.
        let mut source = SourceCache::default();
        self.begin_all(&starts, now, &mut source).await?;

        // 4. Due attempts.
        let deliveries = self.blocking(SenderStore::deliveries).await?;
        let plan::Attempts { due, mut next } =
            plan::attempts(schedule, deliveries, |name| self.is_in_flight(name), now);
        let mut no_source = Vec::new();
        for delivery in due {
            match self.prepare(delivery, now, &mut source).await? {
                Prepared::Ready(delivery) => self.spawn_attempt(delivery, attempts),
                Prepared::NoSource(delivery) => no_source.push(delivery),
                Prepared::Gone => {}
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

    /// Sends the escalation email when the plan says so ([`plan::escalation`]), and
    /// marks the deliveries it lists as escalated, in one transaction.
    async fn escalate(
        &self,
        deliveries: &[Delivery],
        starts: &[Start],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let plan = plan::escalation(
            &self.config().schedule,
            deliveries,
            starts,
            |name| self.destination(name).is_some(),
            |name| self.is_in_flight(name),
            now,
        );
        let Escalation::Send(candidates) = plan else {
            return Ok(());
        };
        let configured: Vec<(&Delivery, Destination)> = candidates
            .iter()
            .filter_map(|d| self.destination(&d.destination).map(|dest| (*d, dest)))
            .collect();
        let listed: Vec<(&Delivery, &Destination)> =
            configured.iter().map(|(d, dest)| (*d, dest)).collect();
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
        let Some(destination) = self.destination(&delivery.destination) else {
            return Ok(Prepared::Gone);
        };
        let Ok(snapshot) = source.get(self, now).await else {
            return Ok(Prepared::NoSource(delivery));
        };
        let (message, bytes) = self.build(&destination, snapshot, delivery.id, now).await?;
        delivery.message = Some(message);
        let bodies = message_body(Some(&bytes));
        let attached = {
            let delivery = delivery.clone();
            self.blocking(move |store| store.attach(&delivery, &bytes))
                .await?
        };
        if !attached {
            return Ok(Prepared::Gone);
        }
        self.journal(&delivery, bodies).await;
        Ok(Prepared::Ready(delivery))
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
                detail: crate::language::Text::from_fn(|language| {
                    format!(
                        "{}: {}",
                        language.pick("bron", "source"),
                        error.text(language)
                    )
                }),
                answer_lost: false,
                http_status: None,
                duration_ms: None,
            });
        }
        self.save(deliveries, mails).await?;
        Ok(())
    }
}

/// The message's bytes as the journal's body 0, when there are any.
fn message_body(bytes: Option<&Vec<u8>>) -> Vec<crate::store::NewBody> {
    bytes
        .map(|bytes| crate::store::NewBody {
            part: 0,
            bytes: bytes.clone(),
            size: bytes.len(),
        })
        .into_iter()
        .collect()
}
