//! The local preview: the report's markdown rendered with comrak (GitHub-flavoured: tables,
//! strikethrough, task lists, autolinks, alerts) inside a self-contained page that looks like a
//! GitHub comment. No script, no external resource: it opens offline.

use comrak::{Options, markdown_to_html};

use crate::render::escape;

/// Markdown to HTML with the extensions GitHub enables in comments.
pub fn body(markdown: &str) -> String {
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    options.extension.autolink = true;
    options.extension.alerts = true;
    options.extension.footnotes = true;
    // The report's own HTML (`<details>`, `<sub>`, comments) must pass through; every string
    // from an input file was escaped before it entered the markdown.
    options.render.r#unsafe = true;
    markdown_to_html(markdown, &options)
}

/// A complete page around the rendered markdown.
pub fn page(title: &str, markdown: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
<div class=\"comment\">\n<div class=\"comment-header\"><strong>mlci</strong> commented</div>\n\
<div class=\"markdown-body\">\n{body}</div>\n</div>\n</body>\n</html>\n",
        title = escape::html(title),
        body = body(markdown),
    )
}

/// GitHub's comment look, in a few rules (colours from Primer's light theme).
const STYLE: &str = r#"body { margin: 0; padding: 24px; background: #f6f8fa; color: #1f2328;
  font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.comment { max-width: 880px; margin: 0 auto; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.comment-header { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0;
  border-radius: 6px 6px 0 0; color: #59636e; }
.markdown-body { padding: 16px; overflow-wrap: break-word; }
.markdown-body > :first-child { margin-top: 0; }
h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0b3; margin: 24px 0 16px; }
h3 { font-size: 1.25em; margin: 24px 0 16px; }
h4 { font-size: 1em; margin: 24px 0 16px; }
p, blockquote, ul, ol, table, details, pre { margin: 0 0 16px; }
table { border-spacing: 0; border-collapse: collapse; display: block; width: max-content; max-width: 100%; overflow: auto; }
th, td { padding: 6px 13px; border: 1px solid #d1d9e0; }
th { font-weight: 600; }
tr { background: #fff; border-top: 1px solid #d1d9e0b3; }
tr:nth-child(2n) { background: #f6f8fa; }
td { font-variant-numeric: tabular-nums; }
code { padding: .2em .4em; font-size: 85%; background: #818b981f; border-radius: 6px;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { padding: 16px; overflow: auto; background: #f6f8fa; border-radius: 6px; }
pre code { padding: 0; background: none; }
hr { height: .25em; margin: 24px 0; background: #d1d9e0; border: 0; }
img { max-width: 100%; }
details summary { cursor: pointer; }
sub { color: #59636e; }
blockquote { padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
.markdown-alert { padding: 8px 16px; margin-bottom: 16px; border-left: .25em solid #9a6700; }
.markdown-alert-title { font-weight: 500; color: #9a6700; margin: 0 0 4px; }
.markdown-alert.markdown-alert-warning { border-left-color: #9a6700; }
.markdown-alert > p:last-child, .markdown-alert > ul:last-child { margin-bottom: 0; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_alerts_and_details_render() {
        let html = page(
            "r <1>",
            "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n> [!WARNING]\n> careful\n\n<details><summary>x</summary>\n\nhidden\n\n</details>\n\n- [x] done\n\n~~old~~ https://example.com\n",
        );
        assert!(html.contains("<title>r &lt;1&gt;</title>"));
        assert!(
            html.contains("<table>") && html.contains("<td align=\"right\">2</td>"),
            "{html}"
        );
        assert!(html.contains("markdown-alert-warning"), "{html}");
        assert!(html.contains("<details><summary>x</summary>"));
        assert!(html.contains("type=\"checkbox\""));
        assert!(html.contains("<del>old</del>"));
        assert!(html.contains("<a href=\"https://example.com\">"));
    }
}
