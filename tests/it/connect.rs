//! The connect phase from outside: a receiver with a production sender and a partner in
//! its connect phase (`[[receiver.sender]]`). The partner's deliveries run the whole
//! pipeline and get the real acknowledgement, but go to its trial set — never to the set
//! in place, its lookups, history or quarantine — and `GET /api/v1/trial/{id}` shows the
//! assessment, the report against the production set and the trial set, across a
//! restart.

use crate::support::gateway::{self, Gateway};
use crate::support::smtp::{Received, SmtpServer};
use crate::support::{ack_type, lotgate};
use lotgate::api::{Assessment, TrialAnswer};
use lotgate::ids::ApplicationId;
use lotgate::lot::{Lot, LotNumber, LotSet};
use lotgate::message::LotMessage;
use lotgate::sample;
use lotgate::timestamp::Timestamp;
use lotgate::vaccine::VaccineType;

const PARTNER: &str = "99999005";

/// A message from the partner with `lots` (numbers `P…`), created at `created`
/// (`YYYYMMDDHHMMSS`, on 2026-06-01).
fn partner_message(lots: LotSet, extension: &str, created: &str) -> Vec<u8> {
    let mut message: LotMessage = sample::message_with(lots, extension);
    message.sender = ApplicationId::parse(PARTNER).unwrap();
    message.created = Timestamp::parse(created).unwrap();
    lotgate::wire::soap::message_envelope(&message).into_bytes()
}

fn partner_lots(n: usize) -> LotSet {
    LotSet::new(
        (0..n)
            .map(|i| Lot {
                number: LotNumber::parse(&format!("P{i:05}")).unwrap(),
                vaccine: VaccineType::known("08").unwrap(),
                expires: None,
            })
            .collect(),
    )
    .unwrap()
}

fn trial(receiver: &Gateway) -> TrialAnswer {
    let answer = receiver.admin_get(&format!("/api/v1/trial/{PARTNER}"));
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.answer()
}

#[test]
fn a_connecting_partner_gets_real_answers_and_only_its_trial_set_changes() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let config = gateway::receiver_config(
        dir,
        &format!(
            "[[receiver.sender]]\napplication_id = \"{PARTNER}\"\nname = \"GGD Proef\"\n\
             phase = \"connect\"\ncontact = [\"koppeling@ggd-proef.example\"]\n"
        ),
        &gateway::file_mail(dir),
    );
    let mut receiver = gateway::start(dir, &config);
    let check = lotgate(&[
        "check-config",
        "--config",
        dir.join("config.toml").to_str().unwrap(),
    ]);
    let summary = String::from_utf8_lossy(&check.stdout);
    assert!(
        summary.contains(
            "partner 99999005 (GGD Proef): connect phase, deliveries go to its trial set; \
             reports problems, in en; contact koppeling@ggd-proef.example"
        ),
        "{summary}"
    );
    // Before its first delivery.
    let empty = trial(&receiver);
    assert_eq!(
        (empty.name.as_str(), empty.phase.as_str()),
        ("GGD Proef", "connect")
    );
    assert_eq!(
        (empty.assessment, empty.last, empty.set),
        (None, None, None)
    );

    // Production: 20 lots from the production sender.
    let production = crate::support::envelope(20, "PROD-1");
    assert_eq!(ack_type(&receiver.post(production.as_bytes()).text()), "CA");
    let before = receiver.set();
    assert_eq!(before.set_version, 1);

    // The partner's 12 lots: the real CA, and only its trial set holds them.
    let first = partner_message(partner_lots(12), "TRIAL-1", "20260601030000");
    let answer = receiver.post(&first).text();
    assert_eq!(ack_type(&answer), "CA", "{answer}");
    assert_eq!(receiver.set(), before, "the set in place is untouched");
    assert_eq!(receiver.admin_get("/api/v1/lots/P00001").status, 404);
    assert_eq!(receiver.history().len(), 1, "not in the history");
    let t = trial(&receiver);
    assert_eq!(t.assessment, Some(Assessment::Positive));
    let set = t.set.as_ref().expect("a trial set");
    assert_eq!(
        (set.lots, set.message_id.extension.as_str()),
        (12, "TRIAL-1")
    );
    let last = t.last.as_ref().unwrap();
    assert_eq!(last.outcome, "applied");
    // Compared with the set in place: all 12 new, all 20 of production missing.
    assert_eq!((last.added.total, last.removed.total), (12, 20));
    // The same bytes again: the same answer.
    assert_eq!(receiver.post(&first).text(), answer);

    // Older than its trial set: CE, negative, the trial set kept.
    let older = partner_message(partner_lots(12), "TRIAL-0", "20260601010000");
    assert_eq!(ack_type(&receiver.post(&older).text()), "CE");
    let t = trial(&receiver);
    assert_eq!(t.assessment, Some(Assessment::Negative));
    assert_eq!(t.last.as_ref().unwrap().outcome, "stale");
    assert_eq!(
        t.set.as_ref().map(|s| s.message_id.extension.as_str()),
        Some("TRIAL-1")
    );

    // Far smaller than its trial set: refused as production would (CE), never quarantined.
    let small = partner_message(partner_lots(2), "TRIAL-2", "20260601040000");
    let answer = receiver.post(&small).text();
    assert_eq!(ack_type(&answer), "CE", "{answer}");
    assert!(receiver.quarantine().is_empty());
    let t = trial(&receiver);
    assert_eq!(t.assessment, Some(Assessment::Negative));
    let last = t.last.as_ref().unwrap();
    assert!(
        last.errors.iter().any(|e| e.code == "set.quarantined"),
        "{last:#?}"
    );
    assert_eq!(t.set.as_ref().map(|s| s.lots), Some(12));

    // A better one replaces the trial set; the production set is still the same.
    let second = partner_message(partner_lots(15), "TRIAL-3", "20260601050000");
    assert_eq!(ack_type(&receiver.post(&second).text()), "CA");
    assert_eq!(receiver.set(), before);
    receiver.restart();
    let t = trial(&receiver);
    assert_eq!(t.assessment, Some(Assessment::Positive));
    assert_eq!(t.set.as_ref().map(|s| s.lots), Some(15));
    assert_eq!(receiver.set().set_version, 1);

    // The overview, the status page and `lotgate status` show the partner.
    let overview: lotgate::api::Overview = receiver.admin_get("/api/v1/overview").answer();
    let partners = &overview.receiver.as_ref().unwrap().partners;
    assert_eq!(partners.len(), 1);
    assert_eq!(partners[0], trial(&receiver));
    let page = receiver.admin_get("/").text();
    assert!(
        page.contains(&format!(
            "data-sender=\"{PARTNER}\" data-phase=\"connect\" data-assessment=\"positive\""
        )),
        "{page}"
    );
    let status = String::from_utf8_lossy(&receiver.cli(&["status"]).stdout).into_owned();
    assert!(
        status.contains("partner 99999005 (GGD Proef): connect phase; last delivery ")
            && status.contains(": applied, assessment positive"),
        "{status}"
    );

    // check-config reads the last assessment from the store, when no gateway holds it.
    let config_path = dir.join("config.toml");
    let check = || {
        let out = lotgate(&["check-config", "--config", config_path.to_str().unwrap()]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        check().contains("connect phase: the receiver's store"),
        "held by the running gateway"
    );
    receiver.terminate();
    let summary = check();
    assert!(
        summary.contains("connect phase 99999005: last delivery ")
            && summary.contains("TRIAL-3")
            && summary.contains(": applied, 0 error(s), 0 warning(s) — assessment positive"),
        "{summary}"
    );
    receiver.restart();

    // Not a partner: 404 naming it; another method: 405.
    let unknown = receiver.admin_get("/api/v1/trial/99999009");
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("99999009"), "{}", unknown.text());
    assert_eq!(
        receiver
            .admin_post(&format!("/api/v1/trial/{PARTNER}"))
            .status,
        405
    );
}

/// The validation reports `smtp` holds (the watchdog's alert about the empty receiver
/// and its resolution come too, and are passed over).
fn reports(smtp: &SmtpServer) -> Vec<Received> {
    smtp.messages()
        .into_iter()
        .filter(|m| m.subject().is_some_and(|s| s.contains("validat")))
        .collect()
}

/// Waits until `smtp` holds `count` validation reports.
fn mails(smtp: &SmtpServer, count: usize) -> Vec<Received> {
    crate::support::sender::wait_for(std::time::Duration::from_secs(20), || {
        let messages = reports(smtp);
        (messages.len() >= count).then_some(messages)
    })
    .unwrap_or_else(|| panic!("expected {count} validation reports: {:?}", smtp.messages()))
}

#[test]
fn validation_reports_reach_the_partner_and_the_administrators_in_its_language() {
    let smtp = SmtpServer::start();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let mail = format!(
        "transport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\n\
         security = \"plain\"\ntimeout = \"5s\"",
        smtp.port()
    );
    let config = gateway::receiver_config(
        dir,
        &format!(
            "[[receiver.sender]]\napplication_id = \"{PARTNER}\"\nname = \"GGD Proef\"\n\
             phase = \"connect\"\ncontact = [\"koppeling@ggd-proef.example\"]\n\
             language = \"en\"\n\n\
             [[receiver.sender]]\napplication_id = \"99999006\"\nname = \"GGD Oost\"\n\
             phase = \"production\"\ncontact = [\"ict@ggd-oost.example\"]\nlanguage = \"nl\"\n"
        ),
        &mail,
    );
    let receiver = gateway::start(dir, &config);
    // Production: 60 lots from the sender named only in allowed_senders.
    let production = crate::support::envelope(60, "PROD-1");
    assert_eq!(ack_type(&receiver.post(production.as_bytes()).text()), "CA");

    // The connecting partner's 12 lots: positive, in English, to its contact and the
    // administrators, with the acknowledgement and the report attached.
    let answer = receiver
        .post(&partner_message(
            partner_lots(12),
            "TRIAL-1",
            "20260601030000",
        ))
        .text();
    assert_eq!(ack_type(&answer), "CA");
    let first = mails(&smtp, 1).remove(0);
    assert_eq!(
        first.subject().unwrap(),
        format!(
            "lotgate: validation report GGD Proef ({PARTNER}): positive \
             (2.16.840.1.113883.2.4.6.6.99999001.1/TRIAL-1)"
        )
    );
    assert_eq!(
        first.envelope_recipients(),
        ["koppeling@ggd-proef.example", "beheer@example.org"]
    );
    let text = first.parts()[0].body();
    for expected in [
        "connect phase: the set goes to the trial set",
        "Assessment: POSITIVE — this delivery would be accepted in production",
        "Blocking errors (0):",
        "Lot numbers per vaccine type (12):\n  08 Pneu: 12",
        "added: 12 — P00000, P00001,",
        // 60 production lots missing: the first 50 listed, then the rest counted.
        "removed: 60 — LG000000, LG000001,",
        "… and 10 more",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert_eq!(first.attachment("acknowledgement.xml").unwrap(), answer);
    let report: lotgate::api::ValidationReport =
        serde_json::from_str(&first.attachment("report.json").unwrap()).unwrap();
    assert_eq!(report.assessment, Assessment::Positive);
    assert_eq!(
        (report.phase.as_str(), report.acknowledgement.as_str()),
        ("connect", "CA")
    );
    assert_eq!((report.report.lots, report.report.removed.total), (12, 60));

    // A lot number under two vaccine types: negative, the error with its place.
    let mut conflicting = partner_lots(3).lots().to_vec();
    conflicting.push(Lot {
        number: LotNumber::parse("P00001").unwrap(),
        vaccine: VaccineType::known("04").unwrap(),
        expires: None,
    });
    let bytes = {
        let mut message: LotMessage = sample::message_with(LotSet::default(), "TRIAL-2");
        message.sender = ApplicationId::parse(PARTNER).unwrap();
        message.created = Timestamp::parse("20260601040000").unwrap();
        // A set cannot hold P00001 twice: the fourth entry is spliced into the list of
        // the first three, as a partner's system might write it.
        let one = lotgate::wire::soap::message_envelope(&LotMessage {
            lots: LotSet::new(conflicting[..3].to_vec()).unwrap(),
            ..message.clone()
        });
        let extra = lotgate::wire::soap::message_envelope(&LotMessage {
            lots: LotSet::new(vec![conflicting[3].clone()]).unwrap(),
            ..message
        });
        let product =
            &extra[extra.find("<product ").unwrap()..extra.rfind("</product>").unwrap() + 10];
        let at = one.rfind("</product>").unwrap() + 10;
        format!("{}{product}{}", &one[..at], &one[at..])
    };
    assert_eq!(ack_type(&receiver.post(bytes.as_bytes()).text()), "CE");
    let second = mails(&smtp, 2).remove(1);
    assert!(
        second.subject().unwrap().contains(": negative ("),
        "{:?}",
        second.subject()
    );
    let text = second.parts()[0].body();
    assert!(text.contains("Assessment: NEGATIVE"), "{text}");
    assert!(
        text.contains("Blocking errors (1):\n  - [lot.two-vaccines] lot number P00001"),
        "{text}"
    );

    // The production partner's stale delivery: refused, reported in Dutch to its contact.
    let mut stale: LotMessage = sample::message_with(partner_lots(5), "OOST-1");
    stale.sender = ApplicationId::parse("99999006").unwrap();
    stale.created = Timestamp::parse("20260101010000").unwrap();
    let stale = lotgate::wire::soap::message_envelope(&stale);
    assert_eq!(ack_type(&receiver.post(stale.as_bytes()).text()), "CE");
    let third = mails(&smtp, 3).remove(2);
    assert_eq!(
        third.subject().unwrap(),
        "lotgate: validatierapport GGD Oost (99999006): negatief \
         (2.16.840.1.113883.2.4.6.6.99999001.1/OOST-1)"
    );
    assert_eq!(
        third.envelope_recipients(),
        ["ict@ggd-oost.example", "beheer@example.org"]
    );
    let text = third.parts()[0].body();
    assert!(
        text.contains("Beoordeling: NEGATIEF") && text.contains("productie"),
        "{text}"
    );

    // Accepted production deliveries and refused ones of a sender named only in
    // allowed_senders get no validation report.
    let mut good: LotMessage = sample::message_with(lotgate::sample::lot_set(60), "OOST-2");
    good.sender = ApplicationId::parse("99999006").unwrap();
    good.created = Timestamp::parse("20260601050000").unwrap();
    let good = lotgate::wire::soap::message_envelope(&good);
    assert_eq!(ack_type(&receiver.post(good.as_bytes()).text()), "CA");
    let old = crate::support::envelope(60, "PROD-0").replace("20260601020000", "20250601020000");
    assert_eq!(ack_type(&receiver.post(old.as_bytes()).text()), "CE");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(reports(&smtp).len(), 3, "no more reports");
}

/// A production delivery from `sender` of `lots`, created at `created` (on 2026-06-01).
fn production_message(sender: &str, lots: LotSet, extension: &str, created: &str) -> Vec<u8> {
    let mut message: LotMessage = sample::message_with(lots, extension);
    message.sender = ApplicationId::parse(sender).unwrap();
    message.created = Timestamp::parse(created).unwrap();
    lotgate::wire::soap::message_envelope(&message).into_bytes()
}

/// The first import report `smtp` holds whose subject names `who`, waiting at most
/// `seconds` for it.
fn import_report_about(smtp: &SmtpServer, who: &str, seconds: u64) -> Option<Received> {
    crate::support::sender::wait_for(std::time::Duration::from_secs(seconds), || {
        import_reports(smtp)
            .into_iter()
            .find(|m| m.subject().is_some_and(|s| s.contains(who)))
    })
}

/// The import reports `smtp` holds.
fn import_reports(smtp: &SmtpServer) -> Vec<Received> {
    smtp.messages()
        .into_iter()
        .filter(|m| m.subject().is_some_and(|s| s.contains("import")))
        .collect()
}

#[test]
fn import_reports_follow_each_partners_choice() {
    use chrono::Timelike;
    // The daily digest comes a few seconds after start-up, in UTC, and not across midnight.
    let mut soon = chrono::Utc::now() + chrono::TimeDelta::seconds(6);
    if soon.hour() == 0 && soon.minute() == 0 {
        std::thread::sleep(std::time::Duration::from_secs(10));
        soon = chrono::Utc::now() + chrono::TimeDelta::seconds(6);
    }
    let smtp = SmtpServer::start();
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let mail = format!(
        "transport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\n\
         security = \"plain\"\ntimeout = \"5s\"",
        smtp.port()
    );
    let partner = |id: &str, name: &str, reports: &str, language: &str| {
        format!(
            "\n[[receiver.sender]]\napplication_id = \"{id}\"\nname = \"{name}\"\n\
             phase = \"production\"\ncontact = [\"ict@{id}.example\"]\n\
             reports = \"{reports}\"\nlanguage = \"{language}\"\n"
        )
    };
    let extra = format!(
        "report_at = \"{}\"\n{}{}{}",
        soon.format("%H:%M:%S"),
        partner("99999006", "GGD Zes", "all", "en"),
        partner("99999007", "GGD Zeven", "problems", "nl"),
        partner("99999008", "GGD Acht", "daily", "en"),
    );
    let config = gateway::receiver_config(dir, &extra, &mail).replacen(
        "[gateway]\n",
        "[gateway]\ntime_zone = \"UTC\"\n",
        1,
    );
    let receiver = gateway::start(dir, &config);
    let post = |bytes: Vec<u8>| ack_type(&receiver.post(&bytes).text()).to_owned();

    // "all": every applied delivery, to the partner's contact only.
    assert_eq!(
        post(production_message(
            "99999006",
            sample::lot_set(20),
            "ZES-1",
            "20260601030000"
        )),
        "CA"
    );
    let zes = crate::support::sender::wait_for(std::time::Duration::from_secs(20), || {
        import_reports(&smtp).into_iter().next()
    })
    .expect("an import report for GGD Zes");
    assert_eq!(
        zes.subject().unwrap(),
        "lotgate: import report GGD Zes (99999006): applied \
         (2.16.840.1.113883.2.4.6.6.99999001.1/ZES-1)"
    );
    assert_eq!(zes.envelope_recipients(), ["ict@99999006.example"]);
    let text = zes.body();
    for expected in [
        "Outcome: applied",
        "Set version: 1",
        "Lot numbers per vaccine type (20):",
        "added: 20",
        "Warnings (0):",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }

    // "problems": none without warnings; one, in Dutch, with an expired lot.
    assert_eq!(
        post(production_message(
            "99999007",
            sample::lot_set(20),
            "ZEVEN-1",
            "20260601040000"
        )),
        "CA"
    );
    let mut lots = sample::lot_set(19).lots().to_vec();
    lots.push(Lot {
        number: LotNumber::parse("VERLOPEN1").unwrap(),
        vaccine: VaccineType::known("08").unwrap(),
        expires: Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()),
    });
    let expired = LotSet::new(lots).unwrap();
    assert_eq!(
        post(production_message(
            "99999007",
            expired,
            "ZEVEN-2",
            "20260601050000"
        )),
        "CA"
    );
    let zeven = import_report_about(&smtp, "Zeven", 20).expect("an import report for GGD Zeven");
    assert_eq!(
        zeven.subject().unwrap(),
        "lotgate: importrapport GGD Zeven (99999007): toegepast \
         (2.16.840.1.113883.2.4.6.6.99999001.1/ZEVEN-2)"
    );
    let text = zeven.body();
    assert!(
        text.contains("Waarschuwingen (1):\n  - [lot.expired]"),
        "{text}"
    );

    // "daily": nothing at once; the digest at report_at lists the delivery.
    assert_eq!(
        post(production_message(
            "99999008",
            sample::lot_set(20),
            "ACHT-1",
            "20260601060000"
        )),
        "CA"
    );
    let acht = import_report_about(&smtp, "Acht", 30).expect("the daily digest for GGD Acht");
    assert_eq!(
        acht.subject().unwrap(),
        format!(
            "lotgate: import reports GGD Acht (99999008) {}: 1 delivery",
            soon.date_naive()
        )
    );
    assert!(
        acht.body()
            .contains("1. 2.16.840.1.113883.2.4.6.6.99999001.1/ACHT-1"),
        "{}",
        acht.body()
    );
    // Exactly these three: none for ZEVEN-1, none to the administrators.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let all = import_reports(&smtp);
    assert_eq!(
        all.len(),
        3,
        "{:?}",
        all.iter().map(Received::subject).collect::<Vec<_>>()
    );
    assert!(all.iter().all(|m| {
        !m.envelope_recipients()
            .contains(&"beheer@example.org".to_owned())
    }));
}
