//! Delivery: the one place a report leaves mlci. A folder gets the report and its files; a
//! bundle gets the inputs; a forge gets, in order, the local copy, the charts hosted (links
//! built from what the hosting gave back, mermaid when the token may not host), the job
//! summary, the sticky comment fitted to the forge's limit, the check run, the step outputs
//! and, for a failed gate, its annotations.

use std::path::{Path, PathBuf};

use crate::fail;
use crate::git::Repo;
use crate::inputs::markdown::ImageLink;
use crate::publish::bundle::{self, ReadSide};
use crate::publish::forge::{self, Client};
use crate::publish::http::Network;
use crate::publish::http::{ApiError, Forge};
use crate::publish::local::{self, Place};
use crate::publish::sticky::{Identity, Posted, upsert};
use crate::publish::target::{
    CHECK_SUMMARY_LIMIT, Destination, Hosting, Local, LocalImages, Post, Target,
};
use crate::render;
use crate::render::markdown::{self, Detail, Unit};
use crate::render::plots::{Asset, Links};
use crate::render::report::Report;
use crate::sha::Sha;
use crate::verdict::FailOn;

/// Where a report goes, and what goes with it.
#[derive(Debug)]
pub struct Delivery {
    /// The folder, bundle or forge.
    pub target: Target,
    /// Also write the head's metrics as OpenMetrics text here (GitLab's metrics report).
    pub openmetrics: Option<PathBuf>,
    /// Where relative paths start, for the files above.
    pub place: Place,
    /// Print `::error` workflow commands for a failed gate (GitHub Actions).
    pub annotate: bool,
}

/// What came of a delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// The data for stdout (the markdown of a local report, a bundle's folder).
    pub stdout: String,
    /// The report was delivered and its gate failed. (A bundle is judged where it is
    /// published; a report of a commit that a newer one has replaced is not delivered.)
    pub gate_failed: bool,
}

/// Delivers a report; `sides` are what each side was read from.
pub fn deliver(
    report: &Report<'_>,
    sides: &[ReadSide<'_>],
    delivery: &Delivery,
) -> anyhow::Result<Delivered> {
    let head = sides.iter().find(|side| side.name == "head");
    if let (Some(path), Some(head)) = (&delivery.openmetrics, head) {
        local::write_file(path, &delivery.place, &head.openmetrics)?;
        log::info!("wrote the head's metrics to {}", path.display());
    }
    let stdout = match &delivery.target {
        Target::Local(local) => write_local(report, local)?.0,
        Target::Bundle(bundle) => {
            let written = bundle::write(&bundle.dir, &bundle.place, &bundle.manifest, sides)?;
            log::info!(
                "wrote the report's inputs to {}; post them with `mlci publish {}`",
                written.display(),
                bundle.dir.display()
            );
            return Ok(Delivered {
                stdout: format!("{}\n", bundle.dir.display()),
                gate_failed: false,
            });
        }
        Target::Forge(post) => {
            if !post_report(report, post)? {
                return Ok(Delivered::default());
            }
            String::new()
        }
    };
    annotate(report, delivery.annotate);
    Ok(Delivered {
        stdout,
        gate_failed: report.judgement.gate_failed(),
    })
}

/// Writes the report into its folder; returns the markdown and its file.
fn write_local(report: &Report<'_>, local: &Local) -> anyhow::Result<(String, PathBuf)> {
    let links = match local.images {
        LocalImages::Files => Links::Relative,
        LocalImages::Mermaid => Links::Mermaid,
        LocalImages::None => Links::Omitted,
    };
    let markdown = report.markdown(links, Detail::Full, None);
    let assets = match local.images {
        LocalImages::Files => report.assets(),
        LocalImages::Mermaid | LocalImages::None => Vec::new(),
    };
    let path = local::write(
        &local.out,
        &local.place,
        &markdown,
        &report.html(&markdown),
        &assets,
    )?;
    log::info!(
        "wrote {} and {}",
        path.display(),
        path.with_file_name(local::HTML_FILE).display()
    );
    Ok((markdown, path))
}

/// Says why the gate failed: on stderr, and as `::error` workflow commands in GitHub
/// Actions (annotations on the run), one per metric.
fn annotate(report: &Report<'_>, workflow_commands: bool) {
    let judgement = report.judgement;
    if !judgement.gate_failed() {
        return;
    }
    let failures = render::judgement::failures(judgement);
    log::error!("gate failed: {}", failures.join("; "));
    if workflow_commands {
        for line in crate::publish::github::annotations(&failures) {
            eprintln!("{line}");
        }
    }
}

/// Posts a report: the local copy, the charts, the job summary (always, full, on GitHub),
/// the sticky comment, the check run, the step outputs. `false`: a bundle's pull request
/// has moved on since, and nothing was posted.
fn post_report(report: &Report<'_>, post: &Post) -> anyhow::Result<bool> {
    // A bundle's claims are checked before anything is written or posted.
    let (verified, destination) = match &post.claim {
        Some(claim) => {
            bundle::check_destination(claim, &post.destination)?;
            let client = Client::new(&post.destination, post.network)?;
            match bundle::verify(claim, &client, &post.destination)? {
                Some(destination) => (Some(client), destination),
                None => return Ok(false),
            }
        }
        None => (None, post.destination.clone()),
    };
    let (_, report_path) = write_local(report, &post.local)?;
    let counts = report.counts();
    let changed = report.changed_metrics();
    let mut outputs = vec![
        ("report-path", report_path.display().to_string()),
        (
            "changed",
            (counts.changed + counts.added + counts.removed).to_string(),
        ),
        ("regressions", counts.regressions().to_string()),
    ];
    if destination.is_fork() {
        fork_report(report, &destination, &report_path)?;
        forge::write_outputs(&destination, &outputs)?;
        return Ok(true);
    }
    let client = match verified {
        Some(client) => client,
        None => Client::new(&destination, post.network)?,
    };
    let urls = match client.host(&report.assets(), &post.hosting, &destination.thread) {
        Ok(urls) => urls,
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
            None
        }
        Err(error) => return Err(error),
    };
    let links = match (&urls, &post.hosting) {
        (Some(urls), _) => Links::Hosted(urls),
        (None, Hosting::Relative) => Links::Relative,
        (None, Hosting::None) => Links::Omitted,
        (None, _) => Links::Mermaid,
    };
    let render = |detail| report.markdown(links, detail, destination.run_url.as_deref());
    forge::write_step_summary(
        &destination,
        &|detail| report.markdown(links, detail, None),
        changed,
    )?;
    let (body, detail) = markdown::fit(&render, changed, destination.comment_limit(), Unit::Chars);
    if detail != Detail::Full {
        log::warn!("the report is longer than a comment can be; posting it at {detail:?} detail");
    }
    let posted = sticky(&client, &destination, &body, &report.id, post.repo.as_ref())?;
    forge::log_posted(&posted);
    outputs.push(("comment-url", posted.url().to_owned()));
    if post.check {
        let head = destination.head_sha();
        check_run(report, &client, head, &render, changed)?;
    }
    for line in client.transcript() {
        log::debug!("{line}");
    }
    forge::write_outputs(&destination, &outputs)?;
    Ok(true)
}

/// A fork's read-only run: the report goes to the job summary (GitHub) or stays local
/// (GitLab), with the recipe that posts it.
fn fork_report(
    report: &Report<'_>,
    destination: &Destination,
    report_path: &Path,
) -> anyhow::Result<()> {
    match destination.forge {
        Forge::GitHub => {
            // A fork's pull_request run gets a read-only token: writes fail with 403.
            // Charts go inline, the report to the job summary; the two-workflow recipe
            // posts it.
            forge::write_step_summary(
                destination,
                &|detail| report.markdown(Links::Mermaid, detail, None),
                report.changed_metrics(),
            )?;
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
    Ok(())
}

/// A check run `mlci (ID)` on the head commit, with the report as its summary (GitHub).
fn check_run(
    report: &Report<'_>,
    client: &Client,
    head: Option<&Sha>,
    render: &dyn Fn(Detail) -> String,
    changed: usize,
) -> anyhow::Result<()> {
    match (client, head) {
        (Client::GitHub(github), Some(head)) => {
            let (summary, _) = markdown::fit(render, changed, CHECK_SUMMARY_LIMIT, Unit::Bytes);
            let name = format!("mlci ({})", report.id);
            let judgement = report.judgement;
            let conclusion = match (judgement.fail_on, judgement.gate_failed()) {
                (FailOn::Never, _) => "neutral",
                (_, true) => "failure",
                (_, false) => "success",
            };
            let url = github.check_run(&name, head, conclusion, &check_title(report), &summary)?;
            log::info!("check run {url}");
        }
        (Client::GitHub(_), None) => {
            log::warn!("no head commit to attach the check run to (pass --commit)");
        }
        (Client::GitLab(_), _) => log::warn!(
            "--check makes a GitHub check run; on GitLab the job's exit code and the metrics report (--openmetrics) do that work"
        ),
    }
    Ok(())
}

/// A check run's title: the summary in one line.
fn check_title(report: &Report<'_>) -> String {
    let counts = report.counts();
    let judgement = report.judgement;
    let gate = match (judgement.fail_on, judgement.gate_failed()) {
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

/// A markdown file to post as the sticky report (`mlci comment`).
#[derive(Debug)]
pub struct Comment {
    /// The text, posted byte for byte but for the links of hosted images.
    pub markdown: String,
    /// Where it was read, for messages.
    pub file: PathBuf,
    /// Its image links.
    pub links: Vec<ImageLink>,
    /// The local images among them, by the link as written.
    pub assets: Vec<Asset>,
    /// Report id.
    pub id: String,
    /// Where it goes.
    pub destination: Destination,
    /// How its images reach the reader.
    pub hosting: Hosting,
    /// Timeouts and the deadline.
    pub network: Network,
    /// The repository, to tell whether an existing report is of a newer commit.
    pub repo: Option<Repo>,
}

/// Posts a markdown file as the sticky report, its local images hosted; returns the
/// comment's URL.
pub fn comment(comment: &Comment) -> anyhow::Result<String> {
    let destination = &comment.destination;
    let client = Client::new(destination, comment.network)?;
    let urls = client
        .host(&comment.assets, &comment.hosting, &destination.thread)?
        .unwrap_or_default();
    let mut body = render::relink(&comment.markdown, &comment.links, &urls);
    if !body.ends_with('\n') {
        body.push('\n');
    }
    body.push('\n');
    body.push_str(&render::marker(&comment.id, destination.head_sha()));
    body.push('\n');
    let limit = destination.comment_limit();
    if body.chars().count() > limit {
        return Err(fail(
            format!(
                "`{}` is longer than a {} comment can be ({limit} characters)",
                comment.file.display(),
                destination.forge
            ),
            "shorten the file, or let `mlci report` fit the report for you",
        ));
    }
    let posted = sticky(
        &client,
        destination,
        &body,
        &comment.id,
        comment.repo.as_ref(),
    )?;
    log::info!("{}", posted.url());
    forge::write_outputs(destination, &[("comment-url", posted.url().to_owned())])?;
    Ok(posted.url().to_owned())
}

/// Creates or updates the sticky comment `id` in the destination's thread, unless it
/// reports a newer commit than this one.
fn sticky(
    client: &Client,
    destination: &Destination,
    body: &str,
    id: &str,
    repo: Option<&Repo>,
) -> anyhow::Result<Posted> {
    let identity = Identity {
        id: id.to_owned(),
        login: client.login(destination.login.as_ref()),
    };
    let head = destination.head_sha();
    let newer = |theirs: &Sha| {
        head.is_some_and(|ours| {
            repo.is_some_and(|repo| repo.resolve(theirs).is_ok() && repo.is_ancestor(ours, theirs))
        })
    };
    Ok(upsert(
        client.conversation(&destination.thread).as_ref(),
        body,
        &identity,
        head,
        &newer,
    )?)
}
