//! Connectors to Dataverse (and, next, F&O): OAuth2 client credentials with
//! a cached token, bounded request rate, retries with exponential backoff
//! and jitter that honour `Retry-After`, timeouts, `@odata.nextLink`
//! paging, and errors that name the endpoint and the status.

use serde_json::Value;
use std::time::{Duration, Instant};

/// A client secret: never printed, never logged, never sent to a browser.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where and how to connect for one environment.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Entra ID tenant (id or domain).
    pub tenant: String,
    /// App registration's client id.
    pub client_id: String,
    /// Its secret.
    pub secret: Secret,
    /// Token authority, e.g. `https://login.microsoftonline.com`.
    pub authority: String,
    /// Dataverse environment URL, e.g. `https://contoso.crm.dynamics.com`.
    pub dataverse_url: String,
    /// OAuth scope for Dataverse (`<dataverse_url>/.default`).
    pub scope: String,
    /// F&O environment URL, e.g. `https://contoso.operations.dynamics.com`
    /// (empty when not known).
    pub fo_url: String,
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// First backoff; doubles each retry, with jitter.
    pub base: Duration,
    /// Longest single wait (also caps `Retry-After`).
    pub max_wait: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Least time between two requests (bounded request rate).
    pub min_interval: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            base: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
            min_interval: Duration::from_millis(20),
        }
    }
}

/// A failed call, naming what was called and how it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{endpoint}: {}{message}", status.map(|s| format!("HTTP {s}: ")).unwrap_or_default())]
pub struct ConnectError {
    /// Method and URL without the query string.
    pub endpoint: String,
    /// The last HTTP status, when there was one.
    pub status: Option<u16>,
    /// What went wrong, from the service's error body where it had one.
    pub message: String,
}

/// One environment's connector.
pub struct Connector {
    http: reqwest::Client,
    connection: Connection,
    policy: RetryPolicy,
    /// Tokens by scope (Dataverse and F&O are separate audiences).
    token: tokio::sync::Mutex<std::collections::HashMap<String, (String, Instant)>>,
    gate: tokio::sync::Mutex<Instant>,
}

fn endpoint(method: &str, url: &str) -> String {
    format!("{method} {}", url.split('?').next().unwrap_or(url))
}

/// The message of an OData / Entra error body, or the start of the text.
pub fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    parsed
        .as_ref()
        .and_then(|v| {
            v["error"]["message"]
                .as_str()
                .or_else(|| v["error_description"].as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(300).collect())
}

impl Connector {
    /// A connector for `connection`.
    pub fn new(connection: Connection, policy: RetryPolicy) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .user_agent(concat!("dwconsole/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Connector {
            http,
            connection,
            policy,
            token: tokio::sync::Mutex::new(std::collections::HashMap::new()),
            gate: tokio::sync::Mutex::new(Instant::now()),
        })
    }

    /// The connection (secret redacted in `Debug`).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Waits for the rate gate.
    async fn pace(&self) {
        let mut next = self.gate.lock().await;
        let now = Instant::now();
        if *next > now {
            tokio::time::sleep(*next - now).await;
        }
        *next = Instant::now() + self.policy.min_interval;
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.policy.base.saturating_mul(1 << attempt.min(16));
        let capped = exp.min(self.policy.max_wait);
        // Full jitter: anywhere between half and all of the backoff.
        let nanos = capped.as_nanos() as u64;
        let jitter = rand_u64() % (nanos / 2 + 1);
        Duration::from_nanos(nanos / 2 + jitter)
    }

    /// The token scope for a URL: F&O's own for F&O calls, else Dataverse's.
    fn scope_for(&self, url: &str) -> String {
        let c = &self.connection;
        let fo = c.fo_url.trim_end_matches('/');
        if !fo.is_empty() && url.starts_with(fo) && fo != c.dataverse_url.trim_end_matches('/') {
            format!("{fo}/.default")
        } else {
            c.scope.clone()
        }
    }

    /// A bearer token for the Dataverse scope, from the cache while it has
    /// a minute left.
    pub async fn token(&self, refresh: bool) -> Result<String, ConnectError> {
        self.token_for(&self.connection.scope.clone(), refresh)
            .await
    }

    async fn token_for(&self, scope: &str, refresh: bool) -> Result<String, ConnectError> {
        let mut cache = self.token.lock().await;
        if !refresh
            && let Some((t, expires)) = cache.get(scope)
            && *expires > Instant::now() + Duration::from_secs(60)
        {
            return Ok(t.clone());
        }
        let c = &self.connection;
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            c.authority.trim_end_matches('/'),
            c.tenant
        );
        let ep = endpoint("POST", &url);
        let mut last: Option<ConnectError> = None;
        for attempt in 0..self.policy.attempts {
            if attempt > 0 {
                tokio::time::sleep(self.backoff(attempt - 1)).await;
            }
            self.pace().await;
            let res = self
                .http
                .post(&url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", c.client_id.as_str()),
                    ("client_secret", c.secret.0.as_str()),
                    ("scope", scope),
                ])
                .send()
                .await;
            let res = match res {
                Ok(r) => r,
                Err(e) => {
                    last = Some(ConnectError {
                        endpoint: ep.clone(),
                        status: None,
                        message: transport(&e),
                    });
                    continue;
                }
            };
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            if status == 200 {
                let v: Value = serde_json::from_str(&body).map_err(|e| ConnectError {
                    endpoint: ep.clone(),
                    status: Some(status),
                    message: format!("the token response is not JSON: {e}"),
                })?;
                let token = v["access_token"].as_str().ok_or_else(|| ConnectError {
                    endpoint: ep.clone(),
                    status: Some(status),
                    message: "the token response has no access_token".into(),
                })?;
                let ttl = v["expires_in"].as_u64().unwrap_or(300);
                cache.insert(
                    scope.to_string(),
                    (token.to_string(), Instant::now() + Duration::from_secs(ttl)),
                );
                return Ok(token.to_string());
            }
            let err = ConnectError {
                endpoint: ep.clone(),
                status: Some(status),
                message: error_message(&body),
            };
            // A wrong secret or tenant will not fix itself.
            if (400..500).contains(&status) && status != 429 {
                return Err(err);
            }
            last = Some(err);
        }
        Err(last.unwrap_or(ConnectError {
            endpoint: ep,
            status: None,
            message: "no attempt was made".into(),
        }))
    }

    /// GETs JSON with retries: 429 and 5xx wait (`Retry-After` first, else
    /// backoff), a 401 refreshes the token once, and a body that is not
    /// complete JSON counts as a failed attempt.
    pub async fn get_json(&self, url: &str, prefer: Option<&str>) -> Result<Value, ConnectError> {
        self.get_checked(url, prefer, |body| {
            serde_json::from_str::<Value>(body)
                .map_err(|e| format!("the response is not complete JSON ({e})"))
        })
        .await
    }

    /// GETs a plain-text count (`…/$count`), with the same retries.
    pub async fn get_count(&self, url: &str) -> Result<u64, ConnectError> {
        self.get_checked(url, None, |body| {
            body.trim()
                .trim_start_matches('\u{feff}')
                .parse::<u64>()
                .map_err(|_| {
                    format!(
                        "the count '{}' is not a number",
                        body.chars().take(40).collect::<String>()
                    )
                })
        })
        .await
    }

    /// GETs `url` and reads a 200 body with `read`; a body `read` refuses
    /// counts as a failed attempt (a truncated answer is worth retrying).
    async fn get_checked<T>(
        &self,
        url: &str,
        prefer: Option<&str>,
        read: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConnectError> {
        let ep = endpoint("GET", url);
        let scope = self.scope_for(url);
        let mut refreshed = false;
        let mut last: Option<ConnectError> = None;
        let mut wait: Option<Duration> = None;
        for attempt in 0..self.policy.attempts {
            if attempt > 0 {
                let w = wait.take().unwrap_or_else(|| self.backoff(attempt - 1));
                tokio::time::sleep(w).await;
            }
            let token = self.token_for(&scope, false).await?;
            self.pace().await;
            let mut req = self
                .http
                .get(url)
                .bearer_auth(&token)
                .header("Accept", "application/json")
                .header("OData-MaxVersion", "4.0")
                .header("OData-Version", "4.0");
            if let Some(p) = prefer {
                req = req.header("Prefer", p);
            }
            let res = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    last = Some(ConnectError {
                        endpoint: ep.clone(),
                        status: None,
                        message: transport(&e),
                    });
                    continue;
                }
            };
            let status = res.status().as_u16();
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(self.policy.max_wait));
            let body = match res.text().await {
                Ok(b) => b,
                Err(e) => {
                    last = Some(ConnectError {
                        endpoint: ep.clone(),
                        status: Some(status),
                        message: format!("the response body broke off: {}", transport(&e)),
                    });
                    continue;
                }
            };
            match status {
                200 => match read(&body) {
                    Ok(v) => return Ok(v),
                    Err(message) => {
                        last = Some(ConnectError {
                            endpoint: ep.clone(),
                            status: Some(status),
                            message,
                        });
                    }
                },
                401 if !refreshed => {
                    refreshed = true;
                    self.token_for(&scope, true).await?;
                    last = Some(ConnectError {
                        endpoint: ep.clone(),
                        status: Some(status),
                        message: error_message(&body),
                    });
                    wait = Some(Duration::ZERO);
                }
                429 | 500 | 502 | 503 | 504 => {
                    wait = retry_after;
                    last = Some(ConnectError {
                        endpoint: ep.clone(),
                        status: Some(status),
                        message: error_message(&body),
                    });
                }
                _ => {
                    return Err(ConnectError {
                        endpoint: ep,
                        status: Some(status),
                        message: error_message(&body),
                    });
                }
            }
        }
        let mut err = last.unwrap_or(ConnectError {
            endpoint: ep,
            status: None,
            message: "no attempt was made".into(),
        });
        err.message = format!(
            "{} (gave up after {} attempts)",
            err.message, self.policy.attempts
        );
        Err(err)
    }

    /// Calls `each` with every page of rows of an OData query, following
    /// `@odata.nextLink` (with the same page-size preference), so memory
    /// holds one page at a time.
    pub async fn each_page(
        &self,
        first_url: String,
        prefer: Option<&str>,
        mut each: impl FnMut(&[Value]),
    ) -> Result<(), ConnectError> {
        let mut url = first_url;
        loop {
            let page = self.get_json(&url, prefer).await?;
            let parts = page_parts(&page).map_err(|message| ConnectError {
                endpoint: endpoint("GET", &url),
                status: Some(200),
                message,
            })?;
            each(parts.rows);
            match parts.next {
                Some(next) => url = next.to_string(),
                None => return Ok(()),
            }
        }
    }

    fn dataverse(&self, path_and_query: &str) -> String {
        format!(
            "{}/api/data/v9.2/{path_and_query}",
            self.connection.dataverse_url.trim_end_matches('/')
        )
    }

    /// Every row of a Dataverse query (`path_and_query` after
    /// `/api/data/v9.2/`).
    pub async fn dataverse_rows(
        &self,
        path_and_query: &str,
        page_size: u32,
    ) -> Result<Vec<Value>, ConnectError> {
        let prefer = format!("odata.maxpagesize={page_size}");
        let mut rows = Vec::new();
        self.each_page(self.dataverse(path_and_query), Some(&prefer), |page| {
            rows.extend(page.iter().cloned())
        })
        .await?;
        Ok(rows)
    }

    /// The rows of a Dataverse entity set. `$count=true` answers up to
    /// 5,000; beyond that the keys are paged and counted, as Microsoft
    /// documents.
    pub async fn dataverse_count(&self, entity_set: &str, key: &str) -> Result<u64, ConnectError> {
        self.dataverse_count_query(entity_set, key, "").await
    }

    /// `dataverse_count` with more query options (`&$filter=…`).
    async fn dataverse_count_query(
        &self,
        entity_set: &str,
        key: &str,
        more: &str,
    ) -> Result<u64, ConnectError> {
        let url = self.dataverse(&format!("{entity_set}?$select={key}{more}&$count=true"));
        let first = self.get_json(&url, Some("odata.maxpagesize=5000")).await?;
        let exceeded = first["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"]
            .as_bool()
            .unwrap_or(false);
        if !exceeded && let Some(n) = first["@odata.count"].as_u64() {
            return Ok(n);
        }
        let mut n = 0u64;
        self.each_page(url, Some("odata.maxpagesize=5000"), |rows| {
            n += rows.len() as u64
        })
        .await?;
        Ok(n)
    }

    /// Calls `each` with every key of a Dataverse entity set, a page at a time.
    pub async fn dataverse_keys(
        &self,
        entity_set: &str,
        key: &str,
        mut each: impl FnMut(&str),
    ) -> Result<(), ConnectError> {
        self.dataverse_rows_where(entity_set, key, None, |r| {
            if let Some(k) = r[key].as_str() {
                each(k);
            }
        })
        .await
    }

    /// Calls `each` with every row of a Dataverse entity set (matching an
    /// OData `$filter`, when given), holding only the `select`ed columns
    /// (comma-separated), a page at a time.
    pub async fn dataverse_rows_where(
        &self,
        entity_set: &str,
        select: &str,
        filter: Option<&str>,
        mut each: impl FnMut(&Value),
    ) -> Result<(), ConnectError> {
        let filter = filter
            .map(|f| format!("&$filter={}", app::components::percent_encode(f, b"")))
            .unwrap_or_default();
        let url = self.dataverse(&format!("{entity_set}?$select={select}{filter}"));
        self.each_page(url, Some("odata.maxpagesize=5000"), |rows| {
            rows.iter().for_each(&mut each)
        })
        .await
    }

    /// The rows of `keys` (by `key_field`) from an entity set, `select`ed,
    /// asked for in batches of `or` chains so URLs stay short. `url_for`
    /// builds a batch's URL from its `$filter` value (percent-encoded).
    async fn rows_by_keys(
        &self,
        keys: &[String],
        key_field: &str,
        prefer: Option<&str>,
        url_for: impl Fn(&str) -> String,
    ) -> Result<Vec<Value>, ConnectError> {
        let mut rows = Vec::with_capacity(keys.len());
        for batch in keys.chunks(KEY_BATCH) {
            let filter = batch
                .iter()
                .map(|k| format!("{key_field} eq '{}'", k.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(" or ");
            let url = url_for(&app::components::percent_encode(&filter, b""));
            self.each_page(url, prefer, |page| rows.extend(page.iter().cloned()))
                .await?;
        }
        Ok(rows)
    }

    /// The F&O rows with these keys, across legal entities.
    pub async fn fo_rows_by_keys(
        &self,
        entity_set: &str,
        key_field: &str,
        keys: &[String],
        select: &[String],
    ) -> Result<Vec<Value>, ConnectError> {
        let base = self.fo(&self.connection.fo_url, entity_set);
        let select = select.join(",");
        self.rows_by_keys(keys, key_field, None, |filter| {
            format!("{base}?cross-company=true&$select={select},dataAreaId&$filter={filter}")
        })
        .await
    }

    /// The Dataverse rows with these keys.
    pub async fn dataverse_rows_by_keys(
        &self,
        entity_set: &str,
        key_column: &str,
        keys: &[String],
        select: &[String],
    ) -> Result<Vec<Value>, ConnectError> {
        let base = self.dataverse(entity_set);
        let select = select.join(",");
        self.rows_by_keys(keys, key_column, Some("odata.maxpagesize=5000"), |filter| {
            format!("{base}?$select={select}&$filter={filter}")
        })
        .await
    }

    /// GETs JSON from the connection's F&O service root (`/data/…`).
    pub async fn fo_json(&self, path_and_query: &str) -> Result<Value, ConnectError> {
        let fo_url = self.connection.fo_url.clone();
        if fo_url.is_empty() {
            return Err(ConnectError {
                endpoint: format!(
                    "GET /data/{}",
                    path_and_query.split('?').next().unwrap_or("")
                ),
                status: None,
                message: "the environment has no F&O URL; set it on the Environments page".into(),
            });
        }
        self.get_json(&self.fo(&fo_url, path_and_query), None).await
    }

    fn fo(&self, fo_url: &str, path_and_query: &str) -> String {
        format!("{}/data/{path_and_query}", fo_url.trim_end_matches('/'))
    }

    /// The OData entity set (public collection name) of an F&O data
    /// entity, from `/Metadata/DataEntities`; `None` when the entity is
    /// not there or not enabled for OData.
    pub async fn fo_entity_set(&self, entity: &str) -> Result<Option<String>, ConnectError> {
        let fo_url = self.connection.fo_url.trim_end_matches('/');
        let filter = app::components::percent_encode(
            &format!("Name eq '{}'", entity.replace('\'', "''")),
            b"",
        );
        let url = format!(
            "{fo_url}/Metadata/DataEntities?$filter={filter}&$select=Name,PublicCollectionName,DataServiceEnabled"
        );
        let page = self.get_json(&url, None).await?;
        let rows = page_parts(&page).map_err(|message| ConnectError {
            endpoint: endpoint("GET", &url),
            status: Some(200),
            message,
        })?;
        Ok(rows
            .rows
            .iter()
            .filter(|r| r["DataServiceEnabled"].as_bool() != Some(false))
            .find_map(|r| r["PublicCollectionName"].as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    }

    /// The Web API entity set and primary id column of a Dataverse table,
    /// from `EntityDefinitions`; `None` when there is no such table.
    pub async fn dataverse_entity_set(
        &self,
        logical: &str,
    ) -> Result<Option<(String, String)>, ConnectError> {
        let url = self.dataverse(&format!(
            "EntityDefinitions(LogicalName='{}')?$select=EntitySetName,PrimaryIdAttribute",
            logical.replace('\'', "''")
        ));
        let def = match self.get_json(&url, None).await {
            Ok(def) => def,
            Err(e) if e.status == Some(404) => return Ok(None),
            Err(e) => return Err(e),
        };
        match (
            def["EntitySetName"].as_str(),
            def["PrimaryIdAttribute"].as_str(),
        ) {
            (Some(set), Some(id)) => Ok(Some((set.to_string(), id.to_string()))),
            _ => Err(ConnectError {
                endpoint: endpoint("GET", &url),
                status: Some(200),
                message: "the entity definition has no EntitySetName or PrimaryIdAttribute".into(),
            }),
        }
    }

    /// The rows of an F&O entity set across legal entities that match an
    /// OData `$filter` (`/$count`).
    pub async fn fo_count_where(
        &self,
        entity_set: &str,
        filter: &str,
    ) -> Result<u64, ConnectError> {
        let filter = app::components::percent_encode(filter, b"");
        self.get_count(&self.fo(
            &self.connection.fo_url,
            &format!("{entity_set}/$count?cross-company=true&$filter={filter}"),
        ))
        .await
    }

    /// The rows of a Dataverse entity set that match an OData `$filter`:
    /// `$count` up to 5,000, else by paging the ids.
    pub async fn dataverse_count_where(
        &self,
        entity_set: &str,
        id: &str,
        filter: &str,
    ) -> Result<u64, ConnectError> {
        let filter = app::components::percent_encode(filter, b"");
        self.dataverse_count_query(entity_set, id, &format!("&$filter={filter}"))
            .await
    }

    /// Dataverse's companies (`cdm_companies`): company code, upper case,
    /// to `cdm_companyid`; `None` when the table is not there.
    pub async fn dataverse_companies(
        &self,
    ) -> Result<Option<std::collections::HashMap<String, String>>, ConnectError> {
        let url = self.dataverse("cdm_companies?$select=cdm_companyid,cdm_companycode");
        let page = match self.get_json(&url, Some("odata.maxpagesize=5000")).await {
            Ok(page) => page,
            Err(e) if e.status == Some(404) => return Ok(None),
            Err(e) => return Err(e),
        };
        let rows = page_parts(&page).map_err(|message| ConnectError {
            endpoint: endpoint("GET", &url),
            status: Some(200),
            message,
        })?;
        Ok(Some(
            rows.rows
                .iter()
                .filter_map(|r| {
                    Some((
                        r["cdm_companycode"].as_str()?.to_uppercase(),
                        r["cdm_companyid"].as_str()?.to_string(),
                    ))
                })
                .collect(),
        ))
    }

    /// The rows of an F&O entity set across legal entities (`/$count`).
    pub async fn fo_count(&self, fo_url: &str, entity_set: &str) -> Result<u64, ConnectError> {
        self.get_count(&self.fo(fo_url, &format!("{entity_set}/$count?cross-company=true")))
            .await
    }

    /// Calls `each` with every key of an F&O entity set across legal
    /// entities, following server-driven paging.
    pub async fn fo_keys(
        &self,
        fo_url: &str,
        entity_set: &str,
        key: &str,
        mut each: impl FnMut(&str),
    ) -> Result<(), ConnectError> {
        self.fo_key_rows(fo_url, entity_set, key, |r| {
            if let Some(k) = r[key].as_str() {
                each(k);
            }
        })
        .await
    }

    /// Calls `each` with every row of an F&O entity set across legal
    /// entities, holding the key and `dataAreaId`, following paging.
    pub async fn fo_key_rows(
        &self,
        fo_url: &str,
        entity_set: &str,
        key: &str,
        mut each: impl FnMut(&Value),
    ) -> Result<(), ConnectError> {
        let url = self.fo(
            fo_url,
            &format!("{entity_set}?cross-company=true&$select={key},dataAreaId"),
        );
        self.each_page(url, None, |rows| rows.iter().for_each(&mut each))
            .await
    }
}

/// Keys asked for in one request: an `or` chain of this many stays far
/// below Dataverse's 32 KB URL limit even with long keys.
const KEY_BATCH: usize = 40;

/// The parts of an OData page the connectors use.
#[derive(Debug)]
pub struct PageParts<'a> {
    /// The rows.
    pub rows: &'a [Value],
    /// The next page's URL, to follow as given.
    pub next: Option<&'a str>,
    /// `@odata.count`, when asked for.
    pub count: Option<u64>,
    /// Dataverse's "more than 5,000" flag.
    pub count_limit_exceeded: bool,
}

/// Reads an OData page (Dataverse or F&O); `Err` says what is missing.
pub fn page_parts(page: &Value) -> Result<PageParts<'_>, String> {
    let rows = page["value"]
        .as_array()
        .ok_or_else(|| "the page has no 'value' array".to_string())?;
    Ok(PageParts {
        rows,
        next: page["@odata.nextLink"].as_str(),
        count: page["@odata.count"].as_u64(),
        count_limit_exceeded: page["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"]
            .as_bool()
            .unwrap_or(false),
    })
}

fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the request timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        e.to_string()
    }
}

/// A cheap random number for jitter (not for secrets).
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}
