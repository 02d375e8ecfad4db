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

/// Whether a whole path matches a pattern.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    match_segments(&pattern, &path)
}

fn match_segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| match_segments(rest, &path[skip..])),
        Some((first, rest)) => match path.split_first() {
            Some((segment, path_rest)) => {
                matches_segment(first, segment) && match_segments(rest, path_rest)
            }
            None => false,
        },
    }
}

/// Whether one path segment matches one pattern segment (`fnmatch` without `/`).
pub fn matches_segment(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Iterative matcher with backtracking to the last `*`: linear in practice, no recursion.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                '*' => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                '?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(&pattern, p, text[t]) {
                        if matched {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if text[t] == '[' {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                c if c == text[t] => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((star_p, star_t)) => {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// Matches `c` against the class starting at `pattern[start] == '['`. Returns whether it
/// matched and the index after `]`, or `None` if the class is not closed (a literal `[`).
fn match_class(pattern: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negated = matches!(pattern.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() {
        if pattern[i] == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if i + 2 < pattern.len() && pattern[i + 1] == '-' && pattern[i + 2] != ']' {
            if pattern[i] <= c && c <= pattern[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if pattern[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
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
    }

    #[test]
    fn prefix_is_the_literal_directory() {
        assert_eq!(literal_prefix("runs/*/metrics.json"), "runs");
        assert_eq!(literal_prefix("a/b/c*.json"), "a/b");
        assert_eq!(literal_prefix("*.json"), "");
        assert!(is_pattern("a/*.json") && !is_pattern("a/b.json"));
    }
}
