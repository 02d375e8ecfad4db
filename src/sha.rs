//! A commit's full name. Every commit mlci names is a [`Sha`]: 40 hexadecimal digits
//! (SHA-1) or 64 (SHA-256), lowercase, never git's null name. "No commit" is `None`, never
//! an empty or all-zero string, and [`Sha::short`] is the one place a name is shortened.

use std::fmt;

/// A full commit name.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Sha(String);

/// How many characters [`Sha::short`] keeps, as `git log --oneline` shows them.
pub const SHORT: usize = 7;

impl Sha {
    /// `text` as a commit name: 40 or 64 hexadecimal digits (either case; kept lowercase);
    /// `None` for anything else, and for the null name (all zeros) that events use for
    /// "no commit".
    pub fn parse(text: &str) -> Option<Sha> {
        let text = text.trim();
        let full = matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit());
        (full && !is_null(text)).then(|| Sha(text.to_ascii_lowercase()))
    }

    /// The full name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first [`SHORT`] characters, as people quote commits.
    pub fn short(&self) -> &str {
        &self.0[..SHORT]
    }
}

/// Whether `text` is git's null object name (40 or 64 zeros), which events send for the
/// `before` of a new ref and the `after` of a deleted one.
pub fn is_null(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b == b'0')
}

impl fmt::Display for Sha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha({})", self.0)
    }
}

impl std::ops::Deref for Sha {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Sha {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A text that is not a full commit name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a full commit name (40 or 64 hexadecimal digits)")]
pub struct NotASha(pub String);

impl std::str::FromStr for Sha {
    type Err = NotASha;

    /// For flags (`--commit`).
    fn from_str(text: &str) -> Result<Sha, NotASha> {
        Sha::parse(text).ok_or_else(|| NotASha(text.chars().take(80).collect()))
    }
}

impl<'de> serde::Deserialize<'de> for Sha {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Sha, D::Error> {
        let text = String::deserialize(deserializer)?;
        Sha::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(NotASha(text.chars().take(80).collect())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_names_are_commits() {
        let sha = Sha::parse(&"A1".repeat(20)).unwrap();
        assert_eq!(sha.as_str(), "a1".repeat(20));
        assert_eq!(sha.short(), "a1a1a1a");
        assert!(Sha::parse(&"b".repeat(64)).is_some());
        for bad in [
            "",
            "a1b2c3d",
            &"0".repeat(40),
            &"g".repeat(40),
            &"a".repeat(41),
        ] {
            assert_eq!(Sha::parse(bad), None, "{bad}");
        }
        assert!(is_null(&"0".repeat(64)) && !is_null("0"));
        let read: Option<Sha> = serde_json::from_str(&format!("\"{}\"", "c".repeat(40))).unwrap();
        assert_eq!(read, Sha::parse(&"c".repeat(40)));
        assert!(serde_json::from_str::<Sha>("\"main\"").is_err());
    }
}
