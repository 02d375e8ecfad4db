//! The attacks of the threat model (ARCHITECTURE.md, "Trust"), one test each, named after
//! the attack. Each plants a canary secret where the attack reaches for it (`.git/config`,
//! untracked workspace files, the environment, a file outside the repository) and checks
//! that it shows up in no request a fake forge saw (base64 bodies decoded), no file mlci
//! wrote, and neither stdout nor stderr.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::json;

use crate::fake_http::Elsewhere;
use crate::github_fake::Fault;
use crate::gitlab_fake;
use crate::job::{self, GitHubJob, Job, MR, PR};
use crate::support::{Run, TestRepo};

/// What must never leave: it stands for a token, a key, a credential.
const CANARY: &str = "CANARY-d0a1c2e3-never-leaves";

/// Every place a canary could leak to, searched.
struct Leaks<'a> {
    repo: &'a TestRepo,
    /// Files that hold the canary on purpose.
    planted: Vec<PathBuf>,
}

impl<'a> Leaks<'a> {
    fn new(repo: &'a TestRepo) -> Leaks<'a> {
        Leaks {
            repo,
            planted: Vec::new(),
        }
    }

    /// The checkout's credentials, where `actions/checkout` and the GitLab runner keep
    /// them.
    fn in_git_config(mut self) -> Self {
        self.repo.git(&[
            "config",
            "http.https://github.com/.extraheader",
            &format!("AUTHORIZATION: basic {CANARY}"),
        ]);
        self.planted.push(self.repo.root().join(".git/config"));
        self
    }

    /// A file the test writes with the canary in it.
    fn in_file(mut self, path: &Path, prefix: &str) -> Self {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("{prefix}{CANARY}\n")).unwrap();
        self.planted.push(path.to_path_buf());
        self
    }

    /// Asserts the canary is nowhere: not in the output, not in any request (or base64
    /// body) a server saw, not in any file under the test's directory but the planted ones.
    fn assert_none(&self, run: &Run, wires: &[String]) {
        for (what, text) in [("stdout", run.stdout()), ("stderr", run.stderr())] {
            assert!(!text.contains(CANARY), "the canary is in {what}:\n{text}");
        }
        for wire in wires {
            assert!(
                !contains_canary(wire),
                "the canary was sent to a server:\n{wire}"
            );
        }
        for file in files_under(self.repo.temp()) {
            if self.planted.contains(&file) || file.components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            // mlci writes nothing this large; a file this large is a test's input.
            if std::fs::metadata(&file).is_ok_and(|m| m.len() > 256 << 20) {
                continue;
            }
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !contains_canary(&String::from_utf8_lossy(&bytes)),
                "the canary was written to {}",
                file.display()
            );
        }
    }
}

/// The canary in text, or in any base64 run within it (a blob, an upload).
fn contains_canary(text: &str) -> bool {
    if text.contains(CANARY) {
        return true;
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .filter(|run| run.len() >= 16)
        .any(|run| {
            let run = run.trim_end_matches('=');
            (0..4).any(|skip| {
                let part = &run[skip.min(run.len())..];
                let part = &part[..part.len() - part.len() % 4];
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(part)
                    .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(CANARY))
            })
        })
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            out.extend(files_under(&entry.path()));
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    out
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// A pull request from a fork, run with `pull_request_target` (the token writes).
fn target_env(job: &GitHubJob) -> Vec<(String, String)> {
    let payload = job::event(
        "pull_request",
        &[
            ("HEAD", &job.head),
            ("BASE", &job.base),
            ("AUTHOR", "someone"),
            ("HEAD_REPO", "someone/repo"),
            ("FORK", "true"),
        ],
    );
    job.env("pull_request_target", &payload)
}

#[cfg(unix)]
#[test]
fn a_symlinked_plot_image_never_hosts_git_config() {
    // The pull request declares an "image" that is a link to the checkout's credentials.
    let plant = |repo: &TestRepo| {
        symlink(
            "../../.git/config",
            &repo.root().join("eval/plots/sample.svg"),
        );
        repo.write(
            ".mlci.toml",
            "[[plots]]\npath = \"eval/plots/sample.svg\"\n",
        );
        repo.commit("a sample");
    };
    let job = Job::github().start();
    plant(&job.repo);
    let leaks = Leaks::new(&job.repo).in_git_config();
    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr()
            .contains("git's own data (.git) is never an input"),
        "{}",
        run.stderr()
    );
    leaks.assert_none(&run, &[job.fake.wire.text()]);
    job.fake.assert_valid();

    // GitLab uploads what GitHub would commit: the same refusal.
    let job = Job::gitlab().start();
    plant(&job.repo);
    let leaks = Leaks::new(&job.repo).in_git_config();
    let run = job.report(&[]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    leaks.assert_none(&run, &[job.fake.wire.text()]);
    job.fake.assert_valid();
}

#[test]
fn pull_request_target_never_reads_untracked_workspace_files_and_still_posts() {
    let job = Job::github().start();
    // The fork's own configuration names files that the workflow's runner leaves in the
    // workspace: cloud credentials and an .env.
    job.repo.write(
        ".mlci.toml",
        "params = [\"gha-creds-*.json\"]\nmetrics = [\"secrets/*.json\"]\n[[data]]\npath = \".env\"\n",
    );
    job.repo.commit("configure");
    let root = job.repo.root();
    let leaks = Leaks::new(&job.repo)
        .in_file(&root.join("gha-creds-3f2a.json"), "{\"private_key\": \"")
        .in_file(&root.join(".env"), "API_KEY=")
        .in_file(&root.join("secrets/m.json"), "{\"token\": \"");
    // The secrets files are JSON-ish; the point is that none is read.
    let run = job.run(
        &["report", "--out", "../report", "--images", "none"],
        &target_env(&job),
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    // The report is posted: pull_request_target's token can write.
    let ours = job.ours();
    assert_eq!(ours.len(), 1, "{}", job.transcript());
    assert!(ours[0].1.contains("0.85"), "{}", ours[0].1);
    leaks.assert_none(&run, &[job.fake.wire.text()]);
    job.fake.assert_valid();
}

#[test]
fn a_fork_cannot_switch_off_the_gate_that_judges_it() {
    let repo_job = Job::github().start();
    // The base branch gates accuracy at 0.9; the fork's head turns the gate off.
    repo_job.repo.git(&["checkout", "-q", "main"]);
    repo_job
        .repo
        .write(".mlci.toml", "[[metric]]\nname = \"acc\"\nmin = 0.9\n");
    let base = repo_job.repo.commit("gate accuracy");
    repo_job.repo.git(&["checkout", "-q", "feature"]);
    repo_job.repo.git(&["merge", "-q", "--no-edit", "main"]);
    repo_job
        .repo
        .write(".mlci.toml", "fail_on = \"never\"\nid = \"elsewhere\"\n");
    let head = repo_job.repo.commit("no more gate");
    repo_job.fake.pull(PR, &head);
    let job = Job {
        base,
        head,
        ..repo_job
    };
    let run = job.run(
        &["report", "--out", "../report", "--images", "none"],
        &target_env(&job),
    );
    assert_eq!(run.code(), 1, "the base's gate judges: {}", run.stderr());
    assert!(run.stderr().contains("below min 0.9"), "{}", run.stderr());
    let ours = job.ours();
    assert_eq!(ours.len(), 1);
    assert!(
        ours[0].1.contains("id=default"),
        "the base's report id: {}",
        ours[0].1
    );
    job.fake.assert_valid();
}

#[cfg(unix)]
#[test]
fn mlci_comment_never_uploads_a_file_through_a_symlink() {
    let job = Job::github().start();
    let outside = job.repo.temp().join("outside/secret.png");
    let leaks = Leaks::new(&job.repo).in_file(&outside, "\u{89}PNG ");
    let root = job.repo.root();
    symlink("/proc/self/environ", &root.join("notes/leak.png"));
    symlink(&outside, &root.join("notes/leak2.png"));
    job.repo.write(
        "notes/summary.md",
        "# Notes\n\n![env](leak.png) ![file](leak2.png)\n",
    );
    let mut env = job.pull_request_env(false);
    env.push(("MLCI_CANARY".into(), CANARY.into()));
    let run = job.run(&["comment", "notes/summary.md"], &env);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("not hosting the image `leak.png`"),
        "{}",
        run.stderr()
    );
    assert!(job.fake.refs().is_empty(), "nothing hosted");
    leaks.assert_none(&run, &[job.fake.wire.text()]);
    job.fake.assert_valid();
}

#[test]
fn a_forged_bundle_never_posts_on_another_pull_request() {
    let job = Job::github().start();
    let leaks = Leaks::new(&job.repo).in_git_config();
    let collect = job.run(
        &["report", "--collect", "../bundle"],
        &job.pull_request_env(true),
    );
    assert_eq!(collect.code(), 0, "{}", collect.stderr());
    // The fork's run was for pull request 7 (from someone/repo:feature).
    job.fake
        .pull_from(PR, &job.head, Some("someone/repo"), "feature");
    let run_json = json!({
        "id": 99, "head_sha": job.head, "head_branch": "feature",
        "head_repository": { "full_name": "someone/repo" }, "pull_requests": [],
        "event": "pull_request",
    });
    job.fake.run(99, run_json.clone());
    // Pull request 8 is someone else's, from owner/repo:other.
    let other_head = "8".repeat(40);
    job.fake
        .pull_from(8, &other_head, Some("owner/repo"), "other");
    let manifest_path = job.repo.temp().join("bundle/manifest.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    let env = job.env("workflow_run", &json!({ "workflow_run": run_json }));
    let bundle = job.repo.temp().join("bundle").display().to_string();
    for (forged_head, why) in [
        (other_head.as_str(), "but run 99 tested"),
        (job.head.as_str(), "comes from owner/repo:other"),
    ] {
        let mut forged = manifest.clone();
        forged["pull_request"] = json!(8);
        forged["head_sha"] = json!(forged_head);
        std::fs::write(&manifest_path, forged.to_string()).unwrap();
        let run = job.run(&["publish", &bundle], &env);
        assert_eq!(run.code(), 2, "{}", run.stderr());
        assert!(
            run.stderr().contains("refusing to publish the bundle") && run.stderr().contains(why),
            "{}",
            run.stderr()
        );
        leaks.assert_none(&run, &[job.fake.wire.text()]);
    }
    assert!(job.fake.comments(8).is_empty() && job.fake.comments(PR).is_empty());
    let writes = job.fake.seen().iter().filter(|s| s.method != "GET").count();
    assert_eq!(writes, 0, "{}", job.transcript());
    job.fake.assert_valid();
}

#[cfg(unix)]
#[test]
fn output_folders_never_delete_or_overwrite_what_mlci_did_not_write() {
    let repo = TestRepo::new();
    repo.write("dvclive/metrics.json", r#"{"acc": 0.8}"#)
        .write(".gitignore", "plots/model.pkl\n")
        .write("plots/loss.png", "tracked chart");
    repo.commit("base");
    repo.write("plots/model.pkl", "weights git cannot restore");
    let leaks = Leaks::new(&repo).in_git_config();
    let outside = repo.temp().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim.md"), "keep me").unwrap();
    let before = repo.git(&["status", "--porcelain", "--ignored"]);

    for args in [
        vec!["report", "--collect", "."],
        vec!["report", "--dry-run", "--out", "."],
        vec!["report", "--dry-run", "--out", ".."],
        vec!["report", "--dry-run", "--out", "plots"],
        vec!["report", "--dry-run", "--out", ".git/x"],
        vec!["plots", "diff", "-o", "."],
        vec!["plots", "diff", "-o", "plots"],
    ] {
        let run = repo.mlci(&args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr().contains("refusing to write"),
            "{}",
            run.stderr()
        );
    }
    assert!(repo.root().join(".git/HEAD").is_file());
    assert_eq!(
        std::fs::read_to_string(repo.root().join("plots/model.pkl")).unwrap(),
        "weights git cannot restore"
    );
    assert_eq!(repo.git(&["status", "--porcelain", "--ignored"]), before);

    // A committed symlink where the report goes: at the file, or at the folder.
    symlink(
        outside.join("victim.md"),
        &repo.root().join("mlci-report/report.md"),
    );
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    std::fs::remove_dir_all(repo.root().join("mlci-report")).unwrap();
    symlink(&outside, &repo.root().join("mlci-report"));
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_eq!(
        std::fs::read_to_string(outside.join("victim.md")).unwrap(),
        "keep me"
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
    std::fs::remove_file(repo.root().join("mlci-report")).unwrap();

    // The default folder: written, and invisible to git.
    let run = repo.mlci(&["report", "--dry-run"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    leaks.assert_none(&run, &[]);
}

#[test]
fn image_ref_never_moves_a_branch() {
    let job = Job::github().start();
    let leaks = Leaks::new(&job.repo).in_git_config();
    let run = job.report(&["--image-ref", "refs/heads/main"]);
    leaks.assert_none(&run, &[job.fake.wire.text()]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("not a ref under refs/mlci/"),
        "{}",
        run.stderr()
    );
    assert!(
        !job.fake.seen().iter().any(|s| s.path.contains("/git/")),
        "{}",
        job.transcript()
    );
    assert!(job.fake.refs().is_empty());
}

#[test]
fn no_input_starts_a_workflow_command() {
    let repo = TestRepo::new();
    let metrics = |acc: f64| {
        json!({
            "acc": acc,
            "x\n::error::injected": acc,
            "y\r\n::stop-commands::pwned": acc,
            "z ##[add-mask]oops": acc,
        })
        .to_string()
    };
    repo.write(
        "dvc.yaml",
        "metrics:\n  - eval/metrics.json\n  - \"eval/gone\\n::warning::fake.json\"\n",
    )
    .write("eval/metrics.json", metrics(0.9))
    .write(".mlci.toml", "[[metric]]\nname = \"*\"\nmin = 0.85\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("eval/metrics.json", metrics(0.8));
    let leaks = Leaks::new(&repo).in_git_config();
    let github_env: Vec<(String, String)> = vec![("GITHUB_ACTIONS".into(), "true".into())];
    let runs = [
        repo.mlci_with(&repo.root(), &["report", "--dry-run"], &github_env),
        repo.mlci(&["metrics", "diff"]),
        repo.mlci(&["metrics", "diff", "--md"]),
        repo.mlci(&["metrics", "diff", "--json"]),
    ];
    assert_eq!(runs[0].code(), 1, "the gate fails: {}", runs[0].stderr());
    for run in &runs {
        leaks.assert_none(run, &[]);
        for (what, text) in [("stdout", run.stdout()), ("stderr", run.stderr())] {
            for line in text.lines() {
                let command = line.trim_start().starts_with("::");
                assert!(
                    !command || line.starts_with("::error title=mlci gate::"),
                    "{what} has an injected command line: {line:?}\n{text}"
                );
                assert!(!line.contains("##["), "{what}: {line:?}");
            }
        }
    }
    // mlci's own annotations escape what they carry.
    let stderr = runs[0].stderr();
    assert!(
        stderr.contains("::error title=mlci gate::eval/metrics.json x%0A::error::injected:"),
        "{stderr}"
    );
}

#[test]
fn a_comment_ending_with_our_marker_is_never_edited_by_a_token_of_unknown_login() {
    let job = Job::github().start();
    let leaks = Leaks::new(&job.repo).in_git_config();
    let marker = "<!-- mlci:report id=default head=0000000 -->";
    let mallory = job
        .fake
        .comment(PR, "mallory", &format!("I am the report now\n{marker}\n"));
    // Another app's installation token: GET /user answers 403, so the login is unknown.
    job.fake
        .token_login("ghs_otherAppToken0123", "other-app[bot]");
    let env = job.pull_request_env(false);
    let args = [
        "report",
        "--out",
        "../report",
        "--images",
        "none",
        "--token",
        "ghs_otherAppToken0123",
    ];
    for _ in 0..2 {
        let run = job.run(&args, &env);
        assert_eq!(run.code(), 0, "{}", run.stderr());
        assert!(run.stderr().contains("--author"), "{}", run.stderr());
        leaks.assert_none(&run, &[job.fake.wire.text()]);
    }
    let comments = job.fake.comments(PR);
    let ours: Vec<_> = comments
        .iter()
        .filter(|(_, author, _)| author == "other-app[bot]")
        .collect();
    assert_eq!(ours.len(), 1, "one report after two runs: {comments:?}");
    assert!(comments.iter().any(|(id, author, body)| *id == mallory
        && author == "mallory"
        && body.starts_with("I am the report now")));
    let touched = job
        .fake
        .seen()
        .iter()
        .any(|s| s.method != "GET" && s.path.ends_with(&format!("/{mallory}")));
    assert!(!touched, "{}", job.transcript());
    // A personal token: GET /user names it, and only its own comments are found.
    let run = job.run(
        &[
            "report",
            "--out",
            "../report",
            "--images",
            "none",
            "--token",
            "ghp_personalToken0123",
        ],
        &env,
    );
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(job.transcript().contains("GET /user -> 200"));
    assert_eq!(job.fake.comments(PR).len(), 3);
    job.fake.assert_valid();

    // GitLab, when GET /user fails: the same.
    let job = Job::gitlab().start();
    let mallory = job
        .fake
        .note(MR, "mallory", &format!("fake\n{marker}\n"), false);
    job.fake
        .fault("GET", "/user", gitlab_fake::Fault::Status(404));
    let run = job.report(&["--images", "none"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        job.fake
            .notes(MR)
            .iter()
            .any(|(id, _, body, _)| *id == mallory && body.starts_with("fake")),
        "{}",
        job.transcript()
    );
    assert!(!job.transcript().contains(&format!("/notes/{mallory}")));
    job.fake.assert_valid();
}

#[test]
fn the_token_never_follows_a_redirect_to_another_host() {
    let elsewhere = Elsewhere::start();
    let job = Job::gitlab().start();
    let leaks = Leaks::new(&job.repo).in_git_config();
    for (method, suffix) in [("GET", "/notes"), ("POST", "/notes")] {
        job.fake.fault(
            method,
            suffix,
            gitlab_fake::Fault::Redirect {
                status: if method == "GET" { 302 } else { 307 },
                location: format!("{}/steal", elsewhere.url),
            },
        );
        let run = job.report(&["--images", "none"]);
        assert_eq!(run.code(), 2, "{}", run.stderr());
        assert!(run.stderr().contains("another host"), "{}", run.stderr());
        leaks.assert_none(&run, &[job.fake.wire.text(), elsewhere.wire.text()]);
    }
    let github = Job::github().start();
    github.fake.fault(
        "GET",
        "/comments",
        Fault::Redirect {
            status: 307,
            location: format!("{}/steal", elsewhere.url),
        },
    );
    let run = github.report(&["--images", "none"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_eq!(elsewhere.wire.requests(), 0, "{}", elsewhere.wire.text());
}

#[test]
fn a_trickling_server_is_cut_off_at_the_deadline() {
    let limits = ["--network-timeout", "3", "--network-deadline", "5"];
    let job = Job::github().start();
    let leaks = Leaks::new(&job.repo).in_git_config();
    for _ in 0..10 {
        job.fake
            .fault("GET", "/comments", Fault::Trickle(Duration::from_secs(1)));
    }
    let started = Instant::now();
    let mut args = vec!["--images", "none"];
    args.extend(limits);
    let run = job.report(&args);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    // The bound is the deadline plus a margin; the trickle alone would take minutes.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    leaks.assert_none(&run, &[job.fake.wire.text()]);

    let job = Job::gitlab().start();
    for _ in 0..10 {
        job.fake.fault(
            "GET",
            "/notes",
            gitlab_fake::Fault::Trickle(Duration::from_secs(1)),
        );
    }
    let started = Instant::now();
    let run = job.report(&args);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_page_that_links_to_itself_is_read_once() {
    let job = Job::github().start();
    let leaks = Leaks::new(&job.repo).in_git_config();
    for _ in 0..2 {
        job.fake.fault("GET", "/comments", Fault::SelfLink);
    }
    let run = job.report(&["--images", "none"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let lists = job
        .fake
        .seen()
        .iter()
        .filter(|s| s.method == "GET" && s.path.ends_with("/comments"))
        .count();
    assert_eq!(
        lists,
        2,
        "before and after the create: {}",
        job.transcript()
    );
    assert_eq!(job.ours().len(), 1);
    leaks.assert_none(&run, &[job.fake.wire.text()]);
    job.fake.assert_valid();
}

#[test]
fn a_list_that_is_not_json_posts_nothing() {
    let job = Job::github().start();
    let leaks = Leaks::new(&job.repo).in_git_config();
    job.fake.fault("GET", "/comments", Fault::NotJson);
    let run = job.report(&["--images", "none"]);
    leaks.assert_none(&run, &[job.fake.wire.text()]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("not JSON"), "{}", run.stderr());
    assert!(job.fake.comments(PR).is_empty(), "no comment on a guess");

    let job = Job::gitlab().start();
    job.fake.fault("GET", "/notes", gitlab_fake::Fault::NotJson);
    let run = job.report(&["--images", "none"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(job.ours().is_empty());
}

#[test]
fn a_file_over_the_size_limit_is_skipped_unread_and_counts_as_missing() {
    let repo = TestRepo::new();
    repo.write("eval/metrics.json", r#"{"acc": 0.8}"#).write(
        ".mlci.toml",
        "metrics = [\"eval/metrics.json\"]\n[[metric]]\nname = \"acc\"\nrequired = true\n",
    );
    repo.commit("base");
    // A 2 GB sparse file at head: reading it whole would take the memory of the runner.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(repo.root().join("eval/metrics.json"))
        .unwrap();
    file.set_len(2 << 30).unwrap();
    let leaks = Leaks::new(&repo).in_git_config();
    let started = Instant::now();
    let run = repo.mlci(&["report", "--dry-run", "--base", "HEAD"]);
    leaks.assert_none(&run, &[]);
    assert_eq!(run.code(), 1, "required, missing at head: {}", run.stderr());
    assert!(
        run.stderr()
            .contains("skipped: 2 GiB is over max_file_size (64 MiB)"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stdout().contains("required, missing at head"),
        "{}",
        run.stdout()
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repository_puts_no_outside_path_in_the_report() {
    let repo = TestRepo::new();
    let outside = repo.temp().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("m.json"),
        format!("{{\"acc\": 1, \"k\": \"{CANARY}\"}}"),
    )
    .unwrap();
    symlink(&outside, &repo.root().join("results"));
    repo.write(
        ".mlci.toml",
        "metrics = [\"results/m.json\", \"results/*.json\", \"results\"]\n",
    );
    repo.commit("link");
    let run = repo.mlci(&["report", "--dry-run", "--base", "HEAD"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let report = std::fs::read_to_string(repo.root().join("mlci-report/report.md")).unwrap();
    let temp = repo.temp().canonicalize().unwrap().display().to_string();
    for text in [&report, &run.stdout(), &run.stderr()] {
        assert!(!text.contains(&temp), "an outside path leaked:\n{text}");
        assert!(
            !text.contains("/outside"),
            "an outside path leaked:\n{text}"
        );
        assert!(!text.contains(CANARY));
    }
    assert!(
        run.stderr().contains("it leads out of the repository"),
        "{}",
        run.stderr()
    );
}
