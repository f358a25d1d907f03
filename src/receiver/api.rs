//! The receiver's part of the admin listener (JSON): lookups for the record system, the
//! set in place, the history of import reports, and the quarantine.

use super::Receiver;
use super::lookup::{self, Found};
use super::watchdog;
use crate::api::{
    Assessment, ChangesView, HistoryAnswer, IssueView, LotAnswer, LotStatus, LotsAnswer,
    MessageIdView, QuarantineDiscarded, QuarantineList, QuarantineView, ReportView, SetAnswer,
    SetView, TrialAnswer, Unknown, UnknownLot, time,
};
use crate::http::{self, Query, Reply, json, percent_decode, text};
use crate::ids::MessageId;
use crate::language::{Language, Text};
use crate::store::{ImportReport, Outcome, StoreError, StoredSet};
use crate::strings::hex;
use crate::vaccine::VaccineCode;
use chrono::Utc;
use hyper::{Method, StatusCode};
use std::collections::BTreeMap;

/// Most lots one list request returns.
const MAX_LIST: usize = 1000;

/// Answers a request for `path` (with its query) when it is one of the receiver's;
/// `None` when the path is not the receiver's.
pub async fn handle(
    receiver: &Receiver,
    method: &Method,
    path: &str,
    query: Option<&str>,
) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let params = Query::parse(query);
    // `/api/v1/lots/../set` and the like: refused, never resolved.
    if let ["api", "v1", "lots", rest @ ..] = segments.as_slice()
        && rest.iter().any(|s| matches!(*s, "." | ".."))
    {
        return Some(bad_lookup(receiver, &dot_segment()));
    }
    let reply = match (method, segments.as_slice()) {
        (&Method::GET, ["api", "v1", "lots", lot]) => lot_by_number(receiver, lot, &params),
        (&Method::GET, ["api", "v1", "lots"]) => lots(receiver, &params),
        (&Method::GET, ["api", "v1", "set"]) => set(receiver),
        (&Method::GET, ["api", "v1", "history"]) => history(receiver, &params),
        (&Method::GET, ["api", "v1", "quarantine"]) => quarantine(receiver),
        (&Method::GET, ["api", "v1", "trial", sender]) => trial(receiver, &percent_decode(sender)),
        (&Method::POST, ["api", "v1", "quarantine", id, action]) => {
            quarantine_action(receiver, id, action).await
        }
        (
            _,
            ["api", "v1", "lots"]
            | ["api", "v1", "lots", _]
            | ["api", "v1", "set" | "history" | "quarantine"]
            | ["api", "v1", "trial", _],
        ) => http::method_not_allowed("GET"),
        (_, ["api", "v1", "quarantine", _, _]) => http::method_not_allowed("POST"),
        _ => return None,
    };
    Some(reply)
}

fn today(receiver: &Receiver) -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&receiver.inner.gateway.time_zone)
        .date_naive()
}

/// The `vaccine` parameter: `Err` when it is given but not a two-digit code.
fn vaccine(params: &Query) -> Result<Option<VaccineCode>, ()> {
    match params.get("vaccine") {
        None | Some("") => Ok(None),
        Some(code) => VaccineCode::parse(code).map(Some).map_err(|_| ()),
    }
}

/// A lookup or pick-list request that cannot be answered: `400` with `why`, counted as a
/// bad lookup.
fn bad_lookup(receiver: &Receiver, why: &Text) -> Reply {
    receiver.inner.metrics.lookup("bad_request");
    http::error(StatusCode::BAD_REQUEST, why.get(receiver.language()))
}

/// A `vaccine` that is not a code, for a lookup or the pick list.
fn bad_vaccine(receiver: &Receiver) -> Reply {
    bad_lookup(
        receiver,
        &Text::new(
            "vaccine moet een code van twee cijfers zijn",
            "vaccine must be a two-digit code",
        ),
    )
}

/// Why `.` and `..` are refused as lot numbers (also when they are path segments).
fn dot_segment() -> Text {
    Text::new(
        "`.` en `..` zijn geen partijnummers",
        "`.` and `..` are not lot numbers",
    )
}

/// The lot number asked for in a lookup's path segment (percent-encoded); `Err` with
/// why it cannot be one (not UTF-8, `.` or `..`, blank, too long, a control character).
fn asked_lot(segment: &str) -> Result<String, Text> {
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| {
            Text::new(
                "het partijnummer is geen UTF-8-tekst",
                "the lot number is not UTF-8 text",
            )
        })?;
    if matches!(decoded.trim(), "." | "..") {
        return Err(dot_segment());
    }
    match crate::lot::rules::read_lot_number(&decoded) {
        Ok(_) => Ok(decoded.into_owned()),
        Err((_, nl, en)) => Err(Text::new(nl, en)),
    }
}

fn lot_by_number(receiver: &Receiver, segment: &str, params: &Query) -> Reply {
    let metrics = &receiver.inner.metrics;
    let number = match asked_lot(segment) {
        Ok(number) => number,
        Err(why) => return bad_lookup(receiver, &why),
    };
    let Ok(vaccine) = vaccine(params) else {
        return bad_vaccine(receiver);
    };
    let snapshot = receiver.snapshot();
    let set_version = snapshot.version();
    let found = match &snapshot.set {
        Some(set) => lookup::find(
            set.lots(),
            &snapshot.index,
            &number,
            vaccine,
            today(receiver),
        ),
        None => Found::Unknown(Vec::new()),
    };
    match found {
        Found::Lot(lot, matched) => {
            metrics.lookup(match lot.status {
                LotStatus::Valid => "valid",
                LotStatus::Expired => "expired",
                LotStatus::OtherVaccine => "other_vaccine",
            });
            json(
                StatusCode::OK,
                &LotAnswer {
                    set_version,
                    lot,
                    matched,
                },
            )
        }
        Found::Unknown(suggestions) => {
            metrics.lookup("unknown");
            json(
                StatusCode::NOT_FOUND,
                &UnknownLot {
                    set_version,
                    lot: number,
                    status: Unknown::Unknown,
                    suggestions,
                },
            )
        }
    }
}

fn lots(receiver: &Receiver, params: &Query) -> Reply {
    let Ok(vaccine) = vaccine(params) else {
        return bad_vaccine(receiver);
    };
    let limit = params
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .min(MAX_LIST);
    let snapshot = receiver.snapshot();
    let lots = snapshot
        .set
        .as_ref()
        .map(|set| {
            lookup::list(
                set.lots(),
                &snapshot.index,
                params.get("prefix").unwrap_or(""),
                vaccine,
                today(receiver),
                limit,
            )
        })
        .unwrap_or_default();
    json(
        StatusCode::OK,
        &LotsAnswer {
            set_version: snapshot.version(),
            lots,
        },
    )
}

fn message_id(id: &MessageId) -> MessageIdView {
    MessageIdView {
        root: id.root().as_str().to_owned(),
        extension: id.extension().to_owned(),
    }
}

/// The set in place as the API shows it.
fn set_view(set: &StoredSet) -> SetView {
    let mut per_vaccine = BTreeMap::new();
    for lot in set.lots().lots() {
        *per_vaccine
            .entry(lot.vaccine.code().to_string())
            .or_insert(0usize) += 1;
    }
    SetView {
        message_id: message_id(&set.message_id),
        created: set.created.as_str().to_owned(),
        applied_at: time(set.applied_at),
        lots: set.lots().len(),
        per_vaccine,
        digest: hex(&set.digest()),
    }
}

fn set(receiver: &Receiver) -> Reply {
    set_answer(receiver, &receiver.snapshot())
}

/// The set in place with `stale` (true while the watchdog finds the set overdue or its
/// alert open) and `stale_reason`.
fn set_answer(receiver: &Receiver, snapshot: &super::Snapshot) -> Reply {
    match set_value(receiver, snapshot, Utc::now()) {
        Ok(answer) => json(StatusCode::OK, &answer),
        Err(e) => store_error(receiver, &e),
    }
}

/// [`set_answer`]'s value at `now`.
pub(super) fn set_value(
    receiver: &Receiver,
    snapshot: &super::Snapshot,
    now: chrono::DateTime<Utc>,
) -> Result<SetAnswer, StoreError> {
    let stale = receiver.stale(now)?;
    Ok(SetAnswer {
        set_version: snapshot.version(),
        set: snapshot.set.as_ref().map(set_view),
        stale: stale.is_some(),
        stale_reason: stale.map(|s| s.text(receiver.inner.gateway.language)),
    })
}

fn history(receiver: &Receiver, params: &Query) -> Reply {
    let limit = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(1000);
    match receiver.store().history(limit) {
        Ok(reports) => json(
            StatusCode::OK,
            &HistoryAnswer {
                history: reports.iter().map(report_view).collect(),
            },
        ),
        Err(e) => store_error(receiver, &e),
    }
}

/// An import report as the API shows it.
pub fn report_view(report: &ImportReport) -> ReportView {
    let outcome = match report.outcome {
        Outcome::Applied => "applied".to_owned(),
        Outcome::Rejected(ack) => format!("rejected {}", ack.as_str()),
        Outcome::Stale => "stale".to_owned(),
        Outcome::Quarantined(id) => format!("quarantined {id}"),
        Outcome::QuarantineAccepted(id) => format!("quarantine {id} accepted"),
        Outcome::QuarantineDiscarded(id) => format!("quarantine {id} discarded"),
    };
    let issues = |list: &[crate::store::ReportIssue]| {
        list.iter()
            .map(|i| IssueView {
                code: i.code.clone(),
                text: i.text.clone(),
                location: i.location.clone(),
            })
            .collect()
    };
    let changes = |c: &crate::store::LotChanges| ChangesView {
        total: c.total(),
        lots: c.numbers().iter().map(|n| n.as_str().to_owned()).collect(),
    };
    ReportView {
        sequence: report.sequence(),
        message_id: message_id(&report.message_id),
        received_at: time(report.received_at),
        outcome,
        set_version: report.set_version,
        lots: report.lots,
        per_vaccine: report
            .per_vaccine
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        added: changes(&report.added),
        removed: changes(&report.removed),
        warnings: issues(&report.warnings),
        errors: issues(&report.errors),
    }
}

/// A partner's trial: its last delivery in its connect phase and its trial set. 404 for
/// an id that is no `[[receiver.sender]]`.
fn trial(receiver: &Receiver, sender: &str) -> Reply {
    let language = receiver.language();
    let config = receiver.config();
    let partner = config
        .partners
        .iter()
        .find(|p| p.application_id.as_str() == sender);
    let Some(partner) = partner else {
        return http::error(
            StatusCode::NOT_FOUND,
            match language {
                Language::Nl => format!("geen [[receiver.sender]] met applicatie-id {sender:?}"),
                Language::En => format!("no [[receiver.sender]] has application id {sender:?}"),
            },
        );
    };
    match trial_answer(receiver, partner) {
        Ok(answer) => json(StatusCode::OK, &answer),
        Err(e) => store_error(receiver, &e),
    }
}

/// A partner with its phase, and its trial when it has one.
pub(super) fn trial_answer(
    receiver: &Receiver,
    partner: &crate::config::Partner,
) -> Result<TrialAnswer, StoreError> {
    let trial = receiver.store().trial(&partner.application_id)?;
    Ok(TrialAnswer {
        sender: partner.application_id.as_str().to_owned(),
        name: partner.name.clone(),
        phase: partner.phase.name().to_owned(),
        assessment: trial.as_ref().map(|t| match t.report.outcome {
            Outcome::Applied => Assessment::Positive,
            _ => Assessment::Negative,
        }),
        last: trial.as_ref().map(|t| report_view(&t.report)),
        set: trial.as_ref().and_then(|t| t.set.as_ref()).map(set_view),
    })
}

fn quarantine(receiver: &Receiver) -> Reply {
    match quarantine_views(receiver) {
        Ok(quarantine) => json(StatusCode::OK, &QuarantineList { quarantine }),
        Err(e) => store_error(receiver, &e),
    }
}

/// The quarantined sets as the API shows them, oldest first.
pub(super) fn quarantine_views(receiver: &Receiver) -> Result<Vec<QuarantineView>, StoreError> {
    Ok(receiver
        .store()
        .quarantined()?
        .iter()
        .map(|q| QuarantineView {
            id: q.id,
            message_id: message_id(&q.message_id),
            created: q.created.as_str().to_owned(),
            received_at: time(q.received_at),
            lots: q.lots,
            reason: q.reason.clone(),
        })
        .collect())
}

async fn quarantine_action(receiver: &Receiver, id: &str, action: &str) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        return http::error(
            StatusCode::BAD_REQUEST,
            receiver.language().pick(
                "het quarantainenummer moet een getal zijn",
                "the quarantine id must be a number",
            ),
        );
    };
    match action {
        "accept" => accept(receiver, id).await,
        "discard" => match receiver.store().discard_quarantined(id, &[]) {
            Ok(true) => json(StatusCode::OK, &QuarantineDiscarded { discarded: id }),
            Ok(false) => no_such_quarantine(receiver, id),
            Err(e) => store_error(receiver, &e),
        },
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

fn no_such_quarantine(receiver: &Receiver, id: u64) -> Reply {
    http::error(
        StatusCode::NOT_FOUND,
        match receiver.language() {
            Language::Nl => format!("er is geen set {id} in quarantaine"),
            Language::En => format!("no quarantined set {id}"),
        },
    )
}

/// Puts quarantined set `id` in place, one delivery at a time with the exchange and the
/// watchdog (the apply lock), resolving an open watchdog alert in the same transaction.
async fn accept(receiver: &Receiver, id: u64) -> Reply {
    let _turn = receiver.inner.apply.lock().await;
    let accepted = tokio::task::spawn_blocking({
        let receiver = receiver.clone();
        move || accept_blocking(&receiver, id)
    })
    .await;
    match accepted {
        Ok(Ok(Some((set, mails_queued)))) => {
            receiver.publish(set);
            if mails_queued {
                receiver.inner.mail_wake.notify_one();
            }
            set_answer(receiver, &receiver.snapshot())
        }
        Ok(Ok(None)) => no_such_quarantine(receiver, id),
        Ok(Err(e)) => store_error(receiver, &e),
        Err(_) => http::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            receiver.language().pick(
                "het accepteren van de set is mislukt",
                "accepting the set failed",
            ),
        ),
    }
}

fn accept_blocking(receiver: &Receiver, id: u64) -> Result<Option<(StoredSet, bool)>, StoreError> {
    let store = receiver.store();
    let now = Utc::now();
    let Some(candidate) = store.quarantined()?.into_iter().find(|q| q.id == id) else {
        return Ok(None);
    };
    let resolution = watchdog::resolution(
        receiver,
        &candidate.message_id,
        &candidate.created,
        candidate.lots,
        now,
    )?;
    let (mails, state) = watchdog::Resolution::parts(resolution.as_ref());
    Ok(store
        .accept_quarantined(id, now, mails, state)?
        .map(|set| (set, !mails.is_empty())))
}

fn store_error(receiver: &Receiver, e: &StoreError) -> Reply {
    if let StoreError::Stale { .. } = e {
        // The set in place is newer than the quarantined one: putting it back would go
        // back in time. Not a failure of the store; the administrator's call was wrong.
        return http::error(
            StatusCode::CONFLICT,
            receiver.language().pick(
                "de set in quarantaine is ouder dan de set die in gebruik is; verwerp hem",
                "the quarantined set is older than the set in place; discard it instead",
            ),
        );
    }
    http::store_unavailable("admin request failed", e, receiver.language())
}
