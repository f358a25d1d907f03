//! The example corpus in `schemas/examples/`: every file through `lotgate validate`, and
//! the official schemas, the project's XSD and the validator agreeing where they apply.

use crate::support::{crate_dir, lotgate, official_schema, project_schema, xmllint_file};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
struct Manifest {
    example: Vec<Example>,
}

#[derive(Debug, Deserialize)]
pub struct Example {
    pub file: String,
    pub flaw: String,
    pub verdict: String,
    pub codes: Vec<String>,
    pub official_xsd: String,
    pub project_xsd: String,
}

impl Example {
    pub fn path(&self) -> PathBuf {
        crate_dir().join("schemas/examples").join(&self.file)
    }
}

pub fn manifest() -> Vec<Example> {
    let text = std::fs::read_to_string(crate_dir().join("schemas/examples/manifest.toml"))
        .expect("manifest");
    toml::from_str::<Manifest>(&text)
        .expect("manifest parses")
        .example
}

#[test]
fn the_corpus_is_complete_and_large_enough() {
    let examples = manifest();
    let invalid = examples.iter().filter(|e| e.verdict != "accept").count();
    assert!(invalid >= 40, "only {invalid} invalid examples");
    assert!(examples.len() - invalid >= 6);
    let mut listed: Vec<_> = examples.iter().map(|e| e.file.clone()).collect();
    listed.sort();
    let mut on_disk = Vec::new();
    for dir in ["valid", "invalid"] {
        for entry in std::fs::read_dir(crate_dir().join("schemas/examples").join(dir)).unwrap() {
            on_disk.push(format!(
                "{dir}/{}",
                entry.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    on_disk.sort();
    assert_eq!(
        listed, on_disk,
        "every example file has exactly one manifest entry"
    );
    // Rules that need the receiver's state are tested against a running receiver.
    for rule in lotgate::validate::Rule::ALL
        .iter()
        .filter(|r| !r.needs_receiver_state())
    {
        assert!(
            examples
                .iter()
                .any(|e| e.codes.iter().any(|c| c == rule.id())),
            "no example for rule {}",
            rule.id()
        );
    }
}

#[test]
fn every_example_gets_its_expected_verdict_from_lotgate_validate() {
    let mut failures = Vec::new();
    for example in manifest() {
        let path = example.path();
        let out = lotgate(&["validate", "--format", "json", path.to_str().unwrap()]);
        let expected_exit = match example.verdict.as_str() {
            "accept" => 0,
            "unusable" => 2,
            _ => 1,
        };
        let json: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(json) => json,
            Err(e) => {
                failures.push(format!("{}: no JSON report ({e})", example.file));
                continue;
            }
        };
        let reported: Vec<&str> = json["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        if json["verdict"] != example.verdict.as_str() || out.status.code() != Some(expected_exit) {
            failures.push(format!(
                "{} ({}): expected {} (exit {expected_exit}), got {} (exit {:?}) with {reported:?}",
                example.file,
                example.flaw,
                example.verdict,
                json["verdict"],
                out.status.code()
            ));
        }
        for code in &example.codes {
            if !reported.contains(&code.as_str()) {
                failures.push(format!(
                    "{}: expected rule {code}, got {reported:?}",
                    example.file
                ));
            }
        }
        if example.verdict == "accept"
            && reported
                .iter()
                .any(|c| !example.codes.iter().any(|e| e == c))
        {
            failures.push(format!(
                "{}: unexpected warnings {reported:?}",
                example.file
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn schemas_and_validator_agree_where_they_apply() {
    let examples = manifest();
    let official = official_schema("PRMM_IN010043NL");
    let project = project_schema("PRMM_IN010043NL");
    let mut failures = Vec::new();
    let mut checked = 0;
    for example in examples
        .iter()
        .filter(|e| e.official_xsd != "n/a" || e.project_xsd != "n/a")
    {
        checked += 1;
        let path = example.path();
        let verdict = |schema: &PathBuf| match xmllint_file(schema, &path) {
            Ok(()) => "valid",
            Err(_) => "invalid",
        };
        let (official_says, project_says) = (verdict(&official), verdict(&project));
        if official_says != example.official_xsd || project_says != example.project_xsd {
            failures.push(format!(
                "{}: manifest says official {} / project {}, xmllint says {official_says} / {project_says}",
                example.file, example.official_xsd, example.project_xsd
            ));
        }
        let accepted = example.verdict == "accept";
        if official_says == "invalid" && project_says == "valid" {
            failures.push(format!(
                "{}: the project XSD is laxer than the official one",
                example.file
            ));
        }
        if accepted && (official_says == "invalid" || project_says == "invalid") {
            failures.push(format!(
                "{}: the validator accepts what a schema refuses",
                example.file
            ));
        }
    }
    assert!(
        checked >= 40,
        "only {checked} bare examples checked against the schemas"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
