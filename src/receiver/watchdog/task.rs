//! The watchdog's task and its hooks into the receiver: [`run`] checks at start-up and at
//! each [`Watchdog::next_check`], sleeping in between (no polling); [`resolution`] is what
//! an apply writes along with the set when it resolves an open alert.
//!
//! Every check runs under the receiver's apply lock, so a check and an apply (or a
//! quarantine accept) never interleave: an alert is never stored just after a set that
//! makes it unnecessary. Each state change is stored with its email in one transaction,
//! and the resolution of an open alert is written in the same transaction as the set
//! that resolves it. The check at start-up also resolves an alert left open with a set
//! applied after it (a state written by an older version, or by hand), so nothing is lost.

use super::mails::{Entry, SetFacts, Writer};
use super::{Action, Stale, Watchdog};
use crate::ids::MessageId;
use crate::receiver::Receiver;
use crate::store::{StoreError, StoredSet, WatchdogState};
use crate::systemd::Beat;
use crate::timestamp::Timestamp;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;

/// How soon a check that failed (the store could not be read or written) is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(60);

/// What an apply writes along with its set to resolve an open alert.
#[derive(Debug)]
pub(in crate::receiver) struct Resolution {
    /// The watchdog's state after the resolution (the alert closed).
    pub state: WatchdogState,
    /// The resolution email.
    pub mails: Vec<Entry>,
}

impl Resolution {
    /// What to write with a set that is put in place: the resolution's mails and state,
    /// or nothing.
    pub(in crate::receiver) fn parts(
        resolution: Option<&Resolution>,
    ) -> (&[Entry], Option<&WatchdogState>) {
        match resolution {
            Some(r) => (&r.mails, Some(&r.state)),
            None => (&[], None),
        }
    }
}

impl Receiver {
    /// The receiver's watchdog, from its configuration.
    pub fn watchdog(&self) -> Watchdog {
        Watchdog::new(self.inner.gateway.time_zone, self.config().expect_by)
    }

    /// Whether, and why, the receiver is stale at `now` (for `/readyz` and
    /// `/api/v1/set`).
    pub fn stale(&self, now: DateTime<Utc>) -> Result<Option<Stale>, StoreError> {
        let state = self.store().watchdog()?;
        let applied_at = self.snapshot().set.as_ref().map(|s| s.applied_at);
        Ok(self.watchdog().stale(now, applied_at, &state))
    }

    fn mail_writer(&self) -> Writer {
        Writer {
            config: self.config(),
            zone: self.inner.gateway.time_zone,
            language: self.inner.gateway.language,
        }
    }
}

/// The resolution to write with a set about to be applied at `applied_at` (under the
/// apply lock), if it resolves an open alert. `lots` is the set's size.
pub(in crate::receiver) fn resolution(
    receiver: &Receiver,
    message_id: &MessageId,
    created: &Timestamp,
    lots: usize,
    applied_at: DateTime<Utc>,
) -> Result<Option<Resolution>, StoreError> {
    let state = receiver.store().watchdog()?;
    // A set applied now is applied today, so the only possible step is a resolution.
    let Some(action @ Action::Resolve { alert_date }) =
        receiver
            .watchdog()
            .step(applied_at, Some(applied_at), &state)
    else {
        return Ok(None);
    };
    let set = SetFacts {
        message_id,
        created,
        applied_at,
        lots,
    };
    Ok(Some(Resolution {
        state: action.next_state(state),
        mails: receiver.mail_writer().resolved(alert_date, set, applied_at),
    }))
}

/// Checks at start-up and then at every `expect_by`, until `shutdown` completes; tells
/// `beat` when it checks and when it waits.
pub async fn run(receiver: Receiver, beat: Beat, shutdown: impl Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    let watchdog = receiver.watchdog();
    loop {
        beat.working();
        let next = match check(&receiver).await {
            Ok(()) => watchdog.next_check(Utc::now()),
            Err(e) => {
                tracing::error!("watchdog: check failed, trying again in {RETRY_AFTER:?}: {e}");
                watchdog
                    .next_check(Utc::now())
                    .min(Utc::now() + RETRY_AFTER)
            }
        };
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tracing::debug!("watchdog: next check at {next}");
        beat.waiting();
        tokio::select! {
            biased;
            () = &mut shutdown => return,
            () = tokio::time::sleep_until(tokio::time::Instant::now() + wait) => {}
        }
    }
}

/// One check: carries out every step that is due, each stored with its email.
async fn check(receiver: &Receiver) -> anyhow::Result<()> {
    let _turn = receiver.inner.apply.lock().await;
    let queued = tokio::task::spawn_blocking({
        let receiver = receiver.clone();
        move || check_blocking(&receiver)
    })
    .await??;
    if queued {
        receiver.inner.mail_wake.notify_one();
    }
    Ok(())
}

/// The steps of one check (at most a resolution, then an alert); whether mails were
/// queued.
fn check_blocking(receiver: &Receiver) -> Result<bool, StoreError> {
    let watchdog = receiver.watchdog();
    let writer = receiver.mail_writer();
    let snapshot = receiver.snapshot();
    let set = snapshot.set.as_ref();
    let mut queued = false;
    // Each action changes the state so that it is not due again: two rounds at most.
    for _ in 0..2 {
        let now = Utc::now();
        let state = receiver.store().watchdog()?;
        let Some(action) = watchdog.step(now, set.map(|s| s.applied_at), &state) else {
            break;
        };
        let mails = match (action, set) {
            (Action::Alert { date }, _) => {
                let quarantined = receiver.store().quarantined()?.len();
                tracing::warn!("watchdog: no set of lot numbers applied on {date}; alerting");
                writer.alert(date, set.map(facts), quarantined, now)
            }
            (Action::Resolve { alert_date }, Some(set)) => {
                tracing::info!("watchdog: a set arrived after the alert; resolving it");
                writer.resolved(alert_date, facts(set), now)
            }
            (Action::Resolve { .. }, None) => Vec::new(),
        };
        receiver
            .store()
            .set_watchdog(action.next_state(state), &mails)?;
        queued |= !mails.is_empty();
    }
    Ok(queued)
}

fn facts(set: &StoredSet) -> SetFacts<'_> {
    SetFacts {
        message_id: &set.message_id,
        created: &set.created,
        applied_at: set.applied_at,
        lots: set.lots().len(),
    }
}
