//! MLflow's file store: `mlruns/<experiment id>/meta.yaml` (the experiment's `name`) and
//! `mlruns/<experiment id>/<run id>/` with `meta.yaml` (`run_name`, `start_time`, `status`),
//! `metrics/<key>` (one `<timestamp ms> <value> <step>` line per logged value; keys with `/`
//! are folders), `params/<key>` (the value as text) and `tags/`.
//!
//! A metric's value is MLflow's latest: the largest step, then the latest timestamp, then
//! the largest value; its curve is every value against `step`. Run and experiment ids are
//! random: runs are named by experiment and run name.

use super::{Curve, RunData};
use crate::inputs::value::Value;
use crate::inputs::{ParseError, yaml};

/// A run's identity from its `meta.yaml`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunInfo {
    /// `run_name`.
    pub name: String,
    /// `start_time`, in milliseconds since the epoch.
    pub start_time: i128,
    /// `lifecycle_stage` is `deleted`: the run is in the trash.
    pub deleted: bool,
}

/// Reads a run's or an experiment's `meta.yaml`: the run's name and start, or the
/// experiment's name (as `name`).
pub fn meta(bytes: &[u8]) -> Result<RunInfo, ParseError> {
    let document = yaml::parse(bytes)?;
    let text = |key: &str| match super::get(&document, key) {
        Some(Value::Str(s)) => s.clone(),
        _ => String::new(),
    };
    let name = match text("run_name") {
        name if !name.is_empty() => name,
        _ => text("name"),
    };
    Ok(RunInfo {
        name,
        start_time: match super::get(&document, "start_time") {
            Some(Value::Int(t)) => *t,
            _ => 0,
        },
        deleted: text("lifecycle_stage") == "deleted",
    })
}

/// One metric file: its curve (value against step, in logging order) and its latest value.
pub fn metric(key: &str, bytes: &[u8]) -> Result<(Curve, Option<f64>), ParseError> {
    let text = crate::inputs::utf8(bytes)?;
    let mut curve = Curve::new(key, "step");
    let mut latest: Option<(i64, i64, f64)> = None;
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let parsed = match fields.as_slice() {
            [timestamp, value, step] => (
                timestamp.parse::<i64>(),
                parse_value(value),
                step.parse::<i64>(),
            ),
            [timestamp, value] => (timestamp.parse::<i64>(), parse_value(value), Ok(0)),
            _ => (Ok(0), None, Ok(0)),
        };
        let (Ok(timestamp), Some(value), Ok(step)) = parsed else {
            return Err(ParseError {
                line: number + 1,
                column: 1,
                message: format!(
                    "expected `timestamp value step`, got `{}`",
                    line.chars().take(80).collect::<String>()
                ),
            });
        };
        curve.points.push((step as f64, value));
        let newer = latest.is_none_or(|(s, t, v)| {
            (step, timestamp) > (s, t) || ((step, timestamp) == (s, t) && value > v)
        });
        if newer {
            latest = Some((step, timestamp, value));
        }
    }
    Ok((curve, latest.map(|(_, _, value)| value)))
}

/// MLflow writes floats with Python's `repr` (`nan`, `inf` included).
fn parse_value(text: &str) -> Option<f64> {
    crate::inputs::records::parse_number(text)
}

/// A run from its metric files and param files (`(key, bytes)`).
pub fn read(
    metrics: &[(String, Vec<u8>)],
    params: &[(String, Vec<u8>)],
) -> Result<RunData, ParseError> {
    let mut run = RunData::default();
    let mut values = Vec::new();
    for (key, bytes) in metrics {
        let (curve, latest) = metric(key, bytes)?;
        if let Some(latest) = latest {
            values.push((key.clone(), Value::Float(latest)));
        }
        run.curves.push(curve);
    }
    run.metrics = Value::Map(values);
    run.params = Value::Map(
        params
            .iter()
            .map(|(key, bytes)| {
                (
                    key.clone(),
                    Value::Str(String::from_utf8_lossy(bytes).into_owned()),
                )
            })
            .collect(),
    );
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::runs::{fixtures, get, number};

    fn files(dir: &std::path::Path, sub: &str) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join(sub))
            .map(|entries| {
                entries
                    .map(|e| {
                        let e = e.unwrap();
                        (
                            e.file_name().to_string_lossy().into_owned(),
                            std::fs::read(e.path()).unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    #[test]
    fn latest_values_histories_and_params_are_what_the_client_reads() {
        for stack in ["mlflow-file", "mlflow2-file"] {
            let expected = fixtures::expected(stack);
            for side in ["base", "head"] {
                for theirs in expected[side]["runs"].as_array().unwrap() {
                    let dir = fixtures::path(
                        stack,
                        side,
                        &format!(
                            "mlruns/{}/{}",
                            theirs["experiment_id"].as_str().unwrap(),
                            theirs["run_id"].as_str().unwrap()
                        ),
                    );
                    let info = meta(&std::fs::read(dir.join("meta.yaml")).unwrap()).unwrap();
                    assert_eq!(info.name, theirs["run_name"].as_str().unwrap());
                    let run = read(&files(&dir, "metrics"), &files(&dir, "params")).unwrap();
                    for (key, value) in theirs["metrics"].as_object().unwrap() {
                        assert_eq!(
                            number(get(&run.metrics, key).unwrap()),
                            value.as_f64(),
                            "{stack} {key}"
                        );
                        let history = theirs["metric_history"][key].as_array().unwrap();
                        let curve = run.curves.iter().find(|c| &c.name == key).unwrap();
                        let points: Vec<(f64, f64)> = history
                            .iter()
                            .map(|p| (p["step"].as_f64().unwrap(), p["value"].as_f64().unwrap()))
                            .collect();
                        assert_eq!(curve.points, points);
                    }
                    for (key, value) in theirs["params"].as_object().unwrap() {
                        assert_eq!(
                            get(&run.params, key),
                            Some(&Value::Str(value.as_str().unwrap().into()))
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_latest_value_is_the_largest_step_then_the_latest_time() {
        let (curve, latest) = metric("m", b"10 0.5 3\n20 0.7 1\n5 0.9 3\n").unwrap();
        assert_eq!(latest, Some(0.5));
        assert_eq!(curve.points, [(3.0, 0.5), (1.0, 0.7), (3.0, 0.9)]);
        assert!(metric("m", b"10 x 3\n").is_err());
    }
}
