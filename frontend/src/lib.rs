//! Browser entry point: hydrates the islands of the server-rendered page.
//!
//! The console runs in Leptos's islands mode: pages are plain HTML from the
//! server, and only the `#[island]` components (the chart readout, the
//! password toggle, the self-refreshing pages, …) are compiled into this
//! bundle and brought to life. `app` is linked so its islands are exported.

// Loads `app`, whose islands register themselves as wasm exports; nothing
// else here names it.
use app as _;

/// Called by the islands script once the WebAssembly module has loaded;
/// the script then hydrates each island on the page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
