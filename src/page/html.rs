//! Text made safe for the page: HTML escaping for text and attribute contexts,
//! percent-encoding for URL components, and quoting for the shell commands the page
//! suggests. Every string from the overview goes through one of these before it is
//! written.

use std::fmt::{self, Display, Formatter, Write};

/// `text` escaped for HTML text and (double- or single-quoted) attribute values: `&`,
/// `<`, `>`, `"` and `'` as character references, NUL as U+FFFD.
pub(super) fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// A string written escaped (see [`esc`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Escaped<'a>(&'a str);

impl Display for Escaped<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let text = self.0;
        let mut from = 0;
        for (at, c) in text.char_indices() {
            let replacement = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\0' => "\u{FFFD}",
                _ => continue,
            };
            f.write_str(&text[from..at])?;
            f.write_str(replacement)?;
            from = at + c.len_utf8();
        }
        f.write_str(&text[from..])
    }
}

/// `text` percent-encoded as one URL component (a path segment or a query value): every
/// byte but the unreserved `A-Z a-z 0-9 - . _ ~` as `%XX`. The result needs no further
/// HTML escaping.
pub(super) fn url(text: &str) -> UrlComponent<'_> {
    UrlComponent(text)
}

/// A string written percent-encoded (see [`url`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct UrlComponent<'a>(&'a str);

impl Display for UrlComponent<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for byte in self.0.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                f.write_char(char::from(byte))?;
            } else {
                f.write_char('%')?;
                f.write_char(char::from(HEX[usize::from(byte >> 4)]))?;
                f.write_char(char::from(HEX[usize::from(byte & 0xF)]))?;
            }
        }
        Ok(())
    }
}

/// `word` as one word for a POSIX shell: as it is when it holds only characters no
/// shell treats specially, else in single quotes (a `'` inside as `'\''`). Still to be
/// HTML-escaped.
pub(super) fn shell_word(word: &str) -> ShellWord<'_> {
    ShellWord(word)
}

/// A string written as one shell word (see [`shell_word`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct ShellWord<'a>(&'a str);

impl Display for ShellWord<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let plain = |c: char| c.is_ascii_alphanumeric() || "-._~@%+=:,/".contains(c);
        if !self.0.is_empty() && self.0.chars().all(plain) {
            return f.write_str(self.0);
        }
        f.write_char('\'')?;
        let mut parts = self.0.split('\'');
        if let Some(first) = parts.next() {
            f.write_str(first)?;
        }
        for part in parts {
            f.write_str("'\\''")?;
            f.write_str(part)?;
        }
        f.write_char('\'')
    }
}

/// Writes a `<code class="command">` with `command` (escaped), for copying.
pub(super) fn command(out: &mut String, command: impl Display) -> fmt::Result {
    // The command is built from shell words first, then escaped as a whole.
    let text = command.to_string();
    write!(out, "<code class=\"command\">{}</code>", esc(&text))
}
