//! Publish: where a rendered report goes. The only module besides `git` that does I/O.
//!
//! - [`local`]: `--dry-run`, files in a directory;
//! - [`github`]: the sticky comment, the check run, charts hosted in the repository.

pub mod github;
pub mod local;

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
