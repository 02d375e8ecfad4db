//! Posting to GitHub and GitLab: where the report goes (from the CI environment or the
//! flags), the job summary and step outputs, chart hosting, the sticky comment within the
//! forge's size limit, the check run; and the `publish` and `comment` commands, which post
//! what `report --collect` gathered or a markdown file the user wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::ci::{ACTIONS_BOT, CiContext, Event, Provider, Secret, is_zero_sha};
use crate::cli::{CommentArgs, ForgeArg, ImagesArg, PostArgs, PublishArgs};
use crate::command::report::{Draft, bundle_inputs, id_and_title, is_newer, plan};
use crate::command::{collect_both, log_warnings, read_settings};
use crate::diff;
use crate::git::Repo;
use crate::inputs::FileSource as _;
use crate::publish::Thread;
use crate::publish::github::GitHub;
use crate::publish::gitlab::GitLab;
use crate::publish::http::{ApiError, Forge, Network};
use crate::publish::local;
use crate::publish::sticky::{Conversation, Identity, Posted, upsert};
use crate::render::markdown::{self, Detail, Unit};
use crate::render::plots::{Asset, ImageMode, PlotSection};
use crate::render::{escape, marker};
use crate::verdict::FailOn;
use crate::{Outcome, fail};

/// GitHub rejects issue and commit comment bodies longer than this many characters
/// (`422 Body is too long (maximum is 65536 characters)`; not in the OpenAPI description,
/// seen in danger/danger#424, reg-viz/reg-actions#123; `shared/api/README.md` Part B).
pub const COMMENT_LIMIT: usize = 65_536;
/// GitLab rejects notes longer than this many characters (notes API documentation).
pub const GITLAB_NOTE_LIMIT: usize = 1_000_000;
/// Check run `output.summary` is at most this many bytes (`maxLength: 65535` in the
/// description of `checks/create`).
pub const CHECK_SUMMARY_LIMIT: usize = 65_535;
/// A step summary is at most 1 MiB; over it GitHub drops the upload (workflow commands
/// documentation, "Step isolation and limits").
pub const STEP_SUMMARY_LIMIT: usize = 1 << 20;

/// Where a report goes, and what the CI event says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// GitHub or GitLab.
    pub forge: Forge,
    /// REST API root.
    pub api_url: String,
    /// Web root.
    pub server_url: String,
    /// GitHub: `owner/name`; GitLab: the project's id or `group/project`.
    pub repository: String,
    /// GitLab: the project's web page (upload links are made absolute with it).
    pub project_url: String,
    /// The conversation the comment goes to.
    pub thread: Thread,
    /// The event, for the default base and head.
    pub event: Event,
    /// The token, if any.
    pub token: Option<Secret>,
    /// GitLab: only the job token is there, which cannot post.
    pub job_token_only: bool,
    /// The login that posts (known for the workflow token).
    pub login: Option<String>,
    /// Where the full report is when a comment is shortened (GitHub: the run's job
    /// summary).
    pub run_url: Option<String>,
    /// `GITHUB_STEP_SUMMARY`.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`.
    pub output: Option<PathBuf>,
}

impl Destination {
    /// The pull or merge request number, if the report goes to one.
    pub fn pull_request(&self) -> Option<u64> {
        match self.thread {
            Thread::PullRequest(n) => Some(n),
            _ => None,
        }
    }

    /// The commit, if the report goes to one.
    pub fn commit(&self) -> Option<String> {
        match &self.thread {
            Thread::Commit(sha) => Some(sha.clone()),
            _ => None,
        }
    }

    /// The head commit the report is about (a pull request's head, not its merge commit).
    pub fn head_sha(&self) -> Option<String> {
        match &self.event {
            Event::PullRequest { head_sha, .. } | Event::MergeGroup { head_sha, .. }
                if !head_sha.is_empty() =>
            {
                Some(head_sha.clone())
            }
            Event::Push { after, .. } if !after.is_empty() && !is_zero_sha(after) => {
                Some(after.clone())
            }
            _ => self.commit(),
        }
    }

    /// A request from a fork whose pipeline cannot post: GitHub gives a fork's
    /// `pull_request` run a read-only token (`pull_request_target` runs get one that
    /// writes); GitLab runs it in the fork, without the parent project's GITLAB_TOKEN
    /// (unless a maintainer runs it in the parent project, which has the token).
    pub fn is_fork(&self) -> bool {
        let Event::PullRequest {
            from_fork: true,
            target,
            ..
        } = self.event
        else {
            return false;
        };
        match self.forge {
            Forge::GitHub => !target,
            Forge::GitLab => self.token.is_none(),
        }
    }

    /// Whether the head must be read from its commit, never from the working tree: its
    /// files are a stranger's (a fork's, or any `pull_request_target` run's) and the token
    /// can write, so untracked files of the workspace (credentials, `.env`) are in reach.
    pub fn reads_committed_only(&self) -> bool {
        self.event.untrusted_head() && !self.is_fork()
    }

    /// The most characters a comment may have here.
    fn comment_limit(&self) -> usize {
        match self.forge {
            Forge::GitHub => COMMENT_LIMIT,
            Forge::GitLab => GITLAB_NOTE_LIMIT,
        }
    }
}

/// Where the report goes, from the flags and the CI environment; `None` when nothing says
/// (a laptop without `--repo`).
pub fn destination(ci: &CiContext, post: &PostArgs) -> anyhow::Result<Option<Destination>> {
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

/// The conversation: `--pr`, `--commit`, else the event's pull request, pushed commit or
/// merge group head (a commit comment: a merge group may hold several pull requests, each
/// with its own report, and the commit it tests is the one that lands on the target
/// branch), else `fallback_commit`. `--commit` makes the event irrelevant.
fn thread(
    post: &PostArgs,
    event: &mut Event,
    fallback_commit: Option<String>,
    repository: &str,
) -> anyhow::Result<Thread> {
    Ok(match (post.pr, &post.commit, &*event) {
        (Some(n), _, _) => Thread::PullRequest(n),
        (None, Some(sha), _) => {
            *event = Event::Other;
            Thread::Commit(sha.clone())
        }
        (None, None, Event::PullRequest { number, .. }) => Thread::PullRequest(*number),
        (None, None, Event::Push { after, .. }) if !after.is_empty() && !is_zero_sha(after) => {
            Thread::Commit(after.clone())
        }
        (None, None, Event::MergeGroup { head_sha, .. }) if !head_sha.is_empty() => {
            Thread::Commit(head_sha.clone())
        }
        (None, None, _) => match fallback_commit {
            Some(sha) => Thread::Commit(sha),
            None => {
                return Err(fail(
                    format!("nothing to comment on in {repository}"),
                    "pass --pr N or --commit SHA",
                ));
            }
        },
    })
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
    let mut event = github.map(|g| g.event.clone()).unwrap_or_default();
    let fallback = github.map(|g| g.sha.clone()).filter(|s| !s.is_empty());
    let thread = thread(post, &mut event, fallback, &repository)?;
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
    let mut event = gitlab.map(|g| g.event.clone()).unwrap_or_default();
    let fallback = gitlab
        .map(|g| g.commit_sha.clone())
        .filter(|s| !s.is_empty());
    let thread = thread(post, &mut event, fallback, &repository)?;
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

fn network(post: &PostArgs) -> Network {
    let seconds = |s: f64| Duration::from_secs_f64(s.clamp(0.05, 3600.0));
    Network {
        request_timeout: seconds(post.network_timeout),
        deadline: seconds(post.network_deadline),
        ..Network::default()
    }
}

/// A forge's client.
enum Client {
    GitHub(GitHub),
    GitLab(GitLab),
}

impl Client {
    /// The client for `destination`, or why there is none (no token).
    fn new(destination: &Destination, post: &PostArgs) -> anyhow::Result<Client> {
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
        let network = network(post);
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

    fn conversation<'a>(&'a self, thread: &'a Thread) -> Box<dyn Conversation + 'a> {
        match self {
            Client::GitHub(github) => Box::new(github.conversation(thread)),
            Client::GitLab(gitlab) => Box::new(gitlab.conversation(thread)),
        }
    }

    /// Hosts `assets` where the forge's readers can see them; `None` when `images` is not a
    /// hosting mode.
    fn host(
        &self,
        assets: &[Asset],
        images: ImagesArg,
        thread: &Thread,
        post: &PostArgs,
    ) -> anyhow::Result<Option<BTreeMap<String, String>>> {
        Ok(match (self, images) {
            (_, ImagesArg::UrlTemplate) => {
                let template = post.image_url_template.as_deref().ok_or_else(|| {
                    fail(
                        "--images url-template needs --image-url-template",
                        "for example --image-url-template 'https://my-bucket.s3.amazonaws.com/reports/{path}', after uploading --out",
                    )
                })?;
                Some(
                    assets
                        .iter()
                        .map(|a| (a.path.clone(), url_from_template(template, &a.path)))
                        .collect(),
                )
            }
            (_, _) if assets.is_empty() => None,
            (Client::GitHub(github), ImagesArg::Auto | ImagesArg::GitRef) => {
                let reference = image_ref(post.image_ref.as_deref(), thread)?;
                Some(github.host_files(assets, &reference)?)
            }
            (Client::GitLab(gitlab), ImagesArg::Auto | ImagesArg::Upload) => {
                Some(gitlab.upload(assets)?)
            }
            (Client::GitHub(_), ImagesArg::Upload) => {
                return Err(fail(
                    "--images upload is GitLab's",
                    "on GitHub use --images git-ref (the default), mermaid or url-template",
                ));
            }
            (Client::GitLab(_), ImagesArg::GitRef) => {
                return Err(fail(
                    "--images git-ref is GitHub's",
                    "on GitLab use --images upload (the default), mermaid or url-template",
                ));
            }
            _ => None,
        })
    }

    /// The login the token posts as: known, else asked (GitLab), else unknown.
    fn login(&self, known: Option<&String>) -> Option<String> {
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

    fn transcript(&self) -> Vec<String> {
        match self {
            Client::GitHub(github) => github.transcript(),
            Client::GitLab(gitlab) => gitlab.transcript(),
        }
    }
}

/// Hosts the charts, falling back to inline mermaid when the token may not write them.
fn hosted_plots(
    draft: &Draft<'_>,
    client: &Client,
    destination: &Destination,
    images: ImagesArg,
    post: &PostArgs,
) -> anyhow::Result<(Vec<PlotSection>, BTreeMap<String, String>)> {
    let mode = match images {
        ImagesArg::Mermaid => ImageMode::Mermaid,
        ImagesArg::None => ImageMode::None,
        _ => ImageMode::Files,
    };
    let (plots, assets) = draft.plots(mode)?;
    match client.host(&assets, images, &destination.thread, post) {
        Ok(urls) => Ok((plots, urls.unwrap_or_default())),
        Err(error)
            if error
                .downcast_ref::<ApiError>()
                .is_some_and(ApiError::is_forbidden) =>
        {
            let permission = match destination.forge {
                Forge::GitHub => "give the job `contents: write`",
                Forge::GitLab => "give the token the `api` scope",
            };
            log::warn!("{error}; charts go inline as mermaid instead. To host them, {permission}");
            Ok((draft.plots(ImageMode::Mermaid)?.0, BTreeMap::new()))
        }
        Err(error) => Err(error),
    }
}

/// Posts a report: the job summary (always, full, on GitHub), the charts, the sticky
/// comment, the check run, the step outputs. A local copy is written to `out` first.
pub fn post_report(
    draft: &Draft<'_>,
    destination: &Destination,
    post: &PostArgs,
    images: ImagesArg,
    out: &Path,
    place: &local::Place<'_>,
    repo: Option<&Repo>,
) -> anyhow::Result<Outcome> {
    let local_copy = draft.local(ImageMode::Files)?;
    let report_path = local::write(out, place, &local_copy)?;
    let counts = markdown::Counts::of(draft.comparison, draft.judgement);
    let changed = markdown::changed_metrics(draft.judgement);
    let mut outputs = vec![
        ("report-path", report_path.display().to_string()),
        (
            "changed",
            (counts.changed + counts.added + counts.removed).to_string(),
        ),
        ("regressions", counts.regressions().to_string()),
    ];

    if destination.is_fork() {
        match destination.forge {
            Forge::GitHub => {
                // A fork's pull_request run gets a read-only token: writes fail with 403.
                // Charts go inline, the report to the job summary; the two-workflow recipe
                // posts it.
                let (plots, _) = draft.plots(ImageMode::Mermaid)?;
                let render = |detail| draft.markdown(&plots, detail, None);
                write_step_summary(destination, &render, changed)?;
                log::warn!(
                    "pull request from a fork: its token cannot comment, so the report is in the job summary only. \
To comment, run `mlci report --collect DIR` here and `mlci publish DIR` in a `workflow_run` job (README: \"Pull requests from forks\")"
                );
            }
            Forge::GitLab => log::warn!(
                "merge request from a fork: its pipeline has no GITLAB_TOKEN, so the report is only in {}. \
To comment, run the pipeline in the parent project, or `mlci report --collect DIR` here and `mlci publish DIR` in a parent-project pipeline (README: \"On GitLab\")",
                report_path.display()
            ),
        }
        write_outputs(destination, &outputs)?;
        return Ok(Outcome {
            stdout: String::new(),
            gate_failed: draft.judgement.gate_failed(),
        });
    }

    let client = Client::new(destination, post)?;
    let (plots, urls) = hosted_plots(draft, &client, destination, images, post)?;
    let render = |detail| {
        rewrite_links(
            &draft.markdown(&plots, detail, destination.run_url.as_deref()),
            &urls,
        )
    };
    write_step_summary(
        destination,
        &|detail| rewrite_links(&draft.markdown(&plots, detail, None), &urls),
        changed,
    )?;

    let limit = destination.comment_limit();
    let (body, detail) = markdown::fit(&render, changed, limit, Unit::Chars);
    if detail != Detail::Full {
        log::warn!("the report is longer than a comment can be; posting it at {detail:?} detail");
    }
    let identity = Identity {
        id: draft.id.clone(),
        login: client.login(destination.login.as_ref()),
    };
    let head = destination.head_sha();
    let newer = |theirs: &str| {
        head.as_deref()
            .is_some_and(|ours| is_newer(repo, ours, theirs))
    };
    let posted = upsert(
        client.conversation(&destination.thread).as_ref(),
        &body,
        &identity,
        head.as_deref(),
        &newer,
    )?;
    log_posted(&posted);
    outputs.push(("comment-url", posted.url().to_owned()));

    if post.check {
        match (&client, &head) {
            (Client::GitHub(github), Some(head)) => {
                let (summary, _) =
                    markdown::fit(&render, changed, CHECK_SUMMARY_LIMIT, Unit::Bytes);
                let name = format!("mlci ({})", draft.id);
                let title = summary_line(draft);
                let conclusion = match (draft.judgement.fail_on, draft.judgement.gate_failed()) {
                    (FailOn::Never, _) => "neutral",
                    (_, true) => "failure",
                    (_, false) => "success",
                };
                let url = github.check_run(&name, head, conclusion, &title, &summary)?;
                log::info!("check run {url}");
            }
            (Client::GitHub(_), None) => {
                log::warn!("no head commit to attach the check run to (pass --commit)");
            }
            (Client::GitLab(_), _) => log::warn!(
                "--check makes a GitHub check run; on GitLab the job's exit code and the metrics report (--openmetrics) do that work"
            ),
        }
    }
    for line in client.transcript() {
        log::debug!("{line}");
    }
    write_outputs(destination, &outputs)?;
    Ok(Outcome {
        stdout: String::new(),
        gate_failed: draft.judgement.gate_failed(),
    })
}

fn log_posted(posted: &Posted) {
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
            short(newer_head)
        ),
    }
}

/// The one-line summary, for a check run's title.
fn summary_line(draft: &Draft<'_>) -> String {
    let counts = markdown::Counts::of(draft.comparison, draft.judgement);
    let gate = match (draft.judgement.fail_on, draft.judgement.gate_failed()) {
        (FailOn::Never, _) => "",
        (_, true) => "gate failed: ",
        (_, false) => "gate passed: ",
    };
    let text = format!(
        "{gate}{} metrics changed ({} improved, {} regressed, {} failed checks), {} params changed",
        counts.changed, counts.improved, counts.regressed, counts.failed, counts.params_changed
    );
    text.chars().take(250).collect()
}

/// The ref charts are committed to: `--image-ref`, which must lie under `refs/mlci/` (a
/// branch would get a commit whose tree holds only the charts), else the thread's own.
fn image_ref(given: Option<&str>, thread: &Thread) -> anyhow::Result<String> {
    let Some(given) = given else {
        return Ok(default_image_ref(thread));
    };
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

/// `refs/mlci/pr-12`, `refs/mlci/commit-1a2b3c4`, `refs/mlci/issue-7`.
fn default_image_ref(thread: &Thread) -> String {
    match thread {
        Thread::PullRequest(n) => format!("refs/mlci/pr-{n}"),
        Thread::Issue(n) => format!("refs/mlci/issue-{n}"),
        Thread::Commit(sha) => format!("refs/mlci/commit-{}", short(sha)),
    }
}

fn url_from_template(template: &str, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    template.replace("{path}", path).replace("{name}", name)
}

/// Replaces the relative links of hosted files (`](plots/x.png)`, `src="plots/x.png"`)
/// with their URLs; nothing else in the markdown changes.
pub fn rewrite_links(markdown: &str, urls: &BTreeMap<String, String>) -> String {
    let mut text = markdown.to_owned();
    for (path, url) in urls {
        text = text
            .replace(&format!("]({path})"), &format!("]({url})"))
            .replace(
                &format!("src=\"{}\"", escape::html(path)),
                &format!("src=\"{}\"", escape::html(url)),
            );
    }
    text
}

/// Appends the report to `$GITHUB_STEP_SUMMARY` (within its 1 MiB).
fn write_step_summary(
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
fn write_outputs(destination: &Destination, outputs: &[(&str, String)]) -> anyhow::Result<()> {
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

/// What `report --collect` writes next to the inputs, for `publish`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// `github` or `gitlab` (absent: github).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<String>,
    /// GitHub: `owner/name`; GitLab: the project's id or path.
    pub repository: String,
    /// The pull request the report is for.
    pub pull_request: Option<u64>,
    /// The commit the report is for (push events).
    pub commit: Option<String>,
    /// The base commit.
    pub base_sha: Option<String>,
    /// The head commit the report describes.
    pub head_sha: Option<String>,
    /// How the report names the base.
    pub base_name: String,
    /// How the report names the head.
    pub head_name: String,
    /// Report id.
    pub id: String,
    /// Report title.
    pub title: String,
}

impl Manifest {
    /// Reads `manifest.json` of a bundle.
    pub fn read(bundle: &Path) -> anyhow::Result<Manifest> {
        let path = bundle.join(local::MANIFEST_FILE);
        let bytes = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() <= 1 << 20 => std::fs::read(&path).ok(),
            _ => None,
        };
        let Some(bytes) = bytes else {
            return Err(fail(
                format!("cannot read `{}`", path.display()),
                "pass the directory `mlci report --collect DIR` wrote (download the artifact first)",
            ));
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|error| {
            fail(
                format!("invalid manifest `{}`: {error}", path.display()),
                "write the bundle with the same mlci version",
            )
        })?;
        if manifest.version != 1 {
            return Err(fail(
                format!("manifest version {} is not supported", manifest.version),
                "use the same mlci version for --collect and publish",
            ));
        }
        Ok(manifest)
    }

    /// The manifest as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises") + "\n"
    }
}

/// `mlci publish DIR`: posts what `report --collect` gathered in a fork's run.
///
/// The bundle is a stranger's: where the report goes comes from the publishing job. On
/// GitHub, the run that made the bundle (the `workflow_run` event, or `--run-id`) is asked
/// for its head commit and repository, and the pull request named must have that head; on
/// GitLab, the merge request is the pipeline's (or `--mr`). A bundle that disagrees is
/// refused before anything is sent. The gate comes from this checkout's `.mlci.toml`.
pub fn publish(args: PublishArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Outcome> {
    let PublishArgs {
        bundle,
        images,
        out,
        run_id,
        post,
    } = args;
    let bundle = dir.join(bundle);
    let manifest = Manifest::read(&bundle)?;
    // The job's own event says where to post; the bundle's claims are checked against it.
    let quiet = CiContext {
        github: ci.github.clone().map(|mut g| {
            g.event = Event::Other;
            g
        }),
        gitlab: ci.gitlab.clone().map(|mut g| {
            g.event = Event::Other;
            g
        }),
        ..ci.clone()
    };
    let mut post = post;
    let mut destination = destination(&quiet, &post)?.ok_or_else(|| {
        fail(
            "nothing says which repository to post to",
            "run `mlci publish` in a workflow_run job (GitHub) or a merge request pipeline (GitLab), or pass --repo",
        )
    })?;
    let bundle_forge = match manifest.forge.as_deref() {
        Some("gitlab") => Forge::GitLab,
        _ => Forge::GitHub,
    };
    if bundle_forge != destination.forge {
        return Err(refuse(format!(
            "the bundle is for {bundle_forge}, this job posts to {}",
            destination.forge
        )));
    }
    if !manifest.repository.is_empty() && manifest.repository != destination.repository {
        return Err(refuse(format!(
            "the bundle names the repository `{}`, this job's is `{}`",
            escape::log_line(&manifest.repository),
            destination.repository
        )));
    }
    let client = Client::new(&destination, &post)?;
    let verified = match &client {
        Client::GitHub(github) => {
            let run_id = run_id.or(match ci.github.as_ref().map(|g| &g.event) {
                Some(Event::WorkflowRun(run)) if run.id > 0 => Some(run.id),
                _ => None,
            });
            let Some(run_id) = run_id else {
                return Err(fail(
                    "publish needs the run that made the bundle, to check what the bundle says",
                    "run `mlci publish` in a job triggered by `workflow_run`, or pass --run-id (github.event.workflow_run.id)",
                ));
            };
            verify_github(github, run_id, post.pr, &manifest, &destination.repository)?
        }
        Client::GitLab(gitlab) => {
            let number = post.pr.or(match ci.gitlab.as_ref().map(|g| &g.event) {
                Some(Event::PullRequest { number, .. }) => Some(*number),
                _ => None,
            });
            let Some(number) = number else {
                return Err(fail(
                    "publish on GitLab needs the merge request from the pipeline, to check what the bundle says",
                    "run `mlci publish` in the merge request's pipeline in the parent project (CI_MERGE_REQUEST_IID), or pass --mr N",
                ));
            };
            verify_gitlab(gitlab, number, &manifest)?
        }
    };
    let Some(verified) = verified else {
        return Ok(Outcome::default());
    };
    match verified.pull_request {
        Some(number) => {
            post.pr = Some(number);
            destination.thread = Thread::PullRequest(number);
            destination.event = Event::PullRequest {
                number,
                base_sha: manifest.base_sha.clone().unwrap_or_default(),
                head_sha: verified.head_sha.clone(),
                target: false,
                from_fork: false,
                closed: false,
            };
        }
        None => {
            post.pr = None;
            destination.thread = Thread::Commit(verified.head_sha.clone());
        }
    }

    let (base, head) = bundle_inputs(
        &bundle,
        &manifest,
        &verified.head_sha,
        verified.pull_request.is_some(),
    )?;
    // What to read comes with the bundle; what judges it comes from this checkout.
    let shown = read_settings(head.source.as_ref(), None)?;
    let trusted_source = crate::inputs::Directory::new(
        Repo::discover(dir, ci.trusted_workspace.clone())
            .map_or_else(|_| dir.to_path_buf(), |r| r.root().to_path_buf()),
        "this checkout".into(),
    );
    let trusted = read_settings(&trusted_source, None)?;
    let settings = shown.with_policy_from(trusted);
    let (id, title) = id_and_title(None, Some(manifest.title.clone()), &settings)?;
    let plan = plan(&settings, Vec::new())?;
    let (base_snapshot, head_snapshot) =
        collect_both(&plan, base.source.as_ref(), head.source.as_ref())?;
    let comparison = diff::compare(base_snapshot, head_snapshot);
    log_warnings(&comparison, &base.revision, &head.revision);
    let policy = crate::command::report::policy(&settings, &[], None, None)?;
    let judgement = crate::verdict::judge(&comparison, &policy);
    let draft = Draft::new(
        &comparison,
        &judgement,
        title,
        id,
        base.revision,
        head.revision,
        (800, 440),
    );
    post_report(
        &draft,
        &destination,
        &post,
        images,
        &out,
        &local::Place {
            dir,
            repo_root: None,
        },
        None,
    )
}

/// What a bundle's claims came to once checked: the pull request (none: a commit comment on
/// the head) and the head.
struct Verified {
    pull_request: Option<u64>,
    head_sha: String,
}

/// An error for a bundle that disagrees with the job: nothing is posted.
fn refuse(message: String) -> anyhow::Error {
    fail(
        format!("refusing to publish the bundle: {message}"),
        "the bundle must come from the run that triggered this job; download the artifact of `github.event.workflow_run.id` (GitHub) or of this merge request's pipeline (GitLab)",
    )
}

/// Checks the bundle against the run that made it: same head commit; the pull request
/// (`--pr`, else the bundle's) is one the run was for, from the run's repository and
/// branch. `None`: the pull request has moved on since (a newer run reports it).
///
/// A run that was not for a pull request (a push, a dispatch, a schedule: `event` is not
/// `pull_request*`) of this very repository, with a bundle that names no pull request, is
/// reported as a commit comment on the run's head commit, as `mlci report` reports a push.
fn verify_github(
    github: &GitHub,
    run_id: u64,
    flag_pr: Option<u64>,
    manifest: &Manifest,
    repository: &str,
) -> anyhow::Result<Option<Verified>> {
    let run = github.workflow_run(run_id)?;
    if run.head_sha.is_empty() {
        return Err(refuse(format!("run {run_id} has no head commit")));
    }
    if manifest.head_sha.as_deref() != Some(run.head_sha.as_str()) {
        return Err(refuse(format!(
            "it describes {}, but run {run_id} tested {}",
            manifest
                .head_sha
                .as_deref()
                .map_or_else(|| "no commit".to_owned(), escape::log_line),
            run.head_sha
        )));
    }
    if flag_pr.is_none() && manifest.pull_request.is_none() {
        if run.event.starts_with("pull_request") {
            return Err(refuse(format!(
                "it names no pull request, and run {run_id} was for one ({})",
                escape::log_line(&run.event)
            )));
        }
        if run.head_repository.as_deref() != Some(repository) {
            return Err(refuse(format!(
                "run {run_id} ran on {}, not on {repository}",
                run.head_repository
                    .as_deref()
                    .map_or_else(|| "a deleted repository".to_owned(), escape::log_line)
            )));
        }
        if manifest
            .commit
            .as_deref()
            .is_some_and(|commit| commit != run.head_sha)
        {
            return Err(refuse(format!(
                "it names the commit {}, but run {run_id} tested {}",
                escape::log_line(manifest.commit.as_deref().unwrap_or_default()),
                run.head_sha
            )));
        }
        log::info!(
            "run {run_id} ({}) was not for a pull request: the report goes to its commit {}",
            escape::log_line(&run.event),
            short(&run.head_sha)
        );
        return Ok(Some(Verified {
            pull_request: None,
            head_sha: run.head_sha,
        }));
    }
    let Some(number) = flag_pr.or(manifest.pull_request) else {
        return Err(refuse("it names no pull request".into()));
    };
    if flag_pr.is_some() && manifest.pull_request.is_some_and(|n| Some(n) != flag_pr) {
        return Err(refuse(format!(
            "it names pull request {}, not {number}",
            manifest.pull_request.unwrap_or_default()
        )));
    }
    if !run.pull_requests.is_empty() && !run.pull_requests.contains(&number) {
        return Err(refuse(format!(
            "run {run_id} was not for pull request {number}"
        )));
    }
    let pull = github.pull_request(number)?;
    if pull.head_repository != run.head_repository || pull.head_ref != run.head_branch {
        return Err(refuse(format!(
            "pull request {number} comes from {}:{}, run {run_id} ran on {}:{}",
            pull.head_repository
                .as_deref()
                .unwrap_or("a deleted repository"),
            escape::log_line(&pull.head_ref),
            run.head_repository
                .as_deref()
                .unwrap_or("a deleted repository"),
            escape::log_line(&run.head_branch)
        )));
    }
    if pull.head_sha != run.head_sha {
        log::warn!(
            "not publishing: pull request {number} has moved on to {} since this report of {}; the newer commit's run reports it",
            short(&pull.head_sha),
            short(&run.head_sha)
        );
        return Ok(None);
    }
    Ok(Some(Verified {
        pull_request: Some(number),
        head_sha: run.head_sha,
    }))
}

/// Checks the bundle against the merge request of the pipeline: the bundle names it, and
/// describes its head. `None`: the merge request has moved on.
fn verify_gitlab(
    gitlab: &GitLab,
    number: u64,
    manifest: &Manifest,
) -> anyhow::Result<Option<Verified>> {
    if manifest.pull_request.is_some_and(|n| n != number) {
        return Err(refuse(format!(
            "it names merge request {}, this pipeline is for {number}",
            manifest.pull_request.unwrap_or_default()
        )));
    }
    let Some(head) = manifest.head_sha.clone() else {
        return Err(refuse("it names no head commit".into()));
    };
    let now = gitlab.merge_request_head(number)?;
    if now != head {
        log::warn!(
            "not publishing: merge request {number} has moved on to {}, past {} that the bundle describes; the newer commit's pipeline reports it",
            short(&now),
            short(&escape::log_line(&head))
        );
        return Ok(None);
    }
    Ok(Some(Verified {
        pull_request: Some(number),
        head_sha: head,
    }))
}

/// The first 12 characters (all of a shorter or oddly encoded name: never a panic).
fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// `mlci comment FILE.md`: the user's markdown, byte for byte, with local images hosted and
/// the marker appended, as the sticky report.
pub fn comment(args: CommentArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Outcome> {
    let CommentArgs {
        file,
        id,
        target,
        images,
        post,
    } = args;
    let id = crate::config::validate_id(&id)
        .map_err(|m| fail(m, "use letters, digits, `-`, `_`, `.`"))?;
    let markdown = std::fs::read_to_string(&file).map_err(|error| {
        fail(
            format!("cannot read `{}`: {error}", file.display()),
            "pass a markdown file",
        )
    })?;
    let mut post = post;
    match target.as_str() {
        "pr" => {}
        "commit" => {
            if post.commit.is_none() {
                post.commit = ci
                    .github
                    .as_ref()
                    .map(|g| g.sha.clone())
                    .or_else(|| ci.gitlab.as_ref().map(|g| g.commit_sha.clone()))
                    .filter(|s| !s.is_empty());
            }
            post.pr = None;
        }
        other => match other
            .strip_prefix("issue/")
            .and_then(|n| n.parse::<u64>().ok())
        {
            Some(_) => {}
            None => {
                return Err(fail(
                    format!("unknown --target `{other}`"),
                    "use pr, commit or issue/N",
                ));
            }
        },
    }
    let mut destination = destination(ci, &post)?.ok_or_else(|| {
        fail(
            "nothing to comment on: not in GitHub Actions or GitLab CI, and no --repo",
            "pass --repo OWNER/NAME with --pr N, --commit SHA or --target issue/N",
        )
    })?;
    if let Some(n) = target
        .strip_prefix("issue/")
        .and_then(|n| n.parse::<u64>().ok())
    {
        destination.thread = Thread::Issue(n);
    } else if let Event::Push { .. } = destination.event
        && let Some(reason) = destination.event.nothing_to_report()
    {
        // A deleted branch or tag has no commit to comment on. (A closed pull request
        // still takes a comment someone chose to post.)
        log::warn!("{reason}");
        return Ok(Outcome::default());
    }
    let client = Client::new(&destination, &post)?;
    let file = dir.join(&file);
    let file_dir = file
        .parent()
        .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
    let repo = Repo::discover(dir, ci.trusted_workspace.clone()).ok();
    // Images are read from the file's repository (or, outside one, its folder) and never
    // through a link that leaves it or enters .git.
    let root = Repo::discover(&file_dir, ci.trusted_workspace.clone())
        .map(|r| r.root().to_path_buf())
        .unwrap_or_else(|_| file_dir.clone());
    let assets = local_images(&markdown, &root, &file_dir);
    let urls = client
        .host(&assets, images, &destination.thread, &post)?
        .unwrap_or_default();
    let head = destination.head_sha();
    let mut body = rewrite_links(&markdown, &urls);
    if !body.ends_with('\n') {
        body.push('\n');
    }
    body.push('\n');
    body.push_str(&marker(&id, head.as_deref()));
    body.push('\n');
    let limit = destination.comment_limit();
    if body.chars().count() > limit {
        return Err(fail(
            format!(
                "`{}` is longer than a {} comment can be ({limit} characters)",
                file.display(),
                destination.forge
            ),
            "shorten the file, or let `mlci report` fit the report for you",
        ));
    }
    let identity = Identity {
        id,
        login: client.login(destination.login.as_ref()),
    };
    let newer = |theirs: &str| {
        head.as_deref()
            .is_some_and(|ours| is_newer(repo.as_ref(), ours, theirs))
    };
    let posted = upsert(
        client.conversation(&destination.thread).as_ref(),
        &body,
        &identity,
        head.as_deref(),
        &newer,
    )
    .map_err(anyhow::Error::from)?;
    log::info!("{}", posted.url());
    write_outputs(&destination, &[("comment-url", posted.url().to_owned())])?;
    Ok(Outcome {
        stdout: format!("{}\n", posted.url()),
        gate_failed: false,
    })
}

/// The local images a markdown file in `file_dir` links (`![..](path)`, `<img src="path">`),
/// as assets keyed by the link text, read from `root` (the file's repository, or its
/// folder): a link that leaves it, names `.git` or passes through a symlink out of it is
/// left alone with a warning; remote URLs and missing files are left alone.
fn local_images(markdown: &str, root: &Path, file_dir: &Path) -> Vec<Asset> {
    let mut links: Vec<String> = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        if let Some(end) = after.find(')') {
            links.push(after[..end].trim().to_owned());
        }
        rest = after;
    }
    let mut rest = markdown;
    while let Some(start) = rest.find("src=\"") {
        let after = &rest[start + 5..];
        if let Some(end) = after.find('"') {
            links.push(after[..end].to_owned());
        }
        rest = after;
    }
    links.sort();
    links.dedup();
    let source =
        crate::inputs::Directory::new(root.to_path_buf(), "the markdown file's repository".into());
    let from_root = match (root.canonicalize(), file_dir.canonicalize()) {
        (Ok(root), Ok(dir)) => crate::inputs::paths::relative_within(
            &root.to_string_lossy(),
            &dir.to_string_lossy(),
            crate::inputs::paths::CASE_INSENSITIVE_FS,
        ),
        _ => None,
    };
    let Some(from_root) = from_root else {
        return Vec::new();
    };
    links
        .into_iter()
        .filter(|link| !link.contains("://") && !link.starts_with('/') && !link.starts_with('#'))
        .filter(|link| crate::inputs::plots::is_image(link))
        .filter_map(|link| {
            let path = crate::inputs::paths::join(&from_root, &link);
            match source.read(&path, crate::inputs::DEFAULT_MAX_FILE_SIZE) {
                Ok(Some(bytes)) => Some(Asset { path: link, bytes }),
                Ok(None) => None,
                Err(error) => {
                    log::warn!("not hosting the image `{link}`: {error}");
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_of_hosted_files_are_rewritten_and_nothing_else() {
        let urls: BTreeMap<String, String> = [(
            "plots/roc.png".to_owned(),
            "https://h/roc.png?raw=true".to_owned(),
        )]
        .into();
        let text = "![ROC](plots/roc.png) <img src=\"plots/roc.png\" alt=\"x\"> plots/roc.png ![x](plots/other.png)";
        assert_eq!(
            rewrite_links(text, &urls),
            "![ROC](https://h/roc.png?raw=true) <img src=\"https://h/roc.png?raw=true\" alt=\"x\"> plots/roc.png ![x](plots/other.png)"
        );
    }

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
    fn image_refs_stay_under_refs_mlci() {
        let thread = Thread::PullRequest(3);
        assert_eq!(image_ref(None, &thread).unwrap(), "refs/mlci/pr-3");
        assert_eq!(
            image_ref(Some("refs/mlci/charts/main"), &thread).unwrap(),
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
            assert!(image_ref(Some(bad), &thread).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_refs_and_templates() {
        assert_eq!(
            default_image_ref(&Thread::PullRequest(12)),
            "refs/mlci/pr-12"
        );
        assert_eq!(
            default_image_ref(&Thread::Commit("a".repeat(40))),
            format!("refs/mlci/commit-{}", "a".repeat(12))
        );
        assert_eq!(
            url_from_template("https://s3/r/{path}?n={name}", "plots/roc.png"),
            "https://s3/r/plots/roc.png?n=roc.png"
        );
    }
}
