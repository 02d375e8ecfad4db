//! Python's formatting rules, which `dvc metrics diff` and `dvc params diff` print through.
//!
//! DVC is written in Python: a float in its tables is `str(round(x, 5))`, a list param is
//! `str(list)`, and `--json` is `json.dumps`. Matching DVC byte for byte means matching these
//! functions exactly (see `shared/reference/dvc.md` §1.2 and §8.7). This module is a leaf: it
//! depends on nothing else in the crate and does no I/O.

use std::fmt::Write as _;

/// `repr(x)` / `str(x)` of a Python float: the shortest string that round-trips, in fixed
/// notation when the decimal exponent is in `-4..16`, else in exponent notation (`1e-05`,
/// `1e+16`); integral values keep a `.0`; `nan`, `inf`, `-inf`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits; only the layout differs from Python.
    let mut scientific = String::with_capacity(32);
    let _ = write!(scientific, "{:e}", x.abs());
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
    let (lead, rest) = mantissa.split_at(1);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let digit_count = 1 + rest.len();
    let digit = |i: usize| if i == 0 { lead } else { &rest[i - 1..i] };
    let mut out = String::with_capacity(digit_count + 8);
    if x < 0.0 {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        let point = exponent + 1; // digits before the decimal point
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
            out.push_str(lead);
            out.push_str(rest);
        } else {
            let point = point as usize;
            for i in 0..digit_count.min(point) {
                out.push_str(digit(i));
            }
            if digit_count <= point {
                out.extend(std::iter::repeat_n('0', point - digit_count));
                out.push_str(".0");
            } else {
                out.push('.');
                out.push_str(&rest[point - 1..]);
            }
        }
    } else {
        out.push_str(lead);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
    }
    out
}

/// Python's `round(x, digits)` for a float: correctly rounded to `digits` decimals, ties to
/// even on the exact binary value (`round(0.125, 2) == 0.12`), non-finite values unchanged.
pub fn round(x: f64, digits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Fast path, exact whenever it is taken: with |x·10ⁿ| < 10⁹ the product is off by less
    // than 10⁻⁷, so unless its fraction is within 10⁻⁶ of one half, the integer it rounds to
    // is the one the exact decimal value rounds to; and k / 10ⁿ, a correctly rounded
    // division of two exact integers, is the float nearest to the decimal k·10⁻ⁿ, which is
    // what CPython returns.
    if digits <= 15 {
        let scale = 10f64.powi(digits as i32);
        let scaled = x * scale;
        if scaled.abs() < 1e9 {
            let floor = scaled.floor();
            let fraction = scaled - floor;
            if (fraction - 0.5).abs() > 1e-6 {
                let k = if fraction > 0.5 { floor + 1.0 } else { floor };
                return if k == 0.0 {
                    0f64.copysign(x)
                } else {
                    k / scale
                };
            }
        }
    }
    // Rust's fixed-precision formatting is exact (no double rounding), as is CPython's.
    format!("{x:.digits$}")
        .parse()
        .expect("a formatted float parses back")
}

/// `repr(s)` of a Python `str`: single quotes unless the text holds a `'` and no `"`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// One value of Python's `json.dumps(..., ensure_ascii=True, allow_nan=True)`: the writer
/// that `dvc ... --json` uses.
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// A float as Python's `json.dumps` writes it: `repr`, except `NaN`, `Infinity`, `-Infinity`.
pub fn json_float(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_owned()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        float_repr(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        // Each right-hand side was printed by CPython 3.11's `repr`.
        let cases: &[(f64, &str)] = &[
            (0.925, "0.925"),
            (0.0007, "0.0007"),
            (1e-05, "1e-05"),
            (1.234e-05, "1.234e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (2.0, "2.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (123456.0, "123456.0"),
            (0.1, "0.1"),
            (0.050000000000000044, "0.050000000000000044"),
            (-2.5, "-2.5"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, expected) in cases {
            assert_eq!(float_repr(*x), *expected, "repr of {x:e}");
        }
    }

    #[test]
    fn round_ties_to_even_on_the_exact_value() {
        assert_eq!(round(0.125, 2), 0.12);
        assert_eq!(round(0.375, 2), 0.38);
        assert_eq!(round(2.675, 2), 2.67);
        assert_eq!(round(0.9249974999612706, 5), 0.925);
        assert_eq!(float_repr(round(-1e-10, 5)), "-0.0");
        assert!(round(f64::NAN, 5).is_nan());
        assert_eq!(round(1e300, 5), 1e300);
    }

    #[test]
    fn the_fast_path_agrees_with_exact_rounding() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for i in 0..200_000 {
            // xorshift: values across magnitudes, signs and digit counts.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mantissa = (state >> 11) as f64 / (1u64 << 53) as f64;
            let x = (mantissa - 0.5) * 10f64.powi(i % 12 - 4);
            for digits in [0, 1, 2, 5, 8] {
                let exact: f64 = format!("{x:.digits$}").parse().unwrap();
                assert_eq!(
                    round(x, digits).to_bits(),
                    exact.to_bits(),
                    "round({x:e}, {digits})"
                );
            }
        }
        for (x, digits) in [
            (0.5, 0),
            (1.5, 0),
            (2.5, 0),
            (0.125, 2),
            (-0.125, 2),
            (1.005, 2),
        ] {
            let exact: f64 = format!("{x:.digits$}").parse().unwrap();
            assert_eq!(
                round(x, digits).to_bits(),
                exact.to_bits(),
                "round({x}, {digits})"
            );
        }
    }

    #[test]
    fn str_repr_picks_quotes_like_python() {
        assert_eq!(str_repr("bar"), "'bar'");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(str_repr("tab\there\n"), "'tab\\there\\n'");
        assert_eq!(str_repr("é"), "'é'");
    }

    #[test]
    fn json_strings_are_ascii_escaped() {
        let mut out = String::new();
        json_string(&mut out, "é\"\u{1F600}\u{1}");
        assert_eq!(out, r#""\u00e9\"\ud83d\ude00\u0001""#);
        assert_eq!(json_float(f64::NEG_INFINITY), "-Infinity");
    }
}
