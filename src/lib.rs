//! mlci: ML results in code review.
//!
//! [`config`] turns the flags, the environment, `.mlci.toml` and the CI event into a
//! [`config::Plan`]; [`report`] is the report's pipeline, top to bottom: read both sides
//! ([`inputs`], through [`git`] or directories) → compare ([`diff`]) → judge ([`verdict`]) →
//! render once ([`render`]) → deliver ([`publish`]). [`run`] dispatches a command, and
//! `main` maps the outcome to an exit code. Which module may use which, and who does I/O:
//! `ARCHITECTURE.md`.

pub mod ci;
pub mod cli;
pub mod command;
pub mod config;
pub mod diff;
pub mod error;
pub mod git;
pub mod inputs;
pub mod logger;
pub mod model;
pub mod names;
pub mod publish;
pub mod python;
pub mod render;
pub mod sha;
pub mod stats;
pub mod verdict;

use anyhow::Context as _;

use crate::ci::CiContext;
use crate::cli::{Cli, Command, MetricsCommand, ParamsCommand, PlotsCommand};
use crate::config::Plan;
use crate::git::GitError;
use crate::publish::bundle::ReadSide;
use crate::publish::deliver::deliver;
use crate::publish::http::ApiError;
use crate::render::dvc;
use crate::render::report::Report;

pub use crate::command::Outcome;
pub use crate::error::Failure;
pub(crate) use crate::error::fail;

/// Prints an error, its causes (each once), and a `hint:` when one is known, to stderr.
/// Messages may quote inputs: each is one inert line (`render::escape::log_line`).
pub fn print_error(error: &anyhow::Error) {
    use crate::render::escape;
    let top = error.to_string();
    eprintln!("error: {}", escape::log_line(&top));
    let mut shown = top;
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        // A wrapper often ends with its cause's text: say it once.
        if shown.contains(&cause) {
            continue;
        }
        eprintln!("  caused by: {}", escape::log_line(&cause));
        shown = cause;
    }
    let hint = error.chain().find_map(|cause| {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            failure.hint.clone()
        } else if let Some(git) = cause.downcast_ref::<GitError>() {
            git.hint()
        } else if let Some(github) = cause.downcast_ref::<ApiError>() {
            github.hint()
        } else if let Some(write) = cause.downcast_ref::<publish::local::WriteError>() {
            write.hint()
        } else {
            cause
                .downcast_ref::<config::ConfigError>()
                .map(|config| config.hint().to_owned())
        }
    });
    if let Some(hint) = hint {
        eprint!("\nhint: {}", escape::lines(&format!("{hint}\n")));
    }
}

/// Runs one command.
pub fn run(cli: Cli, ci: &CiContext) -> anyhow::Result<Outcome> {
    let Cli {
        command, directory, ..
    } = cli;
    // Absolute, so that every path mlci writes is checked against the same directory.
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let dir = match directory {
        Some(dir) => cwd.join(dir),
        None => cwd,
    };
    match command {
        Command::Report(args) => match Plan::resolve(*args, &dir, ci)? {
            Some(plan) => report(plan),
            None => Ok(Outcome::default()),
        },
        Command::Publish(args) => report(Plan::from_bundle(args, &dir, ci)?),
        Command::Metrics {
            command: MetricsCommand::Diff(args),
        } => command::dvc::diff(dvc::Kind::Metrics, args.diff, args.precision, &dir, ci),
        Command::Params {
            command: ParamsCommand::Diff(args),
        } => command::dvc::diff(dvc::Kind::Params, args, None, &dir, ci),
        Command::Plots {
            command: PlotsCommand::Diff(args),
        } => command::dvc::plots_diff(args, &dir, ci),
        Command::Comment(args) => command::comment::comment(args, &dir, ci),
        Command::Action => {
            let inputs = ci
                .github
                .as_ref()
                .map(|g| g.inputs.clone())
                .unwrap_or_default();
            // `argv` starts with `report`, so this does not come back here.
            run(command::action::cli(&inputs)?, ci)
        }
    }
}

/// The report: read both sides → compare → judge → render (every chart drawn once) →
/// deliver. `mlci report` and `mlci publish` differ only in their plan.
pub fn report(plan: Plan) -> anyhow::Result<Outcome> {
    let Plan {
        base,
        head,
        files,
        policy,
        report,
        delivery,
    } = plan;
    // Both sides at once: the base from git objects while the head comes from the disk.
    let [base_read, head_read] =
        inputs::read_sides(&files, [base.source.as_ref(), head.source.as_ref()])?;
    let sides = [
        ReadSide::of("base", base.source.as_ref(), &base_read),
        ReadSide::of("head", head.source.as_ref(), &head_read),
    ];
    let comparison = diff::compare(base_read, head_read);
    for line in render::warnings(&comparison, &report.base, &report.head) {
        log::warn!("{line}");
    }
    let judgement = verdict::judge(&comparison, &policy);
    let report = Report::new(&comparison, &judgement, report)?;
    let delivered = deliver(&report, &sides, &delivery)?;
    Ok(Outcome {
        stdout: delivered.stdout,
        gate_failed: delivered.gate_failed,
    })
}
