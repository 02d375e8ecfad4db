//! Where a report goes on a forge, from the flags and the CI environment: the forge, the
//! repository, the conversation, the token, and how charts are hosted there.

use crate::ci::{ACTIONS_BOT, CiContext, Event, Provider};
use crate::cli::{ForgeArg, ImagesArg, PostArgs};
use crate::fail;
use crate::publish::Thread;
use crate::publish::http::Forge;
use crate::publish::target::{Destination, Hosting};
use crate::render::escape;
use crate::sha::Sha;

/// Where the report goes, from the flags and the CI environment; `None` when nothing says
/// (a laptop without `--repo`).
pub fn resolve(ci: &CiContext, post: &PostArgs) -> anyhow::Result<Option<Destination>> {
    let forge = match post.forge {
        Some(ForgeArg::Github) => Forge::GitHub,
        Some(ForgeArg::Gitlab) => Forge::GitLab,
        None if ci.provider == Provider::GitLab => Forge::GitLab,
        None => Forge::GitHub,
    };
    match forge {
        Forge::GitHub => github_destination(ci, post),
        Forge::GitLab => gitlab_destination(ci, post),
    }
}

/// The conversation, and the event that still applies to it: `--pr`, `--commit` (which
/// makes the event irrelevant), else the event's pull request, pushed commit or merge group
/// head (a commit comment: a merge group may hold several pull requests, each with its own
/// report, and the commit it tests is the one that lands on the target branch), else
/// `fallback_commit`.
fn thread(
    post: &PostArgs,
    event: Event,
    fallback_commit: Option<Sha>,
    repository: &str,
) -> anyhow::Result<(Thread, Event)> {
    let thread = match (post.pr, &post.commit, &event) {
        (Some(n), _, _) => Thread::PullRequest(n),
        (None, Some(sha), _) => return Ok((Thread::Commit(sha.clone()), Event::Other)),
        (None, None, Event::PullRequest { number, .. }) => Thread::PullRequest(*number),
        (
            None,
            None,
            Event::Push {
                after: Some(sha), ..
            }
            | Event::MergeGroup {
                head_sha: Some(sha),
                ..
            },
        ) => Thread::Commit(sha.clone()),
        (None, None, _) => match fallback_commit {
            Some(sha) => Thread::Commit(sha),
            None => {
                return Err(fail(
                    format!("nothing to comment on in {repository}"),
                    "pass --pr N or --commit SHA",
                ));
            }
        },
    };
    Ok((thread, event))
}

fn github_destination(ci: &CiContext, post: &PostArgs) -> anyhow::Result<Option<Destination>> {
    let github = ci.github.as_ref();
    let repository = post.repo.clone().or_else(|| {
        github
            .map(|g| g.repository.clone())
            .filter(|r| !r.is_empty())
    });
    let Some(repository) = repository else {
        return Ok(None);
    };
    let event = github.map(|g| g.event.clone()).unwrap_or_default();
    let fallback = github.and_then(|g| g.sha.clone());
    let (thread, event) = thread(post, event, fallback, &repository)?;
    let token = post.token.clone().or_else(|| ci.token.clone());
    let workflow_token = post.token.is_none() && ci.token_is_workflow_token;
    let api_url = post
        .github_api_url
        .clone()
        .or_else(|| github.map(|g| g.api_url.clone()))
        .unwrap_or_else(|| "https://api.github.com".to_owned());
    let server_url = post
        .github_server_url
        .clone()
        .or_else(|| github.map(|g| g.server_url.clone()))
        .unwrap_or_else(|| "https://github.com".to_owned());
    let run_url = github.filter(|g| !g.run_id.is_empty()).map(|g| {
        format!(
            "{}/{}/actions/runs/{}",
            server_url.trim_end_matches('/'),
            repository,
            g.run_id
        )
    });
    Ok(Some(Destination {
        forge: Forge::GitHub,
        api_url,
        project_url: String::new(),
        server_url,
        repository,
        thread,
        event,
        token,
        job_token_only: false,
        login: post
            .author
            .clone()
            .or_else(|| workflow_token.then(|| ACTIONS_BOT.to_owned())),
        run_url,
        step_summary: github.and_then(|g| g.step_summary.clone()),
        output: github.and_then(|g| g.output.clone()),
    }))
}

fn gitlab_destination(ci: &CiContext, post: &PostArgs) -> anyhow::Result<Option<Destination>> {
    let gitlab = ci.gitlab.as_ref();
    let from_ci = gitlab.and_then(|g| {
        [&g.project_id, &g.project_path]
            .into_iter()
            .find(|v| !v.is_empty())
            .cloned()
    });
    let Some(repository) = post.repo.clone().or(from_ci) else {
        return Ok(None);
    };
    let event = gitlab.map(|g| g.event.clone()).unwrap_or_default();
    let fallback = gitlab.and_then(|g| g.commit_sha.clone());
    let (thread, event) = thread(post, event, fallback, &repository)?;
    let api_url = post
        .gitlab_api_url
        .clone()
        .or_else(|| gitlab.map(|g| g.api_url.clone()))
        .unwrap_or_else(|| "https://gitlab.com/api/v4".to_owned());
    let server_url = gitlab
        .filter(|_| post.gitlab_api_url.is_none())
        .map(|g| g.server_url.clone())
        .unwrap_or_else(|| crate::publish::gitlab::server_of(&api_url).to_owned());
    let project_url = match (&post.repo, gitlab) {
        // A numeric id says nothing about the page; uploads then use their full path.
        (Some(repo), _) if repo.bytes().all(|b| b.is_ascii_digit()) => String::new(),
        (Some(repo), _) => format!("{}/{}", server_url.trim_end_matches('/'), repo),
        (None, Some(g)) => g.project_url.clone(),
        (None, None) => String::new(),
    };
    Ok(Some(Destination {
        forge: Forge::GitLab,
        api_url,
        server_url,
        repository,
        project_url,
        thread,
        event,
        token: post.token.clone().or_else(|| ci.token.clone()),
        job_token_only: post.token.is_none() && gitlab.is_some_and(|g| g.job_token_only),
        login: post.author.clone(),
        // A job page is not a report: a shortened note points to the artifact instead.
        run_url: None,
        step_summary: None,
        output: None,
    }))
}

/// How charts reach the readers of `destination`, from `--images`: `auto` is the forge's
/// own hosting (a hidden ref on GitHub, uploads on GitLab).
pub fn hosting(
    images: ImagesArg,
    post: &PostArgs,
    destination: &Destination,
) -> anyhow::Result<Hosting> {
    Ok(match (images, destination.forge) {
        (ImagesArg::Auto | ImagesArg::GitRef, Forge::GitHub) => {
            Hosting::GitRef(post.image_ref.as_deref().map(image_ref).transpose()?)
        }
        (ImagesArg::Auto | ImagesArg::Upload, Forge::GitLab) => Hosting::Upload,
        (ImagesArg::Upload, Forge::GitHub) => {
            return Err(fail(
                "--images upload is GitLab's",
                "on GitHub use --images git-ref (the default), mermaid or url-template",
            ));
        }
        (ImagesArg::GitRef, Forge::GitLab) => {
            return Err(fail(
                "--images git-ref is GitHub's",
                "on GitLab use --images upload (the default), mermaid or url-template",
            ));
        }
        (ImagesArg::UrlTemplate, _) => match &post.image_url_template {
            Some(template) => Hosting::UrlTemplate(template.clone()),
            None => {
                return Err(fail(
                    "--images url-template needs --image-url-template",
                    "for example --image-url-template 'https://my-bucket.s3.amazonaws.com/reports/{path}', after uploading --out",
                ));
            }
        },
        (ImagesArg::Files, _) => Hosting::Relative,
        (ImagesArg::Mermaid, _) => Hosting::Mermaid,
        (ImagesArg::None, _) => Hosting::None,
    })
}

/// `--image-ref`, which must lie under `refs/mlci/`: a branch would get a commit whose tree
/// holds only the charts.
pub fn image_ref(given: &str) -> anyhow::Result<String> {
    let name = given.strip_prefix("refs/mlci/").unwrap_or_default();
    let valid = !name.is_empty()
        && !name.ends_with('/')
        && !name.ends_with(".lock")
        && name
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.') && part != "..")
        && !name.contains("..")
        && !name.contains("@{")
        && name
            .chars()
            .all(|c| !c.is_control() && !" ~^:?*[\\".contains(c));
    if valid {
        Ok(given.to_owned())
    } else {
        Err(fail(
            format!(
                "--image-ref `{}` is not a ref under refs/mlci/",
                escape::log_line(given)
            ),
            "charts go to a hidden ref such as refs/mlci/charts (the default is refs/mlci/pr-N); branches and tags are refused, since the chart commit would replace their files",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs_stay_under_refs_mlci() {
        assert_eq!(
            image_ref("refs/mlci/charts/main").unwrap(),
            "refs/mlci/charts/main"
        );
        for bad in [
            "refs/heads/main",
            "refs/tags/v1",
            "refs/mlci/",
            "refs/mlci/../heads/main",
            "refs/mlci/a b",
            "refs/mlci/x.lock",
            "main",
            "refs/mlci/.hidden",
        ] {
            assert!(image_ref(bad).is_err(), "{bad}");
        }
    }
}
