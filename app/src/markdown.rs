//! Markdown to safe HTML, on the server only. Rationale and notes are
//! written by people and read by everyone, so the rendered HTML passes
//! through ammonia's allow-list: no scripts, frames, event handlers,
//! `style` or `javascript:` URLs survive.

/// Renders Markdown (CommonMark plus tables and strikethrough) to sanitized HTML.
pub fn render(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    let clean = ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string();
    fill_image_alt(&clean)
}

/// Every image gets a text alternative: one written without (`![](a.png)`,
/// or raw `<img>`) is given its file name, so a screen reader says what
/// the picture is rather than nothing. Works on ammonia's output, whose
/// attributes are always `name="value"`.
fn fill_image_alt(html: &str) -> String {
    use regex::Regex;
    use std::sync::LazyLock;
    static IMG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<img\b[^>]*>").expect("a valid pattern"));
    static SRC: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\bsrc="([^"]*)""#).expect("a valid pattern"));
    static ALT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\balt="([^"]*)""#).expect("a valid pattern"));
    IMG.replace_all(html, |c: &regex::Captures<'_>| {
        let tag = &c[0];
        if ALT.captures(tag).is_some_and(|a| !a[1].trim().is_empty()) {
            return tag.to_string();
        }
        let name = SRC
            .captures(tag)
            .map(|s| {
                let src = s[1].split(['?', '#']).next().unwrap_or("").to_string();
                src.rsplit('/').next().unwrap_or("").to_string()
            })
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "image".into());
        let without = ALT.replace(tag, "");
        let body = without
            .trim_start_matches("<img")
            .trim_end_matches('>')
            .trim_end_matches('/');
        format!("<img alt=\"Image: {name}\"{body}>")
    })
    .into_owned()
}

/// The text of a Markdown document without its markup, on one line and
/// cut at `max` characters (with "…"): for a table cell or a summary.
pub fn plain_excerpt(markdown: &str, max: usize) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max {
        let mut cut: String = text.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

/// Inline Markdown markers taken out of a short piece of text (a search
/// snippet cut from the middle of a document, which a Markdown parser
/// would misread): `**`, `__`, `~~`, backticks, heading marks, and links
/// `[text](url)` shown as their text.
pub fn strip_inline_markup(text: &str) -> String {
    use regex::Regex;
    use std::sync::LazyLock;
    static LINK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"!?\[([^\]]*)\]\([^)]*\)").expect("a valid pattern"));
    static MARKS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\*\*|__|~~|`|(?m)^#{1,6}\s+").expect("a valid pattern"));
    let text = LINK.replace_all(text, "$1");
    MARKS.replace_all(&text, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::{plain_excerpt, render, strip_inline_markup};

    #[test]
    fn images_always_have_a_text_alternative() {
        let html = render(
            "![](https://example.com/img/flow.png) and <img src=\"/x/y.svg\"> ![Flow](a.png)",
        );
        assert!(html.contains("alt=\"Image: flow.png\""), "{html}");
        assert!(html.contains("alt=\"Image: y.svg\""), "{html}");
        assert!(html.contains("alt=\"Flow\""), "{html}");
        assert_eq!(html.matches("alt=").count(), 3, "{html}");
    }

    #[test]
    fn excerpts_and_snippets_lose_their_markup() {
        assert_eq!(
            plain_excerpt(
                "Customers are **credit-checked** in F&O.\n\nSee `CustTable`.",
                100
            ),
            "Customers are credit-checked in F&O. See CustTable."
        );
        assert_eq!(plain_excerpt("abcdef", 3), "abc…");
        assert_eq!(
            strip_inline_markup("are **credit**-checked, see [runbook](https://x.test) `Cust`"),
            "are credit-checked, see runbook Cust"
        );
    }

    #[test]
    fn ordinary_markdown_renders() {
        let html = render(
            "F&O **owns** this; see [the runbook](https://example.com/runbook).\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        );
        assert!(html.contains("<strong>owns</strong>"));
        assert!(html.contains("href=\"https://example.com/runbook\""));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn hostile_payloads_do_not_survive() {
        let payloads = [
            "<script>alert(1)</script>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<img src=x onerror=\"alert(1)\">",
            "<div onclick=\"alert(1)\">x</div>",
            "<svg onload=alert(1)>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<object data=\"evil.swf\"></object>",
            "<style>body{display:none}</style>",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        ];
        for p in payloads {
            let html = render(p).to_ascii_lowercase();
            for bad in [
                "<script",
                "<iframe",
                "javascript:",
                "onerror",
                "onclick",
                "onload",
                "<object",
                "<style",
                "style=",
                "data:text",
            ] {
                assert!(!html.contains(bad), "{p:?} left {bad:?} in {html:?}");
            }
        }
    }
}
