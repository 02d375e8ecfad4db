//! `mlci metrics diff` and `mlci params diff` against real dvc, byte for byte.
//!
//! Each directory under `fixtures/dvc/` was made by `fixtures/dvc/make_cases.py`, which built
//! a repository, ran dvc 3.x, and recorded the trees and dvc's stdout. This test rebuilds the
//! same repository and runs the same arguments through mlci. (dvc orders files by Python set
//! iteration, which changes between runs; the recorded stdout is dvc's own, printed with the
//! files sorted, which is mlci's order.)

use std::path::{Path, PathBuf};

use crate::support::TestRepo;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dvc")
}

fn replay(case: &Path) -> Vec<String> {
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("case.json")).unwrap()).unwrap();
    let repo = TestRepo::new();
    let mut commits = Vec::new();
    let mut revision = 0;
    while case.join("revs").join(revision.to_string()).is_dir() {
        repo.replace_tree(&case.join("revs").join(revision.to_string()));
        commits.push(repo.commit(&format!("rev {revision}")));
        revision += 1;
    }
    for (tag, index) in spec["tags"].as_object().unwrap() {
        let sha = &commits[index.as_u64().unwrap() as usize];
        repo.git(&["tag", tag, sha]);
    }
    if case.join("workspace").is_dir() {
        repo.replace_tree(&case.join("workspace"));
    }
    let mut failures = Vec::new();
    for command in spec["commands"].as_array().unwrap() {
        let args: Vec<&str> = command["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let expected = command["stdout"].as_str().unwrap();
        let run = repo.mlci(&args);
        let name = case.file_name().unwrap().to_string_lossy();
        if run.code() != command["exit_code"].as_i64().unwrap() as i32 {
            failures.push(format!(
                "{name}: mlci {}: exit code {} (dvc: {})\n{}",
                args.join(" "),
                run.code(),
                command["exit_code"],
                run.stderr()
            ));
        } else if run.stdout() != expected {
            failures.push(format!(
                "{name}: mlci {}\n--- dvc\n{expected}--- mlci\n{}---",
                args.join(" "),
                run.stdout()
            ));
        }
    }
    failures
}

#[test]
fn metrics_and_params_diff_match_dvc_byte_for_byte() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 10,
        "the cases are missing: {}",
        cases_dir().display()
    );
    let failures: Vec<String> = cases.iter().flat_map(|case| replay(case)).collect();
    assert!(
        failures.is_empty(),
        "{} command(s) differ from dvc:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
