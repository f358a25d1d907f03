//! The pure step of a reload: from the configuration running and the one just read, the
//! configuration to run with — the new values where they can change while running, the
//! running ones where they cannot — and which keys changed, on either side.
//!
//! What cannot change while running: the listen addresses and what is bound with them
//! (`insecure`, the connection limits, whether the exchange listener has TLS), the data
//! directory and what is laid out from it at start (the history's size, the journal's
//! retention), the roles, the zone, language and code list every part was started with,
//! and the times the loops sleep towards (the sender's schedule and `report_at`, the
//! receiver's `expect_by` and `report_at`).

use crate::config::{Config, ReceiverConfig, SenderConfig};

/// The configuration to run with after a reload, and what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The configuration read, with the keys that cannot change as they are running.
    pub config: Config,
    /// Keys whose new values take effect now.
    pub applied: Vec<String>,
    /// Keys whose new values wait for a restart (their running values stay).
    pub restart: Vec<String>,
}

/// Merges `read` into what runs (`running`).
pub fn merge(running: &Config, mut read: Config) -> Merged {
    let mut diff = Diff::default();
    let (old, new) = (&running.gateway, &mut read.gateway);
    diff.fixed("gateway.data_dir", &old.data_dir, &mut new.data_dir);
    diff.fixed("gateway.time_zone", &old.time_zone, &mut new.time_zone);
    diff.fixed("gateway.language", &old.language, &mut new.language);
    diff.fixed(
        "gateway.journal_retention",
        &old.journal_retention,
        &mut new.journal_retention,
    );
    diff.fixed("gateway.code_list", &old.codes, &mut new.codes);
    diff.live("gateway.log", &old.log, &new.log);

    let (old, new) = (&running.admin, &mut read.admin);
    diff.fixed("admin.listen", &old.listen, &mut new.listen);
    diff.fixed("admin.insecure", &old.insecure, &mut new.insecure);
    diff.live("admin.token_file", &old.token_file, &new.token_file);

    let (old, new) = (&running.mail, &read.mail);
    diff.live("mail.from", &old.from, &new.from);
    diff.live("mail.transport", &old.transport, &new.transport);
    diff.live("mail (timing)", &old.timing, &new.timing);

    match (&running.sender, &mut read.sender) {
        (Some(old), Some(new)) => sender(&mut diff, old, new),
        (None, None) => {}
        (old, new) => {
            diff.restart.push("[sender] (the roles)".to_owned());
            *new = old.clone();
        }
    }
    match (&running.receiver, &mut read.receiver) {
        (Some(old), Some(new)) => receiver(&mut diff, old, new),
        (None, None) => {}
        (old, new) => {
            diff.restart.push("[receiver] (the roles)".to_owned());
            *new = old.clone();
        }
    }
    Merged {
        config: read,
        applied: diff.applied,
        restart: diff.restart,
    }
}

fn sender(diff: &mut Diff, old: &SenderConfig, new: &mut SenderConfig) {
    diff.live(
        "sender.application_id",
        &old.application_id,
        &new.application_id,
    );
    diff.live(
        "sender.message_id_root",
        &old.message_id_root,
        &new.message_id_root,
    );
    diff.live("sender (author)", &old.author, &new.author);
    diff.live(
        "sender.administrators",
        &old.administrators,
        &new.administrators,
    );
    diff.fixed("sender (schedule)", &old.schedule, &mut new.schedule);
    diff.fixed(
        "sender.send_on_start",
        &old.send_on_start,
        &mut new.send_on_start,
    );
    diff.fixed(
        "sender.max_in_flight",
        &old.max_in_flight,
        &mut new.max_in_flight,
    );
    diff.live("sender.source", &old.source, &new.source);
    diff.live("sender.tls", &old.tls, &new.tls);
    diff.live("sender.destination", &old.destinations, &new.destinations);
    diff.fixed("sender.report_at", &old.report_at, &mut new.report_at);
}

fn receiver(diff: &mut Diff, old: &ReceiverConfig, new: &mut ReceiverConfig) {
    diff.fixed("receiver.listen", &old.listen, &mut new.listen);
    diff.fixed("receiver.insecure", &old.insecure, &mut new.insecure);
    diff.live("receiver.path", &old.path, &new.path);
    diff.live(
        "receiver.application_id",
        &old.application_id,
        &new.application_id,
    );
    diff.live(
        "receiver.allowed_senders",
        &old.allowed_senders,
        &new.allowed_senders,
    );
    diff.live("receiver.sender", &old.partners, &new.partners);
    diff.live(
        "receiver.administrators",
        &old.administrators,
        &new.administrators,
    );
    diff.live("receiver.jgz_contact", &old.jgz_contact, &new.jgz_contact);
    diff.live("receiver.max_body", &old.max_body, &new.max_body);
    diff.live("receiver.max_depth", &old.max_depth, &new.max_depth);
    diff.fixed(
        "receiver.header_timeout",
        &old.header_timeout,
        &mut new.header_timeout,
    );
    diff.live(
        "receiver.body_timeout",
        &old.body_timeout,
        &new.body_timeout,
    );
    diff.fixed(
        "receiver.max_connections",
        &old.max_connections,
        &mut new.max_connections,
    );
    diff.fixed(
        "receiver.max_connections_per_address",
        &old.max_connections_per_address,
        &mut new.max_connections_per_address,
    );
    diff.fixed("receiver.expect_by", &old.expect_by, &mut new.expect_by);
    diff.fixed("receiver.report_at", &old.report_at, &mut new.report_at);
    diff.live(
        "receiver (shrink guard)",
        &old.shrink_guard,
        &new.shrink_guard,
    );
    diff.live(
        "receiver.duplicate_retention",
        &old.duplicate_retention,
        &new.duplicate_retention,
    );
    diff.fixed(
        "receiver.history_limit",
        &old.history_limit,
        &mut new.history_limit,
    );
    match (&old.tls, &mut new.tls) {
        (Some(old), Some(new)) => {
            diff.live(
                "receiver.tls.certificate",
                &old.certificate,
                &new.certificate,
            );
            diff.live(
                "receiver.tls.private_key",
                &old.private_key,
                &new.private_key,
            );
            diff.live("receiver.tls.client_ca", &old.client_ca, &new.client_ca);
            diff.live("receiver.tls.client", &old.clients, &new.clients);
            diff.live(
                "receiver.tls.expiry_warning",
                &old.expiry_warning,
                &new.expiry_warning,
            );
        }
        (None, None) => {}
        (old, new) => {
            diff.restart
                .push("[receiver.tls] (TLS on or off)".to_owned());
            *new = old.clone();
        }
    }
}

/// The keys found changed so far.
#[derive(Default)]
struct Diff {
    applied: Vec<String>,
    restart: Vec<String>,
}

impl Diff {
    /// A key that may change while running.
    fn live<T: PartialEq>(&mut self, key: &str, old: &T, new: &T) {
        if old != new {
            self.applied.push(key.to_owned());
        }
    }

    /// A key that keeps its running value until a restart.
    fn fixed<T: PartialEq + Clone>(&mut self, key: &str, old: &T, new: &mut T) {
        if old != new {
            self.restart.push(key.to_owned());
            *new = old.clone();
        }
    }
}

#[cfg(test)]
mod tests;
