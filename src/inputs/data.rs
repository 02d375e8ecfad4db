//! Data files (CSV, TSV) profiled as they stream by: the row count, and per column its
//! inferred type, its missing values and, for numbers, the minimum and maximum. Memory does
//! not grow with the file: a gigabyte streams through a fixed buffer.
//!
//! A cell is missing when it is empty or one of pandas' default markers (`NA`, `N/A`,
//! `NaN`, `nan`, `null`, `NULL`, `None`, `#N/A`). A column's type is the narrowest that
//! holds every present cell: `integer`, `number`, `boolean` (`true`/`false` in any case),
//! else `text`; a column with no present cell is `empty`.

use std::io::Read;

use crate::model::{ColumnKind, ColumnProfile, DataProfile};

/// Why a data file could not be profiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DataError {
    /// 1-based line, 0 when unknown.
    pub line: u64,
    /// What went wrong.
    pub message: String,
}

/// Profiles a CSV (`delimiter` `,`) or TSV (`\t`) stream with a header row.
pub fn profile(reader: impl Read, delimiter: u8) -> Result<DataProfile, DataError> {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 20)
        .from_reader(reader);
    let error = |e: csv::Error| DataError {
        line: e.position().map_or(0, csv::Position::line),
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => {
                format!("a row has {len} fields where the header has {expected_len}")
            }
            _ => e.to_string(),
        },
    };
    let headers: Vec<String> = csv
        .byte_headers()
        .map_err(error)?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let mut columns: Vec<Accumulator> = headers.iter().map(|_| Accumulator::default()).collect();
    let mut record = csv::ByteRecord::new();
    let mut rows: u64 = 0;
    while csv.read_byte_record(&mut record).map_err(error)? {
        rows += 1;
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.add(cell);
        }
    }
    Ok(DataProfile {
        rows,
        columns: headers
            .into_iter()
            .zip(columns)
            .map(|(name, column)| column.finish(name))
            .collect(),
    })
}

/// What is known of a column so far.
#[derive(Debug, Clone)]
struct Accumulator {
    missing: u64,
    present: u64,
    integer: bool,
    number: bool,
    boolean: bool,
    min: f64,
    max: f64,
}

impl Default for Accumulator {
    fn default() -> Self {
        Accumulator {
            missing: 0,
            present: 0,
            integer: true,
            number: true,
            boolean: true,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

const MISSING: &[&[u8]] = &[
    b"", b"NA", b"N/A", b"NaN", b"nan", b"null", b"NULL", b"None", b"#N/A",
];

impl Accumulator {
    fn add(&mut self, cell: &[u8]) {
        let cell = cell.trim_ascii();
        // Every missing marker is at most 4 bytes: most cells skip the search.
        if cell.len() <= 4 && MISSING.contains(&cell) {
            self.missing += 1;
            return;
        }
        self.present += 1;
        if self.boolean
            && !(cell.eq_ignore_ascii_case(b"true") || cell.eq_ignore_ascii_case(b"false"))
        {
            self.boolean = false;
        }
        if !self.number {
            return;
        }
        if self.integer && !is_integer(cell) {
            self.integer = false;
        }
        // Plain decimals take the exact fast path; anything else the general parser.
        let value = super::records::fast_decimal(cell).or_else(|| {
            std::str::from_utf8(cell)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
        });
        match value {
            Some(value) if value.is_finite() => {
                self.min = self.min.min(value);
                self.max = self.max.max(value);
            }
            Some(_) => {}
            None => {
                self.number = false;
                self.integer = false;
            }
        }
    }

    fn finish(self, name: String) -> ColumnProfile {
        let kind = if self.present == 0 {
            ColumnKind::Empty
        } else if self.boolean {
            ColumnKind::Boolean
        } else if self.integer {
            ColumnKind::Integer
        } else if self.number {
            ColumnKind::Number
        } else {
            ColumnKind::Text
        };
        let numeric =
            matches!(kind, ColumnKind::Integer | ColumnKind::Number) && self.min <= self.max;
        ColumnProfile {
            name,
            kind,
            missing: self.missing,
            min: numeric.then_some(self.min),
            max: numeric.then_some(self.max),
        }
    }
}

fn is_integer(cell: &[u8]) -> bool {
    let digits = cell
        .strip_prefix(b"-")
        .or_else(|| cell.strip_prefix(b"+"))
        .unwrap_or(cell);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_get_types_missing_counts_and_ranges() {
        let csv = "id,age,income,member,city,notes\n\
                   1,34,52000.5,true,Lyon,\n\
                   2,,61000,FALSE,Paris,\n\
                   3,29,NA,true,,x\n\
                   4,41,48000,false,Nice,\n";
        let profile = profile(csv.as_bytes(), b',').unwrap();
        assert_eq!(profile.rows, 4);
        let column = |name: &str| profile.columns.iter().find(|c| c.name == name).unwrap();
        assert_eq!(column("id").kind, ColumnKind::Integer);
        assert_eq!((column("id").min, column("id").max), (Some(1.0), Some(4.0)));
        assert_eq!(column("age").missing, 1);
        assert_eq!(column("income").kind, ColumnKind::Number);
        assert_eq!(column("income").missing, 1);
        assert_eq!(column("income").max, Some(61000.0));
        assert_eq!(column("member").kind, ColumnKind::Boolean);
        assert_eq!(column("city").kind, ColumnKind::Text);
        assert_eq!(column("city").min, None);
        assert_eq!(column("notes").missing, 3);
    }

    #[test]
    fn tsv_and_errors_with_their_line() {
        let profile = profile("a\tb\n1\t2\n".as_bytes(), b'\t').unwrap();
        assert_eq!(profile.columns.len(), 2);
        let error = super::profile("a,b\n1,2\n3\n".as_bytes(), b',').unwrap_err();
        assert_eq!(error.line, 3);
        assert!(
            error.message.contains("1 fields where the header has 2"),
            "{error}"
        );
    }
}
