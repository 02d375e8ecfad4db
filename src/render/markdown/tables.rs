//! The tables: metrics file by file (changed rows, then the unchanged folded away), the one
//! table of changed metrics across files that a shortened report keeps, and the params.

use std::fmt::Write as _;

use super::fit::{cut_note, room};
use super::{key, plural};
use crate::diff::{FileDiff, Row, Status};
use crate::render::judgement::{label, reasons};
use crate::render::{escape, format};
use crate::verdict::{Cell, Judged, JudgedFile, Judgement, Verdict};

/// The number of metrics a summary table would list (the rows it can hold).
pub fn changed_metrics(judgement: &Judgement) -> usize {
    judgement.metrics().filter(|(_, m)| shown(m)).count()
}

/// Whether a metric is shown in the tables (not folded away): it changed, or a check on
/// it failed.
fn shown(metric: &Judged) -> bool {
    metric.status != Status::Unchanged || metric.verdict == Verdict::Failed
}

/// One table of changed metrics across files, at most `rows` rows.
pub(super) fn changed_table(out: &mut String, judgement: &Judgement, rows: usize) {
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

/// The metrics, file by file; the files of `unpaired` (a run with nothing at the base) as
/// values alone.
pub(super) fn metrics(out: &mut String, files: &[JudgedFile], unpaired: &[&str], full: bool) {
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
        if unpaired.contains(&file.title.as_str()) {
            out.push_str("| Metric | Head |\n|:--|--:|\n");
            let mut left_out = 0;
            for metric in &file.metrics {
                if room(out, &mut left_out) {
                    let _ = writeln!(out, "| {} | {} |", key(&metric.key), cell(&metric.head));
                }
            }
            out.push('\n');
            cut_note(out, left_out, "mlci metrics diff BASE HEAD --all");
            continue;
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
        Cell::Estimate { value, error } => format::estimate(value, *error),
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

pub(super) fn params(out: &mut String, files: &[FileDiff], full: bool) {
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
