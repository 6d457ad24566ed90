//! `GET /metrics` in the Prometheus text format, for teams that already
//! run Prometheus: alert instances by state, rules and the last
//! evaluation, notification deliveries by outcome, error entries and
//! collector runs. Read with an API token as a bearer (Prometheus'
//! `authorization` setting), so nothing leaks to anonymous callers.

use super::ApiCaller;
use crate::startup::AppState;
use app::error::AppError;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write as _;

/// A label value as the text format wants it: backslash, quote and
/// newline escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// One metric family: its help, type and samples (labels, value).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, v) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {v}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(
    State(state): State<AppState>,
    _caller: ApiCaller,
) -> Result<Response, AppError> {
    let mut conn = state.pool.acquire().await?;
    let envs: HashMap<i64, String> = app::environments::server::list(&mut conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    let env = |id: i64| label(envs.get(&id).map_or("", String::as_str));
    let mut out = String::new();
    let by_state = app::alerts::server::instance_counts(&mut conn).await?;
    let states: Vec<(String, f64)> = app::alerts::state::State::ALL
        .iter()
        .map(|s| {
            let n = by_state
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map_or(0, |(_, n)| *n);
            (format!("state=\"{}\"", s.as_str()), n as f64)
        })
        .collect();
    family(
        &mut out,
        "dwconsole_alert_instances",
        "gauge",
        "Alert instances by state.",
        &states,
    );
    let (enabled, paused, last) = app::alerts::server::rule_totals(&mut conn).await?;
    family(
        &mut out,
        "dwconsole_alert_rules",
        "gauge",
        "Alert rules, evaluated or paused.",
        &[
            ("enabled=\"true\"".into(), enabled as f64),
            ("enabled=\"false\"".into(), paused as f64),
        ],
    );
    family(
        &mut out,
        "dwconsole_alert_last_evaluation_timestamp_seconds",
        "gauge",
        "When an alert rule was last evaluated (Unix seconds; 0: never).",
        &[(String::new(), last.unwrap_or(0) as f64)],
    );
    let (deliveries, waiting) = app::alerts::outbox::counts(&mut conn).await?;
    let deliveries: Vec<(String, f64)> = deliveries
        .into_iter()
        .map(|(o, n)| (format!("outcome=\"{}\"", label(&o)), n as f64))
        .collect();
    family(
        &mut out,
        "dwconsole_notification_attempts_total",
        "counter",
        "Notification delivery attempts by outcome (sent, retry, gave_up, disabled).",
        &deliveries,
    );
    family(
        &mut out,
        "dwconsole_notifications_waiting",
        "gauge",
        "Notifications in the outbox not yet delivered.",
        &[(String::new(), waiting as f64)],
    );
    let totals = app::errors::server::totals(&mut conn).await?;
    family(
        &mut out,
        "dwconsole_error_entries_total",
        "counter",
        "Error entries received per environment.",
        &totals
            .iter()
            .map(|(e, n, _)| (format!("environment=\"{}\"", env(*e)), *n as f64))
            .collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "dwconsole_error_groups_open",
        "gauge",
        "Open error groups per environment.",
        &totals
            .iter()
            .map(|(e, _, o)| (format!("environment=\"{}\"", env(*e)), *o as f64))
            .collect::<Vec<_>>(),
    );
    let runs = app::collectors::server::run_totals(&mut conn).await?;
    family(
        &mut out,
        "dwconsole_collector_runs_total",
        "counter",
        "Collector runs per environment, collector and outcome.",
        &runs
            .iter()
            .map(|(e, c, o, n, _)| {
                (
                    format!(
                        "environment=\"{}\",collector=\"{}\",outcome=\"{}\"",
                        env(*e),
                        label(c),
                        label(o)
                    ),
                    *n as f64,
                )
            })
            .collect::<Vec<_>>(),
    );
    family(
        &mut out,
        "dwconsole_collector_last_success_timestamp_seconds",
        "gauge",
        "When each collector last succeeded (Unix seconds).",
        &runs
            .iter()
            .filter_map(|(e, c, _, _, last)| {
                last.map(|t| {
                    (
                        format!("environment=\"{}\",collector=\"{}\"", env(*e), label(c)),
                        t as f64,
                    )
                })
            })
            .collect::<Vec<_>>(),
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_labels_follow_the_text_format() {
        let mut out = String::new();
        family(
            &mut out,
            "x_total",
            "counter",
            "Things.",
            &[(format!("name=\"{}\"", label("a\"b\\c\nd")), 2.0)],
        );
        assert_eq!(
            out,
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total{name=\"a\\\"b\\\\c\\nd\"} 2\n"
        );
    }
}
