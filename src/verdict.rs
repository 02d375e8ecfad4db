//! Verdicts: which way is better for each metric, whether a change matters, and whether the
//! gate passes. Pure and infallible, like `diff`, whose [`Comparison`] it reads.
//!
//! Per metric: the rule that names it (`[[metric]]` in `.mlci.toml`, `--rule`) gives its
//! direction, bounds and tolerance; without one, the name gives the direction (`acc` up,
//! `loss` down) and there are no bounds; a metric with no direction is never a regression.
//! Metrics with several values (a list in the file, or the same key across the files of a
//! `repeats` glob, one file per seed) are compared by mean, and a change counts only when
//! Welch's t-test rejects equal means at `alpha`; otherwise it is "within noise" and never
//! fails a gate.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::diff::{self, Comparison, Direction, Status};
use crate::inputs::glob::{self, Glob};
use crate::model::{Number, Scalar};
use crate::names;
use crate::stats::{self, Stats};

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

/// How much worse a metric may get before it is a regression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// In the metric's unit.
    Absolute(f64),
    /// A fraction of the base value (`"2%"` is 0.02).
    Relative(f64),
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

/// Checks on a data file (`[[data]]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataRule {
    /// The file.
    pub path: String,
    /// Columns that may hold no missing values (`None`: no such check; empty: all).
    pub no_missing: Option<Vec<String>>,
    /// Allowed ranges, column by column.
    pub range: Vec<(String, f64, f64)>,
    /// Column types must not change.
    pub types_unchanged: bool,
    /// How much the row count may change.
    pub max_row_change: Option<Tolerance>,
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

/// The verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// A check failed (a bound, `required`, `finite`).
    Failed,
    /// Worse beyond the tolerance (and beyond noise).
    Regressed,
    /// Better (beyond noise).
    Improved,
    /// Worse, within the tolerance.
    WithinTolerance,
    /// Different, but Welch's test cannot tell it from noise.
    WithinNoise,
    /// Different, with no direction known.
    Changed,
    /// Only at head.
    Added,
    /// Only at base.
    Removed,
    /// Equal.
    Unchanged,
}

impl Verdict {
    /// The mark and the words the report shows.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Failed => "🔴 failed check",
            Verdict::Regressed => "🔴 regressed",
            Verdict::Improved => "🟢 improved",
            Verdict::WithinTolerance => "⚪ within tolerance",
            Verdict::WithinNoise => "⚪ within noise",
            Verdict::Changed => "⚪ changed",
            Verdict::Added => "⚪ added",
            Verdict::Removed => "⚪ removed",
            Verdict::Unchanged => "⚪ unchanged",
        }
    }
}

/// One side of a metric: nothing, one value, or a sample.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Absent at this revision.
    Missing,
    /// One value.
    Value(Scalar),
    /// Several values (seeds, repeated runs).
    Sample(Stats),
}

impl Cell {
    /// The value as a number (see [`number`]).
    fn number(&self) -> Option<f64> {
        match self {
            Cell::Value(scalar) => number(scalar),
            Cell::Sample(stats) => Some(stats.mean),
            Cell::Missing => None,
        }
    }
}

/// A value as a number; the text `nan`, `inf` or `-inf` (how dvclive and others write a
/// value that is not a number into JSON) counts as what it says.
fn number(scalar: &Scalar) -> Option<f64> {
    match scalar {
        Scalar::Str(text) => match text.trim().to_ascii_lowercase().as_str() {
            "nan" | "-nan" => Some(f64::NAN),
            "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
            "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        scalar => scalar.number().map(Number::to_f64),
    }
}

/// One metric, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// Flattened key.
    pub key: String,
    /// The value(s) at base.
    pub base: Cell,
    /// The value(s) at head.
    pub head: Cell,
    /// `head - base` (of the means, for samples).
    pub delta: Option<Number>,
    /// What happened to the key, as `diff` says.
    pub status: Status,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in a few words (`p = 0.31`, `below min 0.9`, `tolerance 1%`).
    pub reason: String,
}

impl Judged {
    /// `delta / |base|`, when the base is a non-zero finite number.
    pub fn relative(&self) -> Option<f64> {
        let base = self.base.number()?;
        let delta = self.delta?.to_f64();
        (base != 0.0 && base.is_finite() && delta.is_finite()).then(|| delta / base.abs())
    }
}

/// The metrics of one file, or of the files of one `repeats` glob.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedFile {
    /// The file's path, or the glob.
    pub title: String,
    /// For a glob: how many files matched at base and at head.
    pub runs: Option<(usize, usize)>,
    /// One per key, sorted.
    pub metrics: Vec<Judged>,
}

/// One data check's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The check, as configured (`no_missing`, `range age [0, 120]`).
    pub check: String,
    /// Whether it held.
    pub passed: bool,
    /// What was found, when it did not hold.
    pub detail: String,
}

/// A data file at base and head, with its checks.
#[derive(Debug, Clone, PartialEq)]
pub struct DataReport {
    /// The file and its profiles.
    pub diff: crate::diff::DataDiff,
    /// The configured checks, in order.
    pub checks: Vec<CheckResult>,
}

/// A progress counter of a metrics file at base and head (`dvclive/metrics.json` `step`).
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The file.
    pub path: String,
    /// The key.
    pub key: String,
    /// At base.
    pub base: Option<Scalar>,
    /// At head.
    pub head: Option<Scalar>,
}

/// Every verdict of a comparison, and the gate's.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The metrics, file by file.
    pub files: Vec<JudgedFile>,
    /// How far each run went (`step`, `epoch` with no rule of their own): shown with the
    /// run, never judged, never counted among the metrics that changed.
    pub progress: Vec<Progress>,
    /// The data files.
    pub data: Vec<DataReport>,
    /// When the gate fails.
    pub fail_on: FailOn,
    /// What failed the gate, one line per metric (or check).
    pub failures: Vec<String>,
}

impl Judgement {
    /// Whether the gate failed.
    pub fn gate_failed(&self) -> bool {
        !self.failures.is_empty()
    }

    /// Every judged metric with its file's title.
    pub fn metrics(&self) -> impl Iterator<Item = (&str, &Judged)> {
        self.files
            .iter()
            .flat_map(|f| f.metrics.iter().map(move |m| (f.title.as_str(), m)))
    }

    /// How many metrics got each verdict.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.metrics().filter(|(_, m)| m.verdict == verdict).count()
    }
}

/// Judges every metric of a comparison.
pub fn judge(comparison: &Comparison, policy: &Policy) -> Judgement {
    let mut files = Vec::new();
    // Files of a `repeats` glob become one group.
    let mut grouped: BTreeMap<&str, Vec<&diff::FileDiff>> = BTreeMap::new();
    let mut single = Vec::new();
    for file in &comparison.metrics {
        match policy.repeats.iter().find(|g| g.matches(&file.path)) {
            Some(pattern) => grouped.entry(pattern.as_str()).or_default().push(file),
            None => single.push(file),
        }
    }
    let mut progress = Vec::new();
    let counts_progress =
        |path: &str, key: &str| names::is_progress(key) && policy.rule_for(path, key).is_none();
    for file in single {
        for row in file
            .rows
            .iter()
            .filter(|r| counts_progress(&file.path, &r.key))
        {
            progress.push(Progress {
                path: file.path.clone(),
                key: row.key.clone(),
                base: row.base.clone(),
                head: row.head.clone(),
            });
        }
        let mut metrics: Vec<Judged> = file
            .rows
            .iter()
            .filter(|row| !counts_progress(&file.path, &row.key))
            .map(|row| {
                let cell = |value: &Option<Scalar>| match value {
                    Some(scalar) => Cell::Value(scalar.clone()),
                    None => Cell::Missing,
                };
                judge_one(
                    policy,
                    &file.path,
                    &row.key,
                    cell(&row.base),
                    cell(&row.head),
                    row.delta,
                    row.status,
                )
            })
            .collect();
        for sample in comparison.samples.iter().filter(|s| s.path == file.path) {
            metrics.push(judge_samples(
                policy,
                &file.path,
                &sample.key,
                &sample.base,
                &sample.head,
            ));
        }
        metrics.sort_by(|a, b| a.key.cmp(&b.key));
        files.push(JudgedFile {
            title: file.path.clone(),
            runs: None,
            metrics,
        });
    }
    for (pattern, members) in grouped {
        let mut values: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        let (mut base_runs, mut head_runs) = (0, 0);
        for file in &members {
            let (mut at_base, mut at_head) = (false, false);
            for row in &file.rows {
                let entry = values.entry(row.key.as_str()).or_default();
                if let Some(x) = row.base.as_ref().and_then(number) {
                    entry.0.push(x);
                    at_base = true;
                }
                if let Some(x) = row.head.as_ref().and_then(number) {
                    entry.1.push(x);
                    at_head = true;
                }
            }
            base_runs += usize::from(at_base);
            head_runs += usize::from(at_head);
        }
        let metrics = values
            .into_iter()
            .filter(|(key, _)| !counts_progress(pattern, key))
            .map(|(key, (base, head))| judge_samples(policy, pattern, key, &base, &head))
            .collect();
        files.push(JudgedFile {
            title: pattern.to_owned(),
            runs: Some((base_runs, head_runs)),
            metrics,
        });
    }
    // A required metric that no file has fails too: a file absent at both sides, or
    // skipped for its size, leaves no row to judge (a row missing at head failed above).
    for rule in policy.rules.iter().filter(|r| r.required) {
        let seen = files.iter().any(|file| {
            file.metrics
                .iter()
                .any(|m| rule.matches(&file.title, &m.key))
        });
        if seen {
            continue;
        }
        let (title, key) = match rule.pattern.file_and_key() {
            (Some(file), key) => (file.to_owned(), key.to_owned()),
            (None, key) => ("required metrics".to_owned(), key.to_owned()),
        };
        let judged = Judged {
            key,
            base: Cell::Missing,
            head: Cell::Missing,
            delta: None,
            status: Status::Removed,
            verdict: Verdict::Failed,
            reason: "required, missing at head".into(),
        };
        match files.iter_mut().find(|f| f.title == title) {
            Some(file) if !file.metrics.iter().any(|m| m.key == judged.key) => {
                file.metrics.push(judged);
                file.metrics.sort_by(|a, b| a.key.cmp(&b.key));
            }
            Some(_) => {}
            None => files.push(JudgedFile {
                title,
                runs: None,
                metrics: vec![judged],
            }),
        }
    }
    files.sort_by(|a, b| a.title.cmp(&b.title));
    let data: Vec<DataReport> = comparison
        .data
        .iter()
        .map(|diff| DataReport {
            checks: policy
                .data
                .iter()
                .filter(|rule| rule.path == diff.path)
                .flat_map(|rule| check_data(rule, diff))
                .collect(),
            diff: diff.clone(),
        })
        .collect();
    let mut failures = failures(&files, policy.fail_on);
    if policy.fail_on != FailOn::Never {
        for report in &data {
            for check in report.checks.iter().filter(|c| !c.passed) {
                failures.push(format!(
                    "{}: {} failed ({})",
                    report.diff.path, check.check, check.detail
                ));
            }
        }
    }
    Judgement {
        files,
        progress,
        data,
        fail_on: policy.fail_on,
        failures,
    }
}

/// The checks of one `[[data]]` rule on a data file.
fn check_data(rule: &DataRule, diff: &crate::diff::DataDiff) -> Vec<CheckResult> {
    use crate::render::format::float;
    let Some(head) = &diff.head else {
        return vec![CheckResult {
            check: "readable at head".into(),
            passed: false,
            detail: "the file is missing or unreadable at head".into(),
        }];
    };
    let column = |name: &str| head.columns.iter().find(|c| c.name == name);
    let mut results = Vec::new();
    if let Some(columns) = &rule.no_missing {
        let names: Vec<&str> = if columns.is_empty() {
            head.columns.iter().map(|c| c.name.as_str()).collect()
        } else {
            columns.iter().map(String::as_str).collect()
        };
        let mut problems = Vec::new();
        for name in &names {
            match column(name) {
                Some(c) if c.missing > 0 => {
                    problems.push(format!("{name} has {} missing", c.missing))
                }
                Some(_) => {}
                None => problems.push(format!("no column {name}")),
            }
        }
        results.push(CheckResult {
            check: if columns.is_empty() {
                "no_missing".into()
            } else {
                format!("no_missing {}", columns.join(", "))
            },
            passed: problems.is_empty(),
            detail: problems.join("; "),
        });
    }
    for (name, low, high) in &rule.range {
        let check = format!("range {name} [{}, {}]", float(*low), float(*high));
        let (passed, detail) = match column(name) {
            None => (false, format!("no column {name}")),
            Some(c) => match (c.min, c.max) {
                (Some(min), Some(max)) if min < *low || max > *high => (
                    false,
                    format!("values from {} to {} at head", float(min), float(max)),
                ),
                (Some(_), Some(_)) => (true, String::new()),
                _ if c.kind == crate::model::ColumnKind::Empty => (true, String::new()),
                _ => (false, format!("{name} is {}, not numeric", c.kind.name())),
            },
        };
        results.push(CheckResult {
            check,
            passed,
            detail,
        });
    }
    if rule.types_unchanged
        && let Some(base) = &diff.base
    {
        let changes: Vec<String> = base
            .columns
            .iter()
            .filter_map(|b| {
                let h = column(&b.name)?;
                (b.kind != h.kind
                    && b.kind != crate::model::ColumnKind::Empty
                    && h.kind != crate::model::ColumnKind::Empty)
                    .then(|| format!("{} {} → {}", b.name, b.kind.name(), h.kind.name()))
            })
            .collect();
        results.push(CheckResult {
            check: "types_unchanged".into(),
            passed: changes.is_empty(),
            detail: changes.join("; "),
        });
    }
    if let (Some(tolerance), Some(base)) = (rule.max_row_change, &diff.base) {
        #[expect(clippy::cast_precision_loss, reason = "row counts far below 2^52")]
        let (b, h) = (base.rows as f64, head.rows as f64);
        let passed = within(tolerance, b, h) || b == h;
        results.push(CheckResult {
            check: format!("max_row_change {}", describe(tolerance)),
            passed,
            detail: if passed {
                String::new()
            } else {
                format!("{} → {} rows", base.rows, head.rows)
            },
        });
    }
    results
}

fn judge_samples(policy: &Policy, path: &str, key: &str, base: &[f64], head: &[f64]) -> Judged {
    let cell = |values: &[f64]| match Stats::of(values) {
        // A value that is not a number spoils the sample: its mean is what the values say
        // (NaN, or an infinity), and no noise test is made on it.
        _ if values.len() > 1 && values.iter().any(|v| !v.is_finite()) => Cell::Sample(Stats {
            n: values.len(),
            mean: values.iter().sum::<f64>() / values.len() as f64,
            sd: f64::NAN,
        }),
        Some(stats) if values.len() > 1 => Cell::Sample(stats),
        Some(stats) => Cell::Value(Scalar::Float(stats.mean)),
        None if values.is_empty() => Cell::Missing,
        None => Cell::Value(Scalar::Float(values[0])),
    };
    let (base_cell, head_cell) = (cell(base), cell(head));
    let status = match (&base_cell, &head_cell) {
        (Cell::Missing, _) => Status::Added,
        (_, Cell::Missing) => Status::Removed,
        (b, h) if b == h => Status::Unchanged,
        _ => Status::Changed,
    };
    let delta = match (base_cell.number(), head_cell.number()) {
        (Some(b), Some(h)) => Some(Number::Float(h - b)),
        _ => None,
    };
    let mut judged = judge_one(policy, path, key, base_cell, head_cell, delta, status);
    if head.iter().any(|v| !v.is_finite()) && policy.rule_for(path, key).is_some_and(|r| r.finite) {
        judged.verdict = Verdict::Failed;
        judged.reason = "a value is not finite".into();
    }
    judged
}

fn judge_one(
    policy: &Policy,
    path: &str,
    key: &str,
    base: Cell,
    head: Cell,
    delta: Option<Number>,
    status: Status,
) -> Judged {
    let rule = policy.rule_for(path, key);
    let direction = rule
        .and_then(|r| r.direction)
        .or_else(|| diff::direction(key));
    let mut judged = Judged {
        key: key.to_owned(),
        base,
        head,
        delta,
        status,
        verdict: Verdict::Unchanged,
        reason: String::new(),
    };
    if let Some(failure) = rule.and_then(|r| check(r, &judged.head)) {
        judged.verdict = Verdict::Failed;
        judged.reason = failure;
        return judged;
    }
    judged.verdict = match status {
        Status::Unchanged => Verdict::Unchanged,
        Status::Added => Verdict::Added,
        Status::Removed => Verdict::Removed,
        Status::Changed => {
            let (Some(b), Some(h)) = (judged.base.number(), judged.head.number()) else {
                return Judged {
                    verdict: Verdict::Changed,
                    ..judged
                };
            };
            // A value that is not a number says nothing about noise, and a metric that
            // stopped being a number has not improved.
            let valid = |cell: &Cell| match cell {
                Cell::Sample(s) => s.mean.is_finite() && s.sd.is_finite(),
                _ => true,
            };
            let samples_valid = valid(&judged.base) && valid(&judged.head);
            if !samples_valid {
                let side = if valid(&judged.head) { "base" } else { "head" };
                judged.reason = format!("NaN or infinity among the {side}'s values: no noise test");
            }
            if !h.is_finite() {
                let became = non_finite(h);
                return Judged {
                    verdict: match (b.is_finite(), direction) {
                        (true, Some(_)) => Verdict::Regressed,
                        _ => Verdict::Changed,
                    },
                    reason: join(&judged.reason, &format!("became {became}")),
                    ..judged
                };
            }
            if !b.is_finite() {
                return Judged {
                    verdict: Verdict::Changed,
                    reason: join(&judged.reason, &format!("was {}", non_finite(b))),
                    ..judged
                };
            }
            if let ((Cell::Sample(_), _) | (_, Cell::Sample(_)), true) =
                ((&judged.base, &judged.head), samples_valid)
            {
                let stats = |cell: &Cell| match cell {
                    Cell::Sample(s) => Some(*s),
                    Cell::Value(v) => v.number().map(|n| Stats {
                        n: 1,
                        mean: n.to_f64(),
                        sd: 0.0,
                    }),
                    Cell::Missing => None,
                };
                let test = match (stats(&judged.base), stats(&judged.head)) {
                    (Some(sb), Some(sh)) => stats::welch(&sb, &sh),
                    _ => None,
                };
                match test {
                    Some(test) if test.p < policy.alpha => {
                        judged.reason = format!("p = {}", p_value(test.p));
                    }
                    Some(test) => {
                        judged.reason = format!("p = {}", p_value(test.p));
                        return Judged {
                            verdict: Verdict::WithinNoise,
                            ..judged
                        };
                    }
                    None => {}
                }
            }
            let worse = match direction {
                None => {
                    return Judged {
                        verdict: Verdict::Changed,
                        ..judged
                    };
                }
                Some(Direction::Higher) => h < b,
                Some(Direction::Lower) => h > b,
            };
            if h == b {
                Verdict::Unchanged
            } else if !worse {
                Verdict::Improved
            } else {
                match rule.and_then(|r| r.max_regression) {
                    Some(tolerance) if within(tolerance, b, h) => {
                        append(
                            &mut judged.reason,
                            &format!("tolerance {}", describe(tolerance)),
                        );
                        Verdict::WithinTolerance
                    }
                    Some(tolerance) => {
                        append(
                            &mut judged.reason,
                            &format!("tolerance {}", describe(tolerance)),
                        );
                        Verdict::Regressed
                    }
                    None => Verdict::Regressed,
                }
            }
        }
    };
    judged
}

/// `NaN`, `+inf` or `-inf`.
fn non_finite(value: f64) -> &'static str {
    if value.is_nan() {
        "NaN"
    } else if value > 0.0 {
        "+inf"
    } else {
        "-inf"
    }
}

/// Two reasons in one.
fn join(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, _) => second.to_owned(),
        (_, true) => first.to_owned(),
        _ => format!("{first}; {second}"),
    }
}

/// The first check of `rule` the head value fails, in words.
fn check(rule: &Rule, head: &Cell) -> Option<String> {
    let value = match head {
        Cell::Missing if rule.required => return Some("required, missing at head".into()),
        Cell::Missing => return None,
        cell => cell.number(),
    };
    let needs_number = rule.min.is_some() || rule.max.is_some() || rule.finite;
    let Some(value) = value else {
        return needs_number.then(|| "not a number".into());
    };
    if rule.finite && !value.is_finite() {
        return Some(format!(
            "{} is not finite",
            crate::render::format::float(value)
        ));
    }
    if value.is_nan() && (rule.min.is_some() || rule.max.is_some()) {
        return Some("NaN is outside every bound".into());
    }
    if let Some(min) = rule.min
        && value.partial_cmp(&min) == Some(std::cmp::Ordering::Less)
    {
        return Some(format!("below min {}", crate::render::format::float(min)));
    }
    if let Some(max) = rule.max
        && value.partial_cmp(&max) == Some(std::cmp::Ordering::Greater)
    {
        return Some(format!("above max {}", crate::render::format::float(max)));
    }
    None
}

fn within(tolerance: Tolerance, base: f64, head: f64) -> bool {
    let worse_by = (head - base).abs();
    match tolerance {
        Tolerance::Absolute(limit) => worse_by <= limit,
        Tolerance::Relative(fraction) => base != 0.0 && worse_by <= fraction * base.abs(),
    }
}

fn describe(tolerance: Tolerance) -> String {
    match tolerance {
        Tolerance::Absolute(limit) => crate::render::format::float(limit),
        Tolerance::Relative(fraction) => {
            format!("{}%", crate::render::format::float(fraction * 100.0))
        }
    }
}

fn append(reason: &mut String, text: &str) {
    if !reason.is_empty() {
        reason.push_str(", ");
    }
    reason.push_str(text);
}

/// A p-value in 2 significant digits, or `< 0.001`.
pub fn p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.2}")
    }
}

/// What fails the gate, one line per metric.
fn failures(files: &[JudgedFile], fail_on: FailOn) -> Vec<String> {
    let mut out = Vec::new();
    for file in files {
        for metric in &file.metrics {
            let fails = match (fail_on, metric.verdict) {
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
            };
            if fails {
                let mut line = format!("{} {}: {}", file.title, metric.key, metric.verdict.label());
                let _ = write!(line, " ({} → {}", show(&metric.base), show(&metric.head));
                if !metric.reason.is_empty() {
                    let _ = write!(line, "; {}", metric.reason);
                }
                line.push(')');
                out.push(line);
            }
        }
    }
    out
}

fn show(cell: &Cell) -> String {
    match cell {
        Cell::Missing => "missing".into(),
        Cell::Value(scalar) => crate::render::format::value(Some(scalar)),
        Cell::Sample(stats) => crate::render::format::sample(stats),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{FileDiff, Row, SampleDiff};

    fn row(key: &str, base: Option<f64>, head: Option<f64>) -> Row {
        let status = match (base, head) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            (Some(b), Some(h)) if b == h => Status::Unchanged,
            _ => Status::Changed,
        };
        Row {
            key: key.into(),
            base: base.map(Scalar::Float),
            head: head.map(Scalar::Float),
            delta: match (base, head) {
                (Some(b), Some(h)) => Some(Number::Float(h - b)),
                _ => None,
            },
            status,
        }
    }

    fn comparison(rows: Vec<Row>) -> Comparison {
        Comparison {
            metrics: vec![FileDiff {
                path: "m.json".into(),
                rows,
            }],
            ..Comparison::default()
        }
    }

    fn verdicts(judgement: &Judgement) -> Vec<(String, Verdict)> {
        judgement
            .metrics()
            .map(|(_, m)| (m.key.clone(), m.verdict))
            .collect()
    }

    fn rule(pattern: &str) -> Rule {
        Rule {
            pattern: pattern.into(),
            ..Rule::default()
        }
    }

    #[test]
    fn a_metric_that_stops_being_a_number_regressed() {
        let nan = || Some(Scalar::Float(f64::NAN));
        let text = |t: &str| Some(Scalar::Str(t.into()));
        let mut rows = vec![
            Row {
                key: "accuracy".into(),
                base: Some(Scalar::Float(0.8)),
                head: nan(),
                delta: Some(Number::Float(f64::NAN)),
                status: Status::Changed,
            },
            Row {
                key: "loss".into(),
                base: Some(Scalar::Float(0.5)),
                head: nan(),
                delta: Some(Number::Float(f64::NAN)),
                status: Status::Changed,
            },
            // dvclive writes NaN into metrics.json as the text "nan".
            Row {
                key: "f1".into(),
                base: Some(Scalar::Float(0.7)),
                head: text("nan"),
                delta: None,
                status: Status::Changed,
            },
            Row {
                key: "val_loss".into(),
                base: Some(Scalar::Float(0.4)),
                head: Some(Scalar::Float(f64::NEG_INFINITY)),
                delta: None,
                status: Status::Changed,
            },
            Row {
                key: "trees".into(),
                base: Some(Scalar::Float(3.0)),
                head: nan(),
                delta: None,
                status: Status::Changed,
            },
        ];
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        let policy = Policy {
            rules: vec![Rule {
                max_regression: Some(Tolerance::Relative(0.5)),
                ..rule("loss")
            }],
            fail_on: FailOn::Regression,
            ..Policy::default()
        };
        let judgement = judge(&comparison(rows), &policy);
        let got: Vec<(String, Verdict, String)> = judgement
            .metrics()
            .map(|(_, m)| (m.key.clone(), m.verdict, m.reason.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("accuracy".into(), Verdict::Regressed, "became NaN".into()),
                ("f1".into(), Verdict::Regressed, "became NaN".into()),
                ("loss".into(), Verdict::Regressed, "became NaN".into()),
                ("trees".into(), Verdict::Changed, "became NaN".into()),
                ("val_loss".into(), Verdict::Regressed, "became -inf".into()),
            ]
        );
        assert!(judgement.gate_failed());
        assert_eq!(judgement.failures.len(), 4);
    }

    #[test]
    fn a_nan_among_samples_is_never_within_noise() {
        let comparison = Comparison {
            samples: vec![crate::diff::SampleDiff {
                path: "m.json".into(),
                key: "acc".into(),
                base: vec![0.8, 0.81, 0.79],
                head: vec![0.8, f64::NAN, 0.8],
            }],
            metrics: vec![FileDiff {
                path: "m.json".into(),
                rows: Vec::new(),
            }],
            ..Comparison::default()
        };
        let judgement = judge(
            &comparison,
            &Policy {
                fail_on: FailOn::Regression,
                ..Policy::default()
            },
        );
        let (_, acc) = judgement.metrics().next().unwrap();
        assert_eq!(acc.verdict, Verdict::Regressed, "{acc:?}");
        assert!(
            acc.reason
                .contains("NaN or infinity among the head's values: no noise test")
                && acc.reason.contains("became NaN"),
            "{}",
            acc.reason
        );
    }

    #[test]
    fn a_required_metric_in_no_file_fails_the_gate() {
        // Its file is absent at both revisions (or skipped for its size): no row exists.
        let comparison = comparison(vec![row("acc", Some(0.8), Some(0.8))]);
        let policy = Policy {
            rules: vec![
                Rule {
                    required: true,
                    ..rule("eval/big.json:auc")
                },
                Rule {
                    required: true,
                    ..rule("acc")
                },
            ],
            fail_on: FailOn::Regression,
            ..Policy::default()
        };
        let judgement = judge(&comparison, &policy);
        assert_eq!(judgement.failures.len(), 1, "{:?}", judgement.failures);
        assert!(
            judgement.failures[0].starts_with("eval/big.json auc: "),
            "{:?}",
            judgement.failures
        );
        assert!(judgement.failures[0].contains("required, missing at head"));
    }

    #[test]
    fn every_verdict() {
        let comparison = comparison(vec![
            row("acc", Some(0.80), Some(0.85)),
            row("auc", Some(0.90), Some(0.89)),
            row("f1", Some(0.70), Some(0.699)),
            row("loss", Some(0.5), Some(0.5)),
            row("new_metric", None, Some(1.0)),
            row("old_metric", Some(1.0), None),
            row("n_trees", Some(10.0), Some(12.0)),
            row("recall", Some(0.9), Some(0.5)),
            row("precision", Some(0.9), None),
        ]);
        let policy = Policy {
            rules: vec![
                Rule {
                    max_regression: Some(Tolerance::Relative(0.01)),
                    ..rule("f1")
                },
                Rule {
                    min: Some(0.6),
                    ..rule("recall")
                },
                Rule {
                    required: true,
                    ..rule("prec*")
                },
            ],
            fail_on: FailOn::Regression,
            ..Policy::default()
        };
        let judgement = judge(&comparison, &policy);
        assert_eq!(
            verdicts(&judgement),
            [
                ("acc".into(), Verdict::Improved),
                ("auc".into(), Verdict::Regressed),
                ("f1".into(), Verdict::WithinTolerance),
                ("loss".into(), Verdict::Unchanged),
                ("n_trees".into(), Verdict::Changed),
                ("new_metric".into(), Verdict::Added),
                ("old_metric".into(), Verdict::Removed),
                ("precision".into(), Verdict::Failed),
                ("recall".into(), Verdict::Failed),
            ]
        );
        assert_eq!(judgement.failures.len(), 3, "{:?}", judgement.failures);
        assert!(judgement.failures[1].contains("required, missing at head"));
        assert!(judgement.failures[2].contains("below min 0.6"));
        let never = judge(
            &comparison,
            &Policy {
                fail_on: FailOn::Never,
                ..policy.clone()
            },
        );
        assert!(!never.gate_failed());
        let change = judge(
            &comparison,
            &Policy {
                fail_on: FailOn::Change,
                ..policy
            },
        );
        assert_eq!(change.failures.len(), 8, "{:?}", change.failures);
    }

    #[test]
    fn a_rule_beats_the_name_and_exact_beats_glob() {
        let comparison = comparison(vec![row("val_loss", Some(0.5), Some(0.6))]);
        let policy = Policy {
            rules: vec![
                Rule {
                    direction: Some(Direction::Lower),
                    ..rule("*loss*")
                },
                Rule {
                    direction: Some(Direction::Higher),
                    ..rule("val_loss")
                },
            ],
            ..Policy::default()
        };
        assert_eq!(
            verdicts(&judge(&comparison, &policy))[0].1,
            Verdict::Improved
        );
        let file_rule = Policy {
            rules: vec![Rule {
                direction: Some(Direction::Higher),
                ..rule("other.json:val_loss")
            }],
            ..Policy::default()
        };
        assert_eq!(
            verdicts(&judge(&comparison, &file_rule))[0].1,
            Verdict::Regressed
        );
    }

    #[test]
    fn seeds_are_compared_by_welch_and_noise_never_fails() {
        let noisy = |path: &str, base: f64, head: f64| FileDiff {
            path: path.into(),
            rows: vec![row("acc", Some(base), Some(head))],
        };
        // Five seeds: the head's mean is lower, but well within the spread.
        let base = [0.842, 0.861, 0.85, 0.838, 0.866];
        let head = [0.851, 0.835, 0.858, 0.842, 0.846];
        let comparison = Comparison {
            metrics: (0..5)
                .map(|i| noisy(&format!("runs/seed-{i}/metrics.json"), base[i], head[i]))
                .collect(),
            ..Comparison::default()
        };
        let policy = Policy {
            repeats: vec![Glob::path("runs/seed-*/metrics.json")],
            fail_on: FailOn::Regression,
            rules: vec![rule("acc")],
            ..Policy::default()
        };
        let judgement = judge(&comparison, &policy);
        assert_eq!(judgement.files.len(), 1);
        assert_eq!(judgement.files[0].runs, Some((5, 5)));
        let acc = &judgement.files[0].metrics[0];
        assert_eq!(acc.verdict, Verdict::WithinNoise, "{acc:?}");
        assert!(matches!(acc.base, Cell::Sample(Stats { n: 5, .. })));
        assert!(!judgement.gate_failed());
        // Without the repeats glob, the first seed alone would cry regression.
        let plain = judge(
            &Comparison {
                metrics: vec![noisy("runs/seed-0/metrics.json", base[3], head[1])],
                ..Comparison::default()
            },
            &Policy {
                fail_on: FailOn::Regression,
                ..Policy::default()
            },
        );
        assert_eq!(plain.files[0].metrics[0].verdict, Verdict::Regressed);
        // A list in one file is a sample too; a clear drop is significant.
        let listed = Comparison {
            metrics: vec![FileDiff {
                path: "m.json".into(),
                rows: vec![],
            }],
            samples: vec![SampleDiff {
                path: "m.json".into(),
                key: "acc".into(),
                base: vec![0.90, 0.91, 0.90, 0.92],
                head: vec![0.80, 0.81, 0.79, 0.80],
            }],
            ..Comparison::default()
        };
        let judgement = judge(&listed, &Policy::default());
        let acc = &judgement.files[0].metrics[0];
        assert_eq!(acc.verdict, Verdict::Regressed);
        assert!(acc.reason.starts_with("p = "), "{}", acc.reason);
    }

    #[test]
    fn checks_on_finite_and_missing_values() {
        let comparison = comparison(vec![row("loss", Some(0.5), Some(f64::NAN))]);
        let policy = Policy {
            rules: vec![Rule {
                finite: true,
                ..rule("loss")
            }],
            fail_on: FailOn::Regression,
            ..Policy::default()
        };
        let judgement = judge(&comparison, &policy);
        assert_eq!(judgement.files[0].metrics[0].verdict, Verdict::Failed);
        assert!(judgement.failures[0].contains("not finite"));
    }
}
