//! The mail worker's loop: [`run`] calls [`drain_once`] at start, whenever it is woken
//! (a mail was queued, or an operator asked for a retry: every pending mail is tried at
//! once, for the server may be back), on an exponential backoff (via `backon`) while the
//! way out fails, and on the slow schedule while the server refuses us
//! ([`RetryPolicy`]). Idle, it waits without polling.

use super::{Outbox, Stopped, Transport, drain_once};
use crate::config::{EmailAddress, MailTiming};
use crate::language::Language;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::systemd::Beat;
use backon::{BackoffBuilder, ExponentialBuilder};
use std::future::Future;
use std::time::Duration;
use tokio::sync::Notify;

/// When the worker tries again after a pass that did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first transient failure (1 s).
    pub first_delay: Duration,
    /// The longest wait while failures go on (`mail.retry_max`, 5 minutes); a smaller
    /// `first_delay` wins.
    pub max_delay: Duration,
    /// The wait while the server refuses us (`mail.refused_retry`, 15 minutes).
    pub refused_delay: Duration,
    /// How long a mail the server refuses us for is tried (`mail.give_up_after`, 7
    /// days) before it goes to the dead letters.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::from(&MailTiming::default())
    }
}

impl From<&MailTiming> for RetryPolicy {
    fn from(timing: &MailTiming) -> Self {
        RetryPolicy {
            first_delay: Duration::from_secs(1),
            max_delay: timing.retry_max,
            refused_delay: timing.refused_retry,
            give_up_after: timing.give_up_after,
        }
    }
}

impl RetryPolicy {
    /// The waits after successive transient failures, without end.
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

/// How mails leave: `[mail]`, which a reload may replace between two passes.
#[derive(Debug)]
pub struct Route {
    /// The SMTP server or the directory.
    pub transport: Transport,
    /// The sender address of every alert (`mail.from`).
    pub from: EmailAddress,
    /// When to try again.
    pub policy: RetryPolicy,
}

/// What a mail worker needs besides its outbox and its route.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The language what went wrong is kept in.
    pub language: Language,
    /// Whose outbox (`sender`, `receiver`): the label of the mails counted as sent.
    pub role: &'static str,
    /// Where the mails sent are counted.
    pub metrics: Metrics,
}

/// Drains the outbox until `shutdown` completes: at start, after every
/// `wake.notify_one()` (call it after queueing a mail — `notify_one` keeps the signal
/// when the worker is busy, `notify_waiters` would lose it), and, while a pass does not
/// finish, again after a delay (or sooner when woken): the growing backoff after a
/// transient failure, `refused_delay` while the server refuses us. A pass that
/// finishes starts the backoff over.
///
/// Each pass takes the route (`[mail]`) current when it begins.
///
/// `shutdown` also cancels a send in progress: that mail stays in the outbox and may
/// reach the server twice, recognisable by its `Message-ID`. What went wrong is kept
/// with the mail in the settings' language.
pub async fn run<O: Outbox>(
    outbox: &O,
    route: &Live<Route>,
    settings: &Settings,
    wake: &Notify,
    beat: &Beat,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut delays = None;
    // The role's count of mails sent exists from the start, at 0.
    settings.metrics.mails_sent(settings.role, 0);
    loop {
        beat.working();
        let now = chrono::Utc::now();
        // One pass goes one way; a reload takes effect at the next.
        let route = route.get();
        let policy = route.policy;
        let pass = drain_once(
            outbox,
            &route.transport,
            &route.from,
            now,
            policy.give_up_after,
            settings.language,
        );
        let report = tokio::select! {
            biased;
            () = &mut shutdown => return,
            report = pass => report,
        };
        if !report.sent.is_empty() {
            settings
                .metrics
                .mails_sent(settings.role, report.sent.len());
        }
        let delay = match &report.stopped {
            None => {
                if delays.take().is_some() {
                    tracing::info!("mail outbox: delivering again");
                }
                beat.waiting();
                tokio::select! {
                    biased;
                    () = &mut shutdown => return,
                    () = wake.notified() => {}
                }
                continue;
            }
            Some(Stopped::Refused { .. }) => policy.refused_delay,
            Some(Stopped::Transient { .. } | Stopped::Outbox(_)) => delays
                .get_or_insert_with(|| policy.delays())
                .next()
                .unwrap_or(policy.max_delay),
        };
        tracing::info!("mail outbox: trying again in {delay:?}");
        beat.waiting();
        tokio::select! {
            biased;
            () = &mut shutdown => return,
            () = tokio::time::sleep(delay) => {}
            () = wake.notified() => {}
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
            ..RetryPolicy::default()
        };
        let delays: Vec<u64> = policy.delays().take(3).map(|d| d.as_secs()).collect();
        assert_eq!(delays, [10, 10, 10]);
    }
}
