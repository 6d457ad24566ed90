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
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

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
