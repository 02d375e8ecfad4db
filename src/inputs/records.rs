//! Plot data: a table of records (columns of numbers or text), read from CSV/TSV, or found
//! as lists of records anywhere in a JSON/YAML/TOML document (DVC's
//! `dvc/render/converter/vega.py::get_datapoints`).

use std::borrow::Cow;

use super::value::Value;
use super::{Format, ParseError, parse};
use crate::model::{Column, Table};

impl Column {
    /// The number of cells.
    pub fn len(&self) -> usize {
        match self {
            Column::Numbers(v) => v.len(),
            Column::Texts(v) => v.len(),
        }
    }

    /// Whether the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cells as numbers (text that is not a number is NaN).
    pub fn numbers(&self) -> Cow<'_, [f64]> {
        match self {
            Column::Numbers(v) => Cow::Borrowed(v),
            Column::Texts(v) => Cow::Owned(
                v.iter()
                    .map(|t| parse_number(t).unwrap_or(f64::NAN))
                    .collect(),
            ),
        }
    }

    /// The cells as labels (numbers written the short way: `1`, not `1.0`).
    pub fn labels(&self) -> Vec<String> {
        match self {
            Column::Numbers(v) => v.iter().map(|x| label_of(*x)).collect(),
            Column::Texts(v) => v.clone(),
        }
    }
}

fn label_of(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl Table {
    /// A column by field name.
    pub fn column(&self, field: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, c)| c)
    }

    /// The field names.
    pub fn fields(&self) -> Vec<&str> {
        self.columns.iter().map(|(name, _)| name.as_str()).collect()
    }
}

/// Reads a plot data file: `.csv` and `.tsv` as delimited text with a header, everything
/// else through the metrics readers, keeping the lists of records found in it.
pub fn read(path: &str, bytes: &[u8]) -> Result<Table, ParseError> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        delimited(bytes, b',')
    } else if lower.ends_with(".tsv") {
        delimited(bytes, b'\t')
    } else {
        Ok(from_value(&parse(Format::of(path), bytes)?))
    }
}

/// Parses a number the way a plot reads a cell: decimal, exponent, `nan`, `inf`.
pub fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    match text {
        "" => None,
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// A CSV or TSV file with a header row. Short rows are padded (dvclive's `timestamp` toggle
/// writes them), columns are numbers when every non-empty cell is one. Numeric columns keep
/// only their numbers: a column found to hold text is read again as text.
fn delimited(bytes: &[u8], delimiter: u8) -> Result<Table, ParseError> {
    let text = super::utf8(bytes)?;
    let mut is_text: Vec<bool> = Vec::new();
    loop {
        match delimited_pass(text, delimiter, &mut is_text)? {
            Some(table) => return Ok(table),
            None => continue, // a column turned out to be text: read again
        }
    }
}

fn delimited_pass(
    text: &str,
    delimiter: u8,
    is_text: &mut Vec<bool>,
) -> Result<Option<Table>, ParseError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(text, &e))?
        .iter()
        .map(str::to_owned)
        .collect();
    is_text.resize(headers.len(), false);
    let mut columns: Vec<Column> = is_text
        .iter()
        .map(|&t| {
            if t {
                Column::Texts(Vec::new())
            } else {
                Column::Numbers(Vec::new())
            }
        })
        .collect();
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(text, &e))?
    {
        for (i, column) in columns.iter_mut().enumerate() {
            let cell = record.get(i).unwrap_or("");
            match column {
                Column::Texts(values) => values.push(cell.to_owned()),
                Column::Numbers(values) => match parse_number(cell) {
                    Some(x) => values.push(x),
                    None if cell.trim().is_empty() => values.push(f64::NAN),
                    None => {
                        is_text[i] = true;
                        return Ok(None);
                    }
                },
            }
        }
        rows += 1;
    }
    Ok(Some(Table {
        columns: headers.into_iter().zip(columns).collect(),
        rows,
    }))
}

fn csv_error(text: &str, error: &csv::Error) -> ParseError {
    let offset = error
        .position()
        .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
    ParseError::at_offset(text, offset, error.to_string())
}

/// The records of a document: every list found at the top or under (nested) map keys whose
/// items are all maps with the first item's keys; several such lists are merged index-wise.
pub fn from_value(value: &Value) -> Table {
    let mut lists: Vec<&Vec<Value>> = Vec::new();
    collect_lists(value, &mut lists);
    let mut merged: Vec<Vec<(&str, &Value)>> = Vec::new();
    for list in lists {
        if !is_datapoints(list) {
            continue;
        }
        for (index, item) in list.iter().enumerate() {
            if merged.len() <= index {
                merged.push(Vec::new());
            }
            if let Value::Map(entries) = item {
                for (key, value) in entries {
                    let row = &mut merged[index];
                    match row.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = value,
                        None => row.push((key, value)),
                    }
                }
            }
        }
    }
    let mut fields: Vec<&str> = Vec::new();
    for row in &merged {
        for (key, _) in row {
            if !fields.contains(key) {
                fields.push(key);
            }
        }
    }
    let columns = fields
        .iter()
        .map(|field| {
            let cells: Vec<Option<&Value>> = merged
                .iter()
                .map(|row| row.iter().find(|(k, _)| k == field).map(|(_, v)| *v))
                .collect();
            let all_numbers = cells.iter().all(|cell| match cell {
                None | Some(Value::Null | Value::Int(_) | Value::Float(_) | Value::Bool(_)) => true,
                Some(Value::Str(s)) => parse_number(s).is_some(),
                _ => false,
            });
            let column = if all_numbers {
                Column::Numbers(cells.iter().map(|cell| number(*cell)).collect())
            } else {
                Column::Texts(cells.iter().map(|cell| text(*cell)).collect())
            };
            ((*field).to_owned(), column)
        })
        .collect();
    Table {
        columns,
        rows: merged.len(),
    }
}

fn collect_lists<'a>(value: &'a Value, out: &mut Vec<&'a Vec<Value>>) {
    match value {
        Value::List(items) => out.push(items),
        Value::Map(entries) => {
            for (_, child) in entries {
                match child {
                    Value::Map(_) => collect_lists(child, out),
                    Value::List(items) => out.push(items),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn is_datapoints(list: &[Value]) -> bool {
    let Some(Value::Map(first)) = list.first() else {
        return false;
    };
    list.iter().all(|item| match item {
        Value::Map(entries) => entries
            .iter()
            .all(|(k, _)| first.iter().any(|(f, _)| f == k)),
        _ => false,
    })
}

fn number(cell: Option<&Value>) -> f64 {
    match cell {
        Some(Value::Int(i)) => *i as f64,
        Some(Value::Float(f)) => *f,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Str(s)) => parse_number(s).unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn text(cell: Option<&Value>) -> String {
    match cell {
        None | Some(Value::Null) => String::new(),
        Some(Value::Str(s)) => s.clone(),
        Some(other) => other.python_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dvclive_tsv_with_ragged_rows() {
        let table = read(
            "loss.tsv",
            b"timestamp\tstep\tloss\n1\t0\t1.0\n2\t1\t0.5\n3\t2\n",
        )
        .unwrap();
        assert_eq!(table.rows, 3);
        assert_eq!(table.fields(), vec!["timestamp", "step", "loss"]);
        let loss = table.column("loss").unwrap().numbers();
        assert_eq!(&loss[..2], &[1.0, 0.5]);
        assert!(loss[2].is_nan());
    }

    #[test]
    fn csv_text_columns_stay_text() {
        let table = read("imp.csv", b"feature,importance\nage,0.5\nincome,0.25\n").unwrap();
        assert_eq!(
            table.column("feature"),
            Some(&Column::Texts(vec!["age".into(), "income".into()]))
        );
        assert_eq!(
            table.column("importance"),
            Some(&Column::Numbers(vec![0.5, 0.25]))
        );
    }

    #[test]
    fn lists_of_records_are_found_anywhere_and_merged() {
        let table = read(
            "roc.json",
            br#"{"roc": [{"fpr": 0, "tpr": 0, "threshold": Infinity}, {"fpr": 0.5, "tpr": 0.9, "threshold": 0.4}], "meta": {"extra": [{"w": 1}, {"w": 2}]}, "skip": [1, 2]}"#,
        )
        .unwrap();
        assert_eq!(table.fields(), vec!["fpr", "tpr", "threshold", "w"]);
        assert_eq!(
            table.column("threshold").unwrap().numbers()[0],
            f64::INFINITY
        );
        assert_eq!(table.rows, 2);
    }

    #[test]
    fn confusion_records_keep_their_labels() {
        let table = read(
            "cm.json",
            br#"[{"actual": "1", "predicted": "0"}, {"actual": "cat", "predicted": "1"}]"#,
        )
        .unwrap();
        assert_eq!(table.column("actual").unwrap().labels(), vec!["1", "cat"]);
        assert_eq!(table.column("predicted").unwrap().labels(), vec!["0", "1"]);
    }

    #[test]
    fn bad_csv_names_the_line() {
        let err = read("x.csv", b"a,b\n1,2\n3,\xff\n").unwrap_err();
        assert_eq!((err.line, err.column), (3, 3), "{err:?}");
    }
}
