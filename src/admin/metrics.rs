//! `GET /metrics`: what the roles counted since start, and the gauges of this moment
//! read from them — OpenMetrics for a client that asks for it (Prometheus does), the
//! older Prometheus text format otherwise (`curl`, `promtool check metrics`).

use super::Roles;
use crate::http::{self, Reply, reply};
use crate::mail::{MailState, Queue};
use crate::metrics::{Labels, OPENMETRICS, PROMETHEUS_TEXT, Scrape};
use chrono::Utc;
use hyper::StatusCode;

/// The scrape, in the format `accept` asks for.
pub(super) fn metrics(roles: &Roles, accept: Option<&str>) -> Reply {
    let scrape = match scrape(roles) {
        Ok(scrape) => scrape,
        Err(e) => return http::store_unavailable("metrics", &e, roles.language),
    };
    if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
        reply(StatusCode::OK, OPENMETRICS, scrape.render())
    } else {
        reply(StatusCode::OK, PROMETHEUS_TEXT, scrape.render_prometheus())
    }
}

fn label(name: &'static str, value: impl Into<String>) -> Labels {
    vec![(name, value.into())]
}

fn scrape(roles: &Roles) -> Result<Scrape, crate::store::StoreError> {
    let now = Utc::now();
    let mut s = Scrape::new(
        &roles.metrics,
        roles.sender.is_some(),
        roles.receiver.is_some(),
    );
    if let Some(sender) = &roles.sender {
        for (destination, last) in sender.last_delivered()? {
            if let Some(last) = last {
                s.gauge(
                    "lotgate_sender_last_delivered_timestamp_seconds",
                    "When a delivery to the destination was last delivered (before the first: when the sender was installed)",
                    label("destination", destination),
                    last.timestamp() as f64,
                );
            }
        }
        let escalated = sender.escalated()?;
        for destination in &sender.config().destinations {
            s.gauge(
                "lotgate_sender_escalated",
                "Whether the destination has an open escalation (1) or not (0)",
                label("destination", destination.name.clone()),
                f64::from(u8::from(escalated.contains(&destination.name))),
            );
        }
        s.gauge(
            "lotgate_store_size_bytes",
            "The size of the role's store on disk",
            label("role", "sender"),
            sender.store().size_on_disk()? as f64,
        );
    }
    if let Some(receiver) = &roles.receiver {
        let snapshot = receiver.snapshot();
        s.gauge(
            "lotgate_receiver_set_version",
            "The version of the set in place (0: none)",
            Vec::new(),
            snapshot.version() as f64,
        );
        if let Some(set) = &snapshot.set {
            let mut per_vaccine = std::collections::BTreeMap::<String, usize>::new();
            for lot in set.lots().lots() {
                *per_vaccine
                    .entry(lot.vaccine.code().to_string())
                    .or_default() += 1;
            }
            for (vaccine, count) in per_vaccine {
                s.gauge(
                    "lotgate_receiver_set_lots",
                    "Lots in the set in place, by vaccine type",
                    label("vaccine", vaccine),
                    count as f64,
                );
            }
            s.gauge(
                "lotgate_receiver_set_applied_timestamp_seconds",
                "When the set in place was applied",
                Vec::new(),
                set.applied_at.timestamp() as f64,
            );
        }
        s.gauge(
            "lotgate_receiver_stale",
            "Whether the set in place is overdue (1) or not (0)",
            Vec::new(),
            f64::from(u8::from(receiver.stale(now)?.is_some())),
        );
        s.gauge(
            "lotgate_receiver_quarantined_sets",
            "Sets held back by the shrink guard",
            Vec::new(),
            receiver.store().quarantined()?.len() as f64,
        );
        s.gauge(
            "lotgate_store_size_bytes",
            "The size of the role's store on disk",
            label("role", "receiver"),
            receiver.store().size_on_disk()? as f64,
        );
    }
    for queue in &roles.queues {
        let state = MailState::read(std::slice::from_ref::<Queue>(queue))?;
        let (pending, dead) = state.counts();
        let role = queue.role.name();
        s.gauge(
            "lotgate_mail_outbox_pending",
            "Alert emails waiting to be sent, by role",
            label("role", role),
            pending as f64,
        );
        s.gauge(
            "lotgate_mail_dead_letters",
            "Alert emails given up on, by role",
            label("role", role),
            dead as f64,
        );
        s.gauge(
            "lotgate_mail_oldest_pending_age_seconds",
            "How long the oldest waiting alert email has waited (0: none waits), by role",
            label("role", role),
            state
                .oldest_pending_age(now)
                .map_or(0.0, |age| age.as_secs_f64()),
        );
    }
    for watched in roles.certificates.get().iter() {
        let role = watched.whose.split('.').next().unwrap_or(watched.whose);
        s.gauge(
            "lotgate_certificate_expiry_timestamp_seconds",
            "When our own certificate ends, by role and subject",
            vec![
                ("role", role.to_owned()),
                ("subject", watched.certificate.subject.clone()),
            ],
            watched.certificate.not_after.timestamp() as f64,
        );
    }
    Ok(s)
}
