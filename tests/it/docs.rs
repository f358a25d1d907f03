//! The documentation is kept true: the rule catalogue's page is made from the catalogue,
//! every relative link (and its `#anchor`) in the README and `docs/` resolves, every page
//! in `docs/` is reachable from the README, and the README stays short.
//!
//! `LOTGATE_UPDATE_DOCS=1 cargo test --test it docs::` rewrites the generated page.

mod admin_api;

use crate::support::crate_dir;
use lotgate::diagnostics::{Rule, level_name};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The most the README may be: what lotgate is, the two commands, the verbs, links.
const README_LIMIT: usize = 15 * 1024;

/// `docs/validation-rules.md` as the rule catalogue makes it.
fn validation_rules_page() -> String {
    let mut page = String::from(
        "# Validation rules\n\n\
         <!-- Made from the rule catalogue (src/diagnostics/rules.rs) by \
         `LOTGATE_UPDATE_DOCS=1 cargo test --test it docs::`; a test fails when it is not current. -->\n\n\
         Every problem `lotgate validate` and the receiver report carries a stable code. When it \
         goes out in an acknowledgement (levels `CE` and `CR`), the detail's `code` is the HL7 \
         AcknowledgementDetailCode below (code system `2.16.840.1.113883.5.1100`) and its `text` \
         starts with the rule code, e.g. `[lot.too-long] …`. The most serious level present \
         decides the answer (see [From problems to the answer](validate.md#from-problems-to-the-answer)); \
         every rule has at least one example in the corpus (`schemas/examples/`). Rules marked \
         *receiver only* compare a message with what the receiver holds, so only a running \
         receiver checks them.\n\n\
         | code | level | HL7 code | meaning |\n|---|---|---|---|\n",
    );
    for rule in Rule::ALL {
        let hl7 = rule.hl7();
        let display = hl7
            .display_name
            .trim_start_matches("Error: ")
            .trim_end_matches('.');
        page.push_str(&format!(
            "| `{}` | {} | `{}` {display} | {}{} |\n",
            rule.id(),
            level_name(rule.level()),
            hl7.code,
            rule.meaning(),
            if rule.needs_receiver_state() {
                " (*receiver only*)"
            } else {
                ""
            }
        ));
    }
    page
}

#[test]
fn the_validation_rules_page_is_made_from_the_catalogue() {
    let path = crate_dir().join("docs/validation-rules.md");
    let made = validation_rules_page();
    if std::env::var_os("LOTGATE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &made).expect("write the page");
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == made,
        "{} is not what the rule catalogue makes; rewrite it with \
         LOTGATE_UPDATE_DOCS=1 cargo test --test it docs::",
        path.display()
    );
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped (letters, digits,
/// `-`, `_` and spaces kept), spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// The anchors of a page's headings (a repeated heading gets `-1`, `-2`, … as on GitHub).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for line in prose(text) {
        let Some(heading) = line.strip_prefix('#').map(|h| h.trim_start_matches('#')) else {
            continue;
        };
        if !heading.starts_with(' ') {
            continue;
        }
        let base = slug(heading);
        let count = seen.entry(base.clone()).or_insert(0);
        out.insert(if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        });
        *count += 1;
    }
    out
}

/// The relative link targets of a page: `](target)` outside code, without web and mail
/// addresses.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            rest = &rest[start + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if !target.contains("://") && !target.starts_with("mailto:") {
                out.push(target.to_owned());
            }
            rest = &rest[end..];
        }
    }
    out
}

/// The README and every page in `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![crate_dir().join("README.md")];
    let docs = std::fs::read_dir(crate_dir().join("docs")).expect("a docs directory");
    for entry in docs {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_resolves_and_every_page_is_reachable() {
    let pages = pages();
    let mut dead = Vec::new();
    let mut edges: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).expect("a page");
        for link in links(&text) {
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                normalise(&page.parent().expect("a directory").join(file))
            };
            if !target.exists() {
                dead.push(format!("{}: {link} (no such file)", page.display()));
                continue;
            }
            if target.extension().is_some_and(|e| e == "md") {
                edges.entry(page.clone()).or_default().push(target.clone());
                if !anchor.is_empty() {
                    let target_text = std::fs::read_to_string(&target).expect("a page");
                    if !anchors(&target_text).contains(anchor) {
                        dead.push(format!("{}: {link} (no such heading)", page.display()));
                    }
                }
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
    let readme = crate_dir().join("README.md");
    let mut reached = BTreeSet::from([readme.clone()]);
    let mut todo = vec![readme];
    while let Some(page) = todo.pop() {
        for next in edges.get(&page).into_iter().flatten() {
            if reached.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    let unreached: Vec<_> = pages.iter().filter(|p| !reached.contains(*p)).collect();
    assert!(
        unreached.is_empty(),
        "not reachable from the README: {unreached:?}"
    );
}

#[test]
fn the_readme_is_short() {
    let size = std::fs::metadata(crate_dir().join("README.md"))
        .expect("the README")
        .len() as usize;
    assert!(
        size <= README_LIMIT,
        "the README is {size} bytes, at most {README_LIMIT}"
    );
}

#[test]
fn the_slugs_are_githubs() {
    assert_eq!(
        slug("`lotgate validate` — check a message before you connect"),
        "lotgate-validate--check-a-message-before-you-connect"
    );
    assert_eq!(slug("`[gateway]`"), "gateway");
    assert_eq!(slug("Production: two-way TLS"), "production-two-way-tls");
    assert_eq!(
        anchors("# A\n## A\n```\n# not\n```\n### B c"),
        BTreeSet::from(["a".to_owned(), "a-1".to_owned(), "b-c".to_owned()])
    );
}
