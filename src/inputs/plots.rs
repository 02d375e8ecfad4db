//! Plots of one revision: which plots are defined (`dvc.yaml` `plots:` in both forms,
//! dvclive's layout, `.mlci.toml`, `--targets`) and their data.
//!
//! DVC's semantics (`shared/reference/dvc.md` §3, §4, §8.10): a path entry is a file, or a
//! directory whose files are each a plot with the entry's properties; a named entry maps
//! files to `y` fields (and optionally `x` fields); without `x` the x axis is the row index;
//! without `y` the last field of the first record.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::dvcyaml::PlotDeclaration;
use super::records;
use super::value::Value;
use super::{FileSource, SourceError, expand, glob, parse_read_bytes};
use crate::model::{Plot, PlotContent, PlotSource, Problem, Table, Template};

/// Suffixes read as images (`dvc_render/image.py::ImageRenderer.EXTENSIONS`).
const IMAGE_SUFFIXES: [&str; 5] = [".png", ".jpg", ".jpeg", ".gif", ".svg"];

/// dvclive's plot folders (`Live(dir="dvclive")`).
const DVCLIVE_PLOTS: &str = "dvclive/plots";

/// Whether a path names an image.
pub fn is_image(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    IMAGE_SUFFIXES.iter().any(|suffix| lower.ends_with(suffix))
}

/// A plot definition before its files are read.
#[derive(Debug, Clone, PartialEq)]
struct Definition {
    id: String,
    template: Template,
    title: Option<String>,
    x_label: Option<String>,
    y_label: Option<String>,
    kind: DefinitionKind,
}

#[derive(Debug, Clone, PartialEq)]
enum DefinitionKind {
    Image(String),
    /// `(file, x field, y field)`; an empty y is inferred from the data.
    Data(Vec<(String, Option<String>, String)>),
}

/// Resolves declarations into definitions: directories expand to one plot per file, images
/// become image plots, named plots list their sources.
fn definitions(
    source: &dyn FileSource,
    declarations: &[PlotDeclaration],
) -> Result<Vec<Definition>, SourceError> {
    let mut out = Vec::new();
    for declaration in declarations {
        let properties = &declaration.properties;
        let text = |key: &str| {
            properties
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let template = text("template")
            .and_then(|name| Template::from_name(&name))
            .unwrap_or(Template::Linear);
        let base = |id: String, kind: DefinitionKind| Definition {
            id,
            template,
            title: text("title"),
            x_label: text("x_label"),
            y_label: text("y_label"),
            kind,
        };
        match &declaration.path {
            None => {
                // A named plot: `y: {file: field | [fields]}`, `x: field | {file: field}`.
                let mut sources = Vec::new();
                if let Some(Value::Map(files)) = properties.get("y") {
                    for (file, fields) in files {
                        let x = match properties.get("x") {
                            Some(Value::Str(field)) => Some(field.clone()),
                            Some(Value::Map(xs)) => xs
                                .iter()
                                .find(|(f, _)| f == file)
                                .and_then(|(_, v)| v.as_str().map(str::to_owned)),
                            _ => None,
                        };
                        for field in fields_of(fields) {
                            sources.push((file.clone(), x.clone(), field));
                        }
                    }
                }
                out.push(base(declaration.id.clone(), DefinitionKind::Data(sources)));
            }
            Some(path) => {
                let files = if glob::is_pattern(path) || source.is_dir(path) {
                    expand(source, path)?
                } else {
                    vec![path.clone()]
                };
                let x = text("x");
                let ys = properties.get("y").map(fields_of).unwrap_or_default();
                for file in files {
                    let kind = if is_image(&file) {
                        DefinitionKind::Image(file.clone())
                    } else if ys.is_empty() {
                        DefinitionKind::Data(vec![(file.clone(), x.clone(), String::new())])
                    } else {
                        DefinitionKind::Data(
                            ys.iter()
                                .map(|y| (file.clone(), x.clone(), y.clone()))
                                .collect(),
                        )
                    };
                    out.push(base(file, kind));
                }
            }
        }
    }
    Ok(out)
}

fn fields_of(value: &Value) -> Vec<String> {
    match value {
        Value::Str(field) => vec![field.clone()],
        Value::List(fields) => fields
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// dvclive's layout, for a repository without `dvc.yaml`: every metric TSV against `step`,
/// every image, and sklearn files with the properties dvclive would have written for them
/// (recognised by their fields).
pub fn dvclive_declarations(source: &dyn FileSource) -> Result<Vec<PlotDeclaration>, SourceError> {
    let files = source.files_under(DVCLIVE_PLOTS)?;
    Ok(files
        .into_iter()
        .map(|file| PlotDeclaration {
            id: file.clone(),
            path: Some(file.clone()),
            properties: if file.starts_with("dvclive/plots/metrics/") {
                Value::Map(vec![("x".into(), Value::Str("step".into()))])
            } else {
                Value::Map(Vec::new())
            },
        })
        .collect())
}

/// Properties for a data file with no declared ones, from its fields: ROC, precision-recall,
/// DET, calibration and confusion files as dvclive writes them.
fn inferred(
    fields: &[&str],
) -> Option<(
    Template,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
)> {
    let has = |name: &str| fields.contains(&name);
    if has("fpr") && has("tpr") {
        Some((
            Template::Simple,
            "fpr",
            "tpr",
            "ROC curve",
            "False positive rate",
            "True positive rate",
        ))
    } else if has("precision") && has("recall") {
        Some((
            Template::Simple,
            "recall",
            "precision",
            "Precision-recall curve",
            "Recall",
            "Precision",
        ))
    } else if has("fpr") && has("fnr") {
        Some((
            Template::Simple,
            "fpr",
            "fnr",
            "DET curve",
            "False positive rate",
            "False negative rate",
        ))
    } else if has("prob_pred") && has("prob_true") {
        Some((
            Template::Simple,
            "prob_pred",
            "prob_true",
            "Calibration",
            "Mean predicted probability",
            "Fraction of positives",
        ))
    } else if has("actual") && has("predicted") {
        Some((
            Template::Confusion,
            "actual",
            "predicted",
            "Confusion matrix",
            "True label",
            "Predicted label",
        ))
    } else {
        None
    }
}

/// Files to parse on separate threads when there is this much data.
const PARALLEL_BYTES: usize = 1 << 20;

/// Parses data files, several at a time when they are large.
fn parse_tables(
    files: Vec<(String, Result<Vec<u8>, Problem>)>,
) -> Vec<(String, Result<Arc<Table>, Problem>)> {
    let parse = |(file, bytes): (String, Result<Vec<u8>, Problem>)| {
        let table = bytes.and_then(|bytes| {
            records::read(&file, &bytes)
                .map(Arc::new)
                .map_err(Problem::from)
        });
        (file, table)
    };
    let total: usize = files
        .iter()
        .map(|(_, b)| b.as_ref().map_or(0, Vec::len))
        .sum();
    if total < PARALLEL_BYTES || files.len() < 2 {
        return files.into_iter().map(parse).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .into_iter()
            .map(|file| scope.spawn(move || parse(file)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("parsing does not panic"))
            .collect()
    })
}

/// Reads the plots of one revision.
pub fn collect(
    source: &dyn FileSource,
    declarations: &[PlotDeclaration],
    infer_unknown: bool,
    max_file_size: u64,
) -> Result<BTreeMap<String, Plot>, SourceError> {
    let definitions = definitions(source, declarations)?;
    let mut files: Vec<String> = Vec::new();
    for definition in &definitions {
        match &definition.kind {
            DefinitionKind::Image(file) => files.push(file.clone()),
            DefinitionKind::Data(sources) => {
                files.extend(sources.iter().map(|(f, _, _)| f.clone()))
            }
        }
    }
    files.sort();
    files.dedup();
    let started = std::time::Instant::now();
    let contents = source.read_many(&files, max_file_size);
    log::debug!(
        "read {} plot files from {} in {:?}",
        files.len(),
        source.describe(),
        started.elapsed()
    );
    let mut tables: BTreeMap<String, Result<Arc<Table>, Problem>> = BTreeMap::new();
    let mut images: BTreeMap<String, Result<Arc<Vec<u8>>, Problem>> = BTreeMap::new();
    let mut data: Vec<(String, Result<Vec<u8>, Problem>)> = Vec::new();
    for (file, read) in files.into_iter().zip(contents) {
        if is_image(&file) {
            images.insert(file, parse_read_bytes(read).map(Arc::new));
        } else {
            data.push((file, parse_read_bytes(read)));
        }
    }
    for (file, table) in parse_tables(data) {
        tables.insert(file, table);
    }

    log::debug!(
        "parsed plot files of {} in {:?}",
        source.describe(),
        started.elapsed()
    );
    let mut plots = BTreeMap::new();
    for (position, definition) in definitions.into_iter().enumerate() {
        let Definition {
            id,
            mut template,
            mut title,
            mut x_label,
            mut y_label,
            kind,
        } = definition;
        let content = match kind {
            DefinitionKind::Image(file) => PlotContent::Image {
                bytes: images[&file].clone(),
                file,
            },
            DefinitionKind::Data(sources) => PlotContent::Data(
                sources
                    .into_iter()
                    .map(|(file, mut x, mut y)| {
                        let table = tables[&file].clone();
                        if let Ok(table) = &table {
                            let fields = table.fields();
                            if y.is_empty() {
                                if infer_unknown
                                    && x.is_none()
                                    && let Some((t, ix, iy, tt, xl, yl)) = inferred(&fields)
                                {
                                    template = t;
                                    x = Some(ix.to_owned());
                                    y = iy.to_owned();
                                    title.get_or_insert_with(|| tt.to_owned());
                                    x_label.get_or_insert_with(|| xl.to_owned());
                                    y_label.get_or_insert_with(|| yl.to_owned());
                                } else {
                                    // DVC: the last field of the first record.
                                    y = fields.last().map(|f| (*f).to_owned()).unwrap_or_default();
                                }
                            }
                        }
                        PlotSource { file, x, y, table }
                    })
                    .collect(),
            ),
        };
        plots.insert(
            id.clone(),
            Plot {
                id,
                position,
                template,
                title,
                x_label,
                y_label,
                content,
            },
        );
    }
    Ok(plots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::dvcyaml;
    use crate::inputs::memory::Memory;
    use crate::inputs::yaml;

    fn declarations(text: &str) -> Vec<PlotDeclaration> {
        dvcyaml::declarations("dvc.yaml", &yaml::parse(text.as_bytes()).unwrap()).plots
    }

    #[test]
    fn named_plots_directories_and_images() {
        let source = Memory::new(&[
            (
                "eval/roc/train.json",
                r#"{"roc": [{"fpr": 0, "tpr": 0}, {"fpr": 1, "tpr": 1}]}"#,
            ),
            (
                "eval/roc/test.json",
                r#"{"roc": [{"fpr": 0, "tpr": 0}, {"fpr": 1, "tpr": 1}]}"#,
            ),
            (
                "dvclive/plots/metrics/train/loss.tsv",
                "step\tloss\n0\t1.0\n1\t0.5\n",
            ),
            ("dvclive/plots/metrics/acc.tsv", "step\tacc\n0\t0.5\n"),
            ("eval/importance.png", "\u{89}PNG"),
        ]);
        let plots = collect(
            &source,
            &declarations(
                "plots:\n- ROC:\n    template: simple\n    x: fpr\n    y:\n      eval/roc/train.json: tpr\n      eval/roc/test.json: tpr\n- dvclive/plots/metrics:\n    x: step\n- eval/importance.png\n",
            ),
            false,
            crate::inputs::DEFAULT_MAX_FILE_SIZE,
        )
        .unwrap();
        assert_eq!(
            plots.keys().collect::<Vec<_>>(),
            vec![
                "ROC",
                "dvclive/plots/metrics/acc.tsv",
                "dvclive/plots/metrics/train/loss.tsv",
                "eval/importance.png"
            ]
        );
        let PlotContent::Data(sources) = &plots["ROC"].content else {
            panic!("data")
        };
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].x.as_deref(), Some("fpr"));
        assert_eq!(plots["ROC"].template, Template::Simple);
        let PlotContent::Data(loss) = &plots["dvclive/plots/metrics/train/loss.tsv"].content else {
            panic!("data")
        };
        assert_eq!(
            (loss[0].x.as_deref(), loss[0].y.as_str()),
            (Some("step"), "loss")
        );
        assert!(matches!(
            plots["eval/importance.png"].content,
            PlotContent::Image { .. }
        ));
    }

    #[test]
    fn dvclive_layout_infers_sklearn_plots() {
        let source = Memory::new(&[
            (
                "dvclive/plots/sklearn/roc.json",
                r#"{"roc": [{"fpr": 0, "tpr": 0, "threshold": 1}]}"#,
            ),
            (
                "dvclive/plots/sklearn/cm.json",
                r#"[{"actual": "0", "predicted": "1"}]"#,
            ),
        ]);
        let plots = collect(
            &source,
            &dvclive_declarations(&source).unwrap(),
            true,
            crate::inputs::DEFAULT_MAX_FILE_SIZE,
        )
        .unwrap();
        let roc = &plots["dvclive/plots/sklearn/roc.json"];
        assert_eq!(roc.title.as_deref(), Some("ROC curve"));
        let PlotContent::Data(sources) = &roc.content else {
            panic!("data")
        };
        assert_eq!(
            (sources[0].x.as_deref(), sources[0].y.as_str()),
            (Some("fpr"), "tpr")
        );
        assert_eq!(
            plots["dvclive/plots/sklearn/cm.json"].template,
            Template::Confusion
        );
    }

    #[test]
    fn a_missing_file_is_a_problem_of_its_source() {
        let source = Memory::new(&[]);
        let plots = collect(
            &source,
            &declarations("plots:\n- loss.csv\n"),
            false,
            crate::inputs::DEFAULT_MAX_FILE_SIZE,
        )
        .unwrap();
        let PlotContent::Data(sources) = &plots["loss.csv"].content else {
            panic!("data")
        };
        assert_eq!(sources[0].table, Err(Problem::Missing));
    }
}
