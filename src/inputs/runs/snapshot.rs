//! Runs into a side's snapshot: each run's metrics and params become a document named by
//! its place and stack (`out (Transformers)`), the same at both sides, so base and head
//! pair; its curves become plots, one chart for the curves that measure the same thing
//! (`loss` and `eval_loss`, `train/box_loss` and `val/box_loss`).

use std::sync::Arc;

use super::read::Run;
use super::{Curve, Stack};
use crate::inputs::dvcyaml::Tracked;
use crate::inputs::extract;
use crate::model::{Column, Plot, PlotContent, PlotSource, RunInfo, Snapshot, Table, Template};

/// The name a run's metrics, params and plots go by: `out (Transformers)`.
pub fn label(stack: Stack, place: &str) -> String {
    format!("{place} ({})", stack.name())
}

/// Adds runs to a snapshot (their metrics, params, plots, errors and directions, and what
/// was found); plots are placed from `position` on.
pub fn add(snapshot: &mut Snapshot, runs: Vec<Run>, mut position: usize) {
    for run in runs {
        let label = label(run.stack, &run.place);
        let metrics = extract::metrics(run.data.metrics);
        let count = match &metrics {
            crate::model::Document::Map(entries) => entries.len(),
            crate::model::Document::Scalar(_) => 1,
        };
        snapshot.metrics.insert(label.clone(), Ok(metrics));
        if !run.data.errors.is_empty() {
            snapshot.errors.insert(label.clone(), run.data.errors);
        }
        if !run.data.directions.is_empty() {
            snapshot
                .directions
                .insert(label.clone(), run.data.directions);
        }
        if !super::entries(&run.data.params).is_empty() {
            snapshot.params.insert(
                label.clone(),
                Ok(extract::params(run.data.params, &Tracked::Whole)),
            );
        }
        let drawn: Vec<&Curve> = run
            .data
            .curves
            .iter()
            // A line needs two points; a progress counter (`epoch`) is the x, not a curve.
            .filter(|c| c.points.len() > 1 && !crate::names::is_progress(&c.name))
            .collect();
        for (group, curves) in groups(&drawn) {
            let id = format!("{label}: {group}");
            let sources = curves
                .iter()
                .map(|curve| PlotSource {
                    file: label.clone(),
                    x: Some(curve.x.to_owned()),
                    y: curve.name.clone(),
                    table: Ok(Arc::new(table(curve))),
                })
                .collect();
            snapshot.plots.insert(
                id.clone(),
                Plot {
                    id,
                    position,
                    template: Template::Linear,
                    title: Some(group.clone()),
                    x_label: Some(curves[0].x.to_owned()),
                    y_label: Some(group),
                    content: PlotContent::Data(sources),
                },
            );
            position += 1;
        }
        snapshot.runs.push(RunInfo {
            stack: run.stack,
            place: run.place,
            label,
            name: run.name,
            others: run.others,
            metrics: count,
            curves: run.data.curves.len(),
            files: run.files,
        });
    }
}

/// Curves that measure the same thing, by what they measure, in order of appearance.
fn groups<'a>(curves: &[&'a Curve]) -> Vec<(String, Vec<&'a Curve>)> {
    let mut groups: Vec<(String, Vec<&Curve>)> = Vec::new();
    for curve in curves {
        let measure = measure(&curve.name);
        match groups.iter_mut().find(|(m, _)| *m == measure) {
            Some((_, members)) => members.push(curve),
            None => groups.push((measure, vec![curve])),
        }
    }
    groups
}

/// What a curve measures, its split left out: `eval_loss`, `val_loss`, `train/loss`,
/// `validation/epoch_loss` and `val.acc` measure `loss`, `loss`, `loss`, `epoch_loss`, `acc`.
pub fn measure(name: &str) -> String {
    const SPLITS: [&str; 8] = [
        "train",
        "training",
        "val",
        "valid",
        "validation",
        "eval",
        "test",
        "evaluation",
    ];
    let segments: Vec<&str> = name.split('/').filter(|s| !SPLITS.contains(s)).collect();
    let mut rest = if segments.is_empty() {
        name.to_owned()
    } else {
        segments.join("/")
    };
    for split in SPLITS {
        for separator in ['_', '.'] {
            if let Some(stripped) = rest.strip_prefix(&format!("{split}{separator}"))
                && !stripped.is_empty()
            {
                rest = stripped.to_owned();
            }
        }
    }
    rest
}

/// A curve as a two-column table: its x and its values.
fn table(curve: &Curve) -> Table {
    let (xs, ys): (Vec<f64>, Vec<f64>) = curve.points.iter().copied().unzip();
    Table {
        rows: xs.len(),
        columns: vec![
            (curve.x.to_owned(), Column::Numbers(xs)),
            (curve.name.clone(), Column::Numbers(ys)),
        ],
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_of_one_measure_share_a_chart() {
        for (name, measured) in [
            ("loss", "loss"),
            ("eval_loss", "loss"),
            ("val_loss", "loss"),
            ("train/box_loss", "box_loss"),
            ("val/box_loss", "box_loss"),
            ("validation/epoch_loss", "epoch_loss"),
            ("val.acc", "acc"),
            ("metrics/mAP50(B)", "metrics/mAP50(B)"),
            ("eval_accuracy", "accuracy"),
            ("train", "train"),
        ] {
            assert_eq!(measure(name), measured, "{name}");
        }
    }
}
