//! The fields-and-rules part of a map page: the field table with each
//! field's rule, the rules with rationale and what enforces them, and the
//! editor forms (plain forms that also work without JavaScript).

use super::api::{DeleteFieldMapping, SaveConflictRule, SaveFieldMapping, SetConflictRuleStatus};
use super::{
    ConflictRule, EnforcedBy, FieldDirection, FieldMapping, RuleStatus, Transform, ValueType,
    Winner,
};
use crate::components::action_error;
use leptos::prelude::*;

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
    // After a successful hydrated save, clear the form so a second click
    // does not record the same thing twice. (Without JavaScript the page
    // reloads, which clears it anyway.)
    let field_form = NodeRef::<leptos::html::Form>::new();
    let rule_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(add_field.value().get(), Some(Ok(())))
            && let Some(form) = field_form.get()
        {
            form.reset();
        }
    });
    Effect::new(move |_| {
        if matches!(add_rule.value().get(), Some(Ok(())))
            && let Some(form) = rule_form.get()
        {
            form.reset();
        }
    });
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
                    <td><code>{c.fo_field.clone()}</code></td>
                    <td><code>{c.dataverse_column.clone()}</code></td>
                    <td>{c.direction.label()}</td>
                    <td>{c.value_type.label()}</td>
                    <td>{transform}</td>
                    <td>{rule_text}</td>
                    <td>
                        {can_edit.then(|| view! {
                            <ActionForm action=remove_field attr:class="inline">
                                <input type="hidden" name="field_id" value=f.id.to_string()/>
                                <input type="hidden" name="comment" value=""/>
                                <button type="submit" class="small secondary">"Remove"</button>
                            </ActionForm>
                        })}
                    </td>
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
        {move || action_error(add_field.value().get())}
        {move || action_error(remove_field.value().get())}
        {if fields.is_empty() {
            view! { <p class="muted">"No field mappings documented yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                <table class="data" data-testid="fields-table">
                    <thead><tr><th>"F&O field"</th><th>"Dataverse column"</th><th>"Direction"</th><th>"Type"</th><th>"Transform"</th><th>"Rule"</th><th></th></tr></thead>
                    <tbody>{field_rows}</tbody>
                </table>
                </div>
            }.into_any()
        }}
        {can_edit.then(|| view! {
            <details class="add-form">
                <summary>"Add a field mapping"</summary>
                <ActionForm action=add_field node_ref=field_form attr:class="stack form-card wide" attr:data-testid="field-form">
                    <input type="hidden" name="map_id" value=map_id.to_string()/>
                    <div class="two">
                        <label>"F&O field" <input name="field[fo_field]" required placeholder="CreditLimit"/></label>
                        <label>"Dataverse column" <input name="field[dataverse_column]" required placeholder="creditlimit"/></label>
                    </div>
                    <div class="two">
                        <label>"Direction" <select name="field[direction]">{options(FieldDirection::ALL, FieldDirection::as_str, FieldDirection::label)}</select></label>
                        <label>"Value type" <select name="field[value_type]">{options(ValueType::ALL, ValueType::as_str, ValueType::label)}</select></label>
                    </div>
                    <div class="two">
                        <label>"Transform" <select name="field[transform]">{options(Transform::ALL, Transform::as_str, Transform::label)}</select></label>
                        <label>"Default value (for a default transform)" <input name="field[default_value]"/></label>
                    </div>
                    <label>"Value map (for a value-map transform): one F&O value = Dataverse value per line"
                        <textarea name="field[value_map]" rows="3" placeholder="Yes = 1\nNo = 0"></textarea>
                    </label>
                    <label>"Why (kept in the history)" <input name="comment"/></label>
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
                <ActionForm action=add_rule node_ref=rule_form attr:class="stack form-card wide" attr:data-testid="rule-form">
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
                    <label>"Rationale (Markdown, required)" <textarea name="rationale" rows="4" required></textarea></label>
                    <button type="submit" class="primary">"Record rule"</button>
                </ActionForm>
            </details>
        })}
    }
    .into_any()
}
