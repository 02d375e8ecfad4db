//! Real outputs of real libraries (`fixtures/dvclive-run`: dvclive 3.49.1 with
//! scikit-learn 1.9.1; see its README), and what mlci makes of them.

use std::path::{Path, PathBuf};

use mlci::inputs::value::Value;

use crate::support::{TestRepo, copy_dir};

fn run_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/dvclive-run")
        .join(name)
}

/// A JSON file of the run.
fn json(run: &str, path: &str) -> Value {
    mlci::inputs::json::parse(&std::fs::read(run_dir(run).join(path)).unwrap()).unwrap()
}

/// The (x, y) points of a dvclive sklearn plot, in the order dvclive wrote them.
fn points(run: &str, kind: &str, split: &str, x: &str, y: &str) -> Vec<(f64, f64)> {
    let file = json(run, &format!("dvclive/plots/sklearn/{kind}/{split}.json"));
    let Some(Value::List(rows)) = file.get(kind) else {
        panic!("{kind}: {file:?}");
    };
    let number = |row: &Value, key: &str| match row.get(key) {
        Some(Value::Float(f)) => *f,
        Some(Value::Int(i)) => *i as f64,
        other => panic!("{key}: {other:?}"),
    };
    rows.iter()
        .map(|row| (number(row, x), number(row, y)))
        .collect()
}

/// A base and a head run: base committed on `main`, head in a branch's working tree.
fn repo(base: &str, head: &str) -> TestRepo {
    let repo = TestRepo::new();
    copy_dir(&run_dir(base), &repo.root());
    repo.commit("base run");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.replace_tree(&run_dir(head));
    repo
}

#[test]
fn areas_under_real_curves_are_sklearns_numbers() {
    for run in ["base", "head"] {
        let reference = json(run, "sklearn_reference.json");
        for split in ["train", "test"] {
            let sklearn = |key: &str| match reference.get(split).and_then(|s| s.get(key)) {
                Some(Value::Float(f)) => *f,
                other => panic!("{key}: {other:?}"),
            };
            let roc = points(run, "roc", split, "fpr", "tpr");
            let auc = mlci::render::chart::trapezoid(&roc).unwrap();
            assert!(
                (auc - sklearn("roc_auc_score")).abs() < 1e-9,
                "{run}/{split}: ROC AUC {auc} vs sklearn {}",
                sklearn("roc_auc_score")
            );
            let pr = points(run, "precision_recall", split, "recall", "precision");
            let ap = mlci::render::chart::average_precision(&pr).unwrap();
            assert!(
                (ap - sklearn("average_precision_score")).abs() < 1e-9,
                "{run}/{split}: AP {ap} vs sklearn {}",
                sklearn("average_precision_score")
            );
            // The trapezoid under the same points is not the number people quote.
            let trapezoid = mlci::render::chart::trapezoid(&pr).unwrap();
            assert!((trapezoid - ap).abs() > 1e-4, "{run}/{split}");
        }
    }
}

#[test]
fn the_report_quotes_average_precision_with_four_decimals() {
    let repo = repo("base", "head");
    let report = repo.mlci(&["report", "--dry-run"]).success();
    // test AP 0.9962997893798075 → 0.9967791291601396; ROC AUC 0.9938668… → 0.9945969…
    assert!(report.contains("AP 0.9963 → 0.9968"), "{report}");
    assert!(report.contains("ROC AUC 0.9939 → 0.9946"), "{report}");
    assert!(!report.contains("PR AUC"), "{report}");
}

#[test]
fn a_metric_that_became_nan_regresses_and_fails_the_gate() {
    // dvclive writes a NaN loss into metrics.json as the text "nan".
    let repo = repo("head", "nan_variant");
    let run = repo.mlci(&["report", "--dry-run", "--fail-on", "regression"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let report = run.stdout();
    assert!(
        report
            .contains("| train.loss | 0.0510751 | nan | changed |  | 🔴 regressed (became NaN) |"),
        "{report}"
    );
    assert!(
        run.stderr().contains("train.loss: 🔴 regressed"),
        "{}",
        run.stderr()
    );
}

#[test]
fn the_step_dvclive_writes_is_progress_not_a_changed_metric() {
    let repo = repo("base", "head");
    let report = repo.mlci(&["report", "--dry-run"]).success();
    assert!(
        report.contains("<sub>Run: step 11 → 7 (dvclive/metrics.json)</sub>"),
        "{report}"
    );
    assert!(!report.contains("| step |"), "{report}");
    // The DVC drop-in keeps it, as dvc does.
    let dvc = repo.mlci(&["metrics", "diff", "--md"]).success();
    assert!(dvc.contains("| step "), "{dvc}");
}
