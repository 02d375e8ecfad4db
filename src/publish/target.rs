//! Where a report goes, as the plan decided it: a folder (`--dry-run`), a bundle of its
//! inputs (`--collect`), or a conversation on a forge with everything posting needs.

use std::path::PathBuf;

use crate::ci::{Event, Secret};
use crate::git::Repo;
use crate::publish::Thread;
use crate::publish::bundle::Claim;
use crate::publish::http::{Forge, Network};
use crate::publish::local::Place;
use crate::sha::Sha;

/// GitHub rejects issue and commit comment bodies longer than this many characters
/// (`422 Body is too long (maximum is 65536 characters)`; not in the OpenAPI description,
/// seen in danger/danger#424, reg-viz/reg-actions#123; `shared/api/README.md` Part B).
pub const COMMENT_LIMIT: usize = 65_536;
/// GitLab rejects notes longer than this many characters (notes API documentation).
pub const GITLAB_NOTE_LIMIT: usize = 1_000_000;
/// Check run `output.summary` is at most this many bytes (`maxLength: 65535` in the
/// description of `checks/create`).
pub const CHECK_SUMMARY_LIMIT: usize = 65_535;
/// A step summary is at most 1 MiB; over it GitHub drops the upload (workflow commands
/// documentation, "Step isolation and limits").
pub const STEP_SUMMARY_LIMIT: usize = 1 << 20;

/// Where a report goes.
#[derive(Debug)]
pub enum Target {
    /// The report in a folder (`--dry-run`).
    Local(Local),
    /// The report's inputs and a manifest in a folder (`--collect`), for `mlci publish`.
    Bundle(Box<Bundle>),
    /// A pull request, merge request, issue or commit on GitHub or GitLab.
    Forge(Box<Post>),
}

/// A folder for the report, and where relative paths start.
#[derive(Debug, Clone)]
pub struct Local {
    /// The folder (`--out`).
    pub out: PathBuf,
    /// The directory mlci runs in and the repository, for the write checks.
    pub place: Place,
    /// Charts as files, as mermaid, or not at all.
    pub images: LocalImages,
}

/// How a local report shows its charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalImages {
    /// PNG files next to it.
    Files,
    /// Inline mermaid.
    Mermaid,
    /// None.
    None,
}

/// A bundle folder and what it says about itself.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The folder (`--collect`).
    pub dir: PathBuf,
    /// Where relative paths start.
    pub place: Place,
    /// Where the report is to go, for `mlci publish` to check.
    pub manifest: crate::publish::bundle::Manifest,
}

/// Everything posting to a forge needs.
#[derive(Debug)]
pub struct Post {
    /// The conversation and the token.
    pub destination: Destination,
    /// How charts reach the reader.
    pub hosting: Hosting,
    /// Also create a check run (GitHub).
    pub check: bool,
    /// Timeouts and the deadline.
    pub network: Network,
    /// The local copy of the report.
    pub local: Local,
    /// The repository, to tell whether an existing report is of a newer commit.
    pub repo: Option<Repo>,
    /// A bundle's claims, checked against the run that made it before anything is posted
    /// (`mlci publish`).
    pub claim: Option<Claim>,
}

/// How a forge report's charts reach the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hosting {
    /// Committed to a hidden ref through the Git Data API (GitHub): this one, else the
    /// thread's own (`refs/mlci/pr-N`), known once the thread is.
    GitRef(Option<String>),
    /// The project uploads API (GitLab).
    Upload,
    /// Linked at a URL the user uploads them to: `{path}` and `{name}` filled.
    UrlTemplate(String),
    /// Linked relatively, as files next to the report (`--images files`): for a forge
    /// that shows the report beside its files, such as a rendered artifact.
    Relative,
    /// Inline mermaid.
    Mermaid,
    /// No charts.
    None,
}

/// Where a report goes on a forge, and what the CI event says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// GitHub or GitLab.
    pub forge: Forge,
    /// REST API root.
    pub api_url: String,
    /// Web root.
    pub server_url: String,
    /// GitHub: `owner/name`; GitLab: the project's id or `group/project`.
    pub repository: String,
    /// GitLab: the project's web page (upload links are made absolute with it).
    pub project_url: String,
    /// The conversation the comment goes to.
    pub thread: Thread,
    /// The event, for the default base and head.
    pub event: Event,
    /// The token, if any.
    pub token: Option<Secret>,
    /// GitLab: only the job token is there, which cannot post.
    pub job_token_only: bool,
    /// The login that posts (known for the workflow token).
    pub login: Option<String>,
    /// Where the full report is when a comment is shortened (GitHub: the run's job
    /// summary).
    pub run_url: Option<String>,
    /// `GITHUB_STEP_SUMMARY`.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`.
    pub output: Option<PathBuf>,
}

impl Destination {
    /// The pull or merge request number, if the report goes to one.
    pub fn pull_request(&self) -> Option<u64> {
        match self.thread {
            Thread::PullRequest(n) => Some(n),
            _ => None,
        }
    }

    /// The commit, if the report goes to one.
    pub fn commit(&self) -> Option<&Sha> {
        match &self.thread {
            Thread::Commit(sha) => Some(sha),
            _ => None,
        }
    }

    /// The head commit the report is about (a pull request's head, not its merge commit).
    pub fn head_sha(&self) -> Option<&Sha> {
        self.event.head_sha().or_else(|| self.commit())
    }

    /// A request from a fork whose pipeline cannot post: GitHub gives a fork's
    /// `pull_request` run a read-only token (`pull_request_target` runs get one that
    /// writes); GitLab runs it in the fork, without the parent project's GITLAB_TOKEN
    /// (unless a maintainer runs it in the parent project, which has the token).
    pub fn is_fork(&self) -> bool {
        let Event::PullRequest {
            from_fork: true,
            target,
            ..
        } = self.event
        else {
            return false;
        };
        match self.forge {
            Forge::GitHub => !target,
            Forge::GitLab => self.token.is_none(),
        }
    }

    /// Whether the head must be read from its commit, never from the working tree: its
    /// files are a stranger's (a fork's, or any `pull_request_target` run's) and the token
    /// can write, so untracked files of the workspace (credentials, `.env`) are in reach.
    pub fn reads_committed_only(&self) -> bool {
        self.event.untrusted_head() && !self.is_fork()
    }

    /// The most characters a comment may have here.
    pub fn comment_limit(&self) -> usize {
        match self.forge {
            Forge::GitHub => COMMENT_LIMIT,
            Forge::GitLab => GITLAB_NOTE_LIMIT,
        }
    }
}
