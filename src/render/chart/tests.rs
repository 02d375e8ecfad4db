//! The chart descriptions of every fixture (snapshots through `describe`), the layout rules
//! they keep, and their drawings: both revisions visible, golden images.

use std::path::Path;

use super::describe::describe;
use super::*;
use crate::diff;
use crate::inputs::Directory;
use crate::inputs::{self, Discovery, FilePlan, PlotSelection, Selection};
use crate::render::draw;

/// Every plot of `fixtures/plots` (one per template, base against head).
fn fixture_plots() -> Vec<PlotDiff> {
    plots_in("plots")
}

/// Real outputs with long labels, many classes and many fields, and synthetic bars with
/// long names (`fixtures/charts/README.md`), one folder each.
const REAL: [&str; 5] = ["dvclive", "urbaneye", "coco", "ppe", "bars"];

/// Every plot of `fixtures/<folder>/{base,head}`, base against head.
fn plots_in(folder: &str) -> Vec<PlotDiff> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(folder);
    let plan = FilePlan {
        discovery: Discovery::Mlci,
        metrics: Selection::Nothing,
        params: Selection::Nothing,
        plots: PlotSelection::Discover(Vec::new()),
        data: Vec::new(),
        max_file_size: inputs::DEFAULT_MAX_FILE_SIZE,
        runs: crate::inputs::RunPlan::default(),
    };
    let read = |side: &str| {
        inputs::collect(&plan, &Directory::new(root.join(side), side.to_owned())).unwrap()
    };
    diff::compare(read("base"), read("head")).plots
}

fn options() -> ChartOptions {
    ChartOptions {
        base_label: "base (1a2b3c4)".into(),
        head_label: "head (working tree)".into(),
        ..ChartOptions::default()
    }
}

#[test]
fn chart_descriptions_for_every_template() {
    let plots = fixture_plots();
    assert_eq!(plots.len(), 11, "8 charts and 3 images");
    for plot in &plots {
        let name = plot.id.replace(['/', ' ', '(', ')'], "_");
        match chart(plot, &options()) {
            Some(chart) => {
                let text = format!("{}summary: {}\n", describe(&chart), numbers(plot, &chart));
                insta::assert_snapshot!(name, text, &plot.id);
            }
            None => assert!(plot.id.starts_with("images/"), "{} has no chart", plot.id),
        }
    }
}

#[test]
fn chart_descriptions_for_real_outputs() {
    for project in REAL {
        let plots = plots_in(&format!("charts/{project}"));
        assert!(!plots.is_empty(), "{project}");
        for plot in &plots {
            let name = format!("{project}__{}", plot.id.replace(['/', ' ', '(', ')'], "_"));
            let chart = chart(plot, &options()).unwrap();
            let text = format!("{}summary: {}\n", describe(&chart), numbers(plot, &chart));
            insta::assert_snapshot!(name, text, &plot.id);
        }
    }
}

/// Every chart of every fixture, at the default size and a narrow one.
fn all_charts() -> Vec<(String, Chart)> {
    let mut plots = fixture_plots();
    for project in REAL {
        plots.extend(plots_in(&format!("charts/{project}")));
    }
    let narrow = ChartOptions {
        width: 480,
        height: 300,
        ..options()
    };
    let mut charts = Vec::new();
    let mut without_chart = Vec::new();
    for plot in &plots {
        for options in [options(), narrow.clone()] {
            match chart(plot, &options) {
                Some(chart) => charts.push((format!("{} at {}", plot.id, options.width), chart)),
                None => without_chart.push(plot.id.clone()),
            }
        }
    }
    // Only the three images of `fixtures/plots` have no chart, at either width.
    assert_eq!(without_chart.len(), 6, "{without_chart:?}");
    assert!(
        without_chart.iter().all(|id| id.starts_with("images/")),
        "{without_chart:?}"
    );
    charts
}

#[test]
fn titles_legends_and_labels_stay_inside_the_image_and_apart() {
    for (name, chart) in all_charts() {
        let width = f64::from(chart.width);
        for line in &chart.title_lines {
            assert!(
                text::width(line, layout::TITLE, true) <= width,
                "{name}: {line}"
            );
        }
        // Legend entries: inside the image, no two overlapping in a row.
        let mut boxes: Vec<(f64, f64, f64)> = Vec::new();
        for entry in &chart.legend {
            let right = entry.x
                + layout::LEGEND_SAMPLE
                + layout::LEGEND_GAP
                + text_width(&entry.text, layout::LEGEND);
            assert!(
                entry.x >= 0.0 && right <= width,
                "{name}: legend entry {} at {}..{right} of {width}",
                entry.text,
                entry.x
            );
            assert!(entry.y < chart.top, "{name}: legend below the plot's top");
            for (x0, x1, y) in &boxes {
                assert!(
                    *y != entry.y || right <= *x0 || entry.x >= *x1,
                    "{name}: {} overlaps another entry",
                    entry.text
                );
            }
            boxes.push((entry.x, right, entry.y));
        }
        match &chart.body {
            Body::Xy(xy) => {
                assert_ne!(xy.y.label, "y", "{name}");
                assert!(text_width(&xy.x.label, layout::LABEL) <= width, "{name}");
                let height = f64::from(chart.height) - chart.top - layout::BOTTOM;
                assert!(text_width(&xy.y.label, layout::LABEL) <= height, "{name}");
            }
            Body::Bars(bars) => {
                for line in bars.category_lines.iter().flatten() {
                    assert!(
                        text_width(line, layout::TICK) <= bars.label_width,
                        "{name}: {line}"
                    );
                }
            }
            Body::Confusion(c) => {
                let side = c.cell * c.labels.len() as f64;
                let column = c.cell * c.label_step as f64;
                for lines in &c.x_ticks {
                    for line in lines {
                        let extent = if c.x_ticks_turned {
                            // Turned labels need a line of height each.
                            assert!(lines.len() == 1);
                            c.label_size * 1.15
                        } else {
                            text_width(line, c.label_size)
                        };
                        assert!(extent <= column, "{name}: {line} overprints");
                    }
                }
                assert!(
                    c.label_size * 1.15 <= column + 1e-9,
                    "{name}: rows of labels"
                );
                for panel in &c.panels {
                    let left = if panel.y_ticks {
                        panel.x - c.y_ticks_width - 6.0 - 24.0
                    } else {
                        panel.x
                    };
                    assert!(left >= 0.0, "{name}: panel starts at {left}");
                    assert!(panel.x + side <= width, "{name}: panel ends past the image");
                    let bottom = panel.y + side + c.x_ticks_height + 30.0;
                    assert!(bottom <= f64::from(chart.height), "{name}: panel below");
                    assert!(
                        text::width(&panel.heading, layout::LABEL, true) <= side + 28.0,
                        "{name}: {}",
                        panel.heading
                    );
                }
                if let Some(size) = c.number_size {
                    let widest = if c.normalized { "0.00" } else { "00" };
                    assert!(text_width(widest, size) <= c.cell, "{name}: numbers");
                }
            }
        }
    }
}

#[test]
fn legends_list_every_entry_and_wrap_by_revision() {
    let plots = plots_in("charts/dvclive");
    let plot = plots
        .iter()
        .find(|p| p.id == "Train and test metrics")
        .unwrap();
    let chart = chart(plot, &options()).unwrap();
    assert_eq!(chart.legend.len(), 12, "six fields at two revisions");
    let rows: std::collections::BTreeSet<u64> =
        chart.legend.iter().map(|e| e.y.to_bits()).collect();
    assert!(rows.len() >= 2, "wrapped");
    // Each row holds one revision; the same source is in the same column at both.
    for entry in &chart.legend {
        let twin = chart
            .legend
            .iter()
            .find(|e| e.dash == entry.dash && e.side != entry.side)
            .unwrap();
        assert_eq!(twin.x, entry.x, "{} and {}", entry.text, twin.text);
    }
    assert!(
        chart.height > options().height,
        "taller, not a smaller plot"
    );
    let Body::Xy(xy) = &chart.body else { panic!() };
    assert_eq!(xy.y.label, "value", "acc, f1 and loss share no word");
}

/// Decodes a PNG into (width, height, RGB pixels).
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

fn count_color(pixels: &[u8], rgb: (u8, u8, u8)) -> usize {
    pixels
        .chunks(3)
        .filter(|p| (p[0], p[1], p[2]) == rgb)
        .count()
}

/// Pixels of the base colour's hue (blue) and the head colour's (vermillion), at any
/// opacity over white.
fn revision_pixels(pixels: &[u8]) -> (usize, usize) {
    let mut base = 0;
    let mut head = 0;
    for p in pixels.chunks(3) {
        let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
        if b > r + 60 && b > g + 20 {
            base += 1;
        } else if r > b + 80 && r > g + 40 {
            head += 1;
        }
    }
    (base, head)
}

#[test]
fn every_chart_draws_both_revisions_at_its_size() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-charts");
    std::fs::create_dir_all(&out).unwrap();
    // Images have no chart; any other plot without one would go untested here.
    let mut without_chart = Vec::new();
    for plot in fixture_plots() {
        let Some(chart) = chart(&plot, &options()) else {
            without_chart.push(plot.id.clone());
            continue;
        };
        let png = draw::png(&chart).unwrap();
        let name = plot.id.replace(['/', ' ', '(', ')'], "_");
        std::fs::write(out.join(format!("{name}.png")), &png).unwrap();
        let (width, height, pixels) = decode(&png);
        assert_eq!(
            (width, height),
            (chart.width * chart.scale, chart.height * chart.scale),
            "{name}"
        );
        let white = count_color(&pixels, (255, 255, 255));
        let total = (width * height) as usize;
        assert!(white < total * 97 / 100, "{name} is blank");
        let (base, head) = revision_pixels(&pixels);
        assert!(base > 200, "{name}: no base colour ({base} pixels)");
        assert!(head > 200, "{name}: no head colour ({head} pixels)");
    }
    assert_eq!(
        without_chart.len(),
        3,
        "only the three images are skipped: {without_chart:?}"
    );
    assert!(
        without_chart.iter().all(|id| id.starts_with("images/")),
        "{without_chart:?}"
    );
}

/// The same pixels, compressed harder (golden files live in the repository).
fn smaller_png(bytes: &[u8]) -> Vec<u8> {
    let (width, height, pixels) = decode(bytes);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    encoder.set_filter(png::Filter::Adaptive);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// Golden images: drawing the same chart must give (nearly) the same pixels. Set
/// `MLCI_UPDATE_GOLDEN=1` to rewrite them after an intended change, then look at them;
/// refused when `CI` is set, so that no CI run can bless its own output.
#[test]
fn golden_images_match_within_tolerance() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden");
    let update = std::env::var_os("MLCI_UPDATE_GOLDEN").is_some();
    assert!(
        !(update && std::env::var_os("CI").is_some()),
        "MLCI_UPDATE_GOLDEN is refused when CI is set: golden images are updated by a \
         person who looked at them, never by a CI run"
    );
    // (fixture folder, plot id, golden file name)
    let cases = [
        ("plots", "curves/loss.tsv", "curves_loss.tsv"),
        ("plots", "Confusion (normalized)", "Confusion__normalized_"),
        (
            "plots",
            "importance/features_sorted.csv",
            "importance_features_sorted.csv",
        ),
        // Long labels: 11 YOLO classes such as CLUTTER_SIDEWALK, turned under the grid.
        (
            "charts/urbaneye",
            "dvclive/plots/sklearn/cf.json",
            "long-labels-confusion-11-classes",
        ),
        // Many classes: 18 (PPE detection), at head only, counts.
        (
            "charts/ppe",
            "dvclive/plots/sklearn/cf.json",
            "many-classes-confusion-18",
        ),
        // COCO names with spaces ("potted plant", "teddy bear"), nine classes, counts.
        (
            "charts/dvclive",
            "dvclive/plots/sklearn/confusion_matrix/test.json",
            "long-labels-confusion-9-classes",
        ),
        // Many fields: six dvclive metrics at two revisions, a legend in rows.
        (
            "charts/dvclive",
            "Train and test metrics",
            "many-fields-legend",
        ),
        // Three fields that share a word: the y axis says "loss".
        ("charts/urbaneye", "Training losses", "three-fields-legend"),
        // Long category names, wrapped.
        ("charts/bars", "importance.csv", "long-labels-bars"),
    ];
    let mut folders: std::collections::BTreeMap<&str, Vec<PlotDiff>> = Default::default();
    for (folder, id, file) in cases {
        let plots = folders.entry(folder).or_insert_with(|| plots_in(folder));
        let plot = plots.iter().find(|p| p.id == id).unwrap();
        let png = draw::png(&chart(plot, &options()).unwrap()).unwrap();
        let path = golden.join(format!("{file}.png"));
        if update {
            std::fs::create_dir_all(&golden).unwrap();
            std::fs::write(&path, smaller_png(&png)).unwrap();
            continue;
        }
        let expected =
            std::fs::read(&path).unwrap_or_else(|_| panic!("missing {}", path.display()));
        let (w, h, actual) = decode(&png);
        let (ew, eh, expected) = decode(&expected);
        assert_eq!((w, h), (ew, eh), "{id}: size");
        let differing = actual
            .chunks(3)
            .zip(expected.chunks(3))
            .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 24))
            .count();
        assert!(
            differing * 200 < (w * h) as usize,
            "{id}: {differing} of {} pixels differ (more than 0.5 %)",
            w * h
        );
    }
}
