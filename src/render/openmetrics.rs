//! The head's metrics as OpenMetrics text, for GitLab's metrics report
//! (`artifacts: reports: metrics:`), which compares them with the target branch's in the
//! merge request widget.
//!
//! One line per numeric metric, `name{file="path"} value`: the name is the metric's key
//! made a valid OpenMetrics name (`test.roc_auc` → `test_roc_auc`), the file a label, so
//! names stay stable when another metrics file appears. Booleans count as 0 and 1, as DVC
//! counts them; text metrics are left out. The text ends with `# EOF`.

use std::fmt::Write as _;

use crate::model::{Document, Scalar, Snapshot};

/// The snapshot's metrics as OpenMetrics text.
pub fn render(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    for (file, content) in &snapshot.metrics {
        let Ok(document) = content else { continue };
        let pairs: Vec<(&str, &Scalar)> = match document {
            Document::Map(pairs) => pairs.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            Document::Scalar(value) => vec![("", value)],
        };
        for (key, value) in pairs {
            let Some(number) = number(value) else {
                continue;
            };
            let name = if key.is_empty() {
                metric_name(file.rsplit('/').next().unwrap_or(file))
            } else {
                metric_name(key)
            };
            let _ = writeln!(out, "{name}{{file=\"{}\"}} {number}", label_value(file));
        }
    }
    out.push_str("# EOF\n");
    out
}

fn number(value: &Scalar) -> Option<String> {
    Some(match value {
        Scalar::Bool(b) => u8::from(*b).to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) if f.is_nan() => "NaN".into(),
        Scalar::Float(f) if f.is_infinite() => if *f > 0.0 { "+Inf" } else { "-Inf" }.into(),
        Scalar::Float(f) => crate::python::float_repr(*f),
        Scalar::Null | Scalar::Str(_) => return None,
    })
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`: anything else becomes `_`.
fn metric_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Problem;

    #[test]
    fn numeric_metrics_become_lines_with_the_file_as_a_label() {
        let mut snapshot = Snapshot::default();
        snapshot.metrics.insert(
            "eval/metrics.json".into(),
            Ok(Document::Map(vec![
                ("test.roc_auc".into(), Scalar::Float(0.93)),
                ("epochs".into(), Scalar::Int(10)),
                ("converged".into(), Scalar::Bool(true)),
                ("model".into(), Scalar::Str("mlp".into())),
                ("loss".into(), Scalar::Float(f64::INFINITY)),
                ("1st".into(), Scalar::Float(1e-7)),
            ])),
        );
        snapshot
            .metrics
            .insert("a\"b.json".into(), Ok(Document::Scalar(Scalar::Int(3))));
        snapshot
            .metrics
            .insert("missing.json".into(), Err(Problem::Missing));
        assert_eq!(
            render(&snapshot),
            "a_b_json{file=\"a\\\"b.json\"} 3\n\
             test_roc_auc{file=\"eval/metrics.json\"} 0.93\n\
             epochs{file=\"eval/metrics.json\"} 10\n\
             converged{file=\"eval/metrics.json\"} 1\n\
             loss{file=\"eval/metrics.json\"} +Inf\n\
             _1st{file=\"eval/metrics.json\"} 1e-07\n\
             # EOF\n"
        );
    }
}
