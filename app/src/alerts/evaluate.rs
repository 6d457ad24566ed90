//! Evaluation: reading each rule's series from the stores that own the
//! data (the rollups, throughput, counts, reconciliations, collector runs,
//! map states), one step of each instance's state machine, and the
//! changes kept. The preview runs the same code over days of history.

use super::rule::{Aggregate, RuleContent, Watch};
use super::series::{self, Key, Point, Run, Series};
use super::state::{Instance, Notice, State};
use super::{AlertRule, HistoryRow, InstanceRow, Message};
use crate::db::{Conn, Pool};
use crate::error::AppError;
use crate::errors::server::AlertFilter;
use std::collections::BTreeMap;

const HOUR: i64 = 3600;

/// The series a rule reads, each instance's one or several (several are
/// combined by their worst value: the most silent collector, the largest
/// difference of any map).
pub type Gathered = BTreeMap<Key, Vec<Series>>;

fn secs(stored: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(stored)
        .ok()
        .map(|d| d.timestamp())
}

/// Reads the points `rule` needs in `[from, to)` (Unix seconds) from the
/// stores that own them, as one list per map (or collector, or `None` for
/// the environment when the source counts it whole).
async fn points(
    conn: &mut dyn Conn,
    environment_id: i64,
    rule: &RuleContent,
    maps: &[i64],
    (from, to): (i64, i64),
) -> Result<Vec<(Option<i64>, String, Point)>, AppError> {
    let whole = rule.map_id.is_none() && !rule.split_per_map;
    let filter = AlertFilter {
        maps: (!whole).then(|| maps.to_vec()),
        direction: rule.direction.map(|d| d.as_str()),
        category: rule.category.map(|c| c.as_str()),
    };
    let span = |at: i64, a: f64, b: f64| Point {
        at,
        span: HOUR,
        a,
        b,
    };
    let by_map = |m: Option<i64>, p: Point| (m, String::new(), p);
    let mut out = vec![];
    match rule.watch {
        Watch::Errors => {
            let rows = crate::errors::server::hourly_matching(
                conn,
                environment_id,
                &filter,
                (from, to + HOUR),
            )
            .await?;
            out.extend(
                rows.into_iter()
                    .map(|(m, h, n)| by_map(m, span(h, n as f64, 0.0))),
            );
        }
        Watch::NewGroups | Watch::OpenGroups => {
            let open = rule.watch == Watch::OpenGroups;
            for (m, first, closed) in
                crate::errors::server::group_spans(conn, environment_id, &filter, from).await?
            {
                if open || first >= from {
                    out.push(by_map(m, Point::event(first, 1.0)));
                }
                if let (true, Some(c)) = (open, closed) {
                    out.push(by_map(m, Point::event(c, -1.0)));
                }
            }
        }
        Watch::RecordsSynced | Watch::FailureRate => {
            let rate = rule.watch == Watch::FailureRate;
            for (m, h, synced, failed) in
                crate::throughput::server::hourly(conn, maps, (from, to + HOUR)).await?
            {
                let p = if rate {
                    span(h, failed as f64, (synced + failed) as f64)
                } else {
                    span(h, synced as f64, 0.0)
                };
                out.push(by_map(Some(m), p));
            }
        }
        Watch::CountDifference => {
            let range = (
                crate::db::db_time_secs(from),
                crate::db::db_time_secs(to + 1),
            );
            for (m, packed) in crate::counts::server::last_difference_per_period(
                conn,
                maps,
                crate::counts::server::Period::Minute,
                (&range.0, &range.1),
            )
            .await?
            {
                for cell in packed.split(',') {
                    let mut parts = cell.split(':');
                    if let (Some(Ok(at)), Some(Ok(d))) = (
                        parts.next().map(str::parse::<i64>),
                        parts.next().map(str::parse::<i64>),
                    ) {
                        out.push(by_map(Some(m), Point::event(at, d.abs() as f64)));
                    }
                }
            }
        }
        Watch::DriftRate => {
            let range = (
                crate::db::db_time_secs(from),
                crate::db::db_time_secs(to + 1),
            );
            for (m, at, records, differences) in
                crate::reconcile::server::drift_points(conn, maps, (&range.0, &range.1)).await?
            {
                if let Some(at) = secs(&at) {
                    let rate = differences as f64 * 100.0 / records.max(1) as f64;
                    out.push(by_map(
                        Some(m),
                        Point::event(at, (rate * 100.0).round() / 100.0),
                    ));
                }
            }
        }
        Watch::CollectorSilent => {
            for (collector, at) in
                crate::collectors::server::successes(conn, environment_id, from).await?
            {
                out.push((None, collector, Point::event(at, 0.0)));
            }
        }
        Watch::MapNotRunning => {
            for (m, at, state) in crate::maps::server::states_since(conn, maps, from).await? {
                out.push(by_map(
                    Some(m),
                    Point::event(at, f64::from(u8::from(state != "running"))),
                ));
            }
        }
    }
    Ok(out)
}

/// The start of the data a rule needs to be evaluated from `first_step`
/// on: its window, and four weeks more for a baseline.
pub fn data_from(rule: &RuleContent, first_step: i64) -> i64 {
    let baseline = matches!(rule.test, super::rule::Test::Baseline(_));
    first_step
        - rule.window_secs
        - if baseline {
            (super::baseline::DAYS + 1) * 24 * HOUR
        } else {
            0
        }
}

/// Reads a rule's series in `[from, to]`, keyed by instance. `maps` are
/// the environment's live maps (id, name).
pub async fn gather(
    conn: &mut dyn Conn,
    environment_id: i64,
    rule: &RuleContent,
    maps: &[(i64, String)],
    (from, to): (i64, i64),
) -> Result<Gathered, AppError> {
    let ids: Vec<i64> = match rule.map_id {
        Some(m) => vec![m],
        None => maps.iter().map(|(id, _)| *id).collect(),
    };
    let name_of = |m: i64| maps.iter().find(|(id, _)| *id == m).map(|(_, n)| n.clone());
    let mut lists: BTreeMap<Key, Vec<Point>> = BTreeMap::new();
    for (map, name, p) in points(conn, environment_id, rule, &ids, (from, to)).await? {
        let key = match map {
            Some(m) => Key {
                map_id: Some(m),
                name: name_of(m).unwrap_or_else(|| format!("map {m}")),
            },
            None => Key { map_id: None, name },
        };
        lists.entry(key).or_default().push(p);
    }
    let per_series = rule.map_id.is_some() || rule.split_per_map;
    let mut out = Gathered::new();
    if per_series {
        for (k, ps) in lists {
            out.insert(k, vec![Series::new(ps)]);
        }
        return Ok(out);
    }
    // The environment as one instance: counts and levels add up; latest
    // readings and silences are combined by the worst.
    let whole = match rule.watch.aggregate() {
        Aggregate::Sum | Aggregate::Ratio | Aggregate::Level => {
            vec![Series::new(lists.into_values().flatten().collect())]
        }
        Aggregate::Last | Aggregate::Hold | Aggregate::Since => {
            lists.into_values().map(Series::new).collect()
        }
    };
    out.insert(Key::whole(), whole);
    Ok(out)
}

/// Runs `rule` over one instance's series at `times`.
pub fn run_instance(
    rule: &RuleContent,
    series: &[Series],
    times: &[i64],
    start: Option<Instance>,
    now: i64,
    failure: Option<&str>,
) -> Run {
    match series {
        [one] => series::run(rule, one, times, start, now, failure),
        _ => series::run_worst(rule, series, times, start, now, failure),
    }
}

/// What one evaluation round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Round {
    /// Rules evaluated (those due).
    pub rules: usize,
    /// Instances evaluated.
    pub instances: usize,
    /// Changes of state kept.
    pub changes: usize,
    /// Notices: (rule id, series, notice, instance after).
    pub notices: Vec<(i64, Key, Notice, Instance)>,
    /// Notices a silence held.
    pub silenced: usize,
    /// Notifications queued (one per channel and notice, before grouping).
    pub queued: usize,
}

/// The notification of `notice` for one instance of `rule`, as every
/// channel renders it. `base_url` is the console's public address.
pub fn message(
    rule: &AlertRule,
    key: &Key,
    notice: Notice,
    i: &Instance,
    base_url: &str,
) -> Message {
    let c = &rule.content;
    Message {
        notice,
        rule: c.name.clone(),
        severity: c.severity,
        environment: rule.environment.clone(),
        // A series is a map, a collector (collector silence), or the
        // environment as a whole.
        map: match (key.map_id, key.name.is_empty()) {
            (Some(_), _) => Some(key.name.clone()),
            (None, false) => Some(format!("collector {}", key.name)),
            (None, true) => None,
        },
        value: i.value,
        unit: c.watch.unit().into(),
        condition: c.condition(match c.test {
            super::rule::Test::Fixed { threshold, .. } => Some(threshold),
            super::rule::Test::Baseline(_) => None,
        }),
        since: crate::db::db_time_secs(i.since),
        runbook: c.runbook.clone(),
        url: format!(
            "{}/alerts/rules/{}?series={}",
            base_url.trim_end_matches('/'),
            rule.id,
            crate::components::percent_encode(&key.name, b"")
        ),
    }
}

/// Evaluates every enabled rule that is due at `now` (its interval since
/// its last evaluation), stores each instance and its changes, and queues
/// the notifications for the rules' channels — unless a silence holds the
/// instance, which the history then names. A firing alert nobody
/// acknowledged notifies again after the channel's repeat interval. A rule
/// whose data cannot be read goes to Error (or as its rule says) rather
/// than stopping the round.
#[tracing::instrument(skip_all, fields(now))]
pub async fn round(pool: &Pool, now: i64, base_url: &str) -> Result<Round, AppError> {
    let mut conn = pool.acquire().await?;
    let rules: Vec<AlertRule> = super::server::all_live(&mut conn)
        .await?
        .into_iter()
        .filter(|r| r.content.enabled)
        .collect();
    let ids: Vec<i64> = rules.iter().map(|r| r.id).collect();
    let mut existing: BTreeMap<i64, Vec<InstanceRow>> = BTreeMap::new();
    for i in super::server::instances(&mut conn, &ids).await? {
        existing.entry(i.rule_id).or_default().push(i);
    }
    let channels = super::outbox::list(&mut conn).await?;
    let silences = super::server::live_silences(&mut conn, now).await?;
    let mut maps: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    let mut out = Round::default();
    let mut rows: Vec<InstanceRow> = vec![];
    let mut changes: Vec<HistoryRow> = vec![];
    let mut evaluated: Vec<i64> = vec![];
    let mut sends: Vec<(usize, String, Message)> = vec![];
    for rule in &rules {
        let mine = existing.remove(&rule.id).unwrap_or_default();
        // A few seconds' slack, so a rule every 5 minutes on a round every
        // minute is not pushed to 6 by the round's own duration.
        if rule
            .evaluated_at
            .is_some_and(|l| now - l < rule.content.interval_secs - 10)
        {
            continue;
        }
        out.rules += 1;
        evaluated.push(rule.id);
        if let std::collections::btree_map::Entry::Vacant(slot) = maps.entry(rule.environment_id) {
            slot.insert(crate::maps::server::names(&mut conn, rule.environment_id).await?);
        }
        let env_maps = &maps[&rule.environment_id];
        let from = data_from(&rule.content, now);
        let (gathered, failure) = match gather(
            &mut conn,
            rule.environment_id,
            &rule.content,
            env_maps,
            (from, now),
        )
        .await
        {
            Ok(g) => (g, None),
            Err(e) => {
                tracing::warn!(rule.id = rule.id, error = %e, "an alert rule's data could not be read");
                (Gathered::new(), Some(e.to_string()))
            }
        };
        let mut keys: BTreeMap<Key, (Vec<Series>, Option<InstanceRow>)> =
            gathered.into_iter().map(|(k, s)| (k, (s, None))).collect();
        if rule.content.map_id.is_none() && !rule.content.split_per_map {
            keys.entry(Key::whole()).or_default();
        }
        for i in mine {
            let key = Key {
                map_id: i.map_id,
                name: i.series.clone(),
            };
            keys.entry(key).or_default().1 = Some(i);
        }
        let targets: Vec<usize> = channels
            .iter()
            .enumerate()
            .filter(|(_, c)| rule.content.channels.contains(&c.id))
            .map(|(n, _)| n)
            .collect();
        let repeat = targets.iter().map(|n| channels[*n].repeat_secs).min();
        for (key, (series, prev)) in keys {
            let series = if series.is_empty() {
                vec![Series::default()]
            } else {
                series
            };
            let start = prev.as_ref().map(|p| p.instance.clone());
            let run = run_instance(
                &rule.content,
                &series,
                &[now],
                start,
                now,
                failure.as_deref(),
            );
            let Some(after) = run.last.clone() else {
                continue;
            };
            out.instances += 1;
            let labels = super::silence::Labels {
                environment: rule.environment.clone(),
                map: key.map_id.is_some().then(|| key.name.clone()),
                category: rule.content.category.map(|c| c.as_str().to_string()),
                severity: rule.content.severity.as_str().into(),
                rule: rule.content.name.clone(),
            };
            let silence = super::silence::silenced_by(&silences, &labels, now).map(|s| s.id);
            let notices: Vec<Notice> = run.notices.iter().map(|n| n.1).collect();
            let mut notified_at = prev.as_ref().and_then(|p| p.notified_at);
            let acknowledged = prev.as_ref().is_some_and(|p| p.acknowledged.is_some());
            // Firing and not acknowledged: again after the repeat interval,
            // or now if it never reached anyone (it fired before the rule
            // had a channel, or while a silence held it).
            let repeat_due = after.state == State::Firing
                && !acknowledged
                && repeat.is_some_and(|r| notified_at.is_none_or(|t| now - t >= r));
            // What to send: the notices, or a repeat; "resolved" only for
            // an alert people heard about.
            let mut sendable = notices.clone();
            if sendable.is_empty() && repeat_due {
                sendable.push(Notice::Firing);
            }
            if notified_at.is_none() {
                sendable.retain(|n| *n != Notice::Resolved);
            }
            for (at, state) in &run.changes {
                let notice = run.notices.iter().find(|n| n.0 == *at).map(|n| n.1);
                changes.push(HistoryRow {
                    rule_id: rule.id,
                    series: key.name.clone(),
                    at: *at,
                    state: *state,
                    value: after.value,
                    notice,
                    silence_id: notice.and(silence),
                    detail: match (state, &failure) {
                        (State::Error, Some(why)) => why.clone(),
                        _ => String::new(),
                    },
                });
            }
            for n in &notices {
                out.notices.push((rule.id, key.clone(), *n, after.clone()));
            }
            match silence {
                Some(_) => out.silenced += sendable.len(),
                None if !targets.is_empty() && !sendable.is_empty() => {
                    for n in &sendable {
                        for t in &targets {
                            if *n == Notice::Resolved && !channels[*t].send_resolved {
                                continue;
                            }
                            let m = message(rule, &key, *n, &after, base_url);
                            sends.push((*t, format!("rule:{}", rule.id), m));
                        }
                    }
                    notified_at = Some(now);
                }
                None => {}
            }
            if after.state == State::Normal {
                notified_at = None;
            }
            rows.push(InstanceRow {
                rule_id: rule.id,
                series: key.name.clone(),
                map_id: key.map_id,
                instance: after,
                evaluated_at: now,
                acknowledged: None,
                notified_at,
            });
        }
    }
    drop(conn);
    if evaluated.is_empty() {
        return Ok(out);
    }
    out.changes = changes.len();
    out.queued = sends.len();
    let mut tx = crate::db::begin_write(pool).await?;
    super::server::mark_evaluated(&mut tx, &evaluated, now).await?;
    for r in &rows {
        super::server::save_instance(&mut tx, r).await?;
    }
    for h in &changes {
        super::server::append_history(&mut tx, h).await?;
    }
    for (t, group, m) in &sends {
        super::outbox::enqueue(&mut tx, &channels[*t], group, std::slice::from_ref(m), now).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// The daily sweep of an environment's queue over the 24 hours before
/// `now`: entries, new groups, top categories and maps, and open groups
/// against the day before.
pub async fn sweep_message(
    conn: &mut dyn Conn,
    environment: &crate::environments::Environment,
    now: i64,
    base_url: &str,
) -> Result<super::channels::SweepMessage, AppError> {
    let at = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
    let sweep = crate::errors::server::sweep(conn, environment.id, at).await?;
    let before = now - 86_400;
    let spans =
        crate::errors::server::group_spans(conn, environment.id, &AlertFilter::default(), before)
            .await?;
    let open_now = spans
        .iter()
        .filter(|(_, _, closed)| closed.is_none())
        .count() as i64;
    let open_before = spans
        .iter()
        .filter(|(_, first, closed)| *first <= before && closed.is_none_or(|c| c > before))
        .count() as i64;
    Ok(super::channels::SweepMessage {
        environment: environment.name.clone(),
        since: sweep.since,
        entries: sweep.entries,
        new_groups: sweep
            .new_groups
            .into_iter()
            .map(|(_, c, pattern, n)| (c.label().to_string(), pattern, n))
            .collect(),
        top_categories: sweep
            .top_categories
            .into_iter()
            .map(|(c, n)| (c.label().to_string(), n))
            .collect(),
        top_maps: sweep.top_maps,
        open_now,
        open_before,
        url: format!(
            "{}/errors?env={}",
            base_url.trim_end_matches('/'),
            crate::components::percent_encode(&environment.name, b"")
        ),
    })
}

/// Queues the daily sweeps due at `now`; gives how many.
pub async fn send_sweeps(pool: &Pool, now: i64, base_url: &str) -> Result<usize, AppError> {
    let mut tx = crate::db::begin_write(pool).await?;
    let due = super::outbox::take_due_sweeps(&mut tx, now).await?;
    let all = crate::environments::server::list(&mut tx).await?;
    for (env_id, channel) in &due {
        let Some(env) = all.iter().find(|e| e.id == *env_id) else {
            continue;
        };
        let sweep = sweep_message(&mut tx, env, now, base_url).await?;
        super::outbox::enqueue_sweep(&mut tx, *channel, *env_id, &sweep, now).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// The thresholds of the enabled rules that watch `watch` in a trend
/// chart's scope (the environment as a whole, or one map), and the
/// periods they were pending or firing in `[from, to)`, for drawing on the
/// chart. A count's threshold is drawn only where it compares with the
/// chart's bars: a one-hour window on an hourly chart.
pub async fn overlays(
    conn: &mut dyn Conn,
    environment_id: i64,
    watch: Watch,
    map: Option<(i64, String)>,
    (from, to, step): (i64, i64, i64),
) -> Result<(Vec<crate::chart::Threshold>, Vec<crate::chart::Shade>), AppError> {
    use super::rule::Test;
    let rules = super::server::list(conn, environment_id, false).await?;
    let mut lines = vec![];
    let mut shades = vec![];
    for r in rules
        .iter()
        .filter(|r| r.content.enabled && r.content.watch == watch)
    {
        let c = &r.content;
        let series = match (&map, c.map_id, c.split_per_map) {
            (None, None, false) => String::new(),
            (Some((id, name)), Some(m), _) if *id == m => name.clone(),
            (Some((_, name)), None, true) => name.clone(),
            _ => continue,
        };
        let comparable =
            c.watch.aggregate() != Aggregate::Sum || (c.window_secs == HOUR && step == HOUR);
        if let (Test::Fixed { threshold, .. }, true) = (c.test, comparable) {
            lines.push(crate::chart::Threshold {
                value: threshold,
                label: format!("{}: fires {}", c.name, c.test_words()),
                color: super::chart::FIRING.into(),
            });
        }
        let stored = Run {
            changes: super::server::history(conn, r.id, from - 30 * 86_400, 2_000)
                .await?
                .into_iter()
                .rev()
                .filter(|h| h.series == series)
                .map(|h| (h.at, h.state))
                .collect(),
            ..Run::default()
        };
        let firing = stored.periods(&[State::Firing, State::Recovering]);
        shades.extend(
            super::chart::shades_of(
                &firing,
                &format!("Firing: {}", c.name),
                super::chart::FIRING,
                to,
            )
            .into_iter()
            .filter(|sh| sh.to > from && sh.from < to),
        );
    }
    Ok((lines, shades))
}

/// The longest preview, in days.
pub const PREVIEW_MAX_DAYS: i64 = 30;

/// Replays `rule` over the last `days` days of an environment's stored
/// data, every evaluation interval, from Normal: what it would have done.
#[tracing::instrument(skip_all, fields(environment.id = environment_id, days))]
pub async fn preview(
    conn: &mut dyn Conn,
    environment_id: i64,
    rule: &RuleContent,
    days: i64,
    now: i64,
) -> Result<super::Preview, AppError> {
    let days = days.clamp(1, PREVIEW_MAX_DAYS);
    let from = now - days * 86_400;
    let maps = crate::maps::server::names(conn, environment_id).await?;
    let gathered = gather(
        conn,
        environment_id,
        rule,
        &maps,
        (data_from(rule, from), now),
    )
    .await?;
    let times = series::times(from, now, rule.interval_secs);
    let mut out = super::Preview {
        days,
        steps: times.len(),
        ..Default::default()
    };
    let mut runs = vec![];
    let mut all = gathered;
    if all.is_empty() {
        // Nothing stored: still one instance, so the preview says what the
        // rule does with no data.
        all.insert(Key::whole(), vec![Series::default()]);
    }
    for (key, series) in all {
        let run = run_instance(rule, &series, &times, None, now, None);
        let firing = run.periods(&[State::Firing, State::Recovering]);
        let firing_secs = firing.iter().map(|(a, b)| b.unwrap_or(now) - a).sum();
        out.notifications += run.notices.len();
        out.series.push(super::PreviewSeries {
            name: if key.name.is_empty() {
                "The environment".into()
            } else {
                key.name.clone()
            },
            fired: run.notices.iter().filter(|n| n.1 == Notice::Firing).count(),
            firing_secs,
            notices: run.notices.len(),
            max: run
                .steps
                .iter()
                .filter_map(|s| s.value)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v)))),
            periods: firing,
        });
        runs.push(run);
    }
    // The series that fired longest (then the highest) first; the chart
    // shows the first.
    let mut order: Vec<usize> = (0..out.series.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&out.series[*a], &out.series[*b]);
        (y.firing_secs, y.max.unwrap_or(f64::MIN))
            .partial_cmp(&(x.firing_secs, x.max.unwrap_or(f64::MIN)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out.series = order.iter().map(|i| out.series[*i].clone()).collect();
    if let Some(first) = order.first() {
        let name = out.series[0].name.clone();
        out.chart = Some(super::chart::of_run(
            rule,
            &name,
            &runs[*first],
            (from, now),
            "alert-preview",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::server::Actor;

    const BASE: &str = "http://127.0.0.1:3000";

    async fn uat_rules(pool: &Pool) -> (crate::environments::Environment, i64, Vec<AlertRule>) {
        let mut conn = pool.acquire().await.unwrap();
        let (env, map) = crate::maps::server::uat_with_starter(&mut conn).await;
        super::super::server::apply_starter(&mut conn, &Actor::cli(), &env)
            .await
            .unwrap();
        let rules = super::super::server::list(&mut conn, env.id, false)
            .await
            .unwrap();
        (env, map, rules)
    }

    /// Stores `n` entries on Customers V3, one a minute from `at`.
    async fn errors_at(pool: &Pool, env: i64, map: i64, at: i64, n: i64) {
        let maps = std::collections::HashMap::from([("Customers V3".to_string(), map)]);
        let entries = (0..n)
            .map(|i| {
                let raw = crate::errors::server::RawEntry {
                    occurred_at: Some(crate::db::db_time_secs(at + i * 60)),
                    record_key: Some(format!("US-{i:03}")),
                    map: Some("Customers V3".into()),
                    message: Some("Request timed out after 120 seconds".into()),
                    ..Default::default()
                };
                crate::errors::server::check_entry(raw, &maps).unwrap()
            })
            .collect();
        let cli = Actor::cli();
        let origin = crate::errors::server::Origin {
            actor: &cli,
            source: crate::errors::Source::Api,
            source_ref: "",
        };
        crate::errors::server::store_batch(
            pool,
            &Default::default(),
            env,
            entries,
            origin,
            Default::default(),
            &mut |_| {},
            async |_, _| Ok(()),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_busy_hour_fires_the_errors_rule_per_map_and_a_restart_does_not_repeat_it() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let (env, map, rules) = uat_rules(&pool).await;
        let errors_rule = rules
            .iter()
            .find(|r| r.content.watch == Watch::Errors)
            .unwrap();
        // 12 entries from 10:00, on Customers V3.
        let hour = 1_780_000_000 / HOUR * HOUR;
        errors_at(&pool, env.id, map, hour, 12).await;
        let at = hour + 15 * 60;
        let first = round(&pool, at, BASE).await.unwrap();
        let fired: Vec<_> = first
            .notices
            .iter()
            .filter(|n| n.0 == errors_rule.id && n.2 == Notice::Firing)
            .collect();
        assert_eq!(fired.len(), 1, "{first:?}");
        assert_eq!(
            fired[0].1,
            Key {
                map_id: Some(map),
                name: "Customers V3".into()
            }
        );
        assert_eq!(fired[0].3.value, Some(12.0));
        // A second round within the interval evaluates nothing; one after
        // it (as after a restart: everything comes from the database) finds
        // the same state and notifies nobody again.
        assert_eq!(round(&pool, at + 60, BASE).await.unwrap().rules, 0);
        let again = round(&pool, at + 300, BASE).await.unwrap();
        assert!(
            again.notices.iter().all(|n| n.0 != errors_rule.id),
            "{again:?}"
        );
        let mut conn = pool.acquire().await.unwrap();
        let h = super::super::server::history(&mut conn, errors_rule.id, 0, 10)
            .await
            .unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].state, h[0].notice),
            (State::Firing, Some(Notice::Firing))
        );
        drop(conn);
        // Two hours on, the window is empty: it resolves after keep-firing-for.
        round(&pool, hour + 2 * HOUR + 5 * 60, BASE).await.unwrap();
        let done = round(&pool, hour + 2 * HOUR + 25 * 60, BASE).await.unwrap();
        assert!(
            done.notices
                .iter()
                .any(|n| n.0 == errors_rule.id && n.2 == Notice::Resolved),
            "{done:?}"
        );
    }

    #[tokio::test]
    async fn a_silent_collector_and_a_paused_map_fire() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let (env, map, rules) = uat_rules(&pool).await;
        let t0 = 1_780_000_000;
        let at = crate::db::db_time_secs(t0);
        let mut conn = pool.acquire().await.unwrap();
        crate::db::query(
            "insert into collector_runs (environment_id, collector, started_at, finished_at, outcome) values ($1, 'errors', $2, $3, 'ok')",
        )
        .bind(env.id)
        .bind(&at)
        .bind(&at)
        .execute(&mut *conn)
        .await
        .unwrap();
        crate::db::query("insert into map_state_observations (map_id, state, observed_at) values ($1, 'paused', $2)")
            .bind(map)
            .bind(&at)
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        let r = round(&pool, t0 + 20 * 60, BASE).await.unwrap();
        let rule = |w: Watch| rules.iter().find(|r| r.content.watch == w).unwrap().id;
        let fired = |id: i64| {
            r.notices
                .iter()
                .filter(|n| n.0 == id && n.2 == Notice::Firing)
                .count()
        };
        assert_eq!(fired(rule(Watch::CollectorSilent)), 1, "{r:?}");
        assert_eq!(fired(rule(Watch::MapNotRunning)), 1, "{r:?}");
        assert_eq!(fired(rule(Watch::DriftRate)), 0);
    }

    #[tokio::test]
    async fn notifications_go_to_the_rules_channels_repeat_until_acknowledged_and_a_silence_holds_them()
     {
        let (pool, _db) = crate::db::testing::test_pool().await;
        use crate::alerts::channels::ChannelKind;
        let (env, map, rules) = uat_rules(&pool).await;
        let rule = rules
            .iter()
            .find(|r| r.content.watch == Watch::Errors)
            .unwrap()
            .clone();
        let mut conn = pool.acquire().await.unwrap();
        let actor = Actor::cli();
        let (channel, _) = super::super::outbox::create(
            &mut conn,
            &actor,
            &(
                "Ops".into(),
                ChannelKind::Teams,
                "https://example.invalid/hook".into(),
            ),
            0,
        )
        .await
        .unwrap();
        let mut content = rule.content.clone();
        content.channels = vec![channel];
        super::super::server::update(&mut conn, &actor, rule.id, 1, &content, "notify Ops")
            .await
            .unwrap();
        drop(conn);
        let hour = 1_780_000_000 / HOUR * HOUR;
        errors_at(&pool, env.id, map, hour, 12).await;
        let queued = |r: &Round| r.queued;
        let fired = round(&pool, hour + 15 * 60, BASE).await.unwrap();
        assert_eq!(queued(&fired), 1, "{fired:?}");
        // Still firing: nothing more until the repeat interval (4 h), which
        // the errors keep it firing through.
        let quiet = round(&pool, hour + 20 * 60, BASE).await.unwrap();
        assert_eq!(queued(&quiet), 0);
        errors_at(&pool, env.id, map, hour + 4 * HOUR, 20).await;
        let repeat = round(&pool, hour + 4 * HOUR + 16 * 60, BASE).await.unwrap();
        assert_eq!(queued(&repeat), 1, "repeated after 4 h: {repeat:?}");
        // Acknowledged: no repeat.
        let mut conn = pool.acquire().await.unwrap();
        super::super::server::acknowledge(
            &mut conn,
            &actor,
            rule.id,
            "Customers V3",
            "on it",
            hour + 4 * HOUR + 17 * 60,
        )
        .await
        .unwrap();
        drop(conn);
        errors_at(&pool, env.id, map, hour + 8 * HOUR, 20).await;
        let acked = round(&pool, hour + 8 * HOUR + 20 * 60, BASE).await.unwrap();
        assert_eq!(queued(&acked), 0);
        // A silence on the map: the resolve is held, and the history names
        // the silence.
        let mut conn = pool.acquire().await.unwrap();
        let silence = crate::alerts::silence::Silence {
            id: 0,
            matchers: vec![crate::alerts::silence::Matcher {
                label: "map".into(),
                value: "customers v3".into(),
                negate: false,
            }],
            active: crate::alerts::silence::Active::Once {
                start: hour,
                end: hour + 48 * HOUR,
            },
            created_by: "cli".into(),
            comment: "patching".into(),
            expired_at: None,
        };
        let sid = super::super::server::create_silence(&mut conn, &actor, &silence, hour)
            .await
            .unwrap();
        drop(conn);
        round(&pool, hour + 10 * HOUR, BASE).await.unwrap();
        let held = round(&pool, hour + 10 * HOUR + 20 * 60, BASE)
            .await
            .unwrap();
        assert!(
            held.notices.iter().any(|n| n.2 == Notice::Resolved),
            "{held:?}"
        );
        assert_eq!((queued(&held), held.silenced), (0, 1));
        let mut conn = pool.acquire().await.unwrap();
        let h = super::super::server::history(&mut conn, rule.id, 0, 20)
            .await
            .unwrap();
        let resolved = h
            .iter()
            .find(|h| h.notice == Some(Notice::Resolved))
            .unwrap();
        assert_eq!(resolved.silence_id, Some(sid));
        // Never delivered here, so the repeat joined the first notification
        // still waiting: one notification, two alerts.
        let due = super::super::outbox::due(&mut conn, i64::MAX, 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            serde_json::from_str::<Vec<Message>>(&due[0].payload)
                .unwrap()
                .len(),
            2
        );
    }

    #[tokio::test]
    async fn the_daily_sweep_goes_once_a_day_at_its_time_with_the_last_24_hours() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        use crate::alerts::channels::{ChannelKind, SweepMessage};
        let (env, map, _) = uat_rules(&pool).await;
        let day = 1_780_000_000 / 86_400 * 86_400;
        errors_at(&pool, env.id, map, day + 6 * HOUR, 3).await;
        let mut conn = pool.acquire().await.unwrap();
        let actor = Actor::cli();
        let (channel, _) = super::super::outbox::create(
            &mut conn,
            &actor,
            &(
                "Ops".into(),
                ChannelKind::Teams,
                "https://example.invalid/hook".into(),
            ),
            0,
        )
        .await
        .unwrap();
        super::super::outbox::set_sweep(&mut conn, &actor, &env, Some((7 * 60 + 30, channel)))
            .await
            .unwrap();
        drop(conn);
        assert_eq!(
            send_sweeps(&pool, day + 7 * HOUR + 29 * 60, BASE)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            send_sweeps(&pool, day + 7 * HOUR + 31 * 60, BASE)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            send_sweeps(&pool, day + 9 * HOUR, BASE).await.unwrap(),
            0,
            "once a day"
        );
        assert_eq!(
            send_sweeps(&pool, day + 86_400 + 7 * HOUR + 30 * 60, BASE)
                .await
                .unwrap(),
            1
        );
        let mut conn = pool.acquire().await.unwrap();
        let due = super::super::outbox::due(&mut conn, i64::MAX, 10)
            .await
            .unwrap();
        assert_eq!(due[0].group_key, format!("sweep:{}", env.id));
        let sweep: Vec<SweepMessage> = serde_json::from_str(&due[0].payload).unwrap();
        assert_eq!(sweep[0].entries, 3);
        assert_eq!(sweep[0].new_groups.len(), 1);
        assert_eq!(sweep[0].top_maps, vec![("Customers V3".to_string(), 3)]);
        assert_eq!((sweep[0].open_now, sweep[0].open_before), (1, 0));
        assert!(sweep[0].open_line().contains("1 more than the day before"));
        assert!(sweep[0].url.ends_with("/errors?env=UAT"));
    }
}
