//! The two forges behind one client: a post's requests go through `Client`, which knows
//! which forge it talks to; and what every post writes besides its comment (the step
//! summary, the step outputs).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::fail;
use crate::publish::Thread;
use crate::publish::github::GitHub;
use crate::publish::gitlab::GitLab;
use crate::publish::http::{Forge, Network};
use crate::publish::local;
use crate::publish::sticky::{Conversation, Posted};
use crate::publish::target::{Destination, Hosting, STEP_SUMMARY_LIMIT};
use crate::render::markdown::{self, Detail, Unit};
use crate::render::plots::Asset;

/// Network settings from the flags' seconds (bounded to what makes sense).
pub fn network(timeout: f64, deadline: f64) -> Network {
    let seconds = |s: f64| Duration::from_secs_f64(s.clamp(0.05, 3600.0));
    Network {
        request_timeout: seconds(timeout),
        deadline: seconds(deadline),
        ..Network::default()
    }
}

/// A forge's client.
pub(crate) enum Client {
    /// GitHub.
    GitHub(GitHub),
    /// GitLab.
    GitLab(GitLab),
}

impl Client {
    /// The client for `destination`, or why there is none (no token).
    pub(crate) fn new(destination: &Destination, network: Network) -> anyhow::Result<Client> {
        let Some(token) = destination.token.as_ref() else {
            return Err(match destination.forge {
                Forge::GitHub => fail(
                    "no GitHub token",
                    "pass --token, or set MLCI_TOKEN or GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`)",
                ),
                Forge::GitLab if destination.job_token_only => fail(
                    "only CI_JOB_TOKEN is available, and GitLab does not let a job token create notes or uploads",
                    "create a project access token (Settings > Access tokens, role Reporter, scope `api`) and add it as a masked CI/CD variable named GITLAB_TOKEN (Settings > CI/CD > Variables)",
                ),
                Forge::GitLab => fail(
                    "no GitLab token",
                    "set GITLAB_TOKEN (or MLCI_TOKEN) to a project access token with the `api` scope, as a masked CI/CD variable; or pass --token",
                ),
            });
        };
        Ok(match destination.forge {
            Forge::GitHub => Client::GitHub(GitHub::new(
                &destination.api_url,
                &destination.server_url,
                &destination.repository,
                token,
                network,
            )?),
            Forge::GitLab => Client::GitLab(GitLab::new(
                &destination.api_url,
                &destination.repository,
                &destination.project_url,
                token,
                network,
            )?),
        })
    }

    pub(crate) fn conversation<'a>(&'a self, thread: &'a Thread) -> Box<dyn Conversation + 'a> {
        match self {
            Client::GitHub(github) => Box::new(github.conversation(thread)),
            Client::GitLab(gitlab) => Box::new(gitlab.conversation(thread)),
        }
    }

    /// Hosts `assets` where the forge's readers can see them: each one's URL by its
    /// relative path; `None` when the hosting mode hosts nothing (mermaid, none).
    pub(crate) fn host(
        &self,
        assets: &[Asset],
        hosting: &Hosting,
        thread: &Thread,
    ) -> anyhow::Result<Option<BTreeMap<String, String>>> {
        Ok(match (self, hosting) {
            (_, Hosting::UrlTemplate(template)) => Some(
                assets
                    .iter()
                    .map(|a| (a.path.clone(), url_from_template(template, &a.path)))
                    .collect(),
            ),
            (_, Hosting::Relative | Hosting::Mermaid | Hosting::None) => None,
            (_, _) if assets.is_empty() => Some(BTreeMap::new()),
            (Client::GitHub(github), Hosting::GitRef(reference)) => {
                let reference = reference
                    .clone()
                    .unwrap_or_else(|| default_image_ref(thread));
                Some(github.host_files(assets, &reference)?)
            }
            (Client::GitLab(gitlab), Hosting::Upload) => Some(gitlab.upload(assets)?),
            (Client::GitHub(_), Hosting::Upload) => {
                return Err(fail(
                    "--images upload is GitLab's",
                    "on GitHub use --images git-ref (the default), mermaid or url-template",
                ));
            }
            (Client::GitLab(_), Hosting::GitRef(_)) => {
                return Err(fail(
                    "--images git-ref is GitHub's",
                    "on GitLab use --images upload (the default), mermaid or url-template",
                ));
            }
        })
    }

    /// The login the token posts as: known, else asked (GitLab), else unknown.
    pub(crate) fn login(&self, known: Option<&String>) -> Option<String> {
        if let Some(login) = known {
            return Some(login.clone());
        }
        let asked = match self {
            Client::GitHub(github) => github.current_user(),
            Client::GitLab(gitlab) => gitlab
                .current_user()
                .map(|name| Some(name).filter(|n| !n.is_empty())),
        };
        match asked {
            Ok(login) => login,
            Err(error) => {
                log::info!("cannot tell the token's login: {error}");
                None
            }
        }
    }

    pub(crate) fn transcript(&self) -> Vec<String> {
        match self {
            Client::GitHub(github) => github.transcript(),
            Client::GitLab(gitlab) => gitlab.transcript(),
        }
    }
}

pub(crate) fn log_posted(posted: &Posted) {
    match posted {
        Posted::Created(c) => log::info!("created {}", c.url),
        Posted::Updated(c) => log::info!("updated {}", c.url),
        Posted::Kept(c) => log::warn!(
            "kept {}: GitLab cannot edit commit comments, and this commit has its report already",
            c.url
        ),
        Posted::Skipped {
            comment,
            newer_head,
        } => log::warn!(
            "left {} as it is: it reports {}, a newer commit than this run's",
            comment.url,
            newer_head.short()
        ),
    }
}

/// `refs/mlci/pr-12`, `refs/mlci/commit-1a2b3c4`, `refs/mlci/issue-7`.
pub fn default_image_ref(thread: &Thread) -> String {
    match thread {
        Thread::PullRequest(n) => format!("refs/mlci/pr-{n}"),
        Thread::Issue(n) => format!("refs/mlci/issue-{n}"),
        Thread::Commit(sha) => format!("refs/mlci/commit-{sha}"),
    }
}

fn url_from_template(template: &str, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    template.replace("{path}", path).replace("{name}", name)
}

/// Appends the report to `$GITHUB_STEP_SUMMARY` (within its 1 MiB).
pub(crate) fn write_step_summary(
    destination: &Destination,
    render: &dyn Fn(Detail) -> String,
    changed: usize,
) -> anyhow::Result<()> {
    let Some(path) = &destination.step_summary else {
        return Ok(());
    };
    let (text, _) = markdown::fit(render, changed, STEP_SUMMARY_LIMIT, Unit::Bytes);
    local::append(path, &text)?;
    Ok(())
}

/// Appends the outputs to `$GITHUB_OUTPUT`, each in the heredoc form with a delimiter no
/// value can guess (`name<<ghadelimiter_RANDOM`), so no value (a comment URL from an API
/// answer, say) can end its own line and set another output.
pub(crate) fn write_outputs(
    destination: &Destination,
    outputs: &[(&str, String)],
) -> anyhow::Result<()> {
    let Some(path) = &destination.output else {
        return Ok(());
    };
    local::append(path, &output_lines(outputs))?;
    Ok(())
}

/// The text [`write_outputs`] appends.
fn output_lines(outputs: &[(&str, String)]) -> String {
    let mut text = String::new();
    for (name, value) in outputs {
        let delimiter = loop {
            let delimiter = format!("ghadelimiter_{}", random_hex());
            if !value.contains(&delimiter) {
                break delimiter;
            }
        };
        text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
    }
    text
}

/// 128 random bits as hex, from the standard library's per-process random hash keys.
fn random_hex() -> String {
    use std::hash::BuildHasher as _;
    let word = || std::collections::hash_map::RandomState::new().hash_one(std::process::id());
    format!("{:016x}{:016x}", word(), word())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_cannot_set_other_outputs() {
        let text = output_lines(&[
            ("comment-url", "https://x\nregressions=0".to_owned()),
            ("changed", "3".to_owned()),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 7, "{text}");
        let (name, delimiter) = lines[0].split_once("<<").unwrap();
        assert_eq!(name, "comment-url");
        assert!(delimiter.len() > 40);
        assert_eq!(lines[1..4], ["https://x", "regressions=0", delimiter]);
        assert!(lines[4].starts_with("changed<<ghadelimiter_"));
        assert_ne!(lines[4], lines[0].replace("comment-url", "changed"));
    }

    #[test]
    fn image_refs_and_templates() {
        assert_eq!(
            default_image_ref(&Thread::PullRequest(12)),
            "refs/mlci/pr-12"
        );
        assert_eq!(
            default_image_ref(&Thread::Commit(
                crate::sha::Sha::parse(&"a".repeat(40)).unwrap()
            )),
            format!("refs/mlci/commit-{}", "a".repeat(40))
        );
        assert_eq!(
            url_from_template("https://s3/r/{path}?n={name}", "plots/roc.png"),
            "https://s3/r/plots/roc.png?n=roc.png"
        );
    }
}
