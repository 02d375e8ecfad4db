//! The command line as typed: clap derive, raw flags only. Every doc comment here is the
//! `--help` text; every option of `report` can also come from an `MLCI_*` environment
//! variable, which is how `action.yml` and the GitLab template pass their inputs.
//! Validation and defaults live in [`crate::config`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes, shown at the end of `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a configured gate failed (the report is still written and posted)
  2  error (bad input, bad revision, network failure after retries)";

/// mlci: ML results in code review. Diffs metrics, params and plots against the pull
/// request's base and writes (or posts) one markdown report.
#[derive(Debug, Parser)]
#[command(name = "mlci", version, about, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Run as if mlci was started in DIR.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// More log output on stderr (-v: info, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare base and head and write the report (with --dry-run) or post it.
    Report(ReportArgs),
    /// DVC-compatible metrics commands.
    Metrics {
        /// The metrics command.
        #[command(subcommand)]
        command: MetricsCommand,
    },
    /// DVC-compatible params commands.
    Params {
        /// The params command.
        #[command(subcommand)]
        command: ParamsCommand,
    },
    /// DVC-compatible plots commands.
    Plots {
        /// The plots command.
        #[command(subcommand)]
        command: PlotsCommand,
    },
}

/// `mlci plots ...`
#[derive(Debug, Subcommand)]
pub enum PlotsCommand {
    /// Draw every plot at two revisions as PNG charts and write an index.md that shows them.
    Diff(PlotsDiffArgs),
}

/// Options of `plots diff`.
#[derive(Debug, Args)]
pub struct PlotsDiffArgs {
    /// Old revision [default: HEAD].
    #[arg(value_name = "A_REV")]
    pub a_rev: Option<String>,

    /// New revision [default: workspace, the working tree].
    #[arg(value_name = "B_REV")]
    pub b_rev: Option<String>,

    /// Plot these files (paths, directories or globs) instead of what dvc.yaml declares.
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub targets: Vec<String>,

    /// Where to write index.md and the charts.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "DIR",
        default_value = "mlci_plots"
    )]
    pub out: PathBuf,

    /// PNG files, or inline mermaid charts in index.md.
    #[arg(long, value_name = "MODE", default_value = "files")]
    pub images: ImagesArg,

    /// Chart size in CSS pixels (drawn at twice that for sharp display).
    #[arg(long, value_name = "WxH", default_value = "800x440", value_parser = parse_size)]
    pub chart_size: (u32, u32),
}

/// `mlci metrics ...`
#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Show changed metrics between two revisions, exactly as `dvc metrics diff` prints them.
    Diff(MetricsDiffArgs),
}

/// `mlci params ...`
#[derive(Debug, Subcommand)]
pub enum ParamsCommand {
    /// Show changed params between two revisions, exactly as `dvc params diff` prints them.
    Diff(DiffArgs),
}

/// Options of `mlci report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Base revision, compared exactly [default: the merge-base of HEAD and the default
    /// branch; in CI, the pull request's base].
    #[arg(
        long,
        env = "MLCI_BASE",
        value_name = "REF",
        conflicts_with = "base_dir"
    )]
    pub base: Option<String>,

    /// Read the base from a plain directory (a baseline downloaded as a CI artifact).
    #[arg(long, env = "MLCI_BASE_DIR", value_name = "DIR")]
    pub base_dir: Option<PathBuf>,

    /// Read the head from a plain directory instead of the working tree.
    #[arg(long, env = "MLCI_HEAD_DIR", value_name = "DIR")]
    pub head_dir: Option<PathBuf>,

    /// Metrics files, directories or globs to compare instead of what dvc.yaml declares.
    #[arg(long, env = "MLCI_TARGETS", value_name = "PATH", num_args = 1.., value_delimiter = ',')]
    pub targets: Vec<String>,

    /// Configuration file, relative to the repository root [default: .mlci.toml].
    #[arg(long, env = "MLCI_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Write the report locally (report.md, report.html) instead of posting it; needs no
    /// token and no network.
    #[arg(long, env = "MLCI_DRY_RUN")]
    pub dry_run: bool,

    /// Where --dry-run writes the report.
    #[arg(
        long,
        env = "MLCI_OUT",
        value_name = "DIR",
        default_value = "mlci-report"
    )]
    pub out: PathBuf,

    /// Report title [default: from .mlci.toml, else "mlci report"].
    #[arg(long, env = "MLCI_TITLE", value_name = "TEXT")]
    pub title: Option<String>,

    /// Report id: several reports (one per model, say) can live on one pull request.
    #[arg(long, env = "MLCI_ID", value_name = "ID")]
    pub id: Option<String>,

    /// How charts reach the reader: PNG files, inline mermaid charts, or none.
    #[arg(
        long,
        env = "MLCI_IMAGES",
        value_name = "MODE",
        default_value = "files"
    )]
    pub images: ImagesArg,

    /// Chart size in CSS pixels (drawn at twice that for sharp display).
    #[arg(long, env = "MLCI_CHART_SIZE", value_name = "WxH", default_value = "800x440", value_parser = parse_size)]
    pub chart_size: (u32, u32),
}

/// `--images`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImagesArg {
    /// PNG files next to the report (the links are rewritten when a publisher hosts them).
    Files,
    /// ```mermaid xychart-beta blocks inside the markdown: no hosting at all.
    Mermaid,
    /// No charts; the numbers under each plot remain.
    None,
}

/// Parses `800x440`.
fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, like 800x440, got `{text}`"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (200..=4000).contains(v))
            .ok_or_else(|| format!("`{v}` is not a size between 200 and 4000"))
    };
    Ok((parse(w)?, parse(h)?))
}

/// Options shared by `metrics diff` and `params diff`, with DVC's names.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Old revision [default: HEAD].
    #[arg(value_name = "A_REV")]
    pub a_rev: Option<String>,

    /// New revision [default: workspace, the working tree].
    #[arg(value_name = "B_REV")]
    pub b_rev: Option<String>,

    /// Limit the comparison to these files (paths, directories or globs).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub targets: Vec<String>,

    /// Show unchanged values too.
    #[arg(short = 'a', long)]
    pub all: bool,

    /// Print a markdown table.
    #[arg(long = "md", conflicts_with = "json")]
    pub markdown: bool,

    /// Print JSON.
    #[arg(long)]
    pub json: bool,

    /// Do not show the Path column.
    #[arg(long)]
    pub no_path: bool,
}

/// Options of `metrics diff`: the shared ones and `--precision`.
#[derive(Debug, Args)]
pub struct MetricsDiffArgs {
    /// The shared options.
    #[command(flatten)]
    pub diff: DiffArgs,

    /// Round floats to N decimals (DVC's default, 5, also applies to 0).
    #[arg(long, value_name = "N")]
    pub precision: Option<usize>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn dvc_style_arguments_parse() {
        let cli = Cli::parse_from([
            "mlci",
            "metrics",
            "diff",
            "HEAD~1",
            "--targets",
            "a.json",
            "b.json",
            "--md",
            "--precision",
            "2",
        ]);
        let Command::Metrics {
            command: MetricsCommand::Diff(args),
        } = cli.command
        else {
            panic!("metrics diff")
        };
        assert_eq!(args.diff.a_rev.as_deref(), Some("HEAD~1"));
        assert_eq!(args.diff.targets, vec!["a.json", "b.json"]);
        assert!(args.diff.markdown);
        assert_eq!(args.precision, Some(2));
    }
}
