//! GitLab: the sticky note on a merge request (or issue), comments on a commit, and chart
//! uploads through the project uploads API.
//!
//! The HTTP client is reqwest (rustls with ring, the same TLS stack octocrab uses) on a
//! current-thread tokio runtime; the retry policy, pagination rules and errors are the ones
//! the GitHub client uses (`publish::http`). The `gitlab` crate was considered: it has no
//! endpoint for project uploads, and its client pulls reqwest 0.13 with a second TLS
//! provider (aws-lc-rs, a C build) and GraphQL; see ARCHITECTURE.md.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::ci::Secret;
use crate::publish::Thread;
use crate::publish::http::{
    ApiError, Forge, Network, NoAnswer, Reply, Retry, Session, error_chain, header, take_chunk,
};
use crate::publish::sticky::{Comment, Conversation};
use crate::render::plots::Asset;
use crate::sha::Sha;

/// What a token needs to post: GitLab answers 403 without saying.
const API_SCOPE: &str = "the `api` scope and at least the Reporter role";

/// GitLab's rate-limit headers: retry-after, requests remaining, reset time.
const RATE_LIMIT_HEADERS: [&str; 3] = ["retry-after", "ratelimit-remaining", "ratelimit-reset"];

/// A request body.
enum RequestBody<'a> {
    None,
    Json(&'a Value),
    /// One file as the `file` part of a multipart form.
    File {
        name: &'a str,
        bytes: &'a [u8],
    },
}

/// A GitLab client for one project.
pub struct GitLab {
    session: Session,
    client: reqwest::Client,
    /// `https://host/api/v4` (a sub-path on some instances), no trailing slash.
    api_url: String,
    /// The project as a path segment: a numeric id or the URL-encoded `group%2Fproject`.
    project: String,
    /// The project's web page, for links.
    project_url: String,
    token: Secret,
}

impl std::fmt::Debug for GitLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitLab")
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

impl GitLab {
    /// A client for `project` (a numeric id or `group/project`) at `api_url`.
    pub fn new(
        api_url: &str,
        project: &str,
        project_url: &str,
        token: &Secret,
        network: Network,
    ) -> Result<GitLab, ApiError> {
        let setup = |message: String| ApiError::Setup {
            forge: Forge::GitLab,
            url: api_url.to_owned(),
            message,
        };
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(setup(
                "the API URL must start with https:// (or http:// on a trusted network)".into(),
            ));
        }
        crate::publish::http::warn_plain_http(Forge::GitLab, api_url);
        if project.is_empty() {
            return Err(setup(
                "no project: pass --repo GROUP/PROJECT or an id".into(),
            ));
        }
        let session = Session::new(Forge::GitLab, network).map_err(|e| setup(e.to_string()))?;
        let client = {
            let _guard = session.runtime.enter();
            reqwest::Client::builder()
                .user_agent(concat!("mlci/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(network.request_timeout)
                .timeout(network.request_timeout)
                // The token is a header reqwest does not know to strip: follow a redirect
                // only within the same scheme, host and port.
                .redirect(reqwest::redirect::Policy::custom(|attempt| {
                    let same_origin = attempt.previous().last().is_some_and(|previous| {
                        previous.scheme() == attempt.url().scheme()
                            && previous.host_str() == attempt.url().host_str()
                            && previous.port_or_known_default()
                                == attempt.url().port_or_known_default()
                    });
                    if same_origin && attempt.previous().len() < 5 {
                        attempt.follow()
                    } else {
                        attempt.stop()
                    }
                }))
                .build()
                .map_err(|e| setup(error_chain(&e)))?
        };
        Ok(GitLab {
            session,
            client,
            api_url: api_url.trim_end_matches('/').to_owned(),
            project: encode_project(project),
            project_url: project_url.trim_end_matches('/').to_owned(),
            token: token.clone(),
        })
    }

    /// The requests made so far: `METHOD path -> status`.
    pub fn transcript(&self) -> Vec<String> {
        self.session.transcript()
    }

    fn project_path(&self, rest: &str) -> String {
        format!("{}/projects/{}{rest}", self.api_url, self.project)
    }

    fn send(
        &self,
        method: Method,
        url: &str,
        body: RequestBody<'_>,
        mode: Retry,
    ) -> Result<Reply, ApiError> {
        self.session
            .policy
            .send(method.as_str(), url, mode, Some(API_SCOPE), || {
                self.send_once(&method, url, &body)
            })
    }

    /// One attempt: the reply, its body read up to `http::MAX_BODY` bytes, or why there
    /// was none.
    fn send_once(
        &self,
        method: &Method,
        url: &str,
        body: &RequestBody<'_>,
    ) -> Result<Reply, NoAnswer> {
        let request = self
            .client
            .request(method.clone(), url)
            .header("PRIVATE-TOKEN", self.token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        let request = match body {
            RequestBody::None => request,
            RequestBody::Json(value) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(value.to_string()),
            RequestBody::File { name, bytes } => request.multipart(form(name, bytes)),
        };
        let attempt = async {
            let mut response = request.send().await.map_err(|e| NoAnswer::from_error(&e))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            if (300..400).contains(&status) {
                // Final, not retried: the same request would be sent to the same place.
                let to = header(&headers, "location").unwrap_or_default();
                return Ok(Reply {
                    status,
                    json: Value::String(format!(
                        "redirected to `{}`, another host: not followed with the token",
                        crate::render::escape::log_line(&to)
                    )),
                    ..Reply::default()
                });
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| NoAnswer::from_error(&e))?
            {
                take_chunk(&mut bytes, &chunk)?;
            }
            // Pagination: `x-next-page`, empty or absent on the last page.
            let next = header(&headers, "x-next-page").map(|page| with_page(url, &page));
            Ok(Reply::new(
                status,
                &headers,
                RATE_LIMIT_HEADERS,
                next,
                &bytes,
            ))
        };
        self.session.attempt((method.as_str(), url), attempt)
    }

    /// Every page of a list (100 a page).
    fn list(&self, first: String) -> Result<Vec<Value>, ApiError> {
        self.session.policy.paginate(first, |url| {
            self.send(Method::GET, url, RequestBody::None, Retry::Idempotent)
        })
    }

    /// The token's username, to tell our notes from quotes of them.
    pub fn current_user(&self) -> Result<String, ApiError> {
        let url = format!("{}/user", self.api_url);
        let reply = self.send(Method::GET, &url, RequestBody::None, Retry::Idempotent)?;
        Ok(reply.json["username"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The head commit of a merge request now (none when the answer names none).
    pub fn merge_request_head(&self, iid: u64) -> Result<Option<Sha>, ApiError> {
        let url = self.project_path(&format!("/merge_requests/{iid}"));
        let reply = self.send(Method::GET, &url, RequestBody::None, Retry::Idempotent)?;
        Ok(reply.json["sha"].as_str().and_then(Sha::parse))
    }

    /// The notes of a merge request or issue, or the comments of a commit.
    pub fn conversation<'a>(&'a self, thread: &'a Thread) -> GitLabThread<'a> {
        GitLabThread {
            gitlab: self,
            thread,
        }
    }

    /// Uploads each file with the project uploads API; returns each file's absolute URL
    /// (the project URL and the upload's `url`), which renders in notes and e-mail.
    pub fn upload(&self, files: &[Asset]) -> Result<BTreeMap<String, String>, ApiError> {
        let mut urls = BTreeMap::new();
        let mut done: BTreeMap<&[u8], String> = BTreeMap::new();
        for file in files {
            if let Some(url) = done.get(file.bytes.as_slice()) {
                urls.insert(file.path.clone(), url.clone());
                continue;
            }
            let name = file.path.rsplit('/').next().unwrap_or(&file.path);
            let url = self.project_path("/uploads");
            // A repeated upload makes a second copy, which is harmless: retry freely.
            let reply = self.send(
                Method::POST,
                &url,
                RequestBody::File {
                    name,
                    bytes: &file.bytes,
                },
                Retry::Idempotent,
            )?;
            let link = match (reply.json["url"].as_str(), reply.json["full_path"].as_str()) {
                (Some(relative), _) if !self.project_url.is_empty() => {
                    format!("{}{relative}", self.project_url)
                }
                (_, Some(full)) => format!("{}{full}", server_of(&self.api_url)),
                _ => {
                    return Err(ApiError::Transport {
                        forge: Forge::GitLab,
                        method: "POST".into(),
                        url,
                        message: "the answer has no upload url".into(),
                    });
                }
            };
            done.insert(&file.bytes, link.clone());
            urls.insert(file.path.clone(), link);
        }
        Ok(urls)
    }
}

/// The notes of one merge request or issue, or the comments of one commit, on GitLab.
pub struct GitLabThread<'a> {
    gitlab: &'a GitLab,
    thread: &'a Thread,
}

impl GitLabThread<'_> {
    /// The notes endpoint and the web page of the thread.
    fn notes(&self) -> (String, String) {
        let gitlab = self.gitlab;
        match self.thread {
            Thread::PullRequest(iid) => (
                gitlab.project_path(&format!("/merge_requests/{iid}/notes")),
                format!("{}/-/merge_requests/{iid}", gitlab.project_url),
            ),
            Thread::Issue(iid) => (
                gitlab.project_path(&format!("/issues/{iid}/notes")),
                format!("{}/-/issues/{iid}", gitlab.project_url),
            ),
            Thread::Commit(sha) => (
                gitlab.project_path(&format!("/repository/commits/{sha}/comments")),
                format!("{}/-/commit/{sha}", gitlab.project_url),
            ),
        }
    }

    fn note_of(&self, value: &Value, page: &str) -> Option<Comment> {
        if value["system"] == true {
            return None;
        }
        let id = value["id"].as_u64()?;
        Some(Comment {
            id,
            body: value["body"].as_str().unwrap_or_default().to_owned(),
            login: value["author"]["username"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            url: format!("{page}#note_{id}"),
        })
    }

    fn not_a_note(method: &str, url: String) -> ApiError {
        ApiError::Transport {
            forge: Forge::GitLab,
            method: method.into(),
            url,
            message: "the answer is not a note".into(),
        }
    }
}

impl Conversation for GitLabThread<'_> {
    fn comments(&self) -> Result<Vec<Comment>, ApiError> {
        let (list, page) = self.notes();
        if let Thread::Commit(_) = self.thread {
            // Commit comments have no id: their order is their identity.
            let items = self.gitlab.list(format!("{list}?per_page=100"))?;
            return Ok(items
                .iter()
                .enumerate()
                .map(|(i, value)| Comment {
                    id: i as u64 + 1,
                    body: value["note"].as_str().unwrap_or_default().to_owned(),
                    login: value["author"]["username"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    url: page.clone(),
                })
                .collect());
        }
        let items = self
            .gitlab
            .list(format!("{list}?per_page=100&sort=asc&order_by=created_at"))?;
        Ok(items
            .iter()
            .filter_map(|v| self.note_of(v, &page))
            .collect())
    }

    fn create(&self, body: &str) -> Result<Comment, ApiError> {
        let (list, page) = self.notes();
        if let Thread::Commit(_) = self.thread {
            let reply = self.gitlab.send(
                Method::POST,
                &list,
                RequestBody::Json(&json!({ "note": body })),
                Retry::Create,
            )?;
            return Ok(Comment {
                id: u64::MAX,
                body: reply.json["note"].as_str().unwrap_or(body).to_owned(),
                login: reply.json["author"]["username"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                url: page,
            });
        }
        let reply = self.gitlab.send(
            Method::POST,
            &list,
            RequestBody::Json(&json!({ "body": body })),
            Retry::Create,
        )?;
        self.note_of(&reply.json, &page)
            .ok_or_else(|| Self::not_a_note("POST", list))
    }

    fn update(&self, id: u64, body: &str) -> Result<Comment, ApiError> {
        let (list, page) = self.notes();
        let url = format!("{list}/{id}");
        let reply = self.gitlab.send(
            Method::PUT,
            &url,
            RequestBody::Json(&json!({ "body": body })),
            Retry::Idempotent,
        )?;
        self.note_of(&reply.json, &page)
            .ok_or_else(|| Self::not_a_note("PUT", url))
    }

    fn delete(&self, id: u64) -> Result<(), ApiError> {
        let (list, _) = self.notes();
        match self.gitlab.send(
            Method::DELETE,
            &format!("{list}/{id}"),
            RequestBody::None,
            Retry::Idempotent,
        ) {
            Ok(_) | Err(ApiError::Status { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// GitLab's commit comments cannot be edited or deleted through the API.
    fn editable(&self) -> bool {
        !matches!(self.thread, Thread::Commit(_))
    }
}

/// A project id as a path segment: numeric ids as they are, paths URL-encoded
/// (`group/sub/project` → `group%2Fsub%2Fproject`).
pub fn encode_project(project: &str) -> String {
    let mut out = String::new();
    for byte in project.trim_matches('/').bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The instance's web root from its API root (`https://host/gitlab/api/v4` →
/// `https://host/gitlab`).
pub fn server_of(api_url: &str) -> &str {
    api_url.trim_end_matches('/').trim_end_matches("/api/v4")
}

/// `url` with its `page` query parameter set to `page`.
fn with_page(url: &str, page: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("page={page}"));
    format!("{base}?{}", pairs.join("&"))
}

/// A multipart form with one part, `file`, typed by its name's extension (any case).
fn form(name: &str, bytes: &[u8]) -> reqwest::multipart::Form {
    let extension = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mime = match extension.as_str() {
        "svg" => "image/svg+xml",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "image/png",
    };
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap_or_else(|_| {
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned())
        });
    reqwest::multipart::Form::new().part("file", part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projects_are_numeric_ids_or_encoded_paths() {
        assert_eq!(encode_project("42"), "42");
        assert_eq!(encode_project("group/sub/model"), "group%2Fsub%2Fmodel");
        assert_eq!(encode_project("a.b/c_d"), "a.b%2Fc_d");
    }

    #[test]
    fn pages_and_servers() {
        assert_eq!(
            with_page("https://h/api/v4/projects/1/notes?per_page=100&page=2", "3"),
            "https://h/api/v4/projects/1/notes?per_page=100&page=3"
        );
        assert_eq!(
            server_of("https://host/gitlab/api/v4"),
            "https://host/gitlab"
        );
    }
}
