//! Numbers and values as the report shows them to people: short, signed where it is a
//! change, never `10000.0`.

use crate::diff::Side;
use crate::model::{Number, Scalar};
use crate::render::escape;

/// Significant digits of values in the report tables.
const VALUE_DIGITS: usize = 6;
/// Significant digits of changes.
const DELTA_DIGITS: usize = 4;

/// Like C's and Python's `%.{digits}g`: fixed notation for moderate exponents, scientific
/// beyond, trailing zeros removed.
pub fn general(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "∞" } else { "−∞" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let digits = digits.max(1);
    let scientific = format!("{:.*e}", digits - 1, x);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` writes an exponent");
    let exponent: i32 = exponent.parse().expect("an integer exponent");
    if exponent < -4 || exponent >= digits as i32 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
        trim_zeros(&format!("{x:.decimals$}")).to_owned()
    }
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// A float in the short form of value cells.
pub fn float(x: f64) -> String {
    general(x, VALUE_DIGITS)
}

/// A sample: `0.8514 ± 0.0113 (n=5)`.
pub fn sample(stats: &crate::stats::Stats) -> String {
    format!(
        "{} ± {} (n={})",
        general(stats.mean, 4),
        general(stats.sd, 2),
        stats.n
    )
}

/// A value with its standard error: `0.625 ± 0.025 (s.e.)`.
pub fn estimate(value: &Scalar, error: f64) -> String {
    format!(
        "{} ± {} (s.e.)",
        self::value(Some(value)),
        general(error, 2)
    )
}

/// A value cell: numbers in short form, text escaped.
pub fn value(value: Option<&Scalar>) -> String {
    match value {
        None => "—".to_owned(),
        Some(Scalar::Null) => "null".to_owned(),
        Some(Scalar::Bool(b)) => b.to_string(),
        Some(Scalar::Int(i)) => i.to_string(),
        Some(Scalar::Float(f)) => general(*f, VALUE_DIGITS),
        Some(Scalar::Str(s)) => escape::inline(s),
    }
}

/// A side by its word: `base` or `head`.
pub fn side(side: Side) -> &'static str {
    match side {
        Side::Base => "base",
        Side::Head => "head",
    }
}

/// A change, always signed: `+0.0102`, `−3`, `0`.
pub fn delta(delta: Number) -> String {
    let (negative, magnitude) = match delta {
        Number::Int(i) => (i < 0, i.unsigned_abs().to_string()),
        Number::Float(f) if f.is_nan() => return "NaN".to_owned(),
        Number::Float(f) => (f < 0.0, general(f.abs(), DELTA_DIGITS)),
    };
    if magnitude == "0" {
        "0".to_owned()
    } else if negative {
        format!("−{magnitude}")
    } else {
        format!("+{magnitude}")
    }
}

/// A relative change as a signed percentage: `+1.09%`.
pub fn percent(ratio: f64) -> String {
    let pct = ratio * 100.0;
    let magnitude = if pct.abs() >= 100.0 {
        general(pct.abs(), 4)
    } else {
        let text = format!("{:.2}", pct.abs());
        trim_zeros(&text).to_owned()
    };
    if magnitude == "0" {
        "0%".to_owned()
    } else if pct < 0.0 {
        format!("−{magnitude}%")
    } else {
        format!("+{magnitude}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_format_is_short() {
        assert_eq!(general(0.9477612, 6), "0.947761");
        assert_eq!(general(10000.0, 6), "10000");
        assert_eq!(general(1234567.0, 6), "1.23457e+06");
        assert_eq!(general(0.00001234, 6), "1.234e-05");
        assert_eq!(general(0.5, 6), "0.5");
        assert_eq!(general(-2.0, 6), "-2");
    }

    #[test]
    fn changes_are_signed() {
        assert_eq!(delta(Number::Float(0.0102)), "+0.0102");
        assert_eq!(delta(Number::Float(-0.05000000000000004)), "−0.05");
        assert_eq!(delta(Number::Int(-3)), "−3");
        assert_eq!(delta(Number::Int(0)), "0");
        assert_eq!(percent(0.01089), "+1.09%");
        assert_eq!(percent(-0.5), "−50%");
        assert_eq!(percent(12.5), "+1250%");
    }
}
