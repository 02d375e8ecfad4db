//! Sizes: the levels of detail a report renders at, [`fit`] to pick the most detailed that
//! stays within a body's limit, the [`MAX_REPORT_BYTES`] cut of pathological tables, and
//! the notes that say where the rest is.

use std::fmt::Write as _;

use super::{ReportContext, plural};
use crate::render::escape;

/// How much of the report to render, for bodies with a size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything.
    Full,
    /// Without the folded tables (unchanged values, environment) and inline mermaid charts.
    Compact,
    /// The headline, warnings and at most this many changed metrics in one table.
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
/// headline alone. Tables and fences are never cut: whole sections and whole rows are
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

/// A report longer than this (pathological: a million changed keys) has its tables cut at a
/// row, with a note saying where the data is. Reports of real runs never come near it.
pub const MAX_REPORT_BYTES: usize = 10 << 20;

/// Whether a table may take one more row, counting the rows it leaves out.
pub(super) fn room(out: &str, left_out: &mut usize) -> bool {
    if out.len() < MAX_REPORT_BYTES {
        true
    } else {
        *left_out += 1;
        false
    }
}

/// The note under a table cut by [`MAX_REPORT_BYTES`].
pub(super) fn cut_note(out: &mut String, left_out: usize, command: &str) {
    if left_out > 0 {
        let _ = writeln!(
            out,
            "> [!NOTE]\n> The report is cut at {} MB: {} not shown. Every value is in the files themselves; `{command}` lists them all.\n",
            MAX_REPORT_BYTES >> 20,
            plural(left_out, "more row is", "more rows are"),
        );
    }
}

/// Where the rest of a shortened report is.
pub(super) fn pointer(out: &mut String, context: &ReportContext<'_>, what: &str) {
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
