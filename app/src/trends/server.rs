//! Reading the chart data. Every chart reads a rollup — error groups'
//! hours or days, throughput hours or days, record counts and
//! reconciliation runs (one row per run) — so a chart costs a few thousand
//! rows at most, whatever the range.

use super::{
    Annotation, Chart, HOUR, Kind, PALETTE, Series, Shade, Span, TrendPage, TrendQuery,
    category_color, direction_color, resolve,
};
use crate::db::Conn;
use crate::db::db_time_secs as stored;
use crate::error::AppError;
use crate::errors::Category;
use chrono::DateTime;
use std::collections::{BTreeMap, HashMap};

/// Maps named in one chart, at most; the rest are summed as "Other maps".
const TOP_MAPS: usize = 8;

/// The wash of a cutover freeze on every chart (a slate blue, apart from
/// the alert colours and the series palette's first entries).
const FREEZE_COLOR: &str = "#5b6b9a";

/// What every chart of a page is read for.
struct Scope<'a> {
    env_id: i64,
    map: Option<i64>,
    span: Span,
    maps: &'a [(i64, String)],
    /// Every map of the environment, deleted ones too: their history
    /// stays in the charts.
    all_maps: &'a [i64],
    now: i64,
}

impl Scope<'_> {
    /// The maps the chart reads: the chosen one, else all of them.
    fn map_ids(&self) -> Vec<i64> {
        match self.map {
            Some(m) => vec![m],
            None => self.all_maps.to_vec(),
        }
    }

    fn map_name(&self, id: i64) -> String {
        self.maps
            .iter()
            .find(|(m, _)| *m == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("map {id}"))
    }

    fn per(&self) -> &'static str {
        if self.span.step == HOUR {
            "hour"
        } else {
            "day"
        }
    }

    /// Empty values for the range: `Some(0)` up to now, `None` after.
    fn zeros(&self) -> Vec<Option<f64>> {
        self.span
            .buckets()
            .into_iter()
            .map(|t| (t <= self.now).then_some(0.0))
            .collect()
    }
}

fn unix(stored: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(stored)
        .ok()
        .map(|d| d.timestamp())
}

/// Reads a chart page (`errors`, `throughput` or `drift`) for `q` at
/// `now` (Unix seconds).
#[tracing::instrument(skip(conn))]
pub async fn load(
    conn: &mut dyn Conn,
    page: &str,
    q: &TrendQuery,
    now: i64,
) -> Result<TrendPage, AppError> {
    let span = resolve(q, now).map_err(|m| AppError::validation("range", m))?;
    let env = crate::environments::server::named_or_first(conn, q.env.as_deref()).await?;
    let environments = crate::environments::server::list(conn)
        .await?
        .into_iter()
        .map(|e| e.name)
        .collect();
    // One read for both: the live maps (pickers, series names) and every
    // map, deleted ones too, whose history stays in the charts.
    let every = crate::maps::server::every_map(conn, env.id).await?;
    let maps: Vec<(i64, String)> = every
        .iter()
        .filter(|(_, _, deleted)| !deleted)
        .map(|(id, name, _)| (*id, name.clone()))
        .collect();
    if let Some(m) = q.map
        && !maps.iter().any(|(id, _)| *id == m)
    {
        return Err(AppError::validation(
            "map",
            format!(
                "Map {m} is not a table map of {}; pick one from the list.",
                env.name
            ),
        ));
    }
    let all_maps: Vec<i64> = every.iter().map(|(id, _, _)| *id).collect();
    let scope = Scope {
        env_id: env.id,
        map: q.map,
        span,
        maps: &maps,
        all_maps: &all_maps,
        now,
    };
    let mut notes = annotations(conn, &scope).await?;
    // Cutover freezes shade every chart, and their milestones mark it.
    let freezes = crate::cutover::runs::freezes(conn, env.id, span.from, span.to).await?;
    let freeze_shades: Vec<Shade> = freezes
        .iter()
        .map(|f| Shade {
            from: f.from,
            to: f.to,
            label: format!("Cutover freeze: {}", f.title),
            color: FREEZE_COLOR.into(),
        })
        .collect();
    notes.extend(freezes.into_iter().flat_map(|f| {
        f.milestones
            .into_iter()
            .filter(|(at, _)| (span.from..span.to).contains(at))
            .map(|(at, label)| Annotation { at, label })
    }));
    notes.sort_by_key(|a| std::cmp::Reverse(a.at));
    let mut charts = match page {
        "errors" => vec![
            errors_by_category(conn, &scope).await?,
            groups_new_resolved(conn, &scope).await?,
        ],
        "throughput" => {
            let mut charts = throughput(conn, &scope).await?;
            charts.push(latency(conn, &scope).await?);
            charts
        }
        "drift" => vec![
            count_difference(conn, &scope).await?,
            drift(conn, &scope).await?,
        ],
        other => return Err(AppError::not_found(format!("The chart page '{other}'"))),
    };
    // The rules that watch a chart draw their thresholds and firing periods
    // on it.
    let map = q
        .map
        .and_then(|m| maps.iter().find(|(id, _)| *id == m).cloned());
    for c in &mut charts {
        c.annotations = notes.clone();
        c.shades = freeze_shades.clone();
        use crate::alerts::rule::Watch;
        let watch = match c.key.as_str() {
            "errors-by-category" => Watch::Errors,
            "throughput" => Watch::RecordsSynced,
            "failure-rate" => Watch::FailureRate,
            "count-difference" => Watch::CountDifference,
            "drift" => Watch::DriftRate,
            _ => continue,
        };
        let (lines, shades) = crate::alerts::evaluate::overlays(
            conn,
            env.id,
            watch,
            map.clone(),
            (span.from, span.to, span.step),
        )
        .await?;
        c.thresholds = lines;
        c.shades.extend(shades);
    }
    let query = TrendQuery {
        env: Some(env.name.clone()),
        map: q.map,
        range: Some(q.range.clone().unwrap_or_else(|| "7d".into())),
        from: q.from.clone(),
        to: q.to.clone(),
    };
    Ok(TrendPage {
        environments,
        environment: env.name,
        maps,
        query,
        span,
        charts,
    })
}

/// Map state changes in the range, newest first, at most 12.
async fn annotations(conn: &mut dyn Conn, s: &Scope<'_>) -> Result<Vec<Annotation>, AppError> {
    let rows = crate::maps::server::state_changes(
        conn,
        s.env_id,
        s.map,
        (&stored(s.span.from), &stored(s.span.to)),
        12,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(map, state, at)| {
            Some(Annotation {
                at: unix(&at)?,
                label: format!("{map} → {}", state.replace('_', " ")),
            })
        })
        .collect())
}

/// The errors-by-category chart of a whole environment over `span` (the
/// weekly review shows it by day).
pub async fn errors_chart(
    conn: &mut dyn Conn,
    env_id: i64,
    span: Span,
    now: i64,
) -> Result<Chart, AppError> {
    let scope = Scope {
        env_id,
        map: None,
        span,
        maps: &[],
        all_maps: &[],
        now,
    };
    errors_by_category(conn, &scope).await
}

/// Error entries per hour or day, stacked by (effective) category.
async fn errors_by_category(conn: &mut dyn Conn, s: &Scope<'_>) -> Result<Chart, AppError> {
    let grain = if s.span.step == HOUR {
        crate::errors::server::Grain::Hour
    } else {
        crate::errors::server::Grain::Day
    };
    let rows =
        crate::errors::server::rollup(conn, s.env_id, s.map, grain, (s.span.from, s.span.to))
            .await?;
    let mut by_cat: HashMap<Category, Vec<Option<f64>>> = HashMap::new();
    for (start, c, n) in rows {
        let Some(i) = s.span.index(start) else {
            continue;
        };
        let values = by_cat.entry(c).or_insert_with(|| s.zeros());
        if let Some(v) = values.get_mut(i) {
            *v = Some(v.unwrap_or(0.0) + n as f64);
        }
    }
    let series = Category::ALL
        .iter()
        .filter_map(|c| {
            by_cat.remove(c).map(|values| Series {
                name: c.label().to_string(),
                color: category_color(*c).to_string(),
                values,
            })
        })
        .collect();
    Ok(Chart {
        key: "errors-by-category".into(),
        title: "Errors by category".into(),
        caption: format!(
            "Error entries per {} by when they occurred, stacked by category (an editor's category where one was set).",
            s.per()
        ),
        unit: format!("entries per {}", s.per()),
        percent: false,
        kind: Kind::Stacked,
        span: s.span,
        series,
        annotations: vec![],
        thresholds: vec![],
        shades: vec![],
    })
}

/// Error groups first seen, and groups resolved, per period.
async fn groups_new_resolved(conn: &mut dyn Conn, s: &Scope<'_>) -> Result<Chart, AppError> {
    let (from, to) = (stored(s.span.from), stored(s.span.to));
    let (first, resolved) =
        crate::errors::server::new_and_resolved_times(conn, s.env_id, s.map, (&from, &to)).await?;
    let count = |times: Vec<String>| {
        let mut v = s.zeros();
        for i in times
            .iter()
            .filter_map(|t| unix(t))
            .filter_map(|t| s.span.index(t))
        {
            if let Some(x) = v.get_mut(i) {
                *x = Some(x.unwrap_or(0.0) + 1.0);
            }
        }
        v
    };
    Ok(Chart {
        key: "groups-new-resolved".into(),
        title: "Error groups: new and resolved".into(),
        caption: "Groups whose first entry occurred in the period, and groups marked resolved in it (and still resolved).".into(),
        unit: format!("groups per {}", s.per()),
        percent: false,
        kind: Kind::Grouped,
        span: s.span,
        series: vec![
            Series { name: "New".into(), color: "#e15759".into(), values: count(first) },
            Series { name: "Resolved".into(), color: "#59a14f".into(), values: count(resolved) },
        ],
        annotations: vec![],
        thresholds: vec![],
        shades: vec![],
    })
}

/// Synced and failed per bucket, and the series colour.
type Flow = (Vec<i64>, Vec<i64>, String);

/// Records synced per period and the share that failed: per direction for
/// one map, per map (the busiest named, the rest summed) for all.
async fn throughput(conn: &mut dyn Conn, s: &Scope<'_>) -> Result<Vec<Chart>, AppError> {
    let grain = if s.span.step == HOUR { "hour" } else { "day" };
    let packed =
        crate::throughput::server::packed_flow(conn, &s.map_ids(), grain, (s.span.from, s.span.to))
            .await?;
    let rows: Vec<(i64, &str, i64, i64, i64)> = packed
        .iter()
        .flat_map(|(map, direction, cells)| {
            unpack(cells).map(move |[bucket, synced, failed]| {
                (*map, direction.as_str(), bucket, synced, failed)
            })
        })
        .collect();
    // Series key → (synced, failed) per bucket.
    let n = s.span.buckets().len();
    let mut sums: BTreeMap<String, Flow> = BTreeMap::new();
    let mut totals: HashMap<i64, i64> = HashMap::new();
    for (map_id, _, _, synced, failed) in &rows {
        *totals.entry(*map_id).or_default() += synced + failed;
    }
    let mut busiest: Vec<(i64, i64)> = totals.into_iter().collect();
    busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let named: Vec<i64> = busiest.iter().take(TOP_MAPS).map(|(m, _)| *m).collect();
    for (map_id, direction, bucket, synced, failed) in rows {
        let (name, color) = if s.map.is_some() {
            let label = if direction == "dataverse_to_fo" {
                "Dataverse → F&O"
            } else {
                "F&O → Dataverse"
            };
            (label.to_string(), direction_color(direction).to_string())
        } else if let Some(k) = named.iter().position(|m| *m == map_id) {
            (s.map_name(map_id), PALETTE[k % PALETTE.len()].to_string())
        } else {
            ("Other maps".to_string(), "#7f7f7f".to_string())
        };
        let e = sums
            .entry(name)
            .or_insert_with(|| (vec![0; n], vec![0; n], color));
        if let Some(i) = s.span.index(bucket) {
            e.0[i] += synced;
            e.1[i] += failed;
        }
    }
    // Named maps busiest first, "Other maps" last.
    let mut order: Vec<(String, Flow)> = sums.into_iter().collect();
    order.sort_by_key(|(name, _)| {
        if s.map.is_some() {
            (0, name.clone())
        } else {
            let pos = named
                .iter()
                .position(|m| s.map_name(*m) == *name)
                .unwrap_or(usize::MAX);
            (pos, name.clone())
        }
    });
    let zeros = s.zeros();
    let mut synced = Vec::new();
    let mut rate = Vec::new();
    for (name, (ok, bad, color)) in order {
        // Zeros from the series' first data on; before it, nothing was
        // collected yet, which is not the same as nothing synced.
        let first = (0..n).find(|i| ok[*i] + bad[*i] > 0).unwrap_or(n);
        synced.push(Series {
            name: name.clone(),
            color: color.clone(),
            values: zeros
                .iter()
                .enumerate()
                .map(|(i, z)| z.filter(|_| i >= first).map(|_| ok[i] as f64))
                .collect(),
        });
        rate.push(Series {
            name,
            color,
            values: (0..n)
                .map(|i| {
                    let all = ok[i] + bad[i];
                    (all > 0).then(|| bad[i] as f64 * 100.0 / all as f64)
                })
                .collect(),
        });
    }
    let who = if s.map.is_some() {
        "per direction"
    } else {
        "per map (the busiest named, the rest summed)"
    };
    Ok(vec![
        Chart {
            key: "throughput".into(),
            title: "Records synced".into(),
            caption: format!("Records that dual-write synced per {}, {who}.", s.per()),
            unit: format!("records per {}", s.per()),
            percent: false,
            kind: Kind::Lines,
            span: s.span,
            series: synced,
            annotations: vec![],
            thresholds: vec![],
            shades: vec![],
        },
        Chart {
            key: "failure-rate".into(),
            title: "Failure rate".into(),
            caption: format!(
                "Failed records as a share of all records dual-write handled in the {}, {who}; no point where nothing moved.",
                s.per()
            ),
            unit: "% of records failed".into(),
            percent: true,
            kind: Kind::Lines,
            span: s.span,
            series: rate,
            annotations: vec![],
            thresholds: vec![],
            shades: vec![],
        },
    ])
}

/// The `a:b:c` cells of a `string_agg`. sqlx hands SQLite rows over
/// one at a time, a few microseconds each, so the charts that read
/// thousands of periods get one packed text per map (and direction)
/// instead: a week by hour for 20 maps took 43 ms to read as rows.
fn unpack(cells: &str) -> impl Iterator<Item = [i64; 3]> + '_ {
    cells.split(',').filter_map(|cell| {
        let mut values = cell.split(':').map(str::parse::<i64>);
        Some([
            values.next()?.ok()?,
            values.next()?.ok()?,
            values.next()?.ok()?,
        ])
    })
}

/// Sync latency where clients sent it: p50 and p95 for one map, p95 per
/// map for all, from the periods' latency histograms (a percentile is the
/// upper bound of its power-of-two slot).
async fn latency(conn: &mut dyn Conn, s: &Scope<'_>) -> Result<Chart, AppError> {
    let grain = if s.span.step == HOUR { "hour" } else { "day" };
    let packed = crate::throughput::server::packed_latency(
        conn,
        &s.map_ids(),
        grain,
        (s.span.from, s.span.to),
    )
    .await?;
    let n = s.span.buckets().len();
    // Map → (p50, p95) per period; both directions' slots add up.
    let mut per: BTreeMap<i64, [Vec<Option<f64>>; 2]> = BTreeMap::new();
    for (map, cells) in &packed {
        let mut hist = vec![[0i64; crate::throughput::SLOTS]; n];
        for [bucket, slot, count] in unpack(cells) {
            if let (Some(i), Ok(slot)) = (s.span.index(bucket), usize::try_from(slot))
                && let Some(cell) = hist[i].get_mut(slot)
            {
                *cell += count;
            }
        }
        let quantile = |p: f64| -> Vec<Option<f64>> {
            hist.iter()
                .map(|h| crate::throughput::percentile(h, p))
                .collect()
        };
        per.insert(*map, [quantile(0.5), quantile(0.95)]);
    }
    let series = match s.map {
        Some(map) => per
            .remove(&map)
            .map(|[p50, p95]| {
                vec![
                    Series {
                        name: "p50".into(),
                        color: "#59a14f".into(),
                        values: p50,
                    },
                    Series {
                        name: "p95".into(),
                        color: "#e15759".into(),
                        values: p95,
                    },
                ]
            })
            .unwrap_or_default(),
        None => top_series(
            per.into_iter().map(|(map, [_, p95])| (map, p95)).collect(),
            s,
        ),
    };
    let what = if s.map.is_some() {
        "median and 95th percentile"
    } else {
        "95th percentile per map"
    };
    Ok(Chart {
        key: "latency".into(),
        title: "Sync latency".into(),
        caption: format!(
            "Time from a change to its sync, {what} per {}, where clients sent it with the throughput API (latency_ms); the collectors cannot see it.",
            s.per()
        ),
        unit: "milliseconds (at most)".into(),
        percent: false,
        kind: Kind::Lines,
        span: s.span,
        series,
        annotations: vec![],
        thresholds: vec![],
        shades: vec![],
    })
}

/// Puts each `(map, stored time, value)` in its period, per map; a later
/// value of the same period replaces an earlier one.
fn by_map(
    points: impl IntoIterator<Item = (i64, String, f64)>,
    s: &Scope<'_>,
) -> Vec<(i64, Vec<Option<f64>>)> {
    let n = s.span.buckets().len();
    let mut per: BTreeMap<i64, Vec<Option<f64>>> = BTreeMap::new();
    for (map, at, value) in points {
        if let Some(i) = unix(&at).and_then(|t| s.span.index(t)) {
            per.entry(map).or_insert_with(|| vec![None; n])[i] = Some(value);
        }
    }
    per.into_iter().collect()
}

/// Picks the series worth naming: the chosen map's, or the maps with the
/// largest absolute values, at most [`TOP_MAPS`] + 2.
fn top_series(mut per_map: Vec<(i64, Vec<Option<f64>>)>, s: &Scope<'_>) -> Vec<Series> {
    let peak = |v: &Vec<Option<f64>>| v.iter().flatten().fold(0f64, |a, b| a.max(b.abs()));
    per_map.sort_by(|a, b| peak(&b.1).total_cmp(&peak(&a.1)).then(a.0.cmp(&b.0)));
    per_map
        .into_iter()
        .take(TOP_MAPS + 2)
        .enumerate()
        .map(|(k, (id, values))| Series {
            name: s.map_name(id),
            color: PALETTE[k % PALETTE.len()].to_string(),
            values,
        })
        .collect()
}

/// F&O minus Dataverse record counts per map, the last count of each
/// period.
async fn count_difference(conn: &mut dyn Conn, s: &Scope<'_>) -> Result<Chart, AppError> {
    // The last count of each period per map (SQLite takes the bare
    // columns from the row with the max), from the covering index, packed
    // per map (see `unpack`).
    let packed = crate::counts::server::last_difference_per_period(
        conn,
        &s.map_ids(),
        if s.span.step == HOUR {
            crate::counts::server::Period::Hour
        } else {
            crate::counts::server::Period::Day
        },
        (&stored(s.span.from), &stored(s.span.to)),
    )
    .await?;
    let n = s.span.buckets().len();
    let per: Vec<(i64, Vec<Option<f64>>)> = packed
        .iter()
        .map(|(map, cells)| {
            let mut values = vec![None; n];
            for [at, difference, _] in unpack(cells) {
                if let Some(i) = s.span.index(at) {
                    values[i] = Some(difference as f64);
                }
            }
            (*map, values)
        })
        .collect();
    Ok(Chart {
        key: "count-difference".into(),
        title: "Record count difference".into(),
        caption: format!(
            "F&O records minus Dataverse records per map (all legal entities), the last count of each {}; 0 is in step.",
            s.per()
        ),
        unit: "records (F&O − Dataverse)".into(),
        percent: false,
        kind: Kind::Lines,
        span: s.span,
        series: top_series(per, s),
        annotations: vec![],
        thresholds: vec![],
        shades: vec![],
    })
}

/// The share of compared records that differed, per finished
/// reconciliation run (the last of each period).
async fn drift(conn: &mut dyn Conn, s: &Scope<'_>) -> Result<Chart, AppError> {
    let rows = crate::reconcile::server::drift_points(
        conn,
        &s.map_ids(),
        (&stored(s.span.from), &stored(s.span.to)),
    )
    .await?;
    let per = by_map(
        rows.into_iter()
            .map(|(map, at, records, d)| (map, at, d as f64 * 100.0 / records as f64)),
        s,
    );
    Ok(Chart {
        key: "drift".into(),
        title: "Reconciliation drift".into(),
        caption: "Records missing on a side or with a differing field, as a share of the records a reconciliation run compared (samples and full diffs; the last run of each period).".into(),
        unit: "% of compared records".into(),
        percent: true,
        kind: Kind::Lines,
        span: s.span,
        series: top_series(per, s),
        annotations: vec![],
        thresholds: vec![],
        shades: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::server::Actor;
    use crate::db::Pool;
    use crate::trends::DAY;

    /// An environment with the starter maps, some errors, throughput,
    /// counts, a reconciliation run and a state change, all within the
    /// last day before `now`.
    async fn seeded(pool: &Pool, now: i64) -> (i64, i64) {
        let mut conn = pool.acquire().await.unwrap();
        let (env, map) = crate::maps::server::uat_with_starter(&mut conn).await;
        let hour_ago = stored(now - HOUR);
        let maps = HashMap::from([("Customers V3".to_string(), map)]);
        let entry = |msg: &str, key: &str| {
            let raw = crate::errors::server::RawEntry {
                occurred_at: Some(hour_ago.clone()),
                record_key: Some(key.into()),
                map: Some("Customers V3".into()),
                message: Some(msg.into()),
                ..Default::default()
            };
            crate::errors::server::check_entry(raw, &maps).unwrap()
        };
        let entries = vec![
            entry("Missing source field in the mapping", "US-001"),
            entry("Missing source field in the mapping", "US-002"),
            entry("Request timed out after 120 seconds", "US-003"),
        ];
        let cli = Actor::cli();
        let origin = crate::errors::server::Origin {
            actor: &cli,
            source: crate::errors::Source::Api,
            source_ref: "",
        };
        crate::errors::server::store_batch(
            pool,
            &Default::default(),
            env.id,
            entries,
            origin,
            Default::default(),
            &mut |_| {},
            async |_, _| Ok(()),
        )
        .await
        .unwrap();
        let minute = (now - 2 * HOUR) / 60 * 60;
        let sample = crate::throughput::Sample {
            item_id: "a".into(),
            map_id: map,
            direction: "fo_to_dataverse",
            minute,
            synced: 90,
            failed: 10,
            slots: {
                let mut slots = [0; crate::throughput::SLOTS];
                slots[crate::throughput::slot(300.0)] = 9;
                slots[crate::throughput::slot(3_000.0)] = 1;
                slots
            },
        };
        crate::throughput::server::ingest(&mut conn, env.id, &[sample])
            .await
            .unwrap();
        crate::db::query("insert into record_counts (map_id, counted_at, company, fo_count, dataverse_count) values ($1, $2, '', 120, 117)")
            .bind(map)
            .bind(&hour_ago)
            .execute(&mut *conn)
            .await
            .unwrap();
        crate::db::query(
            "insert into reconcile_runs (map_id, kind, status, requested_by, started_at, finished_at, recheck_secs, records, differing, missing_in_fo)
             values ($1, 'sample', 'done', 'cli', $2, $3, 0, 200, 3, 1)",
        )
        .bind(map)
        .bind(&hour_ago)
        .bind(&hour_ago)
        .execute(&mut *conn)
        .await
        .unwrap();
        crate::db::query("insert into map_state_observations (map_id, state, observed_at) values ($1, 'paused', $2)")
            .bind(map)
            .bind(&hour_ago)
            .execute(&mut *conn)
            .await
            .unwrap();
        (env.id, map)
    }

    #[tokio::test]
    async fn every_chart_reads_its_rollup() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let now = chrono::Utc::now().timestamp();
        let (_, map) = seeded(&pool, now).await;
        let mut conn = pool.acquire().await.unwrap();
        let q = TrendQuery {
            range: Some("24h".into()),
            ..Default::default()
        };
        let total = |c: &Chart| {
            c.series
                .iter()
                .flat_map(|s| s.values.iter().flatten())
                .sum::<f64>()
        };

        let page = load(&mut conn, "errors", &q, now).await.unwrap();
        assert_eq!(page.environment, "UAT");
        let [by_cat, groups] = &page.charts[..] else {
            panic!()
        };
        assert_eq!(total(by_cat), 3.0);
        let names: Vec<_> = by_cat.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Missing field mapping", "Throttling / time-out"]);
        assert_eq!(
            by_cat.series[0].color,
            category_color(Category::MissingFieldMapping)
        );
        assert_eq!(
            groups.series[0].values.iter().flatten().sum::<f64>(),
            2.0,
            "two new groups"
        );
        assert_eq!(by_cat.annotations[0].label, "Customers V3 → paused");

        let page = load(&mut conn, "throughput", &q, now).await.unwrap();
        let [synced, rate, latency] = &page.charts[..] else {
            panic!()
        };
        assert_eq!(
            latency.series[0]
                .values
                .iter()
                .flatten()
                .collect::<Vec<_>>(),
            [&4096.0],
            "p95 of nine at 300 ms and one at 3 s: the 3 s slot"
        );
        assert_eq!(synced.series[0].name, "Customers V3");
        assert_eq!(total(synced), 90.0);
        assert_eq!(total(rate), 10.0, "10 of 100 failed");

        let one = TrendQuery {
            map: Some(map),
            ..q.clone()
        };
        let page = load(&mut conn, "throughput", &one, now).await.unwrap();
        assert_eq!(page.charts[0].series[0].name, "F&O → Dataverse");
        let p50: Vec<_> = page.charts[2].series[0].values.iter().flatten().collect();
        assert_eq!(
            (page.charts[2].series[0].name.as_str(), p50),
            ("p50", vec![&512.0])
        );

        let page = load(&mut conn, "drift", &q, now).await.unwrap();
        let [counts, drift] = &page.charts[..] else {
            panic!()
        };
        assert_eq!(total(counts), 3.0);
        assert_eq!(total(drift), 2.0, "4 of 200 records");

        // An editor's category moves the group's history with it.
        let timeout: i64 = crate::db::query_scalar(
            "select id from error_groups where pattern like 'Request timed out%'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        crate::errors::server::override_category(
            &mut conn,
            &Actor::cli(),
            timeout,
            Some(Category::PluginThrow),
            "",
        )
        .await
        .unwrap();
        let page = load(&mut conn, "errors", &q, now).await.unwrap();
        let names: Vec<_> = page.charts[0]
            .series
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["Missing field mapping", "Plug-in threw"]);
        assert_eq!(total(&page.charts[0]), 3.0);

        // The same day by day over 30 days.
        let month = TrendQuery {
            range: Some("30d".into()),
            ..Default::default()
        };
        let page = load(&mut conn, "errors", &month, now).await.unwrap();
        assert_eq!((page.span.step, total(&page.charts[0])), (DAY, 3.0));
    }

    #[tokio::test]
    async fn bad_filters_are_named() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let now = chrono::Utc::now().timestamp();
        seeded(&pool, now).await;
        let mut conn = pool.acquire().await.unwrap();
        let bad = TrendQuery {
            map: Some(9999),
            ..Default::default()
        };
        let e = load(&mut conn, "errors", &bad, now).await.unwrap_err();
        assert!(
            e.to_string().contains("Map 9999 is not a table map of UAT"),
            "{e}"
        );
        let bad = TrendQuery {
            range: Some("1y".into()),
            ..Default::default()
        };
        assert!(
            load(&mut conn, "errors", &bad, now)
                .await
                .unwrap_err()
                .to_string()
                .contains("'1y'")
        );
        let bad = TrendQuery {
            env: Some("Nope".into()),
            ..Default::default()
        };
        assert!(matches!(
            load(&mut conn, "errors", &bad, now).await,
            Err(AppError::NotFound { .. })
        ));
        assert!(matches!(
            load(&mut conn, "pies", &TrendQuery::default(), now).await,
            Err(AppError::NotFound { .. })
        ));
    }
}
