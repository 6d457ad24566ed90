//! Sync throughput: records synced and failed per map, direction and
//! minute, with latency where known, rolled up to hours and days as it is
//! stored. This module checks samples (pure) and, on the server, stores
//! and reads them ([`server`]).

#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};

/// Items in one ingest batch, at most.
pub const MAX_ITEMS: usize = 10_000;
/// Latency values in one item, at most.
pub const MAX_LATENCIES: usize = 1_000;
/// Most records one item may count in its minute. Dataverse's service
/// protection allows a user about 6,000 requests per 5 minutes, so real
/// minutes hold thousands, not billions; the bound keeps every sum of a
/// batch (10,000 items) and of a day's rows exact, far from overflow.
pub const MAX_RECORDS_PER_MINUTE: u64 = 1_000_000_000;
/// Largest total a stored period may reach: 2^53 - 1, the largest count a
/// JSON reader that uses doubles (JavaScript, spreadsheets) keeps exact.
/// Migration 12's trigger refuses an update past it.
pub const MAX_STORED_TOTAL: i64 = 9_007_199_254_740_991;
/// Latency histogram slots: 0 is under 1 ms; slot k is 2^(k-1) to 2^k ms;
/// the last one holds everything slower.
pub const SLOTS: usize = 24;

/// The directions a sample can have.
pub const DIRECTIONS: [&str; 2] = ["fo_to_dataverse", "dataverse_to_fo"];

/// One sample as a client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSample {
    /// The client's id for the item; retries with the same id add nothing.
    #[serde(default)]
    pub id: Option<String>,
    /// The table map's name.
    pub map: String,
    /// `fo_to_dataverse` or `dataverse_to_fo`.
    pub direction: String,
    /// The minute (RFC 3339; seconds are dropped).
    pub minute: String,
    /// Records synced in the minute.
    pub synced: u64,
    /// Records that failed in the minute.
    #[serde(default)]
    pub failed: u64,
    /// Latencies in milliseconds, when known.
    #[serde(default)]
    pub latency_ms: Vec<f64>,
}

/// A batch: `{"environment": "…", "items": […]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The environment's name.
    pub environment: String,
    /// The samples.
    pub items: Vec<RawSample>,
}

/// A checked sample, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Client id, or `sha256:` of the content.
    pub item_id: String,
    /// The map.
    pub map_id: i64,
    /// `fo_to_dataverse` or `dataverse_to_fo`.
    pub direction: &'static str,
    /// The minute, Unix seconds.
    pub minute: i64,
    /// Synced.
    pub synced: i64,
    /// Failed.
    pub failed: i64,
    /// Latency histogram.
    pub slots: [i64; SLOTS],
}

/// The histogram slot of a latency.
pub fn slot(ms: f64) -> usize {
    if ms < 1.0 {
        0
    } else {
        ((ms.log2().floor() as usize) + 1).min(SLOTS - 1)
    }
}

/// The `p` quantile (0–1) of a histogram, as its slot's upper bound in
/// milliseconds (so "p95 ≤ 512 ms"); `None` without latencies.
pub fn percentile(slots: &[i64], p: f64) -> Option<f64> {
    let total: i64 = slots.iter().sum();
    if total == 0 {
        return None;
    }
    let want = (p * total as f64).ceil().max(1.0) as i64;
    let mut seen = 0;
    for (k, n) in slots.iter().enumerate() {
        seen += n;
        if seen >= want {
            return Some(if k == 0 { 1.0 } else { 2f64.powi(k as i32) });
        }
    }
    None
}

/// Checks item `raw` against the environment's maps (name → id); `Err`
/// is the reason for the client, naming the field.
#[cfg(feature = "ssr")]
pub fn check_sample(
    raw: &RawSample,
    maps: &std::collections::HashMap<String, i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Sample, String> {
    let map_id = *maps.get(raw.map.trim()).ok_or_else(|| {
        format!(
            "map: '{}' is not a table map of this environment (names are as in the rule book)",
            raw.map
        )
    })?;
    let direction = DIRECTIONS
        .iter()
        .find(|d| **d == raw.direction.trim())
        .copied()
        .ok_or_else(|| {
            format!(
                "direction: '{}' is not one of {}",
                raw.direction,
                DIRECTIONS.join(", ")
            )
        })?;
    let minute = chrono::DateTime::parse_from_rfc3339(raw.minute.trim())
        .map_err(|_| {
            format!(
                "minute: '{}' is not an RFC 3339 time like 2026-11-26T10:15:00Z",
                raw.minute
            )
        })?
        .with_timezone(&chrono::Utc);
    if minute > now + chrono::Duration::minutes(5) {
        return Err(format!("minute: {} is in the future", raw.minute));
    }
    if raw.latency_ms.len() > MAX_LATENCIES {
        return Err(format!(
            "latency_ms: {} values; send at most {MAX_LATENCIES} per item",
            raw.latency_ms.len()
        ));
    }
    if let Some(bad) = raw.latency_ms.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(format!(
            "latency_ms: {bad} is not a duration in milliseconds"
        ));
    }
    if raw.synced == 0 && raw.failed == 0 {
        return Err("synced and failed are both 0: nothing to count".into());
    }
    for (name, n) in [("synced", raw.synced), ("failed", raw.failed)] {
        if n > MAX_RECORDS_PER_MINUTE {
            return Err(format!(
                "{name}: {n} records in one minute is more than any dual-write map moves; at most {MAX_RECORDS_PER_MINUTE} per item"
            ));
        }
    }
    // Both are at most MAX_RECORDS_PER_MINUTE, far inside i64.
    let (synced, failed) = (raw.synced as i64, raw.failed as i64);
    let mut slots = [0i64; SLOTS];
    for v in &raw.latency_ms {
        slots[slot(*v)] += 1;
    }
    let minute = minute.timestamp().div_euclid(60) * 60;
    let item_id = match raw.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => id.to_string(),
        None => {
            use sha2::{Digest, Sha256};
            let mut h = Sha256::new();
            h.update(format!(
                "{map_id}\u{1f}{direction}\u{1f}{minute}\u{1f}{synced}\u{1f}{failed}"
            ));
            for v in &raw.latency_ms {
                h.update(v.to_le_bytes());
            }
            format!("sha256:{:x}", h.finalize())
        }
    };
    Ok(Sample {
        item_id,
        map_id,
        direction,
        minute,
        synced,
        failed,
        slots,
    })
}

/// One period of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Period start, Unix seconds.
    pub bucket: i64,
    /// Synced.
    pub synced: i64,
    /// Failed.
    pub failed: i64,
    /// Median latency (slot upper bound, ms), when known.
    pub p50_ms: Option<f64>,
    /// 95th percentile latency, when known.
    pub p95_ms: Option<f64>,
}

/// The grain a range is read at: minutes up to two days, hours up to 60
/// days, days beyond, so a series has at most a few thousand points.
pub fn grain_for(seconds: i64) -> (&'static str, i64) {
    if seconds <= 2 * 86_400 {
        ("minute", 60)
    } else if seconds <= 60 * 86_400 {
        ("hour", 3_600)
    } else {
        ("day", 86_400)
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn raw() -> RawSample {
        RawSample {
            id: None,
            map: "Customers V3".into(),
            direction: "fo_to_dataverse".into(),
            minute: "2026-11-26T10:15:42Z".into(),
            synced: 120,
            failed: 3,
            latency_ms: vec![0.4, 3.0, 250.0],
        }
    }

    #[test]
    fn samples_are_checked_with_the_field_named() {
        let maps = HashMap::from([("Customers V3".to_string(), 7)]);
        let now = chrono::Utc::now();
        let s = check_sample(&raw(), &maps, now).unwrap();
        assert_eq!(
            (s.map_id, s.minute % 60, s.synced, s.failed),
            (7, 0, 120, 3)
        );
        assert_eq!((s.slots[0], s.slots[2], s.slots[8]), (1, 1, 1));
        assert!(s.item_id.starts_with("sha256:"));
        assert_eq!(
            check_sample(&raw(), &maps, now).unwrap().item_id,
            s.item_id,
            "stable"
        );
        let bad = |f: fn(&mut RawSample)| {
            let mut r = raw();
            f(&mut r);
            check_sample(&r, &maps, now).unwrap_err()
        };
        assert!(bad(|r| r.map = "Vendors".into()).starts_with("map: 'Vendors'"));
        assert!(bad(|r| r.direction = "both".into()).contains("fo_to_dataverse, dataverse_to_fo"));
        assert!(bad(|r| r.minute = "yesterday".into()).starts_with("minute:"));
        assert!(bad(|r| r.minute = "2999-01-01T00:00:00Z".into()).contains("future"));
        assert!(bad(|r| r.latency_ms = vec![-1.0]).starts_with("latency_ms"));
        assert!(
            bad(|r| {
                r.synced = 0;
                r.failed = 0
            })
            .contains("nothing to count")
        );
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let mut slots = [0i64; SLOTS];
        for v in [
            0.5, 2.0, 3.0, 100.0, 120.0, 130.0, 140.0, 150.0, 160.0, 5000.0,
        ] {
            slots[slot(v)] += 1;
        }
        assert_eq!(percentile(&slots, 0.5), Some(128.0), "half are ≤ 128 ms");
        assert_eq!(percentile(&slots, 0.95), Some(8192.0));
        assert_eq!(percentile(&[0; SLOTS], 0.5), None);
        assert_eq!(grain_for(86_400), ("minute", 60));
        assert_eq!(grain_for(30 * 86_400), ("hour", 3_600));
        assert_eq!(grain_for(400 * 86_400), ("day", 86_400));
    }
}
