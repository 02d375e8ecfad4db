//! What a `dvc.yaml` declares: metrics files, params files (whole or some keys), and (for the
//! charts) plot definitions. Paths come back repository-relative.
//!
//! Semantics from `dvc/schema.py`, `dvc/repo/metrics/show.py::_collect_metrics` and
//! `dvc/repo/params/show.py::_collect_params` (`shared/reference/dvc.md` §1.1, §2, §3.3):
//! top-level `metrics:`/`params:` paths are relative to the `dvc.yaml`'s directory; stage
//! outputs and stage params are relative to the stage's `wdir`; a bare key in a stage's
//! `params:` refers to `params.yaml` in that `wdir`.

use super::paths;
use super::value::Value;

/// A params file and which of its keys are tracked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamsDeclaration {
    /// Repository-relative path.
    pub path: String,
    /// Which keys are tracked.
    pub tracked: Tracked,
}

/// Which part of a params file is tracked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    /// The whole file.
    Whole,
    /// These dotted key paths (a segment may be a glob).
    Keys(Vec<String>),
}

impl Tracked {
    /// Adds a declaration of the same file: whole wins over keys, keys accumulate.
    pub fn merge(&mut self, key: Option<&str>) {
        match (self, key) {
            (Tracked::Whole, _) => {}
            (this, None) => *this = Tracked::Whole,
            (Tracked::Keys(keys), Some(key)) => {
                if !keys.iter().any(|k| k == key) {
                    keys.push(key.to_owned());
                }
            }
        }
    }
}

/// The declarations of one `dvc.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Declarations {
    /// Metrics files, in declaration order.
    pub metrics: Vec<String>,
    /// Params files, in declaration order.
    pub params: Vec<ParamsDeclaration>,
    /// Plot definitions as written (interpreted by the plots reader).
    pub plots: Vec<PlotDeclaration>,
}

/// One entry of a `plots:` list, with its paths made repository-relative.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotDeclaration {
    /// The id as written (a path, or a free name when `y` maps files to fields).
    pub id: String,
    /// The id made repository-relative when it is a path (for a free name, the name).
    pub path: Option<String>,
    /// The properties (`x`, `y`, `template`, ...), with `y`/`x` file keys made relative.
    pub properties: Value,
}

/// Reads the declarations out of a parsed `dvc.yaml` at `dvc_yaml_path`.
pub fn declarations(dvc_yaml_path: &str, document: &Value) -> Declarations {
    let dir = paths::parent(dvc_yaml_path);
    let mut out = Declarations::default();

    if let Some(Value::List(items)) = document.get("metrics") {
        for item in items {
            if let Some(path) = item.as_str() {
                push_path(&mut out.metrics, dir, path);
            }
        }
    }
    if let Some(Value::List(items)) = document.get("params") {
        for item in items {
            if let Some(path) = item.as_str().filter(|p| !is_templated(p)) {
                push_params(&mut out.params, &paths::join(dir, path), None);
            }
        }
    }
    if let Some(Value::Map(stages)) = document.get("stages") {
        for (_, stage) in stages {
            stage_declarations(dir, stage, &mut out);
        }
    }
    if let Some(Value::List(items)) = document.get("plots") {
        for item in items {
            plot_declaration(dir, item, &mut out.plots);
        }
    }
    out
}

fn stage_declarations(dir: &str, stage: &Value, out: &mut Declarations) {
    // Templated stages (`foreach`, `matrix`) need DVC's interpolation engine; their paths are
    // `${...}` expressions that we skip rather than guess.
    if stage.get("foreach").is_some() || stage.get("matrix").is_some() {
        return;
    }
    let wdir = match stage.get("wdir").and_then(Value::as_str) {
        Some(wdir) if !is_templated(wdir) => paths::join(dir, wdir),
        Some(_) => return,
        None => dir.to_owned(),
    };
    if let Some(Value::List(items)) = stage.get("metrics") {
        for item in items {
            match item {
                Value::Str(path) => push_path(&mut out.metrics, &wdir, path),
                Value::Map(entries) => {
                    for (path, _) in entries {
                        push_path(&mut out.metrics, &wdir, path);
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(Value::List(items)) = stage.get("params") {
        let default_file = paths::join(&wdir, "params.yaml");
        for item in items {
            match item {
                Value::Str(key) if !is_templated(key) => {
                    push_params(&mut out.params, &default_file, Some(key));
                }
                Value::Map(entries) => {
                    for (file, keys) in entries {
                        if is_templated(file) {
                            continue;
                        }
                        let path = paths::join(&wdir, file);
                        match keys {
                            Value::List(keys) if !keys.is_empty() => {
                                for key in keys.iter().filter_map(Value::as_str) {
                                    push_params(&mut out.params, &path, Some(key));
                                }
                            }
                            _ => push_params(&mut out.params, &path, None),
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(Value::List(items)) = stage.get("plots") {
        for item in items {
            // Stage-level plots are always paths, relative to the stage's wdir.
            plot_declaration(&wdir, item, &mut out.plots);
        }
    }
}

fn plot_declaration(dir: &str, item: &Value, plots: &mut Vec<PlotDeclaration>) {
    let (id, properties) = match item {
        Value::Str(id) => (id.clone(), Value::Map(Vec::new())),
        Value::Map(entries) if entries.len() == 1 => {
            let (id, properties) = &entries[0];
            let properties = match properties {
                Value::Map(_) => properties.clone(),
                _ => Value::Map(Vec::new()),
            };
            (id.clone(), properties)
        }
        _ => return,
    };
    if is_templated(&id) {
        return;
    }
    // An id is a free name when `y` maps files to fields; otherwise it is a path.
    let is_named = matches!(properties.get("y"), Some(Value::Map(_)));
    let properties = if is_named {
        relative_file_keys(dir, properties)
    } else {
        properties
    };
    plots.push(PlotDeclaration {
        path: (!is_named).then(|| paths::join(dir, &id)),
        id,
        properties,
    });
}

/// Makes the file keys of `x: {file: field}` and `y: {file: field}` repository-relative.
fn relative_file_keys(dir: &str, properties: Value) -> Value {
    let Value::Map(entries) = properties else {
        return properties;
    };
    Value::Map(
        entries
            .into_iter()
            .map(|(key, value)| match (key.as_str(), value) {
                ("x" | "y", Value::Map(files)) => (
                    key,
                    Value::Map(
                        files
                            .into_iter()
                            .map(|(file, field)| (paths::join(dir, &file), field))
                            .collect(),
                    ),
                ),
                (_, value) => (key, value),
            })
            .collect(),
    )
}

fn push_path(list: &mut Vec<String>, dir: &str, path: &str) {
    if is_templated(path) {
        return;
    }
    let path = paths::join(dir, path);
    if !list.contains(&path) {
        list.push(path);
    }
}

/// Adds a params declaration; `key: None` tracks the whole file.
pub fn push_params(list: &mut Vec<ParamsDeclaration>, path: &str, key: Option<&str>) {
    match list.iter_mut().find(|d| d.path == path) {
        Some(declaration) => declaration.tracked.merge(key),
        None => list.push(ParamsDeclaration {
            path: path.to_owned(),
            tracked: match key {
                Some(key) => Tracked::Keys(vec![key.to_owned()]),
                None => Tracked::Whole,
            },
        }),
    }
}

fn is_templated(text: &str) -> bool {
    text.contains("${")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::yaml;

    fn declarations_of(path: &str, text: &str) -> Declarations {
        declarations(path, &yaml::parse(text.as_bytes()).unwrap())
    }

    #[test]
    fn top_level_and_stage_declarations_are_made_relative() {
        let declared = declarations_of(
            "sub/dvc.yaml",
            "
metrics: [../my_metrics.yaml, eval/m.json]
params: [config.yaml]
stages:
  train:
    cmd: python train.py
    wdir: ..
    params: [train.lr, {custom.yaml: [a.b]}, {whole.yaml: null}]
    metrics:
      - scores.json:
          cache: false
      - eval/m.json
",
        );
        assert_eq!(
            declared.metrics,
            vec![
                "my_metrics.yaml",
                "sub/eval/m.json",
                "scores.json",
                "eval/m.json"
            ]
        );
        let keys = |keys: &[&str]| Tracked::Keys(keys.iter().map(|k| k.to_string()).collect());
        let params: Vec<(&str, Tracked)> = declared
            .params
            .iter()
            .map(|d| (d.path.as_str(), d.tracked.clone()))
            .collect();
        assert_eq!(
            params,
            vec![
                ("sub/config.yaml", Tracked::Whole),
                ("params.yaml", keys(&["train.lr"])),
                ("custom.yaml", keys(&["a.b"])),
                ("whole.yaml", Tracked::Whole),
            ]
        );
    }

    #[test]
    fn plots_in_both_forms() {
        let declared = declarations_of(
            "dvc.yaml",
            "
plots:
  - eval/plots/images/importance.png
  - ROC:
      template: simple
      x: fpr
      y:
        eval/roc/train.json: tpr
  - dvclive/plots/metrics:
      x: step
",
        );
        assert_eq!(declared.plots.len(), 3);
        assert_eq!(
            declared.plots[0].path.as_deref(),
            Some("eval/plots/images/importance.png")
        );
        assert_eq!(declared.plots[1].path, None);
        assert_eq!(declared.plots[1].id, "ROC");
        assert_eq!(
            declared.plots[2].path.as_deref(),
            Some("dvclive/plots/metrics")
        );
    }

    #[test]
    fn templated_stages_are_skipped() {
        let declared = declarations_of(
            "dvc.yaml",
            "stages:\n  t:\n    foreach: [a, b]\n    do:\n      metrics: ['${item}.json']\n",
        );
        assert!(declared.metrics.is_empty());
    }
}
