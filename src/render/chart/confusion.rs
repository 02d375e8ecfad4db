//! Confusion matrices: each source's (actual, predicted) records coded against its few
//! distinct labels and counted into one panel per source and revision, then sized and placed
//! from their content (the class count, the widest number, the class labels).

use super::spec::{SideSeries, source_index};
use super::{ChartOptions, ConfusionChart, Panel, Side, axis_title, layout, text_width};
use crate::model::{Plot, PlotSource, Template};
use crate::render::text;

/// The confusion matrices of a plot: one panel of counts per source and revision, over the
/// labels of all of them; sized and placed afterwards by [`place_confusion`].
pub(super) fn matrices(
    definition: &Plot,
    sources: &[(Side, &PlotSource)],
    names: &[String],
    label: &dyn Fn(Side) -> String,
    template: Template,
) -> ConfusionChart {
    // Each source's (actual, predicted) as indices into its own label list; tens of
    // thousands of records, but only a handful of distinct labels. A file that could not be
    // read has no panel (rather than one of zeros), unless no file could.
    let readable = sources.iter().any(|(_, s)| s.table.is_ok());
    let coded: Vec<(Side, usize, Coded)> = sources
        .iter()
        .filter(|(_, source)| source.table.is_ok() || !readable)
        .map(|(side, source)| (*side, source_index(sources, source), code_pairs(source)))
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
        .map(|(side, dash, coded)| {
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
            (side, dash, pairs)
        })
        .collect();
    let revisions: Vec<Side> = {
        let mut r: Vec<Side> = pairs.iter().map(|(r, _, _)| *r).collect();
        r.sort();
        r.dedup();
        r
    };
    let mut ordered = pairs;
    ordered.sort_by_key(|(side, dash, _)| (*dash, *side));
    let panels = ordered
        .into_iter()
        .map(|(side, dash, pairs)| {
            let mut counts = vec![vec![0u64; labels.len()]; labels.len()];
            for (actual, predicted) in &pairs {
                counts[*actual][*predicted] += 1;
            }
            let name = names.get(dash).filter(|n| !n.is_empty());
            Panel {
                title: match name {
                    Some(name) => format!("{} · {name}", label(side)),
                    None => label(side),
                },
                heading: String::new(),
                side,
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
pub(super) mod grid {
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
pub(super) fn place_confusion(chart: &mut ConfusionChart, options: &ChartOptions) -> (u32, f64) {
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
pub(super) struct Coded {
    pub(super) labels: Vec<String>,
    pub(super) pairs: Vec<(u32, u32)>,
}

pub(super) fn code_pairs<'a>(source: &'a PlotSource) -> Coded {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::render::chart::{Body, Chart};
    use crate::render::draw;

    /// A confusion chart of `n` classes named `class number i`, base and head.
    fn classes(n: usize, normalized: bool) -> Chart {
        let panel = |side, title: &str| Panel {
            title: title.to_owned(),
            heading: String::new(),
            side,
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
                panel(Side::Base, "base (1a2b3c4)"),
                panel(Side::Head, "head (working tree)"),
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
        let (width, height) = place_confusion(&mut confusion, &ChartOptions::default());
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
}
