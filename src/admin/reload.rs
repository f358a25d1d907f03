//! `POST /api/v1/reload`: reads the configuration file again and takes what may change
//! while running (see `crate::reload`). A POST: it needs the admin token and is
//! audited. 200 with what changed; 422 when the reload was refused (nothing changed),
//! with every problem.

use super::Roles;
use crate::http::{self, Reply};
use hyper::{Method, StatusCode};

pub(super) async fn handle(roles: &Roles, method: &Method, path: &str) -> Option<Reply> {
    if path != "/api/v1/reload" {
        return None;
    }
    if method != Method::POST {
        return Some(http::method_not_allowed("POST"));
    }
    let answer = roles.reloader.reload().await;
    let status = if answer.reloaded {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Some(http::json(status, &answer))
}
