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
use crate::render::format;

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
    /// Per revision, the value of each category.
    pub bars: Vec<(Revision, Vec<Option<f64>>)>,
}

/// One confusion matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// `base · test.json`.
    pub title: String,
    /// Colour of the frame.
    pub revision: Revision,
    /// `counts[actual][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

/// Confusion matrices side by side: revisions across, source files down.
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
    /// Number of panel columns (revisions present).
    pub columns: usize,
    /// Panels, row by row.
    pub panels: Vec<Panel>,
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
        legend: Vec::new(),
        body: Body::Bars(BarChart {
            x: empty_axis(""),
            y_label: String::new(),
            categories: Vec::new(),
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
            chart.body = Body::Confusion(confusion(definition, &sources, &names, &label, template));
            let rows = match &chart.body {
                Body::Confusion(c) => c.panels.len().div_ceil(c.columns.max(1)),
                _ => 1,
            };
            chart.height = chart.height.max(120 + 300 * rows as u32);
        }
        Template::BarHorizontal | Template::BarHorizontalSorted => {
            let bars = bars(definition, &sources, template, options);
            chart.height = chart
                .height
                .max((layout::TOP + layout::BOTTOM) as u32 + 30 * bars.categories.len() as u32);
            chart.body = Body::Bars(bars);
            for (revision, _) in &sides {
                chart.legend.push(LegendEntry {
                    text: label(*revision),
                    revision: *revision,
                    dash: 0,
                    mark: Mark::Line,
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
                };
                if !chart.legend.contains(&entry) {
                    chart.legend.push(entry);
                }
            }
            chart.body = Body::Xy(xy);
        }
    }
    Some(chart)
}

/// Short names for the sources of a plot: the file (common directory stripped) and the
/// field when one file gives several, as DVC's `filename`/`field` facets.
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
    keys.iter()
        .map(|(file, field)| {
            let file = &file[prefix..];
            match (distinct_files > 1, distinct_fields > 1) {
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

fn xy(
    definition: &Plot,
    sources: &[(Revision, &PlotSource)],
    names: &[String],
    template: Template,
    options: &ChartOptions,
) -> XyChart {
    let first = sources.first().map(|(_, s)| *s);
    let x_field = first.and_then(|s| s.x.clone());
    let y_fields: Vec<&str> = {
        let mut f: Vec<&str> = sources.iter().map(|(_, s)| s.y.as_str()).collect();
        f.dedup();
        f
    };
    let unit = is_unit_field(x_field.as_deref()) && y_fields.iter().all(|f| is_unit_field(Some(f)));
    let x_label = definition
        .x_label
        .clone()
        .unwrap_or_else(|| x_field.clone().unwrap_or_else(|| "step".to_owned()));
    let y_label = definition.y_label.clone().unwrap_or_else(|| {
        if y_fields.len() == 1 {
            y_fields[0].to_owned()
        } else {
            "y".to_owned()
        }
    });
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
    let x = axis(x_label, x_range, plot_width, true);
    let y = axis(y_label, y_range, plot_height, false);

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
    // thousands of records, but only a handful of distinct labels.
    let coded: Vec<(Revision, usize, Coded)> = sources
        .iter()
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
                revision,
                counts,
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
    }
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
    let longest = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    let plot_width =
        f64::from(options.width) - 60.0 - longest as f64 * layout::TICK * layout::CHAR_WIDTH;
    BarChart {
        x: axis(
            definition.x_label.clone().unwrap_or(x_field),
            (lo, hi),
            plot_width,
            true,
        ),
        y_label: definition.y_label.clone().unwrap_or(y_field),
        categories,
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
    let _ = writeln!(out, "title: {}", chart.title);
    let _ = writeln!(
        out,
        "size: {}x{} @{}x",
        chart.width, chart.height, chart.scale
    );
    for entry in &chart.legend {
        let _ = writeln!(
            out,
            "legend: {} ({:?}, dash {}, {:?})",
            entry.text, entry.revision, entry.dash, entry.mark
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
            let _ = writeln!(out, "y: {}", bars.y_label);
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
                let _ = writeln!(out, "bar: {category}: {}", values.join(" "));
            }
        }
        Body::Confusion(c) => {
            let _ = writeln!(
                out,
                "confusion: {} x {} labels {:?}, {} columns, normalized {}",
                c.x_label, c.y_label, c.labels, c.columns, c.normalized
            );
            for panel in &c.panels {
                let _ = writeln!(
                    out,
                    "panel: {} {:?} {:?}",
                    panel.title, panel.revision, panel.counts
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
    use crate::git::Directory;
    use crate::inputs::{self, Discovery, Plan, PlotSelection, Selection};
    use crate::render::draw;

    /// Every plot of `fixtures/plots` (one per template, base against head).
    fn fixture_plots() -> Vec<PlotDiff> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plots");
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

    /// Golden images: drawing the same chart must give (nearly) the same pixels. Set
    /// `MLCI_UPDATE_GOLDEN=1` to rewrite them after an intended change, then look at them.
    #[test]
    fn golden_images_match_within_tolerance() {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
        let plots = fixture_plots();
        for id in [
            "curves/loss.tsv",
            "Confusion (normalized)",
            "importance/features_sorted.csv",
        ] {
            let plot = plots.iter().find(|p| p.id == id).unwrap();
            let png = draw::png(&chart(plot, &options()).unwrap()).unwrap();
            let path = golden.join(format!("{}.png", id.replace(['/', ' ', '(', ')'], "_")));
            if std::env::var_os("MLCI_UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(&golden).unwrap();
                std::fs::write(&path, &png).unwrap();
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
