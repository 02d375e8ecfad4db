//! `mlci report --dry-run` end to end on real repositories.

use crate::support::{TestRepo, copy_dir};

/// A repository with a base commit on `main` and a feature branch whose working tree has the
/// head values.
fn feature_branch(base: &[(&str, &str)], head: &[(&str, &str)]) -> TestRepo {
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
fn report_compares_the_working_tree_with_the_merge_base_of_main() {
    let repo = TestRepo::new();
    repo.write("dvc.yaml", "metrics: [eval/metrics.json]\n")
        .write(
            "eval/metrics.json",
            r#"{"acc": 0.81, "loss": 0.52, "epochs": 10}"#,
        )
        .write("params.yaml", "lr: 0.01\nlayers: [64, 32]\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("params.yaml", "lr: 0.001\nlayers: [64, 32]\n");
    repo.commit("lower the learning rate");
    // A later commit on main must not become the base: the merge-base is.
    repo.git(&["checkout", "-q", "main"]);
    repo.write(
        "eval/metrics.json",
        r#"{"acc": 0.5, "loss": 9.0, "epochs": 1}"#,
    );
    repo.commit("later on main");
    repo.git(&["checkout", "-q", "feature"]);
    repo.write(
        "eval/metrics.json",
        r#"{"acc": 0.85, "loss": 0.48, "epochs": 10, "f1": 0.7}"#,
    );

    let run = repo.mlci(&["report", "--dry-run", "--out", "out"]);
    insta::assert_snapshot!(run.transcript());
    let written = std::fs::read_to_string(repo.root().join("out/report.md")).unwrap();
    assert_eq!(
        written,
        run.stdout(),
        "report.md is exactly what stdout shows"
    );
    let html = std::fs::read_to_string(repo.root().join("out/report.html")).unwrap();
    assert!(html.contains("<table>") && html.contains("eval/metrics.json"));
}

#[test]
fn same_inputs_give_a_byte_identical_report() {
    let repo = feature_branch(
        &[("dvclive/metrics.json", r#"{"acc": 0.8}"#)],
        &[("dvclive/metrics.json", r#"{"acc": 0.9}"#)],
    );
    let first = repo.mlci(&["report", "--dry-run"]).success();
    let second = repo.mlci(&["report", "--dry-run"]).success();
    assert_eq!(first, second);
    assert!(
        first.contains("dvclive/metrics.json"),
        "dvclive's default layout is read: {first}"
    );
}

#[test]
fn a_malformed_file_is_a_warning_with_its_position_and_the_exit_code_stays_zero() {
    let repo = feature_branch(
        &[
            ("dvc.yaml", "metrics: [m.json, scores.yaml]\n"),
            ("m.json", r#"{"acc": 0.8}"#),
            ("scores.yaml", "f1: 0.5\n"),
        ],
        &[
            ("m.json", "{\n  \"acc\": 0.9,\n  \"loss\" 0.1\n}\n"),
            ("scores.yaml", "f1: 0.6\n"),
        ],
    );
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0);
    let report = run.stdout();
    assert!(
        report.contains("> - **m.json** at head (working tree, ")
            && report.contains("): line 3, column 10: expected ':' after the key"),
        "{report}"
    );
    assert!(
        run.stderr()
            .contains("cannot read `m.json` at working tree"),
        "stderr repeats the warning: {}",
        run.stderr()
    );
    assert!(
        report.contains("| f1 | 0.5 | 0.6 |"),
        "other files still compare: {report}"
    );
}

#[test]
fn hostile_keys_values_and_paths_are_escaped() {
    let hostile = r#"{"a|b<script>alert(1)</script>": 1, "@octocat ping": "<img src=x onerror=alert(1)>", "`tick`\n| x |": 2}"#;
    let repo = feature_branch(
        &[
            ("dvc.yaml", "metrics: ['we|rd <b>.json']\n"),
            ("we|rd <b>.json", "{}"),
        ],
        &[("we|rd <b>.json", hostile)],
    );
    let report = repo.mlci(&["report", "--dry-run"]).success();
    for raw in ["<script>", "<img", "@octocat", "`tick`", "<b>"] {
        assert!(
            !report.contains(raw),
            "`{raw}` reached the report:\n{report}"
        );
    }
    for row in report
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("added"))
    {
        let unescaped_pipes = row.len() - row.replace(" | ", "").len();
        assert_eq!(unescaped_pipes, 3 * 5, "a row gained columns: {row}");
    }
}

#[test]
fn symlinks_that_leave_the_repository_are_not_followed() {
    let repo = feature_branch(
        &[
            ("dvc.yaml", "metrics: [m.json, leak.json]\n"),
            ("m.json", "{}"),
        ],
        &[],
    );
    let secret = repo.temp().join("secret.json");
    std::fs::write(&secret, r#"{"token": "hunter2"}"#).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, repo.root().join("leak.json")).unwrap();
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0);
    assert!(!run.stdout().contains("hunter2"));
    assert!(
        run.stdout().contains("it leads out of the repository"),
        "{}",
        run.stdout()
    );
}

#[test]
fn mlci_toml_adds_files_and_sets_the_title() {
    let repo = feature_branch(
        &[
            (
                ".mlci.toml",
                "title = \"Fraud model\"\nmetrics = [\"runs/*/metrics.json\"]\nparams = [\"conf/train.yaml\"]\n",
            ),
            ("runs/a/metrics.json", r#"{"auc": 0.7}"#),
            ("conf/train.yaml", "depth: 3\n"),
        ],
        &[
            ("runs/a/metrics.json", r#"{"auc": 0.75}"#),
            ("runs/b/metrics.json", r#"{"auc": 0.8}"#),
            ("conf/train.yaml", "depth: 4\n"),
        ],
    );
    let report = repo.mlci(&["report", "--dry-run"]).success();
    assert!(report.starts_with("## Fraud model\n"), "{report}");
    assert!(report.contains("#### runs/a/metrics.json"));
    assert!(report.contains("#### runs/b/metrics.json"));
    assert!(
        report.contains("| conf/train.yaml | depth | 3 | 4 |"),
        "{report}"
    );
}

#[test]
fn an_invalid_mlci_toml_names_the_line_and_column() {
    let repo = feature_branch(&[(".mlci.toml", "title = \"x\"\nmetrix = [1]\n")], &[]);
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 2);
    insta::assert_snapshot!(run.stderr(), @r"
    error: invalid configuration `.mlci.toml`: line 2, column 1: unknown field `metrix`, expected one of `title`, `id`, `base`, `metrics`, `params`, `plots`, `fail_on`, `alpha`, `metric`, `repeats`, `data`, `max_file_size`, `discover`, `runs`

    hint: fix the file, or see the `.mlci.toml` section of the README
    ");
}

#[test]
fn base_and_head_directories_need_no_git() {
    let repo = TestRepo::new();
    let base = repo.temp().join("runs/base");
    let head = repo.temp().join("runs/head");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(&head).unwrap();
    std::fs::write(base.join("dvc.yaml"), "metrics: [m.json]\n").unwrap();
    std::fs::write(base.join("m.json"), r#"{"rmse": 1.5}"#).unwrap();
    copy_dir(&base, &head);
    std::fs::write(head.join("m.json"), r#"{"rmse": 1.25}"#).unwrap();
    let run = repo.mlci_in(
        repo.temp(),
        &[
            "report",
            "--dry-run",
            "--base-dir",
            "runs/base",
            "--head-dir",
            "runs/head",
        ],
    );
    let report = run.success();
    assert!(
        report.contains("| rmse | 1.5 | 1.25 | ▼ −0.25 | −16.67% | 🟢 improved |"),
        "{report}"
    );
    assert!(report.contains("(🟢 1 improved)"), "{report}");
}

#[test]
fn report_targets_are_relative_to_the_current_directory() {
    let repo = feature_branch(
        &[
            ("sub/m.json", r#"{"acc": 0.1}"#),
            ("other.json", r#"{"x": 1}"#),
        ],
        &[("sub/m.json", r#"{"acc": 0.2}"#)],
    );
    let run = repo.mlci_in(
        &repo.root().join("sub"),
        &["report", "--dry-run", "--targets", "m.json"],
    );
    let report = run.success();
    assert!(report.contains("#### sub/m.json"), "{report}");
    assert!(!report.contains("other.json"));
}

#[test]
fn a_failed_gate_exits_1_after_writing_the_report() {
    let repo = feature_branch(
        &[
            (
                "dvclive/metrics.json",
                r#"{"acc": 0.90, "loss": 0.30, "f1": 0.80}"#,
            ),
            (
                ".mlci.toml",
                "[[metric]]\nname = \"acc\"\nmax_regression = \"1%\"\n\n[[metric]]\nname = \"f1\"\nmin = 0.75\n",
            ),
        ],
        &[(
            "dvclive/metrics.json",
            r#"{"acc": 0.85, "loss": 0.31, "f1": 0.70}"#,
        )],
    );
    let run = repo.mlci(&["report", "--dry-run", "--out", "out"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let report = std::fs::read_to_string(repo.root().join("out/report.md")).unwrap();
    assert_eq!(report, run.stdout(), "the report is written in full");
    assert!(
        report.contains("**Gate failed** (fail on regression): 3 metrics or checks."),
        "{report}"
    );
    assert!(
        report.contains("| acc | 0.9 | 0.85 | ▼ −0.05 | −5.56% | 🔴 regressed (tolerance 1%) |"),
        "{report}"
    );
    assert!(
        report.contains("| f1 | 0.8 | 0.7 | ▼ −0.1 | −12.5% | 🔴 failed check (below min 0.75) |"),
        "{report}"
    );
    assert!(
        run.stderr()
            .contains("gate failed: dvclive/metrics.json acc: 🔴 regressed"),
        "{}",
        run.stderr()
    );
    // The same change within a wider tolerance, and `loss` by name only: the gate passes.
    repo.write(
        ".mlci.toml",
        "[[metric]]\nname = \"acc\"\nmax_regression = 0.1\n",
    );
    repo.write(
        "dvclive/metrics.json",
        r#"{"acc": 0.85, "loss": 0.30, "f1": 0.80}"#,
    );
    let run = repo.mlci(&["report", "--dry-run", "--out", "out"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains("**Gate passed.**"),
        "{}",
        run.stdout()
    );
    assert!(
        run.stdout().contains("⚪ within tolerance (tolerance 0.1)"),
        "{}",
        run.stdout()
    );
    // --fail-on never informs only; --fail-on change fails on any change.
    let never = repo.mlci(&[
        "report",
        "--dry-run",
        "--fail-on",
        "never",
        "--rule",
        "acc max_regression=0",
    ]);
    assert_eq!(never.code(), 0, "{}", never.stderr());
    let change = repo.mlci(&["report", "--dry-run", "--fail-on", "change"]);
    assert_eq!(change.code(), 1, "{}", change.stderr());
    // Without any configuration, a worse metric is shown but never fails.
    std::fs::remove_file(repo.root().join(".mlci.toml")).unwrap();
    let plain = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(plain.code(), 0, "{}", plain.stderr());
    assert!(plain.stdout().contains("🔴 regressed"));
    assert!(!plain.stdout().contains("Gate"));
    let bad = repo.mlci(&["report", "--dry-run", "--rule", "acc direction=sideways"]);
    assert_eq!(bad.code(), 2);
    assert!(
        bad.stderr().contains("direction is `higher` or `lower`"),
        "{}",
        bad.stderr()
    );
}

#[test]
fn seeds_within_noise_pass_where_one_run_would_regress() {
    let seeds_base = [0.842, 0.861, 0.850, 0.838, 0.866];
    let seeds_head = [0.851, 0.835, 0.858, 0.842, 0.846];
    let files = |values: &[f64]| -> Vec<(String, String)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    format!("runs/seed-{i}/metrics.json"),
                    format!(r#"{{"acc": {v}}}"#),
                )
            })
            .collect()
    };
    let base = files(&seeds_base);
    let head = files(&seeds_head);
    let config = "repeats = [\"runs/seed-*/metrics.json\"]\nmetrics = [\"runs/*/metrics.json\"]\n\n[[metric]]\nname = \"acc\"\n";
    let mut base_files: Vec<(&str, &str)> =
        base.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    base_files.push((".mlci.toml", config));
    let head_files: Vec<(&str, &str)> =
        head.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    let repo = feature_branch(&base_files, &head_files);
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let report = run.stdout();
    assert!(
        report.contains("#### runs/seed-\\*/metrics.json (5 runs at base, 5 runs at head)"),
        "{report}"
    );
    assert!(
        report.contains("| acc | 0.8514 ± 0.012 (n=5) | 0.8464 ± 0.0087 (n=5) |"),
        "{report}"
    );
    assert!(report.contains("⚪ within noise (p = 0.47)"), "{report}");
    // One seed alone, as a plain diff sees it, cries regression.
    repo.write("plain.toml", "");
    let one = repo.mlci(&[
        "report",
        "--dry-run",
        "--targets",
        "runs/seed-1/metrics.json",
        "--config",
        "plain.toml",
    ]);
    assert!(one.stdout().contains("🔴 regressed"), "{}", one.stdout());
}

#[test]
fn data_checks_profile_both_sides_and_fail_the_gate() {
    let config = r#"
[[data]]
path = "data/train.csv"
no_missing = ["age", "label"]
range = { age = [0, 120], income = [0, 1e6] }
types_unchanged = true
max_row_change = "20%"
"#;
    let base = "id,age,income,label\n1,34,52000,1\n2,45,61000,0\n3,29,48000,1\n4,51,75000,0\n5,38,58000,1\n";
    // Head: a row more, a missing age, an age of 130, income as text in one row.
    let head = "id,age,income,label\n1,34,52000,1\n2,,61000,0\n3,29,48000,1\n4,130,75000,0\n5,38,unknown,1\n6,41,66000,1\n";
    let repo = feature_branch(
        &[
            (".mlci.toml", config),
            ("data/train.csv", base),
            ("dvclive/metrics.json", r#"{"acc": 0.8}"#),
        ],
        &[("data/train.csv", head)],
    );
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let report = run.stdout();
    let start = report.find("### Data").expect("a data section");
    let end = report[start..]
        .find("---")
        .map_or(report.len(), |e| start + e);
    insta::assert_snapshot!(&report[start..end]);
    assert!(
        report.contains("🔴 **4 of 5 data checks failed**"),
        "{report}"
    );
    // The same data at head: every check holds.
    repo.write("data/train.csv", base);
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stdout().contains("🟢 5 data checks passed"),
        "{}",
        run.stdout()
    );
}

#[test]
fn the_seeded_example_is_within_noise_where_one_seed_regresses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seeds/snapshots");
    let repo = TestRepo::new();
    let (base, head) = (root.join("base"), root.join("head"));
    let (base, head) = (base.to_str().unwrap(), head.to_str().unwrap());
    let all = repo.mlci(&[
        "report",
        "--dry-run",
        "--base-dir",
        base,
        "--head-dir",
        head,
    ]);
    assert_eq!(all.code(), 0, "{}", all.stderr());
    let report = all.stdout();
    assert!(report.contains("**Gate passed.**"), "{report}");
    assert!(
        report.contains("| test.accuracy | 0.9692 ± 0.012 (n=5) | 0.9678 ± 0.012 (n=5) |"),
        "{report}"
    );
    assert!(!report.contains("🔴"), "{report}");
    let (one_base, one_head) = (format!("{base}/runs/seed-3"), format!("{head}/runs/seed-3"));
    let one = repo.mlci(&[
        "report",
        "--dry-run",
        "--base-dir",
        &one_base,
        "--head-dir",
        &one_head,
        "--targets",
        "metrics.json",
    ]);
    assert_eq!(
        one.stdout().matches("🔴 regressed").count(),
        5,
        "{}",
        one.stdout()
    );
}
