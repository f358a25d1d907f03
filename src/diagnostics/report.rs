//! The report: problems found in one message (or source), each with its rule, a text in
//! Dutch and English and a location, and the verdict they add up to.

use super::rules::{Level, Rule};
use crate::language::Language;
use serde::Serialize;
use std::fmt;

/// One problem found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The rule that was broken.
    pub rule: Rule,
    /// Where: an XPath into the HL7 document (or the envelope), or `/` for the whole input.
    pub location: String,
    text_nl: String,
    text_en: String,
}

impl Issue {
    /// A problem with its texts in both languages.
    pub fn new(
        rule: Rule,
        location: impl Into<String>,
        nl: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            location: location.into(),
            text_nl: nl.into(),
            text_en: en.into(),
        }
    }

    /// The human-readable text in the given language.
    pub fn text(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.text_nl,
            Language::En => &self.text_en,
        }
    }

    /// The level of the broken rule.
    pub fn level(&self) -> Level {
        self.rule.level()
    }
}

/// What the receiver would answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// `CA`: accepted (possibly with warnings).
    #[serde(rename = "accept")]
    Accept,
    /// `CE`: commit error.
    #[serde(rename = "CE")]
    CommitError,
    /// `CR`: rejected.
    #[serde(rename = "CR")]
    Reject,
    /// A `soap:Client` fault.
    #[serde(rename = "fault")]
    Fault,
    /// Not usable as XML; on the wire also a `soap:Client` fault.
    #[serde(rename = "unusable")]
    Unusable,
}

impl Verdict {
    /// The name used in reports and the example manifest.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::CommitError => "CE",
            Verdict::Reject => "CR",
            Verdict::Fault => "fault",
            Verdict::Unusable => "unusable",
        }
    }

    /// The exit code of `lotgate validate`: 0 accepted, 1 rejected, 2 unusable input.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Accept => 0,
            Verdict::Unusable => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The most issues a report keeps; further ones are only counted, so that a hostile
/// message cannot make the report (or the acknowledgement) grow without bound.
pub const MAX_ISSUES: usize = 1000;

/// All problems found in one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    issues: Vec<Issue>,
    dropped: usize,
    worst: Option<Level>,
}

impl Report {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a problem (counted but not kept beyond [`MAX_ISSUES`]).
    pub fn push(&mut self, issue: Issue) {
        self.worst = self.worst.max(Some(issue.level()));
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(issue);
        } else {
            self.dropped += 1;
        }
    }

    /// Adds a problem from its parts.
    pub fn add(
        &mut self,
        rule: Rule,
        location: impl Into<String>,
        nl: impl Into<String>,
        en: impl Into<String>,
    ) {
        self.push(Issue::new(rule, location, nl, en));
    }

    /// Adds every problem of `other` after this report's own (as if found later).
    pub fn append(&mut self, other: Report) {
        self.dropped += other.dropped;
        if let Some(level) = other.worst {
            self.worst = self.worst.max(Some(level));
        }
        for issue in other.issues {
            self.push(issue);
        }
    }

    /// The problems kept, in the order found.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// How many problems were found but not kept.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The most serious level present.
    pub fn worst(&self) -> Option<Level> {
        self.worst
    }

    /// Whether any problem of this level or worse is present.
    pub fn has(&self, level: Level) -> bool {
        self.worst.is_some_and(|worst| worst >= level)
    }

    /// Whether the report names this rule.
    pub fn contains(&self, rule: Rule) -> bool {
        self.issues.iter().any(|i| i.rule == rule)
    }

    /// The problems of exactly this level.
    pub fn at_level(&self, level: Level) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(move |i| i.level() == level)
    }

    /// What the receiver answers.
    pub fn verdict(&self) -> Verdict {
        match self.worst {
            None | Some(Level::Warning) => Verdict::Accept,
            Some(Level::Error) => Verdict::CommitError,
            Some(Level::Reject) => Verdict::Reject,
            Some(Level::Fault) => Verdict::Fault,
            Some(Level::Unusable) => Verdict::Unusable,
        }
    }

    /// The report as JSON (for `lotgate validate --format json` and import reports).
    pub fn to_json(&self, language: Language) -> serde_json::Value {
        let issues: Vec<_> = self
            .issues
            .iter()
            .map(|i| {
                serde_json::json!({
                    "code": i.rule.id(),
                    "severity": if i.level() == Level::Warning { "warning" } else { "error" },
                    "level": level_name(i.level()),
                    "hl7_code": i.rule.hl7().code,
                    "text": i.text(language),
                    "location": i.location,
                })
            })
            .collect();
        serde_json::json!({
            "verdict": self.verdict(),
            "errors": self.issues.iter().filter(|i| i.level() != Level::Warning).count(),
            "warnings": self.issues.iter().filter(|i| i.level() == Level::Warning).count(),
            "not_shown": self.dropped,
            "issues": issues,
        })
    }
}

/// A short name for a level, as shown in reports.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Warning => "warning",
        Level::Error => "CE",
        Level::Reject => "CR",
        Level::Fault => "fault",
        Level::Unusable => "unusable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_is_the_worst_level() {
        let mut report = Report::new();
        assert_eq!(report.verdict(), Verdict::Accept);
        report.add(Rule::LotDuplicate, "/", "dubbel", "duplicate");
        assert_eq!(report.verdict(), Verdict::Accept);
        report.add(Rule::LotTooLong, "/", "te lang", "too long");
        assert_eq!(report.verdict(), Verdict::CommitError);
        report.add(Rule::WrapperSender, "/", "afzender", "sender");
        assert_eq!(report.verdict(), Verdict::Reject);
        report.add(Rule::LotBlank, "/", "leeg", "blank");
        assert_eq!(report.verdict(), Verdict::Reject);
        report.add(Rule::Hl7Interaction, "/", "interactie", "interaction");
        assert_eq!(report.verdict(), Verdict::Fault);
        assert_eq!(report.at_level(Level::Error).count(), 2);
    }

    #[test]
    fn report_is_bounded() {
        let mut report = Report::new();
        for _ in 0..MAX_ISSUES + 5 {
            report.add(Rule::LotBlank, "/", "leeg", "blank");
        }
        assert_eq!(report.issues().len(), MAX_ISSUES);
        assert_eq!(report.dropped(), 5);
    }
}
