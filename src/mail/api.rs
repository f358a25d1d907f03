//! The mail's part of the admin listener (JSON), for both roles' outboxes: the mails
//! waiting and given up on, and the operators' actions on them — try again (a dead
//! letter goes back into the outbox; every pending mail is tried at once) or discard.

use super::queue::{MailState, Queue};
use crate::api::{MailDiscarded, MailRetried};
use crate::http::{self, Reply, json};
use crate::language::Language;
use crate::store::StoreError;
use hyper::{Method, StatusCode};

/// Answers a request for `path` when it is one of the mail's; `None` when it is not.
/// Texts people read are in `language`.
pub fn handle(queues: &[Queue], method: &Method, path: &str, language: Language) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let reply = match (method, segments.as_slice()) {
        (&Method::GET, ["api", "v1", "mail"]) => match MailState::read(queues) {
            Ok(state) => json(StatusCode::OK, &state.list()),
            Err(e) => unavailable(&e, language),
        },
        (&Method::POST, ["api", "v1", "mail", "retry"]) => retry_all(queues, language),
        (&Method::POST, ["api", "v1", "mail", id, "retry"]) => retry(queues, id, language),
        (&Method::POST, ["api", "v1", "mail", id, "discard"]) => discard(queues, id, language),
        (_, ["api", "v1", "mail"]) => http::method_not_allowed("GET"),
        (_, ["api", "v1", "mail", "retry"] | ["api", "v1", "mail", _, "retry" | "discard"]) => {
            http::method_not_allowed("POST")
        }
        _ => return None,
    };
    Some(reply)
}

/// Puts the mail with this id back to work: a dead letter goes back into its outbox, and
/// the worker tries every pending mail at once.
fn retry(queues: &[Queue], id: &str, language: Language) -> Reply {
    let mut revived = 0;
    let mut waiting = 0;
    for queue in queues {
        let moved = match queue.outbox.retry(id) {
            Ok(moved) => moved,
            Err(e) => return unavailable(&e, language),
        };
        let pending = match queue.outbox.pending() {
            Ok(pending) => pending.iter().filter(|(p, _)| p == id).count(),
            Err(e) => return unavailable(&e, language),
        };
        if pending > 0 {
            queue.wake.notify_one();
        }
        revived += moved;
        waiting += pending;
    }
    if waiting == 0 {
        return not_found(id, language);
    }
    tracing::info!("mail retry {id}: {revived} dead letter(s) back in the outbox");
    json(
        StatusCode::ACCEPTED,
        &MailRetried {
            retried: Some(id.to_owned()),
            from_dead_letters: revived,
        },
    )
}

/// Puts every dead letter back into its outbox and tries every pending mail at once.
fn retry_all(queues: &[Queue], language: Language) -> Reply {
    let mut revived = 0;
    for queue in queues {
        match queue.outbox.retry_all() {
            Ok(moved) => revived += moved,
            Err(e) => return unavailable(&e, language),
        }
        queue.wake.notify_one();
    }
    tracing::info!("mail retry --all: {revived} dead letter(s) back in the outbox");
    json(
        StatusCode::ACCEPTED,
        &MailRetried {
            retried: None,
            from_dead_letters: revived,
        },
    )
}

/// Removes the mail with this id for good, pending or dead.
fn discard(queues: &[Queue], id: &str, language: Language) -> Reply {
    let mut removed = 0;
    for queue in queues {
        match queue.outbox.discard(id) {
            Ok(n) => removed += n,
            Err(e) => return unavailable(&e, language),
        }
    }
    if removed == 0 {
        return not_found(id, language);
    }
    tracing::info!("mail discard {id}: {removed} entr(y/ies) removed");
    json(
        StatusCode::OK,
        &MailDiscarded {
            discarded: id.to_owned(),
        },
    )
}

fn not_found(id: &str, language: Language) -> Reply {
    http::error(
        StatusCode::NOT_FOUND,
        match language {
            Language::Nl => {
                format!("er wacht geen e-mail {id:?} en er is geen onbestelbare e-mail {id:?}")
            }
            Language::En => format!("no mail {id:?} is waiting or among the dead letters"),
        },
    )
}

fn unavailable(e: &StoreError, language: Language) -> Reply {
    http::store_unavailable("mail", e, language)
}
