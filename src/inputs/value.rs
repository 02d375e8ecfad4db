//! The parsed form of a metrics, params or plot file: a tree close to what Python's loaders
//! return, so that DVC's rules apply to it unchanged.

use std::collections::{HashMap, HashSet};

use crate::python;

/// A document as JSON, YAML and TOML readers return it.
///
/// Integers and floats stay apart (`1` and `1.0` print differently in DVC's tables), maps keep
/// their order, and keys are text (non-string YAML keys are written as Python's `str()` would).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~`, an empty YAML value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal (Python ints are unbounded; 128 bits covers every realistic file).
    Int(i128),
    /// A float literal, including `NaN` and the infinities.
    Float(f64),
    /// Text, and TOML dates and times as they are written.
    Str(String),
    /// A sequence.
    List(Vec<Value>),
    /// A mapping, in document order, duplicate keys already resolved.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// Python truthiness: `None`, `False`, `0`, `0.0`, `""`, `[]` and `{}` are false.
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// Python's `str()` of this value (`repr` for the items of a list or dict).
    pub fn python_str(&self) -> String {
        let mut out = String::new();
        self.write_python(&mut out, false);
        out
    }

    fn write_python(&self, out: &mut String, quoted: bool) {
        match self {
            Value::Null => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&python::float_repr(*f)),
            Value::Str(s) if quoted => out.push_str(&python::str_repr(s)),
            Value::Str(s) => out.push_str(s),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_python(out, true);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&python::str_repr(key));
                    out.push_str(": ");
                    value.write_python(out, true);
                }
                out.push('}');
            }
        }
    }

    /// Looks up a key of a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Resolves duplicate keys with Python `dict` semantics: the value of the last occurrence, at
/// the position of the first. Parsers push every entry, then call this once per map.
pub(crate) fn dedup_keys(entries: &mut Vec<(String, Value)>) {
    let has_duplicates = if entries.len() <= 16 {
        entries
            .iter()
            .enumerate()
            .any(|(i, (k, _))| entries[..i].iter().any(|(other, _)| other == k))
    } else {
        let mut seen = HashSet::with_capacity(entries.len());
        !entries.iter().all(|(k, _)| seen.insert(k.as_str()))
    };
    if !has_duplicates {
        return;
    }
    let mut position: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    for (key, value) in entries.drain(..) {
        match position.get(&key) {
            Some(&i) => out[i].1 = value,
            None => {
                position.insert(key.clone(), out.len());
                out.push((key, value));
            }
        }
    }
    *entries = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_print_as_python_repr() {
        let value = Value::List(vec![
            Value::Int(64),
            Value::Float(0.5),
            Value::Str("it's".into()),
            Value::Bool(true),
            Value::Null,
            Value::Map(vec![("k".into(), Value::Str("v".into()))]),
        ]);
        assert_eq!(
            value.python_str(),
            r#"[64, 0.5, "it's", True, None, {'k': 'v'}]"#
        );
    }

    #[test]
    fn duplicate_keys_keep_first_position_and_last_value() {
        let mut small = vec![
            ("a".to_owned(), Value::Int(1)),
            ("b".to_owned(), Value::Int(2)),
            ("a".to_owned(), Value::Int(3)),
        ];
        dedup_keys(&mut small);
        assert_eq!(
            small,
            vec![("a".into(), Value::Int(3)), ("b".into(), Value::Int(2))]
        );

        let mut big: Vec<(String, Value)> =
            (0..40).map(|i| (format!("k{i}"), Value::Int(i))).collect();
        big.push(("k0".into(), Value::Int(99)));
        dedup_keys(&mut big);
        assert_eq!(big.len(), 40);
        assert_eq!(big[0], ("k0".into(), Value::Int(99)));
    }
}
