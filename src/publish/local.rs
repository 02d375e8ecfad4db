//! `--dry-run`: the report written to a directory: `report.md` (what CI would post) and
//! `report.html` (the same rendered like a GitHub comment).

use std::path::{Path, PathBuf};

use super::Report;
use crate::render::plots::Asset;

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

fn error(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError {
    let path = path.to_path_buf();
    move |source| WriteError { path, source }
}

/// Writes the report into `dir` (created if needed) and returns the markdown file's path.
pub fn write(dir: &Path, report: &Report) -> Result<PathBuf, WriteError> {
    write_assets(dir, &report.assets)?;
    let markdown = dir.join(MARKDOWN_FILE);
    std::fs::write(&markdown, &report.markdown).map_err(error(&markdown))?;
    let html = dir.join(HTML_FILE);
    std::fs::write(&html, &report.html).map_err(error(&html))?;
    Ok(markdown)
}

/// The index file of `mlci plots diff`.
pub const INDEX_FILE: &str = "index.md";

/// Writes `mlci plots diff`'s `index.md` and charts into `dir`; returns the index's path.
pub fn write_plots(dir: &Path, index: &str, assets: &[Asset]) -> Result<PathBuf, WriteError> {
    write_assets(dir, assets)?;
    let path = dir.join(INDEX_FILE);
    std::fs::write(&path, index).map_err(error(&path))?;
    Ok(path)
}

/// Creates `dir` and replaces its asset folder with `assets`.
fn write_assets(dir: &Path, assets: &[Asset]) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(error(dir))?;
    // The asset folder is ours: charts from an earlier run must not linger next to this one.
    let folder = dir.join(crate::render::plots::ASSET_DIR);
    if folder.is_dir() {
        std::fs::remove_dir_all(&folder).map_err(error(&folder))?;
    }
    for asset in assets {
        let path = dir.join(&asset.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error(parent))?;
        }
        std::fs::write(&path, &asset.bytes).map_err(error(&path))?;
    }
    Ok(())
}
