//! Escaping for text that comes from input files (keys, values, paths, parser messages):
//! inert in GitHub/GitLab markdown and in HTML, safe inside a table cell, and unable to
//! ping anyone. Everything from a pull request passes through here before it enters a report.

/// Escapes text for inline markdown, including table cells.
///
/// - `|` cannot end a cell, `\` `*` `_` `[` `]` `~` `#` `!` `$` format nothing;
/// - `<` `>` `&` are entities, so no HTML tag or comment (our hidden marker) can be forged;
/// - backticks are entities, so no code span can swallow the rest of a row;
/// - line breaks become `<br>` (a raw newline would end the table row);
/// - `@` is followed by a word joiner, so `@user` and `@org/team` notify nobody;
/// - other control characters are dropped.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' | '\\' | '*' | '_' | '[' | ']' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("&#96;"),
            '@' => out.push_str("@\u{2060}"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The GitHub runner's legacy workflow-command prefix: it acts on `##[command]` anywhere in
/// a line of a step's output (`ActionCommand.TryParse` in actions/runner).
const LEGACY_COMMAND: &str = "##[";

/// Makes text safe for one line of a CI log: control characters are shown as escapes
/// (`\n`, `\u{1b}`), so nothing from an input starts a line; `##[` becomes `##\[` and
/// a leading `::` becomes `\::`, so no input starts a workflow command.
pub fn log_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    inert_line(&out)
}

/// Text whose lines keep their line breaks (a table printed to stdout, a hint) made inert
/// line by line: `##[` and a leading `::` are broken as in [`log_line`]; other control
/// characters but tab are shown as escapes.
pub fn lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body.strip_suffix('\r').unwrap_or(body), "\n"),
            None => (line, ""),
        };
        let mut clean = String::with_capacity(body.len());
        for c in body.chars() {
            match c {
                '\t' => clean.push(c),
                c if c.is_control() => clean.push_str(&c.escape_unicode().to_string()),
                c => clean.push(c),
            }
        }
        out.push_str(&inert_line(&clean));
        out.push_str(end);
    }
    out
}

/// JSON text (one document, any layout) with `##[` written as `##\u005b`: the same value,
/// inert in a CI log.
pub fn json_inert(text: &str) -> String {
    text.replace(LEGACY_COMMAND, "##\\u005b")
}

fn inert_line(line: &str) -> String {
    let line = line.replace(LEGACY_COMMAND, "##\\[");
    if line.trim_start().starts_with("::") {
        format!("\\{line}")
    } else {
        line
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_input_starts_a_workflow_command() {
        assert_eq!(log_line("a\n::add-mask::x"), "a\\n::add-mask::x");
        assert_eq!(log_line("::stop-commands::t"), "\\::stop-commands::t");
        assert_eq!(log_line("  ::error::x"), "\\  ::error::x");
        assert_eq!(log_line("m ##[add-mask]s"), "m ##\\[add-mask]s");
        assert_eq!(log_line("bell\u{7}\r"), "bell\\u{7}\\r");
        assert_eq!(
            lines("Path  Metric\n::x::y  1\nok ##[error]z\n"),
            "Path  Metric\n\\::x::y  1\nok ##\\[error]z\n"
        );
        assert_eq!(lines("a\tb\u{1b}[31m\n"), "a\tb\\u{1b}[31m\n");
        let json = r###"{"m.json": {"##[add-mask]k": 1}}"###;
        let inert = json_inert(json);
        assert!(!inert.contains("##["));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&inert).unwrap(),
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
    }

    #[test]
    fn hostile_text_is_inert() {
        assert_eq!(inline("a|b"), "a\\|b");
        assert_eq!(
            inline("<script>x</script>"),
            "&lt;script&gt;x&lt;/script&gt;"
        );
        assert_eq!(
            inline("<!-- mlci:report -->"),
            "&lt;\\!-- mlci:report --&gt;"
        );
        assert_eq!(inline("`code`"), "&#96;code&#96;");
        assert_eq!(inline("line\nbreak\r\nx"), "line<br>break<br>x");
        assert_eq!(inline("@octocat"), "@\u{2060}octocat");
        assert_eq!(
            inline("**bold** _i_ [l](u)"),
            "\\*\\*bold\\*\\* \\_i\\_ \\[l\\](u)"
        );
        assert_eq!(inline("a&amp;"), "a&amp;amp;");
        assert_eq!(inline("bell\u{7}"), "bell");
        assert_eq!(
            html("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;"
        );
    }
}
