//! mlci: ML results in code review.
//!
//! The pipeline reads in one direction (see `ARCHITECTURE.md`):
//! [`cli`]/[`config`] → [`ci`] → [`git`] → [`inputs`] → [`model`] → [`diff`] → [`render`] →
//! [`publish`]. Only `git` and `publish` touch the disk or the network; [`run`] is the
//! pipeline, top to bottom, and `main` maps its outcome to an exit code.

pub mod ci;
pub mod cli;
pub mod config;
pub mod diff;
pub mod git;
pub mod inputs;
pub mod logger;
pub mod model;
pub mod publish;
pub mod python;
pub mod render;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::ci::{CiContext, Provider};
use crate::cli::{
    Cli, Command, DiffArgs, ImagesArg, MetricsCommand, ParamsCommand, PlotsCommand, PlotsDiffArgs,
    ReportArgs,
};
use crate::config::Settings;
use crate::diff::{Comparison, Side};
use crate::git::{Directory, GitError, Repo};
use crate::inputs::{Discovery, FileSource, Plan, PlotSelection, Selection, paths};
use crate::model::Snapshot;
use crate::render::chart::ChartOptions;
use crate::render::plots::ImageMode;
use crate::render::{Revision, RevisionKind, dvc};

/// What a successful run leaves: data for stdout and whether a gate failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Printed to stdout as is.
    pub stdout: String,
    /// A configured gate failed: exit code 1.
    pub gate_failed: bool,
}

impl Outcome {
    /// Prints the data and returns the exit code (0, or 1 for a failed gate).
    pub fn finish(self) -> ExitCode {
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = stdout
            .write_all(self.stdout.as_bytes())
            .and_then(|()| stdout.flush())
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            eprintln!("error: cannot write to stdout: {error}");
            return ExitCode::from(2);
        }
        if self.gate_failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// An error with the fix to suggest.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// What went wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

fn fail(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    Failure {
        message: message.into(),
        hint: Some(hint.into()),
    }
    .into()
}

/// Prints an error, its causes, and a `hint:` when one is known, to stderr.
pub fn print_error(error: &anyhow::Error) {
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    let hint = error.chain().find_map(|cause| {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            failure.hint.clone()
        } else if let Some(git) = cause.downcast_ref::<GitError>() {
            git.hint()
        } else if cause.downcast_ref::<config::ConfigError>().is_some() {
            Some("fix the file, or see the `.mlci.toml` section of the README".to_owned())
        } else {
            None
        }
    });
    if let Some(hint) = hint {
        eprintln!("\nhint: {hint}");
    }
}

/// Runs one command.
pub fn run(cli: Cli, ci: &CiContext) -> anyhow::Result<Outcome> {
    let Cli {
        command, directory, ..
    } = cli;
    let dir = match directory {
        Some(dir) => dir,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    match command {
        Command::Report(args) => report(args, &dir, ci),
        Command::Metrics {
            command: MetricsCommand::Diff(args),
        } => dvc_diff(dvc::Kind::Metrics, args.diff, args.precision, &dir, ci),
        Command::Params {
            command: ParamsCommand::Diff(args),
        } => dvc_diff(dvc::Kind::Params, args, None, &dir, ci),
        Command::Plots {
            command: PlotsCommand::Diff(args),
        } => plots_diff(args, &dir, ci),
    }
}

/// `mlci report`: resolve base and head, read both, compare, render, publish.
fn report(args: ReportArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Outcome> {
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
    } = args;

    let repo = open_repository(
        dir,
        ci,
        head_dir.is_some() && base_dir.is_some(),
        base_dir.is_some(),
    )?;
    let head = head_side(repo.as_ref(), head_dir.as_deref(), dir)?;
    let settings = read_settings(head.source.as_ref(), config.as_deref())?;
    let id = config::validate_id(id.or(settings.id).as_deref().unwrap_or(config::DEFAULT_ID))
        .map_err(|message| fail(message, "set `--id` or `id` in .mlci.toml"))?;
    let title = title
        .or(settings.title)
        .unwrap_or_else(|| config::DEFAULT_TITLE.to_owned());
    let base = base_side(repo.as_ref(), base_dir.as_deref(), base.or(settings.base))?;

    let cwd = repo
        .as_ref()
        .filter(|_| head_dir.is_none())
        .map(|repo| relative_dir(repo.root(), dir))
        .unwrap_or_default();
    let plan = Plan {
        discovery: Discovery::Mlci,
        metrics: if targets.is_empty() {
            Selection::Discover(settings.metrics)
        } else {
            Selection::Targets(targets.iter().map(|t| paths::join(&cwd, t)).collect())
        },
        params: Selection::Discover(settings.params),
        plots: PlotSelection::Discover(plot_declarations(&settings.plots)?),
    };
    let (base_snapshot, head_snapshot) =
        collect_both(&plan, base.source.as_ref(), head.source.as_ref())?;
    let comparison = diff::compare(&base_snapshot, &head_snapshot);
    log_warnings(&comparison, &base.revision, &head.revision);

    let chart_options = ChartOptions {
        width: chart_size.0,
        height: chart_size.1,
        base_label: legend_label("base", &base.revision),
        head_label: legend_label("head", &head.revision),
        ..ChartOptions::default()
    };
    let (plots, assets) =
        render::plots::sections(&comparison.plots, &chart_options, image_mode(images))?;
    let markdown = render::markdown::report(
        &comparison,
        &render::markdown::ReportContext {
            title: &title,
            id: &id,
            base: &base.revision,
            head: &head.revision,
            machine: Some(&ci::Machine::detect()),
            plots: &plots,
        },
    );
    let report = publish::Report {
        html: render::html::page(&title, &markdown),
        title,
        markdown,
        assets,
    };

    if dry_run {
        let path = publish::local::write(&out, &report)?;
        log::info!(
            "wrote {} and {}",
            path.display(),
            out.join(publish::local::HTML_FILE).display()
        );
        return Ok(Outcome {
            stdout: report.markdown,
            gate_failed: false,
        });
    }
    match ci.provider {
        Provider::Local | Provider::GitHubActions | Provider::GitLab => Err(fail(
            "posting reports is not available in this build",
            "use `--dry-run` to write report.md and report.html locally",
        )),
    }
}

/// The `[[plots]]` of `.mlci.toml` as `dvc.yaml` declarations.
fn plot_declarations(
    settings: &[config::PlotSetting],
) -> anyhow::Result<Vec<inputs::dvcyaml::PlotDeclaration>> {
    settings
        .iter()
        .map(|setting| {
            setting.declaration().map_err(|message| {
                fail(
                    format!("invalid configuration `.mlci.toml`: {message}"),
                    "see the `.mlci.toml` section of the README",
                )
            })
        })
        .collect()
}

/// `base (1a2b3c4)`, `head (working tree)`; just `base` for a directory called `base`.
fn legend_label(side: &str, revision: &Revision) -> String {
    let tag = revision.tag();
    if tag == side {
        side.to_owned()
    } else {
        format!("{side} ({tag})")
    }
}

fn image_mode(images: ImagesArg) -> ImageMode {
    match images {
        ImagesArg::Files => ImageMode::Files,
        ImagesArg::Mermaid => ImageMode::Mermaid,
        ImagesArg::None => ImageMode::None,
    }
}

/// One side of a comparison: where its files are, and how the report names it.
struct Input {
    source: Box<dyn FileSource>,
    revision: Revision,
}

/// The repository around `dir`; not needed when both sides are directories, and optional
/// when the base is a directory (then the head may be a plain directory too).
fn open_repository(
    dir: &Path,
    ci: &CiContext,
    both_directories: bool,
    base_is_directory: bool,
) -> anyhow::Result<Option<Repo>> {
    if both_directories {
        return Ok(None);
    }
    match Repo::discover(dir, ci.trusted_workspace.clone()) {
        Ok(repo) => Ok(Some(repo)),
        Err(GitError::NotARepository(_)) if base_is_directory => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The head: `--head-dir`, else the working tree (of the repository, or of `dir`).
fn head_side(repo: Option<&Repo>, head_dir: Option<&Path>, dir: &Path) -> anyhow::Result<Input> {
    Ok(match (head_dir, repo) {
        (Some(path), _) => Input {
            source: Box::new(directory_source(path, "head")?),
            revision: Revision {
                name: path.display().to_string(),
                commit: None,
                kind: RevisionKind::Directory,
            },
        },
        (None, Some(repo)) => {
            let commit = repo
                .has_commits()
                .then(|| repo.resolve("HEAD"))
                .transpose()?;
            Input {
                source: Box::new(repo.work_tree("working tree".into())),
                revision: Revision {
                    name: "working tree".into(),
                    commit: commit.map(|c| c.sha),
                    kind: RevisionKind::WorkingTree,
                },
            }
        }
        (None, None) => Input {
            source: Box::new(Directory::new(dir.to_path_buf(), "working tree".into())),
            revision: Revision {
                name: dir.display().to_string(),
                commit: None,
                kind: RevisionKind::WorkingTree,
            },
        },
    })
}

/// The base: `--base-dir`, else `--base REF` (or `base` in .mlci.toml) exactly, else the
/// merge-base of `HEAD` and the default branch.
fn base_side(
    repo: Option<&Repo>,
    base_dir: Option<&Path>,
    base: Option<String>,
) -> anyhow::Result<Input> {
    let repo = match (base_dir, repo) {
        (Some(path), _) => {
            return Ok(Input {
                source: Box::new(directory_source(path, "base")?),
                revision: Revision {
                    name: path.display().to_string(),
                    commit: None,
                    kind: RevisionKind::Directory,
                },
            });
        }
        (None, Some(repo)) => repo,
        (None, None) => {
            return Err(fail(
                "a base revision needs a git repository",
                "run inside the repository, or pass `--base-dir`",
            ));
        }
    };
    let (name, commit) = match base {
        Some(revision) => {
            let commit = repo.resolve(&revision)?;
            (revision, commit)
        }
        None => {
            let branch = repo.default_branch()?;
            let head = repo.resolve("HEAD")?;
            let tip = repo.resolve(&branch)?;
            (
                format!("merge-base with {branch}"),
                repo.merge_base(&head, &tip)?,
            )
        }
    };
    let label = format!("{name} ({})", commit.short());
    Ok(Input {
        source: Box::new(repo.tree(&commit, label)?),
        revision: Revision {
            name,
            commit: Some(commit.sha),
            kind: RevisionKind::Commit,
        },
    })
}

fn directory_source(path: &Path, side: &str) -> anyhow::Result<Directory> {
    if !path.is_dir() {
        return Err(fail(
            format!("the {side} directory `{}` does not exist", path.display()),
            "pass an existing directory (for a CI artifact, download it first)",
        ));
    }
    Ok(Directory::new(
        path.to_path_buf(),
        path.display().to_string(),
    ))
}

fn read_settings(source: &dyn FileSource, config: Option<&Path>) -> anyhow::Result<Settings> {
    let explicit = config.is_some();
    let path = config
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|| ".mlci.toml".to_owned());
    match source.read(&path) {
        Ok(Some(bytes)) => Ok(Settings::parse(&path, &bytes)?),
        Ok(None) if !explicit => Ok(Settings::default()),
        Ok(None) => Err(fail(
            format!("the configuration file `{path}` does not exist"),
            "the path is relative to the repository root",
        )),
        Err(error) => Err(fail(
            format!("cannot read `{path}`: {error}"),
            "check the file",
        )),
    }
}

/// Reads both sides at once: base from git objects while head comes from the disk.
fn collect_both(
    plan: &Plan,
    base: &dyn FileSource,
    head: &dyn FileSource,
) -> anyhow::Result<(Snapshot, Snapshot)> {
    let (base, head) = std::thread::scope(|scope| {
        let base = scope.spawn(|| inputs::collect(plan, base));
        let head = inputs::collect(plan, head);
        (base.join().expect("collecting does not panic"), head)
    });
    Ok((base?, head?))
}

fn log_warnings(comparison: &Comparison, base: &Revision, head: &Revision) {
    for warning in &comparison.warnings {
        let revision = match warning.side {
            Side::Base => base,
            Side::Head => head,
        };
        log::warn!(
            "cannot read `{}` at {}: {}",
            warning.path,
            revision.describe(),
            warning.problem
        );
    }
}

/// The directory `dir` relative to the repository root, `/`-separated (`""` at the root).
fn relative_dir(root: &Path, dir: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.strip_prefix(&root)
        .map(|rel| rel.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// `mlci metrics diff` / `mlci params diff`: DVC's commands, byte for byte.
fn dvc_diff(
    kind: dvc::Kind,
    args: DiffArgs,
    precision: Option<usize>,
    dir: &Path,
    ci: &CiContext,
) -> anyhow::Result<Outcome> {
    let DiffArgs {
        a_rev,
        b_rev,
        targets,
        all,
        markdown,
        json,
        no_path,
    } = args;
    let repo = Repo::discover(dir, ci.trusted_workspace.clone())?;
    let cwd = relative_dir(repo.root(), dir);
    let options = dvc::Options {
        kind,
        style: if json {
            dvc::Style::Json
        } else if markdown {
            dvc::Style::Markdown
        } else {
            dvc::Style::Plain
        },
        a_label: a_rev.unwrap_or_else(|| "HEAD".to_owned()),
        b_label: b_rev.unwrap_or_else(|| WORKSPACE.to_owned()),
        all,
        no_path,
        precision: precision.unwrap_or(dvc::DEFAULT_PRECISION),
        cwd: cwd.clone(),
    };
    let empty = || Outcome {
        stdout: dvc::render(&[], &options),
        gate_failed: false,
    };
    let started = std::time::Instant::now();
    let (a, b) = match (
        DvcRevision::open(&repo, &options.a_label),
        DvcRevision::open(&repo, &options.b_label),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        // DVC compares nothing in a repository without commits.
        _ if !repo.has_commits() => return Ok(empty()),
        (Err(error), _) | (_, Err(error)) => return Err(error),
    };
    log::debug!("opened both revisions in {:?}", started.elapsed());
    if let (Some(x), Some(y)) = (a.commit(), b.commit())
        && x == y
        && options.a_label != options.b_label
    {
        // Two names for one commit: DVC reads it once under the key "a,b", then finds
        // neither "a" nor "b" in its results, so it shows nothing (iterative/dvc#10429).
        return Ok(empty());
    }

    let selection = if targets.is_empty() {
        Selection::Discover(Vec::new())
    } else {
        Selection::Targets(targets.iter().map(|t| paths::join(&cwd, t)).collect())
    };
    let plan = Plan {
        discovery: Discovery::Dvc,
        metrics: if kind == dvc::Kind::Metrics {
            selection.clone()
        } else {
            Selection::Nothing
        },
        params: if kind == dvc::Kind::Params {
            selection
        } else {
            Selection::Nothing
        },
        plots: PlotSelection::Nothing,
    };
    let (base, head) = collect_both(&plan, a.source(), b.source())?;
    log::debug!("read both revisions in {:?}", started.elapsed());
    let comparison = diff::compare(&base, &head);
    log::debug!("compared in {:?}", started.elapsed());
    let failed: Vec<&str> = [(&options.a_label, &base), (&options.b_label, &head)]
        .into_iter()
        .filter(|(_, snapshot)| snapshot.has_problems())
        .map(|(label, _)| label.as_str())
        .collect();
    if !failed.is_empty() {
        let noun = match kind {
            dvc::Kind::Metrics => "metrics",
            dvc::Kind::Params => "params",
        };
        log::warn!(
            "failed to load some {noun} for following revisions: '{}'.",
            failed.join(", ")
        );
        for warning in &comparison.warnings {
            let label = match warning.side {
                Side::Base => &options.a_label,
                Side::Head => &options.b_label,
            };
            log::info!("  {} at {label}: {}", warning.path, warning.problem);
        }
    }
    let files = match kind {
        dvc::Kind::Metrics => &comparison.metrics,
        dvc::Kind::Params => &comparison.params,
    };
    let stdout = dvc::render(files, &options);
    log::debug!("rendered in {:?}", started.elapsed());
    Ok(Outcome {
        stdout,
        gate_failed: false,
    })
}

/// `mlci plots diff`: every plot at two revisions, drawn, with an `index.md` that shows them
/// (where `dvc plots diff` writes an HTML page that needs a browser and a CDN).
fn plots_diff(args: PlotsDiffArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Outcome> {
    let PlotsDiffArgs {
        a_rev,
        b_rev,
        targets,
        out,
        images,
        chart_size,
    } = args;
    let repo = Repo::discover(dir, ci.trusted_workspace.clone())?;
    let cwd = relative_dir(repo.root(), dir);
    let a_label = a_rev.unwrap_or_else(|| "HEAD".to_owned());
    let b_label = b_rev.unwrap_or_else(|| WORKSPACE.to_owned());
    let a = DvcRevision::open(&repo, &a_label)?;
    let b = DvcRevision::open(&repo, &b_label)?;
    let plan = Plan {
        discovery: Discovery::Mlci,
        metrics: Selection::Nothing,
        params: Selection::Nothing,
        plots: if targets.is_empty() {
            PlotSelection::Discover(Vec::new())
        } else {
            PlotSelection::Targets(targets.iter().map(|t| paths::join(&cwd, t)).collect())
        },
    };
    let started = std::time::Instant::now();
    let (base, head) = collect_both(&plan, a.source(), b.source())?;
    log::debug!("read both revisions in {:?}", started.elapsed());
    let comparison = diff::compare(&base, &head);
    let revision = |label: &str, commit: Option<&str>| Revision {
        name: label.to_owned(),
        commit: commit.map(str::to_owned),
        kind: if commit.is_some() {
            RevisionKind::Commit
        } else {
            RevisionKind::WorkingTree
        },
    };
    let (base_revision, head_revision) = (
        revision(&a_label, a.commit()),
        revision(&b_label, b.commit()),
    );
    log_warnings(&comparison, &base_revision, &head_revision);
    let options = ChartOptions {
        width: chart_size.0,
        height: chart_size.1,
        base_label: a_label.clone(),
        head_label: b_label.clone(),
        ..ChartOptions::default()
    };
    let (sections, assets) =
        render::plots::sections(&comparison.plots, &options, image_mode(images))?;
    log::debug!("drew the charts in {:?}", started.elapsed());
    let index = render::markdown::plots_page(&a_label, &b_label, &sections);
    let path = publish::local::write_plots(&out, &index, &assets)?;
    Ok(Outcome {
        stdout: format!("{}\n", path.display()),
        gate_failed: false,
    })
}

/// DVC's name for the working tree.
const WORKSPACE: &str = "workspace";

/// A side of a DVC-style diff: a commit or the working tree.
enum DvcRevision {
    Commit(git::GitTree),
    Workspace(Directory),
}

impl DvcRevision {
    fn open(repo: &Repo, label: &str) -> anyhow::Result<DvcRevision> {
        if label == WORKSPACE {
            return Ok(DvcRevision::Workspace(repo.work_tree(WORKSPACE.into())));
        }
        let commit = repo.resolve(label)?;
        Ok(DvcRevision::Commit(repo.tree(&commit, label.to_owned())?))
    }

    fn commit(&self) -> Option<&str> {
        match self {
            DvcRevision::Commit(tree) => Some(&tree.commit().sha),
            DvcRevision::Workspace(_) => None,
        }
    }

    fn source(&self) -> &dyn FileSource {
        match self {
            DvcRevision::Commit(tree) => tree,
            DvcRevision::Workspace(dir) => dir,
        }
    }
}
