//! The mail worker's loop: [`run`] calls [`drain_once`] at start, whenever it is woken
//! because a mail was queued, and on an exponential backoff ([`RetryPolicy`], via
//! `backon`) while the transport fails. Idle, it waits without polling.

use super::{Outbox, Transport, drain_once};
use crate::config::EmailAddress;
use backon::{BackoffBuilder, ExponentialBuilder};
use std::future::Future;
use std::time::Duration;
use tokio::sync::Notify;

/// How long the worker waits before trying again while the transport fails: the first
/// delay, doubling after each failure up to the longest one. A success starts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure (default 1 s).
    pub first_delay: Duration,
    /// The longest wait (default 5 minutes); a smaller `first_delay` wins.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5 * 60),
        }
    }
}

impl RetryPolicy {
    /// The waits after successive failures, without end.
    pub fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        let max = self.max_delay.max(self.first_delay);
        ExponentialBuilder::new()
            .with_min_delay(self.first_delay)
            .with_max_delay(max)
            .with_factor(2.0)
            .without_max_times()
            .build()
    }
}

/// Drains the outbox until `shutdown` completes: at start, after every
/// `wake.notify_one()` (call it after queueing a mail — `notify_one` keeps the signal
/// when the worker is busy, `notify_waiters` would lose it), and, while the transport
/// fails, again after each backoff delay (or sooner when woken; the delays keep
/// growing until a pass completes).
///
/// `shutdown` also cancels a send in progress: that mail stays in the outbox and may
/// reach the server twice, recognisable by its `Message-ID`.
pub async fn run<O: Outbox>(
    outbox: &O,
    transport: &Transport,
    from: &EmailAddress,
    policy: RetryPolicy,
    wake: &Notify,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut delays = None;
    loop {
        let report = tokio::select! {
            biased;
            () = &mut shutdown => return,
            report = drain_once(outbox, transport, from) => report,
        };
        if report.is_complete() {
            if delays.take().is_some() {
                tracing::info!("mail outbox: delivering again");
            }
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = wake.notified() => {}
            }
        } else {
            let delay = delays
                .get_or_insert_with(|| policy.delays())
                .next()
                .unwrap_or(policy.max_delay);
            tracing::info!("mail outbox: trying again in {delay:?}");
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = tokio::time::sleep(delay) => {}
                () = wake.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_and_go_on() {
        let delays: Vec<u64> = RetryPolicy::default()
            .delays()
            .take(12)
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }

    #[test]
    fn a_maximum_below_the_first_delay_is_the_first_delay() {
        let policy = RetryPolicy {
            first_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(3),
        };
        let delays: Vec<u64> = policy.delays().take(3).map(|d| d.as_secs()).collect();
        assert_eq!(delays, [10, 10, 10]);
    }
}
