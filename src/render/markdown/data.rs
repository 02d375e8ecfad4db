//! The Data section: each data file's rows and columns (type, missing values, range) at
//! base → head, and its checks with what broke them.

use std::fmt::Write as _;

use super::plural;
use crate::diff::DataDiff;
use crate::model::{ColumnProfile, DataProfile};
use crate::render::judgement::{self, findings};
use crate::render::{escape, format};
use crate::verdict::DataChecks;

fn columns_of(profile: Option<&DataProfile>) -> Vec<&ColumnProfile> {
    profile
        .map(|p| p.columns.iter().collect())
        .unwrap_or_default()
}

fn find_column<'a>(columns: &[&'a ColumnProfile], name: &str) -> Option<&'a ColumnProfile> {
    columns.iter().find(|c| c.name == name).copied()
}

/// The data files: rows, columns with their type, missing values and range, base → head,
/// and the checks.
pub(super) fn data_section(out: &mut String, diffs: &[DataDiff], checks: &[DataChecks]) {
    if diffs.is_empty() {
        return;
    }
    out.push_str("### Data\n\n");
    let both = |a: String, b: String| if a == b { a } else { format!("{a} → {b}") };
    // `checks` has one entry per data file, in the same order.
    for (diff, file) in diffs.iter().zip(checks) {
        let _ = writeln!(out, "#### {}\n", escape::inline(&diff.path));
        let rows = |p: Option<&DataProfile>| p.map_or("—".to_owned(), |p| p.rows.to_string());
        let mut line = format!(
            "Rows: {}",
            both(rows(diff.base.as_ref()), rows(diff.head.as_ref()))
        );
        if let (Some(base), Some(head)) = (&diff.base, &diff.head)
            && base.rows != head.rows
            && base.rows > 0
        {
            #[expect(clippy::cast_precision_loss, reason = "row counts far below 2^52")]
            let ratio = (head.rows as f64 - base.rows as f64) / base.rows as f64;
            let _ = write!(line, " ({})", format::percent(ratio));
        }
        let (base_columns, head_columns) = (
            columns_of(diff.base.as_ref()),
            columns_of(diff.head.as_ref()),
        );
        let added: Vec<String> = head_columns
            .iter()
            .filter(|h| diff.base.is_some() && !base_columns.iter().any(|b| b.name == h.name))
            .map(|h| format!("`{}`", escape::inline(&h.name)))
            .collect();
        let removed: Vec<String> = base_columns
            .iter()
            .filter(|b| diff.head.is_some() && !head_columns.iter().any(|h| h.name == b.name))
            .map(|b| format!("`{}`", escape::inline(&b.name)))
            .collect();
        let _ = write!(
            line,
            " · {}",
            plural(
                head_columns.len().max(base_columns.len()),
                "column",
                "columns"
            )
        );
        if !added.is_empty() {
            let _ = write!(line, " · added {}", added.join(", "));
        }
        if !removed.is_empty() {
            let _ = write!(line, " · removed {}", removed.join(", "));
        }
        let _ = writeln!(out, "{line}\n");
        let mut names: Vec<&str> = head_columns.iter().map(|c| c.name.as_str()).collect();
        for b in &base_columns {
            if !names.contains(&b.name.as_str()) {
                names.push(&b.name);
            }
        }
        if !names.is_empty() {
            out.push_str("| Column | Type | Missing | Min | Max |\n|:--|:--|--:|--:|--:|\n");
            for name in names {
                let (b, h) = (
                    find_column(&base_columns, name),
                    find_column(&head_columns, name),
                );
                let show = |c: Option<&ColumnProfile>, f: &dyn Fn(&ColumnProfile) -> String| {
                    c.map_or("—".to_owned(), f)
                };
                let number = |x: Option<f64>| x.map_or("—".to_owned(), format::float);
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    escape::inline(name),
                    both(
                        show(b, &|c| c.kind.name().to_owned()),
                        show(h, &|c| c.kind.name().to_owned())
                    ),
                    both(
                        show(b, &|c| c.missing.to_string()),
                        show(h, &|c| c.missing.to_string())
                    ),
                    both(show(b, &|c| number(c.min)), show(h, &|c| number(c.min))),
                    both(show(b, &|c| number(c.max)), show(h, &|c| number(c.max))),
                );
            }
            out.push('\n');
        }
        for check in &file.checks {
            let name = judgement::check(&check.check);
            if check.passed() {
                let _ = writeln!(out, "- 🟢 {}", escape::inline(&name));
            } else {
                let _ = writeln!(
                    out,
                    "- 🔴 {}: {}",
                    escape::inline(&name),
                    escape::inline(&findings(&check.findings))
                );
            }
        }
        if !file.checks.is_empty() {
            out.push('\n');
        }
    }
}
