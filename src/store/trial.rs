//! Trials: for each sending partner in its connect phase, the report on its last
//! delivery and its trial set — the last set of its that would have been applied — kept
//! in the `trial` tree, which only this module reads and writes, and never used for
//! lookups. A partner's entry is part 0 (the report and the trial set's head) followed by
//! the trial set's chunks as parts 1, 2, ….

use super::codec::{from_json, to_json};
use super::history::{ImportReport, ReportRec};
use super::set::{SetHeadRec, StoredSet, decode_set};
use super::{Abort, Database, StoreError, tx_corrupt};
use crate::ids::ApplicationId;
use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{ConflictableTransactionResult, TransactionalTree};

/// A partner's trial: its last delivery's report and its trial set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trial {
    /// The partner's application id.
    pub sender: ApplicationId,
    /// The report on its last delivery (its sequence reads as 0: trials are not in the
    /// history).
    pub report: ImportReport,
    /// The last set of its that was accepted; `None` before the first.
    pub set: Option<StoredSet>,
}

/// Part 0 of a partner's entry.
#[derive(Serialize, Deserialize)]
struct TrialRec {
    report: ReportRec,
    head: Option<SetHeadRec>,
}

/// The key of part `part` of `sender`'s entry: its id, a NUL, the part.
fn part_key(sender: &ApplicationId, part: u32) -> Vec<u8> {
    let mut key = sender.as_str().as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&part.to_be_bytes());
    key
}

/// Writes `sender`'s entry: the report, and the trial set when `set` is given (its head
/// and chunks, replacing the one before); without `set` the trial set stays as it was.
pub(super) fn put_trial_in(
    trial: &TransactionalTree,
    sender: &ApplicationId,
    report: &ReportRec,
    set: Option<&(SetHeadRec, Vec<Vec<u8>>)>,
) -> ConflictableTransactionResult<(), Abort> {
    let before: Option<TrialRec> = match trial.get(part_key(sender, 0))? {
        None => None,
        Some(bytes) => match from_json(&bytes) {
            Ok(rec) => Some(rec),
            Err(detail) => return tx_corrupt("a trial", detail),
        },
    };
    let kept = before.and_then(|rec| rec.head);
    let head = match set {
        None => kept,
        Some((head, chunks)) => {
            for n in 1..=kept.as_ref().map_or(0, |h| h.chunks) {
                trial.remove(part_key(sender, n))?;
            }
            for (n, chunk) in (1..).zip(chunks) {
                trial.insert(part_key(sender, n), chunk.as_slice())?;
            }
            Some(head.clone())
        }
    };
    let rec = TrialRec {
        report: report.clone(),
        head,
    };
    trial.insert(part_key(sender, 0), to_json(&rec))?;
    Ok(())
}

/// `sender`'s trial, its set checked against its digest; `None` before its first
/// delivery.
pub(super) fn read_trial(
    database: &Database,
    trial: &Tree,
    sender: &ApplicationId,
) -> Result<Option<Trial>, StoreError> {
    // One read-only transaction, so that the head and the chunks are of one set.
    let found = trial
        .transaction(|t| {
            let Some(bytes) = t.get(part_key(sender, 0))? else {
                return Ok(None);
            };
            let rec: TrialRec = match from_json(&bytes) {
                Ok(rec) => rec,
                Err(detail) => return tx_corrupt("a trial", detail),
            };
            let mut chunks = Vec::new();
            for n in 1..=rec.head.as_ref().map_or(0, |h| h.chunks) {
                match t.get(part_key(sender, n))? {
                    Some(chunk) => chunks.push(chunk),
                    None => return tx_corrupt("a trial set", format!("part {n}")),
                }
            }
            Ok(Some((rec, chunks)))
        })
        .map_err(|e| database.tx_error(e))?;
    let Some((rec, chunks)) = found else {
        return Ok(None);
    };
    let what = format!("the trial of {sender}");
    let report = rec
        .report
        .report(0)
        .map_err(|d| database.corrupt(&what, d))?;
    let set = rec
        .head
        .as_ref()
        .map(|head| decode_set(head, &chunks))
        .transpose()
        .map_err(|d| database.corrupt(&what, d))?;
    Ok(Some(Trial {
        sender: sender.clone(),
        report,
        set,
    }))
}
