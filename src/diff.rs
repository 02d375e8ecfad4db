//! Diff: base [`Snapshot`] against head [`Snapshot`], with DVC's semantics. Pure and
//! infallible: a file missing or malformed on one side is data (an empty side and a
//! [`Warning`]), never an error.
//!
//! The rules are `dvc/utils/diff.py` (`shared/reference/dvc.md` §1.1.6, §8.5, §8.6): the union
//! of files and of flattened keys; a key changed when Python's `!=` says so (`0 == 0.0`,
//! `True == 1`, `NaN != NaN`, null equals missing); `new - old` when both sides are numbers.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    DataProfile, Document, FileContent, Note, Number, Plot, PlotContent, Problem, RunInfo, Scalar,
    Snapshot,
};

/// Base against head, file by file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// Metrics files, sorted by path; every key, unchanged ones included.
    pub metrics: Vec<FileDiff>,
    /// Params files, sorted by path.
    pub params: Vec<FileDiff>,
    /// Plots by id, sorted.
    pub plots: Vec<PlotDiff>,
    /// Files that could not be read on one side.
    pub warnings: Vec<Warning>,
    /// Metrics with several values on a side (lists of numbers), by file and key.
    pub samples: Vec<SampleDiff>,
    /// Data files, profiled at both sides.
    pub data: Vec<DataDiff>,
    /// Training runs found at base and at head.
    pub runs: Runs,
    /// Metrics with a standard error on a side, by file and key.
    pub errors: Vec<ErrorDiff>,
    /// Which way is better for metrics whose files say, by file and key (the head's word
    /// over the base's).
    pub directions: BTreeMap<(String, String), Direction>,
}

/// The training runs found at each side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Runs {
    /// At base.
    pub base: Vec<RunInfo>,
    /// At head.
    pub head: Vec<RunInfo>,
}

/// A metric's standard error at base and head, where its run reported one.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDiff {
    /// The metrics' document.
    pub path: String,
    /// The metric.
    pub key: String,
    /// At base.
    pub base: Option<f64>,
    /// At head.
    pub head: Option<f64>,
}

/// A data file's profile at base and head (absent where it could not be read).
#[derive(Debug, Clone, PartialEq)]
pub struct DataDiff {
    /// Repository-relative path.
    pub path: String,
    /// At base.
    pub base: Option<DataProfile>,
    /// At head.
    pub head: Option<DataProfile>,
}

/// A metric with several values (seeds, repeated runs) at base and head.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleDiff {
    /// Repository-relative path.
    pub path: String,
    /// Flattened key.
    pub key: String,
    /// The values at base (empty when absent).
    pub base: Vec<f64>,
    /// The values at head.
    pub head: Vec<f64>,
}

/// One plot at base and head (either may be absent).
#[derive(Debug, Clone, PartialEq)]
pub struct PlotDiff {
    /// The plot's id.
    pub id: String,
    /// The plot at base.
    pub base: Option<Plot>,
    /// The plot at head.
    pub head: Option<Plot>,
}

/// The rows of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDiff {
    /// Repository-relative path.
    pub path: String,
    /// One row per key, sorted by key (Python's `sorted`: code point order).
    pub rows: Vec<Row>,
}

/// One key at base and head.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Flattened key (`""` for a file whose top level is a scalar).
    pub key: String,
    /// The value at base; `None` when the key is absent there.
    pub base: Option<Scalar>,
    /// The value at head; `None` when the key is absent there.
    pub head: Option<Scalar>,
    /// `head - base` when both are numbers (booleans count as 0 and 1).
    pub delta: Option<Number>,
    /// What happened to the key.
    pub status: Status,
}

/// What happened to a key between base and head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Equal by Python's `==`.
    Unchanged,
    /// Different values on both sides.
    Changed,
    /// Only at head.
    Added,
    /// Only at base.
    Removed,
}

/// Which revision a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    /// The base revision.
    Base,
    /// The head revision.
    Head,
}

/// A file that could not be read on one side; that side shows no values for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// The revision the problem is at.
    pub side: Side,
    /// Repository-relative path.
    pub path: String,
    /// What went wrong.
    pub problem: Problem,
}

impl Row {
    /// Whether the row differs between base and head (DVC shows only these without `--all`).
    pub fn is_changed(&self) -> bool {
        self.status != Status::Unchanged
    }

    /// `delta / |base|`, when the base is a non-zero finite number (undefined at zero).
    pub fn relative(&self) -> Option<f64> {
        let base = self.base.as_ref()?.number()?.to_f64();
        let delta = self.delta?.to_f64();
        (base != 0.0 && base.is_finite() && delta.is_finite()).then(|| delta / base.abs())
    }
}

/// Compares two snapshots, moving their values into the comparison (a million keys per
/// side are held once, not twice).
pub fn compare(base: Snapshot, head: Snapshot) -> Comparison {
    let mut warnings = Vec::new();
    for (side, snapshot) in [(Side::Base, &base), (Side::Head, &head)] {
        let files = snapshot
            .pipeline_problems
            .iter()
            .chain(snapshot.metrics.iter().filter_map(problem_of))
            .chain(snapshot.params.iter().filter_map(problem_of))
            .chain(
                snapshot
                    .data
                    .iter()
                    .filter_map(|(path, content)| content.as_ref().err().map(|p| (path, p))),
            );
        // A plot file that exists but cannot be read is worth a warning; one that is absent
        // on one side is a plot added or removed.
        let plot_files = snapshot.plots.values().flat_map(plot_problems);
        for (path, problem) in files.chain(plot_files) {
            warnings.push(Warning {
                side,
                path: path.clone(),
                problem: problem.clone(),
            });
        }
        // Files read all the same, with something in them that looks wrong.
        let notes = snapshot
            .notes
            .iter()
            .flat_map(|(path, notes)| notes.iter().map(move |n| (path.clone(), n.clone())))
            .chain(snapshot.plots.values().flat_map(plot_notes));
        for (path, note) in notes {
            warnings.push(Warning {
                side,
                path,
                problem: Problem::Doubtful(note),
            });
        }
    }
    warnings.sort_by(|a, b| (&a.path, a.side).cmp(&(&b.path, b.side)));
    warnings.dedup();
    let ids: BTreeSet<&String> = base.plots.keys().chain(head.plots.keys()).collect();
    let mut plots: Vec<PlotDiff> = Vec::new();
    for id in ids {
        let plot = PlotDiff {
            id: id.clone(),
            base: base.plots.get(id).cloned(),
            head: head.plots.get(id).cloned(),
        };
        // Declared, but with no file at either revision (a folder DVC tracks outside git):
        // nothing to draw; say so, as dvc does.
        let absent = |p: &Option<Plot>| p.as_ref().is_none_or(plot_files_missing);
        if absent(&plot.base) && absent(&plot.head) {
            for file in plot.head.iter().chain(&plot.base).flat_map(plot_files) {
                warnings.push(Warning {
                    side: Side::Head,
                    path: file.clone(),
                    problem: Problem::Missing,
                });
            }
            continue;
        }
        plots.push(plot);
    }
    warnings.sort_by(|a, b| (&a.path, a.side).cmp(&(&b.path, b.side)));
    warnings.dedup();
    // In the order the plots were declared (`dvc.yaml`, dvclive, `.mlci.toml`).
    plots.sort_by_key(|p| {
        p.head
            .as_ref()
            .or(p.base.as_ref())
            .map_or(usize::MAX, |p| p.position)
    });
    let samples = compare_samples(&base, &head);
    let mut errors: BTreeMap<(String, String), ErrorDiff> = BTreeMap::new();
    for (is_head, snapshot) in [(false, &base), (true, &head)] {
        for (path, keys) in &snapshot.errors {
            for (key, error) in keys {
                let entry = errors
                    .entry((path.clone(), key.clone()))
                    .or_insert_with(|| ErrorDiff {
                        path: path.clone(),
                        key: key.clone(),
                        base: None,
                        head: None,
                    });
                if is_head {
                    entry.head = Some(*error);
                } else {
                    entry.base = Some(*error);
                }
            }
        }
    }
    let mut directions = BTreeMap::new();
    for snapshot in [&base, &head] {
        for (path, keys) in &snapshot.directions {
            for (key, direction) in keys {
                directions.insert((path.clone(), key.clone()), *direction);
            }
        }
    }
    let runs = Runs {
        base: base.runs.clone(),
        head: head.runs.clone(),
    };
    let data = base
        .data
        .keys()
        .chain(head.data.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|path| DataDiff {
            path: path.clone(),
            base: base.data.get(path).and_then(|c| c.as_ref().ok()).cloned(),
            head: head.data.get(path).and_then(|c| c.as_ref().ok()).cloned(),
        })
        .collect();
    Comparison {
        metrics: compare_files(base.metrics, head.metrics),
        params: compare_files(base.params, head.params),
        plots,
        warnings,
        samples,
        data,
        runs,
        errors: errors.into_values().collect(),
        directions,
    }
}

/// The union of both sides' samples, by file and key.
fn compare_samples(base: &Snapshot, head: &Snapshot) -> Vec<SampleDiff> {
    type Sides = (Vec<f64>, Vec<f64>);
    let mut keys: std::collections::BTreeMap<(&str, &str), Sides> =
        std::collections::BTreeMap::new();
    for (is_head, snapshot) in [(false, base), (true, head)] {
        for (path, samples) in &snapshot.samples {
            for (key, values) in samples {
                let entry = keys.entry((path.as_str(), key.as_str())).or_default();
                if is_head {
                    entry.1.clone_from(values);
                } else {
                    entry.0.clone_from(values);
                }
            }
        }
    }
    keys.into_iter()
        .map(|((path, key), (base, head))| SampleDiff {
            path: path.to_owned(),
            key: key.to_owned(),
            base,
            head,
        })
        .collect()
}

/// What looks wrong in a plot's files: their readers' notes, and the fields it asks for
/// that a file does not have (a column renamed since the plot was declared).
fn plot_notes(plot: &Plot) -> Vec<(String, Note)> {
    let PlotContent::Data(sources) = &plot.content else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for source in sources {
        let Ok(table) = &source.table else { continue };
        notes.extend(table.notes.iter().map(|n| (source.file.clone(), n.clone())));
        for field in source.x.iter().chain([&source.y]) {
            if !field.is_empty() && table.rows > 0 && table.column(field).is_none() {
                let columns = table.fields().join(", ");
                notes.push((
                    source.file.clone(),
                    Note {
                        line: 1,
                        message: format!(
                            "no column `{field}` for the plot `{}` (the columns are: {columns})",
                            plot.id
                        ),
                    },
                ));
            }
        }
    }
    notes.sort_by(|a, b| (&a.0, a.1.line).cmp(&(&b.0, b.1.line)));
    notes.dedup();
    notes
}

/// The files a plot reads.
fn plot_files(plot: &Plot) -> Vec<&String> {
    match &plot.content {
        PlotContent::Data(sources) => sources.iter().map(|s| &s.file).collect(),
        PlotContent::Image { file, .. } => vec![file],
    }
}

/// Whether every file of a plot is absent.
fn plot_files_missing(plot: &Plot) -> bool {
    match &plot.content {
        PlotContent::Data(sources) => sources
            .iter()
            .all(|s| matches!(s.table, Err(Problem::Missing))),
        PlotContent::Image { bytes, .. } => matches!(bytes, Err(Problem::Missing)),
    }
}

fn plot_problems(plot: &Plot) -> Vec<(&String, &Problem)> {
    let unreadable = |problem: &Problem| !matches!(problem, Problem::Missing);
    match &plot.content {
        PlotContent::Data(sources) => sources
            .iter()
            .filter_map(|s| {
                s.table
                    .as_ref()
                    .err()
                    .filter(|p| unreadable(p))
                    .map(|p| (&s.file, p))
            })
            .collect(),
        PlotContent::Image { file, bytes } => bytes
            .as_ref()
            .err()
            .filter(|p| unreadable(p))
            .map(|p| (file, p))
            .into_iter()
            .collect(),
    }
}

fn problem_of<'a>(
    (path, content): (&'a String, &'a FileContent),
) -> Option<(&'a String, &'a Problem)> {
    content.as_ref().err().map(|problem| (path, problem))
}

fn compare_files(
    base: std::collections::BTreeMap<String, FileContent>,
    head: std::collections::BTreeMap<String, FileContent>,
) -> Vec<FileDiff> {
    let mut base = base.into_iter().peekable();
    let mut head = head.into_iter().peekable();
    let mut files = Vec::new();
    loop {
        // Both maps are sorted by path: walk them together.
        let (path, b, h) = match (base.peek(), head.peek()) {
            (None, None) => break,
            (Some((pb, _)), Some((ph, _))) if pb == ph => {
                let (path, b) = base.next().expect("peeked");
                let (_, h) = head.next().expect("peeked");
                (path, Some(b), Some(h))
            }
            (Some((pb, _)), Some((ph, _))) if pb < ph => {
                let (path, b) = base.next().expect("peeked");
                (path, Some(b), None)
            }
            (Some(_), None) => {
                let (path, b) = base.next().expect("peeked");
                (path, Some(b), None)
            }
            _ => {
                let (path, h) = head.next().expect("peeked");
                (path, None, Some(h))
            }
        };
        let rows = compare_documents(b.and_then(Result::ok), h.and_then(Result::ok));
        if !rows.is_empty() {
            files.push(FileDiff { path, rows });
        }
    }
    files
}

/// DVC's `_diff`: if either side is a mapping (or missing, which is `{}`), compare keys;
/// otherwise compare the two top-level scalars under the key `""`. Absent and unreadable
/// files are `{}`.
fn compare_documents(base: Option<Document>, head: Option<Document>) -> Vec<Row> {
    match (base, head) {
        (Some(Document::Scalar(b)), Some(Document::Scalar(h))) => {
            vec![row(String::new(), Some(b), Some(h))]
        }
        (Some(Document::Scalar(b)), head) if is_truthy(&b) => unparsable(head, Side::Base),
        (base, Some(Document::Scalar(h))) if is_truthy(&h) => unparsable(base, Side::Head),
        (base, head) => {
            let entries = |document: Option<Document>| match document {
                Some(Document::Map(entries)) => entries,
                _ => Vec::new(),
            };
            // Both sides are sorted by key and unique: a merge, moving each value once.
            let mut base = entries(base).into_iter().peekable();
            let mut head = entries(head).into_iter().peekable();
            let mut rows = Vec::with_capacity(base.len().max(head.len()));
            loop {
                let next = match (base.peek(), head.peek()) {
                    (None, None) => break,
                    (Some((kb, _)), Some((kh, _))) if kb == kh => {
                        let (key, b) = base.next().expect("peeked");
                        let (_, h) = head.next().expect("peeked");
                        row(key, Some(b), Some(h))
                    }
                    (Some((kb, _)), Some((kh, _))) if kb < kh => {
                        let (key, b) = base.next().expect("peeked");
                        row(key, Some(b), None)
                    }
                    (Some(_), None) => {
                        let (key, b) = base.next().expect("peeked");
                        row(key, Some(b), None)
                    }
                    _ => {
                        let (key, h) = head.next().expect("peeked");
                        row(key, None, Some(h))
                    }
                };
                rows.push(next);
            }
            rows
        }
    }
}

/// A truthy top-level scalar facing a mapping (`dvc/utils/diff.py::_flatten`): every key
/// of the mapping reads "unable to parse" on the scalar's side.
fn unparsable(other: Option<Document>, scalar_side: Side) -> Vec<Row> {
    let keys = match other {
        Some(Document::Map(entries)) => entries,
        _ => Vec::new(),
    };
    keys.into_iter()
        .map(|(key, value)| {
            let text = Some(Scalar::Str("unable to parse".to_owned()));
            match scalar_side {
                Side::Base => row(key, text, Some(value)),
                Side::Head => row(key, Some(value), text),
            }
        })
        .collect()
}

fn is_truthy(scalar: &Scalar) -> bool {
    match scalar {
        Scalar::Null => false,
        Scalar::Bool(b) => *b,
        Scalar::Int(i) => *i != 0,
        Scalar::Float(f) => *f != 0.0,
        Scalar::Str(s) => !s.is_empty(),
    }
}

fn row(key: String, base: Option<Scalar>, head: Option<Scalar>) -> Row {
    let delta = match (
        base.as_ref().and_then(Scalar::number),
        head.as_ref().and_then(Scalar::number),
    ) {
        (Some(b), Some(h)) => Some(subtract(h, b)),
        _ => None,
    };
    let status = if python_eq(base.as_ref(), head.as_ref()) {
        Status::Unchanged
    } else if base.is_none() {
        Status::Added
    } else if head.is_none() {
        Status::Removed
    } else {
        Status::Changed
    };
    Row {
        key,
        base,
        head,
        delta,
        status,
    }
}

/// Python's `new - old`: exact for two integers, a float as soon as one side is a float.
pub fn subtract(new: Number, old: Number) -> Number {
    match (new, old) {
        (Number::Int(n), Number::Int(o)) => match n.checked_sub(o) {
            Some(d) => Number::Int(d),
            None => Number::Float(n as f64 - o as f64),
        },
        (n, o) => Number::Float(n.to_f64() - o.to_f64()),
    }
}

/// Python's `==` on two loaded values, where an absent key and `None` are the same.
pub fn python_eq(a: Option<&Scalar>, b: Option<&Scalar>) -> bool {
    let a = a.filter(|s| **s != Scalar::Null);
    let b = b.filter(|s| **s != Scalar::Null);
    match (a, b) {
        (None, None) => true,
        (Some(Scalar::Str(x)), Some(Scalar::Str(y))) => x == y,
        (Some(x), Some(y)) => match (x.number(), y.number()) {
            (Some(x), Some(y)) => numbers_equal(x, y),
            _ => false,
        },
        _ => false,
    }
}

/// Exact comparison of an int and a float, as Python does (no rounding through `f64`).
fn numbers_equal(a: Number, b: Number) -> bool {
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => x == y,
        (Number::Float(x), Number::Float(y)) => x == y,
        (Number::Int(i), Number::Float(f)) | (Number::Float(f), Number::Int(i)) => {
            f.is_finite() && f.fract() == 0.0 && f.abs() < 1.7e38 && f as i128 == i
        }
    }
}

pub use crate::model::Direction;

/// The direction a metric's name implies; the rules are in [`crate::names`].
pub use crate::names::direction;

#[cfg(test)]
mod tests {

    use super::*;

    fn map(entries: &[(&str, Scalar)]) -> FileContent {
        let mut entries: Vec<(String, Scalar)> = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Document::Map(entries))
    }

    fn snapshot(files: Vec<(&str, FileContent)>) -> Snapshot {
        Snapshot {
            metrics: files.into_iter().map(|(p, c)| (p.to_string(), c)).collect(),
            ..Snapshot::default()
        }
    }

    fn rows(base: FileContent, head: FileContent) -> Vec<Row> {
        let comparison = compare(
            snapshot(vec![("m.json", base)]),
            snapshot(vec![("m.json", head)]),
        );
        comparison
            .metrics
            .into_iter()
            .flat_map(|f| f.rows)
            .collect()
    }

    #[test]
    fn added_removed_changed_and_unchanged() {
        let rows = rows(
            map(&[
                ("acc", Scalar::Float(0.8)),
                ("loss", Scalar::Float(0.5)),
                ("n", Scalar::Int(3)),
            ]),
            map(&[
                ("acc", Scalar::Float(0.9)),
                ("f1", Scalar::Float(0.7)),
                ("n", Scalar::Int(3)),
            ]),
        );
        let summary: Vec<(&str, Status)> =
            rows.iter().map(|r| (r.key.as_str(), r.status)).collect();
        assert_eq!(
            summary,
            vec![
                ("acc", Status::Changed),
                ("f1", Status::Added),
                ("loss", Status::Removed),
                ("n", Status::Unchanged)
            ]
        );
        assert_eq!(rows[0].delta, Some(Number::Float(0.9 - 0.8)));
        assert_eq!(rows[1].delta, None);
        assert_eq!(rows[3].delta, Some(Number::Int(0)));
    }

    #[test]
    fn python_equality_across_types() {
        let eq = |a: Scalar, b: Scalar| python_eq(Some(&a), Some(&b));
        assert!(eq(Scalar::Int(0), Scalar::Float(0.0)));
        assert!(eq(Scalar::Bool(true), Scalar::Int(1)));
        assert!(eq(Scalar::Bool(true), Scalar::Float(1.0)));
        assert!(!eq(Scalar::Str("0.1".into()), Scalar::Float(0.1)));
        assert!(!eq(Scalar::Float(f64::NAN), Scalar::Float(f64::NAN)));
        assert!(eq(
            Scalar::Float(f64::INFINITY),
            Scalar::Float(f64::INFINITY)
        ));
        assert!(!eq(
            Scalar::Int(9007199254740993),
            Scalar::Float(9007199254740992.0)
        ));
        assert!(python_eq(None, Some(&Scalar::Null)));
    }

    #[test]
    fn booleans_subtract_as_integers() {
        let rows = rows(
            map(&[("ok", Scalar::Bool(true))]),
            map(&[("ok", Scalar::Bool(false))]),
        );
        assert_eq!(rows[0].delta, Some(Number::Int(-1)));
        assert_eq!(rows[0].status, Status::Changed);
    }

    #[test]
    fn nan_is_always_changed_and_relative_change_is_undefined_at_zero() {
        let rows = rows(
            map(&[("loss", Scalar::Float(f64::NAN)), ("z", Scalar::Int(0))]),
            map(&[("loss", Scalar::Float(f64::NAN)), ("z", Scalar::Int(5))]),
        );
        assert_eq!(rows[0].status, Status::Changed);
        assert!(matches!(rows[0].delta, Some(Number::Float(d)) if d.is_nan()));
        assert_eq!(rows[1].relative(), None);
        let grown = row(
            "x".into(),
            Some(Scalar::Float(-2.0)),
            Some(Scalar::Float(-1.0)),
        );
        assert_eq!(grown.relative(), Some(0.5));
    }

    #[test]
    fn a_file_missing_on_one_side_is_all_added_and_warned() {
        let comparison = compare(
            snapshot(vec![("m.json", Err(Problem::Missing))]),
            snapshot(vec![("m.json", map(&[("acc", Scalar::Float(0.9))]))]),
        );
        assert_eq!(comparison.metrics[0].rows[0].status, Status::Added);
        assert_eq!(
            comparison.warnings,
            vec![Warning {
                side: Side::Base,
                path: "m.json".into(),
                problem: Problem::Missing
            }]
        );
    }

    #[test]
    fn top_level_scalars_compare_under_the_empty_key() {
        let scalars = rows(
            Ok(Document::Scalar(Scalar::Float(0.5))),
            Ok(Document::Scalar(Scalar::Float(0.75))),
        );
        assert_eq!(scalars[0].key, "");
        assert_eq!(scalars[0].delta, Some(Number::Float(0.25)));
        // DVC quirk: a scalar facing a missing file shows nothing; facing a map, "unable to parse".
        assert!(rows_of_missing_base_scalar().is_empty());
        let mixed = rows(
            map(&[("a", Scalar::Int(1))]),
            Ok(Document::Scalar(Scalar::Int(2))),
        );
        assert_eq!(mixed[0].head, Some(Scalar::Str("unable to parse".into())));
    }

    fn rows_of_missing_base_scalar() -> Vec<Row> {
        rows(
            Err(Problem::Missing),
            Ok(Document::Scalar(Scalar::Float(0.5))),
        )
    }

    #[test]
    fn huge_integers_subtract_exactly() {
        assert_eq!(
            subtract(
                Number::Int(10_i128.pow(30) + 1),
                Number::Int(10_i128.pow(30))
            ),
            Number::Int(1)
        );
    }
}
