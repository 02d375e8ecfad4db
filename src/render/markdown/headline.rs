//! The headline under the title: the gate's line, then how many metrics and params changed
//! and how (regressed, improved, within noise...), and the data checks; or what was looked
//! for when nothing was found. [`Counts`] also feed the step outputs and the check run.

use std::fmt::Write as _;

use super::plural;
use crate::diff::{Comparison, Status};
use crate::verdict::{FailOn, Judgement, Verdict};

/// Counts for the headline and the step outputs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Metrics with a different value at head.
    pub changed: usize,
    /// Verdict improved.
    pub improved: usize,
    /// Verdict regressed.
    pub regressed: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Worse, within tolerance.
    pub within_tolerance: usize,
    /// Different, but within noise.
    pub within_noise: usize,
    /// Different, with no direction known.
    pub undirected: usize,
    /// Metrics only at head.
    pub added: usize,
    /// Metrics only at base.
    pub removed: usize,
    /// Metrics equal on both sides.
    pub unchanged: usize,
    /// Params that differ (including added and removed).
    pub params_changed: usize,
    /// Params only at head.
    pub params_added: usize,
    /// Params only at base.
    pub params_removed: usize,
    /// Params at either side.
    pub params: usize,
}

impl Counts {
    /// Counts the verdicts and the params of a comparison.
    pub fn of(comparison: &Comparison, judgement: &Judgement) -> Counts {
        let mut counts = Counts::default();
        for (_, metric) in judgement.metrics() {
            match metric.status {
                Status::Changed => counts.changed += 1,
                Status::Added => counts.added += 1,
                Status::Removed => counts.removed += 1,
                Status::Unchanged => counts.unchanged += 1,
            }
            match metric.verdict {
                Verdict::Improved => counts.improved += 1,
                Verdict::Regressed => counts.regressed += 1,
                Verdict::Failed => counts.failed += 1,
                Verdict::WithinTolerance => counts.within_tolerance += 1,
                Verdict::WithinNoise => counts.within_noise += 1,
                Verdict::Changed => counts.undirected += 1,
                _ => {}
            }
        }
        for row in comparison.params.iter().flat_map(|f| &f.rows) {
            counts.params += 1;
            match row.status {
                Status::Changed => counts.params_changed += 1,
                Status::Added => counts.params_added += 1,
                Status::Removed => counts.params_removed += 1,
                Status::Unchanged => {}
            }
        }
        counts
    }

    /// Regressions and failed checks: what the `regressions` output counts.
    pub fn regressions(&self) -> usize {
        self.regressed + self.failed
    }
}

/// The gate's line, when a gate is configured.
pub(super) fn gate(out: &mut String, judgement: &Judgement) {
    if judgement.fail_on == FailOn::Never {
        return;
    }
    if judgement.gate_failed() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **Gate failed** (fail on {}): {}.\n",
            match judgement.fail_on {
                FailOn::Change => "change",
                _ => "regression",
            },
            plural(
                judgement.failures().count(),
                "metric or check",
                "metrics or checks"
            )
        );
    } else {
        out.push_str("**Gate passed.** ");
    }
}

/// What the report says when it found nothing: where mlci looked, how to point it.
pub const NOTHING_FOUND: &str = "No metrics or params found at either revision. mlci looked for \
the files every `dvc.yaml` declares, dvclive's `dvclive/metrics.json` and `dvclive/params.yaml`, \
the root `params.yaml`, `metrics.json` and `results.json`, the `metrics` and `params` of \
`.mlci.toml`, and the runs Transformers, Lightning, Keras, MLflow, TensorBoard, W&B, \
Ultralytics and lm-eval write where they write them. To compare other files, name them: \
`mlci report --targets metrics.json`, or `metrics = [\"metrics.json\"]` in `.mlci.toml`; \
for a run elsewhere, `[[runs]]` (`-v` lists every file read at each revision).";

/// One line: what changed, by verdict, and the data checks. The metrics of `unpaired`
/// files (runs with nothing at the base) are not "added": they have nothing to compare with.
pub(super) fn headline(
    comparison: &Comparison,
    judgement: &Judgement,
    unpaired: &[&str],
) -> String {
    let mut counts = Counts::of(comparison, judgement);
    let alone: usize = judgement
        .files
        .iter()
        .filter(|f| unpaired.contains(&f.title.as_str()))
        .map(|f| f.metrics.len())
        .sum();
    counts.added = counts.added.saturating_sub(alone);
    if alone > 0 && counts.changed + counts.added + counts.removed + counts.failed == 0 {
        return format!(
            "**Nothing at the base to compare with**: the head's {} are shown as they are.",
            plural(alone, "metric", "metrics")
        );
    }
    let total_metrics = counts.changed + counts.added + counts.removed + counts.unchanged;
    let data_failed: usize = judgement
        .data
        .iter()
        .map(|d| d.checks.iter().filter(|c| !c.passed()).count())
        .sum();
    let data_checks: usize = judgement.data.iter().map(|d| d.checks.len()).sum();
    let params_moved = counts.params_changed + counts.params_added + counts.params_removed;
    if counts.changed + counts.added + counts.removed + params_moved + counts.failed == 0
        && judgement.data.is_empty()
    {
        return if total_metrics == 0 && comparison.params.is_empty() {
            NOTHING_FOUND.to_owned()
        } else {
            format!(
                "No metric or param changed ({} compared).",
                plural(total_metrics, "metric", "metrics")
            )
        };
    }
    let mut parts = Vec::new();
    let mut changed = format!(
        "**{} changed**",
        plural(counts.changed, "metric", "metrics")
    );
    let verdicts: Vec<String> = [
        (counts.regressed, "🔴", "regressed"),
        (counts.failed, "🔴", "failed checks"),
        (counts.improved, "🟢", "improved"),
        (counts.within_tolerance, "⚪", "within tolerance"),
        (counts.within_noise, "⚪", "within noise"),
        (counts.undirected, "⚪", "without a direction"),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, mark, words)| {
        let words = if n == 1 && words == "failed checks" {
            "failed check"
        } else {
            words
        };
        format!("{mark} {n} {words}")
    })
    .collect();
    if !verdicts.is_empty() {
        let _ = write!(changed, " ({})", verdicts.join(", "));
    }
    parts.push(changed);
    if counts.added > 0 {
        parts.push(format!("{} added", counts.added));
    }
    if counts.removed > 0 {
        parts.push(format!("{} removed", counts.removed));
    }
    if counts.unchanged > 0 {
        parts.push(format!("{} unchanged", counts.unchanged));
    }
    // Params: what moved, and only when there are params at all.
    if counts.params_changed > 0 || (counts.params > 0 && params_moved == 0) {
        parts.push(format!(
            "**{} changed**",
            plural(counts.params_changed, "param", "params")
        ));
    }
    if counts.params_added > 0 {
        parts.push(format!(
            "{} added",
            plural(counts.params_added, "param", "params")
        ));
    }
    if counts.params_removed > 0 {
        parts.push(format!(
            "{} removed",
            plural(counts.params_removed, "param", "params")
        ));
    }
    if data_checks > 0 {
        parts.push(if data_failed > 0 {
            format!(
                "🔴 **{data_failed} of {} failed**",
                plural(data_checks, "data check", "data checks")
            )
        } else {
            format!(
                "🟢 {} passed",
                plural(data_checks, "data check", "data checks")
            )
        });
    }
    parts.join(" · ")
}
