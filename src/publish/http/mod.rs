//! What the forge clients share: network settings, the retry policy, and the error type.
//!
//! Each client sends one attempt its own way (octocrab for GitHub, reqwest for GitLab) and
//! hands back a `Reply`; `RetryPolicy::send` decides whether to retry, how long to wait
//! (exponential backoff with jitter; `Retry-After` and rate-limit reset headers win), and
//! stops at a bound on attempts and on the total time.

mod reply;
mod retry;
mod session;

use std::time::Duration;

pub(crate) use reply::{NoAnswer, Reply, header, take_chunk};
pub(crate) use retry::{Retry, RetryPolicy};
pub(crate) use session::Session;

/// Network settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    /// Longest wait for one response.
    pub request_timeout: Duration,
    /// Longest time for all requests of a run, waits included.
    pub deadline: Duration,
    /// First backoff after a failure (doubles each time, with jitter).
    pub backoff: Duration,
    /// Attempts per request at most.
    pub attempts: u32,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            request_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(300),
            backoff: Duration::from_millis(500),
            attempts: 6,
        }
    }
}

/// Which forge answered, for messages and hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    /// GitHub or GitHub Enterprise Server.
    GitHub,
    /// GitLab.com or a self-managed GitLab.
    GitLab,
}

impl std::fmt::Display for Forge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
        })
    }
}

/// A failed forge call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The forge answered with an error.
    #[error("{method} {url} failed: HTTP {status}: {message}")]
    Status {
        /// Who answered.
        forge: Forge,
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The forge's message.
        message: String,
        /// What the token needs for this call, for a refusal.
        permission: Option<&'static str>,
    },
    /// The request did not get an answer.
    #[error("{method} {url} failed: {message}")]
    Transport {
        /// Who was asked.
        forge: Forge,
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Retries were exhausted or would pass the deadline.
    #[error("gave up on {method} {url} after {attempts} attempts in {elapsed:.1?}: {last}")]
    GaveUp {
        /// Who was asked.
        forge: Forge,
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The last failure.
        last: String,
    },
    /// The forge answered, but not with what the call expects (a list that is not a JSON
    /// array, a body over the size cap, a redirect to another host).
    #[error("{method} {url}: {message}")]
    Unexpected {
        /// Who answered.
        forge: Forge,
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The client could not be built (a bad API URL).
    #[error("cannot use the {forge} API at `{url}`: {message}")]
    Setup {
        /// Which API.
        forge: Forge,
        /// The API URL.
        url: String,
        /// Why.
        message: String,
    },
}

impl ApiError {
    /// The fix to suggest.
    pub fn hint(&self) -> Option<String> {
        match self {
            ApiError::Status {
                forge: Forge::GitHub,
                permission: Some(permission),
                ..
            } => Some(format!(
                "the token may not do this; give the workflow job the permission:\n\n  permissions:\n    contents: read\n    {permission}\n\n(pull-requests: write posts the report; contents: write hosts charts with --images git-ref; checks: write creates the check run)"
            )),
            ApiError::Status {
                forge: Forge::GitHub,
                status: 401,
                ..
            } => Some(
                "the token is invalid or expired; pass one with --token, MLCI_TOKEN or GITHUB_TOKEN"
                    .into(),
            ),
            ApiError::Status {
                forge: Forge::GitLab,
                status: 401,
                ..
            } => Some(
                "the token is invalid, expired or lacks the `api` scope; set GITLAB_TOKEN (or MLCI_TOKEN) to a project access token with the `api` scope"
                    .into(),
            ),
            ApiError::Status {
                forge: Forge::GitLab,
                status: 403,
                permission,
                ..
            } => Some(format!(
                "the token may not do this: it needs {}; in Settings > Access tokens, create a project access token with the `api` scope and at least the Reporter role, and store it as a masked CI/CD variable GITLAB_TOKEN",
                permission.unwrap_or("the `api` scope")
            )),
            ApiError::Status {
                forge: Forge::GitHub,
                status: 404,
                ..
            } => Some(
                "check --repo and the pull request or commit; a token without access to a private repository also gets 404".into(),
            ),
            ApiError::Status {
                forge: Forge::GitLab,
                status: 404,
                ..
            } => Some(
                "check --repo (the project's path or numeric id), the merge request and --gitlab-api-url; a token without access to a private project also gets 404".into(),
            ),
            ApiError::GaveUp { forge, .. } | ApiError::Transport { forge, .. } => Some(format!(
                "{forge} did not answer in time; the local report is in --out, and re-running the job updates the comment in place"
            )),
            ApiError::Unexpected { forge, .. } => Some(format!(
                "check the {forge} API URL; nothing was posted, and re-running the job updates the comment in place"
            )),
            _ => None,
        }
    }

    /// Whether the outcome of a create is unknown (it may have happened).
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, ApiError::Transport { .. })
            || matches!(self, ApiError::Status { status, .. } if *status >= 500)
    }

    /// Whether the token may not do this (a fork's read-only token, missing permissions).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            ApiError::Status {
                status: 403,
                permission: Some(_),
                ..
            }
        )
    }

    /// The HTTP status, when the forge answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Whether a URL reaches a server on this machine (plain HTTP is fine there).
pub(crate) fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or_default()
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Warns when a token would cross the network unencrypted.
pub(crate) fn warn_plain_http(forge: Forge, url: &str) {
    if url.starts_with("http://") && !is_loopback(url) {
        log::warn!(
            "the {forge} API URL `{url}` is plain http: the token and the report cross the network unencrypted; use https://"
        );
    }
}

/// An error and its causes, `: `-separated (a client error alone says little: "error
/// sending request").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        assert!(is_loopback("http://127.0.0.1:8080/api/v3"));
        assert!(is_loopback("http://localhost/api"));
        assert!(is_loopback("http://[::1]:80/x"));
        assert!(!is_loopback("http://gitlab.example.com/api/v4"));
        assert!(!is_loopback("http://127.0.0.1.evil.com/"));
    }
}
