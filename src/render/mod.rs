//! Render: the comparison as text for people. Returns values (`String`), does no I/O.
//!
//! - [`markdown`]: the report posted on a pull request and written by `--dry-run`;
//! - [`html`]: that markdown as a page styled like a GitHub comment (the local preview);
//! - [`dvc`]: the byte-exact output of `dvc metrics diff` / `dvc params diff`.

pub mod chart;
pub mod draw;
pub mod dvc;
pub mod escape;
pub mod format;
pub mod html;
pub mod markdown;
pub mod mermaid;
pub mod openmetrics;
pub mod plots;
#[cfg(test)]
mod reference;
pub mod text;

/// A revision as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// What it is: `main`, `merge-base with origin/main`, `working tree`, a directory.
    pub name: String,
    /// The commit, when there is one (the working tree reports `HEAD`'s).
    pub commit: Option<String>,
    /// Where its files come from.
    pub kind: RevisionKind,
}

/// Where a revision's files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionKind {
    /// Git objects of a commit.
    Commit,
    /// The working tree (uncommitted changes included).
    WorkingTree,
    /// A plain directory.
    Directory,
}

impl Revision {
    /// The short commit, or the name when there is no commit.
    pub fn short(&self) -> String {
        match &self.commit {
            Some(sha) => sha[..sha.len().min(7)].to_owned(),
            None => self.name.clone(),
        }
    }

    /// A few characters for a chart legend: the short commit, `working tree`, or the
    /// directory's last component.
    pub fn tag(&self) -> String {
        match self.kind {
            RevisionKind::Commit => self.short(),
            RevisionKind::WorkingTree => "working tree".to_owned(),
            RevisionKind::Directory => self
                .name
                .trim_end_matches(['/', '\\'])
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(&self.name)
                .to_owned(),
        }
    }

    /// `working tree, 1a2b3c4`, or just the name.
    pub fn detail(&self) -> String {
        match &self.commit {
            Some(sha) => format!("{}, {}", self.name, &sha[..sha.len().min(7)]),
            None => self.name.clone(),
        }
    }

    /// `main (1a2b3c4)`, or just the name.
    pub fn describe(&self) -> String {
        match &self.commit {
            Some(sha) => format!("{} ({})", self.name, &sha[..sha.len().min(7)]),
            None => self.name.clone(),
        }
    }
}

/// The hidden marker placed last in every report: it lets the publisher find its own
/// comment again, and records the head commit so an older run never overwrites a newer one.
pub fn marker(id: &str, head_commit: Option<&str>) -> String {
    match head_commit {
        Some(sha) => format!("<!-- mlci:report id={id} head={sha} -->"),
        None => format!("<!-- mlci:report id={id} -->"),
    }
}
