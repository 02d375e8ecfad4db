//! Metrics with several values: a list in one file, or the same key across the files of a
//! `repeats` glob (one file per seed). Each side becomes a sample (n, mean, sd), judged by
//! its mean like one value, and a change counts only when Welch's t-test
//! ([`crate::stats::welch`]) tells it from noise.

use std::collections::BTreeMap;

use super::metrics::{is_progress, judge_one};
use super::{Cell, Judged, JudgedFile, Policy, Reason, Verdict, number};
use crate::diff::{FileDiff, Status};
use crate::model::{Number, Scalar};
use crate::stats::{self, Stats, TTest};

/// The files of one `repeats` glob as one group: each key's values across the files form
/// a sample at each side.
pub(super) fn judge_repeats(policy: &Policy, pattern: &str, members: &[&FileDiff]) -> JudgedFile {
    let mut values: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let (mut base_runs, mut head_runs) = (0, 0);
    for file in members {
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
        .filter(|(key, _)| !is_progress(policy, pattern, key))
        .map(|(key, (base, head))| judge_sample(policy, pattern, key, &base, &head))
        .collect();
    JudgedFile {
        title: pattern.to_owned(),
        runs: Some((base_runs, head_runs)),
        metrics,
    }
}

/// Judges a metric with several values at each side (or one, or none).
pub(super) fn judge_sample(
    policy: &Policy,
    path: &str,
    key: &str,
    base: &[f64],
    head: &[f64],
) -> Judged {
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
    let mut judged = judge_one(
        policy,
        (path, key, None),
        base_cell,
        head_cell,
        delta,
        status,
    );
    if head.iter().any(|v| !v.is_finite()) && policy.rule_for(path, key).is_some_and(|r| r.finite) {
        judged.verdict = Verdict::Failed;
        judged.reasons = vec![Reason::SampleNotFinite];
    }
    judged
}

/// One side's values as a cell: missing, one value, or a sample.
fn cell(values: &[f64]) -> Cell {
    match Stats::of(values) {
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
    }
}

/// Welch's test of a change where at least one side is a sample (a single value is a
/// sample of one with no spread); `None` when neither side is, or the test cannot be made.
pub(super) fn noise_test(base: &Cell, head: &Cell) -> Option<TTest> {
    let estimated = |cell: &Cell| match cell {
        Cell::Estimate { value, error } => Some((value.number()?.to_f64(), *error)),
        Cell::Value(value) => Some((value.number()?.to_f64(), 0.0)),
        _ => None,
    };
    if matches!(base, Cell::Estimate { .. }) || matches!(head, Cell::Estimate { .. }) {
        // Values with standard errors: the difference over its standard error, against
        // the normal distribution (the errors come from many samples).
        let ((b, eb), (h, eh)) = (estimated(base)?, estimated(head)?);
        let error = (eb * eb + eh * eh).sqrt();
        if error.is_nan() || error <= 0.0 || !(h - b).is_finite() {
            return None;
        }
        let t = (h - b) / error;
        // Student's t with this many degrees of freedom is the normal distribution.
        let df = 1e9;
        return Some(TTest {
            t,
            df,
            p: stats::two_sided_p(t, df),
        });
    }
    if !matches!(base, Cell::Sample(_)) && !matches!(head, Cell::Sample(_)) {
        return None;
    }
    let stats = |cell: &Cell| match cell {
        Cell::Sample(s) => Some(*s),
        Cell::Value(v) => v.number().map(|n| Stats {
            n: 1,
            mean: n.to_f64(),
            sd: 0.0,
        }),
        Cell::Missing | Cell::Estimate { .. } => None,
    };
    stats::welch(&stats(base)?, &stats(head)?)
}
