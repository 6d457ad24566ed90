//! Small helpers the benchmark binaries share: positional arguments,
//! percentiles and peak memory. Benchmarks print figures; they are not
//! timed tests.

use std::time::Duration;

/// The `n`th command-line argument as a number (`_` separators allowed),
/// or `default`.
pub fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The `p` quantile (0.0–1.0) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// The process's peak resident memory (`VmHWM`) in MiB, or NaN off Linux.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Server time of one page: the request in through the real router, the
/// whole body out. Returns the time and the body's length; a non-2xx
/// answer is an error naming the path.
pub async fn timed_get(
    router: &axum::Router,
    cookie: &str,
    path: &str,
) -> anyhow::Result<(Duration, usize)> {
    use tower::ServiceExt as _;
    let req = http::Request::get(path)
        .header("cookie", cookie)
        .header("accept", "text/html")
        .body(axum::body::Body::empty())?;
    let start = std::time::Instant::now();
    let res = router.clone().oneshot(req).await?;
    anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
    Ok((start.elapsed(), body.len()))
}

/// What [`seed`] made: an API token and an admin's session secret.
pub struct Seeded {
    /// The API token's secret, for `Authorization: Bearer`.
    pub token: String,
    /// The admin's session secret, for the session cookie.
    pub session: String,
}

/// A benchmark's starting point in one transaction: the environment
/// `name` with the starter maps, an admin with a two-hour session, and an
/// API token.
pub async fn seed(
    pool: &sqlx::SqlitePool,
    name: &str,
    legal_entities: &str,
) -> anyhow::Result<Seeded> {
    use app::audit::server::Actor;
    let cli = Actor::cli();
    let e = |e: app::error::AppError| anyhow::anyhow!("{e}");
    let mut tx = pool.begin().await?;
    let admin =
        app::auth::server::insert_user(&mut tx, "bench@example.com", "x", app::auth::Role::Admin)
            .await
            .map_err(e)?;
    let input = app::environments::validate_environment(name, "", "", legal_entities)
        .map_err(|(_, m)| anyhow::anyhow!(m))?;
    app::environments::server::save(&mut tx, &cli, None, &input)
        .await
        .map_err(e)?;
    let env = app::environments::server::by_name(&mut tx, name)
        .await
        .map_err(e)?;
    app::maps::server::apply_starter(&mut tx, &cli, &env)
        .await
        .map_err(e)?;
    let (_, token) = app::tokens::server::create(&mut tx, &cli, "bench")
        .await
        .map_err(e)?;
    let session = app::auth::server::create_session(&mut tx, admin, Duration::from_secs(7200))
        .await
        .map_err(e)?;
    tx.commit().await?;
    Ok(Seeded { token, session })
}

/// Real dual-write message shapes for generated error entries.
const TEMPLATES: &[&str] = &[
    "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: {n}.",
    "An error occurred while validating input parameters: Microsoft.OData.ODataException: Can't convert the literal '{n}' to the expected type 'Edm.Decimal'.",
    "Integration keys are missing",
    "A record with matching key values already exists. 0x80060892 Key {n}",
    "Response status code does not indicate success: 403 (tokenexchange).",
    "Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Request {n}",
    "Unexpected exception from plug-in (Execute): CreditCheckPlugin: record {n} failed",
    "Unable to write data to entity msdyn_actuals. Record {n}",
];

/// Letters for a number (0 → a, 26 → ba): a group tag without digits, so
/// the classifier's normalisation keeps groups apart.
fn tag(mut g: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (g % 26) as u8) as char);
        g /= 26;
        if g == 0 {
            return s;
        }
    }
}

/// The message of entry `n` of group `g`: the group's template with `n`
/// in it (normalised away) and the group's tag.
pub fn error_message(g: usize, n: usize) -> String {
    format!(
        "{} [{}]",
        TEMPLATES[g % TEMPLATES.len()].replace("{n}", &n.to_string()),
        tag(g)
    )
}
