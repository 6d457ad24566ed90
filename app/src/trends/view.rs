//! The chart pages (`/trends` or `/trends/errors`, `/trends/throughput`,
//! `/trends/drift`): tabs, the range picker and filters, all kept in the
//! URL, then the page's charts.

use super::api::get_trends;
use super::chart::ChartView;
use super::{PAGES, PRESETS, TrendPage, TrendQuery, fmt_bucket};
use crate::components::ErrorBox;
use crate::layout::Layout;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The query the URL asks for.
fn query_from_url() -> Memo<TrendQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        let s = |k: &str| q.get(k).filter(|v| !v.is_empty());
        TrendQuery {
            env: s("env"),
            // A map id that is not a number reads as "every map" rather
            // than failing the page.
            map: s("map").and_then(|v| v.parse().ok()),
            range: s("range"),
            from: s("from"),
            to: s("to"),
        }
    })
}

/// A chart page.
#[component]
pub fn TrendsPage() -> impl IntoView {
    let params = use_params_map();
    // `/trends` alone is the errors page.
    let page = Memo::new(move |_| params.read().get("page").unwrap_or_else(|| "errors".into()));
    let query = query_from_url();
    let data = Resource::new(move || (page.get(), query.get()), |(p, q)| get_trends(p, q));
    view! {
        <Layout title="Trends">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = page.get_untracked();
                    let q = query.get_untracked();
                    match data.await {
                        Err(e) => {
                            let back = TrendQuery { map: None, range: None, from: None, to: None, ..q };
                            view! {
                                <ErrorBox error=e/>
                                <p><a href=back.href(&format!("/trends/{p}"), None)>"Show this page with the default range and every map"</a></p>
                            }.into_any()
                        }
                        Ok(t) => page_view(&p, t).into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

fn page_view(page: &str, t: TrendPage) -> impl IntoView + use<> {
    let q = t.query.clone();
    let path = format!("/trends/{page}");
    let tabs = PAGES
        .iter()
        .map(|(key, label)| {
            let current = *key == page;
            view! {
                <a href=q.href(&format!("/trends/{key}"), None) class:current=current aria-current=current.then_some("page")>{*label}</a>
            }
        })
        .collect_view();
    let range = q.range.clone().unwrap_or_default();
    let presets = PRESETS
        .iter()
        .map(|(key, label, _)| {
            let current = range == *key;
            view! {
                <a href=q.href(&path, Some(key)) class="button small" class:secondary=!current aria-current=current.then_some("true") data-range=*key>{*label}</a>
            }
        })
        .collect_view();
    // The day of the range's last second: today for the presets, which end
    // with the current hour or day.
    let last_day = fmt_bucket(t.span.to - 1, super::DAY);
    let first_day = fmt_bucket(t.span.from, super::DAY);
    let by = if t.span.step == super::HOUR {
        "hour"
    } else {
        "day"
    };
    let described = format!(
        "{} to {} (UTC), by {by}",
        fmt_bucket(t.span.from, t.span.step),
        fmt_bucket(t.span.to, t.span.step)
    );
    let map = q.map;
    let env = t.environment.clone();
    let hidden_range = view! {
        <input type="hidden" name="range" value=range.clone()/>
        {(range == "custom").then(|| view! {
            <input type="hidden" name="from" value=q.from.clone().unwrap_or_default()/>
            <input type="hidden" name="to" value=q.to.clone().unwrap_or_default()/>
        })}
    };
    // Every chart of a page marks the same map state changes and cutover
    // milestones; the list that names them is shown once, under the
    // charts.
    let notes = t
        .charts
        .first()
        .map(|c| c.annotations.clone())
        .unwrap_or_default();
    let notes = (!notes.is_empty()).then(|| {
        view! {
            <section class="chart-notes-all" data-testid="state-changes">
                <h3>"Map state changes and cutover milestones in this range"</h3>
                <ul class="chart-notes">
                    {notes.into_iter().map(|a| view! {
                        <li>{super::fmt_bucket(a.at, 60)} " — " {a.label}</li>
                    }).collect_view()}
                </ul>
            </section>
        }
    });
    let charts = t
        .charts
        .into_iter()
        .map(|c| {
            let csv = q.href(&format!("/export/trends/{page}/{}.csv", c.key), None);
            view! { <ChartView chart=c csv_href=csv/> }
        })
        .collect_view();
    view! {
        <nav class="tabs" aria-label="Chart pages">{tabs}</nav>
        <section class="trend-controls" data-testid="trend-controls">
            <div class="ranges" role="group" aria-label="Time range">
                {presets}
                <Form method="GET" action=path.clone() attr:class="inline custom-range">
                    <input type="hidden" name="env" value=env.clone()/>
                    {map.map(|m| view! { <input type="hidden" name="map" value=m.to_string()/> })}
                    <input type="hidden" name="range" value="custom"/>
                    <label>"From" <input type="date" name="from" value=q.from.clone().unwrap_or(first_day)/></label>
                    <label>"To" <input type="date" name="to" value=q.to.clone().unwrap_or(last_day)/></label>
                    <button type="submit" class="small" class:secondary={range != "custom"}>"Custom range"</button>
                </Form>
            </div>
            <Form method="GET" action=path.clone() attr:class="inline filters" attr:data-testid="trend-filters">
                <label>"Environment"
                    <select name="env">
                        {t.environments.iter().map(|e| view! {
                            <option value=e.clone() selected=*e == t.environment>{e.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Map"
                    <select name="map">
                        <option value="">"All maps"</option>
                        {t.maps.iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=map == Some(*id)>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                {hidden_range}
                <button type="submit" class="small">"Apply"</button>
            </Form>
        </section>
        <p class="muted" data-testid="trend-range">{described}</p>
        <div class="charts">{charts}</div>
        {notes}
    }
}
