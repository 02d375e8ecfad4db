//! Training runs of the common stacks, read with no configuration: what Hugging Face's
//! `Trainer`, Lightning's `CSVLogger`, Keras' `CSVLogger`, MLflow, TensorBoard, W&B (offline),
//! Ultralytics and lm-evaluation-harness leave on disk, turned into the metrics, params and
//! curves every other input becomes.
//!
//! Each stack has one module with a pure reader (bytes or parsed documents in, [`RunData`]
//! out); `discover` finds the runs of a side from its file list, and pairs a base run with a
//! head run by where it is and what it is, never by a path that changes from run to run.

pub mod discover;
pub mod keras;
pub mod lightning;
pub mod lmeval;
pub mod mlflow;
pub mod read;
pub mod snapshot;
pub mod transformers;
pub mod ultralytics;

use crate::inputs::value::Value;
use crate::model::{Column, Direction, Table};

pub use crate::model::Stack;

/// What a run's files say.
#[derive(Debug, Clone, PartialEq)]
pub struct RunData {
    /// The final metrics, as a (possibly nested) map.
    pub metrics: Value,
    /// The run's settings, as a (possibly nested) map.
    pub params: Value,
    /// The curves, in the order the run logged them.
    pub curves: Vec<Curve>,
    /// Standard errors of metrics, by metric key (lm-eval's `*_stderr`): shown as ±.
    pub errors: Vec<(String, f64)>,
    /// Which way is better, where the run says (lm-eval's `higher_is_better`).
    pub directions: Vec<(String, Direction)>,
}

impl Default for RunData {
    fn default() -> RunData {
        RunData {
            metrics: Value::Map(Vec::new()),
            params: Value::Map(Vec::new()),
            curves: Vec::new(),
            errors: Vec::new(),
            directions: Vec::new(),
        }
    }
}

/// One logged series: its name, what its x is, and its points in logging order.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The series' name as the run logged it (`eval_loss`, `train/box_loss`).
    pub name: String,
    /// What x counts: `step` or `epoch`.
    pub x: &'static str,
    /// `(x, value)`.
    pub points: Vec<(f64, f64)>,
}

impl Curve {
    /// An empty curve.
    pub fn new(name: &str, x: &'static str) -> Curve {
        Curve {
            name: name.to_owned(),
            x,
            points: Vec::new(),
        }
    }
}

/// Adds `(x, y)` to the curve named `name`, creating it in order of first appearance.
pub(crate) fn push_point(
    curves: &mut Vec<Curve>,
    name: &str,
    x_name: &'static str,
    x: f64,
    y: f64,
) {
    match curves.iter_mut().find(|c| c.name == name) {
        Some(curve) => curve.points.push((x, y)),
        None => {
            let mut curve = Curve::new(name, x_name);
            curve.points.push((x, y));
            curves.push(curve);
        }
    }
}

/// The metrics and curves of a table of logged rows (a CSV logger's file): every numeric
/// column but `x` and `skip` is a curve against `x` (blank cells skipped: loggers write sparse
/// rows), and its last value is the metric.
pub(crate) fn table_run(
    table: &Table,
    x: &'static str,
    skip: &[&str],
) -> (Vec<(String, Value)>, Vec<Curve>) {
    let xs: Vec<f64> = match table.column(x) {
        Some(Column::Numbers(values)) => values.clone(),
        _ => (0..table.rows).map(|i| i as f64).collect(),
    };
    let mut metrics = Vec::new();
    let mut curves = Vec::new();
    for (name, column) in &table.columns {
        let Column::Numbers(values) = column else {
            continue;
        };
        if name == x || skip.contains(&name.as_str()) {
            continue;
        }
        let mut curve = Curve::new(name, x);
        curve.points = xs
            .iter()
            .zip(values)
            .filter(|(_, y)| !y.is_nan())
            .map(|(x, y)| (*x, *y))
            .collect();
        if let Some((_, last)) = curve.points.last() {
            metrics.push((name.clone(), Value::Float(*last)));
            curves.push(curve);
        }
    }
    (metrics, curves)
}

/// A number of a document, as a plot reads it.
pub(crate) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// The entry `key` of a map.
pub(crate) fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// The entries of a map (none for anything else).
pub(crate) fn entries(value: &Value) -> &[(String, Value)] {
    match value {
        Value::Map(entries) => entries,
        _ => &[],
    }
}

/// Whether a text is an absolute path of some machine (`/home/...`, `C:\...`): a setting
/// that differs from machine to machine, not from run to run.
pub(crate) fn is_machine_path(text: &str) -> bool {
    text.starts_with('/')
        || text.starts_with("\\\\")
        || (text.len() > 2
            && text.as_bytes()[1] == b':'
            && matches!(text.as_bytes()[2], b'\\' | b'/'))
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! The real stacks' outputs under `fixtures/stacks/`, and what each library read back.

    use std::path::{Path, PathBuf};

    /// `fixtures/stacks/<stack>/<side>/<rel>`.
    pub(crate) fn path(stack: &str, side: &str, rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/stacks")
            .join(stack)
            .join(side)
            .join(rel)
    }

    /// The bytes of a fixture file.
    pub(crate) fn bytes(stack: &str, side: &str, rel: &str) -> Vec<u8> {
        let path = path(stack, side, rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `fixtures/stacks/<stack>/expected.json`.
    pub(crate) fn expected(stack: &str) -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/stacks")
            .join(stack)
            .join("expected.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// Whether two floats agree to the precision serde_json's parsing keeps.
    pub(crate) fn close(a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_paths() {
        assert!(
            is_machine_path("/work/x")
                && is_machine_path("C:\\data")
                && !is_machine_path("data.yaml")
        );
    }
}

/// Plain metrics files at the root that discovery reads when nothing else is found.
pub const ROOT_METRICS: [&str; 3] = ["metrics.json", "metrics.yaml", "results.json"];

/// Reads the runs `plan` asks for into `snapshot`: those `.mlci.toml` points at, and, when
/// discovery is on and nothing is declared or found (no `[[runs]]`, no metrics, no plots),
/// every run where the stacks write and the plain metrics files at the root. A run that cannot be read is a
/// problem of its file, shown like any other.
pub fn collect(
    plan: &crate::inputs::RunPlan,
    source: &dyn crate::inputs::FileSource,
    limit: u64,
    snapshot: &mut crate::model::Snapshot,
) -> Result<(), crate::inputs::SourceError> {
    // `[[runs]]` declare what to read, as `metrics = [...]` does: no looking elsewhere.
    let auto = plan.discover
        && plan.declared.is_empty()
        && snapshot.metrics.is_empty()
        && snapshot.plots.is_empty();
    if !auto && plan.declared.is_empty() {
        return Ok(());
    }
    let files = if auto {
        source.files_near(discover::MAX_DEPTH, &discover::SKIPPED)?
    } else {
        Vec::new()
    };
    let mut found = if auto {
        discover::find(&files)
    } else {
        Vec::new()
    };
    for (path, stack) in &plan.declared {
        // Only the folder named is listed (or the file, for a Keras logger's).
        let path = path.trim_end_matches('/');
        let mut under = source.files_under(path)?;
        if !path.is_empty() && source.exists(path) {
            under.push(path.to_owned());
        }
        let mut here: Vec<discover::Found> = discover::find(&under)
            .into_iter()
            .filter(|f| f.stack == *stack)
            .collect();
        if here.is_empty() && *stack == Stack::Keras && under.iter().any(|f| f == path) {
            // A logger's file under a name of its own.
            here.push(discover::Found {
                stack: Stack::Keras,
                place: path.to_owned(),
                name: path.rsplit('/').next().unwrap_or(path).to_owned(),
                files: vec![path.to_owned()],
                others: Vec::new(),
            });
        }
        for run in here {
            if !found
                .iter()
                .any(|f: &discover::Found| f.stack == run.stack && f.place == run.place)
            {
                found.push(run);
            }
        }
    }
    if auto {
        for name in ROOT_METRICS {
            if files.iter().any(|f| f == name) {
                let content = match source.read(name, limit) {
                    Ok(Some(bytes)) => {
                        crate::inputs::parse(crate::inputs::Format::of(name), &bytes)
                            .map(crate::inputs::extract::metrics)
                            .map_err(crate::model::Problem::from)
                    }
                    Ok(None) => continue,
                    Err(error) => Err(crate::model::Problem::Unreadable(error.to_string())),
                };
                snapshot.metrics.insert(name.to_owned(), content);
            }
        }
    }
    let mut runs = Vec::new();
    for run in found {
        match read::read(run, source, limit) {
            Ok(read) => runs.extend(read),
            Err((path, problem)) => {
                snapshot.metrics.insert(path, Err(problem));
            }
        }
    }
    let position = snapshot
        .plots
        .values()
        .map(|p| p.position + 1)
        .max()
        .unwrap_or(0);
    snapshot::add(snapshot, runs, position);
    Ok(())
}
