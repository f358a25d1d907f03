//! The journal from outside: a real sender delivering to a real receiver (two
//! processes); what each journal keeps of the exchange, byte for byte; the audit trail
//! of changes; refusals counted; paging; bad parameters refused; and the command line,
//! down to `lotgate journal show ID --message | lotgate validate -`.

use crate::support::gateway::Gateway;
use crate::support::sender::delivered_pair as delivered;
use lotgate::api::{
    EntryKind, ErrorAnswer, JournalEntryView, JournalPage, OutcomeView, StateView, TriggerView,
};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::process::{Command, Stdio};

fn page(gateway: &Gateway, query: &str) -> JournalPage {
    gateway
        .admin_get(&format!("/api/v1/journal{query}"))
        .answer()
}

fn only_entry(gateway: &Gateway, query: &str) -> JournalEntryView {
    let page = page(gateway, query);
    assert_eq!(page.entries.len(), 1, "{query}: {page:#?}");
    page.entries.into_iter().next().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    lotgate::strings::hex(&Sha256::digest(bytes))
}

#[test]
fn both_journals_keep_the_exchange_byte_for_byte() {
    let (receiver, sender, _temp) = delivered();

    let sent = only_entry(&sender, "?kind=delivery");
    assert!(sent.id.starts_with('s'), "{}", sent.id);
    assert_eq!(sent.kind, EntryKind::Delivery);
    assert_eq!(sent.outcome, "delivered");
    assert_eq!(sent.destination.as_deref(), Some("jgz"));
    let delivery = sent.delivery.as_ref().expect("the delivery's facts");
    assert_eq!(delivery.trigger, TriggerView::MissedNight);
    assert_eq!(delivery.state, StateView::Delivered);
    let attempt = &delivery.attempts[0];
    assert_eq!(
        (attempt.number, attempt.outcome, attempt.http_status),
        (1, OutcomeView::Delivered, Some(200))
    );
    assert!(
        attempt.duration_ms.is_some_and(|ms| ms < 5000),
        "{attempt:?}"
    );
    let names: Vec<&str> = sent.bodies.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["message", "answer 1"]);

    let message = sender
        .admin_get(&format!("/api/v1/journal/{}/message", sent.id))
        .body;
    let built = delivery.message.as_ref().expect("a message");
    assert_eq!(hex(&message), built.sha256, "the exact bytes sent");
    assert_eq!(message.len(), built.bytes);
    let answer = sender
        .admin_get(&format!("/api/v1/journal/{}/answer", sent.id))
        .body;
    assert_eq!(
        answer,
        sender
            .admin_get(&format!("/api/v1/journal/{}/answer?attempt=1", sent.id))
            .body
    );

    // The receiver kept the same bytes, and the answer the sender got.
    let got = only_entry(&receiver, "?kind=received");
    assert!(got.id.starts_with('r'), "{}", got.id);
    assert_eq!(got.outcome, "ca");
    assert_eq!(got.message_id, sent.message_id);
    let facts = got.received.as_ref().expect("the request's facts");
    assert_eq!(facts.client, "127.0.0.1");
    assert_eq!(facts.sender.as_deref(), Some("99999001"));
    assert_eq!(facts.sha256.as_deref(), Some(built.sha256.as_str()));
    assert_eq!((facts.count, facts.replayed), (1, false));
    assert_eq!(
        receiver
            .admin_get(&format!("/api/v1/journal/{}/message", got.id))
            .body,
        message
    );
    let answered = receiver.admin_get(&format!("/api/v1/journal/{}/answer", got.id));
    assert_eq!(
        answered.header("content-type"),
        Some("text/xml; charset=utf-8")
    );
    assert_eq!(
        answered.body, answer,
        "the answer as the sender received it"
    );

    // Searching by the message's extension finds it in both.
    let extension = built.id.rsplit('/').next().unwrap();
    for gateway in [&sender, &receiver] {
        let found = page(gateway, &format!("?message_id={extension}"));
        assert_eq!(found.entries.len(), 1, "{found:#?}");
    }

    // The kept message is checked again offline: the receiver would accept it.
    let shown = sender.cli(&["journal", "show", &sent.id, "--message"]);
    assert!(shown.status.success());
    assert_eq!(shown.stdout, message);
    let mut validate = Command::new(env!("CARGO_BIN_EXE_lotgate"))
        .args(["validate", "-", "--lang", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    validate
        .stdin
        .take()
        .unwrap()
        .write_all(&shown.stdout)
        .unwrap();
    let checked = validate.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{report}");
    assert!(
        report.starts_with("-: accept — would be accepted (CA)"),
        "{report}"
    );

    // The text for people, and the JSON for scripts.
    let listed = sender.cli(&["journal"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{text}");
    assert!(
        text.contains(&sent.id) && text.contains("jgz delivery"),
        "{text}"
    );
    let json = sender.cli(&["journal", "--json", "--kind", "delivery"]);
    let parsed: JournalPage = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed.entries, vec![sent.clone()]);
    let whole = sender.cli(&["journal", "show", &sent.id]);
    let whole = String::from_utf8_lossy(&whole.stdout);
    assert!(whole.contains("attempt 1"), "{whole}");
    assert!(
        whole.contains(&format!("lotgate journal show {} --message", sent.id)),
        "{whole}"
    );
}

#[test]
fn changes_are_audited_refusals_counted_and_bad_parameters_refused() {
    let (receiver, sender, _temp) = delivered();

    // A change through the admin listener, audited in the sender's journal.
    let started = sender.admin_post("/api/v1/sender/send-now?destination=jgz");
    assert_eq!(started.status, 202);
    let audit = only_entry(&sender, "?kind=audit");
    let facts = audit.audit.expect("the change's facts");
    assert_eq!(facts.action, "send-now");
    assert_eq!(
        facts.arguments.get("destination").map(String::as_str),
        Some("jgz")
    );
    assert_eq!((facts.status, facts.token_presented), (202, false));
    assert_eq!(facts.client, "127.0.0.1");
    assert_eq!(audit.outcome, "ok");
    // Reads are not audited.
    sender.admin_get("/api/v1/sender/status");
    assert_eq!(page(&sender, "?kind=audit").entries.len(), 1);
    // A refused change is audited too, and its journal changes nothing else.
    let refused = receiver.admin_post("/api/v1/quarantine/9/accept");
    assert_eq!(refused.status, 404);
    let audit = only_entry(&receiver, "?kind=audit");
    assert_eq!(audit.outcome, "refused");
    assert_eq!(audit.audit.unwrap().action, "quarantine accept");

    // Requests refused below the HL7 level are counted, without their bytes.
    let big = vec![b'x'; 100 * 1024];
    for _ in 0..3 {
        assert_eq!(receiver.post(&big).status, 413);
    }
    let counted = only_entry(&receiver, "?outcome=too_large");
    let facts = counted.received.expect("counted");
    assert_eq!(facts.count, 3);
    assert!(counted.bodies.is_empty());
    assert!(facts.detail.unwrap().contains("max_body"));

    // Paging through everything the receiver has, one at a time, sees each once.
    let all = page(&receiver, "?limit=1000");
    let mut seen = Vec::new();
    let mut query = "?limit=1".to_owned();
    loop {
        let one = page(&receiver, &query);
        seen.extend(one.entries.iter().map(|e| e.id.clone()));
        match one.next_cursor {
            Some(cursor) => query = format!("?limit=1&cursor={cursor}"),
            None => break,
        }
        assert!(seen.len() <= all.entries.len(), "{seen:?}");
    }
    let ids: Vec<String> = all.entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(seen, ids);

    // Bad parameters: 400 naming the parameter; unknown entries: 404.
    let before = page(&receiver, "?limit=1000");
    for (path, status, named) in [
        ("/api/v1/journal?colour=red", 400, "\"colour\""),
        ("/api/v1/journal?since=yesterday", 400, "since"),
        ("/api/v1/journal?until=2026-02-30", 400, "until"),
        ("/api/v1/journal?limit=0", 400, "limit"),
        ("/api/v1/journal?limit=100000", 400, "limit"),
        ("/api/v1/journal?kind=everything", 400, "kind"),
        ("/api/v1/journal?cursor=zz", 400, "cursor"),
        ("/api/v1/journal/42", 400, "\"42\""),
        ("/api/v1/journal/r999999", 404, "r999999"),
        ("/api/v1/journal/s1", 404, "s1"),
        ("/api/v1/journal/r1/answer?attempt=0", 400, "attempt"),
        ("/api/v1/journal/r1/message?attempt=1", 400, "\"attempt\""),
    ] {
        let answer = receiver.admin_get(path);
        assert_eq!(answer.status, status, "{path}: {}", answer.text());
        let error = answer.answer::<ErrorAnswer>().error;
        assert!(error.contains(named), "{path}: {error}");
    }
    let audit_id = page(&receiver, "?kind=audit").entries[0].id.clone();
    let no_message = receiver.admin_get(&format!("/api/v1/journal/{audit_id}/message"));
    assert_eq!(no_message.status, 404);
    let not_allowed = receiver.admin_post("/api/v1/journal");
    assert_eq!(
        (not_allowed.status, not_allowed.header("allow")),
        (405, Some("GET"))
    );
    // Reading changed nothing; the refused POST is the one new entry (an audit).
    let after = page(&receiver, "?limit=1000");
    assert_eq!(after.entries.len(), before.entries.len() + 1);
    assert_eq!(after.entries[0].kind, EntryKind::Audit);
    assert_eq!(after.entries[1..], before.entries[..]);
}
