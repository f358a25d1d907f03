//! The sender's part of the admin listener (JSON): its status, and send-now.

use super::{Sender, UnknownDestination, status};
use crate::api::{SendNowAnswer, Started};
use crate::http::{self, Query, Reply, json};
use crate::language::Language;
use hyper::{Method, StatusCode};

/// Answers a request for `path` (with its query) when it is one of the sender's; `None`
/// when the path is not the sender's.
pub async fn handle(
    sender: &Sender,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let reply = match (method, segments.as_slice()) {
        (&Method::GET, ["api", "v1", "sender", "status"]) => match status::report(sender).await {
            Ok(report) => json(StatusCode::OK, &report),
            Err(e) => unavailable(sender, &e),
        },
        (&Method::POST, ["api", "v1", "sender", "send-now"]) => {
            let params = Query::parse(query);
            send_now(sender, params.get("destination").filter(|d| !d.is_empty())).await
        }
        (_, ["api", "v1", "sender", "status"]) => http::method_not_allowed("GET"),
        (_, ["api", "v1", "sender", "send-now"]) => http::method_not_allowed("POST"),
        _ => return None,
    };
    Some(reply)
}

async fn send_now(sender: &Sender, destination: Option<&str>) -> Reply {
    match sender.send_now(destination).await {
        Ok(started) => json(
            StatusCode::ACCEPTED,
            &SendNowAnswer {
                started: started
                    .iter()
                    .map(|d| Started {
                        destination: d.destination.clone(),
                        delivery: d.id,
                        message: d.message.as_ref().map(|m| m.id.to_string()),
                    })
                    .collect(),
            },
        ),
        Err(e) => match e.downcast_ref::<UnknownDestination>() {
            Some(UnknownDestination(name)) => http::error(
                StatusCode::NOT_FOUND,
                match sender.inner.language {
                    Language::Nl => format!("er is geen bestemming {name:?}"),
                    Language::En => format!("no destination is called {name:?}"),
                },
            ),
            None => unavailable(sender, &e),
        },
    }
}

fn unavailable(sender: &Sender, e: &anyhow::Error) -> Reply {
    http::store_unavailable("sender", &format!("{e:#}"), sender.inner.language)
}
