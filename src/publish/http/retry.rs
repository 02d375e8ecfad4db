//! The retry policy every forge client's requests go through: backoff with jitter,
//! `Retry-After` and rate-limit resets, a deadline for the whole run, and pagination.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::session::path_of;
use super::{ApiError, Forge, Network, NoAnswer, Reply};

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
