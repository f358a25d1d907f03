//! A mail queued once a day at a local time (the roles' digests): [`run`] calls the
//! role's step at start-up and then at each daily moment, retrying a failed step after a
//! while. The step decides what to queue (at most once a day, through
//! `Outbox::enqueue_once`); this loop only keeps the time.

use crate::localtime;
use crate::store::StoreError;
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How soon a step that failed (a store could not be read) is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(300);

/// Runs `step` (blocking: it reads a store) now and at every `at` local time in `zone`,
/// with the time from `now`, until `shutdown`; `wake` is told when a step queued mail.
/// `what` names the digest in the log.
pub async fn run(
    what: &'static str,
    (zone, at): (Tz, NaiveTime),
    now: impl Fn() -> DateTime<Utc>,
    step: impl Fn(DateTime<Utc>) -> Result<bool, StoreError> + Clone + Send + 'static,
    wake: Arc<Notify>,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let started = now();
        let step = step.clone();
        let done = tokio::task::spawn_blocking(move || step(started)).await;
        let wait = match done {
            Ok(Ok(queued)) => {
                if queued {
                    wake.notify_one();
                }
                let (day, _, _) = localtime::daily_window(zone, at, started);
                let next = localtime::instant(zone, day.succ_opt().unwrap_or(day), at);
                (next - now()).to_std().unwrap_or_default()
            }
            Ok(Err(e)) => {
                tracing::error!("{what}: failed, trying again in {RETRY_AFTER:?}: {e}");
                RETRY_AFTER
            }
            Err(_) => RETRY_AFTER,
        };
        tokio::select! {
            biased;
            () = &mut shutdown => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
