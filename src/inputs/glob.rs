//! Glob patterns for `--targets` and `.mlci.toml`: `*` and `?` within one path segment, `**`
//! across segments, `[abc]` / `[!a-z]` classes. Paths use `/`.

/// Whether `text` holds a glob metacharacter.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// The directory part of a pattern before its first metacharacter: where to start listing.
pub fn literal_prefix(pattern: &str) -> &str {
    let first_meta = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    match pattern[..first_meta].rfind('/') {
        Some(slash) => &pattern[..slash],
        None => "",
    }
}

/// Whether a whole path matches a pattern (compiled for this one call; compile a [`Glob`]
/// once to match many).
pub fn matches(pattern: &str, path: &str) -> bool {
    Glob::path(pattern).matches(path)
}

/// A glob, compiled once (with `globset`: linear time whatever the pattern, which may come
/// from a pull request's own `.mlci.toml`). A pattern that is not a valid glob (`[x`) matches
/// only itself.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    matcher: Option<globset::GlobMatcher>,
}

impl Glob {
    /// A pattern for `/`-separated paths: `*`, `?` and `[...]` within one segment, `**`
    /// across segments.
    pub fn path(text: &str) -> Glob {
        Glob::new(text, true)
    }

    /// A pattern for a metric key, where `*` spans any characters (dots and slashes too).
    pub fn key(text: &str) -> Glob {
        Glob::new(text, false)
    }

    fn new(text: &str, literal_separator: bool) -> Glob {
        let matcher = globset::GlobBuilder::new(text)
            .literal_separator(literal_separator)
            .backslash_escape(false)
            .build()
            .ok()
            .map(|glob| glob.compile_matcher());
        Glob {
            text: text.to_owned(),
            matcher,
        }
    }

    /// Whether `text` matches, whole.
    pub fn matches(&self, text: &str) -> bool {
        match &self.matcher {
            Some(matcher) => matcher.is_match(text),
            None => self.text == text,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Glob) -> bool {
        self.text == other.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_double_star() {
        assert!(matches("runs/*/metrics.json", "runs/seed-1/metrics.json"));
        assert!(!matches("runs/*/metrics.json", "runs/a/b/metrics.json"));
        assert!(matches("runs/**/metrics.json", "runs/a/b/metrics.json"));
        assert!(matches("runs/**/metrics.json", "runs/metrics.json"));
        assert!(matches("**/dvc.yaml", "dvc.yaml"));
        assert!(matches("eval/*.json", "eval/metrics.json"));
        assert!(!matches("eval/*.json", "eval/metrics.yaml"));
        assert!(matches("seed-[0-9].json", "seed-3.json"));
        assert!(!matches("seed-[!0-9].json", "seed-3.json"));
        assert!(matches("a?c", "abc"));
        assert!(matches("[x", "[x"));
        assert!(Glob::key("*loss*").matches("train/val.loss"));
        assert!(!Glob::path("*loss*").matches("train/val.loss"));
    }

    #[test]
    fn many_double_stars_stay_fast() {
        // The old backtracking matcher took exponential time here.
        let pattern = format!("{}x", "**/".repeat(40));
        let path = format!("{}y", "a/".repeat(60));
        assert!(!matches(&pattern, &path));
        assert!(Glob::path(&pattern).matches(&format!("{}x", "a/".repeat(60))));
    }

    #[test]
    fn prefix_is_the_literal_directory() {
        assert_eq!(literal_prefix("runs/*/metrics.json"), "runs");
        assert_eq!(literal_prefix("a/b/c*.json"), "a/b");
        assert_eq!(literal_prefix("*.json"), "");
        assert!(is_pattern("a/*.json") && !is_pattern("a/b.json"));
    }
}
