//! Chart descriptions: a plot at base and head turned into a [`Chart`], everything decided
//! (ranges, ticks and their labels, series and their colours and dashes, legend order) but
//! nothing drawn. Pure and snapshot-tested; [`super::draw`] only turns a `Chart` into pixels.
//!
//! Here: the description's types, and [`chart`], which puts one together (title, legend,
//! body). The rest, by concern:
//!
//! - `spec`: what a plot asks for: its sources at each revision, their names and values,
//!   and the series or bars its template makes of them;
//! - `axes`: ranges and ticks: nice steps, labels that never touch, SI suffixes;
//! - `reduce`: data reduced to what the pixels can show: min/max bands per pixel column,
//!   downsampled lines, thinned scatter; jitter and moving averages;
//! - `confusion`: confusion matrices: records counted per panel, cells sized to content;
//! - `numbers`: the one line of numbers each plot gets in the report ([`numbers()`]): last
//!   and best value per series, area under ROC and precision-recall curves, accuracy of a
//!   confusion matrix, the largest change of a bar chart.

mod axes;
mod confusion;
#[cfg(test)]
mod describe;
mod numbers;
mod reduce;
mod spec;
#[cfg(test)]
mod tests;

use crate::diff::PlotDiff;
use crate::model::{Plot, PlotContent, PlotSource, Template};
use crate::render::text;

use axes::empty_axis;
pub use axes::{axis, tick_labels};
use confusion::{matrices, place_confusion};
pub use numbers::{average_precision, numbers, trapezoid};
pub use reduce::downsample;
pub use spec::xy_values;
use spec::{bars, source_names, xy};

/// Size and labels shared by every chart of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartOptions {
    /// Width in CSS pixels (the image is `scale` times larger, for sharp high-DPI display).
    pub width: u32,
    /// Height in CSS pixels.
    pub height: u32,
    /// Device pixels per CSS pixel.
    pub scale: u32,
    /// Legend name of the base revision.
    pub base_label: String,
    /// Legend name of the head revision.
    pub head_label: String,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            width: 800,
            height: 440,
            scale: 2,
            base_label: "base".to_owned(),
            head_label: "head".to_owned(),
        }
    }
}

/// Which side a series belongs to (its colour: the base drawn first in blue, the head on
/// top in vermillion).
pub use crate::diff::Side;

/// An axis: its label, its range and its ticks (value, label).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The axis title.
    pub label: String,
    /// Visible range.
    pub min: f64,
    /// Visible range.
    pub max: f64,
    /// Tick positions and their labels, no two closer than their labels are wide.
    pub ticks: Vec<(f64, String)>,
}

/// How the points of a series are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Connected by a line.
    Line,
    /// A light band between `points` (the lows) and `upper` (the highs) of each pixel
    /// column: how a series denser than the pixels keeps its peaks.
    Band,
    /// A thin, light line (the raw data under a moving average).
    FaintLine,
    /// Dots.
    Points,
}

/// One series of an x/y chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text; `None` keeps it out of the legend.
    pub label: Option<String>,
    /// Colour.
    pub side: Side,
    /// Dash pattern index (one per source file/field).
    pub dash: usize,
    /// How it is drawn.
    pub mark: Mark,
    /// The points to draw (already reduced to what the pixels can show).
    pub points: Vec<(f64, f64)>,
    /// For a band, the high of each point's column.
    pub upper: Vec<f64>,
    /// How many points the data had.
    pub original_points: usize,
    /// The data's last, lowest and highest y (before any reduction).
    pub stats: SeriesStats,
}

/// Numbers about a series' data, kept for the line of numbers under the chart.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SeriesStats {
    /// The last y, if any point.
    pub last: Option<f64>,
    /// The lowest y.
    pub low: f64,
    /// The highest y.
    pub high: f64,
}

/// A line or scatter chart.
#[derive(Debug, Clone, PartialEq)]
pub struct XyChart {
    /// x axis.
    pub x: Axis,
    /// y axis.
    pub y: Axis,
    /// In drawing order: base before head.
    pub series: Vec<Series>,
    /// A dashed reference line (chance for ROC, perfect calibration).
    pub diagonal: Option<((f64, f64), (f64, f64))>,
}

/// Horizontal bars, one per category and revision.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Value axis (horizontal).
    pub x: Axis,
    /// Category axis title.
    pub y_label: String,
    /// Categories, top to bottom.
    pub categories: Vec<String>,
    /// Each category's label as drawn: one or two lines (long names wrapped, then cut).
    pub category_lines: Vec<Vec<String>>,
    /// Width of the widest label line (CSS pixels): the space left of the bars.
    pub label_width: f64,
    /// Per revision, the value of each category.
    pub bars: Vec<(Side, Vec<Option<f64>>)>,
}

/// One confusion matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// `base · test.json`.
    pub title: String,
    /// The title as drawn: shortened in the middle to the panel's width.
    pub heading: String,
    /// Colour of the title.
    pub side: Side,
    /// `counts[actual][predicted]`.
    pub counts: Vec<Vec<u64>>,
    /// Top-left corner of the grid of cells (CSS pixels).
    pub x: f64,
    /// See [`Panel::x`].
    pub y: f64,
    /// Whether the class labels and the axis title left of the grid are drawn (the first
    /// panel of each row: panels side by side share them).
    pub y_ticks: bool,
}

/// Confusion matrices: revisions across and source files down, or every panel below the
/// previous one when side by side would be too wide. The cells are sized to the number of
/// classes and to the numbers they hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfusionChart {
    /// Labels, in order, on both axes.
    pub labels: Vec<String>,
    /// Title of the actual-label axis.
    pub x_label: String,
    /// Title of the predicted-label axis.
    pub y_label: String,
    /// Show each row as fractions of its total.
    pub normalized: bool,
    /// Number of panel columns.
    pub columns: usize,
    /// Panels, row by row.
    pub panels: Vec<Panel>,
    /// Side of a cell (CSS pixels).
    pub cell: f64,
    /// Font size of the numbers in the cells; `None` when the cells are too small for them.
    pub number_size: Option<f64>,
    /// Font size of the class labels.
    pub label_size: f64,
    /// A class label is written every this many classes (1 unless cells are smaller than
    /// a line of text).
    pub label_step: usize,
    /// The class labels under a grid, each in lines (one line when turned).
    pub x_ticks: Vec<Vec<String>>,
    /// The labels under the grids are turned a quarter and read upwards.
    pub x_ticks_turned: bool,
    /// Height of the labels under a grid (CSS pixels).
    pub x_ticks_height: f64,
    /// The class labels left of a grid (shortened to fit).
    pub y_ticks: Vec<String>,
    /// Width of the labels left of a grid (CSS pixels).
    pub y_ticks_width: f64,
}

/// What kind of chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Lines or points.
    Xy(XyChart),
    /// Horizontal bars.
    Bars(BarChart),
    /// Heatmaps.
    Confusion(ConfusionChart),
}

/// A chart, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The title.
    pub title: String,
    /// The title as drawn: in lines that fit the width.
    pub title_lines: Vec<String>,
    /// Top of the plot area, below the title and the legend (CSS pixels).
    pub top: f64,
    /// Legend entries in order.
    pub legend: Vec<LegendEntry>,
    /// The drawing.
    pub body: Body,
    /// Size in CSS pixels.
    pub width: u32,
    /// Size in CSS pixels.
    pub height: u32,
    /// Device pixels per CSS pixel.
    pub scale: u32,
}

/// One legend entry: a sample of the mark in the series' colour and dash, and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// `base (1a2b3c4) · test.json`.
    pub text: String,
    /// Colour.
    pub side: Side,
    /// Dash pattern index.
    pub dash: usize,
    /// A line sample, or a dot for points.
    pub mark: Mark,
    /// Left end of the sample (CSS pixels); the text follows it.
    pub x: f64,
    /// Middle of the entry's row (CSS pixels).
    pub y: f64,
}

/// Layout constants shared with the drawing code (CSS pixels).
pub mod layout {
    /// Title font size.
    pub const TITLE: f64 = 17.0;
    /// Axis title font size.
    pub const LABEL: f64 = 13.0;
    /// Tick label font size.
    pub const TICK: f64 = 12.0;
    /// Legend font size.
    pub const LEGEND: f64 = 12.5;
    /// Average width of a digit or letter, as a fraction of the font size (DejaVu Sans).
    pub const CHAR_WIDTH: f64 = 0.62;
    /// Space above the plot for the title and the legend row.
    pub const TOP: f64 = 62.0;
    /// Space below the plot for tick labels and the x axis title.
    pub const BOTTOM: f64 = 52.0;
    /// Space to the right of the plot.
    pub const RIGHT: f64 = 22.0;
    /// Space left of the y tick labels for the y axis title.
    pub const LEFT_TITLE: f64 = 34.0;
    /// Top of the title's first line.
    pub const TITLE_TOP: f64 = 10.0;
    /// Height of a title line.
    pub const TITLE_LINE: f64 = 22.0;
    /// Height of a legend row.
    pub const LEGEND_ROW: f64 = 20.0;
    /// Length of a legend entry's line sample.
    pub const LEGEND_SAMPLE: f64 = 26.0;
    /// Space between a legend sample and its text.
    pub const LEGEND_GAP: f64 = 8.0;
    /// Space between legend entries in a row.
    pub const LEGEND_SPACING: f64 = 22.0;
    /// Space kept free at the left and right edges of the image.
    pub const MARGIN: f64 = 16.0;
    /// Height of a line of tick labels.
    pub const TICK_LINE: f64 = 14.0;
    /// Space right of the bars for their value labels.
    pub const BAR_VALUES: f64 = 30.0;
}

/// Builds the chart of a plot at base and head, or `None` for an image or a plot with no
/// data on either side.
pub fn chart(plot: &PlotDiff, options: &ChartOptions) -> Option<Chart> {
    let sides: Vec<(Side, &Plot)> = [
        (Side::Base, plot.base.as_ref()),
        (Side::Head, plot.head.as_ref()),
    ]
    .into_iter()
    .filter_map(|(side, p)| p.map(|p| (side, p)))
    .filter(|(_, p)| matches!(p.content, PlotContent::Data(_)))
    .collect();
    let (_, definition) = sides.last()?;
    let template = definition.template;
    let title = definition.title.clone().unwrap_or_else(|| plot.id.clone());
    let sources: Vec<(Side, &PlotSource)> = sides
        .iter()
        .flat_map(|(side, p)| match &p.content {
            PlotContent::Data(sources) => sources.iter().map(|s| (*side, s)).collect(),
            PlotContent::Image { .. } => Vec::new(),
        })
        .collect();
    let names = source_names(&sources);
    let mut chart = Chart {
        title,
        title_lines: Vec::new(),
        top: layout::TOP,
        legend: Vec::new(),
        body: Body::Bars(BarChart {
            x: empty_axis(""),
            y_label: String::new(),
            categories: Vec::new(),
            category_lines: Vec::new(),
            label_width: 0.0,
            bars: Vec::new(),
        }),
        width: options.width,
        height: options.height,
        scale: options.scale,
    };
    let label = |side: Side| match side {
        Side::Base => options.base_label.clone(),
        Side::Head => options.head_label.clone(),
    };
    match template {
        Template::Confusion | Template::ConfusionNormalized => {
            let mut confusion = matrices(definition, &sources, &names, &label, template);
            // The content decides the width, the width how the title wraps, the title where
            // the panels start.
            let (width, height) = place_confusion(&mut confusion, options);
            chart.width = width;
            chart.title_lines = title_lines(&chart.title, f64::from(width));
            let top = layout::TITLE_TOP
                + layout::TITLE_LINE * chart.title_lines.len() as f64
                + layout::TITLE_LINE / 2.0;
            for panel in &mut confusion.panels {
                panel.y += top;
            }
            chart.top = top;
            chart.height = (top + height).ceil() as u32;
            chart.body = Body::Confusion(confusion);
            return Some(chart);
        }
        Template::BarHorizontal | Template::BarHorizontalSorted => {
            let bars = bars(definition, &sources, template, options);
            let row = if bars.category_lines.iter().any(|l| l.len() > 1) {
                38
            } else {
                30
            };
            chart.height = chart
                .height
                .max((layout::TOP + layout::BOTTOM) as u32 + row * bars.categories.len() as u32);
            chart.body = Body::Bars(bars);
            for (side, _) in &sides {
                chart.legend.push(LegendEntry {
                    text: label(*side),
                    side: *side,
                    dash: 0,
                    mark: Mark::Line,
                    x: 0.0,
                    y: 0.0,
                });
            }
        }
        _ => {
            let xy = xy(definition, &sources, &names, template, options);
            for series in &xy.series {
                let Some(name) = &series.label else { continue };
                // Legend text: the revision, and the source when there are several.
                let text = if name.is_empty() {
                    label(series.side)
                } else {
                    format!("{} · {name}", label(series.side))
                };
                let entry = LegendEntry {
                    text,
                    side: series.side,
                    dash: series.dash,
                    mark: series.mark,
                    x: 0.0,
                    y: 0.0,
                };
                if !chart.legend.contains(&entry) {
                    chart.legend.push(entry);
                }
            }
            chart.body = Body::Xy(xy);
        }
    }
    // Title lines and legend rows beyond the first make the chart taller, not the plot
    // smaller.
    let width = f64::from(chart.width);
    chart.title_lines = title_lines(&chart.title, width);
    let legend_y = layout::TITLE_TOP
        + layout::TITLE_LINE * chart.title_lines.len() as f64
        + layout::LEGEND_ROW / 2.0;
    let rows = place_legend(&mut chart.legend, width, legend_y);
    let extra = layout::TITLE_LINE * (chart.title_lines.len().max(1) - 1) as f64
        + layout::LEGEND_ROW * (rows.max(1) - 1) as f64;
    chart.top = layout::TOP + extra;
    chart.height += extra.ceil() as u32;
    Some(chart)
}

/// The title in at most three lines that fit the chart's width.
fn title_lines(title: &str, width: f64) -> Vec<String> {
    let lines = text::wrap(title, width - 2.0 * layout::MARGIN, layout::TITLE, true, 3);
    if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    }
}

/// An axis title no longer than its axis (`…` in the middle past that).
fn axis_title(title: &str, length: f64) -> String {
    text::ellipsize(title, length, layout::LABEL, false, true)
}

/// The width of a text in CSS pixels (DejaVu Sans, as drawn).
fn text_width(text: &str, size: f64) -> f64 {
    text::width(text, size, false)
}

/// Places the legend entries in rows under the title, each row centred, and returns the
/// number of rows. All entries on one row when they fit; otherwise each revision starts a
/// row and its entries are laid out in aligned columns, as many as fit (so the same source
/// has the same column at base and head). An entry wider than the chart on its own is
/// shortened in the middle. Every entry is listed.
fn place_legend(entries: &mut [LegendEntry], width: f64, first_row: f64) -> usize {
    if entries.is_empty() {
        return 0;
    }
    let available = width - 2.0 * layout::MARGIN;
    let chrome = layout::LEGEND_SAMPLE + layout::LEGEND_GAP;
    for entry in entries.iter_mut() {
        entry.text = text::ellipsize(&entry.text, available - chrome, layout::LEGEND, false, true);
    }
    let widths: Vec<f64> = entries
        .iter()
        .map(|e| chrome + text_width(&e.text, layout::LEGEND))
        .collect();
    let spacing = layout::LEGEND_SPACING;
    let one_row = widths.iter().sum::<f64>() + spacing * (widths.len() - 1) as f64;
    if one_row <= available {
        let mut x = (width - one_row) / 2.0;
        for (entry, w) in entries.iter_mut().zip(&widths) {
            (entry.x, entry.y) = (x, first_row);
            x += w + spacing;
        }
        return 1;
    }
    // Consecutive entries of one revision form a group.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        match groups.last_mut() {
            Some(group) if entries[group.start].side == entry.side => group.end = i + 1,
            _ => groups.push(i..i + 1),
        }
    }
    let widest_group = groups.iter().map(|g| g.len()).max().unwrap_or(1);
    for columns in (1..=widest_group).rev() {
        let mut column_widths = vec![0.0f64; columns];
        for group in &groups {
            for (k, i) in group.clone().enumerate() {
                column_widths[k % columns] = column_widths[k % columns].max(widths[i]);
            }
        }
        let total = column_widths.iter().sum::<f64>() + spacing * (columns - 1) as f64;
        if total > available && columns > 1 {
            continue;
        }
        let left = (width - total) / 2.0;
        let starts: Vec<f64> = column_widths
            .iter()
            .scan(left, |x, w| {
                let start = *x;
                *x += w + spacing;
                Some(start)
            })
            .collect();
        let mut row = 0;
        for group in &groups {
            for (k, i) in group.clone().enumerate() {
                if k > 0 && k % columns == 0 {
                    row += 1;
                }
                entries[i].x = starts[k % columns];
                entries[i].y = first_row + layout::LEGEND_ROW * row as f64;
            }
            row += 1;
        }
        return row;
    }
    unreachable!("one column always fits: entries were shortened to the width")
}
