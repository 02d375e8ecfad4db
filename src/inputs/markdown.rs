//! The images a markdown file links (`![alt](path)`, `<img src="path">`), found with comrak's
//! CommonMark parser, with where each link's destination is in the text, so that `mlci
//! comment` can point it elsewhere and change nothing else.

use std::ops::Range;

use comrak::nodes::NodeValue;
use comrak::{Arena, Options, parse_document};

/// An image link: its destination as written, and where that is in the text (bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLink {
    /// The destination, as written (an HTML attribute's value is taken as is).
    pub url: String,
    /// Its bytes in the text.
    pub range: Range<usize>,
    /// It is an HTML attribute's value (`src="..."`), not a markdown destination.
    pub html: bool,
}

/// Every image link of `markdown`, in the order of the text.
pub fn image_links(markdown: &str) -> Vec<ImageLink> {
    let arena = Arena::new();
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    options.extension.autolink = true;
    let root = parse_document(&arena, markdown, &options);
    let lines = line_starts(markdown);
    let offset = |line: usize, column: usize| -> Option<usize> {
        let start = *lines.get(line.checked_sub(1)?)?;
        Some((start + column.checked_sub(1)?).min(markdown.len()))
    };
    let mut links = Vec::new();
    for node in root.descendants() {
        let data = node.data.borrow();
        let position = data.sourcepos;
        let span = offset(position.start.line, position.start.column).and_then(|start| {
            let end = offset(position.end.line, position.end.column)? + 1;
            Some(start..end.min(markdown.len()))
        });
        let Some(span) = span.filter(|s| s.start < s.end) else {
            continue;
        };
        let Some(text) = markdown.get(span.clone()) else {
            continue;
        };
        match &data.value {
            NodeValue::Image(link) => {
                if let Some(found) = destination(text, &link.url) {
                    links.push(ImageLink {
                        url: link.url.clone(),
                        range: span.start + found.start..span.start + found.end,
                        html: false,
                    });
                }
            }
            NodeValue::HtmlInline(_) | NodeValue::HtmlBlock(_) => {
                links.extend(sources(text).into_iter().map(|found| ImageLink {
                    url: text[found.clone()].to_owned(),
                    range: span.start + found.start..span.start + found.end,
                    html: true,
                }));
            }
            _ => {}
        }
    }
    links.sort_by_key(|link| link.range.start);
    links.dedup_by_key(|link| link.range.start);
    links
}

/// The byte offset where each line starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Where `url` is written as the destination of the image `text` (`![alt](url "title")`):
/// right after a `](`, past spaces and an opening `<`.
fn destination(text: &str, url: &str) -> Option<Range<usize>> {
    if url.is_empty() {
        return None;
    }
    text.match_indices("](").find_map(|(at, _)| {
        let after = at + 2;
        let rest = &text[after..];
        let skipped = rest.len() - rest.trim_start().len();
        let rest = &rest[skipped..];
        let (skipped, rest) = match rest.strip_prefix('<') {
            Some(inner) => (skipped + 1, inner),
            None => (skipped, rest),
        };
        rest.starts_with(url)
            .then(|| after + skipped..after + skipped + url.len())
    })
}

/// The values of the `src` attributes of the `<img>` tags in an HTML snippet.
fn sources(html: &str) -> Vec<Range<usize>> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for (tag, _) in lower.match_indices("<img") {
        let end = lower[tag..].find('>').map_or(lower.len(), |e| tag + e);
        let Some(attribute) = lower[tag..end].find("src=") else {
            continue;
        };
        let value = tag + attribute + 4;
        let quote = html[value..].chars().next();
        let (start, stop) = match quote {
            Some(q @ ('"' | '\'')) => {
                let start = value + 1;
                let Some(length) = html[start..end].find(q) else {
                    continue;
                };
                (start, start + length)
            }
            _ => {
                let length = html[value..end]
                    .find(|c: char| c.is_ascii_whitespace() || c == '/')
                    .unwrap_or(end - value);
                (value, value + length)
            }
        };
        if start < stop {
            found.push(start..stop);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(markdown: &str) -> Vec<(String, String)> {
        image_links(markdown)
            .into_iter()
            .map(|link| (link.url, markdown[link.range].to_owned()))
            .collect()
    }

    #[test]
    fn images_are_found_where_they_are_written() {
        let text = "# Notes\n\n![ROC](plots/roc.png \"the ROC\") and ![x](<a b.png>)\n\n<p><img alt=\"c\" src=\"c.png\"></p>\n\n`![not](code.png)` [a link](page.md) ![remote](https://x/y.png)\n";
        assert_eq!(
            urls(text),
            [
                ("plots/roc.png".to_owned(), "plots/roc.png".to_owned()),
                ("a b.png".to_owned(), "a b.png".to_owned()),
                ("c.png".to_owned(), "c.png".to_owned()),
                ("https://x/y.png".to_owned(), "https://x/y.png".to_owned()),
            ]
        );
    }

    #[test]
    fn alt_text_with_brackets_and_inline_html() {
        let text = "![a](b) ![see [1]](fig.png) text <img src='i.png'/>\n";
        let found = urls(text);
        assert_eq!(
            found.iter().map(|(u, _)| u.as_str()).collect::<Vec<_>>(),
            ["b", "fig.png", "i.png"]
        );
    }
}
