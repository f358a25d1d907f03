//! `POST /api/v1/backup`: a backup file of every store this gateway runs, taken while it
//! keeps working (each role's snapshot under its own write lock, see
//! `Receiver::backup` and `Sender::backup`). A POST: it needs the admin token and is
//! audited, for it hands out every lot number, message and email address kept.

use super::Roles;
use crate::api::{BackupAbout, BackupStore};
use crate::http::{self, Reply};
use crate::store::BackupFile;
use hyper::{Method, StatusCode};

pub(super) async fn handle(roles: &Roles, method: &Method, path: &str) -> Option<Reply> {
    if path != "/api/v1/backup" {
        return None;
    }
    if method != Method::POST {
        return Some(http::method_not_allowed("POST"));
    }
    let mut snapshots = Vec::new();
    if let Some(receiver) = &roles.receiver {
        snapshots.push(("receiver", receiver.backup().await));
    }
    if let Some(sender) = &roles.sender {
        snapshots.push(("sender", sender.backup().await));
    }
    let mut about = BackupAbout {
        created: crate::api::time(chrono::Utc::now()),
        lotgate_version: env!("CARGO_PKG_VERSION").to_owned(),
        stores: Vec::new(),
    };
    let mut sections = Vec::new();
    for (role, snapshot) in snapshots {
        let snapshot = match snapshot {
            Ok(snapshot) => snapshot,
            Err(e) => return Some(http::store_unavailable("backup", &e, roles.language)),
        };
        let size = match crate::store::snapshot_size(&snapshot) {
            Ok(size) => size,
            Err(e) => return Some(http::store_unavailable("backup", &e, roles.language)),
        };
        about.stores.push(BackupStore {
            role: role.to_owned(),
            trees: size.trees,
            pairs: size.pairs,
            bytes: snapshot.len(),
        });
        sections.push((role.to_owned(), snapshot));
    }
    let about_json = serde_json::to_vec_pretty(&about).unwrap_or_default();
    sections.insert(0, ("about".to_owned(), about_json));
    let file = BackupFile { sections }.encode();
    tracing::info!(
        "backup taken: {} bytes ({})",
        file.len(),
        about
            .stores
            .iter()
            .map(|s| format!("{} {} pairs", s.role, s.pairs))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Some(http::reply(
        StatusCode::OK,
        "application/octet-stream",
        file,
    ))
}
