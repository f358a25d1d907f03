//! `docs/admin-api.md` from the API's types: the answers' section is made from the
//! serde types in `src/api/` (each type's and field's documentation comment, its JSON
//! kind, whether it may be left out), and every route the admin listener serves is on
//! the page.

use crate::support::crate_dir;
use std::collections::BTreeSet;

/// Where the made section begins and ends on the page.
const BEGIN: &str = "<!-- answers: begin -->";
const END: &str = "<!-- answers: end -->";

/// The files of `src/api/` in the order their types appear on the page.
const FILES: [&str; 9] = [
    "health.rs",
    "receiver.rs",
    "sender.rs",
    "mail.rs",
    "journal.rs",
    "backup.rs",
    "reload.rs",
    "overview.rs",
    "mod.rs",
];

/// One type of the API as its source declares it.
#[derive(Debug)]
struct Type {
    name: String,
    doc: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Fields: name, Rust type, doc, attributes.
    Struct(Vec<Field>),
    /// Variants as they are written in JSON, with their doc.
    Enum(Vec<(String, String)>),
}

#[derive(Debug)]
struct Field {
    name: String,
    rust: String,
    doc: String,
    left_out_when_empty: bool,
    flatten: bool,
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The API's types in `text`, in source order: every `pub struct` and `pub enum` with
/// its documentation; `impl` blocks are passed over.
fn types_in(text: &str) -> Vec<Type> {
    let mut types = Vec::new();
    let mut doc: Vec<String> = Vec::new();
    let mut attributes: Vec<String> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if let Some(text) = trimmed.strip_prefix("///") {
            doc.push(text.trim().to_owned());
            continue;
        }
        if trimmed.starts_with("#[") {
            attributes.push(trimmed.to_owned());
            continue;
        }
        if line.starts_with("impl") {
            // Skip to the closing brace at the start of a line.
            for inner in lines.by_ref() {
                if inner == "}" {
                    break;
                }
            }
        } else if let Some(rest) = line.strip_prefix("pub struct ") {
            let name = rest.trim_end_matches(" {").trim().to_owned();
            let mut fields = Vec::new();
            let mut field_doc: Vec<String> = Vec::new();
            let mut field_attributes: Vec<String> = Vec::new();
            for inner in lines.by_ref() {
                let inner = inner.trim();
                if inner == "}" {
                    break;
                }
                if let Some(text) = inner.strip_prefix("///") {
                    field_doc.push(text.trim().to_owned());
                } else if inner.starts_with("#[") {
                    field_attributes.push(inner.to_owned());
                } else if let Some(field) = inner.strip_prefix("pub ") {
                    let (field_name, rust) = field
                        .trim_end_matches(',')
                        .split_once(": ")
                        .unwrap_or_else(|| panic!("a field as `name: Type`: {inner}"));
                    // A field written under another name (`match`, a Rust keyword).
                    let written = field_attributes.iter().find_map(|a| {
                        a.strip_prefix("#[serde(rename = \"")
                            .and_then(|r| r.strip_suffix("\")]"))
                    });
                    fields.push(Field {
                        name: written.unwrap_or(field_name).to_owned(),
                        rust: rust.to_owned(),
                        doc: field_doc.join(" "),
                        left_out_when_empty: field_attributes
                            .iter()
                            .any(|a| a.contains("skip_serializing_if")),
                        flatten: field_attributes.iter().any(|a| a.contains("flatten")),
                    });
                    field_doc.clear();
                    field_attributes.clear();
                }
            }
            types.push(Type {
                name,
                doc: doc.join(" "),
                kind: Kind::Struct(fields),
            });
        } else if let Some(rest) = line.strip_prefix("pub enum ") {
            let name = rest.trim_end_matches(" {").trim().to_owned();
            let snake = attributes
                .iter()
                .any(|a| a.contains("rename_all = \"snake_case\""));
            let kebab = attributes
                .iter()
                .any(|a| a.contains("rename_all = \"kebab-case\""));
            let mut variants = Vec::new();
            let mut variant_doc: Vec<String> = Vec::new();
            let mut renamed: Option<String> = None;
            for inner in lines.by_ref() {
                let inner = inner.trim();
                if inner == "}" {
                    break;
                }
                if let Some(text) = inner.strip_prefix("///") {
                    variant_doc.push(text.trim().to_owned());
                } else if let Some(name) = inner
                    .strip_prefix("#[serde(rename = \"")
                    .and_then(|r| r.strip_suffix("\")]"))
                {
                    renamed = Some(name.to_owned());
                } else if let Some(variant) = inner.strip_suffix(',') {
                    let written = match renamed.take() {
                        Some(name) => name,
                        None if snake => snake_case(variant),
                        None if kebab => snake_case(variant).replace('_', "-"),
                        None => variant.to_owned(),
                    };
                    variants.push((written, variant_doc.join(" ")));
                    variant_doc.clear();
                }
            }
            types.push(Type {
                name,
                doc: doc.join(" "),
                kind: Kind::Enum(variants),
            });
        }
        doc.clear();
        attributes.clear();
    }
    types
}

/// A Rust type as JSON, with the API's own types as links to their section.
fn json_kind(rust: &str, known: &BTreeSet<String>) -> String {
    if let Some(inner) = rust
        .strip_prefix("Option<")
        .and_then(|r| r.strip_suffix('>'))
    {
        return format!("{} or `null`", json_kind(inner, known));
    }
    if let Some(inner) = rust.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        return format!("array of {}", json_kind(inner, known));
    }
    if let Some(inner) = rust
        .strip_prefix("BTreeMap<String, ")
        .and_then(|r| r.strip_suffix('>'))
    {
        return format!("object of {}", json_kind(inner, known));
    }
    match rust {
        "String" => "string".to_owned(),
        "u64" | "u32" | "u16" | "usize" | "i64" => "number".to_owned(),
        "bool" => "boolean".to_owned(),
        "NaiveDate" => "date (`YYYY-MM-DD`)".to_owned(),
        other if known.contains(other) => format!("[{other}](#{})", other.to_lowercase()),
        other => panic!("no JSON kind for the Rust type {other}: add it to json_kind"),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The page's section of answers, made from the types.
fn answers(types: &[Type]) -> String {
    let known: BTreeSet<String> = types.iter().map(|t| t.name.clone()).collect();
    let mut out = format!(
        "{BEGIN}\n<!-- Made from the types in src/api/ by `LOTGATE_UPDATE_DOCS=1 cargo test --test it \
         docs::`; a test fails when it is not current. -->\n"
    );
    for t in types {
        out.push_str(&format!("\n### {}\n\n{}\n\n", t.name, t.doc));
        match &t.kind {
            Kind::Struct(fields) => {
                out.push_str("| field | JSON | meaning |\n|---|---|---|\n");
                for field in fields {
                    let kind = match (
                        field.left_out_when_empty,
                        field.rust.strip_prefix("Option<"),
                    ) {
                        (true, Some(inner)) => format!(
                            "{}, or left out",
                            json_kind(inner.strip_suffix('>').unwrap(), &known)
                        ),
                        (true, None) => {
                            format!("{}, left out when empty", json_kind(&field.rust, &known))
                        }
                        (false, _) => json_kind(&field.rust, &known),
                    };
                    let name = if field.flatten {
                        // serde writes a flattened `None` as no fields at all.
                        let inner = field
                            .rust
                            .strip_prefix("Option<")
                            .and_then(|r| r.strip_suffix('>'))
                            .map_or_else(
                                || format!("the fields of {kind}"),
                                |inner| {
                                    format!(
                                        "the fields of {}, when there is one",
                                        json_kind(inner, &known)
                                    )
                                },
                            );
                        format!("({inner}, at the top level)")
                    } else {
                        format!("`{}`", field.name)
                    };
                    let kind = if field.flatten { String::new() } else { kind };
                    out.push_str(&format!(
                        "| {name} | {} | {} |\n",
                        cell(&kind),
                        cell(&field.doc)
                    ));
                }
            }
            Kind::Enum(variants) => {
                out.push_str("| value | meaning |\n|---|---|\n");
                for (value, doc) in variants {
                    out.push_str(&format!("| `\"{value}\"` | {} |\n", cell(doc)));
                }
            }
        }
    }
    out.push('\n');
    out.push_str(END);
    out
}

fn api_types() -> Vec<Type> {
    let dir = crate_dir().join("src/api");
    let mut types = Vec::new();
    for file in FILES {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        types.extend(types_in(&text));
    }
    let mut names = BTreeSet::new();
    for t in &types {
        assert!(names.insert(t.name.clone()), "{} twice", t.name);
        assert!(!t.doc.is_empty(), "{} has no documentation", t.name);
        if let Kind::Struct(fields) = &t.kind {
            for field in fields {
                assert!(
                    !field.doc.is_empty(),
                    "{}::{} has no documentation",
                    t.name,
                    field.name
                );
            }
        }
    }
    types
}

#[test]
fn the_answers_on_the_admin_api_page_are_made_from_the_api_types() {
    let types = api_types();
    // Every type the API exports is on the page.
    let exported = std::fs::read_to_string(crate_dir().join("src/api/mod.rs")).unwrap();
    for t in &types {
        assert!(
            exported.contains(&t.name),
            "{} is not exported by src/api/mod.rs",
            t.name
        );
    }
    assert!(types.len() >= 30, "only {} types read", types.len());

    let path = crate_dir().join("docs/admin-api.md");
    let page = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        page.find(BEGIN).expect("the page has the answers' section"),
        page.find(END).expect("the answers' section ends") + END.len(),
    );
    let made = answers(&types);
    if std::env::var_os("LOTGATE_UPDATE_DOCS").is_some() {
        let updated = format!("{}{made}{}", &page[..start], &page[end..]);
        std::fs::write(&path, updated).expect("write the page");
    } else {
        assert!(
            page[start..end] == made,
            "the answers in {} are not what src/api/ makes; rewrite them with \
             LOTGATE_UPDATE_DOCS=1 cargo test --test it docs::",
            path.display()
        );
    }
}

/// The routes the admin listener serves, read from the route tables: each
/// `(&Method::X, ["api", "v1", …])` arm as `X /api/v1/…`, a segment bound to a name as
/// `{name}`, and one bound to alternatives (`which @ ("a" | "b")`) once per alternative.
fn routes() -> Vec<String> {
    let src = crate_dir().join("src");
    // Matched by whole path in src/admin/mod.rs, overview.rs, backup.rs and reload.rs.
    let mut routes: Vec<String> = [
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /",
        "GET /api/v1/overview",
        "POST /api/v1/backup",
        "POST /api/v1/reload",
    ]
    .map(str::to_owned)
    .to_vec();
    for file in [
        "receiver/api.rs",
        "sender/api.rs",
        "mail/api.rs",
        "admin/journal.rs",
    ] {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("(&Method::") else {
                continue;
            };
            let (method, rest) = rest.split_once(", [").unwrap();
            let segments = &rest[..rest.find(']').unwrap()];
            let mut paths = vec![String::new()];
            for segment in segments.split(", ") {
                let choices: Vec<String> =
                    match (segment.strip_prefix('"'), segment.split_once(" @ ")) {
                        (Some(literal), _) => vec![literal.trim_end_matches('"').to_owned()],
                        (None, Some((_, alternatives))) => alternatives
                            .trim_matches(|c| c == '(' || c == ')')
                            .split(" | ")
                            .map(|a| a.trim_matches('"').to_owned())
                            .collect(),
                        (None, None) => vec![format!("{{{segment}}}")],
                    };
                paths = paths
                    .iter()
                    .flat_map(|p| choices.iter().map(move |c| format!("{p}/{c}")))
                    .collect();
            }
            routes.extend(paths.into_iter().map(|path| format!("{method} {path}")));
        }
    }
    routes
}

#[test]
fn every_route_of_the_admin_listener_is_on_the_page() {
    let routes = routes();
    assert!(routes.len() >= 12, "only {routes:?}");
    assert!(routes.contains(&"POST /api/v1/quarantine/{id}/{action}".to_owned()));
    assert!(routes.contains(&"GET /api/v1/journal/{id}/answer".to_owned()));
    let page = std::fs::read_to_string(crate_dir().join("docs/admin-api.md")).unwrap();
    let missing: Vec<&String> = routes
        .iter()
        .filter(|route| !page.contains(&format!("`{route}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "routes not in docs/admin-api.md: {missing:?}"
    );
}

#[test]
fn the_type_reader_reads_structs_enums_and_attributes() {
    let text = "/// A thing.\n#[derive(Debug)]\n#[serde(rename_all = \"snake_case\")]\npub enum Colour {\n    /// Dark.\n    DeepBlue,\n    /// Light.\n    #[serde(rename = \"sky blue\")]\n    SkyBlue,\n}\n\nimpl Colour {\n    /// Not a type.\n    pub fn x() {}\n}\n\n/// Holder.\npub struct Holder {\n    /// The colour.\n    #[serde(default, skip_serializing_if = \"Option::is_none\")]\n    pub colour: Option<Colour>,\n    /// Counts.\n    pub counts: Vec<u64>,\n}\n";
    let types = types_in(text);
    assert_eq!(types.len(), 2);
    assert!(matches!(&types[0].kind, Kind::Enum(v) if v == &[
        ("deep_blue".to_owned(), "Dark.".to_owned()),
        ("sky blue".to_owned(), "Light.".to_owned()),
    ]));
    let Kind::Struct(fields) = &types[1].kind else {
        panic!("a struct");
    };
    assert_eq!(fields.len(), 2);
    assert!(fields[0].left_out_when_empty && !fields[1].left_out_when_empty);
    let known = BTreeSet::from(["Colour".to_owned()]);
    assert_eq!(
        json_kind(&fields[0].rust, &known),
        "[Colour](#colour) or `null`"
    );
    assert_eq!(json_kind(&fields[1].rust, &known), "array of number");
}
