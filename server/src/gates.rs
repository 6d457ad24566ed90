//! What cutover gates need from the services: a count taken now and a
//! test record read on both sides. The app judges the gates
//! (`app::cutover::gates`); this lends it the environments' connectors,
//! the same ones the collectors and reconciliations use.

use crate::connect::Connector;
use crate::reconcile::{ReconError, target};
use app::cutover::gate::RecordSides;
use app::cutover::gates::Probe;
use app::db::Pool;
use std::collections::HashMap;
use std::sync::Arc;

/// The probe over these environments' connectors (by environment name).
pub fn probe(pool: Pool, connectors: HashMap<String, Arc<Connector>>) -> Probe {
    let connectors = Arc::new(connectors);
    let mut names: Vec<String> = connectors.keys().cloned().collect();
    names.sort();
    let (count_pool, count_with) = (pool.clone(), connectors.clone());
    Probe {
        environments: Arc::new(names),
        count: Arc::new(move |env: String, maps: Vec<i64>| {
            let (pool, connectors) = (count_pool.clone(), count_with.clone());
            Box::pin(async move {
                let connector = connectors
                    .get(&env)
                    .ok_or_else(|| format!("no connection is configured for {env}"))?;
                let environment = {
                    let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
                    app::environments::server::by_name(&mut conn, &env)
                        .await
                        .map_err(|e| e.to_string())?
                };
                crate::collect::collect_counts_of(&pool, &environment, connector, Some(&maps))
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        }),
        record: Arc::new(move |env: String, map: i64, key: String| {
            let (pool, connectors) = (pool.clone(), connectors.clone());
            Box::pin(async move {
                let connector = connectors
                    .get(&env)
                    .ok_or_else(|| format!("no connection is configured for {env}"))?;
                read_record(&pool, connector, map, &key)
                    .await
                    .map_err(|e| e.to_string())
            })
        }),
    }
}

/// Reads the record with `key` (`US-000123`, or `USMF/US-000123` for one
/// legal entity) of map `map` on both sides, and compares what is on both
/// through the map's field mappings.
pub async fn read_record(
    pool: &Pool,
    connector: &Connector,
    map: i64,
    key: &str,
) -> Result<RecordSides, ReconError> {
    let t = target(pool, connector, map).await?;
    let key = key.trim();
    let (company, bare) = match key.split_once('/') {
        Some((c, k)) if t.plan.company.is_some() => (Some(c.trim().to_uppercase()), k.trim()),
        _ => (None, key),
    };
    let keys = [bare.to_string()];
    let fo = connector
        .fo_rows_by_keys(&t.fo_set, &t.plan.fo_key, &keys, &t.plan.fo_select())
        .await?;
    let dv = connector
        .dataverse_rows_by_keys(&t.dv_set, &t.plan.dv_key, &keys, &t.plan.dv_select())
        .await?;
    let wanted = |id: &String| {
        company
            .as_ref()
            .is_none_or(|c| id.split_once('/').is_some_and(|(rc, _)| rc == c))
    };
    let fo: HashMap<String, &serde_json::Value> = fo
        .iter()
        .filter_map(|r| Some((t.plan.fo_identity(r)?, r)))
        .filter(|(id, _)| wanted(id))
        .collect();
    let dv: HashMap<String, &serde_json::Value> = dv
        .iter()
        .filter_map(|r| Some((t.plan.dv_identity(r)?, r)))
        .filter(|(id, _)| wanted(id))
        .collect();
    let mut differences = vec![];
    for (id, f) in &fo {
        if let Some(d) = dv.get(id) {
            differences.extend(
                t.plan
                    .compare(f, d)
                    .into_iter()
                    .map(|x| (id.clone(), x.field, x.fo, x.dv)),
            );
        }
    }
    differences.sort();
    let sorted = |m: &HashMap<String, &serde_json::Value>| {
        let mut v: Vec<String> = m.keys().cloned().collect();
        v.sort();
        v
    };
    Ok(RecordSides {
        in_fo: sorted(&fo),
        in_dataverse: sorted(&dv),
        differences,
        fields: t.plan.fields.len(),
    })
}
