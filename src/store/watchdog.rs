//! The receiver watchdog's memory: when it last alerted that no set arrived, and
//! whether that alert still awaits its resolution. Kept in `meta` under `watchdog`.

use super::outbox::enqueue_all_in;
use super::receiver::ReceiverStore;
use super::records::{decode_watchdog, encode_watchdog};
use super::{META_WATCHDOG, StoreError};
use chrono::NaiveDate;
use sled::transaction::Transactional;

/// What the watchdog remembers across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchdogState {
    /// The local date of the last "no lot numbers received" alert.
    pub last_alert_date: Option<NaiveDate>,
    /// Whether that alert still awaits its resolution email.
    pub alert_open: bool,
}

impl ReceiverStore {
    /// The watchdog's state (the default before it was ever set).
    pub fn watchdog(&self) -> Result<WatchdogState, StoreError> {
        let i = &self.inner;
        match i
            .meta
            .get(META_WATCHDOG)
            .map_err(|e| i.database.storage(e))?
        {
            None => Ok(WatchdogState::default()),
            Some(bytes) => decode_watchdog(&bytes)
                .map_err(|detail| i.database.corrupt("the watchdog state", detail)),
        }
    }

    /// Stores the watchdog's state together with its mails; flushed.
    pub fn set_watchdog(
        &self,
        state: WatchdogState,
        mails: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let i = &self.inner;
        let value = encode_watchdog(&state);
        (&i.meta, i.outbox.tree())
            .transaction(|(meta, o)| {
                meta.insert(META_WATCHDOG, value.as_slice())?;
                enqueue_all_in(o, mails)
            })
            .map_err(|e| i.database.tx_error(e))?;
        i.database.flush()
    }
}
