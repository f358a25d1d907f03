//! The languages lotgate speaks to people (Dutch, the default, and English) and
//! [`Text`], a text written in each of them.
//!
//! Texts are written in both languages where they arise — a validation problem, an
//! attempt's outcome, an XML error — and one is picked where a person reads them: an
//! email, a report, `lotgate status`, `lotgate validate`. Words that are not ours (an
//! operating system's error, a receiver's answer) are quoted as they are, after our own
//! words. Logs are in English.

use serde::{Deserialize, Serialize};

/// The language of texts meant for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Dutch, the default.
    #[default]
    Nl,
    /// English.
    En,
}

impl Language {
    /// Every language, Dutch first.
    pub const ALL: [Language; 2] = [Language::Nl, Language::En];

    /// The ISO 639-1 code, as in `xml:lang`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
        }
    }

    /// One of two words or phrases: Dutch or English.
    pub fn pick<T>(self, nl: T, en: T) -> T {
        match self {
            Language::Nl => nl,
            Language::En => en,
        }
    }
}

impl std::str::FromStr for Language {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nl" => Ok(Self::Nl),
            "en" => Ok(Self::En),
            other => Err(format!(
                "unknown language {other:?}, expected \"nl\" or \"en\""
            )),
        }
    }
}

/// A text for people, in Dutch and in English.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text {
    nl: String,
    en: String,
}

impl Text {
    /// A text from its Dutch and its English version.
    pub fn new(nl: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            nl: nl.into(),
            en: en.into(),
        }
    }

    /// A text written by `write` in each language.
    pub fn from_fn(write: impl Fn(Language) -> String) -> Self {
        Self::new(write(Language::Nl), write(Language::En))
    }

    /// The same words in every language: a quote, a number, a name.
    pub fn verbatim(text: impl Into<String>) -> Self {
        let text = text.into();
        Self::new(text.clone(), text)
    }

    /// The text in `language`.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Nl => &self.nl,
            Language::En => &self.en,
        }
    }

    /// Whether there are no words in any language.
    pub fn is_empty(&self) -> bool {
        self.nl.is_empty() && self.en.is_empty()
    }

    /// A new text made from this one in each language.
    pub fn map(&self, write: impl Fn(Language, &str) -> String) -> Self {
        Self::from_fn(|language| write(language, self.get(language)))
    }
}

/// English, as in logs.
impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

/// Words that give a text away as English or as Dutch (and are not the other's words),
/// for tests that check a text is written in one language only.
#[cfg(test)]
const GIVEAWAYS: [(Language, &[&str]); 2] = [
    (
        Language::En,
        &[
            "the",
            "not",
            "and",
            "has",
            "have",
            "been",
            "with",
            "this",
            "for",
            "after",
            "please",
            "received",
            "delivered",
            "attempt",
            "attempts",
            "expires",
            "message",
            "lot",
            "numbers",
            "failed",
            "rejected",
        ],
    ),
    (
        Language::Nl,
        &[
            "de",
            "het",
            "niet",
            "van",
            "en",
            "een",
            "wordt",
            "heeft",
            "geen",
            "voor",
            "na",
            "poging",
            "pogingen",
            "verloopt",
            "bericht",
            "ontvangen",
            "mislukt",
            "geweigerd",
        ],
    ),
];

/// Panics unless `text` is written in `language`: it holds none of the other language's
/// giveaway words (names, codes and quotes in a test's text must avoid them).
#[cfg(test)]
pub(crate) fn assert_written_in(text: &str, language: Language) {
    for (other, words) in GIVEAWAYS {
        if other == language {
            continue;
        }
        let found: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            // As written, or capitalised at the start of a sentence (not "EN", a code).
            .filter(|w| {
                let lower = w.to_lowercase();
                words.contains(&lower.as_str()) && w.chars().skip(1).all(char::is_lowercase)
            })
            .collect();
        assert!(
            found.is_empty(),
            "{:?} words {found:?} in a text that should be {}:\n{text}",
            other,
            language.code()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_check_tells_one_from_the_other() {
        assert_written_in("De levering is niet afgeleverd.", Language::Nl);
        assert_written_in("The delivery has not been delivered.", Language::En);
        let mixed = std::panic::catch_unwind(|| {
            assert_written_in("mislukt: the answer was lost", Language::Nl)
        });
        assert!(mixed.is_err(), "English words in a Dutch text are found");
    }

    #[test]
    fn texts_in_each_language() {
        let text = Text::new("mislukt", "failed");
        assert_eq!(
            (text.get(Language::Nl), text.get(Language::En)),
            ("mislukt", "failed")
        );
        assert_eq!(text.to_string(), "failed", "logs are English");
        let more = text.map(|language, t| format!("{}: {t}", language.pick("poging", "attempt")));
        assert_eq!(more.get(Language::Nl), "poging: mislukt");
        assert_eq!(more.get(Language::En), "attempt: failed");
        assert_eq!(Text::verbatim("x").get(Language::Nl), "x");
        assert!(Text::default().is_empty() && !text.is_empty());
        assert_eq!("en".parse::<Language>(), Ok(Language::En));
        assert!("de".parse::<Language>().is_err());
    }
}
