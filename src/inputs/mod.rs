//! Inputs: from the files of one revision to a [`Snapshot`].
//!
//! Entry point: [`collect`], which finds the metrics and params files of a revision (from
//! `--targets`, every `dvc.yaml`, dvclive's defaults and `.mlci.toml`), reads them through a
//! [`FileSource`] and reduces each to the [`Document`](crate::model::Document) DVC would compare. Parsers take bytes
//! ([`parse`]); every read goes through the source, so base and head are read the same way
//! whether they come from git objects, the working tree or a plain directory. The sources
//! are in [`source`] (the trait, and [`Directory`] for files on disk) and
//! [`crate::git::GitTree`] (a commit); nothing else here touches the disk.

pub mod data;
pub mod dvcyaml;
pub mod extract;
pub mod glob;
pub mod json;
pub mod markdown;
pub mod paths;
pub mod plots;
pub mod protobuf;
pub mod records;
pub mod runs;
pub mod sides;
pub mod source;
pub mod tensorboard;
pub mod toml;
pub mod value;
pub mod wandb;
pub mod yaml;

pub use sides::read_sides;

use std::fmt;

use crate::model::{Problem, Snapshot};
use dvcyaml::{ParamsDeclaration, PlotDeclaration, Tracked};
pub use source::{Directory, FileSource, Lister, ReadError, SourceError};
use value::Value;

/// A syntax error, with a 1-based position (0 when the parser could not tell).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What the parser expected or found.
    pub message: String,
}

impl ParseError {
    /// An error at a byte offset of `text`.
    pub fn at_offset(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        ParseError {
            line,
            column,
            message: message.into(),
        }
    }
}

impl From<ParseError> for Problem {
    fn from(error: ParseError) -> Self {
        Problem::Invalid {
            line: error.line,
            column: error.column,
            message: error.message,
        }
    }
}

/// Checks that a file is UTF-8, naming the position of the first bad byte.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default();
        ParseError::at_offset(valid, valid.len(), "the file is not valid UTF-8")
    })
}

/// A file format, chosen by suffix as DVC does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.json`.
    Json,
    /// `.toml`.
    Toml,
    /// `.yaml`, `.yml`, and every other suffix (DVC's fallback).
    Yaml,
}

impl Format {
    /// The format of a path, by its lower-cased suffix.
    pub fn of(path: &str) -> Format {
        let name = path.rsplit('/').next().unwrap_or(path);
        match name
            .rsplit_once('.')
            .map(|(_, suffix)| suffix.to_ascii_lowercase())
        {
            Some(suffix) if suffix == "json" => Format::Json,
            Some(suffix) if suffix == "toml" => Format::Toml,
            _ => Format::Yaml,
        }
    }
}

/// Parses the bytes of a file in the given format.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Value, ParseError> {
    match format {
        Format::Json => json::parse(bytes),
        Format::Toml => toml::parse(bytes),
        Format::Yaml => yaml::parse(bytes),
    }
}

/// The largest file read whole unless `.mlci.toml` says otherwise (`max_file_size`).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

/// A byte count for people: `512 B`, `64 MiB`, `2.0 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// How files are found when no `--targets` are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    /// Exactly what DVC does: `dvc.yaml` declarations and the root `params.yaml`.
    Dvc,
    /// DVC's rules, then dvclive's defaults when there is no `dvc.yaml`, plus `.mlci.toml`.
    Mlci,
}

/// Which files of one kind (metrics or params) to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// None of this kind.
    Nothing,
    /// Exactly these paths, directories or globs (repository-relative).
    Targets(Vec<String>),
    /// Whatever the repository declares, plus these extra paths or globs (`.mlci.toml`).
    Discover(Vec<String>),
}

/// Which plots to read.
#[derive(Debug, Clone, PartialEq)]
pub enum PlotSelection {
    /// No plots.
    Nothing,
    /// Exactly these files, directories or globs, drawn with default properties.
    Targets(Vec<String>),
    /// Whatever the repository declares (or dvclive's layout), plus these declarations
    /// (`.mlci.toml`).
    Discover(Vec<PlotDeclaration>),
}

/// What to read at each revision.
#[derive(Debug, Clone, PartialEq)]
pub struct FilePlan {
    /// How declarations are found.
    pub discovery: Discovery,
    /// Metrics files.
    pub metrics: Selection,
    /// Params files.
    pub params: Selection,
    /// Plots.
    pub plots: PlotSelection,
    /// Data files to profile (`[[data]]` paths).
    pub data: Vec<String>,
    /// Files read whole (metrics, params, plot data, images) larger than this are skipped
    /// with a warning; streamed data files are not limited.
    pub max_file_size: u64,
    /// Training runs to read.
    pub runs: RunPlan,
}

/// Which training runs to read ([`runs`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunPlan {
    /// Look where the stacks write, when nothing else is found.
    pub discover: bool,
    /// Runs `.mlci.toml` points at: a folder (Keras: a file) and its stack.
    pub declared: Vec<(String, runs::Stack)>,
}

/// Streams a data file through the profiler; CSV unless it ends in `.tsv`.
fn profile_data(source: &dyn FileSource, path: &str) -> Result<crate::model::DataProfile, Problem> {
    let reader = match source.open(path) {
        Ok(Some(reader)) => reader,
        Ok(None) => return Err(Problem::Missing),
        Err(error) => return Err(Problem::Unreadable(error.to_string())),
    };
    let delimiter = if path.ends_with(".tsv") { b'\t' } else { b',' };
    data::profile(reader, delimiter).map_err(|error| Problem::Invalid {
        line: usize::try_from(error.line).unwrap_or(0),
        column: 0,
        message: error.message,
    })
}

/// dvclive's default output directory (`Live(dir="dvclive")`, `shared/reference/dvc.md` §4).
const DVCLIVE_METRICS: &str = "dvclive/metrics.json";
const DVCLIVE_PARAMS: &str = "dvclive/params.yaml";
/// DVC's default params file, read whole whenever it exists (`ParamsDependency.DEFAULT_PARAMS_FILE`).
const DEFAULT_PARAMS_FILE: &str = "params.yaml";
/// DVC's pipeline file.
pub const DVC_YAML: &str = "dvc.yaml";

/// Reads everything the plan names at one revision.
pub fn collect(plan: &FilePlan, source: &dyn FileSource) -> Result<Snapshot, SourceError> {
    let mut snapshot = Snapshot::default();
    let needs_declarations = matches!(plan.metrics, Selection::Discover(_))
        || matches!(plan.params, Selection::Discover(_))
        || matches!(plan.plots, PlotSelection::Discover(_));
    let mut declared = dvcyaml::Declarations::default();
    let mut has_pipeline = false;
    if needs_declarations {
        let pipelines = source.files_named(DVC_YAML)?;
        has_pipeline = !pipelines.is_empty();
        snapshot.pipelines = pipelines.clone();
        let contents = source.read_many(&pipelines, plan.max_file_size);
        for (path, bytes) in pipelines.into_iter().zip(contents) {
            match parse_read(&path, bytes) {
                Ok(document) => {
                    let found = dvcyaml::declarations(&path, &document);
                    for metric in found.metrics {
                        if !declared.metrics.contains(&metric) {
                            declared.metrics.push(metric);
                        }
                    }
                    for params in found.params {
                        merge_declaration(&mut declared.params, params);
                    }
                    declared.plots.extend(found.plots);
                }
                Err(problem) => {
                    snapshot.pipeline_problems.insert(path, problem);
                }
            }
        }
    }
    let use_dvclive = plan.discovery == Discovery::Mlci && !has_pipeline;

    let metric_paths = match &plan.metrics {
        Selection::Nothing => Vec::new(),
        Selection::Targets(targets) => expand_all(source, targets)?,
        Selection::Discover(extra) => {
            let mut paths = expand_all(source, &declared.metrics)?;
            if use_dvclive && source.exists(DVCLIVE_METRICS) {
                paths.push(DVCLIVE_METRICS.to_owned());
            }
            paths.extend(expand_all(source, extra)?);
            paths
        }
    };
    let mut metric_paths = metric_paths;
    let mut seen = std::collections::HashSet::new();
    metric_paths.retain(|path| seen.insert(path.clone()));
    let contents = source.read_many(&metric_paths, plan.max_file_size);
    for (path, bytes) in metric_paths.into_iter().zip(contents) {
        let content = parse_read(&path, bytes).map(|value| {
            let samples = extract::samples(&value);
            let has_samples = !samples.is_empty();
            if has_samples {
                snapshot.samples.insert(path.clone(), samples);
            }
            let shape = Shape::of(&value);
            let document = extract::metrics(value);
            if !has_samples && let Some(note) = shape.no_metrics(&document) {
                snapshot.notes.entry(path.clone()).or_default().push(note);
            }
            document
        });
        snapshot.metrics.insert(path, content);
    }

    let params: Vec<ParamsDeclaration> = match &plan.params {
        Selection::Nothing => Vec::new(),
        Selection::Targets(targets) => expand_all(source, targets)?
            .into_iter()
            .map(whole)
            .collect(),
        Selection::Discover(extra) => {
            let mut list = Vec::new();
            for declaration in declared.params {
                for path in expand(source, &declaration.path)? {
                    merge_declaration(
                        &mut list,
                        ParamsDeclaration {
                            path,
                            tracked: declaration.tracked.clone(),
                        },
                    );
                }
            }
            if source.exists(DEFAULT_PARAMS_FILE) {
                merge_declaration(&mut list, whole(DEFAULT_PARAMS_FILE.to_owned()));
            }
            if use_dvclive && source.exists(DVCLIVE_PARAMS) {
                merge_declaration(&mut list, whole(DVCLIVE_PARAMS.to_owned()));
            }
            for path in expand_all(source, extra)? {
                merge_declaration(&mut list, whole(path));
            }
            list
        }
    };
    let params_paths: Vec<String> = params.iter().map(|d| d.path.clone()).collect();
    let contents = source.read_many(&params_paths, plan.max_file_size);
    for (declaration, bytes) in params.into_iter().zip(contents) {
        let content = parse_read(&declaration.path, bytes)
            .map(|value| extract::params(value, &declaration.tracked));
        snapshot.params.insert(declaration.path, content);
    }

    let plot_declarations = match &plan.plots {
        PlotSelection::Nothing => Vec::new(),
        PlotSelection::Targets(targets) => targets
            .iter()
            .map(|target| PlotDeclaration {
                id: target.clone(),
                path: Some(target.clone()),
                properties: Value::Map(Vec::new()),
            })
            .collect(),
        PlotSelection::Discover(extra) => {
            let mut list = declared.plots;
            if use_dvclive {
                list.extend(plots::dvclive_declarations(source)?);
            }
            list.extend(extra.iter().cloned());
            list
        }
    };
    snapshot.plots = plots::collect(
        source,
        &plot_declarations,
        plan.discovery == Discovery::Mlci,
        plan.max_file_size,
    )?;
    for path in &plan.data {
        snapshot
            .data
            .insert(path.clone(), profile_data(source, path));
    }
    runs::collect(&plan.runs, source, plan.max_file_size, &mut snapshot)?;
    Ok(snapshot)
}

/// The top level of a parsed file, for saying why it holds no metrics.
enum Shape {
    List,
    Empty,
    Text,
    Other,
}

impl Shape {
    fn of(value: &Value) -> Shape {
        match value {
            Value::List(_) => Shape::List,
            Value::Null => Shape::Empty,
            Value::Map(entries) if entries.is_empty() => Shape::Empty,
            Value::Str(_) => Shape::Text,
            _ => Shape::Other,
        }
    }

    /// Why a metrics file that parsed gives no metrics (a list, one text value, nothing).
    fn no_metrics(&self, document: &crate::model::Document) -> Option<crate::model::Note> {
        let empty = matches!(document, crate::model::Document::Map(entries) if entries.is_empty());
        // One text value is shown as DVC shows it, but it is worth a word.
        if !empty && !matches!(self, Shape::Text) {
            return None;
        }
        let message = match self {
            Shape::List => {
                "is a list, not a mapping of names to values: no metrics are read from it"
            }
            Shape::Empty => "is empty: no metrics",
            Shape::Text => "holds a single text value, not a mapping of metrics",
            Shape::Other => "holds no numbers, text or booleans: no metrics",
        };
        Some(crate::model::Note {
            line: 0,
            message: message.to_owned(),
        })
    }
}

fn whole(path: String) -> ParamsDeclaration {
    ParamsDeclaration {
        path,
        tracked: Tracked::Whole,
    }
}

/// Merges a declaration into a list keyed by path (`dvc/dependency/__init__.py::_merge_params`).
fn merge_declaration(list: &mut Vec<ParamsDeclaration>, declaration: ParamsDeclaration) {
    match list.iter_mut().find(|d| d.path == declaration.path) {
        Some(existing) => match declaration.tracked {
            Tracked::Whole => existing.tracked = Tracked::Whole,
            Tracked::Keys(keys) => {
                for key in keys {
                    existing.tracked.merge(Some(&key));
                }
            }
        },
        None => list.push(declaration),
    }
}

/// Parses what a read returned.
fn parse_read(path: &str, read: Result<Option<Vec<u8>>, ReadError>) -> Result<Value, Problem> {
    let bytes = parse_read_bytes(read)?;
    parse(Format::of(path), &bytes).map_err(Problem::from)
}

/// What a read returned, with absence and failure as [`Problem`]s.
fn parse_read_bytes(read: Result<Option<Vec<u8>>, ReadError>) -> Result<Vec<u8>, Problem> {
    match read {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(Problem::Missing),
        Err(error) => Err(Problem::Unreadable(error.to_string())),
    }
}

/// Every file the entries name, in order, each once.
fn expand_all(source: &dyn FileSource, entries: &[String]) -> Result<Vec<String>, SourceError> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for entry in entries {
        for path in expand(source, entry)? {
            if seen.insert(path.clone()) {
                out.push(path);
            }
        }
    }
    Ok(out)
}

/// One entry to the files it names: a glob to its matches (sorted), a directory to every
/// file under it (DVC's `try_expand_paths`), anything else to itself, present or not.
pub fn expand(source: &dyn FileSource, entry: &str) -> Result<Vec<String>, SourceError> {
    if glob::is_pattern(entry) {
        let files = source.files_under(glob::literal_prefix(entry))?;
        return Ok(files
            .into_iter()
            .filter(|path| glob::matches(entry, path))
            .collect());
    }
    if source.is_dir(entry) {
        return source.files_under(entry);
    }
    Ok(vec![entry.to_owned()])
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Toml => "TOML",
            Format::Yaml => "YAML",
        })
    }
}

/// A [`FileSource`] over an in-memory map, for tests of everything above `git`.
#[cfg(test)]
pub(crate) mod memory {
    use std::collections::BTreeMap;

    use super::{FileSource, ReadError, SourceError, paths};

    /// Files by repository-relative path.
    pub(crate) struct Memory(pub(crate) BTreeMap<String, Vec<u8>>);

    impl Memory {
        pub(crate) fn new(files: &[(&str, &str)]) -> Self {
            Memory(
                files
                    .iter()
                    .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
                    .collect(),
            )
        }
    }

    impl FileSource for Memory {
        fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ReadError> {
            match self.0.get(path) {
                Some(bytes) if bytes.len() as u64 > limit => Err(ReadError::TooLarge {
                    size: bytes.len() as u64,
                    limit,
                }),
                found => Ok(found.cloned()),
            }
        }
        fn exists(&self, path: &str) -> bool {
            self.0.contains_key(path)
        }
        fn files_under(&self, dir: &str) -> Result<Vec<String>, SourceError> {
            Ok(self
                .0
                .keys()
                .filter(|p| paths::is_under(p, dir))
                .cloned()
                .collect())
        }
        fn files_named(&self, name: &str) -> Result<Vec<String>, SourceError> {
            Ok(self
                .0
                .keys()
                .filter(|p| p.rsplit('/').next() == Some(name))
                .cloned()
                .collect())
        }
        fn is_dir(&self, path: &str) -> bool {
            let prefix = format!("{path}/");
            self.0.keys().any(|p| p.starts_with(&prefix))
        }
        fn describe(&self) -> String {
            "memory".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::memory::Memory;
    use super::*;
    use crate::model::{Document, Scalar};

    fn discover() -> FilePlan {
        FilePlan {
            discovery: Discovery::Mlci,
            metrics: Selection::Discover(vec![]),
            params: Selection::Discover(vec![]),
            plots: PlotSelection::Discover(vec![]),
            data: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            runs: RunPlan::default(),
        }
    }

    #[test]
    fn dvc_yaml_declarations_and_default_params_are_read() {
        let source = Memory::new(&[
            (
                "dvc.yaml",
                "metrics: [eval/metrics.json]\nstages:\n  s:\n    cmd: x\n    params: [custom.yaml: [a]]\n",
            ),
            ("eval/metrics.json", r#"{"acc": 0.9}"#),
            ("params.yaml", "lr: 0.1\n"),
            ("custom.yaml", "a: 1\nb: 2\n"),
            ("dvclive/metrics.json", r#"{"ignored": 1}"#),
        ]);
        let snapshot = collect(&discover(), &source).unwrap();
        assert_eq!(
            snapshot.metrics.keys().collect::<Vec<_>>(),
            vec!["eval/metrics.json"]
        );
        assert_eq!(
            snapshot.params["custom.yaml"],
            Ok(Document::Map(vec![("a".into(), Scalar::Int(1))]))
        );
        assert!(snapshot.params.contains_key("params.yaml"));
    }

    #[test]
    fn dvclive_defaults_apply_without_a_pipeline() {
        let source = Memory::new(&[
            ("dvclive/metrics.json", r#"{"loss": 0.5}"#),
            ("dvclive/params.yaml", "epochs: 3\n"),
        ]);
        let snapshot = collect(&discover(), &source).unwrap();
        assert!(snapshot.metrics.contains_key("dvclive/metrics.json"));
        assert!(snapshot.params.contains_key("dvclive/params.yaml"));

        let dvc_only = FilePlan {
            discovery: Discovery::Dvc,
            ..discover()
        };
        assert!(collect(&dvc_only, &source).unwrap().metrics.is_empty());
    }

    #[test]
    fn targets_expand_globs_and_directories_and_keep_missing_paths() {
        let source = Memory::new(&[
            ("runs/seed-1/metrics.json", "{}"),
            ("runs/seed-2/metrics.json", "{}"),
            ("eval/a.json", "{}"),
            ("eval/sub/b.yaml", "x: 1"),
        ]);
        let plan = FilePlan {
            discovery: Discovery::Dvc,
            metrics: Selection::Targets(vec![
                "runs/*/metrics.json".into(),
                "eval".into(),
                "missing.json".into(),
            ]),
            params: Selection::Nothing,
            plots: PlotSelection::Nothing,
            data: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            runs: RunPlan::default(),
        };
        let snapshot = collect(&plan, &source).unwrap();
        assert_eq!(
            snapshot.metrics.keys().collect::<Vec<_>>(),
            vec![
                "eval/a.json",
                "eval/sub/b.yaml",
                "missing.json",
                "runs/seed-1/metrics.json",
                "runs/seed-2/metrics.json"
            ]
        );
        assert_eq!(snapshot.metrics["missing.json"], Err(Problem::Missing));
    }

    #[test]
    fn a_malformed_file_is_a_problem_with_a_position() {
        let source = Memory::new(&[("m.json", "{\"a\": 1,\n}")]);
        let plan = FilePlan {
            discovery: Discovery::Dvc,
            metrics: Selection::Targets(vec!["m.json".into()]),
            params: Selection::Nothing,
            plots: PlotSelection::Nothing,
            data: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            runs: RunPlan::default(),
        };
        let snapshot = collect(&plan, &source).unwrap();
        assert_eq!(
            snapshot.metrics["m.json"],
            Err(Problem::Invalid {
                line: 2,
                column: 1,
                message: "expected a key in double quotes".into()
            })
        );
    }

    /// Every file under `fixtures/inputs/<format>/`, read as metrics and as params; one
    /// snapshot per file. A new reader case is a new fixture file.
    #[test]
    fn fixtures_read_as_metrics_and_params() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/inputs");
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
            .unwrap()
            .flat_map(|dir| std::fs::read_dir(dir.unwrap().path()).unwrap())
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 14, "fixtures are missing");
        for file in files {
            let name = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(&file).unwrap();
            let mut text = String::new();
            match parse(Format::of(&name), &bytes) {
                Err(error) => text.push_str(&format!("error: {error}\n")),
                Ok(value) => {
                    for (kind, document) in [
                        ("metrics", extract::metrics(value.clone())),
                        ("params", extract::params(value, &Tracked::Whole)),
                    ] {
                        text.push_str(&format!("[{kind}]\n"));
                        match document {
                            Document::Scalar(scalar) => {
                                text.push_str(&format!("\"\" = {scalar:?}\n"))
                            }
                            Document::Map(entries) => {
                                for (key, scalar) in entries {
                                    text.push_str(&format!("{key} = {scalar:?}\n"));
                                }
                            }
                        }
                    }
                }
            }
            insta::assert_snapshot!(name.replace('/', "__"), text, &name);
        }
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes() {
        let fragments: &[&[u8]] = &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b"\\",
            b":",
            b",",
            b"-",
            b"NaN",
            b"Infinity",
            b"1e",
            b"0.",
            b"\n",
            b"  ",
            b"- ",
            b"? ",
            b"&a ",
            b"*a",
            b"!!",
            b"|",
            b">",
            b"#",
            b"'",
            b"=",
            b"[[",
            b"\xff",
            b"\xc3",
            b"\t",
            b"a",
            b"true",
            b"~",
            b".nan",
            b"\x00",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut input = Vec::new();
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                input.extend_from_slice(fragments[(state % fragments.len() as u64) as usize]);
            }
            for format in [Format::Json, Format::Yaml, Format::Toml] {
                if let Ok(value) = parse(format, &input) {
                    let _ = extract::metrics(value.clone());
                    let _ = extract::params(value, &Tracked::Keys(vec!["a.*".into()]));
                }
            }
        }
    }

    #[test]
    fn format_follows_the_suffix() {
        assert_eq!(Format::of("a/b.JSON"), Format::Json);
        assert_eq!(Format::of("x.toml"), Format::Toml);
        assert_eq!(Format::of("x.csv"), Format::Yaml);
        assert_eq!(Format::of("dir.json/x"), Format::Yaml);
    }
}
