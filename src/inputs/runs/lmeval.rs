//! EleutherAI's lm-evaluation-harness: `results_<timestamp>.json` under `--output_path`
//! (in a folder named after the model). `results.<task>` holds `"<metric>,<filter>"`
//! values and their `"<metric>_stderr,<filter>"`; groups appear there too.
//!
//! One metric per task, metric and filter: `<task>.<metric>` (filter `none`) or
//! `<task>.<metric>,<filter>`. The standard errors are not metrics: they travel as the
//! metrics' ±. `higher_is_better` gives each metric its direction. The params are the run's
//! `config` (model, its arguments, batch size, seeds) and the shots per task.

use super::{RunData, entries, get, is_machine_path, number};
use crate::inputs::value::Value;
use crate::model::Direction;

/// Whether a parsed JSON document is an lm-eval results file.
pub fn looks_like(document: &Value) -> bool {
    matches!(get(document, "results"), Some(Value::Map(_)))
        && (get(document, "versions").is_some() || get(document, "n-shot").is_some())
}

/// A run from its results file (parsed).
pub fn read(document: &Value) -> RunData {
    let mut metrics = Vec::new();
    let mut errors = Vec::new();
    for (task, fields) in entries(get(document, "results").unwrap_or(&Value::Null)) {
        let mut values = Vec::new();
        for (field, value) in entries(fields) {
            let Some((metric, filter)) = field.split_once(',') else {
                continue;
            };
            let name = if filter == "none" {
                metric.to_owned()
            } else {
                format!("{metric},{filter}")
            };
            match metric.strip_suffix("_stderr") {
                Some(of) => {
                    let of = if filter == "none" {
                        of.to_owned()
                    } else {
                        format!("{of},{filter}")
                    };
                    // "N/A" when the metric has no standard error.
                    if let Some(error) = number(value) {
                        errors.push((format!("{task}.{of}"), error));
                    }
                }
                None => values.push((name, value.clone())),
            }
        }
        if !values.is_empty() {
            metrics.push((task.clone(), Value::Map(values)));
        }
    }
    let mut params = Vec::new();
    if let Some(config) = get(document, "config") {
        for (key, value) in entries(config) {
            let machine = matches!(value, Value::Str(s) if is_machine_path(s));
            let setting = matches!(
                key.as_str(),
                "model" | "model_args" | "batch_size" | "device" | "limit" | "gen_kwargs"
            ) || key.ends_with("_seed")
                || key == "model_num_parameters";
            if setting && !machine {
                params.push((key.clone(), without_machine_paths(value)));
            }
        }
    }
    if let Some(shots) = get(document, "n-shot") {
        params.push(("n-shot".to_owned(), shots.clone()));
    }
    RunData {
        metrics: Value::Map(metrics),
        params: Value::Map(params),
        errors,
        ..RunData::default()
    }
}

/// Each metric's direction, from `higher_is_better` (`<task>.<metric>`, filters included).
pub fn directions(document: &Value, run: &RunData) -> Vec<(String, Direction)> {
    let mut out = Vec::new();
    let Some(better) = get(document, "higher_is_better") else {
        return out;
    };
    for (task, metrics) in entries(&run.metrics) {
        for (name, _) in entries(metrics) {
            let metric = name.split(',').next().unwrap_or(name);
            match get(better, task).and_then(|m| get(m, metric)) {
                Some(Value::Bool(true)) => out.push((format!("{task}.{name}"), Direction::Higher)),
                Some(Value::Bool(false)) => out.push((format!("{task}.{name}"), Direction::Lower)),
                _ => {}
            }
        }
    }
    out
}

/// A setting with the machine's paths left out (`model_args.pretrained=/home/...`).
fn without_machine_paths(value: &Value) -> Value {
    match value {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Str(s) if is_machine_path(s)))
                .map(|(k, v)| (k.clone(), without_machine_paths(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::json;
    use crate::inputs::runs::fixtures;

    #[test]
    fn tasks_metrics_and_filters_with_their_errors_and_directions() {
        let expected = fixtures::expected("lm-eval");
        for side in ["base", "head"] {
            let key = expected[side]
                .as_object()
                .unwrap()
                .keys()
                .find(|k| k.starts_with("results/"))
                .unwrap()
                .clone();
            let document = json::parse(&fixtures::bytes("lm-eval", side, &key)).unwrap();
            assert!(looks_like(&document));
            let run = read(&document);
            let results = expected[side][&key]["results"].as_object().unwrap();
            for (task, fields) in results {
                for (field, value) in fields.as_object().unwrap() {
                    let Some((metric, filter)) = field.split_once(',') else {
                        continue;
                    };
                    let name = if filter == "none" {
                        metric.to_owned()
                    } else {
                        format!("{metric},{filter}")
                    };
                    if let Some(of) = metric.strip_suffix("_stderr") {
                        let of = if filter == "none" {
                            of.to_owned()
                        } else {
                            format!("{of},{filter}")
                        };
                        let ours = run
                            .errors
                            .iter()
                            .find(|(k, _)| *k == format!("{task}.{of}"));
                        match (ours, value.as_f64()) {
                            (Some(ours), Some(theirs)) => {
                                assert!(fixtures::close(ours.1, theirs), "{side} {task} {of}")
                            }
                            (ours, theirs) => assert_eq!(ours.map(|e| e.1), theirs),
                        }
                        continue;
                    }
                    let ours = get(get(&run.metrics, task).unwrap(), &name).and_then(number);
                    match (ours, value.as_f64()) {
                        (Some(ours), Some(theirs)) => {
                            assert!(fixtures::close(ours, theirs), "{side} {task} {name}")
                        }
                        (ours, theirs) => assert_eq!(ours, theirs, "{side} {task} {name}"),
                    }
                }
            }
            let directions = directions(&document, &run);
            assert!(
                directions.contains(&("mlci_count.exact_match,flexible".into(), Direction::Higher))
            );
            assert!(get(get(&run.params, "model_args").unwrap(), "pretrained").is_none());
            assert_eq!(
                get(&run.params, "batch_size"),
                Some(&Value::Str("8".into()))
            );
        }
        assert!(!looks_like(&json::parse(br#"{"results": 3}"#).unwrap()));
    }
}
