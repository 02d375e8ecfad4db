//! Files on this machine: the report folder (`report.md`, what CI would post, and
//! `report.html`, the same rendered like a GitHub comment), the bundle of `report --collect`,
//! the charts of `plots diff`, and the CI's step files.
//!
//! Every folder mlci writes is claimed first ([`OutputDir::claim`]): a new or empty folder,
//! or one that carries mlci's marker file. The marker lists what mlci wrote there, and a run
//! deletes only files that it lists and that still hold what mlci wrote. A folder holding
//! other files, the repository itself, the current directory, a path through `.git` or a
//! symlink is refused. Files are written beside their final name and renamed into place, so
//! a symlink planted where a file goes is replaced, never followed.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::inputs::paths;
use crate::render::plots::Asset;

/// A file or folder that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The operating system refused.
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// mlci will not write there.
    #[error("refusing to write to `{}`: {reason}", path.display())]
    Refused {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl WriteError {
    /// The fix to suggest.
    pub fn hint(&self) -> Option<String> {
        match self {
            WriteError::Refused { .. } => Some(
                "name a new folder (the default `mlci-report` is fine), or one mlci wrote before; mlci only deletes files it wrote itself"
                    .into(),
            ),
            WriteError::Io { .. } => None,
        }
    }
}

/// The markdown file's name.
pub const MARKDOWN_FILE: &str = "report.md";
/// The HTML preview's name.
pub const HTML_FILE: &str = "report.html";
/// The index file of `mlci plots diff`.
pub const INDEX_FILE: &str = "index.md";
/// The marker of a folder mlci owns: the files it wrote there, with their content hashes.
pub const MARKER_FILE: &str = ".mlci-output";
/// Keeps the folder out of `git status`.
const GITIGNORE: &str = ".gitignore";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError {
    let path = path.to_path_buf();
    move |source| WriteError::Io { path, source }
}

fn refused(path: &Path, reason: impl Into<String>) -> WriteError {
    WriteError::Refused {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Where an output path is, for the checks of [`OutputDir::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The directory relative paths start from (`-C DIR`, else the current directory).
    pub dir: PathBuf,
    /// The repository's work tree, when there is one.
    pub repo_root: Option<PathBuf>,
}

impl Place {
    /// `path` from [`Place::dir`], with `.` and `..` resolved lexically.
    fn absolute(&self, path: &Path) -> PathBuf {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        };
        let mut out = PathBuf::new();
        for component in joined.components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        out
    }

    /// Refuses a path mlci must not create or replace: the repository or the directory it
    /// runs in (or a folder holding them), a path through `.git`, or one that passes through
    /// a symlink below the directory it runs in or the repository.
    fn check(&self, path: &Path, what: &str) -> Result<PathBuf, WriteError> {
        let absolute = self.absolute(path);
        let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| self.absolute(p));
        let target = real(&absolute);
        for protected in [Some(self.dir.as_path()), self.repo_root.as_deref()]
            .into_iter()
            .flatten()
        {
            if real(protected).starts_with(&target) {
                return Err(refused(
                    path,
                    format!(
                        "it is {} `{}`, or holds it; {what} needs a folder of its own",
                        if Some(protected) == self.repo_root.as_deref() {
                            "the repository"
                        } else {
                            "the directory mlci runs in"
                        },
                        protected.display()
                    ),
                ));
            }
        }
        if paths::touches_git(&absolute.to_string_lossy()) {
            return Err(refused(path, "it is inside git's own data (.git)"));
        }
        // Symlinks are checked below the places a pull request's files can be: the
        // directory mlci runs in and the repository. Above them the path is the user's.
        let anchors: Vec<PathBuf> = [Some(self.dir.as_path()), self.repo_root.as_deref()]
            .into_iter()
            .flatten()
            .map(|p| self.absolute(p))
            .collect();
        let mut prefix = PathBuf::new();
        for component in absolute.components() {
            prefix.push(component);
            let below_anchor = anchors
                .iter()
                .any(|a| prefix.starts_with(a) && prefix != *a);
            if !below_anchor {
                continue;
            }
            match std::fs::symlink_metadata(&prefix) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(refused(
                        path,
                        format!("`{}` is a symbolic link", prefix.display()),
                    ));
                }
                _ => {}
            }
        }
        Ok(absolute)
    }
}

/// What the marker file remembers of one written file.
type Written = BTreeMap<String, String>;

/// A folder claimed for mlci's output.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    /// What the previous run wrote (from the marker): relative path → content hash.
    previous: Written,
    /// What this run wrote.
    written: Written,
}

impl OutputDir {
    /// Claims `path` (relative to `place.dir`) for `what` (`--out`, say): creates it, or
    /// takes an empty folder or one mlci wrote before. Anything else is refused.
    pub fn claim(path: &Path, place: &Place, what: &str) -> Result<OutputDir, WriteError> {
        let absolute = place.check(path, what)?;
        let previous = match std::fs::symlink_metadata(&absolute) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&absolute).map_err(io(&absolute))?;
                Written::new()
            }
            Err(error) => return Err(io(&absolute)(error)),
            Ok(meta) if !meta.is_dir() => {
                return Err(refused(path, "it exists and is not a folder"));
            }
            Ok(_) => match std::fs::read(absolute.join(MARKER_FILE)) {
                Ok(bytes) => parse_marker(&bytes),
                Err(_) => {
                    let mut entries = std::fs::read_dir(&absolute).map_err(io(&absolute))?;
                    if entries.next().is_some() {
                        return Err(refused(
                            path,
                            format!(
                                "it holds files mlci did not write (no {MARKER_FILE} marker); {what} must be a new or empty folder"
                            ),
                        ));
                    }
                    Written::new()
                }
            },
        };
        let mut dir = OutputDir {
            path: absolute,
            previous,
            written: Written::new(),
        };
        dir.write(
            GITIGNORE,
            b"# Written by mlci: nothing here belongs in git.\n*\n",
        )?;
        Ok(dir)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `rel` (`/`-separated, inside the folder): into a new file beside it, renamed
    /// over the old one. A symlink in the way is replaced, never followed; a file mlci did
    /// not write is never replaced.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<PathBuf, WriteError> {
        let rel = paths::normalize(rel);
        if rel.is_empty() || !paths::is_readable(&rel) || rel == MARKER_FILE {
            return Err(refused(
                &self.path.join(&rel),
                "not a file name inside the folder",
            ));
        }
        let target = self.path.join(&rel);
        // Folders on the way: real folders only.
        let mut folder = self.path.clone();
        for part in paths::parent(&rel).split('/').filter(|p| !p.is_empty()) {
            folder.push(part);
            match std::fs::symlink_metadata(&folder) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(refused(&folder, "it is in the way and not a folder")),
                Err(_) => std::fs::create_dir(&folder).map_err(io(&folder))?,
            }
        }
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => {
                return Err(refused(&target, "a folder is in the way"));
            }
            Ok(meta) if meta.file_type().is_symlink() => {}
            Ok(_)
                if !self.previous.contains_key(&rel)
                    && !self.written.contains_key(&rel)
                    && std::fs::read(&target).ok().as_deref() != Some(bytes) =>
            {
                return Err(refused(&target, "mlci did not write this file"));
            }
            _ => {}
        }
        let temporary = folder.join(format!(
            ".{}.mlci-{}",
            rel.rsplit('/').next().unwrap_or("file"),
            std::process::id()
        ));
        write_new(&temporary, bytes)?;
        std::fs::rename(&temporary, &target).map_err(|error| {
            let _ = std::fs::remove_file(&temporary);
            io(&target)(error)
        })?;
        self.written.insert(rel, digest(bytes));
        Ok(target)
    }

    /// Deletes what the previous run wrote and this one did not (only files the marker
    /// lists that still hold what mlci wrote, and then the folders they leave empty), and
    /// saves the marker.
    pub fn finish(self) -> Result<PathBuf, WriteError> {
        for (rel, hash) in &self.previous {
            if self.written.contains_key(rel) || !paths::is_readable(rel) || rel.is_empty() {
                continue;
            }
            let file = self.path.join(rel);
            let ours = std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
                && std::fs::read(&file).is_ok_and(|bytes| digest(&bytes) == *hash);
            if !ours {
                continue;
            }
            std::fs::remove_file(&file).map_err(io(&file))?;
            // Folders left empty by it, up to the output folder.
            let mut parent = paths::parent(rel);
            while !parent.is_empty() {
                if std::fs::remove_dir(self.path.join(parent)).is_err() {
                    break;
                }
                parent = paths::parent(parent);
            }
        }
        let marker = self.path.join(MARKER_FILE);
        let text = serde_json::to_string_pretty(&serde_json::json!({
            "written_by": "mlci",
            "files": self.written,
        }))
        .expect("a map of strings serialises")
            + "\n";
        let temporary = self
            .path
            .join(format!("{MARKER_FILE}.mlci-{}", std::process::id()));
        write_new(&temporary, text.as_bytes())?;
        std::fs::rename(&temporary, &marker).map_err(io(&marker))?;
        Ok(self.path)
    }
}

/// Creates a file that must not exist yet (never through a symlink) and fills it.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    use std::io::Write as _;
    let _ = std::fs::remove_file(path); // a leftover of a killed run
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))
}

/// The files a marker lists.
fn parse_marker(bytes: &[u8]) -> Written {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|value| {
            value["files"].as_object().map(|files| {
                files
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// A content hash for the marker (FNV-1a, 64 bits, and the length): enough to tell the
/// file mlci wrote from one changed since.
fn digest(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}:{hash:016x}", bytes.len())
}

/// Writes the report (its markdown, its HTML preview and the files they link) into its
/// folder; returns the markdown file's path.
pub fn write(
    dir: &Path,
    place: &Place,
    markdown: &str,
    html: &str,
    assets: &[Asset],
) -> Result<PathBuf, WriteError> {
    let mut out = OutputDir::claim(dir, place, "--out")?;
    for asset in assets {
        out.write(&asset.path, &asset.bytes)?;
    }
    let markdown = out.write(MARKDOWN_FILE, markdown.as_bytes())?;
    out.write(HTML_FILE, html.as_bytes())?;
    out.finish()?;
    Ok(markdown)
}

/// Appends text to a file the CI named (a GitHub Actions step summary or output file).
pub fn append(path: &Path, text: &str) -> Result<(), WriteError> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))?;
    file.write_all(text.as_bytes()).map_err(io(path))
}

/// Writes one file the user named (`--openmetrics FILE`): never into `.git`, never through
/// a symlink below the directory mlci runs in, never over a folder.
pub fn write_file(path: &Path, place: &Place, text: &str) -> Result<(), WriteError> {
    let absolute = place.check(path, "the file")?;
    if let Some(parent) = absolute.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    if std::fs::symlink_metadata(&absolute).is_ok_and(|m| m.is_dir()) {
        return Err(refused(path, "a folder is in the way"));
    }
    let name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = absolute.with_file_name(format!(".{name}.mlci-{}", std::process::id()));
    write_new(&temporary, text.as_bytes())?;
    std::fs::rename(&temporary, &absolute).map_err(io(&absolute))
}

/// Writes `mlci plots diff`'s `index.md` and charts into `dir`; returns the index's path.
pub fn write_plots(
    dir: &Path,
    place: &Place,
    index: &str,
    assets: &[Asset],
) -> Result<PathBuf, WriteError> {
    let mut out = OutputDir::claim(dir, place, "-o")?;
    for asset in assets {
        out.write(&asset.path, &asset.bytes)?;
    }
    let path = out.write(INDEX_FILE, index.as_bytes())?;
    out.finish()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(dir: &Path) -> Place {
        Place {
            dir: dir.to_path_buf(),
            repo_root: Some(dir.to_path_buf()),
        }
    }

    #[test]
    fn a_run_replaces_only_what_the_last_one_wrote() {
        let temp = tempfile::tempdir().unwrap();
        let here = temp.path();
        let mut out = OutputDir::claim(Path::new("out"), &place(here), "--out").unwrap();
        out.write("plots/a.png", b"a").unwrap();
        out.write("plots/b.png", b"b").unwrap();
        out.finish().unwrap();
        // The user keeps a file of their own in there.
        std::fs::write(here.join("out/plots/mine.txt"), "mine").unwrap();
        let mut out = OutputDir::claim(Path::new("out"), &place(here), "--out").unwrap();
        out.write("plots/a.png", b"a2").unwrap();
        out.finish().unwrap();
        assert!(!here.join("out/plots/b.png").exists());
        assert_eq!(std::fs::read(here.join("out/plots/a.png")).unwrap(), b"a2");
        assert_eq!(
            std::fs::read(here.join("out/plots/mine.txt")).unwrap(),
            b"mine"
        );
        assert_eq!(
            std::fs::read_to_string(here.join("out/.gitignore")).unwrap(),
            "# Written by mlci: nothing here belongs in git.\n*\n"
        );
    }

    #[test]
    fn a_changed_file_is_kept() {
        let temp = tempfile::tempdir().unwrap();
        let here = temp.path();
        let mut out = OutputDir::claim(Path::new("out"), &place(here), "--out").unwrap();
        out.write("old.png", b"old").unwrap();
        out.finish().unwrap();
        std::fs::write(here.join("out/old.png"), "edited by hand").unwrap();
        OutputDir::claim(Path::new("out"), &place(here), "--out")
            .unwrap()
            .finish()
            .unwrap();
        assert!(here.join("out/old.png").exists());
    }

    #[test]
    fn foreign_folders_the_root_and_git_are_refused() {
        let temp = tempfile::tempdir().unwrap();
        let here = temp.path();
        std::fs::create_dir_all(here.join("plots")).unwrap();
        std::fs::write(here.join("plots/model.dvc-output"), "precious").unwrap();
        for path in [".", "", "plots", "..", ".git/x", "sub/../."] {
            let error = OutputDir::claim(Path::new(path), &place(here), "--out").unwrap_err();
            assert!(
                matches!(error, WriteError::Refused { .. }),
                "{path}: {error}"
            );
        }
        assert!(here.join("plots/model.dvc-output").exists());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_followed() {
        let temp = tempfile::tempdir().unwrap();
        let here = temp.path().join("repo");
        let outside = temp.path().join("outside");
        std::fs::create_dir_all(&here).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("victim"), "keep").unwrap();
        // The folder itself is a link out.
        std::os::unix::fs::symlink(&outside, here.join("linked")).unwrap();
        assert!(OutputDir::claim(Path::new("linked"), &place(&here), "--out").is_err());
        assert!(write_file(Path::new("linked/m.prom"), &place(&here), "x").is_err());
        // A file inside an empty new folder is a link out: replaced, not followed.
        let mut out = OutputDir::claim(Path::new("out"), &place(&here), "--out").unwrap();
        std::os::unix::fs::symlink(outside.join("victim"), here.join("out/report.md")).unwrap();
        out.write("report.md", b"report").unwrap();
        out.finish().unwrap();
        assert_eq!(
            std::fs::read_to_string(outside.join("victim")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(here.join("out/report.md")).unwrap(),
            "report"
        );
        // A forged marker cannot make mlci delete through a link.
        std::fs::write(
            here.join("out/.mlci-output"),
            r#"{"files": {"gone": "6:0", "../outside/victim": "4:0"}}"#,
        )
        .unwrap();
        std::os::unix::fs::symlink(outside.join("victim"), here.join("out/gone")).unwrap();
        OutputDir::claim(Path::new("out"), &place(&here), "--out")
            .unwrap()
            .finish()
            .unwrap();
        assert!(outside.join("victim").exists());
    }
}
