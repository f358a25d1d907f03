//! The parts of the page both roles share: our certificates (`#certificates`), the alert
//! emails waiting and given up on (`#mail`), and the links to the journal, the metrics
//! and the JSON of this page (`#links`).

use super::Ctx;
use super::clock::Style;
use super::html::{command, esc, shell_word};
use super::words::{self, Word};
use crate::api::{CertificateDays, MailList, MailView};
use std::fmt::{self, Write};

/// Our certificates with the days they have left (`tr.certificate[data-days-left]`),
/// highlighted when expiring or ended.
pub(super) fn certificates(
    out: &mut String,
    ctx: &Ctx,
    certificates: &[CertificateDays],
) -> fmt::Result {
    write!(
        out,
        "<section id=\"certificates\"><h2>{}</h2>",
        ctx.w(Word::Certificates)
    )?;
    if certificates.is_empty() {
        return write!(
            out,
            "<p class=\"empty\">{}</p></section>",
            ctx.w(Word::NoCertificates)
        );
    }
    write!(
        out,
        "<div class=\"scroll\"><table class=\"certificates\"><thead><tr><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th></tr></thead><tbody>",
        ctx.w(Word::Name),
        ctx.w(Word::Holder),
        ctx.w(Word::ValidUntil),
        ctx.w(Word::DaysLeft),
    )?;
    for days in certificates {
        let certificate = &days.certificate;
        let (class, note) = if days.days_left < 0 {
            (" ended", Some(Word::Expired))
        } else if certificate.expiring {
            (" expiring", Some(Word::ExpiringSoon))
        } else {
            ("", None)
        };
        write!(
            out,
            "<tr class=\"certificate{class}\" data-expiring=\"{}\" data-days-left=\"{}\">\
             <td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"days\">",
            certificate.expiring,
            days.days_left,
            esc(&certificate.name),
            esc(&certificate.subject),
            ctx.clock.element(&certificate.not_after, Style::Full),
        )?;
        match note {
            Some(note) => write!(
                out,
                "<span class=\"warning\">⚠ {} ({})</span>",
                esc(&words::days(days.days_left, ctx.language)),
                ctx.w(note)
            )?,
            None => write!(out, "{}", esc(&words::days(days.days_left, ctx.language)))?,
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div></section>");
    Ok(())
}

/// The alert emails: counts (`#mail-pending[data-count]`, `#mail-dead[data-count]`), the
/// waiting ones and the dead letters with the commands that retry or discard them.
pub(super) fn mail(out: &mut String, ctx: &Ctx, mail: &MailList) -> fmt::Result {
    write!(
        out,
        "<section id=\"mail\"><h2>{}</h2><p class=\"counts\">\
         <span id=\"mail-pending\" data-count=\"{pending}\">{}: <strong>{pending}</strong></span> · \
         <span id=\"mail-dead\" data-count=\"{dead}\" class=\"{}\">{}: <strong>{dead}</strong></span></p>",
        ctx.w(Word::Mail),
        ctx.w(Word::MailWaiting),
        if mail.dead.is_empty() { "" } else { "bad" },
        ctx.w(Word::DeadLetters),
        pending = mail.pending.len(),
        dead = mail.dead.len(),
    )?;
    waiting(out, ctx, &mail.pending)?;
    dead(out, ctx, &mail.dead)?;
    out.push_str("</section>");
    Ok(())
}

/// The mails waiting to be sent (`#mail-pending-table`, `tr.mail[data-mail-id]`).
fn waiting(out: &mut String, ctx: &Ctx, mails: &[MailView]) -> fmt::Result {
    write!(out, "<h3>{}</h3>", ctx.w(Word::MailWaiting))?;
    if mails.is_empty() {
        return write!(out, "<p class=\"empty\">{}</p>", ctx.w(Word::NoMail));
    }
    write!(
        out,
        "<div class=\"scroll\"><table id=\"mail-pending-table\"><thead><tr><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>",
        ctx.w(Word::Subject),
        ctx.w(Word::Role),
        ctx.w(Word::To),
        ctx.w(Word::Queued),
        ctx.w(Word::Tries),
        ctx.w(Word::LastAnswer),
    )?;
    for mail in mails {
        head(out, ctx, mail)?;
        write!(
            out,
            "<td>{}</td><td class=\"num\">{}</td><td class=\"detail\">",
            ctx.clock.element(&mail.queued_at, Style::Short),
            mail.tries,
        )?;
        if let Some(since) = &mail.refused_since {
            write!(
                out,
                "<span class=\"warning\">⚠ {} {}</span> ",
                ctx.w(Word::RefusedSince),
                ctx.clock.element(since, Style::Short)
            )?;
        }
        if let Some(error) = &mail.last_error {
            write!(out, "{}", esc(error))?;
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>");
    Ok(())
}

/// The dead letters (`#mail-dead-table`, `tr.mail[data-mail-id]`), each with the
/// commands `lotgate mail retry ID` and `lotgate mail discard ID`.
fn dead(out: &mut String, ctx: &Ctx, mails: &[MailView]) -> fmt::Result {
    write!(out, "<h3>{}</h3>", ctx.w(Word::DeadLetters))?;
    if mails.is_empty() {
        return write!(out, "<p class=\"empty\">{}</p>", ctx.w(Word::NoMail));
    }
    write!(
        out,
        "<div class=\"scroll\"><table id=\"mail-dead-table\"><thead><tr><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        ctx.w(Word::Subject),
        ctx.w(Word::Role),
        ctx.w(Word::To),
        ctx.w(Word::Queued),
        ctx.w(Word::GivenUpAt),
        ctx.w(Word::Reason),
        ctx.w(Word::Commands),
    )?;
    for mail in mails {
        head(out, ctx, mail)?;
        write!(
            out,
            "<td>{}</td><td>",
            ctx.clock.element(&mail.queued_at, Style::Short)
        )?;
        if let Some(at) = &mail.dead_at {
            write!(out, "{}", ctx.clock.element(at, Style::Short))?;
        }
        out.push_str("</td><td class=\"detail\">");
        if let Some(reason) = &mail.reason {
            write!(out, "{}", esc(reason))?;
        }
        out.push_str("</td><td class=\"commands\">");
        command(
            out,
            format_args!("lotgate mail retry {}", shell_word(&mail.id)),
        )?;
        out.push(' ');
        command(
            out,
            format_args!("lotgate mail discard {}", shell_word(&mail.id)),
        )?;
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>");
    Ok(())
}

/// A mail's first cells: subject, role and recipients (the row opened).
fn head(out: &mut String, ctx: &Ctx, mail: &MailView) -> fmt::Result {
    write!(
        out,
        "<tr class=\"mail\" data-mail-id=\"{}\"><td>{}</td><td>{}</td><td>",
        esc(&mail.id),
        esc(&mail.subject),
        esc(words::role(&mail.role, ctx.language)),
    )?;
    for (i, to) in mail.to.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write!(out, "{}", esc(to))?;
    }
    out.push_str("</td>");
    Ok(())
}

/// Links to the journal, the metrics, this page's JSON and the readiness.
pub(super) fn links(out: &mut String, ctx: &Ctx) -> fmt::Result {
    write!(
        out,
        "<section id=\"links\"><h2>{}</h2><ul class=\"links\">\
         <li><a href=\"/api/v1/journal\">{}</a></li>\
         <li><a href=\"/api/v1/journal?kind=audit\">{}</a></li>\
         <li><a href=\"/metrics\">{}</a></li>\
         <li><a href=\"/api/v1/overview\">{}</a></li>\
         <li><a href=\"/readyz\">{} (/readyz)</a></li></ul></section>",
        ctx.w(Word::Links),
        ctx.w(Word::Journal),
        ctx.w(Word::AuditJournal),
        ctx.w(Word::Metrics),
        ctx.w(Word::OverviewJson),
        ctx.w(Word::Readiness),
    )
}
