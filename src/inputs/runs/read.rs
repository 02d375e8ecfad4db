//! A found run's files read through the side's source and handed to its stack's reader.

use super::discover::Found;
use super::{
    Curve, RunData, Stack, keras, lightning, lmeval, mlflow, push_point, transformers, ultralytics,
};
use crate::inputs::value::Value;
use crate::inputs::{FileSource, ReadError, json, tensorboard, wandb};
use crate::model::Problem;

/// A run, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Its stack.
    pub stack: Stack,
    /// Its place (for MLflow, the experiment's name in its store).
    pub place: String,
    /// Which run it is in its place.
    pub name: String,
    /// The other runs in its place, older.
    pub others: Vec<String>,
    /// The files it was read from.
    pub files: Vec<String>,
    /// What they say.
    pub data: RunData,
}

/// Reads a found run (an MLflow SQLite store: one run per experiment); none when its files
/// turn out not to be one (a `training.log` of another tool, a `results_*.json` that is not
/// lm-eval's). A file that cannot be read or parsed is the run's problem, named by path.
pub fn read(
    found: Found,
    source: &dyn FileSource,
    limit: u64,
) -> Result<Vec<Run>, (String, Problem)> {
    if found.stack == Stack::Mlflow && found.files.len() == 1 && found.files[0].ends_with(".db") {
        let path = &found.files[0];
        let Some(bytes) = source
            .read(path, limit)
            .map_err(|e| (path.clone(), problem(e)))?
        else {
            return Ok(Vec::new());
        };
        let runs = mlflow::read_store(&bytes)
            .map_err(|e| (path.clone(), Problem::Unreadable(e.to_string())))?;
        return Ok(runs
            .into_iter()
            .map(|run| Run {
                stack: Stack::Mlflow,
                place: format!("{path}/{}", run.experiment),
                name: run.name,
                others: run.others,
                files: vec![path.clone()],
                data: run.data,
            })
            .collect());
    }
    Ok(read_one(found, source, limit)?.into_iter().collect())
}

/// Reads a found run of any stack but an SQLite store.
fn read_one(
    found: Found,
    source: &dyn FileSource,
    limit: u64,
) -> Result<Option<Run>, (String, Problem)> {
    let whole = |path: &str| -> Result<Option<Vec<u8>>, (String, Problem)> {
        source
            .read(path, limit)
            .map_err(|error| (path.to_owned(), problem(error)))
    };
    let file = |name: &str| {
        found
            .files
            .iter()
            .find(|f| f.rsplit('/').next() == Some(name))
            .cloned()
    };
    let parsed = |path: &str| -> Result<Option<Value>, (String, Problem)> {
        match whole(path)? {
            Some(bytes) => json::parse(&bytes)
                .map(Some)
                .map_err(|e| (path.to_owned(), e.into())),
            None => Ok(None),
        }
    };
    let at = |path: String| move |e: crate::inputs::ParseError| (path.clone(), Problem::from(e));
    let mut read_files = Vec::new();
    let mut place = found.place.clone();
    let mut name = found.name.clone();
    let mut others = found.others.clone();
    let data = match found.stack {
        Stack::Transformers => {
            let state_path = file("trainer_state.json");
            let state = match &state_path {
                Some(path) => parsed(path)?,
                None => None,
            };
            let mut results = Vec::new();
            for result in transformers::RESULTS {
                if let Some(path) = file(result)
                    && let Some(value) = parsed(&path)?
                {
                    read_files.push(path);
                    results.push(value);
                }
            }
            read_files.extend(state_path);
            transformers::read(state.as_ref(), &results)
        }
        Stack::Lightning | Stack::Ultralytics => {
            let (table, extra) = match found.stack {
                Stack::Lightning => ("metrics.csv", "hparams.yaml"),
                _ => ("results.csv", "args.yaml"),
            };
            let Some(table_path) = file(table) else {
                return Ok(None);
            };
            let Some(bytes) = whole(&table_path)? else {
                return Ok(None);
            };
            let extra_path = file(extra);
            let extra_bytes = match &extra_path {
                Some(path) => whole(path)?,
                None => None,
            };
            let run = match found.stack {
                Stack::Lightning => lightning::read(&bytes, extra_bytes.as_deref()),
                _ => ultralytics::read(&bytes, extra_bytes.as_deref()),
            };
            let run = run.map_err(at(table_path.clone()))?;
            read_files.push(table_path);
            read_files.extend(extra_path.filter(|_| extra_bytes.is_some()));
            run
        }
        Stack::Keras => {
            let path = found.files[0].clone();
            let Some(bytes) = whole(&path)? else {
                return Ok(None);
            };
            if !keras::looks_like(&bytes) {
                return Ok(None);
            }
            let run = keras::read(&bytes).map_err(at(path.clone()))?;
            read_files.push(path);
            run
        }
        Stack::LmEval => {
            let path = found.files[0].clone();
            let Some(document) = parsed(&path)? else {
                return Ok(None);
            };
            if !lmeval::looks_like(&document) {
                return Ok(None);
            }
            let mut run = lmeval::read(&document);
            run.directions = lmeval::directions(&document, &run);
            read_files.push(path);
            run
        }
        Stack::Mlflow => {
            let experiment = format!("{}/meta.yaml", found.place);
            if let Some(bytes) = whole(&experiment)? {
                let meta = mlflow::meta(&bytes).map_err(at(experiment.clone()))?;
                if !meta.name.is_empty() {
                    // Experiment ids are random in a file store: the name is the place.
                    let store = found.place.rsplit_once('/').map_or("", |(s, _)| s);
                    place = if store.is_empty() {
                        meta.name
                    } else {
                        format!("{store}/{}", meta.name)
                    };
                }
            }
            // The newest run of the experiment, by its start.
            let mut runs = Vec::new();
            for run_dir in &found.others {
                let path = format!("{}/{run_dir}/meta.yaml", found.place);
                let Some(bytes) = whole(&path)? else { continue };
                let meta = mlflow::meta(&bytes).map_err(at(path.clone()))?;
                if !meta.deleted {
                    runs.push((meta.start_time, meta.name, run_dir.clone()));
                }
            }
            runs.sort();
            let Some((_, run_name, run_dir)) = runs.pop() else {
                return Ok(None);
            };
            name = run_name;
            others = runs.iter().rev().map(|(_, n, _)| n.clone()).collect();
            let prefix = format!("{}/{run_dir}/", found.place);
            let mut metrics = Vec::new();
            let mut params = Vec::new();
            for path in &found.files {
                let Some(rest) = path.strip_prefix(&prefix) else {
                    continue;
                };
                let (target, key) = match rest.split_once('/') {
                    Some(("metrics", key)) => (&mut metrics, key),
                    Some(("params", key)) => (&mut params, key),
                    _ => continue,
                };
                if let Some(bytes) = whole(path)? {
                    target.push((key.to_owned(), bytes));
                    read_files.push(path.clone());
                }
            }
            mlflow::read(&metrics, &params).map_err(at(format!("{prefix}metrics")))?
        }
        Stack::TensorBoard => {
            let root = found.place.replacen('*', &found.name, 1);
            let mut data = RunData::default();
            let mut last = Vec::new();
            for path in &found.files {
                let Some(reader) = source.open(path).map_err(|e| (path.clone(), problem(e)))?
                else {
                    continue;
                };
                let scalars = tensorboard::read_scalars(reader)
                    .map_err(|e| (path.clone(), Problem::Unreadable(e.to_string())))?;
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                let run = dir
                    .strip_prefix(&root)
                    .unwrap_or(dir)
                    .split('/')
                    .filter(|p| !p.is_empty() && !super::discover::is_stamped(p))
                    .collect::<Vec<_>>()
                    .join("/");
                for (tag, points) in scalars.tags {
                    let series = if run.is_empty() {
                        tag
                    } else {
                        format!("{run}/{tag}")
                    };
                    for (step, value) in points {
                        push_point(&mut data.curves, &series, "step", step as f64, value);
                    }
                }
                read_files.push(path.clone());
            }
            for curve in &data.curves {
                if let Some((_, value)) = curve.points.last() {
                    last.push((curve.name.clone(), Value::Float(*value)));
                }
            }
            data.metrics = Value::Map(last);
            data
        }
        Stack::Wandb => {
            let Some(path) = found.files.iter().find(|f| f.ends_with(".wandb")).cloned() else {
                return Ok(None);
            };
            let Some(reader) = source.open(&path).map_err(|e| (path.clone(), problem(e)))? else {
                return Ok(None);
            };
            let run = wandb::read_run(reader)
                .map_err(|e| (path.clone(), Problem::Unreadable(e.to_string())))?;
            read_files.push(path);
            if !run.name.is_empty() {
                name = run.name.clone();
            }
            let mut curves: Vec<Curve> = Vec::new();
            for (step, row) in &run.history {
                for (key, value) in row {
                    if key.starts_with('_') {
                        continue;
                    }
                    if let Some(y) = super::number(value) {
                        push_point(&mut curves, key, "step", *step as f64, y);
                    }
                }
            }
            RunData {
                metrics: Value::Map(
                    run.summary
                        .into_iter()
                        .filter(|(k, _)| !k.starts_with('_'))
                        .collect(),
                ),
                params: Value::Map(run.config.into_iter().collect()),
                curves,
                ..RunData::default()
            }
        }
    };
    Ok(Some(Run {
        stack: found.stack,
        place,
        name,
        others,
        files: read_files,
        data,
    }))
}

fn problem(error: ReadError) -> Problem {
    Problem::Unreadable(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::runs::{discover, fixtures, get};

    fn runs(stack: &str, side: &str) -> Vec<Run> {
        let root = fixtures::path(stack, side, "");
        let source = crate::inputs::Directory::new(root, format!("{stack} {side}"));
        let files = source.files_under("").unwrap();
        discover::find(&files)
            .into_iter()
            .flat_map(|found| read(found, &source, crate::inputs::DEFAULT_MAX_FILE_SIZE).unwrap())
            .collect()
    }

    fn curves(run: &Run) -> Vec<&str> {
        run.data.curves.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn every_stack_reads_end_to_end_from_its_files() {
        for stack in [
            "transformers",
            "transformers-checkpoints-only",
            "lightning",
            "lightning-tensorboard",
            "keras",
            "keras-history-csv",
            "mlflow-file",
            "mlflow2-file",
            "mlflow-sqlite",
            "tensorboard-tbx",
            "tensorboard-torch",
            "tensorboard-tf",
            "tensorboard-keras",
            "wandb",
            "ultralytics",
            "ultralytics-8.2",
            "lm-eval",
        ] {
            for side in ["base", "head"] {
                let runs = runs(stack, side);
                assert_eq!(runs.len(), 1, "{stack} {side}: {runs:#?}");
                let run = &runs[0];
                assert!(
                    !super::super::entries(&run.data.metrics).is_empty(),
                    "{stack} {side}"
                );
                assert!(!run.files.is_empty(), "{stack} {side}");
                if run.stack != Stack::LmEval {
                    assert!(!run.data.curves.is_empty(), "{stack} {side}");
                }
            }
        }
    }

    #[test]
    fn mlflow_runs_are_placed_by_experiment_name_and_the_newest_is_reported() {
        let head = &runs("mlflow-file", "head")[0];
        assert_eq!(head.place, "mlruns/mlci-demo");
        assert_eq!(head.name, "head-run-b");
        assert_eq!(head.others, ["head-run-a"]);
        assert_eq!(
            runs("mlflow-file", "base")[0].place,
            head.place,
            "base and head pair"
        );
    }

    #[test]
    fn tensorboard_series_are_named_by_split_and_tag() {
        let keras = &runs("tensorboard-keras", "head")[0];
        let names = curves(keras);
        assert!(
            names.contains(&"train/epoch_loss") && names.contains(&"validation/epoch_loss"),
            "{names:?}"
        );
        assert!(
            !names.iter().any(|n| n.ends_with("/keras")),
            "the model graph is no scalar"
        );
        let tbx = &runs("tensorboard-tbx", "head")[0];
        let names = curves(tbx);
        assert!(
            names.contains(&"train/loss") && names.contains(&"loss/train/loss"),
            "{names:?}"
        );
    }

    #[test]
    fn wandb_summary_config_and_history() {
        let run = &runs("wandb", "head")[0];
        assert!(get(&run.data.metrics, "best_val_acc").is_some());
        assert!(get(&run.data.params, "lr").is_some());
        let names = curves(run);
        assert!(
            names.contains(&"train/loss") && names.contains(&"val.acc"),
            "{names:?}"
        );
    }
}
