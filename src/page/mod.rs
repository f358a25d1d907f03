//! The status page (`GET /` on the admin listener): the overview of the gateway as one
//! HTML document. Pure: an [`Overview`](crate::api::Overview) in, text out.
//!
//! The document stands alone: inline CSS and SVG, no script, no outside assets; it
//! refreshes itself every 30 seconds. Every string of the overview is escaped (it comes
//! from stored data and from the other side of the exchange); times are shown in the
//! overview's time zone; every word a person reads is in the page's language. Colour is
//! never the only signal: each outcome also has a word or a symbol.
//!
//! The document's hooks (ids, classes and `data-` attributes), which tests and
//! people's scripts may rely on, are named in the documentation of the functions that
//! write them, and checked by this module's tests.

mod clock;
mod html;
mod receiver;
mod sender;
mod shared;
mod style;
mod svg;
mod words;

#[cfg(test)]
mod tests;

use crate::api::Overview;
use crate::language::Language;
use clock::{Clock, Style};
use html::esc;
use std::fmt::{self, Write};
use words::Word;

/// What every part of the page needs: the language and the clock.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    language: Language,
    clock: Clock,
}

impl Ctx {
    /// A fixed word in the page's language.
    fn w(&self, word: Word) -> &'static str {
        word.get(self.language)
    }
}

/// The status page for `overview`, in `language`: a whole HTML5 document.
pub fn render(overview: &Overview, language: Language) -> String {
    let ctx = Ctx {
        language,
        clock: Clock::new(&overview.time_zone, &overview.now),
    };
    let mut out = String::with_capacity(64 * 1024);
    // Writing into a `String` never fails.
    let _ = document(&mut out, &ctx, overview);
    out
}

/// The document: head, header, then the sender's, the receiver's and the shared parts.
fn document(out: &mut String, ctx: &Ctx, overview: &Overview) -> fmt::Result {
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"30\">\
         <meta name=\"color-scheme\" content=\"light\">\
         <title>{}</title><style>{}</style></head><body>",
        ctx.language.code(),
        ctx.w(Word::Title),
        style::CSS,
    )?;
    header(out, ctx, overview)?;
    out.push_str("<main>");
    if let Some(sender) = &overview.sender {
        sender::section(out, ctx, sender)?;
    }
    if let Some(receiver) = &overview.receiver {
        receiver::section(out, ctx, receiver)?;
    }
    shared::certificates(out, ctx, &overview.certificates)?;
    shared::mail(out, ctx, &overview.mail)?;
    shared::links(out, ctx)?;
    out.push_str("</main></body></html>\n");
    Ok(())
}

/// The header: the name, the readiness (`#readiness[data-state]`) with its reasons, and
/// when the overview was made (`#generated`).
fn header(out: &mut String, ctx: &Ctx, overview: &Overview) -> fmt::Result {
    let status = overview.readiness.status;
    let (icon, word) = words::readiness(status);
    write!(
        out,
        "<header class=\"top\"><h1>lotgate</h1>\
         <div id=\"readiness\" class=\"readiness\" data-state=\"{}\">\
         <span class=\"icon\" aria-hidden=\"true\">{icon}</span> <strong>{}</strong>",
        words::readiness_name(status),
        ctx.w(word),
    )?;
    if let Some(reason) = overview
        .readiness
        .reason
        .as_deref()
        .filter(|r| !r.is_empty())
    {
        out.push_str("<ul class=\"reasons\">");
        for part in reason.split("; ").filter(|p| !p.trim().is_empty()) {
            write!(out, "<li>{}</li>", esc(part))?;
        }
        out.push_str("</ul>");
    }
    write!(
        out,
        "</div><p class=\"made\">{} <span id=\"generated\">{}</span> \
         <span class=\"muted\">({} {}; {})</span></p></header>",
        ctx.w(Word::Updated),
        ctx.clock.element(&overview.now, Style::Full),
        ctx.w(Word::TimeZone),
        esc(ctx.clock.zone_name()),
        ctx.w(Word::Refreshes),
    )
}
