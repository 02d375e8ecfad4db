//! The metrics' verdicts: each row of each metrics file judged by the rule that names it
//! (else by its name), the files of a `repeats` glob handed to [`samples`] as one group,
//! progress counters (`step`, `epoch`) set apart, and a required metric that no file has
//! failed on its own.

use std::collections::BTreeMap;

use super::samples;
use super::{Cell, Judged, JudgedFile, NonFinite, Policy, Progress, Reason, Rule, Verdict};
use crate::diff::{self, Comparison, Direction, FileDiff, Side, Status};
use crate::model::{Number, Scalar};
use crate::names;

/// Judges every metric of a comparison: the files (sorted by title) and the progress
/// counters.
pub(super) fn judge(comparison: &Comparison, policy: &Policy) -> (Vec<JudgedFile>, Vec<Progress>) {
    // Files of a `repeats` glob become one group.
    let mut grouped: BTreeMap<&str, Vec<&FileDiff>> = BTreeMap::new();
    let mut single = Vec::new();
    for file in &comparison.metrics {
        match policy.repeats.iter().find(|g| g.matches(&file.path)) {
            Some(pattern) => grouped.entry(pattern.as_str()).or_default().push(file),
            None => single.push(file),
        }
    }
    let progress = progress(&single, policy);
    let mut files: Vec<JudgedFile> = single
        .into_iter()
        .map(|file| judge_file(file, comparison, policy))
        .collect();
    files.extend(
        grouped
            .into_iter()
            .map(|(pattern, members)| samples::judge_repeats(policy, pattern, &members)),
    );
    require(&mut files, policy);
    files.sort_by(|a, b| a.title.cmp(&b.title));
    (files, progress)
}

/// Whether a key counts how far a run went (`step`, `epoch`) and no rule judges it.
pub(super) fn is_progress(policy: &Policy, path: &str, key: &str) -> bool {
    names::is_progress(key) && policy.rule_for(path, key).is_none()
}

/// The progress counters of the files, file by file.
fn progress(files: &[&FileDiff], policy: &Policy) -> Vec<Progress> {
    files
        .iter()
        .flat_map(|file| {
            file.rows
                .iter()
                .filter(|row| is_progress(policy, &file.path, &row.key))
                .map(|row| Progress {
                    path: file.path.clone(),
                    key: row.key.clone(),
                    base: row.base.clone(),
                    head: row.head.clone(),
                })
        })
        .collect()
}

/// The metrics of one file: its rows, and its lists as samples, sorted by key.
fn judge_file(file: &FileDiff, comparison: &Comparison, policy: &Policy) -> JudgedFile {
    let cell = |key: &str, value: &Option<Scalar>, side: Side| {
        let error = comparison
            .errors
            .iter()
            .find(|e| e.path == file.path && e.key == key)
            .and_then(|e| match side {
                Side::Base => e.base,
                Side::Head => e.head,
            });
        match (value, error) {
            (Some(scalar), Some(error)) if error.is_finite() && error >= 0.0 => Cell::Estimate {
                value: scalar.clone(),
                error,
            },
            (Some(scalar), _) => Cell::Value(scalar.clone()),
            (None, _) => Cell::Missing,
        }
    };
    let mut metrics: Vec<Judged> = file
        .rows
        .iter()
        .filter(|row| !is_progress(policy, &file.path, &row.key))
        .map(|row| {
            let said = comparison
                .directions
                .get(&(file.path.clone(), row.key.clone()))
                .copied();
            judge_one(
                policy,
                (&file.path, &row.key, said),
                cell(&row.key, &row.base, Side::Base),
                cell(&row.key, &row.head, Side::Head),
                row.delta,
                row.status,
            )
        })
        .collect();
    for sample in comparison.samples.iter().filter(|s| s.path == file.path) {
        metrics.push(samples::judge_sample(
            policy,
            &file.path,
            &sample.key,
            &sample.base,
            &sample.head,
        ));
    }
    metrics.sort_by(|a, b| a.key.cmp(&b.key));
    JudgedFile {
        title: file.path.clone(),
        runs: None,
        metrics,
    }
}

/// A required metric that no file has fails too: a file absent at both sides, or skipped
/// for its size, leaves no row to judge (a row missing at head fails in [`judge_one`]).
fn require(files: &mut Vec<JudgedFile>, policy: &Policy) {
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
            reasons: vec![Reason::RequiredMissing],
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
}

/// Judges one metric by the rule for it; `said` is the direction its file gives it, which
/// a rule overrides and which overrides the name's.
pub(super) fn judge_one(
    policy: &Policy,
    (path, key, said): (&str, &str, Option<Direction>),
    base: Cell,
    head: Cell,
    delta: Option<Number>,
    status: Status,
) -> Judged {
    let rule = policy.rule_for(path, key);
    let mut judged = Judged {
        key: key.to_owned(),
        base,
        head,
        delta,
        status,
        verdict: Verdict::Unchanged,
        reasons: Vec::new(),
    };
    if let Some(failure) = rule.and_then(|r| check(r, &judged.head)) {
        judged.verdict = Verdict::Failed;
        judged.reasons.push(failure);
        return judged;
    }
    judged.verdict = match status {
        Status::Unchanged => Verdict::Unchanged,
        Status::Added => Verdict::Added,
        Status::Removed => Verdict::Removed,
        Status::Changed => judge_change(&mut judged, rule, said, policy.alpha),
    };
    judged
}

/// The verdict on a metric whose value changed; its reasons go onto `judged`'s.
fn judge_change(
    judged: &mut Judged,
    rule: Option<&Rule>,
    said: Option<Direction>,
    alpha: f64,
) -> Verdict {
    let (Some(b), Some(h)) = (judged.base.number(), judged.head.number()) else {
        return Verdict::Changed;
    };
    let direction = rule
        .and_then(|r| r.direction)
        .or(said)
        .or_else(|| diff::direction(&judged.key));
    // A value that is not a number says nothing about noise, and a metric that stopped
    // being a number has not improved.
    let valid = |cell: &Cell| match cell {
        Cell::Sample(s) => s.mean.is_finite() && s.sd.is_finite(),
        _ => true,
    };
    let samples_valid = valid(&judged.base) && valid(&judged.head);
    if !samples_valid {
        let side = if valid(&judged.head) {
            Side::Base
        } else {
            Side::Head
        };
        judged.reasons.push(Reason::NoNoiseTest(side));
    }
    if let Some(became) = NonFinite::of(h) {
        judged.reasons.push(Reason::Became(became));
        return match (b.is_finite(), direction) {
            (true, Some(_)) => Verdict::Regressed,
            _ => Verdict::Changed,
        };
    }
    if let Some(was) = NonFinite::of(b) {
        judged.reasons.push(Reason::Was(was));
        return Verdict::Changed;
    }
    if samples_valid && let Some(test) = samples::noise_test(&judged.base, &judged.head) {
        judged.reasons.push(Reason::PValue(test.p));
        let significant = test.p < alpha;
        if !significant {
            return Verdict::WithinNoise;
        }
    }
    let worse = match direction {
        None => return Verdict::Changed,
        Some(Direction::Higher) => h < b,
        Some(Direction::Lower) => h > b,
    };
    if h == b {
        Verdict::Unchanged
    } else if !worse {
        Verdict::Improved
    } else {
        match rule.and_then(|r| r.max_regression) {
            Some(tolerance) => {
                judged.reasons.push(Reason::Tolerance(tolerance));
                if tolerance.allows(b, h) {
                    Verdict::WithinTolerance
                } else {
                    Verdict::Regressed
                }
            }
            None => Verdict::Regressed,
        }
    }
}

/// The first check of `rule` the head value fails.
fn check(rule: &Rule, head: &Cell) -> Option<Reason> {
    let value = match head {
        Cell::Missing if rule.required => return Some(Reason::RequiredMissing),
        Cell::Missing => return None,
        cell => cell.number(),
    };
    let needs_number = rule.min.is_some() || rule.max.is_some() || rule.finite;
    let Some(value) = value else {
        return needs_number.then_some(Reason::NotANumber);
    };
    if rule.finite
        && let Some(value) = NonFinite::of(value)
    {
        return Some(Reason::NotFinite(value));
    }
    if value.is_nan() && (rule.min.is_some() || rule.max.is_some()) {
        return Some(Reason::NanOutsideBounds);
    }
    if let Some(min) = rule.min
        && value.partial_cmp(&min) == Some(std::cmp::Ordering::Less)
    {
        return Some(Reason::BelowMin(min));
    }
    if let Some(max) = rule.max
        && value.partial_cmp(&max) == Some(std::cmp::Ordering::Greater)
    {
        return Some(Reason::AboveMax(max));
    }
    None
}
