//! The receiver role: takes deliveries over HTTP, decides (validation, duplicate,
//! ordering, shrink guard), stores atomically and durably, answers, and serves lookups.
//!
//! [`Receiver`] holds the state shared by the request handlers: the store, the in-memory
//! snapshot of the set in place (swapped only after a commit, so readers see the old set
//! or the new one and never a mix), and a lock that makes deciding and applying one
//! delivery at a time. The same lock serialises quarantine accepts and the watchdog's
//! checks with the deliveries, so an apply and a watchdog alert never interleave.

pub mod api;
pub mod decide;
pub mod digest;
mod exchange;
pub mod journal;
pub mod lookup;
pub mod overview;
mod partner_mails;
mod report;
pub mod watchdog;

use crate::config::{Config, GatewayConfig, ReceiverConfig};
use crate::language::{Language, Text};
use crate::live::Live;
use crate::lot::search::Index;
use crate::metrics::Metrics;
use crate::store::{ReceiverStore, StoreError, StoreOptions, StoredSet};
use crate::validate::Options;
use crate::xml::Limits;
use journal::Verdict;
use std::sync::{Arc, RwLock};
use tokio::sync::{Mutex, Notify};

pub use exchange::handle as handle_exchange;

/// What lookups read: the set in place, with its index for the lookups that ignore case.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The set in place, if any was ever applied.
    pub set: Option<StoredSet>,
    /// The index of the set's lot numbers (empty without a set).
    pub index: Index,
}

impl Snapshot {
    /// The snapshot of `set`, its index built.
    pub fn of(set: Option<StoredSet>) -> Self {
        let index = set
            .as_ref()
            .map(|set| Index::new(set.lots()))
            .unwrap_or_default();
        Self { set, index }
    }

    /// The version of the set in place ([`StoredSet::version`]); 0 before the first set.
    pub fn version(&self) -> u64 {
        self.set.as_ref().map_or(0, StoredSet::version)
    }
}

/// The receiver's shared state.
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
}

struct Inner {
    /// Replaced by a reload (see [`Receiver::reconfigure`]).
    config: Live<ReceiverConfig>,
    gateway: GatewayConfig,
    store: ReceiverStore,
    snapshot: RwLock<Arc<Snapshot>>,
    apply: Mutex<()>,
    mail_wake: Arc<Notify>,
    /// Where requests and lookups are counted.
    metrics: Metrics,
    refusals: journal::Refusals,
}

impl Receiver {
    /// Opens the receiver's store and loads the set in place. `mail_wake` is notified
    /// whenever an alert is queued.
    pub fn open(
        config: &Config,
        receiver: &ReceiverConfig,
        mail_wake: Arc<Notify>,
        metrics: Metrics,
    ) -> Result<Self, StoreError> {
        let dir = config.gateway.store_dir(crate::config::Role::Receiver);
        let store = ReceiverStore::open_with(
            &dir,
            StoreOptions {
                history_limit: receiver.history_limit,
            },
        )?;
        let set = store.current()?;
        Ok(Self {
            inner: Arc::new(Inner {
                config: Live::new(receiver.clone()),
                gateway: config.gateway.clone(),
                store,
                snapshot: RwLock::new(Arc::new(Snapshot::of(set))),
                apply: Mutex::new(()),
                mail_wake,
                metrics,
                refusals: journal::Refusals::default(),
            }),
        })
    }

    /// The set in place, as lookups see it.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a reader panicked; the snapshot itself is whole.
        match self.inner.snapshot.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The bytes of every tree of the store for a backup, taken while no set is applied,
    /// quarantined or checked by the watchdog: the set, the message records and the
    /// reports agree.
    pub async fn backup(&self) -> Result<Vec<u8>, String> {
        let _turn = self.inner.apply.lock().await;
        let store = self.inner.store.clone();
        match tokio::task::spawn_blocking(move || store.snapshot()).await {
            Ok(snapshot) => snapshot.map_err(|e| e.to_string()),
            Err(e) => Err(format!("the receiver's backup failed: {e}")),
        }
    }

    /// Wakes this role's mail worker (for mails queued from outside, such as a
    /// certificate's expiry warning).
    pub fn mail_wake(&self) -> Arc<Notify> {
        self.inner.mail_wake.clone()
    }

    /// The store (for the admin API and the watchdog).
    pub fn store(&self) -> &ReceiverStore {
        &self.inner.store
    }

    /// The receiver's configuration, as it is now (a reload may replace it).
    pub fn config(&self) -> Arc<ReceiverConfig> {
        self.inner.config.get()
    }

    /// Takes `config` for every request, lookup and check that comes after; what is
    /// under way finishes with the one it started with. The caller keeps what cannot
    /// change while running (the listen address, the connection limits, the history's
    /// size) as it was.
    pub fn reconfigure(&self, config: ReceiverConfig) {
        self.inner.config.set(config);
    }

    /// What validation checks a delivery against under `config`.
    fn options(&self, config: &ReceiverConfig) -> Options {
        Options {
            receiver: Some(config.application_id.clone()),
            allowed_senders: config.accepted_senders(),
            certificate: None,
            allow_bare: false,
            limits: Limits {
                max_bytes: config.max_body as usize,
                max_depth: config.max_depth,
                ..Limits::default()
            },
            codes: self.inner.gateway.codes.clone(),
        }
    }

    /// Counts a refusal below the HL7 level in the journal, off the async threads,
    /// before it is answered; a failure is logged.
    async fn count_refusal(
        &self,
        verdict: Verdict,
        peer: &crate::http::Peer,
        bytes: usize,
        detail: Text,
    ) {
        let receiver = self.clone();
        let client = peer.addr.ip().to_string();
        let detail = detail.get(self.language()).to_owned();
        let counted = tokio::task::spawn_blocking(move || {
            receiver.count_refusal_in(verdict, client, bytes, detail, chrono::Utc::now());
        })
        .await;
        if counted.is_err() {
            tracing::error!("a refusal could not be counted in the journal");
        }
    }

    /// [`Self::count_refusal`] on this thread (blocking).
    fn count_refusal_in(
        &self,
        verdict: Verdict,
        client: String,
        bytes: usize,
        detail: String,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let counted =
            self.inner
                .refusals
                .count(self.store().journal(), verdict, client, bytes, detail, now);
        if let Err(e) = counted {
            tracing::error!("a refusal could not be counted in the journal: {e}");
        }
    }

    /// The language of the texts people read (`gateway.language`).
    pub fn language(&self) -> Language {
        self.inner.gateway.language
    }

    /// Puts a newly committed set (with the version the store gave it) in place for
    /// readers.
    fn publish(&self, set: StoredSet) {
        // Built before the lock: readers never wait for the index.
        let snapshot = Arc::new(Snapshot::of(Some(set)));
        let mut guard = match self.inner.snapshot.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = snapshot;
    }
}

/// How often message records beyond `duplicate_retention` are removed.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes message records older than the retention at start-up and then hourly, until
/// `shutdown` completes; the record of the set in place is always kept.
pub async fn prune_loop(receiver: Receiver, shutdown: impl std::future::Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let retention = chrono::Duration::from_std(receiver.config().duplicate_retention)
            .unwrap_or(chrono::Duration::days(30));
        let store = receiver.store().clone();
        let pruned = tokio::task::spawn_blocking(move || {
            store.prune_messages(chrono::Utc::now() - retention)
        })
        .await;
        match pruned {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!("removed {n} message records beyond the retention"),
            Ok(Err(e)) => tracing::warn!("pruning message records failed: {e}"),
            Err(e) => tracing::warn!("pruning message records failed: {e}"),
        }
        tokio::select! {
            () = tokio::time::sleep(PRUNE_EVERY) => {}
            () = &mut shutdown => return,
        }
    }
}
