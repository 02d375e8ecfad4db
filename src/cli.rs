//! The command line as typed: clap derive, raw flags only. Every doc comment here is the
//! `--help` text; every option of `report` can also come from an `MLCI_*` environment
//! variable, which is how `action.yml` and the GitLab template pass their inputs.
//! What they decide for a run (defaults, checks, the CI event) is `config::Plan::resolve`.

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
    Report(Box<ReportArgs>),
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
    /// Post a bundle written by `report --collect` (for pull requests from forks: run this in
    /// a `workflow_run` job, which has a token that can write).
    Publish(PublishArgs),
    /// Post a markdown file you wrote as the sticky report (CML's `cml comment create`),
    /// hosting the local images it links.
    Comment(CommentArgs),
    /// What the GitHub Action runs: `report`, with the action's inputs (`INPUT_*`).
    Action,
}

/// Where and how to post on GitHub or GitLab; shared by `report`, `publish` and `comment`.
#[derive(Debug, Args)]
pub struct PostArgs {
    /// Token [default: MLCI_TOKEN, else GITHUB_TOKEN on GitHub, GITLAB_TOKEN on GitLab].
    /// Never printed.
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<crate::ci::Secret>,

    /// Where to post [default: the CI system's forge, else github].
    #[arg(long, env = "MLCI_FORGE", value_name = "FORGE")]
    pub forge: Option<ForgeArg>,

    /// Repository: OWNER/NAME on GitHub, GROUP/PROJECT or a project id on GitLab [default:
    /// GITHUB_REPOSITORY, CI_PROJECT_ID].
    #[arg(long, env = "MLCI_REPO", value_name = "OWNER/NAME")]
    pub repo: Option<String>,

    /// Pull request (GitHub) or merge request (GitLab) to comment on [default: the event's].
    #[arg(
        long,
        visible_alias = "mr",
        env = "MLCI_PR",
        value_name = "N",
        conflicts_with = "commit"
    )]
    pub pr: Option<u64>,

    /// Commit to comment on instead of a pull request, by its full name [default on push:
    /// the pushed commit].
    #[arg(long, env = "MLCI_COMMIT", value_name = "SHA")]
    pub commit: Option<crate::sha::Sha>,

    /// GitHub API root (GitHub Enterprise Server: `https://HOST/api/v3`) [default:
    /// GITHUB_API_URL, else `https://api.github.com`].
    #[arg(long, env = "MLCI_GITHUB_API_URL", value_name = "URL")]
    pub github_api_url: Option<String>,

    /// GitHub web root, for links [default: GITHUB_SERVER_URL, else `https://github.com`].
    #[arg(long, env = "MLCI_GITHUB_SERVER_URL", value_name = "URL")]
    pub github_server_url: Option<String>,

    /// GitLab API root (self-managed: `https://HOST/api/v4`, sub-paths included) [default:
    /// CI_API_V4_URL, else `https://gitlab.com/api/v4`].
    #[arg(long, env = "MLCI_GITLAB_API_URL", value_name = "URL")]
    pub gitlab_api_url: Option<String>,

    /// Login that posts the report, to tell our comments from quotes of them [default:
    /// `github-actions[bot]` with the workflow token].
    #[arg(long, env = "MLCI_AUTHOR", value_name = "LOGIN")]
    pub author: Option<String>,

    /// Also create a check run named `mlci (ID)` on the head commit.
    #[arg(long, env = "MLCI_CHECK")]
    pub check: bool,

    /// Git ref under refs/mlci/ that --images git-ref commits charts to [default:
    /// refs/mlci/pr-N, or refs/mlci/commit-SHA]; branches and tags are refused.
    #[arg(long, env = "MLCI_IMAGE_REF", value_name = "REF")]
    pub image_ref: Option<String>,

    /// URL of an uploaded chart, for --images url-template: `{path}` is its path under
    /// --out (plots/roc.png), `{name}` its file name.
    #[arg(long, env = "MLCI_IMAGE_URL_TEMPLATE", value_name = "URL")]
    pub image_url_template: Option<String>,

    /// Longest wait for one GitHub response, in seconds.
    #[arg(
        long,
        env = "MLCI_NETWORK_TIMEOUT",
        value_name = "SECONDS",
        default_value = "30"
    )]
    pub network_timeout: f64,

    /// Longest time for all GitHub requests, retries and waits included, in seconds.
    #[arg(
        long,
        env = "MLCI_NETWORK_DEADLINE",
        value_name = "SECONDS",
        default_value = "300"
    )]
    pub network_deadline: f64,
}

/// Options of `mlci publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The directory `report --collect` wrote.
    #[arg(value_name = "DIR")]
    pub bundle: PathBuf,

    /// How charts reach the reader.
    #[arg(long, env = "MLCI_IMAGES", value_name = "MODE", default_value = "auto")]
    pub images: ImagesArg,

    /// Where the local copy of the report is written.
    #[arg(
        long,
        env = "MLCI_OUT",
        value_name = "DIR",
        default_value = "mlci-report"
    )]
    pub out: PathBuf,

    /// The workflow run that made the bundle [default: the `workflow_run` event's]; its
    /// head commit and repository are checked against the bundle (GitHub).
    #[arg(long, env = "MLCI_RUN_ID", value_name = "ID")]
    pub run_id: Option<u64>,

    /// Where and how to post.
    #[command(flatten)]
    pub post: PostArgs,
}

/// Options of `mlci comment`.
#[derive(Debug, Args)]
pub struct CommentArgs {
    /// The markdown file; it is posted byte for byte, with its local images hosted.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Report id: the comment replaces the earlier one with the same id.
    #[arg(long, env = "MLCI_ID", value_name = "ID", default_value = "default")]
    pub id: String,

    /// Where: `pr` (the event's pull request, or --pr), `commit` (or --commit), `issue/N`.
    #[arg(long, value_name = "TARGET", default_value = "pr")]
    pub target: String,

    /// How local images reach the reader: `git-ref`, `url-template`, or `none` (links
    /// left as they are).
    #[arg(long, env = "MLCI_IMAGES", value_name = "MODE", default_value = "auto")]
    pub images: ImagesArg,

    /// Where and how to post.
    #[command(flatten)]
    pub post: PostArgs,
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
    pub images: LocalImagesArg,

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

    /// How charts reach the reader [default: git-ref when posting to GitHub, upload on
    /// GitLab, files with --dry-run].
    #[arg(long, env = "MLCI_IMAGES", value_name = "MODE", default_value = "auto")]
    pub images: ImagesArg,

    /// Chart size in CSS pixels (drawn at twice that for sharp display).
    #[arg(long, env = "MLCI_CHART_SIZE", value_name = "WxH", default_value = "800x440", value_parser = parse_size)]
    pub chart_size: (u32, u32),

    /// Write the report's inputs and a manifest to DIR instead of posting (no token needed;
    /// for pull requests from forks, post it with `mlci publish DIR` in a `workflow_run` job).
    #[arg(
        long,
        env = "MLCI_COLLECT",
        value_name = "DIR",
        conflicts_with = "dry_run"
    )]
    pub collect: Option<PathBuf>,

    /// When the gate fails (exit code 1, after the report is written and posted)
    /// [default: regression when a rule or data check is configured, else never].
    #[arg(long, env = "MLCI_FAIL_ON", value_name = "WHEN")]
    pub fail_on: Option<FailOnArg>,

    /// A metric rule, as a `[[metric]]` table says it: 'NAME key=value ...' with direction,
    /// min, max, max_regression, required, finite (repeatable; one per line in MLCI_RULES).
    #[arg(
        long = "rule",
        env = "MLCI_RULES",
        value_name = "RULE",
        value_delimiter = '\n'
    )]
    pub rules: Vec<String>,

    /// Significance level of Welch's t-test on metrics with several values [default: 0.05].
    #[arg(long, env = "MLCI_ALPHA", value_name = "P")]
    pub alpha: Option<f64>,

    /// Also write the head's metrics as OpenMetrics text to FILE (GitLab's metrics report:
    /// `artifacts: reports: metrics: FILE`).
    #[arg(long, env = "MLCI_OPENMETRICS", value_name = "FILE")]
    pub openmetrics: Option<PathBuf>,

    /// Where and how to post.
    #[command(flatten)]
    pub post: PostArgs,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnArg {
    /// A metric regressed beyond its tolerance, or a check failed.
    Regression,
    /// Any metric changed beyond noise, or a check failed.
    Change,
    /// Never.
    Never,
}

impl FailOnArg {
    /// The name `.mlci.toml` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOnArg::Regression => "regression",
            FailOnArg::Change => "change",
            FailOnArg::Never => "never",
        }
    }
}

/// `--forge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ForgeArg {
    /// GitHub or GitHub Enterprise Server.
    Github,
    /// GitLab.com or a self-managed GitLab.
    Gitlab,
}

/// `--images`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImagesArg {
    /// git-ref when posting to GitHub, upload on GitLab, files otherwise.
    Auto,
    /// PNG files next to the report, linked relatively (local preview, artifacts).
    Files,
    /// GitHub: commit the charts to a hidden ref of the repository and link them there.
    GitRef,
    /// GitLab: upload the charts with the project uploads API and link them.
    Upload,
    /// Link charts at --image-url-template (you upload --out/plots yourself).
    UrlTemplate,
    /// ```mermaid xychart-beta blocks inside the markdown: no hosting at all.
    Mermaid,
    /// No charts; the numbers under each plot remain.
    None,
}

/// `plots diff --images`: what a local folder of charts can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LocalImagesArg {
    /// PNG files next to index.md.
    Files,
    /// ```mermaid xychart-beta blocks inside index.md.
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
