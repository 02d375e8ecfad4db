//! Render: the comparison as text for people. Returns values (`String`), does no I/O.
//!
//! - [`markdown`]: the report posted on a pull request and written by `--dry-run`;
//! - [`judgement`]: the verdicts, their reasons, the data checks and the gate in words;
//! - [`html`]: that markdown as a page styled like a GitHub comment (the local preview);
//! - [`dvc`]: the byte-exact output of `dvc metrics diff` / `dvc params diff`.

pub mod chart;
pub mod draw;
pub mod dvc;
pub mod escape;
pub mod format;
pub mod html;
pub mod judgement;
pub mod markdown;
pub mod mermaid;
pub mod openmetrics;
pub mod plots;
pub mod report;
pub mod text;

use crate::diff::{Comparison, Side};
use crate::model::Problem;

/// A revision as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// What it is: `main`, `merge-base with origin/main`, `working tree`, a directory.
    pub name: String,
    /// The commit, when there is one (the working tree reports `HEAD`'s).
    pub commit: Option<crate::sha::Sha>,
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
            Some(sha) => sha.short().to_owned(),
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
            Some(sha) => format!("{}, {}", self.name, sha.short()),
            None => self.name.clone(),
        }
    }

    /// How a chart legend names a side: `base (1a2b3c4)`, `head (working tree)`; just
    /// `base` for a directory called `base`.
    pub fn legend(&self, side: &str) -> String {
        let tag = self.tag();
        if tag == side {
            side.to_owned()
        } else {
            format!("{side} ({tag})")
        }
    }

    /// `main (1a2b3c4)`, or just the name.
    pub fn describe(&self) -> String {
        match &self.commit {
            Some(sha) => format!("{} ({})", self.name, sha.short()),
            None => self.name.clone(),
        }
    }
}

/// The hidden marker placed last in every report: it lets the publisher find its own
/// comment again, and records the head commit so an older run never overwrites a newer one.
pub fn marker(id: &str, head_commit: Option<&crate::sha::Sha>) -> String {
    match head_commit {
        Some(sha) => format!("<!-- mlci:report id={id} head={sha} -->"),
        None => format!("<!-- mlci:report id={id} -->"),
    }
}

/// What the log says about a comparison: each file that could not be read or looks wrong,
/// at the side it is from; and a hint when nothing was found at all.
pub fn warnings(comparison: &Comparison, base: &Revision, head: &Revision) -> Vec<String> {
    let mut lines: Vec<String> = comparison
        .warnings
        .iter()
        .map(|warning| {
            let revision = match warning.side {
                Side::Base => base,
                Side::Head => head,
            };
            match &warning.problem {
                Problem::Doubtful(_) => format!(
                    "`{}` at {}: {}",
                    warning.path,
                    revision.describe(),
                    warning.problem
                ),
                problem => format!(
                    "cannot read `{}` at {}: {problem}",
                    warning.path,
                    revision.describe()
                ),
            }
        })
        .collect();
    if comparison.metrics.is_empty()
        && comparison.params.is_empty()
        && comparison.plots.is_empty()
        && comparison.data.is_empty()
    {
        lines.push("no metrics, params or plots found at either revision: name your files with `--targets FILE` or `metrics = [...]` in .mlci.toml (`-v` lists every file read)".to_owned());
    }
    lines
}

/// `markdown` with the destination of each image link that has a URL in `urls` replaced by
/// it (escaped for where it stands); nothing else changes.
pub fn relink(
    markdown: &str,
    links: &[crate::inputs::markdown::ImageLink],
    urls: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut text = markdown.to_owned();
    for link in links.iter().rev() {
        let Some(url) = urls.get(&link.url) else {
            continue;
        };
        let bracketed = markdown[..link.range.start].ends_with('<');
        let encoded = || {
            url.replace('<', "%3C")
                .replace('>', "%3E")
                .replace(' ', "%20")
        };
        let written = if link.html {
            escape::html(url)
        } else if bracketed {
            encoded()
        } else if url.contains(|c: char| c.is_whitespace() || "()<>".contains(c)) {
            format!("<{}>", encoded())
        } else {
            url.clone()
        };
        if text.get(link.range.clone()).is_some() {
            text.replace_range(link.range.clone(), &written);
        }
    }
    text
}
