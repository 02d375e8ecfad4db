//! What each forge client holds besides its HTTP client: the runtime, the retry policy and
//! the transcript, and the runner of one attempt.

use std::cell::RefCell;

use super::{Forge, Network, NoAnswer, Reply, RetryPolicy};

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
