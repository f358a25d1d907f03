//! The sender's part of the page (`#sender`): the next night, and per destination
//! (`section.destination[data-destination]`) its current delivery, the timeline of its
//! grid, its attempts, its last nights and a link to its journal.

use super::clock::Style;
use super::html::{esc, url};
use super::words::{self, NIGHT_RESULTS, Word};
use super::{Ctx, svg};
use crate::api::{
    AttemptView, DeliveryView, DestinationOverview, DestinationStatus, NightCell, SenderOverview,
    StateView,
};
use chrono::{Datelike, NaiveDate};
use std::fmt::{self, Write};

/// Writes the sender's section.
pub(super) fn section(out: &mut String, ctx: &Ctx, sender: &SenderOverview) -> fmt::Result {
    write!(
        out,
        "<section id=\"sender\"><h2>{}</h2>\
         <p class=\"next-night\" data-date=\"{}\">{}: <strong>{}</strong>, {} {}</p>",
        ctx.w(Word::Deliveries),
        esc(&sender.next_night.date),
        ctx.w(Word::NextNight),
        esc(&sender.next_night.date),
        ctx.w(Word::Starts),
        ctx.clock.element(&sender.next_night.start, Style::Full),
    )?;
    if sender.destinations.is_empty() {
        write!(
            out,
            "<p class=\"empty\">{}</p>",
            ctx.w(Word::NoDestinations)
        )?;
    }
    out.push_str("<div class=\"destinations\">");
    for destination in &sender.destinations {
        self::destination(out, ctx, destination)?;
    }
    out.push_str("</div></section>");
    Ok(())
}

/// The state of a destination's current delivery: its name in the API (`none` without a
/// delivery), its icon and its words.
fn state(ctx: &Ctx, delivery: Option<&DeliveryView>) -> (&'static str, &'static str, &'static str) {
    match delivery.map(|d| d.state) {
        Some(StateView::Pending) => ("pending", "…", StateView::Pending.word(ctx.language)),
        Some(StateView::Delivered) => ("delivered", "✓", StateView::Delivered.word(ctx.language)),
        Some(StateView::Rejected) => ("rejected", "✗", StateView::Rejected.word(ctx.language)),
        None => ("none", "–", ctx.w(Word::NoDelivery)),
    }
}

/// One destination's section.
fn destination(out: &mut String, ctx: &Ctx, destination: &DestinationOverview) -> fmt::Result {
    let status = &destination.status;
    let delivery = status.delivery.as_ref();
    let escalation_open = delivery.is_some_and(|d| d.escalation_open);
    let (state, icon, word) = state(ctx, delivery);
    write!(
        out,
        "<section class=\"destination\" data-destination=\"{name}\" data-in-flight=\"{}\" \
         data-escalation-open=\"{escalation_open}\" data-exhausted=\"{}\">\
         <h3><span class=\"muted\">{}</span> {name}</h3>\
         <p class=\"state-line\"><span class=\"state\" data-state=\"{state}\">\
         <span aria-hidden=\"true\">{icon}</span> {}</span>",
        status.in_flight,
        status.exhausted,
        ctx.w(Word::Destination),
        esc(word),
        name = esc(&status.name),
    )?;
    if status.in_flight {
        write!(
            out,
            " <span class=\"badge in-flight\">… {}</span>",
            ctx.w(Word::AttemptInFlight)
        )?;
    }
    out.push_str("</p>");
    if escalation_open {
        write!(
            out,
            "<p class=\"warning escalation-open\">⚠ {}</p>",
            ctx.w(Word::EscalationOpen)
        )?;
    }
    facts(out, ctx, status)?;
    write!(out, "<h4>{}</h4>", ctx.w(Word::Schedule))?;
    svg::timeline(out, ctx, &status.name, &destination.grid, delivery)?;
    if let Some(delivery) = delivery {
        attempts(out, ctx, &delivery.attempts)?;
    }
    nights(out, ctx, &destination.nights)?;
    write!(
        out,
        "<p><a class=\"journal-link\" href=\"/api/v1/journal?kind=delivery&amp;destination={}\">{}</a></p>\
         </section>",
        url(&status.name),
        ctx.w(Word::DestinationJournal),
    )
}

/// The destination's facts: address, receiver id, the current delivery and its message,
/// the next attempt and the escalation.
fn facts(out: &mut String, ctx: &Ctx, status: &DestinationStatus) -> fmt::Result {
    write!(
        out,
        "<dl class=\"facts\"><dt>{}</dt><dd><code class=\"url\">{}</code></dd>\
         <dt>{}</dt><dd><code class=\"receiver-id\">{}</code></dd>",
        ctx.w(Word::Address),
        esc(&status.url),
        ctx.w(Word::ReceiverId),
        esc(&status.receiver),
    )?;
    if let Some(night) = &status.last_night {
        write!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            ctx.w(Word::LastNight),
            esc(night)
        )?;
    }
    let Some(delivery) = &status.delivery else {
        return write!(
            out,
            "<dt>{}</dt><dd class=\"empty\">{}</dd></dl>",
            ctx.w(Word::CurrentDelivery),
            ctx.w(Word::NoDelivery)
        );
    };
    write!(
        out,
        "<dt>{}</dt><dd class=\"delivery\" data-delivery=\"{}\">#{} · {}",
        ctx.w(Word::CurrentDelivery),
        delivery.id,
        delivery.id,
        esc(delivery.trigger.word(ctx.language)),
    )?;
    if let Some(night) = &delivery.night {
        write!(out, " ({})", esc(night))?;
    }
    write!(
        out,
        "</dd><dt>{}</dt><dd class=\"message\">",
        ctx.w(Word::Message)
    )?;
    match &delivery.message {
        Some(message) => write!(
            out,
            "<code>{}</code> · {} {} · {} {}",
            esc(&message.id),
            message.lots,
            ctx.w(Word::Lots).to_lowercase(),
            message.bytes,
            ctx.w(Word::Bytes),
        )?,
        None => write!(
            out,
            "<span class=\"warning\">⚠ {}</span>",
            ctx.w(Word::MessageMissing)
        )?,
    }
    write!(
        out,
        "</dd><dt>{}</dt><dd class=\"next-attempt\">",
        ctx.w(Word::NextAttempt)
    )?;
    match (&status.next_attempt, status.exhausted) {
        (Some(at), _) => write!(out, "{}", ctx.clock.element(at, Style::Short))?,
        (None, true) => write!(
            out,
            "<span class=\"exhausted\">{}</span>",
            ctx.w(Word::Exhausted)
        )?,
        (None, false) => out.push_str(ctx.w(Word::NoneLeft)),
    }
    write!(
        out,
        "</dd><dt>{}</dt><dd class=\"escalate-at\">",
        ctx.w(Word::Escalation)
    )?;
    match &delivery.escalate_at {
        Some(at) => write!(out, "{}", ctx.clock.element(at, Style::Short))?,
        None => out.push_str(ctx.w(Word::NeverEscalated)),
    }
    if let Some(at) = &delivery.escalated_at {
        write!(
            out,
            " · <span class=\"warning\">⚠ {} {}</span>",
            ctx.w(Word::EscalatedAt).to_lowercase(),
            ctx.clock.element(at, Style::Short)
        )?;
    }
    out.push_str("</dd>");
    if let Some(at) = &delivery.finished_at {
        write!(
            out,
            "<dt>{}</dt><dd class=\"finished-at\">{}</dd>",
            ctx.w(Word::Finished),
            ctx.clock.element(at, Style::Short)
        )?;
    }
    out.push_str("</dl>");
    Ok(())
}

/// The attempts of the current delivery as a table (readable without the drawing).
fn attempts(out: &mut String, ctx: &Ctx, attempts: &[AttemptView]) -> fmt::Result {
    if attempts.is_empty() {
        return write!(out, "<p class=\"empty\">{}</p>", ctx.w(Word::NoAttempts));
    }
    write!(
        out,
        "<div class=\"scroll\"><table class=\"attempts\"><caption>{}</caption>\
         <thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        ctx.w(Word::Attempts),
        ctx.w(Word::Time),
        ctx.w(Word::Outcome),
        ctx.w(Word::Detail),
    )?;
    for (number, attempt) in attempts.iter().enumerate() {
        let (_, icon, class) = words::outcome(attempt.outcome);
        write!(
            out,
            "<tr class=\"attempt-row\"><td>{}</td><td>{}</td>\
             <td><span class=\"outcome {class}\">\
             <span aria-hidden=\"true\">{icon}</span> {}</span></td><td class=\"detail\">{}",
            number + 1,
            ctx.clock.element(&attempt.at, Style::Short),
            esc(attempt.outcome.word(ctx.language)),
            esc(&attempt.detail),
        )?;
        if attempt.answer_lost {
            write!(
                out,
                "<span class=\"warning answer-lost\">⚠ {}</span>",
                ctx.w(Word::AnswerLost)
            )?;
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></div>");
    Ok(())
}

/// The strip of the last nights, oldest first, with its legend.
fn nights(out: &mut String, ctx: &Ctx, nights: &[NightCell]) -> fmt::Result {
    write!(out, "<h4>{} ({})</h4>", ctx.w(Word::Nights), nights.len())?;
    if nights.is_empty() {
        return write!(out, "<p class=\"empty\">{}</p>", ctx.w(Word::NoNights));
    }
    out.push_str("<ol class=\"nights\">");
    for night in nights {
        let (name, symbol, words) = words::night(night.result, ctx.language);
        let day = NaiveDate::parse_from_str(&night.date, "%Y-%m-%d")
            .map(|d| d.day().to_string())
            .unwrap_or_default();
        write!(
            out,
            "<li class=\"night\" data-result=\"{name}\" data-date=\"{date}\" title=\"{date}: {words}\">",
            date = esc(&night.date),
        )?;
        let cell = format_args!(
            "<span class=\"sym\" aria-hidden=\"true\">{symbol}</span><span class=\"day\">{day}</span>\
             <span class=\"sr\">{}: {words}</span>",
            esc(&night.date)
        );
        match &night.journal {
            Some(id) => write!(
                out,
                "<a href=\"/api/v1/journal/{}\" title=\"{}: {words} ({}: {})\">{cell}</a>",
                url(id),
                esc(&night.date),
                ctx.w(Word::JournalEntry),
                esc(id),
            )?,
            None => write!(out, "<span class=\"cell\">{cell}</span>")?,
        }
        out.push_str("</li>");
    }
    write!(
        out,
        "</ol><ul class=\"legend\" aria-label=\"{}\">",
        ctx.w(Word::Legend)
    )?;
    for result in NIGHT_RESULTS {
        let (name, symbol, words) = words::night(result, ctx.language);
        write!(
            out,
            "<li><span class=\"swatch r-{name}\" aria-hidden=\"true\">{symbol}</span> {words}</li>"
        )?;
    }
    out.push_str("</ul>");
    Ok(())
}
