//! The environment, read once: which CI we run in, the event that triggered it, and the
//! machine that produced the run.
//!
//! Every environment variable mlci reads is a constant here, and [`CiContext::from_env`] is
//! the only place that reads them (besides clap's `env =` on flags). Everything downstream
//! takes a `&CiContext`, so tests build one literally.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Set to `true` by GitHub Actions.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
/// The checkout in GitHub Actions (`/github/workspace` inside a container action).
pub const GITHUB_WORKSPACE: &str = "GITHUB_WORKSPACE";
/// `pull_request`, `pull_request_target`, `push`, `workflow_run`, ...
pub const GITHUB_EVENT_NAME: &str = "GITHUB_EVENT_NAME";
/// The event payload (JSON).
pub const GITHUB_EVENT_PATH: &str = "GITHUB_EVENT_PATH";
/// `owner/name`.
pub const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";
/// REST API root, `https://api.github.com` or `https://HOST/api/v3` on GitHub Enterprise
/// Server.
pub const GITHUB_API_URL: &str = "GITHUB_API_URL";
/// Web root, `https://github.com`.
pub const GITHUB_SERVER_URL: &str = "GITHUB_SERVER_URL";
/// The triggering commit (for a pull request: the test merge commit, not its head).
pub const GITHUB_SHA: &str = "GITHUB_SHA";
/// The workflow run, for links.
pub const GITHUB_RUN_ID: &str = "GITHUB_RUN_ID";
/// Markdown appended here shows on the run's summary page.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";
/// `name=value` lines appended here become step outputs.
pub const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";
/// The workflow's token, when the workflow passes it.
pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
/// A token for mlci (takes precedence over the forge's own variables).
pub const MLCI_TOKEN: &str = "MLCI_TOKEN";
/// Set to `true` by GitLab CI.
pub const GITLAB_CI: &str = "GITLAB_CI";
/// GitLab's REST root, `https://gitlab.example.com/api/v4` (a sub-path on some instances).
pub const CI_API_V4_URL: &str = "CI_API_V4_URL";
/// GitLab's web root.
pub const CI_SERVER_URL: &str = "CI_SERVER_URL";
/// The project's numeric id.
pub const CI_PROJECT_ID: &str = "CI_PROJECT_ID";
/// `namespace/project`.
pub const CI_PROJECT_PATH: &str = "CI_PROJECT_PATH";
/// The project's web page.
pub const CI_PROJECT_URL: &str = "CI_PROJECT_URL";
/// The merge request's number (`!N`), in merge request pipelines.
pub const CI_MERGE_REQUEST_IID: &str = "CI_MERGE_REQUEST_IID";
/// The merge request diff's base: the merge-base of source and target.
pub const CI_MERGE_REQUEST_DIFF_BASE_SHA: &str = "CI_MERGE_REQUEST_DIFF_BASE_SHA";
/// The source branch's head, in merged-results pipelines only.
pub const CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: &str = "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA";
/// The merge request's target project.
pub const CI_MERGE_REQUEST_PROJECT_ID: &str = "CI_MERGE_REQUEST_PROJECT_ID";
/// The merge request's source project (differs for a fork).
pub const CI_MERGE_REQUEST_SOURCE_PROJECT_ID: &str = "CI_MERGE_REQUEST_SOURCE_PROJECT_ID";
/// The checkout, in GitLab CI.
pub const CI_PROJECT_DIR: &str = "CI_PROJECT_DIR";
/// The commit the pipeline builds (a temporary merge commit in merged-results pipelines).
pub const CI_COMMIT_SHA: &str = "CI_COMMIT_SHA";
/// The previous tip of the branch; all zeros in merge request pipelines, schedules, manual
/// runs, tag pipelines and the first push of a branch.
pub const CI_COMMIT_BEFORE_SHA: &str = "CI_COMMIT_BEFORE_SHA";
/// The branch a branch pipeline runs for (absent in merge request and tag pipelines).
pub const CI_COMMIT_BRANCH: &str = "CI_COMMIT_BRANCH";
/// The tag a tag pipeline runs for.
pub const CI_COMMIT_TAG: &str = "CI_COMMIT_TAG";
/// The project's default branch.
pub const CI_DEFAULT_BRANCH: &str = "CI_DEFAULT_BRANCH";
/// The job token: it cannot create notes or uploads.
pub const CI_JOB_TOKEN: &str = "CI_JOB_TOKEN";
/// A GitLab access token with the `api` scope (a masked CI/CD variable).
pub const GITLAB_TOKEN: &str = "GITLAB_TOKEN";
/// Set by most CI systems.
pub const CI: &str = "CI";

/// The login GitHub gives comments made with a workflow's `GITHUB_TOKEN`.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// A secret that never prints: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Secret::new(value))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What mlci knows about where it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiContext {
    /// The CI system, if any.
    pub provider: Provider,
    /// A directory git must trust although another user owns it (the workspace of a
    /// container action); passed to git per command, never written to a config file.
    pub trusted_workspace: Option<PathBuf>,
    /// GitHub Actions' variables and event, when running there.
    pub github: Option<GitHubEnv>,
    /// GitLab CI's variables, when running there.
    pub gitlab: Option<GitLabEnv>,
    /// `MLCI_TOKEN`, else the forge's token variable.
    pub token: Option<Secret>,
    /// Whether the token came from the workflow's own `GITHUB_TOKEN`.
    pub token_is_workflow_token: bool,
}

/// The CI system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Provider {
    /// A laptop, or a CI system mlci has no integration for.
    #[default]
    Local,
    /// GitHub Actions.
    GitHubActions,
    /// GitLab CI.
    GitLab,
}

/// GitHub Actions' environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitHubEnv {
    /// `GITHUB_EVENT_NAME`.
    pub event_name: String,
    /// `GITHUB_REPOSITORY` (`owner/name`).
    pub repository: String,
    /// `GITHUB_API_URL`.
    pub api_url: String,
    /// `GITHUB_SERVER_URL`.
    pub server_url: String,
    /// `GITHUB_SHA`.
    pub sha: String,
    /// `GITHUB_RUN_ID`.
    pub run_id: String,
    /// `GITHUB_STEP_SUMMARY`.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`.
    pub output: Option<PathBuf>,
    /// What the event payload says.
    pub event: Event,
    /// `repository.default_branch` of the event payload: a shallow checkout has no
    /// `origin/HEAD` to tell.
    pub default_branch: Option<String>,
    /// `INPUT_*` variables of a container action, by input name (hyphens kept).
    pub inputs: BTreeMap<String, String>,
}

/// GitLab CI's environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitLabEnv {
    /// `CI_API_V4_URL`.
    pub api_url: String,
    /// `CI_SERVER_URL`.
    pub server_url: String,
    /// `CI_PROJECT_ID`.
    pub project_id: String,
    /// `CI_PROJECT_PATH`.
    pub project_path: String,
    /// `CI_PROJECT_URL`.
    pub project_url: String,
    /// `CI_COMMIT_SHA`.
    pub commit_sha: String,
    /// What the pipeline is for, in the terms [`Event`] shares with GitHub: a merge request
    /// (its iid, the diff's base, the source branch's head, fork or not) or a push.
    pub event: Event,
    /// `CI_DEFAULT_BRANCH`.
    pub default_branch: Option<String>,
    /// Only `CI_JOB_TOKEN` is there: nothing can be posted with it.
    pub job_token_only: bool,
}

/// The parts of the event payload mlci uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Event {
    /// `pull_request` or `pull_request_target` (GitHub); a merge request pipeline (GitLab).
    PullRequest {
        /// The pull request's number.
        number: u64,
        /// `pull_request.base.sha`.
        base_sha: String,
        /// `pull_request.head.sha` (not `GITHUB_SHA`, the test merge commit).
        head_sha: String,
        /// `pull_request_target`: the job runs with the base repository's token and secrets,
        /// whoever wrote the head.
        target: bool,
        /// The head repository differs from the base one, or is gone (a deleted fork).
        from_fork: bool,
        /// `action: closed` (merged or not): there is nothing left to report on.
        closed: bool,
    },
    /// `push` (GitHub); a branch, tag, scheduled or manual pipeline (GitLab).
    Push {
        /// `before`: all zeros for a new branch or tag (and, on GitLab, for schedules and
        /// manual runs).
        before: String,
        /// `after`, the pushed tip; all zeros when the push deleted the ref.
        after: String,
        /// `ref`: `refs/heads/NAME` or `refs/tags/NAME` (empty when unknown).
        reference: String,
        /// `deleted`: the push removed the branch or tag.
        deleted: bool,
    },
    /// `merge_group`: the merge queue tests a commit of the target branch with the queued
    /// pull requests merged in.
    MergeGroup {
        /// `merge_group.base_sha`: the commit the group is merged onto.
        base_sha: String,
        /// `merge_group.head_sha`: the commit the queue tests (`GITHUB_SHA`).
        head_sha: String,
    },
    /// `workflow_run`: a run of another workflow finished (the fork recipe's publishing job).
    WorkflowRun(WorkflowRun),
    /// Anything else, or no payload.
    #[default]
    Other,
}

impl Event {
    /// The head commit the event is about: a pull request's head (not its merge commit),
    /// a merge group's, the pushed tip.
    pub fn head_sha(&self) -> Option<String> {
        match self {
            Event::PullRequest { head_sha, .. } | Event::MergeGroup { head_sha, .. }
                if !head_sha.is_empty() =>
            {
                Some(head_sha.clone())
            }
            Event::Push { after, .. } if !after.is_empty() && !is_zero_sha(after) => {
                Some(after.clone())
            }
            _ => None,
        }
    }

    /// Why this event has nothing to report, if it has not: a closed pull request, a push
    /// that deleted its branch or tag.
    pub fn nothing_to_report(&self) -> Option<String> {
        match self {
            Event::PullRequest {
                number,
                closed: true,
                ..
            } => Some(format!(
                "pull request #{number} is closed: nothing to report, nothing posted"
            )),
            Event::Push {
                after,
                reference,
                deleted,
                ..
            } if *deleted || is_zero_sha(after) => Some(format!(
                "the push deleted {}: nothing to report, nothing posted",
                if reference.is_empty() {
                    "its ref".to_owned()
                } else {
                    format!("`{reference}`")
                }
            )),
            _ => None,
        }
    }

    /// The branch a push is for (`refs/heads/NAME`), if it is one.
    pub fn pushed_branch(&self) -> Option<&str> {
        match self {
            Event::Push { reference, .. } => reference.strip_prefix("refs/heads/"),
            _ => None,
        }
    }

    /// Whether the push is of a tag.
    pub fn is_tag_push(&self) -> bool {
        matches!(self, Event::Push { reference, .. } if reference.starts_with("refs/tags/"))
    }

    /// Whether the head's files come from someone the workflow does not trust: a fork's
    /// pull request, or any `pull_request_target` run (its checkout of the head is the
    /// workflow's choice, made with a token that can write).
    pub fn untrusted_head(&self) -> bool {
        matches!(
            self,
            Event::PullRequest { target: true, .. }
                | Event::PullRequest {
                    from_fork: true,
                    ..
                }
        )
    }
}

/// A workflow run, as the event or the API describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowRun {
    /// `id`.
    pub id: u64,
    /// `head_sha`: the commit the run tested.
    pub head_sha: String,
    /// `head_branch`.
    pub head_branch: String,
    /// `head_repository.full_name`.
    pub head_repository: Option<String>,
    /// `pull_requests[].number` (empty for a fork's pull request).
    pub pull_requests: Vec<u64>,
    /// `event`: what triggered the run (`pull_request`, ...).
    pub event: String,
}

impl WorkflowRun {
    /// From a `workflow_run` object (the event's or the API's).
    pub fn from_json(run: &serde_json::Value) -> WorkflowRun {
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
        WorkflowRun {
            id: run["id"].as_u64().unwrap_or(0),
            head_sha: text(&run["head_sha"]),
            head_branch: text(&run["head_branch"]),
            head_repository: run["head_repository"]["full_name"]
                .as_str()
                .map(str::to_owned),
            pull_requests: run["pull_requests"]
                .as_array()
                .map(|prs| prs.iter().filter_map(|p| p["number"].as_u64()).collect())
                .unwrap_or_default(),
            event: text(&run["event"]),
        }
    }
}

/// Whether `sha` is git's null object name (40 or 64 zeros): "no commit", as events say
/// for the `before` of a new ref or the `after` of a deleted one.
pub fn is_zero_sha(sha: &str) -> bool {
    (sha.len() == 40 || sha.len() == 64) && sha.bytes().all(|b| b == b'0')
}

impl CiContext {
    /// The repository's default branch as the CI names it (`repository.default_branch` of
    /// the GitHub event, `CI_DEFAULT_BRANCH` on GitLab).
    pub fn default_branch(&self) -> Option<&str> {
        self.github
            .as_ref()
            .and_then(|g| g.default_branch.as_deref())
            .or_else(|| {
                self.gitlab
                    .as_ref()
                    .and_then(|g| g.default_branch.as_deref())
            })
    }

    /// Reads the environment (and the GitHub event payload file).
    pub fn from_env() -> CiContext {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let is_true = |name: &str| var(name).is_some_and(|v| v == "true");
        let provider = if is_true(GITHUB_ACTIONS) {
            Provider::GitHubActions
        } else if is_true(GITLAB_CI) {
            Provider::GitLab
        } else {
            Provider::Local
        };
        let github = (provider == Provider::GitHubActions).then(|| {
            let event_name = var(GITHUB_EVENT_NAME).unwrap_or_default();
            let payload = var(GITHUB_EVENT_PATH)
                .and_then(|path| std::fs::read(path).ok())
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
            GitHubEnv {
                event: payload
                    .as_ref()
                    .map(|p| parse_event(&event_name, p))
                    .unwrap_or_default(),
                default_branch: payload.as_ref().and_then(parse_default_branch),
                event_name,
                repository: var(GITHUB_REPOSITORY).unwrap_or_default(),
                api_url: var(GITHUB_API_URL).unwrap_or_else(|| "https://api.github.com".into()),
                server_url: var(GITHUB_SERVER_URL).unwrap_or_else(|| "https://github.com".into()),
                sha: var(GITHUB_SHA).unwrap_or_default(),
                run_id: var(GITHUB_RUN_ID).unwrap_or_default(),
                step_summary: var(GITHUB_STEP_SUMMARY).map(PathBuf::from),
                output: var(GITHUB_OUTPUT).map(PathBuf::from),
                inputs: std::env::vars()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("INPUT_")
                            .map(|name| (name.to_ascii_lowercase(), v))
                    })
                    .collect(),
            }
        });
        let gitlab = (provider == Provider::GitLab).then(|| gitlab_env(&var));
        let forge_token = match provider {
            Provider::GitLab => var(GITLAB_TOKEN),
            _ => var(GITHUB_TOKEN),
        };
        let (token, token_is_workflow_token) = match (var(MLCI_TOKEN), forge_token) {
            (Some(token), _) => (Some(Secret::new(token)), false),
            (None, Some(token)) => (
                Some(Secret::new(token)),
                provider == Provider::GitHubActions,
            ),
            (None, None) => (None, false),
        };
        let gitlab = gitlab.map(|mut g| {
            g.job_token_only = token.is_none() && var(CI_JOB_TOKEN).is_some();
            g
        });
        // The checkout belongs to another user inside a container (GitHub's runner user, or
        // root for GitLab's clone when the image runs as a non-root user).
        let trusted_workspace = match provider {
            Provider::GitHubActions => var(GITHUB_WORKSPACE).map(PathBuf::from),
            Provider::GitLab => var(CI_PROJECT_DIR).map(PathBuf::from),
            Provider::Local => None,
        };
        CiContext {
            provider,
            trusted_workspace,
            github,
            gitlab,
            token,
            token_is_workflow_token,
        }
    }
}

/// GitLab CI's variables (`var` reads one, empty as absent).
pub fn gitlab_env(var: &dyn Fn(&str) -> Option<String>) -> GitLabEnv {
    let get = |name: &str| var(name).unwrap_or_default();
    let commit_sha = get(CI_COMMIT_SHA);
    let event = match var(CI_MERGE_REQUEST_IID).and_then(|n| n.parse::<u64>().ok()) {
        Some(number) => Event::PullRequest {
            number,
            base_sha: get(CI_MERGE_REQUEST_DIFF_BASE_SHA),
            // In merged-results pipelines CI_COMMIT_SHA is a temporary merge commit.
            head_sha: var(CI_MERGE_REQUEST_SOURCE_BRANCH_SHA).unwrap_or_else(|| commit_sha.clone()),
            target: false,
            from_fork: matches!(
                (var(CI_MERGE_REQUEST_SOURCE_PROJECT_ID), var(CI_MERGE_REQUEST_PROJECT_ID)),
                (Some(source), Some(target)) if source != target
            ),
            // Merge request pipelines do not run for closed merge requests.
            closed: false,
        },
        None => Event::Push {
            before: get(CI_COMMIT_BEFORE_SHA),
            after: commit_sha.clone(),
            reference: match (var(CI_COMMIT_TAG), var(CI_COMMIT_BRANCH)) {
                (Some(tag), _) => format!("refs/tags/{tag}"),
                (None, Some(branch)) => format!("refs/heads/{branch}"),
                (None, None) => String::new(),
            },
            // GitLab runs no pipeline for a deleted branch.
            deleted: false,
        },
    };
    let api_url = var(CI_API_V4_URL).unwrap_or_else(|| "https://gitlab.com/api/v4".into());
    let server_url = var(CI_SERVER_URL).unwrap_or_else(|| {
        api_url
            .trim_end_matches('/')
            .trim_end_matches("/api/v4")
            .to_owned()
    });
    GitLabEnv {
        project_url: var(CI_PROJECT_URL).unwrap_or_else(|| {
            format!(
                "{}/{}",
                server_url.trim_end_matches('/'),
                get(CI_PROJECT_PATH)
            )
        }),
        api_url,
        server_url,
        project_id: get(CI_PROJECT_ID),
        project_path: get(CI_PROJECT_PATH),
        commit_sha,
        event,
        default_branch: var(CI_DEFAULT_BRANCH),
        job_token_only: false,
    }
}

/// `repository.default_branch` of an event payload.
pub fn parse_default_branch(payload: &serde_json::Value) -> Option<String> {
    payload["repository"]["default_branch"]
        .as_str()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// Reads the event payload: pull request number, base and head commits, fork or not,
/// closed or not; the commits and ref of a push; a merge group's base and head.
pub fn parse_event(name: &str, payload: &serde_json::Value) -> Event {
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    match name {
        "pull_request" | "pull_request_target" => {
            let pr = &payload["pull_request"];
            let number = pr["number"]
                .as_u64()
                .or_else(|| payload["number"].as_u64())
                .unwrap_or(0);
            let head_repo = pr["head"]["repo"]["full_name"].as_str();
            let base_repo = pr["base"]["repo"]["full_name"]
                .as_str()
                .or_else(|| payload["repository"]["full_name"].as_str());
            Event::PullRequest {
                number,
                base_sha: text(&pr["base"]["sha"]),
                head_sha: text(&pr["head"]["sha"]),
                target: name == "pull_request_target",
                // A deleted fork leaves `head.repo` null: its head is still a stranger's.
                from_fork: head_repo.is_none() || head_repo != base_repo,
                closed: payload["action"] == "closed",
            }
        }
        "workflow_run" => Event::WorkflowRun(WorkflowRun::from_json(&payload["workflow_run"])),
        "push" => Event::Push {
            before: text(&payload["before"]),
            after: text(&payload["after"]),
            reference: text(&payload["ref"]),
            deleted: payload["deleted"].as_bool().unwrap_or(false),
        },
        "merge_group" => Event::MergeGroup {
            base_sha: text(&payload["merge_group"]["base_sha"]),
            head_sha: text(&payload["merge_group"]["head_sha"]),
        },
        _ => Event::Other,
    }
}

/// The machine a report was produced on.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Machine {
    /// Operating system, version and architecture.
    pub os: String,
    /// CPU model.
    pub cpu: Option<String>,
    /// Logical CPUs available to this process.
    pub cpus: usize,
    /// Total memory in bytes.
    pub memory: Option<u64>,
    /// GPUs as `nvidia-smi` lists them.
    pub gpus: Vec<String>,
}

impl Machine {
    /// Reads `/etc/os-release`, `/proc/cpuinfo`, `/proc/meminfo` and `nvidia-smi` when present.
    /// Only the report shows the machine, so only it pays for this.
    pub fn detect() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let os_release = read("/etc/os-release");
        let pretty = os_release
            .lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME="))
            .map(|name| name.trim_matches('"').to_owned());
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
        let mut os = pretty.unwrap_or_else(|| std::env::consts::OS.to_owned());
        if !kernel.is_empty() {
            os.push_str(&format!(", kernel {kernel}"));
        }
        os.push_str(&format!(", {}", std::env::consts::ARCH));
        let cpu = read("/proc/cpuinfo").lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        });
        let memory = read("/proc/meminfo").lines().find_map(|line| {
            let kib: u64 = line
                .strip_prefix("MemTotal:")?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(kib * 1024)
        });
        Machine {
            os,
            cpu,
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            memory,
            gpus: nvidia_gpus(),
        }
    }
}

fn nvidia_gpus() -> Vec<String> {
    let output = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=name,memory.total,driver_version",
            "--format=csv,noheader",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                let parts: Vec<&str> = line.split(',').map(str::trim).collect();
                match parts.as_slice() {
                    [name, memory, driver] => format!("{name} ({memory}, driver {driver})"),
                    _ => line.trim().to_owned(),
                }
            })
            .filter(|line| !line.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("ghp_abcdef");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "ghp_abcdef");
    }

    #[test]
    fn pull_request_events_name_the_head_not_the_merge_commit() {
        let payload = serde_json::json!({
            "number": 7,
            "pull_request": {
                "number": 7,
                "base": {"sha": "b".repeat(40)},
                "head": {"sha": "h".repeat(40), "repo": {"full_name": "fork/repo"}}
            },
            "repository": {"full_name": "owner/repo"}
        });
        assert_eq!(
            parse_event("pull_request", &payload),
            Event::PullRequest {
                number: 7,
                base_sha: "b".repeat(40),
                head_sha: "h".repeat(40),
                target: false,
                from_fork: true,
                closed: false,
            }
        );
        assert!(parse_event("pull_request", &payload).untrusted_head());
        // A deleted fork: `head.repo` is null.
        let mut deleted = payload.clone();
        deleted["pull_request"]["head"]["repo"] = serde_json::Value::Null;
        assert!(matches!(
            parse_event("pull_request", &deleted),
            Event::PullRequest {
                from_fork: true,
                ..
            }
        ));
        // pull_request_target from the same repository: still a head the job must not run.
        let mut same = payload.clone();
        same["pull_request"]["head"]["repo"]["full_name"] = "owner/repo".into();
        let target = parse_event("pull_request_target", &same);
        assert!(matches!(
            target,
            Event::PullRequest {
                target: true,
                from_fork: false,
                ..
            }
        ));
        assert!(target.untrusted_head());
        assert!(!parse_event("pull_request", &same).untrusted_head());
        let push = serde_json::json!({"before": "1".repeat(40), "after": "2".repeat(40)});
        assert!(matches!(parse_event("push", &push), Event::Push { .. }));
    }

    #[test]
    fn gitlab_merge_request_pipelines_name_the_source_head_and_the_diff_base() {
        let vars: BTreeMap<&str, &str> = [
            (CI_API_V4_URL, "https://host/gitlab/api/v4"),
            (CI_PROJECT_ID, "42"),
            (CI_PROJECT_PATH, "group/model"),
            (CI_MERGE_REQUEST_IID, "12"),
            (CI_MERGE_REQUEST_DIFF_BASE_SHA, "b"),
            (CI_COMMIT_SHA, "merge"),
            (CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, "h"),
            (CI_MERGE_REQUEST_PROJECT_ID, "42"),
            (CI_MERGE_REQUEST_SOURCE_PROJECT_ID, "77"),
        ]
        .into();
        let env = gitlab_env(&|name| vars.get(name).map(|v| (*v).to_owned()));
        assert_eq!(
            env.event,
            Event::PullRequest {
                number: 12,
                base_sha: "b".into(),
                head_sha: "h".into(),
                target: false,
                from_fork: true,
                closed: false,
            }
        );
        // A sub-path instance: the web root is the API root without /api/v4.
        assert_eq!(env.server_url, "https://host/gitlab");
        assert_eq!(env.project_url, "https://host/gitlab/group/model");
        let branch: BTreeMap<&str, &str> = [
            (CI_COMMIT_SHA, "c"),
            (CI_COMMIT_BEFORE_SHA, "p"),
            (CI_COMMIT_BRANCH, "feature"),
            (CI_DEFAULT_BRANCH, "trunk"),
        ]
        .into();
        let env = gitlab_env(&|name| branch.get(name).map(|v| (*v).to_owned()));
        assert_eq!(
            env.event,
            Event::Push {
                before: "p".into(),
                after: "c".into(),
                reference: "refs/heads/feature".into(),
                deleted: false,
            }
        );
        assert_eq!(env.default_branch.as_deref(), Some("trunk"));
        assert_eq!(env.event.pushed_branch(), Some("feature"));
        let tag: BTreeMap<&str, &str> = [(CI_COMMIT_SHA, "c"), (CI_COMMIT_TAG, "v1.0")].into();
        let env = gitlab_env(&|name| tag.get(name).map(|v| (*v).to_owned()));
        assert!(env.event.is_tag_push());
        assert_eq!(env.default_branch, None);
    }

    #[test]
    fn closed_pull_requests_and_deleted_refs_have_nothing_to_report() {
        let pr = |action: &str| {
            serde_json::json!({
                "action": action,
                "number": 2,
                "pull_request": {"number": 2, "base": {"sha": "b"}, "head": {"sha": "h", "repo": {"full_name": "o/r"}}},
                "repository": {"full_name": "o/r", "default_branch": "master"}
            })
        };
        assert!(
            parse_event("pull_request", &pr("closed"))
                .nothing_to_report()
                .unwrap()
                .contains("#2 is closed")
        );
        for action in ["opened", "synchronize", "reopened", "edited", "labeled"] {
            assert_eq!(
                parse_event("pull_request", &pr(action)).nothing_to_report(),
                None
            );
        }
        assert_eq!(
            parse_default_branch(&pr("opened")).as_deref(),
            Some("master")
        );
        let zeros = "0".repeat(40);
        let deleted = serde_json::json!({"ref": "refs/tags/v1", "before": "1".repeat(40), "after": zeros, "deleted": true});
        let event = parse_event("push", &deleted);
        assert!(event.is_tag_push());
        assert!(
            event
                .nothing_to_report()
                .unwrap()
                .contains("`refs/tags/v1`")
        );
        // `after` all zeros says the same without the flag.
        let unflagged =
            serde_json::json!({"ref": "refs/heads/x", "before": "1".repeat(40), "after": zeros});
        assert!(
            parse_event("push", &unflagged)
                .nothing_to_report()
                .is_some()
        );
        let created = serde_json::json!({"ref": "refs/heads/x", "before": zeros, "after": "2".repeat(40), "created": true});
        let event = parse_event("push", &created);
        assert_eq!(event.nothing_to_report(), None);
        assert_eq!(event.pushed_branch(), Some("x"));
        assert!(is_zero_sha(&zeros) && !is_zero_sha("0") && !is_zero_sha(&"1".repeat(40)));
        let group = serde_json::json!({"merge_group": {"base_sha": "b", "head_sha": "h"}});
        assert_eq!(
            parse_event("merge_group", &group),
            Event::MergeGroup {
                base_sha: "b".into(),
                head_sha: "h".into()
            }
        );
    }
}
