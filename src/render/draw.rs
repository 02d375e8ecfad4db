//! Drawing: a [`Chart`] to PNG bytes: shapes with plotters' bitmap backend, text with
//! DejaVu Sans embedded in the binary ([`super::text`]; no fontconfig, the same pixels on
//! every machine). Everything about what to draw was decided in [`super::chart`]; this
//! module only maps values to pixels.

use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{RGBAColor, RGBColor};

use crate::render::chart::{
    Axis, BarChart, Body, Chart, ConfusionChart, Mark, Revision, XyChart, layout,
};
use crate::render::text::{self, Align as HPos, Baseline as VPos, Label};

/// A chart that could not be drawn (a backend failure; not expected with valid input).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart `{title}`: {message}")]
pub struct DrawError {
    /// The chart's title.
    pub title: String,
    /// What plotters or the PNG encoder said.
    pub message: String,
}

/// Colours of the two revisions (Okabe–Ito blue and vermillion: distinct for colour-blind
/// readers and in greyscale print).
pub const BASE_COLOR: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// See [`BASE_COLOR`].
pub const HEAD_COLOR: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const TEXT: RGBColor = RGBColor(0x24, 0x29, 0x2f);
const MUTED: RGBColor = RGBColor(0x57, 0x60, 0x6a);
const GRID: RGBColor = RGBColor(0xE8, 0xEB, 0xEF);
const FRAME: RGBColor = RGBColor(0x8C, 0x95, 0x9F);

/// Dash patterns (on, off, ... in CSS pixels), one per source file or field; past eight
/// sources they repeat.
const DASHES: [&[f64]; 8] = [
    &[],
    &[7.0, 4.0],
    &[2.0, 3.0],
    &[10.0, 3.0, 2.0, 3.0],
    &[4.0, 4.0],
    &[10.0, 3.0, 2.0, 3.0, 2.0, 3.0],
    &[16.0, 5.0],
    &[2.0, 7.0],
];

/// The colour of a revision.
pub fn color(revision: Revision) -> RGBColor {
    match revision {
        Revision::Base => BASE_COLOR,
        Revision::Head => HEAD_COLOR,
    }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws a chart and encodes it as PNG.
pub fn png(chart: &Chart) -> Result<Vec<u8>, DrawError> {
    let scale = f64::from(chart.scale.max(1));
    let (width, height) = (
        chart.width * chart.scale.max(1),
        chart.height * chart.scale.max(1),
    );
    let started = std::time::Instant::now();
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    let error = |message: String| DrawError {
        title: chart.title.clone(),
        message,
    };
    let labels = {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        let mut canvas = Canvas {
            area: &root,
            scale,
            width: f64::from(width),
            height: f64::from(height),
            labels: std::cell::RefCell::new(Vec::new()),
        };
        canvas.draw(chart).map_err(|e| error(e.to_string()))?;
        root.present().map_err(|e| error(e.to_string()))?;
        canvas.labels.into_inner()
    };
    text::draw(&mut pixels, width, height, &labels);
    let drawn = started.elapsed();
    let png = encode(&pixels, width, height).map_err(|e| error(e.to_string()))?;
    log::debug!(
        "drew `{}` ({width}x{height}) in {drawn:?}, encoded the PNG ({} KiB) in {:?}",
        chart.title,
        png.len() / 1024,
        started.elapsed() - drawn
    );
    Ok(png)
}

fn encode(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Charts are mostly flat colour: one fixed filter compresses them about as well as
    // trying every filter on every row, for a fraction of the time.
    encoder.set_filter(png::Filter::Paeth);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(out)
}

type Drawn<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

struct Canvas<'a, 'b> {
    area: &'a Area<'b>,
    scale: f64,
    width: f64,
    height: f64,
    /// Texts, drawn after the shapes.
    labels: std::cell::RefCell<Vec<Label>>,
}

/// The plot rectangle in device pixels.
#[derive(Clone, Copy)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Rect {
    fn x(&self, axis: &Axis, value: f64) -> f64 {
        self.left + (value - axis.min) / (axis.max - axis.min) * (self.right - self.left)
    }
    fn y(&self, axis: &Axis, value: f64) -> f64 {
        self.bottom - (value - axis.min) / (axis.max - axis.min) * (self.bottom - self.top)
    }
}

impl Canvas<'_, '_> {
    fn px(&self, css: f64) -> f64 {
        css * self.scale
    }

    fn text_width(&self, text: &str, size: f64) -> f64 {
        text::width(text, size * self.scale, false)
    }

    #[allow(clippy::too_many_arguments)]
    fn text(
        &self,
        text: &str,
        x: f64,
        y: f64,
        size: f64,
        color: RGBColor,
        h: HPos,
        v: VPos,
        bold: bool,
    ) -> Drawn {
        self.labels.borrow_mut().push(Label {
            text: text.to_owned(),
            x,
            y,
            size: size * self.scale,
            rgb: [color.0, color.1, color.2],
            bold,
            align: h,
            baseline: v,
            vertical: false,
        });
        Ok(())
    }

    /// A text turned a quarter, read upwards; `align` is along the text (`Right`: it ends at
    /// y), centred across it on x.
    fn vertical_text(
        &self,
        text: &str,
        x: f64,
        y: f64,
        size: f64,
        color: RGBColor,
        align: HPos,
    ) -> Drawn {
        self.labels.borrow_mut().push(Label {
            text: text.to_owned(),
            x,
            y,
            size: size * self.scale,
            rgb: [color.0, color.1, color.2],
            bold: false,
            align,
            baseline: VPos::Middle,
            vertical: true,
        });
        Ok(())
    }

    /// A segment `width` pixels thick, as that many one-pixel lines side by side (offset
    /// across the segment's main direction): as fast as a thin line, and with no miter
    /// spikes on noisy data.
    fn line(&self, from: (f64, f64), to: (f64, f64), color: RGBAColor, width: f64) -> Drawn {
        let style = ShapeStyle::from(&color).stroke_width(1);
        let width = width.round().max(1.0) as i32;
        let horizontal = (to.0 - from.0).abs() >= (to.1 - from.1).abs();
        let (a, b) = ((from.0 as i32, from.1 as i32), (to.0 as i32, to.1 as i32));
        for k in 0..width {
            let offset = k - width / 2;
            let (a, b) = if horizontal {
                ((a.0, a.1 + offset), (b.0, b.1 + offset))
            } else {
                ((a.0 + offset, a.1), (b.0 + offset, b.1))
            };
            self.area.draw(&PathElement::new(vec![a, b], style))?;
        }
        Ok(())
    }

    fn rect(
        &self,
        (x0, y0): (f64, f64),
        (x1, y1): (f64, f64),
        color: RGBAColor,
        filled: bool,
    ) -> Drawn {
        let style = if filled {
            ShapeStyle::from(&color).filled()
        } else {
            ShapeStyle::from(&color).stroke_width(self.px(1.0) as u32)
        };
        self.area.draw(&Rectangle::new(
            [(x0 as i32, y0 as i32), (x1 as i32, y1 as i32)],
            style,
        ))?;
        Ok(())
    }

    fn draw(&mut self, chart: &Chart) -> Drawn {
        for (i, line) in chart.title_lines.iter().enumerate() {
            self.text(
                line,
                self.width / 2.0,
                self.px(layout::TITLE_TOP + layout::TITLE_LINE * i as f64),
                layout::TITLE,
                TEXT,
                HPos::Center,
                VPos::Top,
                true,
            )?;
        }
        self.legend(chart)?;
        let top = self.px(chart.top);
        match &chart.body {
            Body::Xy(xy) => self.xy(xy, top),
            Body::Bars(bars) => self.bars(bars, top),
            Body::Confusion(confusion) => self.confusion(confusion),
        }
    }

    /// The legend entries where the description placed them: a line sample and its text.
    fn legend(&self, chart: &Chart) -> Drawn {
        let sample = self.px(layout::LEGEND_SAMPLE);
        let gap = self.px(layout::LEGEND_GAP);
        for entry in &chart.legend {
            let (x, y) = (self.px(entry.x), self.px(entry.y));
            let color = color(entry.revision);
            if entry.mark == Mark::Points {
                let center = ((x + sample / 2.0) as i32, y as i32);
                self.area.draw(&Circle::new(
                    center,
                    self.px(4.0) as i32,
                    color.mix(0.8).filled(),
                ))?;
            } else {
                self.dashed(
                    &[(x, y), (x + sample, y)],
                    color.to_rgba(),
                    self.px(2.5),
                    entry.dash,
                    None,
                )?;
            }
            self.text(
                &entry.text,
                x + sample + gap,
                y,
                layout::LEGEND,
                TEXT,
                HPos::Left,
                VPos::Middle,
                false,
            )?;
        }
        Ok(())
    }

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

    fn xy(&self, chart: &XyChart, top: f64) -> Drawn {
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
            let base = color(series.revision);
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

    /// A polyline with a dash pattern, clipped to `clip`; each segment is drawn on its own so
    /// that thick lines on noisy data have no miter spikes.
    fn dashed(
        &self,
        points: &[(f64, f64)],
        color: RGBAColor,
        width: f64,
        dash: usize,
        clip: Option<Rect>,
    ) -> Drawn {
        let pattern: Vec<f64> = DASHES[dash % DASHES.len()]
            .iter()
            .map(|d| self.px(*d))
            .collect();
        let mut phase = 0.0; // distance into the pattern
        for pair in points.windows(2) {
            let (mut a, mut b) = (pair[0], pair[1]);
            if let Some(rect) = clip {
                match clip_segment(a, b, rect) {
                    Some((ca, cb)) => (a, b) = (ca, cb),
                    None => continue,
                }
            }
            let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            if pattern.is_empty() || length == 0.0 {
                self.line(a, b, color, width)?;
                continue;
            }
            let period: f64 = pattern.iter().sum();
            let mut travelled = 0.0;
            while travelled < length {
                let within = phase % period;
                let (mut index, mut start) = (0, 0.0);
                while start + pattern[index] <= within {
                    start += pattern[index];
                    index = (index + 1) % pattern.len();
                }
                let remaining = pattern[index] - (within - start);
                let step = remaining.min(length - travelled);
                if index % 2 == 0 {
                    let t0 = travelled / length;
                    let t1 = (travelled + step) / length;
                    let p0 = (a.0 + (b.0 - a.0) * t0, a.1 + (b.1 - a.1) * t0);
                    let p1 = (a.0 + (b.0 - a.0) * t1, a.1 + (b.1 - a.1) * t1);
                    self.line(p0, p1, color, width)?;
                }
                travelled += step;
                phase += step;
            }
        }
        Ok(())
    }

    fn bars(&self, chart: &BarChart, top: f64) -> Drawn {
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
            for (group, (revision, values)) in chart.bars.iter().enumerate() {
                let Some(value) = values[row] else { continue };
                let y0 = top + bar * group as f64;
                let end = rect.x(&chart.x, value);
                self.rect(
                    (zero.min(end), y0),
                    (zero.max(end), y0 + bar * 0.92),
                    color(*revision).to_rgba(),
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

    /// The panels where the description placed them: cells, numbers, class labels (left
    /// of the first panel of a row, under every panel), axis titles.
    fn confusion(&self, chart: &ConfusionChart) -> Drawn {
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
                color(panel.revision),
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

/// Liang–Barsky clipping of a segment to a rectangle.
fn clip_segment(a: (f64, f64), b: (f64, f64), rect: Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - rect.left),
        (dx, rect.right - a.0),
        (-dy, a.1 - rect.top),
        (dy, rect.bottom - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}
