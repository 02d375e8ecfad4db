//! Drawing: a [`Chart`] to PNG bytes: shapes with plotters' bitmap backend, text with
//! DejaVu Sans embedded in the binary ([`super::text`]; no fontconfig, the same pixels on
//! every machine). Everything about what to draw was decided in [`super::chart`]; this
//! module only maps values to pixels.
//!
//! Here: the PNG, the canvas and what every chart has (title, legend, lines with their dash
//! patterns, clipping); the bodies in `xy` (axes, lines, bands, points), `bars` and
//! `confusion` (heatmap panels).

mod bars;
mod confusion;
mod xy;

use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{RGBAColor, RGBColor};

use crate::render::chart::{Axis, Body, Chart, Mark, Side, layout};
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
pub fn color(side: Side) -> RGBColor {
    match side {
        Side::Base => BASE_COLOR,
        Side::Head => HEAD_COLOR,
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
        "chart `{}` ({width}x{height}) painted in {drawn:?}, encoded the PNG ({} KiB) in {:?}",
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

    #[expect(
        clippy::too_many_arguments,
        reason = "a text is placed by its anchor, size, colour, alignment on both axes and weight"
    )]
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
            let color = color(entry.side);
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
