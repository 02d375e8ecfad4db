//! The environment, read once: which CI we run in, the event that triggered it, and the
//! machine that produced the run.
//!
//! Every environment variable mlci reads is a constant here, and [`CiContext::from_env`] is
//! the only place that reads them (besides clap's `env =` on flags). Everything downstream
//! takes a `&CiContext`, so tests build one literally.

pub mod event;
pub mod machine;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub use event::{Event, WorkflowRun, parse_event};
pub use machine::Machine;

use crate::sha::Sha;

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
    /// `GITHUB_REPOSITORY` (`owner/name`).
    pub repository: String,
    /// `GITHUB_API_URL`.
    pub api_url: String,
    /// `GITHUB_SERVER_URL`.
    pub server_url: String,
    /// `GITHUB_SHA`.
    pub sha: Option<Sha>,
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
    pub commit_sha: Option<Sha>,
    /// What the pipeline is for, in the terms [`Event`] shares with GitHub: a merge request
    /// (its iid, the diff's base, the source branch's head, fork or not) or a push.
    pub event: Event,
    /// `CI_DEFAULT_BRANCH`.
    pub default_branch: Option<String>,
    /// Only `CI_JOB_TOKEN` is there: nothing can be posted with it.
    pub job_token_only: bool,
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
                repository: var(GITHUB_REPOSITORY).unwrap_or_default(),
                api_url: var(GITHUB_API_URL).unwrap_or_else(|| "https://api.github.com".into()),
                server_url: var(GITHUB_SERVER_URL).unwrap_or_else(|| "https://github.com".into()),
                sha: var(GITHUB_SHA).as_deref().and_then(Sha::parse),
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
    let sha = |name: &str| var(name).as_deref().and_then(Sha::parse);
    let commit_sha = sha(CI_COMMIT_SHA);
    let event = match var(CI_MERGE_REQUEST_IID).and_then(|n| n.parse::<u64>().ok()) {
        Some(number) => Event::PullRequest {
            number,
            base_sha: sha(CI_MERGE_REQUEST_DIFF_BASE_SHA),
            // In merged-results pipelines CI_COMMIT_SHA is a temporary merge commit.
            head_sha: sha(CI_MERGE_REQUEST_SOURCE_BRANCH_SHA).or_else(|| commit_sha.clone()),
            target: false,
            from_fork: matches!(
                (var(CI_MERGE_REQUEST_SOURCE_PROJECT_ID), var(CI_MERGE_REQUEST_PROJECT_ID)),
                (Some(source), Some(target)) if source != target
            ),
            // Merge request pipelines do not run for closed merge requests.
            closed: false,
        },
        None => Event::Push {
            before: sha(CI_COMMIT_BEFORE_SHA),
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

#[cfg(test)]
mod tests {
    use super::*;

    const B40: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
    const H40: &str = "e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1";
    const M40: &str = "3333333333333333333333333333333333333333";

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("ghp_abcdef");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "ghp_abcdef");
    }

    #[test]
    fn gitlab_merge_request_pipelines_name_the_source_head_and_the_diff_base() {
        let vars: BTreeMap<&str, &str> = [
            (CI_API_V4_URL, "https://host/gitlab/api/v4"),
            (CI_PROJECT_ID, "42"),
            (CI_PROJECT_PATH, "group/model"),
            (CI_MERGE_REQUEST_IID, "12"),
            (CI_MERGE_REQUEST_DIFF_BASE_SHA, B40),
            (CI_COMMIT_SHA, M40),
            (CI_MERGE_REQUEST_SOURCE_BRANCH_SHA, H40),
            (CI_MERGE_REQUEST_PROJECT_ID, "42"),
            (CI_MERGE_REQUEST_SOURCE_PROJECT_ID, "77"),
        ]
        .into();
        let env = gitlab_env(&|name| vars.get(name).map(|v| (*v).to_owned()));
        assert_eq!(
            env.event,
            Event::PullRequest {
                number: 12,
                base_sha: Sha::parse(B40),
                head_sha: Sha::parse(H40),
                target: false,
                from_fork: true,
                closed: false,
            }
        );
        // A sub-path instance: the web root is the API root without /api/v4.
        assert_eq!(env.server_url, "https://host/gitlab");
        assert_eq!(env.project_url, "https://host/gitlab/group/model");
        let branch: BTreeMap<&str, &str> = [
            (CI_COMMIT_SHA, H40),
            (CI_COMMIT_BEFORE_SHA, B40),
            (CI_COMMIT_BRANCH, "feature"),
            (CI_DEFAULT_BRANCH, "trunk"),
        ]
        .into();
        let env = gitlab_env(&|name| branch.get(name).map(|v| (*v).to_owned()));
        assert_eq!(
            env.event,
            Event::Push {
                before: Sha::parse(B40),
                after: Sha::parse(H40),
                reference: "refs/heads/feature".into(),
                deleted: false,
            }
        );
        assert_eq!(env.default_branch.as_deref(), Some("trunk"));
        assert_eq!(env.event.pushed_branch(), Some("feature"));
        let tag: BTreeMap<&str, &str> = [(CI_COMMIT_SHA, H40), (CI_COMMIT_TAG, "v1.0")].into();
        let env = gitlab_env(&|name| tag.get(name).map(|v| (*v).to_owned()));
        assert!(env.event.is_tag_push());
        assert_eq!(env.default_branch, None);
    }
}
