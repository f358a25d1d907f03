//! Reading a start tag's name and attributes straight from the source text, so that
//! names and values borrow the input and are read once.
//!
//! Well-formedness rules enforced: whitespace between attributes, `name="value"` or
//! `name='value'` with the quote closed, no `<` in a value, only the five predefined
//! entities and character references to characters XML 1.0 allows. Values are
//! normalized as XML requires (tab, line feed and carriage return become a space;
//! references are resolved afterwards, so `&#9;` stays a tab).

use crate::language::Text;
use std::borrow::Cow;

/// A qualified name as written, with the position of its colon (0 when it has none:
/// a name cannot start with one). Kept small: it is returned for every attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QName<'a> {
    /// The name as written.
    pub full: &'a str,
    colon: usize,
}

impl<'a> QName<'a> {
    /// The prefix, `""` when the name has none.
    pub fn prefix(&self) -> &'a str {
        &self.full[..self.colon]
    }

    /// The local part.
    pub fn local(&self) -> &'a str {
        if self.colon == 0 {
            self.full
        } else {
            &self.full[self.colon + 1..]
        }
    }
}

/// Splits the inside of a start tag (between `<` and `>` or `/>`) into its name and an
/// iterator over its attributes.
pub fn split(inside: &str) -> Result<(QName<'_>, Attributes<'_>), Text> {
    let (name, rest) = scan_name(inside, false)?;
    Ok((name, Attributes { rest }))
}

/// The attributes of a start tag, in order: `(name, normalized value)`.
pub struct Attributes<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Result<(QName<'a>, Cow<'a, str>), Text>;

    fn next(&mut self) -> Option<Self::Item> {
        let trimmed = trim_space(self.rest);
        if trimmed.is_empty() {
            return None;
        }
        let result = if trimmed.len() == self.rest.len() {
            Err(Text::new(
                "attributen moeten door witruimte gescheiden zijn",
                "attributes must be separated by whitespace",
            ))
        } else {
            attribute(trimmed)
        };
        match result {
            Ok((name, value, rest)) => {
                self.rest = rest;
                Some(Ok((name, value)))
            }
            Err(e) => {
                self.rest = "";
                Some(Err(e))
            }
        }
    }
}

/// Byte classes for scanning names: where a name stops, its colon, forbidden bytes.
const STOP: u8 = 1;
const COLON: u8 = 2;
const FORBIDDEN: u8 = 4;

const CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        if NOT_IN_NAME[b] {
            table[b] = FORBIDDEN;
        }
        b += 1;
    }
    table[b' ' as usize] = STOP;
    table[b'\t' as usize] = STOP;
    table[b'\n' as usize] = STOP;
    table[b'\r' as usize] = STOP;
    table[b'=' as usize] = STOP;
    table[b':' as usize] = COLON;
    table
};

/// Reads a name at the start of `s` up to whitespace or `=`, in one pass: checks its
/// bytes and finds its prefix. Returns the name and what follows.
fn scan_name(s: &str, attribute: bool) -> Result<(QName<'_>, &str), Text> {
    let bytes = s.as_bytes();
    let mut end = bytes.len();
    let mut seen = 0u8;
    let mut colon = 0;
    let mut colons = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let class = CLASS[usize::from(b)];
        if class & STOP != 0 {
            end = i;
            break;
        }
        if class & COLON != 0 {
            colon = i;
            colons += 1;
        }
        seen |= class;
    }
    let full = &s[..end];
    let first_ok = bytes
        .first()
        .is_some_and(|b| !b.is_ascii_digit() && !matches!(b, b'-' | b'.' | b':'));
    if seen & FORBIDDEN != 0
        || !first_ok
        || end == 0
        || colons > 1
        || (colons == 1 && colon == end - 1)
    {
        return Err(if attribute {
            Text::new(
                format!("ongeldige attribuutnaam {full:?}"),
                format!("invalid attribute name {full:?}"),
            )
        } else {
            Text::new(
                format!("ongeldige elementnaam {full:?}"),
                format!("invalid element name {full:?}"),
            )
        });
    }
    Ok((QName { full, colon }, &s[end..]))
}

type Parsed<'a> = (QName<'a>, Cow<'a, str>, &'a str);

fn attribute(s: &str) -> Result<Parsed<'_>, Text> {
    let (name, after) = scan_name(s, true)?;
    let after = trim_space(after);
    let Some(after) = after.strip_prefix('=') else {
        return Err(Text::new(
            format!("attribuut {} heeft geen waarde", name.full),
            format!("attribute {} has no value", name.full),
        ));
    };
    let after = trim_space(after);
    let quote = match after.as_bytes().first() {
        Some(q @ (b'"' | b'\'')) => *q,
        _ => {
            return Err(Text::new(
                format!(
                    "de waarde van attribuut {} staat niet tussen aanhalingstekens",
                    name.full
                ),
                format!("the value of attribute {} is not quoted", name.full),
            ));
        }
    };
    let body = &after[1..];
    let Some(close) = memchr::memchr(quote, body.as_bytes()) else {
        return Err(Text::new(
            format!("de waarde van attribuut {} is niet afgesloten", name.full),
            format!("the value of attribute {} is not closed", name.full),
        ));
    };
    let raw = &body[..close];
    // Without early exit, so that the scan is vectorised.
    let special = raw.bytes().fold(false, |seen, b| {
        seen | matches!(b, b'<' | b'&' | b'\t' | b'\n' | b'\r')
    });
    let value = if special {
        if raw.contains('<') {
            return Err(Text::new(
                format!("attribuut {} bevat '<'", name.full),
                format!("attribute {} contains '<'", name.full),
            ));
        }
        normalize(raw).map_err(|e| {
            e.map(|language, e| {
                format!(
                    "{} {}: {e}",
                    language.pick("attribuut", "attribute"),
                    name.full
                )
            })
        })?
    } else {
        Cow::Borrowed(raw)
    };
    Ok((name, value, &body[close + 1..]))
}

/// Normalizes an attribute value; borrowed when nothing changes (the usual case).
fn normalize(raw: &str) -> Result<Cow<'_, str>, Text> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find(['&', '\t', '\n', '\r']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("\r\n") {
            out.push(' ');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('&') {
            let Some(semicolon) = after.find(';') else {
                return Err(Text::new(
                    "verwijzing zonder afsluitende ';'",
                    "unterminated reference",
                ));
            };
            out.push(resolve_reference(&after[..semicolon])?);
            rest = &after[semicolon + 1..];
        } else {
            out.push(' ');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Resolves the name of a reference (between `&` and `;`): a predefined entity or a
/// character reference to a character XML 1.0 allows.
pub fn resolve_reference(name: &str) -> Result<char, Text> {
    let code = if let Some(hex) = name.strip_prefix("#x") {
        u32::from_str_radix(hex, 16)
            .ok()
            .filter(|_| !hex.is_empty() && hex.len() <= 6)
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse::<u32>()
            .ok()
            .filter(|_| dec.len() <= 7 && dec.bytes().all(|b| b.is_ascii_digit()))
    } else {
        return match name {
            "amp" => Ok('&'),
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "quot" => Ok('"'),
            "apos" => Ok('\''),
            _ => Err(Text::new(
                format!("onbekende entiteit &{name};"),
                format!("undefined entity &{name};"),
            )),
        };
    };
    match code.and_then(char::from_u32) {
        Some(c) if is_xml_char(c) => Ok(c),
        _ => Err(Text::new(
            format!("tekenverwijzing &{name}; is geen toegestaan teken"),
            format!("character reference &{name}; is not an allowed character"),
        )),
    }
}

/// Whether XML 1.0 allows the character anywhere in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn trim_space(s: &str) -> &str {
    let start = s.bytes().position(|b| !is_space(b)).unwrap_or(s.len());
    &s[start..]
}

/// Bytes that may not appear in a name: markup and separator characters, controls,
/// space and DEL. Non-ASCII bytes (letters in other scripts) pass.
const NOT_IN_NAME: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b <= 0x20 {
        table[b] = true;
        b += 1;
    }
    let forbidden = b"<>&\"'=/!?;,\x7f";
    let mut i = 0;
    while i < forbidden.len() {
        table[forbidden[i] as usize] = true;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(inside: &str) -> Result<Vec<(String, String)>, Text> {
        let (_, attributes) = split(inside)?;
        attributes
            .map(|a| a.map(|(n, v)| (n.full.to_owned(), v.into_owned())))
            .collect()
    }

    #[test]
    fn reads_names_and_values() {
        let (name, _) = split("p:code a=\"1\"").unwrap();
        assert_eq!(
            (name.prefix(), name.local(), name.full),
            ("p", "code", "p:code")
        );
        assert_eq!(
            attrs("e a=\"1\"  b = 'x\"y' c=\"\"").unwrap(),
            [("a", "1"), ("b", "x\"y"), ("c", "")].map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
        assert_eq!(
            attrs("e v=\"a\tb\r\nc&#9;d&amp;&#x41;\"").unwrap()[0].1,
            "a b c\td&A"
        );
        assert!(matches!(
            split("e a=\"plain\"").unwrap().1.next(),
            Some(Ok((_, Cow::Borrowed(_))))
        ));
    }

    #[test]
    fn refuses_malformed_attributes() {
        for bad in [
            "e a=1",
            "e a",
            "e a=\"1\"b=\"2\"",
            "e a=\"1",
            "e a=\"<\"",
            "e a=\"&x;\"",
            "e a=\"&#0;\"",
            "e a=\"&#7;\"",
            "e a=\"&#xD800;\"",
            "e a=\"&amp\"",
            "e =\"1\"",
            "e 1a=\"1\"",
        ] {
            assert!(attrs(bad).is_err(), "{bad:?} accepted");
        }
        for bad in ["", "1e", "e/", "a:", ":a", "a:b:c"] {
            assert!(split(bad).is_err(), "{bad:?} accepted as a name");
        }
    }
}
