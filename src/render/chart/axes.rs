//! Axes: a padded range around the data, "nice" tick steps (1, 2, 2.5 or 5 times a power of
//! ten) spaced so that their labels never touch, and labels with as many decimals as the
//! step needs and SI suffixes from ten thousand up.

use super::{Axis, layout};
use crate::render::format;

pub(super) fn pad((lo, hi): (f64, f64), fraction: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if lo == hi {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * fraction;
    (lo - d, hi + d)
}

pub(super) fn empty_axis(label: &str) -> Axis {
    Axis {
        label: label.to_owned(),
        min: 0.0,
        max: 1.0,
        ticks: Vec::new(),
    }
}

/// An axis with "nice" ticks (1, 2, 2.5 or 5 times a power of ten) spaced so that their
/// labels never touch: horizontal labels need their width, vertical ones a line height.
pub fn axis(label: String, (min, max): (f64, f64), pixels: f64, horizontal: bool) -> Axis {
    let span = max - min;
    let mut target = if horizontal {
        pixels / 90.0
    } else {
        pixels / 45.0
    }
    .clamp(2.0, 12.0);
    loop {
        let step = nice_step(span / target);
        let ticks = tick_values(min, max, step);
        let labels = tick_labels(&ticks, step);
        let widest = labels
            .iter()
            .map(|l| l.chars().count() as f64 * layout::TICK * layout::CHAR_WIDTH)
            .fold(0.0, f64::max);
        let needed = if horizontal {
            widest + 16.0
        } else {
            layout::TICK * 2.0
        };
        let spacing = if ticks.len() > 1 {
            pixels * step / span
        } else {
            f64::INFINITY
        };
        if spacing >= needed || target <= 2.0 {
            return Axis {
                label,
                min,
                max,
                ticks: ticks.into_iter().zip(labels).collect(),
            };
        }
        target = (target * 0.7).max(2.0);
    }
}

fn nice_step(raw: f64) -> f64 {
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 2.5 {
        2.5
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

fn tick_values(min: f64, max: f64, step: f64) -> Vec<f64> {
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last)
        .take(100)
        .map(|i| {
            let v = i as f64 * step;
            // Snap away representation noise (0.30000000000000004 -> 0.3).
            (v / step).round() * step
        })
        .map(|v| if v == 0.0 { 0.0 } else { v })
        .collect()
}

/// Tick labels with as many decimals as the step needs, and SI suffixes from ten thousand
/// up: `10k`, `2.5M`, never `10000.0`.
pub fn tick_labels(ticks: &[f64], step: f64) -> Vec<String> {
    let largest = ticks.iter().map(|t| t.abs()).fold(0.0, f64::max);
    if step < 1e-4 && largest < 1.0 {
        return ticks.iter().map(|t| format::general(*t, 3)).collect();
    }
    let decimals_for = |step: f64| {
        let mut decimals = (-step.log10().floor()).max(0.0) as usize;
        if (step * 10f64.powi(decimals as i32)).fract().abs() > 1e-9 {
            decimals += 1; // 2.5 x 10^k steps need one more
        }
        decimals.min(12)
    };
    if largest < 1e4 {
        let decimals = decimals_for(step);
        return ticks
            .iter()
            .map(|t| clean_zero(format!("{t:.decimals$}")))
            .collect();
    }
    // Each tick with the prefix of its own magnitude, as few decimals as the step allows.
    ticks
        .iter()
        .map(|t| {
            let (divisor, suffix) = match t.abs() {
                a if a >= 1e9 => (1e9, "G"),
                a if a >= 1e6 => (1e6, "M"),
                a if a >= 1e3 => (1e3, "k"),
                _ => (1.0, ""),
            };
            if *t == 0.0 {
                return "0".to_owned();
            }
            let decimals = decimals_for(step / divisor);
            let text = format!("{:.decimals$}", t / divisor);
            let text = if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                text
            };
            format!("{text}{suffix}")
        })
        .collect()
}

/// `-0.0` reads as a glitch on an axis.
fn clean_zero(text: String) -> String {
    if text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty() {
        text[1..].to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_never_overlap() {
        let axis = axis("x".into(), (0.0, 1_000_000.0), 700.0, true);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0", "200k", "400k", "600k", "800k", "1M"]);
        let axis = super::axis("x".into(), (0.0, 60_000.0), 700.0, true);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0", "10k", "20k", "30k", "40k", "50k", "60k"]);
        let axis = super::axis("y".into(), (0.0012, 0.0031), 300.0, false);
        let labels: Vec<&str> = axis.ticks.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["0.0015", "0.0020", "0.0025", "0.0030"]);
        let narrow = super::axis("x".into(), (0.0, 123_456_789.0), 200.0, true);
        assert!(narrow.ticks.len() <= 3, "{:?}", narrow.ticks);
        assert_eq!(
            tick_labels(&[0.0, 2.5, 5.0], 2.5),
            vec!["0.0", "2.5", "5.0"]
        );
        assert_eq!(
            tick_labels(&[-0.5, 0.0, 0.5], 0.5),
            vec!["-0.5", "0.0", "0.5"]
        );
    }
}
