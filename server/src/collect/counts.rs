//! The record-count collector: per synced table map, how many records each
//! side holds — F&O by `/$count` across legal entities, Dataverse by
//! `$count` up to 5,000 and by paging the keys beyond, as documented. The
//! entity sets come from each service's metadata, so the rule book only
//! needs the entity and table names it already has. A company-specific map
//! (its F&O key holds `dataAreaId`) is also counted per legal entity in
//! the environment's scope: F&O by `dataAreaId`, Dataverse by the
//! company lookup its key names (`msdyn_company.cdm_companycode`) against
//! `cdm_companies`.

use super::{CollectError, RunOutcome, record_failure, record_success};
use crate::connect::Connector;
use app::db::Pool;
use app::db::db_now;
use app::environments::Environment;
use std::collections::HashMap;

/// The collector's name in runs.
pub const COUNTS: &str = "counts";

/// One map's counts, before they are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapCount {
    /// The table map.
    pub map_id: i64,
    /// The legal entity, upper case; empty for all of them.
    pub company: String,
    /// F&O records, when countable.
    pub fo: Option<u64>,
    /// Dataverse records, when countable.
    pub dataverse: Option<u64>,
    /// Why a side could not be counted ("" when both were).
    pub problem: String,
}

/// A map as the counts collector sees it.
#[derive(Debug, Clone)]
pub struct CountedMap {
    /// Id.
    pub id: i64,
    /// F&O data entity.
    pub fo_entity: String,
    /// Dataverse table.
    pub dataverse_table: String,
    /// F&O integration keys (comma-separated).
    pub fo_keys: String,
    /// Dataverse integration keys (comma-separated).
    pub dataverse_keys: String,
}

impl CountedMap {
    /// Whether its records belong to a legal entity (its F&O key holds
    /// `dataAreaId`).
    pub fn per_company(&self) -> bool {
        self.fo_keys
            .split(',')
            .any(|k| k.trim().eq_ignore_ascii_case("dataAreaId"))
    }

    /// The Dataverse lookup its key reaches the company through
    /// (`msdyn_company.cdm_companycode` → `msdyn_company`).
    pub fn company_lookup(&self) -> Option<&str> {
        self.dataverse_keys
            .split(',')
            .map(str::trim)
            .find_map(|k| k.split_once('.').map(|(lookup, _)| lookup))
    }
}

/// What a run knows about the environment's legal entities.
pub struct Scope {
    /// The legal entities in scope, upper case.
    pub companies: Vec<String>,
    /// Dataverse's company ids by code, once read (`None`: no
    /// `cdm_companies` table).
    pub company_ids: Option<Option<HashMap<String, String>>>,
}

/// Counts one map's two sides: all legal entities, then each legal entity
/// in scope when the map is company-specific.
pub async fn count_map(
    connector: &Connector,
    map: &CountedMap,
    scope: &mut Scope,
) -> Result<Vec<MapCount>, CollectError> {
    let mut problems = Vec::new();
    let fo_url = connector.connection().fo_url.clone();
    let fo_set = if fo_url.is_empty() {
        problems.push("the environment has no F&O URL".to_string());
        None
    } else {
        let set = connector.fo_entity_set(&map.fo_entity).await?;
        if set.is_none() {
            problems.push(format!(
                "F&O has no OData entity set for the data entity {} (not in this environment, or not public)",
                map.fo_entity
            ));
        }
        set
    };
    let dv_set = connector.dataverse_entity_set(&map.dataverse_table).await?;
    if dv_set.is_none() {
        problems.push(format!(
            "Dataverse has no table named {}",
            map.dataverse_table
        ));
    }
    let fo = match &fo_set {
        Some(set) => Some(connector.fo_count(&fo_url, set).await?),
        None => None,
    };
    let dataverse = match &dv_set {
        Some((set, id)) => Some(connector.dataverse_count(set, id).await?),
        None => None,
    };
    let mut out = vec![MapCount {
        map_id: map.id,
        company: String::new(),
        fo,
        dataverse,
        problem: problems.join("; "),
    }];
    if !map.per_company() || (fo_set.is_none() && dv_set.is_none()) {
        return Ok(out);
    }
    if scope.company_ids.is_none() {
        scope.company_ids = Some(connector.dataverse_companies().await?);
    }
    for company in scope.companies.clone() {
        let mut problems = Vec::new();
        let fo = match &fo_set {
            Some(set) => Some(
                connector
                    .fo_count_where(set, &format!("dataAreaId eq '{}'", company.to_lowercase()))
                    .await?,
            ),
            None => None,
        };
        let company_id = scope
            .company_ids
            .as_ref()
            .and_then(|ids| ids.as_ref())
            .and_then(|ids| ids.get(&company));
        let dataverse = match (&dv_set, map.company_lookup(), company_id) {
            (Some((set, id)), Some(lookup), Some(company_id)) => Some(
                connector
                    .dataverse_count_where(set, id, &format!("_{lookup}_value eq {company_id}"))
                    .await?,
            ),
            (None, ..) => None,
            (_, None, _) => {
                problems.push(
                    "the map's Dataverse key names no company lookup (like msdyn_company.cdm_companycode), so Dataverse is not counted per legal entity"
                        .to_string(),
                );
                None
            }
            (_, _, None) => {
                problems.push(format!(
                    "Dataverse has no company {company} (cdm_companies)"
                ));
                None
            }
        };
        out.push(MapCount {
            map_id: map.id,
            company,
            fo,
            dataverse,
            problem: problems.join("; "),
        });
    }
    Ok(out)
}

/// Counts every live synced map of `env` on both sides and stores the
/// counts with the run record in one transaction. A map whose entity or
/// table does not exist is stored with the reason; a system that cannot
/// be reached fails the run and nothing is stored.
#[tracing::instrument(skip_all, fields(environment = %env.name))]
pub async fn collect_counts(
    pool: &Pool,
    env: &Environment,
    connector: &Connector,
) -> Result<RunOutcome, CollectError> {
    collect_counts_of(pool, env, connector, None).await
}

/// [`collect_counts`] of only the maps `only` names (by id), when given:
/// what a cutover gate asks for when its counts are not fresh.
pub async fn collect_counts_of(
    pool: &Pool,
    env: &Environment,
    connector: &Connector,
    only: Option<&[i64]>,
) -> Result<RunOutcome, CollectError> {
    let started = db_now();
    let result = counts_inner(pool, env, connector, &started, only).await;
    if let Err(e) = &result {
        record_failure(pool, env.id, COUNTS, &started, &e.to_string()).await;
    }
    result
}

async fn counts_inner(
    pool: &Pool,
    env: &Environment,
    connector: &Connector,
    started: &str,
    only: Option<&[i64]>,
) -> Result<RunOutcome, CollectError> {
    let maps: Vec<CountedMap> = {
        let mut conn = pool.acquire().await?;
        app::maps::server::list(&mut conn, env.id)
            .await?
            .into_iter()
            .filter(|m| m.content.direction != app::maps::Direction::NotSynced)
            .filter(|m| only.is_none_or(|ids| ids.contains(&m.id)))
            .map(|m| CountedMap {
                id: m.id,
                fo_entity: m.content.fo_entity,
                dataverse_table: m.content.dataverse_table,
                fo_keys: m.content.fo_keys,
                dataverse_keys: m.content.dataverse_keys,
            })
            .collect()
    };
    let mut scope = Scope {
        companies: env
            .legal_entities
            .iter()
            .map(|c| c.to_uppercase())
            .collect(),
        company_ids: None,
    };
    let mut counts = Vec::with_capacity(maps.len());
    for map in &maps {
        counts.extend(count_map(connector, map, &mut scope).await?);
    }
    let at = db_now();
    let mut tx = app::db::begin_write(pool).await?;
    for c in &counts {
        let count = app::counts::RecordCount {
            counted_at: at.clone(),
            company: c.company.clone(),
            fo: c.fo.map(|n| n as i64),
            dataverse: c.dataverse.map(|n| n as i64),
            problem: c.problem.clone(),
        };
        app::counts::server::record(&mut tx, c.map_id, &at, &count).await?;
    }
    record_success(&mut tx, env.id, COUNTS, started, maps.len()).await?;
    tx.commit().await?;
    Ok(RunOutcome {
        read: maps.len(),
        stored: maps.len(),
    })
}
