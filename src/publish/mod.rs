//! Publish: where a rendered report goes. The only module besides `git` that does I/O.
//!
//! - [`local`]: `--dry-run`, files in a directory;
//! - [`github`]: the sticky comment, the check run, charts hosted in the repository;
//! - [`gitlab`]: the sticky note, commit comments, charts uploaded to the project;
//! - [`sticky`]: the sticky-comment logic every forge shares; [`http`]: their retry policy
//!   and errors.

pub mod github;
pub mod gitlab;
pub mod http;
pub mod local;
pub mod sticky;

/// The conversation a report goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    /// A pull request's (GitHub) or merge request's (GitLab) conversation, by number.
    PullRequest(u64),
    /// An issue.
    Issue(u64),
    /// A commit's comments (push pipelines).
    Commit(String),
}

/// A report ready to publish: what the renderers returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Title, for the HTML page.
    pub title: String,
    /// The markdown body, exactly as it would be posted.
    pub markdown: String,
    /// The local preview page.
    pub html: String,
    /// Charts and images the markdown links, by relative path.
    pub assets: Vec<crate::render::plots::Asset>,
}
