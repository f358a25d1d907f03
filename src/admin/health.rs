//! `/readyz`: what a load balancer or a monitoring system asks — is the gateway doing
//! its job, or does a person need to look?

use super::Roles;
use crate::http::{Reply, json};
use crate::mail;
use crate::store::StoreError;
use chrono::Utc;
use hyper::StatusCode;

/// `/readyz`: ready, or degraded (still HTTP 200: the receiver serves the last good set,
/// the sender keeps trying) while the receiver's set is stale or a destination of the
/// sender has an escalation open; 503 when a store cannot be read.
pub(super) fn readiness(roles: &Roles) -> Reply {
    let mut body = serde_json::Map::new();
    let mut reasons = Vec::new();
    if let Some(receiver) = &roles.receiver {
        let snapshot = receiver.snapshot();
        body.insert(
            "receiver".into(),
            serde_json::json!({"set_version": snapshot.version(), "has_set": snapshot.set.is_some()}),
        );
        match receiver.stale(Utc::now()) {
            Ok(None) => {
                body.insert("stale".into(), false.into());
            }
            Ok(Some(stale)) => {
                body.insert("stale".into(), true.into());
                reasons.push(stale.to_string());
            }
            Err(e) => return unavailable(&e),
        }
    }
    if let Some(sender) = &roles.sender {
        match sender.store().deliveries() {
            Ok(deliveries) => {
                let open: Vec<&str> = deliveries
                    .iter()
                    .filter(|d| d.escalation_open)
                    .map(|d| d.destination.as_str())
                    .collect();
                if !open.is_empty() {
                    reasons.push(format!(
                        "not delivered after escalation: {}",
                        open.join(", ")
                    ));
                }
                body.insert("sender".into(), serde_json::json!({"escalated": open}));
            }
            Err(e) => return unavailable(&e),
        }
    }
    let now = Utc::now();
    match mail::list_all(&roles.queues) {
        Ok(list) => {
            let alarms = mail::alarms(&list, now, roles.mail_timing.pending_alarm);
            body.insert(
                "mail".into(),
                serde_json::json!({"pending": list.pending.len(), "dead": list.dead.len()}),
            );
            reasons.extend(alarms);
        }
        Err(e) => return unavailable(&e),
    }
    let mut certificates = Vec::new();
    for watched in &roles.certificates {
        let expiry = watched.certificate.expiry(now, watched.warning);
        if let Some(expiry) = &expiry {
            reasons.push(expiry.reason(watched.whose));
        }
        certificates.push(serde_json::json!({
            "name": watched.whose,
            "subject": watched.certificate.subject,
            "not_after": watched.certificate.not_after.to_rfc3339(),
            "expiring": expiry.is_some(),
        }));
    }
    if !certificates.is_empty() {
        body.insert("certificates".into(), certificates.into());
    }
    let status = if reasons.is_empty() {
        "ready"
    } else {
        "degraded"
    };
    body.insert("status".into(), status.into());
    if !reasons.is_empty() {
        body.insert("reason".into(), reasons.join("; ").into());
    }
    json(StatusCode::OK, &serde_json::Value::Object(body))
}

fn unavailable(e: &StoreError) -> Reply {
    tracing::error!("readiness: {e}");
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &serde_json::json!({"status": "unavailable", "error": "the store is not available"}),
    )
}
