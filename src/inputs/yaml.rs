//! YAML 1.2 with the safe schema, as DVC reads it with ruamel (`typ="safe"`): `yes`/`no`/`on`
//! are strings, `.nan`/`.inf` are floats, `~` and empty values are null, duplicate keys are an
//! error. Every suffix DVC does not know is read as YAML too.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{NonFiniteFloatPolicy, options};

use super::ParseError;
use super::value::{Value, dedup_keys};

/// Parses one YAML document. An empty document is an empty map, as in DVC.
pub fn parse(bytes: &[u8]) -> Result<Value, ParseError> {
    let text = super::utf8(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(Value::Map(Vec::new()));
    }
    let options = options! {
        strict_booleans: true,
        non_finite_float_policy: NonFiniteFloatPolicy::PassThrough,
        with_snippet: false,
    };
    match serde_saphyr::from_str_with_options::<Yaml>(text, options) {
        Ok(Yaml(Value::Null)) if is_only_comments(text) => Ok(Value::Map(Vec::new())),
        Ok(Yaml(value)) => Ok(value),
        Err(error) => {
            let (line, column) = error
                .location()
                .map(|l| (l.line() as usize, l.column() as usize))
                .unwrap_or((0, 0));
            Err(ParseError {
                line,
                column,
                message: clean_message(&error.to_string()),
            })
        }
    }
}

fn is_only_comments(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with('#') || line == "---" || line == "...")
}

/// serde-saphyr appends the position to its messages; we print it ourselves.
fn clean_message(message: &str) -> String {
    let message = message.lines().next().unwrap_or(message);
    // Advice meant for programs that embed the parser, not for people editing the file.
    let message = message.split(", set ").next().unwrap_or(message);
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A newtype so that serde's visitor fills our [`Value`] directly.
struct Yaml(Value);

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(Yaml)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Yaml(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((Yaml(key), Yaml(value))) = map.next_entry()? {
            // Python keeps the key's type; DVC flattens with `str()`, which is what we store.
            let key = match key {
                Value::Str(s) => s,
                other => other.python_str(),
            };
            entries.push((key, value));
        }
        dedup_keys(&mut entries);
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Value {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn yaml_1_2_scalars() {
        let value = ok(
            "a: yes\nb: true\nc: 1e16\nd: ~\ne: .nan\nf: -.inf\ng: 0.5\nh: 3\ni: '3'\nj:\nk: 0x10\n",
        );
        let get = |k: &str| value.get(k).cloned().unwrap();
        assert_eq!(get("a"), Value::Str("yes".into()));
        assert_eq!(get("b"), Value::Bool(true));
        assert_eq!(get("c"), Value::Float(1e16));
        assert_eq!(get("d"), Value::Null);
        assert!(matches!(get("e"), Value::Float(f) if f.is_nan()));
        assert_eq!(get("f"), Value::Float(f64::NEG_INFINITY));
        assert_eq!(get("g"), Value::Float(0.5));
        assert_eq!(get("h"), Value::Int(3));
        assert_eq!(get("i"), Value::Str("3".into()));
        assert_eq!(get("j"), Value::Null);
        assert_eq!(get("k"), Value::Int(16));
    }

    #[test]
    fn empty_documents_are_empty_maps() {
        assert_eq!(ok(""), Value::Map(vec![]));
        assert_eq!(ok("# nothing here\n"), Value::Map(vec![]));
    }

    #[test]
    fn non_string_keys_are_stringified_like_python() {
        let value = ok("1: a\ntrue: b\n");
        assert_eq!(
            value,
            Value::Map(vec![
                ("1".into(), Value::Str("a".into())),
                ("True".into(), Value::Str("b".into()))
            ])
        );
    }

    #[test]
    fn errors_have_a_position() {
        let err = parse(b"a: 1\nb: [1, 2\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        let err = parse(b"a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
    }
}
