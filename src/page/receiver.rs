//! The receiver's part of the page (`#receiver`): the set in place with its counts per
//! vaccine, whether it is stale, the watchdog, the chart of lot counts, the recent import
//! reports, the quarantine with the commands to settle it, and the sending partners with
//! their phase and trial.

use super::clock::Style;
use super::html::{command, esc, url};
use super::words::{self, Tone, Word};
use super::{Ctx, svg};
use crate::api::{
    Assessment, IssueView, MessageIdView, QuarantineView, ReceiverOverview, ReportView, SetAnswer,
    TrialAnswer, WatchdogView,
};
use std::fmt::{self, Display, Formatter, Write};

/// More problems than this in one report are folded away (`<details>`).
const FOLD_ISSUES: usize = 5;

/// Writes the receiver's section.
pub(super) fn section(out: &mut String, ctx: &Ctx, receiver: &ReceiverOverview) -> fmt::Result {
    write!(
        out,
        "<section id=\"receiver\"><h2>{}</h2><div class=\"cards\">",
        ctx.w(Word::Receiver)
    )?;
    set(out, ctx, &receiver.set)?;
    watchdog(out, ctx, &receiver.watchdog)?;
    out.push_str("</div>");
    write!(
        out,
        "<section id=\"lots\"><h3>{}</h3>",
        ctx.w(Word::LotChart)
    )?;
    svg::lot_chart(out, ctx, &receiver.lot_counts)?;
    if !receiver.lot_counts.is_empty() {
        write!(
            out,
            "<ul class=\"legend\"><li><span class=\"swatch applied\" aria-hidden=\"true\">●</span> {}</li>\
             <li><span class=\"swatch not-applied\" aria-hidden=\"true\">✗</span> {}</li></ul>",
            ctx.w(Word::AppliedMark),
            ctx.w(Word::NotApplied),
        )?;
    }
    out.push_str("</section>");
    reports(out, ctx, &receiver.recent)?;
    quarantine(out, ctx, &receiver.quarantine)?;
    partners(out, ctx, &receiver.partners)?;
    out.push_str("</section>");
    Ok(())
}

/// A message id as HTML: `root/extension`, escaped, with a line break allowed after the
/// slash (and nowhere else).
struct Id<'a>(&'a MessageIdView);

impl Display for Id<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}/<wbr>{}", esc(&self.0.root), esc(&self.0.extension))
    }
}

/// The set in place (`#set-version[data-version]`, `#set-counts`) and whether it is
/// stale (`#stale[data-stale]`).
fn set(out: &mut String, ctx: &Ctx, answer: &SetAnswer) -> fmt::Result {
    write!(
        out,
        "<section id=\"set\"><h3>{}</h3>\
         <p id=\"set-version\" class=\"big\" data-version=\"{version}\">{} <strong>{version}</strong></p>",
        ctx.w(Word::SetInPlace),
        ctx.w(Word::Version),
        version = answer.set_version,
    )?;
    match &answer.set {
        None => write!(
            out,
            "<p class=\"empty\" id=\"no-set\">{}</p>",
            ctx.w(Word::NoSet)
        )?,
        Some(set) => {
            write!(
                out,
                "<dl class=\"facts\"><dt>{}</dt><dd><code class=\"message-id\">{}</code></dd>\
                 <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
                 <dt>{}</dt><dd id=\"set-lots\" data-lots=\"{lots}\">{lots}</dd></dl>",
                ctx.w(Word::Message),
                Id(&set.message_id),
                ctx.w(Word::Created),
                ctx.clock.created(&set.created),
                ctx.w(Word::Applied),
                ctx.clock.element(&set.applied_at, Style::Short),
                ctx.w(Word::Lots),
                lots = set.lots,
            )?;
            write!(
                out,
                "<table id=\"set-counts\"><thead><tr><th>{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
                ctx.w(Word::Vaccine),
                ctx.w(Word::Lots),
            )?;
            for (code, count) in &set.per_vaccine {
                write!(
                    out,
                    "<tr data-vaccine=\"{code}\"><td class=\"code\">{code}</td><td class=\"count\">{count}</td></tr>",
                    code = esc(code),
                )?;
            }
            write!(
                out,
                "</tbody><tfoot><tr><th>{}</th><td class=\"total\">{}</td></tr></tfoot></table>",
                ctx.w(Word::Total),
                set.lots
            )?;
        }
    }
    if answer.stale {
        write!(
            out,
            "<p id=\"stale\" class=\"warning\" data-stale=\"true\">⚠ <strong>{}</strong>",
            ctx.w(Word::Stale)
        )?;
        if let Some(reason) = &answer.stale_reason {
            write!(out, ": {}", esc(reason))?;
        }
        out.push_str("</p>");
    } else {
        write!(
            out,
            "<p id=\"stale\" class=\"ok\" data-stale=\"false\">✓ {}</p>",
            ctx.w(Word::Fresh)
        )?;
    }
    out.push_str("</section>");
    Ok(())
}

/// The watchdog (`#watchdog[data-alert-open]`).
fn watchdog(out: &mut String, ctx: &Ctx, watchdog: &WatchdogView) -> fmt::Result {
    write!(
        out,
        "<section id=\"watchdog\" data-alert-open=\"{}\"><h3>{}</h3><dl class=\"facts\">\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
        watchdog.alert_open,
        ctx.w(Word::Watchdog),
        ctx.w(Word::ExpectBy),
        esc(&watchdog.expect_by),
        ctx.w(Word::NextCheck),
        ctx.clock.element(&watchdog.next_check, Style::Short),
    )?;
    if watchdog.alert_open {
        write!(out, "<p class=\"warning\">⚠ {}</p>", ctx.w(Word::AlertOpen))?;
    } else {
        write!(out, "<p class=\"ok\">✓ {}</p>", ctx.w(Word::NoAlertOpen))?;
    }
    if let Some(date) = &watchdog.last_alert {
        write!(out, "<p>{}: {}</p>", ctx.w(Word::LastAlert), esc(date))?;
    }
    out.push_str("</section>");
    Ok(())
}

/// The most recent import reports, newest first (`#recent-reports`, one
/// `tr.report[data-sequence]` each), each linked to its journal entries.
fn reports(out: &mut String, ctx: &Ctx, reports: &[ReportView]) -> fmt::Result {
    write!(
        out,
        "<section id=\"recent\"><h3>{}</h3>",
        ctx.w(Word::RecentReports)
    )?;
    if reports.is_empty() {
        return write!(
            out,
            "<p class=\"empty\">{}</p></section>",
            ctx.w(Word::NoReports)
        );
    }
    write!(
        out,
        "<div class=\"scroll\"><table id=\"recent-reports\"><thead><tr><th>{}</th><th>{}</th>\
         <th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th>\
         <th class=\"num\">{} / {}</th></tr></thead><tbody>",
        ctx.w(Word::Received),
        ctx.w(Word::Message),
        ctx.w(Word::Outcome),
        ctx.w(Word::SetVersion),
        ctx.w(Word::Lots),
        ctx.w(Word::Added),
        ctx.w(Word::Removed).to_lowercase(),
    )?;
    for report in reports {
        let (icon, tone, outcome) = words::report_outcome(report, ctx.language);
        let tone = match tone {
            Tone::Good => "ok",
            Tone::Bad => "bad",
            Tone::Attention => "warn",
        };
        let id = &report.message_id;
        write!(
            out,
            "<tr class=\"report\" data-sequence=\"{}\"><td>{}</td>\
             <td><a href=\"/api/v1/journal?kind=received&amp;message_id={}\"><code>{}</code></a></td>\
             <td class=\"{tone}\"><span aria-hidden=\"true\">{icon}</span> {}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num changes\">+{} / −{}</td></tr>",
            report.sequence,
            ctx.clock.element(&report.received_at, Style::Short),
            url(&format!("{}/{}", id.root, id.extension)),
            Id(id),
            esc(&outcome),
            report
                .set_version
                .map_or_else(|| "–".to_owned(), |v| v.to_string()),
            report.lots,
            report.added.total,
            report.removed.total,
        )?;
        if !report.errors.is_empty() || !report.warnings.is_empty() {
            out.push_str("<tr class=\"report-issues\"><td colspan=\"6\">");
            issues(out, ctx, &report.errors, &report.warnings)?;
            out.push_str("</td></tr>");
        }
    }
    out.push_str("</tbody></table></div></section>");
    Ok(())
}

/// A report's errors and warnings, each with its code and text (and its place in the
/// message as a tooltip); folded when many.
fn issues(
    out: &mut String,
    ctx: &Ctx,
    errors: &[IssueView],
    warnings: &[IssueView],
) -> fmt::Result {
    let fold = errors.len() + warnings.len() > FOLD_ISSUES;
    if fold {
        write!(
            out,
            "<details><summary>{} {}, {} {}</summary>",
            errors.len(),
            ctx.w(Word::Errors).to_lowercase(),
            warnings.len(),
            ctx.w(Word::Warnings).to_lowercase(),
        )?;
    }
    out.push_str("<ul class=\"issues\">");
    let all = errors
        .iter()
        .map(|i| ("error", "✗", i))
        .chain(warnings.iter().map(|i| ("warning", "⚠", i)));
    for (class, icon, issue) in all {
        write!(
            out,
            "<li class=\"issue {class}\" title=\"{}\"><span aria-hidden=\"true\">{icon}</span> \
             <code>{}</code> {}</li>",
            esc(&issue.location),
            esc(&issue.code),
            esc(&issue.text),
        )?;
    }
    out.push_str("</ul>");
    if fold {
        out.push_str("</details>");
    }
    Ok(())
}

/// The quarantined sets (`li.quarantined[data-quarantine-id]`), each with the commands
/// that put it in place or drop it.
fn quarantine(out: &mut String, ctx: &Ctx, sets: &[QuarantineView]) -> fmt::Result {
    write!(
        out,
        "<section id=\"quarantine\" data-count=\"{}\"><h3>{}</h3>",
        sets.len(),
        ctx.w(Word::Quarantine)
    )?;
    if sets.is_empty() {
        return write!(
            out,
            "<p class=\"empty ok\">✓ {}</p></section>",
            ctx.w(Word::NoQuarantine)
        );
    }
    out.push_str("<ul class=\"quarantine-list\">");
    for set in sets {
        write!(
            out,
            "<li class=\"quarantined\" data-quarantine-id=\"{id}\">\
             <p><strong>⊘ #{id}</strong> · <code>{}</code> · {} {}</p>\
             <p class=\"reason\">{}: {}</p>\
             <dl class=\"facts\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>\
             <p class=\"commands\">{}: ",
            Id(&set.message_id),
            set.lots,
            ctx.w(Word::Lots).to_lowercase(),
            ctx.w(Word::Reason),
            esc(&set.reason),
            ctx.w(Word::Created),
            ctx.clock.created(&set.created),
            ctx.w(Word::Received),
            ctx.clock.element(&set.received_at, Style::Short),
            ctx.w(Word::PutInPlace),
            id = set.id,
        )?;
        command(out, format_args!("lotgate quarantine accept {}", set.id))?;
        write!(out, " {}: ", ctx.w(Word::Drop))?;
        command(out, format_args!("lotgate quarantine discard {}", set.id))?;
        out.push_str("</p></li>");
    }
    out.push_str("</ul></section>");
    Ok(())
}

/// The sending partners of `[[receiver.sender]]` (`#partners`), each a
/// `tr.partner[data-sender][data-phase][data-assessment]` with its last delivery and its
/// trial set, linking to `/api/v1/trial/{id}`; nothing when none is configured.
fn partners(out: &mut String, ctx: &Ctx, partners: &[TrialAnswer]) -> fmt::Result {
    if partners.is_empty() {
        return Ok(());
    }
    write!(
        out,
        "<section id=\"partners\"><h3>{}</h3><table class=\"partners\"><thead><tr>\
         <th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        ctx.w(Word::Partners),
        ctx.w(Word::Name),
        ctx.w(Word::Phase),
        ctx.w(Word::Assessment),
        ctx.w(Word::LastDelivery),
        ctx.w(Word::TrialSet),
    )?;
    for partner in partners {
        let phase = match partner.phase.as_str() {
            "connect" => ctx.w(Word::ConnectPhase),
            _ => ctx.w(Word::ProductionPhase),
        };
        let (assessment, icon, word) = match partner.assessment {
            Some(Assessment::Positive) => ("positive", "✓", ctx.w(Word::Positive)),
            Some(Assessment::Negative) => ("negative", "✗", ctx.w(Word::Negative)),
            None => ("none", "–", ctx.w(Word::NoTrialYet)),
        };
        write!(
            out,
            "<tr class=\"partner\" data-sender=\"{id}\" data-phase=\"{phase_attr}\" \
             data-assessment=\"{assessment}\"><td><a href=\"/api/v1/trial/{link}\">{name}</a> \
             <code>{id}</code></td><td>{phase}</td><td class=\"assessment {assessment}\">\
             <span aria-hidden=\"true\">{icon}</span> {word}</td><td>",
            id = esc(&partner.sender),
            phase_attr = esc(&partner.phase),
            link = url(&partner.sender),
            name = esc(&partner.name),
        )?;
        match &partner.last {
            Some(last) => {
                let (_, _, outcome) = words::report_outcome(last, ctx.language);
                write!(
                    out,
                    "{} · {} · {} {}, {} {}",
                    ctx.clock.element(&last.received_at, Style::Short),
                    esc(&outcome),
                    last.errors.len(),
                    ctx.w(Word::Errors).to_lowercase(),
                    last.warnings.len(),
                    ctx.w(Word::Warnings).to_lowercase(),
                )?;
            }
            None => out.push('–'),
        }
        out.push_str("</td><td>");
        match &partner.set {
            Some(set) => write!(
                out,
                "{} {} · {}",
                set.lots,
                ctx.w(Word::Lots).to_lowercase(),
                ctx.clock.element(&set.applied_at, Style::Short)
            )?,
            None => out.push('–'),
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></section>");
    Ok(())
}
