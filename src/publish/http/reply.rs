//! One answer, reduced to what the retry policy and the clients read, and the pieces that
//! build one from a response.

use serde_json::Value;

use super::error_chain;

/// The largest response body read (a page of 100 comments of 65,536 characters each, in
/// UTF-8 and JSON, stays well below it).
pub(crate) const MAX_BODY: usize = 48 << 20;

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

    pub(super) fn is_success(&self) -> bool {
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

/// A response body as JSON; a body that is not JSON as its text; an empty one as null.
pub(crate) fn body_json(text: String) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}
