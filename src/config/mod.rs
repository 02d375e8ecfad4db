//! Configuration: the one place where the flags, the environment, `.mlci.toml` and the CI
//! event become decisions. [`Plan::resolve`] (for `mlci report`) and [`Plan::from_bundle`]
//! (for `mlci publish`) return a [`Plan`]: the two sides and how each is named, what files
//! to read, the verdict policy, what the report says about itself, and where it goes.
//! Nothing after this module looks at a flag or an environment variable again.
//!
//! - [`settings`]: `.mlci.toml`, typed, unknown keys refused; its rules become the policy;
//! - [`sides`]: where the base and the head are read from, and what the CI event says;
//! - [`destination`]: the forge, the conversation, the token and the chart hosting.

pub mod destination;
#[cfg(test)]
mod reference;
pub mod rules;
pub mod settings;
pub mod sides;

use std::path::{Path, PathBuf};

pub use settings::{ConfigError, DEFAULT_ID, DEFAULT_TITLE, Settings, validate_id};
pub use sides::Input;

use crate::ci::{CiContext, Event, Machine, Provider};
use crate::cli::{ImagesArg, PublishArgs, ReportArgs};
use crate::fail;
use crate::git::Repo;
use crate::inputs::{Discovery, FilePlan, PlotSelection, RunPlan, Selection, paths};
use crate::publish::bundle::{Claim, Manifest};
use crate::publish::deliver::Delivery;
use crate::publish::forge;
use crate::publish::http::Forge;
use crate::publish::local::Place;
use crate::publish::target::{Bundle, Destination, Local, LocalImages, Post, Target};
use crate::render::report;
use crate::render::{Revision, RevisionKind};
use crate::sha::Sha;
use crate::verdict::Policy;

/// Everything a report run decided before it reads a file.
#[derive(Debug)]
pub struct Plan {
    /// The side compared against.
    pub base: Input,
    /// The side under review.
    pub head: Input,
    /// What to read at each side.
    pub files: FilePlan,
    /// How changes are judged, and when the gate fails.
    pub policy: Policy,
    /// What the report says about itself: title, id, the sides' names, the machine.
    pub report: report::Settings,
    /// Where the report goes.
    pub delivery: Delivery,
}

impl Plan {
    /// The plan of `mlci report`; `None` when the CI event has nothing to report (a deleted
    /// branch, a closed pull request), which is logged.
    ///
    /// Where the report goes decides the head commit it names and the default base; a
    /// stranger's head (and a token that writes) is read from its commit only, and neither
    /// chooses its base nor what judges it: those come from the base's `.mlci.toml`.
    pub fn resolve(args: ReportArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Option<Plan>> {
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
        let destination = if dry_run {
            None
        } else {
            destination::resolve(ci, &post)?
        };
        let event = destination.as_ref().map(|d| &d.event);
        if let Some(reason) = event.and_then(Event::nothing_to_report) {
            log::warn!("{reason}");
            return Ok(None);
        }
        let repo = sides::open_repository(
            dir,
            ci,
            head_dir.is_some() && base_dir.is_some(),
            base_dir.is_some(),
        )?;
        let committed_only = destination
            .as_ref()
            .is_some_and(Destination::reads_committed_only);
        let head = sides::head_side(
            repo.as_ref(),
            head_dir.as_deref(),
            dir,
            event,
            committed_only,
        )?;
        let shown = sides::read_settings(head.source.as_ref(), config.as_deref())?;
        let base = sides::base_side(
            repo.as_ref(),
            base_dir.as_deref(),
            base.or(shown.base.clone().filter(|_| !committed_only)),
            event,
            ci.default_branch(),
        )?;
        let settings = if committed_only {
            let trusted = sides::read_settings(base.source.as_ref(), config.as_deref())?;
            log::info!("the gate and report id come from the base's .mlci.toml");
            shown.with_policy_from(trusted)
        } else {
            shown
        };
        let (id, title) = id_and_title(id, title, &settings)?;
        let cwd = repo
            .as_ref()
            .filter(|_| head_dir.is_none())
            .map(|repo| sides::relative_dir(repo.root(), dir))
            .unwrap_or_default();
        let targets = targets.iter().map(|t| paths::join(&cwd, t)).collect();
        let files = file_plan(&settings, targets)?;
        let policy = settings.policy_with(&rules, fail_on, alpha)?;
        let place = Place {
            dir: dir.to_path_buf(),
            repo_root: repo.as_ref().map(|r| r.root().to_path_buf()),
        };
        let local = |images| Local {
            out: out.clone(),
            place: place.clone(),
            images,
        };
        let target = match (dry_run, collect, destination) {
            (true, _, _) => Target::Local(local(match images {
                ImagesArg::Mermaid => LocalImages::Mermaid,
                ImagesArg::None => LocalImages::None,
                _ => LocalImages::Files,
            })),
            (false, Some(dir), destination) => Target::Bundle(Box::new(Bundle {
                dir,
                place: place.clone(),
                manifest: manifest(destination.as_ref(), &base, &head, &id, &title),
            })),
            (false, None, Some(destination)) => Target::Forge(Box::new(Post {
                hosting: destination::hosting(images, &post, &destination)?,
                destination,
                check: post.check,
                network: forge::network(post.network_timeout, post.network_deadline),
                local: local(LocalImages::Files),
                repo,
                claim: None,
            })),
            (false, None, None) => {
                return Err(fail(
                    "nothing to post to: not in GitHub Actions, and no --repo with --pr or --commit",
                    "use `--dry-run` to write report.md and report.html locally, or pass --repo OWNER/NAME --pr N and a token",
                ));
            }
        };
        let draw = !matches!(
            target,
            Target::Bundle(_)
                | Target::Local(Local {
                    images: LocalImages::Mermaid | LocalImages::None,
                    ..
                })
        );
        Ok(Some(Plan {
            report: report::Settings {
                title,
                id,
                base: base.revision.clone(),
                head: head.revision.clone(),
                machine: Some(Machine::detect()),
                chart_size,
                draw,
            },
            base,
            head,
            files,
            policy,
            delivery: Delivery {
                target,
                openmetrics,
                place,
                annotate: ci.provider == Provider::GitHubActions,
            },
        }))
    }

    /// The plan of `mlci publish`: the report of a bundle that `report --collect` wrote in a
    /// stranger's run. Where it goes comes from this job (its own event and flags), and the
    /// bundle's claims are checked against the run that made it before anything is posted
    /// (in delivery, with the forge's answers). What is read comes with the bundle; what
    /// judges it comes from this checkout's `.mlci.toml`.
    pub fn from_bundle(args: PublishArgs, dir: &Path, ci: &CiContext) -> anyhow::Result<Plan> {
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
        let destination = destination::resolve(&quiet, &post)?.ok_or_else(|| {
            fail(
                "nothing says which repository to post to",
                "run `mlci publish` in a workflow_run job (GitHub) or a merge request pipeline (GitLab), or pass --repo",
            )
        })?;
        let claim = Claim {
            run_id: run_id.or(match ci.github.as_ref().map(|g| &g.event) {
                Some(Event::WorkflowRun(run)) if run.id > 0 => Some(run.id),
                _ => None,
            }),
            pull_request: match destination.forge {
                Forge::GitHub => post.pr,
                Forge::GitLab => post.pr.or(match ci.gitlab.as_ref().map(|g| &g.event) {
                    Some(Event::PullRequest { number, .. }) => Some(*number),
                    _ => None,
                }),
            },
            manifest,
        };
        let for_pull_request = destination.forge == Forge::GitLab
            || claim.pull_request.or(claim.manifest.pull_request).is_some();
        let (base, head) = bundle_sides(&bundle, &claim.manifest, for_pull_request)?;
        let shown = sides::read_settings(head.source.as_ref(), None)?;
        let checkout = Repo::discover(dir, ci.trusted_workspace.clone())
            .map_or_else(|_| dir.to_path_buf(), |r| r.root().to_path_buf());
        let trusted = sides::read_settings(
            &crate::inputs::Directory::new(checkout, "this checkout".into()),
            None,
        )?;
        let settings = shown.with_policy_from(trusted);
        let (id, title) = id_and_title(None, Some(claim.manifest.title.clone()), &settings)?;
        let place = Place {
            dir: dir.to_path_buf(),
            repo_root: None,
        };
        Ok(Plan {
            files: file_plan(&settings, Vec::new())?,
            policy: settings.policy_with(&[], None, None)?,
            report: report::Settings {
                title,
                id,
                base: base.revision.clone(),
                head: head.revision.clone(),
                machine: claim.manifest.machine.clone(),
                chart_size: (800, 440),
                draw: true,
            },
            base,
            head,
            delivery: Delivery {
                target: Target::Forge(Box::new(Post {
                    hosting: destination::hosting(images, &post, &destination)?,
                    destination,
                    check: post.check,
                    network: forge::network(post.network_timeout, post.network_deadline),
                    local: Local {
                        out,
                        place: place.clone(),
                        images: LocalImages::Files,
                    },
                    repo: None,
                    claim: Some(claim),
                })),
                openmetrics: None,
                place,
                annotate: false,
            },
        })
    }
}

/// The report id and title from the flags, else `.mlci.toml`, else the defaults.
fn id_and_title(
    id: Option<String>,
    title: Option<String>,
    settings: &Settings,
) -> anyhow::Result<(String, String)> {
    let id = validate_id(id.or(settings.id.clone()).as_deref().unwrap_or(DEFAULT_ID))?;
    let title = title
        .or(settings.title.clone())
        .unwrap_or_else(|| DEFAULT_TITLE.to_owned());
    Ok((id, title))
}

/// What to read at each side: `--targets`, else what the repository declares and
/// `.mlci.toml` adds.
fn file_plan(settings: &Settings, targets: Vec<String>) -> anyhow::Result<FilePlan> {
    Ok(FilePlan {
        discovery: Discovery::Mlci,
        metrics: if targets.is_empty() {
            Selection::Discover(settings.metrics.clone())
        } else {
            Selection::Targets(targets)
        },
        params: Selection::Discover(settings.params.clone()),
        plots: PlotSelection::Discover(settings.plot_declarations()?),
        data: settings.data.iter().map(|d| d.path.clone()).collect(),
        max_file_size: settings.max_file_size()?,
        runs: RunPlan {
            discover: settings.discover.unwrap_or(true),
            declared: settings
                .runs
                .iter()
                .map(|r| (r.path.clone(), r.format))
                .collect(),
        },
    })
}

/// The manifest of a bundle: where the report is to go, as this run saw it.
fn manifest(
    destination: Option<&Destination>,
    base: &Input,
    head: &Input,
    id: &str,
    title: &str,
) -> Manifest {
    Manifest {
        version: 1,
        forge: destination
            .filter(|d| d.forge == Forge::GitLab)
            .map(|_| "gitlab".to_owned()),
        repository: destination
            .map(|d| d.repository.clone())
            .unwrap_or_default(),
        pull_request: destination.and_then(Destination::pull_request),
        commit: destination.and_then(Destination::commit).cloned(),
        base_sha: base.revision.commit.clone(),
        head_sha: head.revision.commit.clone(),
        base_name: base.revision.name.clone(),
        head_name: head.revision.name.clone(),
        id: id.to_owned(),
        title: title.to_owned(),
        machine: Some(Machine::detect()),
    }
}

/// The sides of a bundle: its `base/` and `head/` folders. The head is named by the commit
/// the bundle claims (delivery refuses it unless the run that made the bundle tested that
/// commit); the base by its claim when that is a commit name at all.
fn bundle_sides(
    bundle: &Path,
    manifest: &Manifest,
    for_pull_request: bool,
) -> anyhow::Result<(Input, Input)> {
    let side = |name: &str, commit: Option<Sha>, label: &str| -> anyhow::Result<Input> {
        let path: PathBuf = bundle.join(name);
        Ok(Input {
            source: Box::new(sides::directory_source(&path, name)?),
            revision: Revision {
                name: label.to_owned(),
                kind: if commit.is_some() {
                    RevisionKind::Commit
                } else {
                    RevisionKind::Directory
                },
                commit,
            },
        })
    };
    let (base_label, head_label) = if for_pull_request {
        ("pull request base", "pull request head")
    } else {
        ("base", "head")
    };
    Ok((
        side("base", manifest.base_sha.clone(), base_label)?,
        side("head", manifest.head_sha.clone(), head_label)?,
    ))
}
