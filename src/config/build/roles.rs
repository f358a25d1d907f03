//! Stage two for the role sections, `[sender]` (with its source and destinations) and
//! `[receiver]`. Only called for enabled roles: a disabled section is not checked beyond
//! its shape, so it can be left half-filled.

use super::Checker;
use crate::config::raw::{RawDestination, RawPartner, RawReceiver, RawSender, RawSource};
use crate::config::values::{self, Contact};
use crate::config::{
    Destination, Partner, Phase, ReceiverConfig, Reports, ScheduleConfig, SenderConfig,
    ShrinkGuard, SourceConfig, SourceFormat, SourceLocation,
};
use crate::ids::{AORTA_APPLICATION_ROOT, Oid};
use crate::language::Language;
use crate::message::{Author, Organization};
use chrono::NaiveTime;
use chrono_tz::Tz;
use std::collections::HashSet;
use std::net::SocketAddr;

const DEFAULT_RECEIVER_PATH: &str = "/jgz/partijnummers";
const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A time of day from constant parts (all callers pass valid ones).
fn hm(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

/// `[sender]` with its source and destinations.
pub(super) fn sender(
    c: &mut Checker,
    raw: &RawSender,
    time_zone: Tz,
    language: Language,
) -> Option<SenderConfig> {
    let application_id = c.application_id(
        "sender.application_id",
        raw.application_id.as_deref(),
        "our AORTA application id",
    );
    let message_id_root = match (&raw.message_id_root, &application_id) {
        (Some(root), _) => Oid::parse(root).map_err(|_| {
            format!(
                "{root:?} is not an OID; expected dotted numbers such as \
                 \"{AORTA_APPLICATION_ROOT}.99999001.1\""
            )
        }),
        (None, Some(id)) => {
            let root = format!("{AORTA_APPLICATION_ROOT}.{id}.1");
            Oid::parse(&root).map_err(|_| {
                format!(
                    "the default {root:?} is not an OID (the application id starts with 0); \
                     set message_id_root explicitly"
                )
            })
        }
        (None, None) => Err(String::new()),
    };
    let message_id_root = match message_id_root {
        Ok(root) => Some(root),
        // Empty: the application id is missing, which is reported already.
        Err(e) if e.is_empty() => None,
        Err(e) => {
            c.err("sender.message_id_root", e);
            None
        }
    };
    let author = author(c, raw);
    let administrators = c.emails("sender.administrators", raw.administrators.as_deref());
    let schedule = schedule(c, raw, time_zone);
    let max_in_flight = c.int("sender.max_in_flight", raw.max_in_flight, 16, 1..=256);
    let source = match &raw.source {
        Some(s) => source(c, s),
        None => {
            c.err(
                "sender.source",
                "required: add a [sender.source] section with `file` (a CSV export) or `url`",
            );
            None
        }
    };
    let tls = raw.tls.as_ref().and_then(|t| super::tls::sender(c, t));
    let destinations = destinations(c, raw.destination.as_deref(), raw.tls.is_some(), language);
    Some(SenderConfig {
        application_id: application_id?,
        message_id_root: message_id_root?,
        author,
        administrators,
        schedule,
        send_on_start: raw.send_on_start.unwrap_or(false),
        max_in_flight: usize::try_from(max_in_flight).ok()?,
        source: source?,
        tls,
        destinations,
        report_at: c.time("sender.report_at", raw.report_at.as_deref(), hm(8, 0)),
    })
}

/// The UZI server number and the organisation (URA and name) of the author device.
fn author(c: &mut Checker, raw: &RawSender) -> Author {
    let mut digits = |key: &str, value: &Option<String>| {
        value.as_deref().and_then(|v| {
            if !v.is_empty() && v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()) {
                Some(v.to_owned())
            } else {
                c.err(key, format!("{v:?} is not a number; expected 1-20 digits"));
                None
            }
        })
    };
    let uzi = digits("sender.uzi_server_id", &raw.uzi_server_id);
    let ura = digits("sender.organization_ura", &raw.organization_ura);
    match (&raw.uzi_server_id, &raw.organization_ura) {
        (Some(_), None) => c.err(
            "sender.organization_ura",
            "required when uzi_server_id is set (the message carries both or neither)",
        ),
        (None, Some(_)) => c.err(
            "sender.uzi_server_id",
            "required when organization_ura is set (the message carries both or neither)",
        ),
        _ => {}
    }
    if raw.organization_name.is_some() && raw.organization_ura.is_none() {
        c.err(
            "sender.organization_name",
            "only allowed together with organization_ura and uzi_server_id (the \
             name is part of the organisation element)",
        );
    }
    let name = raw
        .organization_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(bad) = name.and_then(|n| {
        n.chars()
            .find(|c| c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
    }) {
        c.err(
            "sender.organization_name",
            format!(
                "contains control character U+{:04X}; it goes into every message, which must stay valid XML",
                bad as u32
            ),
        );
    }
    match (uzi, ura) {
        (Some(uzi), Some(ura)) => Author {
            uzi: Some(uzi),
            organization: Some(Organization {
                ura,
                name: name.map(str::to_owned),
            }),
        },
        _ => Author::default(),
    }
}

fn schedule(c: &mut Checker, raw: &RawSender, time_zone: Tz) -> ScheduleConfig {
    let retries = c.int("sender.retries", raw.retries, 3, 0..=100);
    let repeats = c.int("sender.repeats", raw.repeats, 1, 0..=100);
    let interval = c.duration("sender.interval", raw.interval.as_deref(), "10m", 1);
    let attempt_timeout = c.duration(
        "sender.attempt_timeout",
        raw.attempt_timeout.as_deref(),
        "60s",
        1,
    );
    if attempt_timeout >= interval {
        c.err(
            "sender.attempt_timeout",
            format!(
                "{} must be shorter than sender.interval ({}), so an attempt is over \
                 before the next one is due",
                humantime::format_duration(attempt_timeout),
                humantime::format_duration(interval)
            ),
        );
    }
    ScheduleConfig {
        time_zone,
        send_at: c.time("sender.send_at", raw.send_at.as_deref(), hm(2, 0)),
        retries: u32::try_from(retries).unwrap_or(3),
        interval,
        repeats: u32::try_from(repeats).unwrap_or(1),
        pause: c.duration("sender.pause", raw.pause.as_deref(), "1h", 1),
        escalate_at: c.time("sender.escalate_at", raw.escalate_at.as_deref(), hm(7, 0)),
        attempt_timeout,
    }
}

fn source(c: &mut Checker, raw: &RawSource) -> Option<SourceConfig> {
    let location = match (&raw.file, &raw.url) {
        (Some(file), None) => c
            .path("sender.source.file", Some(file))
            .map(SourceLocation::File),
        (None, Some(url)) => values::http_url(url)
            .map_err(|e| c.err("sender.source.url", e))
            .ok()
            .map(SourceLocation::Url),
        (Some(_), Some(_)) => {
            c.err("sender.source", "give either `file` or `url`, not both");
            None
        }
        (None, None) => {
            c.err(
                "sender.source",
                "required: `file` (path of the inventory's CSV export) or `url` \
                 (http:// or https://)",
            );
            None
        }
    };
    let format = match raw.format.as_deref() {
        Some("csv") => Some(SourceFormat::Csv),
        Some("json") => Some(SourceFormat::Json),
        Some(other) => {
            c.err(
                "sender.source.format",
                format!("{other:?} is not a source format; expected \"csv\" or \"json\""),
            );
            None
        }
        None => match &location {
            Some(SourceLocation::Url(_)) => Some(SourceFormat::Json),
            Some(SourceLocation::File(path)) => {
                let ext = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase);
                match ext.as_deref() {
                    Some("csv") => Some(SourceFormat::Csv),
                    Some("json") => Some(SourceFormat::Json),
                    _ => {
                        c.err(
                            "sender.source.format",
                            "required: the file name does not end in .csv or .json; \
                             set format = \"csv\" or \"json\"",
                        );
                        None
                    }
                }
            }
            None => None,
        },
    };
    let timeout = c.duration("sender.source.timeout", raw.timeout.as_deref(), "30s", 1);
    Some(SourceConfig {
        location: location?,
        format: format?,
        timeout,
    })
}

/// The destinations; `tls`: whether `[sender.tls]` is there for `https://` ones.
fn destinations(
    c: &mut Checker,
    raw: Option<&[RawDestination]>,
    tls: bool,
    language: Language,
) -> Vec<Destination> {
    let Some(raw @ [_, ..]) = raw else {
        c.err(
            "sender.destination",
            "required: at least one [[sender.destination]] with name, url, \
             application_id and contact",
        );
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, d) in raw.iter().enumerate() {
        let key = |k: &str| format!("sender.destination[{i}].{k}");
        let name = match d.name.as_deref() {
            None => {
                c.err(
                    &key("name"),
                    "required: a unique name of letters, digits, '_' and '-'",
                );
                None
            }
            Some(n)
                if n.is_empty()
                    || n.len() > 64
                    || !n
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                c.err(
                    &key("name"),
                    format!(
                        "{n:?} is not a usable name; expected 1-64 letters, digits, '_' and '-'"
                    ),
                );
                None
            }
            Some(n) if !seen.insert(n) => {
                c.err(
                    &key("name"),
                    format!(
                        "{n:?} is already the name of another destination; names must be unique"
                    ),
                );
                None
            }
            Some(n) => Some(n.to_owned()),
        };
        let url = match d.url.as_deref() {
            None => {
                c.err(
                    &key("url"),
                    "required: the receiver's endpoint, e.g. \
                     \"https://dd-jgz.example/jgz/partijnummers\"",
                );
                None
            }
            Some(u) => values::http_url(u).map_err(|e| c.err(&key("url"), e)).ok(),
        };
        let insecure = d.insecure.unwrap_or(false);
        if let Some(u) = &url {
            if u.starts_with("https://") && !tls {
                c.err(
                    &key("url"),
                    "an https:// destination needs a [sender.tls] section: our client \
                     certificate and the roots to verify the receiver against",
                );
            }
            if u.starts_with("http://")
                && !insecure
                && !values::is_loopback_host(values::url_host(u))
            {
                c.err(
                    &key("url"),
                    format!(
                        "{u:?} is plain HTTP to a host that is not loopback: lot numbers \
                         would cross the network unencrypted and unauthenticated. Use \
                         https:// with [sender.tls], or set insecure = true on this \
                         destination to allow it explicitly"
                    ),
                );
            }
        }
        let application_id = c.application_id(
            &key("application_id"),
            d.application_id.as_deref(),
            "the receiver's AORTA application id",
        );
        let contact = match &d.contact {
            None => {
                c.err(
                    &key("contact"),
                    "required: the JGZ organisation's contact person, e.g. { name = \"J. \
                     Jansen\", email = \"j.jansen@ggd.example\" }",
                );
                None
            }
            Some(contact) => {
                let email = contact
                    .email
                    .as_deref()
                    .and_then(|e| c.email(&key("contact.email"), e));
                let bad_email = contact.email.is_some() && email.is_none();
                let made = Contact::new(contact.name.clone(), email);
                if made.is_none() && !bad_email {
                    c.err(&key("contact"), "needs a `name`, an `email`, or both");
                }
                made
            }
        };
        // "none" would silence rejections and escalations: not a choice here.
        let reports = c.reports(
            &key("reports"),
            d.reports.as_deref(),
            &[Reports::Problems, Reports::All, Reports::Daily],
        );
        let language = c.language(&key("language"), d.language.as_deref(), language);
        if let (Some(name), Some(url), Some(application_id), Some(contact)) =
            (name, url, application_id, contact)
        {
            out.push(Destination {
                name,
                url,
                application_id,
                contact,
                insecure,
                reports,
                language,
            });
        }
    }
    out
}

/// `[receiver]`; its `listen` address has been checked already.
pub(super) fn receiver(
    c: &mut Checker,
    raw: &RawReceiver,
    listen: SocketAddr,
    language: Language,
) -> Option<ReceiverConfig> {
    let insecure = raw.insecure.unwrap_or(false);
    let path = raw
        .path
        .clone()
        .unwrap_or_else(|| DEFAULT_RECEIVER_PATH.to_owned());
    if !path.starts_with('/')
        || path.contains(|ch: char| ch.is_whitespace() || ch.is_control() || ch == '?' || ch == '#')
    {
        c.err(
            "receiver.path",
            format!(
                "{path:?} is not an HTTP path; expected it to start with '/', e.g. \
                 \"{DEFAULT_RECEIVER_PATH}\", without spaces, '?' or '#'"
            ),
        );
    }
    let application_id = c.application_id(
        "receiver.application_id",
        raw.application_id.as_deref(),
        "our AORTA application id",
    );
    let partners = partners(c, raw.sender.as_deref(), language);
    let mut allowed_senders = match raw.allowed_senders.as_deref() {
        None | Some([]) if partners.is_empty() => {
            c.err(
                "receiver.allowed_senders",
                "required: the application ids of the senders we accept, e.g. [\"99999001\"] \
                 (or [[receiver.sender]] tables)",
            );
            Vec::new()
        }
        None => Vec::new(),
        Some(list) => {
            let mut ids = Vec::new();
            for (i, s) in list.iter().enumerate() {
                if let Some(id) =
                    c.application_id(&format!("receiver.allowed_senders[{i}]"), Some(s), "")
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
            ids
        }
    };
    let administrators = c.emails("receiver.administrators", raw.administrators.as_deref());
    let jgz_contact = raw
        .jgz_contact
        .as_deref()
        .and_then(|e| c.email("receiver.jgz_contact", e));
    let max_body = match raw.max_body.as_ref().map(values::size) {
        None => 8 * MIB,
        Some(Ok(n)) if (KIB..=256 * MIB).contains(&n) => n,
        Some(Ok(n)) => {
            c.err(
                "receiver.max_body",
                format!(
                    "{} is out of range; expected 1KiB to 256MiB",
                    values::format_size(n)
                ),
            );
            8 * MIB
        }
        Some(Err(e)) => {
            c.err("receiver.max_body", e);
            8 * MIB
        }
    };
    let fraction = raw.shrink_guard_fraction.unwrap_or(0.5);
    if !(0.0..=1.0).contains(&fraction) {
        c.err(
            "receiver.shrink_guard_fraction",
            format!("{fraction} is out of range; expected 0.0 (off) to 1.0"),
        );
    }
    let min_lots = c.int(
        "receiver.shrink_guard_min_lots",
        raw.shrink_guard_min_lots,
        10,
        0..=10_000_000,
    );
    let max_depth = c.int("receiver.max_depth", raw.max_depth, 64, 8..=1024);
    let max_connections = c.int(
        "receiver.max_connections",
        raw.max_connections,
        256,
        1..=100_000,
    );
    // The default cap, but never above the total.
    let per_address = c.int(
        "receiver.max_connections_per_address",
        raw.max_connections_per_address,
        32.min(max_connections),
        1..=100_000,
    );
    if per_address > max_connections {
        c.err(
            "receiver.max_connections_per_address",
            format!("{per_address} is more than receiver.max_connections ({max_connections})"),
        );
    }
    let history_limit = c.int(
        "receiver.history_limit",
        raw.history_limit,
        400,
        1..=100_000,
    );
    for partner in &partners {
        let listed = allowed_senders.contains(&partner.application_id);
        match partner.phase {
            Phase::Production if !listed => allowed_senders.push(partner.application_id.clone()),
            Phase::Connect if listed => c.err(
                "receiver.allowed_senders",
                format!(
                    "{} is in its connect phase ([[receiver.sender]] {:?}): its deliveries \
                     may not replace the set in place; remove it here, or set its phase to \
                     \"production\"",
                    partner.application_id, partner.name
                ),
            ),
            _ => {}
        }
    }
    let accepted: Vec<_> = allowed_senders
        .iter()
        .chain(partners.iter().map(|p| &p.application_id))
        .cloned()
        .collect();
    let as_usize = |n: i64| usize::try_from(n).unwrap_or(0);
    let tls = raw
        .tls
        .as_ref()
        .and_then(|t| super::tls::receiver(c, t, &accepted));
    Some(ReceiverConfig {
        listen,
        insecure,
        path,
        application_id: application_id?,
        allowed_senders,
        partners,
        administrators,
        jgz_contact,
        max_body,
        max_depth: as_usize(max_depth),
        header_timeout: c.duration(
            "receiver.header_timeout",
            raw.header_timeout.as_deref(),
            "10s",
            1,
        ),
        body_timeout: c.duration(
            "receiver.body_timeout",
            raw.body_timeout.as_deref(),
            "30s",
            1,
        ),
        max_connections: as_usize(max_connections),
        max_connections_per_address: as_usize(per_address),
        expect_by: c.time("receiver.expect_by", raw.expect_by.as_deref(), hm(7, 0)),
        report_at: c.time("receiver.report_at", raw.report_at.as_deref(), hm(8, 0)),
        shrink_guard: ShrinkGuard {
            fraction,
            min_lots: as_usize(min_lots),
        },
        duplicate_retention: c.duration(
            "receiver.duplicate_retention",
            raw.duplicate_retention.as_deref(),
            "30d",
            7 * 86_400,
        ),
        history_limit: as_usize(history_limit),
        tls,
    })
}

/// `[[receiver.sender]]`: each partner's application id (once), name, phase and contact.
fn partners(c: &mut Checker, raw: Option<&[RawPartner]>, language: Language) -> Vec<Partner> {
    let mut partners: Vec<Partner> = Vec::new();
    for (i, raw) in raw.unwrap_or_default().iter().enumerate() {
        let key = |field: &str| format!("receiver.sender[{i}].{field}");
        let id = c.application_id(
            &key("application_id"),
            raw.application_id.as_deref(),
            "the partner's AORTA application id",
        );
        let name = match raw.name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => {
                c.err(&key("name"), "required: the partner's name, for people");
                String::new()
            }
        };
        let phase = match raw.phase.as_deref() {
            Some("connect") => Some(Phase::Connect),
            Some("production") => Some(Phase::Production),
            Some(other) => {
                c.err(
                    &key("phase"),
                    format!("{other:?} is not a phase; expected \"connect\" or \"production\""),
                );
                None
            }
            None => {
                c.err(
                    &key("phase"),
                    "required: \"connect\" (a new partner: its deliveries go to a trial set) \
                     or \"production\"",
                );
                None
            }
        };
        // Optional; when given, every address must be one.
        let contact = match raw.contact.as_deref() {
            Some(list) if !list.is_empty() => c.emails(&key("contact"), Some(list)),
            _ => Vec::new(),
        };
        let language = c.language(&key("language"), raw.language.as_deref(), language);
        let reports = c.reports(
            &key("reports"),
            raw.reports.as_deref(),
            &[
                Reports::None,
                Reports::Problems,
                Reports::All,
                Reports::Daily,
            ],
        );
        let (Some(application_id), Some(phase)) = (id, phase) else {
            continue;
        };
        if partners.iter().any(|p| p.application_id == application_id) {
            c.err(
                &key("application_id"),
                format!("{application_id} is named by another [[receiver.sender]] as well"),
            );
            continue;
        }
        partners.push(Partner {
            application_id,
            name,
            phase,
            contact,
            language,
            reports,
        });
    }
    partners
}
