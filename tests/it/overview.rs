//! The overview from outside: the gateway started on the top-level `config.toml` (both
//! roles, Dutch, a delivery right after start-up; only its ports, data and inventory
//! paths moved into a temporary directory), its status page loaded in a real headless
//! Chromium and its rendered DOM checked against what the API says happened, a
//! screenshot kept as a test artefact; `GET /api/v1/overview` and `lotgate status`
//! (text and `--json`) showing both roles; and the page refusing changes.

use crate::support::crate_dir;
use crate::support::gateway::{self, Gateway};
use crate::support::sender::{destination, state, wait_for};
use lotgate::api::{NightResult, Overview, ReadyStatus, StateView};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A port on loopback that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The top-level `config.toml`, with its listeners on free ports, its data and mail in
/// `dir`, and the inventory file of the checkout.
fn local_config(dir: &Path) -> String {
    let config = std::fs::read_to_string(crate_dir().join("config.toml")).unwrap();
    let (exchange, admin) = (free_port(), free_port());
    let moved = [
        (
            "data_dir = \"./data\"",
            format!("data_dir = \"{}\"", dir.join("data").display()),
        ),
        (
            "file_dir = \"./data/mail\"",
            format!("file_dir = \"{}\"", dir.join("mail").display()),
        ),
        ("127.0.0.1:8081", format!("127.0.0.1:{admin}")),
        ("127.0.0.1:8080", format!("127.0.0.1:{exchange}")),
        (
            "file = \"examples/inventory.csv\"",
            format!(
                "file = \"{}\"",
                crate_dir().join("examples/inventory.csv").display()
            ),
        ),
    ];
    let mut config = config;
    for (from, to) in moved {
        assert!(config.contains(from), "config.toml has no {from}");
        config = config.replace(from, &to);
    }
    config
}

/// The gateway on the local configuration, once its delivery after start-up is in.
fn local_gateway() -> (Gateway, tempfile::TempDir) {
    let temp = tempfile::tempdir().unwrap();
    let gateway = gateway::start(temp.path(), &local_config(temp.path()));
    wait_for(Duration::from_secs(30), || {
        (state(&destination(&gateway, "local-receiver")) == Some(StateView::Delivered))
            .then_some(())
    })
    .unwrap_or_else(|| panic!("not delivered:\n{}", gateway.log()));
    (gateway, temp)
}

/// Headless Chromium (Debian package `chromium`; `.ci/run` installs it) with a profile
/// of its own in `profile`, on `url`, with `args`; its standard output.
fn chromium(profile: &Path, args: &[&str], url: &str) -> Vec<u8> {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs (Debian package chromium; .ci/run installs it)");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The text of the element after `hook` (an attribute written into a start tag) up to
/// the next tag: `text_after(dom, "data-vaccine=\"08\"", "class=\"count\"")`.
fn text_after<'a>(dom: &'a str, hook: &str, then: &str) -> Option<&'a str> {
    let at = dom.find(hook)?;
    let rest = &dom[at..];
    let inner = &rest[rest.find(then)?..];
    let start = inner.find('>')? + 1;
    let end = inner[start..].find('<')? + start;
    Some(inner[start..end].trim())
}

/// The start tag that holds `attribute`.
fn start_tag<'a>(dom: &'a str, attribute: &str) -> Option<&'a str> {
    let at = dom.find(attribute)?;
    let start = dom[..at].rfind('<')?;
    let end = dom[at..].find('>')? + at;
    Some(&dom[start..=end])
}

#[test]
fn the_status_page_in_a_real_browser_shows_the_delivery_and_the_set() {
    let (gateway, temp) = local_gateway();
    let set = gateway.set();
    let counts = set
        .set
        .as_ref()
        .expect("a set in place")
        .per_vaccine
        .clone();
    assert!(counts.len() >= 2, "{counts:?}");

    let url = format!("http://{}/", gateway.admin);
    let profile = temp.path().join("chromium");
    let dom = String::from_utf8(chromium(&profile, &["--dump-dom"], &url)).unwrap();

    // The configuration says Dutch: the page is in Dutch.
    assert!(dom.contains("<html lang=\"nl\""), "{dom}");
    // The destination, with its delivery's outcome as the sender has it.
    let at = dom
        .find("data-destination=\"local-receiver\"")
        .unwrap_or_else(|| panic!("no destination section:\n{dom}"));
    let section = &dom[at..];
    let section = &section[..section.find("</section>").unwrap_or(section.len())];
    let state = start_tag(section, "class=\"state\"").unwrap_or_else(|| panic!("{section}"));
    assert!(state.contains("data-state=\"delivered\""), "{state}");
    assert!(section.contains("class=\"attempt\""), "{section}");
    assert!(section.contains("data-outcome=\"delivered\""), "{section}");
    // The set in place: its version and the count of each vaccine type.
    let version =
        start_tag(&dom, "id=\"set-version\"").unwrap_or_else(|| panic!("no set version:\n{dom}"));
    assert!(
        version.contains(&format!("data-version=\"{}\"", set.set_version)),
        "version {} not on the page: {version}",
        set.set_version
    );
    for (vaccine, count) in &counts {
        let shown = text_after(
            &dom,
            &format!("data-vaccine=\"{vaccine}\""),
            "class=\"count\"",
        )
        .unwrap_or_else(|| panic!("no count for vaccine {vaccine}:\n{dom}"));
        assert_eq!(shown, count.to_string(), "vaccine {vaccine}");
    }
    // Not stale: the set was applied just now.
    assert!(dom.contains("data-stale=\"false\""), "{dom}");

    // A screenshot as a test artefact (not committed), under the target directory.
    let artefacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let shot = artefacts.join("status-page.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
        ],
        &url,
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 20_000, "a screenshot of {} bytes", png.len());
    eprintln!("status page screenshot: {}", shot.display());
}

#[test]
fn the_overview_and_lotgate_status_show_both_roles() {
    let (gateway, _temp) = local_gateway();
    let answer = gateway.admin_get("/api/v1/overview");
    assert_eq!(answer.status, 200);
    let overview: Overview = answer.answer();
    assert_eq!(overview.time_zone, "Europe/Amsterdam");
    assert_eq!(
        overview.readiness.status,
        ReadyStatus::Ready,
        "{overview:#?}"
    );
    let sender = overview.sender.as_ref().expect("the sender runs");
    let local = &sender.destinations[0];
    assert_eq!(local.status.name, "local-receiver");
    assert_eq!(
        local.status.delivery.as_ref().map(|d| d.state),
        Some(StateView::Delivered)
    );
    // The delivery after start-up has no night: the strip has 30 nights, none delivered.
    assert_eq!(local.nights.len(), 30);
    assert!(
        local
            .nights
            .iter()
            .all(|n| n.result == NightResult::None || n.journal.is_some())
    );
    // Its grid: the first attempt and 3 retries, a repeat of 3 after the pause.
    let places: Vec<(u32, u32)> = local.grid.iter().map(|s| (s.pattern, s.position)).collect();
    assert_eq!(
        places,
        [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2)]
    );
    let receiver = overview.receiver.as_ref().expect("the receiver runs");
    let set = receiver.set.set.as_ref().expect("a set in place");
    assert_eq!(receiver.set.set_version, 1);
    assert_eq!(receiver.lot_counts.len(), 1);
    assert_eq!(receiver.lot_counts[0].lots, set.lots);
    assert!(receiver.lot_counts[0].applied);
    assert_eq!(receiver.recent.len(), 1);
    assert_eq!(receiver.watchdog.expect_by, "07:00");
    assert!(!receiver.watchdog.alert_open);
    assert!(receiver.quarantine.is_empty());

    // `lotgate status --json` prints the same overview.
    let out = gateway.cli(&["status", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Overview = serde_json::from_slice(&out.stdout).expect("an overview");
    assert_eq!(
        printed.receiver.as_ref().map(|r| &r.set),
        Some(&receiver.set)
    );
    assert_eq!(
        printed.sender.as_ref().map(|s| s.destinations.len()),
        Some(1)
    );
    // And as text, in Dutch: the sender's delivery beside the receiver's set.
    let out = gateway.cli(&["status"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("local-receiver"), "{text}");
    assert!(text.contains("afgeleverd"), "{text}");
    assert!(
        text.contains(&format!(
            "set in gebruik, versie 1: bericht {}/{}",
            set.message_id.root, set.message_id.extension
        )),
        "{text}"
    );
    for (vaccine, count) in &set.per_vaccine {
        assert!(text.contains(&format!("{vaccine}: {count}")), "{text}");
    }
    assert!(text.contains("quarantaine: leeg"), "{text}");
}

#[test]
fn the_page_and_the_overview_only_answer_reading() {
    let (gateway, _temp) = local_gateway();
    let page = gateway.admin_get("/");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    for path in ["/", "/api/v1/overview"] {
        let answer = gateway.admin_post(path);
        assert_eq!(answer.status, 405, "POST {path}");
        assert_eq!(answer.header("allow"), Some("GET"));
    }
    assert_eq!(gateway.admin_get("/index.html").status, 404);
    assert_eq!(gateway.admin_get("/api/v1/overview/x").status, 404);
}
