//! Repository-relative paths: `/`-separated, no `.` segments, no leading `/`.

/// The directory of a repository-relative path (`""` at the root).
pub fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |slash| &path[..slash])
}

/// Joins `path` onto `dir` and normalises `.` and `..`. A result that climbs out of the
/// repository keeps its leading `..` segments; file sources refuse to read it.
pub fn join(dir: &str, path: &str) -> String {
    if path.starts_with('/') {
        return normalize(path);
    }
    if dir.is_empty() {
        normalize(path)
    } else {
        normalize(&format!("{dir}/{path}"))
    }
}

/// Normalises `.`, `..`, repeated and trailing slashes, and `\` (Windows-written paths).
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(last) if *last != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Whether a normalised path stays inside the repository.
pub fn is_inside(path: &str) -> bool {
    !path.starts_with('/') && path != ".." && !path.starts_with("../")
}

/// Whether a path names git's own data: a segment that is `.git` as any file system may
/// spell it (`.GIT` on case-insensitive disks, `.git.` or `.git ` which Windows trims,
/// `GIT~1` as its 8.3 short name, `.g\u{200c}it` which macOS's HFS+ folds). Such a path is
/// never an input, whatever it resolves to: `.git/config` holds the checkout's token.
pub fn touches_git(path: &str) -> bool {
    path.split(['/', '\\']).any(is_git_name)
}

fn is_git_name(segment: &str) -> bool {
    // Characters HFS+ ignores in names (git's `is_hfs_dotgit` list).
    let ignorable = |c: char| matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}');
    let folded: String = segment.chars().filter(|c| !ignorable(*c)).collect();
    let trimmed = folded.trim_end_matches(['.', ' ']);
    trimmed.eq_ignore_ascii_case(".git") || trimmed.eq_ignore_ascii_case("git~1")
}

/// Whether mlci may read a normalised repository-relative path: inside, and not git's own.
pub fn is_readable(path: &str) -> bool {
    is_inside(path) && !touches_git(path)
}

/// The `/`-separated path of `real` below `root`, when `real` lies inside `root`. Both are
/// real paths as the operating system gave them, compared segment by segment: `\\?\`
/// (Windows' verbatim prefix) is ignored, `\` separates like `/`, and the comparison
/// ignores case where the file system does (Windows, macOS).
pub fn relative_within(root: &str, real: &str, ignore_case: bool) -> Option<String> {
    fn segments(path: &str) -> Vec<&str> {
        let path = path
            .strip_prefix("\\\\?\\UNC\\")
            .or_else(|| path.strip_prefix("\\\\?\\"))
            .unwrap_or(path);
        path.split(['/', '\\'])
            .filter(|s| !s.is_empty() && *s != ".")
            .collect()
    }
    let (root, real) = (segments(root), segments(real));
    if real.len() < root.len() {
        return None;
    }
    let same = |a: &str, b: &str| {
        if ignore_case {
            a.to_lowercase() == b.to_lowercase()
        } else {
            a == b
        }
    };
    if !root.iter().zip(&real).all(|(a, b)| same(a, b)) {
        return None;
    }
    Some(real[root.len()..].join("/"))
}

/// Whether this platform's file systems usually ignore case in names.
pub const CASE_INSENSITIVE_FS: bool = cfg!(any(windows, target_os = "macos"));

/// Whether `path` is `dir` itself or lies under it (`dir == ""` is the root).
pub fn is_under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises() {
        assert_eq!(join("sub", "../m.yaml"), "m.yaml");
        assert_eq!(join("", "./eval//m.json"), "eval/m.json");
        assert_eq!(join("a/b", "../../../x"), "../x");
        assert!(!is_inside(&join("", "../x")));
        assert!(is_inside("eval/m.json"));
        assert_eq!(parent("a/b/c.json"), "a/b");
        assert_eq!(parent("c.json"), "");
        assert!(is_under("eval/m.json", "eval"));
        assert!(!is_under("evaluation/m.json", "eval"));
    }

    #[test]
    fn git_data_is_recognised_however_it_is_spelled() {
        for path in [
            ".git/config",
            "a/.git/config",
            ".GIT/config",
            ".Git",
            "x/.git./config",
            "x/.git /config",
            "GIT~1/config",
            ".g\u{200c}it/config",
            "a\\.git\\config",
        ] {
            assert!(touches_git(path), "{path}");
            assert!(!is_readable(path), "{path}");
        }
        for path in [
            ".gitignore",
            "a/.github/x",
            "git/config",
            "a.git/x",
            ".gitattributes",
        ] {
            assert!(!touches_git(path), "{path}");
        }
    }

    #[test]
    fn real_paths_are_compared_segment_by_segment() {
        assert_eq!(
            relative_within("/w/repo", "/w/repo/eval/m.json", false).as_deref(),
            Some("eval/m.json")
        );
        assert_eq!(relative_within("/w/repo", "/w/repository/x", false), None);
        assert_eq!(relative_within("/w/repo", "/etc/passwd", false), None);
        assert_eq!(
            relative_within("/w/repo", "/w/repo", false).as_deref(),
            Some("")
        );
        // Windows: verbatim prefixes on either side, backslashes, and case.
        assert_eq!(
            relative_within(
                "\\\\?\\C:\\work\\repo",
                "C:\\Work\\Repo\\.GIT\\config",
                true
            )
            .as_deref(),
            Some(".GIT/config")
        );
        assert!(touches_git(
            &relative_within(
                "\\\\?\\C:\\work\\repo",
                "\\\\?\\C:\\WORK\\repo\\.GIT\\config",
                true
            )
            .unwrap()
        ));
        assert_eq!(
            relative_within("\\\\?\\C:\\work\\repo", "\\\\?\\D:\\work\\repo\\x", true),
            None
        );
        assert_eq!(
            relative_within(
                "\\\\?\\UNC\\srv\\share\\repo",
                "\\\\srv\\share\\repo\\m.json",
                true
            )
            .as_deref(),
            Some("m.json")
        );
        // Case matters where the file system says so.
        assert_eq!(relative_within("/w/repo", "/w/Repo/x", false), None);
    }
}
