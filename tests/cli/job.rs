//! A CI job on either forge, for the end-to-end tests: a repository with a training run on
//! `main` and a change of it on `feature` (the pull or merge request), the forge's fake, the
//! job's environment, and runs of `mlci` that must never show a secret.
//!
//! `Job::github()` and `Job::gitlab()` set one up (`.prefix(...)`, `.files(...)`), then
//! `.start()`. What differs between the forges is the [`Forge`] trait, implemented by each
//! fake; the rest is [`Job`]'s, the same for both.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::github_fake::{self, FakeGitHub};
use crate::gitlab_fake::{self, FakeGitLab};
use crate::support::{Run, TestRepo};

/// The pull request a GitHub job reports on.
pub(crate) const PR: u64 = 7;
/// The merge request a GitLab job reports on.
pub(crate) const MR: u64 = 12;
/// The GitLab instance's web address (`CI_SERVER_URL`).
pub(crate) const SERVER: &str = "https://gitlab.example.com";

/// A job's environment variables.
pub(crate) type Env = Vec<(String, String)>;

/// What differs between the forges for a job.
pub(crate) trait Forge: Sized {
    /// The tokens a job has: no output may show them.
    const SECRETS: &'static [&'static str];
    /// Starts the fake, its API under `prefix`.
    fn start(prefix: &str) -> Self;
    /// The training run a job compares unless told otherwise: base, then head.
    fn training() -> [Tree; 2];
    /// Makes `head` the head of the job's pull or merge request.
    fn open(&self, head: &str);
    /// The environment of a job on the pull or merge request.
    fn review_env(job: &Job<Self>) -> Env;
    /// Our comments on the pull or merge request: (id, body).
    fn ours(&self) -> Vec<(u64, String)>;
    /// Every request so far, `METHOD /path -> status` a line.
    fn requests(&self) -> String;
}

/// What one side of a job's repository holds.
pub(crate) enum Tree {
    /// These files (path, content), written into the work tree.
    Files(Vec<(&'static str, String)>),
    /// Exactly the files of this folder (a real run's outputs).
    Copy(PathBuf),
}

impl Tree {
    fn write(&self, repo: &TestRepo) {
        match self {
            Tree::Files(files) => {
                for (path, content) in files {
                    repo.write(path, content);
                }
            }
            Tree::Copy(folder) => repo.replace_tree(folder),
        }
    }
}

/// A job being set up: see [`Job::github`], [`Job::gitlab`].
pub(crate) struct Setup<F> {
    prefix: String,
    trees: [Tree; 2],
    forge: PhantomData<F>,
}

impl<F: Forge> Setup<F> {
    fn new() -> Setup<F> {
        Setup {
            prefix: String::new(),
            trees: F::training(),
            forge: PhantomData,
        }
    }

    /// The API's path on its host: `/api/v3` on GitHub Enterprise Server, `/gitlab` for a
    /// GitLab instance under a sub-path.
    pub(crate) fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// Another training run than the forge's usual one.
    pub(crate) fn files(mut self, base: Tree, head: Tree) -> Self {
        self.trees = [base, head];
        self
    }

    /// Commits the base on `main` and the head on `feature` (checked out), starts the fake
    /// and opens the pull or merge request.
    pub(crate) fn start(self) -> Job<F> {
        let [base, head] = self.trees;
        let repo = TestRepo::new();
        base.write(&repo);
        let base = repo.commit("base");
        repo.git(&["checkout", "-q", "-b", "feature"]);
        head.write(&repo);
        let head = repo.commit("head");
        let fake = F::start(&self.prefix);
        fake.open(&head);
        Job {
            repo,
            fake,
            base,
            head,
        }
    }
}

/// A repository with a training run on `main` and a pull or merge request that changes it,
/// the forge's fake, and the files a CI job gets.
pub(crate) struct Job<F> {
    pub(crate) repo: TestRepo,
    pub(crate) fake: F,
    pub(crate) base: String,
    pub(crate) head: String,
}

/// A GitHub job.
pub(crate) type GitHubJob = Job<FakeGitHub>;

impl<F: Forge> Job<F> {
    /// A new commit on the pull or merge request.
    pub(crate) fn push(&mut self, acc: f64) {
        self.repo.write("dvclive/metrics.json", metrics(acc, 0.47));
        self.head = self.repo.commit("train longer");
        self.fake.open(&self.head);
    }

    /// Where the job's step summary goes (`GITHUB_STEP_SUMMARY`).
    pub(crate) fn summary_path(&self) -> PathBuf {
        self.repo.temp().join("step_summary.md")
    }

    /// Where the job's step outputs go (`GITHUB_OUTPUT`).
    pub(crate) fn output_path(&self) -> PathBuf {
        self.repo.temp().join("github_output")
    }

    /// Runs `mlci` in the job's checkout with `env`.
    pub(crate) fn run(&self, args: &[&str], env: &[(String, String)]) -> Run {
        self.run_in(&self.repo.root(), args, env)
    }

    /// Runs `mlci` in another checkout (a shallow clone, as CI makes one) with `env`; checks
    /// that no token shows in its output or in the files it leaves for the runner.
    pub(crate) fn run_in(&self, dir: &Path, args: &[&str], env: &[(String, String)]) -> Run {
        let run = self.repo.mlci_with(dir, args, env);
        let written = [self.summary_path(), self.output_path()]
            .map(|path| std::fs::read_to_string(path).unwrap_or_default());
        for text in [run.stdout(), run.stderr()].iter().chain(&written) {
            for secret in F::SECRETS {
                assert!(!text.contains(secret), "a token was shown:\n{text}");
            }
        }
        run
    }

    /// `mlci report` as CI runs it on the pull or merge request.
    pub(crate) fn report(&self, extra: &[&str]) -> Run {
        let mut args = vec!["report", "--out", "../report"];
        args.extend_from_slice(extra);
        self.run(&args, &F::review_env(self))
    }

    /// Our comments on the pull or merge request: (id, body).
    pub(crate) fn ours(&self) -> Vec<(u64, String)> {
        self.fake.ours()
    }

    /// The requests so far, with this job's commits named.
    pub(crate) fn transcript(&self) -> String {
        let mut text = self.fake.requests();
        for (sha, name) in [(&self.head, "[HEAD]"), (&self.base, "[BASE]")] {
            text = text.replace(sha.as_str(), name);
        }
        text
    }
}

fn metrics(acc: f64, loss: f64) -> String {
    format!(r#"{{"acc": {acc}, "loss": {loss}}}"#)
}

/// A falling loss over 20 steps, its columns split by `separator`.
fn loss_curve(scale: f64, separator: char) -> String {
    let mut text = format!("step{separator}loss\n");
    for step in 0..20 {
        let loss = scale / f64::from(step + 1);
        text.push_str(&format!("{step}{separator}{loss:.4}\n"));
    }
    text
}

impl Forge for FakeGitHub {
    const SECRETS: &'static [&'static str] = &[github_fake::TOKEN];

    fn start(prefix: &str) -> Self {
        FakeGitHub::start(prefix)
    }

    /// A lower learning rate: better accuracy and loss; the loss curve in TSV.
    fn training() -> [Tree; 2] {
        [(0.81, 0.52, 1.0, "0.01"), (0.85, 0.48, 0.8, "0.001")].map(|(acc, loss, scale, lr)| {
            Tree::Files(vec![
                ("dvclive/metrics.json", metrics(acc, loss)),
                ("dvclive/plots/metrics/loss.tsv", loss_curve(scale, '\t')),
                ("params.yaml", format!("lr: {lr}\n")),
            ])
        })
    }

    fn open(&self, head: &str) {
        self.pull(PR, head);
    }

    fn review_env(job: &GitHubJob) -> Env {
        job.pull_request_env(false)
    }

    fn ours(&self) -> Vec<(u64, String)> {
        let comments = self.comments(PR).into_iter();
        let ours = comments.filter(|(_, author, _)| author == github_fake::BOT);
        ours.map(|(id, _, body)| (id, body)).collect()
    }

    fn requests(&self) -> String {
        self.transcript()
    }
}

impl Forge for FakeGitLab {
    const SECRETS: &'static [&'static str] = &[gitlab_fake::TOKEN, gitlab_fake::JOB_TOKEN];

    fn start(prefix: &str) -> Self {
        FakeGitLab::start(prefix)
    }

    /// More data: a better accuracy, the same final loss; the loss curve in CSV, no params.
    fn training() -> [Tree; 2] {
        [(0.81, 1.0), (0.86, 0.7)].map(|(acc, scale)| {
            Tree::Files(vec![
                ("dvclive/metrics.json", metrics(acc, 0.4)),
                ("dvclive/plots/metrics/loss.csv", loss_curve(scale, ',')),
            ])
        })
    }

    fn open(&self, head: &str) {
        self.merge_request(MR, head);
    }

    fn review_env(job: &Job<FakeGitLab>) -> Env {
        job.merge_request_env()
    }

    fn ours(&self) -> Vec<(u64, String)> {
        let notes = self.notes(MR).into_iter();
        let ours = notes.filter(|(_, author, _, _)| author == gitlab_fake::BOT);
        ours.map(|(id, _, body, _)| (id, body)).collect()
    }

    fn requests(&self) -> String {
        self.transcript()
    }
}

impl Job<FakeGitHub> {
    /// A job on GitHub Actions, for pull request [`PR`].
    pub(crate) fn github() -> Setup<FakeGitHub> {
        Setup::new()
    }

    /// The step outputs as the runner reads `$GITHUB_OUTPUT`: `name=value` lines and
    /// `name<<DELIMITER` blocks; a later value replaces an earlier one.
    pub(crate) fn outputs(&self) -> std::collections::BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.output_path()).unwrap_or_default();
        let mut outputs = std::collections::BTreeMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some((name, delimiter)) = line.split_once("<<") {
                let mut value = Vec::new();
                for next in lines.by_ref() {
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.insert(name.to_owned(), value.join("\n"));
            } else if let Some((name, value)) = line.split_once('=') {
                outputs.insert(name.to_owned(), value.to_owned());
            }
        }
        outputs
    }

    /// The environment of a `pull_request` job (`fork`: the head repository differs).
    pub(crate) fn pull_request_env(&self, fork: bool) -> Env {
        let (author, head_repo) = if fork {
            ("someone", "someone/repo")
        } else {
            ("owner", "owner/repo")
        };
        self.env(
            "pull_request",
            &event(
                "pull_request",
                &[
                    ("HEAD", &self.head),
                    ("BASE", &self.base),
                    ("AUTHOR", author),
                    ("HEAD_REPO", head_repo),
                    ("FORK", if fork { "true" } else { "false" }),
                ],
            ),
        )
    }

    /// The environment of a job for `event_name` with `payload` (written to the event file).
    pub(crate) fn env(&self, event_name: &str, payload: &Value) -> Env {
        let event_path = self.repo.temp().join("event.json");
        std::fs::write(&event_path, payload.to_string()).unwrap();
        [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("CI", "true".to_owned()),
            ("GITHUB_EVENT_NAME", event_name.to_owned()),
            ("GITHUB_EVENT_PATH", event_path.display().to_string()),
            ("GITHUB_REPOSITORY", "owner/repo".to_owned()),
            ("GITHUB_API_URL", self.fake.url.clone()),
            ("GITHUB_SERVER_URL", "https://github.com".to_owned()),
            // For a pull request this is the test merge commit, never the head.
            (
                "GITHUB_SHA",
                "0123456789abcdef0123456789abcdef01234567".to_owned(),
            ),
            ("GITHUB_RUN_ID", "42".to_owned()),
            ("GITHUB_TOKEN", github_fake::TOKEN.to_owned()),
            (
                "GITHUB_STEP_SUMMARY",
                self.summary_path().display().to_string(),
            ),
            ("GITHUB_OUTPUT", self.output_path().display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

impl Job<FakeGitLab> {
    /// A job in a GitLab pipeline, for merge request [`MR`].
    pub(crate) fn gitlab() -> Setup<FakeGitLab> {
        Setup::new()
    }

    /// The variables of a pipeline from `fixtures/gitlab/{kind}.env`, with `extra`.
    pub(crate) fn env(&self, kind: &str, extra: &[(&str, &str)]) -> Env {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/gitlab")
            .join(format!("{kind}.env"));
        let text = std::fs::read_to_string(path).unwrap();
        let mut env: Env = text
            .lines()
            .filter(|l| !l.starts_with('#') && l.contains('='))
            .map(|line| {
                let (k, v) = line.split_once('=').unwrap();
                let v = v
                    .replace("@API@", &self.fake.url)
                    .replace("@SERVER@", SERVER)
                    .replace("@BASE@", &self.base)
                    .replace("@HEAD@", &self.head);
                assert!(!v.contains('@'), "a placeholder left in {kind}.env: {v}");
                (k.to_owned(), v)
            })
            .collect();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        env
    }

    /// The variables of a merge request pipeline with the project access token.
    pub(crate) fn merge_request_env(&self) -> Env {
        self.env("merge_request", &[("GITLAB_TOKEN", gitlab_fake::TOKEN)])
    }
}

/// An event payload from `fixtures/github/events`, its `@NAME@` placeholders filled.
pub(crate) fn event(name: &str, values: &[(&str, &str)]) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/github/events")
        .join(format!("{name}.json"));
    let mut text = std::fs::read_to_string(path).unwrap();
    for (key, value) in values {
        text = text.replace(&format!("@{key}@"), value);
    }
    let parts: Vec<&str> = text.split('@').collect();
    let left = parts
        .iter()
        .skip(1)
        .take(parts.len().saturating_sub(2))
        .find(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
    assert!(left.is_none(), "@{left:?}@ left in {name}.json");
    serde_json::from_str(&text).unwrap()
}
