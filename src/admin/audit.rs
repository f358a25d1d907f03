//! The audit trail: every change asked of the admin listener — send-now, a quarantine
//! accept or discard, a mail retry or discard, and any other request that is not a read,
//! allowed or not — as an entry in the journal of the role it concerns (mail and
//! unknown paths: the receiver's when it runs, else the sender's). Whether a bearer
//! token came with it is kept; the token never is.

use super::Roles;
use crate::api::JournalAudit;
use crate::config::Role;
use crate::http::Query;
use crate::store::{JournalEntry, JournalKind, JournalWrite};
use chrono::{DateTime, Utc};
use hyper::{Method, StatusCode};
use std::collections::BTreeMap;

/// What a change was: the role it concerns (`None`: either), its name and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Action {
    pub role: Option<Role>,
    pub name: String,
    pub arguments: BTreeMap<String, String>,
}

/// Names the change `method path?query` asks for. Pure.
pub(super) fn action(method: &Method, path: &str, query: Option<&str>) -> Action {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let params = Query::parse(query);
    let argument = |key: &str, value: &str| BTreeMap::from([(key.to_owned(), value.to_owned())]);
    let (role, name, arguments) = match (method, segments.as_slice()) {
        (&Method::POST, ["api", "v1", "sender", "send-now"]) => (
            Some(Role::Sender),
            "send-now".to_owned(),
            params
                .get("destination")
                .map(|d| argument("destination", d))
                .unwrap_or_default(),
        ),
        (
            &Method::POST,
            [
                "api",
                "v1",
                "quarantine",
                id,
                which @ ("accept" | "discard"),
            ],
        ) => (
            Some(Role::Receiver),
            format!("quarantine {which}"),
            argument("id", id),
        ),
        (&Method::POST, ["api", "v1", "backup"]) => (None, "backup".to_owned(), BTreeMap::new()),
        (&Method::POST, ["api", "v1", "reload"]) => (None, "reload".to_owned(), BTreeMap::new()),
        (&Method::POST, ["api", "v1", "mail", "retry"]) => {
            (None, "mail retry --all".to_owned(), BTreeMap::new())
        }
        (&Method::POST, ["api", "v1", "mail", id, which @ ("retry" | "discard")]) => (
            None,
            format!("mail {which}"),
            argument("id", &crate::http::percent_decode(id)),
        ),
        _ => (None, format!("{method} {path}"), BTreeMap::new()),
    };
    Action {
        role,
        name,
        arguments,
    }
}

/// The journal's outcome for an answer's status: `ok`, `refused` (4xx) or `failed`.
pub(super) fn outcome(status: StatusCode) -> &'static str {
    if status.is_success() {
        "ok"
    } else if status.is_client_error() {
        "refused"
    } else {
        "failed"
    }
}

/// Writes the audit entry of a change (blocking: flushed). A failure is logged: the
/// change itself is done.
pub(super) fn record(
    roles: &Roles,
    action: Action,
    client: String,
    token_presented: bool,
    status: StatusCode,
    now: DateTime<Utc>,
) {
    let journal = roles
        .journals
        .iter()
        .find(|(role, _)| action.role.is_none_or(|r| r == *role))
        .or_else(|| roles.journals.first())
        .map(|(_, journal)| journal);
    let Some(journal) = journal else {
        return;
    };
    tracing::info!(
        "operator action: {} {:?} from {client}: HTTP {}",
        action.name,
        action.arguments,
        status.as_u16()
    );
    let details = JournalAudit {
        action: action.name,
        arguments: action.arguments,
        client,
        token_presented,
        status: status.as_u16(),
    };
    let entry = JournalEntry {
        id: 0,
        kind: JournalKind::Audit,
        at: now,
        last_at: now,
        destination: details.arguments.get("destination").cloned(),
        outcome: outcome(status).to_owned(),
        message_id: None,
        details: serde_json::to_value(&details).unwrap_or_default(),
        bodies: Vec::new(),
    };
    if let Err(e) = journal.write(&JournalWrite::new(entry, Vec::new()), true) {
        tracing::error!("the audit entry could not be written: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_change_is_named_with_its_arguments_and_role() {
        let named = |method, path, query| {
            let a = action(&method, path, query);
            (a.role, a.name, a.arguments.into_iter().collect::<Vec<_>>())
        };
        assert_eq!(
            named(
                Method::POST,
                "/api/v1/sender/send-now",
                Some("destination=ggd")
            ),
            (
                Some(Role::Sender),
                "send-now".into(),
                vec![("destination".into(), "ggd".into())]
            )
        );
        assert_eq!(
            named(Method::POST, "/api/v1/quarantine/7/accept", None),
            (
                Some(Role::Receiver),
                "quarantine accept".into(),
                vec![("id".into(), "7".into())]
            )
        );
        assert_eq!(
            named(Method::POST, "/api/v1/mail/a%20b/discard", None),
            (
                None,
                "mail discard".into(),
                vec![("id".into(), "a b".into())]
            )
        );
        assert_eq!(
            named(Method::POST, "/api/v1/mail/retry", None),
            (None, "mail retry --all".into(), vec![])
        );
        assert_eq!(
            named(Method::DELETE, "/api/v1/set", None),
            (None, "DELETE /api/v1/set".into(), vec![])
        );
        assert_eq!(outcome(StatusCode::ACCEPTED), "ok");
        assert_eq!(outcome(StatusCode::UNAUTHORIZED), "refused");
        assert_eq!(outcome(StatusCode::SERVICE_UNAVAILABLE), "failed");
    }
}
