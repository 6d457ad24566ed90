//! Builds the router with its middleware stack, and runs the server with
//! graceful shutdown.

use crate::config::Settings;
use crate::middleware::{access, limits, security, server_fn_status};
use crate::{api, health};
use app::auth::server::AuthConfig;
use app::db::Pool;
use app::{App, shell};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Everything handlers share.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    /// Leptos's rendering options (site root, bundle name).
    pub leptos_options: LeptosOptions,
    /// The database.
    pub pool: Pool,
    /// Session and sign-in settings.
    pub auth: AuthConfig,
    /// Set once the first account exists (see `access::has_users`).
    pub has_users: Arc<AtomicBool>,
    /// Days raw error entries are kept.
    pub error_retention_days: u32,
    /// The simulated environment's name in demo mode.
    pub demo: Option<String>,
    /// The connections collectors run for, and their test.
    pub connections: Option<app::collectors::Connections>,
    /// How pages start reconciliations.
    pub reconcile: Option<app::reconcile::Control>,
    /// How cutover gates reach the services.
    pub gates: Option<app::cutover::gates::Probe>,
    /// The error queue's sweep per environment, cached for a minute.
    pub sweeps: app::errors::server::Sweeps,
    /// The console's public address, for the links in notifications.
    pub base_url: app::alerts::BaseUrl,
    /// Where email notifications go out, in words (none: no email).
    pub email_relay: app::alerts::channels::EmailRelay,
    /// This server's leases (none in tests that build only the router).
    pub lease: Option<crate::lease::Lease>,
}

impl AppState {
    /// Builds the state for `settings` around an open pool.
    pub fn new(settings: &Settings, pool: Pool) -> Self {
        // The islands script loads `/pkg/<output_name>.js` and
        // `<output_name>_bg.wasm`: the content-hashed names of this build.
        let stem = crate::assets::bundle_stem(&settings.site_root.join("pkg"));
        let leptos_options = LeptosOptions::builder()
            .output_name(stem)
            .site_root(settings.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(settings.bind)
            .build();
        Self {
            leptos_options,
            error_retention_days: settings.error_retention_days,
            demo: settings.demo.then(|| crate::demo::DEMO_ENV.to_string()),
            connections: None,
            reconcile: None,
            gates: None,
            sweeps: app::errors::server::Sweeps::default(),
            base_url: app::alerts::BaseUrl(
                settings
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{}", settings.bind)),
            ),
            pool,
            auth: AuthConfig {
                session_ttl: settings.session_ttl,
                secure_cookies: settings.secure_cookies(),
                login_max_failures: settings.login_max_failures,
                login_window: settings.login_window,
            },
            has_users: Arc::new(AtomicBool::new(false)),
            email_relay: app::alerts::channels::EmailRelay(
                settings.smtp.as_ref().map(|s| s.describe()),
            ),
            lease: None,
        }
    }

    /// Puts what server functions and pages need into Leptos's context.
    fn provide(&self) {
        provide_context(self.pool.clone());
        provide_context(self.auth.clone());
        provide_context(self.sweeps.clone());
        provide_context(self.base_url.clone());
        provide_context(self.email_relay.clone());
        provide_context(app::auth::DemoMode(self.demo.clone()));
        if let Some(c) = &self.connections {
            provide_context(c.clone());
        }
        if let Some(c) = &self.reconcile {
            provide_context(c.clone());
        }
        if let Some(p) = &self.gates {
            provide_context(p.clone());
        }
        app::provide_request_nonce();
    }
}

/// The pages' routes, worked out once per process. Listing them renders
/// the app with resource loading suppressed through a process-wide flag
/// (`leptos_server` 0.8's `SuppressResourceLoad`): a resource first polled
/// by another server's request during that window never resolves, and its
/// page hangs until the request timeout (leptos issue #4773). One process
/// builds several routers (tests, `backends-bench`'s two servers); listing
/// the routes only once, before any router exists, leaves no such window.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP surface: pages, server functions, API, health, static files.
pub fn build_router(settings: &Settings, state: AppState) -> Router {
    let routes = route_list();
    let page_ctx = {
        let state = state.clone();
        move || state.provide()
    };
    let fallback_ctx = page_ctx.clone();

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(crate::api::metrics::metrics))
        .route("/export/rulebook.md", get(crate::export::rule_book))
        .route("/export/maps.json", get(crate::export::maps_json))
        .route(
            "/export/maps/{id}/fields.csv",
            get(crate::export::fields_csv),
        )
        .route("/export/review.csv", get(crate::export::review_csv))
        .route("/export/cutover/{file}", get(crate::export::cutover_csv))
        .route(
            "/export/cutover/runs/{file}",
            get(crate::export::cutover_run_csv),
        )
        .route(
            "/export/trends/{page}/{file}",
            get(crate::export::trend_csv),
        )
        .nest("/api", api::router())
        .nest(
            "/pkg",
            crate::assets::pkg_router(&settings.site_root.join("pkg")),
        )
        // Registers the pages and, at their own paths under /sfn, every
        // server function, both with the same context.
        .leptos_routes_with_context(&state, routes, page_ctx, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(fallback_ctx, shell))
        .layer(axum::middleware::from_fn(
            server_fn_status::map_server_fn_status,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::resolve_caller,
        ))
        .layer(axum::middleware::from_fn(access::same_origin_guard))
        .layer(axum::middleware::from_fn_with_state(
            settings.trusted_proxies.clone(),
            access::client_addr,
        ))
        .layer(DefaultBodyLimit::max(settings.body_limit_bytes))
        .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limits::Limits {
                body_bytes: settings.body_limit_bytes,
                request_timeout: settings.request_timeout,
            },
            limits::limit_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            security::Hsts(settings.secure_cookies()),
            security::security_headers,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let request_id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-")
                        .to_string();
                    let matched = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default();
                    tracing::info_span!(
                        "http",
                        http.method = %req.method(),
                        http.path = req.uri().path(),
                        http.matched_path = matched,
                        request_id,
                    )
                })
                // A failure whose cause was logged where it became an
                // `AppError` is not logged again; any other 5xx (a readiness
                // probe finding the database down, a page that failed to
                // render) is logged here, once.
                .on_response(
                    |res: &axum::http::Response<_>, latency: Duration, _: &tracing::Span| {
                        if res.status().is_server_error()
                            && res.extensions().get::<app::error::CauseLogged>().is_none()
                        {
                            tracing::error!(
                                http.status = res.status().as_u16(),
                                duration_ms = latency.as_millis() as u64,
                                "request failed"
                            );
                        }
                    },
                )
                // Its own "response failed" line would log every failure a
                // second time.
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    state: AppState,
    signals: Signals,
    jobs: Vec<crate::scheduler::Job>,
    simulator: Vec<tokio::task::JoinHandle<()>>,
    mailer: Option<crate::notify::email::Mailer>,
    reconciler: Arc<crate::reconcile::runner::Reconciler>,
    lease: crate::lease::Lease,
    throughput_minute_days: u32,
    limits: crate::serve::Limits,
}

/// SIGINT and SIGTERM listeners, installed before the server announces
/// itself: a signal that arrives between "running" and the first poll of
/// the server must still shut it down gracefully, not kill it.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {},
            _ = self.terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; finishing in-flight requests");
    }
}

impl Application {
    /// Opens the database, builds the router and binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let pool =
            crate::db::connect_with(&settings.common.database, settings.database_connections)
                .await?;
        // Misconfigured connections stop startup with the setting named.
        let mut jobs = crate::scheduler::configured_jobs(settings, &pool).await?;
        let demo = if settings.demo {
            Some(crate::demo::start(&pool).await?)
        } else {
            None
        };
        let mut state = AppState::new(settings, pool);
        state.connections = Some(crate::scheduler::connections_context(
            &jobs,
            demo.as_ref().map(|d| &d.job),
        ));
        // Email goes through the configured relay; in demo mode without
        // one, through the simulator's mailbox.
        let smtp = match (&settings.smtp, &demo) {
            (Some(s), _) => Some(s.clone()),
            (None, Some(d)) => {
                state.email_relay.0 = Some(format!(
                    "the simulator's mailbox at {}:{} (demo mode; set smtp-host to send real mail)",
                    d.smtp.host, d.smtp.port
                ));
                Some(d.smtp.clone())
            }
            (None, None) => None,
        };
        let mailer = smtp
            .as_ref()
            .map(crate::notify::email::Mailer::new)
            .transpose()?;
        let simulator = demo
            .map(|d| {
                jobs.push(d.job);
                d.tasks
            })
            .unwrap_or_default();
        let lease = crate::lease::Lease::new(crate::lease::server_id(), settings.lease_ttl);
        tracing::info!(server = %lease.id(), "this server's id among the servers sharing the database");
        let reconciler = crate::reconcile::runner::Reconciler::new(
            state.pool.clone(),
            jobs.iter()
                .map(|j| (j.env.name.clone(), j.connector.clone()))
                .collect(),
            settings.reconcile_dir(),
            lease.id().to_string(),
        );
        state.reconcile = Some(reconciler.control());
        state.lease = Some(lease.clone());
        state.gates = Some(crate::gates::probe(
            state.pool.clone(),
            jobs.iter()
                .map(|j| (j.env.name.clone(), j.connector.clone()))
                .collect(),
        ));
        let router = build_router(settings, state.clone());
        let listener = tokio::net::TcpListener::bind(settings.bind)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "setting bind (--bind, APP_BIND): cannot listen on {}: {e}",
                    settings.bind
                )
            })?;
        let pkg = settings.site_root.join("pkg");
        let stem = state.leptos_options.output_name.to_string();
        if !crate::assets::bundle_present(&pkg, &stem) {
            tracing::warn!(
                site.root = %settings.site_root.display(),
                "the browser bundle {} is missing: pages will render but their islands (chart readouts, the password toggle, self-refreshing pages) will not come alive; build it with `make build`",
                pkg.join(format!("{stem}.js")).display()
            );
        }
        let signals = Signals::install()?;
        Ok(Self {
            listener,
            router,
            state,
            signals,
            jobs,
            simulator,
            mailer,
            reconciler,
            lease,
            throughput_minute_days: settings.throughput_minute_days,
            limits: crate::serve::Limits {
                header_read_timeout: settings.header_read_timeout,
                max_connections: settings.max_connections,
                drain: settings.request_timeout + Duration::from_secs(5),
            },
        })
    }

    /// The database pool (tests use it to simulate an outage).
    pub fn pool(&self) -> Pool {
        self.state.pool.clone()
    }

    /// The port actually bound (useful with port 0 in tests).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let scheduled = crate::scheduler::start(
            &self.state.pool,
            &self.state.sweeps,
            self.jobs,
            crate::scheduler::Housekeeping {
                error_retention_days: self.state.error_retention_days,
                throughput_minute_days: self.throughput_minute_days,
                base_url: self.state.base_url.0.clone(),
                login_window: self.state.auth.login_window,
                mailer: self.mailer,
                gates: self.state.gates.clone(),
            },
            self.reconciler.clone(),
            self.lease.clone(),
        );
        crate::serve::serve(self.listener, self.router, self.limits, self.signals.recv()).await;
        scheduled.stop().await;
        for task in &self.simulator {
            task.abort();
        }
        for task in self.simulator {
            let _ = task.await;
        }
        self.reconciler.stop().await;
        self.lease.let_go(&self.state.pool).await;
        self.state.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}
