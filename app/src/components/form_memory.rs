//! Keeps what a person typed into a form when the server refuses it.
//!
//! Forms here are plain posts: a refused one comes back as a fresh page
//! with the error in its address (`__path` names the server function,
//! `__err` the error), and every field empty. Losing a long rationale to a
//! typo in another field is the kind of thing people stop forgiving. So,
//! with JavaScript on, each submitted form's fields are kept in the tab's
//! session storage; when the page comes back with an error for that
//! form's server function, they are put back into the form with the same
//! action and the same hidden fields (the row it belongs to). Passwords,
//! files and fields marked `autocomplete="off"` (a webhook URL holds its
//! secret) are never kept, a field the person has already changed is
//! left as it is, and anything kept is dropped at the next page.

use leptos::prelude::*;

/// The form memory, once per page (in the layout).
#[island]
pub fn FormMemory() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::install();
    });
}

#[cfg(feature = "hydrate")]
mod browser {
    use serde::{Deserialize, Serialize};
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::closure::Closure;
    use web_sys::{
        Event, HtmlFormElement, HtmlInputElement, HtmlOptionElement, HtmlSelectElement,
        HtmlTextAreaElement,
    };

    /// The session-storage key.
    const KEY: &str = "dwconsole.form-memory";

    /// A submitted form: its action's path, its hidden fields (which row
    /// it is), and what was typed or chosen.
    #[derive(Serialize, Deserialize)]
    struct Kept {
        action: String,
        hidden: Vec<(String, String)>,
        fields: Vec<Field>,
    }

    #[derive(Serialize, Deserialize)]
    struct Field {
        name: String,
        value: String,
        /// For checkboxes and radio buttons.
        checked: Option<bool>,
    }

    fn path_of(url: &str) -> String {
        web_sys::Url::new(url)
            .map(|u| u.pathname())
            .unwrap_or_default()
    }

    /// What a form holds, leaving out passwords, files and buttons.
    fn read(form: &HtmlFormElement) -> Kept {
        let mut kept = Kept {
            action: path_of(&form.action()),
            hidden: Vec::new(),
            fields: Vec::new(),
        };
        let elements = form.elements();
        for i in 0..elements.length() {
            let Some(el) = elements.item(i) else { continue };
            if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
                let name = input.name();
                if name.is_empty() {
                    continue;
                }
                // A field marked `autocomplete="off"` holds something
                // not to keep, like a webhook URL with its secret.
                if input.autocomplete() == "off" && input.type_() != "hidden" {
                    continue;
                }
                match input.type_().as_str() {
                    "hidden" => kept.hidden.push((name, input.value())),
                    "password" | "file" | "submit" | "button" | "reset" | "image" => {}
                    "checkbox" | "radio" => kept.fields.push(Field {
                        name,
                        value: input.value(),
                        checked: Some(input.checked()),
                    }),
                    _ => kept.fields.push(Field {
                        name,
                        value: input.value(),
                        checked: None,
                    }),
                }
            } else if let Some(area) = el.dyn_ref::<HtmlTextAreaElement>() {
                if !area.name().is_empty() {
                    kept.fields.push(Field {
                        name: area.name(),
                        value: area.value(),
                        checked: None,
                    });
                }
            } else if let Some(select) = el.dyn_ref::<HtmlSelectElement>()
                && !select.name().is_empty()
            {
                kept.fields.push(Field {
                    name: select.name(),
                    value: select.value(),
                    checked: None,
                });
            }
        }
        kept
    }

    /// Puts `kept` back into `form`, into the fields still as the server
    /// sent them. The page is usable before this runs (its forms are
    /// plain posts), so a person on a slow phone may have typed already:
    /// what they typed wins over what was kept.
    fn write(form: &HtmlFormElement, kept: &Kept) {
        let elements = form.elements();
        for i in 0..elements.length() {
            let Some(el) = elements.item(i) else { continue };
            if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
                let kind = input.type_();
                for f in kept.fields.iter().filter(|f| f.name == input.name()) {
                    match (kind.as_str(), f.checked) {
                        ("checkbox" | "radio", Some(c))
                            if f.value == input.value()
                                && input.checked() == input.default_checked() =>
                        {
                            input.set_checked(c)
                        }
                        ("checkbox" | "radio", _) => {}
                        _ if input.value() == input.default_value() => input.set_value(&f.value),
                        _ => {}
                    }
                }
            } else if let Some(area) = el.dyn_ref::<HtmlTextAreaElement>() {
                if let Some(f) = kept.fields.iter().find(|f| f.name == area.name())
                    && area.default_value().is_ok_and(|d| d == area.value())
                {
                    area.set_value(&f.value);
                }
            } else if let Some(select) = el.dyn_ref::<HtmlSelectElement>()
                && let Some(f) = kept.fields.iter().find(|f| f.name == select.name())
                && select.value() == default_choice(select)
            {
                select.set_value(&f.value);
            }
        }
    }

    /// The value a select shows as the server sent it: its option marked
    /// `selected`, or else its first.
    fn default_choice(select: &HtmlSelectElement) -> String {
        let options: Vec<HtmlOptionElement> = (0..select.length())
            .filter_map(|i| select.item(i))
            .filter_map(|el| el.dyn_into::<HtmlOptionElement>().ok())
            .collect();
        options
            .iter()
            .find(|o| o.default_selected())
            .or(options.first())
            .map(HtmlOptionElement::value)
            .unwrap_or_default()
    }

    /// Restores a refused form, then remembers each form as it is sent.
    pub fn install() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Some(document) = window.document() else {
            return;
        };
        let Ok(Some(storage)) = window.session_storage() else {
            return;
        };
        let search = window.location().search().unwrap_or_default();
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let refused = params
            .as_ref()
            .and_then(|p| p.get("__err").and(p.get("__path")));
        if let (Some(path), Ok(Some(json))) = (refused, storage.get_item(KEY))
            && let Ok(kept) = serde_json::from_str::<Kept>(&json)
            && path_of(&format!("http://x{path}")) == kept.action
            && let Ok(forms) = document.query_selector_all("form")
        {
            for i in 0..forms.length() {
                let Some(form) = forms
                    .item(i)
                    .and_then(|n| n.dyn_into::<HtmlFormElement>().ok())
                else {
                    continue;
                };
                if path_of(&form.action()) == kept.action && read(&form).hidden == kept.hidden {
                    write(&form, &kept);
                    break;
                }
            }
        }
        let _ = storage.remove_item(KEY);
        let remember = Closure::<dyn Fn(Event)>::new(move |ev: Event| {
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            else {
                return;
            };
            if let Ok(json) = serde_json::to_string(&read(&form)) {
                let _ = storage.set_item(KEY, &json);
            }
        });
        let _ = document.add_event_listener_with_callback_and_bool(
            "submit",
            remember.as_ref().unchecked_ref(),
            true,
        );
        // The listener lives as long as the page.
        remember.forget();
    }
}
