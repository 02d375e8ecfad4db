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

use base64::Engine as _;
use http::Method;
use http_body_util::BodyExt as _;
use octocrab::Octocrab;
use serde_json::{Value, json};

use crate::ci::{Secret, WorkflowRun};
use crate::publish::Thread;
use crate::publish::http::{
    ApiError, Forge, Network, NoAnswer, Reply, Retry, Session, header, take_chunk,
};
use crate::publish::sticky::{Comment, Conversation};
use crate::render::plots::Asset;
use crate::sha::Sha;

/// GitHub's rate-limit headers: retry-after, requests remaining, reset time.
const RATE_LIMIT_HEADERS: [&str; 3] = ["retry-after", "x-ratelimit-remaining", "x-ratelimit-reset"];

/// A GitHub client for one repository.
pub struct GitHub {
    session: Session,
    crab: Octocrab,
    owner: String,
    name: String,
    server_url: String,
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
    ) -> Result<GitHub, ApiError> {
        let setup = |message: String| ApiError::Setup {
            forge: Forge::GitHub,
            url: api_url.to_owned(),
            message,
        };
        crate::publish::http::warn_plain_http(Forge::GitHub, api_url);
        let (owner, name) = repository
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| setup(format!("`{repository}` is not OWNER/NAME")))?;
        let session = Session::new(Forge::GitHub, network).map_err(|e| setup(e.to_string()))?;
        let crab = {
            let _guard = session.runtime.enter();
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
            session,
            crab,
            owner: owner.to_owned(),
            name: name.to_owned(),
            server_url: server_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The requests made so far: `METHOD path -> status`.
    pub fn transcript(&self) -> Vec<String> {
        self.session.transcript()
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
    ) -> Result<Reply, ApiError> {
        self.session
            .policy
            .send(method.as_str(), url, mode, permission, || {
                self.send_once(&method, url, body)
            })
    }

    /// One attempt: the reply, its body read up to `http::MAX_BODY` bytes, or why there
    /// was none.
    fn send_once(
        &self,
        method: &Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Reply, NoAnswer> {
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
            .map_err(|e| NoAnswer::from_error(&e))?;
        let attempt = async {
            let response = self
                .crab
                .execute(request)
                .await
                .map_err(|e| NoAnswer::from_error(&e))?;
            let (parts, mut body) = response.into_parts();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| NoAnswer::from_error(&e))?;
                if let Some(data) = frame.data_ref() {
                    take_chunk(&mut bytes, data)?;
                }
            }
            let next = header(&parts.headers, "link")
                .as_deref()
                .and_then(next_link);
            Ok(Reply::new(
                parts.status.as_u16(),
                &parts.headers,
                RATE_LIMIT_HEADERS,
                next,
                &bytes,
            ))
        };
        self.session.attempt((method.as_str(), url), attempt)
    }

    /// Every page of a list, following `Link: rel="next"`.
    fn list(&self, first: String, permission: &'static str) -> Result<Vec<Value>, ApiError> {
        self.session.policy.paginate(first, |url| {
            self.send(Method::GET, url, None, Retry::Idempotent, Some(permission))
        })
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

    /// The comments of a pull request, issue or commit.
    pub fn conversation<'a>(&'a self, thread: &'a Thread) -> GitHubThread<'a> {
        GitHubThread {
            github: self,
            thread,
        }
    }

    /// A pull request as it is now.
    pub fn pull_request(&self, number: u64) -> Result<PullRequest, ApiError> {
        let reply = self.send(
            Method::GET,
            &self.repo_path(&format!("/pulls/{number}")),
            None,
            Retry::Idempotent,
            Some(PULL_REQUESTS),
        )?;
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        let head = &reply.json["head"];
        Ok(PullRequest {
            head_sha: head["sha"].as_str().and_then(Sha::parse),
            head_ref: text(&head["ref"]),
            head_repository: head["repo"]["full_name"].as_str().map(str::to_owned),
            open: reply.json["state"] == "open",
        })
    }

    /// A workflow run: the commit and repository it ran on, and its pull requests (empty
    /// for a fork's).
    pub fn workflow_run(&self, run_id: u64) -> Result<WorkflowRun, ApiError> {
        let reply = self.send(
            Method::GET,
            &self.repo_path(&format!("/actions/runs/{run_id}")),
            None,
            Retry::Idempotent,
            Some("actions: read"),
        )?;
        Ok(WorkflowRun::from_json(&reply.json))
    }

    /// The login of the token's user (`GET /user`); `None` for an installation token such
    /// as `GITHUB_TOKEN`, which may not ask (403).
    pub fn current_user(&self) -> Result<Option<String>, ApiError> {
        match self.send(Method::GET, "/user", None, Retry::Idempotent, None) {
            Ok(reply) => Ok(reply.json["login"].as_str().map(str::to_owned)),
            Err(ApiError::Status { status: 403, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Creates a completed check run on `head_sha`; returns its URL.
    pub fn check_run(
        &self,
        name: &str,
        head_sha: &str,
        conclusion: &str,
        title: &str,
        summary: &str,
    ) -> Result<String, ApiError> {
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

    /// Creates a git object (blob, tree, commit) and returns its SHA. Content-addressed,
    /// so repeating the request is harmless.
    fn create_object(&self, path: &str, body: &Value) -> Result<String, ApiError> {
        let url = self.repo_path(path);
        let reply = self.send(
            Method::POST,
            &url,
            Some(body),
            Retry::Idempotent,
            Some(CONTENTS),
        )?;
        reply.json["sha"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::Transport {
                forge: Forge::GitHub,
                method: "POST".into(),
                url,
                message: "the answer has no `sha`".into(),
            })
    }

    /// Points `refs/{short}` at `sha`.
    fn move_ref(&self, short: &str, sha: &str) -> Result<(), ApiError> {
        self.send(
            Method::PATCH,
            &self.repo_path(&format!("/git/refs/{short}")),
            Some(&json!({ "sha": sha, "force": true })),
            Retry::Idempotent,
            Some(CONTENTS),
        )
        .map(drop)
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
    ) -> Result<BTreeMap<String, String>, ApiError> {
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
            Err(ApiError::Status { status: 404, .. }) => None,
            Err(error) => return Err(error),
        };
        let mut tree = Vec::new();
        let mut paths = BTreeMap::new();
        for file in files {
            let name = hosted_name(file);
            if !paths.values().any(|p| *p == name) {
                let blob = json!({
                    "content": base64::engine::general_purpose::STANDARD.encode(&file.bytes),
                    "encoding": "base64",
                });
                let sha = self.create_object("/git/blobs", &blob)?;
                tree.push(json!({ "path": name, "mode": "100644", "type": "blob", "sha": sha }));
            }
            paths.insert(file.path.clone(), name);
        }
        let tree_sha = self.create_object("/git/trees", &json!({ "tree": tree }))?;
        let commit = json!({
            "message": "mlci: charts for the report",
            "tree": tree_sha,
            "parents": parent.iter().collect::<Vec<_>>(),
        });
        let commit_sha = self.create_object("/git/commits", &commit)?;
        if parent.is_some() {
            self.move_ref(short, &commit_sha)?;
        } else {
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
                Err(ApiError::Status { status: 422, .. } | ApiError::Transport { .. }) => {
                    self.move_ref(short, &commit_sha)?;
                }
                Err(error) => return Err(error),
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

/// A pull request, as the API says it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// `head.sha`.
    pub head_sha: Option<Sha>,
    /// `head.ref`: the branch.
    pub head_ref: String,
    /// `head.repo.full_name` (`None` when the fork is gone).
    pub head_repository: Option<String>,
    /// `state` is `open`.
    pub open: bool,
}

/// The comments of one pull request, issue or commit on GitHub.
pub struct GitHubThread<'a> {
    github: &'a GitHub,
    thread: &'a Thread,
}

impl Conversation for GitHubThread<'_> {
    /// Every comment (100 a page).
    fn comments(&self) -> Result<Vec<Comment>, ApiError> {
        let (list, _, permission) = self.github.comment_paths(self.thread);
        let items = self
            .github
            .list(format!("{list}?per_page=100"), permission)?;
        Ok(items.iter().filter_map(comment_of).collect())
    }

    fn create(&self, body: &str) -> Result<Comment, ApiError> {
        let (list, _, permission) = self.github.comment_paths(self.thread);
        let reply = self.github.send(
            Method::POST,
            &list,
            Some(&json!({ "body": body })),
            Retry::Create,
            Some(permission),
        )?;
        comment_of(&reply.json).ok_or_else(|| not_a_comment("POST", list))
    }

    fn update(&self, id: u64, body: &str) -> Result<Comment, ApiError> {
        let (_, item, permission) = self.github.comment_paths(self.thread);
        let url = self.github.repo_path(&format!("{item}{id}"));
        let reply = self.github.send(
            Method::PATCH,
            &url,
            Some(&json!({ "body": body })),
            Retry::Idempotent,
            Some(permission),
        )?;
        comment_of(&reply.json).ok_or_else(|| not_a_comment("PATCH", url))
    }

    fn delete(&self, id: u64) -> Result<(), ApiError> {
        let (_, item, permission) = self.github.comment_paths(self.thread);
        let url = self.github.repo_path(&format!("{item}{id}"));
        match self.github.send(
            Method::DELETE,
            &url,
            None,
            Retry::Idempotent,
            Some(permission),
        ) {
            Ok(_) => Ok(()),
            // Already gone (the other racing run deleted it): nothing to do.
            Err(ApiError::Status { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

fn not_a_comment(method: &str, url: String) -> ApiError {
    ApiError::Transport {
        forge: Forge::GitHub,
        method: method.into(),
        url,
        message: "the answer is not a comment".into(),
    }
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

/// `::error` workflow commands, one per failure of the gate (`render::judgement::failures`):
/// GitHub shows them as annotations on the run and the pull request's checks.
pub fn annotations(failures: &[String]) -> Vec<String> {
    // Workflow command escaping: data `%`, CR, LF; properties also `:` and `,`. The legacy
    // prefix `##[` is broken too, so that no line mlci prints carries it.
    let data = |text: &str| {
        text.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
            .replace("##[", "##\\[")
    };
    let property = |text: &str| data(text).replace(':', "%3A").replace(',', "%2C");
    failures
        .iter()
        .map(|failure| format!("::error title={}::{}", property("mlci gate"), data(failure)))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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
