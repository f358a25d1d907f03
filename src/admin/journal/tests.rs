//! Reading the journal's parameters and cursor, and merging the roles' pages.

use super::*;
use chrono::TimeZone;

fn query(text: &str) -> Result<ListQuery, String> {
    ListQuery::parse(
        &Query::parse(Some(text)),
        chrono_tz::Europe::Amsterdam,
        Language::En,
    )
}

#[test]
fn parameters_are_read_and_every_bad_one_is_named() {
    let list = query("kind=delivery&destination=ggd&since=2026-12-01&until=2026-12-02T12:00:00Z&limit=7&outcome=delivered&message_id=LG-1").unwrap();
    assert_eq!(list.filter.kind, Some(JournalKind::Delivery));
    assert_eq!(list.filter.destination.as_deref(), Some("ggd"));
    assert_eq!(list.filter.outcome.as_deref(), Some("delivered"));
    assert_eq!(list.filter.message_id.as_deref(), Some("LG-1"));
    // A date is the local day's first moment: 00:00 CET is 23:00 UTC the day before.
    assert_eq!(
        list.filter.since,
        Some(Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap())
    );
    assert_eq!(
        list.filter.until,
        Some(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap())
    );
    assert_eq!(list.limit, 7);
    assert_eq!(query("").unwrap().limit, DEFAULT_LIMIT);

    for (bad, named) in [
        ("colour=red", "\"colour\""),
        ("kind=deliveries", "kind \"deliveries\""),
        ("since=yesterday", "since \"yesterday\""),
        ("until=2026-13-01", "until \"2026-13-01\""),
        ("limit=0", "limit \"0\""),
        ("limit=1001", "limit \"1001\""),
        ("limit=many", "limit \"many\""),
        ("cursor=x7", "cursor \"x7\""),
        ("cursor=.", "cursor \".\""),
    ] {
        let error = query(bad).expect_err(bad);
        assert!(error.contains(named), "{bad}: {error}");
    }
    let dutch = ListQuery::parse(
        &Query::parse(Some("limit=0")),
        chrono_tz::Europe::Amsterdam,
        Language::Nl,
    )
    .unwrap_err();
    assert_eq!(dutch, "limit \"0\" ligt niet tussen 1 en 1000");
}

#[test]
fn entry_ids_and_cursors_name_the_role() {
    assert_eq!(
        EntryId::parse("s17", Language::En),
        Ok(EntryId {
            role: Role::Sender,
            number: 17
        })
    );
    assert_eq!(EntryId::parse("r40", Language::En).unwrap().show(), "r40");
    for bad in ["17", "x17", "s", "s-1", "r1.5", ""] {
        assert!(EntryId::parse(bad, Language::En).is_err(), "{bad}");
    }
    let cursor = Cursor::parse("s12.r40", Language::En).unwrap();
    assert_eq!((cursor.sender, cursor.receiver), (Some(12), Some(40)));
    assert_eq!(cursor.show().as_deref(), Some("s12.r40"));
    let only = Cursor::parse("r3", Language::En).unwrap();
    assert_eq!((only.sender, only.receiver), (None, Some(3)));
}

fn entry(id: u64, minute: u32) -> JournalEntry {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 2, minute, 0).unwrap();
    JournalEntry {
        id,
        kind: JournalKind::Delivery,
        at,
        last_at: at,
        destination: None,
        outcome: "delivered".into(),
        message_id: None,
        details: serde_json::Value::Null,
        bodies: Vec::new(),
    }
}

fn shown(page: &[(Role, JournalEntry)]) -> Vec<String> {
    page.iter()
        .map(|(role, e)| {
            EntryId {
                role: *role,
                number: e.id,
            }
            .show()
        })
        .collect()
}

#[test]
fn the_roles_pages_merge_newest_first_and_the_cursor_goes_on_where_they_stopped() {
    // The sender's entries at minutes 9, 5, 1; the receiver's at 8, 7, 2 (newest first).
    let sender = vec![entry(30, 9), entry(20, 5), entry(10, 1)];
    let receiver = vec![entry(3, 8), entry(2, 7), entry(1, 2)];
    let (page, cursor) = merge(
        vec![
            (Role::Sender, sender.clone()),
            (Role::Receiver, receiver.clone()),
        ],
        3,
    );
    assert_eq!(shown(&page), ["s30", "r3", "r2"]);
    let cursor = cursor.expect("more to come");
    assert_eq!(cursor.show().as_deref(), Some("s30.r2"));

    // The next page: each role read below its cursor.
    let sender_next: Vec<JournalEntry> = sender.into_iter().filter(|e| e.id < 30).collect();
    let receiver_next: Vec<JournalEntry> = receiver.into_iter().filter(|e| e.id < 2).collect();
    let (page, cursor) = merge(
        vec![(Role::Sender, sender_next), (Role::Receiver, receiver_next)],
        3,
    );
    assert_eq!(shown(&page), ["s20", "r1", "s10"]);
    assert_eq!(cursor, None, "everything shown");

    // A role with nothing shown on a full page keeps its place.
    let (page, cursor) = merge(
        vec![
            (Role::Sender, vec![entry(5, 50), entry(4, 40)]),
            (Role::Receiver, vec![entry(9, 1)]),
        ],
        2,
    );
    assert_eq!(shown(&page), ["s5", "s4"]);
    assert_eq!(
        cursor.and_then(Cursor::show).as_deref(),
        Some("s4.r18446744073709551615")
    );
}
