//! The full keyed diff. Every record of both sides becomes a key and a
//! digest of its compared fields (canonical, see [`super::compare`]),
//! written to one of 64 partition files per side by a hash of the key.
//! The join then loads one F&O partition at a time into a hash map and
//! streams the matching Dataverse partition through it, so memory holds
//! about 1/64 of one side, never all records.
//!
//! After every page, the partition files are flushed and their lengths
//! saved with the next-page link and the records read (the checkpoint), so
//! a restarted server truncates the files to the checkpoint and reads on
//! from the saved link. Between pages the run checks whether someone
//! cancelled it.
//!
//! Differing and missing records (the first 10,000) are then read again
//! by key from both sides, to list their values side by side; this
//! re-read is also the lag guard.

use super::{Options, Outcome, ReconError, Target, compare_keys, end_run_badly, finish_run};
use crate::connect::{Connector, page_parts};
use app::db::Pool;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Partition files per side.
pub const PARTITIONS: usize = 64;
/// Differences listed with their values; counts are always exact.
pub const MAX_DETAILS: usize = 10_000;

/// Index of the F&O side.
pub const FO: usize = 0;
/// Index of the Dataverse side.
pub const DV: usize = 1;

/// Where one side's reading stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideState {
    /// The next page to read (`None` before the first).
    pub next: Option<String>,
    /// Whether the side is read to the end.
    pub done: bool,
    /// Records read.
    pub read: i64,
    /// The partition files' lengths after the last complete page.
    pub offsets: Vec<u64>,
}

/// A full diff's saved progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// F&O, then Dataverse.
    pub sides: [SideState; 2],
}

fn bucket(key: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % PARTITIONS as u64) as usize
}

/// The partition files of one run.
pub struct Spill {
    dir: PathBuf,
    writers: [Vec<BufWriter<File>>; 2],
}

fn part_path(dir: &Path, side: usize, p: usize) -> PathBuf {
    dir.join(format!("{}-{p:02}.bin", ["fo", "dv"][side]))
}

impl Checkpoint {
    /// Whether the partition files in `dir` hold what the checkpoint
    /// counts. They do not when another server, on another machine, ran
    /// the run before: its files are on that machine's disk, and cutting
    /// empty files "back" to the checkpoint would fill them with zeros.
    pub fn files_hold(&self, dir: &Path) -> bool {
        [FO, DV].into_iter().all(|side| {
            self.sides[side]
                .offsets
                .iter()
                .enumerate()
                .filter(|(_, len)| **len > 0)
                .all(|(p, len)| {
                    std::fs::metadata(part_path(dir, side, p)).is_ok_and(|m| m.len() >= *len)
                })
        })
    }
}

impl Spill {
    /// Opens (or creates) the partition files in `dir`, cut back to
    /// `offsets` per side (empty: to nothing).
    pub fn open(dir: &Path, offsets: [&[u64]; 2]) -> std::io::Result<Spill> {
        std::fs::create_dir_all(dir)?;
        let mut writers: [Vec<BufWriter<File>>; 2] = [Vec::new(), Vec::new()];
        for side in [FO, DV] {
            for p in 0..PARTITIONS {
                let file = OpenOptions::new()
                    .create(true)
                    .read(true)
                    .write(true)
                    .truncate(false)
                    .open(part_path(dir, side, p))?;
                file.set_len(offsets[side].get(p).copied().unwrap_or(0))?;
                let mut w = BufWriter::with_capacity(16 * 1024, file);
                std::io::Seek::seek(&mut w, std::io::SeekFrom::End(0))?;
                writers[side].push(w);
            }
        }
        Ok(Spill {
            dir: dir.to_path_buf(),
            writers,
        })
    }

    /// Adds one record's key and digest to its side.
    pub fn add(&mut self, side: usize, key: &str, digest: u64) -> std::io::Result<()> {
        let w = &mut self.writers[side][bucket(key)];
        let len = u16::try_from(key.len()).unwrap_or(u16::MAX);
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&key.as_bytes()[..usize::from(len)])?;
        w.write_all(&digest.to_le_bytes())
    }

    /// Flushes a side; gives its files' lengths (for the checkpoint).
    pub fn flush(&mut self, side: usize) -> std::io::Result<Vec<u64>> {
        self.writers[side]
            .iter_mut()
            .map(|w| {
                w.flush()?;
                Ok(w.get_ref().metadata()?.len())
            })
            .collect()
    }

    /// Joins the sides partition by partition.
    pub fn join(mut self, max_details: usize) -> std::io::Result<Joined> {
        self.flush(FO)?;
        self.flush(DV)?;
        let mut out = Joined::default();
        for p in 0..PARTITIONS {
            // Sized from the file (each record is 10 bytes and its key),
            // so the map never grows while it loads.
            let bytes = std::fs::metadata(part_path(&self.dir, FO, p))?.len();
            let mut fo: HashMap<String, u64> = HashMap::with_capacity((bytes / 20) as usize);
            read_part(&part_path(&self.dir, FO, p), |k, d| {
                fo.insert(k, d);
            })?;
            read_part(&part_path(&self.dir, DV, p), |k, d| match fo.remove(&k) {
                None => out.note(Side::OnlyDataverse, k, max_details),
                Some(f) if f != d => out.note(Side::Differs, k, max_details),
                Some(_) => out.records += 1,
            })?;
            for (k, _) in fo {
                out.note(Side::OnlyFo, k, max_details);
            }
        }
        Ok(out)
    }

    /// The lengths of one side's partition files in `dir` as they are.
    pub fn lengths(dir: &Path, side: usize) -> Vec<u64> {
        (0..PARTITIONS)
            .map(|p| {
                std::fs::metadata(part_path(dir, side, p))
                    .map(|m| m.len())
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Removes the files.
    pub fn remove(self) {
        let dir = self.dir.clone();
        drop(self);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(error = %e, dir = %dir.display(), "could not remove a full diff's partition files");
        }
    }
}

fn read_part(path: &Path, mut each: impl FnMut(String, u64)) -> std::io::Result<()> {
    let mut r = BufReader::with_capacity(64 * 1024, File::open(path)?);
    let mut len = [0u8; 2];
    let mut digest = [0u8; 8];
    let mut key = Vec::new();
    loop {
        match r.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        key.resize(usize::from(u16::from_le_bytes(len)), 0);
        r.read_exact(&mut key)?;
        r.read_exact(&mut digest)?;
        each(
            String::from_utf8_lossy(&key).into_owned(),
            u64::from_le_bytes(digest),
        );
    }
}

enum Side {
    OnlyFo,
    OnlyDataverse,
    Differs,
}

/// What the join found.
#[derive(Debug, Default)]
pub struct Joined {
    /// Distinct records.
    pub records: i64,
    /// Records only in F&O.
    pub missing_in_dataverse: i64,
    /// Records only in Dataverse.
    pub missing_in_fo: i64,
    /// Records whose digests differ.
    pub differing: i64,
    /// The first `max_details` keys with a difference.
    pub keys: Vec<String>,
}

impl Joined {
    fn note(&mut self, side: Side, key: String, max: usize) {
        self.records += 1;
        match side {
            Side::OnlyFo => self.missing_in_dataverse += 1,
            Side::OnlyDataverse => self.missing_in_fo += 1,
            Side::Differs => self.differing += 1,
        }
        if self.keys.len() < max {
            self.keys.push(key);
        }
    }
}

async fn save(pool: &Pool, run_id: i64, cp: &Checkpoint, runner: &str) -> Result<bool, ReconError> {
    let json = serde_json::to_string(cp).unwrap_or_default();
    let mut conn = pool.acquire().await?;
    app::reconcile::server::save_checkpoint(
        &mut conn,
        run_id,
        &json,
        cp.sides[FO].read,
        cp.sides[DV].read,
        runner,
    )
    .await?
    .ok_or(ReconError::TakenOver)
}

/// Runs (or resumes) the full diff `run_id`.
#[tracing::instrument(skip_all, fields(map = %t.map_name, run.id = run_id))]
pub async fn run_full(
    pool: &Pool,
    connector: &Connector,
    t: &Target,
    run_id: i64,
    opts: &Options,
) -> Result<app::reconcile::Run, ReconError> {
    run_full_timed(pool, connector, t, run_id, opts)
        .await
        .map(|(run, _)| run)
}

/// Where a full diff's time went (this process only: a resumed run counts
/// from its restart).
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// Waiting for pages and parsing their JSON.
    pub fetch: Duration,
    /// Each row's identity and the digest of its canonical fields.
    pub normalise: Duration,
    /// Writing keys and digests to the partition files, flushing them.
    pub spill: Duration,
    /// Saving the checkpoint after every page.
    pub checkpoint: Duration,
    /// The partition-wise join.
    pub join: Duration,
    /// Reading differing records again by key from both sides.
    pub reread: Duration,
}

/// [`run_full`], also saying where the time went (logged at the end, and
/// given to the benchmark).
pub async fn run_full_timed(
    pool: &Pool,
    connector: &Connector,
    t: &Target,
    run_id: i64,
    opts: &Options,
) -> Result<(app::reconcile::Run, Phases), ReconError> {
    let dir = opts.work_dir.join(format!("run-{run_id}"));
    let mut phases = Phases::default();
    let result = full_inner(pool, connector, t, run_id, opts, &dir, &mut phases).await;
    if let Err(e) = &result {
        end_run_badly(pool, run_id, e).await;
        // A failed or cancelled run keeps nothing worth resuming; a run
        // taken over may go on from these files on this machine.
        if !matches!(e, ReconError::TakenOver) {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    tracing::info!(
        run.id = run_id,
        fetch_ms = phases.fetch.as_millis() as u64,
        normalise_ms = phases.normalise.as_millis() as u64,
        spill_ms = phases.spill.as_millis() as u64,
        checkpoint_ms = phases.checkpoint.as_millis() as u64,
        join_ms = phases.join.as_millis() as u64,
        reread_ms = phases.reread.as_millis() as u64,
        "full diff phases"
    );
    result.map(|run| (run, phases))
}

async fn full_inner(
    pool: &Pool,
    connector: &Connector,
    t: &Target,
    run_id: i64,
    opts: &Options,
    dir: &Path,
    phases: &mut Phases,
) -> Result<app::reconcile::Run, ReconError> {
    let (saved, totals) = {
        let mut conn = pool.acquire().await?;
        app::reconcile::server::checkpoint(&mut conn, run_id).await?
    };
    let mut cp: Checkpoint = saved
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    if !cp.files_hold(dir) {
        tracing::warn!(
            run.id = run_id,
            "the checkpoint's partition files are not on this server; the full diff reads both sides again from the start"
        );
        cp = Checkpoint::default();
    }
    if totals == (None, None) {
        // For progress: the latest record counts, else F&O's own count.
        let latest = {
            let mut conn = pool.acquire().await?;
            app::counts::server::latest(&mut conn, t.map_id).await?
        };
        let (fo_total, dv_total) = match latest {
            Some(c) => c,
            None => {
                let n = connector
                    .fo_count(&connector.connection().fo_url, &t.fo_set)
                    .await? as i64;
                (Some(n), Some(n))
            }
        };
        let mut conn = pool.acquire().await?;
        app::reconcile::server::set_totals(&mut conn, run_id, fo_total, dv_total).await?;
    }
    let mut spill = Spill::open(dir, [&cp.sides[FO].offsets[..], &cp.sides[DV].offsets[..]])?;
    let fo_first = format!(
        "{}/data/{}?cross-company=true&$select={},dataAreaId",
        connector.connection().fo_url.trim_end_matches('/'),
        t.fo_set,
        t.plan.fo_select().join(",")
    );
    let dv_first = format!(
        "{}/api/data/v9.2/{}?$select={}",
        connector.connection().dataverse_url.trim_end_matches('/'),
        t.dv_set,
        t.plan.dv_select().join(",")
    );
    for side in [FO, DV] {
        let prefer = (side == DV).then_some("odata.maxpagesize=5000");
        while !cp.sides[side].done {
            let url = cp.sides[side].next.clone().unwrap_or_else(|| {
                if side == FO {
                    fo_first.clone()
                } else {
                    dv_first.clone()
                }
            });
            let clock = Instant::now();
            let page = connector.get_json(&url, prefer).await?;
            phases.fetch += clock.elapsed();
            let parts = page_parts(&page).map_err(|message| crate::connect::ConnectError {
                endpoint: format!("GET {}", url.split('?').next().unwrap_or(&url)),
                status: Some(200),
                message,
            })?;
            // Normalised a page at a time, then spilled, so that each
            // phase is timed once a page rather than once a row.
            let clock = Instant::now();
            let records: Vec<(String, u64)> = parts
                .rows
                .iter()
                .filter_map(|row| {
                    let (key, digest) = if side == FO {
                        (t.plan.fo_identity(row)?, t.plan.fo_digest(row))
                    } else {
                        (t.plan.dv_identity(row)?, t.plan.dv_digest(row))
                    };
                    Some((key, digest))
                })
                .collect();
            phases.normalise += clock.elapsed();
            let clock = Instant::now();
            for (key, digest) in &records {
                spill.add(side, key, *digest)?;
            }
            let s = &mut cp.sides[side];
            s.read += parts.rows.len() as i64;
            s.next = parts.next.map(str::to_string);
            s.done = s.next.is_none();
            s.offsets = spill.flush(side)?;
            phases.spill += clock.elapsed();
            let clock = Instant::now();
            let cancelled = save(pool, run_id, &cp, &opts.runner).await?;
            phases.checkpoint += clock.elapsed();
            if cancelled {
                spill.remove();
                return Err(ReconError::Cancelled);
            }
        }
    }
    let clock = Instant::now();
    let joined = tokio::task::spawn_blocking(move || spill_join(spill))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    phases.join = clock.elapsed();
    let keys = joined.keys.clone();
    let clock = Instant::now();
    let (found, cleared, _, _) = compare_keys(connector, t, &keys, opts).await?;
    phases.reread = clock.elapsed();
    let capped = (joined.missing_in_dataverse + joined.missing_in_fo + joined.differing) as usize
        > keys.len();
    let count = |kind: &str| {
        found
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| &f.key)
            .collect::<std::collections::HashSet<_>>()
            .len() as i64
    };
    let outcome = if capped {
        // Details cover only some keys: keep the exact counts of the scan.
        Outcome {
            records: joined.records,
            missing_in_dataverse: joined.missing_in_dataverse,
            missing_in_fo: joined.missing_in_fo,
            differing: joined.differing,
            cleared,
            found,
            ..Outcome::default()
        }
    } else {
        Outcome {
            records: joined.records,
            missing_in_dataverse: count("missing_in_dataverse"),
            missing_in_fo: count("missing_in_fo"),
            differing: count("field"),
            cleared,
            found,
            ..Outcome::default()
        }
    };
    let outcome = Outcome {
        fo_read: cp.sides[FO].read,
        dv_read: cp.sides[DV].read,
        ..outcome
    };
    finish_run(pool, t.map_id, run_id, "full", outcome, &opts.runner).await
}

fn spill_join(spill: Spill) -> std::io::Result<Joined> {
    let dir = spill.dir.clone();
    let joined = spill.join(MAX_DETAILS)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_join_finds_every_kind_and_resumes_from_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spill::open(dir.path(), [&[], &[]]).unwrap();
        for i in 0..1000u64 {
            let k = format!("K{i:04}");
            if i != 7 {
                s.add(FO, &k, i).unwrap();
            }
            if i != 9 {
                s.add(DV, &k, if i == 500 { 0 } else { i }).unwrap();
            }
        }
        let offsets = s.flush(FO).unwrap();
        // Written after the checkpoint, then lost in a crash.
        s.add(FO, "K9999", 1).unwrap();
        s.flush(FO).unwrap();
        drop(s);
        let s = Spill::open(
            dir.path(),
            [&offsets[..], &Spill::lengths(dir.path(), DV)[..]],
        )
        .unwrap();
        let j = s.join(10).unwrap();
        assert_eq!(j.records, 1000);
        assert_eq!(
            (j.missing_in_dataverse, j.missing_in_fo, j.differing),
            (1, 1, 1)
        );
        let mut keys = j.keys.clone();
        keys.sort();
        assert_eq!(keys, ["K0007", "K0009", "K0500"]);
    }

    #[test]
    fn a_checkpoint_is_resumed_only_where_its_files_are() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spill::open(dir.path(), [&[], &[]]).unwrap();
        s.add(FO, "K1", 1).unwrap();
        let mut cp = Checkpoint::default();
        cp.sides[FO].offsets = s.flush(FO).unwrap();
        cp.sides[DV].offsets = s.flush(DV).unwrap();
        drop(s);
        assert!(cp.files_hold(dir.path()));
        assert!(Checkpoint::default().files_hold(dir.path()));
        // Another machine: the run's folder is not there.
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(!cp.files_hold(&elsewhere.path().join("run-1")));
    }
}
