//! Server functions for after a run: its printable report, two runs of a
//! plan compared task by task, and taking a run's durations into the plan.
//! Anyone signed in reads the report and the comparison; editors and
//! admins change the plan (a revision and an audit entry, like any edit).

use super::{RunComparison, RunReport};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::super::report::{self, Line};
    use super::super::runs::{Decided, RunRecord};
    use super::super::{DurationChange, ReportRow, duration};
    use crate::zone;
    use chrono_tz::Tz;
    use std::collections::HashMap;

    /// "1 h 30 min", or empty for none.
    pub fn minutes(m: Option<i64>) -> String {
        m.map(duration::words).unwrap_or_default()
    }

    /// A task's report row.
    pub fn row(
        l: &Line<'_>,
        decided: &HashMap<String, Decided>,
        comments: &HashMap<String, (String, i64, String)>,
        tz: Tz,
    ) -> ReportRow {
        let t = l.task;
        ReportRow {
            id: t.id.clone(),
            title: t.title.clone(),
            kind: t.kind,
            owner: t.owner.clone(),
            status: l.state.status,
            status_words: report::status_words(t.kind, l.state.status),
            planned_start: zone::short(l.planned.0, tz),
            planned: duration::words((l.planned.1 - l.planned.0) / 60),
            actual_start: l
                .state
                .started_at
                .map(|s| zone::short(s, tz))
                .unwrap_or_default(),
            actual: minutes(l.took),
            over: l.over.map(report::signed).unwrap_or_default(),
            over_flag: l.over.is_some_and(|o| o >= 5),
            decided: report::decided_words(t, &l.state, decided.get(&t.id).copied()).into(),
            comment: comments
                .get(&t.id)
                .map(|(who, at, text)| format!("{text} — {who}, {}", zone::short(*at, tz)))
                .unwrap_or_default(),
        }
    }

    /// The run's figures for the report's head.
    pub fn facts(r: &RunRecord, lines: &[Line<'_>], tz: Tz) -> Vec<(String, String)> {
        let forward = || lines.iter().filter(|l| !l.task.rollback);
        let planned_end = forward()
            .map(|l| l.planned.1)
            .max()
            .unwrap_or(r.content.ends_at);
        let planned_start = forward()
            .map(|l| l.planned.0)
            .min()
            .unwrap_or(r.content.starts_at);
        let mut out = vec![(
            "Outcome".to_string(),
            match (r.outcome, r.ended_at) {
                (Some(o), Some(at)) => format!("{} {}", o.label(), zone::show(at, tz)),
                _ => "Still going on".into(),
            },
        )];
        out.push((
            "Planned".into(),
            format!(
                "{} → {} ({})",
                zone::show(planned_start, tz),
                zone::show(planned_end, tz),
                duration::span_words(planned_end - planned_start)
            ),
        ));
        if let Some(took) = report::elapsed(&r.content, &r.states) {
            out.push(("Took".into(), duration::words(took)));
        }
        let over: Vec<i64> = forward()
            .filter_map(|l| l.over)
            .filter(|&o| o >= 5)
            .collect();
        out.push((
            "Longer than planned".into(),
            if over.is_empty() {
                "No task".into()
            } else {
                format!(
                    "{} task{}, {} in all",
                    over.len(),
                    if over.len() == 1 { "" } else { "s" },
                    duration::words(over.iter().sum())
                )
            },
        ));
        let overrides = r
            .decided
            .values()
            .filter(|d| **d == Decided::Override)
            .count();
        if !r.silences.is_empty() {
            out.push((
                "Alert rules silenced".into(),
                r.content.silence_rules.join(", "),
            ));
        }
        out.push((
            "Gates overridden".into(),
            if overrides == 0 {
                "None".into()
            } else {
                overrides.to_string()
            },
        ));
        out
    }

    /// The changes as the report lists them.
    pub fn changes(changes: &[report::Adjustment]) -> Vec<DurationChange> {
        changes
            .iter()
            .map(|c| DurationChange {
                id: c.id.clone(),
                title: c.title.clone(),
                from: duration::words(c.from),
                to: duration::words(c.to),
            })
            .collect()
    }
}

/// A run's report: planned against actual per task, the gates with their
/// evidence and how they were decided, the whole log, and what the plan
/// should learn from it.
#[server(prefix = "/sfn", endpoint = "cutover_run_report")]
pub async fn cutover_run_report(id: i64) -> Result<RunReport, AppError> {
    use super::api::ssr as run_ssr;
    use super::report;
    use crate::auth::server::*;
    use crate::db::*;
    use crate::zone;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let now = run_ssr::now();
    let loaded = run_ssr::load_run(&mut conn, id, now).await?;
    let summary = loaded.summary(now);
    let run_ssr::Loaded {
        r,
        comments,
        environment,
        tz,
        ..
    } = loaded;
    let lines = report::lines(&r.content, &r.baseline, &r.states);
    let facts = ssr::facts(&r, &lines, tz);
    let mut stages: Vec<(String, Vec<super::ReportRow>)> = vec![];
    let mut rollback = vec![];
    for l in &lines {
        let row = ssr::row(l, &r.decided, &comments, tz);
        if l.task.rollback {
            rollback.push(row);
        } else if let Some((_, v)) = stages.iter_mut().find(|(s, _)| *s == l.task.stage) {
            v.push(row);
        } else {
            stages.push((l.task.stage.clone(), vec![row]));
        }
    }
    let mut events: Vec<super::EventLine> = super::runs::events(&mut conn, id, i64::MAX)
        .await?
        .iter()
        .map(|e| super::EventLine {
            at: zone::show(e.at, tz),
            actor: e.actor.clone(),
            what: run_ssr::event_words(&r, e),
            comment: e.comment.clone(),
        })
        .collect();
    events.reverse();
    let others = super::runs::of_plan(&mut conn, r.plan_id)
        .await?
        .into_iter()
        .filter(|o| o.id != id)
        .map(|o| (o.id, o.name))
        .collect();
    let (changes, plan_now) = match super::server::get(&mut conn, r.plan_id).await {
        Ok(plan) if !plan.deleted => (
            ssr::changes(&report::adjustments(&plan.content, &r.content, &r.states)),
            Some(plan.revision),
        ),
        Ok(_) | Err(AppError::NotFound { .. }) => (vec![], None),
        Err(e) => return Err(e),
    };
    Ok(RunReport {
        id,
        name: r.name.clone(),
        kind: r.kind,
        plan_id: r.plan_id,
        plan_name: r.content.name.clone(),
        plan_revision: r.plan_revision,
        environment,
        time_zone: tz.name().to_string(),
        window: format!(
            "{} → {}",
            zone::show(r.content.starts_at, tz),
            zone::show(r.content.ends_at, tz)
        ),
        started: format!(
            "Started {} by {}{}",
            zone::show(r.started_at, tz),
            r.started_by,
            r.rebaselined_at
                .map(|t| format!(" · re-baselined {}", zone::show(t, tz)))
                .unwrap_or_default()
        ),
        facts,
        summary,
        stages,
        rollback,
        events,
        others,
        changes,
        plan_now,
        can_edit: run_ssr::can_edit(),
    })
}

/// Run `with` (the earlier, such as a rehearsal) against run `id` (the
/// later, such as the live run), task by task: which took longer, and by
/// how much.
#[server(prefix = "/sfn", endpoint = "cutover_run_comparison")]
pub async fn cutover_run_comparison(id: i64, with: i64) -> Result<RunComparison, AppError> {
    use super::report;
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    if id == with {
        return Err(AppError::validation(
            "with",
            "Choose another run to compare this one with.",
        ));
    }
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let b = super::runs::get(&mut conn, id).await?;
    let a = super::runs::get(&mut conn, with).await?;
    let c = report::compare((&a.content, &a.states), (&b.content, &b.states));
    let longer = c
        .rows
        .iter()
        .filter(|r| r.delta().is_some_and(|d| d >= 5))
        .count();
    let shorter = c
        .rows
        .iter()
        .filter(|r| r.delta().is_some_and(|d| d <= -5))
        .count();
    let tasks = |n: usize| format!("{n} task{}", if n == 1 { "" } else { "s" });
    let verdict = format!(
        "{} took at least 5 min longer in {} than in {}, {} at least 5 min shorter.",
        tasks(longer),
        b.name,
        a.name,
        tasks(shorter)
    );
    let or_dash = |m: Option<i64>| m.map(super::duration::words).unwrap_or_else(|| "—".into());
    Ok(RunComparison {
        a: (a.id, a.name.clone()),
        b: (b.id, b.name.clone()),
        plan: (b.plan_id, b.content.name.clone()),
        elapsed: (or_dash(c.elapsed.0), or_dash(c.elapsed.1)),
        verdict,
        rows: c
            .rows
            .iter()
            .map(|r| super::CompareRow {
                id: r.id.clone(),
                title: r.title.clone(),
                stage: r.stage.clone(),
                planned: ssr::minutes(r.planned),
                a: ssr::minutes(r.a),
                b: ssr::minutes(r.b),
                delta: r.delta().map(report::signed).unwrap_or_default(),
                longer: r.delta().is_some_and(|d| d >= 5),
            })
            .collect(),
    })
}

/// Takes the durations a run showed wrong into its plan (editors and
/// admins): a new revision of the plan, with the changes in its comment.
/// `revision` is the plan revision the page showed, so a plan changed
/// since is not overwritten.
#[server(prefix = "/sfn", endpoint = "adopt_cutover_durations")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn adopt_cutover_durations(
    run: i64,
    revision: i64,
    comment: String,
) -> Result<(), AppError> {
    use super::report;
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit cutover plans")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let r = super::runs::get(&mut tx, run).await?;
    let plan = super::server::get(&mut tx, r.plan_id).await?;
    let changes = report::adjustments(&plan.content, &r.content, &r.states);
    if changes.is_empty() {
        return Err(AppError::Conflict(format!(
            "The plan's durations already match what {} took (within 5 minutes or a tenth).",
            r.name
        )));
    }
    let listed = changes
        .iter()
        .map(|c| {
            format!(
                "{} {} → {}",
                c.id,
                super::duration::compact(c.from),
                super::duration::compact(c.to)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let comment = match comment.trim() {
        "" => format!("Durations from {}: {listed}", r.name),
        c => format!("{c} (durations from {}: {listed})", r.name),
    };
    super::server::update(
        &mut tx,
        &Actor::user(&user, client_ip()),
        r.plan_id,
        revision,
        report::adopt(plan.content, &changes),
        &comment,
    )
    .await?;
    tx.commit().await?;
    super::api::ssr::back_to(r.plan_id, "");
    Ok(())
}
