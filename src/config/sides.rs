//! The two sides of a comparison: where each one's files are (a commit's git objects, the
//! working tree, a directory) and how the report names it, from the flags and the CI
//! event; and the configuration file each side holds.

use std::path::Path;

use crate::ci::{CiContext, Event};
use crate::config::settings::Settings;
use crate::fail;
use crate::git::{Commit, GitError, Repo};
use crate::inputs::Directory;
use crate::inputs::FileSource;
use crate::render::{Revision, RevisionKind};
use crate::sha::Sha;

/// One side of a comparison: where its files are, and how the report names it.
pub struct Input {
    /// Where its files are read.
    pub source: Box<dyn FileSource>,
    /// How the report names it.
    pub revision: Revision,
}

/// The repository around `dir`; not needed when both sides are directories, and optional
/// when the base is a directory (then the head may be a plain directory too).
pub(crate) fn open_repository(
    dir: &Path,
    ci: &CiContext,
    both_directories: bool,
    base_is_directory: bool,
) -> anyhow::Result<Option<Repo>> {
    if both_directories {
        return Ok(None);
    }
    match Repo::discover(dir, ci.trusted_workspace.clone()) {
        Ok(repo) => Ok(Some(repo)),
        Err(GitError::NotARepository(_)) if base_is_directory => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The head: `--head-dir`, else the working tree (of the repository, or of `dir`). Its
/// commit is the pull request's head in a pull request's run (the checkout is a test merge
/// commit), the merge group's head in a merge queue's run, else `HEAD`. With
/// `committed_only` (a stranger's head and a token that writes), the head is the pull
/// request's head commit, read from git objects: nothing untracked in the workspace is in
/// reach.
pub(crate) fn head_side(
    repo: Option<&Repo>,
    head_dir: Option<&Path>,
    dir: &Path,
    event: Option<&Event>,
    committed_only: bool,
) -> anyhow::Result<Input> {
    if committed_only && head_dir.is_none() {
        let (
            Some(repo),
            Some(Event::PullRequest {
                head_sha: Some(head_sha),
                ..
            }),
        ) = (repo, event)
        else {
            return Err(fail(
                "the pull request's head is a stranger's and the token can write, so it is read from its commit; that needs the repository and the event's head commit",
                "run mlci in the checkout of the repository, in the pull request's workflow",
            ));
        };
        let commit = repo.resolve(head_sha.as_str())?;
        log::info!(
            "reading the head's committed files only ({}): its author is not trusted and the token can write",
            commit.short()
        );
        let label = format!("pull request head ({})", commit.short());
        return Ok(Input {
            source: Box::new(repo.tree(&commit, label)?),
            revision: Revision {
                name: "pull request head".into(),
                commit: Some(commit.sha),
                kind: RevisionKind::Commit,
            },
        });
    }
    Ok(match (head_dir, repo) {
        (Some(path), _) => Input {
            source: Box::new(directory_source(path, "head")?),
            revision: Revision {
                name: path.display().to_string(),
                commit: None,
                kind: RevisionKind::Directory,
            },
        },
        (None, Some(repo)) => {
            let commit = match event {
                Some(
                    Event::PullRequest {
                        head_sha: Some(head_sha),
                        ..
                    }
                    | Event::MergeGroup {
                        head_sha: Some(head_sha),
                        ..
                    },
                ) => {
                    // `pull_request` checks out a merge commit of the head (a run of another
                    // commit, or a checkout of another ref, does not).
                    if repo.has_commit(head_sha.as_str())
                        && !repo.is_ancestor(head_sha.as_str(), "HEAD")
                    {
                        let whose = match event {
                            Some(Event::MergeGroup { .. }) => "the merge group's",
                            _ => "the pull request's",
                        };
                        log::warn!(
                            "the checkout does not contain {whose} head {}: the report shows the working tree as it is",
                            head_sha.short()
                        );
                    }
                    Some(head_sha.clone())
                }
                _ => repo
                    .has_commits()
                    .then(|| repo.resolve("HEAD"))
                    .transpose()?
                    .map(|c| c.sha),
            };
            Input {
                source: Box::new(repo.work_tree("working tree".into())),
                revision: Revision {
                    name: "working tree".into(),
                    commit,
                    kind: RevisionKind::WorkingTree,
                },
            }
        }
        (None, None) => Input {
            source: Box::new(Directory::new(dir.to_path_buf(), "working tree".into())),
            revision: Revision {
                name: dir.display().to_string(),
                commit: None,
                kind: RevisionKind::WorkingTree,
            },
        },
    })
}

/// The base: `--base-dir`, else `--base REF` (or `base` in .mlci.toml) exactly, else what
/// the CI event says, else the merge-base of `HEAD` and the default branch.
///
/// The event: a pull request, the merge-base of its base and head commits; a merge group,
/// its `base_sha`; a push of a branch, the commit before it (when that commit is gone, as
/// after a forced push that rewrote it, the merge-base of the pushed commit and the default
/// branch); the first push of a branch (`before` all zeros) and a tag push, that merge-base.
/// The default branch is `default_branch` when the CI names it (a shallow checkout has no
/// `origin/HEAD`), fetched when missing.
pub(crate) fn base_side(
    repo: Option<&Repo>,
    base_dir: Option<&Path>,
    base: Option<String>,
    event: Option<&Event>,
    default_branch: Option<&str>,
) -> anyhow::Result<Input> {
    let repo = match (base_dir, repo) {
        (Some(path), _) => {
            return Ok(Input {
                source: Box::new(directory_source(path, "base")?),
                revision: Revision {
                    name: path.display().to_string(),
                    commit: None,
                    kind: RevisionKind::Directory,
                },
            });
        }
        (None, Some(repo)) => repo,
        (None, None) => {
            return Err(fail(
                "a base revision needs a git repository",
                "run inside the repository, or pass `--base-dir`",
            ));
        }
    };
    let branch_of_event = event.and_then(Event::pushed_branch);
    let with_default = |head: &Commit| -> anyhow::Result<(String, Commit)> {
        let branch = repo.default_branch(default_branch, branch_of_event)?;
        let tip = repo.resolve(&branch)?;
        Ok((
            format!("merge-base with {branch}"),
            repo.merge_base(head, &tip)?,
        ))
    };
    let (name, commit) = match (base, event) {
        (Some(revision), _) => {
            let commit = repo.resolve(&revision)?;
            (revision, commit)
        }
        (
            None,
            Some(Event::PullRequest {
                base_sha: Some(base_sha),
                head_sha: Some(head_sha),
                ..
            }),
        ) => {
            let base = repo.resolve(base_sha.as_str())?;
            let head = repo.resolve(head_sha.as_str())?;
            (
                "pull request base".to_owned(),
                repo.merge_base(&base, &head)?,
            )
        }
        (
            None,
            Some(Event::MergeGroup {
                base_sha: Some(base_sha),
                ..
            }),
        ) => (
            "merge queue base".to_owned(),
            repo.resolve(base_sha.as_str())?,
        ),
        (None, Some(push @ Event::Push { before, after, .. })) => {
            let head = repo.resolve(after.as_ref().map_or("HEAD", Sha::as_str))?;
            match before {
                _ if push.is_tag_push() => with_default(&head)?,
                None => {
                    log::info!(
                        "no commit before this push (a new branch, or on GitLab a scheduled, manual or first pipeline): comparing with the merge-base with the default branch"
                    );
                    with_default(&head)?
                }
                Some(before) => match repo.resolve(before.as_str()) {
                    Ok(commit) => ("before the push".to_owned(), commit),
                    Err(error) => {
                        log::warn!(
                            "the commit before the push, {}, is neither in this clone nor at origin (a forced push may have rewritten it): comparing with the merge-base with the default branch instead ({error})",
                            before.short()
                        );
                        with_default(&head)?
                    }
                },
            }
        }
        (None, _) if !repo.has_commits() => {
            return Err(GitError::NoCommits(repo.root().to_path_buf()).into());
        }
        (None, _) => with_default(&repo.resolve("HEAD")?)?,
    };
    let label = format!("{name} ({})", commit.short());
    Ok(Input {
        source: Box::new(repo.tree(&commit, label)?),
        revision: Revision {
            name,
            commit: Some(commit.sha),
            kind: RevisionKind::Commit,
        },
    })
}

pub(crate) fn directory_source(path: &Path, side: &str) -> anyhow::Result<Directory> {
    if !path.is_dir() {
        return Err(fail(
            format!("the {side} directory `{}` does not exist", path.display()),
            "pass an existing directory (for a CI artifact, download it first)",
        ));
    }
    Ok(Directory::new(
        path.to_path_buf(),
        path.display().to_string(),
    ))
}

/// `.mlci.toml` is read whole; a larger one is refused.
const CONFIG_LIMIT: u64 = 1 << 20;

pub(crate) fn read_settings(
    source: &dyn FileSource,
    config: Option<&Path>,
) -> anyhow::Result<Settings> {
    let explicit = config.is_some();
    let path = config
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|| ".mlci.toml".to_owned());
    match source.read(&path, CONFIG_LIMIT) {
        Ok(Some(bytes)) => Ok(Settings::parse(&path, &bytes)?),
        Ok(None) if !explicit => Ok(Settings::default()),
        Ok(None) => Err(fail(
            format!("the configuration file `{path}` does not exist"),
            "the path is relative to the repository root",
        )),
        Err(error) => Err(fail(
            format!("cannot read `{path}`: {error}"),
            "check the file",
        )),
    }
}

/// The directory `dir` relative to the repository root, `/`-separated (`""` at the root).
pub(crate) fn relative_dir(root: &Path, dir: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.strip_prefix(&root)
        .map(|rel| rel.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("source", &self.source.describe())
            .field("revision", &self.revision)
            .finish()
    }
}
