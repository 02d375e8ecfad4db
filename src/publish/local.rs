//! `--dry-run`: the report written to a directory: `report.md` (what CI would post) and
//! `report.html` (the same rendered like a GitHub comment).

use std::path::{Path, PathBuf};

use super::Report;

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{}`: {source}", path.display())]
pub struct WriteError {
    /// The file or directory.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// The markdown file's name.
pub const MARKDOWN_FILE: &str = "report.md";
/// The HTML preview's name.
pub const HTML_FILE: &str = "report.html";

/// Writes the report into `dir` (created if needed) and returns the markdown file's path.
pub fn write(dir: &Path, report: &Report) -> Result<PathBuf, WriteError> {
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(error(dir))?;
    // The asset folder is ours: charts from an earlier run must not linger next to this one.
    let assets = dir.join(crate::render::plots::ASSET_DIR);
    if assets.is_dir() {
        std::fs::remove_dir_all(&assets).map_err(error(&assets))?;
    }
    for asset in &report.assets {
        let path = dir.join(&asset.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error(parent))?;
        }
        std::fs::write(&path, &asset.bytes).map_err(error(&path))?;
    }
    let markdown = dir.join(MARKDOWN_FILE);
    std::fs::write(&markdown, &report.markdown).map_err(error(&markdown))?;
    let html = dir.join(HTML_FILE);
    std::fs::write(&html, &report.html).map_err(error(&html))?;
    Ok(markdown)
}
