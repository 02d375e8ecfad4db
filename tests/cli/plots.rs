//! Plots end to end: the report's Plots section, `mlci plots diff`, the mermaid fallback.

use std::path::Path;

use crate::support::{TestRepo, copy_dir};

/// `fixtures/plots/base` committed on `main`, `fixtures/plots/head` in the working tree of a
/// branch.
fn plots_repo() -> TestRepo {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plots");
    let repo = TestRepo::new();
    copy_dir(&fixtures.join("base"), &repo.root());
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.replace_tree(&fixtures.join("head"));
    repo
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let info = decoder.read_info().unwrap();
    (info.info().width, info.info().height)
}

#[test]
fn the_report_shows_every_plot_with_its_chart_and_numbers() {
    let repo = plots_repo();
    let report = repo
        .mlci(&["report", "--dry-run", "--out", "out"])
        .success();
    assert!(report.contains("### Plots"), "{report}");
    let links: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("![").and_then(|l| l.split("](").nth(1)))
        .map(|l| l.trim_end_matches(')'))
        .collect();
    assert_eq!(links.len(), 8, "one chart per data plot: {links:?}");
    for link in &links {
        assert!(
            link.starts_with("plots/") && link.ends_with(".png"),
            "{link}"
        );
        let (width, height) = png_size(&repo.root().join("out").join(link));
        assert!(width == 1600 && height >= 880, "{link}: {width}x{height}");
    }
    assert!(
        report.contains("train.json ROC AUC 0.9288 → 0.9592"),
        "{report}"
    );
    assert!(
        report.contains("train.json accuracy 0.92 → 0.925"),
        "{report}"
    );
    assert!(report.contains("largest change: balance +0.3267 (0.057 → 0.3837)"));
    // Images: changed side by side, unchanged once, added marked.
    assert!(
        report.contains(" | head (working tree) |\n|:-:|:-:|"),
        "{report}"
    );
    assert!(
        report.contains("#### images/unchanged.png\n\nUnchanged."),
        "{report}"
    );
    assert!(
        report.contains("#### images/new.png\n\nAdded in head (working tree)."),
        "{report}"
    );
    let html = std::fs::read_to_string(repo.root().join("out/report.html")).unwrap();
    assert!(
        html.contains("<img src=\"plots/roc.png\""),
        "the preview shows the charts"
    );
}

#[test]
fn mermaid_mode_puts_charts_inline_and_writes_no_images() {
    let repo = plots_repo();
    let report = repo
        .mlci(&["report", "--dry-run", "--images", "mermaid", "--out", "out"])
        .success();
    // Lines that share their x values, and bars; scatters and curves with x values of
    // their own are not drawn (mermaid would invent points), and say so.
    assert_eq!(
        report.matches("```mermaid\n").count(),
        4,
        "lines and bars: {report}"
    );
    assert_eq!(report.matches("_Chart not shown: ").count(), 3, "{report}");
    assert!(report.contains("mermaid has no scatter chart"), "{report}");
    // No image link is left that would be broken where the report is posted.
    assert!(
        !report.contains("<img") && !report.contains("](plots/"),
        "{report}"
    );
    assert_eq!(
        report
            .matches("_Image not shown: images need hosting")
            .count(),
        3,
        "{report}"
    );
    assert!(report.contains("xychart-beta horizontal"));
    assert!(
        report.contains("| **bird** |"),
        "confusion matrices become tables"
    );
    for block in report.split("```mermaid\n").skip(1) {
        let block = block.split("```").next().unwrap();
        for line in block
            .lines()
            .filter(|l| l.trim_start().starts_with("line [") || l.trim_start().starts_with("bar ["))
        {
            assert!(
                line.matches(',').count() < 100,
                "at most 100 points per series"
            );
        }
    }
    assert!(!repo.root().join("out/plots/roc.png").exists());
}

#[test]
fn images_none_keeps_only_the_numbers() {
    let repo = plots_repo();
    let report = repo
        .mlci(&["report", "--dry-run", "--images", "none"])
        .success();
    assert!(!report.contains("![") && !report.contains("```mermaid"));
    assert!(report.contains("ROC AUC"));
}

#[test]
fn plots_diff_writes_an_index_and_charts() {
    let repo = plots_repo();
    repo.commit("head");
    let run = repo.mlci(&["plots", "diff", "main", "HEAD", "-o", "charts"]);
    let stdout = run.success();
    assert!(stdout.trim_end().ends_with("charts/index.md"), "{stdout}");
    let index = std::fs::read_to_string(repo.root().join("charts/index.md")).unwrap();
    assert!(index.starts_with("## Plots: main → HEAD\n"), "{index}");
    assert!(repo.root().join("charts/plots/roc.png").is_file());
    assert!(index.contains("main · train.json") || index.contains("![ROC](plots/roc.png)"));
}

#[test]
fn plots_diff_targets_draw_ad_hoc_files() {
    let repo = TestRepo::new();
    repo.write("loss.csv", "epoch,loss\n0,1.0\n1,0.5\n2,0.25\n");
    repo.commit("base");
    repo.write("loss.csv", "epoch,loss\n0,0.9\n1,0.4\n2,0.2\n");
    let stdout = repo
        .mlci(&["plots", "diff", "--targets", "loss.csv", "-o", "out"])
        .success();
    assert!(stdout.contains("out/index.md"));
    let index = std::fs::read_to_string(repo.root().join("out/index.md")).unwrap();
    assert!(
        index.contains("loss last 0.25 → 0.2, best 0.25 → 0.2"),
        "{index}"
    );
}

#[test]
fn a_malformed_plot_file_is_a_warning() {
    let repo = TestRepo::new();
    repo.write("dvc.yaml", "plots:\n- roc.json:\n    x: fpr\n    y: tpr\n");
    repo.write(
        "roc.json",
        r#"{"roc": [{"fpr": 0, "tpr": 0}, {"fpr": 1, "tpr": 1}]}"#,
    );
    repo.commit("base");
    repo.write("roc.json", r#"{"roc": [{"fpr": 0, "tpr": 0},"#);
    let run = repo.mlci(&["report", "--dry-run", "--base", "HEAD"]);
    let report = run.success();
    assert!(report.contains("> - **roc.json** at head"), "{report}");
    assert!(run.stderr().contains("cannot read `roc.json`"));
}
