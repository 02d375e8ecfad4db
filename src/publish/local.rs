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

/// Appends text to a file (a GitHub Actions step summary or output file).
pub fn append(path: &Path, text: &str) -> Result<(), WriteError> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error(path))?;
    file.write_all(text.as_bytes()).map_err(error(path))
}

/// Writes one file, creating its directory.
pub fn write_file(path: &Path, text: &str) -> Result<(), WriteError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(error(parent))?;
    }
    std::fs::write(path, text).map_err(error(path))
}

/// The manifest of a `report --collect` bundle.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Writes a bundle: the manifest, and for each side the files it was read from (copied
/// through its source, so a symlink out of the repository is still refused).
pub fn write_bundle<'a>(
    dir: &Path,
    manifest: &str,
    sides: impl IntoIterator<Item = (&'a str, &'a dyn crate::inputs::FileSource, Vec<String>)>,
) -> Result<(), WriteError> {
    if dir.is_dir() {
        std::fs::remove_dir_all(dir).map_err(error(dir))?;
    }
    std::fs::create_dir_all(dir).map_err(error(dir))?;
    for (name, source, files) in sides {
        let reads = source.read_many(&files, u64::MAX);
        for (file, read) in files.iter().zip(reads) {
            let Ok(Some(bytes)) = read else { continue };
            if !crate::inputs::paths::is_inside(file) {
                continue;
            }
            let path = dir.join(name).join(file);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(error(parent))?;
            }
            std::fs::write(&path, bytes).map_err(error(&path))?;
        }
    }
    let path = dir.join(MANIFEST_FILE);
    std::fs::write(&path, manifest).map_err(error(&path))
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
