//! Data checks: the `[[data]]` rules held against the head's profile of each data file
//! (no missing values, ranges, column types, row count). A stage of its own: [`check`]
//! reads only the comparison's data profiles and the `[[data]]` rules, never a metric;
//! [`super::judge`] keeps its results next to the metrics' verdicts, and the gate counts
//! both. Pure and infallible: what failed is data, worded by `render::judgement`.

use super::Tolerance;
use crate::diff::DataDiff;
use crate::model::{ColumnKind, ColumnProfile, DataProfile};

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

/// The checks of one data file.
#[derive(Debug, Clone, PartialEq)]
pub struct DataChecks {
    /// The file.
    pub path: String,
    /// The configured checks, in the order of the rules.
    pub checks: Vec<DataCheck>,
}

/// One data check and what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct DataCheck {
    /// The check, as configured.
    pub check: Check,
    /// What broke it, in column order; none when it held.
    pub findings: Vec<Finding>,
}

impl DataCheck {
    /// Whether the check held.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What a data check asks of the head's file.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// The file can be read at head: every rule needs it, and fails on its own without it.
    Readable,
    /// These columns hold no missing values (empty: every column).
    NoMissing(Vec<String>),
    /// A column's values lie within `[low, high]`.
    Range {
        /// The column.
        column: String,
        /// The smallest value allowed.
        low: f64,
        /// The largest value allowed.
        high: f64,
    },
    /// No column changes its type (an empty column has any type).
    TypesUnchanged,
    /// The row count changes by at most this much.
    MaxRowChange(Tolerance),
}

/// Something a data check found at head that breaks it.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The file is missing or unreadable.
    Unreadable,
    /// The column a check names does not exist.
    NoColumn(String),
    /// A column has missing values.
    Missing {
        /// The column.
        column: String,
        /// How many.
        count: u64,
    },
    /// A column's values reach beyond the allowed range.
    OutOfRange {
        /// The smallest value at head.
        min: f64,
        /// The largest value at head.
        max: f64,
    },
    /// A range names a column that holds no numbers.
    NotNumeric {
        /// The column.
        column: String,
        /// Its type.
        kind: ColumnKind,
    },
    /// A column's type changed.
    TypeChanged {
        /// The column.
        column: String,
        /// Its type at base.
        base: ColumnKind,
        /// Its type at head.
        head: ColumnKind,
    },
    /// The row count changed beyond the tolerance.
    RowsChanged {
        /// Rows at base.
        base: u64,
        /// Rows at head.
        head: u64,
    },
}

/// Holds every `[[data]]` rule against its file: one entry per data file of the comparison,
/// in its order (a file no rule names has no checks).
pub fn check(data: &[DataDiff], rules: &[DataRule]) -> Vec<DataChecks> {
    data.iter()
        .map(|diff| DataChecks {
            path: diff.path.clone(),
            checks: rules
                .iter()
                .filter(|rule| rule.path == diff.path)
                .flat_map(|rule| check_file(rule, diff))
                .collect(),
        })
        .collect()
}

/// The checks of one `[[data]]` rule on a data file.
fn check_file(rule: &DataRule, diff: &DataDiff) -> Vec<DataCheck> {
    let Some(head) = &diff.head else {
        return vec![DataCheck {
            check: Check::Readable,
            findings: vec![Finding::Unreadable],
        }];
    };
    let mut checks = Vec::new();
    if let Some(columns) = &rule.no_missing {
        checks.push(no_missing(columns, head));
    }
    for (column, low, high) in &rule.range {
        checks.push(range(column, *low, *high, head));
    }
    if rule.types_unchanged
        && let Some(base) = &diff.base
    {
        checks.push(types_unchanged(base, head));
    }
    if let (Some(tolerance), Some(base)) = (rule.max_row_change, &diff.base) {
        checks.push(row_change(tolerance, base, head));
    }
    checks
}

fn column<'a>(profile: &'a DataProfile, name: &str) -> Option<&'a ColumnProfile> {
    profile.columns.iter().find(|c| c.name == name)
}

/// No missing values in `columns` (every column when empty).
fn no_missing(columns: &[String], head: &DataProfile) -> DataCheck {
    let names: Vec<&str> = if columns.is_empty() {
        head.columns.iter().map(|c| c.name.as_str()).collect()
    } else {
        columns.iter().map(String::as_str).collect()
    };
    let findings = names
        .into_iter()
        .filter_map(|name| match column(head, name) {
            Some(c) if c.missing > 0 => Some(Finding::Missing {
                column: name.to_owned(),
                count: c.missing,
            }),
            Some(_) => None,
            None => Some(Finding::NoColumn(name.to_owned())),
        })
        .collect();
    DataCheck {
        check: Check::NoMissing(columns.to_vec()),
        findings,
    }
}

/// A column's values within `[low, high]`; an empty column holds.
fn range(name: &str, low: f64, high: f64, head: &DataProfile) -> DataCheck {
    let finding = match column(head, name) {
        None => Some(Finding::NoColumn(name.to_owned())),
        Some(c) => match (c.min, c.max) {
            (Some(min), Some(max)) if min < low || max > high => {
                Some(Finding::OutOfRange { min, max })
            }
            (Some(_), Some(_)) => None,
            _ if c.kind == ColumnKind::Empty => None,
            _ => Some(Finding::NotNumeric {
                column: name.to_owned(),
                kind: c.kind,
            }),
        },
    };
    DataCheck {
        check: Check::Range {
            column: name.to_owned(),
            low,
            high,
        },
        findings: finding.into_iter().collect(),
    }
}

/// Every column kept its type, where it has one on both sides.
fn types_unchanged(base: &DataProfile, head: &DataProfile) -> DataCheck {
    let findings =
        base.columns
            .iter()
            .filter_map(|b| {
                let h = column(head, &b.name)?;
                (b.kind != h.kind && b.kind != ColumnKind::Empty && h.kind != ColumnKind::Empty)
                    .then(|| Finding::TypeChanged {
                        column: b.name.clone(),
                        base: b.kind,
                        head: h.kind,
                    })
            })
            .collect();
    DataCheck {
        check: Check::TypesUnchanged,
        findings,
    }
}

/// The row count changed by at most `tolerance`.
fn row_change(tolerance: Tolerance, base: &DataProfile, head: &DataProfile) -> DataCheck {
    #[expect(clippy::cast_precision_loss, reason = "row counts far below 2^52")]
    let (b, h) = (base.rows as f64, head.rows as f64);
    let passed = tolerance.allows(b, h) || b == h;
    DataCheck {
        check: Check::MaxRowChange(tolerance),
        findings: if passed {
            Vec::new()
        } else {
            vec![Finding::RowsChanged {
                base: base.rows,
                head: head.rows,
            }]
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(
        name: &str,
        kind: ColumnKind,
        missing: u64,
        range: Option<(f64, f64)>,
    ) -> ColumnProfile {
        ColumnProfile {
            name: name.into(),
            kind,
            missing,
            min: range.map(|r| r.0),
            max: range.map(|r| r.1),
        }
    }

    fn profile(rows: u64, columns: Vec<ColumnProfile>) -> DataProfile {
        DataProfile { rows, columns }
    }

    #[test]
    fn each_check_says_what_broke_it() {
        let diff = DataDiff {
            path: "data/train.csv".into(),
            base: Some(profile(
                100,
                vec![
                    column("age", ColumnKind::Integer, 0, Some((1.0, 90.0))),
                    column("name", ColumnKind::Text, 0, None),
                ],
            )),
            head: Some(profile(
                150,
                vec![
                    column("age", ColumnKind::Number, 3, Some((-1.0, 130.0))),
                    column("name", ColumnKind::Text, 0, None),
                ],
            )),
        };
        let rule = DataRule {
            path: "data/train.csv".into(),
            no_missing: Some(vec!["age".into(), "city".into()]),
            range: vec![("age".into(), 0.0, 120.0), ("name".into(), 0.0, 1.0)],
            types_unchanged: true,
            max_row_change: Some(Tolerance::Relative(0.1)),
        };
        let [checked] = check(&[diff], &[rule]).try_into().unwrap();
        let findings: Vec<(Check, Vec<Finding>)> = checked
            .checks
            .into_iter()
            .map(|c| (c.check, c.findings))
            .collect();
        assert_eq!(
            findings,
            [
                (
                    Check::NoMissing(vec!["age".into(), "city".into()]),
                    vec![
                        Finding::Missing {
                            column: "age".into(),
                            count: 3
                        },
                        Finding::NoColumn("city".into())
                    ]
                ),
                (
                    Check::Range {
                        column: "age".into(),
                        low: 0.0,
                        high: 120.0
                    },
                    vec![Finding::OutOfRange {
                        min: -1.0,
                        max: 130.0
                    }]
                ),
                (
                    Check::Range {
                        column: "name".into(),
                        low: 0.0,
                        high: 1.0
                    },
                    vec![Finding::NotNumeric {
                        column: "name".into(),
                        kind: ColumnKind::Text
                    }]
                ),
                (
                    Check::TypesUnchanged,
                    vec![Finding::TypeChanged {
                        column: "age".into(),
                        base: ColumnKind::Integer,
                        head: ColumnKind::Number
                    }]
                ),
                (
                    Check::MaxRowChange(Tolerance::Relative(0.1)),
                    vec![Finding::RowsChanged {
                        base: 100,
                        head: 150
                    }]
                ),
            ]
        );
    }

    #[test]
    fn a_file_missing_at_head_fails_once_per_rule_and_others_have_no_checks() {
        let missing = DataDiff {
            path: "a.csv".into(),
            base: Some(profile(1, Vec::new())),
            head: None,
        };
        let other = DataDiff {
            path: "b.csv".into(),
            base: None,
            head: Some(profile(1, Vec::new())),
        };
        let rule = DataRule {
            path: "a.csv".into(),
            types_unchanged: true,
            ..DataRule::default()
        };
        let checked = check(&[missing, other], &[rule.clone(), rule]);
        assert_eq!(checked.len(), 2);
        assert_eq!(
            checked[0].checks,
            vec![
                DataCheck {
                    check: Check::Readable,
                    findings: vec![Finding::Unreadable],
                };
                2
            ]
        );
        assert!(checked[1].checks.is_empty());
    }
}
