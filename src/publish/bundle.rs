//! Bundles: what `mlci report --collect` writes in a fork's run (the files both sides were
//! read from, and a manifest of where the report is to go), and what `mlci publish` checks
//! before posting one. A bundle is a stranger's: its claims are checked against the run
//! that made it, never taken.

use std::path::{Path, PathBuf};

use crate::ci::Event;
use crate::fail;
use crate::inputs::{FileSource, paths};
use crate::model::Snapshot;
use crate::publish::Thread;
use crate::publish::forge::Client;
use crate::publish::github::GitHub;
use crate::publish::gitlab::GitLab;
use crate::publish::http::Forge;
use crate::publish::local::{OutputDir, Place, WriteError};
use crate::publish::target::Destination;
use crate::render::escape;
use crate::sha::Sha;

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What `report --collect` writes next to the inputs, for `publish`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// `github` or `gitlab` (absent: github).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<String>,
    /// GitHub: `owner/name`; GitLab: the project's id or path.
    pub repository: String,
    /// The pull request the report is for.
    pub pull_request: Option<u64>,
    /// The commit the report is for (push events).
    pub commit: Option<Sha>,
    /// The base commit.
    pub base_sha: Option<Sha>,
    /// The head commit the report describes.
    pub head_sha: Option<Sha>,
    /// How the report names the base.
    pub base_name: String,
    /// How the report names the head.
    pub head_name: String,
    /// Report id.
    pub id: String,
    /// Report title.
    pub title: String,
    /// The machine the run was made on, which the report's footer shows (absent in older
    /// bundles). A claim like the rest: shown escaped, never acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::ci::Machine>,
}

impl Manifest {
    /// Reads `manifest.json` of a bundle.
    pub fn read(bundle: &Path) -> anyhow::Result<Manifest> {
        let path = bundle.join(MANIFEST_FILE);
        let bytes = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() <= 1 << 20 => std::fs::read(&path).ok(),
            _ => None,
        };
        let Some(bytes) = bytes else {
            return Err(fail(
                format!("cannot read `{}`", path.display()),
                "pass the directory `mlci report --collect DIR` wrote (download the artifact first)",
            ));
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|error| {
            fail(
                format!("invalid manifest `{}`: {error}", path.display()),
                "write the bundle with the same mlci version",
            )
        })?;
        if manifest.version != 1 {
            return Err(fail(
                format!("manifest version {} is not supported", manifest.version),
                "use the same mlci version for --collect and publish",
            ));
        }
        Ok(manifest)
    }

    /// The manifest as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises") + "\n"
    }
}

/// One side as it was read, for delivery: the files (a bundle copies them through the same
/// source) and its metrics as OpenMetrics text (GitLab's metrics report).
pub struct ReadSide<'a> {
    /// `base` or `head`.
    pub name: &'static str,
    /// Where they were read from.
    pub source: &'a dyn FileSource,
    /// Repository-relative paths.
    pub files: Vec<String>,
    /// Its metrics as OpenMetrics text.
    pub openmetrics: String,
}

impl<'a> ReadSide<'a> {
    /// What `snapshot` was read from at `source` (with the configuration beside it).
    pub fn of(name: &'static str, source: &'a dyn FileSource, snapshot: &Snapshot) -> Self {
        let mut files = snapshot.files_read();
        files.push(".mlci.toml".to_owned());
        ReadSide {
            name,
            source,
            files,
            openmetrics: crate::render::openmetrics::render(snapshot),
        }
    }
}

/// Writes a bundle: the manifest, and for each side the files it was read from (copied
/// through its source, so nothing outside the repository or under `.git` is copied).
pub fn write(
    dir: &Path,
    place: &Place,
    manifest: &Manifest,
    sides: &[ReadSide<'_>],
) -> Result<PathBuf, WriteError> {
    let mut out = OutputDir::claim(dir, place, "--collect")?;
    for side in sides {
        let reads = side
            .source
            .read_many(&side.files, crate::inputs::DEFAULT_MAX_FILE_SIZE);
        for (file, read) in side.files.iter().zip(reads) {
            let Ok(Some(bytes)) = read else { continue };
            if !paths::is_readable(file) {
                continue;
            }
            out.write(&format!("{}/{file}", side.name), &bytes)?;
        }
    }
    out.write(MANIFEST_FILE, manifest.to_json().as_bytes())?;
    out.finish()
}

/// What `mlci publish` has to check a bundle against: the run that made it (GitHub) or
/// the pipeline's merge request (GitLab), from the publishing job's own event or flags.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The bundle's manifest.
    pub manifest: Manifest,
    /// GitHub: the run that made the bundle.
    pub run_id: Option<u64>,
    /// The pull or merge request the publishing job names itself (`--pr`, GitLab's
    /// `CI_MERGE_REQUEST_IID`).
    pub pull_request: Option<u64>,
}

/// What a bundle's claims came to once checked: the pull request (none: a commit comment on
/// the head) and the head.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verified {
    pull_request: Option<u64>,
    head_sha: Sha,
}

/// An error for a bundle that disagrees with the job: nothing is posted.
fn refuse(message: String) -> anyhow::Error {
    fail(
        format!("refusing to publish the bundle: {message}"),
        "the bundle must come from the run that triggered this job; download the artifact of `github.event.workflow_run.id` (GitHub) or of this merge request's pipeline (GitLab)",
    )
}

/// Checks what a bundle says about where it goes against where this job posts: the same
/// forge and repository. Needs no network; nothing is sent for a bundle that disagrees.
pub(crate) fn check_destination(claim: &Claim, destination: &Destination) -> anyhow::Result<()> {
    let manifest = &claim.manifest;
    let forge = match manifest.forge.as_deref() {
        Some("gitlab") => Forge::GitLab,
        _ => Forge::GitHub,
    };
    if forge != destination.forge {
        return Err(refuse(format!(
            "the bundle is for {forge}, this job posts to {}",
            destination.forge
        )));
    }
    if !manifest.repository.is_empty() && manifest.repository != destination.repository {
        return Err(refuse(format!(
            "the bundle names the repository `{}`, this job's is `{}`",
            escape::log_line(&manifest.repository),
            destination.repository
        )));
    }
    Ok(())
}

/// Checks a bundle's claims with the forge's answers; the destination they were verified
/// for (its pull request, or the head commit of a run that was not for one), or `None`
/// when the pull request has moved on since (a newer run reports it).
pub(crate) fn verify(
    claim: &Claim,
    client: &Client,
    destination: &Destination,
) -> anyhow::Result<Option<Destination>> {
    let verified = match client {
        Client::GitHub(github) => check_github(github, claim, &destination.repository)?,
        Client::GitLab(gitlab) => check_gitlab(gitlab, claim)?,
    };
    let Some(verified) = verified else {
        return Ok(None);
    };
    let (thread, event) = match verified.pull_request {
        Some(number) => (
            Thread::PullRequest(number),
            Event::PullRequest {
                number,
                base_sha: claim.manifest.base_sha.clone(),
                head_sha: Some(verified.head_sha),
                target: false,
                from_fork: false,
                closed: false,
            },
        ),
        None => (Thread::Commit(verified.head_sha), Event::Other),
    };
    Ok(Some(Destination {
        thread,
        event,
        ..destination.clone()
    }))
}

/// Checks a bundle's claims on GitHub (see [`verify_github`]).
fn check_github(
    github: &GitHub,
    claim: &Claim,
    repository: &str,
) -> anyhow::Result<Option<Verified>> {
    let Some(run_id) = claim.run_id else {
        return Err(fail(
            "publish needs the run that made the bundle, to check what the bundle says",
            "run `mlci publish` in a job triggered by `workflow_run`, or pass --run-id (github.event.workflow_run.id)",
        ));
    };
    verify_github(
        github,
        run_id,
        claim.pull_request,
        &claim.manifest,
        repository,
    )
}

/// Checks a bundle's claims on GitLab (see [`verify_gitlab`]).
fn check_gitlab(gitlab: &GitLab, claim: &Claim) -> anyhow::Result<Option<Verified>> {
    let Some(number) = claim.pull_request else {
        return Err(fail(
            "publish on GitLab needs the merge request from the pipeline, to check what the bundle says",
            "run `mlci publish` in the merge request's pipeline in the parent project (CI_MERGE_REQUEST_IID), or pass --mr N",
        ));
    };
    verify_gitlab(gitlab, number, &claim.manifest)
}

/// Checks the bundle against the run that made it: same head commit; the pull request
/// (`--pr`, else the bundle's) is one the run was for, from the run's repository and
/// branch. `None`: the pull request has moved on since (a newer run reports it).
///
/// A run that was not for a pull request (a push, a dispatch, a schedule: `event` is not
/// `pull_request*`) of this very repository, with a bundle that names no pull request, is
/// reported as a commit comment on the run's head commit, as `mlci report` reports a push.
fn verify_github(
    github: &GitHub,
    run_id: u64,
    flag_pr: Option<u64>,
    manifest: &Manifest,
    repository: &str,
) -> anyhow::Result<Option<Verified>> {
    let run = github.workflow_run(run_id)?;
    let Some(run_head) = run.head_sha.clone() else {
        return Err(refuse(format!("run {run_id} has no head commit")));
    };
    if manifest.head_sha.as_ref() != Some(&run_head) {
        return Err(refuse(format!(
            "it describes {}, but run {run_id} tested {run_head}",
            manifest.head_sha.as_ref().map_or("no commit", Sha::as_str),
        )));
    }
    if flag_pr.is_none() && manifest.pull_request.is_none() {
        if run.event.starts_with("pull_request") {
            return Err(refuse(format!(
                "it names no pull request, and run {run_id} was for one ({})",
                escape::log_line(&run.event)
            )));
        }
        if run.head_repository.as_deref() != Some(repository) {
            return Err(refuse(format!(
                "run {run_id} ran on {}, not on {repository}",
                run.head_repository
                    .as_deref()
                    .map_or_else(|| "a deleted repository".to_owned(), escape::log_line)
            )));
        }
        if let Some(commit) = manifest.commit.as_ref().filter(|c| **c != run_head) {
            return Err(refuse(format!(
                "it names the commit {commit}, but run {run_id} tested {run_head}"
            )));
        }
        log::info!(
            "run {run_id} ({}) was not for a pull request: the report goes to its commit {}",
            escape::log_line(&run.event),
            run_head.short()
        );
        return Ok(Some(Verified {
            pull_request: None,
            head_sha: run_head,
        }));
    }
    let Some(number) = flag_pr.or(manifest.pull_request) else {
        return Err(refuse("it names no pull request".into()));
    };
    if flag_pr.is_some() && manifest.pull_request.is_some_and(|n| Some(n) != flag_pr) {
        return Err(refuse(format!(
            "it names pull request {}, not {number}",
            manifest.pull_request.unwrap_or_default()
        )));
    }
    if !run.pull_requests.is_empty() && !run.pull_requests.contains(&number) {
        return Err(refuse(format!(
            "run {run_id} was not for pull request {number}"
        )));
    }
    let pull = github.pull_request(number)?;
    if pull.head_repository != run.head_repository || pull.head_ref != run.head_branch {
        return Err(refuse(format!(
            "pull request {number} comes from {}:{}, run {run_id} ran on {}:{}",
            pull.head_repository
                .as_deref()
                .unwrap_or("a deleted repository"),
            escape::log_line(&pull.head_ref),
            run.head_repository
                .as_deref()
                .unwrap_or("a deleted repository"),
            escape::log_line(&run.head_branch)
        )));
    }
    if pull.head_sha.as_ref() != Some(&run_head) {
        log::warn!(
            "not publishing: pull request {number} has moved on to {} since this report of {}; the newer commit's run reports it",
            pull.head_sha
                .as_ref()
                .map_or("an unknown commit", |sha| sha.short()),
            run_head.short()
        );
        return Ok(None);
    }
    Ok(Some(Verified {
        pull_request: Some(number),
        head_sha: run_head,
    }))
}

/// Checks the bundle against the merge request of the pipeline: the bundle names it, and
/// describes its head. `None`: the merge request has moved on.
fn verify_gitlab(
    gitlab: &GitLab,
    number: u64,
    manifest: &Manifest,
) -> anyhow::Result<Option<Verified>> {
    if manifest.pull_request.is_some_and(|n| n != number) {
        return Err(refuse(format!(
            "it names merge request {}, this pipeline is for {number}",
            manifest.pull_request.unwrap_or_default()
        )));
    }
    let Some(head) = manifest.head_sha.clone() else {
        return Err(refuse("it names no head commit".into()));
    };
    let now = gitlab.merge_request_head(number)?;
    if now.as_ref() != Some(&head) {
        log::warn!(
            "not publishing: merge request {number} has moved on to {}, past {} that the bundle describes; the newer commit's pipeline reports it",
            now.as_ref().map_or("an unknown commit", |sha| sha.short()),
            head.short()
        );
        return Ok(None);
    }
    Ok(Some(Verified {
        pull_request: Some(number),
        head_sha: head,
    }))
}
