//! Plot data: a table of records (columns of numbers or text), read from CSV/TSV, or found
//! as lists of records anywhere in a JSON/YAML/TOML document (DVC's
//! `dvc/render/converter/vega.py::get_datapoints`).

use std::borrow::Cow;

use super::value::Value;
use super::{Format, ParseError, parse};
use crate::model::{Column, Note, Table};

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
        (0..self.len())
            .map(|i| self.label(i).into_owned())
            .collect()
    }

    /// One cell as a label.
    pub fn label(&self, index: usize) -> Cow<'_, str> {
        match self {
            Column::Numbers(v) => Cow::Owned(label_of(v[index])),
            Column::Texts(v) => Cow::Borrowed(&v[index]),
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
        Ok(from_value(parse(Format::of(path), bytes)?))
    }
}

/// Parses a number the way a plot reads a cell: decimal, exponent, `nan`, `inf`.
pub fn parse_number(text: &str) -> Option<f64> {
    if let Some(value) = fast_decimal(text.as_bytes()) {
        return Some(value);
    }
    let text = text.trim();
    match text {
        "" => None,
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// Clinger's fast path for the plain decimals logs are made of (`-12.375`, `0.000123`):
/// up to 19 digits and a power of ten within ±22, both exact as `f64` when the digits are
/// below 2⁵³, so one correctly rounded division gives the correctly rounded result, the same
/// as `str::parse`. Anything else returns `None` for the general parser.
pub(crate) fn fast_decimal(bytes: &[u8]) -> Option<f64> {
    match scan_decimal(bytes, 0) {
        (Some(value), end) if end == bytes.len() => Some(value),
        _ => None,
    }
}

/// A CSV or TSV file with a header row. Short rows are padded (dvclive's `timestamp` toggle
/// writes them), columns are numbers when every non-empty cell is one. Numeric columns keep
/// only their numbers: a column found to hold text is read again as text.
fn delimited(bytes: &[u8], delimiter: u8) -> Result<Table, ParseError> {
    let text = super::utf8(bytes)?;
    // Files without quotes (every dvclive TSV, most logs) take a plain split: several times
    // faster than a full CSV parser on a million rows.
    if !text.contains('"')
        && let Some(table) = unquoted(text, delimiter as char)
    {
        return Ok(table);
    }
    let mut is_text: Vec<bool> = Vec::new();
    let mut table = loop {
        match delimited_pass(text, delimiter, &mut is_text)? {
            Some(table) => break table,
            None => continue, // a column turned out to be text: read again
        }
    };
    // A quote that is never closed swallows the rest of the file into one cell.
    if text.matches('"').count() % 2 == 1
        && let Some(at) = text.rfind('"')
    {
        table.notes.push(Note {
            line: text[..at].matches('\n').count() + 1,
            message: "a quote (\") is never closed: the rest of the file is read as one cell"
                .into(),
        });
    }
    table.notes.extend(mixed_columns(&table));
    Ok(table)
}

/// Columns that hold numbers and, here and there, text (`4,x`): read as text, so a chart of
/// them cannot plot numbers. Columns of labels (all text) are fine.
fn mixed_columns(table: &Table) -> Vec<Note> {
    let mut notes = Vec::new();
    for (name, column) in &table.columns {
        let Column::Texts(cells) = column else {
            continue;
        };
        let numbers = cells.iter().filter(|c| parse_number(c).is_some()).count();
        let text = cells
            .iter()
            .enumerate()
            .find(|(_, c)| !c.trim().is_empty() && parse_number(c).is_none());
        if let Some((row, cell)) = text
            && numbers * 2 > cells.len()
        {
            notes.push(Note {
                line: row + 2,
                message: format!(
                    "column `{name}` holds numbers but `{}` in row {}: it is read as text",
                    cell.chars().take(40).collect::<String>(),
                    row + 1
                ),
            });
        }
    }
    notes
}

/// The note for rows whose number of fields is not the header's.
fn ragged_note(count: usize, first_row: usize, fields: usize, width: usize) -> Note {
    let more = if count > 1 {
        format!(" ({} rows like it)", count)
    } else {
        String::new()
    };
    Note {
        line: first_row + 1,
        message: format!(
            "row {first_row} has {fields} {} where the header has {width}{more}: missing cells are empty, extra ones are dropped",
            if fields == 1 { "field" } else { "fields" }
        ),
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
    let mut ragged: Option<(usize, usize, usize)> = None; // count, first row, its fields
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(text, &e))?
    {
        if record.len() != headers.len() {
            let entry = ragged.get_or_insert((0, rows + 1, record.len()));
            entry.0 += 1;
        }
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
    let width = headers.len();
    Ok(Some(Table {
        columns: headers.into_iter().zip(columns).collect(),
        rows,
        notes: ragged
            .map(|(count, row, fields)| vec![ragged_note(count, row, fields, width)])
            .unwrap_or_default(),
    }))
}

/// A delimited file without quotes whose columns are all numbers; `None` when a column holds
/// text (the CSV reader then reads it properly). Large files are parsed in chunks on every
/// core, each into its own stretch of the final columns (a chunk has at most as many rows as
/// lines), so that nothing is copied or allocated twice.
fn unquoted(text: &str, delimiter: char) -> Option<Table> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = CHUNK_BYTES.max(text.len().div_ceil(cores));
    unquoted_in_chunks(text, delimiter, chunk)
}

/// [`unquoted`], in chunks of about `chunk_bytes`.
fn unquoted_in_chunks(text: &str, delimiter: char, chunk_bytes: usize) -> Option<Table> {
    let (header, body) = text.split_once('\n').unwrap_or((text, ""));
    let header = header.strip_suffix('\r').unwrap_or(header);
    let headers: Vec<String> = header
        .split(delimiter)
        .map(|h| h.trim().to_owned())
        .collect();
    let width = headers.len();
    let body = body.as_bytes();
    let delimiter = u8::try_from(delimiter).ok()?;
    let chunks = chunk_at_newlines(body, chunk_bytes);
    let lengths: Vec<usize> = chunks.iter().map(|chunk| lines(chunk)).collect();
    let reserved = lengths.iter().sum();
    let mut columns: Vec<Vec<f64>> = (0..width).map(|_| vec![0.0; reserved]).collect();
    let parsed: Vec<Option<Rows>> = {
        // Each chunk's stretch of every column.
        let mut stretches: Vec<Vec<&mut [f64]>> = chunks.iter().map(|_| Vec::new()).collect();
        for column in &mut columns {
            let mut rest = column.as_mut_slice();
            for (stretch, length) in stretches.iter_mut().zip(&lengths) {
                let (mine, tail) = rest.split_at_mut(*length);
                stretch.push(mine);
                rest = tail;
            }
        }
        if chunks.len() == 1 {
            vec![parse_rows(chunks[0], delimiter, &mut stretches[0])]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .iter()
                    .zip(stretches)
                    .map(|(chunk, mut stretch)| {
                        scope.spawn(move || parse_rows(chunk, delimiter, &mut stretch))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("parsing does not panic"))
                    .collect()
            })
        }
    };
    let mut rows = 0;
    let mut ragged: Option<(usize, usize, usize)> = None;
    let mut start = 0;
    for (part, length) in parsed.into_iter().zip(lengths) {
        let part = part?;
        if start != rows {
            // The chunks before had blank lines: close the gap.
            for column in &mut columns {
                column.copy_within(start..start + part.rows, rows);
            }
        }
        if let Some((row, fields)) = part.first_ragged {
            let entry = ragged.get_or_insert((0, rows + row, fields));
            entry.0 += part.ragged;
        }
        rows += part.rows;
        start += length;
    }
    for column in &mut columns {
        column.truncate(rows);
    }
    Some(Table {
        columns: headers
            .into_iter()
            .zip(columns)
            .map(|(name, values)| (name, Column::Numbers(values)))
            .collect(),
        rows,
        notes: ragged
            .map(|(count, row, fields)| vec![ragged_note(count, row, fields, width)])
            .unwrap_or_default(),
    })
}

/// The lines of a chunk: its line ends, and one more when the last line has none.
fn lines(chunk: &[u8]) -> usize {
    // Counted in bytes, 255 at a time: the compiler turns this into vector compares (a
    // tenth of a millisecond per 16 MB, where a plain filter-and-count takes ten times more).
    let mut ends = 0;
    for block in chunk.chunks(255) {
        ends += usize::from(block.iter().fold(0u8, |n, b| n + u8::from(*b == b'\n')));
    }
    ends + usize::from(chunk.last().is_some_and(|b| *b != b'\n'))
}

/// Below this size a file is parsed on one thread.
const CHUNK_BYTES: usize = 4 << 20;

/// Splits `body` into pieces of about `size` bytes that end at line ends.
fn chunk_at_newlines(body: &[u8], size: usize) -> Vec<&[u8]> {
    let size = size.max(1);
    let mut out = Vec::new();
    let mut rest = body;
    while rest.len() > size {
        match rest[size..].iter().position(|b| *b == b'\n') {
            Some(i) => {
                let (chunk, tail) = rest.split_at(size + i + 1);
                out.push(chunk);
                rest = tail;
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// What parsing one chunk of a delimited file found (the values are in the columns).
struct Rows {
    rows: usize,
    /// Rows with another number of fields than the header's.
    ragged: usize,
    /// The first such row (1-based within the chunk) and its number of fields.
    first_ragged: Option<(usize, usize)>,
}

/// Parses lines of numbers; `None` at the first cell that is text. One pass over the bytes:
/// each cell is scanned once, and plain decimals are converted while scanning.
fn parse_rows(body: &[u8], delimiter: u8, columns: &mut [&mut [f64]]) -> Option<Rows> {
    let width = columns.len();
    let mut rows = 0;
    let (mut ragged, mut first_ragged) = (0, None);
    let mut pos = 0;
    let len = body.len();
    while pos < len {
        if body[pos] == b'\n' || (body[pos] == b'\r' && body.get(pos + 1) == Some(&b'\n')) {
            pos += if body[pos] == b'\r' { 2 } else { 1 }; // an empty line
            continue;
        }
        let mut at_line_end = false;
        let mut fields = 0;
        for column in columns.iter_mut() {
            let cell = column.get_mut(rows)?;
            if at_line_end {
                *cell = f64::NAN; // a short row
                continue;
            }
            fields += 1;
            let start = pos;
            // The common cell, a plain decimal, is converted while it is scanned; followed by
            // the delimiter or the line end, it is done.
            let (value, end) = scan_decimal(body, pos);
            if let Some(value) = value {
                match body.get(end) {
                    Some(&next) if next == delimiter => {
                        *cell = value;
                        pos = end + 1;
                        continue;
                    }
                    Some(b'\n') | None => {
                        *cell = value;
                        pos = end;
                        at_line_end = true;
                        continue;
                    }
                    _ => {}
                }
            }
            let ends_cell = |at: usize| {
                at >= len
                    || body[at] == delimiter
                    || body[at] == b'\n'
                    || (body[at] == b'\r' && (at + 1 >= len || body[at + 1] == b'\n'))
            };
            if let Some(value) = value.filter(|_| ends_cell(end)) {
                *cell = value;
                pos = end;
                if pos < len && body[pos] == b'\r' {
                    pos += 1;
                }
            } else {
                while pos < len && body[pos] != delimiter && body[pos] != b'\n' {
                    pos += 1;
                }
                let mut text = &body[start..pos];
                if let [rest @ .., b'\r'] = text {
                    text = rest;
                }
                *cell = cell_value(text)?;
            }
            if pos < len && body[pos] == delimiter {
                pos += 1;
            } else {
                at_line_end = true;
            }
        }
        // Cells beyond the header's columns are ignored, as the CSV reader does.
        if !at_line_end {
            fields += 1;
        }
        while pos < len && body[pos] != b'\n' {
            if body[pos] == delimiter {
                fields += 1;
            }
            pos += 1;
        }
        pos += 1;
        rows += 1;
        if fields != width {
            ragged += 1;
            first_ragged.get_or_insert((rows, fields));
        }
    }
    Some(Rows {
        rows,
        ragged,
        first_ragged,
    })
}

/// Reads `[-+]digits[.digits]` from `at`; returns the value (when the fast path applies:
/// see [`fast_decimal`]) and where the scan stopped.
fn scan_decimal(body: &[u8], at: usize) -> (Option<f64>, usize) {
    let mut pos = at;
    let negative = match body.get(pos) {
        Some(b'-') => {
            pos += 1;
            true
        }
        Some(b'+') => {
            pos += 1;
            false
        }
        _ => false,
    };
    // The integer digits, then the fraction's: two tight loops, no per-digit bookkeeping.
    let mut mantissa = 0u64;
    let mut digits_of = |pos: &mut usize| {
        let start = *pos;
        while let Some(digit) = body.get(*pos).map(|b| b.wrapping_sub(b'0'))
            && digit <= 9
        {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(digit));
            *pos += 1;
        }
        *pos - start
    };
    let mut digits = digits_of(&mut pos);
    let mut decimals = 0;
    if body.get(pos) == Some(&b'.') {
        pos += 1;
        decimals = digits_of(&mut pos);
        digits += decimals;
    }
    if digits == 0 || digits > 19 || mantissa >= 1 << 53 || decimals > 22 {
        return (None, pos);
    }
    const POWERS: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let value = mantissa as f64 / POWERS[decimals];
    (Some(if negative { -value } else { value }), pos)
}

/// A cell's number; empty is NaN; `None` for text.
fn cell_value(cell: &[u8]) -> Option<f64> {
    if let Some(value) = fast_decimal(cell) {
        return Some(value);
    }
    let cell = std::str::from_utf8(cell).ok()?;
    match parse_number(cell) {
        Some(value) => Some(value),
        None if cell.trim().is_empty() => Some(f64::NAN),
        None => None,
    }
}

fn csv_error(text: &str, error: &csv::Error) -> ParseError {
    let offset = error
        .position()
        .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(0));
    ParseError::at_offset(text, offset, error.to_string())
}

/// The records of a document: every list found at the top or under (nested) map keys whose
/// items are all maps with the first item's keys; several such lists are merged index-wise.
pub fn from_value(value: Value) -> Table {
    let mut lists: Vec<Vec<Value>> = Vec::new();
    collect_lists(value, &mut lists);
    // Cells by field, moved out of the document (no copy of any string).
    let mut fields: Vec<String> = Vec::new();
    let mut cells: Vec<Vec<Value>> = Vec::new();
    let mut rows = 0;
    for list in lists {
        if !is_datapoints(&list) {
            continue;
        }
        rows = rows.max(list.len());
        for (index, item) in list.into_iter().enumerate() {
            let Value::Map(entries) = item else { continue };
            for (key, value) in entries {
                let field = match fields.iter().position(|f| *f == key) {
                    Some(field) => field,
                    None => {
                        fields.push(key);
                        cells.push(Vec::new());
                        fields.len() - 1
                    }
                };
                let column = &mut cells[field];
                if column.len() <= index {
                    column.resize(index + 1, Value::Null);
                }
                column[index] = value;
            }
        }
    }
    let columns = fields
        .into_iter()
        .zip(cells)
        .map(|(field, mut column)| {
            column.resize(rows, Value::Null);
            let all_numbers = column.iter().all(|cell| match cell {
                Value::Null | Value::Int(_) | Value::Float(_) | Value::Bool(_) => true,
                Value::Str(s) => parse_number(s).is_some(),
                _ => false,
            });
            let column = if all_numbers {
                Column::Numbers(column.iter().map(number).collect())
            } else {
                Column::Texts(column.into_iter().map(text).collect())
            };
            (field, column)
        })
        .collect();
    Table {
        columns,
        rows,
        notes: Vec::new(),
    }
}

fn collect_lists(value: Value, out: &mut Vec<Vec<Value>>) {
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

fn number(cell: &Value) -> f64 {
    match cell {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => parse_number(s).unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn text(cell: Value) -> String {
    match cell {
        Value::Null => String::new(),
        Value::Str(s) => s,
        other => other.python_str(),
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
    fn fast_decimals_equal_the_standard_parser() {
        let mut state = 0x1234_5678_9abc_def1_u64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let digits = (state % 17) as usize;
            let value = (state >> 20) as f64 / 10f64.powi((state % 9) as i32);
            let text = format!("{value:.digits$}");
            for text in [
                text.clone(),
                format!("-{text}"),
                text.trim_start_matches('0').to_owned(),
            ] {
                let expected: Option<f64> = text.parse().ok();
                if let Some(fast) = fast_decimal(text.as_bytes()) {
                    assert_eq!(Some(fast.to_bits()), expected.map(f64::to_bits), "{text}");
                }
            }
        }
        assert_eq!(fast_decimal(b"0.1"), Some(0.1));
        assert_eq!(fast_decimal(b"-0"), Some(-0.0));
        assert_eq!(fast_decimal(b"1e5"), None);
        assert_eq!(fast_decimal(b"."), None);
        assert_eq!(fast_decimal(b""), None);
        assert_eq!(parse_number(" 2.5 "), Some(2.5));
    }

    #[test]
    fn large_files_parse_the_same_in_chunks() {
        let mut text = String::from("step\tloss\n");
        for i in 0..300_000 {
            text.push_str(&format!("{i}\t{}\n", f64::from(i) * 0.001));
        }
        let chunks = chunk_at_newlines(text.split_once('\n').unwrap().1.as_bytes(), 1 << 20);
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.ends_with(b"\n")));
        let table = unquoted(&text, '\t').unwrap();
        assert_eq!(table.rows, 300_000);
        let steps = table.column("step").unwrap().numbers();
        assert!(steps.iter().enumerate().all(|(i, s)| *s == i as f64));

        // Blank lines leave gaps in a chunk's stretch of the columns, closed afterwards;
        // short rows are NaN, ragged rows are counted across chunks.
        let mut text = String::from("step\tloss\n");
        for i in 0..300_000 {
            text.push_str(&format!("{i}\t{}\n", f64::from(i) * 0.001));
            if i % 1000 == 999 {
                text.push_str("\n\r\n");
            }
            if i % 50_000 == 7 {
                text.push_str(&format!("{i}.5\n"));
            }
        }
        let whole = unquoted_in_chunks(&text, '\t', usize::MAX).unwrap();
        let chunked = unquoted_in_chunks(&text, '\t', 100_000).unwrap();
        assert_eq!(chunked.rows, 300_006);
        assert_eq!(format!("{whole:?}"), format!("{chunked:?}"));
        let losses = chunked.column("loss").unwrap().numbers();
        assert_eq!(losses.iter().filter(|l| l.is_nan()).count(), 6);
        assert_eq!(chunked.notes.len(), 1, "{:?}", chunked.notes);
    }

    #[test]
    fn the_fast_path_and_the_csv_reader_agree() {
        let text = "step,loss,acc\n0,1.5,0.1\n1,,0.2\n2,0.5\n\n3,nan,1e-3,9\r\n4,2,3";
        let fast = unquoted(text, ',').unwrap();
        let mut is_text = Vec::new();
        let slow = delimited_pass(text, b',', &mut is_text).unwrap().unwrap();
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
        assert!(unquoted("a,b\n1,x\n", ',').is_none());
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
