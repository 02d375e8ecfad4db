//! The Plots section of a report: a chart (PNG, or inline mermaid), a line of numbers, or a
//! user's images side by side, per plot; and the image files that go with the markdown.
//! Charts are drawn in parallel; nothing here touches the disk.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diff::PlotDiff;
use crate::model::{Plot, PlotContent};
use crate::render::chart::{self, Chart, ChartOptions};
use crate::render::draw::{self, DrawError};
use crate::render::{escape, mermaid};

/// How the images of a report reach the reader, decided where the report is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links<'a> {
    /// Files next to the report, linked relatively (`--dry-run`, the local copy).
    Relative,
    /// Hosted: each asset's URL by its relative path (an asset missing from the map is left
    /// out with a note, never linked where it would be broken).
    Hosted(&'a BTreeMap<String, String>),
    /// No hosting: charts as inline ```` ```mermaid ```` where that is honest.
    Mermaid,
    /// No charts; the numbers under each plot remain.
    Omitted,
}

/// A file that accompanies the markdown (a chart or a user's image).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Path relative to the report, as the markdown links it (`plots/roc.png`).
    pub path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The directory assets live in, relative to the report.
pub const ASSET_DIR: &str = "plots";

/// One plot as the report shows it: described and drawn once, linked however the report
/// is delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Heading.
    pub title: String,
    /// The chart, or the user's images.
    pub view: View,
    /// The numbers (already escaped), possibly empty.
    pub numbers: String,
    /// The other steps of a sequence of per-step images, listed under the shown one.
    pub other_steps: Vec<String>,
}

/// What a figure shows.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// A chart: its description (for mermaid) and, when drawn, its PNG.
    Chart {
        /// What a reader sees.
        chart: Box<Chart>,
        /// The PNG, when the report needs one.
        png: Option<Asset>,
    },
    /// The user's own image at base and head.
    Images(Images),
}

/// A user's image at base and head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Images {
    /// The same bytes on both sides.
    Unchanged(Asset),
    /// Different images, side by side.
    Changed(Asset, Asset),
    /// Only at head.
    Added(Asset),
    /// Only at base.
    Removed(Asset),
    /// At neither side, and why.
    Unavailable(String),
}

/// Describes every plot of a comparison and, with `draw`, draws its chart: once, on every
/// core. Plots that would carry the same title (dvclive's `roc/train.json` and
/// `roc/test.json`) get the part of their path that tells them apart, in the heading, the
/// alt text and the chart. A sequence of per-step images (`pred/0.png` … `pred/39.png`)
/// shows its last step, base beside head, and lists the other steps by name.
pub fn figures(
    plots: &[PlotDiff],
    options: &ChartOptions,
    draw: bool,
) -> Result<Vec<Figure>, DrawError> {
    let (plots, steps) = fold_steps(plots);
    let plots = distinct_titles(plots);
    let rendered = render_all(&plots, options, draw)?;
    let drawn = rendered.iter().filter(|(_, png)| png.is_some()).count();
    log::debug!("drew {drawn} charts");
    let mut used_names = Vec::new();
    let mut figures = Vec::new();
    for (plot, (chart, png)) in plots.iter().zip(rendered) {
        let title = plot_title(plot);
        let name = unique_name(&plot.id, &mut used_names);
        let other_steps = steps
            .iter()
            .find(|(shown, _)| *shown == plot.id)
            .map(|(_, others)| others.clone())
            .unwrap_or_default();
        if let Some(pair) = image_pair(plot) {
            figures.push(Figure {
                title,
                view: View::Images(images(&name, pair)),
                numbers: String::new(),
                other_steps,
            });
            continue;
        }
        let Some(chart) = chart else {
            continue;
        };
        figures.push(Figure {
            title,
            numbers: escape::inline(&chart::numbers(plot, &chart)),
            view: View::Chart {
                chart: Box::new(chart),
                png: png.map(|bytes| Asset {
                    path: format!("{ASSET_DIR}/{name}.png"),
                    bytes,
                }),
            },
            other_steps,
        });
    }
    Ok(figures)
}

/// Every file the figures link, for a local folder or for hosting.
pub fn assets(figures: &[Figure]) -> Vec<Asset> {
    figures.iter().flat_map(Figure::assets).cloned().collect()
}

impl Figure {
    /// The files this figure links.
    pub fn assets(&self) -> Vec<&Asset> {
        match &self.view {
            View::Chart { png, .. } => png.iter().collect(),
            View::Images(Images::Changed(base, head)) => vec![base, head],
            View::Images(Images::Unchanged(one) | Images::Added(one) | Images::Removed(one)) => {
                vec![one]
            }
            View::Images(Images::Unavailable(_)) => Vec::new(),
        }
    }

    /// The figure's markdown under its heading, its images linked as `links` says.
    pub fn body(&self, links: Links<'_>, options: &ChartOptions) -> String {
        let mut body = match &self.view {
            View::Chart { chart, png } => match (links, png) {
                (Links::Mermaid, _) => mermaid::chart(chart).unwrap_or_default(),
                (Links::Omitted, _) | (_, None) => String::new(),
                (links, Some(png)) => match url(links, png) {
                    Some(url) => format!("![{}]({url})", escape::inline(&self.title)),
                    None => NOT_HOSTED.to_owned(),
                },
            },
            View::Images(images) => images_body(images, links, options),
        };
        if !self.other_steps.is_empty() {
            let _ = write!(
                body,
                "\n\n<details><summary>{} more {} of this sequence</summary>\n\n{}\n\n</details>",
                self.other_steps.len(),
                if self.other_steps.len() == 1 {
                    "step"
                } else {
                    "steps"
                },
                self.other_steps
                    .iter()
                    .map(|id| escape::inline(id))
                    .collect::<Vec<_>>()
                    .join(" · ")
            );
        }
        body
    }
}

/// What stands where a hosted image has no URL.
const NOT_HOSTED: &str = "_Image not shown: it was not hosted._";

/// What stands where images cannot be linked at all.
const NEEDS_HOSTING: &str =
    "_Image not shown: images need hosting (`--images git-ref` on GitHub, `upload` on GitLab)._";

/// Where an asset is, for the markdown: its relative path or its hosted URL.
fn url(links: Links<'_>, asset: &Asset) -> Option<String> {
    match links {
        Links::Relative => Some(asset.path.clone()),
        Links::Hosted(urls) => urls.get(&asset.path).cloned(),
        Links::Mermaid | Links::Omitted => None,
    }
}

fn plot_title(plot: &PlotDiff) -> String {
    plot.head
        .as_ref()
        .or(plot.base.as_ref())
        .and_then(|p| p.title.clone())
        .unwrap_or_else(|| plot.id.clone())
}

/// A chart and, when drawn, its PNG.
type Rendered = (Option<chart::Chart>, Option<Vec<u8>>);

/// Describes (and draws) every chart, on every core: each worker takes the next plot
/// until none is left, so one heavy plot does not hold up the others.
fn render_all(
    plots: &[PlotDiff],
    options: &ChartOptions,
    draw: bool,
) -> Result<Vec<Rendered>, DrawError> {
    let render = |plot: &PlotDiff| -> Result<Rendered, DrawError> {
        let chart = chart::chart(plot, options);
        let png = match &chart {
            Some(chart) if draw && image_pair(plot).is_none() => Some(draw::png(chart)?),
            _ => None,
        };
        Ok((chart, png))
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(plots.len());
    if workers <= 1 {
        return plots.iter().map(render).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<Rendered, DrawError>>>> =
        plots.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(plot) = plots.get(index) else { break };
                    let result = render(plot);
                    *results[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("every plot was rendered")
        })
        .collect()
}

/// The step of a per-step image, and its id with the step taken out: the last run of
/// digits in the file's path (`dvclive/plots/images/pred/39.png` → 39,
/// `dvclive/plots/images/pred/{}.png`).
fn step_of(id: &str) -> Option<(u64, String)> {
    let end = id.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = id[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let step = id[start..end].parse().ok()?;
    Some((step, format!("{}{{}}{}", &id[..start], &id[end..])))
}

/// Folds each sequence of three or more per-step image plots into its last step; returns
/// the plots left and, for each shown step, the ids of the others (in step order).
fn fold_steps(plots: &[PlotDiff]) -> (Vec<PlotDiff>, Vec<(String, Vec<String>)>) {
    let mut sequences: std::collections::BTreeMap<String, Vec<(u64, &PlotDiff)>> =
        std::collections::BTreeMap::new();
    for plot in plots.iter().filter(|p| image_pair(p).is_some()) {
        if let Some((step, pattern)) = step_of(&plot.id) {
            sequences.entry(pattern).or_default().push((step, plot));
        }
    }
    let mut folded: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut steps = Vec::new();
    for members in sequences.values_mut().filter(|m| m.len() >= 3) {
        members.sort_by_key(|(step, _)| *step);
        // The last step the head has, else the last one at all.
        let shown = members
            .iter()
            .rev()
            .find(|(_, p)| p.head.is_some())
            .unwrap_or(members.last().expect("three or more"))
            .1;
        let others: Vec<String> = members
            .iter()
            .filter(|(_, p)| p.id != shown.id)
            .map(|(_, p)| p.id.clone())
            .collect();
        folded.extend(others.iter().cloned());
        steps.push((shown.id.clone(), others));
    }
    let kept = plots
        .iter()
        .filter(|p| !folded.contains(&p.id))
        .cloned()
        .collect();
    (kept, steps)
}

/// Gives plots that would share a title the part of their id that tells them apart.
fn distinct_titles(mut plots: Vec<PlotDiff>) -> Vec<PlotDiff> {
    let titles: Vec<String> = plots.iter().map(plot_title).collect();
    let mut renamed: Vec<Option<String>> = vec![None; plots.len()];
    for (i, title) in titles.iter().enumerate() {
        let same: Vec<usize> = (0..plots.len()).filter(|&j| titles[j] == *title).collect();
        if same.len() < 2 || renamed[i].is_some() {
            continue;
        }
        let ids: Vec<&str> = same.iter().map(|&j| plots[j].id.as_str()).collect();
        for (&j, part) in same.iter().zip(distinguishing(&ids)) {
            renamed[j] = Some(format!("{title} — {part}"));
        }
    }
    for (plot, title) in plots.iter_mut().zip(renamed) {
        if let Some(title) = title {
            for side in [&mut plot.base, &mut plot.head].into_iter().flatten() {
                side.title = Some(title.clone());
            }
        }
    }
    plots
}

/// For ids that share a title: the path segments where they differ (common leading and
/// trailing segments left out), without a file extension: `roc/train.json` and
/// `roc/test.json` → `train`, `test`.
fn distinguishing(ids: &[&str]) -> Vec<String> {
    let split: Vec<Vec<&str>> = ids.iter().map(|id| id.split('/').collect()).collect();
    let shortest = split.iter().map(Vec::len).min().unwrap_or(0);
    let lead = (0..shortest)
        .take_while(|&k| split.iter().all(|s| s[k] == split[0][k]))
        .count();
    let trail = (0..shortest - lead)
        .take_while(|&k| {
            split
                .iter()
                .all(|s| s[s.len() - 1 - k] == split[0][split[0].len() - 1 - k])
        })
        .count();
    split
        .iter()
        .zip(ids)
        .map(|(segments, id)| {
            let part = segments[lead..segments.len() - trail].join("/");
            let part = match part.rsplit_once('.') {
                Some((stem, extension)) if !stem.is_empty() && extension.len() <= 5 => {
                    stem.to_owned()
                }
                _ => part,
            };
            if part.is_empty() {
                (*id).to_owned()
            } else {
                part
            }
        })
        .collect()
}

/// A file name from a plot id: lower-case letters, digits and dashes, unique in the report.
fn unique_name(id: &str, used: &mut Vec<String>) -> String {
    let mut name = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let mut name = name.trim_matches('-').chars().take(60).collect::<String>();
    if name.is_empty() {
        name = "plot".to_owned();
    }
    let mut candidate = name.clone();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

/// One side of an image plot: absent, or a file with its bytes (or why they are missing).
type ImageSide<'a> = Option<(&'a str, Result<&'a [u8], String>)>;

/// `None` for a data plot; otherwise the image at base and at head.
fn image_pair(plot: &PlotDiff) -> Option<(ImageSide<'_>, ImageSide<'_>)> {
    Some((
        image_side(plot.base.as_ref())?,
        image_side(plot.head.as_ref())?,
    ))
}

fn image_side(plot: Option<&Plot>) -> Option<ImageSide<'_>> {
    match plot.map(|p| &p.content) {
        Some(PlotContent::Image { file, bytes }) => Some(Some((
            file.as_str(),
            bytes
                .as_ref()
                .map(|b| b.as_slice())
                .map_err(ToString::to_string),
        ))),
        Some(PlotContent::Data(_)) => None,
        None => Some(None),
    }
}

fn present<'a>(side: &ImageSide<'a>) -> Option<(&'a str, &'a [u8])> {
    match side {
        Some((file, Ok(bytes))) => Some((file, bytes)),
        _ => None,
    }
}

fn problem(side: &ImageSide<'_>) -> Option<String> {
    match side {
        Some((_, Err(problem))) => Some(problem.clone()),
        _ => None,
    }
}

fn extension(file: &str) -> String {
    file.rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .filter(|e| e.len() <= 4)
        .unwrap_or_else(|| "png".to_owned())
}

/// A user's image at base and head, as assets named after the plot.
fn images(name: &str, (base, head): (ImageSide<'_>, ImageSide<'_>)) -> Images {
    let asset = |side: &str, file: &str, bytes: &[u8]| Asset {
        path: format!("{ASSET_DIR}/{name}-{side}.{}", extension(file)),
        bytes: bytes.to_vec(),
    };
    match (present(&base), present(&head)) {
        (Some((_, b)), Some((file, h))) if b == h => Images::Unchanged(asset("head", file, h)),
        (Some((bf, b)), Some((hf, h))) => {
            Images::Changed(asset("base", bf, b), asset("head", hf, h))
        }
        (None, Some((file, h))) => Images::Added(asset("head", file, h)),
        (Some((file, b)), None) => Images::Removed(asset("base", file, b)),
        (None, None) => Images::Unavailable(
            problem(&head)
                .or_else(|| problem(&base))
                .unwrap_or_else(|| "missing".to_owned()),
        ),
    }
}

/// A user's image at base and head: side by side, once when the bytes are equal, marked
/// added or removed when one side has none; a note where images cannot be linked.
fn images_body(images: &Images, links: Links<'_>, options: &ChartOptions) -> String {
    // Side by side, each image fills its half; alone, it keeps its own size.
    let link = |side: &str, asset: &Asset, fill: bool| match url(links, asset) {
        Some(url) => {
            let width = if fill { " width=\"100%\"" } else { "" };
            format!("<img src=\"{}\" alt=\"{side}\"{width}>", escape::html(&url))
        }
        None => NOT_HOSTED.to_owned(),
    };
    let base_label = escape::inline(&options.base_label);
    let head_label = escape::inline(&options.head_label);
    match (images, links) {
        (Images::Unavailable(why), _) => format!("Not available: {}.", escape::inline(why)),
        // Without hosting, a link to an image would be broken where it is posted.
        (_, Links::Mermaid | Links::Omitted) => NEEDS_HOSTING.to_owned(),
        (Images::Unchanged(head), _) => format!("Unchanged.\n\n{}", link("head", head, false)),
        (Images::Changed(base, head), _) => format!(
            "| {base_label} | {head_label} |\n|:-:|:-:|\n| {} | {} |",
            link("base", base, true),
            link("head", head, true)
        ),
        (Images::Added(head), _) => {
            format!("Added in {head_label}.\n\n{}", link("head", head, false))
        }
        (Images::Removed(base), _) => {
            format!("Removed in {head_label}.\n\n{}", link("base", base, false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_the_last_digits_of_the_path() {
        assert_eq!(
            step_of("dvclive/plots/images/pred/39.png"),
            Some((39, "dvclive/plots/images/pred/{}.png".into()))
        );
        assert_eq!(
            step_of("runs/epoch_3/sample.png"),
            Some((3, "runs/epoch_{}/sample.png".into()))
        );
        assert_eq!(step_of("images/sample.png"), None);
    }

    #[test]
    fn look_alike_ids_are_told_apart_by_what_differs() {
        assert_eq!(
            distinguishing(&[
                "dvclive/plots/sklearn/roc/train.json",
                "dvclive/plots/sklearn/roc/test.json"
            ]),
            ["train", "test"]
        );
        assert_eq!(
            distinguishing(&["a/train/cm.json", "a/test/cm.json"]),
            ["train", "test"]
        );
        assert_eq!(
            distinguishing(&["eval/plots.csv", "eval/old/plots.csv"]),
            ["eval/plots.csv", "old"]
        );
    }
}
