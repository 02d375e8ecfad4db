//! Real outputs of real libraries (`fixtures/dvclive-run`: dvclive 3.49.1 with
//! scikit-learn 1.9.1; see its README), and what mlci makes of them.

use std::path::{Path, PathBuf};

use mlci::inputs::value::Value;

use crate::github_fake::Fault;
use crate::job::{Job, Tree};
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

/// An Ultralytics run logged through dvclive, committed by a public project (see
/// `fixtures/ultralytics/README.md`): base committed, head in the working tree.
fn yolo_repo() -> TestRepo {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ultralytics/brycenvn-dvc-yolov8");
    let repo = TestRepo::new();
    copy_dir(&root.join("base"), &repo.root());
    repo.commit("imgsz=512");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.replace_tree(&root.join("head"));
    repo
}

#[test]
fn ultralytics_metric_names_keep_their_direction() {
    let repo = yolo_repo();
    let report = repo.mlci(&["report", "--dry-run"]).success();
    for (name, verdict) in [
        ("metrics.mAP50(B)", "🔴 regressed"),
        ("metrics.mAP50-95(B)", "🔴 regressed"),
        ("metrics.precision(B)", "🔴 regressed"),
        ("metrics.recall(B)", "🟢 improved"),
        ("val.box\\_loss", "🔴 regressed"),
        ("train.box\\_loss", "🟢 improved"),
    ] {
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("{name}: {report}"));
        assert!(row.ends_with(&format!("| {verdict} |")), "{row}");
    }
}

#[test]
fn a_plot_missing_at_both_revisions_is_left_out_with_a_warning() {
    // `dvclive/plots/images` is declared in dvc.yaml, but DVC keeps it out of git.
    let repo = yolo_repo();
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let report = run.stdout();
    assert!(!report.contains("#### dvclive/plots/images"), "{report}");
    assert!(!report.contains(" last —"), "{report}");
    assert!(
        run.stderr()
            .contains("cannot read `dvclive/plots/images` at working tree"),
        "{}",
        run.stderr()
    );
}

#[test]
fn look_alike_plots_are_told_apart_and_per_step_images_fold() {
    let repo = repo("base", "head");
    let report = repo.mlci(&["report", "--dry-run"]).success();
    for title in [
        "Receiver operating characteristic (ROC) — train",
        "Receiver operating characteristic (ROC) — test",
        "Confusion Matrix — train",
        "Confusion Matrix — test",
    ] {
        assert_eq!(
            report.matches(&format!("#### {title}\n")).count(),
            1,
            "{report}"
        );
        assert!(
            report.contains(&format!("![{title}](plots/")),
            "alt text: {report}"
        );
    }
    // 40 steps of `log_image("pred/{i}.png")`: the last one shown, the others listed.
    assert_eq!(
        report.matches("#### dvclive/plots/images/pred/").count(),
        1,
        "{report}"
    );
    assert!(
        report.contains("#### dvclive/plots/images/pred/39.png"),
        "{report}"
    );
    assert!(
        report.contains("39 more steps of this sequence"),
        "{report}"
    );
    let hosted = std::fs::read_dir(repo.root().join("mlci-report/plots"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("pred")
        })
        .count();
    assert_eq!(hosted, 1, "only the shown step is an asset");
    // Plots come in dvc.yaml's order: metrics, images, then the sklearn plots as listed.
    let order: Vec<usize> = [
        "#### dvclive/plots/metrics/",
        "#### dvclive/plots/images/",
        "— train",
        "— test",
    ]
    .iter()
    .map(|needle| report.find(needle).unwrap_or_else(|| panic!("{needle}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn a_mermaid_report_of_a_dvclive_run_invents_no_points() {
    let repo = repo("base", "head");
    let report = repo
        .mlci(&["report", "--dry-run", "--images", "mermaid"])
        .success();
    assert!(
        !report.contains("<img") && !report.contains("](plots/"),
        "{report}"
    );
    // The loss curve: base trained 12 steps, head 8; each line keeps its own points.
    let block = report
        .split("#### dvclive/plots/metrics/train/loss.tsv")
        .nth(1)
        .and_then(|rest| rest.split("```mermaid\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("{report}"));
    let lines: Vec<usize> = block
        .lines()
        .filter_map(|l| l.trim().strip_prefix("line ["))
        .map(|values| values.trim_end_matches(']').split(',').count())
        .collect();
    assert_eq!(lines, [12, 8], "{block}");
    // Calibration curves have x values of their own: not drawn, and it says so.
    let calibration = report
        .split("#### Calibration Curve — test")
        .nth(1)
        .unwrap()
        .split("####")
        .next()
        .unwrap();
    assert!(calibration.contains("_Chart not shown: "), "{calibration}");
}

/// Two commits of the given files (a newcomer's toy repositories, from the field notes):
/// base committed, head in the working tree.
fn toy(base: &[(&str, &str)], head: &[(&str, &str)]) -> TestRepo {
    let repo = TestRepo::new();
    for (path, content) in base {
        repo.write(path, content);
    }
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    for (path, content) in head {
        repo.write(path, content);
    }
    repo
}

#[test]
fn bad_data_is_never_silent() {
    let repo = toy(
        &[
            (
                "dvc.yaml",
                "metrics:\n  - results.json\n  - summary.yaml\n  - note.yaml\nplots:\n  - plots/loss.csv:\n      x: epoch\n      y: loss\n  - train_log.csv:\n      x: step\n      y: loss\n",
            ),
            ("results.json", "[{\"epoch\": 1, \"acc\": 0.81}]\n"),
            ("summary.yaml", ""),
            ("note.yaml", "just a string\n"),
            (
                "plots/loss.csv",
                "epoch,loss,acc\n1,0.90,0.61\n2,0.71,0.70\n3,0.55,0.76\n",
            ),
            ("train_log.csv", "step,loss\n0,1.20\n1,0.95\n2,0.80\n"),
        ],
        &[
            (
                "results.json",
                "[{\"epoch\": 1, \"acc\": 0.81}, {\"epoch\": 2, \"acc\": 0.86}]\n",
            ),
            (
                "plots/loss.csv",
                "epoch,loss,acc\n1,0.88,0.62\n2,0.69\n3,n/a,0.77\n4,0.41,0.80,extra\n5,\"0.39,0.81",
            ),
            (
                "train_log.csv",
                "step,train_loss\n0,1.18\n1,0.91\n2,0.77\n3,0.70\n",
            ),
        ],
    );
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let (report, stderr) = (run.stdout(), run.stderr());
    for (file, side, what) in [
        ("results.json", "head", "is a list, not a mapping"),
        ("results.json", "base", "is a list, not a mapping"),
        ("summary.yaml", "head", "is empty: no metrics"),
        (
            "note.yaml",
            "head",
            "holds a single text value, not a mapping",
        ),
        (
            "plots/loss.csv",
            "head",
            "row 2 has 2 fields where the header has 3 (3 rows like it)",
        ),
        (
            "plots/loss.csv",
            "head",
            "column `loss` holds numbers but `n/a` in row 3",
        ),
        (
            "plots/loss.csv",
            "head",
            "line 6: a quote (\") is never closed",
        ),
        (
            "train_log.csv",
            "head",
            "no column `loss` for the plot `train_log.csv` (the columns are: step, train_loss)",
        ),
    ] {
        let in_report = report.lines().any(|l| {
            l.starts_with(&format!("> - **{}** at {side} (", file.replace('_', "\\_")))
                && l.replace('\\', "").replace("&#96;", "`").contains(what)
        });
        assert!(in_report, "{file} at {side}: {what}\n{report}");
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&format!("`{file}` at ")) && l.contains(what)),
            "{file}: {what}\n{stderr}"
        );
    }
    assert!(
        report.contains("Something looks wrong in 5 files"),
        "{report}"
    );
}

#[test]
fn finding_nothing_says_where_mlci_looked_and_how_to_point_it() {
    let repo = toy(
        &[(
            "scores/final.json",
            "{\"accuracy\": 0.912, \"loss\": 0.3181}\n",
        )],
        &[(
            "scores/final.json",
            "{\"accuracy\": 0.9305, \"loss\": 0.2907}\n",
        )],
    );
    let run = repo.mlci(&["report", "--dry-run", "-v"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let report = run.stdout();
    assert!(report.contains("No metrics or params found at either revision. mlci looked for the files every `dvc.yaml` declares"), "{report}");
    assert!(
        report.contains("`mlci report --targets metrics.json`"),
        "{report}"
    );
    assert!(
        run.stderr()
            .contains("warning: no metrics, params or plots found at either revision"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("no files found to read"),
        "{}",
        run.stderr()
    );
    // Pointed at the file, it compares it; -v names every file read, at each revision.
    let run = repo.mlci(&[
        "report",
        "--dry-run",
        "-v",
        "--targets",
        "scores/final.json",
    ]);
    assert!(
        run.stdout().contains("| accuracy | 0.912 | 0.9305 |"),
        "{}",
        run.stdout()
    );
    let stderr = run.stderr();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("merge-base with main (")
                && l.ends_with(": scores/final.json: read")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("working tree: scores/final.json: read")),
        "{stderr}"
    );
}

#[test]
fn small_things_a_newcomer_hit() {
    // A repository with no commits: say so, not "cannot find the default branch".
    let empty = TestRepo::new();
    empty.write("m.json", "{\"acc\": 1}");
    let run = empty.mlci(&["report", "--dry-run", "--targets", "m.json"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("has no commits yet"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("hint: commit the baseline run first"),
        "{}",
        run.stderr()
    );
    // An error is printed once, not again as its own cause.
    assert_eq!(
        run.stderr().matches("has no commits yet").count(),
        1,
        "{}",
        run.stderr()
    );

    // Params: none at all says nothing; all new says "added".
    let repo = toy(
        &[("m.json", "{\"acc\": 0.8}")],
        &[
            ("m.json", "{\"acc\": 0.9}"),
            ("params.yaml", "lr: 0.1\nepochs: 3\nbatch: 32\nseed: 1\n"),
        ],
    );
    let report = repo
        .mlci(&["report", "--dry-run", "--targets", "m.json"])
        .success();
    assert!(report.contains("· 4 params added"), "{report}");
    assert!(!report.contains("params changed"), "{report}");
    let no_params = toy(
        &[("m.json", "{\"acc\": 0.8}")],
        &[("m.json", "{\"acc\": 0.9}")],
    );
    let report = no_params
        .mlci(&["report", "--dry-run", "--targets", "m.json"])
        .success();
    assert!(!report.contains("param"), "{report}");

    // -C DIR: the report goes to DIR's --out, not the caller's.
    let caller = no_params.temp().join("elsewhere");
    std::fs::create_dir_all(&caller).unwrap();
    let root = no_params.root().display().to_string();
    no_params
        .mlci_in(
            &caller,
            &["-C", &root, "report", "--dry-run", "--targets", "m.json"],
        )
        .success();
    assert!(no_params.root().join("mlci-report/report.md").is_file());
    assert!(!caller.join("mlci-report").exists());
}

#[test]
fn plots_diff_takes_only_local_image_modes_and_reads_mlci_toml() {
    let repo = toy(
        &[
            ("curves/loss.csv", "epoch,loss\n1,0.9\n2,0.7\n"),
            (
                ".mlci.toml",
                "[[plots]]\npath = \"curves/loss.csv\"\nx = \"epoch\"\ny = \"loss\"\ntitle = \"Loss from mlci.toml\"\n",
            ),
        ],
        &[("curves/loss.csv", "epoch,loss\n1,0.8\n2,0.6\n3,0.5\n")],
    );
    let run = repo.mlci(&["plots", "diff", "--images", "git-ref"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("[possible values: files, mermaid, none]"),
        "{}",
        run.stderr()
    );
    let index = repo.mlci(&["plots", "diff", "-o", "charts"]).success();
    let page = std::fs::read_to_string(repo.root().join(index.trim())).unwrap();
    assert!(page.contains("Loss from mlci.toml"), "{page}");
}

#[test]
fn a_token_that_cannot_host_charts_leaves_no_broken_image_in_the_comment() {
    // The real dvclive run on a pull request; the token may comment but not write contents.
    let job = Job::github()
        .files(Tree::Copy(run_dir("base")), Tree::Copy(run_dir("head")))
        .start();
    job.fake.fault("POST", "/git/blobs", Fault::Forbidden);
    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("charts go inline as mermaid instead"),
        "{}",
        run.stderr()
    );
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    let body = &ours[0].1;
    assert!(body.contains("```mermaid"), "{body}");
    assert!(
        !body.contains("<img") && !body.contains("](plots/"),
        "a broken link: {body}"
    );
    assert!(
        body.contains("_Image not shown: images need hosting"),
        "{body}"
    );
    job.fake.assert_valid();
}
