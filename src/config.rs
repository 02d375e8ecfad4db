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
use crate::inputs::value::Value;

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
    pub fn declaration(&self) -> Result<PlotDeclaration, String> {
        let id = match (&self.path, &self.name) {
            (Some(path), None) => path.clone(),
            (None, Some(name)) => name.clone(),
            _ => return Err("a plot needs exactly one of `path` or `name`".to_owned()),
        };
        if self.name.is_some() && !matches!(self.y, Some(toml::Value::Table(_))) {
            return Err(format!(
                "plot `{id}`: a named plot needs `y` as a table of file = field"
            ));
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

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration `{path}`: {error}")]
pub struct ConfigError {
    /// The file, relative to the repository root.
    pub path: String,
    /// Where and why.
    pub error: ParseError,
}

impl Settings {
    /// Parses `.mlci.toml`.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Settings, ConfigError> {
        let error = |error: ParseError| ConfigError {
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

/// The report title when none is configured.
pub const DEFAULT_TITLE: &str = "mlci report";
/// The report id when none is configured.
pub const DEFAULT_ID: &str = "default";

/// Checks a report id: it goes into a hidden HTML comment and a git ref name.
pub fn validate_id(id: &str) -> Result<String, String> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.starts_with('.');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "invalid report id `{id}`: use 1 to 64 letters, digits, `-`, `_` or `.`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields serde expects, from the error an unknown key gets.
    fn expected_fields(toml_text: &str) -> Vec<String> {
        let error = Settings::parse(".mlci.toml", toml_text.as_bytes()).unwrap_err();
        let message = error.error.to_string();
        let list = message
            .split("expected one of ")
            .nth(1)
            .unwrap_or_else(|| panic!("no field list in `{message}`"));
        list.split(',')
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
        let mut fields = expected_fields("[[plots]]\nunknown_key = 1\n");
        let mut keys: Vec<String> = PLOT_KEYS.iter().map(|(k, _, _)| (*k).to_owned()).collect();
        fields.sort();
        keys.sort();
        assert_eq!(fields, keys);
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
"#,
        )
        .unwrap();
        assert_eq!(settings.title.as_deref(), Some("T"));
        assert_eq!(settings.metrics, vec!["a/*.json"]);
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
        let err = Settings::parse(".mlci.toml", b"title = \"x\"\nmetric = []\n").unwrap_err();
        assert_eq!(err.error.line, 2);
        assert!(err.to_string().contains("unknown field `metric`"), "{err}");
    }

    #[test]
    fn ids_are_restricted() {
        assert!(validate_id("model-a_1.2").is_ok());
        assert!(validate_id("a b").is_err());
        assert!(validate_id("-->").is_err());
        assert!(validate_id("").is_err());
    }
}
