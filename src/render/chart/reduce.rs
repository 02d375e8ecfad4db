//! Data reduced to what the pixels can show, in linear time and keeping the peaks: a line
//! downsampled to the extremes of each pixel column, a dense series summed up per column
//! (low, high, mean: drawn as a band and a line), a scatter thinned to one point per pixel;
//! and the deterministic jitter and the moving average some templates ask for.

use super::Axis;

/// Reduces a line to what `pixels` columns can show, keeping its extremes: the first, the
/// lowest, the highest and the last point of each column (of consecutive points when x is not
/// increasing). Linear time; peaks survive.
pub fn downsample(points: &[(f64, f64)], x: &Axis, pixels: f64) -> Vec<(f64, f64)> {
    let columns = (pixels.max(1.0) as usize) * 2;
    if points.len() <= columns * 4 {
        return points.to_vec();
    }
    let increasing = points.windows(2).all(|w| w[1].0 >= w[0].0);
    let bucket_of = |index: usize, point: &(f64, f64)| -> usize {
        if increasing {
            let t = (point.0 - x.min) / (x.max - x.min);
            (t * columns as f64).clamp(0.0, columns as f64 - 1.0) as usize
        } else {
            index * columns / points.len()
        }
    };
    let mut out = Vec::with_capacity(columns * 4);
    let mut start = 0;
    while start < points.len() {
        let bucket = bucket_of(start, &points[start]);
        let mut end = start + 1;
        while end < points.len() && bucket_of(end, &points[end]) == bucket {
            end += 1;
        }
        let slice = &points[start..end];
        let (mut low, mut high) = (0, 0);
        for (i, p) in slice.iter().enumerate() {
            if p.1 < slice[low].1 {
                low = i;
            }
            if p.1 > slice[high].1 {
                high = i;
            }
        }
        let mut keep = [0, low, high, slice.len() - 1];
        keep.sort_unstable();
        let mut previous = usize::MAX;
        for i in keep {
            if i != previous {
                out.push(slice[i]);
                previous = i;
            }
        }
        start = end;
    }
    out
}

/// One pixel column of a dense series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ColumnSummary {
    /// The column's middle.
    pub(super) x: f64,
    /// The lowest y in it.
    pub(super) low: f64,
    /// The highest y in it.
    pub(super) high: f64,
    /// The mean y of its points.
    pub(super) mean: f64,
}

/// Aggregates a series with increasing x and more than two points per device column into
/// one low/high/mean per column; `None` for series that fit the pixels (or wander back in x).
pub(super) fn columns(points: &[(f64, f64)], x: &Axis, pixels: f64) -> Option<Vec<ColumnSummary>> {
    let count = (pixels.max(1.0) as usize) * 2;
    if points.len() <= count * 2 || !points.windows(2).all(|w| w[1].0 >= w[0].0) {
        return None;
    }
    let span = x.max - x.min;
    let mut out: Vec<ColumnSummary> = Vec::with_capacity(count);
    let (mut current, mut sum, mut n) = (usize::MAX, 0.0, 0usize);
    for &(px, py) in points {
        let column = (((px - x.min) / span) * count as f64).clamp(0.0, count as f64 - 1.0) as usize;
        if column != current {
            if let Some(last) = out.last_mut() {
                last.mean = sum / n as f64;
            }
            out.push(ColumnSummary {
                x: x.min + (column as f64 + 0.5) / count as f64 * span,
                low: py,
                high: py,
                mean: py,
            });
            (current, sum, n) = (column, 0.0, 0);
        }
        let last = out.last_mut().expect("pushed above");
        last.low = last.low.min(py);
        last.high = last.high.max(py);
        sum += py;
        n += 1;
    }
    if let Some(last) = out.last_mut() {
        last.mean = sum / n as f64;
    }
    Some(out)
}

/// Keeps one point per pixel: a million points become at most the plot's pixel count.
pub(super) fn thin_scatter(
    points: &[(f64, f64)],
    x: &Axis,
    y: &Axis,
    width: f64,
    height: f64,
) -> Vec<(f64, f64)> {
    let (w, h) = (width.max(1.0) as usize, height.max(1.0) as usize);
    if points.len() <= 4 * w {
        return points.to_vec();
    }
    let mut seen = vec![false; w * h];
    points
        .iter()
        .filter(|(px, py)| {
            let cx =
                ((px - x.min) / (x.max - x.min) * w as f64).clamp(0.0, w as f64 - 1.0) as usize;
            let cy =
                ((py - y.min) / (y.max - y.min) * h as f64).clamp(0.0, h as f64 - 1.0) as usize;
            !std::mem::replace(&mut seen[cy * w + cx], true)
        })
        .copied()
        .collect()
}

/// A deterministic offset of up to ±1.5 % of each axis, so that the same image comes out on
/// every run.
pub(super) fn jitter(points: &[(f64, f64)], x: &Axis, y: &Axis) -> Vec<(f64, f64)> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    points
        .iter()
        .map(|(px, py)| {
            (
                px + next() * 0.03 * (x.max - x.min),
                py + next() * 0.03 * (y.max - y.min),
            )
        })
        .collect()
}

/// A centred moving average over about 5 % of the points.
pub(super) fn moving_average(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let n = points.len();
    let half = (n / 40).max(1);
    if n < 3 {
        return points.to_vec();
    }
    let mut prefix = vec![0.0; n + 1];
    for (i, p) in points.iter().enumerate() {
        prefix[i + 1] = prefix[i] + p.1;
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            (points[i].0, (prefix[hi] - prefix[lo]) / (hi - lo) as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_peaks_and_bounds_the_points() {
        let n = 2_000_000u32;
        let mut points: Vec<(f64, f64)> = (0..n)
            .map(|i| (f64::from(i), (f64::from(i) / 1000.0).sin()))
            .collect();
        points[1_234_567].1 = 50.0; // a spike
        points[1_500_001].1 = -40.0;
        let x = Axis {
            label: String::new(),
            min: 0.0,
            max: f64::from(n),
            ticks: Vec::new(),
        };
        let reduced = downsample(&points, &x, 700.0);
        assert!(reduced.len() <= 700 * 2 * 4, "{} points", reduced.len());
        assert!(reduced.contains(&(1_234_567.0, 50.0)));
        assert!(reduced.contains(&(1_500_001.0, -40.0)));
        assert_eq!(reduced.first(), points.first());
        assert_eq!(reduced.last(), points.last());
    }
}
