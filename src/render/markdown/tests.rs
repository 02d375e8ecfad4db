use super::{Detail, ReportContext, Unit, changed_metrics, fit, report_at};
use crate::diff::{Comparison, FileDiff, Row, Side, Status, Warning};
use crate::model::{Problem, Scalar};
use crate::render::chart::ChartOptions;
use crate::render::plots::Links;
use crate::render::{Revision, RevisionKind};
use crate::verdict::Judgement;

fn row(key: &str, base: Option<Scalar>, head: Option<Scalar>, status: Status) -> Row {
    let delta = match (
        base.as_ref().and_then(Scalar::number),
        head.as_ref().and_then(Scalar::number),
    ) {
        (Some(b), Some(h)) => Some(crate::diff::subtract(h, b)),
        _ => None,
    };
    Row {
        key: key.into(),
        base,
        head,
        delta,
        status,
    }
}

fn context<'a>(
    base: &'a Revision,
    head: &'a Revision,
    judgement: &'a Judgement,
) -> ReportContext<'a> {
    ReportContext {
        title: "mlci report",
        id: "default",
        base,
        head,
        machine: None,
        figures: &[],
        links: Links::Relative,
        charts: Box::leak(Box::new(ChartOptions::default())),
        full_report: None,
        judgement,
    }
}

fn judged(comparison: &Comparison) -> Judgement {
    crate::verdict::judge(comparison, &crate::verdict::Policy::default())
}

fn revisions() -> (Revision, Revision) {
    (
        Revision {
            name: "main".into(),
            commit: crate::sha::Sha::parse("1111111111111111111111111111111111111111"),
            kind: RevisionKind::Commit,
        },
        Revision {
            name: "working tree".into(),
            commit: crate::sha::Sha::parse("2222222222222222222222222222222222222222"),
            kind: RevisionKind::WorkingTree,
        },
    )
}

/// The whole report.
fn report(comparison: &Comparison, context: &ReportContext<'_>) -> String {
    report_at(comparison, context, Detail::Full)
}

#[test]
fn report_with_changes_params_and_a_warning() {
    let comparison = Comparison {
        metrics: vec![FileDiff {
            path: "eval/metrics.json".into(),
            rows: vec![
                row(
                    "acc",
                    Some(Scalar::Float(0.81)),
                    Some(Scalar::Float(0.85)),
                    Status::Changed,
                ),
                row(
                    "loss",
                    Some(Scalar::Float(0.5)),
                    Some(Scalar::Float(0.55)),
                    Status::Changed,
                ),
                row(
                    "model",
                    Some(Scalar::Str("rf".into())),
                    Some(Scalar::Str("xgb".into())),
                    Status::Changed,
                ),
                row("new", None, Some(Scalar::Int(3)), Status::Added),
                row(
                    "zero",
                    Some(Scalar::Int(0)),
                    Some(Scalar::Int(2)),
                    Status::Changed,
                ),
                row(
                    "same",
                    Some(Scalar::Int(7)),
                    Some(Scalar::Int(7)),
                    Status::Unchanged,
                ),
            ],
        }],
        params: vec![FileDiff {
            path: "params.yaml".into(),
            rows: vec![
                row(
                    "lr",
                    Some(Scalar::Float(0.01)),
                    Some(Scalar::Float(0.001)),
                    Status::Changed,
                ),
                row(
                    "seed",
                    Some(Scalar::Int(1)),
                    Some(Scalar::Int(1)),
                    Status::Unchanged,
                ),
            ],
        }],
        warnings: vec![Warning {
            side: Side::Base,
            path: "eval/other.json".into(),
            problem: Problem::Invalid {
                line: 3,
                column: 5,
                message: "expected ',' or '}' after an object member".into(),
            },
        }],
        plots: Vec::new(),
        samples: Vec::new(),
        data: Vec::new(),
        ..Comparison::default()
    };
    let (base, head) = revisions();
    let judgement = judged(&comparison);
    insta::assert_snapshot!(report(&comparison, &context(&base, &head, &judgement)));
}

#[test]
fn the_same_commit_on_both_sides_says_so_unless_the_working_tree_differs() {
    let unchanged = row(
        "acc",
        Some(Scalar::Float(0.8)),
        Some(Scalar::Float(0.8)),
        Status::Unchanged,
    );
    let mut comparison = Comparison {
        metrics: vec![FileDiff {
            path: "m.json".into(),
            rows: vec![unchanged],
        }],
        params: Vec::new(),
        warnings: Vec::new(),
        plots: Vec::new(),
        samples: Vec::new(),
        data: Vec::new(),
        ..Comparison::default()
    };
    let (mut base, mut head) = revisions();
    base.name = "merge-base with origin/main".into();
    head.commit = base.commit.clone();
    let judgement = judged(&comparison);
    insta::assert_snapshot!(report(&comparison, &context(&base, &head, &judgement)), @r"
    ## mlci report

    The base and the head are the same commit (1111111): nothing to compare.

    ---
    <sub>Base: merge-base with origin/main (1111111) · Head: working tree (1111111) · mlci 0.1.0</sub>

    <!-- mlci:report id=default head=1111111111111111111111111111111111111111 -->
    ");
    // New results in the working tree on that commit are a comparison.
    comparison.metrics[0].rows[0] = row(
        "acc",
        Some(Scalar::Float(0.8)),
        Some(Scalar::Float(0.9)),
        Status::Changed,
    );
    let judgement = judged(&comparison);
    let text = report(&comparison, &context(&base, &head, &judgement));
    assert!(!text.contains("nothing to compare"), "{text}");
    assert!(text.contains("| acc |"), "{text}");
    // Different commits with nothing changed: the usual summary.
    comparison.metrics[0].rows[0].status = Status::Unchanged;
    comparison.metrics[0].rows[0].head = Some(Scalar::Float(0.8));
    let (base, head) = revisions();
    let judgement = judged(&comparison);
    let text = report(&comparison, &context(&base, &head, &judgement));
    assert!(text.contains("No metric or param changed"), "{text}");
}

#[test]
fn hostile_names_are_escaped() {
    let comparison = Comparison {
        metrics: vec![FileDiff {
            path: "evil|<b>.json".into(),
            rows: vec![row(
                "a|b<script>@octocat `x`\n| injected | row |",
                Some(Scalar::Str("<img src=x onerror=alert(1)>".into())),
                Some(Scalar::Str("<!-- mlci:report id=default -->".into())),
                Status::Changed,
            )],
        }],
        ..Comparison::default()
    };
    let (base, head) = revisions();
    let judgement = judged(&comparison);
    let text = report(&comparison, &context(&base, &head, &judgement));
    let table_row = text.lines().find(|l| l.starts_with("| a")).unwrap();
    assert_eq!(table_row.matches(" | ").count(), 5, "{table_row}");
    assert!(!text.contains("<script>") && !text.contains("<img") && !text.contains("@octocat"));
    assert_eq!(text.matches("<!-- mlci:report").count(), 1);
    assert_eq!(
        table_row,
        "| a\\|b&lt;script&gt;@\u{2060}octocat &#96;x&#96;<br>\\| injected \\| row \\| \
         | &lt;img src=x onerror=alert(1)&gt; | &lt;\\!-- mlci:report id=default --&gt; | changed |  | ⚪ changed |"
    );
}

#[test]
fn fitting_keeps_whole_tables_and_says_where_the_rest_is() {
    let rows: Vec<Row> = (0..400)
        .map(|i| {
            row(
                &format!("metric_{i:03}_with_a_rather_long_name"),
                Some(Scalar::Float(f64::from(i))),
                Some(Scalar::Float(f64::from(i) + 0.5)),
                Status::Changed,
            )
        })
        .collect();
    let comparison = Comparison {
        metrics: vec![FileDiff {
            path: "m.json".into(),
            rows,
        }],
        ..Comparison::default()
    };
    let (base, head) = revisions();
    let judgement = judged(&comparison);
    let context = ReportContext {
        full_report: Some("https://github.com/o/r/actions/runs/1"),
        ..context(&base, &head, &judgement)
    };
    let render = |detail| report_at(&comparison, &context, detail);
    let full = render(Detail::Full);
    let (text, detail) = fit(&render, changed_metrics(&judgement), 10_000, Unit::Chars);
    assert!(full.chars().count() > 10_000);
    assert!(text.chars().count() <= 10_000, "{}", text.len());
    let Detail::Summary(shown) = detail else {
        panic!("{detail:?}")
    };
    assert!(shown > 50 && shown < 400, "{shown} rows");
    assert!(text.contains(&format!("… and {} more changed metrics.", 400 - shown)));
    assert!(text.contains("[full report](https://github.com/o/r/actions/runs/1)"));
    assert!(text.trim_end().ends_with("-->"), "the marker stays last");
    for line in text.lines().filter(|l| l.starts_with("| ")) {
        assert_eq!(line.matches(" | ").count(), 5, "a whole row: {line}");
    }
    let (small, detail) = fit(&render, 400, 700, Unit::Chars);
    assert!(matches!(detail, Detail::Summary(n) if n < 10), "{detail:?}");
    assert!(small.chars().count() <= 700);
}

#[test]
fn nothing_changed_says_so() {
    let comparison = Comparison {
        metrics: vec![FileDiff {
            path: "m.json".into(),
            rows: vec![row(
                "acc",
                Some(Scalar::Float(0.9)),
                Some(Scalar::Float(0.9)),
                Status::Unchanged,
            )],
        }],
        ..Comparison::default()
    };
    let (base, head) = revisions();
    let judgement = judged(&comparison);
    let text = report(&comparison, &context(&base, &head, &judgement));
    assert!(
        text.contains("No metric or param changed (1 metric compared)."),
        "{text}"
    );
}
