//! JSON as Python's `json.loads` reads it, which is what DVC and dvclive use.
//!
//! Why not `serde_json`: Python accepts the bare tokens `NaN`, `Infinity` and `-Infinity`
//! (dvclive writes `Infinity` as the first ROC threshold; training loops write `NaN` losses),
//! keeps integers unbounded, and lets a repeated key win; `serde_json` rejects the tokens, and
//! rewriting them before parsing would shift the line and column of every later error.
//! This parser is a single pass over the bytes and builds [`Value`] directly.

use super::ParseError;
use super::value::{Value, dedup_keys};

/// Nesting deeper than this is refused instead of overflowing the stack on hostile input.
const MAX_DEPTH: usize = 512;

/// Parses one JSON document.
pub fn parse(bytes: &[u8]) -> Result<Value, ParseError> {
    let text = super::utf8(bytes)?;
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    // Python's json refuses a BOM; editors on Windows write one. Accept it.
    if parser.bytes.starts_with("\u{feff}".as_bytes()) {
        parser.pos = 3;
    }
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error("extra data after the JSON value"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::at_offset(self.text, self.pos, message)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat_literal(&mut self, literal: &str) -> bool {
        if self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            None => Err(self.error("expected a value, found the end of the file")),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') if self.eat_literal("true") => Ok(Value::Bool(true)),
            Some(b'f') if self.eat_literal("false") => Ok(Value::Bool(false)),
            Some(b'n') if self.eat_literal("null") => Ok(Value::Null),
            Some(b'N') if self.eat_literal("NaN") => Ok(Value::Float(f64::NAN)),
            Some(b'I') if self.eat_literal("Infinity") => Ok(Value::Float(f64::INFINITY)),
            Some(b'-') if self.eat_literal("-Infinity") => Ok(Value::Float(f64::NEG_INFINITY)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error(format!(
                "expected a value, found {}",
                describe_char(&self.text[self.pos..])
            ))),
        }
    }

    fn nested(
        &mut self,
        parse: fn(&mut Self) -> Result<Value, ParseError>,
    ) -> Result<Value, ParseError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<Value, ParseError> {
        self.pos += 1; // '{'
        let mut entries = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Map(entries));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a key in double quotes"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after the key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value()?;
            entries.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error("expected ',' or '}' after an object member")),
            }
        }
        dedup_keys(&mut entries);
        Ok(Value::Map(entries))
    }

    fn array(&mut self) -> Result<Value, ParseError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::List(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::List(items));
                }
                _ => return Err(self.error("expected ',' or ']' after an array item")),
            }
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start_quote = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => {
                    self.pos = start_quote;
                    return Err(self.error("unterminated string"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(b'\n' | b'\r') => {
                    return Err(
                        self.error("unterminated string: a line break before the closing quote")
                    );
                }
                Some(_) => return Err(self.error("control character in a string (escape it)")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&first)
                    && self.bytes[self.pos..].starts_with(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let second = self.hex4()?;
                    if (0xDC00..0xE000).contains(&second) {
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
                    } else {
                        self.pos = save;
                        char::REPLACEMENT_CHARACTER
                    }
                } else {
                    // A lone surrogate is valid in Python's str but not in UTF-8.
                    char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER)
                };
                out.push(c);
                return Ok(());
            }
            _ => return Err(self.error("invalid escape in a string")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("expected four hex digits after \\u"))?;
        self.pos += 4;
        Ok(digits)
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(self.error("expected a digit")),
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') && matches!(self.bytes.get(self.pos + 1), Some(b'0'..=b'9')) {
            is_float = true;
            self.pos += 1;
            self.skip_digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            let mut look = self.pos + 1;
            if let Some(b'+' | b'-') = self.bytes.get(look) {
                look += 1;
            }
            if matches!(self.bytes.get(look), Some(b'0'..=b'9')) {
                is_float = true;
                self.pos = look;
                self.skip_digits();
            }
        }
        let literal = &self.text[start..self.pos];
        if !is_float && let Ok(i) = literal.parse::<i128>() {
            return Ok(Value::Int(i));
        }
        // Python's float() turns an out-of-range literal into an infinity, as does Rust's.
        literal
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| self.error(format!("invalid number {literal}")))
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

fn describe_char(rest: &str) -> String {
    match rest.chars().next() {
        Some(c) if c.is_control() => format!("{:?}", c),
        Some(c) => format!("'{c}'"),
        None => "the end of the file".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Value {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn reads_python_extensions_and_keeps_int_and_float_apart() {
        let value = ok(r#"{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1, "e": 1.0, "f": 1e2}"#);
        let Value::Map(entries) = value else {
            panic!("a map")
        };
        assert!(matches!(entries[0].1, Value::Float(f) if f.is_nan()));
        assert_eq!(entries[1].1, Value::Float(f64::INFINITY));
        assert_eq!(entries[2].1, Value::Float(f64::NEG_INFINITY));
        assert_eq!(entries[3].1, Value::Int(1));
        assert_eq!(entries[4].1, Value::Float(1.0));
        assert_eq!(entries[5].1, Value::Float(100.0));
    }

    #[test]
    fn big_and_out_of_range_numbers() {
        assert_eq!(
            ok("123456789012345678901234567890"),
            Value::Int(123456789012345678901234567890)
        );
        assert_eq!(ok("1e999"), Value::Float(f64::INFINITY));
        assert_eq!(ok("-0"), Value::Int(0));
    }

    #[test]
    fn strings_unescape_and_pair_surrogates() {
        assert_eq!(
            ok(r#""a\n\"\u00e9\ud83d\ude00\ud800x""#),
            Value::Str("a\n\"é😀\u{fffd}x".into())
        );
    }

    #[test]
    fn last_duplicate_key_wins() {
        assert_eq!(
            ok(r#"{"a": 1, "b": 2, "a": 3}"#),
            Value::Map(vec![
                ("a".into(), Value::Int(3)),
                ("b".into(), Value::Int(2))
            ])
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = parse(b"{\n  \"a\": 1,\n  \"b\": tru\n}").unwrap_err();
        assert_eq!((err.line, err.column), (3, 8));
        assert_eq!(err.message, "expected a value, found 't'");
        let err = parse(b"{\"a\": 1} x").unwrap_err();
        assert_eq!(
            (err.line, err.column, err.message.as_str()),
            (1, 10, "extra data after the JSON value")
        );
        let err = parse(b"[1,").unwrap_err();
        assert_eq!(err.message, "expected a value, found the end of the file");
        let err = parse(b"\"abc").unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
        assert!(parse(b"01").is_err());
        assert!(parse(b"").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let err = parse(text.as_bytes()).unwrap_err();
        assert!(err.message.contains("nesting"), "{err}");
    }
}
