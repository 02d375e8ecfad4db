//! The output of `dvc metrics diff` and `dvc params diff`, byte for byte: plain and `--md`
//! tables as DVC prints them through `tabulate` (`dvc/compare.py::diff_table`,
//! `dvc/ui/table.py::plain_table`), and `--json` as `json.dumps` writes it.
//! `shared/reference/dvc.md` §1.2 and §2 describe every rule used here.

use std::fmt::Write as _;

use crate::diff::FileDiff;
use crate::model::{Number, Scalar};
use crate::python;

/// Which of DVC's two diff commands is being imitated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `metrics diff`: a `Change` column, floats rounded.
    Metrics,
    /// `params diff`: no `Change` column, no rounding.
    Params,
}

/// Output style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `tabulate(tablefmt="plain")`.
    Plain,
    /// `--md`: `tabulate(tablefmt="github")` and a trailing blank line.
    Markdown,
    /// `--json`.
    Json,
}

/// Everything the DVC commands let the user choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Metrics or params.
    pub kind: Kind,
    /// Plain, markdown or JSON.
    pub style: Style,
    /// Column header of the base side, as the user typed the revision (`HEAD` by default).
    pub a_label: String,
    /// Column header of the head side (`workspace` by default).
    pub b_label: String,
    /// `--all`: include unchanged rows.
    pub all: bool,
    /// `--no-path`: drop the `Path` column.
    pub no_path: bool,
    /// Decimals to round floats to (metrics only; DVC's default 5, and 0 means 5).
    pub precision: usize,
    /// The current directory relative to the repository root: paths print relative to it.
    pub cwd: String,
}

/// DVC's default `--precision`.
pub const DEFAULT_PRECISION: usize = 5;

/// Renders the files of a comparison as DVC would print them (including the final newline),
/// inert in a CI log: a name that would start a workflow command is escaped there (DVC
/// prints it raw), so only hostile names print differently.
pub fn render(files: &[FileDiff], options: &Options) -> String {
    let text = render_raw(files, options);
    if options.style == Style::Json {
        super::escape::json_inert(&text)
    } else {
        super::escape::lines(&text)
    }
}

fn render_raw(files: &[FileDiff], options: &Options) -> String {
    let files: Vec<(String, Vec<&crate::diff::Row>)> = files
        .iter()
        .map(|file| {
            let rows = file
                .rows
                .iter()
                .filter(|r| options.all || r.is_changed())
                .collect();
            (relative_path(&file.path, &options.cwd), rows)
        })
        .filter(|(_, rows): &(String, Vec<_>)| !rows.is_empty())
        .collect();

    if options.style == Style::Json {
        return json(&files);
    }

    let precision = match options.kind {
        Kind::Metrics if options.precision == 0 => Some(DEFAULT_PRECISION),
        Kind::Metrics => Some(options.precision),
        Kind::Params => None,
    };
    let mut headers = vec!["Path".to_owned()];
    headers.push(match options.kind {
        Kind::Metrics => "Metric".to_owned(),
        Kind::Params => "Param".to_owned(),
    });
    headers.push(options.a_label.clone());
    headers.push(options.b_label.clone());
    if options.kind == Kind::Metrics {
        headers.push("Change".to_owned());
    }
    let mut table: Vec<Vec<String>> = Vec::new();
    for (path, rows) in &files {
        for row in rows {
            let mut cells = vec![
                path.clone(),
                row.key.clone(),
                cell(row.base.as_ref(), precision),
                cell(row.head.as_ref(), precision),
            ];
            if options.kind == Kind::Metrics {
                cells.push(match row.delta {
                    Some(delta) => number(delta, precision),
                    None => "-".to_owned(),
                });
            }
            table.push(cells);
        }
    }
    if options.no_path {
        headers.remove(0);
        for row in &mut table {
            row.remove(0);
        }
    }
    match options.style {
        Style::Plain if table.is_empty() => String::new(),
        // `ui.write` ends every output with a newline; `--md` adds one more before it.
        Style::Plain => tabulate(&headers, &table, false) + "\n",
        _ => tabulate(&headers, &table, true) + "\n\n",
    }
}

/// `_format_field(value, precision, round_digits=True)`; null and absent are `-`.
fn cell(value: Option<&Scalar>, precision: Option<usize>) -> String {
    match value {
        None | Some(Scalar::Null) => "-".to_owned(),
        Some(Scalar::Bool(true)) => "True".to_owned(),
        Some(Scalar::Bool(false)) => "False".to_owned(),
        Some(Scalar::Int(i)) => i.to_string(),
        Some(Scalar::Float(f)) => number(Number::Float(*f), precision),
        Some(Scalar::Str(s)) => s.clone(),
    }
}

fn number(value: Number, precision: Option<usize>) -> String {
    match (value, precision) {
        (Number::Int(i), _) => i.to_string(),
        (Number::Float(f), Some(digits)) => python::float_repr(python::round(f, digits)),
        (Number::Float(f), None) => python::float_repr(f),
    }
}

/// `tabulate(rows, headers, tablefmt="github" | "plain", disable_numparse=True)`: every column
/// left-aligned, at least two wider than its header, cells stripped, multi-line cells split.
fn tabulate(headers: &[String], rows: &[Vec<String>], github: bool) -> String {
    let rows: Vec<Vec<Vec<(&str, usize)>>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| measure(cell)).collect())
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|column| {
            rows.iter()
                .flat_map(|row| row[column].iter().map(|(_, w)| *w))
                .fold(width(&headers[column]) + 2, usize::max)
        })
        .collect();
    let mut out = String::with_capacity(rows.len() * (widths.iter().sum::<usize>() + 16));
    let header_cells: Vec<(&str, usize)> = headers.iter().map(|h| (h.as_str(), width(h))).collect();
    line(&mut out, &header_cells, &widths, github);
    if github {
        out.push('\n');
        out.push('|');
        for w in &widths {
            out.extend(std::iter::repeat_n('-', w + 2));
            out.push('|');
        }
    }
    let mut cells: Vec<(&str, usize)> = Vec::with_capacity(headers.len());
    for row in &rows {
        let height = row.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            out.push('\n');
            cells.clear();
            cells.extend(row.iter().map(|c| c.get(i).copied().unwrap_or(("", 0))));
            line(&mut out, &cells, &widths, github);
        }
    }
    out
}

/// Appends one table line; `plain` lines lose their trailing spaces, as tabulate's do.
/// A cell as its lines with their display widths, measured once.
fn measure(cell: &str) -> Vec<(&str, usize)> {
    cell.trim()
        .split('\n')
        .map(|line| (line, width(line)))
        .collect()
}

fn line(out: &mut String, cells: &[(&str, usize)], widths: &[usize], github: bool) {
    let start = out.len();
    for (i, ((cell, cell_width), w)) in cells.iter().zip(widths).enumerate() {
        if github {
            out.push_str(if i == 0 { "| " } else { " | " });
        } else if i > 0 {
            out.push_str("  ");
        }
        out.push_str(cell);
        out.extend(std::iter::repeat_n(' ', w.saturating_sub(*cell_width)));
    }
    if github {
        out.push_str(" |");
    } else {
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
    }
}

/// `ui.write_json(diff)`: `json.dumps` with its default separators, then a newline.
fn json(files: &[(String, Vec<&crate::diff::Row>)]) -> String {
    let mut out = String::from("{");
    for (i, (path, rows)) in files.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        python::json_string(&mut out, path);
        out.push_str(": {");
        for (j, row) in rows.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            python::json_string(&mut out, &row.key);
            out.push_str(": {\"old\": ");
            json_value(&mut out, row.base.as_ref());
            out.push_str(", \"new\": ");
            json_value(&mut out, row.head.as_ref());
            if let Some(delta) = row.delta {
                out.push_str(", \"diff\": ");
                match delta {
                    Number::Int(i) => {
                        let _ = write!(out, "{i}");
                    }
                    Number::Float(f) => out.push_str(&python::json_float(f)),
                }
            }
            out.push('}');
        }
        out.push('}');
    }
    out.push_str("}\n");
    out
}

fn json_value(out: &mut String, value: Option<&Scalar>) {
    match value {
        None | Some(Scalar::Null) => out.push_str("null"),
        Some(Scalar::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        Some(Scalar::Int(i)) => {
            let _ = write!(out, "{i}");
        }
        Some(Scalar::Float(f)) => out.push_str(&python::json_float(*f)),
        Some(Scalar::Str(s)) => python::json_string(out, s),
    }
}

/// `os.path.relpath(path, start)` for repository-relative, `/`-separated paths.
pub fn relative_path(path: &str, start: &str) -> String {
    if start.is_empty() {
        return path.to_owned();
    }
    let path_parts: Vec<&str> = path.split('/').collect();
    let start_parts: Vec<&str> = start.split('/').collect();
    let common = path_parts
        .iter()
        .zip(&start_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; start_parts.len() - common];
    parts.extend(&path_parts[common..]);
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Display width as `wcwidth.wcswidth` counts it (tabulate uses it when installed, as it is
/// with DVC): East Asian wide and fullwidth characters and most emoji take two columns,
/// combining marks and zero-width characters none.
fn width(text: &str) -> usize {
    if text.is_ascii() {
        return text.len();
    }
    text.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    let c = c as u32;
    if c < 0x300 {
        return 1;
    }
    const ZERO: &[(u32, u32)] = &[
        (0x0300, 0x036F),
        (0x0483, 0x0489),
        (0x0591, 0x05BD),
        (0x0610, 0x061A),
        (0x064B, 0x065F),
        (0x0E31, 0x0E31),
        (0x0E34, 0x0E3A),
        (0x1AB0, 0x1AFF),
        (0x1DC0, 0x1DFF),
        (0x200B, 0x200F),
        (0x2028, 0x202E),
        (0x2060, 0x2064),
        (0x20D0, 0x20FF),
        (0xFE00, 0xFE0F),
        (0xFE20, 0xFE2F),
        (0xFEFF, 0xFEFF),
        (0xE0100, 0xE01EF),
    ];
    const WIDE: &[(u32, u32)] = &[
        (0x1100, 0x115F),
        (0x231A, 0x231B),
        (0x2329, 0x232A),
        (0x23E9, 0x23EC),
        (0x23F0, 0x23F0),
        (0x23F3, 0x23F3),
        (0x25FD, 0x25FE),
        (0x2614, 0x2615),
        (0x2648, 0x2653),
        (0x267F, 0x267F),
        (0x2693, 0x2693),
        (0x26A1, 0x26A1),
        (0x26AA, 0x26AB),
        (0x26BD, 0x26BE),
        (0x26C4, 0x26C5),
        (0x26CE, 0x26CE),
        (0x26D4, 0x26D4),
        (0x26EA, 0x26EA),
        (0x26F2, 0x26F3),
        (0x26F5, 0x26F5),
        (0x26FA, 0x26FA),
        (0x26FD, 0x26FD),
        (0x2705, 0x2705),
        (0x270A, 0x270B),
        (0x2728, 0x2728),
        (0x274C, 0x274C),
        (0x274E, 0x274E),
        (0x2753, 0x2755),
        (0x2757, 0x2757),
        (0x2795, 0x2797),
        (0x27B0, 0x27B0),
        (0x27BF, 0x27BF),
        (0x2B1B, 0x2B1C),
        (0x2B50, 0x2B50),
        (0x2B55, 0x2B55),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xA960, 0xA97F),
        (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF),
        (0xFE10, 0xFE19),
        (0xFE30, 0xFE6F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x16FE0, 0x16FE4),
        (0x17000, 0x18CFF),
        (0x1B000, 0x1B2FF),
        (0x1F004, 0x1F004),
        (0x1F0CF, 0x1F0CF),
        (0x1F18E, 0x1F18E),
        (0x1F191, 0x1F19A),
        (0x1F200, 0x1F251),
        (0x1F300, 0x1F320),
        (0x1F32D, 0x1F335),
        (0x1F337, 0x1F37C),
        (0x1F37E, 0x1F393),
        (0x1F3A0, 0x1F3CA),
        (0x1F3CF, 0x1F3D3),
        (0x1F3E0, 0x1F3F0),
        (0x1F3F4, 0x1F3F4),
        (0x1F3F8, 0x1F43E),
        (0x1F440, 0x1F440),
        (0x1F442, 0x1F4FC),
        (0x1F4FF, 0x1F53D),
        (0x1F54B, 0x1F54E),
        (0x1F550, 0x1F567),
        (0x1F57A, 0x1F57A),
        (0x1F595, 0x1F596),
        (0x1F5A4, 0x1F5A4),
        (0x1F5FB, 0x1F64F),
        (0x1F680, 0x1F6C5),
        (0x1F6CC, 0x1F6CC),
        (0x1F6D0, 0x1F6D2),
        (0x1F6D5, 0x1F6D7),
        (0x1F6DC, 0x1F6DF),
        (0x1F6EB, 0x1F6EC),
        (0x1F6F4, 0x1F6FC),
        (0x1F7E0, 0x1F7EB),
        (0x1F7F0, 0x1F7F0),
        (0x1F90C, 0x1F93A),
        (0x1F93C, 0x1F945),
        (0x1F947, 0x1F9FF),
        (0x1FA70, 0x1FAFF),
        (0x20000, 0x2FFFD),
        (0x30000, 0x3FFFD),
    ];
    let within = |ranges: &[(u32, u32)]| {
        ranges
            .binary_search_by(|&(lo, hi)| {
                if c < lo {
                    std::cmp::Ordering::Greater
                } else if c > hi {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    };
    if within(ZERO) {
        0
    } else if within(WIDE) {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Row, Status};

    fn file(path: &str, rows: Vec<Row>) -> FileDiff {
        FileDiff {
            path: path.into(),
            rows,
        }
    }

    fn changed(
        key: &str,
        base: Option<Scalar>,
        head: Option<Scalar>,
        delta: Option<Number>,
    ) -> Row {
        Row {
            key: key.into(),
            base,
            head,
            delta,
            status: Status::Changed,
        }
    }

    fn options(style: Style) -> Options {
        Options {
            kind: Kind::Metrics,
            style,
            a_label: "HEAD~1".into(),
            b_label: "workspace".into(),
            all: false,
            no_path: false,
            precision: 5,
            cwd: String::new(),
        }
    }

    fn example() -> Vec<FileDiff> {
        vec![file(
            "m.yaml",
            vec![changed(
                "foo",
                Some(Scalar::Float(1.23456789)),
                Some(Scalar::Float(3.45678910111213)),
                Some(Number::Float(3.45678910111213 - 1.23456789)),
            )],
        )]
    }

    #[test]
    fn plain_table_matches_dvc_test_suite() {
        // tests/func/metrics/test_diff.py::test_metrics_diff_cli
        assert_eq!(
            render(&example(), &options(Style::Plain)),
            "Path    Metric    HEAD~1    workspace    Change\nm.yaml  foo       1.23457   3.45679      2.22222\n"
        );
    }

    #[test]
    fn markdown_table_ends_with_a_blank_line() {
        assert_eq!(
            render(&example(), &options(Style::Markdown)),
            "| Path   | Metric   | HEAD~1   | workspace   | Change   |\n|--------|----------|----------|-------------|----------|\n| m.yaml | foo      | 1.23457  | 3.45679     | 2.22222  |\n\n"
        );
    }

    #[test]
    fn empty_diff_prints_nothing_plain_and_the_header_in_markdown() {
        assert_eq!(render(&[], &options(Style::Plain)), "");
        assert_eq!(
            render(&[], &options(Style::Markdown)),
            "| Path   | Metric   | HEAD~1   | workspace   | Change   |\n|--------|----------|----------|-------------|----------|\n\n"
        );
        assert_eq!(render(&[], &options(Style::Json)), "{}\n");
    }

    #[test]
    fn json_is_python_json_dumps() {
        let files = vec![file(
            "m.json",
            vec![
                changed(
                    "acc",
                    Some(Scalar::Float(0.85)),
                    Some(Scalar::Float(0.9)),
                    Some(Number::Float(0.9 - 0.85)),
                ),
                changed(
                    "model",
                    Some(Scalar::Str("rf".into())),
                    Some(Scalar::Str("xgb".into())),
                    None,
                ),
                changed("ok", Some(Scalar::Bool(true)), None, None),
            ],
        )];
        assert_eq!(
            render(&files, &options(Style::Json)),
            "{\"m.json\": {\"acc\": {\"old\": 0.85, \"new\": 0.9, \"diff\": 0.050000000000000044}, \"model\": {\"old\": \"rf\", \"new\": \"xgb\"}, \"ok\": {\"old\": true, \"new\": null}}}\n"
        );
    }

    #[test]
    fn relative_paths_follow_os_path_relpath() {
        assert_eq!(relative_path("eval/m.json", "eval"), "m.json");
        assert_eq!(relative_path("m.json", "sub/dir"), "../../m.json");
        assert_eq!(relative_path("a/b.json", ""), "a/b.json");
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(width("日本語"), 6);
        assert_eq!(width("é"), 1);
        assert_eq!(width("e\u{301}"), 1);
        assert_eq!(width("😀"), 2);
    }
}
