//! The receiver watchdog's memory: when it last alerted that no set arrived, and
//! whether that alert still awaits its resolution. [`WatchdogState`] and its stored form,
//! kept in `meta` under `watchdog`; only this module reads and writes that value.
//!
//! The receiver's store writes the state with its mails in one transaction
//! ([`ReceiverStore::set_watchdog`]), or together with the set that resolves an open alert
//! ([`ReceiverStore::apply`], [`ReceiverStore::accept_quarantined`]), so a crash never
//! leaves an alert marked open after its resolution email was queued, or the other way
//! round.
//!
//! [`ReceiverStore::set_watchdog`]: crate::store::ReceiverStore::set_watchdog
//! [`ReceiverStore::apply`]: crate::store::ReceiverStore::apply
//! [`ReceiverStore::accept_quarantined`]: crate::store::ReceiverStore::accept_quarantined

use super::codec::{Invalid, from_json, to_json};
use super::{Abort, Database, META_WATCHDOG, StoreError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{ConflictableTransactionResult, TransactionalTree};

/// What the watchdog remembers across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchdogState {
    /// The local date of the last "no lot numbers received" alert.
    pub last_alert_date: Option<NaiveDate>,
    /// Whether that alert still awaits its resolution email.
    pub alert_open: bool,
}

#[derive(Serialize, Deserialize)]
struct WatchdogRec {
    last_alert_date: Option<String>,
    alert_open: bool,
}

pub(super) fn encode_watchdog(state: &WatchdogState) -> Vec<u8> {
    to_json(&WatchdogRec {
        last_alert_date: state.last_alert_date.map(|d| d.to_string()),
        alert_open: state.alert_open,
    })
}

pub(super) fn decode_watchdog(bytes: &[u8]) -> Result<WatchdogState, Invalid> {
    let rec: WatchdogRec = from_json(bytes)?;
    let last_alert_date = match rec.last_alert_date {
        Some(d) => Some(
            d.parse::<NaiveDate>()
                .map_err(|e| format!("date {d:?}: {e}"))?,
        ),
        None => None,
    };
    Ok(WatchdogState {
        last_alert_date,
        alert_open: rec.alert_open,
    })
}

/// The watchdog's state (the default before it was ever set).
pub(super) fn read_watchdog(database: &Database, meta: &Tree) -> Result<WatchdogState, StoreError> {
    match meta.get(META_WATCHDOG).map_err(|e| database.storage(e))? {
        None => Ok(WatchdogState::default()),
        Some(bytes) => {
            decode_watchdog(&bytes).map_err(|detail| database.corrupt("the watchdog state", detail))
        }
    }
}

/// Writes the watchdog's state (as [`encode_watchdog`] gives it) inside a transaction
/// that includes `meta`.
pub(super) fn put_watchdog_in(
    meta: &TransactionalTree,
    value: &[u8],
) -> ConflictableTransactionResult<(), Abort> {
    meta.insert(META_WATCHDOG, value)?;
    Ok(())
}
