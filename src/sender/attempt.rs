//! One attempt of a delivery, as a task of its own: recorded before the request is
//! sent, posted, and its outcome recorded with the emails it causes.

use super::*;
use crate::language::Text;
use crate::store::NewBody;

impl Sender {
    /// Runs one attempt of `delivery` as a task of its own, within the concurrency
    /// limit.
    pub(super) fn spawn_attempt(&self, delivery: Delivery, attempts: &mut JoinSet<()>) {
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
        let Some(destination) = self.destination(&delivery.destination) else {
            return Ok(());
        };
        let Some((delivery, at)) = self.begin_attempt(delivery).await? else {
            return Ok(());
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
        let started = std::time::Instant::now();
        let net = self.inner.net.get();
        let posted = deliver::post_keeping(
            &net.client,
            &destination.url,
            body,
            &message.id,
            self.config().schedule.attempt_timeout,
            journal::MAX_ANSWER_KEPT,
        )
        .await;
        let took = started.elapsed();
        let duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        let result = &posted.classified;
        self.inner.metrics.attempt(
            &destination.name,
            result.outcome.as_str(),
            took.as_secs_f64(),
        );
        match result.outcome {
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
        self.finish_attempt(&delivery, &destination, at, posted, duration_ms)
            .await
    }

    /// Records the attempt as begun, before anything is sent: its time is the one the
    /// grid goes on from. `None` when the delivery was superseded or finished meanwhile.
    async fn begin_attempt(
        &self,
        delivery: Delivery,
    ) -> anyhow::Result<Option<(Delivery, DateTime<Utc>)>> {
        let _turn = self.inner.turn.lock().await;
        let at = self.now();
        let name = delivery.destination.clone();
        let Some(mut current) = self.blocking(move |store| store.delivery(&name)).await? else {
            return Ok(None);
        };
        if current.id != delivery.id || current.state != DeliveryState::Pending {
            return Ok(None);
        }
        current.attempts.push(Attempt {
            at,
            outcome: None,
            detail: Text::default(),
            answer_lost: false,
            http_status: None,
            duration_ms: None,
        });
        if !self.save(vec![current.clone()], Vec::new()).await? {
            return Ok(None);
        }
        Ok(Some((current, at)))
    }

    /// Records the outcome of the attempt begun `at`, with the mails it causes: the
    /// resolution of an open escalation when delivered, the rejection email when
    /// rejected; the answer goes into the journal. When the delivery was superseded
    /// during the attempt, only its journal entry learns the outcome.
    async fn finish_attempt(
        &self,
        delivery: &Delivery,
        destination: &Destination,
        at: DateTime<Utc>,
        posted: deliver::Posted,
        duration_ms: u64,
    ) -> anyhow::Result<()> {
        let _turn = self.inner.turn.lock().await;
        let now = self.now();
        let name = delivery.destination.clone();
        let current = self.blocking(move |store| store.delivery(&name)).await?;
        let deliver::Posted {
            classified: result,
            http_status,
            answer,
        } = posted;
        let outcome = result.outcome;
        let record = |delivery: &mut Delivery| -> Vec<NewBody> {
            let Some(index) = delivery.attempts.iter().rposition(|a| a.at == at) else {
                return Vec::new();
            };
            let last = &mut delivery.attempts[index];
            last.outcome = Some(outcome);
            last.detail = result.detail.clone();
            last.answer_lost = result.answer_lost;
            last.http_status = http_status;
            last.duration_ms = Some(duration_ms);
            answer
                .clone()
                .map(|(bytes, size)| NewBody {
                    part: index as u32 + 1,
                    bytes,
                    size,
                })
                .into_iter()
                .collect()
        };
        let Some(mut current) = current.filter(|c| c.id == delivery.id) else {
            tracing::info!(
                "sender: delivery {} to {} was superseded during its attempt",
                delivery.id,
                destination.name
            );
            let mut superseded = delivery.clone();
            let bodies = record(&mut superseded);
            self.journal(&superseded, bodies).await;
            return Ok(());
        };
        let bodies = record(&mut current);
        let mut mails = Vec::new();
        match outcome {
            AttemptOutcome::Delivered => {
                self.inner.metrics.delivery(&destination.name, "delivered");
                current.state = DeliveryState::Delivered;
                current.finished_at = Some(now);
                if current.escalation_open {
                    mails = self.mail_writer().resolved(&current, destination, now);
                    current.escalation_open = false;
                }
                if destination.reports == crate::config::Reports::All {
                    mails.extend(self.mail_writer().delivered(&current, destination, now));
                }
            }
            AttemptOutcome::Rejected => {
                self.inner.metrics.delivery(&destination.name, "rejected");
                current.state = DeliveryState::Rejected;
                current.finished_at = Some(now);
                mails = self.mail_writer().rejected(&current, destination, now);
            }
            AttemptOutcome::Transient => {
                if schedule::next_attempt(&self.config().schedule, current.start, Some(at))
                    == Next::Exhausted
                {
                    self.inner.metrics.delivery(&destination.name, "exhausted");
                    tracing::warn!(
                        "sender: delivery {} to {}: no attempts left",
                        current.id,
                        destination.name
                    );
                }
            }
        }
        self.save_with(vec![current], mails, bodies).await?;
        Ok(())
    }
}
