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
//! ```

use serde::Deserialize;

use crate::inputs::ParseError;

/// The contents of `.mlci.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
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
