//! Verdicts: which way is better for each metric, whether a change matters, and whether the
//! gate passes. Pure and infallible, like `diff`, whose [`Comparison`] it reads; it returns
//! data (verdicts, the reasons for them with their numbers) and words none of it: that is
//! `render::judgement`'s.
//!
//! Per metric (`metrics`): the rule that names it (`[[metric]]` in `.mlci.toml`, `--rule`)
//! gives its direction, bounds and tolerance; without one, the name gives the direction
//! (`acc` up, `loss` down) and there are no bounds; a metric with no direction is never a
//! regression. Metrics with several values (a list in the file, or the same key across the
//! files of a `repeats` glob, one file per seed) are compared by mean (`samples`), and a
//! change counts only when Welch's t-test rejects equal means at `alpha`; otherwise it is
//! "within noise" and never fails a gate. Data files are checked apart ([`data`]); the gate
//! counts both.

pub mod data;
mod metrics;
mod policy;
mod samples;
#[cfg(test)]
mod tests;

use crate::diff::{Comparison, Side, Status};
use crate::model::{Number, Scalar};
use crate::stats::Stats;

pub use data::{DataCheck, DataChecks, DataRule};
pub use policy::{FailOn, MetricPattern, Policy, Rule, Tolerance};

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

/// One side of a metric: nothing, one value, or a sample.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Absent at this revision.
    Missing,
    /// One value.
    Value(Scalar),
    /// Several values (seeds, repeated runs).
    Sample(Stats),
    /// One value with the standard error its run reported (lm-eval's `*_stderr`).
    Estimate {
        /// The value.
        value: Scalar,
        /// Its standard error.
        error: f64,
    },
}

impl Cell {
    /// The value as a number (see [`number`]).
    fn number(&self) -> Option<f64> {
        match self {
            Cell::Value(scalar) => number(scalar),
            Cell::Sample(stats) => Some(stats.mean),
            Cell::Estimate { value, .. } => number(value),
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
    /// Why, finding by finding (a p-value, a bound, the tolerance); `render::judgement`
    /// words them.
    pub reasons: Vec<Reason>,
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

/// One reason for a verdict, with the numbers it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// The rule says `required`, and the metric is missing at head.
    RequiredMissing,
    /// A bound or `finite` applies, and the head value is not a number.
    NotANumber,
    /// The rule says `finite`, and the head value is not.
    NotFinite(NonFinite),
    /// The rule says `finite`, and a value of the head's sample is not.
    SampleNotFinite,
    /// The head value is NaN, and the rule has a bound.
    NanOutsideBounds,
    /// The head value is below the rule's `min`.
    BelowMin(f64),
    /// The head value is above the rule's `max`.
    AboveMax(f64),
    /// A side's sample holds a NaN or an infinity, so no noise test was made.
    NoNoiseTest(Side),
    /// Welch's t-test, with this p-value.
    PValue(f64),
    /// The head value stopped being a finite number.
    Became(NonFinite),
    /// The base value was not a finite number.
    Was(NonFinite),
    /// The rule's tolerance, which the change was held to.
    Tolerance(Tolerance),
}

/// A value that is not a finite number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonFinite {
    /// Not a number.
    NaN,
    /// Positive infinity.
    Infinity,
    /// Negative infinity.
    NegativeInfinity,
}

impl NonFinite {
    /// What a value is when it is not finite; `None` for a finite one.
    pub fn of(value: f64) -> Option<NonFinite> {
        if value.is_nan() {
            Some(NonFinite::NaN)
        } else if value.is_infinite() && value > 0.0 {
            Some(NonFinite::Infinity)
        } else if value.is_infinite() {
            Some(NonFinite::NegativeInfinity)
        } else {
            None
        }
    }

    /// The value itself.
    pub fn value(self) -> f64 {
        match self {
            NonFinite::NaN => f64::NAN,
            NonFinite::Infinity => f64::INFINITY,
            NonFinite::NegativeInfinity => f64::NEG_INFINITY,
        }
    }
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

/// Every verdict of a comparison, the data checks, and the gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The metrics, file by file.
    pub files: Vec<JudgedFile>,
    /// How far each run went (`step`, `epoch` with no rule of their own): shown with the
    /// run, never judged, never counted among the metrics that changed.
    pub progress: Vec<Progress>,
    /// The data files' checks, one entry per data file of the comparison, in its order.
    pub data: Vec<DataChecks>,
    /// When the gate fails.
    pub fail_on: FailOn,
}

/// What fails the gate: a metric's verdict, or a data check that did not hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GateFailure<'a> {
    /// A metric, with the title of its file.
    Metric {
        /// The file's path, or the `repeats` glob.
        file: &'a str,
        /// The metric.
        metric: &'a Judged,
    },
    /// A data check.
    Data {
        /// The data file.
        path: &'a str,
        /// The check.
        check: &'a DataCheck,
    },
}

impl Judgement {
    /// What fails the gate: the metrics, file by file, then the data checks.
    pub fn failures(&self) -> impl Iterator<Item = GateFailure<'_>> {
        let metrics = self
            .metrics()
            .filter(|(_, metric)| self.fail_on.fails(metric.verdict))
            .map(|(file, metric)| GateFailure::Metric { file, metric });
        let data = self
            .data
            .iter()
            .filter(|_| self.fail_on != FailOn::Never)
            .flat_map(|file| {
                file.checks
                    .iter()
                    .filter(|check| !check.passed())
                    .map(|check| GateFailure::Data {
                        path: &file.path,
                        check,
                    })
            });
        metrics.chain(data)
    }

    /// Whether the gate failed.
    pub fn gate_failed(&self) -> bool {
        self.failures().next().is_some()
    }

    /// Every judged metric with its file's title.
    pub fn metrics(&self) -> impl Iterator<Item = (&str, &Judged)> {
        self.files
            .iter()
            .flat_map(|f| f.metrics.iter().map(move |m| (f.title.as_str(), m)))
    }
}

/// Judges a comparison: every metric by its rule, and every data file by its checks.
pub fn judge(comparison: &Comparison, policy: &Policy) -> Judgement {
    let (files, progress) = metrics::judge(comparison, policy);
    Judgement {
        files,
        progress,
        data: data::check(&comparison.data, &policy.data),
        fail_on: policy.fail_on,
    }
}
