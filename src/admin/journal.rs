//! `/api/v1/journal`: both roles' journals as one, newest first, searched and paged;
//! an entry whole; the exact bytes kept with it. Entry ids carry the role: `s17` is
//! entry 17 of the sender's journal, `r40` entry 40 of the receiver's.
//!
//! Reading the parameters, the cursor and merging the roles' pages are pure; the
//! journals are read around them.

use super::Roles;
use crate::api::{
    EntryKind, JournalAudit, JournalBody, JournalDelivery, JournalEntryView, JournalPage,
    JournalReceived, RECEIVER_ENTRY, SENDER_ENTRY, time,
};
use crate::config::Role;
use crate::http::{self, Query, Reply, json, reply};
use crate::language::Language;
use crate::store::{JournalEntry, JournalFilter, JournalKind};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use hyper::{Method, StatusCode};

/// How many entries a page has when `limit` is not given, and at most.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 1000;

/// The parameters `GET /api/v1/journal` takes.
const LIST_PARAMETERS: [&str; 8] = [
    "kind",
    "destination",
    "since",
    "until",
    "outcome",
    "message_id",
    "limit",
    "cursor",
];

/// Answers a request for `path` when it is the journal's; `None` when it is not.
pub(super) fn handle(
    roles: &Roles,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let language = roles.language;
    let params = Query::parse(query);
    let reply = match (method, segments.as_slice()) {
        (&Method::GET, ["api", "v1", "journal"]) => {
            match ListQuery::parse(&params, roles.time_zone, language) {
                Ok(list) => page(roles, &list),
                Err(message) => http::error(StatusCode::BAD_REQUEST, message),
            }
        }
        (&Method::GET, ["api", "v1", "journal", id]) => {
            match only(&params, &[], language).and_then(|()| EntryId::parse(id, language)) {
                Ok(id) => entry(roles, id),
                Err(message) => http::error(StatusCode::BAD_REQUEST, message),
            }
        }
        (&Method::GET, ["api", "v1", "journal", id, which @ ("message" | "answer")]) => {
            let allowed: &[&str] = if *which == "answer" {
                &["attempt"]
            } else {
                &[]
            };
            let asked = only(&params, allowed, language)
                .and_then(|()| EntryId::parse(id, language))
                .and_then(|id| Ok((id, attempt(&params, language)?)));
            match asked {
                Ok((id, attempt)) => body(roles, id, *which == "message", attempt),
                Err(message) => http::error(StatusCode::BAD_REQUEST, message),
            }
        }
        (_, ["api", "v1", "journal"] | ["api", "v1", "journal", _])
        | (_, ["api", "v1", "journal", _, "message" | "answer"]) => http::method_not_allowed("GET"),
        _ => return None,
    };
    Some(reply)
}

/// An entry's id: the role whose journal holds it, and its number there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EntryId {
    role: Role,
    number: u64,
}

impl EntryId {
    fn parse(text: &str, language: Language) -> Result<Self, String> {
        let role = match text.get(..1) {
            Some(SENDER_ENTRY) => Role::Sender,
            Some(RECEIVER_ENTRY) => Role::Receiver,
            _ => None.ok_or_else(|| bad_id(text, language))?,
        };
        let number = text[1..].parse().map_err(|_| bad_id(text, language))?;
        Ok(Self { role, number })
    }

    fn show(self) -> String {
        format!("{}{}", prefix(self.role), self.number)
    }
}

fn prefix(role: Role) -> &'static str {
    match role {
        Role::Sender => SENDER_ENTRY,
        Role::Receiver => RECEIVER_ENTRY,
    }
}

fn bad_id(text: &str, language: Language) -> String {
    match language {
        Language::Nl => {
            format!("{text:?} is geen journaalnummer: s of r en een getal, zoals s17 of r40")
        }
        Language::En => {
            format!("{text:?} is not a journal entry id: s or r and a number, such as s17 or r40")
        }
    }
}

/// Refuses every parameter but `allowed`, naming the first one that is not.
fn only(params: &Query, allowed: &[&str], language: Language) -> Result<(), String> {
    match params.keys().find(|key| !allowed.contains(key)) {
        None => Ok(()),
        Some(key) => Err(match (language, allowed.is_empty()) {
            (Language::Nl, true) => {
                format!("onbekende parameter {key:?}; hier hoort geen parameter")
            }
            (Language::En, true) => format!("unknown parameter {key:?}; this takes none"),
            (Language::Nl, false) => format!(
                "onbekende parameter {key:?}; bekend zijn: {}",
                allowed.join(", ")
            ),
            (Language::En, false) => format!(
                "unknown parameter {key:?}; known are: {}",
                allowed.join(", ")
            ),
        }),
    }
}

/// The `attempt` parameter: which attempt's answer (the last one kept when `None`).
fn attempt(params: &Query, language: Language) -> Result<Option<u32>, String> {
    params
        .get("attempt")
        .map(|text| {
            text.parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| match language {
                    Language::Nl => format!("attempt {text:?} is geen pogingnummer (1, 2, …)"),
                    Language::En => format!("attempt {text:?} is not an attempt number (1, 2, …)"),
                })
        })
        .transpose()
}

/// `GET /api/v1/journal`, read.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ListQuery {
    filter: JournalFilter,
    limit: usize,
    /// Per role, the entry number to continue below; `None`: a role whose entries are
    /// all shown (only with a cursor).
    cursor: Option<Cursor>,
}

/// Where the next page starts, per role: `s<n>.r<m>` (a role left out has no more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Cursor {
    sender: Option<u64>,
    receiver: Option<u64>,
}

impl Cursor {
    fn parse(text: &str, language: Language) -> Result<Self, String> {
        let bad = || match language {
            Language::Nl => format!("cursor {text:?} komt niet van een eerdere pagina"),
            Language::En => format!("cursor {text:?} is not one a page gave"),
        };
        let mut cursor = Cursor::default();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let id = EntryId::parse(part, language).map_err(|_| bad())?;
            match id.role {
                Role::Sender => cursor.sender = Some(id.number),
                Role::Receiver => cursor.receiver = Some(id.number),
            }
        }
        if cursor == Cursor::default() {
            return Err(bad());
        }
        Ok(cursor)
    }

    fn show(self) -> Option<String> {
        let parts: Vec<String> = [(Role::Sender, self.sender), (Role::Receiver, self.receiver)]
            .into_iter()
            .filter_map(|(role, n)| n.map(|number| EntryId { role, number }.show()))
            .collect();
        (!parts.is_empty()).then(|| parts.join("."))
    }

    fn of(&self, role: Role) -> Option<u64> {
        match role {
            Role::Sender => self.sender,
            Role::Receiver => self.receiver,
        }
    }

    fn set(&mut self, role: Role, value: Option<u64>) {
        match role {
            Role::Sender => self.sender = value,
            Role::Receiver => self.receiver = value,
        }
    }
}

impl ListQuery {
    /// Reads the parameters; every problem names its parameter. Dates (`YYYY-MM-DD`)
    /// are local dates in `zone`, from their first moment; times are RFC 3339.
    pub(super) fn parse(params: &Query, zone: Tz, language: Language) -> Result<Self, String> {
        only(params, &LIST_PARAMETERS, language)?;
        let text = |key: &str| params.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
        let kind = match params.get("kind").filter(|v| !v.is_empty()) {
            None => None,
            Some(name) => Some(JournalKind::parse(name).ok_or_else(|| match language {
                Language::Nl => format!("kind {name:?} is geen soort: delivery, received of audit"),
                Language::En => format!("kind {name:?} is not a kind: delivery, received or audit"),
            })?),
        };
        let since = moment(params, "since", zone, language)?;
        let until = moment(params, "until", zone, language)?;
        let limit = match params.get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| match language {
                    Language::Nl => format!("limit {text:?} ligt niet tussen 1 en {MAX_LIMIT}"),
                    Language::En => format!("limit {text:?} is not between 1 and {MAX_LIMIT}"),
                })?,
        };
        let cursor = params
            .get("cursor")
            .map(|text| Cursor::parse(text, language))
            .transpose()?;
        Ok(Self {
            filter: JournalFilter {
                kind,
                destination: text("destination"),
                outcome: text("outcome"),
                message_id: text("message_id"),
                since,
                until,
            },
            limit,
            cursor,
        })
    }
}

/// A `since` or `until` parameter.
fn moment(
    params: &Query,
    key: &str,
    zone: Tz,
    language: Language,
) -> Result<Option<DateTime<Utc>>, String> {
    let Some(text) = params.get(key).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .and_then(|midnight| zone.from_local_datetime(&midnight).earliest())
        .map(|at| Some(at.with_timezone(&Utc)))
        .ok_or_else(|| match language {
            Language::Nl => {
                format!("{key} {text:?} is geen datum (JJJJ-MM-DD) of tijdstip (RFC 3339)")
            }
            Language::En => {
                format!("{key} {text:?} is not a date (YYYY-MM-DD) or a time (RFC 3339)")
            }
        })
}

/// Merges the roles' pages (each newest first) into one of at most `limit`, newest
/// first, and the cursor of the next page (`None` when every role is done). `fetched`
/// holds per role the entries read below its cursor, at most `limit`. Pure.
pub(super) fn merge(
    fetched: Vec<(Role, Vec<JournalEntry>)>,
    limit: usize,
) -> (Vec<(Role, JournalEntry)>, Option<Cursor>) {
    let mut heads: Vec<(Role, std::vec::IntoIter<JournalEntry>, usize)> = fetched
        .into_iter()
        .map(|(role, entries)| {
            let len = entries.len();
            (role, entries.into_iter(), len)
        })
        .collect();
    let mut peeked: Vec<Option<JournalEntry>> =
        heads.iter_mut().map(|(_, it, _)| it.next()).collect();
    let mut taken = vec![0usize; heads.len()];
    let mut last = vec![None; heads.len()];
    let mut page = Vec::new();
    while page.len() < limit {
        let newest = peeked
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i, e.at, e.id)))
            .max_by_key(|(_, at, id)| (*at, *id));
        let Some((i, _, _)) = newest else {
            break;
        };
        let entry = peeked[i].take().expect("just seen");
        last[i] = Some(entry.id);
        taken[i] += 1;
        page.push((heads[i].0, entry));
        peeked[i] = heads[i].1.next();
    }
    let mut cursor = Cursor::default();
    let mut more = false;
    for (i, (role, _, fetched)) in heads.iter().enumerate() {
        // Something is left of this role when not all it fetched was shown, or when it
        // fetched a whole page (there may be more below).
        if taken[i] < *fetched || *fetched >= limit {
            more = true;
            cursor.set(*role, Some(last[i].unwrap_or(u64::MAX)));
        }
    }
    (page, more.then_some(cursor))
}

/// The journals of the roles that run, with the number to read below in each; a role
/// the cursor says is done is left out.
fn page(roles: &Roles, query: &ListQuery) -> Reply {
    let mut fetched = Vec::new();
    for (role, journal) in &roles.journals {
        let before = match &query.cursor {
            None => None,
            Some(cursor) => match cursor.of(*role) {
                None => continue,
                Some(n) => Some(n),
            },
        };
        match journal.list(&query.filter, before, query.limit) {
            Ok(entries) => fetched.push((*role, entries)),
            Err(e) => return http::store_unavailable("journal", &e, roles.language),
        }
    }
    let (entries, next) = merge(fetched, query.limit);
    json(
        StatusCode::OK,
        &JournalPage {
            entries: entries
                .into_iter()
                .map(|(role, entry)| view(role, entry))
                .collect(),
            next_cursor: next.and_then(Cursor::show),
        },
    )
}

/// Entry `id` with the journal that holds it; `None` when there is no such entry (or
/// its role does not run here).
fn read(
    roles: &Roles,
    id: EntryId,
) -> Result<Option<(JournalEntry, &crate::store::Journal)>, crate::store::StoreError> {
    let Some((_, journal)) = roles.journals.iter().find(|(role, _)| *role == id.role) else {
        return Ok(None);
    };
    Ok(journal.get(id.number)?.map(|entry| (entry, journal)))
}

fn no_entry(roles: &Roles, id: EntryId) -> Reply {
    let id = id.show();
    http::error(
        StatusCode::NOT_FOUND,
        match roles.language {
            Language::Nl => format!("het journaal heeft geen {id}"),
            Language::En => format!("the journal has no {id}"),
        },
    )
}

fn entry(roles: &Roles, id: EntryId) -> Reply {
    match read(roles, id) {
        Ok(Some((entry, _))) => json(StatusCode::OK, &view(id.role, entry)),
        Ok(None) => no_entry(roles, id),
        Err(e) => http::store_unavailable("journal", &e, roles.language),
    }
}

/// The exact bytes of the message, or of an answer (to `attempt`, or the last one kept).
fn body(roles: &Roles, id: EntryId, message: bool, attempt: Option<u32>) -> Reply {
    let (entry, journal) = match read(roles, id) {
        Ok(Some(found)) => found,
        Ok(None) => return no_entry(roles, id),
        Err(e) => return http::store_unavailable("journal", &e, roles.language),
    };
    let part = if message {
        Some(0)
    } else {
        match attempt {
            Some(n) => entry.bodies.iter().map(|b| b.part).find(|p| *p == n),
            None => entry.bodies.iter().map(|b| b.part).filter(|p| *p > 0).max(),
        }
    };
    match part.map(|part| journal.body(id.number, part)) {
        Some(Ok(Some(bytes))) => reply(StatusCode::OK, "text/xml; charset=utf-8", bytes),
        Some(Err(e)) => http::store_unavailable("journal", &e, roles.language),
        None | Some(Ok(None)) => {
            let what = id.show();
            http::error(
                StatusCode::NOT_FOUND,
                match (roles.language, message) {
                    (Language::Nl, true) => format!("{what} heeft geen bericht"),
                    (Language::En, true) => format!("{what} has no message kept"),
                    (Language::Nl, false) => format!("{what} heeft dat antwoord niet"),
                    (Language::En, false) => format!("{what} has no such answer kept"),
                },
            )
        }
    }
}

/// An entry as the API shows it.
fn view(role: Role, entry: JournalEntry) -> JournalEntryView {
    let kind = match entry.kind {
        JournalKind::Delivery => EntryKind::Delivery,
        JournalKind::Received => EntryKind::Received,
        JournalKind::Audit => EntryKind::Audit,
    };
    let details = entry.details;
    let of = |wanted: EntryKind| kind == wanted;
    let delivery = of(EntryKind::Delivery)
        .then(|| serde_json::from_value::<JournalDelivery>(details.clone()).ok())
        .flatten();
    let received = of(EntryKind::Received)
        .then(|| serde_json::from_value::<JournalReceived>(details.clone()).ok())
        .flatten();
    let audit = of(EntryKind::Audit)
        .then(|| serde_json::from_value::<JournalAudit>(details).ok())
        .flatten();
    let bodies = entry
        .bodies
        .iter()
        .map(|b| JournalBody {
            name: match (b.part, kind) {
                (0, _) => "message".to_owned(),
                (_, EntryKind::Received) => "answer".to_owned(),
                (n, _) => format!("answer {n}"),
            },
            bytes: b.size,
            clipped: b.kept < b.size,
        })
        .collect();
    JournalEntryView {
        id: EntryId {
            role,
            number: entry.id,
        }
        .show(),
        kind,
        at: time(entry.at),
        last_at: time(entry.last_at),
        outcome: entry.outcome,
        destination: entry.destination,
        message_id: entry.message_id,
        delivery,
        received,
        audit,
        bodies,
    }
}

#[cfg(test)]
mod tests;
