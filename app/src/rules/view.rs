//! The fields-and-rules part of a map page: the field table with each
//! field's rule, the rules with rationale and what enforces them, and the
//! editor forms (plain forms that also work without JavaScript); and the
//! import of a maps document with their field mappings.

use super::api::{
    DeleteFieldMapping, FieldForm, RestoreObject, SaveConflictRule, SaveFieldMapping,
    SetConflictRuleStatus, get_field_mapping, object_diff, object_history,
};
use super::{
    ConflictRule, Documented, EnforcedBy, FieldContent, FieldDirection, FieldEdit, FieldMapping,
    ObjectHistory, RuleStatus, Transform, ValueType, Winner,
};
use crate::auth::Role;
use crate::components::{ErrorBox, TextArea, action_error};
use crate::error::AppError;
use crate::layout::{Layout, RoleGate};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

fn options<T: Copy + PartialEq + Send + Sync + 'static>(
    all: &'static [T],
    value: fn(T) -> &'static str,
    text: fn(T) -> &'static str,
) -> impl IntoView {
    all.iter()
        .map(|v| view! { <option value=value(*v)>{text(*v)}</option> })
        .collect_view()
}

fn rule_summary(r: &ConflictRule) -> String {
    format!(
        "#{} {} ({})",
        r.id,
        r.winner.label(),
        r.status.label().to_lowercase()
    )
}

/// The actions of the fields-and-rules section. The map page owns them, so
/// its data refetches after each one (the server redirects back to the same
/// page, which the client router does not reload by itself).
#[derive(Clone, Copy)]
pub struct RuleActions {
    /// Add a field mapping.
    pub add_field: ServerAction<SaveFieldMapping>,
    /// Remove a field mapping.
    pub remove_field: ServerAction<DeleteFieldMapping>,
    /// Record a rule.
    pub add_rule: ServerAction<SaveConflictRule>,
    /// Change a rule's status.
    pub set_status: ServerAction<SetConflictRuleStatus>,
}

impl RuleActions {
    /// Creates the actions.
    pub fn new() -> Self {
        Self {
            add_field: ServerAction::new(),
            remove_field: ServerAction::new(),
            add_rule: ServerAction::new(),
            set_status: ServerAction::new(),
        }
    }

    /// Changes whenever any of the actions completes.
    pub fn version(&self) -> usize {
        self.add_field.version().get()
            + self.remove_field.version().get()
            + self.add_rule.version().get()
            + self.set_status.version().get()
    }
}

impl Default for RuleActions {
    fn default() -> Self {
        Self::new()
    }
}

/// Fields and rules of one map.
#[component]
pub fn FieldsAndRules(
    /// The map.
    map_id: i64,
    /// Its live field mappings.
    fields: Vec<FieldMapping>,
    /// Its live rules (default first).
    rules: Vec<ConflictRule>,
    /// Whether the viewer may edit.
    can_edit: bool,
    /// The section's actions, owned by the page.
    actions: RuleActions,
) -> impl IntoView {
    let RuleActions {
        add_field,
        remove_field,
        add_rule,
        set_status,
    } = actions;
    let default_rule = rules
        .iter()
        .find(|r| r.field_mapping_id.is_none() && r.status == RuleStatus::Accepted)
        .map(rule_summary);
    let field_rows = fields
        .clone()
        .into_iter()
        .map(|f| {
            let own = rules
                .iter()
                .filter(|r| {
                    r.field_mapping_id == Some(f.id)
                        && matches!(r.status, RuleStatus::Accepted | RuleStatus::Proposed)
                })
                .map(rule_summary)
                .collect::<Vec<_>>();
            let rule_text = if own.is_empty() {
                default_rule
                    .clone()
                    .map(|d| format!("map default: {d}"))
                    .unwrap_or_else(|| "no rule".into())
            } else {
                own.join("; ")
            };
            let c = f.content.clone();
            let transform = match c.transform {
                Transform::None => "—".to_string(),
                Transform::Default => format!("default '{}'", c.default_value),
                Transform::ValueMap => c
                    .value_map
                    .iter()
                    .map(|(a, b)| format!("{a} → {b}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            view! {
                <tr id=format!("field-{}", f.id)>
                    <td class="code-cell"><code>{c.fo_field.clone()}</code></td>
                    <td class="code-cell"><code>{c.dataverse_column.clone()}</code></td>
                    <td>{c.direction.label()}<span class="sub">{c.value_type.label()}</span></td>
                    <td class="code-cell">{transform}</td>
                    <td class="rule-cell">{rule_text}</td>
                    <td><div class="row-actions">
                        <a class="small" href=format!("/fields/{}/history", f.id) aria-label=format!("History of {}", c.label())>"History"</a>
                        {can_edit.then(|| view! {
                            <a class="small" href=format!("/fields/{}/edit", f.id) aria-label=format!("Edit {}", c.label())>"Edit"</a>
                            <ActionForm action=remove_field attr:class="inline">
                                <input type="hidden" name="field_id" value=f.id.to_string()/>
                                <input type="hidden" name="comment" value=""/>
                                <button type="submit" class="small secondary">"Remove"</button>
                            </ActionForm>
                        })}
                    </div></td>
                </tr>
            }
        })
        .collect_view();
    let field_choices = fields
        .iter()
        .map(|f| view! { <option value=f.id.to_string()>{f.content.label()}</option> })
        .collect_view();
    let rule_cards = rules.into_iter().map(|r| {
        let scope = r.field_label.clone().map(|f| format!("Override for {f}")).unwrap_or_else(|| "Map default".into());
        let flagged = r.winner == Winner::LastWrite;
        let closed = matches!(r.status, RuleStatus::Superseded | RuleStatus::Rejected);
        let id = r.id;
        view! {
            <div class="rule" class:closed=closed class:flagged=flagged id=format!("rule-{id}") data-testid="rule">
                <p class="rule-head">
                    <strong>{format!("#{id} · {scope}: {}", r.winner.label())}</strong>
                    <span class=format!("status status-{}", r.status.as_str())>{r.status.label()}</span>
                    {flagged.then(|| view! { <span class="flag">"Dangerous: prefer an explicit owner"</span> })}
                </p>
                <p class="enforced"><strong>{r.enforced_by.label()}": "</strong>{r.enforced_by.explanation()}</p>
                <div class="prose" inner_html=r.rationale_html.clone()></div>
                <p class="muted">
                    {format!("Decided by {} on {}", r.decided_by, r.decided_on)}
                    {r.superseded_by.map(|s| view! { " · superseded by " <a href=format!("#rule-{s}")>{format!("#{s}")}</a> })}
                    {(!r.supersedes.is_empty()).then(|| view! {
                        " · supersedes "
                        {r.supersedes.iter().map(|s| view! { <a href=format!("#rule-{s}")>{format!("#{s}")}</a>" " }).collect_view()}
                    })}
                    " · "<a href=format!("/rules/{id}/history")>{format!("history ({} revision{})", r.revision, if r.revision == 1 { "" } else { "s" })}</a>
                </p>
                {(can_edit && !closed).then(|| view! {
                    <ActionForm action=set_status attr:class="inline rule-status">
                        <input type="hidden" name="rule_id" value=id.to_string()/>
                        <select name="status" aria-label=format!("New status of rule #{id}")>
                            {options(RuleStatus::ALL, RuleStatus::as_str, RuleStatus::label)}
                        </select>
                        <input name="superseded_by" placeholder="by rule #" size="8" aria-label=format!("Rule that supersedes #{id}")/>
                        <button type="submit" class="small">"Set status"</button>
                    </ActionForm>
                })}
            </div>
        }
    }).collect_view();

    view! {
        <h3 id="fields">"Field mappings"</h3>
        <p class="toolbar">
            <a href=format!("/export/maps/{map_id}/fields.csv") download="" rel="external">"Export CSV"</a>
            {can_edit.then(|| view! { <a href=format!("/maps/{map_id}/import")>"Import CSV"</a> })}
        </p>
        {move || action_error(add_field.value().get())}
        {move || action_error(remove_field.value().get())}
        {if fields.is_empty() {
            view! { <p class="muted">"No field mappings documented yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Fields">
                <table class="data" data-testid="fields-table">
                    <thead><tr><th>"F&O field"</th><th>"Dataverse column"</th><th>"Direction · type"</th><th>"Transform"</th><th>"Rule"</th><th><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>{field_rows}</tbody>
                </table>
                </div>
            }.into_any()
        }}
        {can_edit.then(|| view! {
            <details class="add-form">
                <summary>"Add a field mapping"</summary>
                <ActionForm action=add_field attr:class="stack form-card wide" attr:data-testid="field-form">
                    <input type="hidden" name="map_id" value=map_id.to_string()/>
                    {field_inputs(None)}
                    <button type="submit" class="primary">"Add field mapping"</button>
                </ActionForm>
            </details>
        })}

        <h3 id="rules">"Conflict rules"</h3>
        <p class="muted">
            "Live dual-write has no conflict resolution: a write either succeeds on both sides or rolls back on both. \
             Each rule below says what, if anything, enforces it."
        </p>
        {move || action_error(add_rule.value().get())}
        {move || action_error(set_status.value().get())}
        <div class="rules" data-testid="rules">{rule_cards}</div>
        {can_edit.then(|| view! {
            <details class="add-form">
                <summary>"Record a conflict rule"</summary>
                <ActionForm action=add_rule attr:class="stack form-card wide" attr:data-testid="rule-form">
                    <input type="hidden" name="map_id" value=map_id.to_string()/>
                    <label>"Applies to"
                        <select name="field">
                            <option value="">"The whole map (default rule)"</option>
                            {field_choices}
                        </select>
                    </label>
                    <div class="two">
                        <label>"Winner" <select name="winner">{options(Winner::ALL, Winner::as_str, Winner::label)}</select></label>
                        <label>"Enforced by" <select name="enforced_by">{options(EnforcedBy::ALL, EnforcedBy::as_str, EnforcedBy::label)}</select></label>
                    </div>
                    <label>"Status"
                        <select name="status">
                            <option value="proposed">"Proposed"</option>
                            <option value="accepted">"Accepted"</option>
                        </select>
                    </label>
                    <label>"Rationale (Markdown, required)" <TextArea name="rationale" attr:rows="4" attr:required=true/></label>
                    <button type="submit" class="primary">"Record rule"</button>
                </ActionForm>
            </details>
        })}
    }
    .into_any()
}

/// The inputs of the field-mapping form, filled from `current` when editing.
fn field_inputs(current: Option<&FieldContent>) -> impl IntoView + use<> {
    use crate::maps::view::select;
    let f = current.map(FieldForm::from).unwrap_or_default();
    let (direction, value_type, transform) = current
        .map(|c| (c.direction, c.value_type, c.transform))
        .unwrap_or((FieldDirection::Both, ValueType::Text, Transform::None));
    view! {
        <div class="two">
            <label>"F&O field" <input name="field[fo_field]" required placeholder="CreditLimit" value=f.fo_field/></label>
            <label>"Dataverse column" <input name="field[dataverse_column]" required placeholder="creditlimit" value=f.dataverse_column/></label>
        </div>
        <div class="two">
            {select("field[direction]", "Direction", FieldDirection::ALL, direction, FieldDirection::as_str, FieldDirection::label)}
            {select("field[value_type]", "Value type", ValueType::ALL, value_type, ValueType::as_str, ValueType::label)}
        </div>
        <div class="two">
            {select("field[transform]", "Transform", Transform::ALL, transform, Transform::as_str, Transform::label)}
            <label>"Default value (for a default transform)" <input name="field[default_value]" value=f.default_value/></label>
        </div>
        <label>"Value map (for a value-map transform): one F&O value = Dataverse value per line"
            <TextArea name="field[value_map]" text=f.value_map attr:rows="3" attr:placeholder="Yes = 1\nNo = 0"/>
        </label>
        <label>"Why (kept in the history)" <input name="comment"/></label>
    }
}

fn object_id() -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|v| v.parse().ok()))
}

/// Which kind of object the current address is about (`/fields/…`, `/rules/…`).
fn documented_kind() -> Memo<Documented> {
    let location = use_location();
    Memo::new(move |_| {
        if location.pathname.read().starts_with("/rules/") {
            Documented::Rule
        } else {
            Documented::Field
        }
    })
}

/// Edits one field mapping in place; saving makes the next revision.
#[component]
pub fn FieldEditPage() -> impl IntoView {
    let id = object_id();
    let save = ServerAction::<SaveFieldMapping>::new();
    let field = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_field_mapping(id).await,
                None => Err(AppError::not_found("That field mapping")),
            }
        },
    );
    view! {
        <Layout title="Edit field mapping">
            <RoleGate needed=Role::Editor action="edit field mappings">
                {move || action_error(save.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let FieldEdit { field, map_name } = match field.await {
                            Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                            Ok(f) => f,
                        };
                        let map_id = field.map_id;
                        view! {
                            <p class="context">
                                <a href=format!("/maps/{map_id}#field-{}", field.id)>{map_name}</a>
                                {format!(" · editing revision {} of {}", field.revision, field.content.label())}
                                " · "<a href=format!("/fields/{}/history", field.id)>"history"</a>
                            </p>
                            <ActionForm action=save attr:class="stack form-card wide" attr:data-testid="field-edit-form">
                                <input type="hidden" name="map_id" value=map_id.to_string()/>
                                <input type="hidden" name="field_id" value=field.id.to_string()/>
                                <input type="hidden" name="expected_revision" value=field.revision.to_string()/>
                                {field_inputs(Some(&field.content))}
                                <button type="submit" class="primary">"Save field mapping"</button>
                            </ActionForm>
                        }.into_any()
                    })}
                </Transition>
            </RoleGate>
        </Layout>
    }
}

/// Every revision of a field mapping or conflict rule: compare or restore.
#[component]
pub fn ObjectHistoryPage() -> impl IntoView {
    let id = object_id();
    let kind = documented_kind();
    let restore = ServerAction::<RestoreObject>::new();
    let history = Resource::new(
        move || (kind.get(), id.get(), restore.version().get()),
        |(kind, id, _)| async move {
            match id {
                Some(id) => object_history(kind.as_str().into(), id).await,
                None => Err(AppError::not_found(kind.label())),
            }
        },
    );
    view! {
        <Layout title="History">
            {move || action_error(restore.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let h = match history.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(h) => h,
                    };
                    let newest = h.revisions.first().map(|r| r.revision).unwrap_or(1);
                    let base = format!("/{}/{}", h.kind.as_str(), h.id);
                    let (kind, id, can_edit) = (h.kind, h.id, h.can_edit);
                    view! {
                        {object_context(&h)}
                        {crate::maps::view::revision_table(format!("{base}/diff"), h.revisions, h.revision, h.removed, can_edit)}
                        {can_edit.then(|| (1..=newest).map(|rev| view! {
                            <ActionForm action=restore attr:id=format!("restore-{rev}") attr:class="hidden-form">
                                <input type="hidden" name="kind" value=kind.as_str()/>
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="revision" value=rev.to_string()/>
                            </ActionForm>
                        }).collect_view())}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

fn object_context(h: &ObjectHistory) -> impl IntoView + use<> {
    let anchor = match h.kind {
        Documented::Field => format!("field-{}", h.id),
        Documented::Rule => format!("rule-{}", h.id),
    };
    view! {
        <p class="context">
            <a href=format!("/maps/{}", h.map_id)>{h.map_name.clone()}</a>
            " · "
            <a href=format!("/maps/{}#{anchor}", h.map_id)>{format!("{}: {}", h.kind.label(), h.title)}</a>
            {format!(" · {} revision{}", h.revisions.len(), if h.revisions.len() == 1 { "" } else { "s" })}
            {h.removed.then_some(" · removed from the map")}
        </p>
    }
}

/// The changes between two revisions of a field mapping or rule.
#[component]
pub fn ObjectDiffPage() -> impl IntoView {
    let id = object_id();
    let kind = documented_kind();
    let query = use_query_map();
    let args = move || {
        let q = query.read();
        let n = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
        (kind.get(), id.get(), n("from"), n("to"))
    };
    let diff = Resource::new(args, |(kind, id, from, to)| async move {
        match (id, from, to) {
            (Some(id), Some(from), Some(to)) => {
                object_diff(kind.as_str().into(), id, from, to).await
            }
            _ => Err(AppError::validation(
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
                    let history = format!("/{}/{}/history", d.object.kind.as_str(), d.object.id);
                    view! {
                        {object_context(&d.object)}
                        <p class="muted">
                            {format!("Revision {} → revision {} · ", d.from, d.to)}
                            <a href=history>"history"</a>
                        </p>
                        {crate::maps::view::changes_table(d.from, d.to, d.changes)}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}
