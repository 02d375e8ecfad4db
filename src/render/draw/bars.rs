//! Horizontal bars: the category labels left of the bars, one bar per revision in each
//! category's band, its value at its end.

use plotters::prelude::*;

use super::{Canvas, Drawn, FRAME, GRID, MUTED, Rect, TEXT, color};
use crate::render::chart::{BarChart, layout};
use crate::render::text::{Align as HPos, Baseline as VPos};

impl Canvas<'_, '_> {
    pub(super) fn bars(&self, chart: &BarChart, top: f64) -> Drawn {
        let rect = Rect {
            left: self.px(layout::LEFT_TITLE + chart.label_width + 10.0),
            top,
            right: self.width - self.px(layout::RIGHT + layout::BAR_VALUES),
            bottom: self.height - self.px(layout::BOTTOM),
        };
        let thin = self.px(1.0);
        for (value, label) in &chart.x.ticks {
            let px = rect.x(&chart.x, *value);
            self.line((px, rect.top), (px, rect.bottom), GRID.to_rgba(), thin)?;
            self.text(
                label,
                px,
                rect.bottom + self.px(7.0),
                layout::TICK,
                MUTED,
                HPos::Center,
                VPos::Top,
                false,
            )?;
        }
        let zero = rect.x(&chart.x, 0.0_f64.clamp(chart.x.min, chart.x.max));
        let rows = chart.categories.len().max(1) as f64;
        let band = (rect.bottom - rect.top) / rows;
        let groups = chart.bars.len().max(1) as f64;
        let bar = (band * 0.8) / groups;
        for (row, lines) in chart.category_lines.iter().enumerate() {
            let top = rect.top + band * row as f64 + band * 0.1;
            let line = self.px(layout::TICK_LINE);
            let first = top + band * 0.4 - line * (lines.len() as f64 - 1.0) / 2.0;
            for (i, text) in lines.iter().enumerate() {
                self.text(
                    text,
                    rect.left - self.px(7.0),
                    first + line * i as f64,
                    layout::TICK,
                    TEXT,
                    HPos::Right,
                    VPos::Middle,
                    false,
                )?;
            }
            for (group, (side, values)) in chart.bars.iter().enumerate() {
                let Some(value) = values[row] else { continue };
                let y0 = top + bar * group as f64;
                let end = rect.x(&chart.x, value);
                self.rect(
                    (zero.min(end), y0),
                    (zero.max(end), y0 + bar * 0.92),
                    color(*side).to_rgba(),
                    true,
                )?;
                let label = crate::render::format::general(value, 3);
                self.text(
                    &label,
                    zero.max(end) + self.px(4.0),
                    y0 + bar * 0.46,
                    layout::TICK * 0.85,
                    MUTED,
                    HPos::Left,
                    VPos::Middle,
                    false,
                )?;
            }
        }
        self.line((zero, rect.top), (zero, rect.bottom), FRAME.to_rgba(), thin)?;
        self.line(
            (rect.left, rect.bottom),
            (rect.right, rect.bottom),
            FRAME.to_rgba(),
            thin,
        )?;
        self.text(
            &chart.x.label,
            (rect.left + rect.right) / 2.0,
            self.height - self.px(8.0),
            layout::LABEL,
            TEXT,
            HPos::Center,
            VPos::Bottom,
            false,
        )?;
        self.vertical_text(
            &chart.y_label,
            self.px(14.0),
            (rect.top + rect.bottom) / 2.0,
            layout::LABEL,
            TEXT,
            HPos::Center,
        )?;
        Ok(())
    }
}
