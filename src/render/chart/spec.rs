//! What a plot asks for: its sources at each revision (file and field), their short names
//! and finite (x, y) values, and the series its template makes of them: lines, min/max bands
//! with their means, smoothed lines over the raw data, scatter; or, for the bar templates,
//! the categories' values per revision.

use super::axes::{axis, pad};
use super::reduce::{columns, downsample, jitter, moving_average, thin_scatter};
use super::{
    BarChart, ChartOptions, Mark, Series, SeriesStats, Side, XyChart, axis_title, layout,
    text_width,
};
use crate::model::{Column, Plot, PlotSource, Template};
use crate::render::text;

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

/// Short names for the sources of a plot: the file (common directory stripped) and the
/// field when one file gives several, as DVC's `filename`/`field` facets; the file alone
/// when each file is named after its field (dvclive's `train/loss.tsv` holds `loss`).
pub(super) fn source_names(sources: &[(Side, &PlotSource)]) -> Vec<String> {
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

/// A source's place among the plot's distinct (file, field) pairs: its dash and its name.
pub(super) fn source_index(sources: &[(Side, &PlotSource)], source: &PlotSource) -> usize {
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

pub(super) fn is_unit_field(field: Option<&str>) -> bool {
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

/// A line or scatter chart: axes around the data (or [0, 1] for rates), and the series the
/// template makes of each source at each revision, reduced to what the pixels can show.
pub(super) fn xy(
    definition: &Plot,
    sources: &[(Side, &PlotSource)],
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
    let mut raw: Vec<SideSeries<(f64, f64)>> = par_map(large, sources, |(side, source)| {
        (*side, source_index(sources, source), xy_values(source))
    });
    raw.sort_by_key(|(side, dash, _)| (*side, *dash));

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
    let series: Vec<Series> = par_map(large, &with_bounds, |((side, dash, points), stats)| {
        let (side, dash, stats) = (*side, *dash, *stats);
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
                    side,
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
                        side,
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
                        side,
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
                        side,
                        dash,
                        mark: Mark::FaintLine,
                        points: points.clone(),
                        upper: Vec::new(),
                        original_points,
                        stats,
                    });
                    series.push(Series {
                        label: Some(name),
                        side,
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
                        side,
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
pub(super) type SideSeries<T> = (Side, usize, Vec<T>);

/// Horizontal bars: each category's value at each revision, categories in order of first
/// appearance (or by value, for the sorted template), labels wrapped to fit.
pub(super) fn bars(
    definition: &Plot,
    sources: &[(Side, &PlotSource)],
    template: Template,
    options: &ChartOptions,
) -> BarChart {
    // DVC's bar templates: x is the value, y the category.
    let per_revision: Vec<(Side, Vec<(String, f64)>)> = sources
        .iter()
        .map(|(side, source)| {
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
            (*side, values)
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
    let value_of = |side: Side, category: &str| {
        per_revision
            .iter()
            .filter(|(r, _)| *r == side)
            .flat_map(|(_, v)| v.iter())
            .find(|(c, _)| c == category)
            .map(|(_, v)| *v)
    };
    if template == Template::BarHorizontalSorted {
        let key = |c: &str| {
            value_of(Side::Head, c)
                .or_else(|| value_of(Side::Base, c))
                .unwrap_or(f64::NEG_INFINITY)
        };
        categories.sort_by(|a, b| key(b).total_cmp(&key(a)));
    }
    let mut revisions: Vec<Side> = per_revision.iter().map(|(r, _)| *r).collect();
    revisions.sort();
    revisions.dedup();
    let bars: Vec<(Side, Vec<Option<f64>>)> = revisions
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
