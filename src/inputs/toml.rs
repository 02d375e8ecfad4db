//! TOML 1.0 (the `toml` crate reads TOML 1.1, a superset). Dates and times are kept as the
//! text that was written.

use super::ParseError;
use super::value::Value;

/// Parses one TOML document.
pub fn parse(bytes: &[u8]) -> Result<Value, ParseError> {
    let text = super::utf8(bytes)?;
    match toml::from_str::<toml::Table>(text) {
        Ok(table) => Ok(convert_table(table)),
        Err(error) => {
            let offset = error.span().map_or(0, |span| span.start);
            Err(ParseError::at_offset(text, offset, error.message().trim()))
        }
    }
}

fn convert_table(table: toml::Table) -> Value {
    Value::Map(table.into_iter().map(|(k, v)| (k, convert(v))).collect())
}

fn convert(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::Str(s),
        toml::Value::Integer(i) => Value::Int(i.into()),
        toml::Value::Float(f) => Value::Float(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::Str(d.to_string()),
        toml::Value::Array(items) => Value::List(items.into_iter().map(convert).collect()),
        toml::Value::Table(table) => convert_table(table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tables_and_keeps_types() {
        let value =
            parse(b"[val]\nloss = 0.33\ncount = 7\nwhen = 1979-05-27\nnan = nan\n").unwrap();
        let val = value.get("val").unwrap();
        assert_eq!(val.get("loss"), Some(&Value::Float(0.33)));
        assert_eq!(val.get("count"), Some(&Value::Int(7)));
        assert_eq!(val.get("when"), Some(&Value::Str("1979-05-27".into())));
        assert!(matches!(val.get("nan"), Some(Value::Float(f)) if f.is_nan()));
    }

    #[test]
    fn errors_have_a_position() {
        let err = parse(b"a = 1\nb = \n").unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
    }
}
