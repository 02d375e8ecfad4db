//! Publish: where a rendered report goes, and everything delivering it takes. With the
//! input sources (`git`, `inputs::source`), the only modules that do I/O.
//!
//! - [`target`]: where a report goes, as the plan decided it;
//! - [`deliver`]: the one entry point, [`deliver::deliver`];
//! - [`local`]: files on this machine (the report folder, the CI's step files);
//! - [`bundle`]: what `report --collect` writes and `publish` checks;
//! - [`forge`]: the two forges behind one client, the step summary and outputs;
//! - [`github`]: the sticky comment, the check run, charts hosted in the repository;
//! - [`gitlab`]: the sticky note, commit comments, charts uploaded to the project;
//! - [`sticky`]: the sticky-comment logic every forge shares; [`http`]: their retry policy
//!   and errors.

pub mod bundle;
pub mod deliver;
pub mod forge;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod local;
pub mod sticky;
pub mod target;

/// The conversation a report goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    /// A pull request's (GitHub) or merge request's (GitLab) conversation, by number.
    PullRequest(u64),
    /// An issue.
    Issue(u64),
    /// A commit's comments (push pipelines).
    Commit(crate::sha::Sha),
}
