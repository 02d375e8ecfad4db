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
    /// `INPUT_*` variables of a container action, by input name (hyphens kept).
    pub inputs: BTreeMap<String, String>,
}

/// The parts of the event payload mlci uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Event {
    /// `pull_request` or `pull_request_target`.
    PullRequest {
        /// The pull request's number.
        number: u64,
        /// `pull_request.base.sha`.
        base_sha: String,
        /// `pull_request.head.sha` (not `GITHUB_SHA`, the test merge commit).
        head_sha: String,
        /// The head repository differs from the base one: the token is read-only.
        from_fork: bool,
    },
    /// `push`.
    Push {
        /// `before` (all zeros for a new branch).
        before: String,
        /// `after`, the pushed tip.
        after: String,
    },
    /// Anything else, or no payload.
    #[default]
    Other,
}

impl CiContext {
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
                    .map(|p| parse_event(&event_name, &p))
                    .unwrap_or_default(),
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
        let (token, token_is_workflow_token) = match (var(MLCI_TOKEN), var(GITHUB_TOKEN)) {
            (Some(token), _) => (Some(Secret::new(token)), false),
            (None, Some(token)) => (
                Some(Secret::new(token)),
                provider == Provider::GitHubActions,
            ),
            (None, None) => (None, false),
        };
        let trusted_workspace = match provider {
            Provider::GitHubActions => var(GITHUB_WORKSPACE).map(PathBuf::from),
            _ => None,
        };
        CiContext {
            provider,
            trusted_workspace,
            github,
            token,
            token_is_workflow_token,
        }
    }
}

/// Reads the event payload: pull request number, base and head commits, fork or not; or
/// the commits of a push.
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
            let base_repo = payload["repository"]["full_name"].as_str();
            Event::PullRequest {
                number,
                base_sha: text(&pr["base"]["sha"]),
                head_sha: text(&pr["head"]["sha"]),
                from_fork: matches!((head_repo, base_repo), (Some(h), Some(b)) if h != b),
            }
        }
        "push" => Event::Push {
            before: text(&payload["before"]),
            after: text(&payload["after"]),
        },
        _ => Event::Other,
    }
}

/// The machine a report was produced on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
                from_fork: true
            }
        );
        let push = serde_json::json!({"before": "1".repeat(40), "after": "2".repeat(40)});
        assert!(matches!(parse_event("push", &push), Event::Push { .. }));
    }
}
