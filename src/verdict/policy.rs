//! What the verdicts depend on: the rules of `.mlci.toml` and `--rule`, compiled into a
//! [`Policy`]. Plain data, built by `config::Settings::policy`.

use super::Verdict;
use super::data::DataRule;
use crate::diff::Direction;
use crate::inputs::glob::{self, Glob};

/// When the gate fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// A metric regressed beyond its tolerance, or a check failed.
    Regression,
    /// Any metric changed (beyond noise), or a check failed.
    Change,
    /// Never: the report only informs.
    Never,
}

impl FailOn {
    /// Whether a metric with this verdict fails the gate.
    pub fn fails(self, verdict: Verdict) -> bool {
        match (self, verdict) {
            (FailOn::Never, _) => false,
            (_, Verdict::Failed | Verdict::Regressed) => true,
            (
                FailOn::Change,
                Verdict::Improved
                | Verdict::WithinTolerance
                | Verdict::Changed
                | Verdict::Added
                | Verdict::Removed,
            ) => true,
            _ => false,
        }
    }
}

/// How much worse a metric may get before it is a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// In the metric's unit.
    Absolute(f64),
    /// A fraction of the base value (`"2%"` is 0.02).
    Relative(f64),
}

impl Tolerance {
    /// Whether going from `base` to `head` stays within the tolerance (either way).
    pub(super) fn allows(self, base: f64, head: f64) -> bool {
        let worse_by = (head - base).abs();
        match self {
            Tolerance::Absolute(limit) => worse_by <= limit,
            Tolerance::Relative(fraction) => base != 0.0 && worse_by <= fraction * base.abs(),
        }
    }
}

/// A metric key or glob (`test.roc_auc`, `*loss*`), or `FILE:KEY` for one file's, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPattern {
    text: String,
    file: Option<Glob>,
    key: Glob,
}

impl MetricPattern {
    /// Compiles a pattern.
    pub fn new(text: &str) -> MetricPattern {
        let (file, key) = match text.split_once(':') {
            Some((file, key)) => (Some(Glob::path(file)), Glob::key(key)),
            None => (None, Glob::key(text)),
        };
        MetricPattern {
            text: text.to_owned(),
            file,
            key,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The file it names (`FILE:KEY`) and the key.
    pub fn file_and_key(&self) -> (Option<&str>, &str) {
        (self.file.as_ref().map(Glob::as_str), self.key.as_str())
    }
}

impl Default for MetricPattern {
    fn default() -> MetricPattern {
        MetricPattern::new("")
    }
}

impl From<&str> for MetricPattern {
    fn from(text: &str) -> MetricPattern {
        MetricPattern::new(text)
    }
}

/// What a rule says about the metrics it names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    /// The metrics it names.
    pub pattern: MetricPattern,
    /// Which way is better (else the name's default).
    pub direction: Option<Direction>,
    /// The head value must be at least this.
    pub min: Option<f64>,
    /// The head value must be at most this.
    pub max: Option<f64>,
    /// How much worse it may get.
    pub max_regression: Option<Tolerance>,
    /// The metric must exist at head.
    pub required: bool,
    /// The head value must be finite (no NaN or infinity).
    pub finite: bool,
}

impl Rule {
    /// Whether the rule names the metric `key` of file `path`.
    pub fn matches(&self, path: &str, key: &str) -> bool {
        let pattern = &self.pattern;
        pattern.file.as_ref().is_none_or(|file| file.matches(path)) && pattern.key.matches(key)
    }

    fn is_exact(&self) -> bool {
        !glob::is_pattern(self.pattern.as_str())
    }
}

/// Everything the verdicts depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Rules, in the order written.
    pub rules: Vec<Rule>,
    /// Data checks.
    pub data: Vec<DataRule>,
    /// Globs of metrics files that are runs of one experiment (one file per seed).
    pub repeats: Vec<Glob>,
    /// When the gate fails.
    pub fail_on: FailOn,
    /// The significance level of the t-test.
    pub alpha: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            rules: Vec::new(),
            data: Vec::new(),
            repeats: Vec::new(),
            fail_on: FailOn::Never,
            alpha: 0.05,
        }
    }
}

impl Policy {
    /// The rule for a metric: the first exact one that names it, else the first glob.
    pub fn rule_for(&self, path: &str, key: &str) -> Option<&Rule> {
        let matching = || self.rules.iter().filter(|r| r.matches(path, key));
        matching()
            .find(|r| r.is_exact())
            .or_else(|| matching().next())
    }
}
