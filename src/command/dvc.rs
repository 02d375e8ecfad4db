//! `mlci metrics diff`, `mlci params diff` (DVC's output, byte for byte) and
//! `mlci plots diff`.

use std::path::Path;

use crate::ci::CiContext;
use crate::cli::{DiffArgs, LocalImagesArg, PlotsDiffArgs};
use crate::command::Outcome;
use crate::config::sides::{read_settings, relative_dir};
use crate::diff::{self, Side};
use crate::git::{self, Repo};
use crate::inputs::{
    self, Directory, Discovery, FilePlan, FileSource, PlotSelection, Selection, paths,
};
use crate::publish;
use crate::render::chart::ChartOptions;
use crate::render::plots::Links;
use crate::render::{self, Revision, RevisionKind, dvc};
use crate::sha::Sha;

/// `mlci metrics diff` / `mlci params diff`: DVC's commands, byte for byte.
pub fn diff(
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
    let plan = FilePlan {
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
        data: Vec::new(),
        max_file_size: inputs::DEFAULT_MAX_FILE_SIZE,
        runs: crate::inputs::RunPlan::default(),
    };
    let [base, head] = inputs::read_sides(&plan, [a.source(), b.source()])?;
    log::debug!("read both revisions in {:?}", started.elapsed());
    let failed: Vec<&str> = [(&options.a_label, &base), (&options.b_label, &head)]
        .into_iter()
        .filter(|(_, snapshot)| snapshot.has_problems())
        .map(|(label, _)| label.as_str())
        .collect();
    let comparison = diff::compare(base, head);
    log::debug!("compared in {:?}", started.elapsed());
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
pub fn plots_diff(args: PlotsDiffArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Outcome> {
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
    let started = std::time::Instant::now();
    let a = DvcRevision::open(&repo, &a_label)?;
    let b = DvcRevision::open(&repo, &b_label)?;
    log::debug!("opened both revisions in {:?}", started.elapsed());
    // The newer side's `.mlci.toml` adds its `[[plots]]`, as `report` does.
    let settings = read_settings(b.source(), None)?;
    let plan = FilePlan {
        discovery: Discovery::Mlci,
        metrics: Selection::Nothing,
        params: Selection::Nothing,
        plots: if targets.is_empty() {
            PlotSelection::Discover(settings.plot_declarations()?)
        } else {
            PlotSelection::Targets(targets.iter().map(|t| paths::join(&cwd, t)).collect())
        },
        data: Vec::new(),
        max_file_size: inputs::DEFAULT_MAX_FILE_SIZE,
        runs: crate::inputs::RunPlan::default(),
    };
    let started = std::time::Instant::now();
    let [base, head] = inputs::read_sides(&plan, [a.source(), b.source()])?;
    log::debug!("read both revisions in {:?}", started.elapsed());
    let comparison = diff::compare(base, head);
    let revision = |label: &str, commit: Option<&Sha>| Revision {
        name: label.to_owned(),
        commit: commit.cloned(),
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
    for line in render::warnings(&comparison, &base_revision, &head_revision) {
        log::warn!("{line}");
    }
    let options = ChartOptions {
        width: chart_size.0,
        height: chart_size.1,
        base_label: a_label.clone(),
        head_label: b_label.clone(),
        ..ChartOptions::default()
    };
    let links = match images {
        LocalImagesArg::Files => Links::Relative,
        LocalImagesArg::Mermaid => Links::Mermaid,
        LocalImagesArg::None => Links::Omitted,
    };
    let draw = images == LocalImagesArg::Files;
    let figures = render::plots::figures(&comparison.plots, &options, draw)?;
    log::debug!("drew the charts in {:?}", started.elapsed());
    let index = render::markdown::plots_page(&figures, links, &options);
    let assets = if draw {
        render::plots::assets(&figures)
    } else {
        Vec::new()
    };
    let place = publish::local::Place {
        dir: dir.to_path_buf(),
        repo_root: Some(repo.root().to_path_buf()),
    };
    let path = publish::local::write_plots(&out, &place, &index, &assets)?;
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

    fn commit(&self) -> Option<&Sha> {
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
