//! `/readyz`: what a load balancer or a monitoring system asks — is the gateway doing
//! its job, or does a person need to look?

use super::Roles;
use crate::api::{
    CertificateView, MailCounts, Readiness, ReadyStatus, ReceiverReadiness, SenderReadiness,
    Unavailable,
};
use crate::http::{Reply, json};
use crate::mail;
use crate::store::StoreError;
use chrono::Utc;
use hyper::StatusCode;

/// `/readyz`: ready, or degraded (still HTTP 200: the receiver serves the last good set,
/// the sender keeps trying) while the receiver's set is stale or a destination of the
/// sender has an escalation open; 503 when a store cannot be read.
pub(super) fn readiness(roles: &Roles) -> Reply {
    let now = Utc::now();
    let mut reasons = Vec::new();
    let mut ready = Readiness {
        status: ReadyStatus::Ready,
        reason: None,
        receiver: None,
        stale: None,
        sender: None,
        mail: MailCounts {
            pending: 0,
            dead: 0,
        },
        certificates: Vec::new(),
    };
    if let Some(receiver) = &roles.receiver {
        let snapshot = receiver.snapshot();
        ready.receiver = Some(ReceiverReadiness {
            set_version: snapshot.version(),
            has_set: snapshot.set.is_some(),
        });
        match receiver.stale(now) {
            Ok(stale) => {
                ready.stale = Some(stale.is_some());
                reasons.extend(stale.map(|s| s.to_string()));
            }
            Err(e) => return unavailable(&e),
        }
    }
    if let Some(sender) = &roles.sender {
        match sender.store().deliveries() {
            Ok(deliveries) => {
                let open: Vec<String> = deliveries
                    .iter()
                    .filter(|d| d.escalation_open)
                    .map(|d| d.destination.clone())
                    .collect();
                if !open.is_empty() {
                    reasons.push(format!(
                        "not delivered after escalation: {}",
                        open.join(", ")
                    ));
                }
                ready.sender = Some(SenderReadiness { escalated: open });
            }
            Err(e) => return unavailable(&e),
        }
    }
    match mail::list_all(&roles.queues) {
        Ok(list) => {
            reasons.extend(mail::alarms(&list, now, roles.mail_timing.pending_alarm));
            ready.mail = MailCounts {
                pending: list.pending.len(),
                dead: list.dead.len(),
            };
        }
        Err(e) => return unavailable(&e),
    }
    for watched in &roles.certificates {
        let expiry = watched.certificate.expiry(now, watched.warning);
        if let Some(expiry) = &expiry {
            reasons.push(expiry.reason(watched.whose));
        }
        ready.certificates.push(CertificateView {
            name: watched.whose.to_owned(),
            subject: watched.certificate.subject.clone(),
            not_after: watched.certificate.not_after.to_rfc3339(),
            expiring: expiry.is_some(),
        });
    }
    ready.status = if reasons.is_empty() {
        ReadyStatus::Ready
    } else {
        ReadyStatus::Degraded
    };
    ready.reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    json(StatusCode::OK, &ready)
}

fn unavailable(e: &StoreError) -> Reply {
    tracing::error!("readiness: {e}");
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &Unavailable {
            status: ReadyStatus::Unavailable,
            error: "the store is not available".to_owned(),
        },
    )
}
