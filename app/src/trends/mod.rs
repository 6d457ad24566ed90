//! Trend charts: errors by category, error groups new and resolved,
//! throughput and failure rate, count difference and reconciliation drift,
//! each over a time range picked in the URL. This module holds what the
//! server and the browser share — the range rules, the chart data, colours
//! and the CSV form of a chart; `crate::chart` draws a chart to SVG with
//! plotters, [`server`] reads the data.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

pub use crate::chart::draw as chart;
pub use crate::chart::{
    Annotation, Chart, DAY, HOUR, Kind, PALETTE, Series, Shade, Span, Threshold, fmt_bucket,
    fmt_value, step_for,
};
use serde::{Deserialize, Serialize};

/// The longest custom range, in days.
pub const MAX_DAYS: i64 = 400;

/// The preset ranges, as `(key, label, seconds)`.
pub const PRESETS: [(&str, &str, i64); 4] = [
    ("24h", "24 h", DAY),
    ("7d", "7 d", 7 * DAY),
    ("30d", "30 d", 30 * DAY),
    ("90d", "90 d", 90 * DAY),
];

/// The chart pages, as `(key, label)`.
pub const PAGES: [(&str, &str); 3] = [
    ("errors", "Errors"),
    ("throughput", "Throughput"),
    ("drift", "Counts and drift"),
];

/// What the URL asks for (all optional; the server fills defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendQuery {
    /// Environment name.
    pub env: Option<String>,
    /// Table map id.
    pub map: Option<i64>,
    /// A preset key (`24h`, `7d`, `30d`, `90d`) or `custom`.
    pub range: Option<String>,
    /// Custom range start, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Custom range end, `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
}

impl TrendQuery {
    /// The query string for this query with `range` replaced (`None`
    /// keeps it); used by the range links so filters survive.
    pub fn href(&self, path: &str, range: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(e) = &self.env {
            parts.push(format!("env={}", crate::components::percent_encode(e, b"")));
        }
        if let Some(m) = self.map {
            parts.push(format!("map={m}"));
        }
        let range = range.or(self.range.as_deref());
        if let Some(r) = range {
            parts.push(format!("range={r}"));
            if r == "custom" {
                for (k, v) in [("from", &self.from), ("to", &self.to)] {
                    if let Some(v) = v {
                        parts.push(format!("{k}={}", crate::components::percent_encode(v, b"")));
                    }
                }
            }
        }
        if parts.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    }
}

/// Resolves a range: a preset ends at the end of the current hour (up to 7
/// days) or day; a custom range is whole UTC days, `to` inclusive. `Err`
/// is the message for the person who typed it.
pub fn resolve(q: &TrendQuery, now: i64) -> Result<Span, String> {
    let key = q.range.as_deref().unwrap_or("7d");
    if key == "custom" {
        let day = |v: &Option<String>, name: &str| -> Result<i64, String> {
            let v = v
                .as_deref()
                .ok_or_else(|| format!("A custom range needs a '{name}' date."))?;
            chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map(|d| {
                    d.and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .and_utc()
                        .timestamp()
                })
                .map_err(|_| format!("'{v}' is not a date like 2026-11-01 ({name})."))
        };
        let from = day(&q.from, "from")?;
        let to = day(&q.to, "to")? + DAY;
        if to <= from {
            return Err("The custom range ends before it starts.".into());
        }
        if to - from > MAX_DAYS * DAY {
            return Err(format!(
                "The custom range is {} days; pick at most {MAX_DAYS}.",
                (to - from) / DAY
            ));
        }
        return Ok(Span {
            from,
            to,
            step: step_for(to - from),
        });
    }
    let (_, _, secs) = PRESETS
        .iter()
        .find(|(k, _, _)| *k == key)
        .ok_or_else(|| format!("'{key}' is not a range: use 24h, 7d, 30d, 90d or custom."))?;
    let step = step_for(*secs);
    let to = (now.div_euclid(step) + 1) * step;
    Ok(Span {
        from: to - secs,
        to,
        step,
    })
}

/// The chart as CSV: a `bucket_start_utc` column (RFC 3339), then one
/// column per series; empty cells where a series has no value.
pub fn to_csv(chart: &Chart) -> String {
    let mut out = String::from("bucket_start_utc");
    for s in &chart.series {
        out.push(',');
        out.push_str(&crate::csv_cell::cell(&s.name));
    }
    out.push('\n');
    for (i, t) in chart.span.buckets().into_iter().enumerate() {
        let at = chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        out.push_str(&at);
        for s in &chart.series {
            out.push(',');
            if let Some(Some(v)) = s.values.get(i) {
                out.push_str(&v.to_string());
            }
        }
        out.push('\n');
    }
    out
}

/// The colour of an error category, the same in every chart and badge.
pub fn category_color(c: crate::errors::Category) -> &'static str {
    use crate::errors::Category::*;
    match c {
        MissingFieldMapping => "#4e79a7",
        InvalidValueConversion => "#f28e2b",
        DependencyOrder => "#59a14f",
        PluginThrow => "#e15759",
        DuplicateRecord => "#b07aa1",
        AuthenticationPermission => "#edc948",
        ThrottlingTimeout => "#76b7b2",
        Other => "#9c9c9c",
    }
}

/// The colour of a sync direction.
pub fn direction_color(direction: &str) -> &'static str {
    if direction == "dataverse_to_fo" {
        "#e15759"
    } else {
        "#4e79a7"
    }
}

/// A chart page: the filters it was read with and its charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPage {
    /// Environments, by name.
    pub environments: Vec<String>,
    /// The environment shown.
    pub environment: String,
    /// Its table maps, `(id, name)`.
    pub maps: Vec<(i64, String)>,
    /// The query with defaults filled in.
    pub query: TrendQuery,
    /// The resolved range.
    pub span: Span,
    /// The charts.
    pub charts: Vec<Chart>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000; // 2026-11-18T09:46:40Z

    #[test]
    fn presets_end_with_the_current_period() {
        let q = |r: &str| TrendQuery {
            range: Some(r.into()),
            ..Default::default()
        };
        let s = resolve(&q("24h"), NOW).unwrap();
        assert_eq!((s.to - s.from, s.step, s.to % HOUR), (DAY, HOUR, 0));
        assert!(s.to > NOW && s.to - NOW <= HOUR);
        assert_eq!(s.buckets().len(), 24);
        let s = resolve(&TrendQuery::default(), NOW).unwrap();
        assert_eq!((s.buckets().len(), s.step), (168, HOUR), "7 d by default");
        let s = resolve(&q("90d"), NOW).unwrap();
        assert_eq!((s.buckets().len(), s.step, s.to % DAY), (90, DAY, 0));
        assert_eq!(s.index(NOW), Some(89));
        assert_eq!(s.index(s.to), None);
        assert!(resolve(&q("1y"), NOW).unwrap_err().contains("24h, 7d"));
    }

    #[test]
    fn custom_ranges_are_whole_days_and_checked() {
        let q = |f: &str, t: &str| TrendQuery {
            range: Some("custom".into()),
            from: Some(f.into()),
            to: Some(t.into()),
            ..Default::default()
        };
        let s = resolve(&q("2026-11-01", "2026-11-03"), NOW).unwrap();
        assert_eq!((s.buckets().len(), s.step), (72, HOUR), "3 days by hour");
        assert_eq!(fmt_bucket(s.from, s.step), "2026-11-01 00:00");
        let s = resolve(&q("2026-01-01", "2026-11-01"), NOW).unwrap();
        assert_eq!(s.step, DAY);
        assert!(
            resolve(&q("2026-11-03", "2026-11-01"), NOW)
                .unwrap_err()
                .contains("before")
        );
        assert!(
            resolve(&q("2024-01-01", "2026-11-01"), NOW)
                .unwrap_err()
                .contains("at most 400")
        );
        assert!(
            resolve(&q("yesterday", "2026-11-01"), NOW)
                .unwrap_err()
                .contains("'yesterday'")
        );
    }

    #[test]
    fn links_keep_filters_and_csv_quotes_names() {
        let q = TrendQuery {
            env: Some("UAT EU".into()),
            map: Some(4),
            range: Some("30d".into()),
            ..Default::default()
        };
        assert_eq!(
            q.href("/trends/errors", Some("7d")),
            "/trends/errors?env=UAT%20EU&map=4&range=7d"
        );
        let chart = Chart {
            key: "k".into(),
            title: "T".into(),
            caption: String::new(),
            unit: "entries".into(),
            percent: false,
            kind: Kind::Stacked,
            span: Span {
                from: 0,
                to: 2 * HOUR,
                step: HOUR,
            },
            series: vec![
                Series {
                    name: "Plug-in, threw".into(),
                    color: "#000".into(),
                    values: vec![Some(3.0), None],
                },
                Series {
                    name: "=cmd".into(),
                    color: "#000".into(),
                    values: vec![Some(1.5), Some(0.0)],
                },
            ],
            annotations: vec![],
            thresholds: vec![],
            shades: vec![],
        };
        assert_eq!(
            to_csv(&chart),
            "bucket_start_utc,\"Plug-in, threw\",'=cmd\n1970-01-01T00:00:00Z,3,1.5\n1970-01-01T01:00:00Z,,0\n"
        );
        assert!(!chart.is_empty());
        assert_eq!(fmt_value(1234.0, false), "1,234");
        assert_eq!(fmt_value(2.5, true), "2.50 %");
    }
}
