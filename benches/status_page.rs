//! Status page benchmark: rendering the overview of a busy gateway — 10 destinations,
//! each with a full grid of 7 slots, 7 attempts and 30 nights; a receiver with 400 lot
//! counts, 10 import reports of 20 warnings each and 5 quarantined sets; 20 mails — as
//! `GET /` does on every request (the page refreshes itself every 30 seconds).
//!
//! Run: `cargo bench --bench status_page`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lotgate::api::{
    AttemptView, CertificateDays, CertificateView, ChangesView, DeliveryView, DestinationOverview,
    DestinationStatus, IssueView, LotCount, MailCounts, MailList, MailView, MessageIdView,
    MessageView, NextNight, NightCell, NightResult, OutcomeView, Overview, PlannedSlot,
    QuarantineView, Readiness, ReadyStatus, ReceiverOverview, ReportView, SenderOverview,
    SetAnswer, SetView, StateView, TrialAnswer, TriggerView, WatchdogView,
};
use lotgate::language::Language;
use lotgate::page::render;
use std::collections::BTreeMap;
use std::hint::black_box;

const DESTINATIONS: usize = 10;
const LOT_COUNTS: usize = 400;

/// An instant of the night of 2026-11-22, `minutes` after 01:00 UTC, as the API writes it.
fn night_time(minutes: u32) -> String {
    format!(
        "2026-11-22T{:02}:{:02}:{:02}Z",
        1 + minutes / 60,
        minutes % 60,
        minutes % 7
    )
}

/// A date `days` before 2026-11-22.
fn date(days: u32) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("a date")
        - chrono::Duration::days(i64::from(days));
    day.to_string()
}

fn message_id(extension: String) -> MessageIdView {
    MessageIdView {
        root: "2.16.840.1.113883.2.4.3.11.999.1".to_owned(),
        extension,
    }
}

fn destination(n: usize) -> DestinationOverview {
    // 02:00, three retries ten minutes apart, an hour's pause, a repeat of three.
    let offsets = [0, 10, 20, 30, 90, 100, 110];
    let grid = offsets
        .iter()
        .enumerate()
        .map(|(i, &minutes)| PlannedSlot {
            at: night_time(minutes),
            pattern: u32::from(i >= 4),
            position: if i >= 4 { i as u32 - 4 } else { i as u32 },
        })
        .collect();
    let attempts = offsets
        .iter()
        .enumerate()
        .map(|(i, &minutes)| AttemptView {
            at: night_time(minutes),
            outcome: match i {
                6 => OutcomeView::InFlight,
                2 => OutcomeView::Interrupted,
                _ => OutcomeView::Failed,
            },
            detail: format!("HTTP 503 Service Unavailable\nattempt {i} of destination {n}"),
            answer_lost: i == 2,
        })
        .collect();
    let results = [
        NightResult::FirstTry,
        NightResult::FirstTry,
        NightResult::AfterRetries,
        NightResult::FirstTry,
        NightResult::Rejected,
        NightResult::Escalated,
    ];
    let nights = (0..30)
        .map(|i| NightCell {
            date: date(29 - i),
            result: results[i as usize % results.len()],
            journal: Some(format!("s{}", 1000 + i)),
        })
        .collect();
    DestinationOverview {
        status: DestinationStatus {
            name: format!("GGD regio {n} <\"&'>"),
            url: format!("https://jgz{n}.example.nl/lots"),
            receiver: format!("2.16.840.1.113883.2.4.6.6.9000000{n}"),
            last_night: Some(date(0)),
            in_flight: true,
            delivery: Some(DeliveryView {
                id: 500 + n as u64,
                trigger: TriggerView::Nightly,
                night: Some(date(0)),
                state: StateView::Pending,
                start: night_time(0),
                message: Some(MessageView {
                    id: format!("2.16.840.1.113883.2.4.3.11.999.1/20261122-{n:04}"),
                    created: "20261122015500".to_owned(),
                    sha256: "ab".repeat(32),
                    bytes: 812_345,
                    lots: 10_234,
                }),
                attempts,
                finished_at: None,
                escalate_at: Some("2026-11-22T06:00:00Z".to_owned()),
                escalated_at: None,
                escalation_open: n.is_multiple_of(3),
            }),
            next_attempt: None,
            exhausted: false,
        },
        grid,
        nights,
    }
}

fn report(n: usize) -> ReportView {
    ReportView {
        sequence: 1000 - n as u64,
        message_id: message_id(format!("20261122-{n:04}")),
        received_at: night_time(n as u32),
        outcome: if n % 4 == 1 {
            format!("quarantined {n}")
        } else {
            "applied".to_owned()
        },
        set_version: Some(400 - n as u64),
        lots: 10_234,
        per_vaccine: BTreeMap::new(),
        added: ChangesView {
            total: 12,
            lots: Vec::new(),
        },
        removed: ChangesView {
            total: 3,
            lots: Vec::new(),
        },
        warnings: (0..20)
            .map(|i| IssueView {
                code: "lot.expired".to_owned(),
                text: format!("Partij AB{i:04} is verlopen op 2026-11-{:02}", 1 + i % 20),
                location: format!("/PRMM_IN010043NL/controlActProcess/subject[{i}]"),
            })
            .collect(),
        errors: Vec::new(),
    }
}

fn receiver() -> ReceiverOverview {
    let per_vaccine = (1..=12)
        .map(|code| (format!("{code:02}"), 850))
        .collect::<BTreeMap<_, _>>();
    ReceiverOverview {
        set: SetAnswer {
            set_version: 400,
            set: Some(SetView {
                message_id: message_id("20261122-0000".to_owned()),
                created: "20261122015500".to_owned(),
                applied_at: night_time(1),
                lots: 10_200,
                per_vaccine,
                digest: "ef".repeat(32),
            }),
            stale: false,
            stale_reason: None,
        },
        watchdog: WatchdogView {
            expect_by: "06:00".to_owned(),
            next_check: "2026-11-22T05:00:00Z".to_owned(),
            alert_open: false,
            last_alert: Some(date(40)),
        },
        lot_counts: (0..LOT_COUNTS)
            .map(|i| LotCount {
                received_at: format!("{}T01:00:30Z", date((LOT_COUNTS - 1 - i) as u32)),
                lots: 10_000 + (i * 37) % 500,
                applied: i % 50 != 7,
            })
            .collect(),
        recent: (0..10).map(report).collect(),
        quarantine: (0..5)
            .map(|i| QuarantineView {
                id: i,
                message_id: message_id(format!("20261120-{i:04}")),
                created: "20261120015500".to_owned(),
                received_at: "2026-11-20T01:00:30Z".to_owned(),
                lots: 2500,
                reason: "the set shrank from 10200 to 2500 lots (more than 20%)".to_owned(),
            })
            .collect(),
        partners: (0..3)
            .map(|i| TrialAnswer {
                sender: format!("9999900{}", 5 + i),
                name: format!("GGD {i}"),
                phase: "connect".to_owned(),
                assessment: None,
                last: None,
                set: None,
            })
            .collect(),
    }
}

fn mail(i: usize) -> MailView {
    MailView {
        id: format!("m-{i}@lotgate.example.nl"),
        role: if i.is_multiple_of(2) {
            "sender"
        } else {
            "receiver"
        }
        .to_owned(),
        subject: format!("lotgate: escalatie GGD regio {i}"),
        to: vec!["beheer@example.nl".to_owned(), "jgz@example.nl".to_owned()],
        queued_at: night_time(i as u32),
        tries: 3,
        last_try: Some(night_time(i as u32 + 30)),
        last_error: Some("421 4.7.0 try again later\nserver busy".to_owned()),
        refused_since: None,
        dead_at: (i >= 10).then(|| night_time(i as u32 + 60)),
        reason: (i >= 10).then(|| "550 5.1.1 mailbox unavailable".to_owned()),
    }
}

fn overview() -> Overview {
    let mails: Vec<MailView> = (0..20).map(mail).collect();
    let (pending, dead) = mails.split_at(10);
    Overview {
        now: "2026-11-22T02:41:30Z".to_owned(),
        time_zone: "Europe/Amsterdam".to_owned(),
        readiness: Readiness {
            status: ReadyStatus::Degraded,
            reason: Some("10 dead letters; 3 escalations open".to_owned()),
            receiver: None,
            stale: Some(false),
            sender: None,
            mail: MailCounts {
                pending: 10,
                dead: 10,
            },
            certificates: Vec::new(),
        },
        sender: Some(SenderOverview {
            now: "2026-11-22T02:41:30Z".to_owned(),
            next_night: NextNight {
                date: "2026-11-23".to_owned(),
                start: "2026-11-23T01:00:00Z".to_owned(),
            },
            destinations: (0..DESTINATIONS).map(destination).collect(),
        }),
        receiver: Some(receiver()),
        mail: MailList {
            pending: pending.to_vec(),
            dead: dead.to_vec(),
        },
        certificates: vec![CertificateDays {
            certificate: CertificateView {
                name: "receiver.tls.certificate".to_owned(),
                subject: "CN=lotgate.example.nl".to_owned(),
                not_after: "2026-12-04T12:00:00Z".to_owned(),
                expiring: true,
            },
            days_left: 12,
        }],
    }
}

fn status_page(c: &mut Criterion) {
    let overview = overview();
    let page = render(&overview, Language::Nl);
    // The page the bench measures is the whole page, not an empty one.
    assert_eq!(page.matches(" data-destination=\"").count(), DESTINATIONS);
    let chart = page
        .split("<svg id=\"lot-chart\"")
        .nth(1)
        .and_then(|rest| rest.split("</svg>").next())
        .expect("the page has the lot chart");
    assert_eq!(chart.matches("class=\"point ").count(), LOT_COUNTS);
    assert_eq!(
        page.matches("<g class=\"attempt\"").count(),
        DESTINATIONS * 7
    );
    let mut group = c.benchmark_group("status_page");
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("render", |b| {
        b.iter(|| render(black_box(&overview), Language::Nl))
    });
    group.finish();
}

criterion_group!(benches, status_page);
criterion_main!(benches);
