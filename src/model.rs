//! Plain data shared by the stages: what one revision holds ([`Snapshot`]) in the shape DVC
//! gives it. No I/O, no formatting, no behaviour beyond small accessors.

use std::collections::BTreeMap;
use std::fmt;

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
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("the file does not exist"),
            Problem::Invalid {
                line,
                column,
                message,
            } if *line > 0 => write!(f, "line {line}, column {column}: {message}"),
            Problem::Invalid { message, .. } => f.write_str(message),
            Problem::Unreadable(reason) => f.write_str(reason),
        }
    }
}

/// What one file holds at one revision.
pub type FileContent = Result<Document, Problem>;

/// Everything mlci read at one revision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Metrics files by repository-relative path.
    pub metrics: BTreeMap<String, FileContent>,
    /// Params files by repository-relative path.
    pub params: BTreeMap<String, FileContent>,
    /// Pipeline files (`dvc.yaml`) that could not be read, so their declarations are unknown.
    pub pipeline_problems: BTreeMap<String, Problem>,
}

impl Snapshot {
    /// Whether any file at this revision failed to load (DVC's "failed to load" revisions).
    pub fn has_problems(&self) -> bool {
        !self.pipeline_problems.is_empty()
            || self.metrics.values().any(Result::is_err)
            || self.params.values().any(Result::is_err)
    }
}
