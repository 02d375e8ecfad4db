//! Charts as ```` ```mermaid ```` `xychart-beta` blocks, which GitHub and GitLab draw in
//! comments without any image hosting. Line charts are resampled onto at most
//! [`MAX_POINTS`] shared x positions (xychart has one x axis for every line); bar charts keep
//! their categories; confusion matrices become markdown tables.

use std::fmt::Write as _;

use crate::render::chart::{Body, Chart, Mark, Revision};
use crate::render::draw::{BASE_COLOR, HEAD_COLOR};
use crate::render::{escape, format};

/// Points per series at most.
pub const MAX_POINTS: usize = 100;

/// Mermaid text for a chart (with its fence), or `None` when there is nothing to draw.
pub fn chart(chart: &Chart) -> Option<String> {
    match &chart.body {
        Body::Xy(xy) => {
            let lines: Vec<_> = xy
                .series
                .iter()
                .filter(|s| matches!(s.mark, Mark::Line | Mark::Points) && !s.points.is_empty())
                .collect();
            if lines.is_empty() {
                return None;
            }
            let (lo, hi) = lines
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(x), b.max(x))
                });
            let count = MAX_POINTS
                .min(lines.iter().map(|s| s.points.len()).max().unwrap_or(0))
                .max(2);
            let grid: Vec<f64> = (0..count)
                .map(|i| lo + (hi - lo) * i as f64 / (count - 1) as f64)
                .collect();
            let mut out = header(chart, lines.iter().map(|s| s.revision), false);
            let _ = writeln!(
                out,
                "    x-axis \"{}\" {} --> {}",
                text(&xy.x.label),
                number(lo),
                number(hi)
            );
            let _ = writeln!(
                out,
                "    y-axis \"{}\" {} --> {}",
                text(&xy.y.label),
                number(xy.y.min),
                number(xy.y.max)
            );
            for series in &lines {
                let mut sorted = series.points.clone();
                sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
                let values: Vec<String> = grid
                    .iter()
                    .map(|x| number(interpolate(&sorted, *x)))
                    .collect();
                let _ = writeln!(out, "    line [{}]", values.join(", "));
            }
            out.push_str("```\n");
            out.push_str(&legend(chart));
            Some(out)
        }
        Body::Bars(bars) => {
            if bars.categories.is_empty() {
                return None;
            }
            let mut out = header(chart, bars.bars.iter().map(|(r, _)| *r), true);
            let categories: Vec<String> = bars
                .categories
                .iter()
                .take(MAX_POINTS)
                .map(|c| format!("\"{}\"", text(c)))
                .collect();
            let _ = writeln!(out, "    x-axis [{}]", categories.join(", "));
            let _ = writeln!(
                out,
                "    y-axis \"{}\" {} --> {}",
                text(&bars.x.label),
                number(bars.x.min),
                number(bars.x.max)
            );
            for (_, values) in &bars.bars {
                let values: Vec<String> = values
                    .iter()
                    .take(MAX_POINTS)
                    .map(|v| number(v.unwrap_or(0.0)))
                    .collect();
                let _ = writeln!(out, "    bar [{}]", values.join(", "));
            }
            out.push_str("```\n");
            out.push_str(&legend(chart));
            Some(out)
        }
        Body::Confusion(confusion) => {
            let mut out = String::new();
            for panel in &confusion.panels {
                let _ = writeln!(
                    out,
                    "**{}** (rows: {}, columns: {})\n",
                    escape::inline(&panel.title),
                    escape::inline(&confusion.x_label),
                    escape::inline(&confusion.y_label)
                );
                out.push('|');
                out.push_str(" |");
                for label in &confusion.labels {
                    let _ = write!(out, " {} |", escape::inline(label));
                }
                out.push_str("\n|:--|");
                out.push_str(&"--:|".repeat(confusion.labels.len()));
                out.push('\n');
                for (label, row) in confusion.labels.iter().zip(&panel.counts) {
                    let _ = write!(out, "| **{}** |", escape::inline(label));
                    let total: u64 = row.iter().sum();
                    for count in row {
                        if confusion.normalized && total > 0 {
                            let _ = write!(out, " {:.2} |", *count as f64 / total as f64);
                        } else {
                            let _ = write!(out, " {count} |");
                        }
                    }
                    out.push('\n');
                }
                out.push('\n');
            }
            Some(out)
        }
    }
}

/// The fence, the colour of each line in order (base blue, head vermillion) and the title.
fn header(chart: &Chart, revisions: impl Iterator<Item = Revision>, horizontal: bool) -> String {
    let palette: Vec<String> = revisions
        .map(|r| {
            let c = if r == Revision::Base {
                BASE_COLOR
            } else {
                HEAD_COLOR
            };
            format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
        })
        .collect();
    let mut out = String::from("```mermaid\n");
    let _ = writeln!(
        out,
        "%%{{init: {{\"themeVariables\": {{\"xyChart\": {{\"plotColorPalette\": \"{}\"}}}}}}}}%%",
        palette.join(", ")
    );
    let orientation = if horizontal { " horizontal" } else { "" };
    let _ = writeln!(
        out,
        "xychart-beta{orientation}\n    title \"{}\"",
        text(&chart.title)
    );
    out
}

fn legend(chart: &Chart) -> String {
    if chart.legend.is_empty() {
        return String::new();
    }
    let entries: Vec<String> = chart
        .legend
        .iter()
        .map(|entry| {
            let mark = if entry.revision == Revision::Base {
                "🟦"
            } else {
                "🟧"
            };
            format!("{mark} {}", escape::inline(&entry.text))
        })
        .collect();
    format!("\n{}\n", entries.join(" · "))
}

/// Text inside a mermaid string: no quotes, no directive or comment starts, no line breaks.
fn text(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '"' | '%' | '\n' | '\r' | '`' | '<' | '>' | '{' | '}' | '#' | ';' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .chars()
        .take(80)
        .collect()
}

fn number(value: f64) -> String {
    if value.is_finite() {
        format::general(value, 6).replace('−', "-")
    } else {
        "0".to_owned()
    }
}

/// Linear interpolation at `x` of points sorted by x (nearest end outside the range).
fn interpolate(sorted: &[(f64, f64)], x: f64) -> f64 {
    match sorted.partition_point(|p| p.0 < x) {
        0 => sorted.first().map_or(0.0, |p| p.1),
        i if i >= sorted.len() => sorted.last().map_or(0.0, |p| p.1),
        i => {
            let (a, b) = (sorted[i - 1], sorted[i]);
            if b.0 == a.0 {
                b.1
            } else {
                a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0)
            }
        }
    }
}
