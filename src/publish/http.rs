//! What the forge clients share: network settings, the retry policy, and the error type.
//!
//! Each client sends one attempt its own way (octocrab for GitHub, reqwest for GitLab) and
//! hands back a `Reply`; `RetryPolicy::send` decides whether to retry, how long to wait
//! (exponential backoff with jitter; `Retry-After` and rate-limit reset headers win), and
//! stops at a bound on attempts and on the total time.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use serde_json::Value;

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

/// One answer, reduced to what the policy and the clients read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reply {
    /// HTTP status.
    pub(crate) status: u16,
    /// The body as JSON (a string for a body that is not JSON, null for none).
    pub(crate) json: Value,
    /// The next page's URL (`Link: rel="next"`, or built from `x-next-page`).
    pub(crate) next: Option<String>,
    /// `Retry-After`, in seconds.
    pub(crate) retry_after: Option<u64>,
    /// Requests left (`x-ratelimit-remaining`, `RateLimit-Remaining`).
    pub(crate) remaining: Option<u64>,
    /// When the limit resets, epoch seconds (`x-ratelimit-reset`, `RateLimit-Reset`).
    pub(crate) reset: Option<u64>,
}

impl Reply {
    /// A reply from its status, headers and body. `limits` names the forge's rate-limit
    /// headers: retry-after, requests remaining, reset time.
    pub(crate) fn new(
        status: u16,
        headers: &http::HeaderMap,
        limits: [&str; 3],
        next: Option<String>,
        body: &[u8],
    ) -> Reply {
        let number = |name: &str| header(headers, name).and_then(|v| v.parse::<u64>().ok());
        let [retry_after, remaining, reset] = limits.map(number);
        Reply {
            status,
            json: body_json(String::from_utf8_lossy(body).into_owned()),
            next,
            retry_after,
            remaining,
            reset,
        }
    }

    /// The forge's error message: GitHub's `message`, GitLab's `message` (a string or an
    /// object of field errors) or `error`, or the text of a body that is not JSON.
    pub(crate) fn message(&self) -> String {
        match (&self.json["message"], &self.json["error"], &self.json) {
            (Value::String(m), _, _) => m.clone(),
            (Value::Object(_), _, _) => self.json["message"].to_string(),
            (_, Value::String(e), _) => e.clone(),
            (_, _, Value::String(text)) => text.chars().take(200).collect(),
            _ => String::new(),
        }
    }

    fn is_success(&self) -> bool {
        (200..300).contains(&self.status) || self.status == 304
    }
}

/// Why an attempt got no answer (a connection, TLS or timeout failure, a body too large).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoAnswer(pub(crate) String);

impl NoAnswer {
    /// From an error and its causes.
    pub(crate) fn from_error(error: &dyn std::error::Error) -> NoAnswer {
        NoAnswer(error_chain(error))
    }
}

/// A header's value, trimmed; `None` when absent, empty or not text.
pub(crate) fn header(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Adds a chunk of a body to `bytes`, up to [`MAX_BODY`] in all.
pub(crate) fn take_chunk(bytes: &mut Vec<u8>, chunk: &[u8]) -> Result<(), NoAnswer> {
    if bytes.len() + chunk.len() > MAX_BODY {
        return Err(NoAnswer(format!(
            "the answer is larger than {MAX_BODY} bytes"
        )));
    }
    bytes.extend_from_slice(chunk);
    Ok(())
}

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Repeating it is harmless (reads, updates, deletes, content-addressed writes).
    Idempotent,
    /// A create: repeat only when the forge certainly did not act (a rate limit); otherwise
    /// report the failure and let the caller look first.
    Create,
}

/// The retry policy of one client: its settings and when its run started. (The verdict's
/// policy is `verdict::Policy`.)
#[derive(Debug)]
pub(crate) struct RetryPolicy {
    pub(crate) forge: Forge,
    pub(crate) network: Network,
    pub(crate) started: Instant,
}

/// What each forge client holds besides its HTTP client: a current-thread runtime, the
/// retry policy, and the transcript of its requests.
#[derive(Debug)]
pub(crate) struct Session {
    /// Runs the requests.
    pub(crate) runtime: tokio::runtime::Runtime,
    /// Retries, waits and the deadline.
    pub(crate) policy: RetryPolicy,
    /// One line per request, for `-v` and the tests.
    transcript: RefCell<Vec<String>>,
}

impl Session {
    /// A session whose clock starts now.
    pub(crate) fn new(forge: Forge, network: Network) -> std::io::Result<Session> {
        Ok(Session {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            policy: RetryPolicy::new(forge, network),
            transcript: RefCell::new(Vec::new()),
        })
    }

    /// The requests made so far: `METHOD path -> status`.
    pub(crate) fn transcript(&self) -> Vec<String> {
        self.transcript.borrow().clone()
    }

    /// Runs one attempt (the request and its whole body) within
    /// [`RetryPolicy::attempt_budget`], and adds it to the transcript.
    pub(crate) fn attempt(
        &self,
        (method, url): (&str, &str),
        attempt: impl Future<Output = Result<Reply, NoAnswer>>,
    ) -> Result<Reply, NoAnswer> {
        let Some(budget) = self.policy.attempt_budget() else {
            return Err(NoAnswer("the network deadline has passed".into()));
        };
        let result = self.runtime.block_on(async {
            tokio::time::timeout(budget, attempt)
                .await
                .unwrap_or_else(|_| {
                    Err(NoAnswer(format!("no complete answer within {budget:.1?}")))
                })
        });
        record(
            &self.transcript,
            method,
            url,
            result.as_ref().ok().map(|r| r.status),
        );
        result
    }
}

/// The largest response body read (a page of 100 comments of 65,536 characters each, in
/// UTF-8 and JSON, stays well below it).
pub(crate) const MAX_BODY: usize = 48 << 20;
/// The most pages a list follows (20,000 comments at 100 a page).
pub(crate) const MAX_PAGES: usize = 200;

impl RetryPolicy {
    /// A policy whose clock starts now.
    pub(crate) fn new(forge: Forge, network: Network) -> RetryPolicy {
        RetryPolicy {
            forge,
            network,
            started: Instant::now(),
        }
    }

    /// How long the next attempt may take, body included: the request timeout, cut to
    /// what is left of the run's deadline (`None` when nothing is left).
    pub(crate) fn attempt_budget(&self) -> Option<Duration> {
        let left = self.network.deadline.checked_sub(self.started.elapsed())?;
        (!left.is_zero()).then(|| left.min(self.network.request_timeout))
    }

    /// Every page of a list: `fetch` gets one page's URL; pages must be JSON arrays, a URL
    /// seen before ends the list, and at most [`MAX_PAGES`] are read.
    pub(crate) fn paginate(
        &self,
        first: String,
        mut fetch: impl FnMut(&str) -> Result<Reply, ApiError>,
    ) -> Result<Vec<Value>, ApiError> {
        let mut items = Vec::new();
        // By path and query: the first URL may be relative, the links absolute.
        let mut seen = std::collections::HashSet::new();
        let mut url = first;
        loop {
            seen.insert(path_of(&url).to_owned());
            let reply = fetch(&url)?;
            match reply.json {
                Value::Array(page) => items.extend(page),
                other => {
                    return Err(ApiError::Unexpected {
                        forge: self.forge,
                        method: "GET".into(),
                        url,
                        message: format!("expected a JSON list, got {}", describe_json(&other)),
                    });
                }
            }
            match reply.next {
                Some(next) if seen.contains(path_of(&next)) => {
                    log::warn!(
                        "the {} API sent a page link seen before; the list ends there",
                        self.forge
                    );
                    return Ok(items);
                }
                Some(_) if seen.len() >= MAX_PAGES => {
                    log::warn!(
                        "stopped after {MAX_PAGES} pages of {}: the list is longer than mlci reads",
                        path_of(&url)
                    );
                    return Ok(items);
                }
                Some(next) => url = next,
                None => return Ok(items),
            }
        }
    }

    /// Sends with retries: `once` makes one attempt and returns the reply, or why there was
    /// none.
    pub(crate) fn send(
        &self,
        method: &str,
        url: &str,
        mode: Retry,
        permission: Option<&'static str>,
        mut once: impl FnMut() -> Result<Reply, NoAnswer>,
    ) -> Result<Reply, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (wait, last) = match once() {
                Ok(reply) if reply.is_success() => return Ok(reply),
                Ok(reply) => {
                    let message = reply.message();
                    // GitHub says "Resource not accessible by integration" when the token
                    // lacks a permission; GitLab answers a plain 403.
                    let refused = reply.status == 403
                        && !is_rate_limited(&reply, &message)
                        && (self.forge == Forge::GitLab || message.contains("not accessible"));
                    let error = ApiError::Status {
                        forge: self.forge,
                        method: method.to_owned(),
                        url: url.to_owned(),
                        status: reply.status,
                        permission: refused.then_some(permission).flatten(),
                        message: message.clone(),
                    };
                    match retry_after(&reply, &message, attempt, self.network.backoff) {
                        Some(wait)
                            if mode == Retry::Idempotent || is_rate_limited(&reply, &message) =>
                        {
                            (wait, error)
                        }
                        _ => return Err(error),
                    }
                }
                Err(NoAnswer(message)) => {
                    let error = ApiError::Transport {
                        forge: self.forge,
                        method: method.to_owned(),
                        url: url.to_owned(),
                        message,
                    };
                    if mode == Retry::Create {
                        return Err(error);
                    }
                    (backoff(attempt, self.network.backoff), error)
                }
            };
            let elapsed = self.started.elapsed();
            if attempt >= self.network.attempts || elapsed + wait > self.network.deadline {
                return Err(ApiError::GaveUp {
                    forge: self.forge,
                    method: method.to_owned(),
                    url: url.to_owned(),
                    attempts: attempt,
                    elapsed,
                    last: last.to_string(),
                });
            }
            log::warn!("{last}; retrying in {:.1}s", wait.as_secs_f64());
            std::thread::sleep(wait);
        }
    }
}

/// A rate limit: 429, or GitHub's 403 with `Retry-After`, an exhausted limit or a message
/// that says so.
fn is_rate_limited(reply: &Reply, message: &str) -> bool {
    reply.status == 429
        || (reply.status == 403
            && (reply.retry_after.is_some()
                || reply.remaining == Some(0)
                || message.to_ascii_lowercase().contains("rate limit")))
}

/// How long to wait before retrying, or `None` when the error is final.
fn retry_after(reply: &Reply, message: &str, attempt: u32, base: Duration) -> Option<Duration> {
    if is_rate_limited(reply, message) {
        // GitHub's and GitLab's rules: Retry-After if present; else the reset time when the
        // limit is used up; else at least a minute (GitHub's advice for secondary limits).
        if let Some(seconds) = reply.retry_after {
            return Some(Duration::from_secs(seconds));
        }
        if reply.remaining == Some(0)
            && let Some(reset) = reply.reset
        {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
        }
        return Some(Duration::from_secs(60).max(backoff(attempt, base)));
    }
    (reply.status >= 500).then(|| backoff(attempt, base))
}

/// Exponential backoff with ±25 % jitter.
pub(crate) fn backoff(attempt: u32, base: Duration) -> Duration {
    let exponential = base.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = 0.75 + f64::from(nanos % 1000) / 2000.0;
    exponential.mul_f64(jitter)
}

/// What a JSON value is, for messages (never its content: it came from a server).
fn describe_json(value: &Value) -> &'static str {
    match value {
        Value::Null => "an empty body",
        Value::String(_) => "a body that is not JSON",
        Value::Object(_) => "a JSON object",
        Value::Array(_) => "a JSON list",
        Value::Bool(_) | Value::Number(_) => "a JSON scalar",
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

/// A response body as JSON; a body that is not JSON as its text; an empty one as null.
pub(crate) fn body_json(text: String) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
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

/// Records one attempt (`METHOD /path -> status`, or `no answer`) in a client's transcript
/// and the debug log.
pub(crate) fn record(
    transcript: &std::cell::RefCell<Vec<String>>,
    method: &str,
    url: &str,
    status: Option<u16>,
) {
    let line = match status {
        Some(status) => format!("{method} {} -> {status}", path_of(url)),
        None => format!("{method} {} -> no answer", path_of(url)),
    };
    log::debug!("{line}");
    transcript.borrow_mut().push(line);
}

/// The path of a URL, for logs and transcripts.
pub(crate) fn path_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or(url, |j| &url[i + 3 + j..]),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16) -> Reply {
        Reply {
            status,
            ..Reply::default()
        }
    }

    #[test]
    fn backoff_grows_and_jitters_within_a_quarter() {
        let base = Duration::from_millis(100);
        for attempt in 1..5 {
            let wait = backoff(attempt, base);
            let nominal = base * (1 << (attempt - 1));
            assert!(
                wait >= nominal.mul_f64(0.74) && wait <= nominal.mul_f64(1.26),
                "{wait:?}"
            );
        }
    }

    #[test]
    fn rate_limits_wait_as_the_forge_says() {
        let base = Duration::from_millis(100);
        let limited = Reply {
            retry_after: Some(7),
            ..reply(429)
        };
        assert_eq!(
            retry_after(&limited, "", 1, base),
            Some(Duration::from_secs(7))
        );
        // GitHub's secondary limit without Retry-After: at least a minute.
        let secondary = reply(403);
        assert!(
            retry_after(
                &secondary,
                "You have exceeded a secondary rate limit",
                1,
                base
            )
            .unwrap()
                >= Duration::from_secs(60)
        );
        // A plain 403 is final; a 500 is retried; a 404 is final.
        assert_eq!(
            retry_after(
                &reply(403),
                "Resource not accessible by integration",
                1,
                base
            ),
            None
        );
        assert!(retry_after(&reply(502), "", 1, base).is_some());
        assert_eq!(retry_after(&reply(404), "", 1, base), None);
    }

    #[test]
    fn messages_come_from_either_forge() {
        let github = Reply {
            json: serde_json::json!({"message": "Not Found"}),
            ..reply(404)
        };
        assert_eq!(github.message(), "Not Found");
        let gitlab = Reply {
            json: serde_json::json!({"message": {"note": ["is too long"]}}),
            ..reply(400)
        };
        assert_eq!(gitlab.message(), r#"{"note":["is too long"]}"#);
        let plain = Reply {
            json: Value::String("Retry later".into()),
            ..reply(429)
        };
        assert_eq!(plain.message(), "Retry later");
    }

    #[test]
    fn lists_must_be_lists_and_end() {
        let policy = RetryPolicy::new(Forge::GitHub, Network::default());
        let page = |json: Value, next: Option<&str>| Reply {
            status: 200,
            json,
            next: next.map(str::to_owned),
            ..Reply::default()
        };
        // Not JSON: an error, never "no comments".
        let error = policy
            .paginate("u1".into(), |_| {
                Ok(page(Value::String("<html>".into()), None))
            })
            .unwrap_err();
        assert!(error.to_string().contains("not JSON"), "{error}");
        assert!(
            policy
                .paginate("u1".into(), |_| Ok(page(serde_json::json!({"a": 1}), None)))
                .is_err()
        );
        // A page that links to itself ends the list.
        let mut calls = 0;
        let items = policy
            .paginate("u1".into(), |_| {
                calls += 1;
                Ok(page(serde_json::json!([1]), Some("u1")))
            })
            .unwrap();
        assert_eq!((calls, items.len()), (1, 1));
        // Endless new pages stop at the cap.
        let mut n = 0;
        let items = policy
            .paginate("u0".into(), |_| {
                n += 1;
                Ok(page(serde_json::json!([n]), Some(&format!("u{n}"))))
            })
            .unwrap();
        assert_eq!(items.len(), MAX_PAGES);
    }

    #[test]
    fn loopback_urls() {
        assert!(is_loopback("http://127.0.0.1:8080/api/v3"));
        assert!(is_loopback("http://localhost/api"));
        assert!(is_loopback("http://[::1]:80/x"));
        assert!(!is_loopback("http://gitlab.example.com/api/v4"));
        assert!(!is_loopback("http://127.0.0.1.evil.com/"));
    }

    #[test]
    fn a_create_is_not_repeated_after_a_server_error_but_a_read_is() {
        let policy = RetryPolicy::new(
            Forge::GitHub,
            Network {
                backoff: Duration::from_millis(1),
                ..Network::default()
            },
        );
        let mut calls = 0;
        let result = policy.send("POST", "/x", Retry::Create, None, || {
            calls += 1;
            Ok(reply(502))
        });
        assert!(result.unwrap_err().is_ambiguous());
        assert_eq!(calls, 1);
        let mut calls = 0;
        let result = policy.send("GET", "/x", Retry::Idempotent, None, || {
            calls += 1;
            Ok(reply(if calls < 3 { 502 } else { 200 }))
        });
        assert_eq!(result.unwrap().status, 200);
        assert_eq!(calls, 3);
    }
}
