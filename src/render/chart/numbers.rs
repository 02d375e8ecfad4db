//! The numbers a report shows under a chart, for readers who cannot see images: the last
//! (and, when the name says which way is better, the best) value of each series; the area
//! under a ROC curve and the average precision of a precision-recall curve, as sklearn
//! computes them; the accuracy of a confusion matrix; the largest change of a bar chart.

use std::fmt::Write as _;

use super::confusion::code_pairs;
use super::spec::{is_unit_field, xy_values};
use super::{BarChart, Body, Chart, SeriesStats, Side};
use crate::diff::{Direction, PlotDiff, direction};
use crate::model::{PlotContent, PlotSource, Template};
use crate::render::format;

/// The numbers a report shows under a chart, for readers who cannot see images.
pub fn numbers(plot: &PlotDiff, chart: &Chart) -> String {
    let source_of = |p: &Option<crate::model::Plot>| -> Vec<PlotSource> {
        match p.as_ref().map(|p| &p.content) {
            Some(PlotContent::Data(sources)) => sources.clone(),
            _ => Vec::new(),
        }
    };
    let (base, head) = (source_of(&plot.base), source_of(&plot.head));
    if let Body::Bars(bars) = &chart.body {
        return bar_numbers(bars).unwrap_or_default();
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
                    let stats = |side: Side, present: bool| -> Option<SeriesStats> {
                        let Body::Xy(xy) = &chart.body else {
                            return None;
                        };
                        present.then_some(())?;
                        xy.series
                            .iter()
                            .find(|s| s.side == side && s.dash == dash)
                            .map(|s| s.stats)
                    };
                    let (b, h) = (
                        stats(Side::Base, b.is_some()),
                        stats(Side::Head, h.is_some()),
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
fn bar_numbers(bars: &BarChart) -> Option<String> {
    let value = |side: Side, index: usize| {
        bars.bars
            .iter()
            .find(|(r, _)| *r == side)
            .and_then(|(_, values)| values[index])
    };
    let (index, delta) = (0..bars.categories.len())
        .filter_map(|i| Some((i, value(Side::Head, i)? - value(Side::Base, i)?)))
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))?;
    Some(format!(
        "largest change: {} {} ({} → {})",
        bars.categories[index],
        format::delta(crate::model::Number::Float(delta)),
        format::general(value(Side::Base, index)?, 4),
        format::general(value(Side::Head, index)?, 4)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_under_curves_use_the_trapezoid_rule() {
        assert_eq!(trapezoid(&[(0.0, 0.0), (1.0, 1.0)]), Some(0.5));
        assert_eq!(trapezoid(&[(1.0, 1.0), (0.0, 1.0), (0.5, 1.0)]), Some(1.0));
        assert_eq!(trapezoid(&[(0.0, 0.0)]), None);
    }
}
