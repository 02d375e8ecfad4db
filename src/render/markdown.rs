//! The report as GitHub-flavoured markdown: title, one-line summary, warnings, a table per
//! metrics file, the params table, unchanged values collapsed, and a footer with the revisions
//! and the machine. Same inputs, same bytes: nothing here reads a clock.

use crate::sha::Sha;
use std::fmt::Write as _;

use crate::ci::Machine;
use crate::diff::{Comparison, DataDiff, FileDiff, Row, Side, Status};
use crate::render::chart::ChartOptions;
use crate::render::judgement::{findings, label, reasons};
use crate::render::plots::{Figure, Links};
use crate::render::{Revision, escape, format, judgement, marker};
use crate::verdict::{Cell, DataChecks, FailOn, Judged, JudgedFile, Judgement, Verdict};

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

/// Renders the whole report.
pub fn report(comparison: &Comparison, context: &ReportContext<'_>) -> String {
    report_at(comparison, context, Detail::Full)
}

/// How much of the report to render, for bodies with a size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything.
    Full,
    /// Without the folded tables (unchanged values, environment) and inline mermaid charts.
    Compact,
    /// The summary line, warnings and at most this many changed metrics in one table.
    Summary(usize),
}

/// How a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Unicode characters (GitHub comment bodies).
    Chars,
    /// UTF-8 bytes (check run summaries, job summaries).
    Bytes,
}

/// The most detailed text that fits `limit`: `render` at full detail, then compact, then
/// the summary table with as many of the `changed` rows as fit (a binary search), then the
/// summary line alone. Tables and fences are never cut: whole sections and whole rows are
/// left out, and a note says where the rest is. `render` may post-process the markdown (to
/// put hosted image URLs in), so the size is measured on what will be sent.
pub fn fit(
    render: &dyn Fn(Detail) -> String,
    changed: usize,
    limit: usize,
    unit: Unit,
) -> (String, Detail) {
    let size = |text: &str| match unit {
        Unit::Chars => text.chars().count(),
        Unit::Bytes => text.len(),
    };
    for detail in [Detail::Full, Detail::Compact] {
        let text = render(detail);
        if size(&text) <= limit {
            return (text, detail);
        }
    }
    let (mut low, mut high) = (0, changed);
    while low < high {
        let middle = (low + high).div_ceil(2);
        if size(&render(Detail::Summary(middle))) <= limit {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    (render(Detail::Summary(low)), Detail::Summary(low))
}

/// The number of metrics a summary table would list (the rows it can hold).
pub fn changed_metrics(judgement: &Judgement) -> usize {
    judgement.metrics().filter(|(_, m)| shown(m)).count()
}

/// Whether a metric is shown in the tables (not folded away): it changed, or a check on
/// it failed.
fn shown(metric: &Judged) -> bool {
    metric.status != Status::Unchanged || metric.verdict == Verdict::Failed
}

/// A report longer than this (pathological: a million changed keys) has its tables cut at a
/// row, with a note saying where the data is. Reports of real runs never come near it.
pub const MAX_REPORT_BYTES: usize = 10 << 20;

/// Whether a table may take one more row, counting the rows it leaves out.
fn room(out: &str, left_out: &mut usize) -> bool {
    if out.len() < MAX_REPORT_BYTES {
        true
    } else {
        *left_out += 1;
        false
    }
}

/// The note under a table cut by [`MAX_REPORT_BYTES`].
fn cut_note(out: &mut String, left_out: usize, command: &str) {
    if left_out > 0 {
        let _ = writeln!(
            out,
            "> [!NOTE]\n> The report is cut at {} MB: {} not shown. Every value is in the files themselves; `{command}` lists them all.\n",
            MAX_REPORT_BYTES >> 20,
            plural(left_out, "more row is", "more rows are"),
        );
    }
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
    out.push_str(&summary(comparison, context.judgement));
    out.push_str("\n\n");
    progress(&mut out, context.judgement);
    warnings(&mut out, comparison, context);
    match detail {
        Detail::Full | Detail::Compact => {
            let full = detail == Detail::Full;
            metrics(&mut out, &context.judgement.files, full);
            data(&mut out, &comparison.data, &context.judgement.data);
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

/// Where the rest of a shortened report is.
fn pointer(out: &mut String, context: &ReportContext<'_>, what: &str) {
    match context.full_report {
        Some(url) => {
            let _ = writeln!(
                out,
                "> [!NOTE]\n> {what} to stay within the size limit; the [full report]({}) has everything.\n",
                escape::html(url)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "> [!NOTE]\n> {what} to stay within the size limit; the full report is the `report.md` the CI job wrote (keep `--out` as an artifact).\n"
            );
        }
    }
}

/// One table of changed metrics across files, at most `rows` rows.
fn changed_table(out: &mut String, judgement: &Judgement, rows: usize) {
    let changed: Vec<(&str, &Judged)> = judgement.metrics().filter(|(_, m)| shown(m)).collect();
    if changed.is_empty() || rows == 0 {
        return;
    }
    out.push_str("| File | Metric | Base | Head | Change | Verdict |\n|:--|:--|--:|--:|--:|:--|\n");
    for (path, metric) in changed.iter().take(rows) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            escape::inline(path),
            key(&metric.key),
            cell(&metric.base),
            cell(&metric.head),
            change(metric),
            verdict(metric),
        );
    }
    if changed.len() > rows {
        let _ = writeln!(
            out,
            "\n… and {} more changed metrics.",
            changed.len() - rows
        );
    }
    out.push('\n');
}

/// Counts for the summary line and the step outputs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Metrics with a different value at head.
    pub changed: usize,
    /// Verdict improved.
    pub improved: usize,
    /// Verdict regressed.
    pub regressed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Worse, within tolerance.
    pub within_tolerance: usize,
    /// Different, but within noise.
    pub within_noise: usize,
    /// Different, with no direction known.
    pub undirected: usize,
    /// Metrics only at head.
    pub added: usize,
    /// Metrics only at base.
    pub removed: usize,
    /// Metrics equal on both sides.
    pub unchanged: usize,
    /// Params that differ (including added and removed).
    pub params_changed: usize,
    /// Params only at head.
    pub params_added: usize,
    /// Params only at base.
    pub params_removed: usize,
    /// Params at either side.
    pub params: usize,
}

impl Counts {
    /// Counts the verdicts and the params of a comparison.
    pub fn of(comparison: &Comparison, judgement: &Judgement) -> Counts {
        let mut counts = Counts::default();
        for (_, metric) in judgement.metrics() {
            match metric.status {
                Status::Changed => counts.changed += 1,
                Status::Added => counts.added += 1,
                Status::Removed => counts.removed += 1,
                Status::Unchanged => counts.unchanged += 1,
            }
            match metric.verdict {
                Verdict::Improved => counts.improved += 1,
                Verdict::Regressed => counts.regressed += 1,
                Verdict::Failed => counts.failed += 1,
                Verdict::WithinTolerance => counts.within_tolerance += 1,
                Verdict::WithinNoise => counts.within_noise += 1,
                Verdict::Changed => counts.undirected += 1,
                _ => {}
            }
        }
        for row in comparison.params.iter().flat_map(|f| &f.rows) {
            counts.params += 1;
            match row.status {
                Status::Changed => counts.params_changed += 1,
                Status::Added => counts.params_added += 1,
                Status::Removed => counts.params_removed += 1,
                Status::Unchanged => {}
            }
        }
        counts
    }

    /// Regressions and failed checks: what the `regressions` output counts.
    pub fn regressions(&self) -> usize {
        self.regressed + self.failed
    }
}

/// The gate's line, when a gate is configured.
fn gate(out: &mut String, judgement: &Judgement) {
    if judgement.fail_on == FailOn::Never {
        return;
    }
    if judgement.gate_failed() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **Gate failed** (fail on {}): {}.\n",
            match judgement.fail_on {
                FailOn::Change => "change",
                _ => "regression",
            },
            plural(
                judgement.failures().count(),
                "metric or check",
                "metrics or checks"
            )
        );
    } else {
        out.push_str("**Gate passed.** ");
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the report says when it found nothing: where mlci looked, how to point it.
pub const NOTHING_FOUND: &str = "No metrics or params found at either revision. mlci looked for \
the files every `dvc.yaml` declares, dvclive's `dvclive/metrics.json` and `dvclive/params.yaml`, \
the root `params.yaml`, and the `metrics` and `params` of `.mlci.toml`. To compare other files, \
name them: `mlci report --targets metrics.json`, or `metrics = [\"metrics.json\"]` in \
`.mlci.toml` (`-v` lists every file read at each revision).";

fn summary(comparison: &Comparison, judgement: &Judgement) -> String {
    let counts = Counts::of(comparison, judgement);
    let total_metrics = counts.changed + counts.added + counts.removed + counts.unchanged;
    let data_failed: usize = judgement
        .data
        .iter()
        .map(|d| d.checks.iter().filter(|c| !c.passed()).count())
        .sum();
    let data_checks: usize = judgement.data.iter().map(|d| d.checks.len()).sum();
    let params_moved = counts.params_changed + counts.params_added + counts.params_removed;
    if counts.changed + counts.added + counts.removed + params_moved + counts.failed == 0
        && judgement.data.is_empty()
    {
        return if total_metrics == 0 && comparison.params.is_empty() {
            NOTHING_FOUND.to_owned()
        } else {
            format!(
                "No metric or param changed ({} compared).",
                plural(total_metrics, "metric", "metrics")
            )
        };
    }
    let mut parts = Vec::new();
    let mut changed = format!(
        "**{} changed**",
        plural(counts.changed, "metric", "metrics")
    );
    let verdicts: Vec<String> = [
        (counts.regressed, "🔴", "regressed"),
        (counts.failed, "🔴", "failed checks"),
        (counts.improved, "🟢", "improved"),
        (counts.within_tolerance, "⚪", "within tolerance"),
        (counts.within_noise, "⚪", "within noise"),
        (counts.undirected, "⚪", "without a direction"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, mark, words)| {
        let words = if n == 1 && words == "failed checks" {
            "failed check"
        } else {
            words
        };
        format!("{mark} {n} {words}")
    })
    .collect();
    if !verdicts.is_empty() {
        let _ = write!(changed, " ({})", verdicts.join(", "));
    }
    parts.push(changed);
    if counts.added > 0 {
        parts.push(format!("{} added", counts.added));
    }
    if counts.removed > 0 {
        parts.push(format!("{} removed", counts.removed));
    }
    if counts.unchanged > 0 {
        parts.push(format!("{} unchanged", counts.unchanged));
    }
    // Params: what moved, and only when there are params at all.
    if counts.params_changed > 0 || (counts.params > 0 && params_moved == 0) {
        parts.push(format!(
            "**{} changed**",
            plural(counts.params_changed, "param", "params")
        ));
    }
    if counts.params_added > 0 {
        parts.push(format!(
            "{} added",
            plural(counts.params_added, "param", "params")
        ));
    }
    if counts.params_removed > 0 {
        parts.push(format!(
            "{} removed",
            plural(counts.params_removed, "param", "params")
        ));
    }
    if data_checks > 0 {
        parts.push(if data_failed > 0 {
            format!(
                "🔴 **{data_failed} of {} failed**",
                plural(data_checks, "data check", "data checks")
            )
        } else {
            format!(
                "🟢 {} passed",
                plural(data_checks, "data check", "data checks")
            )
        });
    }
    parts.join(" · ")
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
            let value = |v: &Option<crate::model::Scalar>| {
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

fn columns_of(profile: Option<&crate::model::DataProfile>) -> Vec<&crate::model::ColumnProfile> {
    profile
        .map(|p| p.columns.iter().collect())
        .unwrap_or_default()
}

fn find_column<'a>(
    columns: &[&'a crate::model::ColumnProfile],
    name: &str,
) -> Option<&'a crate::model::ColumnProfile> {
    columns.iter().find(|c| c.name == name).copied()
}

/// The data files: rows, columns with their type, missing values and range, base → head,
/// and the checks.
fn data(out: &mut String, diffs: &[DataDiff], checks: &[DataChecks]) {
    if diffs.is_empty() {
        return;
    }
    out.push_str("### Data\n\n");
    let both = |a: String, b: String| if a == b { a } else { format!("{a} → {b}") };
    // `checks` has one entry per data file, in the same order.
    for (diff, file) in diffs.iter().zip(checks) {
        let _ = writeln!(out, "#### {}\n", escape::inline(&diff.path));
        let rows = |p: Option<&crate::model::DataProfile>| {
            p.map_or("—".to_owned(), |p| p.rows.to_string())
        };
        let mut line = format!(
            "Rows: {}",
            both(rows(diff.base.as_ref()), rows(diff.head.as_ref()))
        );
        if let (Some(base), Some(head)) = (&diff.base, &diff.head)
            && base.rows != head.rows
            && base.rows > 0
        {
            #[expect(clippy::cast_precision_loss, reason = "row counts far below 2^52")]
            let ratio = (head.rows as f64 - base.rows as f64) / base.rows as f64;
            let _ = write!(line, " ({})", format::percent(ratio));
        }
        let (base_columns, head_columns) = (
            columns_of(diff.base.as_ref()),
            columns_of(diff.head.as_ref()),
        );
        let added: Vec<String> = head_columns
            .iter()
            .filter(|h| diff.base.is_some() && !base_columns.iter().any(|b| b.name == h.name))
            .map(|h| format!("`{}`", escape::inline(&h.name)))
            .collect();
        let removed: Vec<String> = base_columns
            .iter()
            .filter(|b| diff.head.is_some() && !head_columns.iter().any(|h| h.name == b.name))
            .map(|b| format!("`{}`", escape::inline(&b.name)))
            .collect();
        let _ = write!(
            line,
            " · {}",
            plural(
                head_columns.len().max(base_columns.len()),
                "column",
                "columns"
            )
        );
        if !added.is_empty() {
            let _ = write!(line, " · added {}", added.join(", "));
        }
        if !removed.is_empty() {
            let _ = write!(line, " · removed {}", removed.join(", "));
        }
        let _ = writeln!(out, "{line}\n");
        let mut names: Vec<&str> = head_columns.iter().map(|c| c.name.as_str()).collect();
        for b in &base_columns {
            if !names.contains(&b.name.as_str()) {
                names.push(&b.name);
            }
        }
        if !names.is_empty() {
            out.push_str("| Column | Type | Missing | Min | Max |\n|:--|:--|--:|--:|--:|\n");
            for name in names {
                let (b, h) = (
                    find_column(&base_columns, name),
                    find_column(&head_columns, name),
                );
                let show =
                    |c: Option<&crate::model::ColumnProfile>,
                     f: &dyn Fn(&crate::model::ColumnProfile) -> String| {
                        c.map_or("—".to_owned(), f)
                    };
                let number = |x: Option<f64>| x.map_or("—".to_owned(), format::float);
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    escape::inline(name),
                    both(
                        show(b, &|c| c.kind.name().to_owned()),
                        show(h, &|c| c.kind.name().to_owned())
                    ),
                    both(
                        show(b, &|c| c.missing.to_string()),
                        show(h, &|c| c.missing.to_string())
                    ),
                    both(show(b, &|c| number(c.min)), show(h, &|c| number(c.min))),
                    both(show(b, &|c| number(c.max)), show(h, &|c| number(c.max))),
                );
            }
            out.push('\n');
        }
        for check in &file.checks {
            let name = judgement::check(&check.check);
            if check.passed() {
                let _ = writeln!(out, "- 🟢 {}", escape::inline(&name));
            } else {
                let _ = writeln!(
                    out,
                    "- 🔴 {}: {}",
                    escape::inline(&name),
                    escape::inline(&findings(&check.findings))
                );
            }
        }
        if !file.checks.is_empty() {
            out.push('\n');
        }
    }
}

fn warnings(out: &mut String, comparison: &Comparison, context: &ReportContext<'_>) {
    let doubtful =
        |w: &&crate::diff::Warning| matches!(w.problem, crate::model::Problem::Doubtful(_));
    let unread: Vec<_> = comparison
        .warnings
        .iter()
        .filter(|w| !doubtful(w))
        .collect();
    let suspect: Vec<_> = comparison.warnings.iter().filter(doubtful).collect();
    let line = |out: &mut String, warning: &crate::diff::Warning| {
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

fn metrics(out: &mut String, files: &[JudgedFile], full: bool) {
    if files.is_empty() {
        return;
    }
    out.push_str("### Metrics\n\n");
    for file in files {
        match file.runs {
            Some((base, head)) => {
                let _ = writeln!(
                    out,
                    "#### {} ({} at base, {} at head)\n",
                    escape::inline(&file.title),
                    plural(base, "run", "runs"),
                    plural(head, "run", "runs")
                );
            }
            None => {
                let _ = writeln!(out, "#### {}\n", escape::inline(&file.title));
            }
        }
        let changed: Vec<&Judged> = file.metrics.iter().filter(|m| shown(m)).collect();
        let unchanged: Vec<&Judged> = file.metrics.iter().filter(|m| !shown(m)).collect();
        let mut left_out = 0;
        if !changed.is_empty() {
            out.push_str("| Metric | Base | Head | Change | Relative | Verdict |\n");
            out.push_str("|:--|--:|--:|--:|--:|:--|\n");
            for metric in &changed {
                if !room(out, &mut left_out) {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    key(&metric.key),
                    cell(&metric.base),
                    cell(&metric.head),
                    change(metric),
                    relative(metric),
                    verdict(metric),
                );
            }
            out.push('\n');
        }
        if !unchanged.is_empty() && full {
            let _ = writeln!(
                out,
                "<details><summary>{}</summary>\n",
                plural(unchanged.len(), "unchanged metric", "unchanged metrics")
            );
            out.push_str("| Metric | Value |\n|:--|--:|\n");
            for metric in &unchanged {
                if room(out, &mut left_out) {
                    let _ = writeln!(out, "| {} | {} |", key(&metric.key), cell(&metric.head));
                }
            }
            out.push_str("\n</details>\n\n");
        }
        cut_note(out, left_out, "mlci metrics diff BASE HEAD --all");
    }
}

fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Missing => "—".to_owned(),
        Cell::Value(scalar) => format::value(Some(scalar)),
        Cell::Sample(stats) => format::sample(stats),
    }
}

fn verdict(metric: &Judged) -> String {
    let reasons = reasons(&metric.reasons);
    if reasons.is_empty() {
        label(metric.verdict).to_owned()
    } else {
        format!("{} ({})", label(metric.verdict), escape::inline(&reasons))
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

fn key(key: &str) -> String {
    if key.is_empty() {
        "*(value)*".to_owned()
    } else {
        escape::inline(key)
    }
}

fn change(metric: &Judged) -> String {
    match (metric.status, metric.delta) {
        (Status::Added, _) => "added".to_owned(),
        (Status::Removed, _) => "removed".to_owned(),
        (_, Some(delta)) => {
            let arrow = match delta.to_f64() {
                d if d > 0.0 => "▲ ",
                d if d < 0.0 => "▼ ",
                _ => "",
            };
            format!("{arrow}{}", format::delta(delta))
        }
        (Status::Unchanged, None) => String::new(),
        (_, None) => "changed".to_owned(),
    }
}

fn relative(metric: &Judged) -> String {
    match (metric.status, metric.delta) {
        (Status::Changed, Some(_)) => match metric.relative() {
            Some(ratio) => format::percent(ratio),
            None => "n/a".to_owned(),
        },
        _ => String::new(),
    }
}

fn params(out: &mut String, files: &[FileDiff], full: bool) {
    if files.is_empty() {
        return;
    }
    let rows = |changed: bool| -> Vec<(&str, &Row)> {
        files
            .iter()
            .flat_map(|f| f.rows.iter().map(move |r| (f.path.as_str(), r)))
            .filter(|(_, r)| r.is_changed() == changed)
            .collect()
    };
    let changed = rows(true);
    let unchanged = rows(false);
    out.push_str("### Params\n\n");
    let mut left_out = 0;
    if changed.is_empty() {
        out.push_str("No param changed.\n\n");
    } else {
        out.push_str("| File | Param | Base | Head |\n|:--|:--|--:|--:|\n");
        for (path, row) in &changed {
            if !room(out, &mut left_out) {
                continue;
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                escape::inline(path),
                key(&row.key),
                format::value(row.base.as_ref()),
                format::value(row.head.as_ref()),
            );
        }
        out.push('\n');
    }
    if !unchanged.is_empty() && full {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n",
            plural(unchanged.len(), "unchanged param", "unchanged params")
        );
        out.push_str("| File | Param | Value |\n|:--|:--|--:|\n");
        for (path, row) in &unchanged {
            if !room(out, &mut left_out) {
                continue;
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                escape::inline(path),
                key(&row.key),
                format::value(row.head.as_ref())
            );
        }
        out.push_str("\n</details>\n\n");
    }
    cut_note(out, left_out, "mlci params diff BASE HEAD --all");
}

fn footer(out: &mut String, context: &ReportContext<'_>, full: bool) {
    out.push_str("---\n");
    let _ = writeln!(
        out,
        "<sub>Base: {} · Head: {} · mlci {}</sub>\n",
        escape::inline(&context.base.describe()),
        escape::inline(&context.head.describe()),
        env!("CARGO_PKG_VERSION"),
    );
    if let Some(machine) = context.machine.filter(|_| full) {
        out.push_str("<details><summary>Environment</summary>\n\n| | |\n|:--|:--|\n");
        let _ = writeln!(out, "| OS | {} |", escape::inline(&machine.os));
        let cpu = machine.cpu.as_deref().unwrap_or("unknown");
        let _ = writeln!(
            out,
            "| CPU | {} ({}) |",
            escape::inline(cpu),
            plural(machine.cpus, "CPU", "CPUs")
        );
        if let Some(memory) = machine.memory {
            let _ = writeln!(
                out,
                "| Memory | {:.1} GiB |",
                memory as f64 / (1u64 << 30) as f64
            );
        }
        let gpus = if machine.gpus.is_empty() {
            "none detected".to_owned()
        } else {
            machine
                .gpus
                .iter()
                .map(|g| escape::inline(g))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(out, "| GPU | {gpus} |");
        out.push_str("\n</details>\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Warning;
    use crate::model::{Problem, Scalar};
    use crate::render::RevisionKind;

    fn row(key: &str, base: Option<Scalar>, head: Option<Scalar>, status: Status) -> Row {
        let delta = match (
            base.as_ref().and_then(Scalar::number),
            head.as_ref().and_then(Scalar::number),
        ) {
            (Some(b), Some(h)) => Some(crate::diff::subtract(h, b)),
            _ => None,
        };
        Row {
            key: key.into(),
            base,
            head,
            delta,
            status,
        }
    }

    fn context<'a>(
        base: &'a Revision,
        head: &'a Revision,
        judgement: &'a Judgement,
    ) -> ReportContext<'a> {
        ReportContext {
            title: "mlci report",
            id: "default",
            base,
            head,
            machine: None,
            figures: &[],
            links: Links::Relative,
            charts: Box::leak(Box::new(ChartOptions::default())),
            full_report: None,
            judgement,
        }
    }

    fn judged(comparison: &Comparison) -> Judgement {
        crate::verdict::judge(comparison, &crate::verdict::Policy::default())
    }

    fn revisions() -> (Revision, Revision) {
        (
            Revision {
                name: "main".into(),
                commit: crate::sha::Sha::parse("1111111111111111111111111111111111111111"),
                kind: RevisionKind::Commit,
            },
            Revision {
                name: "working tree".into(),
                commit: crate::sha::Sha::parse("2222222222222222222222222222222222222222"),
                kind: RevisionKind::WorkingTree,
            },
        )
    }

    #[test]
    fn report_with_changes_params_and_a_warning() {
        let comparison = Comparison {
            metrics: vec![FileDiff {
                path: "eval/metrics.json".into(),
                rows: vec![
                    row(
                        "acc",
                        Some(Scalar::Float(0.81)),
                        Some(Scalar::Float(0.85)),
                        Status::Changed,
                    ),
                    row(
                        "loss",
                        Some(Scalar::Float(0.5)),
                        Some(Scalar::Float(0.55)),
                        Status::Changed,
                    ),
                    row(
                        "model",
                        Some(Scalar::Str("rf".into())),
                        Some(Scalar::Str("xgb".into())),
                        Status::Changed,
                    ),
                    row("new", None, Some(Scalar::Int(3)), Status::Added),
                    row(
                        "zero",
                        Some(Scalar::Int(0)),
                        Some(Scalar::Int(2)),
                        Status::Changed,
                    ),
                    row(
                        "same",
                        Some(Scalar::Int(7)),
                        Some(Scalar::Int(7)),
                        Status::Unchanged,
                    ),
                ],
            }],
            params: vec![FileDiff {
                path: "params.yaml".into(),
                rows: vec![
                    row(
                        "lr",
                        Some(Scalar::Float(0.01)),
                        Some(Scalar::Float(0.001)),
                        Status::Changed,
                    ),
                    row(
                        "seed",
                        Some(Scalar::Int(1)),
                        Some(Scalar::Int(1)),
                        Status::Unchanged,
                    ),
                ],
            }],
            warnings: vec![Warning {
                side: Side::Base,
                path: "eval/other.json".into(),
                problem: Problem::Invalid {
                    line: 3,
                    column: 5,
                    message: "expected ',' or '}' after an object member".into(),
                },
            }],
            plots: Vec::new(),
            samples: Vec::new(),
            data: Vec::new(),
        };
        let (base, head) = revisions();
        let judgement = judged(&comparison);
        insta::assert_snapshot!(report(&comparison, &context(&base, &head, &judgement)));
    }

    #[test]
    fn the_same_commit_on_both_sides_says_so_unless_the_working_tree_differs() {
        let unchanged = row(
            "acc",
            Some(Scalar::Float(0.8)),
            Some(Scalar::Float(0.8)),
            Status::Unchanged,
        );
        let mut comparison = Comparison {
            metrics: vec![FileDiff {
                path: "m.json".into(),
                rows: vec![unchanged],
            }],
            params: Vec::new(),
            warnings: Vec::new(),
            plots: Vec::new(),
            samples: Vec::new(),
            data: Vec::new(),
        };
        let (mut base, mut head) = revisions();
        base.name = "merge-base with origin/main".into();
        head.commit = base.commit.clone();
        let judgement = judged(&comparison);
        insta::assert_snapshot!(report(&comparison, &context(&base, &head, &judgement)), @r"
        ## mlci report

        The base and the head are the same commit (1111111): nothing to compare.

        ---
        <sub>Base: merge-base with origin/main (1111111) · Head: working tree (1111111) · mlci 0.1.0</sub>

        <!-- mlci:report id=default head=1111111111111111111111111111111111111111 -->
        ");
        // New results in the working tree on that commit are a comparison.
        comparison.metrics[0].rows[0] = row(
            "acc",
            Some(Scalar::Float(0.8)),
            Some(Scalar::Float(0.9)),
            Status::Changed,
        );
        let judgement = judged(&comparison);
        let text = report(&comparison, &context(&base, &head, &judgement));
        assert!(!text.contains("nothing to compare"), "{text}");
        assert!(text.contains("| acc |"), "{text}");
        // Different commits with nothing changed: the usual summary.
        comparison.metrics[0].rows[0].status = Status::Unchanged;
        comparison.metrics[0].rows[0].head = Some(Scalar::Float(0.8));
        let (base, head) = revisions();
        let judgement = judged(&comparison);
        let text = report(&comparison, &context(&base, &head, &judgement));
        assert!(text.contains("No metric or param changed"), "{text}");
    }

    #[test]
    fn hostile_names_are_escaped() {
        let comparison = Comparison {
            metrics: vec![FileDiff {
                path: "evil|<b>.json".into(),
                rows: vec![row(
                    "a|b<script>@octocat `x`\n| injected | row |",
                    Some(Scalar::Str("<img src=x onerror=alert(1)>".into())),
                    Some(Scalar::Str("<!-- mlci:report id=default -->".into())),
                    Status::Changed,
                )],
            }],
            ..Comparison::default()
        };
        let (base, head) = revisions();
        let judgement = judged(&comparison);
        let text = report(&comparison, &context(&base, &head, &judgement));
        let table_row = text.lines().find(|l| l.starts_with("| a")).unwrap();
        assert_eq!(table_row.matches(" | ").count(), 5, "{table_row}");
        assert!(!text.contains("<script>") && !text.contains("<img") && !text.contains("@octocat"));
        assert_eq!(text.matches("<!-- mlci:report").count(), 1);
        assert_eq!(
            table_row,
            "| a\\|b&lt;script&gt;@\u{2060}octocat &#96;x&#96;<br>\\| injected \\| row \\| \
             | &lt;img src=x onerror=alert(1)&gt; | &lt;\\!-- mlci:report id=default --&gt; | changed |  | ⚪ changed |"
        );
    }

    #[test]
    fn fitting_keeps_whole_tables_and_says_where_the_rest_is() {
        let rows: Vec<Row> = (0..400)
            .map(|i| {
                row(
                    &format!("metric_{i:03}_with_a_rather_long_name"),
                    Some(Scalar::Float(f64::from(i))),
                    Some(Scalar::Float(f64::from(i) + 0.5)),
                    Status::Changed,
                )
            })
            .collect();
        let comparison = Comparison {
            metrics: vec![FileDiff {
                path: "m.json".into(),
                rows,
            }],
            ..Comparison::default()
        };
        let (base, head) = revisions();
        let judgement = judged(&comparison);
        let context = ReportContext {
            full_report: Some("https://github.com/o/r/actions/runs/1"),
            ..context(&base, &head, &judgement)
        };
        let render = |detail| report_at(&comparison, &context, detail);
        let full = render(Detail::Full);
        let (text, detail) = fit(&render, changed_metrics(&judgement), 10_000, Unit::Chars);
        assert!(full.chars().count() > 10_000);
        assert!(text.chars().count() <= 10_000, "{}", text.len());
        let Detail::Summary(shown) = detail else {
            panic!("{detail:?}")
        };
        assert!(shown > 50 && shown < 400, "{shown} rows");
        assert!(text.contains(&format!("… and {} more changed metrics.", 400 - shown)));
        assert!(text.contains("[full report](https://github.com/o/r/actions/runs/1)"));
        assert!(text.trim_end().ends_with("-->"), "the marker stays last");
        for line in text.lines().filter(|l| l.starts_with("| ")) {
            assert_eq!(line.matches(" | ").count(), 5, "a whole row: {line}");
        }
        let (small, detail) = fit(&render, 400, 700, Unit::Chars);
        assert!(matches!(detail, Detail::Summary(n) if n < 10), "{detail:?}");
        assert!(small.chars().count() <= 700);
    }

    #[test]
    fn nothing_changed_says_so() {
        let comparison = Comparison {
            metrics: vec![FileDiff {
                path: "m.json".into(),
                rows: vec![row(
                    "acc",
                    Some(Scalar::Float(0.9)),
                    Some(Scalar::Float(0.9)),
                    Status::Unchanged,
                )],
            }],
            ..Comparison::default()
        };
        let (base, head) = revisions();
        let judgement = judged(&comparison);
        let text = report(&comparison, &context(&base, &head, &judgement));
        assert!(
            text.contains("No metric or param changed (1 metric compared)."),
            "{text}"
        );
    }
}
