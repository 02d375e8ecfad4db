//! GitHub: the sticky comment on a pull request, issue or commit, the check run, and chart
//! hosting through the Git Data API.
//!
//! The HTTP client is octocrab (rustls with ring, no OpenSSL) on a current-thread tokio
//! runtime. Requests go out raw (`build_request` + `execute`) so that this module owns what
//! matters for a CI tool that holds a write token: retries with exponential backoff and
//! jitter on 5xx, 429 and secondary rate limits (`Retry-After`, `x-ratelimit-reset`), a
//! bound on the total time, `Link` pagination, and no blind retry of a create whose outcome
//! is unknown (the caller lists first, so a retry never duplicates a comment).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{Method, StatusCode};
use octocrab::Octocrab;
use serde_json::{Value, json};

use crate::ci::Secret;
use crate::render::plots::Asset;

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

/// Where the report goes on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Thread {
    /// A pull request's conversation.
    PullRequest(u64),
    /// An issue.
    Issue(u64),
    /// A commit's comments (push events).
    Commit(String),
}

/// A failed GitHub call.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// GitHub answered with an error.
    #[error("{method} {url} failed: HTTP {status}: {message}")]
    Status {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// GitHub's `message`.
        message: String,
        /// The permission the call needs, for a 403 "not accessible by integration".
        permission: Option<&'static str>,
    },
    /// The request did not get an answer.
    #[error("{method} {url} failed: {message}")]
    Transport {
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
    /// The client could not be built (a bad API URL).
    #[error("cannot use the GitHub API at `{url}`: {message}")]
    Setup {
        /// The API URL.
        url: String,
        /// Why.
        message: String,
    },
}

impl GitHubError {
    /// The fix to suggest.
    pub fn hint(&self) -> Option<String> {
        match self {
            GitHubError::Status {
                permission: Some(permission),
                ..
            } => Some(format!(
                "the token may not do this; give the workflow job the permission:\n\n  permissions:\n    contents: read\n    {permission}\n\n(pull-requests: write posts the report; contents: write hosts charts with --images git-ref; checks: write creates the check run)"
            )),
            GitHubError::Status { status: 401, .. } => {
                Some("the token is invalid or expired; pass one with --token, MLCI_TOKEN or GITHUB_TOKEN".into())
            }
            GitHubError::Status { status: 404, .. } => Some(
                "check --repo and the pull request or commit; a token without access to a private repository also gets 404".into(),
            ),
            GitHubError::GaveUp { .. } | GitHubError::Transport { .. } => Some(
                "GitHub did not answer in time; the report is in the job summary, and re-running the job updates the comment in place".into(),
            ),
            _ => None,
        }
    }

    /// Whether the outcome of a create is unknown (it may have happened).
    fn is_ambiguous(&self) -> bool {
        matches!(self, GitHubError::Transport { .. })
            || matches!(self, GitHubError::Status { status, .. } if *status >= 500)
    }

    /// Whether the token cannot write (a fork's read-only token, missing permissions).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            GitHubError::Status {
                status: 403,
                permission: Some(_),
                ..
            }
        )
    }
}

/// A comment as mlci needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// GitHub's id.
    pub id: u64,
    /// The markdown.
    pub body: String,
    /// The author's login.
    pub login: String,
    /// Where people see it.
    pub url: String,
}

/// An answer from GitHub.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    link: Option<String>,
    json: Value,
    /// `Retry-After`, in seconds.
    retry_after: Option<u64>,
    /// `x-ratelimit-remaining`.
    remaining: Option<u64>,
    /// `x-ratelimit-reset`, epoch seconds.
    reset: Option<u64>,
}

/// How a request may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Repeating it is harmless (reads, updates, deletes).
    Idempotent,
    /// A create: repeat only when GitHub certainly did not act (a rate limit); otherwise
    /// report the failure and let the caller look first.
    Create,
}

/// A GitHub client for one repository.
pub struct GitHub {
    runtime: tokio::runtime::Runtime,
    crab: Octocrab,
    owner: String,
    name: String,
    server_url: String,
    network: Network,
    started: Instant,
    /// One line per request, for `-v` and the tests.
    transcript: std::cell::RefCell<Vec<String>>,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("repository", &format!("{}/{}", self.owner, self.name))
            .finish_non_exhaustive()
    }
}

/// Permissions GitHub asks for, by kind of call.
const PULL_REQUESTS: &str = "pull-requests: write";
const ISSUES: &str = "issues: write";
const CONTENTS: &str = "contents: write";
const CHECKS: &str = "checks: write";

impl GitHub {
    /// A client for `owner/name` at `api_url` (GitHub Enterprise Server: `https://HOST/api/v3`).
    pub fn new(
        api_url: &str,
        server_url: &str,
        repository: &str,
        token: &Secret,
        network: Network,
    ) -> Result<GitHub, GitHubError> {
        let setup = |message: String| GitHubError::Setup {
            url: api_url.to_owned(),
            message,
        };
        let (owner, name) = repository
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| setup(format!("`{repository}` is not OWNER/NAME")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup(e.to_string()))?;
        let crab = {
            let _guard = runtime.enter();
            Octocrab::builder()
                .base_uri(api_url)
                .map_err(|e| setup(e.to_string()))?
                .personal_token(token.expose().to_owned())
                .set_connect_timeout(Some(network.request_timeout))
                .set_read_timeout(Some(network.request_timeout))
                .set_write_timeout(Some(network.request_timeout))
                .build()
                .map_err(|e| setup(e.to_string()))?
        };
        Ok(GitHub {
            runtime,
            crab,
            owner: owner.to_owned(),
            name: name.to_owned(),
            server_url: server_url.trim_end_matches('/').to_owned(),
            network,
            started: Instant::now(),
            transcript: std::cell::RefCell::new(Vec::new()),
        })
    }

    /// The requests made so far: `METHOD path -> status`.
    pub fn transcript(&self) -> Vec<String> {
        self.transcript.borrow().clone()
    }

    fn repo_path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", self.owner, self.name)
    }

    /// One request, with retries as `mode` allows.
    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        mode: Retry,
        permission: Option<&'static str>,
    ) -> Result<Reply, GitHubError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.send_once(&method, url, body);
            let (wait, last) = match outcome {
                Ok(reply)
                    if reply.status.is_success() || reply.status == StatusCode::NOT_MODIFIED =>
                {
                    return Ok(reply);
                }
                Ok(reply) => {
                    let message = reply.json["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    let error = GitHubError::Status {
                        method: method.to_string(),
                        url: url.to_owned(),
                        status: reply.status.as_u16(),
                        permission: (reply.status == StatusCode::FORBIDDEN
                            && message.contains("not accessible"))
                        .then_some(permission)
                        .flatten(),
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
                Err(error) if mode == Retry::Create => return Err(error),
                Err(error) => (backoff(attempt, self.network.backoff), error),
            };
            let elapsed = self.started.elapsed();
            if attempt >= self.network.attempts || elapsed + wait > self.network.deadline {
                return Err(GitHubError::GaveUp {
                    method: method.to_string(),
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

    fn send_once(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, GitHubError> {
        let transport = |message: String| GitHubError::Transport {
            method: method.to_string(),
            url: url.to_owned(),
            message,
        };
        let request = http::Request::builder()
            .method(method.clone())
            .uri(url)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .header(
                http::header::USER_AGENT,
                concat!("mlci/", env!("CARGO_PKG_VERSION")),
            );
        let request = self
            .crab
            .build_request(request, body)
            .map_err(|e| transport(e.to_string()))?;
        let result = self.runtime.block_on(async {
            let response = self.crab.execute(request).await?;
            let status = response.status();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let number = |name: &str| header(name).and_then(|v| v.trim().parse::<u64>().ok());
            let (link, retry_after) = (header("link"), number("retry-after"));
            let (remaining, reset) = (number("x-ratelimit-remaining"), number("x-ratelimit-reset"));
            let text = self.crab.body_to_string(response).await?;
            Ok::<_, octocrab::Error>(Reply {
                status,
                link,
                json: if text.trim().is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                },
                retry_after,
                remaining,
                reset,
            })
        });
        match result {
            Ok(reply) => {
                self.transcript.borrow_mut().push(format!(
                    "{method} {} -> {}",
                    path_of(url),
                    reply.status.as_u16()
                ));
                log::debug!("{method} {url} -> {}", reply.status);
                Ok(reply)
            }
            Err(error) => {
                self.transcript
                    .borrow_mut()
                    .push(format!("{method} {} -> no answer", path_of(url)));
                Err(transport(describe_octocrab(&error)))
            }
        }
    }

    /// Every page of a list, following `Link: rel="next"`.
    fn list(&self, first: String, permission: &'static str) -> Result<Vec<Value>, GitHubError> {
        let mut items = Vec::new();
        let mut url = first;
        loop {
            let reply = self.send(Method::GET, &url, None, Retry::Idempotent, Some(permission))?;
            if let Value::Array(page) = reply.json {
                items.extend(page);
            }
            match reply.link.as_deref().and_then(next_link) {
                Some(next) => url = next,
                None => return Ok(items),
            }
        }
    }

    fn comment_paths(&self, thread: &Thread) -> (String, &'static str, &'static str) {
        match thread {
            Thread::PullRequest(n) => (
                self.repo_path(&format!("/issues/{n}/comments")),
                "/issues/comments/",
                PULL_REQUESTS,
            ),
            Thread::Issue(n) => (
                self.repo_path(&format!("/issues/{n}/comments")),
                "/issues/comments/",
                ISSUES,
            ),
            Thread::Commit(sha) => (
                self.repo_path(&format!("/commits/{sha}/comments")),
                "/comments/",
                CONTENTS,
            ),
        }
    }

    /// Every comment of a thread (100 a page).
    pub fn comments(&self, thread: &Thread) -> Result<Vec<Comment>, GitHubError> {
        let (list, _, permission) = self.comment_paths(thread);
        let items = self.list(format!("{list}?per_page=100"), permission)?;
        Ok(items.iter().filter_map(comment_of).collect())
    }

    /// Creates a comment. A failure whose outcome is unknown is [`Created::Unknown`].
    fn create_comment(&self, thread: &Thread, body: &str) -> Result<Created, GitHubError> {
        let (list, _, permission) = self.comment_paths(thread);
        match self.send(
            Method::POST,
            &list,
            Some(&json!({ "body": body })),
            Retry::Create,
            Some(permission),
        ) {
            Ok(reply) => {
                comment_of(&reply.json)
                    .map(Created::Done)
                    .ok_or_else(|| GitHubError::Transport {
                        method: "POST".into(),
                        url: list,
                        message: "the answer is not a comment".into(),
                    })
            }
            Err(error) if error.is_ambiguous() => Ok(Created::Unknown(error)),
            Err(error) => Err(error),
        }
    }

    fn update_comment(&self, thread: &Thread, id: u64, body: &str) -> Result<Comment, GitHubError> {
        let (_, item, permission) = self.comment_paths(thread);
        let url = self.repo_path(&format!("{item}{id}"));
        let reply = self.send(
            Method::PATCH,
            &url,
            Some(&json!({ "body": body })),
            Retry::Idempotent,
            Some(permission),
        )?;
        comment_of(&reply.json).ok_or_else(|| GitHubError::Transport {
            method: "PATCH".into(),
            url,
            message: "the answer is not a comment".into(),
        })
    }

    fn delete_comment(&self, thread: &Thread, id: u64) -> Result<(), GitHubError> {
        let (_, item, permission) = self.comment_paths(thread);
        let url = self.repo_path(&format!("{item}{id}"));
        match self.send(
            Method::DELETE,
            &url,
            None,
            Retry::Idempotent,
            Some(permission),
        ) {
            Ok(_) => Ok(()),
            // Already gone (the other racing run deleted it): nothing to do.
            Err(GitHubError::Status { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The head commit of a pull request now.
    pub fn pull_request_head(&self, number: u64) -> Result<String, GitHubError> {
        let reply = self.send(
            Method::GET,
            &self.repo_path(&format!("/pulls/{number}")),
            None,
            Retry::Idempotent,
            Some(PULL_REQUESTS),
        )?;
        Ok(reply.json["head"]["sha"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Creates a completed check run on `head_sha`; returns its URL.
    pub fn check_run(
        &self,
        name: &str,
        head_sha: &str,
        conclusion: &str,
        title: &str,
        summary: &str,
    ) -> Result<String, GitHubError> {
        let body = json!({
            "name": name,
            "head_sha": head_sha,
            "status": "completed",
            "conclusion": conclusion,
            "output": { "title": title, "summary": summary },
        });
        let reply = self.send(
            Method::POST,
            &self.repo_path("/check-runs"),
            Some(&body),
            Retry::Create,
            Some(CHECKS),
        );
        let reply = match reply {
            Ok(reply) => reply,
            // A duplicate check run is harmless (GitHub shows the latest): try once more.
            Err(error) if error.is_ambiguous() => self.send(
                Method::POST,
                &self.repo_path("/check-runs"),
                Some(&body),
                Retry::Idempotent,
                Some(CHECKS),
            )?,
            Err(error) => return Err(error),
        };
        Ok(reply.json["html_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Commits `files` to `reference` (`refs/mlci/pr-12`, or a branch `refs/heads/...`)
    /// through the Git Data API: one blob per file (named by content hash, so unchanged
    /// charts keep their URL), a tree, a commit whose parent is the ref's previous commit
    /// (so older reports' links stay reachable), and the ref moved to it. Returns each
    /// file's URL: `SERVER/OWNER/REPO/blob/COMMIT/PATH?raw=true`, which renders in private
    /// repositories for signed-in readers.
    pub fn host_files(
        &self,
        files: &[Asset],
        reference: &str,
    ) -> Result<BTreeMap<String, String>, GitHubError> {
        if files.is_empty() {
            return Ok(BTreeMap::new());
        }
        let short = reference.trim_start_matches("refs/");
        let parent = match self.send(
            Method::GET,
            &self.repo_path(&format!("/git/ref/{short}")),
            None,
            Retry::Idempotent,
            Some(CONTENTS),
        ) {
            Ok(reply) => reply.json["object"]["sha"].as_str().map(str::to_owned),
            Err(GitHubError::Status { status: 404, .. }) => None,
            Err(error) => return Err(error),
        };
        let mut tree = Vec::new();
        let mut paths = BTreeMap::new();
        for file in files {
            let name = hosted_name(file);
            if paths.values().any(|p| *p == name) {
                paths.insert(file.path.clone(), name);
                continue;
            }
            let blob = json!({
                "content": base64::engine::general_purpose::STANDARD.encode(&file.bytes),
                "encoding": "base64",
            });
            let reply = self.send(
                Method::POST,
                &self.repo_path("/git/blobs"),
                Some(&blob),
                Retry::Idempotent,
                Some(CONTENTS),
            )?;
            let sha = reply.json["sha"].as_str().unwrap_or_default().to_owned();
            tree.push(json!({ "path": name, "mode": "100644", "type": "blob", "sha": sha }));
            paths.insert(file.path.clone(), name);
        }
        let reply = self.send(
            Method::POST,
            &self.repo_path("/git/trees"),
            Some(&json!({ "tree": tree })),
            Retry::Idempotent,
            Some(CONTENTS),
        )?;
        let tree_sha = reply.json["sha"].as_str().unwrap_or_default().to_owned();
        let commit = json!({
            "message": "mlci: charts for the report",
            "tree": tree_sha,
            "parents": parent.iter().collect::<Vec<_>>(),
        });
        let reply = self.send(
            Method::POST,
            &self.repo_path("/git/commits"),
            Some(&commit),
            Retry::Idempotent,
            Some(CONTENTS),
        )?;
        let commit_sha = reply.json["sha"].as_str().unwrap_or_default().to_owned();
        match parent {
            Some(_) => {
                self.send(
                    Method::PATCH,
                    &self.repo_path(&format!("/git/refs/{short}")),
                    Some(&json!({ "sha": commit_sha, "force": true })),
                    Retry::Idempotent,
                    Some(CONTENTS),
                )?;
            }
            None => {
                let created = self.send(
                    Method::POST,
                    &self.repo_path("/git/refs"),
                    Some(&json!({ "ref": format!("refs/{short}"), "sha": commit_sha })),
                    Retry::Create,
                    Some(CONTENTS),
                );
                match created {
                    Ok(_) => {}
                    // Another run created it meanwhile, or our first try did: move it.
                    Err(GitHubError::Status { status: 422, .. })
                    | Err(GitHubError::Transport { .. }) => {
                        self.send(
                            Method::PATCH,
                            &self.repo_path(&format!("/git/refs/{short}")),
                            Some(&json!({ "sha": commit_sha, "force": true })),
                            Retry::Idempotent,
                            Some(CONTENTS),
                        )?;
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(paths
            .into_iter()
            .map(|(path, name)| {
                let url = format!(
                    "{}/{}/{}/blob/{commit_sha}/{name}?raw=true",
                    self.server_url, self.owner, self.name
                );
                (path, url)
            })
            .collect())
    }
}

/// The outcome of a create.
enum Created {
    Done(Comment),
    /// The request failed in a way that may have created the comment anyway.
    Unknown(GitHubError),
}

/// What happened to the sticky comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// A new comment.
    Created(Comment),
    /// Our comment, updated in place.
    Updated(Comment),
    /// Left alone: it reports a newer commit than this run.
    Skipped {
        /// The comment that stays.
        comment: Comment,
        /// The newer commit it reports.
        newer_head: String,
    },
}

impl Posted {
    /// The comment's URL.
    pub fn url(&self) -> &str {
        match self {
            Posted::Created(c) | Posted::Updated(c) | Posted::Skipped { comment: c, .. } => &c.url,
        }
    }
}

/// The identity of our report: its marker id, and (when known) the login that posts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `--id`.
    pub id: String,
    /// The token's login (`github-actions[bot]` for a workflow's `GITHUB_TOKEN`); `None`
    /// when it cannot be known, then only the marker decides.
    pub login: Option<String>,
}

/// Creates or updates the sticky report in `thread`.
///
/// - Finds our comments: the marker with our id is the body's last line (a quote of it is
///   `> <!-- ...`, so quoting a report does not make one), by our login when known.
/// - If the oldest of ours reports a newer commit than `head` (`is_newer(their_head)`),
///   leaves it and says so.
/// - Else updates it, or creates one. A create whose outcome is unknown (a timeout, a 5xx)
///   is followed by a fresh listing, never by a blind retry.
/// - After creating, lists again: if two runs raced, the oldest comment wins, gets this
///   run's body if it is not newer, and the others are deleted.
pub fn upsert(
    github: &GitHub,
    thread: &Thread,
    body: &str,
    identity: &Identity,
    head: Option<&str>,
    is_newer: &dyn Fn(&str) -> bool,
) -> Result<Posted, GitHubError> {
    let ours = |comments: Vec<Comment>| -> Vec<Comment> {
        let mut ours: Vec<Comment> = comments
            .into_iter()
            .filter(|c| is_ours(c, identity))
            .collect();
        ours.sort_by_key(|c| c.id);
        ours
    };
    let existing = ours(github.comments(thread)?);
    if let Some(oldest) = existing.first() {
        if let Some(posted) = guard(oldest, head, is_newer) {
            return Ok(posted);
        }
        let updated = github.update_comment(thread, oldest.id, body)?;
        for duplicate in &existing[1..] {
            github.delete_comment(thread, duplicate.id)?;
        }
        return Ok(Posted::Updated(updated));
    }
    let created = match github.create_comment(thread, body)? {
        Created::Done(comment) => comment,
        Created::Unknown(error) => {
            log::warn!("{error}; looking for the comment before trying again");
            match ours(github.comments(thread)?).into_iter().next() {
                Some(comment) => comment,
                None => match github.create_comment(thread, body)? {
                    Created::Done(comment) => comment,
                    Created::Unknown(error) => return Err(error),
                },
            }
        }
    };
    // Two runs may have created at once: converge on the oldest.
    let now = ours(github.comments(thread)?);
    match now.first() {
        Some(oldest) if oldest.id != created.id => {
            github.delete_comment(thread, created.id)?;
            if guard(oldest, head, is_newer).is_some() {
                return Ok(Posted::Skipped {
                    newer_head: marker_head(&oldest.body).unwrap_or_default(),
                    comment: oldest.clone(),
                });
            }
            let updated = github.update_comment(thread, oldest.id, body)?;
            Ok(Posted::Updated(updated))
        }
        _ => {
            for duplicate in now.iter().filter(|c| c.id != created.id) {
                github.delete_comment(thread, duplicate.id)?;
            }
            Ok(Posted::Created(created))
        }
    }
}

/// `Some(Skipped)` when `existing` reports a commit newer than `head`.
fn guard(
    existing: &Comment,
    head: Option<&str>,
    is_newer: &dyn Fn(&str) -> bool,
) -> Option<Posted> {
    let theirs = marker_head(&existing.body)?;
    let ours = head?;
    (theirs != ours && is_newer(&theirs)).then(|| Posted::Skipped {
        comment: existing.clone(),
        newer_head: theirs,
    })
}

/// Whether a comment is one of our reports with this id.
pub fn is_ours(comment: &Comment, identity: &Identity) -> bool {
    let by_us = identity
        .login
        .as_deref()
        .is_none_or(|login| comment.login.eq_ignore_ascii_case(login));
    by_us && marker_id(&comment.body).as_deref() == Some(identity.id.as_str())
}

/// The fields of the marker on the last line of a body.
fn marker_fields(body: &str) -> Option<Vec<(&str, &str)>> {
    let last = body.lines().rev().find(|l| !l.trim().is_empty())?.trim();
    let inner = last
        .strip_prefix("<!-- mlci:report ")?
        .strip_suffix("-->")?;
    Some(
        inner
            .split_whitespace()
            .filter_map(|f| f.split_once('='))
            .collect(),
    )
}

/// The report id in a body's marker.
pub fn marker_id(body: &str) -> Option<String> {
    marker_fields(body)?
        .into_iter()
        .find(|(k, _)| *k == "id")
        .map(|(_, v)| v.to_owned())
}

/// The head commit in a body's marker.
pub fn marker_head(body: &str) -> Option<String> {
    marker_fields(body)?
        .into_iter()
        .find(|(k, _)| *k == "head")
        .map(|(_, v)| v.to_owned())
}

fn comment_of(value: &Value) -> Option<Comment> {
    Some(Comment {
        id: value["id"].as_u64()?,
        body: value["body"].as_str().unwrap_or_default().to_owned(),
        login: value["user"]["login"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        url: value["html_url"].as_str().unwrap_or_default().to_owned(),
    })
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

fn path_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => url[i + 3..].find('/').map_or(url, |j| &url[i + 3 + j..]),
        None => url,
    }
}

fn is_rate_limited(reply: &Reply, message: &str) -> bool {
    let status = reply.status.as_u16();
    (status == 429 || status == 403)
        && (reply.retry_after.is_some()
            || reply.remaining == Some(0)
            || message.to_ascii_lowercase().contains("rate limit"))
}

/// How long to wait before retrying, or `None` when the error is final.
fn retry_after(reply: &Reply, message: &str, attempt: u32, base: Duration) -> Option<Duration> {
    let status = reply.status.as_u16();
    if is_rate_limited(reply, message) {
        // GitHub's rules: Retry-After if present; else the reset time when the primary limit
        // is used up; else at least a minute for a secondary limit.
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
    (status >= 500).then(|| backoff(attempt, base))
}

/// Exponential backoff with ±25 % jitter.
fn backoff(attempt: u32, base: Duration) -> Duration {
    let exponential = base.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = 0.75 + f64::from(nanos % 1000) / 2000.0;
    exponential.mul_f64(jitter)
}

/// A file's name in the hosting tree: a content hash and its extension, so that an
/// unchanged chart keeps its URL from run to run.
fn hosted_name(file: &Asset) -> String {
    let extension = file.path.rsplit('.').next().unwrap_or("png");
    format!("{}.{extension}", hex_digest(&file.bytes))
}

/// FNV-1a 128 over the bytes (names, not security).
fn hex_digest(bytes: &[u8]) -> String {
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for byte in bytes {
        hash ^= u128::from(*byte);
        hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
    }
    format!("{hash:032x}")
}

fn describe_octocrab(error: &octocrab::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
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

    fn comment(id: u64, login: &str, body: &str) -> Comment {
        Comment {
            id,
            body: body.into(),
            login: login.into(),
            url: String::new(),
        }
    }

    #[test]
    fn markers_are_read_from_the_last_line_only() {
        let body = "## report\n\n<!-- mlci:report id=model-a head=abc123 -->\n";
        assert_eq!(marker_id(body).as_deref(), Some("model-a"));
        assert_eq!(marker_head(body).as_deref(), Some("abc123"));
        let quoted = "> ## report\n> <!-- mlci:report id=model-a head=abc123 -->\n\nnice!";
        assert_eq!(marker_id(quoted), None);
        assert_eq!(marker_id("text <!-- mlci:report id=x --> more"), None);
    }

    #[test]
    fn ours_needs_the_id_and_the_login_when_known() {
        let identity = Identity {
            id: "default".into(),
            login: Some("github-actions[bot]".into()),
        };
        let marker = "<!-- mlci:report id=default head=1 -->";
        assert!(is_ours(
            &comment(1, "github-actions[bot]", marker),
            &identity
        ));
        assert!(!is_ours(&comment(2, "mallory", marker), &identity));
        assert!(!is_ours(
            &comment(3, "github-actions[bot]", "<!-- mlci:report id=other -->"),
            &identity
        ));
        let anyone = Identity {
            id: "default".into(),
            login: None,
        };
        assert!(is_ours(&comment(2, "mallory", marker), &anyone));
    }

    #[test]
    fn link_headers_give_the_next_page() {
        let header = r#"<https://api.github.com/repositories/1/issues/2/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/issues/2/comments?per_page=100&page=3>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.github.com/repositories/1/issues/2/comments?per_page=100&page=2")
        );
        assert_eq!(next_link(r#"<https://x/1>; rel="prev""#), None);
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
    fn hosted_names_follow_the_content() {
        let a = Asset {
            path: "plots/roc.png".into(),
            bytes: vec![1, 2, 3],
        };
        let b = Asset {
            path: "plots/other.png".into(),
            bytes: vec![1, 2, 3],
        };
        assert_eq!(hosted_name(&a), hosted_name(&b));
        assert!(hosted_name(&a).ends_with(".png"));
        assert_eq!(hosted_name(&a).len(), 36);
    }
}
