//! Plain data shared by the stages: what one revision holds ([`Snapshot`]) in the shape DVC
//! gives it. No I/O, no formatting, no behaviour beyond small accessors.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// One leaf of a metrics or params file.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// `null` (params keep it; metrics drop it).
    Null,
    /// A boolean; DVC counts it as the integer 0 or 1 when comparing and subtracting.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float, possibly NaN or infinite.
    Float(f64),
    /// Text (a list param is the text of its Python repr, as in DVC).
    Str(String),
}

/// A number as Python does arithmetic on it: `int - int` stays an `int`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer (booleans count as 0 and 1).
    Int(i128),
    /// A float.
    Float(f64),
}

impl Number {
    /// The value as a float (for relative changes and charts).
    pub fn to_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl Scalar {
    /// The numeric value of a bool, int or float (`None` for null and text).
    pub fn number(&self) -> Option<Number> {
        match self {
            Scalar::Bool(b) => Some(Number::Int(i128::from(*b))),
            Scalar::Int(i) => Some(Number::Int(*i)),
            Scalar::Float(f) => Some(Number::Float(*f)),
            Scalar::Null | Scalar::Str(_) => None,
        }
    }
}

/// A metrics or params file reduced to what DVC compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A mapping, flattened with `.` and sorted by key (an empty map when nothing is left).
    Map(Vec<(String, Scalar)>),
    /// A file whose top level is a scalar: its one value has the key `""`.
    Scalar(Scalar),
}

/// Why a file has no values at a revision.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Declared (or targeted) but absent at this revision.
    Missing,
    /// Present but not valid in its format.
    Invalid {
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Not read, for a reason that is not about its content (a symlink leaving the
    /// repository, a permission error).
    Unreadable(String),
    /// Read, but something in it looks wrong (a warning; its values are used).
    Doubtful(Note),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("the file does not exist"),
            Problem::Invalid {
                line,
                column,
                message,
            } if *line > 0 && *column > 0 => write!(f, "line {line}, column {column}: {message}"),
            Problem::Invalid { line, message, .. } if *line > 0 => {
                write!(f, "line {line}: {message}")
            }
            Problem::Invalid { message, .. } => f.write_str(message),
            Problem::Unreadable(reason) => f.write_str(reason),
            Problem::Doubtful(Note { line, message }) if *line > 0 => {
                write!(f, "line {line}: {message}")
            }
            Problem::Doubtful(Note { message, .. }) => f.write_str(message),
        }
    }
}

/// What one file holds at one revision.
pub type FileContent = Result<Document, Problem>;

/// One column of plot data.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Every cell is a number (an empty cell is NaN).
    Numbers(Vec<f64>),
    /// At least one cell is text; cells keep the text they were written with.
    Texts(Vec<String>),
}

/// Something doubtful in a file that was read all the same (a ragged row, a column of
/// numbers with text in it, a metrics file that is a list): the report warns about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// 1-based line, or 0 for the whole file.
    pub line: usize,
    /// What is wrong, naming the row or column.
    pub message: String,
}

/// Records of a plot data file, by column, in the order fields first appear.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// `(field, column)` pairs; every column has [`Table::rows`] cells.
    pub columns: Vec<(String, Column)>,
    /// The number of records.
    pub rows: usize,
    /// What looked wrong while reading it.
    pub notes: Vec<Note>,
}

/// How a plot is drawn (DVC's template names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Template {
    /// A line (DVC's default).
    Linear,
    /// A plain line.
    Simple,
    /// A faint line and its moving average.
    Smooth,
    /// Points.
    Scatter,
    /// Points with a small random offset, for overlapping values.
    ScatterJitter,
    /// A heatmap of counts of (actual, predicted) pairs.
    Confusion,
    /// The same, each row normalised to fractions.
    ConfusionNormalized,
    /// Horizontal bars: categories on y, values on x.
    BarHorizontal,
    /// The same, sorted by value.
    BarHorizontalSorted,
}

impl Template {
    /// Parses DVC's template name; `None` for custom templates.
    pub fn from_name(name: &str) -> Option<Template> {
        Some(match name {
            "linear" => Template::Linear,
            "simple" => Template::Simple,
            "smooth" => Template::Smooth,
            "scatter" => Template::Scatter,
            "scatter_jitter" => Template::ScatterJitter,
            "confusion" => Template::Confusion,
            "confusion_normalized" => Template::ConfusionNormalized,
            "bar_horizontal" => Template::BarHorizontal,
            "bar_horizontal_sorted" => Template::BarHorizontalSorted,
            _ => return None,
        })
    }

    /// DVC's name.
    pub fn name(self) -> &'static str {
        match self {
            Template::Linear => "linear",
            Template::Simple => "simple",
            Template::Smooth => "smooth",
            Template::Scatter => "scatter",
            Template::ScatterJitter => "scatter_jitter",
            Template::Confusion => "confusion",
            Template::ConfusionNormalized => "confusion_normalized",
            Template::BarHorizontal => "bar_horizontal",
            Template::BarHorizontalSorted => "bar_horizontal_sorted",
        }
    }
}

/// One series source of a plot: a field of a file, against a field or the row index.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotSource {
    /// Repository-relative path of the data file.
    pub file: String,
    /// The x field; `None` plots against the row index (`step`).
    pub x: Option<String>,
    /// The y field.
    pub y: String,
    /// The file's records, or why they are not there.
    pub table: Result<Arc<Table>, Problem>,
}

/// What a plot shows.
#[derive(Debug, Clone, PartialEq)]
pub enum PlotContent {
    /// Fields of data files.
    Data(Vec<PlotSource>),
    /// An image the user drew (PNG, JPEG, GIF, SVG).
    Image {
        /// Repository-relative path.
        file: String,
        /// The bytes, or why they are not there.
        bytes: Result<Arc<Vec<u8>>, Problem>,
    },
}

/// A plot at one revision: its definition and its data.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// The id: a file path, or a name given in `dvc.yaml` / `.mlci.toml`.
    pub id: String,
    /// Where it was declared, in order (`dvc.yaml` files, dvclive's layout, `.mlci.toml`):
    /// the report shows plots in this order.
    pub position: usize,
    /// How to draw it.
    pub template: Template,
    /// Title (default: the id).
    pub title: Option<String>,
    /// x axis label (default: the x field, or `step`).
    pub x_label: Option<String>,
    /// y axis label (default: the y field).
    pub y_label: Option<String>,
    /// The data.
    pub content: PlotContent,
}

/// Everything mlci read at one revision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Metrics files by repository-relative path.
    pub metrics: BTreeMap<String, FileContent>,
    /// Params files by repository-relative path.
    pub params: BTreeMap<String, FileContent>,
    /// Plots by id.
    pub plots: BTreeMap<String, Plot>,
    /// Pipeline files (`dvc.yaml`) that could not be read, so their declarations are unknown.
    pub pipeline_problems: BTreeMap<String, Problem>,
    /// Pipeline files read.
    pub pipelines: Vec<String>,
    /// Metrics with several values (a list of numbers in a metrics file: one per seed or
    /// run), by file, then key. DVC ignores lists; mlci compares them as samples.
    pub samples: BTreeMap<String, Vec<(String, Vec<f64>)>>,
    /// Data files (`[[data]]` in `.mlci.toml`), profiled.
    pub data: BTreeMap<String, Result<DataProfile, Problem>>,
    /// What looked wrong in metrics and params files that were read all the same.
    pub notes: BTreeMap<String, Vec<Note>>,
    /// Training runs found where their stacks write.
    pub runs: Vec<RunInfo>,
    /// Standard errors of metrics, by file, then key (lm-eval's `*_stderr`).
    pub errors: BTreeMap<String, Vec<(String, f64)>>,
    /// Which way is better for metrics whose file says (lm-eval's `higher_is_better`), by
    /// file, then key.
    pub directions: BTreeMap<String, Vec<(String, Direction)>>,
}

/// A data file's profile: its rows and its columns.
#[derive(Debug, Clone, PartialEq)]
pub struct DataProfile {
    /// Rows after the header.
    pub rows: u64,
    /// The columns, in file order.
    pub columns: Vec<ColumnProfile>,
}

/// One column of a data file.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnProfile {
    /// The header.
    pub name: String,
    /// The narrowest type holding every present cell.
    pub kind: ColumnKind,
    /// Empty (or `NA`-like) cells.
    pub missing: u64,
    /// The smallest number, for numeric columns.
    pub min: Option<f64>,
    /// The largest number, for numeric columns.
    pub max: Option<f64>,
}

/// A column's inferred type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Whole numbers.
    Integer,
    /// Numbers.
    Number,
    /// `true` / `false`.
    Boolean,
    /// Anything else.
    Text,
    /// No present cell.
    Empty,
}

impl ColumnKind {
    /// The word the report uses.
    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::Integer => "integer",
            ColumnKind::Number => "number",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Text => "text",
            ColumnKind::Empty => "empty",
        }
    }
}

impl Snapshot {
    /// Every file this snapshot was read from: pipelines, metrics, params, plot data, images.
    pub fn files_read(&self) -> Vec<String> {
        let mut files: Vec<String> = self.pipelines.clone();
        // A run's documents and plots are named by its place; its files are listed.
        let labels: Vec<&str> = self.runs.iter().map(|r| r.label.as_str()).collect();
        let named = |name: &String| !labels.contains(&name.as_str());
        files.extend(self.metrics.keys().filter(|k| named(k)).cloned());
        files.extend(self.params.keys().filter(|k| named(k)).cloned());
        files.extend(self.runs.iter().flat_map(|r| r.files.iter().cloned()));
        for plot in self.plots.values() {
            match &plot.content {
                PlotContent::Data(sources) => {
                    files.extend(sources.iter().map(|s| s.file.clone()).filter(|f| named(f)));
                }
                PlotContent::Image { file, .. } => files.push(file.clone()),
            }
        }
        files.sort();
        files.dedup();
        files
    }

    /// Whether any file at this revision failed to load (DVC's "failed to load" revisions).
    pub fn has_problems(&self) -> bool {
        !self.pipeline_problems.is_empty()
            || self.metrics.values().any(Result::is_err)
            || self.params.values().any(Result::is_err)
    }
}

/// Which way is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Larger values are better (accuracy, AUC, F1, ...).
    Higher,
    /// Smaller values are better (loss, error, latency, ...).
    Lower,
}

/// A training stack whose files mlci reads (`.mlci.toml` names it in lowercase:
/// `transformers`, ..., `lm-eval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stack {
    /// Hugging Face Transformers' `Trainer`.
    Transformers,
    /// PyTorch Lightning's `CSVLogger`.
    Lightning,
    /// Keras' `CSVLogger`.
    Keras,
    /// MLflow's tracking store (files or SQLite).
    Mlflow,
    /// TensorBoard event files.
    #[serde(rename = "tensorboard")]
    TensorBoard,
    /// Weights & Biases, offline runs.
    Wandb,
    /// Ultralytics YOLO.
    Ultralytics,
    /// EleutherAI's lm-evaluation-harness.
    #[serde(rename = "lm-eval")]
    LmEval,
}

impl Stack {
    /// The stack's name as its users write it.
    pub fn name(self) -> &'static str {
        match self {
            Stack::Transformers => "Transformers",
            Stack::Lightning => "Lightning",
            Stack::Keras => "Keras",
            Stack::Mlflow => "MLflow",
            Stack::TensorBoard => "TensorBoard",
            Stack::Wandb => "W&B",
            Stack::Ultralytics => "Ultralytics",
            Stack::LmEval => "lm-eval",
        }
    }
}

/// A training run found where its stack writes (`inputs::runs`), as the report tells of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// Its stack.
    pub stack: Stack,
    /// Where it is: the same at every revision (`out`, `runs/*`, `mlruns/<experiment>`).
    pub place: String,
    /// Its metrics' document name: its place and stack (`out (Transformers)`).
    pub label: String,
    /// Which run it is in its place.
    pub name: String,
    /// The other runs of its place, not reported.
    pub others: Vec<String>,
    /// How many metrics it has.
    pub metrics: usize,
    /// How many curves it logged.
    pub curves: usize,
    /// The files it was read from.
    pub files: Vec<String>,
}
