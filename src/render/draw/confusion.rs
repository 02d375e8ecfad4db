//! Confusion matrices: each panel's cells shaded by count or fraction, with their numbers,
//! class labels and axis titles, where the description placed them.

use plotters::prelude::*;
use plotters::style::RGBColor;

use super::{Canvas, Drawn, MUTED, TEXT, color};
use crate::render::chart::{ConfusionChart, layout};
use crate::render::text::{Align as HPos, Baseline as VPos};

impl Canvas<'_, '_> {
    /// The panels where the description placed them: cells, numbers, class labels (left
    /// of the first panel of a row, under every panel), axis titles.
    pub(super) fn confusion(&self, chart: &ConfusionChart) -> Drawn {
        let cell = self.px(chart.cell);
        let side = cell * chart.labels.len() as f64;
        let gap = self.px(6.0);
        let line = self.px(layout::TICK_LINE * chart.label_size / layout::TICK);
        let white = RGBColor(255, 255, 255).to_rgba();
        for panel in &chart.panels {
            let (left, top) = (self.px(panel.x), self.px(panel.y));
            self.text(
                &panel.heading,
                left + side / 2.0,
                top - gap,
                layout::LABEL,
                color(panel.side),
                HPos::Center,
                VPos::Bottom,
                true,
            )?;
            let totals: Vec<u64> = panel.counts.iter().map(|r| r.iter().sum()).collect();
            let max = panel
                .counts
                .iter()
                .flatten()
                .copied()
                .max()
                .unwrap_or(0)
                .max(1);
            for (actual, counts) in panel.counts.iter().enumerate() {
                for (predicted, count) in counts.iter().enumerate() {
                    let fraction = if totals[actual] > 0 {
                        *count as f64 / totals[actual] as f64
                    } else {
                        0.0
                    };
                    let intensity = if chart.normalized {
                        fraction
                    } else {
                        *count as f64 / max as f64
                    };
                    // x: actual, y: predicted (DVC's confusion template).
                    let x0 = left + cell * actual as f64;
                    let y0 = top + cell * predicted as f64;
                    self.rect(
                        (x0, y0),
                        (x0 + cell, y0 + cell),
                        heat(intensity).to_rgba(),
                        true,
                    )?;
                    if chart.cell >= 10.0 {
                        self.rect((x0, y0), (x0 + cell, y0 + cell), white, false)?;
                    }
                    let Some(size) = chart.number_size else {
                        continue;
                    };
                    let text = if chart.normalized {
                        format!("{fraction:.2}")
                    } else {
                        count.to_string()
                    };
                    let ink = if intensity > 0.55 {
                        RGBColor(255, 255, 255)
                    } else {
                        TEXT
                    };
                    self.text(
                        &text,
                        x0 + cell / 2.0,
                        y0 + cell / 2.0,
                        size,
                        ink,
                        HPos::Center,
                        VPos::Middle,
                        false,
                    )?;
                }
            }
            let shown = (0..chart.labels.len()).step_by(chart.label_step.max(1));
            for i in shown {
                let center = cell * (i as f64 + 0.5);
                let below = top + side + gap;
                match &chart.x_ticks[i][..] {
                    [text] if chart.x_ticks_turned => self.vertical_text(
                        text,
                        left + center,
                        below,
                        chart.label_size,
                        MUTED,
                        HPos::Right,
                    )?,
                    lines => {
                        for (k, text) in lines.iter().enumerate() {
                            self.text(
                                text,
                                left + center,
                                below + line * k as f64,
                                chart.label_size,
                                MUTED,
                                HPos::Center,
                                VPos::Top,
                                false,
                            )?;
                        }
                    }
                }
                if panel.y_ticks {
                    self.text(
                        &chart.y_ticks[i],
                        left - gap,
                        top + center,
                        chart.label_size,
                        MUTED,
                        HPos::Right,
                        VPos::Middle,
                        false,
                    )?;
                }
            }
            self.text(
                &chart.x_label,
                left + side / 2.0,
                top + side + gap + self.px(chart.x_ticks_height) + gap,
                layout::LABEL,
                TEXT,
                HPos::Center,
                VPos::Top,
                false,
            )?;
            if panel.y_ticks {
                self.vertical_text(
                    &chart.y_label,
                    left - gap - self.px(chart.y_ticks_width) - self.px(16.0),
                    top + side / 2.0,
                    layout::LABEL,
                    TEXT,
                    HPos::Center,
                )?;
            }
        }
        Ok(())
    }
}

/// White to dark blue.
fn heat(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let (r0, g0, b0) = (0xF7, 0xFB, 0xFF);
    let (r1, g1, b1) = (0x08, 0x30, 0x6B);
    let mix = |a: i32, b: i32| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(r0, r1), mix(g0, g1), mix(b0, b1))
}
