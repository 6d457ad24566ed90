//! Keeping the search index current, and querying it.

use super::{Hit, MARK_END, MARK_START};
use crate::db::{Conn, Kind};
use crate::error::AppError;

/// One searchable thing of a map, as the feature that owns it describes
/// it: the map itself (`maps`), or one of its fields or rules (`rules`).
pub struct Document {
    /// `map`, `field` or `rule`.
    pub kind: &'static str,
    /// The map's, field's or rule's id.
    pub object_id: i64,
    /// What a hit is called; a map's document carries the map's name,
    /// which labels the hits of its fields and rules too.
    pub title: String,
    /// The words searched besides the title; the snippet comes from here.
    pub body: String,
}

/// Files every index row of one map under `environment_id`: the
/// environment of a live map, `None` for a deleted one, whose rows stay (a
/// restore files them again) but match no search. The map's owner calls it
/// on every change of the map, before [`replace`]; fields and rules change
/// only while their map is live, so their writes need not.
#[tracing::instrument(skip_all, fields(map.id = map_id))]
pub async fn file_map(
    conn: &mut dyn Conn,
    map_id: i64,
    environment_id: Option<i64>,
) -> Result<(), AppError> {
    // Only rows filed elsewhere are rewritten: on PostgreSQL a rewrite
    // also recomputes the row's search vector.
    crate::db::query(
        "update search_index set environment_id = $1
         where map_id = $2 and environment_id is distinct from $1",
    )
    .bind(environment_id)
    .bind(map_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the index rows of `kinds` for one map with `documents`, filed
/// under `environment_id` (see [`file_map`]). The map's owner calls it
/// with the `map` kind, the owner of fields and rules with theirs, each in
/// the transaction of its write, so the index cannot drift from the rule
/// book.
#[tracing::instrument(skip_all, fields(map.id = map_id))]
pub async fn replace(
    conn: &mut dyn Conn,
    map_id: i64,
    environment_id: Option<i64>,
    kinds: &[&str],
    documents: Vec<Document>,
) -> Result<(), AppError> {
    debug_assert!(documents.iter().all(|d| kinds.contains(&d.kind)));
    crate::db::query(
        "delete from search_index
         where map_id = $1 and kind in (select value from json_each($2))",
    )
    .bind(map_id)
    .bind(serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *conn)
    .await?;
    // Six binds a document: 1,000 a statement stay below SQLite's limit of
    // 32,766 binds and PostgreSQL's of 65,535, however large the map.
    let mut documents = documents.into_iter().peekable();
    while documents.peek().is_some() {
        let mut insert = crate::db::QueryBuilder::new(
            "insert into search_index (title, body, kind, object_id, map_id, environment_id) ",
        );
        insert.push_values(documents.by_ref().take(1_000), |mut row, d| {
            row.push_bind(d.title)
                .push_bind(d.body)
                .push_bind(d.kind)
                .push_bind(d.object_id)
                .push_bind(map_id)
                .push_bind(environment_id);
        });
        insert.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    kind: String,
    object_id: i64,
    map_id: i64,
    title: String,
    snippet: String,
}

/// The search, on SQLite's FTS5 index: `match` and its bm25 `rank`, the
/// snippet from the body (column 1) with the hits between `char(1)` and
/// `char(2)`.
const SEARCH_SQLITE: &str = "
    select s.kind, cast(s.object_id as bigint) as object_id, cast(s.map_id as bigint) as map_id,
           s.title, snippet(search_index, 1, char(1), char(2), '…', 14) as snippet
    from search_index s
    where search_index match $1 and s.environment_id = $2
    order by s.rank limit $3";

/// The same on PostgreSQL's full-text search: the stored `document`
/// vector (GIN-indexed) against a `tsquery` in the `simple` configuration
/// (no stemming, as FTS5's default tokenizer), ranked by `ts_rank`, the
/// snippet from `ts_headline` with the same markers.
const SEARCH_POSTGRES: &str = "
    select s.kind, s.object_id, s.map_id, s.title,
           ts_headline('simple', coalesce(s.body, ''), q,
                       'StartSel=' || chr(1) || ',StopSel=' || chr(2) || ',MaxWords=14,MinWords=5') as snippet
    from search_index s, to_tsquery('simple', $1) q
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
        .fetch_all(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    // Every hit is labelled with its map's name, from the map's own row.
    let ids: Vec<i64> = rows.iter().map(|r| r.map_id).collect();
    let names: std::collections::HashMap<i64, String> = crate::db::query_as(
        "select cast(map_id as bigint), title from search_index
         where kind = 'map' and map_id in (select cast(value as bigint) from json_each($1))",
    )
    .bind(crate::db::id_list(&ids))
    .fetch_all(conn)
    .await?
    .into_iter()
    .collect();
    Ok(rows
        .into_iter()
        .map(|r| Hit {
            map_name: names.get(&r.map_id).cloned().unwrap_or_default(),
            href: match r.kind.as_str() {
                "field" => format!("/maps/{}#field-{}", r.map_id, r.object_id),
                "rule" => format!("/maps/{}#rule-{}", r.map_id, r.object_id),
                _ => format!("/maps/{}", r.map_id),
            },
            kind: r.kind,
            map_id: r.map_id,
            title: r.title,
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

    /// The first ten hits for what a person types, in environment `env`.
    async fn find(conn: &mut dyn Conn, env: i64, words: &str) -> Vec<Hit> {
        let q = crate::search::fts_query(words).unwrap();
        search(conn, env, &q, 10).await.unwrap()
    }

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

        let hits = find(&mut conn, env.id, "treasury").await;
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].href, format!("/maps/1#rule-{rule_id}"));
        assert!(
            hits[0]
                .snippet
                .contains(&format!("{MARK_START}treasury{MARK_END}"))
        );

        let hits = find(&mut conn, env.id, "creditlim").await;
        assert!(
            hits.iter()
                .any(|h| h.href == format!("/maps/1#field-{field_id}")),
            "prefix match on the field"
        );

        // Deleting the map removes it and its fields and rules from results.
        crate::maps::server::delete(&mut conn, &cli, 1, "")
            .await
            .unwrap();
        assert!(find(&mut conn, env.id, "treasury").await.is_empty());
        // Restoring the map brings back its fields and rules, labelled with
        // the map's name.
        crate::maps::server::restore(&mut conn, &cli, 1, 1)
            .await
            .unwrap();
        let hits = find(&mut conn, env.id, "treasury").await;
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].href, format!("/maps/1#rule-{rule_id}"));
        let hits = find(&mut conn, env.id, "creditlim").await;
        let field = hits
            .iter()
            .find(|h| h.href == format!("/maps/1#field-{field_id}"))
            .expect("the field is found again");
        let map = crate::maps::server::get(&mut conn, 1).await.unwrap();
        assert_eq!(field.map_name, map.content.name);
        // The starter set's notes are searchable too.
        let hits = find(&mut conn, env.id, "purchasing").await;
        assert_eq!(hits[0].map_name, "Vendors V2");
    }
}
