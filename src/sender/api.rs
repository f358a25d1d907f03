//! The sender's part of the admin listener (JSON): its status, and send-now.

use super::{Sender, UnknownDestination, status};
use crate::api::{ErrorAnswer, SendNowAnswer, Started};
use crate::http::{Query, Reply, json, text};
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
            Err(e) => unavailable(&e),
        },
        (&Method::POST, ["api", "v1", "sender", "send-now"]) => {
            let params = Query::parse(query);
            send_now(sender, params.get("destination").filter(|d| !d.is_empty())).await
        }
        (_, ["api", "v1", "sender", "status" | "send-now"]) => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
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
        Err(e) if e.is::<UnknownDestination>() => {
            json(StatusCode::NOT_FOUND, &ErrorAnswer::new(e.to_string()))
        }
        Err(e) => unavailable(&e),
    }
}

fn unavailable(e: &anyhow::Error) -> Reply {
    tracing::error!("sender: {e:#}");
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &ErrorAnswer::new("the sender's store is not available"),
    )
}
