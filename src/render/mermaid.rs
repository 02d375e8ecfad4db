//! Charts as ```` ```mermaid ```` `xychart-beta` blocks, which GitHub and GitLab draw in
//! comments without any image hosting. `xychart-beta` has one categorical x axis for every
//! line and no scatter, so a chart is drawn there only where that is honest: lines drawn
//! from every point, whose x values all come from one sequence that each line follows from
//! its start (a shorter run simply stops). Each line keeps its own points, thinned to every
//! k-th x when there are more than [`MAX_POINTS`]. Anything else (a scatter, a ROC or
//! calibration curve with x values of its own, a dense series drawn as a band) is not shown
//! there, with a note. Bar charts keep their categories; confusion matrices become tables.

use std::fmt::Write as _;

use crate::render::chart::{Body, Chart, Mark, Series, Side, XyChart};
use crate::render::draw::{BASE_COLOR, HEAD_COLOR};
use crate::render::{escape, format};

/// Points per series at most.
pub const MAX_POINTS: usize = 100;

/// What stands where a chart cannot be drawn honestly as mermaid, with the reason.
fn not_shown(reason: &str) -> String {
    format!(
        "_Chart not shown: {reason}, and drawing it anyway would invent points. The numbers below are exact; `--images git-ref` (GitHub) or `upload` (GitLab) shows the chart._\n"
    )
}

/// Mermaid text for a chart (with its fence), or `None` when there is nothing to draw.
pub fn chart(chart: &Chart) -> Option<String> {
    match &chart.body {
        Body::Xy(xy) => {
            let lines: Vec<&Series> = xy.series.iter().filter(|s| !s.points.is_empty()).collect();
            if lines.is_empty() {
                return None;
            }
            Some(xy_chart(chart, xy, &lines).unwrap_or_else(not_shown))
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

/// The x values every line follows from its start, when there is one such sequence; else
/// why not.
fn shared_x(lines: &[&Series]) -> Result<Vec<f64>, &'static str> {
    let mut longest: &[(f64, f64)] = &[];
    for series in lines {
        // Lines drawn from every point, in increasing x: nothing reduced, no scatter.
        match series.mark {
            Mark::Points => return Err("mermaid has no scatter chart"),
            Mark::Band => return Err("its data is denser than mermaid can show"),
            Mark::Line | Mark::FaintLine => {}
        }
        if series.points.len() != series.original_points
            || !series.points.windows(2).all(|w| w[0].0 < w[1].0)
        {
            return Err("its x values repeat or go back, and mermaid's x axis runs forward");
        }
        if series.points.len() > longest.len() {
            longest = &series.points;
        }
    }
    let xs: Vec<f64> = longest.iter().map(|p| p.0).collect();
    if lines
        .iter()
        .all(|s| s.points.iter().zip(&xs).all(|(p, x)| p.0 == *x))
    {
        Ok(xs)
    } else {
        Err("its lines have x values of their own while mermaid's lines share one x axis")
    }
}

/// An x/y chart as `xychart-beta`, or why it cannot be drawn honestly.
fn xy_chart(chart: &Chart, xy: &XyChart, lines: &[&Series]) -> Result<String, &'static str> {
    let xs = shared_x(lines)?;
    let every = xs.len().div_ceil(MAX_POINTS).max(1);
    let picked: Vec<usize> = (0..xs.len()).step_by(every).collect();
    let mut out = header(chart, lines.iter().map(|s| s.side), false);
    let categories: Vec<String> = picked.iter().map(|&i| number(xs[i])).collect();
    let x_title = if every > 1 {
        format!("{} (every {every}th)", text(&xy.x.label))
    } else {
        text(&xy.x.label)
    };
    let _ = writeln!(out, "    x-axis \"{x_title}\" [{}]", categories.join(", "));
    let _ = writeln!(
        out,
        "    y-axis \"{}\" {} --> {}",
        text(&xy.y.label),
        number(xy.y.min),
        number(xy.y.max)
    );
    for series in lines {
        let values: Vec<String> = picked
            .iter()
            .take_while(|&&i| i < series.points.len())
            .map(|&i| number(series.points[i].1))
            .collect();
        let _ = writeln!(out, "    line [{}]", values.join(", "));
    }
    out.push_str("```\n");
    out.push_str(&legend(chart));
    Ok(out)
}

/// The fence, the colour of each line in order (base blue, head vermillion) and the title.
fn header(chart: &Chart, revisions: impl Iterator<Item = Side>, horizontal: bool) -> String {
    let palette: Vec<String> = revisions
        .map(|r| {
            let c = if r == Side::Base {
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
            let mark = if entry.side == Side::Base {
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
