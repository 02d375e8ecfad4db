//! The judgement in words: each verdict's mark and label, the reasons for it, the data
//! checks and what broke them, and the gate's failures one line each (for the log and
//! GitHub's annotations). `verdict` decides and returns data; every word about it is here.

use std::fmt::Write as _;

use crate::render::format;
use crate::verdict::data::{Check, Finding};
use crate::verdict::{Cell, GateFailure, Judged, Judgement, NonFinite, Reason, Tolerance, Verdict};

/// The mark and the words the report shows for a verdict.
pub fn label(verdict: Verdict) -> &'static str {
    match verdict {
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

/// The reasons for a verdict in a few words (`p = 0.31`, `below min 0.9`,
/// `p = 0.01, tolerance 1%`); empty when there are none. A value that stopped being (or
/// was not) a number is a clause of its own, after `; `.
pub fn reasons(reasons: &[Reason]) -> String {
    let mut text = String::new();
    for reason in reasons {
        if !text.is_empty() {
            text.push_str(match reason {
                Reason::Became(_) | Reason::Was(_) => "; ",
                _ => ", ",
            });
        }
        text.push_str(&self::reason(*reason));
    }
    text
}

fn reason(reason: Reason) -> String {
    match reason {
        Reason::RequiredMissing => "required, missing at head".to_owned(),
        Reason::NotANumber => "not a number".to_owned(),
        Reason::NotFinite(value) => {
            format!("{} is not finite", format::float(value.value()))
        }
        Reason::SampleNotFinite => "a value is not finite".to_owned(),
        Reason::NanOutsideBounds => "NaN is outside every bound".to_owned(),
        Reason::BelowMin(min) => format!("below min {}", format::float(min)),
        Reason::AboveMax(max) => format!("above max {}", format::float(max)),
        Reason::NoNoiseTest(side) => format!(
            "NaN or infinity among the {}'s values: no noise test",
            format::side(side)
        ),
        Reason::PValue(p) => format!("p = {}", p_value(p)),
        Reason::Became(value) => format!("became {}", non_finite(value)),
        Reason::Was(value) => format!("was {}", non_finite(value)),
        Reason::Tolerance(allowed) => format!("tolerance {}", tolerance(allowed)),
    }
}

/// `NaN`, `+inf` or `-inf`.
fn non_finite(value: NonFinite) -> &'static str {
    match value {
        NonFinite::NaN => "NaN",
        NonFinite::Infinity => "+inf",
        NonFinite::NegativeInfinity => "-inf",
    }
}

/// A p-value in 2 significant digits, or `< 0.001`.
fn p_value(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.2}")
    }
}

/// A tolerance as written: `0.01`, or `2%`.
fn tolerance(tolerance: Tolerance) -> String {
    match tolerance {
        Tolerance::Absolute(limit) => format::float(limit),
        Tolerance::Relative(fraction) => format!("{}%", format::float(fraction * 100.0)),
    }
}

/// A data check as configured: `no_missing`, `range age [0, 120]`, `max_row_change 5%`.
pub fn check(check: &Check) -> String {
    match check {
        Check::Readable => "readable at head".to_owned(),
        Check::NoMissing(columns) if columns.is_empty() => "no_missing".to_owned(),
        Check::NoMissing(columns) => format!("no_missing {}", columns.join(", ")),
        Check::Range { column, low, high } => format!(
            "range {column} [{}, {}]",
            format::float(*low),
            format::float(*high)
        ),
        Check::TypesUnchanged => "types_unchanged".to_owned(),
        Check::MaxRowChange(allowed) => format!("max_row_change {}", tolerance(*allowed)),
    }
}

/// What broke a data check, `; ` between findings; empty when it held.
pub fn findings(findings: &[Finding]) -> String {
    findings.iter().map(finding).collect::<Vec<_>>().join("; ")
}

fn finding(finding: &Finding) -> String {
    match finding {
        Finding::Unreadable => "the file is missing or unreadable at head".to_owned(),
        Finding::NoColumn(column) => format!("no column {column}"),
        Finding::Missing { column, count } => format!("{column} has {count} missing"),
        Finding::OutOfRange { min, max } => format!(
            "values from {} to {} at head",
            format::float(*min),
            format::float(*max)
        ),
        Finding::NotNumeric { column, kind } => {
            format!("{column} is {}, not numeric", kind.name())
        }
        Finding::TypeChanged { column, base, head } => {
            format!("{column} {} → {}", base.name(), head.name())
        }
        Finding::RowsChanged { base, head } => format!("{base} → {head} rows"),
    }
}

/// What failed the gate, one line each: `m.json acc: 🔴 regressed (0.9 → 0.8; p = 0.01)`,
/// `data/train.csv: no_missing failed (age has 3 missing)`.
pub fn failures(judgement: &Judgement) -> Vec<String> {
    judgement
        .failures()
        .map(|failure| match failure {
            GateFailure::Metric { file, metric } => metric_failure(file, metric),
            GateFailure::Data { path, check } => format!(
                "{path}: {} failed ({})",
                self::check(&check.check),
                findings(&check.findings)
            ),
        })
        .collect()
}

fn metric_failure(file: &str, metric: &Judged) -> String {
    let mut line = format!("{file} {}: {}", metric.key, label(metric.verdict));
    let _ = write!(line, " ({} → {}", value(&metric.base), value(&metric.head));
    let reasons = reasons(&metric.reasons);
    if !reasons.is_empty() {
        let _ = write!(line, "; {reasons}");
    }
    line.push(')');
    line
}

/// A side of a failed metric: `missing`, a value, or a sample.
fn value(cell: &Cell) -> String {
    match cell {
        Cell::Missing => "missing".into(),
        Cell::Value(scalar) => format::value(Some(scalar)),
        Cell::Sample(stats) => format::sample(stats),
        Cell::Estimate { value, error } => format::estimate(value, *error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Side, Status};
    use crate::model::{ColumnKind, Scalar};
    use crate::verdict::data::{DataCheck, DataChecks};
    use crate::verdict::{FailOn, JudgedFile};

    #[test]
    fn reasons_read_as_before() {
        let words = |list: &[Reason]| reasons(list);
        assert_eq!(words(&[]), "");
        assert_eq!(
            words(&[Reason::RequiredMissing]),
            "required, missing at head"
        );
        assert_eq!(words(&[Reason::NotANumber]), "not a number");
        assert_eq!(
            words(&[Reason::NotFinite(NonFinite::Infinity)]),
            "∞ is not finite"
        );
        assert_eq!(words(&[Reason::SampleNotFinite]), "a value is not finite");
        assert_eq!(
            words(&[Reason::NanOutsideBounds]),
            "NaN is outside every bound"
        );
        assert_eq!(words(&[Reason::BelowMin(0.9)]), "below min 0.9");
        assert_eq!(words(&[Reason::AboveMax(1e7)]), "above max 1e+07");
        assert_eq!(words(&[Reason::PValue(0.0004)]), "p = < 0.001");
        assert_eq!(
            words(&[
                Reason::PValue(0.031),
                Reason::Tolerance(Tolerance::Relative(0.01))
            ]),
            "p = 0.03, tolerance 1%"
        );
        assert_eq!(
            words(&[
                Reason::NoNoiseTest(Side::Head),
                Reason::Became(NonFinite::NegativeInfinity)
            ]),
            "NaN or infinity among the head's values: no noise test; became -inf"
        );
        assert_eq!(
            words(&[Reason::Was(NonFinite::NaN)]),
            "was NaN",
            "a first clause has no separator"
        );
        assert_eq!(
            words(&[Reason::Tolerance(Tolerance::Absolute(0.05))]),
            "tolerance 0.05"
        );
    }

    #[test]
    fn failures_name_the_metric_its_values_and_why() {
        let metric = |key: &str, verdict, reasons| crate::verdict::Judged {
            key: key.into(),
            base: Cell::Value(Scalar::Float(0.9)),
            head: Cell::Missing,
            delta: None,
            status: Status::Removed,
            verdict,
            reasons,
        };
        let judgement = Judgement {
            files: vec![JudgedFile {
                title: "m.json".into(),
                runs: None,
                metrics: vec![
                    metric("acc", Verdict::Failed, vec![Reason::RequiredMissing]),
                    metric("old", Verdict::Removed, Vec::new()),
                ],
            }],
            progress: Vec::new(),
            data: vec![DataChecks {
                path: "data.csv".into(),
                checks: vec![DataCheck {
                    check: Check::TypesUnchanged,
                    findings: vec![
                        Finding::TypeChanged {
                            column: "age".into(),
                            base: ColumnKind::Integer,
                            head: ColumnKind::Text,
                        },
                        Finding::RowsChanged { base: 3, head: 4 },
                    ],
                }],
            }],
            fail_on: FailOn::Change,
        };
        assert_eq!(
            failures(&judgement),
            [
                "m.json acc: 🔴 failed check (0.9 → missing; required, missing at head)",
                "m.json old: ⚪ removed (0.9 → missing)",
                "data.csv: types_unchanged failed (age integer → text; 3 → 4 rows)",
            ]
        );
    }
}
