//! The human-readable summary of a configuration printed by `lotgate check-config`.

use super::values::format_size;
use super::{Config, MailTransport, ScheduleConfig, SmtpSecurity, SourceLocation};
use crate::language::Language;
use chrono::{NaiveTime, Timelike};
use std::fmt::Write;
use std::time::Duration;

/// How many planned attempt times are listed before the list is cut short.
const MAX_LISTED_ATTEMPTS: usize = 12;

pub(super) fn summary(config: &Config) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored deliberately.
    let roles: Vec<&str> = config.roles().iter().map(|r| r.name()).collect();
    let _ = writeln!(out, "roles: {}", roles.join(", "));
    let g = &config.gateway;
    let stores: Vec<String> = config
        .roles()
        .iter()
        .map(|&r| format!("{} {}", r.name(), g.store_dir(r).display()))
        .collect();
    let _ = writeln!(
        out,
        "data: {} (stores: {})",
        g.data_dir.display(),
        stores.join(", ")
    );
    let _ = writeln!(
        out,
        "time zone {}, language {}, log {:?}",
        g.time_zone,
        match g.language {
            Language::Nl => "nl",
            Language::En => "en",
        },
        g.log
    );
    let later: Vec<String> = g
        .codes
        .entries()
        .iter()
        .filter_map(|e| e.valid_from.map(|from| format!("{} from {from}", e.code)))
        .collect();
    let _ = writeln!(
        out,
        "vaccine types: {} ({} code{}{})",
        g.codes.release(),
        g.codes.entries().len(),
        if g.codes.entries().len() == 1 {
            ""
        } else {
            "s"
        },
        if later.is_empty() {
            String::new()
        } else {
            format!("; {}", later.join(", "))
        }
    );
    let admin = &config.admin;
    let _ = writeln!(
        out,
        "admin: http://{}{}",
        admin.listen,
        if admin.listen.ip().is_loopback() {
            " (loopback)"
        } else {
            " (INSECURE: plain HTTP on the network)"
        }
    );
    let mail = &config.mail;
    let _ = match &mail.transport {
        MailTransport::File { dir } => writeln!(
            out,
            "mail: from {}, written as .eml files into {}",
            mail.from,
            dir.display()
        ),
        MailTransport::Smtp(smtp) => writeln!(
            out,
            "mail: from {}, via SMTP {}:{} ({}{}, timeout {})",
            mail.from,
            smtp.host,
            smtp.port,
            match smtp.security {
                SmtpSecurity::StartTls => "STARTTLS",
                SmtpSecurity::Tls => "TLS",
                SmtpSecurity::Plain => "plain",
            },
            smtp.credentials
                .as_ref()
                .map(|c| format!(", login {}", c.username))
                .unwrap_or_default(),
            humantime::format_duration(smtp.timeout)
        ),
    };
    if let Some(s) = &config.sender {
        let _ = writeln!(
            out,
            "sender: application id {}, message ids under {}",
            s.application_id, s.message_id_root
        );
        let _ = match &s.source.location {
            SourceLocation::File(path) => write!(out, "  source: file {}", path.display()),
            SourceLocation::Url(url) => write!(out, "  source: {url}"),
        };
        let _ = writeln!(
            out,
            " ({}, timeout {})",
            s.source.format.name(),
            humantime::format_duration(s.source.timeout)
        );
        schedule(&mut out, &s.schedule, s.send_on_start);
        let admins: Vec<String> = s.administrators.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "  alerts to: {}", admins.join(", "));
        let _ = writeln!(
            out,
            "  destinations ({}, at most {} at a time):",
            s.destinations.len(),
            s.max_in_flight
        );
        for d in &s.destinations {
            let _ = writeln!(
                out,
                "    {}: {} (application {}), contact {}{}",
                d.name,
                d.url,
                d.application_id,
                d.contact,
                if d.insecure && d.url.starts_with("http://") {
                    " INSECURE: plain HTTP on the network"
                } else {
                    ""
                }
            );
        }
        if let Some(tls) = &s.tls {
            let _ = writeln!(
                out,
                "  two-way TLS: certificate {}, receivers verified against {} root file(s)",
                tls.certificate.display(),
                tls.roots.len()
            );
        }
    }
    if let Some(r) = &config.receiver {
        let _ = writeln!(
            out,
            "receiver: {}://{}{} (application id {}){}",
            if r.tls.is_some() { "https" } else { "http" },
            r.listen,
            r.path,
            r.application_id,
            if r.tls.is_none() && r.insecure && !r.listen.ip().is_loopback() {
                " INSECURE: plain HTTP on the network"
            } else {
                ""
            }
        );
        let senders: Vec<&str> = r.allowed_senders.iter().map(|a| a.as_str()).collect();
        let _ = writeln!(out, "  accepts senders: {}", senders.join(", "));
        for partner in &r.partners {
            let contact: Vec<String> = partner.contact.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "  partner {} ({}): {} phase{}; reports {}, in {}{}",
                partner.application_id,
                partner.name,
                partner.phase.name(),
                match partner.phase {
                    crate::config::Phase::Connect => ", deliveries go to its trial set",
                    crate::config::Phase::Production => "",
                },
                partner.reports.name(),
                partner.language.code(),
                if contact.is_empty() {
                    String::new()
                } else {
                    format!("; contact {}", contact.join(", "))
                }
            );
        }
        if let Some(tls) = &r.tls {
            let _ = writeln!(
                out,
                "  two-way TLS: client certificates from {} CA file(s)",
                tls.client_ca.len()
            );
            for client in &tls.clients {
                let ids: Vec<&str> = client.application_ids.iter().map(|a| a.as_str()).collect();
                let _ = writeln!(
                    out,
                    "    {} may send as {}",
                    client.identity,
                    ids.join(", ")
                );
            }
        }
        let mut alerts: Vec<String> = r.administrators.iter().map(ToString::to_string).collect();
        if let Some(contact) = &r.jgz_contact {
            alerts.push(format!("{contact} (JGZ contact, watchdog only)"));
        }
        let _ = writeln!(out, "  alerts to: {}", alerts.join(", "));
        let _ = writeln!(
            out,
            "  expects a new set every day by {} {}",
            clock(r.expect_by),
            config.gateway.time_zone
        );
        let _ = writeln!(
            out,
            "  limits: body {}, depth {}, {} connections ({} per client address), header \
             timeout {}, body timeout {}",
            format_size(r.max_body),
            r.max_depth,
            r.max_connections,
            r.max_connections_per_address,
            humantime::format_duration(r.header_timeout),
            humantime::format_duration(r.body_timeout)
        );
        if r.shrink_guard.fraction > 0.0 {
            let _ = writeln!(
                out,
                "  shrink guard: quarantine a set below {}% of the current one (when it \
                 has at least {} lots)",
                (r.shrink_guard.fraction * 100.0).round(),
                r.shrink_guard.min_lots
            );
        } else {
            let _ = writeln!(out, "  shrink guard: off");
        }
        let _ = writeln!(
            out,
            "  duplicates recognised for {}, history keeps {} deliveries",
            match r.duplicate_retention.as_secs() {
                secs if secs % 86_400 == 0 => format!("{} days", secs / 86_400),
                _ => humantime::format_duration(r.duplicate_retention).to_string(),
            },
            r.history_limit
        );
    }
    out.truncate(out.trim_end().len());
    out
}

/// The nightly schedule with the planned attempt times of an all-failing night.
fn schedule(out: &mut String, s: &ScheduleConfig, send_on_start: bool) {
    let _ = writeln!(
        out,
        "  schedule: every night at {} {}{}",
        clock(s.send_at),
        s.time_zone,
        if send_on_start {
            ", and right after start-up"
        } else {
            ""
        }
    );
    let offsets = s.attempt_offsets();
    let mut times: Vec<String> = offsets
        .iter()
        .take(MAX_LISTED_ATTEMPTS)
        .map(|&offset| at_offset(s.send_at, offset))
        .collect();
    if offsets.len() > MAX_LISTED_ATTEMPTS {
        times.push(format!("… ({} in all)", offsets.len()));
    }
    let _ = writeln!(
        out,
        "  attempts if all fail: {} (each at most {}); escalation at {}",
        times.join(", "),
        humantime::format_duration(s.attempt_timeout),
        clock(s.escalate_at)
    );
}

/// `send_at + offset` as a clock time, with `+1d` etc. when it falls on a later day.
fn at_offset(start: NaiveTime, offset: Duration) -> String {
    let delta = chrono::Duration::from_std(offset).unwrap_or(chrono::Duration::zero());
    let (time, wrapped_secs) = start.overflowing_add_signed(delta);
    let days = wrapped_secs / 86_400;
    if days > 0 {
        format!("{} +{days}d", clock(time))
    } else {
        clock(time)
    }
}

/// `HH:MM`, or `HH:MM:SS` when there are seconds.
fn clock(t: NaiveTime) -> String {
    if t.second() == 0 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times() {
        let t = NaiveTime::from_hms_opt(23, 50, 0).unwrap();
        assert_eq!(at_offset(t, Duration::from_secs(600)), "00:00 +1d");
        assert_eq!(at_offset(t, Duration::from_secs(5)), "23:50:05");
    }
}
