//! Chart descriptions: a plot at base and head turned into a [`Chart`], everything decided
//! (ranges, ticks and their labels, series and their colours and dashes, legend order) but
//! nothing drawn. Pure and snapshot-tested; [`super::draw`] only turns a `Chart` into pixels.
//!
//! Also the one line of numbers each plot gets in the report ([`summary`]): last and best
//! value per series, area under ROC and precision-recall curves, accuracy of a confusion
//! matrix.

use std::fmt::Write as _;

use crate::diff::{Direction, PlotDiff, direction};
use crate::model::{Column, Plot, PlotContent, PlotSource, Template};
use crate::render::{format, text};

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

/// Which revision a series belongs to (its colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Revision {
    /// Drawn first, in blue.
    Base,
    /// Drawn on top, in vermillion.
    Head,
}

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
    pub revision: Revision,
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

/// Numbers about a series' data, kept for the report's summary line.
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
    pub bars: Vec<(Revision, Vec<Option<f64>>)>,
}

/// One confusion matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// `base · test.json`.
    pub title: String,
    /// The title as drawn: shortened in the middle to the panel's width.
    pub heading: String,
    /// Colour of the title.
    pub revision: Revision,
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
    pub revision: Revision,
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

/// Fields whose values are probabilities or rates: such curves are drawn on [0, 1].
const UNIT_FIELDS: &[&str] = &[
    "fpr",
    "tpr",
    "fnr",
    "tnr",
    "precision",
    "recall",
    "prob_pred",
    "prob_true",
];

/// Builds the chart of a plot at base and head, or `None` for an image or a plot with no
/// data on either side.
pub fn chart(plot: &PlotDiff, options: &ChartOptions) -> Option<Chart> {
    let sides: Vec<(Revision, &Plot)> = [
        (Revision::Base, plot.base.as_ref()),
        (Revision::Head, plot.head.as_ref()),
    ]
    .into_iter()
    .filter_map(|(revision, p)| p.map(|p| (revision, p)))
    .filter(|(_, p)| matches!(p.content, PlotContent::Data(_)))
    .collect();
    let (_, definition) = sides.last()?;
    let template = definition.template;
    let title = definition.title.clone().unwrap_or_else(|| plot.id.clone());
    let sources: Vec<(Revision, &PlotSource)> = sides
        .iter()
        .flat_map(|(revision, p)| match &p.content {
            PlotContent::Data(sources) => sources.iter().map(|s| (*revision, s)).collect(),
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
    let label = |revision: Revision| match revision {
        Revision::Base => options.base_label.clone(),
        Revision::Head => options.head_label.clone(),
    };
    match template {
        Template::Confusion | Template::ConfusionNormalized => {
            let mut confusion = confusion(definition, &sources, &names, &label, template);
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
            for (revision, _) in &sides {
                chart.legend.push(LegendEntry {
                    text: label(*revision),
                    revision: *revision,
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
                    label(series.revision)
                } else {
                    format!("{} · {name}", label(series.revision))
                };
                let entry = LegendEntry {
                    text,
                    revision: series.revision,
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
            Some(group) if entries[group.start].revision == entry.revision => group.end = i + 1,
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

/// Short names for the sources of a plot: the file (common directory stripped) and the
/// field when one file gives several, as DVC's `filename`/`field` facets; the file alone
/// when each file is named after its field (dvclive's `train/loss.tsv` holds `loss`).
fn source_names(sources: &[(Revision, &PlotSource)]) -> Vec<String> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for (_, source) in sources {
        let key = (source.file.as_str(), source.y.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let files: Vec<&str> = keys.iter().map(|(f, _)| *f).collect();
    let distinct_files = {
        let mut f = files.clone();
        f.sort();
        f.dedup();
        f.len()
    };
    let distinct_fields = {
        let mut f: Vec<&str> = keys.iter().map(|(_, y)| *y).collect();
        f.sort();
        f.dedup();
        f.len()
    };
    let prefix = common_dir(&files);
    let named_after_field = keys.iter().all(|(file, field)| {
        let name = file.rsplit('/').next().unwrap_or(file);
        name.rsplit_once('.').map_or(name, |(stem, _)| stem) == *field
    });
    keys.iter()
        .map(|(file, field)| {
            let file = &file[prefix..];
            match (
                distinct_files > 1,
                distinct_fields > 1 && !named_after_field,
            ) {
                (true, true) => format!("{file}::{field}"),
                (true, false) => file.to_owned(),
                (false, true) => (*field).to_owned(),
                (false, false) => String::new(),
            }
        })
        .collect()
}

fn common_dir(files: &[&str]) -> usize {
    let Some(first) = files.first() else {
        return 0;
    };
    let mut end = first.rfind('/').map_or(0, |i| i + 1);
    for file in files {
        while end > 0 && !(file.len() >= end && file[..end] == first[..end]) {
            end = first[..end - 1].rfind('/').map_or(0, |i| i + 1);
        }
    }
    end
}

fn source_index(sources: &[(Revision, &PlotSource)], source: &PlotSource) -> usize {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for (_, s) in sources {
        let key = (s.file.as_str(), s.y.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.iter()
        .position(|k| *k == (source.file.as_str(), source.y.as_str()))
        .unwrap_or(0)
}

/// The x and y values of a source: the x field, or the row index (`step`).
pub fn xy_values(source: &PlotSource) -> Vec<(f64, f64)> {
    let rows = source.table.as_ref().map_or(0, |t| t.rows);
    let mut points = Vec::with_capacity(rows);
    for_each_point(source, |x, y| points.push((x, y)));
    points
}

/// Calls `f` with each finite (x, y) of a source, without collecting them.
fn for_each_point(source: &PlotSource, mut f: impl FnMut(f64, f64)) {
    let Ok(table) = &source.table else { return };
    let Some(y) = table.column(&source.y) else {
        return;
    };
    let ys = y.numbers();
    match &source.x {
        Some(field) => {
            let Some(column) = table.column(field) else {
                return;
            };
            let xs = column.numbers();
            for (x, y) in xs.iter().zip(ys.iter()) {
                if x.is_finite() && y.is_finite() {
                    f(*x, *y);
                }
            }
        }
        None => {
            for (i, y) in ys.iter().enumerate() {
                if y.is_finite() {
                    f(i as f64, *y);
                }
            }
        }
    }
}

fn is_unit_field(field: Option<&str>) -> bool {
    field.is_some_and(|f| UNIT_FIELDS.contains(&f.to_ascii_lowercase().as_str()))
}

/// The y axis title for fields plotted together: the field when there is one, else the word
/// they all end (or all start) with (`loss` for `train_loss`, `val/loss`), else `value`.
fn shared_name(fields: &[&str]) -> String {
    match fields {
        [] => return "value".to_owned(),
        [field] => return (*field).to_owned(),
        _ => {}
    }
    let words = |field: &str| -> Vec<String> {
        field
            .split(['_', '/', '.', '-', ' ', ':'])
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let split: Vec<Vec<String>> = fields.iter().map(|f| words(f)).collect();
    let meaningful = |w: &&String| w.chars().any(char::is_alphabetic);
    for pick in [<[String]>::last, <[String]>::first] {
        let shared = |word: &&String| {
            split
                .iter()
                .all(|w| pick(w).is_some_and(|x| x.eq_ignore_ascii_case(word)))
        };
        if let Some(word) = pick(&split[0]).filter(meaningful).filter(shared) {
            return word.clone();
        }
    }
    "value".to_owned()
}

fn xy(
    definition: &Plot,
    sources: &[(Revision, &PlotSource)],
    names: &[String],
    template: Template,
    options: &ChartOptions,
) -> XyChart {
    let first = sources.first().map(|(_, s)| *s);
    let x_field = first.and_then(|s| s.x.clone());
    let y_fields: Vec<&str> = sources.iter().fold(Vec::new(), |mut fields, (_, s)| {
        if !fields.contains(&s.y.as_str()) {
            fields.push(s.y.as_str());
        }
        fields
    });
    let unit = is_unit_field(x_field.as_deref()) && y_fields.iter().all(|f| is_unit_field(Some(f)));
    let x_label = definition
        .x_label
        .clone()
        .unwrap_or_else(|| x_field.clone().unwrap_or_else(|| "step".to_owned()));
    let y_label = definition
        .y_label
        .clone()
        .unwrap_or_else(|| shared_name(&y_fields));
    let plot_width = f64::from(options.width) - 90.0;
    let plot_height = f64::from(options.height) - layout::TOP - layout::BOTTOM;

    // Each source's points (and bounds) on its own core: a million-point series costs a few
    // milliseconds per pass.
    let large = sources
        .iter()
        .map(|(_, s)| s.table.as_ref().map_or(0, |t| t.rows))
        .sum::<usize>()
        > PARALLEL_POINTS;
    let mut raw: Vec<SideSeries<(f64, f64)>> = par_map(large, sources, |(revision, source)| {
        (*revision, source_index(sources, source), xy_values(source))
    });
    raw.sort_by_key(|(revision, dash, _)| (*revision, *dash));

    let bounds: Vec<(f64, f64, f64, f64)> = par_map(large, &raw, |(_, _, points)| {
        points.iter().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), (px, py)| (a.min(*px), b.max(*px), c.min(*py), d.max(*py)),
        )
    });
    let (x_range, y_range) = if unit {
        // Rates live on [0, 1]; a little margin keeps a curve along an edge off the frame.
        ((-0.02, 1.02), (-0.02, 1.02))
    } else {
        let all = bounds.iter().fold(
            (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), (e, f, g, h)| (a.min(*e), b.max(*f), c.min(*g), d.max(*h)),
        );
        (pad((all.0, all.1), 0.02), pad((all.2, all.3), 0.06))
    };
    let x = axis(axis_title(&x_label, plot_width), x_range, plot_width, true);
    let y = axis(
        axis_title(&y_label, plot_height),
        y_range,
        plot_height,
        false,
    );

    let with_bounds: Vec<(&SideSeries<(f64, f64)>, SeriesStats)> = raw
        .iter()
        .zip(&bounds)
        .map(|(raw, b)| {
            let stats = SeriesStats {
                last: raw.2.last().map(|p| p.1),
                low: b.2,
                high: b.3,
            };
            (raw, stats)
        })
        .collect();
    let series: Vec<Series> = par_map(large, &with_bounds, |((revision, dash, points), stats)| {
        let (revision, dash, stats) = (*revision, *dash, *stats);
        let mut series = Vec::new();
        let name = names.get(dash).cloned().unwrap_or_default();
        let original_points = points.len();
        match template {
            Template::Scatter | Template::ScatterJitter => {
                let jittered;
                let points: &[(f64, f64)] = if template == Template::ScatterJitter {
                    jittered = jitter(points, &x, &y);
                    &jittered
                } else {
                    points
                };
                series.push(Series {
                    label: Some(name),
                    revision,
                    dash,
                    mark: Mark::Points,
                    points: thin_scatter(points, &x, &y, plot_width, plot_height),
                    upper: Vec::new(),
                    original_points,
                    stats,
                });
            }
            _ => {
                // Denser than the pixels: each column's range as a band, its mean as the line.
                if let Some(columns) = columns(points, &x, plot_width) {
                    series.push(Series {
                        label: None,
                        revision,
                        dash,
                        mark: Mark::Band,
                        points: columns.iter().map(|c| (c.x, c.low)).collect(),
                        upper: columns.iter().map(|c| c.high).collect(),
                        original_points,
                        stats,
                    });
                    let means: Vec<(f64, f64)> = columns.iter().map(|c| (c.x, c.mean)).collect();
                    let line = if template == Template::Smooth {
                        moving_average(&means)
                    } else {
                        means
                    };
                    series.push(Series {
                        label: Some(name),
                        revision,
                        dash,
                        mark: Mark::Line,
                        points: line,
                        upper: Vec::new(),
                        original_points,
                        stats,
                    });
                } else if template == Template::Smooth {
                    let smoothed = moving_average(points);
                    series.push(Series {
                        label: None,
                        revision,
                        dash,
                        mark: Mark::FaintLine,
                        points: points.clone(),
                        upper: Vec::new(),
                        original_points,
                        stats,
                    });
                    series.push(Series {
                        label: Some(name),
                        revision,
                        dash,
                        mark: Mark::Line,
                        points: smoothed,
                        upper: Vec::new(),
                        original_points,
                        stats,
                    });
                } else {
                    series.push(Series {
                        label: Some(name),
                        revision,
                        dash,
                        mark: Mark::Line,
                        points: downsample(points, &x, plot_width),
                        upper: Vec::new(),
                        original_points,
                        stats,
                    });
                }
            }
        }
        series
    })
    .into_iter()
    .flatten()
    .collect();
    let diagonal = match (x_field.as_deref(), y_fields.as_slice()) {
        (Some("fpr"), ["tpr"]) | (Some("prob_pred"), ["prob_true"]) => {
            Some(((0.0, 0.0), (1.0, 1.0)))
        }
        _ => None,
    };
    XyChart {
        x,
        y,
        series,
        diagonal,
    }
}

/// Above this many points in a chart, its series are prepared on separate threads.
const PARALLEL_POINTS: usize = 100_000;

/// `items.iter().map(f)`, on one thread per item when `parallel`, keeping the order.
fn par_map<T: Sync, R: Send>(parallel: bool, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if !parallel || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(move || f(item)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("chart preparation does not panic"))
            .collect()
    })
}

/// One source at one revision: the revision, the source's index (its dash), its values.
type SideSeries<T> = (Revision, usize, Vec<T>);

fn pad((lo, hi): (f64, f64), fraction: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if lo == hi {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * fraction;
    (lo - d, hi + d)
}

fn empty_axis(label: &str) -> Axis {
    Axis {
        label: label.to_owned(),
        min: 0.0,
        max: 1.0,
        ticks: Vec::new(),
    }
}

/// An axis with "nice" ticks (1, 2, 2.5 or 5 times a power of ten) spaced so that their
/// labels never touch: horizontal labels need their width, vertical ones a line height.
pub fn axis(label: String, (min, max): (f64, f64), pixels: f64, horizontal: bool) -> Axis {
    let span = max - min;
    let mut target = if horizontal {
        pixels / 90.0
    } else {
        pixels / 45.0
    }
    .clamp(2.0, 12.0);
    loop {
        let step = nice_step(span / target);
        let ticks = tick_values(min, max, step);
        let labels = tick_labels(&ticks, step);
        let widest = labels
            .iter()
            .map(|l| l.chars().count() as f64 * layout::TICK * layout::CHAR_WIDTH)
            .fold(0.0, f64::max);
        let needed = if horizontal {
            widest + 16.0
        } else {
            layout::TICK * 2.0
        };
        let spacing = if ticks.len() > 1 {
            pixels * step / span
        } else {
            f64::INFINITY
        };
        if spacing >= needed || target <= 2.0 {
            return Axis {
                label,
                min,
                max,
                ticks: ticks.into_iter().zip(labels).collect(),
            };
        }
        target = (target * 0.7).max(2.0);
    }
}

fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 2.5 {
        2.5
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn tick_values(min: f64, max: f64, step: f64) -> Vec<f64> {
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last)
        .take(100)
        .map(|i| {
            let v = i as f64 * step;
            // Snap away representation noise (0.30000000000000004 -> 0.3).
            (v / step).round() * step
        })
        .map(|v| if v == 0.0 { 0.0 } else { v })
        .collect()
}

/// Tick labels with as many decimals as the step needs, and SI suffixes from ten thousand
/// up: `10k`, `2.5M`, never `10000.0`.
pub fn tick_labels(ticks: &[f64], step: f64) -> Vec<String> {
    let largest = ticks.iter().map(|t| t.abs()).fold(0.0, f64::max);
    if step < 1e-4 && largest < 1.0 {
        return ticks.iter().map(|t| format::general(*t, 3)).collect();
    }
    let decimals_for = |step: f64| {
        let mut decimals = (-step.log10().floor()).max(0.0) as usize;
        if (step * 10f64.powi(decimals as i32)).fract().abs() > 1e-9 {
            decimals += 1; // 2.5 x 10^k steps need one more
        }
        decimals.min(12)
    };
    if largest < 1e4 {
        let decimals = decimals_for(step);
        return ticks
            .iter()
            .map(|t| clean_zero(format!("{t:.decimals$}")))
            .collect();
    }
    // Each tick with the prefix of its own magnitude, as few decimals as the step allows.
    ticks
        .iter()
        .map(|t| {
            let (divisor, suffix) = match t.abs() {
                a if a >= 1e9 => (1e9, "G"),
                a if a >= 1e6 => (1e6, "M"),
                a if a >= 1e3 => (1e3, "k"),
                _ => (1.0, ""),
            };
            if *t == 0.0 {
                return "0".to_owned();
            }
            let decimals = decimals_for(step / divisor);
            let text = format!("{:.decimals$}", t / divisor);
            let text = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                text
            };
            format!("{text}{suffix}")
        })
        .collect()
}

/// `-0.0` reads as a glitch on an axis.
fn clean_zero(text: String) -> String {
    if text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty() {
        text[1..].to_owned()
    } else {
        text
    }
}

/// Reduces a line to what `pixels` columns can show, keeping its extremes: the first, the
/// lowest, the highest and the last point of each column (of consecutive points when x is not
/// increasing). Linear time; peaks survive.
pub fn downsample(points: &[(f64, f64)], x: &Axis, pixels: f64) -> Vec<(f64, f64)> {
    let columns = (pixels.max(1.0) as usize) * 2;
    if points.len() <= columns * 4 {
        return points.to_vec();
    }
    let increasing = points.windows(2).all(|w| w[1].0 >= w[0].0);
    let bucket_of = |index: usize, point: &(f64, f64)| -> usize {
        if increasing {
            let t = (point.0 - x.min) / (x.max - x.min);
            (t * columns as f64).clamp(0.0, columns as f64 - 1.0) as usize
        } else {
            index * columns / points.len()
        }
    };
    let mut out = Vec::with_capacity(columns * 4);
    let mut start = 0;
    while start < points.len() {
        let bucket = bucket_of(start, &points[start]);
        let mut end = start + 1;
        while end < points.len() && bucket_of(end, &points[end]) == bucket {
            end += 1;
        }
        let slice = &points[start..end];
        let (mut low, mut high) = (0, 0);
        for (i, p) in slice.iter().enumerate() {
            if p.1 < slice[low].1 {
                low = i;
            }
            if p.1 > slice[high].1 {
                high = i;
            }
        }
        let mut keep = [0, low, high, slice.len() - 1];
        keep.sort_unstable();
        let mut previous = usize::MAX;
        for i in keep {
            if i != previous {
                out.push(slice[i]);
                previous = i;
            }
        }
        start = end;
    }
    out
}

/// One pixel column of a dense series.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ColumnSummary {
    x: f64,
    low: f64,
    high: f64,
    mean: f64,
}

/// Aggregates a series with increasing x and more than two points per device column into
/// one low/high/mean per column; `None` for series that fit the pixels (or wander back in x).
fn columns(points: &[(f64, f64)], x: &Axis, pixels: f64) -> Option<Vec<ColumnSummary>> {
    let count = (pixels.max(1.0) as usize) * 2;
    if points.len() <= count * 2 || !points.windows(2).all(|w| w[1].0 >= w[0].0) {
        return None;
    }
    let span = x.max - x.min;
    let mut out: Vec<ColumnSummary> = Vec::with_capacity(count);
    let (mut current, mut sum, mut n) = (usize::MAX, 0.0, 0usize);
    for &(px, py) in points {
        let column = (((px - x.min) / span) * count as f64).clamp(0.0, count as f64 - 1.0) as usize;
        if column != current {
            if let Some(last) = out.last_mut() {
                last.mean = sum / n as f64;
            }
            out.push(ColumnSummary {
                x: x.min + (column as f64 + 0.5) / count as f64 * span,
                low: py,
                high: py,
                mean: py,
            });
            (current, sum, n) = (column, 0.0, 0);
        }
        let last = out.last_mut().expect("pushed above");
        last.low = last.low.min(py);
        last.high = last.high.max(py);
        sum += py;
        n += 1;
    }
    if let Some(last) = out.last_mut() {
        last.mean = sum / n as f64;
    }
    Some(out)
}

/// Keeps one point per pixel: a million points become at most the plot's pixel count.
fn thin_scatter(
    points: &[(f64, f64)],
    x: &Axis,
    y: &Axis,
    width: f64,
    height: f64,
) -> Vec<(f64, f64)> {
    let (w, h) = (width.max(1.0) as usize, height.max(1.0) as usize);
    if points.len() <= 4 * w {
        return points.to_vec();
    }
    let mut seen = vec![false; w * h];
    points
        .iter()
        .filter(|(px, py)| {
            let cx =
                ((px - x.min) / (x.max - x.min) * w as f64).clamp(0.0, w as f64 - 1.0) as usize;
            let cy =
                ((py - y.min) / (y.max - y.min) * h as f64).clamp(0.0, h as f64 - 1.0) as usize;
            !std::mem::replace(&mut seen[cy * w + cx], true)
        })
        .copied()
        .collect()
}

/// A deterministic offset of up to ±1.5 % of each axis, so that the same image comes out on
/// every run.
fn jitter(points: &[(f64, f64)], x: &Axis, y: &Axis) -> Vec<(f64, f64)> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    points
        .iter()
        .map(|(px, py)| {
            (
                px + next() * 0.03 * (x.max - x.min),
                py + next() * 0.03 * (y.max - y.min),
            )
        })
        .collect()
}

/// A centred moving average over about 5 % of the points.
fn moving_average(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let n = points.len();
    let half = (n / 40).max(1);
    if n < 3 {
        return points.to_vec();
    }
    let mut prefix = vec![0.0; n + 1];
    for (i, p) in points.iter().enumerate() {
        prefix[i + 1] = prefix[i] + p.1;
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            (points[i].0, (prefix[hi] - prefix[lo]) / (hi - lo) as f64)
        })
        .collect()
}

fn confusion(
    definition: &Plot,
    sources: &[(Revision, &PlotSource)],
    names: &[String],
    label: &dyn Fn(Revision) -> String,
    template: Template,
) -> ConfusionChart {
    // Each source's (actual, predicted) as indices into its own label list; tens of
    // thousands of records, but only a handful of distinct labels. A file that could not be
    // read has no panel (rather than one of zeros), unless no file could.
    let readable = sources.iter().any(|(_, s)| s.table.is_ok());
    let coded: Vec<(Revision, usize, Coded)> = sources
        .iter()
        .filter(|(_, source)| source.table.is_ok() || !readable)
        .map(|(revision, source)| (*revision, source_index(sources, source), code_pairs(source)))
        .collect();
    let mut labels: Vec<String> = coded
        .iter()
        .flat_map(|(_, _, c)| c.labels.iter().cloned())
        .collect();
    labels.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    labels.dedup();
    let pairs: Vec<SideSeries<(usize, usize)>> = coded
        .into_iter()
        .map(|(revision, dash, coded)| {
            let global: Vec<usize> = coded
                .labels
                .iter()
                .map(|l| labels.iter().position(|x| x == l).unwrap_or(0))
                .collect();
            let pairs = coded
                .pairs
                .iter()
                .map(|(a, p)| (global[*a as usize], global[*p as usize]))
                .collect();
            (revision, dash, pairs)
        })
        .collect();
    let revisions: Vec<Revision> = {
        let mut r: Vec<Revision> = pairs.iter().map(|(r, _, _)| *r).collect();
        r.sort();
        r.dedup();
        r
    };
    let mut ordered = pairs;
    ordered.sort_by_key(|(revision, dash, _)| (*dash, *revision));
    let panels = ordered
        .into_iter()
        .map(|(revision, dash, pairs)| {
            let mut counts = vec![vec![0u64; labels.len()]; labels.len()];
            for (actual, predicted) in &pairs {
                counts[*actual][*predicted] += 1;
            }
            let name = names.get(dash).filter(|n| !n.is_empty());
            Panel {
                title: match name {
                    Some(name) => format!("{} · {name}", label(revision)),
                    None => label(revision),
                },
                heading: String::new(),
                revision,
                counts,
                x: 0.0,
                y: 0.0,
                y_ticks: true,
            }
        })
        .collect();
    ConfusionChart {
        x_label: definition
            .x_label
            .clone()
            .unwrap_or_else(|| "actual".to_owned()),
        y_label: definition
            .y_label
            .clone()
            .unwrap_or_else(|| "predicted".to_owned()),
        normalized: template == Template::ConfusionNormalized,
        columns: revisions.len().max(1),
        labels,
        panels,
        cell: 0.0,
        number_size: None,
        label_size: layout::TICK,
        label_step: 1,
        x_ticks: Vec::new(),
        x_ticks_turned: false,
        x_ticks_height: 0.0,
        y_ticks: Vec::new(),
        y_ticks_width: 0.0,
    }
}

/// Confusion matrix layout (CSS pixels).
mod grid {
    /// Font size of the numbers in cells of a comfortable size.
    pub(super) const NUMBER: f64 = 11.0;
    /// Largest font size of the numbers.
    pub(super) const NUMBER_MAX: f64 = 13.0;
    /// Smallest font size of the numbers; smaller cells have none.
    pub(super) const NUMBER_MIN: f64 = 7.0;
    /// Space around a number in its cell (both sides together).
    pub(super) const NUMBER_PADDING: f64 = 10.0;
    /// Smallest font size of the class labels; below it, labels are thinned.
    pub(super) const LABEL_MIN: f64 = 8.0;
    /// Largest cell.
    pub(super) const CELL_MAX: f64 = 84.0;
    /// The grid a few classes fill (cells grow no further than [`CELL_MAX`]).
    pub(super) const GRID_TARGET: f64 = 360.0;
    /// The largest grid: past it, cells shrink below what their numbers need.
    pub(super) const GRID_MAX: f64 = 900.0;
    /// Class labels longer than this are cut (`…`).
    pub(super) const LABEL_MAX: f64 = 150.0;
    /// Left of the class labels: the axis title, turned.
    pub(super) const Y_TITLE: f64 = 32.0;
    /// Between labels and grid, and between a grid and its labels below.
    pub(super) const TICK_GAP: f64 = 6.0;
    /// Between panels side by side.
    pub(super) const COLUMN_GAP: f64 = 28.0;
    /// Right of the last panel.
    pub(super) const RIGHT: f64 = 20.0;
    /// Above a grid: the panel's title.
    pub(super) const PANEL_TITLE: f64 = 26.0;
    /// Below a grid's labels: the axis title.
    pub(super) const X_TITLE: f64 = 24.0;
    /// Below a row of panels.
    pub(super) const ROW_GAP: f64 = 14.0;
    /// Charts may grow this much wider than asked for before panels are stacked instead.
    pub(super) const WIDER: f64 = 1.25;
}

/// Sizes and places the panels of a confusion chart from its content: the number of
/// classes, the width of the numbers in the cells and of the class labels. Returns the
/// chart's width and the height of the panels (the caller adds the title above).
///
/// Cells are large enough for their numbers (a few classes fill about 360 px, no cell is
/// larger than 84); panels go side by side when that fits in 1.25 times the asked width,
/// else one under the other. The grid never exceeds 900 px: past that (from about 26
/// classes with fractions, 37 with two-digit counts) cells shrink, the numbers with them,
/// and below 7 px the numbers are left out and only the colours remain; labels shrink to 8 px, then only every k-th is written. Labels
/// under a grid are written across (in up to two lines) when they fit their column, else
/// turned a quarter; long labels are cut at 150 px.
fn place_confusion(chart: &mut ConfusionChart, options: &ChartOptions) -> (u32, f64) {
    let n = chart.labels.len().max(1);
    let n_f = n as f64;
    // The widest number a cell shows, per pixel of font size.
    let widest_number = if chart.normalized {
        "0.00".to_owned()
    } else {
        chart
            .panels
            .iter()
            .flat_map(|p| p.counts.iter().flatten())
            .max()
            .copied()
            .unwrap_or(0)
            .to_string()
    };
    let number_width = text_width(&widest_number, 100.0) / 100.0;
    let min_cell = (number_width * grid::NUMBER + grid::NUMBER_PADDING).max(22.0);
    let preferred = (grid::GRID_TARGET / n_f).clamp(min_cell, grid::CELL_MAX.max(min_cell));

    chart.y_ticks = chart
        .labels
        .iter()
        .map(|l| text::ellipsize(l, grid::LABEL_MAX, layout::TICK, false, false))
        .collect();
    let label_width = |labels: &[String], size: f64| {
        labels
            .iter()
            .map(|l| text_width(l, size))
            .fold(0.0, f64::max)
            .ceil()
    };
    let y_ticks_width = label_width(&chart.y_ticks, layout::TICK);
    let fixed = |columns: usize| {
        grid::Y_TITLE
            + y_ticks_width
            + grid::TICK_GAP
            + grid::COLUMN_GAP * (columns - 1) as f64
            + grid::RIGHT
    };
    let fit = |width: f64, columns: usize| (width - fixed(columns)) / (columns as f64 * n_f);
    let asked = f64::from(options.width);
    let revisions = chart.columns.max(1);
    let columns = if revisions > 1 && fit(asked * grid::WIDER, revisions) >= min_cell {
        revisions
    } else {
        1
    };
    let mut cell = fit(asked, columns).clamp(min_cell, preferred);
    if cell * n_f > grid::GRID_MAX {
        cell = grid::GRID_MAX / n_f;
    }
    let cell = (cell * 2.0).floor() / 2.0;
    chart.cell = cell;
    chart.columns = columns;
    let number_size = ((cell - grid::NUMBER_PADDING) / number_width)
        .min(cell * 0.45)
        .min(grid::NUMBER_MAX);
    chart.number_size = (number_size >= grid::NUMBER_MIN).then_some(number_size);

    // Class labels: smaller in small cells, then only every k-th.
    let label_size = layout::TICK.min(cell / 1.15).max(grid::LABEL_MIN);
    chart.label_size = label_size;
    chart.label_step = (label_size * 1.15 / cell).ceil().max(1.0) as usize;
    if label_size < layout::TICK {
        chart.y_ticks = chart
            .labels
            .iter()
            .map(|l| text::ellipsize(l, grid::LABEL_MAX, label_size, false, false))
            .collect();
    }
    chart.y_ticks_width = label_width(&chart.y_ticks, label_size);
    let room = cell * chart.label_step as f64 - 4.0;
    let across: Option<Vec<Vec<String>>> = chart
        .labels
        .iter()
        .map(|l| {
            if text_width(l, label_size) <= room {
                Some(vec![l.clone()])
            } else {
                text::wrap_words(l, room, label_size, false).filter(|lines| lines.len() <= 2)
            }
        })
        .collect();
    match across {
        Some(lines) => {
            let rows = lines.iter().map(Vec::len).max().unwrap_or(1);
            chart.x_ticks = lines;
            chart.x_ticks_turned = false;
            chart.x_ticks_height = layout::TICK_LINE * rows as f64;
        }
        None => {
            chart.x_ticks = chart.y_ticks.iter().map(|l| vec![l.clone()]).collect();
            chart.x_ticks_turned = true;
            chart.x_ticks_height = chart.y_ticks_width + 2.0;
        }
    }

    let side = cell * n_f;
    chart.x_label = axis_title(&chart.x_label, side + grid::COLUMN_GAP);
    chart.y_label = axis_title(&chart.y_label, side);
    let needed = fixed(columns) - y_ticks_width + chart.y_ticks_width + side * columns as f64;
    let width = needed.max(asked).ceil();
    let left = (width - needed) / 2.0 + grid::Y_TITLE + chart.y_ticks_width + grid::TICK_GAP;
    let block = grid::PANEL_TITLE
        + side
        + grid::TICK_GAP
        + chart.x_ticks_height
        + grid::X_TITLE
        + grid::ROW_GAP;
    let title_room = side + grid::COLUMN_GAP - 6.0;
    for (index, panel) in chart.panels.iter_mut().enumerate() {
        let (row, column) = (index / columns, index % columns);
        panel.x = left + (side + grid::COLUMN_GAP) * column as f64;
        panel.y = block * row as f64 + grid::PANEL_TITLE;
        panel.y_ticks = column == 0;
        panel.heading = text::ellipsize(&panel.title, title_room, layout::LABEL, true, true);
    }
    let rows = chart.panels.len().div_ceil(columns).max(1);
    (width as u32, block * rows as f64)
}

/// A source's (actual, predicted) records coded as indices into its distinct labels.
struct Coded {
    labels: Vec<String>,
    pairs: Vec<(u32, u32)>,
}

fn code_pairs<'a>(source: &'a PlotSource) -> Coded {
    let mut coded = Coded {
        labels: Vec::new(),
        pairs: Vec::new(),
    };
    let Ok(table) = &source.table else {
        return coded;
    };
    let (Some(actual), Some(predicted)) = (
        source.x.as_deref().and_then(|f| table.column(f)),
        table.column(&source.y),
    ) else {
        return coded;
    };
    let mut index: std::collections::HashMap<std::borrow::Cow<'a, str>, u32> =
        std::collections::HashMap::new();
    let mut code = |label: std::borrow::Cow<'a, str>, labels: &mut Vec<String>| -> u32 {
        let next = index.len() as u32;
        *index.entry(label).or_insert_with_key(|label| {
            labels.push(label.to_string());
            next
        })
    };
    let rows = actual.len().min(predicted.len());
    coded.pairs.reserve(rows);
    for row in 0..rows {
        let a = code(actual.label(row), &mut coded.labels);
        let p = code(predicted.label(row), &mut coded.labels);
        coded.pairs.push((a, p));
    }
    coded
}

fn bars(
    definition: &Plot,
    sources: &[(Revision, &PlotSource)],
    template: Template,
    options: &ChartOptions,
) -> BarChart {
    // DVC's bar templates: x is the value, y the category.
    let per_revision: Vec<(Revision, Vec<(String, f64)>)> = sources
        .iter()
        .map(|(revision, source)| {
            let values = match &source.table {
                Ok(table) => {
                    let categories = table
                        .column(&source.y)
                        .map(Column::labels)
                        .unwrap_or_default();
                    let values = source
                        .x
                        .as_deref()
                        .and_then(|f| table.column(f))
                        .map(|c| c.numbers().into_owned())
                        .unwrap_or_default();
                    categories.into_iter().zip(values).collect()
                }
                Err(_) => Vec::new(),
            };
            (*revision, values)
        })
        .collect();
    let mut categories: Vec<String> = Vec::new();
    for (_, values) in &per_revision {
        for (category, _) in values {
            if !categories.contains(category) {
                categories.push(category.clone());
            }
        }
    }
    let value_of = |revision: Revision, category: &str| {
        per_revision
            .iter()
            .filter(|(r, _)| *r == revision)
            .flat_map(|(_, v)| v.iter())
            .find(|(c, _)| c == category)
            .map(|(_, v)| *v)
    };
    if template == Template::BarHorizontalSorted {
        let key = |c: &str| {
            value_of(Revision::Head, c)
                .or_else(|| value_of(Revision::Base, c))
                .unwrap_or(f64::NEG_INFINITY)
        };
        categories.sort_by(|a, b| key(b).total_cmp(&key(a)));
    }
    let mut revisions: Vec<Revision> = per_revision.iter().map(|(r, _)| *r).collect();
    revisions.sort();
    revisions.dedup();
    let bars: Vec<(Revision, Vec<Option<f64>>)> = revisions
        .iter()
        .map(|r| (*r, categories.iter().map(|c| value_of(*r, c)).collect()))
        .collect();
    let (lo, hi) = bars
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let (lo, hi) = if lo == hi {
        (0.0, 1.0)
    } else {
        (lo, hi + (hi - lo) * 0.05)
    };
    let x_field = sources
        .first()
        .and_then(|(_, s)| s.x.clone())
        .unwrap_or_default();
    let y_field = sources
        .first()
        .map(|(_, s)| s.y.clone())
        .unwrap_or_default();
    // Long names wrap to two lines (then are cut), in at most 30 % of the width.
    let max_label = (f64::from(options.width) * 0.3).max(80.0);
    let category_lines: Vec<Vec<String>> = categories
        .iter()
        .map(|c| text::wrap(c, max_label, layout::TICK, false, 2))
        .collect();
    let label_width = category_lines
        .iter()
        .flatten()
        .map(|l| text_width(l, layout::TICK))
        .fold(0.0, f64::max)
        .ceil();
    let plot_width = f64::from(options.width)
        - layout::LEFT_TITLE
        - label_width
        - 10.0
        - layout::RIGHT
        - layout::BAR_VALUES;
    BarChart {
        x: axis(
            axis_title(&definition.x_label.clone().unwrap_or(x_field), plot_width),
            (lo, hi),
            plot_width,
            true,
        ),
        y_label: axis_title(
            &definition.y_label.clone().unwrap_or(y_field),
            f64::from(options.height) - layout::TOP - layout::BOTTOM,
        ),
        categories,
        category_lines,
        label_width,
        bars,
    }
}

/// The numbers a report shows under a chart, for readers who cannot see images.
pub fn summary(plot: &PlotDiff, chart: &Chart) -> String {
    let source_of = |p: &Option<crate::model::Plot>| -> Vec<PlotSource> {
        match p.as_ref().map(|p| &p.content) {
            Some(PlotContent::Data(sources)) => sources.clone(),
            _ => Vec::new(),
        }
    };
    let (base, head) = (source_of(&plot.base), source_of(&plot.head));
    if let Body::Bars(bars) = &chart.body {
        return bar_summary(bars).unwrap_or_default();
    }
    let template = plot
        .head
        .as_ref()
        .or(plot.base.as_ref())
        .map_or(Template::Linear, |p| p.template);
    let mut keys: Vec<(String, String, Option<String>)> = Vec::new();
    for s in base.iter().chain(&head) {
        let key = (s.file.clone(), s.y.clone(), s.x.clone());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let several = keys.len() > 1;
    let find = |list: &[PlotSource], key: &(String, String, Option<String>)| {
        list.iter()
            .find(|s| s.file == key.0 && s.y == key.1)
            .cloned()
    };
    let pair = |b: Option<String>, h: Option<String>| match (b, h) {
        (Some(b), Some(h)) if b == h => format!("{h} (unchanged)"),
        (Some(b), Some(h)) => format!("{b} → {h}"),
        (None, Some(h)) => format!("{h} (new)"),
        (Some(b), None) => format!("{b} (removed)"),
        (None, None) => "—".to_owned(),
    };
    let mut parts = Vec::new();
    for key in &keys {
        let (b, h) = (find(&base, key), find(&head, key));
        let file = key.0.rsplit('/').next().unwrap_or(&key.0).to_owned();
        let distinct_files = keys
            .iter()
            .map(|k| &k.0)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let name =
            if several && distinct_files > 1 && keys.iter().filter(|k| k.0 == key.0).count() > 1 {
                format!("{file} {}", key.1)
            } else if several && distinct_files > 1 {
                file.clone()
            } else {
                key.1.clone()
            };
        // Accuracy and areas belong to a file, not to a field.
        let owner = if several {
            format!("{file} ")
        } else {
            String::new()
        };
        let text = match template {
            Template::Confusion | Template::ConfusionNormalized => {
                let accuracy = |s: Option<PlotSource>| {
                    s.and_then(|s| confusion_accuracy(&s))
                        .map(|a| format::general(a, 4))
                };
                format!("{owner}accuracy {}", pair(accuracy(b), accuracy(h)))
            }
            Template::BarHorizontal
            | Template::BarHorizontalSorted
            | Template::Scatter
            | Template::ScatterJitter => continue,
            _ => {
                let x = key.2.as_deref();
                let area = matches!(
                    (x, key.1.as_str()),
                    (Some("fpr"), "tpr") | (Some("recall"), "precision")
                );
                if area {
                    // ROC: the area by the trapezoid rule (sklearn's `roc_auc_score`); PR:
                    // average precision, step-wise (sklearn's `average_precision_score`),
                    // the number people quote under a PR curve. Scores keep 4 decimals, so
                    // 0.9960 is not printed as 0.996 beside 0.9962.
                    let roc = key.1 == "tpr";
                    let score = |s: Option<PlotSource>| {
                        s.and_then(|s| {
                            let points = xy_values(&s);
                            if roc {
                                trapezoid(&points)
                            } else {
                                average_precision(&points)
                            }
                        })
                        .map(|a| format!("{a:.4}"))
                    };
                    let what = if roc { "ROC AUC" } else { "AP" };
                    format!("{owner}{what} {}", pair(score(b), score(h)))
                } else if is_unit_field(x) {
                    continue;
                } else {
                    let dash = keys
                        .iter()
                        .map(|k| (&k.0, &k.1))
                        .fold(Vec::new(), |mut seen: Vec<(&String, &String)>, k| {
                            if !seen.contains(&k) {
                                seen.push(k);
                            }
                            seen
                        })
                        .iter()
                        .position(|k| *k == (&key.0, &key.1))
                        .unwrap_or(0);
                    let stats = |revision: Revision, present: bool| -> Option<SeriesStats> {
                        let Body::Xy(xy) = &chart.body else {
                            return None;
                        };
                        present.then_some(())?;
                        xy.series
                            .iter()
                            .find(|s| s.revision == revision && s.dash == dash)
                            .map(|s| s.stats)
                    };
                    let (b, h) = (
                        stats(Revision::Base, b.is_some()),
                        stats(Revision::Head, h.is_some()),
                    );
                    let last = |s: &Option<SeriesStats>| {
                        s.and_then(|s| s.last).map(|y| format::general(y, 4))
                    };
                    let mut text = format!("{name} last {}", pair(last(&b), last(&h)));
                    // The field's name says which way is better, else the axis title or the
                    // plot's title does ("Training loss").
                    let definition = plot.head.as_ref().or(plot.base.as_ref());
                    let hint = direction(&key.1)
                        .or_else(|| {
                            definition
                                .and_then(|d| d.y_label.as_deref())
                                .and_then(direction)
                        })
                        .or_else(|| {
                            definition
                                .and_then(|d| d.title.as_deref())
                                .and_then(direction)
                        });
                    if let Some(direction) = hint {
                        let best = |s: &Option<SeriesStats>| {
                            let s = (*s)?;
                            let best = match direction {
                                Direction::Higher => s.high,
                                Direction::Lower => s.low,
                            };
                            best.is_finite().then(|| format::general(best, 4))
                        };
                        let _ = write!(text, ", best {}", pair(best(&b), best(&h)));
                    }
                    text
                }
            }
        };
        parts.push(text);
    }
    parts.join(" · ")
}

/// For bars: the category that moved most between base and head.
fn bar_summary(bars: &BarChart) -> Option<String> {
    let value = |revision: Revision, index: usize| {
        bars.bars
            .iter()
            .find(|(r, _)| *r == revision)
            .and_then(|(_, values)| values[index])
    };
    let (index, delta) = (0..bars.categories.len())
        .filter_map(|i| Some((i, value(Revision::Head, i)? - value(Revision::Base, i)?)))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
    Some(format!(
        "largest change: {} {} ({} → {})",
        bars.categories[index],
        format::delta(crate::model::Number::Float(delta)),
        format::general(value(Revision::Base, index)?, 4),
        format::general(value(Revision::Head, index)?, 4)
    ))
}

/// Area under a curve by the trapezoid rule, over points sorted by x.
pub fn trapezoid(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    Some(
        sorted
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
            .sum(),
    )
}

/// Average precision as sklearn defines it, `Σ (Rₙ − Rₙ₋₁) · Pₙ`, from the (recall,
/// precision) points of a precision-recall curve in the order they were written
/// (`precision_recall_curve`'s: recall falling as the threshold rises), or sorted by
/// recall when they are in no such order. The curve's last point, recall 0 at precision 1,
/// which dvclive leaves out, adds nothing but the step down to recall 0.
pub fn average_precision(points: &[(f64, f64)]) -> Option<f64> {
    if points.is_empty() {
        return None;
    }
    let falling = points.windows(2).all(|w| w[0].0 >= w[1].0);
    let rising = points.windows(2).all(|w| w[0].0 <= w[1].0);
    let mut ordered = points.to_vec();
    if rising && !falling {
        ordered.reverse();
    } else if !falling {
        ordered.sort_by(|a, b| b.0.total_cmp(&a.0));
    }
    let mut ap = 0.0;
    for (i, (recall, precision)) in ordered.iter().enumerate() {
        let next = ordered.get(i + 1).map_or(0.0, |p| p.0);
        ap += (recall - next) * precision;
    }
    Some(ap)
}

/// The fraction of records whose actual and predicted labels agree.
fn confusion_accuracy(source: &PlotSource) -> Option<f64> {
    let coded = code_pairs(source);
    let total = coded.pairs.len();
    (total > 0).then(|| {
        let agree = coded
            .pairs
            .iter()
            .filter(|(a, p)| coded.labels[*a as usize] == coded.labels[*p as usize])
            .count();
        agree as f64 / total as f64
    })
}

/// A compact text form of a chart for snapshot tests: everything but the raw points.
pub fn describe(chart: &Chart) -> String {
    let mut out = String::new();
    let px = |v: f64| format::general(v, 4);
    let _ = writeln!(out, "title: {}", chart.title);
    if chart.title_lines.len() > 1 {
        let _ = writeln!(out, "title lines: {}", chart.title_lines.join(" | "));
    }
    let _ = writeln!(
        out,
        "size: {}x{} @{}x, top {}",
        chart.width,
        chart.height,
        chart.scale,
        px(chart.top)
    );
    for entry in &chart.legend {
        let _ = writeln!(
            out,
            "legend: {} ({:?}, dash {}, {:?}) at ({}, {})",
            entry.text,
            entry.revision,
            entry.dash,
            entry.mark,
            px(entry.x),
            px(entry.y)
        );
    }
    let axis = |out: &mut String, name: &str, a: &Axis| {
        let ticks: Vec<&str> = a.ticks.iter().map(|(_, l)| l.as_str()).collect();
        let _ = writeln!(
            out,
            "{name}: {} [{} .. {}] ticks {}",
            a.label,
            format::general(a.min, 4),
            format::general(a.max, 4),
            ticks.join(" ")
        );
    };
    match &chart.body {
        Body::Xy(xy) => {
            axis(&mut out, "x", &xy.x);
            axis(&mut out, "y", &xy.y);
            for s in &xy.series {
                let first = s
                    .points
                    .first()
                    .map(|p| format!("({}, {})", format::general(p.0, 4), format::general(p.1, 4)));
                let last = s
                    .points
                    .last()
                    .map(|p| format!("({}, {})", format::general(p.0, 4), format::general(p.1, 4)));
                let _ = writeln!(
                    out,
                    "series: {:?} {:?} dash {} {:?}: {} of {} points, {} .. {}",
                    s.label.as_deref().unwrap_or("(unlisted)"),
                    s.revision,
                    s.dash,
                    s.mark,
                    s.points.len(),
                    s.original_points,
                    first.unwrap_or_default(),
                    last.unwrap_or_default()
                );
            }
            if let Some(d) = xy.diagonal {
                let _ = writeln!(out, "diagonal: {d:?}");
            }
        }
        Body::Bars(bars) => {
            axis(&mut out, "x", &bars.x);
            let _ = writeln!(
                out,
                "y: {} (labels {} wide)",
                bars.y_label,
                px(bars.label_width)
            );
            for (i, category) in bars.categories.iter().enumerate() {
                let values: Vec<String> = bars
                    .bars
                    .iter()
                    .map(|(r, v)| {
                        format!(
                            "{r:?}={}",
                            v[i].map_or("-".to_owned(), |x| format::general(x, 4))
                        )
                    })
                    .collect();
                let lines = &bars.category_lines[i];
                let drawn = if lines.len() == 1 && lines[0] == *category {
                    String::new()
                } else {
                    format!(" (drawn {})", lines.join(" | "))
                };
                let _ = writeln!(out, "bar: {category}{drawn}: {}", values.join(" "));
            }
        }
        Body::Confusion(c) => {
            let _ = writeln!(
                out,
                "confusion: {} x {} labels {:?}, {} columns, normalized {}",
                c.x_label, c.y_label, c.labels, c.columns, c.normalized
            );
            let _ = writeln!(
                out,
                "cells: {} px, numbers {}, labels {} px every {}",
                px(c.cell),
                c.number_size
                    .map_or("none".to_owned(), |s| format!("{} px", px(s))),
                px(c.label_size),
                c.label_step
            );
            let x_ticks: Vec<String> = c.x_ticks.iter().map(|l| l.join(" | ")).collect();
            let _ = writeln!(
                out,
                "x ticks ({}, {} high): {:?}",
                if c.x_ticks_turned { "turned" } else { "across" },
                px(c.x_ticks_height),
                x_ticks
            );
            let _ = writeln!(
                out,
                "y ticks ({} wide): {:?}",
                px(c.y_ticks_width),
                c.y_ticks
            );
            for panel in &c.panels {
                let _ = writeln!(
                    out,
                    "panel: {} {:?} at ({}, {}){} {:?}",
                    if panel.heading == panel.title {
                        panel.title.clone()
                    } else {
                        format!("{} (drawn {})", panel.title, panel.heading)
                    },
                    panel.revision,
                    px(panel.x),
                    px(panel.y),
                    if panel.y_ticks { " with y ticks" } else { "" },
                    panel.counts
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::diff;
    use crate::inputs::Directory;
    use crate::inputs::{self, Discovery, Plan, PlotSelection, Selection};
    use crate::render::draw;

    /// Every plot of `fixtures/plots` (one per template, base against head).
    fn fixture_plots() -> Vec<PlotDiff> {
        plots_in("plots")
    }

    /// Real outputs with long labels, many classes and many fields, and synthetic bars with
    /// long names (`fixtures/charts/README.md`), one folder each.
    const REAL: [&str; 5] = ["dvclive", "urbaneye", "coco", "ppe", "bars"];

    /// Every plot of `fixtures/<folder>/{base,head}`, base against head.
    fn plots_in(folder: &str) -> Vec<PlotDiff> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(folder);
        let plan = Plan {
            discovery: Discovery::Mlci,
            metrics: Selection::Nothing,
            params: Selection::Nothing,
            plots: PlotSelection::Discover(Vec::new()),
            data: Vec::new(),
            max_file_size: inputs::DEFAULT_MAX_FILE_SIZE,
        };
        let read = |side: &str| {
            inputs::collect(&plan, &Directory::new(root.join(side), side.to_owned())).unwrap()
        };
        diff::compare(read("base"), read("head")).plots
    }

    fn options() -> ChartOptions {
        ChartOptions {
            base_label: "base (1a2b3c4)".into(),
            head_label: "head (working tree)".into(),
            ..ChartOptions::default()
        }
    }

    #[test]
    fn chart_descriptions_for_every_template() {
        let plots = fixture_plots();
        assert_eq!(plots.len(), 11, "8 charts and 3 images");
        for plot in &plots {
            let name = plot.id.replace(['/', ' ', '(', ')'], "_");
            match chart(plot, &options()) {
                Some(chart) => {
                    let text = format!("{}summary: {}\n", describe(&chart), summary(plot, &chart));
                    insta::assert_snapshot!(name, text, &plot.id);
                }
                None => assert!(plot.id.starts_with("images/"), "{} has no chart", plot.id),
            }
        }
    }

    #[test]
    fn chart_descriptions_for_real_outputs() {
        for project in REAL {
            let plots = plots_in(&format!("charts/{project}"));
            assert!(!plots.is_empty(), "{project}");
            for plot in &plots {
                let name = format!("{project}__{}", plot.id.replace(['/', ' ', '(', ')'], "_"));
                let chart = chart(plot, &options()).unwrap();
                let text = format!("{}summary: {}\n", describe(&chart), summary(plot, &chart));
                insta::assert_snapshot!(name, text, &plot.id);
            }
        }
    }

    /// Every chart of every fixture, at the default size and a narrow one.
    fn all_charts() -> Vec<(String, Chart)> {
        let mut plots = fixture_plots();
        for project in REAL {
            plots.extend(plots_in(&format!("charts/{project}")));
        }
        let narrow = ChartOptions {
            width: 480,
            height: 300,
            ..options()
        };
        let mut charts = Vec::new();
        for plot in &plots {
            for options in [options(), narrow.clone()] {
                if let Some(chart) = chart(plot, &options) {
                    charts.push((format!("{} at {}", plot.id, options.width), chart));
                }
            }
        }
        charts
    }

    #[test]
    fn titles_legends_and_labels_stay_inside_the_image_and_apart() {
        for (name, chart) in all_charts() {
            let width = f64::from(chart.width);
            for line in &chart.title_lines {
                assert!(
                    text::width(line, layout::TITLE, true) <= width,
                    "{name}: {line}"
                );
            }
            // Legend entries: inside the image, no two overlapping in a row.
            let mut boxes: Vec<(f64, f64, f64)> = Vec::new();
            for entry in &chart.legend {
                let right = entry.x
                    + layout::LEGEND_SAMPLE
                    + layout::LEGEND_GAP
                    + text_width(&entry.text, layout::LEGEND);
                assert!(
                    entry.x >= 0.0 && right <= width,
                    "{name}: legend entry {} at {}..{right} of {width}",
                    entry.text,
                    entry.x
                );
                assert!(entry.y < chart.top, "{name}: legend below the plot's top");
                for (x0, x1, y) in &boxes {
                    assert!(
                        *y != entry.y || right <= *x0 || entry.x >= *x1,
                        "{name}: {} overlaps another entry",
                        entry.text
                    );
                }
                boxes.push((entry.x, right, entry.y));
            }
            match &chart.body {
                Body::Xy(xy) => {
                    assert_ne!(xy.y.label, "y", "{name}");
                    assert!(text_width(&xy.x.label, layout::LABEL) <= width, "{name}");
                    let height = f64::from(chart.height) - chart.top - layout::BOTTOM;
                    assert!(text_width(&xy.y.label, layout::LABEL) <= height, "{name}");
                }
                Body::Bars(bars) => {
                    for line in bars.category_lines.iter().flatten() {
                        assert!(
                            text_width(line, layout::TICK) <= bars.label_width,
                            "{name}: {line}"
                        );
                    }
                }
                Body::Confusion(c) => {
                    let side = c.cell * c.labels.len() as f64;
                    let column = c.cell * c.label_step as f64;
                    for lines in &c.x_ticks {
                        for line in lines {
                            let extent = if c.x_ticks_turned {
                                // Turned labels need a line of height each.
                                assert!(lines.len() == 1);
                                c.label_size * 1.15
                            } else {
                                text_width(line, c.label_size)
                            };
                            assert!(extent <= column, "{name}: {line} overprints");
                        }
                    }
                    assert!(
                        c.label_size * 1.15 <= column + 1e-9,
                        "{name}: rows of labels"
                    );
                    for panel in &c.panels {
                        let left = if panel.y_ticks {
                            panel.x - c.y_ticks_width - 6.0 - 24.0
                        } else {
                            panel.x
                        };
                        assert!(left >= 0.0, "{name}: panel starts at {left}");
                        assert!(panel.x + side <= width, "{name}: panel ends past the image");
                        let bottom = panel.y + side + c.x_ticks_height + 30.0;
                        assert!(bottom <= f64::from(chart.height), "{name}: panel below");
                        assert!(
                            text::width(&panel.heading, layout::LABEL, true) <= side + 28.0,
                            "{name}: {}",
                            panel.heading
                        );
                    }
                    if let Some(size) = c.number_size {
                        let widest = if c.normalized { "0.00" } else { "00" };
                        assert!(text_width(widest, size) <= c.cell, "{name}: numbers");
                    }
                }
            }
        }
    }

    #[test]
    fn legends_list_every_entry_and_wrap_by_revision() {
        let plots = plots_in("charts/dvclive");
        let plot = plots
            .iter()
            .find(|p| p.id == "Train and test metrics")
            .unwrap();
        let chart = chart(plot, &options()).unwrap();
        assert_eq!(chart.legend.len(), 12, "six fields at two revisions");
        let rows: std::collections::BTreeSet<u64> =
            chart.legend.iter().map(|e| e.y.to_bits()).collect();
        assert!(rows.len() >= 2, "wrapped");
        // Each row holds one revision; the same source is in the same column at both.
        for entry in &chart.legend {
            let twin = chart
                .legend
                .iter()
                .find(|e| e.dash == entry.dash && e.revision != entry.revision)
                .unwrap();
            assert_eq!(twin.x, entry.x, "{} and {}", entry.text, twin.text);
        }
        assert!(
            chart.height > options().height,
            "taller, not a smaller plot"
        );
        let Body::Xy(xy) = &chart.body else { panic!() };
        assert_eq!(xy.y.label, "value", "acc, f1 and loss share no word");
    }

    /// A confusion chart of `n` classes named `class number i`, base and head.
    fn classes(n: usize, normalized: bool) -> Chart {
        let panel = |revision, title: &str| Panel {
            title: title.to_owned(),
            heading: String::new(),
            revision,
            counts: (0..n)
                .map(|a| {
                    (0..n)
                        .map(|p| if a == p { 90 } else { (a * p % 7) as u64 })
                        .collect()
                })
                .collect(),
            x: 0.0,
            y: 0.0,
            y_ticks: true,
        };
        let mut confusion = ConfusionChart {
            labels: (0..n).map(|i| format!("class number {i}")).collect(),
            x_label: "actual".into(),
            y_label: "predicted".into(),
            normalized,
            columns: 2,
            panels: vec![
                panel(Revision::Base, "base (1a2b3c4)"),
                panel(Revision::Head, "head (working tree)"),
            ],
            cell: 0.0,
            number_size: None,
            label_size: layout::TICK,
            label_step: 1,
            x_ticks: Vec::new(),
            x_ticks_turned: false,
            x_ticks_height: 0.0,
            y_ticks: Vec::new(),
            y_ticks_width: 0.0,
        };
        let (width, height) = place_confusion(&mut confusion, &options());
        let top = 44.0;
        for panel in &mut confusion.panels {
            panel.y += top;
        }
        Chart {
            title: format!("{n} classes"),
            title_lines: vec![format!("{n} classes")],
            top,
            legend: Vec::new(),
            body: Body::Confusion(confusion),
            width,
            height: (top + height).ceil() as u32,
            scale: 2,
        }
    }

    #[test]
    fn confusion_cells_follow_the_class_count_up_to_a_cap() {
        let cells = |chart: &Chart| match &chart.body {
            Body::Confusion(c) => c.clone(),
            _ => unreachable!(),
        };
        // A few classes: large cells, side by side in the asked width.
        let three = cells(&classes(3, true));
        assert_eq!((three.cell, three.columns), (84.0, 2));
        assert!(!three.x_ticks_turned, "{:?}", three.x_ticks);
        // Twelve: smaller cells, still side by side, numbers readable, labels turned.
        let twelve = classes(12, true);
        let c = cells(&twelve);
        assert_eq!(c.columns, 2);
        assert!(c.number_size.unwrap() >= 10.0, "{:?}", c.number_size);
        assert!(c.x_ticks_turned);
        assert!(f64::from(twelve.width) <= 800.0 * grid::WIDER);
        // Thirty: too wide side by side, so one under the other.
        let c = cells(&classes(30, false));
        assert_eq!(c.columns, 1);
        assert!(c.number_size.is_some());
        assert!(c.panels[1].y > c.panels[0].y);
        // Past the cap: cells shrink, numbers go, labels are thinned.
        let c = cells(&classes(150, true));
        assert!(c.cell * 150.0 <= grid::GRID_MAX);
        assert_eq!(c.number_size, None);
        assert_eq!(c.label_size, grid::LABEL_MIN);
        assert!(c.label_step > 1);
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-charts");
        std::fs::create_dir_all(&out).unwrap();
        for n in [12, 30, 150] {
            let png = draw::png(&classes(n, n != 30)).unwrap();
            std::fs::write(out.join(format!("classes-{n}.png")), png).unwrap();
        }
    }

    #[test]
    fn the_y_title_names_what_the_fields_share() {
        assert_eq!(shared_name(&["loss"]), "loss");
        assert_eq!(shared_name(&["box_loss", "cls_loss", "dfl_loss"]), "loss");
        assert_eq!(
            shared_name(&["train_loss", "val_loss", "test_loss"]),
            "loss"
        );
        assert_eq!(shared_name(&["train/loss", "val/loss"]), "loss");
        assert_eq!(shared_name(&["loss_train", "loss_val"]), "loss");
        assert_eq!(shared_name(&["acc", "f1", "loss"]), "value");
        assert_eq!(shared_name(&["mAP50(B)", "mAP50-95(B)"]), "value");
        assert_eq!(
            shared_name(&["top_1", "val_1"]),
            "value",
            "a number is not a name"
        );
    }

    /// Decodes a PNG into (width, height, RGB pixels).
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    fn count_color(pixels: &[u8], rgb: (u8, u8, u8)) -> usize {
        pixels
            .chunks(3)
            .filter(|p| (p[0], p[1], p[2]) == rgb)
            .count()
    }

    /// Pixels of the base colour's hue (blue) and the head colour's (vermillion), at any
    /// opacity over white.
    fn revision_pixels(pixels: &[u8]) -> (usize, usize) {
        let mut base = 0;
        let mut head = 0;
        for p in pixels.chunks(3) {
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            if b > r + 60 && b > g + 20 {
                base += 1;
            } else if r > b + 80 && r > g + 40 {
                head += 1;
            }
        }
        (base, head)
    }

    #[test]
    fn every_chart_draws_both_revisions_at_its_size() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-charts");
        std::fs::create_dir_all(&out).unwrap();
        for plot in fixture_plots() {
            let Some(chart) = chart(&plot, &options()) else {
                continue;
            };
            let png = draw::png(&chart).unwrap();
            let name = plot.id.replace(['/', ' ', '(', ')'], "_");
            std::fs::write(out.join(format!("{name}.png")), &png).unwrap();
            let (width, height, pixels) = decode(&png);
            assert_eq!(
                (width, height),
                (chart.width * chart.scale, chart.height * chart.scale),
                "{name}"
            );
            let white = count_color(&pixels, (255, 255, 255));
            let total = (width * height) as usize;
            assert!(white < total * 97 / 100, "{name} is blank");
            let (base, head) = revision_pixels(&pixels);
            assert!(base > 200, "{name}: no base colour ({base} pixels)");
            assert!(head > 200, "{name}: no head colour ({head} pixels)");
        }
    }

    /// The same pixels, compressed harder (golden files live in the repository).
    fn smaller_png(bytes: &[u8]) -> Vec<u8> {
        let (width, height, pixels) = decode(bytes);
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        encoder.set_filter(png::Filter::Adaptive);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&pixels).unwrap();
        writer.finish().unwrap();
        out
    }

    /// Golden images: drawing the same chart must give (nearly) the same pixels. Set
    /// `MLCI_UPDATE_GOLDEN=1` to rewrite them after an intended change, then look at them;
    /// refused when `CI` is set, so that no CI run can bless its own output.
    #[test]
    fn golden_images_match_within_tolerance() {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
        let update = std::env::var_os("MLCI_UPDATE_GOLDEN").is_some();
        assert!(
            !(update && std::env::var_os("CI").is_some()),
            "MLCI_UPDATE_GOLDEN is refused when CI is set: golden images are updated by a \
             person who looked at them, never by a CI run"
        );
        // (fixture folder, plot id, golden file name)
        let cases = [
            ("plots", "curves/loss.tsv", "curves_loss.tsv"),
            ("plots", "Confusion (normalized)", "Confusion__normalized_"),
            (
                "plots",
                "importance/features_sorted.csv",
                "importance_features_sorted.csv",
            ),
            // Long labels: 11 YOLO classes such as CLUTTER_SIDEWALK, turned under the grid.
            (
                "charts/urbaneye",
                "dvclive/plots/sklearn/cf.json",
                "long-labels-confusion-11-classes",
            ),
            // Many classes: 18 (PPE detection), at head only, counts.
            (
                "charts/ppe",
                "dvclive/plots/sklearn/cf.json",
                "many-classes-confusion-18",
            ),
            // COCO names with spaces ("potted plant", "teddy bear"), nine classes, counts.
            (
                "charts/dvclive",
                "dvclive/plots/sklearn/confusion_matrix/test.json",
                "long-labels-confusion-9-classes",
            ),
            // Many fields: six dvclive metrics at two revisions, a legend in rows.
            (
                "charts/dvclive",
                "Train and test metrics",
                "many-fields-legend",
            ),
            // Three fields that share a word: the y axis says "loss".
            ("charts/urbaneye", "Training losses", "three-fields-legend"),
            // Long category names, wrapped.
            ("charts/bars", "importance.csv", "long-labels-bars"),
        ];
        let mut folders: std::collections::BTreeMap<&str, Vec<PlotDiff>> = Default::default();
        for (folder, id, file) in cases {
            let plots = folders.entry(folder).or_insert_with(|| plots_in(folder));
            let plot = plots.iter().find(|p| p.id == id).unwrap();
            let png = draw::png(&chart(plot, &options()).unwrap()).unwrap();
            let path = golden.join(format!("{file}.png"));
            if update {
                std::fs::create_dir_all(&golden).unwrap();
                std::fs::write(&path, smaller_png(&png)).unwrap();
                continue;
            }
            let expected =
                std::fs::read(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
            let (w, h, actual) = decode(&png);
            let (ew, eh, expected) = decode(&expected);
            assert_eq!((w, h), (ew, eh), "{id}: size");
            let differing = actual
                .chunks(3)
                .zip(expected.chunks(3))
                .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 24))
                .count();
            assert!(
                differing * 200 < (w * h) as usize,
                "{id}: {differing} of {} pixels differ (more than 0.5 %)",
                w * h
            );
        }
    }

    #[test]
    fn downsampling_keeps_peaks_and_bounds_the_points() {
        let n = 2_000_000u32;
        let mut points: Vec<(f64, f64)> = (0..n)
            .map(|i| (f64::from(i), (f64::from(i) / 1000.0).sin()))
            .collect();
        points[1_234_567].1 = 50.0; // a spike
        points[1_500_001].1 = -40.0;
        let x = Axis {
            label: String::new(),
            min: 0.0,
            max: f64::from(n),
            ticks: Vec::new(),
        };
        let reduced = downsample(&points, &x, 700.0);
        assert!(reduced.len() <= 700 * 2 * 4, "{} points", reduced.len());
        assert!(reduced.contains(&(1_234_567.0, 50.0)));
        assert!(reduced.contains(&(1_500_001.0, -40.0)));
        assert_eq!(reduced.first(), points.first());
        assert_eq!(reduced.last(), points.last());
    }

    #[test]
    fn ticks_are_nice_and_never_overlap() {
        let axis = axis("x".into(), (0.0, 1_000_000.0), 700.0, true);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0", "200k", "400k", "600k", "800k", "1M"]);
        let axis = super::axis("x".into(), (0.0, 60_000.0), 700.0, true);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0", "10k", "20k", "30k", "40k", "50k", "60k"]);
        let axis = super::axis("y".into(), (0.0012, 0.0031), 300.0, false);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0.0015", "0.0020", "0.0025", "0.0030"]);
        let narrow = super::axis("x".into(), (0.0, 123_456_789.0), 200.0, true);
        assert!(narrow.ticks.len() <= 3, "{:?}", narrow.ticks);
        assert_eq!(
            tick_labels(&[0.0, 2.5, 5.0], 2.5),
            vec!["0.0", "2.5", "5.0"]
        );
        assert_eq!(
            tick_labels(&[-0.5, 0.0, 0.5], 0.5),
            vec!["-0.5", "0.0", "0.5"]
        );
    }

    #[test]
    fn areas_under_curves_use_the_trapezoid_rule() {
        assert_eq!(trapezoid(&[(0.0, 0.0), (1.0, 1.0)]), Some(0.5));
        assert_eq!(trapezoid(&[(1.0, 1.0), (0.0, 1.0), (0.5, 1.0)]), Some(1.0));
        assert_eq!(trapezoid(&[(0.0, 0.0)]), None);
    }
}
