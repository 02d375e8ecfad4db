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
