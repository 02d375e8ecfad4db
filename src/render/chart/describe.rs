//! A compact text form of a chart for the snapshot tests: everything a reader sees but the
//! raw points. Compiled for tests only.

use std::fmt::Write as _;

use super::{Axis, Body, Chart};
use crate::render::format;

/// A compact text form of a chart for snapshot tests: everything but the raw points.
pub(super) fn describe(chart: &Chart) -> String {
    let mut out = String::new();
    let px = |v: f64| format::general(v, 4);
    let _ = writeln!(out, "title: {}", chart.title);
    if chart.title_lines.len() > 1 {
        let _ = writeln!(out, "title lines: {}", chart.title_lines.join(" | "));
    }
    let _ = writeln!(
        out,
        "size: {}x{} @{}x, top {}",
        chart.width,
        chart.height,
        chart.scale,
        px(chart.top)
    );
    for entry in &chart.legend {
        let _ = writeln!(
            out,
            "legend: {} ({:?}, dash {}, {:?}) at ({}, {})",
            entry.text,
            entry.side,
            entry.dash,
            entry.mark,
            px(entry.x),
            px(entry.y)
        );
    }
    let axis = |out: &mut String, name: &str, a: &Axis| {
        let ticks: Vec<&str> = a.ticks.iter().map(|(_, l)| l.as_str()).collect();
        let _ = writeln!(
            out,
            "{name}: {} [{} .. {}] ticks {}",
            a.label,
            format::general(a.min, 4),
            format::general(a.max, 4),
            ticks.join(" ")
        );
    };
    match &chart.body {
        Body::Xy(xy) => {
            axis(&mut out, "x", &xy.x);
            axis(&mut out, "y", &xy.y);
            for s in &xy.series {
                let first = s
                    .points
                    .first()
                    .map(|p| format!("({}, {})", format::general(p.0, 4), format::general(p.1, 4)));
                let last = s
                    .points
                    .last()
                    .map(|p| format!("({}, {})", format::general(p.0, 4), format::general(p.1, 4)));
                let _ = writeln!(
                    out,
                    "series: {:?} {:?} dash {} {:?}: {} of {} points, {} .. {}",
                    s.label.as_deref().unwrap_or("(unlisted)"),
                    s.side,
                    s.dash,
                    s.mark,
                    s.points.len(),
                    s.original_points,
                    first.unwrap_or_default(),
                    last.unwrap_or_default()
                );
            }
            if let Some(d) = xy.diagonal {
                let _ = writeln!(out, "diagonal: {d:?}");
            }
        }
        Body::Bars(bars) => {
            axis(&mut out, "x", &bars.x);
            let _ = writeln!(
                out,
                "y: {} (labels {} wide)",
                bars.y_label,
                px(bars.label_width)
            );
            for (i, category) in bars.categories.iter().enumerate() {
                let values: Vec<String> = bars
                    .bars
                    .iter()
                    .map(|(r, v)| {
                        format!(
                            "{r:?}={}",
                            v[i].map_or("-".to_owned(), |x| format::general(x, 4))
                        )
                    })
                    .collect();
                let lines = &bars.category_lines[i];
                let drawn = if lines.len() == 1 && lines[0] == *category {
                    String::new()
                } else {
                    format!(" (drawn {})", lines.join(" | "))
                };
                let _ = writeln!(out, "bar: {category}{drawn}: {}", values.join(" "));
            }
        }
        Body::Confusion(c) => {
            let _ = writeln!(
                out,
                "confusion: {} x {} labels {:?}, {} columns, normalized {}",
                c.x_label, c.y_label, c.labels, c.columns, c.normalized
            );
            let _ = writeln!(
                out,
                "cells: {} px, numbers {}, labels {} px every {}",
                px(c.cell),
                c.number_size
                    .map_or("none".to_owned(), |s| format!("{} px", px(s))),
                px(c.label_size),
                c.label_step
            );
            let x_ticks: Vec<String> = c.x_ticks.iter().map(|l| l.join(" | ")).collect();
            let _ = writeln!(
                out,
                "x ticks ({}, {} high): {:?}",
                if c.x_ticks_turned { "turned" } else { "across" },
                px(c.x_ticks_height),
                x_ticks
            );
            let _ = writeln!(
                out,
                "y ticks ({} wide): {:?}",
                px(c.y_ticks_width),
                c.y_ticks
            );
            for panel in &c.panels {
                let _ = writeln!(
                    out,
                    "panel: {} {:?} at ({}, {}){} {:?}",
                    if panel.heading == panel.title {
                        panel.title.clone()
                    } else {
                        format!("{} (drawn {})", panel.title, panel.heading)
                    },
                    panel.side,
                    px(panel.x),
                    px(panel.y),
                    if panel.y_ticks { " with y ticks" } else { "" },
                    panel.counts
                );
            }
        }
    }
    out
}
