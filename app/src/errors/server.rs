//! Error-queue storage: batch validation and ingest (classify, fingerprint,
//! group, count per day), the queue and group queries, triage, the daily
//! sweep and retention.

use super::classify::{classify, normalise};
use super::{
    Category, Entry, ErrorDirection, GroupDetail, GroupFilter, GroupRow, GroupState, Source, Sweep,
};
use crate::audit::server::{Actor, Event, record};
use crate::db::{Conn, QueryBuilder, Tx};
use crate::db::{db_now, db_time};
use crate::error::AppError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Most entries one batch may carry.
pub const MAX_BATCH: usize = 10_000;
/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 10_000;
/// Largest detail per entry, in characters. A plug-in trace row is a few
/// kilobytes; a megabyte is already a whole log pasted in.
pub const MAX_DETAIL: usize = 1_000_000;
/// Longest id, map name, record key and legal entity, in characters.
pub const MAX_SHORT: usize = 500;

/// One entry as a client sends it (the ingest API's JSON, or a CSV row).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    /// The client's id; makes retries idempotent.
    #[serde(default)]
    pub id: Option<String>,
    /// When it happened (RFC 3339).
    #[serde(default)]
    pub occurred_at: Option<String>,
    /// Table-map name.
    #[serde(default)]
    pub map: Option<String>,
    /// `fo_to_dataverse` or `dataverse_to_fo`.
    #[serde(default)]
    pub direction: Option<String>,
    /// Integration key values.
    #[serde(default)]
    pub record_key: Option<String>,
    /// Legal entity.
    #[serde(default)]
    pub legal_entity: Option<String>,
    /// The message (required).
    #[serde(default)]
    pub message: Option<String>,
    /// Raw detail: a string, or any JSON value kept verbatim.
    #[serde(default)]
    pub detail: Option<Box<RawValue>>,
}

/// An ingest batch as the API receives it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Environment name.
    pub environment: String,
    /// The entries, kept as sent (so `detail` stays verbatim) and each
    /// checked on its own so errors can name it.
    pub entries: Vec<Box<RawValue>>,
}

/// A checked entry, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEntry {
    /// Client id, or `sha256:` of the content.
    pub client_id: String,
    /// When (stored form).
    pub occurred_at: String,
    /// Map id, when named.
    pub map_id: Option<i64>,
    /// Direction.
    pub direction: ErrorDirection,
    /// Record key.
    pub record_key: String,
    /// Legal entity (upper case).
    pub legal_entity: String,
    /// Message.
    pub message: String,
    /// Verbatim detail.
    pub detail: Option<String>,
}

/// The earliest time an entry may carry. Dual-write dates from 2019;
/// anything much older is a sender's placeholder (`0001-01-01`, a zero
/// Unix time), not a real failure, and would skew every chart.
pub const EARLIEST: &str = "2000-01-01T00:00:00Z";

/// Parses an API timestamp: RFC 3339 only, with a time zone offset, so a
/// sender's local time is never taken for UTC by accident. A leap second
/// (`…:59:60`) is stored as the last millisecond before it, which keeps
/// the stored text a valid, sortable time.
pub fn parse_rfc3339_time(value: &str) -> Result<DateTime<Utc>, String> {
    let v = value.trim();
    let t = DateTime::parse_from_rfc3339(v)
        .map_err(|_| {
            format!(
                "'{v}' is not a date-time in RFC 3339 form with a time zone; send e.g. 2026-11-20T08:15:00Z."
            )
        })?
        .with_timezone(&Utc);
    clamp_time(v, t)
}

/// Parses a timestamp as CSV exports write it: RFC 3339, or a plain
/// date-time (`2026-11-20 08:15:00`, `11/20/2026 08:15:00`, taken as UTC),
/// or a date. Only the CSV import accepts these; the API wants RFC 3339.
pub fn parse_export_time(value: &str) -> Result<DateTime<Utc>, String> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return clamp_time(v, t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, f) {
            return clamp_time(v, t.and_utc());
        }
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| {
            format!(
                "'{v}' is not a date-time; use RFC 3339 (2026-11-20T08:15:00Z), 2026-11-20 08:15:00 or 11/20/2026 08:15:00 (both UTC), or a date."
            )
        })
        .and_then(|t| clamp_time(v, t.and_utc()))
}

/// Refuses times before [`EARLIEST`] and folds a leap second into the
/// millisecond before it.
fn clamp_time(v: &str, t: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    use chrono::Timelike as _;
    if t < earliest() {
        return Err(format!(
            "'{v}' is before 2000-01-01, which no dual-write error can be; check the sender's date field."
        ));
    }
    Ok(if t.nanosecond() >= 1_000_000_000 {
        t.with_nanosecond(999_000_000).unwrap_or(t)
    } else {
        t
    })
}

fn earliest() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(EARLIEST)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The first control character in `value` other than tab, newline and
/// carriage return, if any: a NUL or escape sequence in a key is never
/// real data and would confuse every tool that reads it back.
fn control_char(value: &str) -> Option<char> {
    value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The id of an entry sent without one: a hash of what it says. JSON
/// detail is hashed in a canonical form (keys sorted, no spacing), so the
/// same entry re-sent by a tool that formats JSON differently still
/// matches.
fn content_id(e: &ValidEntry, map: &str) -> String {
    let detail = e.detail.as_deref().unwrap_or("");
    let canonical = serde_json::from_str::<serde_json::Value>(detail)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| detail.to_string());
    let mut h = Sha256::new();
    for part in [
        map,
        e.direction.as_str(),
        &e.record_key,
        &e.legal_entity,
        &e.message,
        &canonical,
        &e.occurred_at,
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    format!("sha256:{:x}", h.finalize())
}

/// Checks one raw entry against the environment's maps (`name → id`).
/// `Err` is the reason, for the per-item report.
pub fn check_entry(raw: RawEntry, maps: &HashMap<String, i64>) -> Result<ValidEntry, String> {
    let text = |v: Option<String>| v.map(|s| s.trim().to_string()).unwrap_or_default();
    let message = text(raw.message);
    if message.is_empty() {
        return Err("message is required.".into());
    }
    if message.chars().count() > MAX_MESSAGE {
        return Err(format!(
            "message is longer than {MAX_MESSAGE} characters; put the rest in detail."
        ));
    }
    let occurred_at = match raw.occurred_at.as_deref().map(str::trim) {
        None | Some("") => {
            return Err("occurred_at is required (e.g. 2026-11-20T08:15:00Z).".into());
        }
        Some(v) => parse_rfc3339_time(v).map_err(|e| format!("occurred_at {e}"))?,
    };
    if occurred_at > Utc::now() + Duration::days(1) {
        return Err(format!(
            "occurred_at '{}' is in the future; check the sender's clock or time zone.",
            db_time(occurred_at)
        ));
    }
    let map_name = text(raw.map);
    let map_id = match map_name.as_str() {
        "" => None,
        name => Some(*maps.get(name).ok_or_else(|| {
            let lower = name.to_lowercase();
            let close = maps.keys().find(|k| k.to_lowercase() == lower);
            match close {
                Some(k) => format!("map '{name}' is not a table map of this environment; did you mean '{k}'?"),
                None => format!("map '{name}' is not a table map of this environment; add it to the rule book first, or leave map out."),
            }
        })?),
    };
    let direction = match text(raw.direction).as_str() {
        "" => ErrorDirection::Unknown,
        v => match ErrorDirection::parse(v) {
            Some(d @ (ErrorDirection::FoToDataverse | ErrorDirection::DataverseToFo)) => d,
            _ => {
                return Err(format!(
                    "direction '{v}' is neither fo_to_dataverse nor dataverse_to_fo."
                ));
            }
        },
    };
    let record_key = text(raw.record_key);
    let legal_entity = text(raw.legal_entity).to_uppercase();
    let id = raw
        .id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    for (name, v) in [
        ("record_key", &record_key),
        ("legal_entity", &legal_entity),
        ("id", id.as_ref().unwrap_or(&String::new())),
        ("map", &map_name),
    ] {
        // Limits count characters, not bytes: "€" is one character.
        if v.chars().count() > MAX_SHORT {
            return Err(format!("{name} is longer than {MAX_SHORT} characters."));
        }
        if let Some(c) = control_char(v) {
            return Err(format!(
                "{name} contains the control character U+{:04X}; send printable text.",
                u32::from(c)
            ));
        }
    }
    if message.contains('\0') {
        return Err("message contains a NUL character; send printable text.".into());
    }
    let detail = match raw.detail {
        None => None,
        Some(raw) if raw.get().starts_with('"') => {
            Some(serde_json::from_str::<String>(raw.get()).map_err(|e| format!("detail: {e}"))?)
        }
        Some(raw) if raw.get() == "null" => None,
        Some(raw) => Some(raw.get().to_string()),
    };
    if let Some(n) = detail
        .as_ref()
        .map(|d| d.chars().count())
        .filter(|n| *n > MAX_DETAIL)
    {
        return Err(format!(
            "detail has {n} characters; at most {MAX_DETAIL} are kept per entry. Trim it (keep the exception and the first part of the stack)."
        ));
    }
    let mut entry = ValidEntry {
        client_id: String::new(),
        occurred_at: db_time(occurred_at),
        map_id,
        direction,
        record_key,
        legal_entity,
        message,
        detail,
    };
    entry.client_id = match id {
        Some(id) => id,
        None => content_id(&entry, &map_name),
    };
    Ok(entry)
}

/// What happened to one stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The client id (or content hash).
    pub id: String,
    /// Its group.
    pub group_id: i64,
    /// The group's effective category.
    pub category: Category,
    /// True when the entry was already stored (a retry).
    pub duplicate: bool,
}

/// The live maps of an environment by name, for [`check_entry`].
pub async fn map_names(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<HashMap<String, i64>, AppError> {
    crate::maps::server::ids_by_name(conn, environment_id).await
}

fn fingerprint(env: i64, e: &ValidEntry, category: Category, pattern: &str) -> String {
    group_key(env, e.map_id, e.direction, category, pattern)
}

/// The fingerprint of a group: what makes entries one group.
pub(super) fn group_key(
    env: i64,
    map_id: Option<i64>,
    direction: ErrorDirection,
    category: Category,
    pattern: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(
        format!(
            "{env}\x1f{}\x1f{}\x1f{}\x1f{pattern}",
            map_id.unwrap_or(0),
            direction.as_str(),
            category.as_str()
        )
        .as_bytes(),
    );
    format!("{:x}", h.finalize())
}

/// An entry classified and fingerprinted, ready for [`ingest`].
#[derive(Debug, Clone)]
pub struct Prepared {
    entry: ValidEntry,
    category: Category,
    rule: String,
    fingerprint: String,
    pattern: String,
}

/// Classifies and fingerprints checked entries. Pure CPU work: callers run
/// it before taking the database's write lock, so concurrent batches
/// overlap it with each other's writes.
fn prepare(environment_id: i64, entries: Vec<ValidEntry>) -> Vec<Prepared> {
    entries
        .into_iter()
        .map(|entry| {
            let c = classify(&entry.message, entry.detail.as_deref().unwrap_or(""));
            let pattern = normalise(&entry.message, &entry.record_key);
            let fingerprint = fingerprint(environment_id, &entry, c.category, &pattern);
            Prepared {
                entry,
                category: c.category,
                rule: c.rule,
                fingerprint,
                pattern,
            }
        })
        .collect()
}

pub(super) struct GroupAgg {
    first: String,
    last: String,
    pub(super) count: i64,
    days: HashMap<String, i64>,
    hours: HashMap<String, i64>,
    map_id: Option<i64>,
    direction: ErrorDirection,
    category: Category,
    rule: String,
    pub(super) pattern: String,
}

/// The queue's 24-hour sweep per environment, computed at most once a
/// minute (the window is a day, so a minute-old summary is current and the
/// page stays fast at any volume) and forgotten when entries arrive. One
/// per server, in the application state: the pages find it in their
/// context, the API, the collectors and imports get it passed.
#[derive(Clone, Default)]
pub struct Sweeps(std::sync::Arc<std::sync::Mutex<HashMap<i64, (std::time::Instant, Sweep)>>>);

impl Sweeps {
    /// How long a computed sweep is reused.
    const TTL: std::time::Duration = std::time::Duration::from_secs(60);

    /// The sweep of an environment, from the cache when it is fresh.
    pub async fn get(&self, conn: &mut dyn Conn, environment_id: i64) -> Result<Sweep, AppError> {
        if let Ok(cache) = self.0.lock()
            && let Some((at, s)) = cache.get(&environment_id)
            && at.elapsed() < Self::TTL
        {
            return Ok(s.clone());
        }
        let s = sweep(conn, environment_id, Utc::now()).await?;
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(environment_id, (std::time::Instant::now(), s.clone()));
        }
        Ok(s)
    }

    /// Forgets every cached sweep (after new entries or a triage).
    pub fn invalidate(&self) {
        if let Ok(mut cache) = self.0.lock() {
            cache.clear();
        }
    }
}

/// Records a CSV import of entries into `environment` in the audit log
/// (`from`: the file, or "CSV" from the page); call it as the last step of
/// [`store_batch`], so the record lands with the entries.
pub async fn record_import(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &crate::environments::Environment,
    accepted: &[Accepted],
    from: &str,
) -> Result<(), AppError> {
    let duplicates = accepted.iter().filter(|a| a.duplicate).count();
    let new = accepted.len() - duplicates;
    record(
        conn,
        actor,
        Event {
            action: "errors.import",
            object_type: "environment",
            object_id: Some(environment.id.to_string()),
            summary: format!(
                "Imported {} from {from} into {} ({duplicates} already there)",
                crate::components::plural(new, "error entry", "error entries"),
                environment.name
            ),
            detail: None,
            environment: Some(environment.name.clone()),
        },
    )
    .await
}

/// Who stored a batch of entries and how it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// Recorded on reopened groups' audit entries.
    pub actor: &'a Actor,
    /// API, CSV or connector.
    pub source: Source,
    /// The token, file or endpoint it came from.
    pub source_ref: &'a str,
}

/// How [`store_batch`] commits.
#[derive(Debug, Clone, Copy)]
pub struct Commit {
    /// Entries per write transaction. One transaction for the whole batch
    /// is the default; a long import commits in chunks, so the write lock
    /// is held for one chunk at a time and an import that stops half way is
    /// finished by running it again (client ids make chunks idempotent).
    pub chunk: usize,
    /// A pause after each chunk but the last, which lets the server's
    /// other writers in.
    pub pause: std::time::Duration,
}

impl Default for Commit {
    fn default() -> Self {
        Commit {
            chunk: usize::MAX,
            pause: std::time::Duration::ZERO,
        }
    }
}

/// Stores a batch of checked entries of one environment — the one way
/// entries enter the queue, for the API, the CSV import (page and command
/// line) and the collectors. Classifies and fingerprints them first,
/// without the write lock (so concurrent batches overlap that work with
/// each other's writes); then groups, rolls up and inserts them, in write
/// transactions of `commit.chunk` entries; `finish` runs in the last of
/// them with everything accepted, for the caller's own rows that must land
/// with the entries (a collector's cursor and run record, an import's audit
/// entry); `progress` hears how many entries each commit stored. When
/// anything new was stored, the sweeps are forgotten.
#[expect(
    clippy::too_many_arguments,
    reason = "the callers differ in each of them (where, what, who, how to commit, what to add); a struct would only rename them"
)]
#[tracing::instrument(skip_all, fields(environment.id = environment_id, entries = entries.len()))]
pub async fn store_batch(
    pool: &crate::db::Pool,
    sweeps: &Sweeps,
    environment_id: i64,
    entries: Vec<ValidEntry>,
    origin: Origin<'_>,
    commit: Commit,
    progress: &mut (dyn FnMut(usize) + Send),
    finish: impl AsyncFnOnce(&mut Tx, &[Accepted]) -> Result<(), AppError>,
) -> Result<Vec<Accepted>, AppError> {
    let mut prepared = prepare(environment_id, entries).into_iter().peekable();
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut finish = Some(finish);
    loop {
        let chunk: Vec<Prepared> = prepared.by_ref().take(commit.chunk.max(1)).collect();
        let last = prepared.peek().is_none();
        let mut tx = crate::db::begin_write(pool).await?;
        let stored = ingest(
            &mut tx,
            origin.actor,
            environment_id,
            chunk,
            origin.source,
            origin.source_ref,
        )
        .await?;
        let n = stored.len();
        accepted.extend(stored);
        if last && let Some(f) = finish.take() {
            f(&mut tx, &accepted).await?;
        }
        tx.commit().await?;
        progress(n);
        if last {
            break;
        }
        tokio::time::sleep(commit.pause).await;
    }
    if accepted.iter().any(|a| !a.duplicate) {
        sweeps.invalidate();
    }
    Ok(accepted)
}

/// Known ids (their group and category), the entries not stored yet, and
/// each entry's id in order with whether it was a duplicate.
type Split = (
    HashMap<String, (i64, Category)>,
    Vec<Prepared>,
    Vec<(String, bool)>,
);

/// Group fingerprint → (id, effective category).
pub(super) type GroupIds = HashMap<String, (i64, Category)>;

/// Stores prepared entries of one environment in the caller's transaction:
/// entries already stored (same client id) are reported as duplicates and
/// not stored again; the rest are grouped and counted. A resolved group
/// that gets new entries reopens (audited as `actor`).
#[tracing::instrument(skip_all, fields(environment.id = environment_id, entries = entries.len()))]
async fn ingest(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    entries: Vec<Prepared>,
    source: Source,
    source_ref: &str,
) -> Result<Vec<Accepted>, AppError> {
    let (mut known, fresh, order) = split_duplicates(conn, environment_id, entries).await?;
    let groups = aggregate(&fresh);
    let lessons =
        super::learn::for_patterns(conn, environment_id, groups.values().map(|g| &*g.pattern))
            .await?;
    let (group_ids, reopened) =
        upsert_groups(conn, actor, environment_id, &groups, &lessons).await?;
    super::learn::count_decided(conn, &lessons, &groups, &group_ids).await?;
    write_periods(conn, &groups, &group_ids).await?;
    roll_up(conn, environment_id, &groups, &group_ids).await?;
    insert_entries(
        conn,
        environment_id,
        &fresh,
        &group_ids,
        (source, source_ref),
    )
    .await?;
    record_reopened(conn, actor, environment_id, &reopened).await?;
    for p in &fresh {
        known.insert(p.entry.client_id.clone(), group_ids[&p.fingerprint]);
    }
    Ok(order
        .into_iter()
        .map(|(id, duplicate)| {
            let (group_id, category) = known[&id];
            Accepted {
                id,
                group_id,
                category,
                duplicate,
            }
        })
        .collect())
}

/// Splits off the entries already stored (a retried batch) or repeated in
/// this one.
async fn split_duplicates(
    conn: &mut dyn Conn,
    environment_id: i64,
    entries: Vec<Prepared>,
) -> Result<Split, AppError> {
    // Already stored: a retried batch, or a repeat inside this one.
    let ids: Vec<&str> = entries.iter().map(|p| p.entry.client_id.as_str()).collect();
    let stored: Vec<(String, i64, String, Option<String>)> = crate::db::query_as(
        "select e.client_id, e.group_id, g.category, g.category_override
         from error_entries e join error_groups g on g.id = e.group_id
         where e.environment_id = $1 and e.client_id in (select value from json_each($2))",
    )
    .bind(environment_id)
    .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
    .fetch_all(&mut *conn)
    .await?;
    let known: HashMap<String, (i64, Category)> = stored
        .into_iter()
        .map(|(id, g, c, o)| {
            let c = o
                .as_deref()
                .and_then(Category::parse)
                .or_else(|| Category::parse(&c));
            (id, (g, c.unwrap_or(Category::Other)))
        })
        .collect();

    let mut fresh: Vec<Prepared> = Vec::new();
    let mut order: Vec<(String, bool)> = Vec::with_capacity(entries.len());
    let mut seen = std::collections::HashSet::new();
    for p in entries {
        let id = &p.entry.client_id;
        let duplicate = known.contains_key(id) || !seen.insert(id.clone());
        order.push((id.clone(), duplicate));
        if !duplicate {
            fresh.push(p);
        }
    }
    Ok((known, fresh, order))
}

/// The fresh entries per group: counts, first and last, per day and hour.
fn aggregate(fresh: &[Prepared]) -> HashMap<String, GroupAgg> {
    // One write per group and per group-day, however many entries.
    let mut groups: HashMap<String, GroupAgg> = HashMap::new();
    for p in fresh {
        let day = Grain::Day.key_of(&p.entry.occurred_at).to_string();
        let g = groups
            .entry(p.fingerprint.clone())
            .or_insert_with(|| GroupAgg {
                first: p.entry.occurred_at.clone(),
                last: p.entry.occurred_at.clone(),
                count: 0,
                days: HashMap::new(),
                hours: HashMap::new(),
                map_id: p.entry.map_id,
                direction: p.entry.direction,
                category: p.category,
                rule: p.rule.clone(),
                pattern: p.pattern.clone(),
            });
        g.count += 1;
        g.first = g.first.clone().min(p.entry.occurred_at.clone());
        g.last = g.last.clone().max(p.entry.occurred_at.clone());
        *g.days.entry(day).or_default() += 1;
        *g.hours
            .entry(Grain::Hour.key_of(&p.entry.occurred_at).to_string())
            .or_default() += 1;
    }
    groups
}

/// Updates the groups that exist (reopening resolved ones) and creates the
/// others; gives every group's id and effective category, and the ids of
/// the reopened groups.
async fn upsert_groups(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    groups: &HashMap<String, GroupAgg>,
    lessons: &super::learn::Lessons,
) -> Result<(GroupIds, Vec<i64>), AppError> {
    let fps: Vec<&str> = groups.keys().map(String::as_str).collect();
    let existing: Vec<(String, i64, String, Option<String>, String)> = crate::db::query_as(
        "select fingerprint, id, category, category_override, state from error_groups
         where fingerprint in (select value from json_each($1))",
    )
    .bind(serde_json::to_string(&fps).unwrap_or_else(|_| "[]".into()))
    .fetch_all(&mut *conn)
    .await?;
    let mut group_ids: HashMap<String, (i64, Category)> = HashMap::new();
    let mut reopened: Vec<i64> = Vec::new();
    for (fp, id, category, over, state) in existing {
        let Some(g) = groups.get(&fp) else { continue };
        let reopen = state == GroupState::Resolved.as_str();
        crate::db::query(
            "update error_groups set first_seen = min(first_seen, $1), last_seen = max(last_seen, $2),
                entry_count = entry_count + $3,
                state = case when $4 then 'open' else state end,
                state_changed_at = case when $5 then $6 else state_changed_at end,
                state_changed_by = case when $7 then $8 else state_changed_by end,
                state_comment = case when $9 then 'New entries arrived after it was resolved.' else state_comment end
             where id = $10",
        )
        .bind(&g.first)
        .bind(&g.last)
        .bind(g.count)
        .bind(reopen)
        .bind(reopen)
        .bind(db_now())
        .bind(reopen)
        .bind(&actor.label)
        .bind(reopen)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        if reopen {
            reopened.push(id);
        }
        let c = over
            .as_deref()
            .and_then(Category::parse)
            .or_else(|| Category::parse(&category))
            .unwrap_or(Category::Other);
        group_ids.insert(fp, (id, c));
    }
    for (fp, g) in groups {
        if group_ids.contains_key(fp) {
            continue;
        }
        // A new group whose message an editor has categorised before takes
        // that category, as its override (the classifier's stays beside it).
        let taught = lessons
            .get(&g.pattern)
            .map(|l| l.category)
            .filter(|c| *c != g.category);
        let id: i64 = crate::db::query_scalar(
            "insert into error_groups (environment_id, map_id, direction, category, rule, category_override,
                fingerprint, pattern, first_seen, last_seen, entry_count)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
        )
        .bind(environment_id)
        .bind(g.map_id)
        .bind(g.direction.as_str())
        .bind(g.category.as_str())
        .bind(&g.rule)
        .bind(taught.map(Category::as_str))
        .bind(fp)
        .bind(&g.pattern)
        .bind(&g.first)
        .bind(&g.last)
        .bind(g.count)
        .fetch_one(&mut *conn)
        .await?;
        group_ids.insert(fp.clone(), (id, taught.unwrap_or(g.category)));
    }
    Ok((group_ids, reopened))
}

/// Adds the groups' entries per day and hour.
async fn write_periods(
    conn: &mut dyn Conn,
    groups: &HashMap<String, GroupAgg>,
    group_ids: &GroupIds,
) -> Result<(), AppError> {
    let days: Vec<(i64, &String, i64)> = groups
        .iter()
        .flat_map(|(fp, g)| {
            let id = group_ids[fp].0;
            g.days.iter().map(move |(day, n)| (id, day, *n))
        })
        .collect();
    for chunk in days.chunks(1000) {
        let mut q: QueryBuilder<'_> =
            QueryBuilder::new("insert into error_group_days (group_id, day, count) ");
        q.push_values(chunk, |mut b, (id, day, n)| {
            b.push_bind(*id).push_bind(day.as_str()).push_bind(*n);
        });
        q.push(" on conflict (group_id, day) do update set count = error_group_days.count + excluded.count");
        q.build().execute(&mut *conn).await?;
    }
    let hours: Vec<(i64, &String, i64)> = groups
        .iter()
        .flat_map(|(fp, g)| {
            let id = group_ids[fp].0;
            g.hours.iter().map(move |(hour, n)| (id, hour, *n))
        })
        .collect();
    for chunk in hours.chunks(1000) {
        let mut q: QueryBuilder<'_> =
            QueryBuilder::new("insert into error_group_hours (group_id, hour, count) ");
        q.push_values(chunk, |mut b, (id, hour, n)| {
            b.push_bind(*id).push_bind(hour.as_str()).push_bind(*n);
        });
        q.push(" on conflict (group_id, hour) do update set count = error_group_hours.count + excluded.count");
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Adds the entries to the rollup by environment, map (0: all) and
/// effective category, per hour and day.
async fn roll_up(
    conn: &mut dyn Conn,
    environment_id: i64,
    groups: &HashMap<String, GroupAgg>,
    group_ids: &GroupIds,
) -> Result<(), AppError> {
    // The rollup by environment, map (0: all) and effective category.
    let mut roll: HashMap<(i64, Category, &str, &str), i64> = HashMap::new();
    for (fp, g) in groups {
        let category = group_ids[fp].1;
        let periods = g
            .hours
            .iter()
            .map(|(b, n)| (Grain::Hour.as_str(), b, n))
            .chain(g.days.iter().map(|(b, n)| (Grain::Day.as_str(), b, n)));
        for (grain, bucket, n) in periods {
            *roll.entry((0, category, grain, bucket)).or_default() += n;
            if let Some(map) = g.map_id {
                *roll.entry((map, category, grain, bucket)).or_default() += n;
            }
        }
    }
    let roll: Vec<_> = roll.into_iter().collect();
    for chunk in roll.chunks(500) {
        let mut q: QueryBuilder<'_> = QueryBuilder::new(
            "insert into error_rollup (environment_id, map_id, category, grain, bucket, count) ",
        );
        q.push_values(chunk, |mut b, ((map, category, grain, bucket), n)| {
            b.push_bind(environment_id)
                .push_bind(*map)
                .push_bind(category.as_str())
                .push_bind(*grain)
                .push_bind(*bucket)
                .push_bind(*n);
        });
        q.push(
            " on conflict (environment_id, map_id, grain, bucket, category) do update set count = error_rollup.count + excluded.count",
        );
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts the fresh entries.
async fn insert_entries(
    conn: &mut dyn Conn,
    environment_id: i64,
    fresh: &[Prepared],
    group_ids: &GroupIds,
    (source, source_ref): (Source, &str),
) -> Result<(), AppError> {
    // Entries in multi-row statements: 14 columns x 500 rows stays well
    // under SQLite's bound-parameter limit.
    let received = db_now();
    for chunk in fresh.chunks(500) {
        let mut q: QueryBuilder<'_> = QueryBuilder::new(
            "insert into error_entries (group_id, environment_id, client_id, occurred_at, received_at, record_key,
                legal_entity, category, rule, message, detail, source, source_ref) ",
        );
        q.push_values(chunk, |mut b, p| {
            b.push_bind(group_ids[&p.fingerprint].0)
                .push_bind(environment_id)
                .push_bind(&p.entry.client_id)
                .push_bind(&p.entry.occurred_at)
                .push_bind(&received)
                .push_bind(&p.entry.record_key)
                .push_bind(&p.entry.legal_entity)
                .push_bind(p.category.as_str())
                .push_bind(p.rule.as_str())
                .push_bind(&p.entry.message)
                .push_bind(&p.entry.detail)
                .push_bind(source.as_str())
                .push_bind(source_ref);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records each reopened group in the audit log.
async fn record_reopened(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    reopened: &[i64],
) -> Result<(), AppError> {
    let environment = if reopened.is_empty() {
        None
    } else {
        crate::environments::server::name_of(conn, environment_id).await?
    };
    for id in reopened {
        record(
            conn,
            actor,
            Event {
                action: "error_group.reopen",
                object_type: "error_group",
                object_id: Some(id.to_string()),
                summary: format!(
                    "Error group {id} reopened: new entries arrived after it was resolved"
                ),
                detail: None,
                environment: environment.clone(),
            },
        )
        .await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct GroupSql {
    id: i64,
    map_id: Option<i64>,
    direction: String,
    category: String,
    overridden: bool,
    pattern: String,
    entry_count: i64,
    in_range: i64,
    first_seen: String,
    last_seen: String,
    state: String,
}

impl GroupSql {
    fn into_row(self) -> GroupRow {
        GroupRow {
            id: self.id,
            // Named by `fill_map_names`: maps are the maps store's.
            map: self.map_id.map(|id| (id, String::new())),
            direction: ErrorDirection::parse(&self.direction).unwrap_or(ErrorDirection::Unknown),
            category: Category::parse(&self.category).unwrap_or(Category::Other),
            overridden: self.overridden,
            pattern: self.pattern,
            count: self.entry_count,
            count_in_range: self.in_range,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            state: GroupState::parse(&self.state).unwrap_or(GroupState::Open),
            last_7_days: vec![],
        }
    }
}

/// Rows per page of the queue.
pub const PAGE: i64 = 50;

/// Checks the filter's values; errors name the filter.
fn check_filter(f: &GroupFilter) -> Result<(), AppError> {
    let bad = |field: &str, v: &str| {
        AppError::validation(
            field,
            format!("'{v}' is not a valid value for the {field} filter."),
        )
    };
    let set = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
    if let Some(v) = set(&f.direction)
        && ErrorDirection::parse(&v).is_none()
    {
        return Err(bad("direction", &v));
    }
    if let Some(v) = set(&f.category)
        && Category::parse(&v).is_none()
    {
        return Err(bad("category", &v));
    }
    if let Some(v) = set(&f.state)
        && v != "active"
        && v != "all"
        && GroupState::parse(&v).is_none()
    {
        return Err(bad("state", &v));
    }
    for (k, v) in [("from", set(&f.from)), ("to", set(&f.to))] {
        if let Some(v) = v
            && NaiveDate::parse_from_str(&v, "%Y-%m-%d").is_err()
        {
            return Err(AppError::validation(
                k,
                format!("'{v}' is not a day; use YYYY-MM-DD."),
            ));
        }
    }
    if let Some(v) = set(&f.map)
        && v != "none"
        && v.parse::<i64>().is_err()
    {
        return Err(bad("map", &v));
    }
    if let Some(v) = set(&f.sort)
        && !["last_seen", "count", "first_seen"].contains(&v.as_str())
    {
        return Err(bad("sort", &v));
    }
    Ok(())
}

/// Appends the filter's conditions (every value bound).
fn push_filter(q: &mut QueryBuilder<'_>, environment_id: i64, f: &GroupFilter) {
    let set = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
    q.push(" where g.environment_id = ")
        .push_bind(environment_id);
    match set(&f.map).as_deref() {
        None => {}
        Some("none") => {
            q.push(" and g.map_id is null");
        }
        Some(id) => {
            q.push(" and g.map_id = ")
                .push_bind(id.parse::<i64>().unwrap_or(-1));
        }
    }
    if let Some(d) = set(&f.direction) {
        q.push(" and g.direction = ").push_bind(d);
    }
    if let Some(c) = set(&f.category) {
        q.push(" and coalesce(g.category_override, g.category) = ")
            .push_bind(c);
    }
    match set(&f.state).as_deref() {
        None | Some("active") => {
            q.push(" and g.state in ('open', 'acknowledged')");
        }
        Some("all") => {}
        Some(s) => {
            q.push(" and g.state = ").push_bind(s.to_string());
        }
    }
    if let Some(from) = set(&f.from) {
        q.push(" and g.last_seen >= ").push_bind(from);
    }
    if let Some(to) = set(&f.to) {
        // Inclusive: everything before the next day.
        q.push(" and g.first_seen < ").push_bind(format!("{to}T99"));
    }
    if set(&f.from).is_some() || set(&f.to).is_some() {
        q.push(" and exists (select 1 from error_group_days d where d.group_id = g.id and d.day between ")
            .push_bind(set(&f.from).unwrap_or_else(|| "0000-00-00".into()))
            .push(" and ")
            .push_bind(set(&f.to).unwrap_or_else(|| "9999-99-99".into()))
            .push(")");
    }
    if let Some(text) = set(&f.q) {
        for word in text.split_whitespace().take(8) {
            let escaped = word
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            // `lower` on both sides: SQLite's `like` ignores ASCII case,
            // PostgreSQL's does not.
            q.push(" and lower(g.pattern) like lower(")
                .push_bind(format!("%{escaped}%"))
                .push(") escape '\\'");
        }
    }
}

/// One page of groups matching the filter, with the total and the cursor
/// of the next page (keyset paging on the sort key and id).
#[tracing::instrument(skip_all, fields(environment.id = environment_id))]
pub async fn list_groups(
    conn: &mut dyn Conn,
    environment_id: i64,
    f: &GroupFilter,
) -> Result<(Vec<GroupRow>, i64, Option<String>), AppError> {
    check_filter(f)?;
    let set = |v: &Option<String>| v.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
    let (from, to) = (set(&f.from), set(&f.to));
    let ranged = from.is_some() || to.is_some();
    let sort = set(&f.sort).unwrap_or_else(|| "last_seen".into());
    let key = match sort.as_str() {
        "count" => "g.entry_count",
        "first_seen" => "g.first_seen",
        _ => "g.last_seen",
    };

    let mut count: QueryBuilder<'_> = QueryBuilder::new("select count(*) from error_groups g");
    push_filter(&mut count, environment_id, f);
    let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

    let mut q: QueryBuilder<'_> = QueryBuilder::new(
        "select g.id, g.map_id, g.direction, coalesce(g.category_override, g.category) as category,
                g.category_override is not null as overridden, g.pattern, g.entry_count, ",
    );
    if ranged {
        q.push("(select coalesce(cast(sum(d.count) as bigint), 0) from error_group_days d where d.group_id = g.id and d.day between ")
            .push_bind(from.clone().unwrap_or_else(|| "0000-00-00".into()))
            .push(" and ")
            .push_bind(to.clone().unwrap_or_else(|| "9999-99-99".into()))
            .push(")");
    } else {
        q.push("g.entry_count");
    }
    q.push(
        " as in_range, g.first_seen, g.last_seen, g.state
         from error_groups g",
    );
    push_filter(&mut q, environment_id, f);
    if let Some((k, id)) = set(&f.after).as_deref().and_then(|a| a.rsplit_once('~')) {
        let id = id.parse::<i64>().unwrap_or(i64::MAX);
        q.push(format_args!(" and ({key}, g.id) < ("));
        if sort == "count" {
            q.push_bind(k.parse::<i64>().unwrap_or(i64::MAX));
        } else {
            q.push_bind(k.to_string());
        }
        q.push(", ").push_bind(id).push(")");
    }
    q.push(format_args!(" order by {key} desc, g.id desc limit "))
        .push_bind(PAGE + 1);
    let mut rows: Vec<GroupSql> = q.build_query_as().fetch_all(&mut *conn).await?;
    let next = if rows.len() as i64 > PAGE {
        rows.truncate(PAGE as usize);
        rows.last().map(|r| {
            let k = match sort.as_str() {
                "count" => r.entry_count.to_string(),
                "first_seen" => r.first_seen.clone(),
                _ => r.last_seen.clone(),
            };
            format!("{k}~{}", r.id)
        })
    } else {
        None
    };
    let mut groups: Vec<GroupRow> = rows.into_iter().map(GroupSql::into_row).collect();
    fill_sparklines(conn, &mut groups).await?;
    fill_map_names(conn, environment_id, &mut groups).await?;
    Ok((groups, total, next))
}

/// Names each group's map (deleted maps too: their groups stay).
async fn fill_map_names(
    conn: &mut dyn Conn,
    environment_id: i64,
    groups: &mut [GroupRow],
) -> Result<(), AppError> {
    if groups.iter().all(|g| g.map.is_none()) {
        return Ok(());
    }
    let names = crate::maps::server::names_by_id(conn, environment_id).await?;
    for g in groups.iter_mut() {
        g.map = g
            .map
            .take()
            .and_then(|(id, _)| Some((id, names.get(&id)?.clone())));
    }
    Ok(())
}

/// Fills `last_7_days` (today and the six days before, UTC).
async fn fill_sparklines(conn: &mut dyn Conn, groups: &mut [GroupRow]) -> Result<(), AppError> {
    let today = Utc::now().date_naive();
    let days: Vec<String> = (0..7)
        .rev()
        .map(|i| (today - Duration::days(i)).format("%Y-%m-%d").to_string())
        .collect();
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let rows: Vec<(i64, String, i64)> = crate::db::query_as(
        "select group_id, day, count from error_group_days
         where group_id in (select cast(value as bigint) from json_each($1)) and day >= $2",
    )
    .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
    .bind(&days[0])
    .fetch_all(conn)
    .await?;
    let counts: HashMap<(i64, &str), i64> = rows
        .iter()
        .map(|(id, day, n)| ((*id, day.as_str()), *n))
        .collect();
    for g in groups.iter_mut() {
        g.last_7_days = days
            .iter()
            .map(|d| counts.get(&(g.id, d.as_str())).copied().unwrap_or(0))
            .collect();
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EntrySql {
    id: i64,
    client_id: String,
    occurred_at: String,
    received_at: String,
    record_key: String,
    legal_entity: String,
    category: String,
    rule: String,
    message: String,
    detail: Option<String>,
    source: String,
    source_ref: String,
}

/// A group with a page of its entries, newest first. `before` is the
/// cursor `occurred_at~id` of the last entry of the previous page.
#[tracing::instrument(skip_all, fields(group.id = id))]
pub async fn group_detail(
    conn: &mut dyn Conn,
    id: i64,
    before: Option<&str>,
) -> Result<GroupDetail, AppError> {
    let (before_at, before_id) = before
        .and_then(|b| b.rsplit_once('~'))
        .and_then(|(at, id)| Some((at.to_string(), id.parse::<i64>().ok()?)))
        .unwrap_or_else(|| ("9999".into(), i64::MAX));
    let mut q: QueryBuilder<'_> = QueryBuilder::new(
        "select g.id, g.map_id, g.direction, coalesce(g.category_override, g.category) as category,
                g.category_override is not null as overridden, g.pattern, g.entry_count, g.entry_count as in_range,
                g.first_seen, g.last_seen, g.state
         from error_groups g where g.id = ",
    );
    q.push_bind(id);
    let row: Option<GroupSql> = q.build_query_as().fetch_optional(&mut *conn).await?;
    let mut group = vec![
        row.ok_or_else(|| AppError::not_found(format!("Error group {id}")))?
            .into_row(),
    ];
    fill_sparklines(conn, &mut group).await?;
    #[allow(clippy::type_complexity)]
    let (env_id, category, rule, at, by, comment): (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = crate::db::query_as(
        "select environment_id, category, rule, state_changed_at, state_changed_by, state_comment
         from error_groups where id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    fill_map_names(conn, env_id, &mut group).await?;
    let group = group.remove(0);
    let environment = crate::environments::server::name_of(conn, env_id)
        .await?
        .unwrap_or_default();
    let rows: Vec<EntrySql> = crate::db::query_as(
        "select id, client_id, occurred_at, received_at, record_key, legal_entity, category, rule, message, detail,
                source, source_ref
         from error_entries where group_id = $1 and (occurred_at, id) < ($2, $3)
         order by occurred_at desc, id desc limit $4",
    )
    .bind(id)
    .bind(before_at)
    .bind(before_id)
    .bind(PAGE + 1)
    .fetch_all(&mut *conn)
    .await?;
    let more = rows.len() as i64 > PAGE;
    let entries: Vec<Entry> = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| Entry {
            id: r.id,
            client_id: r.client_id,
            occurred_at: r.occurred_at,
            received_at: r.received_at,
            record_key: r.record_key,
            legal_entity: r.legal_entity,
            message: r.message,
            detail: r.detail,
            category: Category::parse(&r.category).unwrap_or(Category::Other),
            rule: r.rule,
            source: Source::parse(&r.source).unwrap_or(Source::Api),
            source_ref: r.source_ref,
        })
        .collect();
    let next = if more {
        entries
            .last()
            .map(|e| format!("{}~{}", e.occurred_at, e.id))
    } else {
        None
    };
    Ok(GroupDetail {
        group,
        environment,
        classified_as: (Category::parse(&category).unwrap_or(Category::Other), rule),
        state_note: match (at, by) {
            (Some(at), Some(by)) => Some((at, by, comment.unwrap_or_default())),
            _ => None,
        },
        entries,
        next,
        can_edit: false,
    })
}

/// Ids of every group matching the filter (for "all matching" bulk actions).
pub async fn matching_ids(
    conn: &mut dyn Conn,
    environment_id: i64,
    f: &GroupFilter,
) -> Result<Vec<i64>, AppError> {
    check_filter(f)?;
    let mut q: QueryBuilder<'_> = QueryBuilder::new("select g.id from error_groups g");
    push_filter(&mut q, environment_id, f);
    Ok(q.build_query_scalar().fetch_all(conn).await?)
}

/// Moves groups of one environment to `state` with a comment; one audit
/// entry names them all. Returns how many changed.
#[tracing::instrument(skip_all, fields(groups = ids.len()))]
pub async fn set_state(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    ids: &[i64],
    state: GroupState,
    comment: &str,
) -> Result<usize, AppError> {
    if ids.is_empty() {
        return Err(AppError::validation(
            "ids",
            "Select at least one group (or all groups matching the filter).",
        ));
    }
    let changed: Vec<i64> = crate::db::query_scalar(
        "update error_groups set state = $1, state_changed_at = $2, state_changed_by = $3, state_comment = $4
         where environment_id = $5 and id in (select cast(value as bigint) from json_each($6)) and state <> $7
         returning id",
    )
    .bind(state.as_str())
    .bind(db_now())
    .bind(&actor.label)
    .bind(comment.trim())
    .bind(environment_id)
    .bind(serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
    .bind(state.as_str())
    .fetch_all(&mut *conn)
    .await?;
    if changed.is_empty() {
        return Ok(0);
    }
    let environment = crate::environments::server::name_of(conn, environment_id).await?;
    record(
        conn,
        actor,
        Event {
            action: "error_group.state",
            object_type: "error_group",
            object_id: (changed.len() == 1).then(|| changed[0].to_string()),
            summary: format!(
                "Set {} error group{} to {}{}",
                changed.len(),
                if changed.len() == 1 { "" } else { "s" },
                state.as_str(),
                match comment.trim() {
                    "" => String::new(),
                    c => format!(": {c}"),
                }
            ),
            detail: Some(serde_json::json!({ "groups": changed, "comment": comment.trim() })),
            environment,
        },
    )
    .await?;
    Ok(changed.len())
}

/// Adds `sign` times a group's hourly and daily counts to the trend
/// rollup under `category`, for all maps and for the group's map.
pub(super) async fn roll_group(
    conn: &mut dyn Conn,
    group_id: i64,
    category: &str,
    sign: i64,
) -> Result<(), AppError> {
    for (grain, table, column) in [
        (Grain::Hour.as_str(), "error_group_hours", "hour"),
        (Grain::Day.as_str(), "error_group_days", "day"),
    ] {
        for map in ["0", "g.map_id"] {
            let sql = format!(
                "insert into error_rollup (environment_id, map_id, category, grain, bucket, count)
                 select g.environment_id, {map}, $1, $2, b.{column}, $3 * b.count
                 from {table} b join error_groups g on g.id = b.group_id
                 where b.group_id = $4 and {map} is not null
                 on conflict (environment_id, map_id, grain, bucket, category)
                 do update set count = error_rollup.count + excluded.count"
            );
            crate::db::query(sqlx::AssertSqlSafe(sql))
                .bind(category)
                .bind(grain)
                .bind(sign)
                .bind(group_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Sets (or with `None`, clears) an editor's category for a group.
#[tracing::instrument(skip_all, fields(group.id = id))]
pub async fn override_category(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    category: Option<Category>,
    comment: &str,
) -> Result<(), AppError> {
    let old: Option<(String, Option<String>, i64, String)> = crate::db::query_as(
        "select category, category_override, environment_id, pattern from error_groups where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let (classified, old, environment_id, pattern) =
        old.ok_or_else(|| AppError::not_found(format!("Error group {id}")))?;
    let new = category.map(|c| c.as_str().to_string());
    if new == old {
        return Ok(());
    }
    crate::db::query("update error_groups set category_override = $1 where id = $2")
        .bind(&new)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    // The group's history moves to its new category in the trend rollup.
    let from = old.as_deref().unwrap_or(&classified);
    let to = new.as_deref().unwrap_or(&classified);
    if from != to {
        roll_group(conn, id, from, -1).await?;
        roll_group(conn, id, to, 1).await?;
    }
    // The override teaches: new groups with this message in this
    // environment take the same category.
    super::learn::teach(conn, actor, environment_id, id, &pattern, category).await?;
    let environment = crate::environments::server::name_of(conn, environment_id).await?;
    record(
        conn,
        actor,
        Event {
            action: "error_group.category",
            object_type: "error_group",
            object_id: Some(id.to_string()),
            summary: format!(
                "Error group {id}: category {} → {}{}",
                old.as_deref().unwrap_or(&classified),
                new.as_deref()
                    .unwrap_or(&format!("{classified} (classifier's)")),
                if new.is_some() {
                    "; new groups with this message will take it"
                } else {
                    ""
                }
            ),
            detail: Some(serde_json::json!({ "from": old, "to": new, "comment": comment.trim() })),
            environment,
        },
    )
    .await
}

/// Computes the sweep of the 24 hours before `now`.
#[tracing::instrument(skip_all, fields(environment.id = environment_id))]
pub async fn sweep(
    conn: &mut dyn Conn,
    environment_id: i64,
    now: DateTime<Utc>,
) -> Result<Sweep, AppError> {
    let since = db_time(now - Duration::hours(24));
    let categories: Vec<(String, i64)> = crate::db::query_as(
        "select coalesce(g.category_override, g.category), count(*) from error_entries e
         join error_groups g on g.id = e.group_id
         where e.occurred_at >= $1 and e.environment_id = $2 group by 1 order by 2 desc, 1",
    )
    .bind(&since)
    .bind(environment_id)
    .fetch_all(&mut *conn)
    .await?;
    let per_map: Vec<(Option<i64>, i64)> = crate::db::query_as(
        "select g.map_id, count(*) from error_entries e join error_groups g on g.id = e.group_id
         where e.occurred_at >= $1 and e.environment_id = $2 group by g.map_id",
    )
    .bind(&since)
    .bind(environment_id)
    .fetch_all(&mut *conn)
    .await?;
    let names = crate::maps::server::names_by_id(conn, environment_id).await?;
    let mut top_maps: Vec<(String, i64)> = per_map
        .into_iter()
        .map(|(map, n)| {
            let name = map.and_then(|m| names.get(&m).cloned());
            (name.unwrap_or_else(|| "(no map)".into()), n)
        })
        .collect();
    top_maps.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top_maps.truncate(5);
    let new_groups: Vec<(i64, String, String, i64)> = crate::db::query_as(
        "select id, coalesce(category_override, category), pattern, entry_count from error_groups
         where environment_id = $1 and first_seen >= $2 order by entry_count desc, id desc limit 10",
    )
    .bind(environment_id)
    .bind(&since)
    .fetch_all(&mut *conn)
    .await?;
    let cat = |c: &str| Category::parse(c).unwrap_or(Category::Other);
    Ok(Sweep {
        entries: categories.iter().map(|(_, n)| n).sum(),
        since,
        new_groups: new_groups
            .into_iter()
            .map(|(id, c, p, n)| (id, cat(&c), p, n))
            .collect(),
        top_categories: categories.into_iter().map(|(c, n)| (cat(&c), n)).collect(),
        top_maps,
    })
}

/// A period of the error rollups (`error_group_hours`, `error_group_days`,
/// `error_rollup`). A period's key is the start of a stored time: an hour
/// is `YYYY-MM-DDTHH`, a day `YYYY-MM-DD`. The writer and the readers
/// below are the only code that knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// An hour.
    Hour,
    /// A day (UTC).
    Day,
}

impl Grain {
    /// The stored name.
    fn as_str(self) -> &'static str {
        match self {
            Grain::Hour => "hour",
            Grain::Day => "day",
        }
    }

    /// The key of the period a stored time falls in.
    fn key_of(self, stored: &str) -> &str {
        let n = match self {
            Grain::Hour => 13,
            Grain::Day => 10,
        };
        stored.get(..n).unwrap_or(stored)
    }

    /// The key of the period holding Unix second `t`.
    fn key(self, t: i64) -> String {
        self.key_of(&db_time(DateTime::from_timestamp(t, 0).unwrap_or_default()))
            .to_string()
    }

    /// The Unix second a period starts at, from its key.
    fn start(self, key: &str) -> Option<i64> {
        let suffix = match self {
            Grain::Hour => ":00:00Z",
            Grain::Day => "T00:00:00Z",
        };
        DateTime::parse_from_rfc3339(&format!("{key}{suffix}"))
            .ok()
            .map(|d| d.timestamp())
    }
}

/// Entries per period and effective category in `[from, to)` (Unix
/// seconds, period starts) of an environment's map (`None`: all of them),
/// as (period start, category, entries). Periods a group left when it was
/// recategorised (zero counts) are left out.
pub async fn rollup(
    conn: &mut dyn Conn,
    environment_id: i64,
    map: Option<i64>,
    grain: Grain,
    (from, to): (i64, i64),
) -> Result<Vec<(i64, Category, i64)>, AppError> {
    let rows: Vec<(String, String, i64)> = crate::db::query_as(
        "select bucket, category, cast(sum(count) as bigint) from error_rollup
         where environment_id = $1 and map_id = $2 and grain = $3 and bucket >= $4 and bucket < $5
         group by 1, 2",
    )
    .bind(environment_id)
    .bind(map.unwrap_or(0))
    .bind(grain.as_str())
    .bind(grain.key(from))
    .bind(grain.key(to))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.2 != 0)
        .filter_map(|(bucket, c, n)| {
            Some((
                grain.start(&bucket)?,
                Category::parse(&c).unwrap_or(Category::Other),
                n,
            ))
        })
        .collect())
}

/// Entries per hour in `[from, to)` of each of `maps` and of the whole
/// environment (map 0), as (map, hour start, entries). The `in` seeks each
/// map's rows on the primary key.
pub async fn hourly_per_map(
    conn: &mut dyn Conn,
    environment_id: i64,
    maps: &[i64],
    (from, to): (i64, i64),
) -> Result<Vec<(i64, i64, i64)>, AppError> {
    let rows: Vec<(i64, String, i64)> = crate::db::query_as(
        "select map_id, bucket, cast(sum(count) as bigint) from error_rollup
         where environment_id = $1 and grain = 'hour' and bucket >= $2 and bucket < $3
           and map_id in (select 0 union all select cast(value as bigint) from json_each($4))
         group by 1, 2",
    )
    .bind(environment_id)
    .bind(Grain::Hour.key(from))
    .bind(Grain::Hour.key(to))
    .bind(crate::db::id_list(maps))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(map, bucket, n)| Some((map, Grain::Hour.start(&bucket)?, n)))
        .collect())
}

/// Entries stored per environment since the console started counting
/// (the groups' counts, which retention does not lower), and open groups:
/// (environment id, entries, open groups), for `/metrics`.
pub async fn totals(conn: &mut dyn Conn) -> Result<Vec<(i64, i64, i64)>, AppError> {
    Ok(crate::db::query_as(
        "select environment_id, coalesce(cast(sum(entry_count) as bigint), 0), cast(sum(case when state = 'open' then 1 else 0 end) as bigint) from error_groups
         group by environment_id order by environment_id",
    )
    .fetch_all(conn)
    .await?)
}

/// Which error groups an alert rule counts: the environment's, narrowed
/// to some maps, a direction and an effective category.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// These maps only, per map; `None` for the whole environment (entries
    /// that named no map included).
    pub maps: Option<Vec<i64>>,
    /// `fo_to_dataverse` or `dataverse_to_fo`.
    pub direction: Option<&'static str>,
    /// The effective category's stored name.
    pub category: Option<&'static str>,
}

/// Entries per hour in `[from, to)` (Unix seconds) matching `f`, as (map,
/// hour start, entries); map `None` for the whole environment. Without a
/// direction it reads the rollup; with one, the groups' hourly counts.
pub async fn hourly_matching(
    conn: &mut dyn Conn,
    environment_id: i64,
    f: &AlertFilter,
    (from, to): (i64, i64),
) -> Result<Vec<(Option<i64>, i64, i64)>, AppError> {
    let (whole, maps) = match &f.maps {
        None => (true, vec![0]),
        Some(m) => (false, m.clone()),
    };
    let rows: Vec<(i64, String, i64)> = match f.direction {
        None => {
            crate::db::query_as(
                "select map_id, bucket, cast(sum(count) as bigint) from error_rollup
                 where environment_id = $1 and grain = 'hour' and bucket >= $2 and bucket < $3
                   and map_id in (select cast(value as bigint) from json_each($4)) and (cast($5 as text) is null or category = $5)
                 group by 1, 2",
            )
            .bind(environment_id)
            .bind(Grain::Hour.key(from))
            .bind(Grain::Hour.key(to))
            .bind(crate::db::id_list(&maps))
            .bind(f.category)
            .fetch_all(conn)
            .await?
        }
        Some(direction) => {
            crate::db::query_as(
                "select case when $6 then 0 else g.map_id end, h.hour, cast(sum(h.count) as bigint)
                 from error_group_hours h join error_groups g on g.id = h.group_id
                 where g.environment_id = $1 and h.hour >= $2 and h.hour < $3
                   and ($6 or g.map_id in (select cast(value as bigint) from json_each($4)))
                   and g.direction = $7 and (cast($5 as text) is null or coalesce(g.category_override, g.category) = $5)
                 group by 1, 2",
            )
            .bind(environment_id)
            .bind(Grain::Hour.key(from))
            .bind(Grain::Hour.key(to))
            .bind(crate::db::id_list(&maps))
            .bind(f.category)
            .bind(whole)
            .bind(direction)
            .fetch_all(conn)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter(|r| r.2 != 0)
        .filter_map(|(map, hour, n)| Some(((!whole).then_some(map), Grain::Hour.start(&hour)?, n)))
        .collect())
}

/// The groups matching `f` (maps only narrow; the whole environment
/// includes groups without a map) as (map, first seen, closed at), Unix
/// seconds: closed is when a group now resolved or ignored was set so.
/// Groups closed before `from` are left out.
pub async fn group_spans(
    conn: &mut dyn Conn,
    environment_id: i64,
    f: &AlertFilter,
    from: i64,
) -> Result<Vec<(Option<i64>, i64, Option<i64>)>, AppError> {
    let rows: Vec<(Option<i64>, String, Option<String>)> = crate::db::query_as(
        "select map_id, first_seen, case when state in ('resolved', 'ignored') then state_changed_at end
         from error_groups
         where environment_id = $1 and (cast($2 as text) is null or map_id in (select cast(value as bigint) from json_each($2)))
           and (cast($3 as text) is null or direction = $3) and (cast($4 as text) is null or coalesce(category_override, category) = $4)
           and not (state in ('resolved', 'ignored') and coalesce(state_changed_at, '') < $5)",
    )
    .bind(environment_id)
    .bind(f.maps.as_deref().map(crate::db::id_list))
    .bind(f.direction)
    .bind(f.category)
    .bind(crate::db::db_time_secs(from))
    .fetch_all(conn)
    .await?;
    let secs = |t: &str| DateTime::parse_from_rfc3339(t).ok().map(|d| d.timestamp());
    Ok(rows
        .into_iter()
        .filter_map(|(map, first, closed)| {
            Some((
                if f.maps.is_some() { map } else { None },
                secs(&first)?,
                closed.as_deref().and_then(secs),
            ))
        })
        .collect())
}

/// Entries per effective category over the whole days in `[from, to)`
/// (Unix seconds at midnight UTC), from the daily rollup of the whole
/// environment.
pub async fn category_totals(
    conn: &mut dyn Conn,
    environment_id: i64,
    (from, to): (i64, i64),
) -> Result<HashMap<Category, i64>, AppError> {
    let mut totals = HashMap::new();
    for (_, c, n) in rollup(conn, environment_id, None, Grain::Day, (from, to)).await? {
        *totals.entry(c).or_default() += n;
    }
    Ok(totals)
}

/// Open groups per map (`None`: entries that named no map) of an
/// environment, and the groups first seen since `since` (stored time).
pub async fn open_and_new(
    conn: &mut dyn Conn,
    environment_id: i64,
    since: &str,
) -> Result<(HashMap<Option<i64>, i64>, i64), AppError> {
    let open: Vec<(Option<i64>, i64)> = crate::db::query_as(
        "select map_id, count(*) from error_groups where environment_id = $1 and state = 'open' group by map_id",
    )
    .bind(environment_id)
    .fetch_all(&mut *conn)
    .await?;
    let new: i64 = crate::db::query_scalar(
        "select count(*) from error_groups where environment_id = $1 and first_seen >= $2",
    )
    .bind(environment_id)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok((open.into_iter().collect(), new))
}

/// The groups of an environment first seen since `since` (stored time),
/// newest first, at most `limit`: (map, first seen, pattern). A queue
/// gate names them as its evidence.
pub async fn new_groups(
    conn: &mut dyn Conn,
    environment_id: i64,
    since: &str,
    limit: i64,
) -> Result<Vec<(Option<i64>, String, String)>, AppError> {
    Ok(crate::db::query_as(
        "select map_id, first_seen, pattern from error_groups
         where environment_id = $1 and first_seen >= $2 order by first_seen desc, id desc limit $3",
    )
    .bind(environment_id)
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// When groups of an environment (or one map of it) were first seen, and
/// when groups were resolved (and still are), in `[from, to)` (stored
/// times).
pub async fn new_and_resolved_times(
    conn: &mut dyn Conn,
    environment_id: i64,
    map: Option<i64>,
    (from, to): (&str, &str),
) -> Result<(Vec<String>, Vec<String>), AppError> {
    let first: Vec<String> = crate::db::query_scalar(
        "select first_seen from error_groups
         where environment_id = $1 and (cast($2 as bigint) is null or map_id = $3) and first_seen >= $4 and first_seen < $5",
    )
    .bind(environment_id)
    .bind(map)
    .bind(map)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let resolved: Vec<String> = crate::db::query_scalar(
        "select state_changed_at from error_groups
         where environment_id = $1 and (cast($2 as bigint) is null or map_id = $3) and state = 'resolved'
           and state_changed_at >= $4 and state_changed_at < $5",
    )
    .bind(environment_id)
    .bind(map)
    .bind(map)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok((first, resolved))
}

/// Entries per minute (`YYYY-MM-DDTHH:MM`) of a map in `[from, to)`
/// (stored times): the failures the throughput collector adds to what it
/// read.
pub async fn per_minute(
    conn: &mut dyn Conn,
    map_id: i64,
    (from, to): (&str, &str),
) -> Result<Vec<(String, i64)>, AppError> {
    Ok(crate::db::query_as(
        "select substr(e.occurred_at, 1, 16), count(*) from error_entries e
         join error_groups g on g.id = e.group_id
         where g.map_id = $1 and e.occurred_at >= $2 and e.occurred_at < $3
         group by 1",
    )
    .bind(map_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// A group as the weekly review lists it: id, pattern, effective category,
/// map name, entries in the week, state.
pub type WeekGroup = (i64, String, String, Option<String>, i64, String);

/// The groups of a week: the ten with the most entries, those first seen
/// in it, and those resolved in it (at most 100 each).
pub struct WeekGroups {
    /// The most entries in the week, most first.
    pub top: Vec<WeekGroup>,
    /// First seen in the week, in order.
    pub new: Vec<WeekGroup>,
    /// Marked resolved in the week (and still resolved), in order.
    pub resolved: Vec<WeekGroup>,
}

/// The groups of the week of days `first..=last`, which is `[from, to)` in
/// stored times.
pub async fn week_groups(
    conn: &mut dyn Conn,
    environment_id: i64,
    (first, last): (&str, &str),
    (from, to): (&str, &str),
) -> Result<WeekGroups, AppError> {
    // id, pattern, effective category, map, entries in the week (?1..?2
    // days), state; each query adds its condition and order.
    const GROUPS: &str = "select g.id, g.pattern, coalesce(g.category_override, g.category), g.map_id,
            (select coalesce(cast(sum(d.count) as bigint), 0) from error_group_days d where d.group_id = g.id and d.day between $1 and $2),
            g.state
        from error_groups g
        where g.environment_id = $3";
    type Row = (i64, String, String, Option<i64>, i64, String);
    let top: Vec<Row> = crate::db::query_as(
        "select g.id, g.pattern, coalesce(g.category_override, g.category), g.map_id, t.n, g.state
         from (select d.group_id, cast(sum(d.count) as bigint) as n from error_group_days d
               where d.day between $1 and $2 group by d.group_id) t
         join error_groups g on g.id = t.group_id
         where g.environment_id = $3
         order by t.n desc, g.id limit 10",
    )
    .bind(first)
    .bind(last)
    .bind(environment_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut listed = Vec::with_capacity(2);
    for condition in [
        "g.first_seen >= $4 and g.first_seen < $5 order by g.first_seen limit 100",
        "g.state = 'resolved' and g.state_changed_at >= $4 and g.state_changed_at < $5
         order by g.state_changed_at limit 100",
    ] {
        let rows: Vec<Row> =
            crate::db::query_as(sqlx::AssertSqlSafe(format!("{GROUPS} and {condition}")))
                .bind(first)
                .bind(last)
                .bind(environment_id)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?;
        listed.push(rows);
    }
    let names = crate::maps::server::names_by_id(conn, environment_id).await?;
    let name = |rows: Vec<Row>| -> Vec<WeekGroup> {
        rows.into_iter()
            .map(|(id, pattern, category, map, n, state)| {
                let map = map.and_then(|m| names.get(&m).cloned());
                (id, pattern, category, map, n, state)
            })
            .collect()
    };
    let resolved = listed.pop().unwrap_or_default();
    let new = listed.pop().unwrap_or_default();
    Ok(WeekGroups {
        top: name(top),
        new: name(new),
        resolved: name(resolved),
    })
}

/// Deletes raw entries that occurred before `cutoff`, in chunks so other
/// writers get the database between them. Groups and daily counts stay.
#[tracing::instrument(skip_all)]
pub async fn prune(pool: &crate::db::Pool, cutoff: DateTime<Utc>) -> Result<u64, AppError> {
    let cutoff = db_time(cutoff);
    let mut total = 0;
    loop {
        let n = crate::db::query(
            "delete from error_entries where id in
               (select id from error_entries where occurred_at < $1 limit 5000)",
        )
        .bind(&cutoff)
        .execute(pool)
        .await?
        .rows_affected();
        total += n;
        if n < 5000 {
            break;
        }
    }
    if total > 0 {
        tracing::info!(pruned = total, before = %cutoff, "pruned old error entries");
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::{server as envs, validate_environment};

    async fn environment(conn: &mut dyn Conn) -> i64 {
        let input = validate_environment("UAT", "", "", "").unwrap();
        envs::save(conn, &Actor::cli(), None, &input).await.unwrap()
    }

    fn entry(id: &str, at: DateTime<Utc>, message: &str) -> ValidEntry {
        let raw = RawEntry {
            id: Some(id.into()),
            occurred_at: Some(db_time(at)),
            message: Some(message.into()),
            ..Default::default()
        };
        check_entry(raw, &HashMap::new()).unwrap()
    }

    #[tokio::test]
    async fn retention_prunes_raw_entries_but_keeps_groups_counts_and_days() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let env = environment(&mut conn).await;
        let now = Utc::now();
        let entries = vec![
            entry(
                "old-1",
                now - Duration::days(500),
                "Integration keys are missing",
            ),
            entry(
                "old-2",
                now - Duration::days(450),
                "Integration keys are missing",
            ),
            entry(
                "new-1",
                now - Duration::hours(2),
                "Integration keys are missing",
            ),
        ];
        let accepted = ingest(
            &mut conn,
            &Actor::cli(),
            env,
            prepare(env, entries),
            Source::Api,
            "t",
        )
        .await
        .unwrap();
        assert!(accepted.iter().all(|a| a.group_id == accepted[0].group_id));
        drop(conn);
        assert_eq!(prune(&pool, now - Duration::days(400)).await.unwrap(), 2);
        let (entries, count, days): (i64, i64, i64) = crate::db::query_as(
            "select (select count(*) from error_entries), (select entry_count from error_groups),
                    (select count(*) from error_group_days)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((entries, count, days), (1, 3, 3));

        let mut conn = pool.acquire().await.unwrap();
        let s = sweep(&mut conn, env, now).await.unwrap();
        assert_eq!(s.entries, 1, "only the last 24 hours count");
        assert_eq!(s.top_categories, vec![(Category::MissingFieldMapping, 1)]);
        assert!(s.new_groups.is_empty(), "the group was first seen long ago");
    }

    #[tokio::test]
    async fn filters_and_keyset_pages_walk_every_group_once() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let env = environment(&mut conn).await;
        let now = Utc::now();
        // 120 distinct groups (letters keep their messages apart).
        let entries: Vec<_> = (0..120)
            .map(|i| {
                let tag: String = [
                    (b'a' + (i / 26) as u8) as char,
                    (b'a' + (i % 26) as u8) as char,
                ]
                .iter()
                .collect();
                let kind = if i % 3 == 0 {
                    "Integration keys are missing"
                } else {
                    "Missing source schema"
                };
                entry(
                    &format!("e{i}"),
                    now - Duration::minutes(i),
                    &format!("{kind} for {tag}"),
                )
            })
            .collect();
        ingest(
            &mut conn,
            &Actor::cli(),
            env,
            prepare(env, entries),
            Source::Api,
            "t",
        )
        .await
        .unwrap();
        let mut f = GroupFilter::default();
        let mut seen = Vec::new();
        loop {
            let (rows, total, next) = list_groups(&mut conn, env, &f).await.unwrap();
            assert_eq!(total, 120);
            seen.extend(rows.iter().map(|r| r.id));
            match next {
                Some(n) => f.after = Some(n),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (120, 120));

        let f = GroupFilter {
            q: Some("keys".into()),
            sort: Some("count".into()),
            ..Default::default()
        };
        assert_eq!(list_groups(&mut conn, env, &f).await.unwrap().1, 40);
        let bad = GroupFilter {
            category: Some("oops".into()),
            ..Default::default()
        };
        assert!(matches!(
            list_groups(&mut conn, env, &bad).await,
            Err(AppError::Validation { ref field, .. }) if field == "category"
        ));
        let ids = matching_ids(&mut conn, env, &f).await.unwrap();
        let changed = set_state(
            &mut conn,
            &Actor::cli(),
            env,
            &ids,
            GroupState::Ignored,
            "known",
        )
        .await
        .unwrap();
        assert_eq!(changed, 40);
        let active = list_groups(&mut conn, env, &GroupFilter::default())
            .await
            .unwrap()
            .1;
        assert_eq!(active, 80, "ignored groups leave the default view");
    }
}
