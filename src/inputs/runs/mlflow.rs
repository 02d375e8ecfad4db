//! MLflow's file store: `mlruns/<experiment id>/meta.yaml` (the experiment's `name`) and
//! `mlruns/<experiment id>/<run id>/` with `meta.yaml` (`run_name`, `start_time`, `status`),
//! `metrics/<key>` (one `<timestamp ms> <value> <step>` line per logged value; keys with `/`
//! are folders), `params/<key>` (the value as text) and `tags/`.
//!
//! Since 3.7 MLflow keeps runs in SQLite (`mlflow.db`) by default: the same runs, read
//! from its `experiments`, `runs`, `metrics` and `params` tables with SQLite itself
//! (rusqlite, bundled), from the file's bytes in memory, read-only and defensive.
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

/// A run of an SQLite store.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreRun {
    /// Its experiment's name.
    pub experiment: String,
    /// Its name.
    pub name: String,
    /// The other runs of its experiment, newest first.
    pub others: Vec<String>,
    /// What it logged.
    pub data: RunData,
}

/// An SQLite store that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an MLflow SQLite store, or a damaged one: {0}")]
pub struct StoreError(String);

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError(error.to_string())
    }
}

/// The newest run of every experiment of an SQLite store, from the database file's bytes.
pub fn read_store(bytes: &[u8]) -> Result<Vec<StoreRun>, StoreError> {
    use rusqlite::{Connection, MAIN_DB, config::DbConfig, limits::Limit};
    if bytes.len() > i32::MAX as usize {
        return Err(StoreError("larger than SQLite reads from memory".into()));
    }
    let mut db = Connection::open_in_memory()?;
    // The file is a stranger's: no schema-defined functions or triggers run, nothing is
    // written, and damage is reported, not followed.
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    db.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    db.set_limit(Limit::SQLITE_LIMIT_LENGTH, 1 << 24)?;
    db.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), true)?;
    db.pragma_update(None, "cell_size_check", true)?;
    let check: String = db.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(StoreError(check));
    }
    let experiments: Vec<(i64, String)> = db
        .prepare("SELECT experiment_id, name FROM experiments WHERE lifecycle_stage = 'active' ORDER BY experiment_id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (id, experiment) in experiments {
        let mut runs: Vec<(i64, String, String)> = db
            .prepare("SELECT coalesce(start_time, 0), coalesce(name, ''), run_uuid FROM runs WHERE experiment_id = ?1 AND lifecycle_stage = 'active'")?
            .query_map([id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?;
        runs.sort();
        let Some((_, name, uuid)) = runs.pop() else {
            continue;
        };
        let mut curves: Vec<Curve> = Vec::new();
        let mut latest: Vec<(String, (i64, i64, f64))> = Vec::new();
        let mut query = db.prepare(
            "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ?1 ORDER BY key, timestamp, step",
        )?;
        let rows = query.query_map([&uuid], |row| {
            let is_nan: bool = row.get(4)?;
            let value: f64 = row.get(1)?;
            Ok((
                row.get::<_, String>(0)?,
                if is_nan { f64::NAN } else { value },
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?;
        for row in rows {
            let (key, value, timestamp, step) = row?;
            super::push_point(&mut curves, &key, "step", step as f64, value);
            match latest.iter_mut().find(|(k, _)| *k == key) {
                Some((_, (s, t, v))) => {
                    if (step, timestamp) > (*s, *t) || ((step, timestamp) == (*s, *t) && value > *v)
                    {
                        (*s, *t, *v) = (step, timestamp, value);
                    }
                }
                None => latest.push((key, (step, timestamp, value))),
            }
        }
        let params: Vec<(String, Value)> = db
            .prepare("SELECT key, value FROM params WHERE run_uuid = ?1 ORDER BY key")?
            .query_map([&uuid], |row| {
                Ok((row.get::<_, String>(0)?, Value::Str(row.get(1)?)))
            })?
            .collect::<Result<_, _>>()?;
        out.push(StoreRun {
            experiment,
            name,
            others: runs.iter().rev().map(|(_, n, _)| n.clone()).collect(),
            data: RunData {
                metrics: Value::Map(
                    latest
                        .into_iter()
                        .map(|(k, (_, _, v))| (k, Value::Float(v)))
                        .collect(),
                ),
                params: Value::Map(params),
                curves,
                ..RunData::default()
            },
        });
    }
    Ok(out)
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
    fn an_sqlite_store_reads_as_the_client_reads_it() {
        let expected = fixtures::expected("mlflow-sqlite");
        for side in ["base", "head"] {
            let runs = read_store(&fixtures::bytes("mlflow-sqlite", side, "mlflow.db")).unwrap();
            assert_eq!(runs.len(), 1, "one experiment");
            let run = &runs[0];
            let all = expected[side]["runs"].as_array().unwrap();
            let theirs = all.last().unwrap();
            assert_eq!(run.name, theirs["run_name"].as_str().unwrap());
            assert_eq!(run.experiment, "mlci-demo");
            assert_eq!(run.others.len(), all.len() - 1);
            for (key, value) in theirs["metrics"].as_object().unwrap() {
                assert_eq!(
                    number(get(&run.data.metrics, key).unwrap()),
                    value.as_f64(),
                    "{side} {key}"
                );
                let history = theirs["metric_history"][key].as_array().unwrap();
                let curve = run.data.curves.iter().find(|c| &c.name == key).unwrap();
                let points: Vec<(f64, f64)> = history
                    .iter()
                    .map(|p| (p["step"].as_f64().unwrap(), p["value"].as_f64().unwrap()))
                    .collect();
                assert_eq!(curve.points, points, "{side} {key}");
            }
            for (key, value) in theirs["params"].as_object().unwrap() {
                assert_eq!(
                    get(&run.data.params, key),
                    Some(&Value::Str(value.as_str().unwrap().into()))
                );
            }
        }
        assert!(read_store(b"not a database").is_err());
        let mut damaged = fixtures::bytes("mlflow-sqlite", "head", "mlflow.db");
        let middle = damaged.len() / 2;
        damaged[middle..middle + 4096].fill(0xA5);
        assert!(
            read_store(&damaged).is_err() || read_store(&damaged).is_ok(),
            "never a panic"
        );
    }

    #[test]
    fn the_latest_value_is_the_largest_step_then_the_latest_time() {
        let (curve, latest) = metric("m", b"10 0.5 3\n20 0.7 1\n5 0.9 3\n").unwrap();
        assert_eq!(latest, Some(0.5));
        assert_eq!(curve.points, [(3.0, 0.5), (1.0, 0.7), (3.0, 0.9)]);
        assert!(metric("m", b"10 x 3\n").is_err());
    }
}
