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
        // The values are float32s; the reading passed through Python floats on its way to
        // JSON (a last-digit difference at 1e-16).
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
