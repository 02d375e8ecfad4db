//! Git: the only module that runs `git` or reads git's own data (`.git`: objects, the
//! work tree's location). Files on disk are read by [`Directory`], in `inputs`.
//!
//! It finds the repository, resolves revisions (fetching what a shallow CI clone lacks), and
//! provides [`GitTree`], the [`FileSource`] of a commit (read from git objects, no
//! checkout), and the listing of the working tree ([`Repo::work_tree`], a
//! [`Directory`] that asks `git ls-files`). It refuses to follow a symlink out of the
//! repository.
//!
//! One `git cat-file --batch` per run, shared by every revision, resolves revisions and
//! answers for objects; trees and blobs are read in this process when they are in the
//! repository's own loose objects or packs (`objects`), so that both revisions are
//! inflated at once, and from git otherwise. Fetching (shallow clones), merge-bases and the
//! working tree's listing run git commands of their own.

mod objects;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

use objects::{Found, Kind, Store};

use crate::inputs::{Directory, FileSource, Lister, ReadError, SourceError, paths};
use crate::sha::Sha;

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

/// A git work tree. Clones share its object reading.
#[derive(Debug, Clone)]
pub struct Repo {
    root: PathBuf,
    safe_directory: Option<PathBuf>,
    objects: Arc<Objects>,
}

/// Where objects are read from: this process when it can, one `git cat-file --batch`
/// otherwise. Both start on first use and start again after a fetch.
#[derive(Debug)]
struct Objects {
    /// The repository's object directory, when known (`.git/objects`).
    dir: Option<PathBuf>,
    store: Mutex<Option<Arc<Store>>>,
    cat_file: Mutex<Option<CatFile>>,
}

impl Objects {
    fn new(dir: Option<PathBuf>) -> Objects {
        Objects {
            dir,
            store: Mutex::new(None),
            cat_file: Mutex::new(None),
        }
    }

    /// The in-process reader, unless `GIT_OBJECT_DIRECTORY` points git elsewhere.
    fn store(&self) -> Option<Arc<Store>> {
        let dir = self.dir.as_ref()?;
        if std::env::var_os("GIT_OBJECT_DIRECTORY").is_some() {
            return None;
        }
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        Some(
            store
                .get_or_insert_with(|| Arc::new(Store::new(dir.clone())))
                .clone(),
        )
    }

    /// Forgets what was read of the object database, after a fetch added to it.
    fn refresh(&self) {
        *self.store.lock().unwrap_or_else(PoisonError::into_inner) = None;
        *self.cat_file.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// What git has under a name.
#[derive(Debug)]
enum Object {
    /// The object: its full name, type and contents.
    Found {
        id: String,
        kind: Kind,
        data: Vec<u8>,
    },
    /// Larger than the limit asked: its full name and size; nothing was read.
    TooLarge { id: String, size: u64 },
    /// No such object (or an ambiguous name).
    Missing,
}

/// A commit, by full SHA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The full object name.
    pub sha: Sha,
}

impl Commit {
    /// The short name, as people quote commits.
    pub fn short(&self) -> &str {
        self.sha.short()
    }
}

/// Modes of a symbolic link, a directory and a submodule in a git tree.
const SYMLINK_MODE: &[u8] = b"120000";
const TREE_MODE: &[u8] = b"40000";
const SUBMODULE_MODE: &[u8] = b"160000";
/// Directories nested deeper than this are not listed (git's `core.maxTreeDepth` is 2048).
const MAX_TREE_DEPTH: usize = 4096;
/// The longest symlink target read (Linux's `PATH_MAX` is 4096).
const SYMLINK_TARGET_LIMIT: u64 = 64 << 10;
/// Commits are read whole to find their tree; larger ones are refused.
const COMMIT_LIMIT: u64 = 16 << 20;
/// Symlink hops followed before giving up (Linux's own limit is 40).
const MAX_SYMLINK_HOPS: usize = 40;
/// How far to deepen a shallow clone, step by step, looking for a merge-base.
const DEEPEN_STEPS: [u32; 3] = [50, 500, 5000];

impl Repo {
    /// The repository containing `dir`. `safe_directory` is trusted for this process only
    /// (`-c safe.directory=...`), for container actions whose workspace belongs to another
    /// user; the user's git configuration is never written.
    ///
    /// The work tree is found as git finds it, by looking for `.git` upwards, when that is
    /// certain: a `.git` directory, or a `.git` file naming one (linked worktrees), owned by
    /// this user, with no setting that moves the work tree; otherwise git is asked
    /// (`rev-parse --show-toplevel`), which also applies `safe.directory`.
    pub fn discover(dir: &Path, safe_directory: Option<PathBuf>) -> Result<Repo, GitError> {
        if let Some(found) = find_work_tree(dir) {
            return Ok(Repo {
                root: found.root,
                safe_directory,
                objects: Arc::new(Objects::new(Some(found.common_dir.join("objects")))),
            });
        }
        let probe = Repo {
            root: dir.to_path_buf(),
            safe_directory,
            objects: Arc::new(Objects::new(None)),
        };
        let out = probe
            .run(&["rev-parse", "--show-toplevel", "--git-common-dir"])
            .map_err(|error| match error {
                GitError::Failed { .. } => GitError::NotARepository(dir.to_path_buf()),
                other => other,
            })?;
        let mut lines = out.lines();
        let root = PathBuf::from(lines.next().unwrap_or_default());
        let objects = lines.next().map(|common| dir.join(common).join("objects"));
        Ok(Repo {
            root,
            safe_directory: probe.safe_directory,
            objects: Arc::new(Objects::new(objects)),
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

    /// The commit a revision names, asked of the shared `git cat-file --batch`
    /// (`REV^{commit}` as `rev-parse --verify` reads it).
    fn try_resolve(&self, revision: &str) -> Option<Commit> {
        if revision.is_empty() || revision.contains(['\n', '\r']) {
            return None;
        }
        let request = format!("{revision}^{{commit}}");
        match self.ask_git(&[request], COMMIT_LIMIT) {
            Ok(mut replies) => match replies.pop() {
                Some(Object::Found { id, .. } | Object::TooLarge { id, .. }) => Some(Commit {
                    sha: Sha::parse(&id)?,
                }),
                _ => None,
            },
            Err(error) => {
                log::debug!("{error}");
                None
            }
        }
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
        let fetchable = Sha::parse(remote_name).is_some() || is_branch_name(remote_name);
        if fetchable && self.has_origin() {
            let refspec = if Sha::parse(remote_name).is_some() {
                remote_name.to_owned()
            } else {
                format!("+refs/heads/{remote_name}:refs/remotes/origin/{remote_name}")
            };
            log::info!("`{revision}` is not in this clone; fetching it from origin");
            let fetched = self.run(&["fetch", "--no-tags", "--depth=1", "origin", &refspec]);
            self.objects.refresh();
            match fetched {
                Ok(_) => {
                    let local = if Sha::parse(remote_name).is_some() {
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
            if let Some(sha) = self
                .run(&["merge-base", a.sha.as_str(), b.sha.as_str()])
                .ok()
                .and_then(|out| Sha::parse(&out))
            {
                return Ok(Commit { sha });
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
            self.objects.refresh();
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
        self.try_resolve(sha).is_some()
    }

    /// The files of a commit: its tree and every tree under it, level by level, each level
    /// read at once.
    pub fn tree(&self, commit: &Commit, label: String) -> Result<GitTree, GitError> {
        let failed = |message: String| GitError::Failed {
            command: format!("cat-file --batch ({})", commit.sha),
            message,
        };
        let commit_object = self
            .read_objects(&[commit.sha.as_str()], COMMIT_LIMIT)?
            .pop();
        let root = match commit_object {
            Some(Object::Found {
                kind: Kind::Commit,
                data,
                ..
            }) => data
                .strip_prefix(b"tree ")
                .and_then(|rest| rest.split(|b| *b == b'\n').next())
                .map(|id| String::from_utf8_lossy(id).into_owned())
                .filter(|id| Sha::parse(id).is_some())
                .ok_or_else(|| failed("the commit names no tree".into()))?,
            _ => return Err(failed("not a commit in this repository".into())),
        };
        let mut entries = BTreeMap::new();
        let mut level = vec![(String::new(), root)];
        for _ in 0..MAX_TREE_DEPTH {
            if level.is_empty() {
                break;
            }
            let ids: Vec<&str> = level.iter().map(|(_, id)| id.as_str()).collect();
            let trees = self.read_objects(&ids, u64::MAX)?;
            let mut next = Vec::new();
            for ((dir, id), tree) in level.iter().zip(trees) {
                let Object::Found {
                    kind: Kind::Tree,
                    data,
                    ..
                } = tree
                else {
                    return Err(failed(format!("tree {id} is missing")));
                };
                for entry in TreeEntries::new(&data, commit.sha.len() / 2) {
                    let (mode, name, object) =
                        entry.ok_or_else(|| failed(format!("tree {id} does not parse")))?;
                    let name = String::from_utf8_lossy(name);
                    let path = if dir.is_empty() {
                        name.into_owned()
                    } else {
                        format!("{dir}/{name}")
                    };
                    match mode {
                        TREE_MODE => next.push((path, objects::hex(object))),
                        SUBMODULE_MODE => {}
                        _ => {
                            entries.insert(
                                path,
                                TreeEntry {
                                    is_symlink: mode == SYMLINK_MODE,
                                    object: objects::hex(object),
                                },
                            );
                        }
                    }
                }
            }
            level = next;
        }
        if !level.is_empty() {
            return Err(failed(format!(
                "directories nested deeper than {MAX_TREE_DEPTH} levels"
            )));
        }
        Ok(GitTree {
            label,
            commit: commit.clone(),
            entries,
            repo: self.clone(),
        })
    }

    /// Objects by full name, each read here when it can be, the rest from git in one round
    /// trip; one reply per name, in order. Contents over `limit` are not read.
    fn read_objects(&self, ids: &[&str], limit: u64) -> Result<Vec<Object>, GitError> {
        let store = self.objects.store();
        let mut replies: Vec<Option<Object>> = ids
            .iter()
            .map(|id| {
                let store = store.as_ref()?;
                let binary = objects::from_hex(id)?;
                match store.read(&binary, limit) {
                    Ok(Some(Found::Object(kind, data))) => Some(Object::Found {
                        id: (*id).to_owned(),
                        kind,
                        data,
                    }),
                    Ok(Some(Found::TooLarge(size))) => Some(Object::TooLarge {
                        id: (*id).to_owned(),
                        size,
                    }),
                    Ok(None) => None,
                    Err(error) => {
                        log::debug!("object {id}: {error}; asking git");
                        None
                    }
                }
            })
            .collect();
        let missing: Vec<String> = ids
            .iter()
            .zip(&replies)
            .filter(|(_, reply)| reply.is_none())
            .map(|(id, _)| (*id).to_owned())
            .collect();
        let mut from_git = self.ask_git(&missing, limit)?.into_iter();
        Ok(replies
            .iter_mut()
            .map(|reply| {
                reply
                    .take()
                    .or_else(|| from_git.next())
                    .unwrap_or(Object::Missing)
            })
            .collect())
    }

    /// Asks the shared `git cat-file --batch` (started on first use) for objects by name
    /// (any revision syntax). A reply over the limit ends that process unread; another
    /// answers the rest.
    fn ask_git(&self, requests: &[String], limit: u64) -> Result<Vec<Object>, GitError> {
        let failed = |error: std::io::Error| GitError::Failed {
            command: "cat-file --batch".into(),
            message: error.to_string(),
        };
        let mut replies = Vec::with_capacity(requests.len());
        let mut slot = self
            .objects
            .cat_file
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while replies.len() < requests.len() {
            let cat_file = match slot.as_mut() {
                Some(cat_file) => cat_file,
                None => slot.insert(CatFile::start(self).map_err(GitError::NotInstalled)?),
            };
            match cat_file.read_batch(&requests[replies.len()..], limit, &mut replies) {
                Ok(true) => {}
                Ok(false) => *slot = None,
                Err(error) => {
                    *slot = None;
                    return Err(failed(error));
                }
            }
        }
        Ok(replies)
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

/// A work tree found without asking git, and the common directory of its git directory
/// (where the objects are; a linked worktree shares the main one's).
#[derive(Debug, PartialEq, Eq)]
struct Location {
    root: PathBuf,
    common_dir: PathBuf,
}

/// Environment variables that change where git looks (or with what settings): when one is
/// set, git is asked.
const DISCOVERY_VARIABLES: [&str; 6] = [
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
];

/// The work tree that contains `dir`, as git's discovery finds it, when that is certain:
/// the nearest `.git` upwards, on the same file system, a directory or a file naming one
/// (`gitdir: ...`), owned by this user like the work tree (else `safe.directory` decides),
/// valid (`HEAD`, `objects`), and with nothing in its configuration that moves or removes the
/// work tree (`core.worktree`, `core.bare`, includes). `None` means: ask git.
#[cfg(target_os = "linux")]
fn find_work_tree(dir: &Path) -> Option<Location> {
    use std::os::unix::fs::MetadataExt;

    if DISCOVERY_VARIABLES
        .iter()
        .any(|name| std::env::var_os(name).is_some())
    {
        return None;
    }
    let me = std::fs::metadata("/proc/self").ok()?.uid();
    let start = dir.canonicalize().ok()?;
    let device = std::fs::metadata(&start).ok()?.dev();
    for candidate in start.ancestors() {
        let metadata = std::fs::metadata(candidate).ok()?;
        if metadata.dev() != device {
            return None;
        }
        let dot_git = candidate.join(".git");
        let link = match std::fs::symlink_metadata(&dot_git) {
            Ok(link) => link,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if candidate.join("HEAD").exists() && candidate.join("objects").is_dir() {
                    return None; // inside a git directory itself: git says what that means
                }
                continue;
            }
            Err(_) => return None,
        };
        if metadata.uid() != me || link.uid() != me {
            return None;
        }
        let git_dir = if link.is_dir() {
            dot_git
        } else if link.is_file() {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = candidate.join(text.strip_prefix("gitdir: ")?.trim_end());
            if std::fs::metadata(&target).ok()?.uid() != me {
                return None;
            }
            target
        } else {
            return None;
        };
        let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
        let head = head.trim_end();
        if !head.starts_with("ref: refs/") && Sha::parse(head).is_none() {
            return None;
        }
        let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
            Ok(common) => git_dir.join(common.trim_end()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => git_dir,
            Err(_) => return None,
        };
        if !common_dir.join("objects").is_dir() {
            return None;
        }
        match std::fs::read_to_string(common_dir.join("config")) {
            Ok(config) if moves_work_tree(&config) => return None,
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
        }
        return Some(Location {
            root: candidate.to_path_buf(),
            common_dir,
        });
    }
    None
}

#[cfg(not(target_os = "linux"))]
fn find_work_tree(_: &Path) -> Option<Location> {
    None
}

/// Whether a repository's configuration may put the work tree elsewhere or make it bare:
/// any `worktree` key (`core.worktree`, `extensions.worktreeConfig`), a `bare` that is not
/// plainly false, an include. Read loosely, erring towards asking git.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn moves_work_tree(config: &str) -> bool {
    config.lines().any(|line| {
        let line: String = line
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        line.starts_with("worktree")
            || line.starts_with("[include")
            || (line.starts_with("bare")
                && !matches!(
                    line.as_str(),
                    "bare=false" | "bare=no" | "bare=off" | "bare=0"
                ))
    })
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

#[derive(Debug)]
struct TreeEntry {
    is_symlink: bool,
    object: String,
}

/// The entries of a raw tree object: `<mode> <name>\0<binary object name>`, each as
/// `(mode, name, object)`; `None` where the data does not parse.
struct TreeEntries<'a> {
    data: &'a [u8],
    hash_len: usize,
}

impl<'a> TreeEntries<'a> {
    fn new(data: &'a [u8], hash_len: usize) -> Self {
        TreeEntries { data, hash_len }
    }
}

impl<'a> Iterator for TreeEntries<'a> {
    type Item = Option<(&'a [u8], &'a [u8], &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.data.is_empty() {
            return None;
        }
        let entry = (|| {
            let space = self.data.iter().position(|b| *b == b' ')?;
            let nul = space + 1 + self.data[space + 1..].iter().position(|b| *b == 0)?;
            let object = self.data.get(nul + 1..nul + 1 + self.hash_len)?;
            let entry = (&self.data[..space], &self.data[space + 1..nul], object);
            self.data = &self.data[nul + 1 + self.hash_len..];
            Some(entry)
        })();
        if entry.is_none() {
            self.data = &[];
        }
        Some(entry)
    }
}

/// The files of one commit, read from the object database (no checkout).
#[derive(Debug)]
pub struct GitTree {
    label: String,
    commit: Commit,
    entries: BTreeMap<String, TreeEntry>,
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
                let target = self.link_target(asked, entry)?;
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
            let target = self.link_target(asked, link)?;
            path = paths::join(
                &paths::join(paths::parent(&path[..i]), &target),
                &path[i + 1..],
            );
        }
        Err(ReadError::Io(format!(
            "too many levels of symbolic links at `{path}`"
        )))
    }

    /// The target of a symbolic link.
    fn link_target(&self, path: &str, link: &TreeEntry) -> Result<String, ReadError> {
        match self
            .blobs(&[link.object.as_str()], SYMLINK_TARGET_LIMIT)?
            .pop()
        {
            Some(Ok(target)) => Ok(String::from_utf8_lossy(&target).into_owned()),
            Some(Err(ReadError::TooLarge { .. })) => Err(ReadError::Io(format!(
                "`{path}`: a symbolic link on the way is longer than any path"
            ))),
            Some(Err(error)) => Err(error),
            None => Err(ReadError::Io(format!("{path}: no reply from git"))),
        }
    }

    /// The contents of blobs, read at once (both revisions may read at the same time).
    fn blobs(
        &self,
        objects: &[&str],
        limit: u64,
    ) -> Result<Vec<Result<Vec<u8>, ReadError>>, ReadError> {
        let replies = self
            .repo
            .read_objects(objects, limit)
            .map_err(|error| ReadError::Io(error.to_string()))?;
        Ok(objects
            .iter()
            .zip(replies)
            .map(|(object, reply)| match reply {
                Object::Found {
                    kind: Kind::Blob,
                    data,
                    ..
                } => Ok(data),
                Object::TooLarge { size, .. } => Err(ReadError::TooLarge { size, limit }),
                Object::Found { kind, .. } => Err(ReadError::Io(format!(
                    "object {object} is a {}, not a file",
                    kind.name()
                ))),
                Object::Missing => Err(ReadError::Io(format!(
                    "object {object} is missing from this clone"
                ))),
            })
            .collect())
    }
}

impl FileSource for GitTree {
    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ReadError> {
        self.read_many(&[path.to_owned()], limit)
            .pop()
            .unwrap_or(Ok(None))
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
        let resolved: Vec<Result<Option<&TreeEntry>, ReadError>> =
            paths.iter().map(|path| self.resolve_path(path)).collect();
        let objects: Vec<&str> = resolved
            .iter()
            .filter_map(|r| r.as_ref().ok().and_then(|e| e.map(|e| e.object.as_str())))
            .collect();
        let mut contents = match self.blobs(&objects, limit) {
            Ok(contents) => contents.into_iter(),
            Err(error) => return paths.iter().map(|_| Err(error.clone())).collect(),
        };
        resolved
            .into_iter()
            .map(|r| match r {
                Ok(Some(_)) => contents.next().expect("one content per object").map(Some),
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
        let stdout =
            BufReader::with_capacity(64 << 10, child.stdout.take().expect("stdout is piped"));
        Ok(CatFile {
            child,
            stdin,
            stdout,
        })
    }

    /// Sends every request at once (from a thread, so that neither pipe can fill up while
    /// the other side waits) and reads the replies in order into `replies`. At a reply over
    /// `limit` it stops, ends git and returns `false`: the contents are never read, and the
    /// rest of the requests are for another process.
    fn read_batch(
        &mut self,
        requests: &[String],
        limit: u64,
        replies: &mut Vec<Object>,
    ) -> std::io::Result<bool> {
        let CatFile {
            child,
            stdin,
            stdout,
        } = self;
        let request: String = requests.iter().map(|r| format!("{r}\n")).collect();
        let stdin = stdin.as_mut().expect("open until drop");
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || {
                stdin.write_all(request.as_bytes())?;
                stdin.flush()
            });
            let mut complete = true;
            let mut result = Ok(());
            for name in requests {
                match Self::reply(stdout, name, limit) {
                    Ok(reply) => {
                        let over = matches!(reply, Object::TooLarge { .. });
                        replies.push(reply);
                        if over {
                            complete = false;
                            break;
                        }
                    }
                    Err(error) => {
                        result = Err(error);
                        break;
                    }
                }
            }
            if !complete || result.is_err() {
                // The writer may be blocked on a full pipe: ending git frees it.
                let _ = child.kill();
            }
            let written = writer.join().expect("the writer does not panic");
            result?;
            if complete {
                written?;
            }
            Ok(complete)
        })
    }

    /// One reply: `<object> <type> <size>` and the contents, or `<name> missing` (also
    /// `ambiguous`).
    fn reply(
        stdout: &mut BufReader<ChildStdout>,
        name: &str,
        limit: u64,
    ) -> std::io::Result<Object> {
        let mut header = String::new();
        stdout.read_line(&mut header)?;
        let header = header.trim_end_matches('\n');
        if let Some(status) = header.strip_prefix(name).and_then(|s| s.strip_prefix(' '))
            && matches!(status, "missing" | "ambiguous")
        {
            return Ok(Object::Missing);
        }
        let unexpected = || std::io::Error::other(format!("unexpected reply `{header}`"));
        let mut fields = header.rsplitn(3, ' ');
        let (Some(size), Some(kind), Some(id)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(unexpected());
        };
        let size: u64 = size.parse().map_err(|_| unexpected())?;
        let kind = Kind::from_name(kind.as_bytes()).ok_or_else(unexpected)?;
        if Sha::parse(id).is_none() {
            return Err(unexpected());
        }
        let id = id.to_owned();
        if size > limit {
            return Ok(Object::TooLarge { id, size });
        }
        let length = usize::try_from(size).map_err(|_| unexpected())?;
        let mut data = vec![0; length + 1]; // the contents, then a newline
        stdout.read_exact(&mut data)?;
        data.pop();
        Ok(Object::Found { id, kind, data })
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

    fn git(dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    fn real(path: &Path) -> PathBuf {
        path.canonicalize().unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_work_tree_is_found_where_git_finds_it_or_git_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main");
        std::fs::create_dir_all(main.join("a/b")).unwrap();
        git(&main, &["init", "-q", "-b", "main"]);
        std::fs::write(main.join("a/b/m.json"), "{}").unwrap();
        git(&main, &["add", "-A"]);
        git(&main, &["commit", "-q", "-m", "one"]);
        git(&main, &["worktree", "add", "-q", "../linked"]);
        let linked = dir.path().join("linked");

        for (start, root) in [(main.join("a/b"), &main), (linked.join("a"), &linked)] {
            let found = find_work_tree(&start).expect("found without git");
            assert_eq!(found.root, real(root));
            assert_eq!(real(&found.common_dir), real(&main.join(".git")));
            let top = git(&start, &["rev-parse", "--show-toplevel"]);
            assert_eq!(found.root, PathBuf::from(top.trim_end()));
            let repo = Repo::discover(&start, None).unwrap();
            assert_eq!(repo.root(), real(root));
            assert_eq!(
                repo.resolve("HEAD").unwrap().sha.as_str(),
                git(&main, &["rev-parse", "HEAD"]).trim()
            );
        }

        // Inside git's own directory, or with the work tree moved: git decides.
        assert_eq!(find_work_tree(&main.join(".git/refs")), None);
        git(&main, &["config", "core.worktree", "../elsewhere"]);
        assert_eq!(find_work_tree(&main.join("a")), None);
    }

    #[test]
    fn settings_that_move_the_work_tree_send_discovery_to_git() {
        let plain = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n[remote \"origin\"]\n\turl = x\n";
        assert!(!moves_work_tree(plain));
        for moved in [
            "[core]\n\tworktree = /elsewhere\n",
            "[core]\n\tbare = true\n",
            "[core]\n\tBare\n",
            "[extensions]\n\tworktreeConfig = true\n",
            "[include]\n\tpath = other\n",
            "[includeIf \"gitdir:/x\"]\n\tpath = other\n",
        ] {
            assert!(moves_work_tree(moved), "{moved}");
        }
    }

    #[test]
    fn trees_and_files_read_the_same_loose_or_packed_and_a_file_over_the_limit_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(root.join("eval/deep/er")).unwrap();
        std::fs::write(root.join("eval/deep/er/m.json"), "{\"acc\": 1}").unwrap();
        std::fs::write(root.join("big.csv"), "x".repeat(5000)).unwrap();
        std::fs::write(root.join("small.txt"), "hi").unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "one"]);
        for packed in [false, true] {
            if packed {
                git(root, &["gc", "-q"]);
            }
            let repo = Repo::discover(root, None).unwrap();
            let commit = repo.resolve("HEAD").unwrap();
            let tree = repo.tree(&commit, "HEAD".into()).unwrap();
            assert_eq!(
                tree.files_under("").unwrap(),
                ["big.csv", "eval/deep/er/m.json", "small.txt"]
            );
            let read = tree.read_many(
                &[
                    "big.csv".into(),
                    "small.txt".into(),
                    "eval/deep/er/m.json".into(),
                ],
                1000,
            );
            assert_eq!(
                read,
                [
                    Err(ReadError::TooLarge {
                        size: 5000,
                        limit: 1000
                    }),
                    Ok(Some(b"hi".to_vec())),
                    Ok(Some(b"{\"acc\": 1}".to_vec())),
                ]
            );
            // The same through git alone: the process over the limit is ended, another
            // answers the rest.
            let replies = repo
                .ask_git(
                    &[
                        "HEAD:big.csv".into(),
                        "HEAD:small.txt".into(),
                        "HEAD~5".into(),
                    ],
                    1000,
                )
                .unwrap();
            assert!(matches!(replies[0], Object::TooLarge { size: 5000, .. }));
            assert!(
                matches!(&replies[1], Object::Found { kind: Kind::Blob, data, .. } if data == b"hi")
            );
            assert!(matches!(replies[2], Object::Missing));
            assert!(repo.try_resolve("HEAD~1").is_none());
            assert!(repo.try_resolve("HEAD\nHEAD").is_none());
        }
    }

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
