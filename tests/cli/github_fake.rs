//! A fake GitHub on 127.0.0.1 for the end-to-end tests.
//!
//! Every request is checked against GitHub's published OpenAPI description
//! (`fixtures/github/github-subset.openapi.json`): route and method, path and query
//! parameters, the headers the real API needs, and the JSON body against the operation's
//! schema (OpenAPI 3.0 `nullable`, `$ref`, `oneOf`/`anyOf`, `enum`, `maxItems`, `maxLength`,
//! `required`, `additionalProperties`), plus the rules the schemas do not capture (comment
//! bodies over 65,536 characters, `refs/...` names). A request the fake refuses is recorded
//! as a violation; tests assert there are none. The fake keeps state (comments with their
//! authors, pull requests, refs, blobs, trees, commits, check runs) and can be told to
//! misbehave (5xx, rate limits, slow answers, read-only tokens).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::fake_http::{Request, Response, Wire, query_value, serve};

/// A misbehaviour, applied to the next request that matches.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status (and a GitHub-style message).
    Status(u16),
    /// A secondary rate limit: 403 with `Retry-After`.
    SecondaryRateLimit { retry_after: u64 },
    /// The primary rate limit used up: 429 with `x-ratelimit-remaining: 0` and a reset
    /// this many seconds from now.
    PrimaryRateLimit { reset_in: u64 },
    /// Do the work, then answer only after this long (a timeout for the client).
    SlowAnswer(Duration),
    /// Do the work, then send the answer one byte at a time, this long apart.
    Trickle(Duration),
    /// Answer with a redirect to `location`.
    Redirect { status: u16, location: String },
    /// Answer 200 with an HTML page instead of JSON (a proxy's, a maintenance page).
    NotJson,
    /// 403 as for a token without the permission (`contents: write` missing, say).
    Forbidden,
    /// Do the work, and link the page to itself as the next one, every time.
    SelfLink,
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Issue comments by issue number: (id, author, body).
    issue_comments: BTreeMap<u64, Vec<(u64, String, String)>>,
    /// Commit comments by SHA.
    commit_comments: BTreeMap<String, Vec<(u64, String, String)>>,
    /// Pull requests: head commit, head repository (`None`: a deleted fork), head branch.
    pulls: BTreeMap<u64, (String, Option<String>, String)>,
    /// Workflow runs by id.
    runs: BTreeMap<u64, Value>,
    refs: BTreeMap<String, String>,
    blobs: BTreeMap<String, String>,
    trees: BTreeMap<String, Value>,
    commits: BTreeMap<String, Value>,
    check_runs: Vec<Value>,
    faults: Vec<(String, String, Fault)>,
    seen: Vec<Seen>,
    violations: Vec<String>,
    /// Hold creates until this many are in flight (a race), then let them all through.
    gate: usize,
    /// Creates held so far.
    waiting: usize,
}

/// The fake server.
pub struct FakeGitHub {
    pub url: String,
    /// Every request, byte for byte.
    pub wire: Wire,
    state: Arc<(Mutex<State>, Condvar)>,
    pub read_only: Arc<Mutex<bool>>,
    logins: Arc<Mutex<BTreeMap<String, String>>>,
}

/// The login comments made by the fake get when an installation token (`ghs_...`, the
/// workflow's GITHUB_TOKEN) posts.
pub const BOT: &str = "github-actions[bot]";
/// The login of any other token (a personal access token).
pub const USER: &str = "octo-user";
/// The workflow token the jobs get (`GITHUB_TOKEN`); no output may ever show it.
pub const TOKEN: &str = "ghs_fakeTokenThatMustNeverBePrinted0123";

impl FakeGitHub {
    /// Starts a fake; `prefix` is the API's path (`""` for api.github.com, `/api/v3` for
    /// GitHub Enterprise Server).
    pub fn start(prefix: &str) -> FakeGitHub {
        let spec: Arc<Value> = Arc::new(
            serde_json::from_slice(
                &std::fs::read(
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("fixtures/github/github-subset.openapi.json"),
                )
                .unwrap(),
            )
            .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}{prefix}");
        let state = Arc::new((
            Mutex::new(State {
                next_id: 1000,
                ..State::default()
            }),
            Condvar::new(),
        ));
        let login = Arc::new(Mutex::new(BTreeMap::new()));
        let read_only = Arc::new(Mutex::new(false));
        let server = Server {
            spec,
            state: state.clone(),
            prefix: prefix.to_owned(),
            base: format!("http://127.0.0.1:{port}"),
            login: login.clone(),
            read_only: read_only.clone(),
        };
        let wire = serve(listener, move |request| server.handle(request));
        FakeGitHub {
            url,
            wire,
            state,
            read_only,
            logins: login,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.0.lock().unwrap()
    }

    /// Adds (or moves) a pull request from branch `feature` of `owner/repo`.
    pub fn pull(&self, number: u64, head: &str) {
        self.pull_from(number, head, Some("owner/repo"), "feature");
    }

    /// Adds (or moves) a pull request from `branch` of `repository` (`None`: deleted).
    pub fn pull_from(&self, number: u64, head: &str, repository: Option<&str>, branch: &str) {
        self.state().pulls.insert(
            number,
            (
                head.to_owned(),
                repository.map(str::to_owned),
                branch.to_owned(),
            ),
        );
    }

    /// Comments made with `token` get `login` as their author.
    pub fn token_login(&self, token: &str, login: &str) {
        self.logins
            .lock()
            .unwrap()
            .insert(token.to_owned(), login.to_owned());
    }

    /// Adds a workflow run as `GET /actions/runs/{id}` describes it.
    pub fn run(&self, id: u64, run: Value) {
        self.state().runs.insert(id, run);
    }

    /// Adds an existing issue comment by `author`.
    pub fn comment(&self, issue: u64, author: &str, body: &str) -> u64 {
        let mut state = self.state();
        state.next_id += 1;
        let id = state.next_id;
        state.issue_comments.entry(issue).or_default().push((
            id,
            author.to_owned(),
            body.to_owned(),
        ));
        id
    }

    /// The comments of an issue or pull request: (id, author, body).
    pub fn comments(&self, issue: u64) -> Vec<(u64, String, String)> {
        self.state()
            .issue_comments
            .get(&issue)
            .cloned()
            .unwrap_or_default()
    }

    /// The comments of a commit.
    pub fn commit_comments(&self, sha: &str) -> Vec<(u64, String, String)> {
        self.state()
            .commit_comments
            .get(sha)
            .cloned()
            .unwrap_or_default()
    }

    /// Check runs created.
    pub fn check_runs(&self) -> Vec<Value> {
        self.state().check_runs.clone()
    }

    /// Refs, by full name.
    pub fn refs(&self) -> BTreeMap<String, String> {
        self.state().refs.clone()
    }

    /// The tree of a commit: its entries' paths.
    pub fn commit_files(&self, commit: &str) -> Vec<String> {
        let state = self.state();
        let tree = state
            .commits
            .get(commit)
            .and_then(|c| c["tree"]["sha"].as_str())
            .unwrap_or_default();
        state
            .trees
            .get(tree)
            .and_then(|t| t["tree"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e["path"].as_str().map(str::to_owned))
            .collect()
    }

    /// The parents of a commit.
    pub fn commit_parents(&self, commit: &str) -> Vec<String> {
        let state = self.state();
        state
            .commits
            .get(commit)
            .and_then(|c| c["parents"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p["sha"].as_str().map(str::to_owned))
            .collect()
    }

    /// Misbehaves once on the next `method` request whose path ends with `suffix`.
    pub fn fault(&self, method: &str, suffix: &str, fault: Fault) {
        self.state()
            .faults
            .push((method.to_owned(), suffix.to_owned(), fault));
    }

    /// Holds comment creates until `count` are in flight at once, however long that takes
    /// (see [`FakeGitHub::await_race`]).
    pub fn race(&self, count: usize) {
        self.state().gate = count;
    }

    /// Waits until the creates [`FakeGitHub::race`] holds are all in flight, and so let
    /// through together: true. False, with the held creates let through anyway, as soon as
    /// `gave_up` says the race cannot happen any more (a run ended without creating), or
    /// past `limit`, a safeguard only.
    pub fn await_race(&self, limit: Duration, gave_up: impl Fn() -> bool) -> bool {
        let (lock, condvar) = &*self.state;
        let started = std::time::Instant::now();
        let mut state = lock.lock().unwrap();
        while state.gate > 1 {
            if gave_up() || started.elapsed() > limit {
                state.gate = 0;
                condvar.notify_all();
                return false;
            }
            let slice = Duration::from_millis(100);
            state = condvar.wait_timeout(state, slice).unwrap().0;
        }
        true
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state().seen.clone()
    }

    /// `METHOD /path -> status`, one per line, without the API prefix and the repository.
    pub fn transcript(&self) -> String {
        self.seen()
            .iter()
            .map(|s| {
                let path = s.path.replacen("/repos/owner/repo", "", 1);
                let query = if s.query.is_empty() {
                    String::new()
                } else {
                    format!("?{}", s.query)
                };
                format!("{} {path}{query} -> {}\n", s.method, s.status)
            })
            .collect()
    }

    /// Requests the real GitHub would have rejected.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// Asserts that every request was valid.
    pub fn assert_valid(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "requests GitHub would reject:\n{}",
            violations.join("\n")
        );
    }
}

#[derive(Clone)]
struct Server {
    spec: Arc<Value>,
    state: Arc<(Mutex<State>, Condvar)>,
    prefix: String,
    base: String,
    /// Logins of tokens other than the defaults (`ghs_...` is the bot, others `USER`).
    login: Arc<Mutex<BTreeMap<String, String>>>,
    read_only: Arc<Mutex<bool>>,
}

/// An error as GitHub words it.
fn github_error(status: u16, message: &str) -> Response {
    Response::json(
        status,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string() }),
    )
}

impl Server {
    fn handle(&self, request: &Request) -> Response {
        let body: Value = if request.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&request.body).unwrap_or(Value::String("<not JSON>".into()))
        };
        let (response, violation) = match self.validate(request, &body) {
            Err(violation) => (
                github_error(400, &format!("fake GitHub: {violation}")),
                Some(violation),
            ),
            Ok(route) => (self.respond(request, &route, &body), None),
        };
        let mut state = self.state.0.lock().unwrap();
        if let Some(violation) = violation {
            state
                .violations
                .push(format!("{} {}: {violation}", request.method, request.path));
        }
        state.seen.push(Seen {
            method: request.method.clone(),
            path: request
                .path
                .strip_prefix(&self.prefix)
                .unwrap_or(&request.path)
                .to_owned(),
            query: request.query.clone(),
            status: response.status,
        });
        response
    }

    /// Checks a request against the OpenAPI description; returns the matched route
    /// (template, path parameters).
    fn validate(
        &self,
        request: &Request,
        body: &Value,
    ) -> Result<(String, BTreeMap<String, String>), String> {
        let path = request
            .path
            .strip_prefix(&self.prefix)
            .ok_or_else(|| format!("path outside the API prefix `{}`", self.prefix))?;
        let (template, params) = route(&self.spec, path).ok_or("no such route in the API")?;
        let operation = &self.spec["paths"][&template][request.method.to_ascii_lowercase()];
        if operation.is_null() {
            return Err(format!(
                "{} is not an operation of {template}",
                request.method
            ));
        }
        // Headers the real API needs.
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .map(String::as_str)
                .unwrap_or_default()
        };
        let auth = header("authorization");
        if !(auth.starts_with("Bearer ") || auth.starts_with("token ")) || auth.len() < 8 {
            return Err("missing Authorization: Bearer <token>".into());
        }
        if header("user-agent").trim().is_empty() {
            return Err("missing User-Agent".into());
        }
        if !header("accept").contains("application/vnd.github") {
            return Err(format!(
                "Accept should be application/vnd.github+json, got `{}`",
                header("accept")
            ));
        }
        if header("x-github-api-version") != "2022-11-28" {
            return Err("missing X-GitHub-Api-Version: 2022-11-28".into());
        }
        // Parameters.
        let parameters: Vec<Value> = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|p| resolve(&self.spec, p))
            .collect();
        for parameter in &parameters {
            let name = parameter["name"].as_str().unwrap_or_default();
            let value = match parameter["in"].as_str() {
                Some("path") => params.get(name).cloned(),
                Some("query") => query_value(&request.query, name),
                _ => None,
            };
            if parameter["required"].as_bool() == Some(true) && value.is_none() {
                return Err(format!("missing parameter `{name}`"));
            }
            if let Some(value) = value
                && parameter["schema"]["type"] == "integer"
            {
                let n: i64 = value
                    .parse()
                    .map_err(|_| format!("parameter `{name}` must be an integer, got `{value}`"))?;
                if name == "per_page" && !(1..=100).contains(&n) {
                    return Err(format!("per_page must be 1 to 100, got {n}"));
                }
            }
        }
        for pair in request.query.split('&').filter(|p| !p.is_empty()) {
            let name = pair.split('=').next().unwrap_or_default();
            if !parameters
                .iter()
                .any(|p| p["in"] == "query" && p["name"] == name)
            {
                return Err(format!("unknown query parameter `{name}`"));
            }
        }
        // Body.
        let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
        if !schema.is_null() && request.method != "GET" {
            if !header("content-type").starts_with("application/json") {
                return Err("a body needs Content-Type: application/json".into());
            }
            let mut errors = Vec::new();
            check(&self.spec, schema, body, "body", &mut errors);
            if let Some(first) = errors.first() {
                return Err(first.clone());
            }
        } else if !request.body.is_empty() && request.method == "GET" {
            return Err("a GET with a body".into());
        }
        // Rules the schemas do not capture.
        // Git's null object name is never a commit: GitHub refuses to comment on it or to
        // attach a check run to it (422 "No commit found").
        let null_commit = |sha: &str| sha.len() == 40 && sha.bytes().all(|b| b == b'0');
        if request.method == "POST"
            && let Some(sha) = params.get("commit_sha").map(String::as_str).or_else(|| {
                body["head_sha"]
                    .as_str()
                    .filter(|_| template.ends_with("/check-runs"))
            })
            && null_commit(sha)
        {
            return Err(format!("422 No commit found for SHA: {sha}"));
        }
        if (template.ends_with("/comments") || template.contains("/comments/"))
            && let Some(text) = body["body"].as_str()
            && text.chars().count() > 65_536
        {
            return Err("422 Body is too long (maximum is 65536 characters)".into());
        }
        if template.ends_with("/git/refs") && request.method == "POST" {
            let name = body["ref"].as_str().unwrap_or_default();
            if !name.starts_with("refs/") || name.matches('/').count() < 2 {
                return Err(format!(
                    "ref `{name}` must start with refs/ and have two slashes"
                ));
            }
        }
        if template.ends_with("/check-runs") {
            if body["output"]["title"].is_null() || body["output"]["summary"].is_null() {
                return Err("a check run's output needs title and summary".into());
            }
            if body["output"]["summary"]
                .as_str()
                .is_some_and(|s| s.len() > 65_535)
            {
                return Err("output.summary longer than 65535".into());
            }
        }
        Ok((template, params))
    }

    fn respond(
        &self,
        request: &Request,
        (template, params): &(String, BTreeMap<String, String>),
        body: &Value,
    ) -> Response {
        let method = request.method.as_str();
        let mut response = None;
        let mut trickle = None;
        let mut self_link = false;
        {
            let mut state = self.state.0.lock().unwrap();
            let index = state
                .faults
                .iter()
                .position(|(m, suffix, _)| m == method && request.path.ends_with(suffix.as_str()));
            if let Some(index) = index {
                let (_, _, fault) = state.faults.remove(index);
                match fault {
                    Fault::Status(status) => return github_error(status, "Server Error"),
                    Fault::SecondaryRateLimit { retry_after } => {
                        let mut r = github_error(
                            403,
                            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                        );
                        r.headers
                            .push(("retry-after".into(), retry_after.to_string()));
                        return r;
                    }
                    Fault::PrimaryRateLimit { reset_in } => {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs();
                        let mut r = github_error(429, "API rate limit exceeded for installation.");
                        r.headers.push(("x-ratelimit-limit".into(), "1000".into()));
                        r.headers.push(("x-ratelimit-remaining".into(), "0".into()));
                        r.headers
                            .push(("x-ratelimit-reset".into(), (now + reset_in).to_string()));
                        return r;
                    }
                    Fault::SlowAnswer(delay) => response = Some(delay),
                    Fault::Trickle(pause) => trickle = Some(pause),
                    Fault::Redirect { status, location } => {
                        return Response::redirect(status, &location);
                    }
                    Fault::NotJson => {
                        return Response::text(200, "<html><body>Unicorn!</body></html>");
                    }
                    Fault::Forbidden => {
                        return github_error(403, "Resource not accessible by integration");
                    }
                    Fault::SelfLink => self_link = true,
                }
            }
        }
        if method != "GET" && *self.read_only.lock().unwrap() {
            return github_error(403, "Resource not accessible by integration");
        }
        let mut answer = self.act(method, template, params, body, request);
        answer.delay = response;
        answer.trickle = trickle;
        if self_link {
            let target = if request.query.is_empty() {
                request.path.clone()
            } else {
                format!("{}?{}", request.path, request.query)
            };
            answer.headers.retain(|(name, _)| name != "link");
            answer.headers.push((
                "link".into(),
                format!("<{}{target}>; rel=\"next\"", self.base),
            ));
        }
        answer
    }

    fn comment_json(&self, id: u64, author: &str, body: &str, thread: &str) -> Value {
        json!({
            "id": id,
            "node_id": format!("IC_{id}"),
            "url": format!("{}{}/repos/owner/repo/issues/comments/{id}", self.base, self.prefix),
            "html_url": format!("https://github.com/owner/repo/{thread}#issuecomment-{id}"),
            "body": body,
            "user": { "login": author, "id": if author == BOT { 41898282 } else { 1 }, "type": if author.ends_with("[bot]") { "Bot" } else { "User" } },
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
            "author_association": "NONE",
        })
    }

    fn act(
        &self,
        method: &str,
        template: &str,
        params: &BTreeMap<String, String>,
        body: &Value,
        request: &Request,
    ) -> Response {
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.split_whitespace().nth(1))
            .unwrap_or_default()
            .to_owned();
        let login = match self.login.lock().unwrap().get(&token) {
            Some(login) => login.clone(),
            None if token.starts_with("ghs_") => BOT.to_owned(),
            None => USER.to_owned(),
        };
        let number = |name: &str| {
            params
                .get(name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        match (method, template) {
            ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}") => {
                let state = self.state.0.lock().unwrap();
                match state.pulls.get(&number("pull_number")) {
                    Some((head, repository, branch)) => Response::json(
                        200,
                        json!({
                            "number": number("pull_number"),
                            "state": "open",
                            "head": {
                                "sha": head,
                                "ref": branch,
                                "repo": repository.as_ref().map(|name| json!({ "full_name": name })),
                            },
                            "base": { "ref": "main", "repo": { "full_name": "owner/repo" } },
                        }),
                    ),
                    None => github_error(404, "Not Found"),
                }
            }
            ("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}") => {
                let state = self.state.0.lock().unwrap();
                match state.runs.get(&number("run_id")) {
                    Some(run) => Response::json(200, run.clone()),
                    None => github_error(404, "Not Found"),
                }
            }
            ("GET", "/user") => {
                // An installation token (`ghs_`, the workflow's GITHUB_TOKEN) may not ask.
                if login.ends_with("[bot]") {
                    github_error(403, "Resource not accessible by integration")
                } else {
                    Response::json(200, json!({ "login": login, "id": 1, "type": "User" }))
                }
            }
            ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
            | ("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/comments") => {
                let state = self.state.0.lock().unwrap();
                let (all, thread) = if template.contains("/issues/") {
                    (
                        state
                            .issue_comments
                            .get(&number("issue_number"))
                            .cloned()
                            .unwrap_or_default(),
                        format!("pull/{}", number("issue_number")),
                    )
                } else {
                    let sha = params["commit_sha"].clone();
                    (
                        state.commit_comments.get(&sha).cloned().unwrap_or_default(),
                        format!("commit/{sha}"),
                    )
                };
                let per_page = query_value(&request.query, "per_page")
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(30);
                let page = query_value(&request.query, "page")
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(1);
                let pages = all.len().div_ceil(per_page).max(1);
                let items: Vec<Value> = all
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .map(|(id, author, text)| self.comment_json(*id, author, text, &thread))
                    .collect();
                let mut response = Response::json(200, Value::Array(items));
                if page < pages {
                    let link = |p: usize| {
                        format!("{}{}?per_page={per_page}&page={p}", self.base, request.path)
                    };
                    response.headers.push((
                        "link".into(),
                        format!(
                            "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                            link(page + 1),
                            link(pages)
                        ),
                    ));
                }
                response
            }
            ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
            | ("POST", "/repos/{owner}/{repo}/commits/{commit_sha}/comments") => {
                // A race: hold this create until the others arrive (the last one opens the
                // gate and wakes the held ones and `await_race`), or the test gives up.
                {
                    let (lock, condvar) = &*self.state;
                    let mut state = lock.lock().unwrap();
                    if state.gate > 1 {
                        state.waiting += 1;
                        if state.waiting >= state.gate {
                            state.gate = 0;
                            condvar.notify_all();
                        } else {
                            drop(condvar.wait_while(state, |s| s.gate > 1).unwrap());
                        }
                    }
                }
                let mut state = self.state.0.lock().unwrap();
                state.next_id += 1;
                let id = state.next_id;
                let text = body["body"].as_str().unwrap_or_default().to_owned();
                let thread = if template.contains("/issues/") {
                    state
                        .issue_comments
                        .entry(number("issue_number"))
                        .or_default()
                        .push((id, login.clone(), text.clone()));
                    format!("pull/{}", number("issue_number"))
                } else {
                    let sha = params["commit_sha"].clone();
                    state.commit_comments.entry(sha.clone()).or_default().push((
                        id,
                        login.clone(),
                        text.clone(),
                    ));
                    format!("commit/{sha}")
                };
                Response::json(201, self.comment_json(id, &login, &text, &thread))
            }
            ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
            | ("PATCH", "/repos/{owner}/{repo}/comments/{comment_id}")
            | ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
            | ("DELETE", "/repos/{owner}/{repo}/comments/{comment_id}") => {
                let id = number("comment_id");
                let mut state = self.state.0.lock().unwrap();
                let issue = template.contains("/issues/");
                let threads: Vec<&mut Vec<(u64, String, String)>> = if issue {
                    state.issue_comments.values_mut().collect()
                } else {
                    state.commit_comments.values_mut().collect()
                };
                for thread in threads {
                    if let Some(position) = thread.iter().position(|(i, _, _)| *i == id) {
                        if thread[position].1 != login {
                            return github_error(403, "You cannot edit someone else's comment");
                        }
                        if method == "DELETE" {
                            thread.remove(position);
                            return Response::json(204, Value::Null);
                        }
                        thread[position].2 = body["body"].as_str().unwrap_or_default().to_owned();
                        let (id, author, text) = thread[position].clone();
                        return Response::json(
                            200,
                            self.comment_json(id, &author, &text, "pull/0"),
                        );
                    }
                }
                github_error(404, "Not Found")
            }
            ("POST", "/repos/{owner}/{repo}/check-runs") => {
                let mut state = self.state.0.lock().unwrap();
                state.next_id += 1;
                let mut run = body.clone();
                run["id"] = json!(state.next_id);
                run["html_url"] = json!(format!(
                    "https://github.com/owner/repo/runs/{}",
                    state.next_id
                ));
                state.check_runs.push(run.clone());
                Response::json(201, run)
            }
            ("GET", "/repos/{owner}/{repo}/git/ref/{ref}") => {
                let state = self.state.0.lock().unwrap();
                let name = format!("refs/{}", params["ref"]);
                match state.refs.get(&name) {
                    Some(sha) => Response::json(
                        200,
                        json!({ "ref": name, "object": { "sha": sha, "type": "commit" } }),
                    ),
                    None => github_error(404, "Not Found"),
                }
            }
            ("POST", "/repos/{owner}/{repo}/git/blobs") => {
                let mut state = self.state.0.lock().unwrap();
                let sha = fake_sha(&body.to_string());
                state.blobs.insert(
                    sha.clone(),
                    body["content"].as_str().unwrap_or_default().to_owned(),
                );
                Response::json(
                    201,
                    json!({ "sha": sha, "url": format!("{}/git/blobs/{sha}", self.base) }),
                )
            }
            ("POST", "/repos/{owner}/{repo}/git/trees") => {
                let mut state = self.state.0.lock().unwrap();
                for entry in body["tree"].as_array().cloned().unwrap_or_default() {
                    let sha = entry["sha"].as_str().unwrap_or_default();
                    if !state.blobs.contains_key(sha) {
                        return github_error(422, "tree.sha is not a valid blob");
                    }
                }
                let sha = fake_sha(&body.to_string());
                state.trees.insert(sha.clone(), body.clone());
                Response::json(
                    201,
                    json!({ "sha": sha, "url": "", "tree": body["tree"], "truncated": false }),
                )
            }
            ("POST", "/repos/{owner}/{repo}/git/commits") => {
                let mut state = self.state.0.lock().unwrap();
                let tree = body["tree"].as_str().unwrap_or_default().to_owned();
                if !state.trees.contains_key(&tree) {
                    return github_error(422, "tree is not a valid tree");
                }
                let sha = fake_sha(&body.to_string());
                let parents: Vec<Value> = body["parents"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|p| json!({ "sha": p }))
                    .collect();
                let commit = json!({ "sha": sha, "tree": { "sha": tree }, "parents": parents, "message": body["message"] });
                state.commits.insert(sha.clone(), commit.clone());
                Response::json(201, commit)
            }
            ("POST", "/repos/{owner}/{repo}/git/refs") => {
                let mut state = self.state.0.lock().unwrap();
                let name = body["ref"].as_str().unwrap_or_default().to_owned();
                if state.refs.contains_key(&name) {
                    return github_error(422, "Reference already exists");
                }
                state.refs.insert(
                    name.clone(),
                    body["sha"].as_str().unwrap_or_default().to_owned(),
                );
                Response::json(
                    201,
                    json!({ "ref": name, "object": { "sha": body["sha"], "type": "commit" } }),
                )
            }
            ("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}") => {
                let mut state = self.state.0.lock().unwrap();
                let name = format!("refs/{}", params["ref"]);
                if !state.refs.contains_key(&name) {
                    return github_error(422, "Reference does not exist");
                }
                state.refs.insert(
                    name.clone(),
                    body["sha"].as_str().unwrap_or_default().to_owned(),
                );
                Response::json(
                    200,
                    json!({ "ref": name, "object": { "sha": body["sha"], "type": "commit" } }),
                )
            }
            _ => github_error(404, "Not Found (not simulated by the fake)"),
        }
    }
}

fn fake_sha(text: &str) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("{hash:016x}{:024x}", text.len())
}

/// Matches a path against the description's templates; literal segments win over
/// parameters, and `x-multi-segment` parameters take the rest of the path.
fn route(spec: &Value, path: &str) -> Option<(String, BTreeMap<String, String>)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut best: Option<(usize, String, BTreeMap<String, String>)> = None;
    for (template, _) in spec["paths"].as_object()? {
        let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
        let mut params = BTreeMap::new();
        let mut literal = 0;
        let mut matched = true;
        let mut i = 0;
        for (j, part) in parts.iter().enumerate() {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let multi = is_multi_segment(spec, template, name);
                if i >= segments.len() {
                    matched = false;
                    break;
                }
                if multi && j == parts.len() - 1 {
                    params.insert(name.to_owned(), decode(&segments[i..].join("/")));
                    i = segments.len();
                } else {
                    params.insert(name.to_owned(), decode(segments[i]));
                    i += 1;
                }
            } else if segments.get(i) == Some(part) {
                literal += 1;
                i += 1;
            } else {
                matched = false;
                break;
            }
        }
        if matched && i == segments.len() && best.as_ref().is_none_or(|(l, _, _)| literal > *l) {
            best = Some((literal, template.clone(), params));
        }
    }
    best.map(|(_, t, p)| (t, p))
}

fn is_multi_segment(spec: &Value, template: &str, name: &str) -> bool {
    spec["paths"][template]
        .as_object()
        .into_iter()
        .flat_map(|ops| ops.values())
        .flat_map(|op| op["parameters"].as_array().cloned().unwrap_or_default())
        .map(|p| resolve(spec, &p))
        .any(|p| p["name"] == name && p["x-multi-segment"] == true)
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn resolve(spec: &Value, value: &Value) -> Value {
    match value["$ref"].as_str() {
        Some(reference) => {
            let mut node = spec;
            for part in reference.trim_start_matches("#/").split('/') {
                node = &node[part];
            }
            resolve(spec, node)
        }
        None => value.clone(),
    }
}

/// JSON Schema as OpenAPI 3.0 writes it: `nullable`, `$ref`, `oneOf`, `anyOf`, `allOf`,
/// `type`, `enum`, `properties`, `required`, `additionalProperties`, `items`, `maxItems`,
/// `minItems`, `maxLength`, `minLength`, `minimum`, `maximum`, `format: date-time`.
/// (`discriminator` is a comment: the `oneOf` already has the rule.)
fn check(spec: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = &resolve(spec, schema);
    if value.is_null() && schema["nullable"] == true {
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            check(spec, s, value, at, errors);
        }
    }
    let passes = |s: &Value| {
        let mut e = Vec::new();
        check(spec, s, value, at, &mut e);
        e.is_empty()
    };
    if let Some(any) = schema["anyOf"].as_array()
        && !any.iter().any(passes)
    {
        errors.push(format!("{at}: matches none of anyOf"));
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let count = one.iter().filter(|s| passes(s)).count();
        if count != 1 {
            errors.push(format!("{at}: matches {count} of oneOf, not exactly one"));
        }
    }
    if let Some(kind) = schema["type"].as_str() {
        let ok = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: expected {kind}, got {value}"));
            return;
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let Value::Object(map) = value {
        for required in schema["required"].as_array().into_iter().flatten() {
            if let Some(name) = required.as_str()
                && !map.contains_key(name)
            {
                errors.push(format!("{at}: missing required `{name}`"));
            }
        }
        let properties = schema["properties"].as_object();
        for (key, child) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(s) => check(spec, s, child, &format!("{at}.{key}"), errors),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => errors.push(format!("{at}: unknown field `{key}`")),
                    Value::Object(_) => check(
                        spec,
                        &schema["additionalProperties"],
                        child,
                        &format!("{at}.{key}"),
                        errors,
                    ),
                    _ => {}
                },
            }
        }
    }
    if let Value::Array(items) = value {
        if let Some(max) = schema["maxItems"].as_u64()
            && items.len() as u64 > max
        {
            errors.push(format!("{at}: more than {max} items"));
        }
        if let Some(min) = schema["minItems"].as_u64()
            && (items.len() as u64) < min
        {
            errors.push(format!("{at}: fewer than {min} items"));
        }
        if !schema["items"].is_null() {
            for (i, item) in items.iter().enumerate() {
                check(spec, &schema["items"], item, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Value::String(text) = value {
        if let Some(max) = schema["maxLength"].as_u64()
            && text.chars().count() as u64 > max
        {
            errors.push(format!("{at}: longer than {max}"));
        }
        if let Some(min) = schema["minLength"].as_u64()
            && (text.chars().count() as u64) < min
        {
            errors.push(format!("{at}: shorter than {min}"));
        }
        if schema["format"] == "date-time" && !(text.len() >= 20 && text.as_bytes()[10] == b'T') {
            errors.push(format!("{at}: `{text}` is not a date-time"));
        }
    }
    if let Some(n) = value.as_f64()
        && (schema["minimum"].as_f64().is_some_and(|m| n < m)
            || schema["maximum"].as_f64().is_some_and(|m| n > m))
    {
        errors.push(format!("{at}: {n} out of range"));
    }
}

#[test]
fn the_fake_refuses_what_github_would_refuse() {
    let spec: Value = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/github/github-subset.openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        route(&spec, "/repos/o/r/issues/comments/5").unwrap().0,
        "/repos/{owner}/{repo}/issues/comments/{comment_id}"
    );
    assert_eq!(
        route(&spec, "/repos/o/r/issues/5/comments").unwrap().0,
        "/repos/{owner}/{repo}/issues/{issue_number}/comments"
    );
    let (template, params) = route(&spec, "/repos/o/r/git/ref/mlci/pr-12").unwrap();
    assert_eq!(template, "/repos/{owner}/{repo}/git/ref/{ref}");
    assert_eq!(params["ref"], "mlci/pr-12");
    assert!(route(&spec, "/repos/o/r/unknown").is_none());
    // A check run without a conclusion for a completed status violates the oneOf.
    let schema = &spec["paths"]["/repos/{owner}/{repo}/check-runs"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"];
    let mut errors = Vec::new();
    check(
        &spec,
        schema,
        &json!({"name": "x", "head_sha": "a", "status": "bogus"}),
        "body",
        &mut errors,
    );
    assert!(!errors.is_empty());
    let mut errors = Vec::new();
    check(
        &spec,
        schema,
        &json!({"name": "x", "head_sha": "a", "status": "completed", "conclusion": "neutral", "output": {"title": "t", "summary": "s"}}),
        "body",
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let comment = &spec["paths"]["/repos/{owner}/{repo}/issues/{issue_number}/comments"]["post"]["requestBody"]
        ["content"]["application/json"]["schema"];
    let mut errors = Vec::new();
    check(
        &spec,
        comment,
        &json!({"text": "no body"}),
        "body",
        &mut errors,
    );
    assert!(
        errors.iter().any(|e| e.contains("missing required `body`")),
        "{errors:?}"
    );
}

/// Sends one raw HTTP/1.1 request to the fake; returns the status.
fn raw(fake: &FakeGitHub, method: &str, path: &str, headers: &[&str], body: &str) -> u16 {
    crate::fake_http::raw(&fake.url, method, path, headers, body)
}

#[test]
fn the_fake_records_requests_github_would_reject() {
    let fake = FakeGitHub::start("");
    let good = [
        "authorization: Bearer t0ken",
        "user-agent: test",
        "accept: application/vnd.github+json",
        "x-github-api-version: 2022-11-28",
        "content-type: application/json",
    ];
    assert_eq!(
        raw(
            &fake,
            "POST",
            "/repos/owner/repo/issues/7/comments",
            &good,
            r#"{"body":"hi"}"#
        ),
        201
    );
    fake.assert_valid();
    let cases: [(&str, &str, &[&str], String, &str); 7] = [
        (
            "POST",
            "/repos/owner/repo/issues/7/comments",
            &good[1..],
            r#"{"body":"hi"}"#.into(),
            "Authorization",
        ),
        (
            "POST",
            "/repos/owner/repo/issues/7/comments",
            &good[..2],
            r#"{"body":"hi"}"#.into(),
            "Accept",
        ),
        (
            "POST",
            "/repos/owner/repo/issues/7/comments",
            &good,
            format!(r#"{{"body":"{}"}}"#, "x".repeat(65_537)),
            "too long",
        ),
        (
            "GET",
            "/repos/owner/repo/issues/7/comments?per_page=500",
            &good[..4],
            String::new(),
            "per_page",
        ),
        (
            "GET",
            "/repos/owner/repo/issues/seven/comments",
            &good[..4],
            String::new(),
            "integer",
        ),
        (
            "PUT",
            "/repos/owner/repo/issues/7/comments",
            &good,
            r#"{"body":"hi"}"#.into(),
            "not an operation",
        ),
        (
            "POST",
            "/repos/owner/repo/commits/0000000000000000000000000000000000000000/comments",
            &good,
            r#"{"body":"hi"}"#.into(),
            "No commit found",
        ),
    ];
    for (method, path, headers, body, expected) in cases {
        let before = fake.violations().len();
        let status = raw(&fake, method, path, headers, &body);
        assert!(status >= 400, "{method} {path} was accepted");
        let violations = fake.violations();
        assert_eq!(
            violations.len(),
            before + 1,
            "{method} {path}: {violations:?}"
        );
        assert!(
            violations.last().unwrap().contains(expected),
            "{violations:?}"
        );
    }
}
