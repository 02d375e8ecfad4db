//! The report as GitHub-flavoured markdown: title, headline, warnings, a table per metrics
//! file, the data files, the plots, the params table, unchanged values collapsed, and a
//! footer with the revisions and the machine. Same inputs, same bytes: nothing here reads a
//! clock.
//!
//! This file assembles the report ([`report_at`]) and holds the small sections; the rest is
//! by concern: `headline` (the gate's line, the counts, the one-line summary), `tables`
//! (metrics and params), `data` (the Data section), `footer`, and `fit` (levels of detail,
//! fitting a size limit, the 10 MB cut).

mod data;
mod fit;
mod footer;
mod headline;
mod tables;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use crate::ci::Machine;
use crate::diff::{Comparison, Side, Warning};
use crate::model::{Problem, Scalar};
use crate::render::chart::ChartOptions;
use crate::render::plots::{Figure, Links};
use crate::render::{Revision, escape, format, marker};
use crate::sha::Sha;
use crate::verdict::Judgement;

use data::data_section;
use fit::pointer;
use footer::footer;
use headline::{gate, headline};
use tables::{changed_table, metrics, params};

pub use fit::{Detail, MAX_REPORT_BYTES, Unit, fit};
pub use headline::{Counts, NOTHING_FOUND};
pub use tables::changed_metrics;

/// What the report says besides the comparison itself.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext<'a> {
    /// Title (from `--title` or `.mlci.toml`).
    pub title: &'a str,
    /// Report id, for the hidden marker.
    pub id: &'a str,
    /// The base revision.
    pub base: &'a Revision,
    /// The head revision.
    pub head: &'a Revision,
    /// The machine that produced the run, if it is to be shown.
    pub machine: Option<&'a Machine>,
    /// The plots, described and drawn.
    pub figures: &'a [Figure],
    /// How their images reach the reader.
    pub links: Links<'a>,
    /// The chart settings (the revisions' labels).
    pub charts: &'a ChartOptions,
    /// Where the full report is when this one is shortened (the job summary).
    pub full_report: Option<&'a str>,
    /// The verdicts and the gate.
    pub judgement: &'a Judgement,
}

/// Renders the report at a level of detail.
pub fn report_at(comparison: &Comparison, context: &ReportContext<'_>, detail: Detail) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", escape::inline(context.title));
    if let Some(commit) = same_commit(comparison, context) {
        // A branch pushed without commits of its own, a run on the default branch: say so,
        // rather than "0 changed". The footer and marker keep the sticky comment updating.
        gate(&mut out, context.judgement);
        let _ = writeln!(
            out,
            "The base and the head are the same commit ({}): nothing to compare.\n",
            commit.short()
        );
        footer(&mut out, context, false);
        out.push_str(&marker(context.id, context.head.commit.as_ref()));
        out.push('\n');
        return out;
    }
    gate(&mut out, context.judgement);
    out.push_str(&headline(
        comparison,
        context.judgement,
        &unpaired(comparison),
    ));
    out.push_str("\n\n");
    progress(&mut out, context.judgement);
    runs(&mut out, comparison);
    warnings(&mut out, comparison, context);
    match detail {
        Detail::Full | Detail::Compact => {
            let full = detail == Detail::Full;
            metrics(
                &mut out,
                &context.judgement.files,
                &unpaired(comparison),
                full,
            );
            data_section(&mut out, &comparison.data, &context.judgement.data);
            plots(
                &mut out,
                context.figures,
                context.links,
                context.charts,
                full,
            );
            params(&mut out, &comparison.params, full);
            if !full {
                pointer(
                    &mut out,
                    context,
                    "Unchanged values and inline charts are left out here",
                );
            }
            footer(&mut out, context, full);
        }
        Detail::Summary(rows) => {
            changed_table(&mut out, context.judgement, rows);
            pointer(&mut out, context, "This comment shows the summary only");
            footer(&mut out, context, false);
        }
    }
    out.push_str(&marker(context.id, context.head.commit.as_ref()));
    out.push('\n');
    out
}

/// The training runs found: what each is and holds, and what was not compared.
fn runs(out: &mut String, comparison: &Comparison) {
    let runs = &comparison.runs;
    if runs.head.is_empty() && runs.base.is_empty() {
        return;
    }
    for run in &runs.head {
        let _ = write!(
            out,
            "- {} run in {}",
            run.stack.name(),
            escape::inline(&run.place)
        );
        if run.name != run.place.rsplit('/').next().unwrap_or(&run.place) && !run.name.is_empty() {
            let _ = write!(out, " ({})", escape::inline(&run.name));
        }
        let _ = write!(
            out,
            ": {}, {}",
            plural(run.metrics, "metric", "metrics"),
            plural(run.curves, "curve", "curves")
        );
        if !runs.base.iter().any(|b| b.label == run.label) {
            out.push_str(
                "; none at the base to compare with (pass the base's run with `--base-dir`)",
            );
        }
        out.push_str(".\n");
        if !run.others.is_empty() {
            let shown: Vec<String> = run
                .others
                .iter()
                .take(5)
                .map(|o| escape::inline(o))
                .collect();
            let more = run.others.len().saturating_sub(5);
            let _ = writeln!(
                out,
                "  Also there, not compared: {}{}.",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    for run in runs
        .base
        .iter()
        .filter(|b| !runs.head.iter().any(|h| h.label == b.label))
    {
        let _ = writeln!(
            out,
            "- {} run in {} at the base only.",
            run.stack.name(),
            escape::inline(&run.place)
        );
    }
    out.push('\n');
}

/// The runs found at the head and not at the base: their metrics have nothing to be
/// compared with, and are shown as values.
fn unpaired(comparison: &Comparison) -> Vec<&str> {
    let runs = &comparison.runs;
    runs.head
        .iter()
        .filter(|h| !runs.base.iter().any(|b| b.label == h.label))
        .map(|h| h.label.as_str())
        .collect()
}

/// The commit both sides are, when they are one commit and nothing read from them differs
/// (a working tree with new results on that commit is a comparison, and is reported), and
/// no data checks judge the head (their results are reported whatever the base).
fn same_commit<'a>(comparison: &Comparison, context: &ReportContext<'a>) -> Option<&'a Sha> {
    let base = context.base.commit.as_ref()?;
    // Finding nothing at all says where mlci looked instead.
    let found = !comparison.metrics.is_empty()
        || !comparison.params.is_empty()
        || !comparison.plots.is_empty();
    let identical = found
        && context.head.commit.as_ref() == Some(base)
        && comparison.warnings.is_empty()
        && comparison
            .metrics
            .iter()
            .chain(&comparison.params)
            .all(|file| file.rows.iter().all(|row| !row.is_changed()))
        && comparison.plots.iter().all(|plot| plot.base == plot.head)
        && comparison.samples.iter().all(|s| s.base == s.head)
        && comparison.data.is_empty()
        && context.judgement.data.is_empty()
        && !context.judgement.gate_failed();
    identical.then_some(base)
}

/// `1 file`, `2 files`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A metric's or param's key, escaped; a file that is one value has an empty key.
fn key(key: &str) -> String {
    if key.is_empty() {
        "*(value)*".to_owned()
    } else {
        escape::inline(key)
    }
}

/// How far the runs went (`step`, `epoch`): one line, with the run, not among the metrics.
fn progress(out: &mut String, judgement: &Judgement) {
    if judgement.progress.is_empty() {
        return;
    }
    let parts: Vec<String> = judgement
        .progress
        .iter()
        .map(|p| {
            let value = |v: &Option<Scalar>| {
                v.as_ref()
                    .map_or_else(|| "—".to_owned(), |v| format::value(Some(v)))
            };
            let (b, h) = (value(&p.base), value(&p.head));
            let moved = if b == h { h } else { format!("{b} → {h}") };
            format!("{} {moved} ({})", key(&p.key), escape::inline(&p.path))
        })
        .collect();
    let _ = writeln!(out, "<sub>Run: {}</sub>\n", parts.join(" · "));
}

/// The files that could not be read, or look wrong, at each side.
fn warnings(out: &mut String, comparison: &Comparison, context: &ReportContext<'_>) {
    let doubtful = |w: &&Warning| matches!(w.problem, Problem::Doubtful(_));
    let unread: Vec<_> = comparison
        .warnings
        .iter()
        .filter(|w| !doubtful(w))
        .collect();
    let suspect: Vec<_> = comparison.warnings.iter().filter(doubtful).collect();
    let line = |out: &mut String, warning: &Warning| {
        let revision = match warning.side {
            Side::Base => context.base,
            Side::Head => context.head,
        };
        let _ = writeln!(
            out,
            "> - **{}** at {} ({}): {}",
            escape::inline(&warning.path),
            format::side(warning.side),
            escape::inline(&revision.detail()),
            escape::inline(&warning.problem.to_string()),
        );
    };
    if !unread.is_empty() {
        let _ = writeln!(out, "> [!WARNING]");
        let _ = writeln!(
            out,
            "> {} could not be read; the values on that side are left empty:",
            plural(unread.len(), "file", "files")
        );
        for warning in unread {
            line(out, warning);
        }
        out.push('\n');
    }
    if !suspect.is_empty() {
        let _ = writeln!(out, "> [!WARNING]");
        let _ = writeln!(
            out,
            "> Something looks wrong in {}; it was read as it is:",
            plural(
                suspect
                    .iter()
                    .map(|w| &w.path)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                "file",
                "files"
            )
        );
        for warning in suspect {
            line(out, warning);
        }
        out.push('\n');
    }
}

/// The page `mlci plots diff` writes: every plot of two revisions.
pub fn plots_page(figures: &[Figure], links: Links<'_>, options: &ChartOptions) -> String {
    let (a_label, b_label) = (&options.base_label, &options.head_label);
    let mut out = format!(
        "## Plots: {} → {}\n\n",
        escape::inline(a_label),
        escape::inline(b_label)
    );
    if figures.is_empty() {
        out.push_str("No plots found at either revision.\n");
        return out;
    }
    plots(&mut out, figures, links, options, true);
    out.replacen("### Plots\n\n", "", 1)
}

/// The Plots section: each chart as its links say, and its numbers.
fn plots(
    out: &mut String,
    figures: &[Figure],
    links: Links<'_>,
    options: &ChartOptions,
    full: bool,
) {
    if figures.is_empty() {
        return;
    }
    out.push_str("### Plots\n\n");
    for figure in figures {
        let _ = writeln!(out, "#### {}\n", escape::inline(&figure.title));
        let body = figure.body(links, options);
        // Inline mermaid charts are large; images are links.
        if !body.is_empty() && (full || !body.starts_with("```")) {
            out.push_str(body.trim_end());
            out.push_str("\n\n");
        }
        if !figure.numbers.is_empty() {
            let _ = writeln!(out, "{}\n", figure.numbers);
        }
    }
}
