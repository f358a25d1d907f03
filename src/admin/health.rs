//! `/readyz`: what a load balancer or a monitoring system asks — is the gateway doing
//! its job, or does a person need to look?

use super::Roles;
use crate::api::{
    CertificateView, MailCounts, Readiness, ReadyStatus, ReceiverReadiness, SenderReadiness,
    Unavailable,
};
use crate::http::{Reply, json};
use crate::language::Language;
use crate::mail;
use crate::store::StoreError;
use chrono::{DateTime, Utc};
use hyper::StatusCode;

/// `/readyz`: ready, or degraded (still HTTP 200: the receiver serves the last good set,
/// the sender keeps trying) while the receiver's set is stale, a destination of the
/// sender has an escalation open, an alert email waits too long or was given up on, or
/// one of our certificates is about to expire; every reason in `gateway.language`. 503
/// when a store cannot be read.
pub(super) fn readiness(roles: &Roles) -> Reply {
    match assess(roles, Utc::now()) {
        Ok(ready) => json(StatusCode::OK, &ready),
        Err(e) => unavailable(&e, roles.language),
    }
}

/// Whether the gateway does its job at `now`, with every reason when it does not.
pub(super) fn assess(roles: &Roles, now: DateTime<Utc>) -> Result<Readiness, StoreError> {
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
        let stale = receiver.stale(now)?;
        ready.stale = Some(stale.is_some());
        reasons.extend(stale.map(|s| s.text(roles.language)));
    }
    if let Some(sender) = &roles.sender {
        let open = sender.escalated()?;
        if !open.is_empty() {
            let names = open.join(", ");
            reasons.push(match roles.language {
                Language::Nl => format!("niet afgeleverd na escalatie: {names}"),
                Language::En => format!("not delivered after escalation: {names}"),
            });
        }
        ready.sender = Some(SenderReadiness { escalated: open });
    }
    let state = mail::MailState::read(&roles.queues)?;
    reasons.extend(state.alarms(now, roles.mail_timing.get().pending_alarm, roles.language));
    let (pending, dead) = state.counts();
    ready.mail = MailCounts { pending, dead };
    for watched in roles.certificates.get().iter() {
        let expiry = watched.certificate.expiry(now, watched.warning);
        if let Some(expiry) = &expiry {
            reasons.push(expiry.reason(watched.whose, roles.language));
        }
        ready.certificates.push(CertificateView {
            name: watched.whose.to_owned(),
            subject: watched.certificate.subject.clone(),
            not_after: crate::api::time(watched.certificate.not_after),
            expiring: expiry.is_some(),
        });
    }
    ready.status = if reasons.is_empty() {
        ReadyStatus::Ready
    } else {
        ReadyStatus::Degraded
    };
    ready.reason = (!reasons.is_empty()).then(|| reasons.join("; "));
    Ok(ready)
}

pub(super) fn unavailable(e: &StoreError, language: Language) -> Reply {
    tracing::error!("readiness: {e}");
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &Unavailable {
            status: ReadyStatus::Unavailable,
            error: crate::http::store_unavailable_text(language).to_owned(),
        },
    )
}
