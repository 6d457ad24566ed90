//! Closes the header's dropdown ("Admin", or "More" for other roles) the
//! way menus close elsewhere: a click outside it, or Escape, which puts
//! the focus back on its summary. It is a plain `<details>`, so without
//! JavaScript it still opens and closes from its summary; this only adds
//! the ways people expect from a menu.

use leptos::prelude::*;

/// The dropdown closer, once per page (in the layout).
#[island]
pub fn MenuDismiss() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::install();
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::ev;
    use leptos::prelude::{document, window_event_listener};
    use wasm_bindgen::JsCast as _;
    use web_sys::{Element, HtmlElement, Node};

    /// The dropdowns open now.
    fn open_menus() -> Vec<Element> {
        let Ok(list) = document().query_selector_all("details.nav-group[open]") else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into::<Element>().ok())
            .collect()
    }

    pub fn install() {
        // The listeners live as long as the page, so their handles are
        // never removed.
        let _ = window_event_listener(ev::click, |e| {
            let target = e.target().and_then(|t| t.dyn_into::<Node>().ok());
            for menu in open_menus() {
                if !menu.contains(target.as_ref()) {
                    let _ = menu.remove_attribute("open");
                }
            }
        });
        let _ = window_event_listener(ev::keydown, |e| {
            if e.key() != "Escape" {
                return;
            }
            for menu in open_menus() {
                let _ = menu.remove_attribute("open");
                if let Ok(Some(summary)) = menu.query_selector("summary")
                    && let Ok(summary) = summary.dyn_into::<HtmlElement>()
                {
                    let _ = summary.focus();
                }
            }
        });
    }
}
