//! The statistics behind "within noise": a sample's mean and standard deviation, and
//! Welch's t-test (two samples with unequal variances), with the two-sided p-value from
//! Student's t distribution. Checked against scipy (`fixtures/stats/make_welch.py`).

/// A sample of one metric: its size, mean and standard deviation (with `n - 1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Number of values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (Bessel's correction; 0 for one value).
    pub sd: f64,
}

impl Stats {
    /// The statistics of `values` (finite values only; `None` when there are none).
    pub fn of(values: &[f64]) -> Option<Stats> {
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = finite.len();
        if n == 0 {
            return None;
        }
        let mean = finite.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            let squares: f64 = finite.iter().map(|v| (v - mean) * (v - mean)).sum();
            (squares / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Stats { n, mean, sd })
    }
}

/// The result of a t-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTest {
    /// The t statistic (head minus base).
    pub t: f64,
    /// Degrees of freedom (Welch–Satterthwaite).
    pub df: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// Welch's t-test of `head` against `base`; with one value on a side, a one-sample test of
/// the other side against it. `None` when there is nothing to test (one value on each side,
/// or no spread at all).
pub fn welch(base: &Stats, head: &Stats) -> Option<TTest> {
    let (vb, vh) = (base.sd * base.sd, head.sd * head.sd);
    let diff = head.mean - base.mean;
    let (se2, df) = match (base.n, head.n) {
        (0, _) | (_, 0) | (1, 1) => return None,
        (1, n) => (vh / n as f64, (n - 1) as f64),
        (n, 1) => (vb / n as f64, (n - 1) as f64),
        (nb, nh) => {
            let (qb, qh) = (vb / nb as f64, vh / nh as f64);
            let se2 = qb + qh;
            let df = se2 * se2 / (qb * qb / (nb - 1) as f64 + qh * qh / (nh - 1) as f64);
            (se2, df)
        }
    };
    if se2 == 0.0 {
        // No spread: the difference is certain, or there is none.
        return Some(TTest {
            t: if diff == 0.0 {
                0.0
            } else {
                diff.signum() * f64::INFINITY
            },
            df,
            p: if diff == 0.0 { 1.0 } else { 0.0 },
        });
    }
    let t = diff / se2.sqrt();
    Some(TTest {
        t,
        df,
        p: two_sided_p(t, df),
    })
}

/// `P(|T| >= |t|)` for Student's t with `df` degrees of freedom:
/// `I_{df/(df+t²)}(df/2, 1/2)`.
pub fn two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    let x = df / (df + t * t);
    regularized_beta(x, df / 2.0, 0.5).clamp(0.0, 1.0)
}

/// The regularized incomplete beta function `I_x(a, b)`, by Lentz's continued fraction
/// (converges fast for `x < (a + 1) / (a + b + 2)`; the symmetry `I_x(a, b) = 1 -
/// I_{1-x}(b, a)` covers the rest).
pub fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(x, a, b) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(1.0 - x, b, a) / b
    }
}

fn beta_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPSILON: f64 = 1e-15;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPSILON {
            break;
        }
    }
    h
}

/// `ln Γ(x)` for `x > 0`, by the Lanczos approximation (g = 7, 9 terms; ~15 digits).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEFFICIENTS[0];
    for (i, c) in COEFFICIENTS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1e-300) || (a - b).abs() < 1e-15
    }

    #[test]
    fn ln_gamma_matches_known_values() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-12));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-12
        ));
        assert!(close(ln_gamma(10.0), 362_880f64.ln(), 1e-12));
    }

    /// Every case of `fixtures/stats/welch.json`, computed by scipy.
    #[test]
    fn welch_matches_scipy() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stats/welch.json");
        let cases: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let cases = cases.as_array().unwrap();
        assert!(cases.len() >= 10);
        for case in cases {
            let values = |name: &str| -> Vec<f64> {
                case[name]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            };
            let (base, head) = (
                Stats::of(&values("base")).unwrap(),
                Stats::of(&values("head")).unwrap(),
            );
            let test = welch(&base, &head).unwrap();
            let (t, df, p) = (
                case["t"].as_f64().unwrap(),
                case["df"].as_f64().unwrap(),
                case["p"].as_f64().unwrap(),
            );
            let name = case["name"].as_str().unwrap();
            assert!(close(test.t, t, 1e-9), "{name}: t {} vs scipy {t}", test.t);
            assert!(
                close(test.df, df, 1e-9),
                "{name}: df {} vs scipy {df}",
                test.df
            );
            assert!(close(test.p, p, 1e-8), "{name}: p {} vs scipy {p}", test.p);
        }
    }

    #[test]
    fn no_spread_and_single_values() {
        let a = Stats::of(&[1.0, 1.0, 1.0]).unwrap();
        let b = Stats::of(&[2.0, 2.0]).unwrap();
        assert_eq!(welch(&a, &b).unwrap().p, 0.0);
        assert_eq!(welch(&a, &a).unwrap().p, 1.0);
        let one = Stats::of(&[0.5]).unwrap();
        assert!(welch(&one, &one).is_none());
        assert_eq!(Stats::of(&[f64::NAN]), None);
    }
}
