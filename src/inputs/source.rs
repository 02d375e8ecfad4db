//! Where the files of one revision come from: the [`FileSource`] trait that every reader in
//! `inputs` goes through, its errors, and [`Directory`], the source for files on disk (the
//! working tree, or a plain directory such as `--base-dir`). The source for a commit,
//! [`crate::git::GitTree`], lives with the rest of git.
//!
//! Every source refuses what is not the revision's own files: a path or symlink that leaves
//! the root, and git's data (`.git/`), however it is spelled or reached. Messages name files
//! as the repository does, never by where they are on this machine.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{bytes, paths};

/// Where the files of one revision are read from: a git revision, the working tree, or a
/// plain directory: [`crate::git::GitTree`] for a commit, [`Directory`] for files on disk.
///
/// Every source refuses what is not the revision's own files: a path or symlink that leaves
/// the repository, and git's data (`.git/`), however it is reached.
pub trait FileSource: Sync {
    /// The bytes of a repository-relative file of at most `limit` bytes; `Ok(None)` when it
    /// does not exist here, [`ReadError::TooLarge`] (nothing read) when it is larger.
    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ReadError>;
    /// Several files at once (a git source reads them in one round trip).
    fn read_many(&self, paths: &[String], limit: u64) -> Vec<Result<Option<Vec<u8>>, ReadError>> {
        paths.iter().map(|path| self.read(path, limit)).collect()
    }
    /// A file as a stream, for files too large to hold (data files of gigabytes); `Ok(None)`
    /// when it does not exist here. The default reads the whole file.
    fn open(&self, path: &str) -> Result<Option<Box<dyn std::io::Read + Send>>, ReadError> {
        Ok(self
            .read(path, u64::MAX)?
            .map(|bytes| Box::new(std::io::Cursor::new(bytes)) as Box<dyn std::io::Read + Send>))
    }
    /// Whether a readable file exists at this path (nothing is read).
    fn exists(&self, path: &str) -> bool;
    /// Every file at or under a repository-relative directory (`""` for all), sorted.
    fn files_under(&self, dir: &str) -> Result<Vec<String>, SourceError>;
    /// Every file at most `depth` folders below the root and under no folder named in
    /// `skip`, in no particular order (for discovery: bounded work on any tree). The default
    /// lists everything and keeps those; a source that walks the disk prunes as it goes.
    fn files_near(&self, depth: usize, skip: &[&str]) -> Result<Vec<String>, SourceError> {
        Ok(self
            .files_under("")?
            .into_iter()
            .filter(|path| near(path, depth, skip))
            .collect())
    }
    /// Every file with this exact name anywhere in the source, sorted.
    fn files_named(&self, name: &str) -> Result<Vec<String>, SourceError>;
    /// Whether a repository-relative path is a directory here.
    fn is_dir(&self, path: &str) -> bool;
    /// How messages name this source, e.g. "`main` (3f2a9c1)".
    fn describe(&self) -> String;
}

/// Why one file could not be read (it becomes a warning, not a failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The path, or a symlink on the way, points outside the repository.
    #[error("refused to read `{0}`: it leads out of the repository")]
    LeavesRepository(String),
    /// The path, or a symlink on the way, names git's own data (`.git/`).
    #[error("refused to read `{0}`: git's own data (.git) is never an input")]
    GitData(String),
    /// Larger than the limit for files read whole.
    #[error("skipped: {} is over max_file_size ({})", bytes(*.size), bytes(*.limit))]
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The operating system or git refused.
    #[error("{0}")]
    Io(String),
}

/// A source that cannot be read at all (a broken git repository, an unreadable directory).
#[derive(Debug, thiserror::Error)]
#[error("cannot list the files of {source_name}: {message}")]
pub struct SourceError {
    /// The source, as [`FileSource::describe`] names it.
    pub source_name: String,
    /// What failed.
    pub message: String,
}

/// Whether `path` is at most `depth` folders below the root and under no folder named in
/// `skip`.
pub fn near(path: &str, depth: usize, skip: &[&str]) -> bool {
    let folders: Vec<&str> = path.split('/').collect();
    let folders = &folders[..folders.len() - 1];
    folders.len() <= depth && !folders.iter().any(|f| skip.contains(f))
}

/// Lists a work tree the way its version control sees it. Implemented by
/// [`crate::git::Repo`] (`git ls-files`), so that this module never runs git itself.
pub trait Lister: Send + Sync + std::fmt::Debug {
    /// Every file named exactly `name`, at the top or in any directory: tracked, or untracked
    /// and not ignored; repository-relative, `/`-separated, in any order. A file the lister
    /// knows but that is not on disk (a tracked file deleted) may be listed.
    fn files_named(&self, name: &str) -> Result<Vec<String>, String>;
}

/// Files on disk under a root: the working tree, or a plain directory (`--base-dir`).
#[derive(Debug)]
pub struct Directory {
    root: PathBuf,
    /// The root's real path, found on first use.
    real_root: std::sync::OnceLock<Result<PathBuf, String>>,
    label: String,
    /// When the directory is a work tree, its version control lists it (respecting
    /// `.gitignore`).
    lister: Option<Box<dyn Lister>>,
}

impl Directory {
    /// A plain directory, not necessarily a repository.
    pub fn new(root: PathBuf, label: String) -> Directory {
        Directory {
            root,
            real_root: std::sync::OnceLock::new(),
            label,
            lister: None,
        }
    }

    /// A work tree, whose files named like `dvc.yaml` are found by `lister` (git's
    /// `ls-files`, which skips ignored directories) rather than by walking every directory.
    pub fn listed_by(root: PathBuf, label: String, lister: Box<dyn Lister>) -> Directory {
        Directory {
            lister: Some(lister),
            ..Directory::new(root, label)
        }
    }

    fn walk(&self, dir: &str, out: &mut Vec<String>) -> std::io::Result<()> {
        let full = if dir.is_empty() {
            self.root.clone()
        } else {
            self.root.join(dir)
        };
        let mut entries: Vec<_> = std::fs::read_dir(&full)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            // Never git's own data; `file_type` does not follow symlinks, so a symlinked
            // directory is listed as a file and refused when read.
            if paths::touches_git(&name) {
                continue;
            }
            if entry.file_type()?.is_dir() {
                self.walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }

    /// [`Directory::walk`] that does not enter a folder named in `skip`, nor go more than
    /// `depth` folders down.
    fn walk_pruned(
        &self,
        dir: &str,
        depth: usize,
        skip: &[&str],
        out: &mut Vec<String>,
    ) -> std::io::Result<()> {
        let full = if dir.is_empty() {
            self.root.clone()
        } else {
            self.root.join(dir)
        };
        // In the order the directory gives (discovery sorts what it keeps).
        for entry in std::fs::read_dir(&full)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if paths::touches_git(&name) {
                continue;
            }
            let path = if dir.is_empty() {
                name.into_owned()
            } else {
                format!("{dir}/{name}")
            };
            if entry.file_type()?.is_dir() {
                if depth > 0 && !skip.iter().any(|s| path.rsplit('/').next() == Some(*s)) {
                    self.walk_pruned(&path, depth - 1, skip, out)?;
                }
            } else {
                out.push(path);
            }
        }
        Ok(())
    }

    fn source_error(&self, message: impl std::fmt::Display) -> SourceError {
        SourceError {
            source_name: self.describe(),
            message: message.to_string(),
        }
    }

    fn real_root(&self) -> Result<&Path, ReadError> {
        self.real_root
            .get_or_init(|| {
                self.root
                    .canonicalize()
                    .map_err(|error| format!("cannot open {}: {error}", self.label))
            })
            .as_deref()
            .map_err(|message| ReadError::Io(message.clone()))
    }

    /// The real path of a repository-relative file, after following symlinks; refused when
    /// it, or where it leads, leaves the directory or names git's data; `None` when there
    /// is no such file. Messages name the file as the repository does, never by its path on
    /// this machine.
    fn resolve(&self, path: &str) -> Result<Option<PathBuf>, ReadError> {
        if !paths::is_inside(path) {
            return Err(ReadError::LeavesRepository(path.to_owned()));
        }
        if paths::touches_git(path) {
            return Err(ReadError::GitData(path.to_owned()));
        }
        let full = self.root.join(path);
        let real = match full.canonicalize() {
            Ok(real) => real,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(ReadError::Io(format!("{path}: {}", io_reason(&error)))),
        };
        let root = self.real_root()?;
        let Some(inside) = paths::relative_within(
            &root.to_string_lossy(),
            &real.to_string_lossy(),
            paths::CASE_INSENSITIVE_FS,
        ) else {
            return Err(ReadError::LeavesRepository(path.to_owned()));
        };
        if paths::touches_git(&inside) {
            return Err(ReadError::GitData(format!("{path} → {inside}")));
        }
        Ok((!real.is_dir()).then_some(real))
    }
}

/// An I/O error's reason without the path the OS message may carry.
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::NotFound => "not found".to_owned(),
        _ => error.to_string(),
    }
}

impl FileSource for Directory {
    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(real) = self.resolve(path)? else {
            return Ok(None);
        };
        let io = |error: std::io::Error| ReadError::Io(format!("{path}: {}", io_reason(&error)));
        let file = std::fs::File::open(&real).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size > limit {
            return Err(ReadError::TooLarge { size, limit });
        }
        // The file may grow while it is read: never take more than the limit.
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > limit {
            return Err(ReadError::TooLarge {
                size: bytes.len() as u64,
                limit,
            });
        }
        Ok(Some(bytes))
    }

    fn exists(&self, path: &str) -> bool {
        matches!(self.resolve(path), Ok(Some(_)))
    }

    fn open(&self, path: &str) -> Result<Option<Box<dyn Read + Send>>, ReadError> {
        let Some(real) = self.resolve(path)? else {
            return Ok(None);
        };
        let file = std::fs::File::open(&real)
            .map_err(|error| ReadError::Io(format!("{path}: {}", io_reason(&error))))?;
        Ok(Some(Box::new(file)))
    }

    fn files_near(&self, depth: usize, skip: &[&str]) -> Result<Vec<String>, SourceError> {
        let mut out = Vec::new();
        match self.walk_pruned("", depth, skip, &mut out) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(self.source_error(error)),
        }
        Ok(out)
    }

    fn files_under(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        if !dir.is_empty() && !self.is_dir(dir) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        match self.walk(dir, &mut out) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(self.source_error(format!("{dir}: {error}"))),
        }
        Ok(out)
    }

    fn files_named(&self, name: &str) -> Result<Vec<String>, SourceError> {
        if let Some(lister) = &self.lister {
            let out = lister
                .files_named(name)
                .map_err(|error| self.source_error(error))?;
            let mut found: Vec<String> = out
                .into_iter()
                .filter(|p| p.rsplit('/').next() == Some(name))
                .collect();
            found.sort();
            found.dedup();
            // A tracked file deleted from the working tree is listed by git but not here.
            found.retain(|p| self.root.join(p).is_file());
            return Ok(found);
        }
        let mut all = Vec::new();
        self.walk("", &mut all)
            .map_err(|error| self.source_error(error))?;
        all.retain(|p| p.rsplit('/').next() == Some(name));
        Ok(all)
    }

    /// A directory of this source: not one a symlink leads to outside it, or into `.git`.
    fn is_dir(&self, path: &str) -> bool {
        if !paths::is_readable(path) {
            return false;
        }
        let (Ok(real), Ok(root)) = (self.root.join(path).canonicalize(), self.real_root()) else {
            return false;
        };
        real.is_dir()
            && paths::relative_within(
                &root.to_string_lossy(),
                &real.to_string_lossy(),
                paths::CASE_INSENSITIVE_FS,
            )
            .is_some_and(|inside| !paths::touches_git(&inside))
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_reads_its_own_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("eval")).unwrap();
        std::fs::write(root.join(".git/config"), "secret").unwrap();
        std::fs::write(root.join("eval/m.json"), "{}").unwrap();
        std::fs::write(root.join("big.csv"), "x".repeat(100)).unwrap();
        std::fs::write(dir.path().join("outside.txt"), "secret").unwrap();
        let source = Directory::new(root.clone(), "working tree".into());

        assert_eq!(
            source.read("eval/m.json", 10).unwrap(),
            Some(b"{}".to_vec())
        );
        assert_eq!(source.read("missing.json", 10).unwrap(), None);
        assert_eq!(
            source.read("big.csv", 10),
            Err(ReadError::TooLarge {
                size: 100,
                limit: 10
            })
        );
        assert_eq!(source.files_under("").unwrap(), ["big.csv", "eval/m.json"]);
        for path in [".git/config", ".GIT/config", "eval/../.git/config"] {
            assert!(
                matches!(
                    source.read(path, 100),
                    Err(ReadError::GitData(_) | ReadError::LeavesRepository(_))
                ),
                "{path}"
            );
        }
        assert_eq!(
            source.read("../outside.txt", 100),
            Err(ReadError::LeavesRepository("../outside.txt".into()))
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.txt"), root.join("out")).unwrap();
            std::os::unix::fs::symlink(root.join(".git"), root.join("g")).unwrap();
            let refused = source.read("out", 100).unwrap_err();
            assert_eq!(refused, ReadError::LeavesRepository("out".into()));
            assert!(!refused.to_string().contains(&*dir.path().to_string_lossy()));
            assert!(matches!(
                source.read("g/config", 100),
                Err(ReadError::GitData(_))
            ));
            assert!(!source.is_dir("g"));
        }
    }
}
