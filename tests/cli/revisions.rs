//! Which base is compared: the merge-base with the default branch, `--base`, `--base-dir`,
//! and shallow clones as CI makes them (`actions/checkout` fetches one commit).

use crate::support::TestRepo;

/// `main` with five commits (acc 0.1 .. 0.5); `feature` branches off the third (acc 0.3)
/// and commits acc 0.7, 0.8, 0.9.
fn history() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("dvc.yaml", "metrics: [m.json]\n");
    for i in 1..=5 {
        repo.write("m.json", format!(r#"{{"acc": 0.{i}}}"#));
        repo.commit(&format!("main {i}"));
    }
    repo.git(&["checkout", "-q", "-b", "feature", "HEAD~2"]);
    for i in 7..=9 {
        repo.write("m.json", format!(r#"{{"acc": 0.{i}}}"#));
        repo.commit(&format!("feature {i}"));
    }
    repo.git(&["checkout", "-q", "main"]);
    repo
}

fn shallow_clone(origin: &TestRepo, branch: &str) -> std::path::PathBuf {
    origin.shallow_clone(branch, "clone")
}

fn acc_row(report: &str) -> &str {
    report
        .lines()
        .find(|l| l.starts_with("| acc |"))
        .unwrap_or("")
}

#[test]
fn the_default_base_is_the_merge_base_with_main() {
    let repo = history();
    repo.git(&["checkout", "-q", "feature"]);
    let report = repo.mlci(&["report", "--dry-run"]).success();
    assert_eq!(
        acc_row(&report),
        "| acc | 0.3 | 0.9 | ▲ +0.6 | +200% | 🟢 improved |"
    );
    assert!(report.contains("Base: merge-base with main ("), "{report}");
}

#[test]
fn an_explicit_base_is_compared_exactly() {
    let repo = history();
    repo.git(&["checkout", "-q", "feature"]);
    let report = repo
        .mlci(&["report", "--dry-run", "--base", "main"])
        .success();
    assert_eq!(
        acc_row(&report),
        "| acc | 0.5 | 0.9 | ▲ +0.4 | +80% | 🟢 improved |"
    );
    let report = repo
        .mlci(&["report", "--dry-run", "--base", "HEAD~1"])
        .success();
    assert_eq!(
        acc_row(&report),
        "| acc | 0.8 | 0.9 | ▲ +0.1 | +12.5% | 🟢 improved |"
    );
}

#[test]
fn a_shallow_clone_fetches_the_base_and_deepens_to_the_merge_base() {
    let origin = history();
    let clone = shallow_clone(&origin, "feature");
    assert_eq!(
        origin
            .git_in(&clone, &["rev-parse", "--is-shallow-repository"])
            .trim(),
        "true"
    );
    let run = origin.mlci_in(&clone, &["report", "--dry-run", "-v"]);
    let report = run.success();
    assert_eq!(
        acc_row(&report),
        "| acc | 0.3 | 0.9 | ▲ +0.6 | +200% | 🟢 improved |",
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("fetching"),
        "says what it fetched: {}",
        run.stderr()
    );
}

#[test]
fn a_shallow_clone_with_an_explicit_sha_fetches_it() {
    let origin = history();
    let base = origin.git(&["rev-parse", "main~1"]).trim().to_owned();
    let clone = shallow_clone(&origin, "feature");
    let report = origin
        .mlci_in(&clone, &["report", "--dry-run", "--base", &base])
        .success();
    assert_eq!(
        acc_row(&report),
        "| acc | 0.4 | 0.9 | ▲ +0.5 | +125% | 🟢 improved |"
    );
}

#[test]
fn a_shallow_clone_that_cannot_fetch_says_to_set_fetch_depth() {
    let origin = history();
    let clone = shallow_clone(&origin, "feature");
    std::fs::rename(origin.root(), origin.temp().join("gone")).unwrap();
    let run = origin.mlci_in(&clone, &["report", "--dry-run", "--base", "main"]);
    assert_eq!(run.code(), 2);
    let stderr = run.stderr();
    assert!(
        stderr.starts_with("error: unknown revision `main`"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: the checkout is shallow"), "{stderr}");
    assert!(stderr.contains("fetch-depth: 0"), "{stderr}");
}

#[test]
fn base_dir_reads_a_downloaded_baseline() {
    let repo = history();
    repo.git(&["checkout", "-q", "feature"]);
    let baseline = repo.temp().join("artifact");
    std::fs::create_dir_all(&baseline).unwrap();
    std::fs::write(baseline.join("dvc.yaml"), "metrics: [m.json]\n").unwrap();
    std::fs::write(baseline.join("m.json"), r#"{"acc": 0.25}"#).unwrap();
    let report = repo
        .mlci(&[
            "report",
            "--dry-run",
            "--base-dir",
            baseline.to_str().unwrap(),
        ])
        .success();
    assert_eq!(
        acc_row(&report),
        "| acc | 0.25 | 0.9 | ▲ +0.65 | +260% | 🟢 improved |"
    );
    let missing = repo.mlci(&["report", "--dry-run", "--base-dir", "nope"]);
    assert_eq!(missing.code(), 2);
    assert!(
        missing
            .stderr()
            .contains("the base directory `nope` does not exist")
    );
}

#[test]
fn an_unknown_revision_is_an_error_with_a_hint() {
    let repo = history();
    let run = repo.mlci(&["metrics", "diff", "no-such-branch"]);
    assert_eq!(run.code(), 2);
    insta::assert_snapshot!(run.stderr(), @r"
    error: unknown revision `no-such-branch`: not a commit in this repository

    hint: check the name with `git rev-parse --verify REV`, or fetch it first
    ");
}

#[test]
fn outside_a_repository_the_error_says_what_to_do() {
    let repo = TestRepo::new();
    let elsewhere = repo.temp().join("plain");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let run = repo.mlci_in(&elsewhere, &["metrics", "diff"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("is not inside a git repository"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr()
            .contains("hint: run mlci inside the repository")
    );
}

#[test]
fn a_repository_without_commits_shows_no_changes() {
    let repo = TestRepo::new();
    repo.write("m.json", "{}");
    let run = repo.mlci(&["metrics", "diff", "--md"]);
    assert_eq!(
        run.success(),
        "| Path   | Metric   | HEAD   | workspace   | Change   |\n|--------|----------|--------|-------------|----------|\n\n"
    );
}

#[test]
fn symlinks_inside_a_commit_are_followed_only_within_the_repository() {
    let repo = TestRepo::new();
    repo.write("real/m.json", r#"{"acc": 0.5}"#);
    repo.write("dvc.yaml", "metrics: [link/m.json, out.json]\n");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("real", repo.root().join("link")).unwrap();
        std::os::unix::fs::symlink("../../etc/passwd", repo.root().join("out.json")).unwrap();
    }
    repo.commit("links");
    repo.write("real/m.json", r#"{"acc": 0.6}"#);
    let run = repo.mlci(&["metrics", "diff", "--md", "-v"]);
    assert_eq!(
        run.success(),
        "| Path        | Metric   | HEAD   | workspace   | Change   |\n|-------------|----------|--------|-------------|----------|\n| link/m.json | acc      | 0.5    | 0.6         | 0.1      |\n\n"
    );
    assert!(
        run.stderr().contains("it leads out of the repository"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_single_branch_clone_whose_origin_head_is_the_branch_itself_asks_origin() {
    let origin = history();
    let clone = shallow_clone(&origin, "feature");
    // Some checkouts point origin/HEAD at the one branch they fetched.
    origin.git_in(
        &clone,
        &[
            "symbolic-ref",
            "refs/remotes/origin/HEAD",
            "refs/remotes/origin/feature",
        ],
    );
    let run = origin.mlci_in(&clone, &["report", "--dry-run", "-v"]);
    let report = run.success();
    assert_eq!(
        acc_row(&report),
        "| acc | 0.3 | 0.9 | ▲ +0.6 | +200% | 🟢 improved |",
        "not the branch against itself: {}",
        run.stderr()
    );
    assert!(
        report.contains("Base: merge-base with origin/main ("),
        "{report}"
    );
    assert!(
        run.stderr()
            .contains("asking origin for its default branch"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_revision_expression_is_never_fetched_as_a_branch() {
    let origin = history();
    let clone = shallow_clone(&origin, "feature");
    // `HEAD~1` is not in a one-commit clone; it is not a branch to fetch either.
    let run = origin.mlci_in(&clone, &["report", "--dry-run", "--base", "HEAD~1"]);
    assert_eq!(run.code(), 2);
    insta::assert_snapshot!(run.stderr(), @r"
    error: unknown revision `HEAD~1`: not a commit in this repository

    hint: the checkout is shallow and the base commit could not be fetched; on GitHub Actions set `fetch-depth: 0` on `actions/checkout`, on GitLab set `GIT_DEPTH: 0`
    ");
}
