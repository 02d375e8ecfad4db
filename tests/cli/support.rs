//! The test harness: a temporary git repository with a stable author, dates and `HOME`, a
//! way to run the `mlci` binary in it, and the redactions that make output comparable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Environment that makes git output the same on every machine.
pub const GIT_ENV: &[(&str, &str)] = &[
    ("GIT_AUTHOR_NAME", "mlci test"),
    ("GIT_AUTHOR_EMAIL", "test@mlci.invalid"),
    ("GIT_COMMITTER_NAME", "mlci test"),
    ("GIT_COMMITTER_EMAIL", "test@mlci.invalid"),
    ("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z"),
    ("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z"),
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_TERMINAL_PROMPT", "0"),
];

/// A git repository in a temporary directory.
pub struct TestRepo {
    dir: tempfile::TempDir,
}

impl TestRepo {
    /// An empty repository on branch `main`.
    pub fn new() -> TestRepo {
        let dir = tempfile::Builder::new()
            .prefix("mlci-test")
            .tempdir()
            .unwrap();
        let repo = TestRepo { dir };
        std::fs::create_dir_all(repo.home()).unwrap();
        std::fs::create_dir_all(repo.root()).unwrap();
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// The work tree.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// The temporary directory holding everything (the work tree, `HOME`, clones).
    pub fn temp(&self) -> &Path {
        self.dir.path()
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A command with the stable environment, in `dir`.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("GIT_CONFIG_GLOBAL", self.home().join(".gitconfig"));
        for (key, value) in GIT_ENV {
            command.env(key, value);
        }
        command
    }

    /// Runs git in the work tree and returns stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.root(), args)
    }

    /// Runs git in `dir`.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let output = self.command("git", dir).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Writes a file (creating directories).
    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &Self {
        let full = self.root().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
        self
    }

    /// Makes the work tree exactly `files` (keeping `.git`).
    pub fn replace_tree(&self, files: &Path) {
        for entry in std::fs::read_dir(self.root()).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == ".git" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                std::fs::remove_dir_all(entry.path()).unwrap();
            } else {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        copy_dir(files, &self.root());
    }

    /// Stages everything and commits; returns the commit's SHA.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// A clone as CI makes one: `git clone --depth=1 --branch BRANCH` (a branch or a tag;
    /// single-branch, no `origin/HEAD` unless the branch is origin's `HEAD`) into
    /// `TEMP/name`.
    pub fn shallow_clone(&self, branch: &str, name: &str) -> PathBuf {
        let clone = self.temp().join(name);
        let url = format!("file://{}", self.root().display());
        self.git_in(
            self.temp(),
            &[
                "clone",
                "-q",
                "--depth=1",
                "--branch",
                branch,
                &url,
                clone.to_str().unwrap(),
            ],
        );
        clone
    }

    /// A checkout as `actions/checkout` makes one of a ref that is not a branch (a pull
    /// request's `refs/pull/N/merge`): `git init`, `git fetch --depth=1 origin +REF:...`,
    /// a detached `HEAD`.
    pub fn shallow_fetch(&self, reference: &str, name: &str) -> PathBuf {
        let clone = self.temp().join(name);
        std::fs::create_dir_all(&clone).unwrap();
        let url = format!("file://{}", self.root().display());
        let local = format!("refs/remotes/{}", reference.trim_start_matches("refs/"));
        self.git_in(&clone, &["init", "-q"]);
        self.git_in(&clone, &["remote", "add", "origin", &url]);
        self.git_in(
            &clone,
            &[
                "fetch",
                "-q",
                "--no-tags",
                "--depth=1",
                "origin",
                &format!("+{reference}:{local}"),
            ],
        );
        self.git_in(&clone, &["checkout", "-q", "--detach", &local]);
        clone
    }

    /// Runs `mlci` in the work tree.
    pub fn mlci(&self, args: &[&str]) -> Run {
        self.mlci_in(&self.root(), args)
    }

    /// Runs `mlci` in `dir`.
    pub fn mlci_in(&self, dir: &Path, args: &[&str]) -> Run {
        self.mlci_with(dir, args, &[])
    }

    /// Runs `mlci` in `dir` with extra environment variables (a CI job's).
    pub fn mlci_with(&self, dir: &Path, args: &[&str], env: &[(String, String)]) -> Run {
        let output = self
            .command(env!("CARGO_BIN_EXE_mlci"), dir)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let shas = self
            .command("git", &self.root())
            .args(["rev-list", "--all"])
            .output()
            .map(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Run {
            output,
            temp: self.temp().to_path_buf(),
            shas,
        }
    }
}

/// Copies a directory tree; symbolic links are copied as links (to where they point, even
/// nowhere), never followed.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path()).unwrap(), target).unwrap();
        } else if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A finished run of the binary.
pub struct Run {
    pub output: Output,
    temp: PathBuf,
    /// Every commit of the repository, for redaction.
    shas: Vec<String>,
}

impl Run {
    /// stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8(self.output.stdout.clone()).unwrap()
    }

    /// stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8(self.output.stderr.clone()).unwrap()
    }

    /// The exit code.
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// Asserts success and returns stdout.
    pub fn success(&self) -> String {
        assert_eq!(self.code(), 0, "stderr:\n{}", self.stderr());
        self.stdout()
    }

    /// Exit code, stdout and stderr with the named redactions applied, for snapshots.
    pub fn transcript(&self) -> String {
        redact(
            &format!(
                "exit code: {}\n--- stdout\n{}--- stderr\n{}",
                self.code(),
                self.stdout(),
                self.stderr()
            ),
            &self.temp,
            &self.shas,
        )
    }
}

/// The redactions, in one place: temporary paths, the repository's commit SHAs (full and
/// short), the machine description.
pub fn redact(text: &str, temp: &Path, shas: &[String]) -> String {
    let mut text = text.replace(&temp.display().to_string(), "[TEMP]");
    if let Ok(real) = temp.canonicalize() {
        text = text.replace(&real.display().to_string(), "[TEMP]");
    }
    for sha in shas {
        text = text
            .replace(sha.as_str(), "[SHA]")
            .replace(&sha[..7], "[SHORT]");
    }
    let mut out = String::with_capacity(text.len());
    let mut in_environment = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with("<details><summary>Environment</summary>") {
            in_environment = true;
            out.push_str("[ENVIRONMENT]\n");
            continue;
        }
        if in_environment {
            in_environment = !line.starts_with("</details>");
            continue;
        }
        out.push_str(line);
    }
    out
}
