//! Reconciliation: compare a map's records on both sides and keep every
//! result.
//!
//! - A **sample** picks N random keys from each side (a reservoir over the
//!   streamed keys, so every record is equally likely and memory holds N),
//!   reads those records from both sides and compares them field by field
//!   ([`compare`]).
//! - A **full diff** ([`full`]) streams every record's key and digest from
//!   both sides into partition files on disk and joins them one partition
//!   at a time, so memory stays bounded; it shows progress, can be
//!   cancelled, and resumes after a restart.
//!
//! Either way, every record found differing is read again once after a
//! pause (default 10 s) before it is reported: dual-write syncs in near
//! real time, so a record caught mid-sync is lag, not drift. (Re-reading
//! only records changed in the last minutes would need both sides'
//! modification times; F&O entities rarely expose one.)

pub mod compare;
pub mod full;
pub mod runner;

use crate::connect::{ConnectError, Connector};
use app::db::Pool;
use compare::{FieldDiff, Plan};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

/// How runs behave.
#[derive(Debug, Clone)]
pub struct Options {
    /// The pause before differing records are read again.
    pub recheck_after: Duration,
    /// Where full diffs keep their partition files.
    pub work_dir: PathBuf,
    /// Who asked (an email, `schedule` or `cli`).
    pub requested_by: String,
    /// The id of the server (or command) running it: while that one is
    /// alive no other takes the run over (see [`crate::lease`]).
    pub runner: String,
}

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    /// The map cannot be reconciled as documented.
    #[error("{0}")]
    Blocked(String),
    /// A system could not be read.
    #[error("{0}")]
    Connect(#[from] ConnectError),
    /// The console's store failed.
    #[error("{0}")]
    Store(#[from] app::error::AppError),
    /// The database driver failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// The partition files failed.
    #[error("partition files: {0}")]
    Io(#[from] std::io::Error),
    /// Someone cancelled the run.
    #[error("cancelled")]
    Cancelled,
    /// Another server took the run over: this one had not renewed its
    /// lease in time (it stalled or lost the database for a while). The
    /// run is the other server's now, so this one writes nothing more.
    #[error("another server took the run over")]
    TakenOver,
}

/// A map ready to reconcile: its plan and both entity sets.
#[derive(Debug, Clone)]
pub struct Target {
    /// The map.
    pub map_id: i64,
    /// Its name.
    pub map_name: String,
    /// What is compared.
    pub plan: Plan,
    /// The F&O entity set.
    pub fo_set: String,
    /// The Dataverse entity set.
    pub dv_set: String,
}

/// Loads a map with its fields and finds both entity sets.
pub async fn target(pool: &Pool, connector: &Connector, map_id: i64) -> Result<Target, ReconError> {
    let mut conn = pool.acquire().await?;
    let map = app::maps::server::get(&mut conn, map_id).await?;
    if map.deleted {
        return Err(ReconError::Blocked(format!(
            "'{}' is deleted",
            map.content.name
        )));
    }
    if map.content.direction == app::maps::Direction::NotSynced {
        return Err(ReconError::Blocked(format!(
            "'{}' is not synced, so there is nothing to reconcile",
            map.content.name
        )));
    }
    let fields: Vec<_> = app::rules::server::fields_of(&mut conn, &[map_id])
        .await?
        .into_iter()
        .map(|f| f.content)
        .collect();
    drop(conn);
    let mut plan = Plan::new(&map.content, &fields).map_err(ReconError::Blocked)?;
    // A company-specific map whose Dataverse key names the company lookup
    // matches records within their legal entity.
    let per_company = map
        .content
        .fo_keys
        .split(',')
        .any(|k| k.trim().eq_ignore_ascii_case("dataAreaId"));
    let lookup = map
        .content
        .dataverse_keys
        .split(',')
        .find_map(|k| k.trim().split_once('.').map(|(l, _)| l.to_string()));
    if let (true, Some(lookup)) = (per_company, lookup)
        && let Some(codes) = connector.dataverse_companies().await?
    {
        plan = plan.with_company(&lookup, &codes);
    }
    if connector.connection().fo_url.is_empty() {
        return Err(ReconError::Blocked(
            "the environment has no F&O URL; set it on the Environments page".into(),
        ));
    }
    let fo_set = connector
        .fo_entity_set(&map.content.fo_entity)
        .await?
        .ok_or_else(|| {
            ReconError::Blocked(format!(
                "F&O has no OData entity set for {} (not in this environment, or not public)",
                map.content.fo_entity
            ))
        })?;
    let (dv_set, _) = connector
        .dataverse_entity_set(&map.content.dataverse_table)
        .await?
        .ok_or_else(|| {
            ReconError::Blocked(format!(
                "Dataverse has no table named {}",
                map.content.dataverse_table
            ))
        })?;
    Ok(Target {
        map_id,
        map_name: map.content.name,
        plan,
        fo_set,
        dv_set,
    })
}

/// Records a new run as running; gives its id.
pub async fn begin_run(
    pool: &Pool,
    map_id: i64,
    kind: &str,
    sample_size: Option<i64>,
    opts: &Options,
) -> Result<i64, ReconError> {
    let mut tx = app::db::begin_write(pool).await?;
    let id = app::reconcile::server::begin_run(
        &mut tx,
        map_id,
        kind,
        &opts.requested_by,
        sample_size,
        opts.recheck_after.as_secs() as i64,
        &opts.runner,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Marks a run failed (or cancelled) with its reason; never fails itself.
pub async fn end_run_badly(pool: &Pool, run_id: i64, error: &ReconError) {
    if matches!(error, ReconError::TakenOver) {
        tracing::warn!(
            run.id = run_id,
            "another server took this reconciliation over; this server stops its copy"
        );
        return;
    }
    let status = if matches!(error, ReconError::Cancelled) {
        "cancelled"
    } else {
        "failed"
    };
    let res = match pool.acquire().await {
        Ok(mut conn) => {
            app::reconcile::server::end_run(&mut conn, run_id, status, &error.to_string()).await
        }
        Err(e) => Err(e.into()),
    };
    if let Err(e) = res {
        tracing::error!(error = %e, run.id = run_id, "could not record the end of a reconciliation run");
    }
}

pub use app::reconcile::server::{Found, Outcome};

/// The differences between the rows read for `keys` from both sides.
fn differences(plan: &Plan, keys: &[String], fo: &[Value], dv: &[Value]) -> Vec<Found> {
    let fo: HashMap<String, &Value> = fo
        .iter()
        .filter_map(|r| Some((plan.fo_identity(r)?, r)))
        .collect();
    let dv: HashMap<String, &Value> = dv
        .iter()
        .filter_map(|r| Some((plan.dv_identity(r)?, r)))
        .collect();
    let mut out = Vec::new();
    for key in keys {
        match (fo.get(key), dv.get(key)) {
            (Some(_), None) => out.push(Found {
                key: key.clone(),
                kind: "missing_in_dataverse",
                field: String::new(),
                fo: key.clone(),
                dv: String::new(),
            }),
            (None, Some(_)) => out.push(Found {
                key: key.clone(),
                kind: "missing_in_fo",
                field: String::new(),
                fo: String::new(),
                dv: key.clone(),
            }),
            (Some(f), Some(d)) => out.extend(plan.compare(f, d).into_iter().map(
                |FieldDiff { field, fo, dv }| Found {
                    key: key.clone(),
                    kind: "field",
                    field,
                    fo,
                    dv,
                },
            )),
            (None, None) => {}
        }
    }
    out
}

/// Reads `keys` from both sides and compares them; every record that
/// differs is read again after the pause, and reported only if it still
/// differs. Gives the differences, how many records the re-check cleared,
/// and the rows read per side.
pub async fn compare_keys(
    connector: &Connector,
    t: &Target,
    keys: &[String],
    opts: &Options,
) -> Result<(Vec<Found>, i64, i64, i64), ReconError> {
    let read = |identities: Vec<String>| async move {
        let mut keys: Vec<String> = identities.iter().map(|k| t.plan.key_part(k)).collect();
        keys.sort();
        keys.dedup();
        let fo = connector
            .fo_rows_by_keys(&t.fo_set, &t.plan.fo_key, &keys, &t.plan.fo_select())
            .await?;
        let dv = connector
            .dataverse_rows_by_keys(&t.dv_set, &t.plan.dv_key, &keys, &t.plan.dv_select())
            .await?;
        Ok::<_, ReconError>((fo, dv))
    };
    let (fo, dv) = read(keys.to_vec()).await?;
    let (fo_read, dv_read) = (fo.len() as i64, dv.len() as i64);
    let found = differences(&t.plan, keys, &fo, &dv);
    // Every differing record is read again once: F&O entities rarely
    // expose when a record last changed, so a record caught mid-sync
    // cannot be told from drift by its timestamps alone.
    let suspect: HashSet<String> = found.iter().map(|f| f.key.clone()).collect();
    if suspect.is_empty() {
        return Ok((found, 0, fo_read, dv_read));
    }
    tokio::time::sleep(opts.recheck_after).await;
    let mut again: Vec<String> = suspect.iter().cloned().collect();
    again.sort();
    let (fo2, dv2) = read(again.clone()).await?;
    let rechecked = differences(&t.plan, &again, &fo2, &dv2);
    let still: HashSet<&String> = rechecked.iter().map(|f| &f.key).collect();
    let cleared = suspect.iter().filter(|k| !still.contains(k)).count() as i64;
    let mut out = rechecked;
    out.sort();
    Ok((out, cleared, fo_read, dv_read))
}

/// A uniform random sample of a stream (Algorithm R).
struct Reservoir {
    size: usize,
    seen: u64,
    items: Vec<String>,
    rng: u64,
}

impl Reservoir {
    fn new(size: usize) -> Self {
        // Two reservoirs made in the same instant must still differ.
        static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        let made = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // SplitMix64 of the two, so nearby seeds give unrelated streams.
        let mut seed = nanos ^ made.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        seed = (seed ^ (seed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        seed = (seed ^ (seed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        seed ^= seed >> 31;
        Reservoir {
            size,
            seen: 0,
            items: Vec::with_capacity(size),
            rng: seed | 1,
        }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn offer(&mut self, item: &str) {
        self.seen += 1;
        if self.items.len() < self.size {
            self.items.push(item.to_string());
        } else {
            let j = self.next() % self.seen;
            if (j as usize) < self.size {
                self.items[j as usize] = item.to_string();
            }
        }
    }
}

/// Runs a sample of `size` records per side for run `run_id`.
#[tracing::instrument(skip_all, fields(map = %t.map_name, run.id = run_id))]
pub async fn run_sample(
    pool: &Pool,
    connector: &Connector,
    t: &Target,
    run_id: i64,
    size: usize,
    opts: &Options,
) -> Result<app::reconcile::Run, ReconError> {
    let result = async {
        let mut fo = Reservoir::new(size);
        connector
            .fo_key_rows(
                &connector.connection().fo_url,
                &t.fo_set,
                &t.plan.fo_key,
                |row| {
                    if let Some(id) = t.plan.fo_identity(row) {
                        fo.offer(&id);
                    }
                },
            )
            .await?;
        let mut dv = Reservoir::new(size);
        connector
            .dataverse_rows_where(
                &t.dv_set,
                &t.plan.dv_identity_select().join(","),
                None,
                |row| {
                    if let Some(id) = t.plan.dv_identity(row) {
                        dv.offer(&id);
                    }
                },
            )
            .await?;
        let mut keys: Vec<String> = fo.items.into_iter().chain(dv.items).collect();
        keys.sort();
        keys.dedup();
        let (found, cleared, fo_read, dv_read) = compare_keys(connector, t, &keys, opts).await?;
        let count = |kind: &str| {
            found
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| &f.key)
                .collect::<HashSet<_>>()
                .len() as i64
        };
        let outcome = Outcome {
            records: keys.len() as i64,
            fo_read,
            dv_read,
            missing_in_dataverse: count("missing_in_dataverse"),
            missing_in_fo: count("missing_in_fo"),
            differing: count("field"),
            cleared,
            examined: Some(keys.into_iter().collect()),
            found,
        };
        finish_run(pool, t.map_id, run_id, "sample", outcome, &opts.runner).await
    }
    .await;
    if let Err(e) = &result {
        end_run_badly(pool, run_id, e).await;
    }
    result
}

/// Stores a run's outcome in one transaction (see
/// `app::reconcile::server::finish_run`).
pub async fn finish_run(
    pool: &Pool,
    map_id: i64,
    run_id: i64,
    kind: &str,
    o: Outcome,
    runner: &str,
) -> Result<app::reconcile::Run, ReconError> {
    let mut tx = app::db::begin_write(pool).await?;
    if !app::reconcile::server::runs_here(&mut tx, run_id, runner).await? {
        return Err(ReconError::TakenOver);
    }
    let run = app::reconcile::server::finish_run(&mut tx, run_id, map_id, kind, &o).await?;
    tx.commit().await?;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservoir_is_uniform_enough_and_bounded() {
        let mut hits = [0u32; 10];
        for _ in 0..2000 {
            let mut r = Reservoir::new(2);
            for i in 0..10 {
                r.offer(&i.to_string());
            }
            assert_eq!(r.items.len(), 2);
            for k in &r.items {
                hits[k.parse::<usize>().unwrap()] += 1;
            }
        }
        // Each item is picked with probability 0.2: about 400 of 2000.
        assert!(hits.iter().all(|h| (300..500).contains(h)), "{hits:?}");
    }
}
