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
/// with DVC): `unicode-width`'s, which agrees with wcwidth 0.9.4 (installed with dvc 3.67.1)
/// on all but 489 code points and on emoji sequences (`❤️`, `👩‍🔬`), where the 135-line
/// table this replaced disagreed on 7,707 code points and on every sequence.
fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
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
    fn widths_are_wcswidths() {
        // `wcwidth.wcswidth` of wcwidth 0.9.4, as installed with dvc 3.67.1.
        for (text, wcswidth) in [
            ("👩\u{200d}🔬", 2),
            ("❤\u{fe0f}", 2),
            ("e\u{301}", 1),
            ("中文", 4),
            ("ﾊﾝｶｸ", 4),
            ("🇩🇪", 2),
            ("✔", 1),
            ("⚠\u{fe0f}", 2),
            ("🔴 regressed", 12),
            ("Ａ", 2),
        ] {
            assert_eq!(width(text), wcswidth, "{text:?}");
        }
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
