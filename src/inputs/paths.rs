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
}
