//! Tests of the status page: the helpers (escaping, URLs, shell words, times, scales)
//! one by one, and whole pages rendered from hand-made overviews, checked for their
//! hooks, their words in each language, their escaping and their shape.

use super::clock::{Clock, Style};
use super::html::{esc, shell_word, url};
use super::svg::{self, Scale};
use super::words::Word;
use super::*;
use crate::api::{
    Assessment, AttemptView, CertificateDays, CertificateView, ChangesView, DeliveryView,
    DestinationOverview, DestinationStatus, IssueView, LotCount, MailCounts, MailList, MailView,
    MessageIdView, MessageView, NextNight, NightCell, NightResult, OutcomeView, PlannedSlot,
    QuarantineView, Readiness, ReadyStatus, ReceiverOverview, ReportView, SenderOverview,
    SetAnswer, SetView, StateView, TrialAnswer, TriggerView, WatchdogView,
};
use crate::language::assert_written_in;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// Sample overviews

/// A destination name with every character that needs escaping.
const HOSTILE_NAME: &str = "Zuid <script>alert(1)</script> \"West\" & 'Oost'";
/// A reason with a script and quotes.
const HOSTILE_REASON: &str =
    "<script>alert(1)</script> shrank from 10234 to 2500 \"lots\" & 'more'";
/// A mail subject with a script and quotes.
const HOSTILE_SUBJECT: &str = "Escalatie <script>alert(1)</script> \"GGD\" & 'x'";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn api(t: DateTime<Utc>) -> String {
    crate::api::time(t)
}

/// The default grid of a night starting at 01:00 UTC (02:00 in Amsterdam): the first
/// attempt and three retries ten minutes apart, an hour's pause, a repeat of three.
fn grid(start: DateTime<Utc>) -> Vec<PlannedSlot> {
    let mut slots = Vec::new();
    for position in 0..4 {
        slots.push(PlannedSlot {
            at: api(start + Duration::minutes(10 * i64::from(position))),
            pattern: 0,
            position,
        });
    }
    for position in 0..3 {
        slots.push(PlannedSlot {
            at: api(start + Duration::minutes(90 + 10 * i64::from(position))),
            pattern: 1,
            position,
        });
    }
    slots
}

fn attempt(t: &str, outcome: OutcomeView, detail: &str) -> AttemptView {
    AttemptView {
        at: t.to_owned(),
        outcome,
        detail: detail.to_owned(),
        answer_lost: false,
    }
}

/// 30 nights up to 2026-11-22: mostly first tries, a few of everything else.
fn nights(last: NightResult) -> Vec<NightCell> {
    let first = NaiveDate::from_ymd_opt(2026, 10, 24).unwrap_or_default();
    (0..30)
        .map(|i| {
            let result = match i {
                29 => last,
                0..=2 => NightResult::None,
                7 | 15 => NightResult::AfterRetries,
                10 => NightResult::Rejected,
                20 => NightResult::Escalated,
                21 => NightResult::Superseded,
                _ => NightResult::FirstTry,
            };
            NightCell {
                date: (first + Duration::days(i)).to_string(),
                result,
                journal: (result != NightResult::None).then(|| format!("s{}", 100 + i)),
            }
        })
        .collect()
}

fn delivered_destination() -> DestinationOverview {
    let start = at("2026-11-22T01:00:00Z");
    DestinationOverview {
        status: DestinationStatus {
            name: "GGD Amsterdam".to_owned(),
            url: "https://jgz.example.nl/lots".to_owned(),
            receiver: "2.16.840.1.113883.2.4.6.6.90000001".to_owned(),
            last_night: Some("2026-11-22".to_owned()),
            in_flight: false,
            delivery: Some(DeliveryView {
                id: 41,
                trigger: TriggerView::Nightly,
                night: Some("2026-11-22".to_owned()),
                state: StateView::Delivered,
                start: api(start),
                message: Some(MessageView {
                    id: "2.16.840.1.113883.2.4.3.11.999.1/20261122-0001".to_owned(),
                    created: "20261122015500".to_owned(),
                    sha256: "ab".repeat(32),
                    bytes: 812_345,
                    lots: 10_234,
                }),
                attempts: vec![
                    attempt(
                        "2026-11-22T01:00:02Z",
                        OutcomeView::Failed,
                        "HTTP 503 Service Unavailable",
                    ),
                    attempt(
                        "2026-11-22T01:10:01Z",
                        OutcomeView::Failed,
                        "timeout after 30 s\nconnection reset",
                    ),
                    attempt(
                        "2026-11-22T01:20:03Z",
                        OutcomeView::Delivered,
                        "CA\nacknowledgement 20261122-0001",
                    ),
                ],
                finished_at: Some("2026-11-22T01:20:05Z".to_owned()),
                escalate_at: Some("2026-11-22T06:00:00Z".to_owned()),
                escalated_at: None,
                escalation_open: false,
            }),
            next_attempt: None,
            exhausted: false,
        },
        grid: grid(start),
        nights: nights(NightResult::AfterRetries),
    }
}

fn pending_destination() -> DestinationOverview {
    let start = at("2026-11-22T01:00:00Z");
    let mut lost = attempt(
        "2026-11-22T01:20:00Z",
        OutcomeView::Interrupted,
        "gateway stopped",
    );
    lost.answer_lost = true;
    DestinationOverview {
        status: DestinationStatus {
            name: HOSTILE_NAME.to_owned(),
            url: "https://zuid.example.nl/lots?x=<b>".to_owned(),
            receiver: "2.16.840.1.113883.2.4.6.6.90000002".to_owned(),
            last_night: Some("2026-11-22".to_owned()),
            in_flight: true,
            delivery: Some(DeliveryView {
                id: 42,
                trigger: TriggerView::Nightly,
                night: Some("2026-11-22".to_owned()),
                state: StateView::Pending,
                start: api(start),
                message: Some(MessageView {
                    id: "2.16.840.1.113883.2.4.3.11.999.1/20261122-0002".to_owned(),
                    created: "20261122015500".to_owned(),
                    sha256: "cd".repeat(32),
                    bytes: 812_345,
                    lots: 10_234,
                }),
                attempts: vec![
                    attempt(
                        "2026-11-22T01:00:01Z",
                        OutcomeView::Failed,
                        "connection refused",
                    ),
                    attempt(
                        "2026-11-22T01:10:01Z",
                        OutcomeView::Failed,
                        "HTTP 500 <b>bold</b> & \"quoted\"",
                    ),
                    lost,
                    attempt("2026-11-22T01:30:01Z", OutcomeView::Failed, "HTTP 502"),
                    attempt("2026-11-22T02:30:01Z", OutcomeView::Failed, "HTTP 502"),
                    attempt("2026-11-22T02:40:01Z", OutcomeView::InFlight, ""),
                ],
                finished_at: None,
                escalate_at: Some("2026-11-22T06:00:00Z".to_owned()),
                escalated_at: None,
                escalation_open: true,
            }),
            next_attempt: Some("2026-11-22T02:50:00Z".to_owned()),
            exhausted: false,
        },
        grid: grid(start),
        nights: nights(NightResult::Pending),
    }
}

fn issue(code: &str, text: &str) -> IssueView {
    IssueView {
        code: code.to_owned(),
        text: text.to_owned(),
        location: "/PRMM_IN010043NL/controlActProcess/subject[3]".to_owned(),
    }
}

fn message_id(extension: &str) -> MessageIdView {
    MessageIdView {
        root: "2.16.840.1.113883.2.4.3.11.999.1".to_owned(),
        extension: extension.to_owned(),
    }
}

fn report(sequence: u64, outcome: &str, version: Option<u64>, lots: usize) -> ReportView {
    ReportView {
        sequence,
        message_id: message_id(&format!("20261122-{sequence:04}")),
        received_at: "2026-11-22T01:00:30Z".to_owned(),
        outcome: outcome.to_owned(),
        set_version: version,
        lots,
        per_vaccine: BTreeMap::new(),
        added: ChangesView {
            total: 12,
            lots: vec!["AB123".to_owned()],
        },
        removed: ChangesView {
            total: 3,
            lots: vec!["XY999".to_owned()],
        },
        warnings: vec![issue("lot.expired", "Partij AB123 is verlopen")],
        errors: Vec::new(),
    }
}

fn receiver() -> ReceiverOverview {
    let per_vaccine: BTreeMap<String, usize> = [("08", 5000), ("13", 4000), ("24", 1234)]
        .into_iter()
        .map(|(code, n)| (code.to_owned(), n))
        .collect();
    let first = at("2026-11-03T01:00:30Z");
    let lot_counts = (0..20)
        .map(|i| {
            let not_applied = i == 5 || i == 12;
            LotCount {
                received_at: api(first + Duration::days(i)),
                lots: if not_applied {
                    2500
                } else {
                    10_000 + 10 * i as usize
                },
                applied: !not_applied,
            }
        })
        .collect();
    let mut applied = report(20, "applied", Some(42), 10_234);
    applied
        .warnings
        .push(issue("lot.duplicate", "Partij CD456 staat er twee keer in"));
    let quarantined = report(19, "quarantined 7", None, 2500);
    let mut rejected = report(18, "rejected CE", None, 10_100);
    rejected.errors = (0..4)
        .map(|i| issue("vaccine.unknown", &format!("Onbekende vaccincode 9{i}")))
        .collect();
    rejected
        .warnings
        .extend((0..3).map(|i| issue("lot.expired", &format!("Partij E{i} is verlopen"))));
    ReceiverOverview {
        set: SetAnswer {
            set_version: 42,
            set: Some(SetView {
                message_id: message_id("20261122-0020"),
                created: "20261122015500".to_owned(),
                applied_at: "2026-11-22T01:00:30Z".to_owned(),
                lots: 10_234,
                per_vaccine,
                digest: "ef".repeat(32),
            }),
            stale: true,
            stale_reason: Some(format!("overdue: {HOSTILE_REASON}")),
        },
        watchdog: WatchdogView {
            expect_by: "06:00".to_owned(),
            next_check: "2026-11-22T05:00:00Z".to_owned(),
            alert_open: true,
            last_alert: Some("2026-11-20".to_owned()),
        },
        lot_counts,
        recent: vec![applied, quarantined, rejected],
        quarantine: vec![QuarantineView {
            id: 7,
            message_id: message_id("20261122-0019"),
            created: "20261122015500".to_owned(),
            received_at: "2026-11-22T01:00:30Z".to_owned(),
            lots: 2500,
            reason: HOSTILE_REASON.to_owned(),
        }],
        partners: vec![
            TrialAnswer {
                sender: "99999005".to_owned(),
                name: HOSTILE_NAME.to_owned(),
                phase: "connect".to_owned(),
                assessment: Some(Assessment::Negative),
                last: Some(report(3, "rejected CE", None, 12)),
                set: None,
            },
            TrialAnswer {
                sender: "99999006".to_owned(),
                name: "GGD Oost".to_owned(),
                phase: "production".to_owned(),
                assessment: None,
                last: None,
                set: None,
            },
        ],
    }
}

fn mail(id: &str, subject: &str) -> MailView {
    MailView {
        id: id.to_owned(),
        role: "sender".to_owned(),
        subject: subject.to_owned(),
        to: vec!["beheer@example.nl".to_owned(), "<x@y>".to_owned()],
        queued_at: "2026-11-22T01:30:00Z".to_owned(),
        tries: 3,
        last_try: Some("2026-11-22T02:30:00Z".to_owned()),
        last_error: Some("421 try again later\nserver busy".to_owned()),
        refused_since: None,
        dead_at: None,
        reason: None,
    }
}

fn certificate(name: &str, days_left: i64, expiring: bool) -> CertificateDays {
    CertificateDays {
        certificate: CertificateView {
            name: name.to_owned(),
            subject: "CN=lotgate.example.nl".to_owned(),
            not_after: api(at("2026-11-22T12:00:00Z") + Duration::days(days_left)),
            expiring,
        },
        days_left,
    }
}

/// A realistic overview of a gateway running both roles, half-way through a night.
fn sample() -> Overview {
    let mut dead = mail("m-2@lotgate", "Set verouderd");
    dead.role = "receiver".to_owned();
    dead.dead_at = Some("2026-11-21T09:00:00Z".to_owned());
    dead.reason = Some("550 mailbox unavailable".to_owned());
    Overview {
        now: "2026-11-22T02:41:30Z".to_owned(),
        time_zone: "Europe/Amsterdam".to_owned(),
        readiness: Readiness {
            status: ReadyStatus::Degraded,
            reason: Some(format!("escalated: {HOSTILE_NAME}; 1 dead letter")),
            receiver: None,
            stale: Some(true),
            sender: None,
            mail: MailCounts {
                pending: 1,
                dead: 1,
            },
            certificates: Vec::new(),
        },
        sender: Some(SenderOverview {
            now: "2026-11-22T02:41:30Z".to_owned(),
            next_night: NextNight {
                date: "2026-11-23".to_owned(),
                start: "2026-11-23T01:00:00Z".to_owned(),
            },
            destinations: vec![delivered_destination(), pending_destination()],
        }),
        receiver: Some(receiver()),
        mail: MailList {
            pending: vec![mail("m-1@lotgate", HOSTILE_SUBJECT)],
            dead: vec![dead],
        },
        certificates: vec![
            certificate("admin.tls.certificate", 200, false),
            certificate("receiver.tls.certificate", 12, true),
        ],
    }
}

/// An overview with nothing in it yet: both roles running, no delivery, no set, no
/// history.
fn empty() -> Overview {
    let mut overview = sample();
    if let Some(sender) = &mut overview.sender {
        for destination in &mut sender.destinations {
            destination.status.delivery = None;
            destination.status.last_night = None;
            destination.status.in_flight = false;
            destination.status.next_attempt = None;
            destination.grid.clear();
            destination.nights.clear();
        }
    }
    overview.receiver = Some(ReceiverOverview {
        set: SetAnswer {
            set_version: 0,
            set: None,
            stale: false,
            stale_reason: None,
        },
        watchdog: WatchdogView {
            expect_by: "06:00".to_owned(),
            next_check: "2026-11-22T05:00:00Z".to_owned(),
            alert_open: false,
            last_alert: None,
        },
        lot_counts: Vec::new(),
        recent: Vec::new(),
        quarantine: Vec::new(),
        partners: Vec::new(),
    });
    overview.mail = MailList::default();
    overview.certificates.clear();
    overview.readiness.status = ReadyStatus::Ready;
    overview.readiness.reason = None;
    overview
}

// ---------------------------------------------------------------------------------------
// Reading the output

/// The values of attribute `name` in `html`, in order.
fn attrs<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The part of `html` from `start` to the first `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in the page"));
    let rest = &html[from..];
    let to = rest.find(end).map_or(rest.len(), |e| e + end.len());
    &rest[..to]
}

/// Each destination's section, in order.
fn destinations(html: &str) -> Vec<&str> {
    html.split("<section class=\"destination\"")
        .skip(1)
        .map(|part| part.find("</section>").map_or(part, |end| &part[..end]))
        .collect()
}

/// Checks that the elements of `html` nest properly (the `<style>` skipped): every
/// opened element is closed, in order. Void HTML elements and `/>` need no closing.
fn assert_well_formed(html: &str) {
    const VOID: [&str; 5] = ["meta", "br", "link", "img", "wbr"];
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        if rest.starts_with("<style>") {
            let end = rest.find("</style>").expect("the style ends");
            rest = &rest[end + "</style>".len()..];
            continue;
        }
        let close = rest.find('>').expect("every tag ends");
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "a bad tag <{tag}>"
        );
        if tag.starts_with('/') {
            let open = stack.pop();
            assert_eq!(open, Some(name), "</{name}> closes {open:?}");
        } else if !VOID.contains(&name) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "never closed: {stack:?}");
}

// ---------------------------------------------------------------------------------------
// Helpers

#[test]
fn escaping_covers_every_special_character() {
    assert_eq!(
        esc("<script>alert(\"x\") & 'y'</script>").to_string(),
        "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
    );
    assert_eq!(esc("plain é ✓").to_string(), "plain é ✓");
    assert_eq!(esc("a\0b").to_string(), "a\u{FFFD}b");
    assert_eq!(esc("").to_string(), "");
    assert_eq!(
        esc("&amp;").to_string(),
        "&amp;amp;",
        "escaped again, not trusted"
    );
}

#[test]
fn url_components_are_percent_encoded() {
    assert_eq!(
        url("a b/c?d&e=é\"<").to_string(),
        "a%20b%2Fc%3Fd%26e%3D%C3%A9%22%3C"
    );
    assert_eq!(url("GGD-Amsterdam_1.x~").to_string(), "GGD-Amsterdam_1.x~");
    assert_eq!(
        url(HOSTILE_NAME).to_string(),
        "Zuid%20%3Cscript%3Ealert%281%29%3C%2Fscript%3E%20%22West%22%20%26%20%27Oost%27"
    );
}

#[test]
fn shell_words_are_quoted_when_needed() {
    assert_eq!(shell_word("m-1@lotgate").to_string(), "m-1@lotgate");
    assert_eq!(shell_word("a b").to_string(), "'a b'");
    assert_eq!(shell_word("it's; rm -rf").to_string(), "'it'\\''s; rm -rf'");
    assert_eq!(shell_word("$(x)").to_string(), "'$(x)'");
    assert_eq!(shell_word("").to_string(), "''");
}

#[test]
fn times_are_shown_in_the_local_zone() {
    let clock = Clock::new("Europe/Amsterdam", "2026-11-22T02:41:30Z");
    let t = "2026-11-22T01:00:00Z";
    assert_eq!(clock.show(t, Style::TimeOfDay).to_string(), "02:00");
    assert_eq!(clock.show(t, Style::Full).to_string(), "2026-11-22 02:00");
    assert_eq!(clock.show(t, Style::Short).to_string(), "02:00");
    assert_eq!(
        clock.show("2026-11-21T01:00:05Z", Style::Short).to_string(),
        "2026-11-21 02:00",
        "another day shows its date"
    );
    assert_eq!(
        clock
            .show("2026-11-22T01:00:05Z", Style::Seconds)
            .to_string(),
        "2026-11-22 02:00:05"
    );
    // Summer time: UTC+2.
    assert_eq!(
        clock.show("2026-06-10T00:30:00Z", Style::Full).to_string(),
        "2026-06-10 02:30"
    );
    // Just after midnight UTC is the same local date; 23:30 UTC is the next.
    assert_eq!(
        clock.show("2026-11-21T23:30:00Z", Style::Short).to_string(),
        "00:30"
    );
    assert_eq!(
        clock.element(t, Style::TimeOfDay).to_string(),
        "<time datetime=\"2026-11-22T01:00:00Z\">02:00</time>"
    );
    // An HL7 creation time is local already.
    assert_eq!(
        clock.created("20261122015500").to_string(),
        "2026-11-22 01:55:00"
    );
}

#[test]
fn a_string_that_is_not_a_time_is_shown_as_it_is() {
    let clock = Clock::new("Europe/Amsterdam", "not a time either");
    for raw in ["", "yesterday", "2026-13-45T99:00:00Z", "<b>&'\"", "💥"] {
        let shown = clock.show(raw, Style::Short).to_string();
        assert_eq!(shown, esc(raw).to_string());
        assert_eq!(clock.element(raw, Style::Full).to_string(), shown);
        assert_eq!(clock.created(raw).to_string(), shown);
    }
    assert!(clock.now().is_none());
}

#[test]
fn an_unknown_zone_falls_back_to_utc() {
    let clock = Clock::new("Mars/Olympus_Mons", "2026-11-22T02:41:30Z");
    assert_eq!(clock.zone_name(), "UTC");
    assert_eq!(
        clock
            .show("2026-11-22T01:00:00Z", Style::TimeOfDay)
            .to_string(),
        "01:00"
    );
}

#[test]
fn the_scale_maps_linearly() {
    let scale = Scale::new((0.0, 100.0), (40.0, 880.0));
    assert_eq!(scale.at(0.0), 40.0);
    assert_eq!(scale.at(100.0), 880.0);
    assert_eq!(scale.at(50.0), 460.0);
    assert_eq!(
        scale.at(150.0),
        1300.0,
        "outside the domain, outside the range"
    );
    assert!(scale.contains(0.0) && scale.contains(100.0) && !scale.contains(100.5));
    // Downwards, as the y axis of the chart.
    let y = Scale::new((10.0, 20.0), (270.0, 20.0));
    assert_eq!(y.at(10.0), 270.0);
    assert_eq!(y.at(15.0), 145.0);
    // An empty domain maps onto the middle.
    assert_eq!(Scale::new((5.0, 5.0), (0.0, 100.0)).at(5.0), 50.0);
}

#[test]
fn times_map_onto_the_timeline() {
    // 02:00 to 07:00 in Amsterdam; 04:30 falls in the middle.
    let (start, end) = (at("2026-11-22T01:00:00Z"), at("2026-11-22T06:00:00Z"));
    let seconds = |t: DateTime<Utc>| t.timestamp() as f64;
    let scale = Scale::new((seconds(start), seconds(end)), (40.0, 880.0));
    assert_eq!(scale.at(seconds(at("2026-11-22T03:30:00Z"))), 460.0);
    assert_eq!(scale.at(seconds(at("2026-11-22T01:10:00Z"))), 68.0);
    // Without an escalation the axis ends a tenth of the span after the last slot, and
    // at least ten minutes.
    assert_eq!(
        svg::end_without_escalation(start, at("2026-11-22T02:50:00Z")),
        at("2026-11-22T03:01:00Z")
    );
    assert_eq!(
        svg::end_without_escalation(start, start),
        at("2026-11-22T01:10:00Z")
    );
}

#[test]
fn markers_that_would_overlap_go_to_other_lanes() {
    assert_eq!(svg::lanes(&[0.0, 100.0, 200.0], 24.0, 3), [0, 0, 0]);
    assert_eq!(svg::lanes(&[0.0, 10.0, 20.0, 30.0], 24.0, 3), [0, 1, 2, 0]);
    // More than fit: the lane whose last marker is farthest left.
    assert_eq!(svg::lanes(&[0.0, 1.0, 2.0, 3.0], 24.0, 3), [0, 1, 2, 0]);
    assert_eq!(svg::lanes(&[], 24.0, 3), Vec::<usize>::new());
    assert_eq!(
        svg::lanes(&[0.0, 1.0], 24.0, 0),
        [0, 0],
        "at least one lane"
    );
}

#[test]
fn the_chart_scale_spans_the_counts() {
    let point = |lots| LotCount {
        received_at: String::new(),
        lots,
        applied: true,
    };
    let (scale, low, high) = svg::chart_y(&[point(100), point(300), point(200)]);
    assert_eq!((low, high), (100, 300));
    assert_eq!(scale.at(100.0), 220.0);
    assert_eq!(scale.at(300.0), 20.0);
    let (_, low, high) = svg::chart_y(&[point(7), point(7)]);
    assert_eq!((low, high), (7, 8), "equal counts still make a scale");
}

#[test]
fn every_word_is_written_in_both_languages() {
    let mut dutch = String::new();
    let mut english = String::new();
    for word in Word::ALL {
        let (nl, en) = (word.get(Language::Nl), word.get(Language::En));
        assert!(!nl.is_empty() && !en.is_empty(), "{word:?}");
        dutch.push_str(nl);
        dutch.push('\n');
        english.push_str(en);
        english.push('\n');
    }
    assert_written_in(&dutch, Language::Nl);
    assert_written_in(&english, Language::En);
    let differ = Word::ALL
        .iter()
        .filter(|w| w.get(Language::Nl) != w.get(Language::En))
        .count();
    assert!(
        differ > Word::ALL.len() * 9 / 10,
        "{differ} of {}",
        Word::ALL.len()
    );
}

// ---------------------------------------------------------------------------------------
// Whole pages

#[test]
fn the_page_is_a_whole_standalone_document() {
    let html = render(&sample(), Language::Nl);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"nl\">"));
    for needle in [
        "<meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<meta http-equiv=\"refresh\" content=\"30\">",
        "<title>lotgate – overzicht</title>",
        "<style>",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    // No outside assets and no script.
    for needle in ["<script", "<link", " src=", "http://", "@import", "url("] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
    assert!(html.ends_with("</html>\n"));
    assert!(render(&sample(), Language::En).starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
}

#[test]
fn the_page_is_well_formed() {
    for overview in [sample(), empty()] {
        for language in Language::ALL {
            let html = render(&overview, language);
            assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
            assert_eq!(
                html.matches("<section").count(),
                html.matches("</section>").count()
            );
            assert_well_formed(&html);
        }
    }
    let html = render(&sample(), Language::En);
    assert_eq!(
        html.matches("<svg").count(),
        3,
        "two timelines and the chart"
    );
}

#[test]
fn the_header_shows_the_readiness_and_when_it_was_made() {
    let html = render(&sample(), Language::Nl);
    let header = between(&html, "<header", "</header>");
    assert!(header.contains("<h1>lotgate</h1>"));
    assert!(header.contains("id=\"readiness\" class=\"readiness\" data-state=\"degraded\""));
    assert!(header.contains("Aandacht nodig"));
    assert!(header.contains(
        "<li>escalated: Zuid &lt;script&gt;alert(1)&lt;/script&gt; &quot;West&quot; &amp; &#39;Oost&#39;</li><li>1 dead letter</li>"
    ));
    assert!(header.contains(
        "<span id=\"generated\"><time datetime=\"2026-11-22T02:41:30Z\">2026-11-22 03:41</time></span>"
    ));
    assert!(header.contains("Europe/Amsterdam"));

    let mut ready = sample();
    ready.readiness.status = ReadyStatus::Ready;
    ready.readiness.reason = None;
    let html = render(&ready, Language::En);
    assert!(html.contains("data-state=\"ready\""));
    assert!(html.contains("<strong>Ready</strong>"));
    assert!(!html.contains("class=\"reasons\""));
    ready.readiness.status = ReadyStatus::Unavailable;
    assert!(render(&ready, Language::En).contains("data-state=\"unavailable\""));
}

#[test]
fn each_destination_has_its_section_state_and_facts() {
    let html = render(&sample(), Language::En);
    let sender = between(&html, "<section id=\"sender\"", "<section id=\"receiver\"");
    assert!(sender.contains("<h2>Deliveries</h2>"));
    assert!(sender.contains(
        "Next night: <strong>2026-11-23</strong>, starts <time datetime=\"2026-11-23T01:00:00Z\">2026-11-23 02:00</time>"
    ));
    assert_eq!(
        attrs(&html, "data-destination"),
        [
            "GGD Amsterdam",
            "Zuid &lt;script&gt;alert(1)&lt;/script&gt; &quot;West&quot; &amp; &#39;Oost&#39;"
        ]
    );
    let [delivered, pending] = destinations(&html)[..] else {
        panic!("two destinations");
    };
    assert!(delivered.contains("class=\"state\" data-state=\"delivered\""));
    assert!(delivered.contains("data-in-flight=\"false\" data-escalation-open=\"false\""));
    assert!(delivered.contains("<code class=\"url\">https://jgz.example.nl/lots</code>"));
    assert!(delivered.contains("2.16.840.1.113883.2.4.6.6.90000001"));
    assert!(delivered.contains("#41 · nightly (2026-11-22)"));
    assert!(delivered.contains(
        "<code>2.16.840.1.113883.2.4.3.11.999.1/20261122-0001</code> · 10234 lot numbers · 812345 bytes"
    ));
    assert!(delivered.contains("class=\"next-attempt\">–</dd>"));
    assert!(
        delivered
            .contains("class=\"escalate-at\"><time datetime=\"2026-11-22T06:00:00Z\">07:00</time>")
    );
    assert!(!delivered.contains("escalation-open\""));

    assert!(pending.contains("class=\"state\" data-state=\"pending\""));
    assert!(pending.contains("data-in-flight=\"true\" data-escalation-open=\"true\""));
    assert!(pending.contains("<span class=\"badge in-flight\">… Attempt in flight</span>"));
    assert!(pending.contains("class=\"warning escalation-open\">⚠ Escalation open"));
    assert!(
        pending.contains(
            "class=\"next-attempt\"><time datetime=\"2026-11-22T02:50:00Z\">03:50</time>"
        )
    );
    assert!(pending.contains("https://zuid.example.nl/lots?x=&lt;b&gt;"));

    let mut exhausted = sample();
    if let Some(sender) = &mut exhausted.sender {
        sender.destinations[1].status.next_attempt = None;
        sender.destinations[1].status.exhausted = true;
    }
    let html = render(&exhausted, Language::Nl);
    assert!(
        html.contains(
            "class=\"next-attempt\"><span class=\"exhausted\">alle pogingen gedaan</span>"
        )
    );
}

#[test]
fn the_timeline_shows_slots_pause_escalation_now_and_attempts() {
    let html = render(&sample(), Language::En);
    let [delivered, pending] = destinations(&html)[..] else {
        panic!("two destinations");
    };
    let timeline = between(delivered, "<svg class=\"timeline\"", "</svg>");
    assert!(timeline.contains("viewBox=\"0 0 1000 340\""));
    assert!(!timeline.contains(" width=\"1000"), "no fixed width");
    assert_eq!(timeline.matches("<g class=\"slot\"").count(), 7);
    assert_eq!(
        attrs(timeline, "data-pattern"),
        ["0", "0", "0", "0", "1", "1", "1"]
    );
    for label in [
        "02:00 first attempt",
        "02:10 retry 1",
        "02:30 retry 3",
        "03:30 repeat 1",
        "03:50 repeat 3",
    ] {
        assert!(timeline.contains(label), "{label}");
    }
    // The slot at 02:00 lies at the left end, the pause spans 02:30 to 03:30.
    assert!(timeline.contains("<line x1=\"40.0\" y1=\"191.0\" x2=\"40.0\""));
    let pause = between(timeline, "<g class=\"pause\">", "</g>");
    assert!(pause.contains("<title>pause 02:30 – 03:30</title>"));
    assert!(pause.contains(">pause</text>"));
    let escalation = between(timeline, "<g class=\"escalation\">", "</g>");
    assert!(escalation.contains("<title>Escalation 2026-11-22 07:00</title>"));
    assert!(
        escalation.contains("x1=\"880.0\""),
        "07:00 is the right end"
    );
    assert!(escalation.contains("⚠ Escalation 07:00"));
    let now = between(timeline, "<g class=\"now\">", "</g>");
    assert!(now.contains("now 03:41"));
    assert_eq!(
        attrs(timeline, "data-outcome"),
        ["failed", "failed", "delivered"]
    );
    assert!(timeline.contains(
        "<g class=\"attempt\" data-outcome=\"failed\" transform=\"translate(40.1 236.0)\">\
         <title>2026-11-22 02:00:02 — ! failed\nHTTP 503 Service Unavailable</title>"
    ));
    assert!(timeline.contains("<title>2026-11-22 02:20:03 — ✓ delivered\nCA\nacknowledgement"));

    let timeline = between(pending, "<svg class=\"timeline\"", "</svg>");
    assert_eq!(
        attrs(timeline, "data-outcome"),
        [
            "failed",
            "failed",
            "interrupted",
            "failed",
            "failed",
            "in flight"
        ]
    );
    assert!(timeline.contains("⚠ answer lost"));
    assert!(timeline.contains("HTTP 500 &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"));

    let html = render(&sample(), Language::Nl);
    for label in [
        "02:00 eerste poging",
        "02:10 nieuwe poging 1",
        "03:30 herhaling 1",
        ">pauze</text>",
        "⚠ Escalatie 07:00",
        "nu 03:41",
    ] {
        assert!(html.contains(label), "{label}");
    }
}

#[test]
fn a_timeline_without_escalation_or_now_still_draws() {
    let mut overview = sample();
    overview.now = "2026-11-23T12:00:00Z".to_owned();
    if let Some(sender) = &mut overview.sender {
        for destination in &mut sender.destinations {
            if let Some(delivery) = &mut destination.status.delivery {
                delivery.escalate_at = None;
            }
        }
    }
    let html = render(&overview, Language::En);
    assert_eq!(html.matches("<g class=\"escalation\">").count(), 0);
    assert_eq!(
        html.matches("<g class=\"now\">").count(),
        0,
        "now is out of range"
    );
    assert!(html.contains("never (a night from before the installation)"));
    assert_eq!(html.matches("<g class=\"slot\"").count(), 14);
}

#[test]
fn the_attempts_are_also_a_table() {
    let html = render(&sample(), Language::En);
    let [delivered, pending] = destinations(&html)[..] else {
        panic!("two destinations");
    };
    let table = between(delivered, "<table class=\"attempts\">", "</table>");
    assert_eq!(table.matches("<tr class=\"attempt-row\">").count(), 3);
    assert!(table.contains("<caption>Attempts</caption>"));
    assert!(table.contains(
        "<td><time datetime=\"2026-11-22T01:00:02Z\">02:00</time></td><td><span class=\"outcome o-failed\"><span aria-hidden=\"true\">!</span> failed</span></td>"
    ));
    assert!(table.contains("<td class=\"detail\">timeout after 30 s\nconnection reset</td>"));
    assert!(table.contains("<span aria-hidden=\"true\">✓</span> delivered"));
    let table = between(pending, "<table class=\"attempts\">", "</table>");
    assert_eq!(table.matches("<tr class=\"attempt-row\">").count(), 6);
    assert!(table.contains("o-in-flight\"><span aria-hidden=\"true\">…</span> in flight"));
    assert!(table.contains("⚠</span> interrupted (gateway stopped)"));
    assert!(table.contains("class=\"warning answer-lost\""));
}

#[test]
fn the_nights_strip_has_thirty_cells_and_a_legend() {
    let html = render(&sample(), Language::En);
    let [delivered, pending] = destinations(&html)[..] else {
        panic!("two destinations");
    };
    let strip = between(delivered, "<ol class=\"nights\">", "</ol>");
    let results = attrs(strip, "data-result");
    assert_eq!(results.len(), 30);
    assert_eq!(strip.matches("<li class=\"night\"").count(), 30);
    assert_eq!(&results[..3], ["none", "none", "none"]);
    assert_eq!(results[3], "first_try");
    assert_eq!(results[7], "after_retries");
    assert_eq!(results[10], "rejected");
    assert_eq!(results[20], "escalated");
    assert_eq!(results[21], "superseded");
    assert_eq!(results[29], "after_retries");
    assert!(strip.contains(
        "<li class=\"night\" data-result=\"first_try\" data-date=\"2026-10-27\" title=\"2026-10-27: delivered at the first attempt\"><a href=\"/api/v1/journal/s103\""
    ));
    assert!(strip.contains(
        "<span class=\"sym\" aria-hidden=\"true\">↻</span><span class=\"day\">31</span>"
    ));
    assert!(strip.contains(
        "<li class=\"night\" data-result=\"none\" data-date=\"2026-10-24\" title=\"2026-10-24: no delivery\"><span class=\"cell\">"
    ));
    let legend = between(delivered, "<ul class=\"legend\"", "</ul>");
    for (symbol, words) in [
        ("✓", "delivered at the first attempt"),
        ("↻", "delivered after retries"),
        ("✗", "rejected"),
        ("⚠", "escalated: not delivered in time"),
        ("…", "pending"),
        ("–", "no delivery"),
    ] {
        assert!(
            legend.contains(&format!("{symbol}</span> {words}</li>")),
            "{words}"
        );
    }
    let results = attrs(
        between(pending, "<ol class=\"nights\">", "</ol>"),
        "data-result",
    );
    assert_eq!(results.last(), Some(&"pending"));
}

#[test]
fn each_destination_links_to_its_journal() {
    let html = render(&sample(), Language::Nl);
    assert!(html.contains(
        "<a class=\"journal-link\" href=\"/api/v1/journal?kind=delivery&amp;destination=GGD%20Amsterdam\">Journaal van deze bestemming</a>"
    ));
    assert!(html.contains(
        "href=\"/api/v1/journal?kind=delivery&amp;destination=Zuid%20%3Cscript%3Ealert%281%29%3C%2Fscript%3E%20%22West%22%20%26%20%27Oost%27\""
    ));
}

#[test]
fn the_receiver_shows_the_set_its_counts_and_staleness() {
    let html = render(&sample(), Language::Nl);
    let set = between(&html, "<section id=\"set\">", "</section>");
    assert!(set.contains("<h3>Set in gebruik</h3>"));
    assert!(set.contains(
        "id=\"set-version\" class=\"big\" data-version=\"42\">Versie <strong>42</strong>"
    ));
    assert!(set.contains(
        "<code class=\"message-id\">2.16.840.1.113883.2.4.3.11.999.1/<wbr>20261122-0020</code>"
    ));
    assert!(set.contains("<dt>Aangemaakt</dt><dd>2026-11-22 01:55:00</dd>"));
    assert!(set.contains(
        "<dt>Toegepast</dt><dd><time datetime=\"2026-11-22T01:00:30Z\">02:00</time></dd>"
    ));
    assert!(set.contains("id=\"set-lots\" data-lots=\"10234\""));
    let counts = between(set, "<table id=\"set-counts\">", "</table>");
    assert_eq!(attrs(counts, "data-vaccine"), ["08", "13", "24"]);
    for (code, count) in [("08", 5000), ("13", 4000), ("24", 1234)] {
        assert!(counts.contains(&format!(
            "<tr data-vaccine=\"{code}\"><td class=\"code\">{code}</td><td class=\"count\">{count}</td></tr>"
        )));
    }
    assert!(set.contains("id=\"stale\" class=\"warning\" data-stale=\"true\">⚠ <strong>Verouderd</strong>: overdue: &lt;script&gt;"));
    let watchdog = between(&html, "<section id=\"watchdog\"", "</section>");
    assert!(watchdog.contains("data-alert-open=\"true\""));
    assert!(watchdog.contains("<dt>Verwacht vóór</dt><dd>06:00</dd>"));
    assert!(watchdog.contains("<time datetime=\"2026-11-22T05:00:00Z\">06:00</time>"));
    assert!(watchdog.contains("Laatste waarschuwing: 2026-11-20"));
}

#[test]
fn the_lot_chart_has_a_point_per_delivery() {
    let html = render(&sample(), Language::En);
    let chart = between(&html, "<svg id=\"lot-chart\"", "</svg>");
    assert!(chart.contains("viewBox=\"0 0 1000 270\""));
    assert!(chart.contains("data-points=\"20\""));
    assert_eq!(chart.matches("class=\"point ").count(), 20);
    assert_eq!(
        attrs(chart, "data-applied")
            .iter()
            .filter(|a| **a == "false")
            .count(),
        2
    );
    assert_eq!(chart.matches("class=\"point not-applied\"").count(), 2);
    // The axis: the smallest and largest count, the first and last date.
    assert!(chart.contains("text-anchor=\"end\">10190</text>"));
    assert!(chart.contains("text-anchor=\"end\">2500</text>"));
    assert!(chart.contains(">2026-11-03 02:00</text>"));
    assert!(chart.contains(">2026-11-22 02:00</text>"));
    // First and last point at the ends of the x axis; the smallest at the bottom.
    assert!(chart.contains("cx=\"80.0\" cy=\""));
    assert!(chart.contains("cx=\"980.0\" cy=\""));
    assert!(chart.contains(
        "<title>2026-11-08 02:00 — 2500 lot numbers — not applied (rejected or quarantined)</title>"
    ));
    assert!(chart.contains("d=\"M"));
    assert!(
        chart.contains(" 214.0 l12 12"),
        "the cross of 2500 is at the bottom (220)"
    );
    assert!(html.contains("✗</span> not applied (rejected or quarantined)"));
}

#[test]
fn the_recent_reports_are_a_table_with_their_problems() {
    let html = render(&sample(), Language::En);
    let table = between(&html, "<table id=\"recent-reports\">", "</table>");
    assert_eq!(attrs(table, "data-sequence"), ["20", "19", "18"]);
    assert!(table.contains(
        "<a href=\"/api/v1/journal?kind=received&amp;message_id=2.16.840.1.113883.2.4.3.11.999.1%2F20261122-0020\"><code>2.16.840.1.113883.2.4.3.11.999.1/<wbr>20261122-0020</code></a>"
    ));
    assert!(table.contains("<td class=\"ok\"><span aria-hidden=\"true\">✓</span> applied</td>"));
    assert!(table.contains("quarantined 7</td>"));
    assert!(
        table.contains("<td class=\"bad\"><span aria-hidden=\"true\">✗</span> rejected (CE)</td>")
    );
    assert!(table.contains("<td class=\"num\">42</td><td class=\"num\">10234</td><td class=\"num changes\">+12 / −3</td>"));
    assert!(table.contains("<code>lot.expired</code> Partij AB123 is verlopen</li>"));
    assert!(table.contains("<code>lot.duplicate</code> Partij CD456 staat er twee keer in</li>"));
    assert!(table.contains("<details><summary>4 errors, 4 warnings</summary>"));
    assert!(table.contains("<li class=\"issue error\""));
    assert!(render(&sample(), Language::Nl).contains("in quarantaine 7</td>"));
}

#[test]
fn the_quarantine_shows_the_commands_to_settle_it() {
    let html = render(&sample(), Language::Nl);
    let quarantine = between(&html, "<section id=\"quarantine\"", "</section>");
    assert!(quarantine.contains("data-count=\"1\""));
    assert!(quarantine.contains("<li class=\"quarantined\" data-quarantine-id=\"7\">"));
    assert!(quarantine.contains(
        "<code>2.16.840.1.113883.2.4.3.11.999.1/<wbr>20261122-0019</code> · 2500 partijnummers"
    ));
    assert!(quarantine.contains(
        "Reden: &lt;script&gt;alert(1)&lt;/script&gt; shrank from 10234 to 2500 &quot;lots&quot; &amp; &#39;more&#39;"
    ));
    assert!(
        quarantine.contains(
            "In gebruik nemen: <code class=\"command\">lotgate quarantine accept 7</code>"
        )
    );
    assert!(
        quarantine
            .contains("Weggooien: <code class=\"command\">lotgate quarantine discard 7</code>")
    );
}

#[test]
fn certificates_show_their_days_and_stand_out_when_expiring() {
    let mut overview = sample();
    overview
        .certificates
        .push(certificate("admin.tls.certificate", -3, true));
    let html = render(&overview, Language::Nl);
    let section = between(&html, "<section id=\"certificates\">", "</section>");
    assert!(section.contains("<h2>Certificaten</h2>"));
    assert!(
        section
            .contains("<tr class=\"certificate\" data-expiring=\"false\" data-days-left=\"200\">")
    );
    assert!(section.contains("<td class=\"days\">200 dagen</td>"));
    assert!(section.contains(
        "<tr class=\"certificate expiring\" data-expiring=\"true\" data-days-left=\"12\">"
    ));
    assert!(section.contains("<span class=\"warning\">⚠ 12 dagen (verloopt binnenkort)</span>"));
    assert!(
        section.contains(
            "<tr class=\"certificate ended\" data-expiring=\"true\" data-days-left=\"-3\">"
        )
    );
    assert!(section.contains("<span class=\"warning\">⚠ 3 dagen geleden (verlopen)</span>"));
    assert!(section.contains("<time datetime=\"2027-06-10T12:00:00Z\">2027-06-10 14:00</time>"));
    let html = render(&overview, Language::En);
    assert!(html.contains("⚠ 12 days (expiring soon)"));
    assert!(html.contains("⚠ 3 days ago (expired)"));
}

#[test]
fn mail_shows_counts_tables_and_commands() {
    let html = render(&sample(), Language::Nl);
    let section = between(&html, "<section id=\"mail\">", "</section>");
    assert!(section.contains(
        "<span id=\"mail-pending\" data-count=\"1\">Wachtende e-mails: <strong>1</strong>"
    ));
    assert!(section.contains("<span id=\"mail-dead\" data-count=\"1\" class=\"bad\">Onbestelbare e-mails: <strong>1</strong>"));
    let pending = between(section, "<table id=\"mail-pending-table\">", "</table>");
    assert!(pending.contains("<tr class=\"mail\" data-mail-id=\"m-1@lotgate\">"));
    assert!(pending.contains(
        "<td>Escalatie &lt;script&gt;alert(1)&lt;/script&gt; &quot;GGD&quot; &amp; &#39;x&#39;</td><td>verzender</td><td>beheer@example.nl, &lt;x@y&gt;</td>"
    ));
    assert!(pending.contains(
        "<td class=\"num\">3</td><td class=\"detail\">421 try again later\nserver busy</td>"
    ));
    let dead = between(section, "<table id=\"mail-dead-table\">", "</table>");
    assert!(dead.contains("<td>ontvanger</td>"));
    assert!(dead.contains("550 mailbox unavailable"));
    assert!(
        !dead.contains("lotgate mail retry m-1@lotgate"),
        "only dead letters"
    );
    assert!(dead.contains("<code class=\"command\">lotgate mail retry m-2@lotgate</code>"));
    assert!(dead.contains("<code class=\"command\">lotgate mail discard m-2@lotgate</code>"));

    // An id a shell would misread is quoted, and escaped for the page.
    let mut odd = sample();
    odd.mail.dead[0].id = "x'; rm -rf /".to_owned();
    let html = render(&odd, Language::En);
    assert!(html.contains(
        "<code class=\"command\">lotgate mail retry &#39;x&#39;\\&#39;&#39;; rm -rf /&#39;</code>"
    ));
}

#[test]
fn the_links_lead_to_the_journal_metrics_and_json() {
    let html = render(&sample(), Language::En);
    let links = between(&html, "<section id=\"links\">", "</section>");
    for href in [
        "/api/v1/journal\"",
        "/api/v1/journal?kind=audit\"",
        "/metrics\"",
        "/api/v1/overview\"",
        "/readyz\"",
    ] {
        assert!(links.contains(&format!("href=\"{href}")), "{href}");
    }
    assert!(links.contains(">This overview as JSON</a>"));
}

#[test]
fn dutch_and_english_pages_use_their_own_words() {
    let nl = render(&sample(), Language::Nl);
    let en = render(&sample(), Language::En);
    for (dutch, english) in [
        ("<h2>Afleveringen</h2>", "<h2>Deliveries</h2>"),
        (">Bestemming</span>", ">Destination</span>"),
        ("<dt>Partijnummers</dt>", "<dt>Lot numbers</dt>"),
        ("<h3>Set in gebruik</h3>", "<h3>Set in place</h3>"),
        ("Versie <strong>", "Version <strong>"),
        ("<dt>Aangemaakt</dt>", "<dt>Created</dt>"),
        ("<dt>Toegepast</dt>", "<dt>Applied</dt>"),
        ("<strong>Verouderd</strong>", "<strong>Stale</strong>"),
        ("<h3>Quarantaine</h3>", "<h3>Quarantine</h3>"),
        ("<h2>Certificaten</h2>", "<h2>Certificates</h2>"),
        ("12 dagen", "12 days"),
        ("<h3>Wachtende e-mails</h3>", "<h3>Mails waiting</h3>"),
        ("<h3>Onbestelbare e-mails</h3>", "<h3>Dead letters</h3>"),
        (">Journaal</a>", ">Journal</a>"),
        ("<dt>Volgende poging</dt>", "<dt>Next attempt</dt>"),
        ("<dt>Escalatie</dt>", "<dt>Escalation</dt>"),
        ("eerste poging</text>", "first attempt</text>"),
        ("herhaling 2</text>", "repeat 2</text>"),
        (">pauze</text>", ">pause</text>"),
        ("niet afgeleverd", "not delivered"),
        ("</span> mislukt", "</span> failed"),
    ] {
        assert!(nl.contains(dutch), "nl: {dutch}");
        assert!(en.contains(english), "en: {english}");
        assert!(!nl.contains(english), "nl has {english}");
        assert!(!en.contains(dutch), "en has {dutch}");
    }
}

#[test]
fn hostile_strings_never_appear_unescaped() {
    for language in Language::ALL {
        let html = render(&sample(), language);
        assert!(!html.contains("<script"), "no script, ours or theirs");
        assert!(!html.contains("</script>"));
        for hostile in [
            HOSTILE_NAME,
            HOSTILE_REASON,
            HOSTILE_SUBJECT,
            "\"West\"",
            "'Oost'",
            "<b>",
        ] {
            assert!(!html.contains(hostile), "{hostile}");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // Attribute values never hold a raw quote: every `="` opens one that closes
        // before the tag ends.
        for (at, _) in html.match_indices("data-destination=\"") {
            let rest = &html[at + "data-destination=\"".len()..];
            let value = &rest[..rest.find('"').unwrap_or(0)];
            assert!(!value.contains(['<', '>', '\'']), "{value}");
        }
    }
}

#[test]
fn only_the_roles_that_run_are_shown() {
    let mut receiver_only = sample();
    receiver_only.sender = None;
    let html = render(&receiver_only, Language::En);
    assert!(!html.contains("id=\"sender\""));
    assert!(!html.contains("data-destination"));
    assert!(html.contains("<section id=\"receiver\"><h2>Receiver</h2>"));
    assert!(html.contains("id=\"set-version\""));
    assert!(html.contains("<section id=\"mail\">"));

    let mut sender_only = sample();
    sender_only.receiver = None;
    let html = render(&sender_only, Language::En);
    assert!(!html.contains("id=\"receiver\""));
    assert!(!html.contains("id=\"set-version\""));
    assert!(!html.contains("id=\"lot-chart\""));
    assert_eq!(attrs(&html, "data-destination").len(), 2);
    assert!(html.contains("<section id=\"certificates\">"));
}

#[test]
fn an_empty_overview_says_there_is_nothing_yet() {
    let html = render(&empty(), Language::En);
    assert!(html.contains("data-state=\"ready\""));
    let [first, second] = destinations(&html)[..] else {
        panic!("two destinations");
    };
    for destination in [first, second] {
        assert!(destination.contains("class=\"state\" data-state=\"none\""));
        assert!(destination.contains("No delivery yet: no schedule to show"));
        assert!(destination.contains("No nights yet"));
        assert!(!destination.contains("<svg"));
        assert!(!destination.contains("class=\"attempts\""));
    }
    for text in [
        "id=\"set-version\" class=\"big\" data-version=\"0\"",
        "<p class=\"empty\" id=\"no-set\">No set yet</p>",
        "id=\"stale\" class=\"ok\" data-stale=\"false\"",
        "id=\"lot-chart-empty\">No deliveries received yet</p>",
        "No import reports yet",
        "No sets in quarantine",
        "No certificates of our own (no TLS)",
        "id=\"mail-pending\" data-count=\"0\"",
        "id=\"mail-dead\" data-count=\"0\"",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(!html.contains("<svg"));
    assert!(!html.contains("id=\"set-counts\""));
    let nl = render(&empty(), Language::Nl);
    assert!(nl.contains("Nog geen set"));
    assert!(nl.contains("Nog geen aflevering"));
}

#[test]
fn strings_that_are_not_times_do_not_break_the_page() {
    let mut overview = sample();
    overview.now = "<now>".to_owned();
    overview.time_zone = "Nowhere/<x>".to_owned();
    if let Some(sender) = &mut overview.sender {
        let destination = &mut sender.destinations[0];
        destination.grid[0].at = "soon".to_owned();
        if let Some(delivery) = &mut destination.status.delivery {
            delivery.attempts[0].at = "earlier & then".to_owned();
            delivery.escalate_at = Some("never".to_owned());
        }
        destination.nights[0].date = "a <day>".to_owned();
        // Every slot unreadable: no drawing, the text instead.
        for slot in &mut sender.destinations[1].grid {
            slot.at = String::new();
        }
    }
    if let Some(receiver) = &mut overview.receiver {
        receiver.lot_counts[3].received_at = "🙂".to_owned();
        receiver.quarantine[0].created = "2026-99".to_owned();
    }
    overview.certificates[0].certificate.not_after = "eventually".to_owned();
    let html = render(&overview, Language::En);
    assert_well_formed(&html);
    assert!(html.contains("<span id=\"generated\">&lt;now&gt;</span>"));
    assert!(html.contains("time zone UTC"));
    assert!(html.contains("<td>earlier &amp; then</td>"));
    assert!(html.contains("data-date=\"a &lt;day&gt;\""));
    assert!(html.contains("<td>eventually</td>"));
    assert!(html.contains("<dt>Created</dt><dd>2026-99</dd>"));
    let [first, second] = destinations(&html)[..] else {
        panic!("two destinations");
    };
    // The readable slots are still drawn; the attempt without a time is left out.
    assert_eq!(first.matches("<g class=\"slot\"").count(), 6);
    assert_eq!(attrs(first, "data-outcome"), ["failed", "delivered"]);
    assert!(second.contains("No delivery yet: no schedule to show"));
    // The chart falls back to evenly spaced points.
    let chart = between(&html, "<svg id=\"lot-chart\"", "</svg>");
    assert_eq!(chart.matches("class=\"point ").count(), 20);
    assert!(chart.contains("<title>🙂 — 10030 lot numbers — applied</title>"));
}

#[test]
fn an_escalation_before_the_grid_stays_on_the_axis() {
    let mut overview = sample();
    if let Some(sender) = &mut overview.sender
        && let Some(delivery) = &mut sender.destinations[0].status.delivery
    {
        // A catch-up delivery after the night's escalation time.
        delivery.escalate_at = Some("2026-11-22T00:30:00Z".to_owned());
    }
    let html = render(&overview, Language::En);
    let [delivered, _] = destinations(&html)[..] else {
        panic!("two destinations");
    };
    let escalation = between(delivered, "<g class=\"escalation\">", "</g>");
    assert!(escalation.contains("<line x1=\"40.0\""), "{escalation}");
    assert!(escalation.contains("⚠ Escalation 01:30"));
}

#[test]
fn the_partners_show_their_phase_and_assessment_and_none_means_no_section() {
    let page = render(&sample(), Language::En);
    assert!(page.contains("id=\"partners\""));
    let connect = between(&page, "data-sender=\"99999005\"", ">");
    assert!(connect.contains("data-phase=\"connect\""), "{connect}");
    assert!(
        connect.contains("data-assessment=\"negative\""),
        "{connect}"
    );
    let production = between(&page, "data-sender=\"99999006\"", ">");
    assert!(
        production.contains("data-assessment=\"none\""),
        "{production}"
    );
    assert!(page.contains("href=\"/api/v1/trial/99999005\""));
    assert!(page.contains("connect phase") && page.contains("no delivery yet"));
    assert!(
        !page.contains(HOSTILE_NAME),
        "the partner's name is escaped"
    );
    let dutch = render(&sample(), Language::Nl);
    assert!(dutch.contains("koppelfase") && dutch.contains("Aanleverende partijen"));
    let mut none = sample();
    if let Some(receiver) = none.receiver.as_mut() {
        receiver.partners.clear();
    }
    assert!(!render(&none, Language::En).contains("id=\"partners\""));
}
