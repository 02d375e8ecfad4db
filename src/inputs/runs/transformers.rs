//! Hugging Face Transformers' `Trainer` (`output_dir`): `trainer_state.json` (its
//! `log_history` of train and eval rows; at the top of `output_dir` after `save_state()`,
//! otherwise only in each `checkpoint-N/`), and the results files `save_metrics` writes
//! (`all_results.json`, or `train_results.json` and `eval_results.json`).
//!
//! The metrics are the results files' (the final `evaluate()` is only there), else the
//! last eval row and the training summary of `log_history`. The curves are the train rows'
//! `loss`, `learning_rate` and `grad_norm` and the eval rows' `eval_*` against `step`
//! (timings left out). The params are the state's settings of the run.

use super::{Curve, RunData, entries, get, number, push_point};
use crate::inputs::value::Value;

/// The results files `Trainer.save_metrics` writes, in the order they are merged (each
/// later one wins): `all_results.json` holds the others' keys.
pub const RESULTS: [&str; 3] = [
    "train_results.json",
    "eval_results.json",
    "all_results.json",
];

/// The state's settings that describe the run (the rest is progress or bookkeeping).
const SETTINGS: [&str; 6] = [
    "train_batch_size",
    "num_train_epochs",
    "max_steps",
    "logging_steps",
    "eval_steps",
    "save_steps",
];

/// A run from its `trainer_state.json` (parsed) and its results files (parsed, in
/// [`RESULTS`] order).
pub fn read(state: Option<&Value>, results: &[Value]) -> RunData {
    let history: &[Value] = match state.and_then(|s| get(s, "log_history")) {
        Some(Value::List(rows)) => rows,
        _ => &[],
    };
    let mut metrics: Vec<(String, Value)> = Vec::new();
    let mut set = |key: &str, value: &Value| match metrics.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.clone(),
        None => metrics.push((key.to_owned(), value.clone())),
    };
    if results.is_empty() {
        // The last eval row and the training summary (the row with `train_runtime`).
        let last = |wanted: &dyn Fn(&Value) -> bool| history.iter().rev().find(|r| wanted(r));
        let eval = last(&|row| entries(row).iter().any(|(k, _)| k.starts_with("eval_")));
        let summary = last(&|row| get(row, "train_runtime").is_some());
        for row in [summary, eval].into_iter().flatten() {
            for (key, value) in entries(row) {
                if key != "step" {
                    set(key, value);
                }
            }
        }
    } else {
        for file in results {
            for (key, value) in entries(file) {
                set(key, value);
            }
        }
    }
    let mut curves: Vec<Curve> = Vec::new();
    for row in history {
        let Some(step) = get(row, "step").and_then(number) else {
            continue;
        };
        for (key, value) in entries(row) {
            let shown = matches!(key.as_str(), "loss" | "learning_rate" | "grad_norm")
                || (key.starts_with("eval_") && !is_timing(key));
            if let (true, Some(y)) = (shown, number(value)) {
                push_point(&mut curves, key, "step", step, y);
            }
        }
    }
    let params = state
        .map(|state| {
            SETTINGS
                .iter()
                .filter_map(|key| Some(((*key).to_owned(), get(state, key)?.clone())))
                .collect()
        })
        .unwrap_or_default();
    RunData {
        metrics: Value::Map(metrics),
        params: Value::Map(params),
        curves,
        ..RunData::default()
    }
}

/// `*_runtime`, `*_per_second`: how long, not how well.
pub fn is_timing(key: &str) -> bool {
    key.ends_with("_runtime") || key.ends_with("_per_second")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::json;
    use crate::inputs::runs::fixtures;

    fn parsed(stack: &str, side: &str, rel: &str) -> Value {
        json::parse(&fixtures::bytes(stack, side, rel)).unwrap()
    }

    fn metric(run: &RunData, key: &str) -> f64 {
        number(get(&run.metrics, key).unwrap_or_else(|| panic!("no {key}"))).unwrap()
    }

    #[test]
    fn the_results_files_give_the_metrics_and_the_state_the_curves() {
        let expected = fixtures::expected("transformers");
        for side in ["base", "head"] {
            let state = parsed("transformers", side, "out/trainer_state.json");
            let results: Vec<Value> = RESULTS
                .iter()
                .map(|file| parsed("transformers", side, &format!("out/{file}")))
                .collect();
            let run = read(Some(&state), &results);
            // What `trainer.evaluate()` and `train()` returned.
            for section in ["evaluate_metrics", "train_output_metrics"] {
                for (key, value) in expected[side][section].as_object().unwrap() {
                    if is_timing(key) || key == "total_flos" {
                        continue;
                    }
                    let theirs = value.as_f64().unwrap();
                    assert!(fixtures::close(metric(&run, key), theirs), "{side} {key}");
                }
            }
            // Every logged loss, learning rate and eval metric, at its step, as
            // `TrainerState.load_from_json` reads the file.
            let history = expected[side]["out/trainer_state.json"]["log_history"]
                .as_array()
                .unwrap();
            for curve in &run.curves {
                let theirs: Vec<(f64, f64)> = history
                    .iter()
                    .filter_map(|row| Some((row["step"].as_f64()?, row[&curve.name].as_f64()?)))
                    .collect();
                assert_eq!(curve.points.len(), theirs.len(), "{side} {}", curve.name);
                for (ours, theirs) in curve.points.iter().zip(&theirs) {
                    assert!(fixtures::close(ours.0, theirs.0) && fixtures::close(ours.1, theirs.1));
                }
            }
            let names: Vec<&str> = run.curves.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(
                names,
                [
                    "grad_norm",
                    "learning_rate",
                    "loss",
                    "eval_accuracy",
                    "eval_f1",
                    "eval_loss"
                ]
            );
            assert_eq!(get(&run.params, "train_batch_size"), Some(&Value::Int(8)));
        }
    }

    #[test]
    fn a_checkpoint_alone_gives_the_last_eval_and_no_summary() {
        let expected = fixtures::expected("transformers-checkpoints-only");
        let state = parsed(
            "transformers-checkpoints-only",
            "head",
            "out/checkpoint-36/trainer_state.json",
        );
        let run = read(Some(&state), &[]);
        let rows = expected["head"]["out/checkpoint-36/trainer_state.json"]["log_history"]
            .as_array()
            .unwrap();
        let last_eval = rows
            .iter()
            .rev()
            .find(|row| row.get("eval_loss").is_some())
            .unwrap();
        assert!(fixtures::close(
            metric(&run, "eval_loss"),
            last_eval["eval_loss"].as_f64().unwrap()
        ));
        assert!(get(&run.metrics, "step").is_none());
    }
}
