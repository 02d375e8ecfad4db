//! A fake GitLab on 127.0.0.1 for the end-to-end tests.
//!
//! GitLab publishes no complete OpenAPI description, so requests are checked against the
//! field tables of `shared/api/gitlab-notes-uploads.md` (copied facts, not code): the route
//! and method; the project as a numeric id or a URL-encoded path (a raw `group/project` in
//! the path is refused, as GitLab routes it elsewhere); `PRIVATE-TOKEN` or `Authorization:
//! Bearer` (a `JOB-TOKEN` may only read); known query parameters with their ranges
//! (`per_page` ≤ 100, `sort`, `order_by`); JSON bodies with their required fields and the
//! 1,000,000-character note limit; uploads as `multipart/form-data` with exactly one part
//! named `file` that has a file name. A request the fake refuses is recorded as a
//! violation; tests assert there are none. Lists paginate 20 a page by default, with
//! `x-next-page` empty on the last page, and `link`, `x-page`, `x-per-page`, `x-total`.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::fake_http::{Request, Response, Wire, query_value, serve};

/// The project the fake hosts.
pub const PROJECT_ID: u64 = 42;
/// The username notes made with the project access token get.
pub const BOT: &str = "project_42_bot_5f3a";
/// The project access token.
pub const TOKEN: &str = "glpat-fakeProjectTokenNeverPrinted9";
/// A job token (read-only).
pub const JOB_TOKEN: &str = "glcbt-fakeJobToken";

/// A misbehaviour, applied once to the next matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status.
    Status(u16),
    /// 429 with `Retry-After` and a plain-text body, as GitLab.com does.
    RateLimit { retry_after: u64 },
    /// Answer with a redirect to `location`.
    Redirect { status: u16, location: String },
    /// Answer 200 with an HTML page instead of JSON.
    NotJson,
    /// Send an error page one byte at a time, this long apart.
    Trickle(std::time::Duration),
}

/// A note: (id, author, body, system).
pub type Note = (u64, String, String, bool);

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    notes: BTreeMap<u64, Vec<Note>>,
    commit_comments: BTreeMap<String, Vec<(String, String)>>,
    merge_requests: BTreeMap<u64, String>,
    /// Each upload: its secret, file name, size and the part's Content-Type.
    uploads: Vec<(String, String, usize, String)>,
    faults: Vec<(String, String, Fault)>,
    seen: Vec<String>,
    violations: Vec<String>,
}

/// The fake server.
pub struct FakeGitLab {
    /// The API root, `http://127.0.0.1:PORT/PREFIX/api/v4`.
    pub url: String,
    /// Every request, byte for byte.
    pub wire: Wire,
    state: Arc<Mutex<State>>,
}

impl FakeGitLab {
    /// Starts a fake whose instance lives under `prefix` (`""`, or `/gitlab` for a
    /// sub-path instance).
    pub fn start(prefix: &str) -> FakeGitLab {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let api = format!("{prefix}/api/v4");
        let state = Arc::new(Mutex::new(State {
            next_id: 5000,
            ..State::default()
        }));
        let server = Server {
            state: state.clone(),
            api: api.clone(),
            base: format!("http://127.0.0.1:{port}"),
        };
        let wire = serve(listener, move |request| server.handle(request));
        FakeGitLab {
            wire,
            url: format!("http://127.0.0.1:{port}{api}"),
            state,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Adds a merge request with its head commit.
    pub fn merge_request(&self, iid: u64, sha: &str) {
        self.state().merge_requests.insert(iid, sha.to_owned());
    }

    /// Adds a note by `author` (`system`: made by GitLab itself).
    pub fn note(&self, iid: u64, author: &str, body: &str, system: bool) -> u64 {
        let mut state = self.state();
        state.next_id += 1;
        let id = state.next_id;
        state
            .notes
            .entry(iid)
            .or_default()
            .push((id, author.to_owned(), body.to_owned(), system));
        id
    }

    /// The notes of a merge request.
    pub fn notes(&self, iid: u64) -> Vec<Note> {
        self.state().notes.get(&iid).cloned().unwrap_or_default()
    }

    /// The comments of a commit: (author, note).
    pub fn commit_comments(&self, sha: &str) -> Vec<(String, String)> {
        self.state()
            .commit_comments
            .get(sha)
            .cloned()
            .unwrap_or_default()
    }

    /// Uploads: (secret, file name, size).
    pub fn uploads(&self) -> Vec<(String, String, usize, String)> {
        self.state().uploads.clone()
    }

    /// Misbehaves once on the next `method` request whose path ends with `suffix`.
    pub fn fault(&self, method: &str, suffix: &str, fault: Fault) {
        self.state()
            .faults
            .push((method.to_owned(), suffix.to_owned(), fault));
    }

    /// `METHOD /path?query -> status`, one per line, without the API root and project.
    pub fn transcript(&self) -> String {
        self.state().seen.iter().map(|l| format!("{l}\n")).collect()
    }

    /// Requests the real GitLab would have refused.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }

    /// Asserts that every request was valid.
    pub fn assert_valid(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "requests GitLab would refuse:\n{}",
            violations.join("\n")
        );
    }
}

struct Server {
    state: Arc<Mutex<State>>,
    /// `/api/v4`, or `/gitlab/api/v4`.
    api: String,
    base: String,
}

/// A route: its method, path pattern (`:name` segments), the query parameters it takes,
/// and whether it writes.
const ROUTES: &[(&str, &str, &[&str])] = &[
    ("GET", "/user", &[]),
    ("GET", "/projects/:id/merge_requests/:iid", &[]),
    (
        "GET",
        "/projects/:id/merge_requests/:iid/notes",
        &["page", "per_page", "sort", "order_by"],
    ),
    ("POST", "/projects/:id/merge_requests/:iid/notes", &[]),
    (
        "GET",
        "/projects/:id/merge_requests/:iid/notes/:note_id",
        &[],
    ),
    (
        "PUT",
        "/projects/:id/merge_requests/:iid/notes/:note_id",
        &[],
    ),
    (
        "DELETE",
        "/projects/:id/merge_requests/:iid/notes/:note_id",
        &[],
    ),
    (
        "GET",
        "/projects/:id/issues/:iid/notes",
        &["page", "per_page", "sort", "order_by"],
    ),
    ("POST", "/projects/:id/issues/:iid/notes", &[]),
    ("PUT", "/projects/:id/issues/:iid/notes/:note_id", &[]),
    ("DELETE", "/projects/:id/issues/:iid/notes/:note_id", &[]),
    (
        "GET",
        "/projects/:id/repository/commits/:sha/comments",
        &["page", "per_page"],
    ),
    (
        "POST",
        "/projects/:id/repository/commits/:sha/comments",
        &[],
    ),
    ("POST", "/projects/:id/uploads", &[]),
];

fn gitlab_error(status: u16, message: &str) -> Response {
    Response::json(status, json!({ "message": message }))
}

impl Server {
    fn handle(&self, request: &Request) -> Response {
        let (response, violation) = match self.validate(request) {
            Err((status, violation)) => (
                gitlab_error(status, &format!("fake GitLab: {violation}")),
                Some(violation),
            ),
            Ok((pattern, params, user)) => (self.respond(request, &pattern, &params, &user), None),
        };
        let mut state = self.state.lock().unwrap();
        if let Some(violation) = violation {
            state
                .violations
                .push(format!("{} {}: {violation}", request.method, request.path));
        }
        let path = request
            .path
            .strip_prefix(&self.api)
            .unwrap_or(&request.path)
            .replacen(&format!("/projects/{PROJECT_ID}"), "", 1)
            .replacen("/projects/group%2Fmodel", "", 1);
        let query = if request.query.is_empty() {
            String::new()
        } else {
            format!("?{}", request.query)
        };
        state.seen.push(format!(
            "{} {path}{query} -> {}",
            request.method, response.status
        ));
        response
    }

    /// Checks a request; returns the route, its parameters and the token's user.
    #[expect(clippy::type_complexity, reason = "a test fake's one internal result")]
    fn validate(
        &self,
        request: &Request,
    ) -> Result<(String, BTreeMap<String, String>, String), (u16, String)> {
        let path = request
            .path
            .strip_prefix(&self.api)
            .ok_or((404, format!("path outside the API root `{}`", self.api)))?;
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut matched = None;
        for (method, pattern, query) in ROUTES {
            let parts: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut params = BTreeMap::new();
            let ok =
                parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| match part.strip_prefix(':') {
                        Some(name) => {
                            params.insert(name.to_owned(), (*segment).to_owned());
                            !segment.is_empty()
                        }
                        None => part == segment,
                    });
            if ok && *method == request.method {
                matched = Some((*pattern, *query, params));
                break;
            }
        }
        let (pattern, allowed, params) = matched.ok_or((
            404,
            "no such route (a project path must be URL-encoded: group%2Fproject)".to_owned(),
        ))?;
        if let Some(id) = params.get("id")
            && id != &PROJECT_ID.to_string()
            && id != "group%2Fmodel"
        {
            return Err((404, format!("404 Project Not Found: `{id}`")));
        }
        for name in ["iid", "note_id"] {
            if let Some(value) = params.get(name)
                && value.parse::<u64>().is_err()
            {
                return Err((400, format!("{name} is invalid: `{value}`")));
            }
        }
        // Authentication.
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .map(String::as_str)
                .unwrap_or_default()
        };
        let user = match (
            header("private-token"),
            header("authorization").strip_prefix("Bearer "),
            header("job-token"),
        ) {
            (TOKEN, _, _) | (_, Some(TOKEN), _) => BOT.to_owned(),
            (_, _, JOB_TOKEN) if request.method == "GET" && !pattern.starts_with("/user") => {
                "job".to_owned()
            }
            (_, _, JOB_TOKEN) => {
                return Err((403, "403 Forbidden: a job token cannot do this".into()));
            }
            _ => return Err((401, "401 Unauthorized".into())),
        };
        if header("user-agent").is_empty() {
            return Err((400, "missing User-Agent".into()));
        }
        // Query.
        for pair in request.query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !allowed.contains(&name) {
                return Err((400, format!("unknown query parameter `{name}`")));
            }
            let valid = match name {
                "per_page" => value.parse::<u32>().is_ok_and(|n| (1..=100).contains(&n)),
                "page" => value.parse::<u32>().is_ok_and(|n| n >= 1),
                "sort" => matches!(value, "asc" | "desc"),
                "order_by" => matches!(value, "created_at" | "updated_at"),
                _ => true,
            };
            if !valid {
                return Err((
                    400,
                    format!("{name} does not have a valid value: `{value}`"),
                ));
            }
        }
        // Body.
        let content_type = header("content-type");
        match (request.method.as_str(), pattern) {
            ("POST" | "PUT", p) if p.ends_with("/notes") || p.ends_with("/:note_id") => {
                let body = json_body(request, content_type)?;
                check_text(&body, "body")?;
            }
            ("POST", "/projects/:id/repository/commits/:sha/comments") => {
                let body = json_body(request, content_type)?;
                check_text(&body, "note")?;
            }
            ("POST", "/projects/:id/uploads") => {
                multipart_file(&request.body, content_type).map_err(|e| (400, e))?;
            }
            (_, _) if !request.body.is_empty() => {
                return Err((400, format!("{} takes no body", request.method)));
            }
            _ => {}
        }
        Ok((pattern.to_owned(), params, user))
    }

    fn respond(
        &self,
        request: &Request,
        pattern: &str,
        params: &BTreeMap<String, String>,
        user: &str,
    ) -> Response {
        let mut state = self.state.lock().unwrap();
        if let Some(index) = state.faults.iter().position(|(m, suffix, _)| {
            *m == request.method && request.path.ends_with(suffix.as_str())
        }) {
            let (_, _, fault) = state.faults.remove(index);
            return match fault {
                Fault::Status(status) => gitlab_error(status, "500 Internal Server Error"),
                Fault::RateLimit { retry_after } => {
                    let mut response = Response::json(429, Value::Null);
                    response.text = Some("Retry later\n".into());
                    response
                        .headers
                        .push(("retry-after".into(), retry_after.to_string()));
                    response
                        .headers
                        .push(("ratelimit-remaining".into(), "0".into()));
                    response
                }
                Fault::Redirect { status, location } => Response::redirect(status, &location),
                Fault::NotJson => Response::text(200, "<html><body>Maintenance</body></html>"),
                Fault::Trickle(pause) => {
                    let mut response = gitlab_error(502, "502 Bad Gateway");
                    response.trickle = Some(pause);
                    response
                }
            };
        }
        let number = |name: &str| {
            params
                .get(name)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let note_json = |(id, author, text, system): &Note, iid: u64, kind: &str| {
            json!({
                "id": id, "type": null, "body": text, "attachment": null,
                "author": { "id": if author == BOT { 77 } else { 5 }, "username": author, "name": author, "state": "active" },
                "created_at": "2024-01-01T00:00:00.000Z", "updated_at": "2024-01-01T00:00:00.000Z",
                "system": system, "noteable_id": 900 + iid, "noteable_type": kind, "noteable_iid": iid,
                "project_id": PROJECT_ID, "resolvable": false, "confidential": false, "internal": false,
            })
        };
        let kind = if pattern.contains("/merge_requests/") {
            "MergeRequest"
        } else {
            "Issue"
        };
        match (request.method.as_str(), pattern) {
            ("GET", "/user") => Response::json(
                200,
                json!({ "id": 77, "username": user, "name": "mlci bot", "state": "active", "bot": true }),
            ),
            ("GET", "/projects/:id/merge_requests/:iid") => {
                match state.merge_requests.get(&number("iid")) {
                    Some(sha) => Response::json(
                        200,
                        json!({ "id": 900, "iid": number("iid"), "project_id": PROJECT_ID, "state": "opened", "sha": sha, "diff_refs": { "head_sha": sha } }),
                    ),
                    None => gitlab_error(404, "404 Not found"),
                }
            }
            ("GET", p) if p.ends_with("/notes") => {
                let iid = number("iid");
                let mut all = state.notes.get(&iid).cloned().unwrap_or_default();
                if query_value(&request.query, "sort").as_deref() != Some("asc") {
                    all.reverse();
                }
                let items: Vec<Value> = all.iter().map(|n| note_json(n, iid, kind)).collect();
                self.page(request, items)
            }
            ("POST", p) if p.ends_with("/notes") => {
                let iid = number("iid");
                state.next_id += 1;
                let note = (
                    state.next_id,
                    user.to_owned(),
                    body["body"].as_str().unwrap_or_default().to_owned(),
                    false,
                );
                state.notes.entry(iid).or_default().push(note.clone());
                Response::json(201, note_json(&note, iid, kind))
            }
            (method, p) if p.ends_with("/:note_id") => {
                let (iid, id) = (number("iid"), number("note_id"));
                let notes = state.notes.entry(iid).or_default();
                let Some(position) = notes.iter().position(|n| n.0 == id) else {
                    return gitlab_error(404, "404 Note Not Found");
                };
                if notes[position].1 != user {
                    return gitlab_error(403, "403 Forbidden");
                }
                match method {
                    "DELETE" => {
                        notes.remove(position);
                        Response::json(204, Value::Null)
                    }
                    "PUT" => {
                        notes[position].2 = body["body"].as_str().unwrap_or_default().to_owned();
                        Response::json(200, note_json(&notes[position], iid, kind))
                    }
                    _ => Response::json(200, note_json(&notes[position], iid, kind)),
                }
            }
            ("GET", "/projects/:id/repository/commits/:sha/comments") => {
                let all = state
                    .commit_comments
                    .get(&params["sha"])
                    .cloned()
                    .unwrap_or_default();
                let items = all
                    .iter()
                    .map(|(author, note)| json!({ "note": note, "author": { "id": 5, "username": author, "name": author }, "path": null, "line": null, "line_type": null, "created_at": "2024-01-01T00:00:00.000Z" }))
                    .collect();
                self.page(request, items)
            }
            ("POST", "/projects/:id/repository/commits/:sha/comments") => {
                let note = body["note"].as_str().unwrap_or_default().to_owned();
                state
                    .commit_comments
                    .entry(params["sha"].clone())
                    .or_default()
                    .push((user.to_owned(), note.clone()));
                Response::json(
                    201,
                    json!({ "note": note, "author": { "id": 77, "username": user }, "path": null, "line": null, "line_type": null, "created_at": "2024-01-01T00:00:00.000Z" }),
                )
            }
            ("POST", "/projects/:id/uploads") => {
                let content_type = request
                    .headers
                    .get("content-type")
                    .cloned()
                    .unwrap_or_default();
                let (name, size, part_type) = multipart_file(&request.body, &content_type).unwrap();
                state.next_id += 1;
                let secret = format!("{:032x}", state.next_id);
                state
                    .uploads
                    .push((secret.clone(), name.clone(), size, part_type));
                let alt = name.rsplit_once('.').map_or(name.as_str(), |(a, _)| a);
                let url = format!("/uploads/{secret}/{name}");
                Response::json(
                    201,
                    json!({ "id": state.next_id, "alt": alt, "url": url, "full_path": format!("/-/project/{PROJECT_ID}/uploads/{secret}/{name}"), "markdown": format!("![{alt}]({url})") }),
                )
            }
            _ => gitlab_error(404, "404 Not Found (not simulated by the fake)"),
        }
    }

    /// One page of `items`, with GitLab's pagination headers.
    fn page(&self, request: &Request, items: Vec<Value>) -> Response {
        let per_page = query_value(&request.query, "per_page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(20);
        let page = query_value(&request.query, "page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1);
        let total = items.len();
        let pages = total.div_ceil(per_page).max(1);
        let slice: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let mut response = Response::json(200, Value::Array(slice));
        let next = if page < pages {
            (page + 1).to_string()
        } else {
            String::new()
        };
        let link = |p: usize| {
            let query: Vec<String> = request
                .query
                .split('&')
                .filter(|q| !q.is_empty() && !q.starts_with("page="))
                .map(str::to_owned)
                .chain([format!("page={p}")])
                .collect();
            format!("<{}{}?{}>", self.base, request.path, query.join("&"))
        };
        let mut links = vec![format!("{}; rel=\"first\"", link(1))];
        if page < pages {
            links.push(format!("{}; rel=\"next\"", link(page + 1)));
        }
        links.push(format!("{}; rel=\"last\"", link(pages)));
        for (name, value) in [
            ("x-next-page", next),
            ("x-page", page.to_string()),
            ("x-per-page", per_page.to_string()),
            ("x-total", total.to_string()),
            ("x-total-pages", pages.to_string()),
            ("link", links.join(", ")),
        ] {
            response.headers.push((name.into(), value));
        }
        response
    }
}

fn json_body(request: &Request, content_type: &str) -> Result<Value, (u16, String)> {
    if !content_type.starts_with("application/json") {
        return Err((
            400,
            format!("a JSON body needs Content-Type: application/json, got `{content_type}`"),
        ));
    }
    serde_json::from_slice(&request.body).map_err(|e| (400, format!("body is not JSON: {e}")))
}

fn check_text(body: &Value, field: &str) -> Result<(), (u16, String)> {
    match body[field].as_str() {
        None => Err((400, format!("{field} is missing"))),
        Some("") => Err((400, format!("{field} is empty"))),
        Some(text) if text.chars().count() > 1_000_000 => Err((
            400,
            format!("{field} is too long (maximum is 1000000 characters)"),
        )),
        Some(_) => Ok(()),
    }
}

/// The one part of a multipart form, `file`: its file name, size and Content-Type.
fn multipart_file(body: &[u8], content_type: &str) -> Result<(String, usize, String), String> {
    let boundary = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or_else(|| {
            format!("uploads need multipart/form-data with a boundary, got `{content_type}`")
        })?;
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    if !text.starts_with(&delimiter) || !text.trim_end().ends_with(&format!("{delimiter}--")) {
        return Err("the body is not a multipart form with that boundary".into());
    }
    let parts: Vec<&str> = text
        .split(delimiter.as_str())
        .filter(|p| !p.is_empty() && !p.starts_with("--"))
        .collect();
    if parts.len() != 1 {
        return Err(format!("expected one part, got {}", parts.len()));
    }
    let (head, content) = parts[0]
        .split_once("\r\n\r\n")
        .ok_or("a part without headers")?;
    let disposition = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("content-disposition: form-data")
        })
        .ok_or("a part without Content-Disposition: form-data")?;
    if !disposition.contains("name=\"file\"") {
        return Err(format!("the part must be named `file`: {disposition}"));
    }
    let name = disposition
        .split("filename=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|n| !n.is_empty())
        .ok_or("the `file` part needs a filename")?;
    let part_type = head
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .ok_or("the `file` part needs a Content-Type")?;
    Ok((name.to_owned(), content.len().saturating_sub(2), part_type))
}
