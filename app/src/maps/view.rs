//! Table-map pages: the list of an environment's maps, the edit form (works
//! without JavaScript), history, diff and restore. The page of one map,
//! which also shows its fields, rules and reconciliation, is `rulebook`'s.

use super::api::{RestoreMap, SaveMap, get_table_map, map_diff, map_history};
use super::diff::Piece;
use super::{Direction, InitialSync, MapContent, MapForm, MapState, Side};
use crate::auth::Role;
use crate::components::{ErrorBox, TextArea, action_error, fmt_time};
use crate::environments::view::use_env_param;
use crate::layout::{Layout, RoleGate};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The map id in the address (`/maps/:id/…`).
pub fn map_id() -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|v| v.parse().ok()))
}

/// A labelled `<select>` with `current` chosen.
pub fn select<T: Copy + PartialEq + Send + Sync + 'static>(
    name: &'static str,
    label: &'static str,
    all: &'static [T],
    current: T,
    value: fn(T) -> &'static str,
    text: fn(T) -> &'static str,
) -> impl IntoView {
    view! {
        <label>{label}
            <select name=name>
                {all.iter().map(|v| view! {
                    <option value=value(*v) selected=*v == current>{text(*v)}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// The create/edit form. `/maps/new?env=…` creates; `/maps/:id/edit` edits.
#[component]
pub fn MapEditPage() -> impl IntoView {
    let id = map_id();
    let env = use_env_param();
    let save = ServerAction::<SaveMap>::new();
    let existing = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_table_map(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Layout title="Edit table map">
            <RoleGate needed=Role::Editor action="edit table maps">
                {move || action_error(save.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let detail = match existing.await {
                            Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                            Ok(d) => d,
                        };
                        let blank = MapContent {
                            name: String::new(),
                            fo_entity: String::new(),
                            dataverse_table: String::new(),
                            direction: Direction::Bidirectional,
                            not_synced_reason: String::new(),
                            master_side: Side::Fo,
                            fo_keys: String::new(),
                            dataverse_keys: String::new(),
                            initial_sync: InitialSync::DualWrite,
                            expected_records: None,
                            state: MapState::NotRunning,
                            tags: String::new(),
                            notes: String::new(),
                        };
                        let (c, env_name, map_id, revision) = match &detail {
                            Some(m) => (m.content.clone(), m.environment.clone(), Some(m.id), Some(m.revision)),
                            None => (blank, env.get().unwrap_or_default(), None, None),
                        };
                        let f = MapForm::from(&c);
                        view! {
                            <p class="context">
                                {match map_id {
                                    Some(_) => format!("Editing revision {} of '{}' in {env_name}", revision.unwrap_or(0), c.name),
                                    None => format!("New map in {env_name}"),
                                }}
                            </p>
                            <ActionForm action=save attr:class="stack form-card wide" attr:data-testid="map-form">
                                {map_id.map(|id| view! { <input type="hidden" name="map_id" value=id.to_string()/> })}
                                {revision.map(|r| view! { <input type="hidden" name="expected_revision" value=r.to_string()/> })}
                                <input type="hidden" name="env" value=env_name/>
                                <label>"Name" <input name="form[name]" required value=f.name/></label>
                                <div class="two">
                                    <label>"F&O data entity" <input name="form[fo_entity]" required value=f.fo_entity placeholder="CustCustomerV3Entity"/></label>
                                    <label>"Dataverse table" <input name="form[dataverse_table]" required value=f.dataverse_table placeholder="account"/></label>
                                </div>
                                <div class="two">
                                    {select("form[direction]", "Direction", Direction::ALL, c.direction, Direction::as_str, Direction::label)}
                                    {select("form[master_side]", "Owning side", Side::ALL, c.master_side, Side::as_str, Side::label)}
                                </div>
                                <label>"Why not synced (required when the direction is Not synced)"
                                    <input name="form[not_synced_reason]" value=f.not_synced_reason/>
                                </label>
                                <div class="two">
                                    <label>"F&O integration key fields" <input name="form[fo_keys]" value=f.fo_keys placeholder="CustomerAccount, dataAreaId"/></label>
                                    <label>"Dataverse key columns" <input name="form[dataverse_keys]" value=f.dataverse_keys placeholder="accountnumber, msdyn_company.cdm_companycode"/></label>
                                </div>
                                <div class="two">
                                    {select("form[initial_sync]", "Initial sync", InitialSync::ALL, c.initial_sync, InitialSync::as_str, InitialSync::label)}
                                    <label>"Expected records" <input name="form[expected_records]" inputmode="numeric" value=f.expected_records placeholder="250000"/></label>
                                </div>
                                <div class="two">
                                    {select("form[state]", "State", MapState::ALL, c.state, MapState::as_str, MapState::label)}
                                    <label>"Tags (comma-separated)" <input name="form[tags]" value=f.tags/></label>
                                </div>
                                <label>"Notes (Markdown)" <TextArea name="form[notes]" text=f.notes attr:rows="8"/></label>
                                <label>"What changed and why (kept in the history)" <input name="comment"/></label>
                                <button type="submit" class="primary">"Save"</button>
                            </ActionForm>
                        }.into_any()
                    })}
                </Transition>
            </RoleGate>
        </Layout>
    }
}

/// Every revision of a map: pick two to compare, or restore one.
#[component]
pub fn MapHistoryPage() -> impl IntoView {
    let id = map_id();
    let restore = ServerAction::<RestoreMap>::new();
    let history = Resource::new(
        move || (id.get(), restore.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => map_history(id).await,
                None => Err(crate::error::AppError::not_found("That table map")),
            }
        },
    );
    view! {
        <Layout title="Map history">
            {move || action_error(restore.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (map, revisions, can_edit) = match history.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(h) => h,
                    };
                    let id = map.id;
                    let current = map.revision;
                    let newest = revisions.first().map(|r| r.revision).unwrap_or(1);
                    view! {
                        <p class="context">
                            <a href=format!("/maps/{id}")>{map.content.name.clone()}</a>
                            {format!(" · {} revision{}", revisions.len(), if revisions.len() == 1 { "" } else { "s" })}
                            {map.deleted.then_some(" · deleted")}
                        </p>
                        {revision_table(format!("/maps/{id}/diff"), revisions, current, map.deleted, can_edit)}
                        // The restore forms live outside the GET form (forms cannot nest);
                        // each row's button targets its own form by id.
                        {can_edit.then(|| (1..=newest).map(|rev| view! {
                            <ActionForm action=restore attr:id=format!("restore-{rev}") attr:class="hidden-form">
                                <input type="hidden" name="map_id" value=id.to_string()/>
                                <input type="hidden" name="revision" value=rev.to_string()/>
                            </ActionForm>
                        }).collect_view())}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// The revision list of a history page: pick two revisions to compare (a
/// plain GET form to `diff_href`), or, for editors (`can_restore`),
/// restore one. Each restore button
/// submits the form with id `restore-N`, which the page renders outside
/// this one (forms cannot nest).
pub fn revision_table(
    diff_href: String,
    revisions: Vec<super::Revision>,
    current: i64,
    deleted: bool,
    can_restore: bool,
) -> impl IntoView {
    let newest = revisions.first().map(|r| r.revision).unwrap_or(1);
    let older = revisions.get(1).map(|r| r.revision).unwrap_or(newest);
    view! {
        <form method="get" action=diff_href class="history-form">
            <div class="table-wrap" tabindex="0" role="region" aria-label="History">
            <table class="data" data-testid="history-table">
                <thead><tr><th>"From"</th><th>"To"</th><th>"Revision"</th><th>"When"</th><th>"Who"</th><th>"Comment"</th><th></th></tr></thead>
                <tbody>
                {revisions.into_iter().map(|r| {
                    let rev = r.revision;
                    view! {
                        <tr>
                            <td><input type="radio" name="from" value=rev.to_string() checked=rev == older aria-label=format!("Compare from revision {rev}")/></td>
                            <td><input type="radio" name="to" value=rev.to_string() checked=rev == newest aria-label=format!("Compare to revision {rev}")/></td>
                            <td>{format!("{rev} · {}", r.action)}</td>
                            <td class="nowrap">{fmt_time(&r.created_at)}</td>
                            <td>{r.author}</td>
                            <td>{r.comment}</td>
                            <td>
                                {(can_restore && (rev != current || deleted)).then(|| view! {
                                    <button type="submit" class="small secondary" form=format!("restore-{rev}")>
                                        {format!("Restore revision {rev}")}
                                    </button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
                </tbody>
            </table>
            </div>
            <button type="submit">"Compare selected revisions"</button>
        </form>
    }
}

fn pieces(words: Vec<Piece>) -> impl IntoView {
    words
        .into_iter()
        .map(|p| match p {
            Piece::Same(s) => view! { <span>{s}</span> }.into_any(),
            Piece::Added(s) => view! { <ins>{s}</ins> }.into_any(),
            Piece::Removed(s) => view! { <del>{s}</del> }.into_any(),
        })
        .collect_view()
}

/// The changes between two revisions, field by field (word by word in text).
#[component]
pub fn MapDiffPage() -> impl IntoView {
    let id = map_id();
    let query = use_query_map();
    let args = move || {
        let q = query.read();
        let n = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
        (id.get(), n("from"), n("to"))
    };
    let diff = Resource::new(args, |(id, from, to)| async move {
        match (id, from, to) {
            (Some(id), Some(from), Some(to)) => map_diff(id, from, to).await,
            _ => Err(crate::error::AppError::validation(
                "from",
                "Pick two revisions to compare on the history page.",
            )),
        }
    });
    view! {
        <Layout title="Compare revisions">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match diff.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) => d,
                    };
                    let id = d.map.id;
                    view! {
                        <p class="context">
                            <a href=format!("/maps/{id}")>{d.map.content.name.clone()}</a>
                            {format!(" · revision {} → revision {}", d.from, d.to)}
                            " · "<a href=format!("/maps/{id}/history")>"history"</a>
                        </p>
                        {changes_table(d.from, d.to, d.changes)}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// The changes between revisions `from` and `to`, one row per changed field
/// (a word diff for text).
pub fn changes_table(from: i64, to: i64, changes: Vec<super::diff::FieldChange>) -> impl IntoView {
    if changes.is_empty() {
        view! { <p class="empty">"These revisions have the same content."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap" tabindex="0" role="region" aria-label="Differences between revisions">
            <table class="data diff" data-testid="diff-table">
                <thead><tr><th>"Field"</th><th>{format!("Revision {}", from)}</th><th>{format!("Revision {}", to)}</th></tr></thead>
                <tbody>
                {changes.into_iter().map(|c| match c.words {
                    Some(words) => view! {
                        <tr><th scope="row">{c.field}</th><td colspan="2" class="words">{pieces(words)}</td></tr>
                    }.into_any(),
                    None => view! {
                        <tr><th scope="row">{c.field}</th><td><del>{c.before}</del></td><td><ins>{c.after}</ins></td></tr>
                    }.into_any(),
                }).collect_view()}
                </tbody>
            </table>
            </div>
        }.into_any()
    }
}
