use super::{
    Cell, FailOn, GateFailure, Judgement, NonFinite, Policy, Reason, Rule, Tolerance, Verdict,
    judge,
};
use crate::diff::{Comparison, Direction, FileDiff, Row, SampleDiff, Side, Status};
use crate::inputs::glob::Glob;
use crate::model::{Number, Scalar};
use crate::stats::Stats;

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

/// The metrics that fail the gate: file, key and reasons.
fn failing(judgement: &Judgement) -> Vec<(String, String, Vec<Reason>)> {
    judgement
        .failures()
        .filter_map(|failure| match failure {
            GateFailure::Metric { file, metric } => {
                Some((file.to_owned(), metric.key.clone(), metric.reasons.clone()))
            }
            GateFailure::Data { .. } => None,
        })
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
    let got: Vec<(String, Verdict, Vec<Reason>)> = judgement
        .metrics()
        .map(|(_, m)| (m.key.clone(), m.verdict, m.reasons.clone()))
        .collect();
    let became = |value| vec![Reason::Became(value)];
    assert_eq!(
        got,
        [
            (
                "accuracy".into(),
                Verdict::Regressed,
                became(NonFinite::NaN)
            ),
            ("f1".into(), Verdict::Regressed, became(NonFinite::NaN)),
            ("loss".into(), Verdict::Regressed, became(NonFinite::NaN)),
            ("trees".into(), Verdict::Changed, became(NonFinite::NaN)),
            (
                "val_loss".into(),
                Verdict::Regressed,
                became(NonFinite::NegativeInfinity)
            ),
        ]
    );
    assert!(judgement.gate_failed());
    assert_eq!(judgement.failures().count(), 4);
}

#[test]
fn a_nan_among_samples_is_never_within_noise() {
    let comparison = Comparison {
        samples: vec![SampleDiff {
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
    assert_eq!(
        acc.reasons,
        [
            Reason::NoNoiseTest(Side::Head),
            Reason::Became(NonFinite::NaN)
        ]
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
    assert_eq!(
        failing(&judgement),
        [(
            "eval/big.json".into(),
            "auc".into(),
            vec![Reason::RequiredMissing]
        )]
    );
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
    let failing = failing(&judgement);
    assert_eq!(failing.len(), 3, "{failing:?}");
    assert_eq!(failing[1].2, [Reason::RequiredMissing]);
    assert_eq!(failing[2].2, [Reason::BelowMin(0.6)]);
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
    assert_eq!(change.failures().count(), 8);
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
    assert!(
        matches!(acc.reasons[..], [Reason::PValue(p)] if p < 0.05),
        "{:?}",
        acc.reasons
    );
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
    assert_eq!(
        failing(&judgement)[0].2,
        [Reason::NotFinite(NonFinite::NaN)]
    );
}

#[test]
fn standard_errors_tell_noise_and_files_give_directions() {
    use crate::diff::ErrorDiff;
    let mut compared = comparison(vec![
        row("mmlu.acc", Some(0.50), Some(0.55)),
        row("gsm.acc", Some(0.50), Some(0.60)),
        row("ppl.word_perplexity", Some(20.0), Some(18.0)),
    ]);
    let error = |key: &str, se: f64| ErrorDiff {
        path: "m.json".into(),
        key: key.into(),
        base: Some(se),
        head: Some(se),
    };
    // 0.05 apart with errors of 0.05 each: z ≈ 0.71, noise; 0.10 apart with 0.01: z ≈ 7.
    compared.errors = vec![error("mmlu.acc", 0.05), error("gsm.acc", 0.01)];
    // The file says lower is better for a name mlci would not know.
    compared.directions.insert(
        ("m.json".into(), "ppl.word_perplexity".into()),
        Direction::Lower,
    );
    let judgement = judge(&compared, &Policy::default());
    assert_eq!(
        verdicts(&judgement),
        [
            ("gsm.acc".to_owned(), Verdict::Improved),
            ("mmlu.acc".to_owned(), Verdict::WithinNoise),
            ("ppl.word_perplexity".to_owned(), Verdict::Improved),
        ]
    );
    let mmlu = judgement
        .metrics()
        .find(|(_, m)| m.key == "mmlu.acc")
        .unwrap()
        .1;
    assert!(matches!(mmlu.base, Cell::Estimate { error, .. } if error == 0.05));
    assert!(
        matches!(mmlu.reasons[..], [Reason::PValue(p)] if (0.4..0.6).contains(&p)),
        "{:?}",
        mmlu.reasons
    );
}
