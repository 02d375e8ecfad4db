//! Line and scatter charts: the plot rectangle with its grid, ticks and axis titles, then
//! each series as a line, a band, a faint line or points, in the description's order.

use plotters::prelude::*;
use plotters::style::RGBAColor;

use super::{Canvas, Drawn, FRAME, GRID, MUTED, Rect, TEXT, color};
use crate::render::chart::{Axis, Mark, XyChart, layout};
use crate::render::text::{Align as HPos, Baseline as VPos};

impl Canvas<'_, '_> {
    /// The plot rectangle and its axes: grid, frame, ticks, tick labels, axis titles.
    fn axes(&self, x: &Axis, y: &Axis, top: f64) -> Drawn<Rect> {
        let widest = y
            .ticks
            .iter()
            .map(|(_, l)| self.text_width(l, layout::TICK))
            .fold(0.0, f64::max);
        let rect = Rect {
            left: self.px(layout::LEFT_TITLE) + widest + self.px(10.0),
            top,
            right: self.width - self.px(layout::RIGHT),
            bottom: self.height - self.px(layout::BOTTOM),
        };
        let grid = GRID.to_rgba();
        let thin = self.px(1.0);
        for (value, label) in &x.ticks {
            let px = rect.x(x, *value);
            self.line((px, rect.top), (px, rect.bottom), grid, thin)?;
            self.line(
                (px, rect.bottom),
                (px, rect.bottom + self.px(4.0)),
                FRAME.to_rgba(),
                thin,
            )?;
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
        for (value, label) in &y.ticks {
            let py = rect.y(y, *value);
            self.line((rect.left, py), (rect.right, py), grid, thin)?;
            self.line(
                (rect.left - self.px(4.0), py),
                (rect.left, py),
                FRAME.to_rgba(),
                thin,
            )?;
            self.text(
                label,
                rect.left - self.px(7.0),
                py,
                layout::TICK,
                MUTED,
                HPos::Right,
                VPos::Middle,
                false,
            )?;
        }
        self.line(
            (rect.left, rect.bottom),
            (rect.right, rect.bottom),
            FRAME.to_rgba(),
            thin,
        )?;
        self.line(
            (rect.left, rect.top),
            (rect.left, rect.bottom),
            FRAME.to_rgba(),
            thin,
        )?;
        self.text(
            &x.label,
            (rect.left + rect.right) / 2.0,
            self.height - self.px(8.0),
            layout::LABEL,
            TEXT,
            HPos::Center,
            VPos::Bottom,
            false,
        )?;
        self.vertical_text(
            &y.label,
            self.px(14.0),
            (rect.top + rect.bottom) / 2.0,
            layout::LABEL,
            TEXT,
            HPos::Center,
        )?;
        Ok(rect)
    }

    pub(super) fn xy(&self, chart: &XyChart, top: f64) -> Drawn {
        let rect = self.axes(&chart.x, &chart.y, top)?;
        if let Some((from, to)) = chart.diagonal {
            let points = [
                (rect.x(&chart.x, from.0), rect.y(&chart.y, from.1)),
                (rect.x(&chart.x, to.0), rect.y(&chart.y, to.1)),
            ];
            self.dashed(
                &points,
                RGBAColor(0x8C, 0x95, 0x9F, 0.9),
                self.px(1.0),
                2,
                Some(rect),
            )?;
        }
        for series in &chart.series {
            let base = color(series.side);
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .map(|(x, y)| (rect.x(&chart.x, *x), rect.y(&chart.y, *y)))
                .collect();
            match series.mark {
                Mark::Band => {
                    // One translucent vertical stroke per column, from its low to its high,
                    // as wide as the column so that neighbours neither gap nor overlap.
                    let fill = base.mix(0.22);
                    let width = ((rect.right - rect.left) / series.points.len().max(1) as f64)
                        .round()
                        .max(1.0);
                    for ((x, low), high) in points.iter().zip(&series.upper) {
                        let high = rect.y(&chart.y, *high).max(rect.top);
                        let low = low.min(rect.bottom);
                        if *x < rect.left || *x > rect.right || high > low {
                            continue;
                        }
                        self.line((x.round(), high), (x.round(), low), fill, width)?;
                    }
                }
                Mark::Line => self.dashed(
                    &points,
                    base.to_rgba(),
                    self.px(2.0),
                    series.dash,
                    Some(rect),
                )?,
                Mark::FaintLine => self.dashed(
                    &points,
                    base.mix(0.28),
                    self.px(1.0),
                    series.dash,
                    Some(rect),
                )?,
                Mark::Points => {
                    let radius = self.px(2.6) as i32;
                    let style = base.mix(0.7).filled();
                    for (x, y) in points {
                        if x >= rect.left && x <= rect.right && y >= rect.top && y <= rect.bottom {
                            self.area
                                .draw(&Circle::new((x as i32, y as i32), radius, style))?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
