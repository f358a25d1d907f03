//! The house as `docs/architecture.md` draws it: the layer diagram there is read by this
//! test and the code is held to it. Every module of the library is in exactly one layer;
//! a module imports only from its own layer or the ones below; no two modules import
//! each other, directly or round a longer circle; sender and receiver never import each
//! other; the pure parts do no I/O and read no clock; and each outside crate with a job
//! of its own (sled, quick-xml, toml, lettre, reqwest, hyper, rustls) is known only
//! where the document says.
//!
//! Imports are read from the source text: every `crate::name` path outside comments and
//! test code (a `tests.rs` file, or a module's `#[cfg(test)] mod tests` at its end).

use crate::support::crate_dir;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A top-level module's source text without comments and test code.
struct Module {
    name: String,
    files: Vec<(PathBuf, String)>,
}

impl Module {
    /// Whether any of its files mentions `needle` (outside comments and tests).
    fn mentions(&self, needle: &str) -> Option<&Path> {
        self.files
            .iter()
            .find(|(_, text)| text.contains(needle))
            .map(|(path, _)| path.as_path())
    }

    /// The other top-level modules it imports.
    fn imports(&self, modules: &BTreeSet<String>) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for (_, text) in &self.files {
            for name in crate_paths(text) {
                if name != self.name && modules.contains(&name) {
                    found.insert(name);
                }
            }
        }
        found
    }
}

/// The first segment of every `crate::…` path, including each item of `crate::{a, b::c}`.
fn crate_paths(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        // Not `lotgate_crate::` or the like.
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            let mut ident = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !ident.is_empty() {
                            names.push(std::mem::take(&mut ident));
                        }
                        item_start = true;
                    }
                    c if item_start && (c.is_alphanumeric() || c == '_') => ident.push(c),
                    c if item_start && !c.is_whitespace() => {
                        if !ident.is_empty() {
                            names.push(std::mem::take(&mut ident));
                        }
                        item_start = false;
                    }
                    _ => {}
                }
            }
            if !ident.is_empty() {
                names.push(ident);
            }
        } else {
            let ident: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !ident.is_empty() {
                names.push(ident);
            }
        }
    }
    names
}

/// Source text without line comments, doc comments and test code.
fn without_comments_and_tests(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    };
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| match line.find(" // ") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The library's top-level modules, as `src/lib.rs` declares them, with their text.
fn modules() -> BTreeMap<String, Module> {
    let src = crate_dir().join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let names: Vec<String> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|name| name.trim_end_matches(';').to_owned())
        .collect();
    assert!(names.len() > 20, "src/lib.rs declares {names:?}");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut modules = BTreeMap::new();
    for name in names {
        let mut module = Module {
            name: name.clone(),
            files: Vec::new(),
        };
        for path in &files {
            let relative = path.strip_prefix(&src).unwrap();
            let top = relative
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            let is_test = relative
                .components()
                .any(|c| c.as_os_str() == "tests" || c.as_os_str() == "tests.rs");
            if top == name && !is_test {
                let text = std::fs::read_to_string(path).unwrap();
                module
                    .files
                    .push((relative.to_owned(), without_comments_and_tests(&text)));
            }
        }
        assert!(
            !module.files.is_empty(),
            "no source files for module {name}"
        );
        modules.insert(name, module);
    }
    modules
}

/// The layers of the diagram in `docs/architecture.md`, lowest first: each a name and
/// its modules. The diagram is the fenced block after `<!-- layers -->`; a row is
/// `│ <layer>  <module>  <module> … │`, the layer's name ending at two spaces.
fn layers() -> Vec<(String, Vec<String>)> {
    let page = std::fs::read_to_string(crate_dir().join("docs/architecture.md")).unwrap();
    let start = page
        .find("<!-- layers -->")
        .expect("docs/architecture.md has the layer diagram after <!-- layers -->");
    let block = &page[start..];
    let block = &block[block.find("```").unwrap() + 3..];
    let block = &block[block.find('\n').unwrap() + 1..block.find("\n```").unwrap()];
    let mut layers = Vec::new();
    for line in block.lines() {
        let Some(row) = line.trim().strip_prefix('│') else {
            continue;
        };
        let row = row.trim_end_matches('│').trim();
        let mut parts = row.split("  ").map(str::trim).filter(|p| !p.is_empty());
        let Some(layer) = parts.next() else {
            continue;
        };
        let members: Vec<String> = parts
            .flat_map(|p| p.split_whitespace())
            .map(str::to_owned)
            .collect();
        assert!(!members.is_empty(), "layer {layer:?} names no module");
        layers.push((layer.to_owned(), members));
    }
    layers.reverse();
    assert!(layers.len() >= 5, "the diagram has layers {layers:?}");
    layers
}

/// Each module's layer, counted from the bottom.
fn rank_of(layers: &[(String, Vec<String>)]) -> BTreeMap<String, (usize, String)> {
    let mut rank = BTreeMap::new();
    for (at, (layer, members)) in layers.iter().enumerate() {
        for member in members {
            let earlier = rank.insert(member.clone(), (at, layer.clone()));
            assert!(earlier.is_none(), "{member} is in the diagram twice");
        }
    }
    rank
}

#[test]
fn every_module_is_in_exactly_one_layer_of_the_diagram() {
    let modules = modules();
    let rank = rank_of(&layers());
    let mut expected: BTreeSet<String> = modules.keys().cloned().collect();
    expected.insert("main".to_owned());
    let drawn: BTreeSet<String> = rank.keys().cloned().collect();
    assert_eq!(
        drawn, expected,
        "the layer diagram in docs/architecture.md and the modules of src/lib.rs (plus main) differ"
    );
}

#[test]
fn a_module_imports_only_from_its_own_layer_or_below() {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let rank = rank_of(&layers());
    let mut wrong = Vec::new();
    for module in modules.values() {
        let (own, own_layer) = &rank[&module.name];
        for import in module.imports(&names) {
            let (theirs, their_layer) = &rank[&import];
            if theirs > own {
                wrong.push(format!(
                    "{} ({own_layer}) imports {import} ({their_layer})",
                    module.name
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
    // `main` hands over to the command line and does nothing else.
    let main = std::fs::read_to_string(crate_dir().join("src/main.rs")).unwrap();
    let main = without_comments_and_tests(&main);
    let uses: Vec<&str> = main.matches("lotgate::").collect();
    assert_eq!(uses.len(), 1, "src/main.rs: {main}");
    assert!(main.contains("lotgate::cli::main()"), "src/main.rs: {main}");
}

#[test]
fn no_two_modules_import_each_other_directly_or_round_a_circle() {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .values()
        .map(|m| (m.name.clone(), m.imports(&names)))
        .collect();
    // Depth-first search; a module met again on the current path closes a circle.
    fn visit(
        name: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == name) {
            let mut circle = path[at..].to_vec();
            circle.push(name.to_owned());
            circles.push(circle.join(" → "));
            return;
        }
        if !done.insert(name.to_owned()) {
            return;
        }
        path.push(name.to_owned());
        for next in &graph[name] {
            visit(next, graph, path, done, circles);
        }
        path.pop();
    }
    let mut circles = Vec::new();
    let mut done = BTreeSet::new();
    for name in graph.keys() {
        visit(name, &graph, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );

    // The check itself sees a circle when there is one.
    let mut looped = graph.clone();
    looped
        .get_mut("strings")
        .unwrap()
        .insert("startup".to_owned());
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for name in looped.keys() {
        visit(name, &looped, &mut Vec::new(), &mut done, &mut found);
    }
    assert!(!found.is_empty(), "a planted circle was not found");
}

#[test]
fn sender_and_receiver_never_import_each_other() {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    assert!(!modules["sender"].imports(&names).contains("receiver"));
    assert!(!modules["receiver"].imports(&names).contains("sender"));
}

#[test]
fn the_store_knows_no_role_and_nothing_of_mail_http_or_configuration() {
    let modules = modules();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let imports = modules["store"].imports(&names);
    for other in [
        "sender", "receiver", "mail", "http", "config", "tls", "admin",
    ] {
        assert!(!imports.contains(other), "store imports {other}");
    }
}

#[test]
fn the_domain_and_the_pure_core_do_no_io_and_read_no_clock() {
    let modules = modules();
    let pure: Vec<String> = layers()
        .into_iter()
        .filter(|(layer, _)| layer == "domain" || layer == "pure core")
        .flat_map(|(_, members)| members)
        .collect();
    assert!(pure.contains(&"wire".to_owned()) && pure.contains(&"lot".to_owned()));
    let forbidden = [
        "Utc::now",
        "Local::now",
        "SystemTime",
        "Instant::now",
        "std::fs",
        "std::net",
        "std::env",
        "tokio",
        "reqwest",
        "hyper",
        "sled",
    ];
    let mut found = Vec::new();
    for name in &pure {
        for needle in forbidden {
            if let Some(path) = modules[name].mentions(needle) {
                found.push(format!("{} mentions {needle}", path.display()));
            }
        }
    }
    // The decision steps of the roles are pure too: their callers pass the time.
    let src = crate_dir().join("src");
    for file in [
        "receiver/decide.rs",
        "receiver/lookup.rs",
        "receiver/watchdog.rs",
        "sender/plan.rs",
    ] {
        let text = without_comments_and_tests(&std::fs::read_to_string(src.join(file)).unwrap());
        for needle in forbidden {
            if text.contains(needle) {
                found.push(format!("{file} mentions {needle}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "I/O or the clock in a pure part:\n{}",
        found.join("\n")
    );
}

#[test]
fn each_outside_crate_with_a_job_is_known_only_where_the_document_says() {
    let modules = modules();
    let only = [
        ("sled::", &["store"][..]),
        ("quick_xml", &["xml"]),
        ("toml::", &["config"]),
        ("lettre", &["mail"]),
        ("prometheus_client", &["metrics"]),
        ("reqwest", &["sender", "cli", "verify"]),
        ("rustls", &["tls", "http", "mail"]),
        (
            "hyper",
            &["http", "admin", "receiver", "sender", "mail", "startup"],
        ),
    ];
    let mut found = Vec::new();
    for (needle, allowed) in only {
        for module in modules.values() {
            if allowed.contains(&module.name.as_str()) {
                continue;
            }
            if let Some(path) = module.mentions(needle) {
                found.push(format!("{} uses {needle}", path.display()));
            }
        }
        // The crate is really used where it is allowed: the check looks at real text.
        assert!(
            allowed
                .iter()
                .any(|m| modules[*m].mentions(needle).is_some()),
            "{needle} is used nowhere"
        );
    }
    assert!(
        found.is_empty(),
        "outside crates out of place:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_import_reader_sees_every_form_of_path() {
    let text =
        "use crate::a::X;\nuse crate::{b::Y, c, d::{e, f}};\nlet x = crate::g::h();\nmy_crate::no;";
    assert_eq!(crate_paths(text), ["a", "b", "c", "d", "g"]);
    let code = without_comments_and_tests(
        "use crate::a;\n// use crate::b;\n/// [`crate::c`]\nfn f() {} // crate::d\n#[cfg(test)]\nmod tests {\n    use crate::e;\n}\n",
    );
    assert_eq!(crate_paths(&code), ["a"]);
}
