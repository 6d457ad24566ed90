//! The weekly review page (`/review?env=NAME&week=YYYY-MM-DD`): one
//! printable report, with the note form for editors.

use super::Review;
use super::api::{SaveReviewNote, get_review};
use crate::components::{ErrorBox, TextArea, action_error, fmt_count, fmt_time, percent_encode};
use crate::environments::view::EnvironmentSwitcher;
use crate::environments::view::use_env_param;
use crate::layout::Layout;
use crate::trends::chart::ChartView;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The weekly admin review.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let env = use_env_param();
    let query = use_query_map();
    let week = Memo::new(move |_| query.read().get("week").filter(|w| !w.is_empty()));
    // The save goes back to the review with `saved=1` (also without JavaScript).
    let saved = Memo::new(move |_| query.read().get("saved").is_some());
    let save = ServerAction::<SaveReviewNote>::new();
    let review = Resource::new(
        move || (env.get(), week.get(), save.version().get()),
        |(e, w, _)| get_review(e, w),
    );
    view! {
        <Layout title="Weekly review" switcher=EnvironmentSwitcher>
            {move || action_error(save.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match review.await {
                        Err(e) => view! {
                            <ErrorBox error=e/>
                            <p><a href="/review">"Show the last 7 days"</a></p>
                        }.into_any(),
                        Ok(r) => review_view(r, save, saved.get_untracked()).into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

fn delta(this: i64, before: i64) -> String {
    match this - before {
        0 => "±0".into(),
        d if d > 0 => format!("+{}", fmt_count(d)),
        d => fmt_count(d),
    }
}

fn groups_table(
    list: Vec<super::GroupLine>,
    label: &'static str,
    testid: &'static str,
    empty: &'static str,
) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label><table class="data compact" data-testid=testid>
            <thead><tr><th>"Group"</th><th>"Category"</th><th>"Map"</th><th class="num">"Entries"</th><th>"State"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|g| view! {
                    <tr>
                        <td class="pattern"><a href=format!("/errors/groups/{}", g.id)>{g.pattern}</a></td>
                        <td><span class=format!("badge cat-{}", g.category.as_str())>{g.category.label()}</span></td>
                        <td>{g.map.unwrap_or_else(|| "—".into())}</td>
                        <td class="num">{fmt_count(g.entries)}</td>
                        <td>{g.state}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

fn review_view(r: Review, save: ServerAction<SaveReviewNote>, saved: bool) -> impl IntoView {
    let env_q = percent_encode(&r.environment, b"");
    let link = |week: &str| format!("/review?env={env_q}&week={week}");
    let prev = link(&r.previous_week);
    let next = r.next_week.as_deref().map(link);
    let csv = format!("/export/review.csv?env={env_q}&week={}", r.week);
    let chart_csv = format!(
        "/export/trends/errors/errors-by-category.csv?env={env_q}&range=custom&from={}&to={}",
        r.week, r.last_day
    );
    let total: i64 = r.categories.iter().map(|c| c.this_week).sum();
    let total_before: i64 = r.categories.iter().map(|c| c.previous).sum();
    let categories = r
        .categories
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <td><span class=format!("badge cat-{}", c.category.as_str())>{c.category.label()}</span></td>
                    <td class="num">{fmt_count(c.this_week)}</td>
                    <td class="num">{fmt_count(c.previous)}</td>
                    <td class="num" class:bad={c.this_week > c.previous}>{delta(c.this_week, c.previous)}</td>
                </tr>
            }
        })
        .collect_view();
    let drift = r
        .drift
        .iter()
        .map(|d| {
            view! {
                <tr>
                    <td><a href=format!("/maps/{}/reconcile", d.map_id)>{d.map.clone()}</a></td>
                    <td class="num">{d.run.map(|(_, n, x)| format!("{} of {} ({:.2} %)", fmt_count(x), fmt_count(n), x as f64 * 100.0 / n.max(1) as f64)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{d.count_difference.map(fmt_count).unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    let no_drift = r.drift.is_empty();
    let flows = r
        .throughput
        .iter()
        .map(|f| {
            view! {
                <tr>
                    <td>{f.map.clone()}</td>
                    <td class="num">{fmt_count(f.synced)}</td>
                    <td class="num">{fmt_count(f.failed)}</td>
                    <td class="num" class:bad={f.failed > 0}>{f.failure_rate().map(|r| format!("{r:.2} %")).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let no_flow = r.throughput.is_empty();
    let changes = r
        .changes
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <td class="nowrap">{fmt_time(&c.at)}</td>
                    <td>{c.author.clone()}</td>
                    <td>{format!("{} {}", c.action, c.object_type.replace('_', " "))}</td>
                    <td><a href=c.href()>{c.object.clone()}</a></td>
                    <td>{c.comment.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let no_changes = r.changes.is_empty();
    let note_text = r.note.as_ref().map(|n| n.body.clone()).unwrap_or_default();
    let note_html = r.note.as_ref().map(|n| n.html.clone());
    let note_meta = r.note.as_ref().map(|n| {
        format!(
            "Last saved by {} · {}",
            n.updated_by,
            fmt_time(&n.updated_at)
        )
    });
    let can_edit = r.can_edit;
    view! {
        <div class="review" data-testid="review">
            <nav class="toolbar" aria-label="Weeks">
                <a href=prev class="button small secondary">"← Previous week"</a>
                {next.map(|n| view! { <a href=n class="button small secondary">"Next week →"</a> })}
                <form method="get" action="/review" class="inline">
                    <input type="hidden" name="env" value=r.environment.clone()/>
                    <label>"Week starting " <input type="date" name="week" value=r.week.clone()/></label>
                    <button type="submit" class="small">"Show"</button>
                </form>
                <a href=csv class="button small" download>"Download CSV"</a>
            </nav>
            <p class="lead" data-testid="review-week">
                <strong>{r.environment.clone()}</strong>{format!(" · {} to {} (UTC)", r.week, r.last_day)}
            </p>

            <section>
                <h2>"Errors by category"</h2>
                <div class="table-wrap" tabindex="0" role="region" aria-label="Errors by category"><table class="data compact" data-testid="review-categories">
                    <thead><tr><th>"Category"</th><th class="num">"This week"</th><th class="num">"Week before"</th><th class="num">"Change"</th></tr></thead>
                    <tbody>{categories}</tbody>
                    <tfoot><tr><th>"All"</th><th class="num">{fmt_count(total)}</th><th class="num">{fmt_count(total_before)}</th><th class="num">{delta(total, total_before)}</th></tr></tfoot>
                </table></div>
                <ChartView chart=r.chart csv_href=chart_csv/>
            </section>

            <section>
                <h2>"Top 10 error groups"</h2>
                {groups_table(r.top_groups, "Top 10 error groups", "review-top-groups", "No errors this week.")}
            </section>
            <div class="two">
                <section>
                    <h2>"New groups"</h2>
                    {groups_table(r.new_groups, "New groups", "review-new-groups", "No new groups.")}
                </section>
                <section>
                    <h2>"Resolved groups"</h2>
                    {groups_table(r.resolved_groups, "Resolved groups", "review-resolved-groups", "None resolved.")}
                </section>
            </div>

            <section>
                <h2>"Maps with drift"</h2>
                {if no_drift {
                    view! { <p class="muted">"No differences: every reconciliation and count of the week was in step (or none ran)."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Maps with drift"><table class="data compact" data-testid="review-drift">
                            <thead><tr><th>"Map"</th><th class="num">"Last reconciliation: differing"</th><th class="num">"Count difference (F&O − Dataverse)"</th></tr></thead>
                            <tbody>{drift}</tbody>
                        </table></div>
                    }.into_any()
                }}
            </section>

            <section>
                <h2>"Throughput and failure rate"</h2>
                {if no_flow {
                    view! { <p class="muted">"No throughput recorded this week."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Throughput and failure rate"><table class="data compact" data-testid="review-throughput">
                            <thead><tr><th>"Map"</th><th class="num">"Synced"</th><th class="num">"Failed"</th><th class="num">"Failure rate"</th></tr></thead>
                            <tbody>{flows}</tbody>
                        </table></div>
                    }.into_any()
                }}
            </section>

            <section>
                <h2>"Rule-book changes"</h2>
                {if no_changes {
                    view! { <p class="muted">"The rule book did not change this week."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Rule-book changes"><table class="data compact" data-testid="review-changes">
                            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Object"</th><th>"Why"</th></tr></thead>
                            <tbody>{changes}</tbody>
                        </table></div>
                    }.into_any()
                }}
            </section>

            <section class="review-notes">
                <h2>"Review notes"</h2>
                {match note_html {
                    Some(html) => view! { <div class="prose note" data-testid="review-note" inner_html=html></div> }.into_any(),
                    None => view! { <p class="muted" data-testid="review-note">"No notes for this week yet."</p> }.into_any(),
                }}
                {saved.then(|| view! { <p class="ok-box" role="status">"Notes saved."</p> })}
                {note_meta.map(|m| view! { <p class="muted small" data-testid="review-note-meta">{m}</p> })}
                {if can_edit {
                    view! {
                        <ActionForm action=save attr:class="stack" attr:data-testid="review-note-form">
                            <input type="hidden" name="env" value=r.environment.clone()/>
                            <input type="hidden" name="week" value=r.week.clone()/>
                            <label>"Notes for this week (Markdown: decisions, owners, follow-ups)"
                                <TextArea name="body" text=note_text attr:rows="6" attr:maxlength=super::MAX_NOTE.to_string()/>
                            </label>
                            <button type="submit" class="primary">"Save notes"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! { <p class="muted">"Editors and admins write the notes."</p> }.into_any()
                }}
            </section>
        </div>
    }
}
