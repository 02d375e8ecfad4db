//! The training stacks' own files (`fixtures/stacks`, made by the real libraries; see its
//! README), read by mlci and checked against what each library reads back.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn stacks() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stacks")
}

fn expected(stack: &str) -> Value {
    serde_json::from_slice(&std::fs::read(stacks().join(stack).join("expected.json")).unwrap())
        .unwrap()
}

/// `{dir: {files, scalars, tensors}}` as TensorBoard's `EventAccumulator` read it.
fn check_event_dirs(stack: &str, side: &str, dirs: &Value) {
    for (dir, reading) in dirs.as_object().unwrap() {
        let mut ours = mlci::inputs::tensorboard::Scalars::default();
        for file in reading["files"].as_array().unwrap() {
            let path = stacks()
                .join(stack)
                .join(side)
                .join(dir)
                .join(file.as_str().unwrap());
            let read = mlci::inputs::tensorboard::read_scalars(std::fs::File::open(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!read.truncated, "{}", path.display());
            for (tag, points) in read.tags {
                ours.tags.entry(tag).or_default().extend(points);
            }
        }
        let mut theirs: std::collections::BTreeMap<String, Vec<(i64, f64)>> = Default::default();
        for kind in ["scalars", "tensors"] {
            for (tag, points) in reading[kind].as_object().unwrap() {
                let numeric: Vec<(i64, f64)> = points
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|p| Some((p[0].as_i64()?, p[1].as_f64()?)))
                    .collect();
                if !numeric.is_empty() {
                    theirs.insert(tag.clone(), numeric);
                }
            }
        }
        // serde_json's float parsing may miss the last bit (it is not built with
        // `float_roundtrip`).
        let same = ours.tags.len() == theirs.len()
            && ours.tags.iter().zip(&theirs).all(|((a, x), (b, y))| {
                a == b
                    && x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|(p, q)| p.0 == q.0 && (p.1 - q.1).abs() <= 1e-12 * p.1.abs().max(1.0))
            });
        assert!(same, "{stack}/{side}/{dir}:\n{:?}\n{theirs:?}", ours.tags);
    }
}

#[test]
fn tensorboard_scalars_are_what_tensorboard_reads() {
    for stack in ["tensorboard-tbx", "tensorboard-torch", "tensorboard-tf"] {
        let expected = expected(stack);
        for side in ["base", "head"] {
            check_event_dirs(stack, side, &expected[side]);
        }
    }
    for (stack, key) in [
        ("tensorboard-keras", "event_accumulator"),
        ("lightning-tensorboard", "event_accumulator"),
    ] {
        let expected = expected(stack);
        for side in ["base", "head"] {
            check_event_dirs(stack, side, &expected[side][key]);
        }
    }
}

/// A JSON value of a library's reading against ours.
fn same_value(ours: &mlci::inputs::value::Value, theirs: &Value) -> bool {
    use mlci::inputs::value::Value as V;
    match (ours, theirs) {
        (V::Int(a), Value::Number(n)) => n.as_i64().is_some_and(|b| i128::from(b) == *a),
        // serde_json's float parsing may miss the last bit (it is not built with
        // `float_roundtrip`): one part in 10^15 is that bit.
        (V::Float(a), Value::Number(n)) => n
            .as_f64()
            .is_some_and(|b| (a - b).abs() <= a.abs().max(1.0) * 1e-15),
        (V::Str(a), Value::String(b)) => a == b,
        (V::Bool(a), Value::Bool(b)) => a == b,
        (V::Null, Value::Null) => true,
        (V::List(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
        }
        _ => false,
    }
}

/// A library's nested reading flattened like ours (`model.kind`).
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, value, out);
            }
        }
        value => out.push((prefix.to_owned(), value.clone())),
    }
}

#[test]
fn wandb_offline_runs_are_what_wandb_reads() {
    let expected = expected("wandb");
    let mut runs = 0;
    for side in ["base", "head"] {
        for (file, reading) in expected[side].as_object().unwrap() {
            if !file.ends_with(".wandb") {
                continue;
            }
            runs += 1;
            let path = stacks().join("wandb").join(side).join(file);
            let run = mlci::inputs::wandb::read_run(std::fs::File::open(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(run.id, reading["run"]["run_id"].as_str().unwrap(), "{file}");
            // Config: what the user set, wandb's own `_wandb` left out.
            let mut config = Vec::new();
            flatten("", &reading["config"], &mut config);
            config.retain(|(k, _)| !k.starts_with('_'));
            assert_eq!(run.config.len(), config.len(), "{file}: {:?}", run.config);
            for (key, value) in &config {
                assert!(same_value(&run.config[key], value), "{file} config {key}");
            }
            // Summary: every update applied in order; internal keys left out.
            let summary: Vec<(&String, &Value)> = reading["final_summary"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .collect();
            assert_eq!(
                run.summary.len(),
                summary.len(),
                "{file}: {:?}",
                run.summary
            );
            for (key, value) in summary {
                assert!(same_value(&run.summary[key], value), "{file} summary {key}");
            }
            // History: every row, every value, at its step.
            let history = reading["history"].as_array().unwrap();
            assert_eq!(run.history.len(), history.len(), "{file}");
            for ((step, row), theirs) in run.history.iter().zip(history) {
                assert_eq!(*step, theirs["row"]["_step"].as_i64().unwrap(), "{file}");
                let theirs = theirs["row"].as_object().unwrap();
                assert_eq!(row.len(), theirs.len(), "{file} step {step}");
                for (key, value) in theirs {
                    assert!(same_value(&row[key], value), "{file} step {step} {key}");
                }
            }
        }
    }
    assert_eq!(runs, 3);
}

/// Every stack's fixture, with its name in the report.
const STACKS: [(&str, &str); 16] = [
    ("transformers", "Transformers"),
    ("transformers-checkpoints-only", "Transformers"),
    ("lightning", "Lightning"),
    ("lightning-tensorboard", "TensorBoard"),
    ("keras", "Keras"),
    ("keras-history-csv", "Keras"),
    ("mlflow-file", "MLflow"),
    ("mlflow2-file", "MLflow"),
    ("mlflow-sqlite", "MLflow"),
    ("tensorboard-tbx", "TensorBoard"),
    ("tensorboard-torch", "TensorBoard"),
    ("tensorboard-tf", "TensorBoard"),
    ("tensorboard-keras", "TensorBoard"),
    ("wandb", "W&B"),
    ("ultralytics", "Ultralytics"),
    ("lm-eval", "lm-eval"),
];

/// The report up to its first section: the headline and what was found.
fn head_of(report: &str) -> String {
    report
        .lines()
        .take_while(|line| !line.starts_with("### "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_stack_gets_a_full_report_with_no_configuration() {
    let repo = crate::support::TestRepo::new();
    let mut heads = String::new();
    for (stack, name) in STACKS {
        let out = repo.temp().join(format!("out-{stack}"));
        let base = stacks().join(stack).join("base");
        let head = stacks().join(stack).join("head");
        let run = repo.mlci(&[
            "report",
            "--dry-run",
            "--base-dir",
            base.to_str().unwrap(),
            "--head-dir",
            head.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.code(), 0, "{stack}: {}", run.stderr());
        let report = run.stdout();
        assert!(
            report.contains(&format!("- {} run in ", name.replace('&', "&amp;")))
                || report.contains(&format!("- {name} run in ")),
            "{stack}: {report}"
        );
        assert!(report.contains("### Metrics"), "{stack}: {report}");
        assert!(
            !report.contains("added"),
            "{stack}: base and head runs pair: {report}"
        );
        if stack != "lm-eval" {
            // Curves as charts, train and eval on one where they measure the same.
            assert!(report.contains("### Plots"), "{stack}: {report}");
            let charts = std::fs::read_dir(out.join("plots")).unwrap().count();
            assert!(charts > 0, "{stack}");
        }
        heads.push_str(&format!("=== {stack}\n{}\n", head_of(&report)));
    }
    insta::assert_snapshot!(heads);
}

#[test]
fn a_transformers_repository_with_no_config_compares_its_committed_run() {
    // The base commit has the Trainer's output committed; the pull request's working tree
    // has the new run. No dvc.yaml, no .mlci.toml, no flags.
    let repo = crate::support::TestRepo::new();
    repo.write("train.py", "# Trainer(...).train(); trainer.save_state()\n");
    crate::support::copy_dir(
        &stacks().join("transformers/base/out"),
        &repo.root().join("out"),
    );
    repo.commit("train");
    repo.git(&["checkout", "-q", "-b", "lr-1e-2"]);
    std::fs::remove_dir_all(repo.root().join("out")).unwrap();
    crate::support::copy_dir(
        &stacks().join("transformers/head/out"),
        &repo.root().join("out"),
    );
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let report = run.stdout();
    assert!(
        report.contains("- Transformers run in out: 11 metrics, 6 curves."),
        "{report}"
    );
    assert!(
        report.contains("| eval\\_accuracy | 0.65625 | 0.6875 |"),
        "{report}"
    );
    assert!(
        report.contains("#### loss"),
        "train and eval loss on one chart: {report}"
    );
    assert!(
        !report.contains("eval\\_runtime | 0.0067 | 0.0246 | ▲ +0.0179 | +267.2% | 🔴"),
        "timings carry no direction"
    );
}

#[test]
fn mlci_toml_points_a_reader_at_a_run_and_turns_discovery_off() {
    let repo = crate::support::TestRepo::new();
    let log =
        |side: &str| std::fs::read(stacks().join("keras").join(side).join("training.log")).unwrap();
    // A Keras log under a name of its own is found only when named.
    repo.write("logs/fit-history.txt", log("base"));
    repo.write("metrics.json", r#"{"note": 1}"#);
    repo.write(
        ".mlci.toml",
        "[[runs]]\npath = \"logs/fit-history.txt\"\nformat = \"keras\"\n",
    );
    repo.commit("base");
    repo.write("logs/fit-history.txt", log("head"));
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let report = run.stdout();
    assert!(
        report.contains("- Keras run in logs/fit-history.txt: 4 metrics, 4 curves."),
        "{report}"
    );
    assert!(report.contains("| val\\_accuracy |"), "{report}");
    // A run named is a declaration: nothing else is looked for (the root's metrics.json).
    assert!(!report.contains("#### metrics.json"), "{report}");

    // `discover = false`: a Lightning run where Lightning writes it is not looked for.
    let plain = crate::support::TestRepo::new();
    crate::support::copy_dir(&stacks().join("lightning/head"), &plain.root());
    plain.write(".mlci.toml", "discover = false\n");
    plain.commit("run");
    let run = plain.mlci(&["report", "--dry-run", "--base", "HEAD"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains("No metrics or params found"),
        "{}",
        run.stdout()
    );
    // Discovery back on (the head's settings say what is read at both sides).
    plain.git(&["rm", "-q", ".mlci.toml"]);
    plain.commit("look for runs");
    let run = plain.mlci(&["report", "--dry-run", "--base", "HEAD~1"]);
    assert!(
        run.stdout()
            .contains("- Lightning run in lightning\\_logs (version\\_1)"),
        "{}",
        run.stdout()
    );
}
