//! Text for charts: DejaVu Sans (embedded), laid out with kerning and each glyph at its true
//! bearing, anti-aliased into an RGB buffer, horizontal or rotated a quarter turn.
//!
//! plotters' own `ab_glyph` text path drops each glyph's left bearing (letters drift:
//! "positi ve") and centres lines by a fixed ratio, so shapes go through plotters and text
//! comes here, drawn last, on top.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};

/// Horizontal anchor of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// The text starts at x.
    Left,
    /// The text is centred on x.
    Center,
    /// The text ends at x.
    Right,
}

/// Vertical anchor of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// The top of the tallest letters is at y.
    Top,
    /// The middle of the letters is at y.
    Middle,
    /// The lowest descender is at y.
    Bottom,
}

/// One text to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// Anchor point in device pixels.
    pub x: f64,
    /// Anchor point in device pixels.
    pub y: f64,
    /// Font size in device pixels.
    pub size: f64,
    /// Colour.
    pub rgb: [u8; 3],
    /// Bold face.
    pub bold: bool,
    /// Horizontal anchor (along the text's own direction).
    pub align: Align,
    /// Vertical anchor (across the text's own direction).
    pub baseline: Baseline,
    /// Read from bottom to top (a y axis title).
    pub vertical: bool,
}

struct Faces {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

fn faces() -> &'static Faces {
    static FACES: OnceLock<Faces> = OnceLock::new();
    FACES.get_or_init(|| Faces {
        regular: FontRef::try_from_slice(dejavu::sans::regular())
            .expect("the embedded DejaVu Sans is a valid font"),
        bold: FontRef::try_from_slice(dejavu::sans::bold())
            .expect("the embedded DejaVu Sans Bold is a valid font"),
    })
}

fn face(bold: bool) -> &'static FontRef<'static> {
    if bold {
        &faces().bold
    } else {
        &faces().regular
    }
}

/// Glyphs and their pen positions along the line, with kerning.
fn layout(font: &FontRef<'static>, size: f64, text: &str) -> (Vec<(GlyphId, f32)>, f32) {
    let scaled = font.as_scaled(PxScale::from(size as f32));
    let mut pen = 0.0f32;
    let mut previous: Option<GlyphId> = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(prev) = previous {
            pen += scaled.kern(prev, id);
        }
        glyphs.push((id, pen));
        pen += scaled.h_advance(id);
        previous = Some(id);
    }
    (glyphs, pen)
}

/// The advance width of a text in device pixels.
pub fn width(text: &str, size: f64, bold: bool) -> f64 {
    f64::from(layout(face(bold), size, text).1)
}

/// Texts longer than this many characters are cut before they are measured, so that a
/// hostile multi-megabyte field name costs no more to fit than a long one.
const FIT_LIMIT: usize = 300;

fn limited(text: &str) -> &str {
    match text.char_indices().nth(FIT_LIMIT) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// `text` shortened with `…` (at its end, or between its start and its end when `middle`)
/// to be no wider than `max` at `size`; unchanged when it fits.
pub fn ellipsize(text: &str, max: f64, size: f64, bold: bool, middle: bool) -> String {
    let total = text.chars().count();
    if total == 0 || (total <= FIT_LIMIT && width(text, size, bold) <= max) {
        return text.to_owned();
    }
    // Only the first and last characters can be kept, however long the text.
    let head: Vec<char> = text.chars().take(FIT_LIMIT).collect();
    let mut tail: Vec<char> = text.chars().rev().take(FIT_LIMIT).collect();
    tail.reverse();
    let build = |kept: usize| -> String {
        let (from_head, from_tail) = if middle {
            (kept.div_ceil(2), kept / 2)
        } else {
            (kept, 0)
        };
        let mut out: String = head[..from_head].iter().collect();
        out.push('…');
        out.extend(&tail[tail.len() - from_tail..]);
        out
    };
    // The most characters that fit, by bisection (widths grow with the characters kept).
    let (mut low, mut high) = (0, total.min(FIT_LIMIT) - 1);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if width(&build(mid), size, bold) <= max {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    build(low)
}

/// Byte offsets where a line may end: after a space, `_`, `/`, `-` or `·`, and at the end.
fn break_points(text: &str) -> Vec<usize> {
    let mut points: Vec<usize> = text
        .char_indices()
        .filter(|(_, c)| matches!(c, ' ' | '_' | '/' | '-' | '·'))
        .map(|(i, c)| i + c.len_utf8())
        .collect();
    if points.last() != Some(&text.len()) {
        points.push(text.len());
    }
    points
}

/// Lines of `text` (byte ranges) no wider than `max`, each as long as fits, broken at
/// [`break_points`]. A word wider than a line is cut between characters when `cut`, else
/// there is no answer.
fn wrap_ranges(
    text: &str,
    max: f64,
    size: f64,
    bold: bool,
    cut: bool,
) -> Option<Vec<(usize, usize)>> {
    let points = break_points(text);
    let mut lines = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = None;
        for &point in points.iter().filter(|p| **p > start) {
            if width(text[start..point].trim_end(), size, bold) <= max {
                end = Some(point);
            } else {
                break;
            }
        }
        let end = match end {
            Some(end) => end,
            None if cut => {
                // The longest run of characters that fits, at least one.
                let mut end = start + text[start..].chars().next().map_or(1, char::len_utf8);
                for (i, c) in text[start..].char_indices().skip(1) {
                    let next = start + i + c.len_utf8();
                    if width(&text[start..next], size, bold) > max {
                        break;
                    }
                    end = next;
                }
                end
            }
            None => return None,
        };
        lines.push((start, end));
        start = end;
        while text[start..].starts_with(' ') {
            start += 1;
        }
    }
    Some(lines)
}

/// `text` in at most `max_lines` lines no wider than `max` at `size`, broken after spaces,
/// `_`, `/`, `-` and `·` (within a word only when it is wider than a line); the last line
/// ends with `…` when text is left over.
pub fn wrap(text: &str, max: f64, size: f64, bold: bool, max_lines: usize) -> Vec<String> {
    let text = limited(text).trim();
    let lines = wrap_ranges(text, max, size, bold, true).unwrap_or_default();
    let max_lines = max_lines.max(1);
    let line = |&(start, end): &(usize, usize)| text[start..end].trim().to_owned();
    if lines.len() <= max_lines {
        return lines.iter().map(line).collect();
    }
    let mut out: Vec<String> = lines[..max_lines - 1].iter().map(line).collect();
    // The rest of the text, from where the last line starts.
    let rest = text[lines[max_lines - 1].0..].trim();
    out.push(ellipsize(rest, max, size, bold, false));
    out
}

/// `text` in lines no wider than `max`, broken only between words (after spaces, `_`, `/`,
/// `-`, `·`); `None` when a word is wider than a line.
pub fn wrap_words(text: &str, max: f64, size: f64, bold: bool) -> Option<Vec<String>> {
    let text = limited(text).trim();
    wrap_ranges(text, max, size, bold, false).map(|lines| {
        lines
            .iter()
            .map(|&(start, end)| text[start..end].trim().to_owned())
            .collect()
    })
}

/// Draws labels into a tightly packed RGB buffer of `width` × `height` pixels.
pub fn draw(pixels: &mut [u8], width: u32, height: u32, labels: &[Label]) {
    for label in labels {
        draw_one(pixels, width, height, label);
    }
}

fn draw_one(pixels: &mut [u8], width: u32, height: u32, label: &Label) {
    let font = face(label.bold);
    let scale = PxScale::from(label.size as f32);
    let scaled = font.as_scaled(scale);
    let (glyphs, advance) = layout(font, label.size, &label.text);
    let ascent = scaled.ascent();
    let descent = scaled.descent(); // negative
    // Offsets in the text's own frame: along the line (u) and down across it (v).
    let u0 = match label.align {
        Align::Left => 0.0,
        Align::Center => -advance / 2.0,
        Align::Right => -advance,
    };
    let baseline = match label.baseline {
        Baseline::Top => ascent,
        // The middle of lower-case and capital letters, which reads as centred.
        Baseline::Middle => ascent * 0.36,
        Baseline::Bottom => descent,
    };
    let (x0, y0) = (label.x as f32, label.y as f32);
    for (id, pen) in glyphs {
        let glyph = id.with_scale_and_position(scale, point(u0 + pen, baseline));
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let u = bounds.min.x + gx as f32;
            let v = bounds.min.y + gy as f32;
            let (px, py) = if label.vertical {
                // A quarter turn counter-clockwise: along the line is up the image.
                (x0 + v, y0 - u)
            } else {
                (x0 + u, y0 + v)
            };
            blend(pixels, width, height, px, py, label.rgb, coverage);
        });
    }
}

fn blend(pixels: &mut [u8], width: u32, height: u32, x: f32, y: f32, rgb: [u8; 3], alpha: f32) {
    if x < 0.0 || y < 0.0 {
        return;
    }
    let (x, y) = (x as u32, y as u32);
    if x >= width || y >= height || alpha <= 0.0 {
        return;
    }
    let index = (y as usize * width as usize + x as usize) * 3;
    let alpha = alpha.min(1.0);
    for (channel, value) in pixels[index..index + 3].iter_mut().zip(rgb) {
        let mixed = f32::from(*channel) * (1.0 - alpha) + f32::from(value) * alpha;
        *channel = mixed.round() as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_with_text_and_kerning_applies() {
        assert!(width("0.25", 24.0, false) > width("0.2", 24.0, false));
        assert!(width("AV", 24.0, false) < width("A", 24.0, false) + width("V", 24.0, false));
        assert!(width("Bold", 24.0, true) > width("Bold", 24.0, false));
    }

    #[test]
    fn wrapping_breaks_between_words_and_cuts_only_what_cannot_fit() {
        let size = 12.0;
        let max = width("CONSTRUCTION_", size, false) + 1.0;
        assert_eq!(
            wrap("CONSTRUCTION_ROAD", max, size, false, 3),
            vec!["CONSTRUCTION_", "ROAD"]
        );
        assert_eq!(
            wrap_words("potted plant", max, size, false).unwrap(),
            vec!["potted plant"]
        );
        assert_eq!(
            wrap_words("customer_lifetime_value", 30.0, size, false),
            None
        );
        // A word wider than a line is cut between characters; left-over text ends in `…`.
        let lines = wrap("abcdefghijklmnopqrstuvwxyz", 40.0, size, false, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        for line in &lines {
            assert!(width(line, size, false) <= 40.0, "{line}");
        }
        assert!(wrap("", 40.0, size, false, 2).is_empty());
    }

    #[test]
    fn ellipsis_keeps_what_fits_at_the_end_or_in_the_middle() {
        let size = 12.0;
        assert_eq!(ellipsize("short", 100.0, size, false, false), "short");
        let long = "base (1a2b3c4) · dvclive/plots/metrics/train/very/deep/acc.tsv";
        let end = ellipsize(long, 120.0, size, false, false);
        assert!(end.starts_with("base (") && end.ends_with('…'), "{end}");
        assert!(width(&end, size, false) <= 120.0);
        let middle = ellipsize(long, 160.0, size, false, true);
        assert!(
            middle.starts_with("base") && middle.ends_with("acc.tsv"),
            "{middle}"
        );
        assert!(width(&middle, size, false) <= 160.0);
        // A hostile length costs no more than a long one.
        let huge = "x".repeat(4_000_000);
        assert!(ellipsize(&huge, 50.0, size, false, true).chars().count() < 20);
        assert!(wrap(&huge, 50.0, size, false, 2).len() == 2);
        assert_eq!(ellipsize("", -1.0, size, false, false), "");
    }

    #[test]
    fn text_lands_where_it_is_anchored() {
        let (w, h) = (200u32, 100u32);
        let mut pixels = vec![255u8; (w * h * 3) as usize];
        draw(
            &mut pixels,
            w,
            h,
            &[Label {
                text: "Hi".into(),
                x: 100.0,
                y: 50.0,
                size: 30.0,
                rgb: [0, 0, 0],
                bold: false,
                align: Align::Center,
                baseline: Baseline::Middle,
                vertical: false,
            }],
        );
        let dark: Vec<(u32, u32)> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|(x, y)| pixels[((y * w + x) * 3) as usize] < 128)
            .collect();
        let (min_x, max_x) = (
            dark.iter().map(|p| p.0).min().unwrap(),
            dark.iter().map(|p| p.0).max().unwrap(),
        );
        let (min_y, max_y) = (
            dark.iter().map(|p| p.1).min().unwrap(),
            dark.iter().map(|p| p.1).max().unwrap(),
        );
        assert!(
            ((min_x + max_x) / 2).abs_diff(100) <= 2,
            "centred horizontally: {min_x}..{max_x}"
        );
        assert!(
            ((min_y + max_y) / 2).abs_diff(50) <= 4,
            "centred vertically: {min_y}..{max_y}"
        );
    }
}
