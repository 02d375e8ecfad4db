//! Configuration: `.mlci.toml` (typed, unknown keys refused) and the validated settings of a
//! run. The file is read through the head [`FileSource`](crate::inputs::FileSource), so a
//! pull request's own configuration applies to its report.
//!
//! ```toml
//! # .mlci.toml
//! title = "Fraud model"            # report title
//! id = "fraud"                     # report id (one sticky report per id)
//! base = "origin/develop"          # base revision when none is given on the command line
//! metrics = ["results/*.json"]     # extra metrics files (paths, directories, globs)
//! params = ["configs/train.yaml"]  # extra params files
//!
//! [[plots]]                        # extra plots (as dvc.yaml `plots:` entries)
//! path = "results/loss.csv"        # a file, directory or glob
//! x = "epoch"
//! y = ["train_loss", "val_loss"]
//! template = "linear"
//! title = "Loss"
//! ```

use serde::Deserialize;

use crate::inputs::ParseError;
use crate::inputs::dvcyaml::PlotDeclaration;
use crate::inputs::runs::Stack;
use crate::inputs::value::Value;
use crate::model::Direction;
use crate::verdict::FailOn;

/// The contents of `.mlci.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Report title.
    pub title: Option<String>,
    /// Report id: one sticky report per id on a pull request.
    pub id: Option<String>,
    /// Base revision when neither `--base` nor CI names one.
    pub base: Option<String>,
    /// Extra metrics files: paths, directories or globs, relative to the repository root.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Extra params files: paths, directories or globs, relative to the repository root.
    #[serde(default)]
    pub params: Vec<String>,
    /// Extra plots.
    #[serde(default)]
    pub plots: Vec<PlotSetting>,
    /// When the gate fails: `regression`, `change` or `never`.
    pub fail_on: Option<FailOn>,
    /// Significance level of the t-test on metrics with several values.
    pub alpha: Option<f64>,
    /// Rules for metrics: direction, bounds, tolerance.
    #[serde(default)]
    pub metric: Vec<MetricSetting>,
    /// Globs of metrics files that are runs of one experiment (one file per seed).
    #[serde(default)]
    pub repeats: Vec<String>,
    /// Data files to profile and check.
    #[serde(default)]
    pub data: Vec<DataSetting>,
    /// The largest metrics, params, plot data or image file read whole: bytes, or a size
    /// with a unit (`"64 MiB"`).
    pub max_file_size: Option<toml::Value>,
    /// Look for training runs in the usual places when nothing is declared (default true).
    pub discover: Option<bool>,
    /// Training runs to read wherever they are: a folder (or file) and its stack.
    #[serde(default)]
    pub runs: Vec<RunSetting>,
}

/// A `[[runs]]` table: where a stack's run is, when it is not where the stack puts it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSetting {
    /// A folder holding the run (or, for Keras, the logger's file), from the root.
    pub path: String,
    /// Its stack.
    pub format: Stack,
}

/// A `[[metric]]` rule, or a `--rule`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSetting {
    /// A metric key or glob, or `FILE:KEY`.
    pub name: String,
    /// `higher` or `lower`.
    pub direction: Option<Direction>,
    /// Lowest acceptable head value.
    pub min: Option<f64>,
    /// Highest acceptable head value.
    pub max: Option<f64>,
    /// How much worse the metric may get: a number (absolute) or `"2%"` (of the base).
    pub max_regression: Option<toml::Value>,
    /// The metric must exist at head.
    pub required: Option<bool>,
    /// The head value must be finite.
    pub finite: Option<bool>,
}

/// A `[[data]]` table: a CSV or TSV data file to profile at base and head, with checks.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSetting {
    /// The file (`.csv`, `.tsv`), from the repository root.
    pub path: String,
    /// `true` (every column) or a list of columns that may hold no missing values.
    pub no_missing: Option<toml::Value>,
    /// Allowed ranges, column = [min, max].
    pub range: Option<std::collections::BTreeMap<String, [f64; 2]>>,
    /// Column types must not change between base and head.
    pub types_unchanged: Option<bool>,
    /// How much the row count may change: a number of rows, or `"10%"`.
    pub max_row_change: Option<toml::Value>,
}

/// A plot in `.mlci.toml`: the fields of a `dvc.yaml` `plots:` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSetting {
    /// A data or image file, a directory (one plot per file) or a glob.
    pub path: Option<String>,
    /// A name, for a plot whose `y` maps files to fields.
    pub name: Option<String>,
    /// The x field (or a table of file = field).
    pub x: Option<toml::Value>,
    /// The y field, a list of fields, or a table of file = field(s).
    pub y: Option<toml::Value>,
    /// `linear`, `simple`, `smooth`, `scatter`, `scatter_jitter`, `confusion`,
    /// `confusion_normalized`, `bar_horizontal` or `bar_horizontal_sorted`.
    pub template: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// x axis title.
    pub x_label: Option<String>,
    /// y axis title.
    pub y_label: Option<String>,
}

impl PlotSetting {
    /// The equivalent `dvc.yaml` declaration, or why there is none.
    pub fn declaration(&self) -> Result<PlotDeclaration, ConfigError> {
        let id = match (&self.path, &self.name) {
            (Some(path), None) => path.clone(),
            (None, Some(name)) => name.clone(),
            (path, name) => {
                return Err(ConfigError::Plot {
                    plot: path.clone().or(name.clone()).unwrap_or_default(),
                    problem: "needs exactly one of `path` or `name`",
                });
            }
        };
        if self.name.is_some() && !matches!(self.y, Some(toml::Value::Table(_))) {
            return Err(ConfigError::Plot {
                plot: id,
                problem: "is named, so it needs `y` as a table of file = field",
            });
        }
        let mut properties = Vec::new();
        for (key, value) in [("x", &self.x), ("y", &self.y)] {
            if let Some(value) = value {
                properties.push((key.to_owned(), from_toml(value)));
            }
        }
        for (key, value) in [
            ("template", &self.template),
            ("title", &self.title),
            ("x_label", &self.x_label),
            ("y_label", &self.y_label),
        ] {
            if let Some(value) = value {
                properties.push((key.to_owned(), Value::Str(value.clone())));
            }
        }
        Ok(PlotDeclaration {
            path: self.path.clone(),
            id,
            properties: Value::Map(properties),
        })
    }
}

fn from_toml(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::Str(s.clone()),
        toml::Value::Array(items) => Value::List(items.iter().map(from_toml).collect()),
        toml::Value::Table(table) => Value::Map(
            table
                .iter()
                .map(|(k, v)| (k.clone(), from_toml(v)))
                .collect(),
        ),
        toml::Value::Integer(i) => Value::Int(i128::from(*i)),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::Str(d.to_string()),
    }
}

/// A configuration that cannot be used: which setting, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The file is not TOML, or holds a key or a value of a type mlci does not know.
    #[error("invalid configuration `{path}`: {error}")]
    Parse {
        /// The file, relative to the repository root.
        path: String,
        /// Where and why.
        error: ParseError,
    },
    /// A `[[metric]]` table or a `--rule` with a value that does not fit its key.
    #[error("{rule}: {key} {problem}")]
    Rule {
        /// `metric `NAME``, or the `--rule` as written.
        rule: String,
        /// The key.
        key: String,
        /// What it should be, and what it was.
        problem: String,
    },
    /// A `[[plots]]` table that declares no plot.
    #[error("invalid configuration: plot `{plot}` {problem}")]
    Plot {
        /// Its path or name.
        plot: String,
        /// What is missing.
        problem: &'static str,
    },
    /// A `[[data]]` check with a value that does not fit its key.
    #[error("invalid configuration: data `{path}`: {key} {problem}")]
    Data {
        /// The data file.
        path: String,
        /// The key.
        key: String,
        /// What it should be, and what it was.
        problem: String,
    },
    /// A top-level setting (or its flag) with a value that does not fit.
    #[error("invalid configuration: {key} {problem}")]
    Value {
        /// The key.
        key: &'static str,
        /// What it should be, and what it was.
        problem: String,
    },
    /// A report id that cannot go into a hidden marker and a ref name.
    #[error("invalid report id `{0}`: use 1 to 64 letters, digits, `-`, `_` or `.`")]
    Id(String),
}

impl ConfigError {
    /// The fix to suggest.
    pub fn hint(&self) -> &'static str {
        match self {
            ConfigError::Parse { .. } => {
                "fix the file, or see the `.mlci.toml` section of the README"
            }
            ConfigError::Rule { .. } => "see \"Verdicts and gates\" in the README",
            ConfigError::Plot { .. } | ConfigError::Data { .. } | ConfigError::Value { .. } => {
                "see the `.mlci.toml` section of the README"
            }
            ConfigError::Id(_) => "set `--id`, or `id` in .mlci.toml",
        }
    }
}

impl Settings {
    /// Parses `.mlci.toml`.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Settings, ConfigError> {
        let error = |error: ParseError| ConfigError::Parse {
            path: path.to_owned(),
            error,
        };
        let text = crate::inputs::utf8(bytes).map_err(error)?;
        toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |span| span.start);
            error(ParseError::at_offset(text, offset, e.message().trim()))
        })
    }
}

/// Every top-level key of `.mlci.toml`: (key, type, meaning). The README's reference is
/// generated from it, and a test checks it against [`Settings`], so neither can drift.
pub const KEYS: &[(&str, &str, &str)] = &[
    ("title", "string", "report title (default `mlci report`)"),
    (
        "id",
        "string",
        "report id: one sticky report per id on a pull request (default `default`)",
    ),
    (
        "base",
        "string",
        "base revision when neither `--base` nor the CI event names one",
    ),
    (
        "metrics",
        "list of strings",
        "extra metrics files: paths, directories or globs, from the repository root",
    ),
    (
        "params",
        "list of strings",
        "extra params files: paths, directories or globs, from the repository root",
    ),
    (
        "plots",
        "array of tables",
        "extra plots, `[[plots]]`: the keys below",
    ),
    (
        "fail_on",
        "string",
        "when the gate fails (exit code 1): `regression`, `change` or `never`; default `regression` when a `[[metric]]` or `[[data]]` is configured, else `never`",
    ),
    (
        "alpha",
        "number",
        "significance level of Welch's t-test on metrics with several values (default 0.05)",
    ),
    (
        "metric",
        "array of tables",
        "rules for metrics, `[[metric]]`: the keys below",
    ),
    (
        "repeats",
        "list of strings",
        "globs of metrics files that are runs of one experiment (`runs/seed-*/metrics.json`): compared by mean ± sd with Welch's test",
    ),
    (
        "data",
        "array of tables",
        "data files to profile and check, `[[data]]`: the keys below",
    ),
    (
        "max_file_size",
        "integer or string",
        "metrics, params, plot data and image files larger than this are skipped with a warning (a skipped head file counts as missing): bytes, or a size with a unit (`\"256 MiB\"`); default 64 MiB. Data files (`[[data]]`) are streamed and not limited",
    ),
    (
        "discover",
        "boolean",
        "look for training runs (Transformers, Lightning, Keras, MLflow, TensorBoard, W&B, Ultralytics, lm-eval) in the places they write to when `dvc.yaml`, dvclive and this file declare nothing; default `true`",
    ),
    (
        "runs",
        "array of tables",
        "training runs to read wherever they are, `[[runs]]`: the keys below; read even when something is declared",
    ),
];

/// Every key of a `[[runs]]` table: (key, type, meaning).
pub const RUN_KEYS: &[(&str, &str, &str)] = &[
    (
        "path",
        "string",
        "the folder that holds the run (Keras: the `CSVLogger` file), from the repository root",
    ),
    (
        "format",
        "string",
        "its stack: `transformers`, `lightning`, `keras`, `mlflow`, `tensorboard`, `wandb`, `ultralytics` or `lm-eval`",
    ),
];

/// Every key of a `[[metric]]` table (and of `--rule`): (key, type, meaning).
pub const METRIC_KEYS: &[(&str, &str, &str)] = &[
    (
        "name",
        "string",
        "a metric key (`test.roc_auc`), a glob (`*loss*`), or `FILE:KEY` for one file's; the first exact name wins, else the first glob",
    ),
    (
        "direction",
        "string",
        "`higher` or `lower` is better (default: from the name, else none)",
    ),
    ("min", "number", "the head value must be at least this"),
    ("max", "number", "the head value must be at most this"),
    (
        "max_regression",
        "number or string",
        "how much worse it may get: in the metric's unit (`0.01`) or of the base (`\"2%\"`); default 0",
    ),
    ("required", "boolean", "the metric must exist at head"),
    (
        "finite",
        "boolean",
        "the head value must not be NaN or infinite",
    ),
];

/// Every key of a `[[data]]` table: (key, type, meaning).
pub const DATA_KEYS: &[(&str, &str, &str)] = &[
    (
        "path",
        "string",
        "a CSV or TSV file, from the repository root",
    ),
    (
        "no_missing",
        "boolean or list",
        "`true` (every column) or the columns that may hold no empty values",
    ),
    (
        "range",
        "table",
        "allowed ranges, `{ column = [min, max] }`, for numeric columns",
    ),
    (
        "types_unchanged",
        "boolean",
        "column types (integer, number, boolean, text) must not change",
    ),
    (
        "max_row_change",
        "number or string",
        "how much the row count may change: rows (`1000`) or of the base (`\"10%\"`)",
    ),
];

/// Every key of a `[[plots]]` table: (key, type, meaning). Checked against
/// [`PlotSetting`] like [`KEYS`].
pub const PLOT_KEYS: &[(&str, &str, &str)] = &[
    (
        "path",
        "string",
        "a data or image file, a directory (one plot per file) or a glob",
    ),
    (
        "name",
        "string",
        "a name, for a plot whose `y` maps files to fields (instead of `path`)",
    ),
    (
        "x",
        "string or table",
        "the x field, or a table of file = field",
    ),
    (
        "y",
        "string, list or table",
        "the y field, a list of fields, or a table of file = field(s)",
    ),
    (
        "template",
        "string",
        "`linear`, `simple`, `smooth`, `scatter`, `scatter_jitter`, `confusion`, `confusion_normalized`, `bar_horizontal` or `bar_horizontal_sorted`",
    ),
    ("title", "string", "chart title"),
    ("x_label", "string", "x axis title"),
    ("y_label", "string", "y axis title"),
];

impl Settings {
    /// These settings, with everything that judges or bounds a run taken from `trusted`
    /// (the base's, when the head is a stranger's): the report id, the base, `fail_on`,
    /// `alpha`, the `[[metric]]` rules, `repeats`, the `[[data]]` checks and
    /// `max_file_size`. What is read and shown (title, metrics, params, plots, runs) stays.
    pub fn with_policy_from(self, trusted: Settings) -> Settings {
        Settings {
            title: self.title,
            metrics: self.metrics,
            params: self.params,
            plots: self.plots,
            discover: self.discover,
            runs: self.runs,
            ..trusted
        }
    }

    /// `max_file_size` in bytes (the default when unset).
    pub fn max_file_size(&self) -> Result<u64, ConfigError> {
        match &self.max_file_size {
            None => Ok(crate::inputs::DEFAULT_MAX_FILE_SIZE),
            Some(toml::Value::Integer(n)) if *n > 0 => Ok(*n as u64),
            Some(toml::Value::String(text)) if parse_size(text).is_some() => {
                Ok(parse_size(text).unwrap_or_default())
            }
            Some(other) => Err(ConfigError::Value {
                key: "max_file_size",
                problem: format!(
                    "is a positive number of bytes or a size such as \"64 MiB\", not {other:?}"
                ),
            }),
        }
    }

    /// The `[[plots]]` tables as `dvc.yaml` declarations.
    pub fn plot_declarations(&self) -> Result<Vec<PlotDeclaration>, ConfigError> {
        self.plots.iter().map(PlotSetting::declaration).collect()
    }
}

/// `1048576`, `512 KiB`, `64MiB`, `1.5 GB`: a size in bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * factor;
    (bytes >= 1.0 && bytes.is_finite()).then_some(bytes as u64)
}

/// The report title when none is configured.
pub const DEFAULT_TITLE: &str = "mlci report";
/// The report id when none is configured.
pub const DEFAULT_ID: &str = "default";

/// Checks a report id: it goes into a hidden HTML comment and a git ref name.
pub fn validate_id(id: &str) -> Result<String, ConfigError> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.starts_with('.');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(ConfigError::Id(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields serde expects, from the error an unknown key gets.
    fn expected_fields(toml_text: &str) -> Vec<String> {
        let error = Settings::parse(".mlci.toml", toml_text.as_bytes()).unwrap_err();
        let ConfigError::Parse { error, .. } = error else {
            panic!("not a parse error: {error}")
        };
        let message = error.to_string();
        // `expected one of `a`, `b`, `c``, or `expected `a` or `b`` for two.
        let list = message
            .split("expected one of ")
            .nth(1)
            .or_else(|| message.split("expected ").nth(1))
            .unwrap_or_else(|| panic!("no field list in `{message}`"));
        list.replace(" or ", ",")
            .split(',')
            .map(|f| f.trim().trim_matches(|c| c == '`' || c == '.').to_owned())
            .filter(|f| !f.is_empty())
            .collect()
    }

    #[test]
    fn the_key_tables_list_exactly_the_fields() {
        let mut fields = expected_fields("unknown_key = 1\n");
        let mut keys: Vec<String> = KEYS.iter().map(|(k, _, _)| (*k).to_owned()).collect();
        fields.sort();
        keys.sort();
        assert_eq!(fields, keys);
        for (table, known) in [
            ("[[plots]]", PLOT_KEYS),
            ("[[metric]]\nname = \"x\"", METRIC_KEYS),
            ("[[data]]\npath = \"x\"", DATA_KEYS),
            ("[[runs]]\npath = \"x\"\nformat = \"keras\"", RUN_KEYS),
        ] {
            let mut fields = expected_fields(&format!("{table}\nunknown_key = 1\n"));
            let mut keys: Vec<String> = known.iter().map(|(k, _, _)| (*k).to_owned()).collect();
            fields.sort();
            keys.sort();
            assert_eq!(fields, keys, "{table}");
        }
    }

    #[test]
    fn reads_every_key() {
        let settings = Settings::parse(
            ".mlci.toml",
            br#"title = "T"
id = "m1"
base = "origin/dev"
metrics = ["a/*.json"]
params = ["p.yaml"]
max_file_size = "1.5 MiB"
"#,
        )
        .unwrap();
        assert_eq!(settings.title.as_deref(), Some("T"));
        assert_eq!(settings.metrics, vec!["a/*.json"]);
        assert_eq!(settings.max_file_size(), Ok(1_572_864));
    }

    #[test]
    fn sizes_read_with_or_without_units() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size(" 2 gb "), Some(2_000_000_000));
        assert_eq!(parse_size("512 KiB"), Some(512 << 10));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("5 parsecs"), None);
        assert_eq!(
            Settings::default().max_file_size(),
            Ok(crate::inputs::DEFAULT_MAX_FILE_SIZE)
        );
        let negative = Settings::parse(".mlci.toml", b"max_file_size = -1\n").unwrap();
        assert!(negative.max_file_size().is_err());
    }

    #[test]
    fn plots_become_dvc_yaml_declarations() {
        let settings = Settings::parse(
            ".mlci.toml",
            br#"
[[plots]]
path = "results/loss.csv"
x = "epoch"
y = ["train", "val"]
template = "smooth"

[[plots]]
name = "ROC"
x = "fpr"
y = { "eval/train.json" = "tpr", "eval/test.json" = "tpr" }
"#,
        )
        .unwrap();
        let first = settings.plots[0].declaration().unwrap();
        assert_eq!(first.path.as_deref(), Some("results/loss.csv"));
        assert_eq!(
            first.properties.get("template"),
            Some(&Value::Str("smooth".into()))
        );
        let second = settings.plots[1].declaration().unwrap();
        assert_eq!(second.path, None);
        assert!(matches!(second.properties.get("y"), Some(Value::Map(files)) if files.len() == 2));
        let bad = PlotSetting {
            name: Some("x".into()),
            ..PlotSetting::default()
        };
        assert!(bad.declaration().is_err());
    }

    #[test]
    fn unknown_keys_are_errors_with_a_position() {
        let err = Settings::parse(".mlci.toml", b"title = \"x\"\nmetrix = []\n").unwrap_err();
        assert!(matches!(&err, ConfigError::Parse { error, .. } if error.line == 2));
        assert!(err.to_string().contains("unknown field `metrix`"), "{err}");
    }

    #[test]
    fn ids_are_restricted() {
        assert!(validate_id("model-a_1.2").is_ok());
        assert!(validate_id("a b").is_err());
        assert!(validate_id("-->").is_err());
        assert!(validate_id("").is_err());
    }
}
