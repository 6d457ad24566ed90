//! Generic UI pieces shared by every page: the layout with navigation, error
//! boxes, the 404 page and small formatting helpers.

use crate::error::AppError;
use leptos::prelude::*;

mod form_memory;
mod menu_dismiss;
pub use form_memory::FormMemory;
pub use menu_dismiss::MenuDismiss;

/// A hidden marker that reads `data-hydrated="true"` once the page's
/// islands are live. The islands script hydrates islands in document order,
/// so a page puts this last; browser tests wait for it before clicking.
/// Without JavaScript it stays `"false"`.
#[island]
pub fn HydrationMark() -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! { <span hidden data-hydrated=move || if hydrated.get() { "true" } else { "false" }></span> }
}

/// Reloads the page every `seconds` while it is open, for pages that
/// follow something going on (a cutover run, a reconciliation). The server
/// renders it only while there is something to follow, so a finished run
/// stops the reloads. A reload waits while the person is typing in a form
/// field, so no input is lost.
#[island]
pub fn AutoRefresh(
    /// Seconds between reloads.
    seconds: u32,
) -> impl IntoView {
    Effect::new(move |_| {
        let every = std::time::Duration::from_secs(u64::from(seconds.max(1)));
        set_interval(
            || {
                let typing = document().active_element().is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                });
                if !typing {
                    _ = window().location().reload();
                }
            },
            every,
        );
    });
    view! {
        <p class="muted refresh-note" data-testid="auto-refresh">
            {format!("With JavaScript on, this page reloads itself every {seconds} seconds while it goes on; otherwise reload it to see the latest.")}
        </p>
    }
}

/// A red box with a user-facing error message.
#[component]
pub fn ErrorBox(
    /// The error to show.
    error: AppError,
) -> impl IntoView {
    let hint = match &error {
        AppError::Unauthorized => Some(view! { " " <a href="/login">"Sign in"</a> }),
        _ => None,
    };
    view! {
        <div class="error-box" role="alert">
            {error.to_string()}
            {hint}
        </div>
    }
}

/// Shows the error of a finished server action, if it failed.
pub fn action_error<T, E>(result: Option<Result<T, E>>) -> Option<AnyView>
where
    E: Into<AppError>,
{
    match result {
        Some(Err(e)) => Some(view! { <ErrorBox error=e.into()/> }.into_any()),
        _ => None,
    }
}

/// A `<textarea>` pre-filled with `text`, safely.
///
/// Leptos writes a textarea's children into the HTML unescaped (it treats
/// the element like `<script>`), so user text placed there as a child could
/// close the textarea and inject a form. This component is the only way the
/// console fills a textarea: the text goes in as escaped inner HTML, which
/// the server writes as is and the browser's textarea parser (RCDATA) turns
/// back into exactly `text`, both on first load and when a page is rendered
/// in the browser. Other attributes (`attr:rows`, `attr:required`, …) pass
/// through to the element.
#[component]
pub fn TextArea(
    /// The form field name.
    #[prop(into)]
    name: String,
    /// The text to show, verbatim.
    #[prop(into, optional)]
    text: String,
) -> impl IntoView {
    view! { <textarea name=name inner_html=escape_text(&text)></textarea> }
}

/// Escapes text for an HTML text context (element content): `&`, `<` and
/// `>` become entities, so no text can open or close a tag.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML built as a string, in element content or a
/// double-quoted attribute value: [`escape_text`], and `"` as `&quot;`.
pub fn escape_html(text: &str) -> String {
    escape_text(text).replace('"', "&quot;")
}

/// Bars as an inline SVG sparkline, oldest first; `label` says in words
/// what they show, for screen readers.
pub fn sparkline(values: &[f64], label: String) -> impl IntoView + use<> {
    let max = values.iter().copied().fold(0.0, f64::max);
    let width = (values.len() * 8).max(8);
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let h = if *v <= 0.0 || max <= 0.0 { 1.0 } else { 2.0 + 16.0 * v / max };
            view! {
                <rect x=(i * 8).to_string() y=format!("{:.1}", 18.0 - h) width="6" height=format!("{h:.1}")/>
            }
        })
        .collect_view();
    view! {
        <svg class="sparkline" width=width.to_string() height="18" viewBox=format!("0 0 {width} 18") role="img" aria-label=label>
            {bars}
        </svg>
    }
}

/// Formats a stored UTC timestamp (`2026-11-26T22:40:05.123Z`) for reading:
/// `2026-11-26 22:40 UTC`.
pub fn fmt_time(stored: &str) -> String {
    if stored.len() >= 16 && stored.as_bytes()[10] == b'T' {
        format!("{} {} UTC", &stored[..10], &stored[11..16])
    } else {
        stored.to_string()
    }
}

/// Percent-encodes a URL query value: RFC 3986 unreserved characters pass,
/// and so do the bytes in `keep` (e.g. `b"/"` for a path carried in a query).
pub fn percent_encode(value: &str, keep: &[u8]) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b if keep.contains(&b) => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A count with its noun in the right number: `1 entry`, `3 entries`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", fmt_count(n as i64))
    }
}

/// Groups digits for reading: 1200000 → `1,200,000`.
pub fn fmt_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Counts written `A,B,…` in an address; `None` unless there are exactly
/// `K` whole numbers.
fn counts<const K: usize>(value: &str) -> Option<[usize; K]> {
    let v: Vec<usize> = value
        .split(',')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

/// What an import did, in words, from the counts its redirect leaves in
/// the address: `entries=STORED,ALREADY_THERE` (error entries),
/// `fields=CREATED,UPDATED,UNCHANGED` (one map's field mappings), and with
/// `maps=CREATED,UPDATED,UNCHANGED` as well, a maps import. Only numbers
/// travel, so a link cannot make the console's notice say anything else;
/// anything else gives nothing.
pub fn import_summary(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    if let Some([stored, already]) = get("entries").and_then(|v| counts(&v)) {
        return Some(format!(
            "Imported {} ({already} {} already there).",
            plural(stored, "entry", "entries"),
            if already == 1 { "was" } else { "were" }
        ));
    }
    let [created, updated, unchanged] = get("fields").and_then(|v| counts(&v))?;
    let fields = format!(
        "{} created, {updated} updated, {unchanged} unchanged",
        plural(created, "field mapping", "field mappings")
    );
    Some(match get("maps") {
        None => format!("Imported: {fields}."),
        Some(v) => {
            let [created, updated, unchanged] = counts(&v)?;
            format!(
                "Imported: {} created, {updated} updated, {unchanged} unchanged; {fields}.",
                plural(created, "map", "maps")
            )
        }
    })
}

/// The notice an import leaves after it succeeds (see [`import_summary`]).
pub fn import_result() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    move || {
        let query = query.read();
        import_summary(|k| query.get(k)).map(|r| {
            view! { <p class="ok-box" role="status" data-testid="import-result">{r}</p> }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded_keeping_only_what_is_asked() {
        assert_eq!(percent_encode("user.create", b""), "user.create");
        assert_eq!(percent_encode("a b&c@d", b""), "a%20b%26c%40d");
        assert_eq!(percent_encode("/audit?x=1", b"/"), "/audit%3Fx%3D1");
    }

    #[test]
    fn an_import_notice_is_worded_from_counts_only() {
        let notice = |q: &[(&str, &str)]| {
            import_summary(|k| {
                q.iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            })
        };
        assert_eq!(
            notice(&[("entries", "2,1")]).as_deref(),
            Some("Imported 2 entries (1 was already there).")
        );
        assert_eq!(
            notice(&[("fields", "2,0,1")]).as_deref(),
            Some("Imported: 2 field mappings created, 0 updated, 1 unchanged.")
        );
        assert_eq!(
            notice(&[("maps", "1,1,0"), ("fields", "3,0,0")]).as_deref(),
            Some(
                "Imported: 1 map created, 1 updated, 0 unchanged; 3 field mappings created, 0 updated, 0 unchanged."
            )
        );
        // Words in the address are never shown.
        assert_eq!(notice(&[("result", "Call +1 555 0100 now")]), None);
        assert_eq!(notice(&[("entries", "2,call us")]), None);
        assert_eq!(notice(&[("fields", "1,2")]), None);
        assert_eq!(notice(&[("maps", "x"), ("fields", "1,2,3")]), None);
    }

    #[test]
    fn plurals_follow_the_count() {
        assert_eq!(plural(1, "entry", "entries"), "1 entry");
        assert_eq!(plural(0, "entry", "entries"), "0 entries");
        assert_eq!(plural(1200, "map", "maps"), "1,200 maps");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_200_000), "1,200,000");
        assert_eq!(fmt_count(-12_345), "-12,345");
    }

    #[test]
    fn textarea_text_cannot_close_its_element() {
        let payload = "</textarea></label></form><form method=post action=/sfn/add_user>&amp;";
        let escaped = escape_text(payload);
        assert!(!escaped.contains('<') && !escaped.contains('>'));
        assert_eq!(
            escaped,
            "&lt;/textarea&gt;&lt;/label&gt;&lt;/form&gt;&lt;form method=post action=/sfn/add_user&gt;&amp;amp;"
        );
    }

    #[test]
    fn stored_times_read_as_minutes_in_utc() {
        assert_eq!(fmt_time("2026-11-26T22:40:05.123Z"), "2026-11-26 22:40 UTC");
        assert_eq!(fmt_time("garbage"), "garbage");
    }
}
