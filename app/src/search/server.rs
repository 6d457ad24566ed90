//! Keeping the search index current, and querying it.

use super::{Hit, MARK_END, MARK_START};
use crate::db::{Conn, Kind};
use crate::error::AppError;

/// Rebuilds the index rows of one map (its own row, its fields, its rules).
/// Call it in the same transaction as any write that touches the map; a
/// deleted map simply drops out.
#[tracing::instrument(skip_all, fields(map.id = map_id))]
pub async fn reindex_map(conn: &mut dyn Conn, map_id: i64) -> Result<(), AppError> {
    crate::db::query("delete from search_index where map_id = $1")
        .bind(map_id)
        .execute(&mut *conn)
        .await?;
    crate::db::query(
        "insert into search_index (title, body, kind, object_id, map_id, environment_id)
         select name,
                name || ' ' || fo_entity || ' ' || dataverse_table || ' ' || tags || ' ' || not_synced_reason || ' ' || notes,
                'map', id, id, environment_id
         from table_maps where id = $1 and deleted = false",
    )
    .bind(map_id)
    .execute(&mut *conn)
    .await?;
    crate::db::query(
        "insert into search_index (title, body, kind, object_id, map_id, environment_id)
         select f.fo_field || ' ↔ ' || f.dataverse_column, f.fo_field || ' ' || f.dataverse_column || ' ' || f.default_value,
                'field', f.id, f.map_id, m.environment_id
         from field_mappings f join table_maps m on m.id = f.map_id
         where f.map_id = $1 and f.deleted = false and m.deleted = false",
    )
    .bind(map_id)
    .execute(&mut *conn)
    .await?;
    crate::db::query(
        "insert into search_index (title, body, kind, object_id, map_id, environment_id)
         select coalesce(f.fo_field || ' ↔ ' || f.dataverse_column, 'Map default rule'), r.rationale,
                'rule', r.id, r.map_id, m.environment_id
         from conflict_rules r join table_maps m on m.id = r.map_id
              left join field_mappings f on f.id = r.field_mapping_id
         where r.map_id = $1 and r.deleted = false and m.deleted = false",
    )
    .bind(map_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    kind: String,
    object_id: i64,
    map_id: i64,
    map_name: String,
    title: String,
    snippet: String,
}

/// The search, on SQLite's FTS5 index: `match` and its bm25 `rank`, the
/// snippet from the body (column 1) with the hits between `char(1)` and
/// `char(2)`.
const SEARCH_SQLITE: &str = "
    select s.kind, cast(s.object_id as bigint) as object_id, cast(s.map_id as bigint) as map_id,
           m.name as map_name, s.title,
           snippet(search_index, 1, char(1), char(2), '…', 14) as snippet
    from search_index s join table_maps m on m.id = s.map_id
    where search_index match $1 and s.environment_id = $2
    order by s.rank limit $3";

/// The same on PostgreSQL's full-text search: the stored `document`
/// vector (GIN-indexed) against a `tsquery` in the `simple` configuration
/// (no stemming, as FTS5's default tokenizer), ranked by `ts_rank`, the
/// snippet from `ts_headline` with the same markers.
const SEARCH_POSTGRES: &str = "
    select s.kind, s.object_id, s.map_id, m.name as map_name, s.title,
           ts_headline('simple', coalesce(s.body, ''), q,
                       'StartSel=' || chr(1) || ',StopSel=' || chr(2) || ',MaxWords=14,MinWords=5') as snippet
    from search_index s join table_maps m on m.id = s.map_id,
         to_tsquery('simple', $1) q
    where s.document @@ q and s.environment_id = $2
    order by ts_rank(s.document, q) desc limit $3";

/// An FTS5 query as [`super::fts_query`] writes it (`"word" "prefix"*`,
/// every word quoted, only letters, digits and `_` inside) as the same
/// `tsquery`: every word required, a trailing `*` a prefix.
fn tsquery(fts: &str) -> String {
    fts.split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let (word, prefix) = match w.strip_suffix('*') {
                Some(w) => (w, ":*"),
                None => (w, ""),
            };
            format!("'{}'{prefix}", word.trim_matches('"'))
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The best matches for an FTS5 query (see [`super::fts_query`]) in one environment.
#[tracing::instrument(skip_all)]
pub async fn search(
    conn: &mut dyn Conn,
    environment_id: i64,
    fts_query: &str,
    limit: i64,
) -> Result<Vec<Hit>, AppError> {
    let (sql, query) = match conn.kind() {
        Kind::Sqlite => (SEARCH_SQLITE, fts_query.to_string()),
        Kind::Postgres => (SEARCH_POSTGRES, tsquery(fts_query)),
    };
    let rows: Vec<Row> = crate::db::query_as(sql)
        .bind(query)
        .bind(environment_id)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Hit {
            href: match r.kind.as_str() {
                "field" => format!("/maps/{}#field-{}", r.map_id, r.object_id),
                "rule" => format!("/maps/{}#rule-{}", r.map_id, r.object_id),
                _ => format!("/maps/{}", r.map_id),
            },
            kind: r.kind,
            map_id: r.map_id,
            map_name: r.map_name,
            title: r.title,
            // Control characters other than our markers never come from a form.
            // Control characters other than our markers never come from a
            // form; Markdown markers would show as raw `**`.
            snippet: crate::markdown::strip_inline_markup(
                &r.snippet
                    .chars()
                    .filter(|c| !c.is_control() || *c == MARK_START || *c == MARK_END)
                    .collect::<String>(),
            ),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::server::Actor;

    #[test]
    fn fts5_queries_become_the_same_tsquery() {
        assert_eq!(tsquery("\"credit\" \"lim\"*"), "'credit' & 'lim':*");
        assert_eq!(tsquery("\"a_1\"*"), "'a_1':*");
        assert_eq!(
            super::super::fts_query("Credit-limit, sync").map(|q| tsquery(&q)),
            Some("'Credit' & 'limit' & 'sync':*".to_string())
        );
    }
    use crate::environments::{server as envs, validate_environment};
    use crate::rules::server::{NewRule, create_field, create_rule};
    use crate::rules::{EnforcedBy, RuleStatus, Winner, validate_field};

    #[tokio::test]
    async fn rationale_words_find_the_rule_and_edits_keep_the_index_current() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        envs::save(
            &mut conn,
            &cli,
            None,
            &validate_environment("UAT", "", "", "").unwrap(),
        )
        .await
        .unwrap();
        let env = envs::by_name(&mut conn, "UAT").await.unwrap();
        crate::maps::server::apply_starter(&mut conn, &cli, &env)
            .await
            .unwrap();
        let field = validate_field(
            "CreditLimit",
            "creditlimit",
            "both",
            "number",
            "none",
            "",
            "",
        )
        .unwrap();
        let field_id = create_field(&mut conn, &cli, 1, &field, "").await.unwrap();
        let rule = NewRule {
            field_mapping_id: Some(field_id),
            winner: Winner::Fo,
            enforced_by: EnforcedBy::TeamPolicy,
            rationale: "Credit control in treasury sets every limit.".into(),
            status: RuleStatus::Accepted,
        };
        let rule_id = create_rule(&mut conn, &cli, 1, &rule).await.unwrap();

        let q = crate::search::fts_query("treasury").unwrap();
        let hits = search(&mut conn, env.id, &q, 10).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].href, format!("/maps/1#rule-{rule_id}"));
        assert!(
            hits[0]
                .snippet
                .contains(&format!("{MARK_START}treasury{MARK_END}"))
        );

        let q = crate::search::fts_query("creditlim").unwrap();
        let hits = search(&mut conn, env.id, &q, 10).await.unwrap();
        assert!(
            hits.iter()
                .any(|h| h.href == format!("/maps/1#field-{field_id}")),
            "prefix match on the field"
        );

        // Deleting the map removes it and its fields and rules from results.
        crate::maps::server::delete(&mut conn, &cli, 1, "")
            .await
            .unwrap();
        assert!(
            search(
                &mut conn,
                env.id,
                &crate::search::fts_query("treasury").unwrap(),
                10
            )
            .await
            .unwrap()
            .is_empty()
        );
        // The starter set's notes are searchable too.
        let hits = search(
            &mut conn,
            env.id,
            &crate::search::fts_query("purchasing").unwrap(),
            10,
        )
        .await
        .unwrap();
        assert_eq!(hits[0].map_name, "Vendors V2");
    }
}
