//! The rule book pages: an environment's maps with their guidance, the
//! page of one map with its fields and rules, and the imports (a maps
//! document; one map's field mappings).

use super::api::{ImportMaps, get_map, list_maps};
use crate::components::{
    ErrorBox, TextArea, action_error, fmt_count, fmt_time, import_result, percent_encode,
};
use crate::environments::view::EnvironmentSwitcher;
use crate::environments::view::use_env_param;
use crate::error::AppError;
use crate::layout::Layout;
use crate::maps::api::{ApplyStarterSet, DeleteMap};
use crate::maps::view::map_id;
use crate::maps::{Direction, Warning};
use leptos::prelude::*;

/// A map's guidance: each warning with where the advice comes from.
fn warnings_view(warnings: Vec<Warning>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <ul class="warnings" data-testid="map-warnings">
                {warnings.into_iter().map(|w| view! {
                    <li class="warning">
                        <strong>"Warning: "</strong>{w.message}
                        <span class="muted source">" Source: "{w.source}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

/// One map as a readable page: what it is, how it syncs, keys, notes,
/// warnings and recent history.
#[component]
pub fn MapPage() -> impl IntoView {
    let id = map_id();
    let delete = ServerAction::<DeleteMap>::new();
    let rule_actions = crate::rules::view::RuleActions::new();
    let detail = Resource::new(
        move || (id.get(), rule_actions.version()),
        |(id, _)| async move {
            match id {
                Some(id) => get_map(id).await,
                None => Err(crate::error::AppError::not_found("That table map")),
            }
        },
    );
    view! {
        <Layout title="Table map">
            {move || action_error(delete.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match detail.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) => d,
                    };
                    let m = d.map;
                    let c = m.content.clone();
                    let id = m.id;
                    view! {
                        <article class="map-doc" data-testid="map-doc">
                            <h2 class="doc-title">{c.name.clone()}</h2>
                            <p class="context">
                                <a href=format!("/maps?env={}", m.environment)>{m.environment.clone()}</a>
                                {format!(" · revision {} · last changed {}", m.revision, fmt_time(&m.updated_at))}
                                {m.deleted.then_some(" · deleted")}
                            </p>
                            {warnings_view(d.warnings)}
                            <dl class="facts">
                                <dt>"Syncs"</dt><dd><code>{c.fo_entity.clone()}</code>" ↔ "<code>{c.dataverse_table.clone()}</code></dd>
                                <dt>"Direction"</dt><dd>{c.direction.label()}</dd>
                                {(c.direction == Direction::NotSynced).then(|| view! { <dt>"Why not synced"</dt><dd>{c.not_synced_reason.clone()}</dd> })}
                                <dt>"Owning side"</dt><dd>{c.master_side.label()}</dd>
                                <dt>"Integration key, F&O"</dt><dd>{or_dash(&c.fo_keys)}</dd>
                                <dt>"Integration key, Dataverse"</dt><dd>{or_dash(&c.dataverse_keys)}</dd>
                                <dt>"Initial sync"</dt><dd>{c.initial_sync.label()}</dd>
                                <dt>"Expected records"</dt><dd>{c.expected_records.map(fmt_count).unwrap_or_else(|| "not estimated".into())}</dd>
                                <dt>"State"</dt><dd>{c.state.label()}</dd>
                                {d.observed.first().cloned().map(|(state, at, detail)| {
                                    let differs = state != c.state;
                                    let history = d.observed.iter().skip(1).map(|(s, at, _)| format!("{} from {}", s.label(), fmt_time(at))).collect::<Vec<_>>().join("; ");
                                    view! {
                                        <dt>"F&O reports"</dt>
                                        <dd data-testid="observed-state">
                                            <strong>{state.label()}</strong>{format!(" since {} (project rows: {detail})", fmt_time(&at))}
                                            {differs.then(|| view! { <span class="flag">" differs from the documented state"</span> })}
                                            {(!history.is_empty()).then(|| view! { <div class="muted small">{format!("Before: {history}")}</div> })}
                                        </dd>
                                    }
                                })}
                                <dt>"Tags"</dt><dd>{or_dash(&c.tags)}</dd>
                            </dl>
                            {record_counts(d.counts, d.company_counts, c.expected_records)}
                            {(c.direction != Direction::NotSynced && !m.deleted).then(|| view! {
                                <h3>"Reconciliation"</h3>
                                <p data-testid="reconcile-latest">
                                    {match d.reconciled.clone() {
                                        Some(r) => format!(
                                            "Latest ({}, {}): {} of {} records drift ({}) — {} missing in Dataverse, {} missing in F&O, {} with differing fields. ",
                                            if r.kind == "full" { "full diff" } else { "sample" },
                                            fmt_time(&r.started_at),
                                            fmt_count(r.drifting()),
                                            fmt_count(r.records),
                                            crate::reconcile::fmt_rate(r.drift_rate()),
                                            fmt_count(r.missing_in_dataverse),
                                            fmt_count(r.missing_in_fo),
                                            fmt_count(r.differing),
                                        ),
                                        None => "Not reconciled yet. ".to_string(),
                                    }}
                                    <a href=format!("/maps/{id}/reconcile")>"Reconciliation runs and differences"</a>
                                </p>
                            })}
                            <h3>"Notes"</h3>
                            {if c.notes.is_empty() {
                                view! { <p class="muted">"No notes yet."</p> }.into_any()
                            } else {
                                view! { <div class="prose" inner_html=d.notes_html></div> }.into_any()
                            }}
                            {(!m.deleted).then(|| view! {
                                <crate::rules::view::FieldsAndRules map_id=id fields=d.fields rules=d.rules can_edit=d.can_edit actions=rule_actions/>
                            }.into_any())}
                            <h3>"Recent changes"</h3>
                            <ul class="activity">
                                {d.history.into_iter().map(|r| view! {
                                    <li>
                                        <span class="muted nowrap">{fmt_time(&r.created_at)}</span>" "
                                        <strong>{r.author}</strong>{format!(" — revision {} ({})", r.revision, r.action)}
                                        {(!r.comment.is_empty()).then(|| format!(": {}", r.comment))}
                                    </li>
                                }).collect_view()}
                            </ul>
                            <p class="actions">
                                <a href=format!("/maps/{id}/history")>"Full history and diffs"</a>
                                {(d.can_edit && !m.deleted).then(|| view! {
                                    <a class="button" href=format!("/maps/{id}/edit")>"Edit"</a>
                                })}
                            </p>
                            {(d.can_edit && !m.deleted).then(|| view! {
                                <details class="danger-zone">
                                    <summary>"Delete this map"</summary>
                                    <ActionForm action=delete attr:class="stack">
                                        <input type="hidden" name="map_id" value=id.to_string()/>
                                        <label>"Why (kept in the history)" <input name="comment" required/></label>
                                        <button type="submit" class="danger">"Delete map"</button>
                                    </ActionForm>
                                </details>
                            })}
                        </article>
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

fn or_dash(s: &str) -> String {
    if s.is_empty() { "—".into() } else { s.into() }
}

/// The counts collector's latest counts: the newest in words, then a
/// short history so a growing gap shows.
fn record_counts(
    counts: Vec<super::RecordCount>,
    by_company: Vec<super::RecordCount>,
    expected: Option<i64>,
) -> Option<impl IntoView + use<>> {
    let latest = counts.first().cloned()?;
    let n = |v: Option<i64>| v.map(fmt_count).unwrap_or_else(|| "—".into());
    let summary = match latest.difference() {
        Some(d) => format!(
            "F&O {} · Dataverse {} · {}",
            n(latest.fo),
            n(latest.dataverse),
            crate::maps::describe_difference(d)
        ),
        None => format!("F&O {} · Dataverse {}", n(latest.fo), n(latest.dataverse)),
    };
    let off_expected = expected.zip(latest.fo).filter(|(e, fo)| {
        // More than a tenth away from the estimate is worth a look.
        (fo - e).abs() * 10 > *e
    });
    Some(view! {
        <section class="counts" data-testid="record-counts">
            <h3>"Record counts"</h3>
            <p>
                <strong data-testid="count-summary">{summary}</strong>
                {format!(" — counted {}", fmt_time(&latest.counted_at))}
                {(latest.difference().is_some_and(|d| d != 0)).then(|| view! {
                    <span class="flag">" the sides differ"</span>
                })}
            </p>
            {(!latest.problem.is_empty()).then(|| view! { <p class="flag">{latest.problem.clone()}</p> })}
            {(!by_company.is_empty()).then(|| view! {
                <ul class="plain" data-testid="company-counts">
                    {by_company.into_iter().map(|c| {
                        let words = c.difference().map(crate::maps::describe_difference).unwrap_or_else(|| "not comparable".into());
                        view! {
                            <li>
                                <strong>{c.company.clone()}</strong>
                                {format!(": F&O {} · Dataverse {} · {words}", n(c.fo), n(c.dataverse))}
                                {(!c.problem.is_empty()).then(|| view! { <span class="muted small">{format!(" ({})", c.problem)}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
            {off_expected.map(|(e, _)| view! {
                <p class="muted">{format!("The rule book expects about {} records.", fmt_count(e))}</p>
            })}
            {
                // The difference over the last counts, oldest first.
                let diffs: Vec<i64> = counts.iter().rev().filter_map(|c| c.difference()).collect();
                (diffs.len() > 1).then(|| {
                    let words = diffs.iter().map(|d| format!("{d:+}")).collect::<Vec<_>>().join(", ");
                    view! {
                        <p class="trend">
                            {crate::components::sparkline(
                                &diffs.iter().map(|d| d.abs() as f64).collect::<Vec<_>>(),
                                format!("Difference F&O minus Dataverse over the last {} counts, oldest first: {words}", diffs.len()),
                            )}
                            <span class="muted small">" difference over the last counts, oldest first"</span>
                        </p>
                    }
                })
            }
            <div class="table-wrap" tabindex="0" role="region" aria-label="Record counts"><table class="data compact">
                <thead><tr><th>"Counted"</th><th class="num">"F&O"</th><th class="num">"Dataverse"</th><th class="num">"Difference"</th></tr></thead>
                <tbody>
                    {counts.into_iter().map(|c| view! {
                        <tr>
                            <td class="nowrap">{fmt_time(&c.counted_at)}</td>
                            <td class="num">{n(c.fo)}</td>
                            <td class="num">{n(c.dataverse)}</td>
                            <td class="num">{c.difference().map(|d| format!("{d:+}")).unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
    })
}

/// Imports the field mappings of one map from CSV.
#[component]
pub fn FieldsImportPage() -> impl IntoView {
    let id = map_id();
    let import = ServerAction::<crate::rules::api::ImportFieldMappings>::new();
    let map = Resource::new(
        move || (id.get(), import.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_map(id).await,
                None => Err(AppError::not_found("That table map")),
            }
        },
    );
    view! {
        <Layout title="Import field mappings">
            {import_result()}
            {move || action_error(import.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match map.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) => d,
                    };
                    let map_id = d.map.id;
                    let columns = crate::maps::FIELD_CSV_COLUMNS.join(",");
                    view! {
                        <p class="context">
                            <a href=format!("/maps/{map_id}#fields")>{d.map.content.name.clone()}</a>
                            {format!(" · {} now · ", crate::components::plural(d.fields.len(), "field mapping", "field mappings"))}
                            <a href=format!("/export/maps/{map_id}/fields.csv") download="" rel="external">"Export CSV"</a>
                        </p>
                        <p class="lead">
                            "Paste CSV with a header row. Rows are matched on F&O field and Dataverse column: new pairs \
                             are added, existing ones get a new revision where the row differs, and nothing is removed. \
                             One problem in any row means nothing is imported."
                        </p>
                        <p class="muted">
                            "Columns: " <code>{columns}</code>
                            ". Only the first two are required; choices use the names the export writes \
                             (e.g. fo_to_dataverse, enum, value_map); a value map is one cell such as "
                            <code>"Yes=1; No=0"</code>"."
                        </p>
                        {if d.can_edit && !d.map.deleted {
                            view! {
                                <ActionForm action=import attr:class="stack form-card wide" attr:data-testid="fields-import-form">
                                    <input type="hidden" name="map_id" value=map_id.to_string()/>
                                    <label>"Field mappings (CSV)"
                                        <TextArea name="csv" attr:rows="14" attr:required=true attr:spellcheck="false" attr:class="code"/>
                                    </label>
                                    <label>"Why (kept in each revision)" <input name="comment"/></label>
                                    <button type="submit" class="primary">"Import field mappings"</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <p class="empty">"Only editors and admins import field mappings, into maps that are not deleted."</p> }.into_any()
                        }}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// The maps of the selected environment, with their guidance.
#[component]
pub fn MapsPage() -> impl IntoView {
    let env = use_env_param();
    let starter = ServerAction::<ApplyStarterSet>::new();
    let list = Resource::new(
        move || (env.get(), starter.version().get()),
        |(env, _)| list_maps(env),
    );
    view! {
        <Layout title="Table maps" switcher=EnvironmentSwitcher>
            <p class="lead">
                "What syncs between F&O and Dataverse, which side owns it, and why. Every change is kept as a revision."
            </p>
            {move || action_error(starter.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let l = match list.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(l) => l,
                    };
                    let Some(environment) = l.environment else {
                        return view! {
                            <p class="empty">
                                "No environments yet. An admin adds them on the "
                                <a href="/admin/environments">"Environments"</a>" page."
                            </p>
                        }.into_any();
                    };
                    let env_name = environment.name.clone();
                    let env_for_starter = env_name.clone();
                    let warning_total: usize = l.maps.iter().map(|m| m.warnings.len()).sum();
                    let empty = l.maps.is_empty();
                    let can_edit = l.can_edit;
                    view! {
                        <p class="context">
                            <strong>{environment.name.clone()}</strong>
                            {format!(" · {} map{} · {} open warning{}",
                                l.maps.len(), if l.maps.len() == 1 { "" } else { "s" },
                                warning_total, if warning_total == 1 { "" } else { "s" })}
                            {(!environment.legal_entities.is_empty()).then(|| format!(" · legal entities {}", environment.legal_entities.join(", ")))}
                        </p>
                        {(empty && !can_edit).then(|| view! {
                            <p class="empty">"No maps are documented in this environment yet. An editor can start from the runbook's starter set."</p>
                        })}
                        {(empty && can_edit).then(|| view! {
                            <div class="form-card">
                                <p>"This environment has no maps. Start from the maps the runbook recommends: customers, contacts and released products both ways; invoice headers and payment terms to Dataverse; quotes to F&O; and workers, vendors and financial dimensions documented as not synced."</p>
                                <ActionForm action=starter attr:class="inline">
                                    <input type="hidden" name="env" value=env_for_starter/>
                                    <button type="submit" class="primary">"Apply the starter set"</button>
                                </ActionForm>
                            </div>
                        })}
                        <div class="toolbar">
                            {can_edit.then(|| view! {
                                <a class="button" href=format!("/maps/new?env={env_name}")>"New map"</a>
                            })}
                            <a href=format!("/export/rulebook.md?env={}", percent_encode(&env_name, b"")) download="" rel="external">"Export rule book (Markdown)"</a>
                            <a href=format!("/export/maps.json?env={}", percent_encode(&env_name, b"")) download="" rel="external">"Export maps (JSON)"</a>
                            {can_edit.then(|| view! {
                                <a href=format!("/maps/import?env={}", percent_encode(&env_name, b""))>"Import maps"</a>
                            })}
                            <form method="get" action="/search" class="inline" role="search">
                                <input type="hidden" name="env" value=env_name.clone()/>
                                <input type="search" name="q" placeholder="Search maps, fields, rationale" aria-label="Search the rule book" size="30"/>
                                <button type="submit" class="secondary">"Search"</button>
                            </form>
                        </div>
                        {(!empty).then(|| view! {
                            <div class="table-wrap" tabindex="0" role="region" aria-label="Maps">
                            <table class="data" data-testid="maps-table">
                                <thead><tr><th>"Map"</th><th>"F&O entity ↔ Dataverse table"</th><th>"Direction"</th><th>"Owner"</th><th>"Initial sync"</th><th>"State"</th><th>"Warnings"</th></tr></thead>
                                <tbody>
                                {l.maps.into_iter().map(|item| {
                                    let m = item.map;
                                    let n = item.warnings.len();
                                    view! {
                                        <tr>
                                            <td><a href=format!("/maps/{}", m.id)>{m.content.name.clone()}</a></td>
                                            <td><code>{m.content.fo_entity.clone()}</code>" ↔ "<code>{m.content.dataverse_table.clone()}</code></td>
                                            <td>{m.content.direction.label()}</td>
                                            <td>{m.content.master_side.label()}</td>
                                            <td>{m.content.initial_sync.label()}</td>
                                            <td>{m.content.state.label()}</td>
                                            <td class:warn-cell={n > 0}>{if n == 0 { "—".to_string() } else { n.to_string() }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                        })}
                        {(!l.deleted.is_empty()).then(|| view! {
                            <h2>"Deleted maps"</h2>
                            <p class="muted">"Kept with their history; open one to restore a revision."</p>
                            <ul>
                                {l.deleted.into_iter().map(|m| view! {
                                    <li><a href=format!("/maps/{}/history", m.id)>{m.content.name}</a>" · deleted "{fmt_time(&m.updated_at)}</li>
                                }).collect_view()}
                            </ul>
                        })}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// Imports table maps, with their field mappings, from a maps document.
#[component]
pub fn MapsImportPage() -> impl IntoView {
    let env = use_env_param();
    let import = ServerAction::<ImportMaps>::new();
    let list = Resource::new(move || env.get(), list_maps);
    view! {
        <Layout title="Import table maps" switcher=EnvironmentSwitcher>
            {import_result()}
            {move || action_error(import.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let l = match list.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(l) => l,
                    };
                    let Some(environment) = l.environment else {
                        return view! { <p class="empty">"Add an environment first; maps belong to one."</p> }.into_any();
                    };
                    let name = environment.name.clone();
                    let export = format!("/export/maps.json?env={}", percent_encode(&name, b""));
                    view! {
                        <p class="lead">
                            "Paste a maps document (JSON, as "
                            <a href=export.clone() download="" rel="external">"Export maps (JSON)"</a>
                            " writes it). Maps are matched by name: new names are created, existing maps get a new \
                             revision where the document differs, and their field mappings are added or updated the \
                             same way. Nothing is removed, conflict rules are left alone, and one problem anywhere \
                             means nothing is imported."
                        </p>
                        <p class="context">{format!("Into {name} · {} now", crate::components::plural(l.maps.len(), "map", "maps"))}</p>
                        {if l.can_edit {
                            view! {
                                <ActionForm action=import attr:class="stack form-card wide" attr:data-testid="maps-import-form">
                                    <input type="hidden" name="env" value=name/>
                                    <label>"Maps document (JSON)"
                                        <TextArea name="document" attr:rows="16" attr:required=true attr:spellcheck="false" attr:class="code"/>
                                    </label>
                                    <label>"Why (kept in each revision)" <input name="comment" placeholder="Promoted from UAT"/></label>
                                    <button type="submit" class="primary">"Import maps"</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <p class="empty">"Only editors and admins import maps."</p> }.into_any()
                        }}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}
