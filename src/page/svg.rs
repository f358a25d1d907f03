//! The page's two drawings, as inline SVG with a `viewBox` (they scale to their box):
//! the timeline of a delivery (its planned slots, pauses, escalation, "now" and every
//! attempt) and the chart of the receiver's lot counts. The geometry — scales and the
//! stacking of markers that would overlap — is in small pure functions.

use super::Ctx;
use super::clock::{Style, instant};
use super::html::esc;
use super::words::{self, Word};
use crate::api::{AttemptView, DeliveryView, LotCount, OutcomeView, PlannedSlot};
use chrono::{DateTime, Utc};
use std::fmt::{self, Write};

/// A linear map from a domain (seconds, an index, a count) onto a range of user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scale {
    from: (f64, f64),
    to: (f64, f64),
}

impl Scale {
    /// `from.0 → to.0`, `from.1 → to.1`. An empty domain maps everything to the middle
    /// of the range.
    pub(super) fn new(from: (f64, f64), to: (f64, f64)) -> Self {
        Self { from, to }
    }

    /// Where `value` falls.
    pub(super) fn at(&self, value: f64) -> f64 {
        let span = self.from.1 - self.from.0;
        if span.abs() < f64::EPSILON {
            return (self.to.0 + self.to.1) / 2.0;
        }
        self.to.0 + (value - self.from.0) / span * (self.to.1 - self.to.0)
    }

    /// Whether `value` lies in the domain (ends included).
    pub(super) fn contains(&self, value: f64) -> bool {
        let (low, high) = if self.from.0 <= self.from.1 {
            self.from
        } else {
            (self.from.1, self.from.0)
        };
        (low..=high).contains(&value)
    }
}

/// Seconds since the epoch, as a domain value.
fn seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp() as f64
}

/// For markers at `xs` (in order), the lane of each: the first lane whose last marker is
/// at least `gap` to the left, else the lane with the marker farthest left (of `lanes`).
pub(super) fn lanes(xs: &[f64], gap: f64, lanes: usize) -> Vec<usize> {
    let lanes = lanes.max(1);
    let mut last: Vec<Option<f64>> = vec![None; lanes];
    xs.iter()
        .map(|&x| {
            let free = last
                .iter()
                .position(|l| l.is_none_or(|l| (x - l).abs() >= gap));
            let lane = free.unwrap_or_else(|| {
                (0..lanes)
                    .min_by(|&a, &b| {
                        let a = last[a].unwrap_or(f64::MIN);
                        let b = last[b].unwrap_or(f64::MIN);
                        a.total_cmp(&b)
                    })
                    .unwrap_or(0)
            });
            last[lane] = Some(x);
            lane
        })
        .collect()
}

/// The end of a timeline without an escalation: the last slot plus a tenth of the span,
/// at least ten minutes.
pub(super) fn end_without_escalation(first: DateTime<Utc>, last: DateTime<Utc>) -> DateTime<Utc> {
    let margin = ((last - first) / 10).max(chrono::Duration::minutes(10));
    last + margin
}

// The timeline's frame, in user units.
const TL_WIDTH: f64 = 1000.0;
const TL_HEIGHT: f64 = 340.0;
const TL_LEFT: f64 = 40.0;
const TL_RIGHT: f64 = 880.0;
const TL_AXIS: f64 = 200.0;
const TL_LANES: [f64; 3] = [236.0, 264.0, 292.0];
/// Where the vertical marks (now, the escalation) end.
const TL_MARK_END: f64 = 310.0;
/// The baseline of the labels under everything.
const TL_FOOT: f64 = 330.0;

/// Writes the timeline of a delivery's `grid` and attempts, or a short text when there
/// is no grid.
pub(super) fn timeline(
    out: &mut String,
    ctx: &Ctx,
    name: &str,
    grid: &[PlannedSlot],
    delivery: Option<&DeliveryView>,
) -> fmt::Result {
    let slots: Vec<(DateTime<Utc>, &PlannedSlot)> = grid
        .iter()
        .filter_map(|slot| instant(&slot.at).map(|at| (at, slot)))
        .collect();
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return write!(out, "<p class=\"empty\">{}</p>", ctx.w(Word::NoGrid));
    };
    let attempts: Vec<(DateTime<Utc>, &AttemptView)> = delivery
        .map(|d| d.attempts.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|a| instant(&a.at).map(|at| (at, a)))
        .collect();
    let escalation = delivery.and_then(|d| d.escalate_at.as_deref().and_then(instant));
    let mut start = first.0;
    let mut end = escalation.unwrap_or_else(|| end_without_escalation(first.0, last.0));
    for at in attempts
        .iter()
        .map(|a| a.0)
        .chain([last.0])
        .chain(escalation)
    {
        start = start.min(at);
        end = end.max(at);
    }
    let scale = Scale::new((seconds(start), seconds(end)), (TL_LEFT, TL_RIGHT));

    write!(
        out,
        "<div class=\"figure\"><svg class=\"timeline\" viewBox=\"0 0 {TL_WIDTH} {TL_HEIGHT}\" role=\"img\" \
         preserveAspectRatio=\"xMinYMin meet\"><title>{}: {}</title>\
         <line class=\"axis\" x1=\"{TL_LEFT}\" y1=\"{TL_AXIS}\" x2=\"{:.1}\" y2=\"{TL_AXIS}\"/>",
        ctx.w(Word::Schedule),
        esc(name),
        scale.at(seconds(end)).max(TL_LEFT),
    )?;
    pauses(out, ctx, &slots, &scale)?;
    slot_marks(out, ctx, &slots, &scale)?;
    if let (Some(at), Some(delivery)) = (escalation, delivery) {
        escalation_mark(out, ctx, at, delivery, &scale)?;
    }
    if let Some(now) = ctx.clock.now()
        && scale.contains(seconds(now))
    {
        let x = scale.at(seconds(now));
        write!(
            out,
            "<g class=\"now\"><title>{now_word} {full}</title>\
             <line x1=\"{x:.1}\" y1=\"30\" x2=\"{x:.1}\" y2=\"{TL_MARK_END}\"/>\
             <text x=\"{x:.1}\" y=\"20\" text-anchor=\"middle\">{now_word} {short}</text></g>",
            now_word = ctx.w(Word::Now),
            full = ctx.clock.show(&api_time(now), Style::Full),
            short = ctx.clock.show(&api_time(now), Style::TimeOfDay),
        )?;
    }
    attempt_marks(out, ctx, &attempts, &scale)?;
    write!(
        out,
        "<text class=\"axis-label\" x=\"{TL_LEFT}\" y=\"{TL_FOOT}\">{}</text></svg></div>",
        ctx.clock.show(&api_time(start), Style::Full)
    )
}

/// An instant written as the API writes it, to show it through the clock.
fn api_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The pause between two patterns: a band on the axis from the last slot of one to the
/// first of the next, labelled.
fn pauses(
    out: &mut String,
    ctx: &Ctx,
    slots: &[(DateTime<Utc>, &PlannedSlot)],
    scale: &Scale,
) -> fmt::Result {
    for pair in slots.windows(2) {
        let [(from, a), (to, b)] = pair else { continue };
        if a.pattern == b.pattern {
            continue;
        }
        let (x1, x2) = (scale.at(seconds(*from)), scale.at(seconds(*to)));
        let width = (x2 - x1 - 12.0).max(0.0);
        write!(
            out,
            "<g class=\"pause\"><title>{pause} {} – {}</title>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"12\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{pause}</text></g>",
            ctx.clock.show(&a.at, Style::TimeOfDay),
            ctx.clock.show(&b.at, Style::TimeOfDay),
            x1 + 6.0,
            TL_AXIS - 6.0,
            (x1 + x2) / 2.0,
            TL_AXIS + 24.0,
            pause = ctx.w(Word::Pause),
        )?;
    }
    Ok(())
}

/// A tick per planned slot, with its time and label above the axis, slanted.
fn slot_marks(
    out: &mut String,
    ctx: &Ctx,
    slots: &[(DateTime<Utc>, &PlannedSlot)],
    scale: &Scale,
) -> fmt::Result {
    let mut repeat = 0;
    for (at, slot) in slots {
        if slot.pattern > 0 {
            repeat += 1;
        }
        let label = words::slot(slot.pattern, slot.position, repeat, ctx.language);
        let x = scale.at(seconds(*at));
        write!(
            out,
            "<g class=\"slot\" data-pattern=\"{}\" data-position=\"{}\">\
             <title>{} — {} ({})</title>\
             <line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
             <text transform=\"translate({x:.1} {:.1}) rotate(-50)\">{} {}</text></g>",
            slot.pattern,
            slot.position,
            ctx.clock.show(&slot.at, Style::Full),
            esc(&label),
            ctx.w(Word::Planned),
            TL_AXIS - 9.0,
            TL_AXIS + 9.0,
            TL_AXIS - 14.0,
            ctx.clock.show(&slot.at, Style::TimeOfDay),
            esc(&label),
        )?;
    }
    Ok(())
}

/// The escalation time: a dashed line with a flag, labelled below the axis.
fn escalation_mark(
    out: &mut String,
    ctx: &Ctx,
    at: DateTime<Utc>,
    delivery: &DeliveryView,
    scale: &Scale,
) -> fmt::Result {
    let x = scale.at(seconds(at));
    let raw = delivery.escalate_at.as_deref().unwrap_or_default();
    write!(
        out,
        "<g class=\"escalation\"><title>{} {}",
        ctx.w(Word::Escalation),
        ctx.clock.show(raw, Style::Full)
    )?;
    if let Some(done) = &delivery.escalated_at {
        write!(
            out,
            " — {} {}",
            ctx.w(Word::EscalatedAt),
            ctx.clock.show(done, Style::Full)
        )?;
    }
    write!(
        out,
        "</title><line x1=\"{x:.1}\" y1=\"30\" x2=\"{x:.1}\" y2=\"{TL_MARK_END}\"/>\
         <path d=\"M{x:.1} 30 l18 8 l-18 8 z\"/>\
         <text x=\"{x:.1}\" y=\"{TL_FOOT}\" text-anchor=\"middle\">⚠ {} {}</text></g>",
        ctx.w(Word::Escalation),
        ctx.clock.show(raw, Style::TimeOfDay),
    )
}

/// The shape of an attempt's marker, centred on the origin.
fn outcome_shape(outcome: OutcomeView) -> &'static str {
    match outcome {
        OutcomeView::Delivered => "<circle r=\"12\"/>",
        OutcomeView::Rejected => "<rect x=\"-11\" y=\"-11\" width=\"22\" height=\"22\"/>",
        OutcomeView::Failed => "<path d=\"M0 -14 L13 10 L-13 10 Z\"/>",
        OutcomeView::InFlight => "<circle r=\"12\"/>",
        OutcomeView::Interrupted => "<path d=\"M0 -14 L14 0 L0 14 L-14 0 Z\"/>",
    }
}

/// Each attempt at its time below the axis: shape, colour and icon by outcome, stacked
/// in lanes where they would overlap, with a stem to the axis.
fn attempt_marks(
    out: &mut String,
    ctx: &Ctx,
    attempts: &[(DateTime<Utc>, &AttemptView)],
    scale: &Scale,
) -> fmt::Result {
    let xs: Vec<f64> = attempts
        .iter()
        .map(|(at, _)| scale.at(seconds(*at)))
        .collect();
    let lanes = lanes(&xs, 26.0, TL_LANES.len());
    for (((_, attempt), x), lane) in attempts.iter().zip(&xs).zip(lanes) {
        let y = TL_LANES.get(lane).copied().unwrap_or(TL_LANES[0]);
        let (name, icon, _) = words::outcome(attempt.outcome);
        write!(
            out,
            "<g class=\"attempt\" data-outcome=\"{name}\" transform=\"translate({x:.1} {y:.1})\">\
             <title>{} — {icon} {}",
            ctx.clock.show(&attempt.at, Style::Seconds),
            esc(attempt.outcome.word(ctx.language)),
        )?;
        if !attempt.detail.is_empty() {
            write!(out, "\n{}", esc(&attempt.detail))?;
        }
        if attempt.answer_lost {
            write!(out, "\n⚠ {}", ctx.w(Word::AnswerLost))?;
        }
        write!(
            out,
            "</title><line class=\"stem\" x1=\"0\" y1=\"{:.1}\" x2=\"0\" y2=\"-12\"/>{}\
             <text y=\"6\" text-anchor=\"middle\">{icon}</text></g>",
            TL_AXIS - y,
            outcome_shape(attempt.outcome),
        )?;
    }
    Ok(())
}

// The lot chart's frame, in user units.
const CH_WIDTH: f64 = 1000.0;
const CH_HEIGHT: f64 = 270.0;
const CH_LEFT: f64 = 80.0;
const CH_RIGHT: f64 = 980.0;
const CH_TOP: f64 = 20.0;
const CH_BOTTOM: f64 = 220.0;

/// The x scale of the lot chart: by time when every point has one and they span some
/// time, else by index.
fn chart_x(points: &[LotCount]) -> (Scale, Vec<f64>) {
    let times: Option<Vec<f64>> = points
        .iter()
        .map(|p| instant(&p.received_at).map(seconds))
        .collect();
    let by_index = || {
        let last = points.len().saturating_sub(1) as f64;
        let values = (0..points.len()).map(|i| i as f64).collect();
        (Scale::new((0.0, last), (CH_LEFT, CH_RIGHT)), values)
    };
    match times {
        Some(times) => {
            let low = times.iter().copied().fold(f64::INFINITY, f64::min);
            let high = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if high > low {
                (Scale::new((low, high), (CH_LEFT, CH_RIGHT)), times)
            } else {
                by_index()
            }
        }
        None => by_index(),
    }
}

/// The y scale of the lot chart: from the smallest count to the largest (one more when
/// they are equal), bottom to top.
pub(super) fn chart_y(points: &[LotCount]) -> (Scale, usize, usize) {
    let low = points.iter().map(|p| p.lots).min().unwrap_or(0);
    let high = points
        .iter()
        .map(|p| p.lots)
        .max()
        .unwrap_or(0)
        .max(low + 1);
    (
        Scale::new((low as f64, high as f64), (CH_BOTTOM, CH_TOP)),
        low,
        high,
    )
}

/// Writes the chart of lot counts per delivery (`id="lot-chart"`), or a short text when
/// there are none.
pub(super) fn lot_chart(out: &mut String, ctx: &Ctx, points: &[LotCount]) -> fmt::Result {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return write!(
            out,
            "<p class=\"empty\" id=\"lot-chart-empty\">{}</p>",
            ctx.w(Word::NoHistory)
        );
    };
    let (x_scale, xs) = chart_x(points);
    let (y_scale, low, high) = chart_y(points);
    write!(
        out,
        "<div class=\"figure\"><svg id=\"lot-chart\" class=\"chart\" viewBox=\"0 0 {CH_WIDTH} {CH_HEIGHT}\" role=\"img\" \
         data-points=\"{}\"><title>{}</title>\
         <line class=\"grid\" x1=\"{CH_LEFT}\" y1=\"{CH_TOP}\" x2=\"{CH_RIGHT}\" y2=\"{CH_TOP}\"/>\
         <line class=\"axis\" x1=\"{CH_LEFT}\" y1=\"{CH_BOTTOM}\" x2=\"{CH_RIGHT}\" y2=\"{CH_BOTTOM}\"/>\
         <text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{high}</text>\
         <text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{low}</text>\
         <text class=\"axis-label\" x=\"{CH_LEFT}\" y=\"250\">{}</text>\
         <text class=\"axis-label\" x=\"{CH_RIGHT}\" y=\"250\" text-anchor=\"end\">{}</text>",
        points.len(),
        ctx.w(Word::LotChart),
        CH_LEFT - 8.0,
        CH_TOP + 6.0,
        CH_LEFT - 8.0,
        CH_BOTTOM + 6.0,
        ctx.clock.show(&first.received_at, Style::Full),
        ctx.clock.show(&last.received_at, Style::Full),
    )?;
    // The line through the applied sets: the size of the set in place over time.
    out.push_str("<polyline class=\"series\" points=\"");
    for (point, x) in points.iter().zip(&xs).filter(|(p, _)| p.applied) {
        write!(
            out,
            "{:.1},{:.1} ",
            x_scale.at(*x),
            y_scale.at(point.lots as f64)
        )?;
    }
    out.push_str("\"/>");
    let lots_word = ctx.w(Word::Lots).to_lowercase();
    for (point, x) in points.iter().zip(&xs) {
        let (x, y) = (x_scale.at(*x), y_scale.at(point.lots as f64));
        let (shape, word) = if point.applied {
            (Mark::Applied, Word::AppliedMark)
        } else {
            (Mark::NotApplied, Word::NotApplied)
        };
        shape.write(out, x, y)?;
        write!(
            out,
            "<title>{} — {} {} — {}</title>{}",
            ctx.clock.show(&point.received_at, Style::Full),
            point.lots,
            lots_word,
            ctx.w(word),
            shape.close(),
        )?;
    }
    out.push_str("</svg></div>");
    Ok(())
}

/// A point's mark in the lot chart.
#[derive(Debug, Clone, Copy)]
enum Mark {
    /// A filled dot.
    Applied,
    /// A cross.
    NotApplied,
}

impl Mark {
    /// Opens the mark's element at (x, y); its `<title>` follows, then [`Mark::close`].
    fn write(self, out: &mut String, x: f64, y: f64) -> fmt::Result {
        match self {
            Mark::Applied => write!(
                out,
                "<circle class=\"point applied\" data-applied=\"true\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\">"
            ),
            Mark::NotApplied => write!(
                out,
                "<path class=\"point not-applied\" data-applied=\"false\" \
                 d=\"M{:.1} {:.1} l12 12 m0 -12 l-12 12\">",
                x - 6.0,
                y - 6.0
            ),
        }
    }

    /// Closes the mark's element.
    fn close(self) -> &'static str {
        match self {
            Mark::Applied => "</circle>",
            Mark::NotApplied => "</path>",
        }
    }
}
