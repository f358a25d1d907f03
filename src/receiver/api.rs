//! The receiver's part of the admin listener (JSON): lookups for the record system, the
//! set in place, the history of import reports, and the quarantine.

use super::Receiver;
use super::lookup;
use super::watchdog;
use crate::http::{Query, Reply, json, percent_decode, text};
use crate::store::{ImportReport, Outcome, StoreError, StoredSet};
use crate::strings::hex;
use crate::vaccine::VaccineCode;
use chrono::Utc;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

/// Most lots one list request returns.
const MAX_LIST: usize = 1000;

/// Answers a request for `path` (with its query) when it is one of the receiver's;
/// `None` when the path is not the receiver's.
pub async fn handle(
    receiver: &Receiver,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let params = Query::parse(query);
    let reply = match (method, segments.as_slice()) {
        (&Method::GET, ["api", "v1", "lots", lot]) => {
            lot_by_number(receiver, &percent_decode(lot), &params)
        }
        (&Method::GET, ["api", "v1", "lots"]) => lots(receiver, &params),
        (&Method::GET, ["api", "v1", "set"]) => set(receiver),
        (&Method::GET, ["api", "v1", "history"]) => history(receiver, &params),
        (&Method::GET, ["api", "v1", "quarantine"]) => quarantine(receiver),
        (&Method::POST, ["api", "v1", "quarantine", id, action]) => {
            quarantine_action(receiver, id, action).await
        }
        (_, ["api", "v1", "lots" | "set" | "history" | "quarantine", ..]) => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => return None,
    };
    Some(reply)
}

fn today(receiver: &Receiver) -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&receiver.inner.gateway.time_zone)
        .date_naive()
}

/// The `vaccine` parameter: `Err` when it is given but not a two-digit code.
fn vaccine(params: &Query) -> Result<Option<VaccineCode>, ()> {
    match params.get("vaccine") {
        None | Some("") => Ok(None),
        Some(code) => VaccineCode::parse(code).map(Some).map_err(|_| ()),
    }
}

fn bad_vaccine() -> Reply {
    json(
        StatusCode::BAD_REQUEST,
        &json!({"error": "vaccine must be a two-digit code"}),
    )
}

fn lot_by_number(receiver: &Receiver, number: &str, params: &Query) -> Reply {
    let Ok(vaccine) = vaccine(params) else {
        return bad_vaccine();
    };
    let snapshot = receiver.snapshot();
    let found = snapshot
        .set
        .as_ref()
        .and_then(|set| lookup::find(set.lots(), number, vaccine, today(receiver)));
    match found {
        Some(view) => json(
            StatusCode::OK,
            &json!({"set_version": snapshot.version(), "lot": view}),
        ),
        None => json(
            StatusCode::NOT_FOUND,
            &json!({"set_version": snapshot.version(), "lot": number, "status": "unknown"}),
        ),
    }
}

fn lots(receiver: &Receiver, params: &Query) -> Reply {
    let Ok(vaccine) = vaccine(params) else {
        return bad_vaccine();
    };
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .min(MAX_LIST);
    let snapshot = receiver.snapshot();
    let lots = snapshot
        .set
        .as_ref()
        .map(|set| {
            lookup::list(
                set.lots(),
                params.get("prefix").unwrap_or(""),
                vaccine,
                today(receiver),
                limit,
            )
        })
        .unwrap_or_default();
    json(
        StatusCode::OK,
        &json!({"set_version": snapshot.version(), "lots": lots}),
    )
}

/// Metadata of the set in place.
pub fn set_json(set: Option<&StoredSet>) -> Value {
    match set {
        None => json!({"set_version": 0, "set": null}),
        Some(set) => {
            let mut per_vaccine = std::collections::BTreeMap::new();
            for lot in set.lots().lots() {
                *per_vaccine
                    .entry(lot.vaccine.code().to_string())
                    .or_insert(0usize) += 1;
            }
            json!({
                "set_version": set.version(),
                "set": {
                    "message_id": {"root": set.message_id.root().as_str(), "extension": set.message_id.extension()},
                    "created": set.created.as_str(),
                    "applied_at": set.applied_at.to_rfc3339(),
                    "lots": set.lots().len(),
                    "per_vaccine": per_vaccine,
                    "digest": hex(&set.digest()),
                }
            })
        }
    }
}

fn set(receiver: &Receiver) -> Reply {
    let snapshot = receiver.snapshot();
    with_stale(receiver, set_json(snapshot.set.as_ref()))
}

/// The set's metadata with `stale` (true while the watchdog finds the set overdue or its
/// alert open) and `stale_reason`.
fn with_stale(receiver: &Receiver, mut body: Value) -> Reply {
    match receiver.stale(Utc::now()) {
        Ok(stale) => {
            body["stale"] = json!(stale.is_some());
            body["stale_reason"] = json!(stale.map(|s| s.to_string()));
            json(StatusCode::OK, &body)
        }
        Err(e) => store_error(&e),
    }
}

fn history(receiver: &Receiver, params: &Query) -> Reply {
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(1000);
    match receiver.store().history(limit) {
        Ok(reports) => json(
            StatusCode::OK,
            &json!({"history": reports.iter().map(report_json).collect::<Vec<_>>()}),
        ),
        Err(e) => store_error(&e),
    }
}

/// An import report as JSON.
pub fn report_json(report: &ImportReport) -> Value {
    let outcome = match report.outcome {
        Outcome::Applied => "applied".to_owned(),
        Outcome::Rejected(ack) => format!("rejected {}", ack.as_str()),
        Outcome::Stale => "stale".to_owned(),
        Outcome::Quarantined(id) => format!("quarantined {id}"),
        Outcome::QuarantineAccepted(id) => format!("quarantine {id} accepted"),
        Outcome::QuarantineDiscarded(id) => format!("quarantine {id} discarded"),
    };
    let issues = |list: &[crate::store::ReportIssue]| {
        list.iter()
            .map(|i| json!({"code": i.code, "text": i.text, "location": i.location}))
            .collect::<Vec<_>>()
    };
    let changes = |c: &crate::store::LotChanges| json!({"total": c.total(), "lots": c.numbers().iter().map(|n| n.as_str()).collect::<Vec<_>>()});
    json!({
        "sequence": report.sequence(),
        "message_id": {"root": report.message_id.root().as_str(), "extension": report.message_id.extension()},
        "received_at": report.received_at.to_rfc3339(),
        "outcome": outcome,
        "set_version": report.set_version,
        "lots": report.lots,
        "per_vaccine": report.per_vaccine.iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        "added": changes(&report.added),
        "removed": changes(&report.removed),
        "warnings": issues(&report.warnings),
        "errors": issues(&report.errors),
    })
}

fn quarantine(receiver: &Receiver) -> Reply {
    match receiver.store().quarantined() {
        Ok(list) => json(
            StatusCode::OK,
            &json!({"quarantine": list.iter().map(|q| json!({
                "id": q.id,
                "message_id": {"root": q.message_id.root().as_str(), "extension": q.message_id.extension()},
                "created": q.created.as_str(),
                "received_at": q.received_at.to_rfc3339(),
                "lots": q.lots,
                "reason": q.reason,
            })).collect::<Vec<_>>()}),
        ),
        Err(e) => store_error(&e),
    }
}

async fn quarantine_action(receiver: &Receiver, id: &str, action: &str) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        return json(
            StatusCode::BAD_REQUEST,
            &json!({"error": "the quarantine id must be a number"}),
        );
    };
    match action {
        "accept" => accept(receiver, id).await,
        "discard" => match receiver.store().discard_quarantined(id, &[]) {
            Ok(true) => json(StatusCode::OK, &json!({"discarded": id})),
            Ok(false) => json(
                StatusCode::NOT_FOUND,
                &json!({"error": format!("no quarantined set {id}")}),
            ),
            Err(e) => store_error(&e),
        },
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

/// Puts quarantined set `id` in place, one delivery at a time with the exchange and the
/// watchdog (the apply lock), resolving an open watchdog alert in the same transaction.
async fn accept(receiver: &Receiver, id: u64) -> Reply {
    let _turn = receiver.inner.apply.lock().await;
    let accepted = tokio::task::spawn_blocking({
        let receiver = receiver.clone();
        move || accept_blocking(&receiver, id)
    })
    .await;
    match accepted {
        Ok(Ok(Some((set, mails_queued)))) => {
            receiver.publish(set);
            if mails_queued {
                receiver.inner.mail_wake.notify_one();
            }
            let snapshot = receiver.snapshot();
            with_stale(receiver, set_json(snapshot.set.as_ref()))
        }
        Ok(Ok(None)) => json(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no quarantined set {id}")}),
        ),
        Ok(Err(e)) => store_error(&e),
        Err(_) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": "accepting the set failed"}),
        ),
    }
}

fn accept_blocking(receiver: &Receiver, id: u64) -> Result<Option<(StoredSet, bool)>, StoreError> {
    let store = receiver.store();
    let now = Utc::now();
    let Some(candidate) = store.quarantined()?.into_iter().find(|q| q.id == id) else {
        return Ok(None);
    };
    let resolution = watchdog::resolution(
        receiver,
        &candidate.message_id,
        &candidate.created,
        candidate.lots,
        now,
    )?;
    Ok(match resolution {
        Some(r) => store
            .accept_quarantined_with_watchdog(id, now, &r.mails, &r.state)?
            .map(|set| (set, !r.mails.is_empty())),
        None => store
            .accept_quarantined(id, now, &[])?
            .map(|set| (set, false)),
    })
}

fn store_error(e: &StoreError) -> Reply {
    if let StoreError::Stale { .. } = e {
        // The set in place is newer than the quarantined one: putting it back would go
        // back in time. Not a failure of the store; the administrator's call was wrong.
        return json(
            StatusCode::CONFLICT,
            &json!({"error": "the quarantined set is older than the set in place; discard it instead"}),
        );
    }
    tracing::error!("admin request failed: {e}");
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({"error": "the store is not available"}),
    )
}
