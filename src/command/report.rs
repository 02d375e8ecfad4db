//! `mlci report`: resolve base and head, read both, compare, render, then write the report
//! locally (`--dry-run`), collect its inputs for a later `publish` (`--collect`), or post it.

use std::path::Path;

use crate::ci::{CiContext, Event, Machine};
use crate::cli::{FailOnArg, ImagesArg, ReportArgs};
use crate::command::post::{self, Destination};
use crate::command::{
    Input, base_side, collect_both, directory_source, head_side, legend_label, log_warnings,
    open_repository, plot_declarations, read_settings, relative_dir,
};
use crate::config::{self, Settings};
use crate::diff::{self, Comparison};
use crate::git::Repo;
use crate::inputs::{Discovery, Plan, PlotSelection, Selection, paths};
use crate::model::Snapshot;
use crate::publish;
use crate::render::chart::ChartOptions;
use crate::render::markdown::{Detail, ReportContext};
use crate::render::plots::{Asset, ImageMode, PlotSection};
use crate::render::{self, Revision};
use crate::verdict;
use crate::{Outcome, fail};

/// `mlci report`.
pub fn report(args: ReportArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Outcome> {
    let ReportArgs {
        base,
        base_dir,
        head_dir,
        targets,
        config,
        dry_run,
        out,
        title,
        id,
        images,
        chart_size,
        collect,
        fail_on,
        rules,
        alpha,
        openmetrics,
        post,
    } = args;

    // Where the report goes decides the head commit it names and the default base.
    let destination = if dry_run {
        None
    } else {
        post::destination(ci, &post)?
    };
    let event = destination.as_ref().map(|d| &d.event);
    if let Some(reason) = event.and_then(Event::nothing_to_report) {
        log::warn!("{reason}");
        return Ok(Outcome::default());
    }
    let repo = open_repository(
        dir,
        ci,
        head_dir.is_some() && base_dir.is_some(),
        base_dir.is_some(),
    )?;
    let committed_only = destination
        .as_ref()
        .is_some_and(Destination::reads_committed_only);
    let head = head_side(
        repo.as_ref(),
        head_dir.as_deref(),
        dir,
        event,
        committed_only,
    )?;
    let settings = read_settings(head.source.as_ref(), config.as_deref())?;
    let base = base_side(
        repo.as_ref(),
        base_dir.as_deref(),
        // A stranger's head does not choose what it is compared with.
        base.or(settings.base.clone().filter(|_| !committed_only)),
        event,
        ci.default_branch(),
    )?;
    // Nor what judges it: the gate comes from the base's configuration.
    let settings = if committed_only {
        let trusted = read_settings(base.source.as_ref(), config.as_deref())?;
        log::info!("the gate and report id come from the base's .mlci.toml");
        settings.with_policy_from(trusted)
    } else {
        settings
    };
    let (id, title) = id_and_title(id, title, &settings)?;

    let cwd = repo
        .as_ref()
        .filter(|_| head_dir.is_none())
        .map(|repo| relative_dir(repo.root(), dir))
        .unwrap_or_default();
    let targets: Vec<String> = targets.iter().map(|t| paths::join(&cwd, t)).collect();
    let plan = plan(&settings, targets)?;
    let (base_snapshot, head_snapshot) =
        collect_both(&plan, base.source.as_ref(), head.source.as_ref())?;

    let place = publish::local::Place {
        dir,
        repo_root: repo.as_ref().map(Repo::root),
    };
    if let Some(path) = &openmetrics {
        publish::local::write_file(path, &place, &render::openmetrics::render(&head_snapshot))?;
        log::info!("wrote the head's metrics to {}", path.display());
    }
    if let Some(bundle) = collect {
        return collect_bundle(
            &bundle,
            &place,
            &base,
            &head,
            &base_snapshot,
            &head_snapshot,
            destination.as_ref(),
            &id,
            &title,
        );
    }
    let comparison = diff::compare(base_snapshot, head_snapshot);
    log_warnings(&comparison, &base.revision, &head.revision);
    if comparison.metrics.is_empty()
        && comparison.params.is_empty()
        && comparison.plots.is_empty()
        && comparison.data.is_empty()
    {
        log::warn!(
            "no metrics, params or plots found at either revision: name your files with `--targets FILE` or `metrics = [...]` in .mlci.toml (`-v` lists every file read)"
        );
    }
    let policy = policy(&settings, &rules, fail_on.map(FailOnArg::as_str), alpha)?;
    let judgement = verdict::judge(&comparison, &policy);
    let draft = Draft::new(
        &comparison,
        &judgement,
        title,
        id,
        base.revision,
        head.revision,
        chart_size,
    );

    if dry_run {
        let mode = match images {
            ImagesArg::Mermaid => ImageMode::Mermaid,
            ImagesArg::None => ImageMode::None,
            _ => ImageMode::Files,
        };
        let report = draft.local(mode)?;
        let path = publish::local::write(&out, &place, &report)?;
        log::info!(
            "wrote {} and {}",
            path.display(),
            path.with_file_name(publish::local::HTML_FILE).display()
        );
        annotate(ci, &judgement);
        return Ok(Outcome {
            stdout: report.markdown,
            gate_failed: judgement.gate_failed(),
        });
    }
    match destination {
        Some(destination) => {
            let outcome = post::post_report(
                &draft,
                &destination,
                &post,
                images,
                &out,
                &place,
                repo.as_ref(),
            )?;
            annotate(ci, &judgement);
            Ok(outcome)
        }
        None => Err(fail(
            "nothing to post to: not in GitHub Actions, and no --repo with --pr or --commit",
            "use `--dry-run` to write report.md and report.html locally, or pass --repo OWNER/NAME --pr N and a token",
        )),
    }
}

/// The report id and title from the flags, else `.mlci.toml`, else the defaults.
pub(crate) fn id_and_title(
    id: Option<String>,
    title: Option<String>,
    settings: &Settings,
) -> anyhow::Result<(String, String)> {
    let id = config::validate_id(
        id.or(settings.id.clone())
            .as_deref()
            .unwrap_or(config::DEFAULT_ID),
    )
    .map_err(|message| fail(message, "set `--id` or `id` in .mlci.toml"))?;
    let title = title
        .or(settings.title.clone())
        .unwrap_or_else(|| config::DEFAULT_TITLE.to_owned());
    Ok((id, title))
}

/// The verdict policy from `.mlci.toml` and the flags.
pub(crate) fn policy(
    settings: &Settings,
    rules: &[String],
    fail_on: Option<&str>,
    alpha: Option<f64>,
) -> anyhow::Result<verdict::Policy> {
    let hint = "see \"Verdicts and gates\" in the README";
    let rules = rules
        .iter()
        .map(|text| config::MetricSetting::parse_rule(text))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|message| fail(message, hint))?;
    settings
        .policy(&rules, fail_on, alpha)
        .map_err(|message| fail(format!("invalid configuration: {message}"), hint))
}

/// Says why the gate failed: on stderr, and as `::error` workflow commands in GitHub
/// Actions (annotations on the run), one per metric.
pub(crate) fn annotate(ci: &CiContext, judgement: &verdict::Judgement) {
    if !judgement.gate_failed() {
        return;
    }
    log::error!("gate failed: {}", judgement.failures.join("; "));
    if ci.provider == crate::ci::Provider::GitHubActions {
        for line in publish::github::annotations(judgement) {
            eprintln!("{line}");
        }
    }
}

/// What to read at each revision.
pub(crate) fn plan(settings: &Settings, targets: Vec<String>) -> anyhow::Result<Plan> {
    Ok(Plan {
        discovery: Discovery::Mlci,
        metrics: if targets.is_empty() {
            Selection::Discover(settings.metrics.clone())
        } else {
            Selection::Targets(targets)
        },
        params: Selection::Discover(settings.params.clone()),
        plots: PlotSelection::Discover(plot_declarations(&settings.plots)?),
        data: settings.data.iter().map(|d| d.path.clone()).collect(),
        max_file_size: settings.max_file_size().map_err(|message| {
            fail(
                format!("invalid configuration: {message}"),
                "see the `.mlci.toml` section of the README",
            )
        })?,
    })
}

/// A comparison ready to render at any level of detail and with any image mode.
pub struct Draft<'a> {
    /// The comparison.
    pub comparison: &'a Comparison,
    /// Its verdicts.
    pub judgement: &'a verdict::Judgement,
    /// Report title.
    pub title: String,
    /// Report id.
    pub id: String,
    /// Base revision.
    pub base: Revision,
    /// Head revision.
    pub head: Revision,
    machine: Machine,
    /// Chart settings.
    pub charts: ChartOptions,
}

impl<'a> Draft<'a> {
    /// A draft of the report.
    pub fn new(
        comparison: &'a Comparison,
        judgement: &'a verdict::Judgement,
        title: String,
        id: String,
        base: Revision,
        head: Revision,
        (width, height): (u32, u32),
    ) -> Draft<'a> {
        let charts = ChartOptions {
            width,
            height,
            base_label: legend_label("base", &base),
            head_label: legend_label("head", &head),
            ..ChartOptions::default()
        };
        Draft {
            comparison,
            judgement,
            title,
            id,
            base,
            head,
            machine: Machine::detect(),
            charts,
        }
    }

    /// The plots section and its files, for an image mode.
    pub fn plots(&self, mode: ImageMode) -> anyhow::Result<(Vec<PlotSection>, Vec<Asset>)> {
        Ok(render::plots::sections(
            &self.comparison.plots,
            &self.charts,
            mode,
        )?)
    }

    /// The markdown at a level of detail.
    pub fn markdown(
        &self,
        plots: &[PlotSection],
        detail: Detail,
        full_report: Option<&str>,
    ) -> String {
        render::markdown::report_at(
            self.comparison,
            &ReportContext {
                title: &self.title,
                id: &self.id,
                base: &self.base,
                head: &self.head,
                machine: Some(&self.machine),
                plots,
                full_report,
                judgement: self.judgement,
            },
            detail,
        )
    }

    /// The full report with its files, linked relatively: what `--dry-run` writes.
    pub fn local(&self, mode: ImageMode) -> anyhow::Result<publish::Report> {
        let (plots, assets) = self.plots(mode)?;
        let markdown = self.markdown(&plots, Detail::Full, None);
        Ok(publish::Report {
            html: render::html::page(&self.title, &markdown),
            title: self.title.clone(),
            markdown,
            assets,
        })
    }
}

/// Writes the files both revisions' reports were made from, and a manifest saying where the
/// report goes: everything `mlci publish` needs, nothing it must trust (it renders the
/// report again from these data files, escaping all of it).
#[allow(clippy::too_many_arguments)]
fn collect_bundle(
    bundle: &Path,
    place: &publish::local::Place<'_>,
    base: &Input,
    head: &Input,
    base_snapshot: &Snapshot,
    head_snapshot: &Snapshot,
    destination: Option<&Destination>,
    id: &str,
    title: &str,
) -> anyhow::Result<Outcome> {
    let files = |snapshot: &Snapshot| {
        let mut files = snapshot.files_read();
        files.push(".mlci.toml".to_owned());
        files
    };
    let manifest = post::Manifest {
        version: 1,
        forge: destination
            .filter(|d| d.forge == crate::publish::http::Forge::GitLab)
            .map(|_| "gitlab".to_owned()),
        repository: destination
            .map(|d| d.repository.clone())
            .unwrap_or_default(),
        pull_request: destination.and_then(Destination::pull_request),
        commit: destination.and_then(|d| d.commit()),
        base_sha: base.revision.commit.clone(),
        head_sha: head.revision.commit.clone(),
        base_name: base.revision.name.clone(),
        head_name: head.revision.name.clone(),
        id: id.to_owned(),
        title: title.to_owned(),
    };
    let written = publish::local::write_bundle(
        bundle,
        place,
        &manifest.to_json(),
        [
            ("base", base.source.as_ref(), files(base_snapshot)),
            ("head", head.source.as_ref(), files(head_snapshot)),
        ],
    )?;
    log::info!(
        "wrote the report's inputs to {}; post them with `mlci publish {}`",
        written.display(),
        bundle.display()
    );
    Ok(Outcome {
        stdout: format!("{}\n", bundle.display()),
        gate_failed: false,
    })
}

/// The inputs of a bundle written by `--collect`: its `base/` and `head/` folders. The
/// head is named by the commit the publishing job checked; the base by the bundle's claim
/// when it is a commit name at all.
pub(crate) fn bundle_inputs(
    bundle: &Path,
    manifest: &post::Manifest,
    head_sha: &str,
    pull_request: bool,
) -> anyhow::Result<(Input, Input)> {
    let side = |name: &str, commit: Option<String>, label: &str| -> anyhow::Result<Input> {
        Ok(Input {
            source: Box::new(directory_source(&bundle.join(name), name)?),
            revision: Revision {
                name: label.to_owned(),
                kind: if commit.is_some() {
                    render::RevisionKind::Commit
                } else {
                    render::RevisionKind::Directory
                },
                commit,
            },
        })
    };
    let base_sha = manifest
        .base_sha
        .clone()
        .filter(|sha| crate::git::is_full_sha(sha));
    let (base_label, head_label) = if pull_request {
        ("pull request base", "pull request head")
    } else {
        ("base", "head")
    };
    Ok((
        side("base", base_sha, base_label)?,
        side("head", Some(head_sha.to_owned()), head_label)?,
    ))
}

/// Whether `theirs` is a newer commit than `ours` (ours is its ancestor), as far as this
/// clone can tell; fetches `theirs` when it is missing.
pub(crate) fn is_newer(repo: Option<&Repo>, ours: &str, theirs: &str) -> bool {
    let Some(repo) = repo else { return false };
    if repo.resolve(theirs).is_err() {
        return false;
    }
    repo.is_ancestor(ours, theirs)
}
