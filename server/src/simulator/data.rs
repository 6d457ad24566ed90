//! The simulator's generated data and the OData subset it understands.

use super::SimConfig;
use axum::http::HeaderMap;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The plug-in type name dual-write failures are traced under (the
/// triple "m" is Microsoft's own spelling).
pub const TRACE_TYPENAME: &str =
    "Microsoft.Dynamics.Integrator.DualWriteRuntime.Plugins.PreCommmitPlugin";

/// Dataverse keeps plug-in trace rows for 24 hours.
const RETENTION_HOURS: i64 = 24;

/// Failures of every category, as the dual-write plug-in reports them.
/// `{key}` is the record's key, `{n}` a number.
const FAILURES: &[(&str, &str)] = &[
    (
        "account",
        "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: {n}.",
    ),
    (
        "account",
        "An error occurred while validating input parameters: Microsoft.OData.ODataException: Can't convert the literal '{n}' to the expected type 'Edm.Decimal'.",
    ),
    ("contact", "Integration keys are missing"),
    (
        "account",
        "A record with matching key values already exists. 0x80060892",
    ),
    (
        "msdyn_sharedproductdetail",
        "Response status code does not indicate success: 403 (tokenexchange).",
    ),
    (
        "invoice",
        "Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
    ),
    (
        "account",
        "Unexpected exception from plug-in (Execute): CreditLimitValidation: the credit limit of {key} is above the approval threshold. 0x80040265",
    ),
    (
        "msdyn_paymentterm",
        "Unable to write data to entity msdyn_paymentterm. Writes to PaymentTermEntity failed with error message Unable to sync with entity msdyn_paymentterm.",
    ),
    (
        "contact",
        "Cannot update a party's type from 'DirOrganization' to 'DirPerson', a delete of the existing party followed by an insert with the new type should be performed instead.",
    ),
    (
        "quote",
        "Dynamics 365 for Sales solution 'Dynamics365SupplyChainExtended' has version mismatch. Version: '1.0.0.0' Required version: '2.0.227'",
    ),
];

/// The tables failures are about, each in trouble in turn when failures
/// come in waves.
const WAVE_TABLES: [&str; 6] = [
    "account",
    "contact",
    "msdyn_sharedproductdetail",
    "invoice",
    "msdyn_paymentterm",
    "quote",
];
/// How long each table's trouble lasts; the six take turns, so the cycle
/// is three hours.
const WAVE_SECS: i64 = 30 * 60;

/// The failure for a slot at `t` (Unix seconds) when failures come in
/// waves: nine in ten are about the table in trouble at `t`, the tenth
/// about any table. At one failure every 20 s the table in trouble sees
/// about 160 an hour and the others about 3, so a threshold of 10 an hour
/// (recovering at 5) fires minutes into a wave and resolves about an hour
/// after it.
fn wave_failure(r: u64, t: i64) -> (&'static str, &'static str) {
    let turn = t.div_euclid(WAVE_SECS).rem_euclid(WAVE_TABLES.len() as i64) as usize;
    let table = if r.is_multiple_of(10) {
        WAVE_TABLES[((r / 10) % WAVE_TABLES.len() as u64) as usize]
    } else {
        WAVE_TABLES[turn]
    };
    let of_table: Vec<&(&str, &str)> = FAILURES.iter().filter(|(e, _)| *e == table).collect();
    *of_table[((r / 100) % of_table.len() as u64) as usize]
}

pub(super) fn mix(seed: u64, i: u64) -> u64 {
    let mut x = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

pub(super) fn guid(seed: u64, i: u64, salt: u64) -> String {
    let a = mix(seed ^ salt, i);
    let b = mix(seed ^ salt ^ 0xABCD, i);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        (a & 0xfff) as u16,
        (b >> 52) as u16 & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// When trace row `i` was written.
pub fn created(config: &SimConfig, i: u64) -> DateTime<Utc> {
    config.start
        + chrono::Duration::milliseconds(
            (config.trace_every.as_millis() as i64).saturating_mul(i as i64),
        )
}

/// Trace row `i` (all columns). Its identity and content come from its
/// absolute time slot, not from `i`, so a restarted simulator (a new
/// `start`) serves the same row for the same moment, and a collector that
/// remembers rows by id sees new moments as new rows.
pub fn trace_row(config: &SimConfig, i: u64) -> Value {
    let every = config.trace_every.as_millis().max(1) as i64;
    let slot = (created(config, i).timestamp_millis().div_euclid(every)) as u64;
    let r = mix(config.seed, slot);
    let (entity, template) = if config.waves {
        wave_failure(r, slot as i64 * every / 1000)
    } else {
        FAILURES[(r % FAILURES.len() as u64) as usize]
    };
    let key = format!("USMF-{:06}", r % 1_000_000);
    let n = format!("{:06}", (r >> 20) % 1_000_000);
    let message = template.replace("{key}", &key).replace("{n}", &n);
    let message_name = if r & 1 == 0 { "Create" } else { "Update" };
    json!({
        "plugintracelogid": guid(config.seed, slot, 1),
        "correlationid": guid(config.seed, slot, 2),
        "typename": TRACE_TYPENAME,
        "messagename": message_name,
        "primaryentity": entity,
        "mode": 0,
        "operationtype": 1,
        "depth": 1,
        "performanceexecutionduration": 40 + (r >> 8) % 900,
        "createdon": created(config, i).to_rfc3339_opts(SecondsFormat::Secs, true),
        "messageblock": format!("Dual-write {message_name} of {entity} {key} failed.\n{message}"),
        "exceptiondetails": format!(
            "Microsoft.Dynamics.Integrator.Exceptions.IntegratorClientException: {message}\n   at Microsoft.Dynamics.Integrator.DualWriteRuntime.Plugins.PreCommmitPlugin.Execute(IServiceProvider serviceProvider)"
        ),
    })
}

/// The query options the simulator honours for `plugintracelogs`.
#[derive(Debug, Default)]
pub struct TraceQuery {
    typename: Option<String>,
    after: Option<(DateTime<Utc>, bool)>,
    select: Option<Vec<String>>,
    top: Option<u64>,
    skip: u64,
    page_size: u64,
    /// The page size the client asked for, echoed in `Preference-Applied`.
    pub max_page_size_header: Option<u64>,
}

impl TraceQuery {
    /// Parses the options; `Err` is the message for a 400.
    pub fn parse(q: &HashMap<String, String>, headers: &HeaderMap) -> Result<Self, String> {
        let mut out = TraceQuery {
            page_size: 5000,
            ..Default::default()
        };
        if let Some(f) = q.get("$filter") {
            for part in f.split(" and ") {
                let part = part.trim().trim_matches(|c| c == '(' || c == ')');
                if let Some(v) = part.strip_prefix("typename eq ") {
                    out.typename = Some(v.trim().trim_matches('\'').to_string());
                } else if let Some((op, v)) = part
                    .strip_prefix("createdon gt ")
                    .map(|v| (false, v))
                    .or_else(|| part.strip_prefix("createdon ge ").map(|v| (true, v)))
                {
                    let t = DateTime::parse_from_rfc3339(v.trim()).map_err(|_| {
                        format!("The $filter value '{v}' is not a valid DateTimeOffset.")
                    })?;
                    out.after = Some((t.with_timezone(&Utc), op));
                } else {
                    return Err(format!(
                        "The $filter clause '{part}' is not supported by this simulator (typename eq, createdon gt/ge)."
                    ));
                }
            }
        }
        if let Some(o) = q.get("$orderby")
            && !o.trim().starts_with("createdon")
        {
            return Err(format!(
                "The $orderby '{o}' is not supported (createdon asc)."
            ));
        }
        out.select = q
            .get("$select")
            .map(|s| s.split(',').map(|c| c.trim().to_string()).collect());
        out.top = q.get("$top").and_then(|v| v.parse().ok());
        out.skip = q
            .get("$skiptoken")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if let Some(n) = max_page_size(headers) {
            out.page_size = n;
            out.max_page_size_header = Some(n);
        }
        Ok(out)
    }
}

/// One page of `plugintracelogs` for rows `0..rows`: filtered, ordered by
/// time, cut at the page size, with an absolute `@odata.nextLink` that
/// repeats the query (`raw_query`, as received) with a new `$skiptoken`.
pub fn page(config: &SimConfig, rows: u64, q: &TraceQuery, url: &str, raw_query: &str) -> Value {
    let now = Utc::now();
    let oldest = now - chrono::Duration::hours(RETENTION_HOURS);
    let every = config.trace_every.as_millis().max(1) as i64;
    let index_at =
        |t: DateTime<Utc>| -> i64 { (t - config.start).num_milliseconds().div_euclid(every) };
    // First index still kept, and first index past the filter.
    let mut first = (index_at(oldest) + 1).max(0) as u64;
    if let Some((t, inclusive)) = q.after {
        let mut i = index_at(t).max(-1);
        // Row i was created at or before t.
        if inclusive && i >= 0 && created(config, i as u64) == t {
            i -= 1;
        }
        first = first.max((i + 1) as u64);
    }
    let matches_type = q.typename.as_deref().is_none_or(|t| t == TRACE_TYPENAME);
    let last = if matches_type { rows } else { first };
    let limit = q.top.unwrap_or(u64::MAX);
    let start = first + q.skip;
    let available = last.saturating_sub(start).min(limit.saturating_sub(q.skip));
    let take = available.min(q.page_size);
    let value: Vec<Value> = (start..start + take)
        .map(|i| {
            let row = trace_row(config, i);
            match &q.select {
                None => row,
                Some(cols) => Value::Object(
                    cols.iter()
                        .filter_map(|c| row.get(c).map(|v| (c.clone(), v.clone())))
                        .chain(std::iter::once((
                            "plugintracelogid".to_string(),
                            row["plugintracelogid"].clone(),
                        )))
                        .collect(),
                ),
            }
        })
        .collect();
    let mut body = json!({
        "@odata.context": "$metadata#plugintracelogs",
        "value": value,
    });
    if take < available {
        let mut parts: Vec<&str> = raw_query
            .split('&')
            .filter(|p| {
                !p.is_empty() && !p.starts_with("$skiptoken=") && !p.starts_with("%24skiptoken=")
            })
            .collect();
        let token = format!("$skiptoken={}", q.skip + take);
        parts.push(&token);
        body["@odata.nextLink"] = Value::String(format!("{url}?{}", parts.join("&")));
    }
    body
}

/// The `odata.maxpagesize` the client prefers, clamped to Dataverse's 5,000.
pub fn max_page_size(headers: &HeaderMap) -> Option<u64> {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| {
            p.trim()
                .strip_prefix("odata.maxpagesize=")?
                .parse::<u64>()
                .ok()
        })
        .map(|n| n.clamp(1, 5000))
}

/// The status of project `k` at `now`: running, except paused for ten
/// minutes every three hours (a different ten minutes for each map).
fn project_status(k: usize, now: DateTime<Utc>) -> &'static str {
    let slot = now.timestamp().div_euclid(600) as usize;
    if (slot + k * 3).is_multiple_of(18) {
        "Paused"
    } else {
        "Running"
    }
}

/// `DualWriteProjectConfigurations`: two rows per map, as F&O keeps them.
pub fn project_configurations(config: &SimConfig, service_root: &str, now: DateTime<Utc>) -> Value {
    let value: Vec<Value> = super::tables::TABLES
        .iter()
        .enumerate()
        .filter(|(_, t)| config.tables.contains_key(t.fo_set))
        .map(|(k, t)| (k, t.fo_entity, t.dv_table))
        .flat_map(|(k, fo, dv)| {
            let status = project_status(k, now);
            [1, 2].map(|n| {
                json!({
                    "@odata.etag": format!("W/\"JzEsNTYzNzE0NDU3Nyc={k}{n}\""),
                    "ProjectName": format!("{fo}_{dv}_{n}"),
                    "InternalEntityName": fo,
                    "ExternalEntityName": dv,
                    "Status": status,
                    "IsDebugMode": "No",
                    "IsDelete": "No",
                    "AsyncMode": "No",
                })
            })
        })
        .collect();
    json!({
        "@odata.context": format!("{service_root}/$metadata#DualWriteProjectConfigurations"),
        "value": value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_restarted_simulator_serves_the_same_row_for_the_same_moment() {
        let every = Duration::from_secs(20);
        let now = Utc::now();
        let first = SimConfig {
            start: crate::simulator::grid(now - chrono::Duration::hours(6), every),
            trace_every: every,
            ..SimConfig::default()
        };
        let later = SimConfig {
            start: crate::simulator::grid(now - chrono::Duration::hours(5), every),
            ..first.clone()
        };
        // One hour later on the same grid is 180 rows further on.
        assert_eq!(trace_row(&first, 180), trace_row(&later, 0));
        assert_ne!(trace_row(&first, 181), trace_row(&later, 0));
    }

    #[test]
    fn in_waves_one_table_at_a_time_takes_most_failures_and_every_table_gets_its_turn() {
        let every = Duration::from_secs(20);
        let config = SimConfig {
            // On a wave boundary: the first half hour is one table's turn.
            start: DateTime::from_timestamp(1_800_000_000 / 10_800 * 10_800, 0).unwrap(),
            trace_every: every,
            waves: true,
            ..SimConfig::default()
        };
        let entity = |i: u64| {
            trace_row(&config, i)["primaryentity"]
                .as_str()
                .unwrap()
                .to_string()
        };
        // Three hours: six turns of 90 rows (half an hour each).
        let mut turns = Vec::new();
        for turn in 0..6 {
            let rows: Vec<String> = (turn * 90..(turn + 1) * 90).map(entity).collect();
            let mut counts = std::collections::BTreeMap::<String, usize>::new();
            for e in &rows {
                *counts.entry(e.clone()).or_default() += 1;
            }
            let (hot, n) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
            // About 160 an hour for the table in trouble, the rest a few.
            assert!(*n >= 70, "turn {turn}: {counts:?}");
            for (e, k) in &counts {
                assert!(e == hot || *k <= 8, "turn {turn}: {counts:?}");
            }
            turns.push(hot.clone());
        }
        let mut distinct = turns.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 6, "each table has its turn: {turns:?}");
        // Every kind of failure still shows up over a cycle.
        let messages: std::collections::HashSet<String> = (0..540)
            .map(|i| {
                let block = trace_row(&config, i)["messageblock"]
                    .as_str()
                    .unwrap()
                    .to_string();
                block.lines().nth(1).unwrap().chars().take(40).collect()
            })
            .collect();
        assert!(messages.len() >= FAILURES.len(), "{}", messages.len());
    }
}
