//! Git and the disk: the only module that runs `git` or reads the repository's files.
//!
//! It finds the repository, resolves revisions (fetching what a shallow CI clone lacks), and
//! provides [`GitTree`], the [`FileSource`] of a commit (read from git objects, no
//! checkout), and the listing of the working tree ([`Repo::work_tree`], a
//! [`Directory`] that asks `git ls-files`). It refuses to follow a symlink out of the
//! repository.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use crate::inputs::{Directory, FileSource, Lister, ReadError, SourceError, paths};

/// A failed git operation, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// `git` could not be started at all.
    #[error("cannot run `git`: {0}")]
    NotInstalled(std::io::Error),
    /// The directory is not inside a git work tree.
    #[error("`{0}` is not inside a git repository")]
    NotARepository(PathBuf),
    /// A revision does not name a commit.
    #[error("unknown revision `{revision}`: {message}")]
    UnknownRevision {
        /// As the user wrote it.
        revision: String,
        /// git's own words.
        message: String,
        /// Whether the clone is shallow (the likely cause in CI).
        shallow: bool,
    },
    /// No default branch to compare against.
    #[error("cannot find the default branch to compare against (tried origin/HEAD, main, master)")]
    NoDefaultBranch,
    /// The repository has no commit yet: there is no base.
    #[error("the repository at `{0}` has no commits yet, so there is no base to compare with")]
    NoCommits(PathBuf),
    /// Two commits share no history that this clone has.
    #[error("no merge-base between `{a}` and `{b}`{}", if *shallow { " in this shallow clone, even after fetching more history" } else { "" })]
    NoMergeBase {
        /// One side.
        a: String,
        /// The other side.
        b: String,
        /// Whether the clone is (still) shallow.
        shallow: bool,
    },
    /// Any other git failure.
    #[error("`git {command}` failed: {message}")]
    Failed {
        /// The arguments.
        command: String,
        /// git's stderr.
        message: String,
    },
}

impl GitError {
    /// The fix to suggest, if there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            GitError::NotInstalled(_) => Some("install git and make sure it is on PATH".into()),
            GitError::NotARepository(_) => Some(
                "run mlci inside the repository (or pass `-C DIR`), or compare two directories with `--base-dir`"
                    .into(),
            ),
            GitError::UnknownRevision { shallow: true, .. }
            | GitError::NoMergeBase { shallow: true, .. } => Some(SHALLOW_HINT.into()),
            GitError::UnknownRevision { .. } => {
                Some("check the name with `git rev-parse --verify REV`, or fetch it first".into())
            }
            GitError::NoDefaultBranch => Some(
                "pass the base explicitly with `--base REF` (for example `--base origin/develop`)"
                    .into(),
            ),
            GitError::NoCommits(_) => Some(
                "commit the baseline run first (its metrics files), then report the changes made after it; or compare two folders with `--base-dir` and `--head-dir`"
                    .into(),
            ),
            GitError::NoMergeBase { .. } | GitError::Failed { .. } => None,
        }
    }
}

/// What to tell someone whose CI clone lacks history.
pub const SHALLOW_HINT: &str = "the checkout is shallow and the base commit could not be fetched; \
on GitHub Actions set `fetch-depth: 0` on `actions/checkout`, on GitLab set `GIT_DEPTH: 0`";

/// A git work tree.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
    safe_directory: Option<PathBuf>,
}

/// A commit, by full SHA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The full object name.
    pub sha: String,
}

impl Commit {
    /// The first seven characters, as people quote commits.
    pub fn short(&self) -> &str {
        &self.sha[..self.sha.len().min(7)]
    }
}

/// Mode of a symbolic link in a git tree.
const SYMLINK_MODE: &str = "120000";
/// Symlink hops followed before giving up (Linux's own limit is 40).
const MAX_SYMLINK_HOPS: usize = 40;
/// How far to deepen a shallow clone, step by step, looking for a merge-base.
const DEEPEN_STEPS: [u32; 3] = [50, 500, 5000];

impl Repo {
    /// The repository containing `dir`. `safe_directory` is trusted for this process only
    /// (`-c safe.directory=...`), for container actions whose workspace belongs to another
    /// user; the user's git configuration is never written.
    pub fn discover(dir: &Path, safe_directory: Option<PathBuf>) -> Result<Repo, GitError> {
        let probe = Repo {
            root: dir.to_path_buf(),
            safe_directory,
        };
        let top = probe
            .run(&["rev-parse", "--show-toplevel"])
            .map_err(|error| match error {
                GitError::Failed { .. } => GitError::NotARepository(dir.to_path_buf()),
                other => other,
            })?;
        Ok(Repo {
            root: PathBuf::from(top.trim_end_matches('\n')),
            safe_directory: probe.safe_directory,
        })
    }

    /// The top of the work tree.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn command(&self) -> Command {
        let mut command = Command::new("git");
        command.arg("-C").arg(&self.root);
        if let Some(dir) = &self.safe_directory {
            command
                .arg("-c")
                .arg(format!("safe.directory={}", dir.display()));
        }
        command
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE");
        command
    }

    /// Runs git, returning stdout; a non-zero exit is [`GitError::Failed`] with stderr.
    fn run(&self, args: &[&str]) -> Result<String, GitError> {
        let output = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(GitError::NotInstalled)?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(GitError::Failed {
                command: args.join(" "),
                message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            })
        }
    }

    /// Whether this clone has cut-off history.
    pub fn is_shallow(&self) -> bool {
        self.run(&["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|out| out.trim() == "true")
    }

    fn has_origin(&self) -> bool {
        self.run(&["remote", "get-url", "origin"]).is_ok()
    }

    fn try_resolve(&self, revision: &str) -> Option<Commit> {
        let out = self
            .run(&[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{revision}^{{commit}}"),
            ])
            .ok()?;
        Some(Commit {
            sha: out.trim().to_owned(),
        })
    }

    /// Resolves a revision to a commit. When it is missing here and `origin` exists (a
    /// shallow CI clone), fetches it (`git fetch --depth=1 origin REV`) and tries again; only
    /// a full SHA or a branch name (`main`, `origin/main`) is ever fetched, never a revision
    /// expression such as `HEAD~1`.
    pub fn resolve(&self, revision: &str) -> Result<Commit, GitError> {
        if let Some(commit) = self.try_resolve(revision) {
            return Ok(commit);
        }
        let mut last_message = String::from("not a commit in this repository");
        let remote_name = revision.strip_prefix("origin/").unwrap_or(revision);
        let fetchable = is_full_sha(remote_name) || is_branch_name(remote_name);
        if fetchable && self.has_origin() {
            let refspec = if is_full_sha(remote_name) {
                remote_name.to_owned()
            } else {
                format!("+refs/heads/{remote_name}:refs/remotes/origin/{remote_name}")
            };
            log::info!("`{revision}` is not in this clone; fetching it from origin");
            match self.run(&["fetch", "--no-tags", "--depth=1", "origin", &refspec]) {
                Ok(_) => {
                    let local = if is_full_sha(remote_name) {
                        remote_name.to_owned()
                    } else {
                        format!("refs/remotes/origin/{remote_name}")
                    };
                    if let Some(commit) = self.try_resolve(&local) {
                        return Ok(commit);
                    }
                }
                Err(GitError::Failed { message, .. }) => last_message = message,
                Err(other) => return Err(other),
            }
        }
        Err(GitError::UnknownRevision {
            revision: revision.to_owned(),
            message: last_message,
            shallow: self.is_shallow(),
        })
    }

    /// The branch pull requests merge into, as a revision to resolve.
    ///
    /// `named` is what the CI says it is (`repository.default_branch`, `CI_DEFAULT_BRANCH`):
    /// then it is origin's copy (`origin/NAME`, fetched when this clone lacks it, as shallow
    /// checkouts do), else the local branch. Otherwise it is found here: `origin/HEAD`, else
    /// `origin/main`, `origin/master`, `main`, `master`; when none is here, origin is asked
    /// for its default branch, which is fetched.
    ///
    /// `reported` is the branch being reported (else the checked-out one). A single-branch
    /// clone may have `origin/HEAD` pointing at that very branch; it is not taken for the
    /// default branch unless origin agrees, since the merge-base with it would be the head
    /// itself.
    pub fn default_branch(
        &self,
        named: Option<&str>,
        reported: Option<&str>,
    ) -> Result<String, GitError> {
        if let Some(name) = named {
            return self.named_branch(name);
        }
        let reported = reported
            .map(str::to_owned)
            .or_else(|| self.current_branch());
        if let Ok(out) = self.run(&["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"]) {
            let name = out.trim().trim_start_matches("refs/remotes/").to_owned();
            let is_reported = reported.as_deref().is_some_and(|r| {
                name.strip_prefix("origin/") == Some(r) && self.is_single_branch()
            });
            if is_reported {
                log::info!(
                    "origin/HEAD of this single-branch clone points at `{name}`, the branch being reported; asking origin for its default branch"
                );
                match self.origin_default_branch() {
                    Some(branch) if branch != name => {
                        self.resolve(&branch)?;
                        return Ok(branch);
                    }
                    _ => {}
                }
            }
            if self.try_resolve(&name).is_some() {
                return Ok(name);
            }
        }
        for candidate in ["origin/main", "origin/master", "main", "master"] {
            if self.try_resolve(candidate).is_some() {
                return Ok(candidate.to_owned());
            }
        }
        if let Some(name) = self.origin_default_branch() {
            self.resolve(&name)?;
            return Ok(name);
        }
        Err(GitError::NoDefaultBranch)
    }

    /// A branch the CI named: `origin/NAME` (fetched when missing), else the local `NAME`.
    fn named_branch(&self, name: &str) -> Result<String, GitError> {
        if !is_branch_name(name) {
            return Err(GitError::UnknownRevision {
                revision: name.to_owned(),
                message: "not a branch name".into(),
                shallow: false,
            });
        }
        let remote = format!("origin/{name}");
        if self.has_origin() {
            match self.resolve(&remote) {
                Ok(_) => return Ok(remote),
                Err(error) if self.try_resolve(name).is_none() => return Err(error),
                Err(_) => {}
            }
        }
        match self.try_resolve(name) {
            Some(_) => Ok(name.to_owned()),
            None => Err(GitError::UnknownRevision {
                revision: name.to_owned(),
                message: "the default branch is not in this repository".into(),
                shallow: self.is_shallow(),
            }),
        }
    }

    /// `origin/NAME` for the branch origin's `HEAD` names (`git ls-remote --symref`).
    fn origin_default_branch(&self) -> Option<String> {
        if !self.has_origin() {
            return None;
        }
        let out = self
            .run(&["ls-remote", "--symref", "origin", "HEAD"])
            .ok()?;
        out.lines()
            .find_map(|line| {
                line.strip_prefix("ref: refs/heads/")
                    .and_then(|rest| rest.split('\t').next())
            })
            .filter(|branch| is_branch_name(branch))
            .map(|branch| format!("origin/{branch}"))
    }

    /// The checked-out branch, if `HEAD` is on one.
    fn current_branch(&self) -> Option<String> {
        self.run(&["symbolic-ref", "--quiet", "--short", "HEAD"])
            .ok()
            .map(|out| out.trim().to_owned())
            .filter(|name| !name.is_empty())
    }

    /// Whether origin's fetch refspecs name branches one by one (`--single-branch`, and
    /// every `--depth` clone): then `origin/HEAD` was made from what was cloned, not read
    /// from origin.
    fn is_single_branch(&self) -> bool {
        self.run(&["config", "--get-all", "remote.origin.fetch"])
            .is_ok_and(|out| !out.contains('*'))
    }

    /// The best common ancestor of two commits. In a shallow clone, deepens the history of
    /// both step by step (`git fetch --deepen`) until they meet.
    pub fn merge_base(&self, a: &Commit, b: &Commit) -> Result<Commit, GitError> {
        let mut steps = DEEPEN_STEPS.iter();
        loop {
            if let Ok(out) = self.run(&["merge-base", &a.sha, &b.sha]) {
                return Ok(Commit {
                    sha: out.trim().to_owned(),
                });
            }
            let shallow = self.is_shallow();
            let step = match steps.next() {
                Some(step) if shallow && self.has_origin() => step,
                _ => {
                    return Err(GitError::NoMergeBase {
                        a: a.short().to_owned(),
                        b: b.short().to_owned(),
                        shallow,
                    });
                }
            };
            log::info!(
                "shallow clone: fetching {step} more commits of history to find the merge-base"
            );
            let deepen = format!("--deepen={step}");
            if let Err(error) = self.run(&["fetch", "--no-tags", &deepen, "origin", &a.sha, &b.sha])
            {
                log::warn!("{error}");
            }
        }
    }

    /// Whether `ancestor` is an ancestor of (or equal to) `descendant`.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        self.command()
            .args(["merge-base", "--is-ancestor", ancestor, descendant])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Whether the object database has this commit (a shallow clone may not).
    pub fn has_commit(&self, sha: &str) -> bool {
        self.command()
            .args(["cat-file", "-e", &format!("{sha}^{{commit}}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The files of a commit.
    pub fn tree(&self, commit: &Commit, label: String) -> Result<GitTree, GitError> {
        let listing = self
            .command()
            .args(["ls-tree", "-r", "-z", "-l", "--full-tree", &commit.sha])
            .stdin(Stdio::null())
            .output()
            .map_err(GitError::NotInstalled)?;
        if !listing.status.success() {
            return Err(GitError::Failed {
                command: format!("ls-tree -r {}", commit.sha),
                message: String::from_utf8_lossy(&listing.stderr).trim().to_owned(),
            });
        }
        let mut entries = BTreeMap::new();
        for record in listing.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`
            let Some((meta, path)) = record.split_once('\t') else {
                continue;
            };
            let mut meta = meta.split(' ').filter(|field| !field.is_empty());
            let (Some(mode), Some(kind), Some(object), Some(size)) =
                (meta.next(), meta.next(), meta.next(), meta.next())
            else {
                continue;
            };
            if kind == "blob" {
                entries.insert(
                    path.to_owned(),
                    TreeEntry {
                        is_symlink: mode == SYMLINK_MODE,
                        object: object.to_owned(),
                        size: size.parse().unwrap_or(u64::MAX),
                    },
                );
            }
        }
        Ok(GitTree {
            label,
            commit: commit.clone(),
            entries,
            reader: Mutex::new(None),
            repo: self.clone(),
        })
    }

    /// The working tree, listed through git so that ignored directories are not walked.
    pub fn work_tree(&self, label: String) -> Directory {
        Directory::listed_by(self.root.clone(), label, Box::new(self.clone()))
    }

    /// Whether the repository has any commit yet.
    pub fn has_commits(&self) -> bool {
        self.try_resolve("HEAD").is_some()
    }
}

/// Whether `name` is a plain branch name that can go into a refspec (`refs/heads/NAME`): no
/// revision syntax (`~`, `^`, `:`, `@{`), no globs, no `..`, nothing git refuses in a ref.
pub fn is_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name != "HEAD"
        && name != "@"
        && !name.starts_with('-')
        && !name.starts_with('/')
        && !name.ends_with('/')
        && !name.ends_with('.')
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("@{")
        && !name.contains("//")
        && name.split('/').all(|part| !part.starts_with('.'))
        && name
            .chars()
            .all(|c| !c.is_control() && !" ~^:?*[\\".contains(c))
}

/// Whether `text` is a full SHA-1 or SHA-256 object name.
pub fn is_full_sha(text: &str) -> bool {
    (text.len() == 40 || text.len() == 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[derive(Debug)]
struct TreeEntry {
    is_symlink: bool,
    object: String,
    size: u64,
}

/// The files of one commit, read from the object database (no checkout).
#[derive(Debug)]
pub struct GitTree {
    label: String,
    commit: Commit,
    entries: BTreeMap<String, TreeEntry>,
    reader: Mutex<Option<CatFile>>,
    repo: Repo,
}

/// A blob as `git cat-file blob` writes it; the process is reaped when the stream ends or
/// is dropped.
struct BlobStream {
    child: std::process::Child,
    stdout: std::process::ChildStdout,
}

impl Read for BlobStream {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.stdout.read(buffer)?;
        if n == 0 && !buffer.is_empty() {
            let status = self.child.wait()?;
            if !status.success() {
                return Err(std::io::Error::other(format!(
                    "git cat-file blob failed: {status}"
                )));
            }
        }
        Ok(n)
    }
}

impl Drop for BlobStream {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl GitTree {
    /// The commit these files are from.
    pub fn commit(&self) -> &Commit {
        &self.commit
    }

    /// Whether a path is a directory with at least one file in this commit.
    fn has_dir(&self, dir: &str) -> bool {
        let prefix = format!("{dir}/");
        self.entries
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(path, _)| path.starts_with(&prefix))
    }

    /// Follows symlinks in `path` (the file itself or a directory on the way) within the tree.
    fn resolve_path(&self, path: &str) -> Result<Option<&TreeEntry>, ReadError> {
        let asked = path;
        let mut path = path.to_owned();
        for _ in 0..MAX_SYMLINK_HOPS {
            if !paths::is_inside(&path) {
                return Err(ReadError::LeavesRepository(asked.to_owned()));
            }
            if paths::touches_git(&path) {
                return Err(ReadError::GitData(asked.to_owned()));
            }
            if let Some(entry) = self.entries.get(&path) {
                if !entry.is_symlink {
                    return Ok(Some(entry));
                }
                let target = self.blob(&entry.object)?;
                let target = String::from_utf8_lossy(&target).into_owned();
                path = paths::join(paths::parent(&path), &target);
                continue;
            }
            // A directory on the way may be a symlink: find the first such prefix.
            let mut prefix_end = None;
            for (i, _) in path.match_indices('/') {
                if self.entries.get(&path[..i]).is_some_and(|e| e.is_symlink) {
                    prefix_end = Some(i);
                    break;
                }
            }
            let Some(i) = prefix_end else {
                return Ok(None);
            };
            let link = &self.entries[&path[..i]];
            let target = String::from_utf8_lossy(&self.blob(&link.object)?).into_owned();
            path = paths::join(
                &paths::join(paths::parent(&path[..i]), &target),
                &path[i + 1..],
            );
        }
        Err(ReadError::Io(format!(
            "too many levels of symbolic links at `{path}`"
        )))
    }

    /// Reads several objects with one round trip to `git cat-file`.
    fn blobs(&self, objects: &[&str]) -> Result<Vec<Vec<u8>>, ReadError> {
        let mut reader = self
            .reader
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if reader.is_none() {
            *reader = Some(CatFile::start(&self.repo).map_err(|e| ReadError::Io(e.to_string()))?);
        }
        let cat = reader.as_mut().expect("started above");
        cat.read_batch(objects)
            .map_err(|error| ReadError::Io(format!("git cat-file failed: {error}")))
    }

    fn blob(&self, object: &str) -> Result<Vec<u8>, ReadError> {
        let mut contents = self.blobs(&[object])?;
        Ok(contents.pop().expect("one reply per request"))
    }
}

impl FileSource for GitTree {
    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ReadError> {
        match self.resolve_path(path)? {
            Some(entry) if entry.size > limit => Err(ReadError::TooLarge {
                size: entry.size,
                limit,
            }),
            Some(entry) => self.blob(&entry.object).map(Some),
            None => Ok(None),
        }
    }

    fn exists(&self, path: &str) -> bool {
        matches!(self.resolve_path(path), Ok(Some(_)))
    }

    /// A blob streamed from `git cat-file blob`, never held whole.
    fn open(&self, path: &str) -> Result<Option<Box<dyn Read + Send>>, ReadError> {
        let Some(entry) = self.resolve_path(path)? else {
            return Ok(None);
        };
        let mut child = self
            .repo
            .command()
            .args(["cat-file", "blob", &entry.object])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| {
                ReadError::Io(format!("git cat-file blob {}: {error}", entry.object))
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        Ok(Some(Box::new(BlobStream { child, stdout })))
    }

    fn read_many(&self, paths: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>, ReadError>> {
        let resolved: Vec<Result<Option<&TreeEntry>, ReadError>> = paths
            .iter()
            .map(|path| match self.resolve_path(path) {
                Ok(Some(entry)) if entry.size > limit => Err(ReadError::TooLarge {
                    size: entry.size,
                    limit,
                }),
                other => other,
            })
            .collect();
        let objects: Vec<&str> = resolved
            .iter()
            .filter_map(|r| r.as_ref().ok().and_then(|e| e.map(|e| e.object.as_str())))
            .collect();
        let mut contents = match self.blobs(&objects) {
            Ok(contents) => contents.into_iter(),
            Err(error) => return paths.iter().map(|_| Err(error.clone())).collect(),
        };
        resolved
            .into_iter()
            .map(|r| match r {
                Ok(Some(_)) => Ok(Some(contents.next().expect("one content per object"))),
                Ok(None) => Ok(None),
                Err(error) => Err(error),
            })
            .collect()
    }

    fn files_under(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        Ok(self
            .entries
            .keys()
            .filter(|path| paths::is_under(path, dir))
            .cloned()
            .collect())
    }

    fn files_named(&self, name: &str) -> Result<Vec<String>, SourceError> {
        Ok(self
            .entries
            .keys()
            .filter(|path| path.rsplit('/').next() == Some(name))
            .cloned()
            .collect())
    }

    fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || self.has_dir(path)
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

/// One long-lived `git cat-file --batch`: a request per line, a response per object.
#[derive(Debug)]
struct CatFile {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl CatFile {
    fn start(repo: &Repo) -> std::io::Result<CatFile> {
        let mut child = repo
            .command()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        Ok(CatFile {
            child,
            stdin,
            stdout,
        })
    }

    /// Sends every request at once (from a thread, so that neither pipe can fill up while
    /// the other side waits) and reads the replies in order.
    fn read_batch(&mut self, objects: &[&str]) -> std::io::Result<Vec<Vec<u8>>> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let request: String = objects.iter().map(|o| format!("{o}\n")).collect();
        let stdin = self.stdin.as_mut().expect("open until drop");
        let stdout = &mut self.stdout;
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || {
                stdin.write_all(request.as_bytes())?;
                stdin.flush()
            });
            let replies: std::io::Result<Vec<Vec<u8>>> =
                objects.iter().map(|_| Self::reply(stdout)).collect();
            writer.join().expect("the writer does not panic")?;
            replies
        })
    }

    fn reply(stdout: &mut BufReader<ChildStdout>) -> std::io::Result<Vec<u8>> {
        let mut header = String::new();
        stdout.read_line(&mut header)?;
        // `<object> <type> <size>` or `<object> missing`
        let size: usize = header
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|size| size.parse().ok())
            .ok_or_else(|| {
                std::io::Error::other(format!("unexpected reply `{}`", header.trim()))
            })?;
        let mut content = vec![0; size + 1]; // the content, then a newline
        stdout.read_exact(&mut content)?;
        content.pop();
        Ok(content)
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        drop(self.stdin.take()); // EOF ends git
        let _ = self.child.wait();
    }
}

impl Lister for Repo {
    /// `git ls-files` of the files named `name`, tracked or untracked and not ignored.
    fn files_named(&self, name: &str) -> Result<Vec<String>, String> {
        let nested = format!("*/{name}");
        let out = self
            .run(&[
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                "--",
                name,
                &nested,
            ])
            .map_err(|error| error.to_string())?;
        Ok(out
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_branch_names_go_into_a_refspec() {
        for name in [
            "main",
            "master",
            "feature/x",
            "release-1.2",
            "gh-readonly-queue/main/pr-1",
        ] {
            assert!(is_branch_name(name), "{name}");
        }
        for name in [
            "HEAD~1", "HEAD^", "HEAD", "@", "main@{1}", "a..b", "a:b", "-x", "x.lock", ".hidden",
            "a/.b", "a b", "a*", "a[", "x/", "/x", "a//b", "", "x.",
        ] {
            assert!(!is_branch_name(name), "{name}");
        }
    }
}
