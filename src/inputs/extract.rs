//! From a parsed file to the [`Document`] DVC compares: which leaves are metrics, which are
//! params, and how nested keys flatten (`dvc/repo/metrics/show.py::_extract_metrics`,
//! `dvc/utils/diff.py::format_dict`, `flatten_dict(reducer="dot")`).

use super::dvcyaml::Tracked;
use super::glob;
use super::json;
use super::value::Value;
use crate::model::{Document, Scalar};

/// A metrics file: numbers, strings and booleans are kept; nulls, lists, and maps left
/// empty are dropped; a falsy document is empty (`_read_metric` returns `val or {}`).
pub fn metrics(value: Value) -> Document {
    match value {
        Value::Map(_) => {
            let mut flat = Vec::new();
            flatten_metrics("", value, &mut flat);
            finish(flat)
        }
        value if !value.is_truthy() => Document::Map(Vec::new()),
        Value::Str(text) => top_level_string(text),
        Value::Bool(b) => Document::Scalar(Scalar::Bool(b)),
        Value::Int(i) => Document::Scalar(Scalar::Int(i)),
        Value::Float(f) => Document::Scalar(Scalar::Float(f)),
        // A top-level list holds no metrics.
        Value::Null | Value::List(_) => Document::Map(Vec::new()),
    }
}

/// The lists of at least two numbers in a metrics file, flattened like metrics: samples of
/// one metric (a value per seed or run). DVC drops lists; mlci compares them by mean and
/// Welch's t-test.
pub fn samples(value: &Value) -> Vec<(String, Vec<f64>)> {
    let mut out = Vec::new();
    collect_samples("", value, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn collect_samples(prefix: &str, value: &Value, out: &mut Vec<(String, Vec<f64>)>) {
    match value {
        Value::Map(entries) => {
            for (key, value) in entries {
                collect_samples(&join_key(prefix, key), value, out);
            }
        }
        Value::List(items) if items.len() >= 2 && !prefix.is_empty() => {
            let numbers: Option<Vec<f64>> = items
                .iter()
                .map(|item| match item {
                    Value::Int(i) => Some(*i as f64),
                    Value::Float(f) => Some(*f),
                    _ => None,
                })
                .collect();
            if let Some(numbers) = numbers {
                out.push((prefix.to_owned(), numbers));
            }
        }
        _ => {}
    }
}

/// A params file (or the tracked keys of one): every leaf is kept, a list becomes the text of
/// its Python repr, null stays null.
pub fn params(value: Value, tracked: &Tracked) -> Document {
    let value = match tracked {
        Tracked::Whole => value,
        Tracked::Keys(keys) => select(&value, keys),
    };
    match value {
        Value::Map(_) => {
            let mut flat = Vec::new();
            flatten_params("", value, &mut flat);
            finish(flat)
        }
        Value::Str(text) => top_level_string(text),
        other => Document::Scalar(scalar(other)),
    }
}

/// DVC's `_parse`: a top-level string is tried as JSON (so a YAML file holding `"0.9"` is the
/// number 0.9), and kept as text when it is not JSON or is not a scalar.
fn top_level_string(text: String) -> Document {
    match json::parse(text.as_bytes()) {
        Ok(value @ (Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_))) => {
            Document::Scalar(scalar(value))
        }
        Ok(Value::Str(inner)) => Document::Scalar(Scalar::Str(inner)),
        _ => Document::Scalar(Scalar::Str(text)),
    }
}

fn scalar(value: Value) -> Scalar {
    match value {
        Value::Null => Scalar::Null,
        Value::Bool(b) => Scalar::Bool(b),
        Value::Int(i) => Scalar::Int(i),
        Value::Float(f) => Scalar::Float(f),
        Value::Str(s) => Scalar::Str(s),
        list_or_map => Scalar::Str(list_or_map.python_str()),
    }
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn flatten_metrics(prefix: &str, value: Value, out: &mut Vec<(String, Scalar)>) {
    match value {
        Value::Map(entries) => {
            for (key, value) in entries {
                flatten_metrics(&join_key(prefix, &key), value, out);
            }
        }
        Value::Bool(b) => out.push((prefix.to_owned(), Scalar::Bool(b))),
        Value::Int(i) => out.push((prefix.to_owned(), Scalar::Int(i))),
        Value::Float(f) => out.push((prefix.to_owned(), Scalar::Float(f))),
        Value::Str(s) => out.push((prefix.to_owned(), Scalar::Str(s))),
        Value::Null | Value::List(_) => {}
    }
}

fn flatten_params(prefix: &str, value: Value, out: &mut Vec<(String, Scalar)>) {
    match value {
        Value::Map(entries) => {
            for (key, value) in entries {
                flatten_params(&join_key(prefix, &key), value, out);
            }
        }
        leaf => out.push((prefix.to_owned(), scalar(leaf))),
    }
}

/// Sorts by key; a key flattened twice (`{"a.b": 1, "a": {"b": 2}}`) keeps its last value.
fn finish(mut flat: Vec<(String, Scalar)>) -> Document {
    flat.reverse();
    flat.sort_by(|a, b| a.0.cmp(&b.0)); // stable: the last occurrence comes first
    flat.dedup_by(|later, earlier| later.0 == earlier.0);
    Document::Map(flat)
}

/// The parts of `value` that the dotted key paths name (`dpath.search` with `.`; a segment
/// may be a glob), merged into one map.
fn select(value: &Value, keys: &[String]) -> Value {
    let mut out = Value::Map(Vec::new());
    for key in keys {
        let segments: Vec<&str> = key.split('.').collect();
        if let Some(found) = select_path(value, &segments) {
            merge(&mut out, found);
        }
    }
    out
}

fn select_path(value: &Value, segments: &[&str]) -> Option<Value> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(value.clone());
    };
    let Value::Map(entries) = value else {
        return None;
    };
    let glob = glob::Glob::key(first);
    let found: Vec<(String, Value)> = entries
        .iter()
        .filter(|(key, _)| glob.matches(key))
        .filter_map(|(key, child)| select_path(child, rest).map(|v| (key.clone(), v)))
        .collect();
    (!found.is_empty()).then_some(Value::Map(found))
}

fn merge(into: &mut Value, from: Value) {
    let (Value::Map(into_entries), Value::Map(from_entries)) = (&mut *into, from) else {
        return;
    };
    for (key, value) in from_entries {
        match into_entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) if matches!(existing, Value::Map(_)) => merge(existing, value),
            Some((_, existing)) => *existing = value,
            None => into_entries.push((key, value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{json, yaml};

    fn metrics_of(text: &str) -> Document {
        metrics(json::parse(text.as_bytes()).unwrap())
    }

    #[test]
    fn metrics_keep_numbers_strings_and_bools_only() {
        let doc = metrics_of(
            r#"{"acc": 0.9, "n": {"f1": 0.7, "empty": {}, "none": null}, "per_class": [0.1], "model": "rf", "ok": true}"#,
        );
        assert_eq!(
            doc,
            Document::Map(vec![
                ("acc".into(), Scalar::Float(0.9)),
                ("model".into(), Scalar::Str("rf".into())),
                ("n.f1".into(), Scalar::Float(0.7)),
                ("ok".into(), Scalar::Bool(true)),
            ])
        );
    }

    #[test]
    fn top_level_scalars_and_falsy_documents() {
        assert_eq!(metrics_of("0.5"), Document::Scalar(Scalar::Float(0.5)));
        assert_eq!(metrics_of("0"), Document::Map(vec![]));
        assert_eq!(metrics_of("[1, 2]"), Document::Map(vec![]));
        assert_eq!(metrics_of("\"0.9\""), Document::Scalar(Scalar::Float(0.9)));
        assert_eq!(
            metrics_of("\"rf\""),
            Document::Scalar(Scalar::Str("rf".into()))
        );
    }

    #[test]
    fn params_keep_every_leaf_and_print_lists_as_python() {
        let value = yaml::parse(
            b"lr: 0.01\nlayers: [64, 32]\nopt: {name: adam, beta: null}\nnames: [a, b]\n",
        )
        .unwrap();
        assert_eq!(
            params(value, &Tracked::Whole),
            Document::Map(vec![
                ("layers".into(), Scalar::Str("[64, 32]".into())),
                ("lr".into(), Scalar::Float(0.01)),
                ("names".into(), Scalar::Str("['a', 'b']".into())),
                ("opt.beta".into(), Scalar::Null),
                ("opt.name".into(), Scalar::Str("adam".into())),
            ])
        );
    }

    #[test]
    fn tracked_keys_select_part_of_a_params_file() {
        let value =
            yaml::parse(b"train: {lr: 0.1, epochs: 3}\nprepare: {split: 0.2, seed: 1}\nother: 5\n")
                .unwrap();
        let tracked = Tracked::Keys(vec!["train.lr".into(), "prepare.*".into(), "nope".into()]);
        assert_eq!(
            params(value, &tracked),
            Document::Map(vec![
                ("prepare.seed".into(), Scalar::Int(1)),
                ("prepare.split".into(), Scalar::Float(0.2)),
                ("train.lr".into(), Scalar::Float(0.1)),
            ])
        );
    }

    #[test]
    fn a_key_flattened_twice_keeps_the_last_value() {
        assert_eq!(
            metrics_of(r#"{"a.b": 1, "a": {"b": 2}}"#),
            Document::Map(vec![("a.b".into(), Scalar::Int(2))])
        );
    }
}
